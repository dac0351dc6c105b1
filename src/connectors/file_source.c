/*
 * file_source.c — the `read_file` source: local files, directories and globs
 * in JSON (NDJSON, arrays), CSV or DynamoDB JSON, gzip/zstd detected from
 * magic bytes.
 *
 * Planning: every input file is a split; an uncompressed, line-splittable
 * file larger than split_size is cut into byte ranges so several workers
 * read it at once. A range reader starts after the first newline at or after
 * its start (the line before belongs to the previous range) and stops after
 * the first newline at or after its end, so every line is read exactly once.
 *
 * Reading: input is read into 4 MiB chunks; records point into the chunk,
 * which is pinned (reference counted) to each batch that uses it and
 * recycled when the last batch lets go.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/mem.h"
#include "exec/run.h"
#include "formats/compress.h"
#include "formats/format.h"
#include "connectors/file_format_opts.h"
#include "formats/json.h"
#include "formats/csv.h"
#include "core/expr.h"
#include "store/store.h"

#define CHUNK_SIZE (4u << 20)
#define HEAD_BYTES (1u << 20) /* sniffing: compression, first line, CSV header */

static const sl_option source_options[] = {
    {"path", SL_OPT_PATH, NULL,
     "A file, a directory (every file below it; names starting with '.' or '_' are skipped) or a glob "
     "(logs/2024-*.json.gz).",
     NULL, SL_OPTF_REQUIRED},
    {"format", SL_OPT_ENUM, "auto",
     "Record format. auto picks by extension (.json/.jsonl/.ndjson, .csv/.tsv, .ddb.json). dynamodb_json reads "
     "DynamoDB-typed items, one per line, as DynamoDB's export to S3 writes them ({\"Item\": {...}}).",
     "auto|json|csv|dynamodb_json|avro|parquet", 0},
    {"recursive", SL_OPT_BOOL, "true", "Descend into subdirectories of a directory path.", NULL, 0},
    {"split_size", SL_OPT_SIZE, "64MB",
     "Uncompressed files larger than this are read as several byte ranges in parallel (JSON lines, and CSV "
     "unless multiline is set). Left unset, a big file is cut into at least four ranges per worker thread "
     "(each at least 8MB) so the workers finish together. Compressed files are always read whole.",
     NULL, 0},
    {"delimiter", SL_OPT_STRING, ",", "CSV field delimiter (one character; \\t for tab).", NULL, 0},
    {"quote", SL_OPT_STRING, "\"", "CSV quote character.", NULL, 0},
    {"escape", SL_OPT_STRING, "",
     "CSV escape character inside quotes. Empty (the default) means the quote character itself, RFC 4180's "
     "doubling (\"\" inside a quoted field); \\\\ for backslash escapes.",
     NULL, 0},
    {"header", SL_OPT_BOOL, "true", "CSV: the first line holds the column names (else _c0, _c1, ...).", NULL, 0},
    {"null_text", SL_OPT_STRING, "", "CSV: unquoted field text that means null.", NULL, 0},
    {"infer_types", SL_OPT_BOOL, "true",
     "CSV: read integers, decimals and true/false as numbers and booleans; otherwise every field is a string.",
     NULL, 0},
    {"types", SL_OPT_TREE, NULL, "CSV: per-column types overriding inference, e.g. {policy_id: string, age: long}.",
     NULL, 0},
    {"multiline", SL_OPT_BOOL, "false",
     "CSV: quoted fields may contain line breaks. Such files are read whole instead of in byte ranges.", NULL, 0},
    {"columns", SL_OPT_LIST, NULL,
     "Parquet: read only these top-level columns, in this order, e.g. [log_id, service_name]; the other column "
     "chunks are never fetched. Unset: every column.",
     NULL, 0},
    {"predicate", SL_OPT_EXPR, NULL,
     "Parquet: skip row groups whose column statistics (min, max, null count) show that no row can make this "
     "expression true. Used: comparisons of a column (or struct.field) with a literal (=, !=, <, <=, >, >=, "
     "between, in, is [not] null) joined by and/or; anything else keeps the row group. Rows of the row groups "
     "read are NOT filtered: add a filter node with the same expression for that.",
     NULL, 0},
    {"partition_predicate", SL_OPT_EXPR, NULL,
     "For Hive-style partitioned folders (key=value directories, which become fields of every record): read "
     "only the partitions for which this expression over the partition fields is true, e.g. "
     "year = 2024 and service in ('auth', 'pay'). Files outside any partition are always read.",
     NULL, 0},
    STORE_OPTIONS,
    {0},
};

