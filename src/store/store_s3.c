/*
 * store_s3.c — the S3 driver of the object store (store.h, store_driver.h):
 * "s3://bucket/key" URLs over the S3 client (aws/s3.h).
 *
 * Listing mirrors the local driver: an object named exactly is itself; a
 * prefix is a folder (everything below it, or one level), skipping names
 * with a segment that starts with '.' or '_'; glob patterns (*, ?, [..],
 * matched per segment as glob(3) does) select objects and folders.
 * Writing: the writer streams into a multipart upload whose completion is
 * the publish step (a small object stays in memory and publish PUTs it);
 * discard aborts the upload, so no orphan parts remain.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "aws/s3.h"
#include "core/mem.h"
#include "store/store_driver.h"

typedef struct s3_store {
    sl_s3 *s3;
} s3_store;

int sl_store_s3_open(const char *url, const sl_store_options *opts, void **self, sl_error *err) {
    *self = NULL;
    char *bucket, *key;
    int rc = sl_s3_parse_url(url, &bucket, &key, err);
    if (rc) return rc;
    free(bucket);
    free(key);
    sl_aws_overrides ov = {0};
    if (opts) {
        ov.profile = opts->profile;
        ov.region = opts->region;
        ov.endpoint = opts->endpoint;
    }
    sl_aws_config cfg;
    rc = sl_aws_config_load("s3", &ov, &cfg, err);
    if (rc) return rc;
    sl_s3_options so = {0};
    if (opts) {
        so.part_size = opts->part_size;
        so.max_in_flight = opts->max_in_flight;
    }
    s3_store *st = sl_xcalloc(1, sizeof *st);
    rc = sl_s3_new(&cfg, &so, &st->s3, err);
    memset(&cfg.creds, 0, sizeof cfg.creds);
    if (rc) {
        free(st);
        return rc;
    }
    *self = st;
    return SL_OK;
}

static void s3_store_free(void *self) {
    s3_store *st = self;
    if (!st) return;
    sl_s3_free(st->s3);
    free(st);
}

/* ---- listing ---- */

static void add_entry(sl_store_list *out, const char *bucket, const char *key, uint64_t size, int64_t mtime) {
    if (out->count == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 16;
        out->items = sl_xrealloc(out->items, out->cap * sizeof *out->items);
    }
    sl_store_entry *e = &out->items[out->count++];
    size_t n = strlen(bucket) + strlen(key) + 7;
    e->url = sl_xmalloc(n);
    snprintf(e->url, n, "s3://%s/%s", bucket, key);
    e->size = size;
    e->mtime = mtime;
}

/* Does any segment of this relative name start with '.' or '_'? Also
 * rejects folder markers (names ending in '/') and empty names. */
static bool hidden(const char *rel) {
    if (!rel[0]) return true;
    if (rel[strlen(rel) - 1] == '/') return true;
    for (const char *seg = rel; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL)
        if (seg[0] == '.' || seg[0] == '_') return true;
    return false;
}

/* Does a wildcard in pattern pick a hidden segment of key ("*" matching
 * "_staging")? A pattern segment that itself starts with '.' or '_' asks
 * for such names explicitly. Compares the first segments of both. */
static bool wildcard_hides(const char *pattern, const char *key) {
    for (;;) {
        if ((key[0] == '.' || key[0] == '_') && pattern[0] != key[0]) return true;
        const char *ps = strchr(pattern, '/'), *ks = strchr(key, '/');
        if (!ps || !ks) return false;
        pattern = ps + 1;
        key = ks + 1;
    }
}

static size_t count_segments(const char *s) {
    size_t n = 1;
    for (; *s; s++)
        n += *s == '/';
    return n;
}

