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
#include "formats/parquet.h"
#include "connectors/catalog_update.h"
#include "connectors/file_format_opts.h"
#include "store/store.h"

#define FLUSH_BYTES (1u << 20)
/* Output buffers kept between writers (at most SPARE_BUFS, of at most
 * SPARE_MAX_BYTES each): a Parquet file's last row group (tens of MB) is
 * appended at once, and fresh memory would cost a page fault per 4 KiB
 * every time. */
#define SPARE_BUFS 4
#define SPARE_MAX_BYTES ((size_t)64 << 20)



static const sl_option target_options[] = {
    {"path", SL_OPT_PATH, NULL, "Output directory. Created if missing.", NULL, SL_OPTF_REQUIRED},
    {"format", SL_OPT_ENUM, "json", "Output format: JSON lines, CSV, Parquet or Avro.", "json|csv|parquet|avro", 0},
    {"compression", SL_OPT_ENUM, "none",
     "Compress output files: gzip (libdeflate, one gzip member per MiB, readable by every gzip reader), zstd or bzip2.",
     "none|gzip|zstd|bzip2", 0},
    {"compression_level", SL_OPT_INT, "-1", "Codec level; -1 = default (gzip 6, zstd 3, bzip2 9).", NULL, 0},
    {"mode", SL_OPT_ENUM, "append",
     "append adds this run's part files next to earlier ones (Glue's default); overwrite removes part files "
     "of earlier runs once this run's files are in place.",
     "append|overwrite", 0},
    {"delimiter", SL_OPT_STRING, ",", "CSV field delimiter (one character; \\t for tab).", NULL, 0},
    {"quote", SL_OPT_STRING, "\"", "CSV quote character.", NULL, 0},
    {"header", SL_OPT_BOOL, "true", "CSV: write a header line with the column names.", NULL, 0},
    {"partition_keys", SL_OPT_LIST, NULL,
     "Write Hive-style partitions: one directory level key=value per listed top-level field "
     "(path/year=2024/service=auth/part-...). The fields are left out of the files, as Hive and Spark do; "
     "values are escaped as Hive does, and null or empty values go to __HIVE_DEFAULT_PARTITION__.",
     NULL, 0},
    {"max_records_per_file", SL_OPT_INT, "0",
     "Start a new file after this many records (0 = no limit). Files are then numbered part-NNNNN-<run-id>-cKKKK.",
     NULL, 0},
    {"target_file_size", SL_OPT_SIZE, "0",
     "Start a new file once one reaches about this size on disk (0 = no limit), e.g. 128MB.", NULL, 0},
    {"parquet_compression", SL_OPT_ENUM, "snappy",
     "Parquet: codec of the pages inside the file (compression must then be none).", "snappy|gzip|zstd|none", 0},
    {"row_group_size", SL_OPT_SIZE, "64MB", "Parquet: data per row group (encoded, before compression).", NULL, 0},
    {"page_size", SL_OPT_SIZE, "1MB", "Parquet: data per page of a column (encoded, before compression).", NULL, 0},
    {"data_page_version", SL_OPT_INT, "1", "Parquet: data page format, 1 or 2.", NULL, 0},
    {"avro_codec", SL_OPT_ENUM, "deflate", "Avro: block codec inside the file (compression must then be none).",
     "deflate|snappy|null", 0},
    STORE_OPTIONS,
    CATALOG_SINK_OPTIONS,
    {0},
};