typedef struct source_data {
    sl_store *store;         /* opened by prepare */
    const sl_format *format; /* NULL = by extension per file */
    sl_format_opts fopts;
    bool multiline;
    sl_expr *partition_predicate; /* prunes partitions at plan time, or NULL */
    sl_arena parts;          /* partition value structs the splits point to */
    uint64_t files_pruned;
    uint64_t *object_sizes;  /* plan: size of each listed object, by file_index (object_open_range) */
} source_data;

static int char_option(sl_node *node, const char *name, char *out, sl_error *err) {
    const char *s = sl_node_str(node, name);
    if (!strcmp(s, "\\t")) s = "\t";
    else if (!strcmp(s, "\\\\")) s = "\\";
    if (strlen(s) != 1) {
        sl_error_set(err, SL_EINVAL, "option '%s' must be a single character, got '%s'", name, s);
        const sl_optval *o = sl_node_opt(node, name);
        sl_error_at(err, node->job_file, o->line ? o->line : node->line, o->column);
        return SL_EINVAL;
    }
    *out = s[0];
    return SL_OK;
}

void sl_file_store_options(const sl_node *node, sl_store_options *so) {
    memset(so, 0, sizeof *so);
    so->region = sl_node_str(node, "region");
    so->endpoint = sl_node_str(node, "endpoint");
    so->profile = sl_node_str(node, "profile");
}

int sl_file_format_opts(sl_node *node, sl_format_opts *fo, sl_error *err) {
    sl_format_opts_default(fo);
    int rc = char_option(node, "delimiter", &fo->delimiter, err);
    if (!rc) rc = char_option(node, "quote", &fo->quote, err);
    if (rc) return rc;
    fo->escape = fo->quote; /* RFC 4180 doubling unless an escape option says otherwise */
    fo->header = sl_node_bool(node, "header");
    for (const sl_option *o = node->type->options; o->name; o++) {
        if (!strcmp(o->name, "escape")) {
            if (sl_node_str(node, "escape")[0]) rc = char_option(node, "escape", &fo->escape, err);
            else fo->escape = fo->quote;
        }
        if (!strcmp(o->name, "null_text")) fo->null_text = sl_node_str(node, "null_text");
        if (!strcmp(o->name, "infer_types")) fo->infer_types = sl_node_bool(node, "infer_types");
        if (!strcmp(o->name, "multiline")) fo->multiline = sl_node_bool(node, "multiline");
        if (!strcmp(o->name, "types") && sl_node_opt(node, "types")->set) fo->types = &sl_node_opt(node, "types")->tree;
        if (!strcmp(o->name, "columns") && sl_node_opt(node, "columns")->set)
            fo->columns = &sl_node_opt(node, "columns")->tree;
        if (!strcmp(o->name, "predicate")) fo->predicate = sl_node_opt(node, "predicate")->text;
        if (rc) return rc;
    }
    return SL_OK;
}

