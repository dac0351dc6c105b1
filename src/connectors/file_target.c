/*
 * file_target.c — the `write_file` target: JSON lines or CSV files, optionally
 * gzip/zstd compressed, in a local directory.
 *
 * Publishing (how a run's output becomes visible):
 *   1. prepare: the directory <path>/_staging-<run-id>/ is created. Names
 *      starting with '_' are skipped by every reader (sluice, Spark, Hive,
 *      DuckDB's hive globbing), so nothing in it is ever read as data.
 *   2. each (split) writes part-NNNNN-<run-id>.<ext> there.
 *   3. commit (only when the whole run succeeded): each staged part is
 *      renamed into <path>/ (rename is atomic per file: a reader sees a part
 *      whole or not at all); with mode overwrite, part files of earlier runs
 *      are then removed; finally <path>/_SUCCESS is written naming the run
 *      and its files, and the staging directory is removed.
 *   4. abort (any failure): the staging directory is removed; <path> is as
 *      it was before the run. A killed run leaves only a _staging-* directory,
 *      which readers ignore and the next `sluice run` of the job may delete.
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
    {0},
};

typedef struct target_data {
    const sl_format *format;
    sl_format_opts fopts;
    sl_codec codec;
    int level;
    bool overwrite;
    char *dir;
    char *staging;
    pthread_mutex_t lock;
    sl_strlist staged; /* file names (not paths) finished in staging */
} target_data;

static void target_release(sl_node *node) {
    target_data *d = node->data;
    if (!d) return;
    free(d->dir);
    free(d->staging);
    sl_strlist_free(&d->staged);
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
    free(d->dir);
    free(d->staging);
    sl_strlist_free(&d->staged);
    d->dir = sl_xstrdup(sl_node_str(node, "path"));
    char name[64];
    snprintf(name, sizeof name, "_staging-%s", run->run_id);
    d->staging = sl_path_join(d->dir, name);
    return sl_mkdirs(d->staging, err);
}

typedef struct writer {
    target_data *d;
    sl_node *node;
    sl_run *run;
    void *encoder;
    sl_outstream *out;
    sl_buf buf;
    char *name;
} writer;

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
    w->name = sl_xstrdup(name);
    char *path = sl_path_join(d->staging, name);
    int rc = d->format->encoder_new(&d->fopts, &w->encoder, err);
    if (!rc) rc = sl_outstream_open(path, d->codec, d->level, &w->out, err);
    free(path);
    if (rc) {
        if (w->encoder) d->format->encoder_free(w->encoder);
        sl_buf_free(&w->buf);
        free(w->name);
        free(w);
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

static void writer_free(writer *w) {
    if (w->encoder) w->d->format->encoder_free(w->encoder);
    sl_buf_free(&w->buf);
    free(w->name);
    free(w);
}

static int target_close(void *state, sl_error *err) {
    writer *w = state;
    int rc = flush(w, err);
    if (rc) {
        sl_outstream_discard(w->out);
    } else {
        __atomic_fetch_add(&w->node->stats.bytes_out, sl_outstream_bytes_out(w->out), __ATOMIC_RELAXED);
        rc = sl_outstream_close(w->out, false, err);
    }
    if (!rc) {
        pthread_mutex_lock(&w->d->lock);
        sl_strlist_add(&w->d->staged, w->name);
        w->name = NULL;
        pthread_mutex_unlock(&w->d->lock);
    }
    writer_free(w);
    return rc;
}

static void target_discard(void *state) {
    writer *w = state;
    sl_outstream_discard(w->out);
    writer_free(w);
}

/* Remove part files of other runs (mode overwrite). */
static int remove_old_parts(target_data *d, const char *run_id, sl_error *err) {
    DIR *dir = opendir(d->dir);
    if (!dir) return sl_error_set(err, SL_EIO, "cannot list %s: %s", d->dir, strerror(errno));
    struct dirent *e;
    int rc = SL_OK;
    while (!rc && (e = readdir(dir)) != NULL) {
        if (strncmp(e->d_name, "part-", 5) != 0 || strstr(e->d_name, run_id)) continue;
        char *p = sl_path_join(d->dir, e->d_name);
        if (unlink(p) != 0) rc = sl_error_set(err, SL_EIO, "cannot remove old output %s: %s", p, strerror(errno));
        free(p);
    }
    closedir(dir);
    return rc;
}

static int write_success(target_data *d, sl_run *run, sl_error *err) {
    char *p = sl_path_join(d->dir, "_SUCCESS");
    FILE *f = fopen(p, "w");
    int rc = SL_OK;
    if (!f) {
        rc = sl_error_set(err, SL_EIO, "cannot write %s: %s", p, strerror(errno));
    } else {
        fprintf(f, "run_id %s\n", run->run_id);
        for (size_t i = 0; i < d->staged.count; i++) fprintf(f, "file %s\n", d->staged.items[i]);
        if (fclose(f) != 0) rc = sl_error_set(err, SL_EIO, "cannot write %s", p);
    }
    free(p);
    return rc;
}

static int target_commit(sl_node *node, sl_run *run, sl_error *err) {
    target_data *d = node->data;
    sl_strlist_sort(&d->staged);
    int rc = SL_OK;
    for (size_t i = 0; !rc && i < d->staged.count; i++) {
        char *from = sl_path_join(d->staging, d->staged.items[i]);
        char *to = sl_path_join(d->dir, d->staged.items[i]);
        if (rename(from, to) != 0) rc = sl_error_set(err, SL_EIO, "cannot publish %s: %s", to, strerror(errno));
        free(from);
        free(to);
    }
    if (!rc && d->overwrite) rc = remove_old_parts(d, run->run_id, err);
    if (!rc) rc = write_success(d, run, err);
    if (!rc) rc = sl_rmtree(d->staging, err);
    return rc;
}

static void target_abort(sl_node *node, sl_run *run) {
    target_data *d = node->data;
    if (d && d->staging) sl_rmtree(d->staging, NULL);
}

const sl_node_type sl_write_file_type = {
    .name = "write_file",
    .kind = SL_NODE_TARGET,
    .summary = "write JSON lines or CSV files (optionally gzip/zstd) into a directory, published atomically",
    .help = "Like Glue's write_dynamic_frame.from_options. Each input split becomes one part file "
            "part-NNNNN-<run-id>.<ext>. Files are written under <path>/_staging-<run-id>/ and moved into "
            "<path> only when the whole run succeeds; a failed run leaves <path> untouched.",
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