typedef struct target_data {
    char **pkeys;            /* partition_keys (top-level field names) */
    size_t n_pkeys;
    int64_t max_records;     /* per output file, 0 = unlimited */
    int64_t target_size;     /* bytes per output file, 0 = unlimited */
    bool rolling;            /* either limit set: files are numbered -cNNNN */
    bool created_dir;        /* the local target directory did not exist before this run */
    const sl_format *format;
    sl_format_opts fopts;
    sl_codec codec;
    int level;
    bool overwrite;
    sl_store *store;
    pthread_mutex_t lock;
    sl_store_pending **pending; /* finished parts, published on commit */
    size_t n_pending, cap_pending;
    sl_catalog_sink *sink;   /* catalog_database: table and partitions updated on commit, or NULL */
    sl_buf spare[SPARE_BUFS]; /* output buffers of finished writers, for the next ones (under lock) */
    size_t n_spare;
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
    for (size_t i = 0; i < d->n_spare; i++) sl_buf_free(&d->spare[i]);
    for (size_t i = 0; i < d->n_pkeys; i++) free(d->pkeys[i]);
    free(d->pkeys);
    sl_store_free(d->store);
    sl_catalog_sink_free(d->sink);
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
    d->max_records = sl_node_int(node, "max_records_per_file");
    d->target_size = sl_node_int(node, "target_file_size");
    d->rolling = d->max_records > 0 || d->target_size > 0;
    if (!strcmp(d->format->name, "parquet") && d->codec != SL_CODEC_NONE)
        return sl_error_set(err, SL_EINVAL, "compression must be none for parquet; use parquet_compression");
    if (!strcmp(d->format->name, "avro") && d->codec != SL_CODEC_NONE)
        return sl_error_set(err, SL_EINVAL, "compression must be none for avro; use avro_codec");
    const sl_value *keys = &sl_node_opt(node, "partition_keys")->tree;
    if (keys->type == SL_T_LIST && keys->len) {
        d->pkeys = sl_xcalloc(keys->len, sizeof *d->pkeys);
        for (uint32_t i = 0; i < keys->len; i++) {
            const sl_value *k = &keys->u.items[i];
            if (k->type != SL_T_STRING || k->len == 0 || memchr(k->u.s, '/', k->len) || memchr(k->u.s, '=', k->len)) {
                const sl_optval *o = sl_node_opt(node, "partition_keys");
                sl_error_set(err, SL_EINVAL, "partition_keys: expected top-level field names (no '/' or '=')");
                sl_error_at(err, node->job_file, o->line, o->column);
                return SL_EINVAL;
            }
            d->pkeys[d->n_pkeys++] = sl_xstrndup(k->u.s, k->len);
        }
    }
    int rc = sl_file_format_opts(node, &d->fopts, err);
    d->fopts.parquet_compression = sl_node_str(node, "parquet_compression");
    d->fopts.row_group_size = sl_node_int(node, "row_group_size");
    d->fopts.page_size = sl_node_int(node, "page_size");
    d->fopts.data_page_version = (int)sl_node_int(node, "data_page_version");
    d->fopts.avro_codec = sl_node_str(node, "avro_codec");
    sl_parquet_write_opts po;
    if (!rc && !strcmp(d->format->name, "parquet")) rc = sl_parquet_write_opts_from(&d->fopts, &po, err);
    if (!rc) rc = sl_catalog_sink_new(node, &d->sink, err);
    return rc;
}

static int target_prepare(sl_node *node, sl_run *run, sl_error *err) {
    target_data *d = node->data;
    discard_pending(d);
    if (d->store) return SL_OK;
    sl_store_options so;
    sl_file_store_options(node, &so);
    const char *path = sl_node_str(node, "path");
    int rc = sl_store_open(path, &so, &d->store, err);
    /* a local target that does not exist yet is created by the first part
     * written; remember that, so a failed run can take it away again */
    d->created_dir = !sl_store_is_remote(path) && !sl_exists(path);
    return rc;
}

/* One output file being written: a partition's current part. */
typedef struct part_file {
    char *key;              /* partition path "k1=v1/k2=v2", "" without partition_keys */
    void *encoder;          /* format state (may be NULL for stateless formats) */
    sl_store_writer *object;
    sl_outstream *out;      /* NULL while no file is open for this partition */
    sl_buf buf;
    uint64_t records;       /* in the open file */
    uint32_t seq;           /* files finished so far for this partition (rolling) */
    uint64_t last_use;
} part_file;

#define MAX_OPEN_FILES 64   /* per split; the least recently used is finished beyond that */

typedef struct writer {
    target_data *d;
    sl_node *node;
    sl_run *run;
    uint32_t split_index;
    part_file *files;
    size_t n_files, cap_files, n_open, last;
    uint64_t tick;
    sl_buf key;
    sl_gtype *written; /* catalog updates: merged type of the records written */
} writer;