static int source_check(sl_node *node, sl_error *err) {
    source_data *d = sl_xcalloc(1, sizeof *d);
    node->data = d;
    sl_arena_init(&d->parts);
    const sl_optval *pp = sl_node_opt(node, "partition_predicate");
    if (pp->text && pp->text[0] && sl_expr_compile(pp->text, &d->partition_predicate, err) != 0) {
        sl_error_at(err, node->job_file, pp->line, pp->column);
        return SL_EINVAL;
    }
    const char *fmt = sl_node_str(node, "format");
    d->format = strcmp(fmt, "auto") ? sl_format_find(fmt) : NULL;
    int rc = sl_file_format_opts(node, &d->fopts, err);
    d->multiline = sl_node_bool(node, "multiline");
    if (!rc && d->fopts.types && d->fopts.types->type != SL_T_STRUCT) {
        sl_error_set(err, SL_EINVAL, "'types' must be a mapping of column name to type");
        const sl_optval *o = sl_node_opt(node, "types");
        sl_error_at(err, node->job_file, o->line, o->column);
        rc = SL_EINVAL;
    }
    const sl_optval *pred = sl_node_opt(node, "predicate");
    if (!rc && pred->text && pred->text[0]) { /* compiled per file by the Parquet reader; checked here */
        sl_expr *probe = NULL;
        if (sl_expr_compile(pred->text, &probe, err) != 0) {
            sl_error_at(err, node->job_file, pred->line, pred->column);
            rc = SL_EINVAL;
        }
        sl_expr_free(probe);
    }
    if (!rc && sl_node_int(node, "split_size") < 4096) {
        sl_error_set(err, SL_EINVAL, "split_size must be at least 4KB");
        rc = SL_EINVAL;
    }
    return rc;
}

static void source_release(sl_node *node) {
    source_data *d = node->data;
    if (d) {
        sl_store_free(d->store);
        sl_expr_free(d->partition_predicate);
        sl_arena_free(&d->parts);
        free(d->object_sizes);
    }
    free(d);
    node->data = NULL;
}

static int source_prepare(sl_node *node, sl_run *run, sl_error *err) {
    source_data *d = node->data;
    d->fopts.projection = node->projection; /* CSV decodes only the columns its consumer reads */
    if (d->store) return SL_OK;
    sl_store_options so;
    sl_file_store_options(node, &so);
    return sl_store_open(sl_node_str(node, "path"), &so, &d->store, err);
}

static const sl_format *format_for(const source_data *d, const char *path, sl_error *err) {
    if (d->format) return d->format;
    const sl_format *f = sl_format_for_path(path);
    if (!f)
        sl_error_set(err, SL_EINVAL, "%s: cannot tell the format from the file name; set format (%s)", path,
                     sl_format_names());
    return f;
}

/* Up to cap bytes from the start of an object (raw, not decompressed). */
static size_t read_head(sl_store *store, const char *url, char *buf, size_t cap) {
    sl_store_reader *r;
    if (sl_store_reader_open(store, url, 0, cap, &r, NULL) != 0) return 0;
    size_t n = 0, got = 0;
    while (n < cap && sl_store_read(r, buf + n, cap - n, &got, NULL) == 0 && got) n += got;
    sl_store_reader_close(r);
    return n;
}

static bool is_compressed(const char *head, size_t n) {
    return sl_codec_detect(head, n) != SL_CODEC_NONE || sl_codec_sniff_name(head, n) != NULL;
}

/* Can this uncompressed JSON file be cut at newlines? Yes when its first
 * line is a whole JSON value (JSON lines), not the start of an array or a
 * pretty-printed object. */
static bool first_line_is_record(const char *head, size_t n) {
    const char *nl = memchr(head, '\n', n);
    if (!nl) return false;
    sl_arena a;
    sl_arena_init(&a);
    sl_value v;
    bool ok = sl_json_parse(head, (size_t)(nl - head), &a, &v, NULL) == 0 && v.type == SL_T_STRUCT;
    sl_arena_free(&a);
    return ok;
}

/* Hive-style partition values in url below base ("base/year=2024/s=a%2Fb/f.json"
 * → {year: 2024, s: "a/b"}), built in a; NULL when there are none. Values
 * are unescaped; integers become longs, __HIVE_DEFAULT_PARTITION__ null. */