static int list_glob(sl_s3 *s3, const char *bucket, const char *pattern, size_t glob_at, bool recursive,
                     sl_store_list *out, sl_error *err) {
    char *literal = sl_xstrndup(pattern, glob_at);
    sl_s3_listing l = {0};
    int rc = sl_s3_list(s3, bucket, literal, NULL, 0, &l, err);
    size_t depth = count_segments(pattern);
    for (size_t i = 0; !rc && i < l.count; i++) {
        const sl_s3_object *o = &l.objects[i];
        if (wildcard_hides(pattern, o->key)) continue;
        if (fnmatch(pattern, o->key, FNM_PATHNAME | FNM_PERIOD) == 0) {
            if (o->key[strlen(o->key) - 1] != '/') add_entry(out, bucket, o->key, o->size, o->mtime);
            continue;
        }
        /* the ancestor folder at the pattern's depth, if it matches */
        const char *cut = o->key;
        for (size_t d = 0; d < depth && cut; d++)
            cut = strchr(d ? cut + 1 : cut, '/');
        if (!cut) continue;
        char *folder = sl_xstrndup(o->key, (size_t)(cut - o->key));
        bool match = fnmatch(pattern, folder, FNM_PATHNAME | FNM_PERIOD) == 0;
        free(folder);
        const char *rel = cut + 1;
        if (match && !hidden(rel) && (recursive || !strchr(rel, '/')))
            add_entry(out, bucket, o->key, o->size, o->mtime);
    }
    sl_s3_listing_free(&l);
    free(literal);
    return rc;
}

static int list_plain(sl_s3 *s3, const char *bucket, const char *key, bool recursive, sl_store_list *out,
                      sl_error *err) {
    size_t n = strlen(key);
    if (n > 0 && key[n - 1] != '/') {
        sl_s3_object o;
        int rc = sl_s3_head(s3, bucket, key, &o, err);
        if (rc == SL_OK) {
            add_entry(out, bucket, key, o.size, o.mtime);
            sl_s3_object_free(&o);
            return SL_OK;
        }
        if (rc != SL_ENOTFOUND) return rc;
    }
    char *folder = sl_xmalloc(n + 2);
    memcpy(folder, key, n);
    if (n > 0 && key[n - 1] != '/') folder[n++] = '/';
    folder[n] = 0;
    sl_s3_listing l = {0};
    int rc = sl_s3_list(s3, bucket, folder, recursive ? NULL : "/", 0, &l, err);
    for (size_t i = 0; !rc && i < l.count; i++) {
        const sl_s3_object *o = &l.objects[i];
        if (strncmp(o->key, folder, n) == 0 && !hidden(o->key + n)) add_entry(out, bucket, o->key, o->size, o->mtime);
    }
    sl_s3_listing_free(&l);
    free(folder);
    return rc;
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const sl_store_entry *)a)->url, ((const sl_store_entry *)b)->url);
}

static int s3_list(void *self, const char *url, bool recursive, sl_store_list *out, sl_error *err) {
    s3_store *st = self;
    char *bucket, *key;
    int rc = sl_s3_parse_url(url, &bucket, &key, err);
    if (rc) return rc;
    size_t before = out->count;
    size_t glob_at = strcspn(key, "*?[");
    if (key[glob_at])
        rc = list_glob(st->s3, bucket, key, glob_at, recursive, out, err);
    else
        rc = list_plain(st->s3, bucket, key, recursive, out, err);
    if (rc == SL_OK && out->count == before) rc = sl_error_set(err, SL_ENOTFOUND, "%s: no objects found", url);
    if (rc == SL_OK) qsort(out->items + before, out->count - before, sizeof *out->items, cmp_entry);
    free(bucket);
    free(key);
    return rc;
}

static int s3_stat(void *self, const char *url, sl_store_entry *out, sl_error *err) {
    s3_store *st = self;
    memset(out, 0, sizeof *out);
    char *bucket, *key;
    int rc = sl_s3_parse_url(url, &bucket, &key, err);
    if (rc) return rc;
    if (!key[0] || key[strlen(key) - 1] == '/') {
        rc = sl_error_set(err, SL_ENOTFOUND, "%s: names a folder, not an object", url);
    } else {
        sl_s3_object o;
        rc = sl_s3_head(st->s3, bucket, key, &o, err);
        if (rc == SL_OK) {
            out->url = sl_xstrdup(url);
            out->size = o.size;
            out->mtime = o.mtime;
            sl_s3_object_free(&o);
        }
    }
    free(bucket);
    free(key);
    return rc;
}