/* An empty output buffer: a spare one when there is one. */
static void buf_take(target_data *d, sl_buf *b) {
    sl_buf_init(b, 0);
    pthread_mutex_lock(&d->lock);
    if (d->n_spare) *b = d->spare[--d->n_spare];
    pthread_mutex_unlock(&d->lock);
}

/* Keep b's memory for a later writer, or free it. */
static void buf_give(target_data *d, sl_buf *b) {
    if (b->data && b->cap <= SPARE_MAX_BYTES) {
        sl_buf_reset(b);
        pthread_mutex_lock(&d->lock);
        if (d->n_spare < SPARE_BUFS) {
            d->spare[d->n_spare++] = *b;
            b->data = NULL;
        }
        pthread_mutex_unlock(&d->lock);
    }
    sl_buf_free(b);
}

static void writer_free(writer *w) {
    for (size_t i = 0; i < w->n_files; i++) {
        free(w->files[i].key);
        buf_give(w->d, &w->files[i].buf);
    }
    free(w->files);
    sl_buf_free(&w->key);
    sl_gtype_free(w->written);
    free(w);
}

static int target_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    writer *w = sl_xcalloc(1, sizeof *w);
    w->d = node->data;
    w->node = node;
    w->run = run;
    w->split_index = split ? split->index : 0;
    sl_buf_init(&w->key, 0);
    *out = w; /* files open lazily: a split without records writes nothing */
    return SL_OK;
}

static int pf_open(writer *w, part_file *pf, sl_error *err) {
    target_data *d = w->d;
    char name[160];
    char counter[16] = "";
    if (d->rolling) snprintf(counter, sizeof counter, "-c%04u", pf->seq);
    snprintf(name, sizeof name, "part-%05u-%s%s%s%s", w->split_index, w->run->run_id, counter, d->format->out_ext,
             sl_codec_extension(d->codec));
    sl_buf url;
    sl_buf_init(&url, 0);
    sl_buf_adds(&url, sl_node_str(w->node, "path"));
    while (url.len > 1 && url.data[url.len - 1] == '/') url.data[--url.len] = 0;
    if (pf->key[0]) sl_buf_printf(&url, "/%s", pf->key);
    sl_buf_printf(&url, "/%s", name);
    int rc = d->format->encoder_new(&d->fopts, &pf->encoder, err);
    if (!rc) rc = sl_store_writer_open(d->store, url.data, w->run->run_id, &pf->object, err);
    if (!rc) rc = sl_outstream_open_writer(url.data, pf->object, d->codec, d->level, &pf->out, err);
    sl_buf_free(&url);
    if (rc) {
        sl_store_writer_abort(pf->object);
        if (pf->encoder) d->format->encoder_free(pf->encoder);
        pf->encoder = NULL;
        pf->object = NULL;
        pf->out = NULL;
        return rc;
    }
    pf->records = 0;
    w->n_open++;
    return SL_OK;
}

static int pf_flush(part_file *pf, sl_error *err) {
    if (!pf->buf.len) return SL_OK;
    int rc = sl_outstream_write(pf->out, pf->buf.data, pf->buf.len, err);
    sl_buf_reset(&pf->buf);
    return rc;
}

static void add_pending(target_data *d, sl_store_pending *p) {
    pthread_mutex_lock(&d->lock);
    if (d->n_pending == d->cap_pending) {
        d->cap_pending = d->cap_pending ? d->cap_pending * 2 : 16;
        d->pending = sl_xrealloc(d->pending, d->cap_pending * sizeof *d->pending);
    }
    d->pending[d->n_pending++] = p;
    pthread_mutex_unlock(&d->lock);
}

static void pf_discard(writer *w, part_file *pf) {
    if (!pf->out) return;
    sl_outstream_discard(pf->out);
    sl_store_writer_abort(pf->object);
    if (pf->encoder) w->d->format->encoder_free(pf->encoder);
    pf->encoder = NULL;
    pf->out = NULL;
    w->n_open--;
}

