/*
 * store_file.c — the local-filesystem driver of the object store: plain
 * paths and file:// URLs.
 *
 * Writers stage: an object for <dir>/<name> is written to
 * <dir>/_staging-<tag>/<name> (names starting with '_' are never read as
 * data), finish closes it (errors from close(2) included), publish renames
 * it into place — atomic per file on one file system — and removes the
 * staging directory once it is empty; discard unlinks it.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/mem.h"
#include "store/store_driver.h"

static const char *local_path(const char *url) { return strncmp(url, "file://", 7) == 0 ? url + 7 : url; }

static int file_open(const char *url, const sl_store_options *opts, void **self, sl_error *err) {
    *self = NULL; /* stateless */
    return SL_OK;
}

static void file_free(void *self) {}

static int file_stat(void *self, const char *url, sl_store_entry *out, sl_error *err) {
    struct stat st;
    const char *path = local_path(url);
    if (stat(path, &st) != 0)
        return sl_error_set(err, errno == ENOENT ? SL_ENOTFOUND : SL_EIO, "%s: %s", path, strerror(errno));
    out->url = sl_xstrdup(path);
    out->size = (uint64_t)st.st_size;
    out->mtime = (int64_t)st.st_mtime;
    return SL_OK;
}

static int file_list(void *self, const char *url, bool recursive, sl_store_list *out, sl_error *err) {
    sl_strlist files = {0};
    int rc = sl_expand_path(local_path(url), recursive, &files, err);
    for (size_t i = 0; !rc && i < files.count; i++) {
        if (out->count == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 16;
            out->items = sl_xrealloc(out->items, out->cap * sizeof *out->items);
        }
        struct stat st;
        if (stat(files.items[i], &st) != 0) continue;
        sl_store_entry *e = &out->items[out->count++];
        e->url = files.items[i];
        files.items[i] = NULL;
        e->size = (uint64_t)st.st_size;
        e->mtime = (int64_t)st.st_mtime;
    }
    sl_strlist_free(&files);
    return rc;
}

typedef struct file_reader {
    int fd;
    uint64_t pos, end;
    char *path;
} file_reader;

static int file_reader_open(void *self, const char *url, uint64_t offset, uint64_t length, void **out,
                            sl_error *err) {
    const char *path = local_path(url);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sl_error_set(err, SL_EIO, "cannot open '%s': %s", path, strerror(errno));
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    file_reader *r = sl_xmalloc(sizeof *r);
    r->fd = fd;
    r->pos = offset;
    r->end = length == UINT64_MAX || offset + length < offset ? UINT64_MAX : offset + length;
    r->path = sl_xstrdup(path);
    *out = r;
    return SL_OK;
}

static int file_read(void *reader, void *buf, size_t cap, size_t *got, sl_error *err) {
    file_reader *r = reader;
    *got = 0;
    if (r->pos >= r->end) return SL_OK;
    if ((uint64_t)cap > r->end - r->pos) cap = (size_t)(r->end - r->pos);
    for (;;) {
        ssize_t n = pread(r->fd, buf, cap, (off_t)r->pos);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sl_error_set(err, SL_EIO, "cannot read '%s': %s", r->path, strerror(errno));
        r->pos += (uint64_t)n;
        *got = (size_t)n;
        return SL_OK;
    }
}

static void file_reader_close(void *reader) {
    file_reader *r = reader;
    if (!r) return;
    close(r->fd);
    free(r->path);
    free(r);
}

typedef struct file_writer {
    int fd;
    char *staged;      /* <dir>/_staging-<tag>/<name> */
    char *staging_dir;
    char *final;
} file_writer;

static void writer_free(file_writer *w) {
    free(w->staged);
    free(w->staging_dir);
    free(w->final);
    free(w);
}