static sl_value *partition_values(sl_arena *a, const char *base, const char *url) {
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    if (strncmp(url, base, bl) != 0 || url[bl] != '/') return NULL;
    const char *p = url + bl + 1;
    sl_field fields[32];
    uint32_t n = 0;
    for (const char *slash; (slash = strchr(p, '/')) != NULL && n < 32; p = slash + 1) {
        const char *eq = memchr(p, '=', (size_t)(slash - p));
        if (!eq || eq == p) continue;
        char *val = sl_arena_alloc(a, (size_t)(slash - eq));
        size_t vl = 0;
        for (const char *q = eq + 1; q < slash; q++) {
            unsigned hi, lo;
            if (*q == '%' && slash - q > 2 && sscanf(q + 1, "%1x%1x", &hi, &lo) == 2) {
                val[vl++] = (char)(hi << 4 | lo);
                q += 2;
            } else {
                val[vl++] = *q;
            }
        }
        sl_value v;
        if (vl == 26 && !memcmp(val, "__HIVE_DEFAULT_PARTITION__", 26)) v = sl_null();
        else if (sl_csv_infer_text(val, vl, &v) != SL_T_INT) v = sl_string_copy(a, val, vl);
        fields[n].name = sl_arena_strndup(a, p, (size_t)(eq - p));
        fields[n].name_len = (uint32_t)(eq - p);
        fields[n].name_flags = sl_json_plain(p, (size_t)(eq - p)) ? SL_VF_JSON_PLAIN : 0;
        fields[n].value = v;
        n++;
    }
    if (!n) return NULL;
    sl_field *copy = sl_arena_alloc(a, n * sizeof *copy);
    memcpy(copy, fields, n * sizeof *copy);
    sl_value *rec = sl_arena_alloc(a, sizeof *rec);
    *rec = sl_struct(copy, n);
    return rec;
}

static void add_split(sl_split **splits, size_t *n, size_t *cap, const char *path, uint64_t off, uint64_t len,
                      uint32_t file_index) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *splits = sl_xrealloc(*splits, *cap * sizeof **splits);
    }
    sl_split *s = &(*splits)[*n];
    memset(s, 0, sizeof *s);
    s->path = sl_xstrdup(path);
    s->offset = off;
    s->length = len;
    s->index = (uint32_t)*n;
    s->file_index = file_index;
    (*n)++;
}

static int source_plan(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err) {
    source_data *d = node->data;
    sl_store_list files = {0};
    int rc = sl_store_list_objects(d->store, sl_node_str(node, "path"), sl_node_bool(node, "recursive"), &files, err);
    uint64_t split_size = (uint64_t)sl_node_int(node, "split_size");
    size_t n = 0, cap = 0;
    char *head = sl_xmalloc(HEAD_BYTES);
    *splits = NULL;
    d->object_sizes = sl_xrealloc(d->object_sizes, (files.count + 1) * sizeof *d->object_sizes);
    for (size_t i = 0; !rc && i < files.count; i++) {
        const char *url = files.items[i].url;
        uint64_t size = files.items[i].size;
        d->object_sizes[i] = size;
        sl_value *parts = partition_values(&d->parts, sl_node_str(node, "path"), url);
        if (parts && d->partition_predicate) {
            int truth = 0;
            sl_error perr;
            sl_error_clear(&perr);
            if (sl_expr_eval_bool(d->partition_predicate, parts, &d->parts, &truth, &perr) != 0 || truth != 1) {
                d->files_pruned++;
                continue;
            }
        }
        size_t first_split = n;
        const sl_format *f = format_for(d, url, err);
        if (!f) {
            rc = SL_EINVAL;
            break;
        }
        bool ranges = f->object_open_range && size > split_size; /* a big random-access object read in parts */
        if (f->object_open && !ranges) { /* random-access format: whole object, its size known */
            add_split(splits, &n, &cap, url, 0, size, (uint32_t)i);
            (*splits)[n - 1].data = parts;
            continue;
        }
        bool splittable = ranges || (f->line_splittable && size > split_size && !(f->needs_header && d->multiline));
        if (splittable && !ranges) {
            size_t hn = read_head(d->store, url, head, HEAD_BYTES);
            splittable = !is_compressed(head, hn) && (f->needs_header || first_line_is_record(head, hn));
        }
        if (!splittable) {
            add_split(splits, &n, &cap, url, 0, UINT64_MAX, (uint32_t)i);
            (*splits)[n - 1].data = parts;
            continue;
        }
        /* Unless split_size was set, cut a big file into at least 4 ranges per
         * worker (each at least 8 MB) so workers finish together. */
        uint64_t range = split_size;
        uint64_t balanced = size / ((uint64_t)run->threads * 4);
        if (!sl_node_opt(node, "split_size")->set && balanced < range) range = balanced > (8u << 20) ? balanced : (8u << 20);
        for (uint64_t off = 0; off < size; off += range)
            add_split(splits, &n, &cap, url, off, off + range < size ? range : UINT64_MAX, (uint32_t)i);
        for (size_t k = first_split; k < n; k++) (*splits)[k].data = parts;
    }
    free(head);
    sl_store_list_free(&files);
    if (rc) {
        for (size_t i = 0; i < n; i++) free((*splits)[i].path);
        free(*splits);
        *splits = NULL;
        return rc;
    }
    *n_splits = n;
    return SL_OK;
}