/* Complete the open file of pf (staged, published at commit). */
static int pf_finish(writer *w, part_file *pf, sl_error *err) {
    target_data *d = w->d;
    if (!pf->out) return SL_OK;
    if (pf->records == 0) { /* every record went to the error output: no empty file */
        pf_discard(w, pf);
        return SL_OK;
    }
    int rc = d->format->encode_finish ? d->format->encode_finish(pf->encoder, &pf->buf, err) : SL_OK;
    if (!rc) rc = pf_flush(pf, err);
    uint64_t bytes = sl_outstream_bytes_out(pf->out);
    if (rc) sl_outstream_discard(pf->out);
    else rc = sl_outstream_close(pf->out, false, err);
    sl_store_pending *p = NULL;
    if (rc) sl_store_writer_abort(pf->object);
    else rc = sl_store_writer_finish(pf->object, &p, err);
    if (!rc) {
        __atomic_fetch_add(&w->node->stats.bytes_out, bytes, __ATOMIC_RELAXED);
        add_pending(d, p);
    }
    if (pf->encoder) d->format->encoder_free(pf->encoder);
    pf->encoder = NULL;
    pf->object = NULL;
    pf->out = NULL;
    pf->seq++;
    w->n_open--;
    return rc;
}


/* Hive's escaping of a partition value (FileUtils.escapePathName): these
 * bytes and control characters become %XX. Null and "" become
 * __HIVE_DEFAULT_PARTITION__. A value can never leave the target: it always
 * sits after "key=" inside one path segment. */
static void hive_escape(sl_buf *out, const char *s, size_t len) {
    static const char special[] = "\"#%'*/:=?\\{[]^";
    if (len == 0) {
        sl_buf_adds(out, "__HIVE_DEFAULT_PARTITION__");
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || (c && strchr(special, c))) sl_buf_printf(out, "%%%02X", c);
        else sl_buf_addc(out, (char)c);
    }
}

/* Partition path of rec into w->key; *data is rec without the partition
 * fields (a new struct in a when partition keys exist). */
static void route(writer *w, sl_arena *a, const sl_value *rec, sl_value *data) {
    target_data *d = w->d;
    sl_buf_reset(&w->key);
    if (!d->n_pkeys || rec->type != SL_T_STRUCT) {
        *data = *rec;
        return;
    }
    for (size_t k = 0; k < d->n_pkeys; k++) {
        const char *name = d->pkeys[k];
        const sl_value *v = sl_struct_get(rec, name);
        if (k) sl_buf_addc(&w->key, '/');
        hive_escape(&w->key, name, strlen(name));
        sl_buf_addc(&w->key, '=');
        if (!v || v->type == SL_T_NULL) {
            sl_buf_adds(&w->key, "__HIVE_DEFAULT_PARTITION__");
        } else {
            sl_value t = sl_value_to_text(a, v);
            hive_escape(&w->key, t.u.s, t.len);
        }
    }
    sl_field *fields = sl_arena_alloc(a, (rec->len ? rec->len : 1) * sizeof *fields);
    uint32_t n = 0;
    for (uint32_t i = 0; i < rec->len; i++) {
        const sl_field *f = &rec->u.fields[i];
        bool is_key = false;
        for (size_t k = 0; k < d->n_pkeys && !is_key; k++)
            is_key = strlen(d->pkeys[k]) == f->name_len && memcmp(d->pkeys[k], f->name, f->name_len) == 0;
        if (!is_key) fields[n++] = *f;
    }
    *data = sl_struct(fields, n);
}

/* The part file for w->key, opening it (and finishing the least recently
 * used one past MAX_OPEN_FILES) when needed. */