/* ---- reading ---- */

static int s3_reader_open(void *self, const char *url, uint64_t offset, uint64_t length, void **reader, sl_error *err) {
    s3_store *st = self;
    *reader = NULL;
    char *bucket, *key;
    int rc = sl_s3_parse_url(url, &bucket, &key, err);
    if (rc) return rc;
    sl_s3_reader *r = NULL;
    rc = sl_s3_reader_open(st->s3, bucket, key, offset, length, &r, err);
    if (rc == SL_OK) *reader = r;
    free(bucket);
    free(key);
    return rc;
}

static int s3_read(void *reader, void *buf, size_t cap, size_t *got, sl_error *err) {
    return sl_s3_reader_read(reader, buf, cap, got, err);
}

static void s3_reader_close(void *reader) { sl_s3_reader_close(reader); }

/* ---- writing: the writer object is also the pending object ---- */

static int s3_writer_open(void *self, const char *url, const char *tag, void **writer, sl_error *err) {
    s3_store *st = self;
    *writer = NULL;
    char *bucket, *key;
    int rc = sl_s3_parse_url(url, &bucket, &key, err);
    if (rc) return rc;
    if (!key[0] || key[strlen(key) - 1] == '/') {
        rc = sl_error_set(err, SL_EINVAL, "%s: an object name is needed, not a folder", url);
    } else {
        sl_s3_writer *w = NULL;
        rc = sl_s3_writer_open(st->s3, bucket, key, &w, err);
        if (rc == SL_OK) *writer = w;
    }
    free(bucket);
    free(key);
    return rc;
}

static int s3_write(void *writer, const void *data, size_t len, sl_error *err) {
    return sl_s3_writer_write(writer, data, len, err);
}

static int s3_writer_finish(void *writer, void **pending, sl_error *err) {
    *pending = NULL;
    int rc = sl_s3_writer_finish(writer, err);
    if (rc) {
        sl_s3_writer_free(writer);
        return rc;
    }
    *pending = writer;
    return SL_OK;
}

static void s3_writer_abort(void *writer) { sl_s3_writer_free(writer); }

static int s3_publish(void *pending, sl_error *err) {
    int rc = sl_s3_writer_commit(pending, err);
    if (rc == SL_OK) sl_s3_writer_free(pending);
    return rc;
}

static void s3_discard(void *pending) { sl_s3_writer_free(pending); }

/* ---- whole objects ---- */

static int s3_put(void *self, const char *url, const void *data, size_t len, sl_error *err) {
    s3_store *st = self;
    char *bucket, *key;
    int rc = sl_s3_parse_url(url, &bucket, &key, err);
    if (rc) return rc;
    rc = sl_s3_put(st->s3, bucket, key, data, len, err);
    free(bucket);
    free(key);
    return rc;
}

static int s3_delete(void *self, const char *url, sl_error *err) {
    s3_store *st = self;
    char *bucket, *key;
    int rc = sl_s3_parse_url(url, &bucket, &key, err);
    if (rc) return rc;
    rc = sl_s3_delete(st->s3, bucket, key, err);
    free(bucket);
    free(key);
    return rc;
}

const sl_store_driver sl_store_s3_driver = {
    .scheme = "s3",
    .open = sl_store_s3_open,
    .free = s3_store_free,
    .list = s3_list,
    .stat = s3_stat,
    .reader_open = s3_reader_open,
    .read = s3_read,
    .reader_close = s3_reader_close,
    .writer_open = s3_writer_open,
    .write = s3_write,
    .writer_finish = s3_writer_finish,
    .writer_abort = s3_writer_abort,
    .publish = s3_publish,
    .discard = s3_discard,
    .put = s3_put,
    .del = s3_delete,
};