/* ---- reader ---- */

typedef struct chunk chunk;
typedef struct reader reader;

struct chunk {
    chunk *next_free;
    int refs;
    size_t cap;
    char data[];
};

struct reader {
    sl_node *node;
    sl_run *run;
    const sl_split *split;
    const sl_format *format;
    void *decoder;
    sl_instream *in;
    chunk *cur;
    size_t pos, len;      /* unconsumed data is cur->data[pos..len) */
    uint64_t file_pos;    /* file offset of cur->data[len] (next byte read) */
    bool eof;             /* no more input after cur->data[len] */
    bool skipping;        /* range reader: still skipping the partial first line */
    uint64_t limit;       /* range reader: stop after the first '\n' at or after this offset */
    bool limited;
    sl_decode_ctx ctx;
    sl_error reject_err; /* why the error output refused a record (threshold) */
    void *object;        /* random-access format decoder (format->object_open), or NULL */
};

/* Chunks are recycled through a small process-wide pool: every split of a
 * big file opens a new reader, and fresh pages cost far more to fill than
 * reused ones. */
#define POOL_MAX 4
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static chunk *pool;
static int pool_n;

static void chunk_unref(void *ptr, void *ctx) {
    chunk *c = ptr;
    (void)ctx;
    if (--c->refs > 0) return;
    if (c->cap == CHUNK_SIZE) {
        pthread_mutex_lock(&pool_lock);
        if (pool_n < POOL_MAX) {
            c->next_free = pool;
            pool = c;
            pool_n++;
            c = NULL;
        }
        pthread_mutex_unlock(&pool_lock);
    }
    free(c);
}

static chunk *chunk_new(reader *r, size_t cap) {
    chunk *c = NULL;
    if (cap <= CHUNK_SIZE) {
        pthread_mutex_lock(&pool_lock);
        if (pool) {
            c = pool;
            pool = c->next_free;
            pool_n--;
        }
        pthread_mutex_unlock(&pool_lock);
    }
    if (!c) {
        if (cap < CHUNK_SIZE) cap = CHUNK_SIZE;
        c = sl_xmalloc(sizeof *c + cap + 1);
        c->cap = cap;
    }
    c->refs = 1;
    c->next_free = NULL;
    return c;
}

static int reject(void *ud, uint64_t line, int64_t offset, const char *reason, const char *raw, size_t raw_len) {
    reader *r = ud;
    /* lines are counted from the start of a byte range; only the first range knows file lines */
    return sl_run_reject_raw(r->run, r->node, r->split->path, r->split->offset == 0 ? line : 0, offset, reason, raw,
                             raw_len, &r->reject_err);
}

static int read_header_line(reader *r, sl_error *err) {
    source_data *d = r->node->data;
    char *head = sl_xmalloc(HEAD_BYTES);
    size_t n = read_head(d->store, r->split->path, head, HEAD_BYTES);
    const char *nl = memchr(head, '\n', n);
    size_t len = nl ? (size_t)(nl - head) : n;
    while (len > 0 && head[len - 1] == '\r') len--;
    int rc = len ? r->format->set_header(r->decoder, head, len, err) : SL_OK;
    free(head);
    return rc;
}