static int file_writer_open(void *self, const char *url, const char *tag, void **out, sl_error *err) {
    const char *path = local_path(url);
    char *copy = sl_xstrdup(path), *copy2 = sl_xstrdup(path);
    const char *dir = dirname(copy), *name = basename(copy2);
    char sub[128];
    snprintf(sub, sizeof sub, "_staging-%s", tag);
    file_writer *w = sl_xcalloc(1, sizeof *w);
    w->staging_dir = sl_path_join(dir, sub);
    w->staged = sl_path_join(w->staging_dir, name);
    w->final = sl_xstrdup(path);
    free(copy);
    free(copy2);
    int rc = sl_mkdirs(w->staging_dir, err);
    if (!rc) {
        w->fd = open(w->staged, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (w->fd < 0) rc = sl_error_set(err, SL_EIO, "cannot create '%s': %s", w->staged, strerror(errno));
    }
    if (rc) {
        writer_free(w);
        return rc;
    }
    *out = w;
    return SL_OK;
}

static int file_write(void *writer, const void *data, size_t len, sl_error *err) {
    file_writer *w = writer;
    const char *p = data;
    while (len) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sl_error_set(err, SL_EIO, "cannot write '%s': %s", w->staged, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return SL_OK;
}

static void remove_staged(file_writer *w) {
    unlink(w->staged);
    rmdir(w->staging_dir); /* fails while other parts are still there: fine */
}

static int file_writer_finish(void *writer, void **pending, sl_error *err) {
    file_writer *w = writer;
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0) {
        int rc = sl_error_set(err, SL_EIO, "cannot close '%s': %s", w->staged, strerror(errno));
        remove_staged(w);
        writer_free(w);
        return rc;
    }
    *pending = w;
    return SL_OK;
}

static void file_writer_abort(void *writer) {
    file_writer *w = writer;
    if (w->fd >= 0) close(w->fd);
    remove_staged(w);
    writer_free(w);
}

static int file_publish(void *pending, sl_error *err) {
    file_writer *w = pending;
    if (rename(w->staged, w->final) != 0)
        return sl_error_set(err, SL_EIO, "cannot publish '%s': %s", w->final, strerror(errno));
    rmdir(w->staging_dir);
    writer_free(w);
    return SL_OK;
}

static void file_discard(void *pending) {
    file_writer *w = pending;
    remove_staged(w);
    writer_free(w);
}

static int file_put(void *self, const char *url, const void *data, size_t len, sl_error *err) {
    const char *path = local_path(url);
    char *copy = sl_xstrdup(path);
    int rc = sl_mkdirs(dirname(copy), err);
    free(copy);
    if (rc) return rc;
    size_t n = strlen(path);
    char *tmp = sl_xmalloc(n + 16);
    snprintf(tmp, n + 16, "%s.tmp-%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) rc = sl_error_set(err, SL_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    if (!rc && fwrite(data, 1, len, f) != len) rc = sl_error_set(err, SL_EIO, "cannot write '%s'", tmp);
    if (f && fclose(f) != 0 && !rc) rc = sl_error_set(err, SL_EIO, "cannot write '%s'", tmp);
    if (!rc && rename(tmp, path) != 0) rc = sl_error_set(err, SL_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (rc) unlink(tmp);
    free(tmp);
    return rc;
}

static int file_del(void *self, const char *url, sl_error *err) {
    const char *path = local_path(url);
    if (unlink(path) != 0 && errno != ENOENT)
        return sl_error_set(err, SL_EIO, "cannot remove '%s': %s", path, strerror(errno));
    return SL_OK;
}

const sl_store_driver sl_store_file_driver = {
    .scheme = "file",
    .open = file_open,
    .free = file_free,
    .list = file_list,
    .stat = file_stat,
    .reader_open = file_reader_open,
    .read = file_read,
    .reader_close = file_reader_close,
    .writer_open = file_writer_open,
    .write = file_write,
    .writer_finish = file_writer_finish,
    .writer_abort = file_writer_abort,
    .publish = file_publish,
    .discard = file_discard,
    .put = file_put,
    .del = file_del,
};