static int file_for_key(writer *w, part_file **out, sl_error *err) {
    if (!w->d->n_pkeys && w->n_files && w->files[0].out) { /* unpartitioned: one file, already open */
        w->files[0].last_use = ++w->tick;
        *out = &w->files[0];
        return SL_OK;
    }
    const char *key = w->key.data ? w->key.data : "";
    part_file *pf = NULL;
    if (w->n_files && !strcmp(w->files[w->last].key, key)) pf = &w->files[w->last];
    for (size_t i = 0; !pf && i < w->n_files; i++)
        if (!strcmp(w->files[i].key, key)) {
            pf = &w->files[i];
            w->last = i;
        }
    if (!pf) {
        if (w->n_files == w->cap_files) {
            w->cap_files = w->cap_files ? w->cap_files * 2 : 4;
            w->files = sl_xrealloc(w->files, w->cap_files * sizeof *w->files);
        }
        pf = &w->files[w->n_files];
        memset(pf, 0, sizeof *pf);
        pf->key = sl_xstrdup(key);
        buf_take(w->d, &pf->buf);
        w->last = w->n_files++;
    }
    pf->last_use = ++w->tick;
    if (pf->out) {
        *out = pf;
        return SL_OK;
    }
    if (w->n_open >= MAX_OPEN_FILES) {
        part_file *lru = NULL;
        for (size_t i = 0; i < w->n_files; i++)
            if (w->files[i].out && (!lru || w->files[i].last_use < lru->last_use)) lru = &w->files[i];
        int rc = pf_finish(w, lru, err);
        if (rc) return rc;
    }
    int rc = pf_open(w, pf, err);
    if (!rc) *out = pf;
    return rc;
}

static int target_write(void *state, sl_batch *b, sl_error *err) {
    writer *w = state;
    target_data *d = w->d;
    sl_error e; /* only written on failure: cleared once, and after each use */
    sl_error_clear(&e);
    for (size_t i = 0; i < b->count; i++) {
        sl_value data;
        route(w, &b->arena, &b->records[i], &data);
        part_file *pf;
        int rc = file_for_key(w, &pf, err);
        if (rc) return rc;
        size_t mark = pf->buf.len;
        int erc = d->format->encode(pf->encoder, &pf->buf, &data, &e);
        if (erc != 0) {
            pf->buf.len = mark;
            if (erc != SL_ETYPE) { /* not this record's fault: the run fails */
                *err = e;
                return erc;
            }
            rc = sl_run_reject(w->run, w->node, b, i, e.message, err);
            sl_error_clear(&e);
            if (rc) return rc;
            continue;
        }
        pf->records++;
        if (d->sink) sl_catalog_sink_observe(&w->written, &data);
        if (pf->buf.len >= FLUSH_BYTES && (rc = pf_flush(pf, err)) != 0) return rc;
        if (d->rolling && ((d->max_records > 0 && pf->records >= (uint64_t)d->max_records) ||
                           (d->target_size > 0 && sl_outstream_bytes_out(pf->out) + pf->buf.len >= (uint64_t)d->target_size))) {
            rc = pf_finish(w, pf, err);
            if (rc) return rc;
        }
    }
    return SL_OK;
}

static int target_close(void *state, sl_error *err) {
    writer *w = state;
    int rc = SL_OK;
    for (size_t i = 0; i < w->n_files; i++) {
        if (!rc) rc = pf_finish(w, &w->files[i], err);
        else pf_discard(w, &w->files[i]);
    }
    if (!rc && w->d->sink) {
        const char **keys = sl_xcalloc(w->n_files + 1, sizeof *keys);
        for (size_t i = 0; i < w->n_files; i++)
            keys[i] = w->files[i].key;
        sl_catalog_sink_merge(w->d->sink, w->written, keys, w->n_files);
        w->written = NULL;
        free(keys);
    }
    writer_free(w);
    return rc;
}

static void target_discard(void *state) {
    writer *w = state;
    for (size_t i = 0; i < w->n_files; i++) pf_discard(w, &w->files[i]);
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
    int rc = sl_store_list_objects(d->store, dir, true, &l, &e); /* every partition */
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
    if (d->n_pending > 1) qsort(d->pending, d->n_pending, sizeof *d->pending, cmp_pending);
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
    if (!rc && d->sink)
        rc = sl_catalog_sink_commit(d->sink, dir, d->format->name, sl_node_str(node, "compression"), d->fopts.delimiter,
                                    d->fopts.header, (const char *const *)d->pkeys, d->n_pkeys, err);
    return rc;
}

static void target_abort(sl_node *node, sl_run *run) {
    target_data *d = node->data;
    if (!d) return;
    discard_pending(d);
    /* leave no trace: only this run can have put anything into a directory
     * that did not exist before it */
    if (d->created_dir) sl_rmtree(sl_node_str(node, "path"), NULL);
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