static int source_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    source_data *d = node->data;
    reader *r = sl_xcalloc(1, sizeof *r);
    r->node = node;
    r->run = run;
    r->split = split;
    r->format = format_for(d, split->path, err);
    if (r->format && r->format->object_open) {
        int orc = r->format->object_open_range
                      ? r->format->object_open_range(d->store, split->path,
                                                     d->object_sizes ? d->object_sizes[split->file_index] : UINT64_MAX,
                                                     split->offset, split->length, &d->fopts, &r->object, err)
                      : r->format->object_open(d->store, split->path, split->length, &d->fopts, &r->object, err);
        if (orc) {
            free(r);
            return orc;
        }
        r->ctx.max_records = (size_t)(run->job->settings.batch_records > 0 ? run->job->settings.batch_records : SL_BATCH_DEFAULT_RECORDS);
        r->ctx.reject = reject;
        r->ctx.ud = r;
        *out = r;
        return SL_OK;
    }
    int rc = r->format ? r->format->decoder_new(&d->fopts, &r->decoder, err) : SL_EINVAL;
    uint64_t start = split->offset > 0 ? split->offset - 1 : 0;
    sl_store_reader *rd = NULL;
    if (!rc) rc = sl_store_reader_open(d->store, split->path, start, UINT64_MAX, &rd, err);
    if (!rc) rc = sl_instream_open_reader(split->path, rd, start == 0, &r->in, err);
    if (!rc && split->offset > 0 && r->format->set_header) rc = read_header_line(r, err);
    if (rc) {
        if (r->decoder) r->format->decoder_free(r->decoder);
        sl_instream_close(r->in);
        free(r);
        return rc;
    }
    r->file_pos = start;
    r->skipping = split->offset > 0;
    r->limited = split->length != UINT64_MAX;
    r->limit = split->offset + (r->limited ? split->length : 0) - 1;
    r->ctx.max_records = (size_t)(run->job->settings.batch_records > 0 ? run->job->settings.batch_records : SL_BATCH_DEFAULT_RECORDS);
    r->ctx.line = 1;
    r->ctx.offset = (int64_t)split->offset;
    r->ctx.reject = reject;
    r->ctx.ud = r;
    *out = r;
    return SL_OK;
}

/* Read more input into the current chunk (moving the unconsumed tail to a
 * fresh chunk when the current one is full). */
static int fill(reader *r, sl_error *err) {
    size_t tail = r->len - r->pos;
    if (!r->cur || r->cur->cap - r->len < CHUNK_SIZE / 4) {
        size_t want = tail * 2 > CHUNK_SIZE ? tail * 2 : CHUNK_SIZE;
        chunk *c = chunk_new(r, want);
        if (tail) memcpy(c->data, r->cur->data + r->pos, tail);
        if (r->cur) chunk_unref(r->cur, NULL);
        r->cur = c;
        r->pos = 0;
        r->len = tail;
    }
    size_t got = 0;
    int rc = sl_instream_read(r->in, r->cur->data + r->len, r->cur->cap - r->len, &got, err);
    if (rc) return rc;
    if (got == 0) {
        r->eof = true;
        return SL_OK;
    }
    size_t from = r->len;
    r->len += got;
    uint64_t first = r->file_pos;
    r->file_pos += got;
    if (r->skipping) {
        char *nl = memchr(r->cur->data + from, '\n', got);
        if (!nl) {
            r->pos = r->len; /* still inside the previous range's line */
            return SL_OK;
        }
        r->skipping = false;
        r->pos = (size_t)(nl - r->cur->data) + 1;
        from = r->pos;
        first += r->pos - (r->len - got);
        if (r->limited && first > r->limit) { /* the range holds no record start */
            r->len = r->pos;
            r->eof = true;
            return SL_OK;
        }
    }
    if (r->limited && r->file_pos > r->limit) {
        size_t at = r->limit >= first ? from + (size_t)(r->limit - first) : from;
        char *nl = at < r->len ? memchr(r->cur->data + at, '\n', r->len - at) : NULL;
        if (nl) {
            r->len = (size_t)(nl - r->cur->data) + 1;
            r->eof = true;
        }
    }
    return SL_OK;
}

