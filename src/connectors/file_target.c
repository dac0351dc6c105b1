/*
 * file_target.c — the `write_file` target: JSON lines or CSV files, optionally
 * gzip/zstd compressed, in a local directory or under an s3:// prefix.
 *
 * Publishing (how a run's output becomes visible) goes through the object
 * store's two-phase writes (store/store.h):
 *   1. each input split writes part-NNNNN-<run-id>.<ext>: locally into
 *      <path>/_staging-<run-id>/ (names starting with '_' are skipped by every
 *      reader: sluice, Spark, Hive, DuckDB), on S3 as a multipart upload that
 *      is not yet completed (or, for a small part, bytes held until commit);
 *   2. commit (only when the whole run succeeded): every part is published —
 *      renamed into <path>/ (atomic per file), or its multipart upload
 *      completed / object PUT (atomic per object); with mode overwrite, part
 *      files of earlier runs are then deleted; finally <path>/_SUCCESS is
 *      written naming the run and its files;
 *   3. abort (any failure): every part is discarded — staged files unlinked,
 *      multipart uploads aborted so no orphan parts remain; <path> is exactly
 *      as it was before the run.
 * A killed process leaves only a _staging-* directory (ignored by readers)
 * or unfinished multipart uploads (invisible; an S3 lifecycle rule
 * AbortIncompleteMultipartUpload removes them).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/mem.h"
#include "exec/run.h"
#include "formats/compress.h"
#include "formats/format.h"
#include "connectors/file_format_opts.h"
#include "store/store.h"

#define FLUSH_BYTES (1u << 20)



static const sl_option target_options[] = {
    {"path", SL_OPT_PATH, NULL, "Output directory. Created if missing.", NULL, SL_OPTF_REQUIRED},
    {"format", SL_OPT_ENUM, "json", "Output format: JSON lines or CSV.", "json|csv", 0},
    {"compression", SL_OPT_ENUM, "none",
     "Compress output files: gzip (libdeflate, one gzip member per MiB, readable by every gzip reader) or zstd.",
     "none|gzip|zstd", 0},
    {"compression_level", SL_OPT_INT, "-1", "Codec level; -1 = default (gzip 6, zstd 3).", NULL, 0},
    {"mode", SL_OPT_ENUM, "append",
     "append adds this run's part files next to earlier ones (Glue's default); overwrite removes part files "
     "of earlier runs once this run's files are in place.",
     "append|overwrite", 0},
    {"delimiter", SL_OPT_STRING, ",", "CSV field delimiter (one character; \\t for tab).", NULL, 0},
    {"quote", SL_OPT_STRING, "\"", "CSV quote character.", NULL, 0},
    {"header", SL_OPT_BOOL, "true", "CSV: write a header line with the column names.", NULL, 0},
    STORE_OPTIONS,
    {0},
};

typedef struct target_data {
    const sl_format *format;
    sl_format_opts fopts;
    sl_codec codec;
    int level;
    bool overwrite;
    sl_store *store;
    pthread_mutex_t lock;
    sl_store_pending **pending; /* finished parts, published on commit */
    size_t n_pending, cap_pending;
} target_data;

static void discard_pending(target_data *d) {
    for (size_t i = 0; i < d->n_pending; i++) sl_store_discard(d->pending[i]);
    d->n_pending = 0;
}

static void target_release(sl_node *node) {
    target_data *d = node->data;
    if (!d) return;
    discard_pending(d);
    free(d->pending);
    sl_store_free(d->store);
    pthread_mutex_destroy(&d->lock);
    free(d);
    node->data = NULL;
}

static int target_check(sl_node *node, sl_error *err) {
    target_data *d = sl_xcalloc(1, sizeof *d);
    pthread_mutex_init(&d->lock, NULL);
    node->data = d;
    d->format = sl_format_find(sl_node_str(node, "format"));
    sl_codec_parse(sl_node_str(node, "compression"), &d->codec);
    d->level = (int)sl_node_int(node, "compression_level");
    d->overwrite = !strcmp(sl_node_str(node, "mode"), "overwrite");
    return sl_file_format_opts(node, &d->fopts, err);
}

static int target_prepare(sl_node *node, sl_run *run, sl_error *err) {
    target_data *d = node->data;
    discard_pending(d);
    if (d->store) return SL_OK;
    sl_store_options so;
    sl_file_store_options(node, &so);
    const char *path = sl_node_str(node, "path");
    int rc = sl_store_open(path, &so, &d->store, err);
    if (!rc && !sl_store_is_remote(path)) rc = sl_mkdirs(path, err);
    return rc;
}

typedef struct writer {
    target_data *d;
    sl_node *node;
    sl_run *run;
    void *encoder;
    sl_store_writer *object;
    sl_outstream *out;
    sl_buf buf;
} writer;

static void writer_free(writer *w) {
    if (w->encoder) w->d->format->encoder_free(w->encoder);
    sl_buf_free(&w->buf);
    free(w);
}

static int target_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    target_data *d = node->data;
    writer *w = sl_xcalloc(1, sizeof *w);
    w->d = d;
    w->node = node;
    w->run = run;
    sl_buf_init(&w->buf, 0);
    char name[128];
    snprintf(name, sizeof name, "part-%05u-%s%s%s", split ? split->index : 0, run->run_id, d->format->out_ext,
             sl_codec_extension(d->codec));
    char *url = sl_path_join(sl_node_str(node, "path"), name);
    int rc = d->format->encoder_new(&d->fopts, &w->encoder, err);
    if (!rc) rc = sl_store_writer_open(d->store, url, run->run_id, &w->object, err);
    if (!rc) rc = sl_outstream_open_writer(url, w->object, d->codec, d->level, &w->out, err);
    free(url);
    if (rc) {
        sl_store_writer_abort(w->object);
        writer_free(w);
        return rc;
    }
    *out = w;
    return SL_OK;
}

