/* errout.c — see errout.h. */
#include "exec/errout.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "formats/json.h"

struct sl_errout {
    pthread_mutex_t lock;
    char *dir;
    char *path;
    char run_id[40];
    FILE *file;
    uint64_t count;
    int failed; /* could not open/write: later adds fail fast */
};

sl_errout *sl_errout_new(const char *dir, const char *run_id) {
    sl_errout *eo = sl_xcalloc(1, sizeof *eo);
    pthread_mutex_init(&eo->lock, NULL);
    eo->dir = sl_xstrdup(dir ? dir : "./data/errors");
    snprintf(eo->run_id, sizeof eo->run_id, "%s", run_id);
    return eo;
}

const char *sl_errout_close(sl_errout *eo) {
    if (!eo) return NULL;
    if (eo->file) {
        fclose(eo->file);
        eo->file = NULL;
    }
    return eo->count && eo->path ? eo->path : NULL;
}

void sl_errout_free(sl_errout *eo) {
    if (!eo) return;
    sl_errout_close(eo);
    pthread_mutex_destroy(&eo->lock);
    free(eo->dir);
    free(eo->path);
    free(eo);
}

uint64_t sl_errout_count(const sl_errout *eo) { return eo ? eo->count : 0; }

static int open_file(sl_errout *eo, sl_error *err) {
    int rc = sl_mkdirs(eo->dir, err);
    if (rc) return rc;
    sl_buf p;
    sl_buf_init(&p, 0);
    sl_buf_printf(&p, "%s/errors-%s.jsonl", eo->dir, eo->run_id);
    eo->path = sl_buf_detach(&p);
    eo->file = fopen(eo->path, "a");
    if (!eo->file)
        return sl_error_set(err, SL_EIO, "cannot create error output %s: %s", eo->path, strerror(errno));
    return SL_OK;
}

static void add_str(sl_buf *b, const char *key, const char *s, size_t len) {
    sl_buf_printf(b, ",\"%s\":", key);
    sl_json_write_string(b, s, len);
}

int64_t sl_errout_add(sl_errout *eo, const char *node, const char *source, uint64_t line, int64_t offset,
                      const char *reason, const char *raw, size_t raw_len, sl_error *err) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_buf_adds(&b, "{\"run_id\":");
    sl_json_write_string(&b, eo->run_id, strlen(eo->run_id));
    if (node) add_str(&b, "node", node, strlen(node));
    if (source) add_str(&b, "source", source, strlen(source));
    if (line) sl_buf_printf(&b, ",\"line\":%llu", (unsigned long long)line);
    if (offset >= 0) sl_buf_printf(&b, ",\"offset\":%lld", (long long)offset);
    if (reason) add_str(&b, "reason", reason, strlen(reason));
    if (raw) add_str(&b, "raw", raw, raw_len);
    sl_buf_adds(&b, "}\n");

    int64_t result;
    pthread_mutex_lock(&eo->lock);
    if (eo->failed) {
        result = sl_error_set(err, SL_EIO, "error output %s is not writable", eo->path ? eo->path : eo->dir);
    } else if (!eo->file && (result = open_file(eo, err)) != 0) {
        eo->failed = 1;
    } else if (fwrite(b.data, 1, b.len, eo->file) != b.len) {
        eo->failed = 1;
        result = sl_error_set(err, SL_EIO, "cannot write error output %s: %s", eo->path, strerror(errno));
    } else {
        result = (int64_t)++eo->count;
    }
    pthread_mutex_unlock(&eo->lock);
    sl_buf_free(&b);
    return result;
}