/* Append the split's partition fields to every record of the batch. */
static void add_partition_fields(sl_batch *b, const sl_value *parts) {
    for (size_t i = 0; i < b->count; i++) {
        const sl_value *rec = &b->records[i];
        if (rec->type != SL_T_STRUCT) continue;
        uint32_t n = rec->len;
        sl_field *fields = sl_arena_alloc(&b->arena, (n + parts->len) * sizeof *fields);
        memcpy(fields, rec->u.fields, n * sizeof *fields);
        for (uint32_t k = 0; k < parts->len; k++) /* a field of the same name in the data loses, as in Hive */
            if (!sl_struct_find(rec, parts->u.fields[k].name, parts->u.fields[k].name_len)) fields[n++] = parts->u.fields[k];
        for (uint32_t k = 0, m = rec->len; k < m; k++) {
            const sl_field *pf = sl_struct_find(parts, fields[k].name, fields[k].name_len);
            if (pf) fields[k].value = pf->value;
        }
        b->records[i] = sl_struct(fields, n);
    }
}

static int source_next_records(void *state, sl_batch *b, sl_error *err);

static int source_next(void *state, sl_batch *b, sl_error *err) {
    reader *r = state;
    int rc = source_next_records(state, b, err);
    if (rc > 0 && r->split->data) add_partition_fields(b, r->split->data);
    return rc;
}

static int source_next_records(void *state, sl_batch *b, sl_error *err) {
    reader *r = state;
    b->source_name = r->split->path;
    b->cap_hint = r->ctx.max_records; /* no regrowing of the record arrays per batch */
    r->ctx.batch = b;
    if (r->object) {
        int rc = r->format->object_next(r->object, &r->ctx, err);
        if (rc < 0 && r->reject_err.code) *err = r->reject_err;
        return rc;
    }
    bool pinned = false;
    for (;;) {
        if (r->cur && (r->pos < r->len || r->eof) && !r->skipping) {
            size_t consumed = 0;
            size_t before = b->count;
            int rc = r->format->decode(r->decoder, r->cur->data + r->pos, r->len - r->pos, r->eof, &consumed, &r->ctx, err);
            if (rc < 0) {
                if (r->reject_err.code) *err = r->reject_err;
                else if (!err->file[0]) sl_error_at(err, r->split->path, 0, 0);
                return rc;
            }
            if ((consumed || b->count > before) && !pinned) {
                r->cur->refs++;
                sl_batch_pin(b, r->cur, chunk_unref, NULL);
                pinned = true;
            }
            r->pos += consumed;
            b->bytes_in += consumed;
            if (b->count >= r->ctx.max_records) return 1;
            if (r->eof && r->pos >= r->len) return b->count || b->bytes_in ? 1 : 0;
            if (consumed == 0 && r->eof) return b->count || b->bytes_in ? 1 : 0;
        } else if (r->eof) {
            return b->count || b->bytes_in ? 1 : 0;
        }
        if (!r->eof) {
            /* a new chunk may replace cur; the pinned one stays alive through its reference */
            chunk *old = r->cur;
            int rc = fill(r, err);
            if (rc) return rc;
            if (r->cur != old) pinned = false;
        }
    }
}

static void source_close(void *state) {
    reader *r = state;
    if (!r) return;
    if (r->object) {
        r->format->object_close(r->object);
        free(r);
        return;
    }
    if (r->cur) chunk_unref(r->cur, NULL);
    r->format->decoder_free(r->decoder);
    sl_instream_close(r->in);
    free(r);
}

const sl_node_type sl_read_file_type = {
    .name = "read_file",
    .kind = SL_NODE_SOURCE,
    .summary = "read JSON, CSV or DynamoDB JSON files (gzip/zstd detected) from a path, directory or glob",
    .help = "Like Glue's create_dynamic_frame.from_options with connection_type file/s3. Each file (or byte "
            "range of a large file) is read by one worker; records that cannot be parsed go to the error "
            "output with file, line, byte offset and raw text.",
    .options = source_options,
    .min_inputs = 0,
    .max_inputs = 0,
    .check = source_check,
    .release = source_release,
    .prepare = source_prepare,
    .plan = source_plan,
    .open = source_open,
    .next = source_next,
    .close = source_close,
};