static int flush(writer *w, sl_error *err) {
    if (!w->buf.len) return SL_OK;
    int rc = sl_outstream_write(w->out, w->buf.data, w->buf.len, err);
    sl_buf_reset(&w->buf);
    return rc;
}

static int target_write(void *state, sl_batch *b, sl_error *err) {
    writer *w = state;
    sl_error e; /* only written on failure: cleared once, and after each use */
    sl_error_clear(&e);
    for (size_t i = 0; i < b->count; i++) {
        size_t mark = w->buf.len;
        if (w->d->format->encode(w->encoder, &w->buf, &b->records[i], &e) != 0) {
            w->buf.len = mark;
            int rc = sl_run_reject(w->run, w->node, b, i, e.message, err);
            sl_error_clear(&e);
            if (rc) return rc;
            continue;
        }
        if (w->buf.len >= FLUSH_BYTES) {
            int rc = flush(w, err);
            if (rc) return rc;
        }
    }
    return SL_OK;
}

static int target_close(void *state, sl_error *err) {
    writer *w = state;
    target_data *d = w->d;
    int rc = d->format->encode_finish ? d->format->encode_finish(w->encoder, &w->buf, err) : SL_OK;
    if (!rc) rc = flush(w, err);
    uint64_t bytes = sl_outstream_bytes_out(w->out);
    if (rc) sl_outstream_discard(w->out);
    else rc = sl_outstream_close(w->out, false, err);
    sl_store_pending *p = NULL;
    if (rc) sl_store_writer_abort(w->object);
    else rc = sl_store_writer_finish(w->object, &p, err);
    if (!rc) {
        __atomic_fetch_add(&w->node->stats.bytes_out, bytes, __ATOMIC_RELAXED);
        pthread_mutex_lock(&d->lock);
        if (d->n_pending == d->cap_pending) {
            d->cap_pending = d->cap_pending ? d->cap_pending * 2 : 16;
            d->pending = sl_xrealloc(d->pending, d->cap_pending * sizeof *d->pending);
        }
        d->pending[d->n_pending++] = p;
        pthread_mutex_unlock(&d->lock);
    }
    writer_free(w);
    return rc;
}

static void target_discard(void *state) {
    writer *w = state;
    sl_outstream_discard(w->out);
    sl_store_writer_abort(w->object);
    writer_free(w);
}

static const char *base_name(const char *url) {
    const char *slash = strrchr(url, '/');
    return slash ? slash + 1 : url;
}

/* Remove part files of other runs (mode overwrite). */
static int remove_old_parts(target_data *d, const char *dir, const char *run_id, sl_error *err) {
    sl_store_list l = {0};
    sl_error e;
    sl_error_clear(&e);
    int rc = sl_store_list_objects(d->store, dir, false, &l, &e);
    if (rc == SL_ENOTFOUND) rc = SL_OK;
    else if (rc) *err = e;
    for (size_t i = 0; !rc && i < l.count; i++) {
        const char *name = base_name(l.items[i].url);
        if (strncmp(name, "part-", 5) != 0 || strstr(name, run_id)) continue;
        rc = sl_store_delete(d->store, l.items[i].url, err);
    }
    sl_store_list_free(&l);
    return rc;
}

static int cmp_pending(const void *a, const void *b) {
    return strcmp(sl_store_pending_url(*(sl_store_pending *const *)a), sl_store_pending_url(*(sl_store_pending *const *)b));
}

static int target_commit(sl_node *node, sl_run *run, sl_error *err) {
    target_data *d = node->data;
    const char *dir = sl_node_str(node, "path");
    qsort(d->pending, d->n_pending, sizeof *d->pending, cmp_pending);
    sl_buf manifest;
    sl_buf_init(&manifest, 0);
    sl_buf_printf(&manifest, "run_id %s\n", run->run_id);
    int rc = SL_OK;
    size_t i = 0;
    for (; !rc && i < d->n_pending; i++) {
        sl_buf_printf(&manifest, "file %s\n", base_name(sl_store_pending_url(d->pending[i])));
        rc = sl_store_publish(d->pending[i], err);
        if (rc) break;
        d->pending[i] = NULL;
    }
    if (rc) /* what was not published is discarded; published parts stay (named by the failed run) */
        for (; i < d->n_pending; i++) sl_store_discard(d->pending[i]);
    d->n_pending = 0;
    if (!rc && d->overwrite) rc = remove_old_parts(d, dir, run->run_id, err);
    if (!rc) {
        char *url = sl_path_join(dir, "_SUCCESS");
        rc = sl_store_put(d->store, url, manifest.data, manifest.len, err);
        free(url);
    }
    sl_buf_free(&manifest);
    return rc;
}

static void target_abort(sl_node *node, sl_run *run) {
    target_data *d = node->data;
    if (d) discard_pending(d);
}

const sl_node_type sl_write_file_type = {
    .name = "write_file",
    .kind = SL_NODE_TARGET,
    .summary = "write JSON lines or CSV files (optionally gzip/zstd) into a directory, published atomically",
    .help = "Like Glue's write_dynamic_frame.from_options. path is a local directory or an s3://bucket/prefix. "
            "Each input split becomes one part file part-NNNNN-<run-id>.<ext>. Files become visible only when "
            "the whole run succeeds (staged locally, multipart uploads completed on S3); a failed run leaves "
            "<path> untouched.",
    .options = target_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = target_check,
    .release = target_release,
    .prepare = target_prepare,
    .target_open = target_open,
    .write = target_write,
    .target_close = target_close,
    .target_discard = target_discard,
    .commit = target_commit,
    .abort = target_abort,
};
