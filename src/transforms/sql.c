/*
 * sql.c — `sql`: one SQLite query over one or more input frames, for what
 * the other nodes cannot say (Glue Studio's SqlQuery node).
 *
 * The node is a pipeline breaker. While its inputs stream in (stage 1),
 * every worker deep-copies the records it receives into its own arena, per
 * input, with each record's input-order key (batch seq), and notes the
 * top-level field names it has seen and the types of their values. A worker
 * holding more than its share of settings.memory_limit writes everything it
 * holds to its spill file (exec/spill.h) and keeps only a 24-byte reference
 * (seq, offset, length) per record.
 *
 * When every input is complete, seal() turns each input into a frame: its
 * columns (the top-level fields, in order of first appearance in input
 * order) and its rows (every record, merged across workers by seq, so the
 * scan order is the input order whatever the thread count). Then the node
 * acts as a source with one split: open() creates an in-memory SQLite
 * connection, registers the virtual table module "sluice_frame" and creates
 * one virtual table per frame; next() steps the query and turns result rows
 * into records, in the query's order.
 *
 * The virtual table serves rows from the held records: a row in memory is
 * read in place, a spilled row is read back from its spill file (sequential
 * scans keep one buffered reader per worker file). Nothing is copied into
 * SQLite tables. Equality constraints (joins, `WHERE k = ?`) are answered
 * from a hash index built on first use: (hash of the column's SQLite value,
 * row) pairs sorted by hash. SQLite re-checks every row it gets (omit = 0),
 * so the index only needs to return a superset, and it is used only where
 * SQLite's comparison cannot convert between classes (see key_class).
 *
 * Values as SQLite sees them (declared column type in parentheses, chosen
 * from the types seen in the column; a column with several kinds of values
 * is declared without a type):
 *   long → INTEGER (INTEGER); double, decimal → REAL (REAL, decimals through
 *   strtod); string → TEXT (TEXT); binary → BLOB (BLOB); boolean → 0/1
 *   (BOOLEAN); date → 'YYYY-MM-DD' (DATE); timestamp → 'YYYY-MM-DD
 *   HH:MM:SS[.fff|.ffffff]' in UTC, SQLite's own format (TIMESTAMP); list,
 *   struct → JSON text (JSON); null, missing field, NaN → NULL.
 * Result columns map back by the value's storage class (INTEGER → long,
 * REAL → double, TEXT → string, BLOB → binary, NULL → null), except that a
 * column whose declared type is BOOLEAN, DATE, TIMESTAMP or JSON — a frame
 * column passed through — gets its original type back.
 *
 * Safety: the connection is private and in memory; extension loading is
 * off, defensive mode on, ATTACH limited to zero, and an authorizer lets
 * through only reads (not of pragma_xxx() tables), SELECT, recursive CTEs
 * and functions other than load_extension/fts3_tokenizer. The prepared
 * statement must be one read-only statement returning columns.
 *
 * The query is compiled at check time against frames whose columns are not
 * known yet: every "no such column" error adds that column to a frame and
 * compiles again, so syntax errors, unknown tables and functions and
 * forbidden statements are reported when the job is loaded. At run time
 * only frames that received no records are open to such additions.
 */
#include "transforms/sql.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "core/serialize.h"
#include "exec/run.h"
#include "exec/spill.h"
#include "formats/json.h"
#include "transforms/transform_util.h"

/* ---- types ---- */

/* Declared SQLite type of a frame column (decl_names). */
typedef enum col_decl {
    DECL_NONE,
    DECL_INTEGER,
    DECL_REAL,
    DECL_TEXT,
    DECL_BLOB,
    DECL_BOOLEAN,
    DECL_DATE,
    DECL_TIMESTAMP,
    DECL_JSON
} col_decl;

/* Declared type of the placeholder column of a frame without fields. */
#define NO_COLUMNS_TYPE "SLUICE_NO_COLUMNS"

static const char *const decl_names[] = {"", "INTEGER", "REAL", "TEXT", "BLOB", "BOOLEAN", "DATE", "TIMESTAMP", "JSON"};

/* Which equality lookups the hash index may answer for a column: the
 * storage class of every value in it. A column of numbers only matches a
 * number, a column of text (strings, dates, timestamps, JSON — none of which
 * look like numbers) only text under BINARY collation, blobs only blobs.
 * Anything else (mixed columns, a text value compared with a number, where
 * SQLite's affinities may convert one side) falls back to a full scan. */
typedef enum key_class { KEY_NONE, KEY_NUM, KEY_TEXT, KEY_BLOB } key_class;

typedef struct sql_column {
    char *field; /* field name in the records (NUL-terminated copy) */
    uint32_t field_len;
    char *sql_name; /* column name in SQL: unique ignoring ASCII case */
    col_decl decl;
    key_class key;
} sql_column;

/* Where a row's record is. */
typedef struct row_ref {
    uint64_t at;     /* in memory: address of the sl_value; spilled: offset of its entry in the spill file */
    uint32_t len;    /* spilled: bytes of the entry (length prefix included); 0 = in memory */
    uint32_t worker; /* spilled: whose spill file */
} row_ref;

typedef struct key_entry {
    uint64_t hash, row;
} key_entry;

typedef struct key_index {
    key_entry *e; /* sorted by (hash, row) */
    size_t n;
} key_index;

typedef struct sql_frame {
    char *name; /* table name in SQL */
    sql_column *cols;
    size_t n_cols;
    row_ref *rows; /* in input order */
    uint64_t n_rows;
    key_index **indexes; /* per column, built on first use */
    bool open;           /* no record seen: columns the query names are added */
} sql_frame;

typedef struct sql_worker sql_worker;

typedef struct sql_node {
    char *query;
    sql_frame *frames; /* one per input */
    size_t n_frames;
    sql_worker **workers; /* after seal: owned */
    size_t n_workers;
    size_t worker_limit; /* bytes a worker holds before spilling */
    const char *spill_dir;
    int64_t cache_kib; /* SQLite page cache (sorts, GROUP BY) */
    uint64_t spilled;  /* records written to spill files (atomic) */
} sql_node;

/* ---- options ---- */

static const sl_option sql_options[] = {
    {"query", SL_OPT_STRING, NULL,
     "One SQLite SELECT (WITH, joins, GROUP BY, window functions, json_extract… all allowed) over the inputs, "
     "each a table named as in 'tables'. Statements that write, ATTACH, PRAGMA and loading extensions are "
     "rejected. Rows come out in the query's order (use ORDER BY); column names are the query's. See "
     "docs/sql.md for how values map to SQLite types and back.",
     NULL, SL_OPTF_REQUIRED},
    {"tables", SL_OPT_LIST, NULL,
     "Table names for the inputs, in the order of 'inputs' (Glue's SqlQuery aliases). Default: the input node "
     "names, with characters other than letters, digits and _ replaced by _ (input 'split.matched' is table "
     "split_matched).",
     NULL, 0},
    {0},
};

/* ---- phase 1: holding the input (per worker) ---- */

typedef struct held {
    sl_value rec;
    uint64_t seq;
} held;

typedef struct spilled_ref {
    uint64_t seq, off;
    uint32_t len;
} spilled_ref;

/* A top-level field name a worker has seen in one input. */
typedef struct seen_col {
    char *name; /* malloc'd; held records' field names point here */
    uint32_t len, flags;
    uint64_t seq;   /* first record it was seen in, */
    uint32_t pos;   /* and its position there */
    unsigned types; /* bit per sl_type of its non-null values */
} seen_col;

typedef struct wtable {
    held *mem; /* records in memory, in arrival order */
    size_t n_mem, cap_mem;
    spilled_ref *sp; /* records spilled (all arrived before those in mem) */
    size_t n_sp, cap_sp;
    seen_col *cols;
    size_t n_cols, cap_cols;
    uint32_t *col_at; /* column index of the field at each position of the last record */
    size_t cap_col_at;
} wtable;

struct sql_worker {
    sql_node *sn;
    sl_node *node;
    wtable *tables; /* one per input */
    size_t n_tables;
    sl_arena arena;     /* held records */
    size_t mem_records; /* across tables */
    sl_spill *spill;
    uint64_t spill_end; /* bytes flushed to the spill file */
    sl_buf enc;
};

static void worker_free(sql_worker *w) {
    if (!w) return;
    for (size_t t = 0; t < w->n_tables; t++) {
        wtable *wt = &w->tables[t];
        for (size_t c = 0; c < wt->n_cols; c++)
            free(wt->cols[c].name);
        free(wt->cols);
        free(wt->col_at);
        free(wt->mem);
        free(wt->sp);
    }
    free(w->tables);
    sl_arena_free(&w->arena);
    sl_spill_close(w->spill);
    sl_buf_free(&w->enc);
    free(w);
}

/* Once per run, before any worker starts: the memory budgets. */
static int sql_prepare(sl_node *node, sl_run *run, sl_error *err) {
    sql_node *sn = node->data;
    int64_t limit = run->job->settings.memory_limit > 0 ? run->job->settings.memory_limit : INT64_C(1) << 30;
    sn->worker_limit = (size_t)(limit / (run->threads > 0 ? run->threads : 1));
    sn->spill_dir = run->job->settings.spill_dir;
    sn->cache_kib = limit / 4 / 1024 > 2048 ? limit / 4 / 1024 : 2048;
    sn->spilled = 0;
    return SL_OK;
}

static int sql_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    sql_node *sn = node->data;
    sql_worker *w = sl_xcalloc(1, sizeof *w);
    w->sn = sn;
    w->node = node;
    w->n_tables = sn->n_frames;
    w->tables = sl_xcalloc(w->n_tables ? w->n_tables : 1, sizeof *w->tables);
    sl_arena_init(&w->arena);
    sl_buf_init(&w->enc, 0);
    *state = w;
    return SL_OK;
}

static void sql_fini(void *state) { worker_free(state); }

/* Index of the worker's column for field f at position pos of a record. */
static uint32_t column_of(wtable *t, const sl_field *f, uint32_t pos, uint64_t seq) {
    uint32_t ci = t->col_at[pos];
    if (ci < t->n_cols && t->cols[ci].len == f->name_len && sl_name_eq(t->cols[ci].name, f->name, f->name_len))
        return ci;
    for (ci = 0; ci < t->n_cols; ci++)
        if (t->cols[ci].len == f->name_len && sl_name_eq(t->cols[ci].name, f->name, f->name_len)) break;
    if (ci == t->n_cols) {
        if (t->n_cols == t->cap_cols) {
            t->cap_cols = t->cap_cols ? t->cap_cols * 2 : 16;
            t->cols = sl_xrealloc(t->cols, t->cap_cols * sizeof *t->cols);
        }
        t->cols[t->n_cols++] = (seen_col){sl_xstrndup(f->name, f->name_len), f->name_len, f->name_flags, seq, pos, 0};
    }
    t->col_at[pos] = ci;
    return ci;
}

/* Deep copy of rec into the worker's arena; field names point at the
 * worker's column names (stored once, not per record). */
static void hold(sql_worker *w, wtable *t, const sl_value *rec, uint64_t seq) {
    sl_value copy = sl_struct(NULL, 0); /* a record that is not a struct has no columns */
    if (rec->type == SL_T_STRUCT) {
        if (rec->len > t->cap_col_at) {
            t->col_at = sl_xrealloc(t->col_at, rec->len * sizeof *t->col_at);
            for (size_t i = t->cap_col_at; i < rec->len; i++)
                t->col_at[i] = UINT32_MAX;
            t->cap_col_at = rec->len;
        }
        sl_field *fields = sl_arena_alloc(&w->arena, (rec->len ? rec->len : 1) * sizeof *fields);
        for (uint32_t i = 0; i < rec->len; i++) {
            const sl_field *f = &rec->u.fields[i];
            uint32_t ci = column_of(t, f, i, seq); /* may move t->cols */
            seen_col *c = &t->cols[ci];
            if (f->value.type != SL_T_NULL) c->types |= 1u << f->value.type;
            fields[i].name = c->name;
            fields[i].name_len = f->name_len;
            fields[i].name_flags = f->name_flags;
            fields[i].value = sl_value_deep_copy(&w->arena, &f->value);
        }
        copy = sl_struct(fields, rec->len);
    }
    if (t->n_mem == t->cap_mem) {
        t->cap_mem = t->cap_mem ? t->cap_mem * 2 : 1024;
        t->mem = sl_xrealloc(t->mem, t->cap_mem * sizeof *t->mem);
    }
    t->mem[t->n_mem++] = (held){copy, seq};
    w->mem_records++;
}

/* Write every record the worker holds to its spill file. */
static int spill_all(sql_worker *w, sl_error *err) {
    int rc = SL_OK;
    if (!w->spill && (rc = sl_spill_open(w->sn->spill_dir, &w->spill, err)) != 0) return rc;
    for (size_t ti = 0; ti < w->n_tables; ti++) {
        wtable *t = &w->tables[ti];
        if (t->n_sp + t->n_mem > t->cap_sp) {
            t->cap_sp = (t->n_sp + t->n_mem) * 2;
            t->sp = sl_xrealloc(t->sp, t->cap_sp * sizeof *t->sp);
        }
        for (size_t i = 0; i < t->n_mem; i++) {
            sl_buf_reset(&w->enc);
            if ((rc = sl_value_encode(&w->enc, &t->mem[i].rec)) != 0)
                return sl_error_set(err, rc, "a record is too large to spill");
            uint64_t off = sl_spill_bytes(w->spill);
            if ((rc = sl_spill_append(w->spill, w->enc.data, w->enc.len, err)) != 0) return rc;
            uint64_t len = sl_spill_bytes(w->spill) - off;
            if (len > UINT32_MAX) return sl_error_set(err, SL_ELIMIT, "a record is too large to spill");
            t->sp[t->n_sp++] = (spilled_ref){t->mem[i].seq, off, (uint32_t)len};
        }
        __atomic_fetch_add(&w->sn->spilled, t->n_mem, __ATOMIC_RELAXED);
        t->n_mem = 0;
    }
    if ((rc = sl_spill_flush(w->spill, &w->spill_end, err)) != 0) return rc;
    w->mem_records = 0;
    sl_arena_reset(&w->arena);
    return SL_OK;
}

static int sql_process(void *state, sl_batch *b, sl_error *err) {
    sql_worker *w = state;
    if (b->input >= w->n_tables)
        return sl_error_set(err, SL_EINTERNAL, "batch on input %u of %zu", b->input, w->n_tables);
    wtable *t = &w->tables[b->input];
    for (size_t i = 0; i < b->count; i++) {
        hold(w, t, &b->records[i], b->seq_base + i);
        if (w->arena.bytes_used + w->mem_records * sizeof(held) > w->sn->worker_limit) {
            int rc = spill_all(w, err);
            if (rc) return rc;
        }
    }
    b->count = 0; /* nothing flows on until every input is complete */
    return SL_OK;
}

/* ---- seal: workers' holdings → frames ---- */

static void frame_clear(sql_frame *f) {
    for (size_t c = 0; c < f->n_cols; c++) {
        free(f->cols[c].field);
        free(f->cols[c].sql_name);
        if (f->indexes && f->indexes[c]) {
            free(f->indexes[c]->e);
            free(f->indexes[c]);
        }
    }
    free(f->cols);
    free(f->indexes);
    free(f->rows);
    f->cols = NULL;
    f->indexes = NULL;
    f->rows = NULL;
    f->n_cols = 0;
    f->n_rows = 0;
}

static bool sql_name_taken(const sql_frame *f, const char *name) {
    for (size_t c = 0; c < f->n_cols; c++)
        if (!strcasecmp(f->cols[c].sql_name, name)) return true;
    return false;
}

/* Append a column for field name[0..len) (decl/key set by the caller). Its
 * SQL name is the field name made unique ignoring ASCII case ("a", "A_2"),
 * with NUL bytes as '_' and "" as "_". */
static sql_column *frame_add_column(sql_frame *f, const char *name, size_t len) {
    f->cols = sl_xrealloc(f->cols, (f->n_cols + 1) * sizeof *f->cols);
    f->indexes = sl_xrealloc(f->indexes, (f->n_cols + 1) * sizeof *f->indexes);
    f->indexes[f->n_cols] = NULL;
    sql_column *c = &f->cols[f->n_cols];
    memset(c, 0, sizeof *c);
    c->field = sl_xstrndup(name, len);
    c->field_len = (uint32_t)len;
    char *base = sl_xstrndup(len ? name : "_", len ? len : 1);
    for (size_t i = 0; i < (len ? len : 1); i++)
        if (!base[i]) base[i] = '_';
    char *sqln = sl_xstrdup(base);
    for (int k = 2; sql_name_taken(f, sqln); k++) {
        free(sqln);
        sqln = sl_xmalloc(strlen(base) + 16);
        sprintf(sqln, "%s_%d", base, k);
    }
    free(base);
    c->sql_name = sqln;
    f->n_cols++;
    return c;
}

static void column_type(unsigned types, col_decl *decl, key_class *key) {
#define BIT(t) (1u << (t))
    const unsigned numbers = BIT(SL_T_INT) | BIT(SL_T_DOUBLE) | BIT(SL_T_DECIMAL);
    *decl = DECL_NONE;
    *key = KEY_NONE;
    if (!types) return;
    /* a declared type makes SQLite convert values to it in sorts and
     * groups: REAL only where every value is a double already */
    if (types == BIT(SL_T_INT))
        *decl = DECL_INTEGER, *key = KEY_NUM;
    else if (!(types & ~(BIT(SL_T_DOUBLE) | BIT(SL_T_DECIMAL))))
        *decl = DECL_REAL, *key = KEY_NUM;
    else if (!(types & ~numbers))
        *key = KEY_NUM; /* long and double: no type, no conversion */
    else if (types == BIT(SL_T_BOOL))
        *decl = DECL_BOOLEAN, *key = KEY_NUM;
    else if (types == BIT(SL_T_STRING))
        *decl = DECL_TEXT, *key = KEY_TEXT;
    else if (types == BIT(SL_T_BINARY))
        *decl = DECL_BLOB, *key = KEY_BLOB;
    else if (types == BIT(SL_T_DATE))
        *decl = DECL_DATE, *key = KEY_TEXT;
    else if (types == BIT(SL_T_TIMESTAMP))
        *decl = DECL_TIMESTAMP, *key = KEY_TEXT;
    else if (!(types & ~(BIT(SL_T_LIST) | BIT(SL_T_STRUCT))))
        *decl = DECL_JSON, *key = KEY_TEXT;
#undef BIT
}

static int cmp_seen_name(const void *a, const void *b) {
    const seen_col *x = *(const seen_col *const *)a, *y = *(const seen_col *const *)b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return memcmp(x->name, y->name, x->len);
}

static bool same_name(const seen_col *x, const seen_col *y) {
    return x->len == y->len && !memcmp(x->name, y->name, x->len);
}

static int cmp_seen_first(const void *a, const void *b) {
    const seen_col *x = a, *y = b;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Columns of frame fi: every field name any worker saw, ordered by first
 * appearance in input order, with the union of their value types. */
static void build_columns(sql_node *sn, size_t fi) {
    size_t n = 0;
    for (size_t w = 0; w < sn->n_workers; w++)
        n += sn->workers[w]->tables[fi].n_cols;
    const seen_col **all = sl_xcalloc(n ? n : 1, sizeof *all);
    n = 0;
    for (size_t w = 0; w < sn->n_workers; w++) {
        const wtable *t = &sn->workers[w]->tables[fi];
        for (size_t c = 0; c < t->n_cols; c++)
            all[n++] = &t->cols[c];
    }
    qsort(all, n, sizeof *all, cmp_seen_name);
    seen_col *merged = sl_xcalloc(n ? n : 1, sizeof *merged);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && same_name(all[i], &merged[m - 1])) {
            seen_col *c = &merged[m - 1];
            c->types |= all[i]->types;
            if (cmp_seen_first(all[i], c) < 0) c->seq = all[i]->seq, c->pos = all[i]->pos;
            continue;
        }
        merged[m++] = *all[i];
    }
    qsort(merged, m, sizeof *merged, cmp_seen_first);
    sql_frame *f = &sn->frames[fi];
    for (size_t i = 0; i < m; i++) {
        sql_column *c = frame_add_column(f, merged[i].name, merged[i].len);
        column_type(merged[i].types, &c->decl, &c->key);
    }
    free(merged);
    free(all);
}

/* A worker's rows of one table in arrival order: spilled, then in memory. */
static uint64_t stream_seq(const wtable *t, size_t k) { return k < t->n_sp ? t->sp[k].seq : t->mem[k - t->n_sp].seq; }

typedef struct stream_head {
    uint32_t worker;
    size_t k;
} stream_head;

static bool head_before(const sql_node *sn, size_t fi, const stream_head *a, const stream_head *b) {
    uint64_t x = stream_seq(&sn->workers[a->worker]->tables[fi], a->k);
    uint64_t y = stream_seq(&sn->workers[b->worker]->tables[fi], b->k);
    return x != y ? x < y : a->worker < b->worker;
}

static void heap_down(const sql_node *sn, size_t fi, stream_head *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        if (l < n && head_before(sn, fi, &h[l], &h[min])) min = l;
        if (r < n && head_before(sn, fi, &h[r], &h[min])) min = r;
        if (min == i) return;
        stream_head t = h[i];
        h[i] = h[min];
        h[min] = t;
        i = min;
    }
}

/* Rows of frame fi: the workers' streams merged by seq (ties by worker). */
static void build_rows(sql_node *sn, size_t fi) {
    sql_frame *f = &sn->frames[fi];
    uint64_t total = 0;
    stream_head *heap = sl_xcalloc(sn->n_workers ? sn->n_workers : 1, sizeof *heap);
    size_t hn = 0;
    for (size_t w = 0; w < sn->n_workers; w++) {
        const wtable *t = &sn->workers[w]->tables[fi];
        total += t->n_sp + t->n_mem;
        if (t->n_sp + t->n_mem) heap[hn++] = (stream_head){(uint32_t)w, 0};
    }
    f->rows = sl_xmalloc((total ? total : 1) * sizeof *f->rows);
    for (size_t i = hn; i-- > 0;)
        heap_down(sn, fi, heap, hn, i);
    while (hn) {
        stream_head *h = &heap[0];
        const wtable *t = &sn->workers[h->worker]->tables[fi];
        if (h->k < t->n_sp)
            f->rows[f->n_rows++] = (row_ref){t->sp[h->k].off, t->sp[h->k].len, h->worker};
        else
            f->rows[f->n_rows++] = (row_ref){(uint64_t)(uintptr_t)&t->mem[h->k - t->n_sp].rec, 0, 0};
        if (++h->k == t->n_sp + t->n_mem) heap[0] = heap[--hn];
        heap_down(sn, fi, heap, hn, 0);
    }
    free(heap);
    f->open = f->n_rows == 0;
}

static int sql_seal(sl_node *node, sl_run *run, void **states, size_t n_states, sl_error *err) {
    sql_node *sn = node->data;
    for (size_t i = 0; i < sn->n_workers; i++)
        worker_free(sn->workers[i]);
    free(sn->workers);
    sn->workers = sl_xcalloc(n_states ? n_states : 1, sizeof *sn->workers);
    sn->n_workers = n_states;
    for (size_t i = 0; i < n_states; i++)
        sn->workers[i] = states[i];
    for (size_t fi = 0; fi < sn->n_frames; fi++) {
        frame_clear(&sn->frames[fi]);
        build_columns(sn, fi);
        build_rows(sn, fi);
    }
    return SL_OK;
}

uint64_t sl_sql_spilled_records(const sl_node *node) {
    const sql_node *sn = node->data;
    return sn ? __atomic_load_n(&sn->spilled, __ATOMIC_RELAXED) : 0;
}

/* ---- values as SQLite sees them ---- */

typedef struct sqlval {
    int type; /* SQLITE_NULL, _INTEGER, _FLOAT, _TEXT, _BLOB */
    int64_t i;
    double d;
    const char *p; /* TEXT/BLOB bytes */
    size_t n;
    bool in_record; /* p points into the record (else into the scratch buffer) */
} sqlval;

static void format_date(sl_buf *out, int64_t days) {
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    sl_buf_printf(out, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* SQLite's own timestamp form (what datetime() returns), so comparisons
 * with its functions' results work as text. */
static void format_timestamp(sl_buf *out, int64_t micros) {
    int64_t day_us = INT64_C(86400000000);
    int64_t days = micros / day_us, rem = micros % day_us;
    if (rem < 0) rem += day_us, days--;
    format_date(out, days);
    int64_t secs = rem / 1000000, frac = rem % 1000000;
    sl_buf_printf(out, " %02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    if (frac % 1000 == 0 && frac)
        sl_buf_printf(out, ".%03d", (int)(frac / 1000));
    else if (frac)
        sl_buf_printf(out, ".%06d", (int)frac);
}

static void to_sqlval(const sl_value *v, sl_buf *scratch, sqlval *out) {
    memset(out, 0, sizeof *out);
    out->type = SQLITE_NULL;
    sl_buf_reset(scratch);
    switch ((sl_type)v->type) {
    case SL_T_BOOL: out->type = SQLITE_INTEGER, out->i = v->u.b; break;
    case SL_T_INT: out->type = SQLITE_INTEGER, out->i = v->u.i; break;
    case SL_T_DOUBLE:
        if (!isnan(v->u.d)) out->type = SQLITE_FLOAT, out->d = v->u.d;
        break;
    case SL_T_DECIMAL:
        sl_buf_add(scratch, v->u.s, v->len);
        out->d = strtod(scratch->data ? scratch->data : "", NULL);
        if (!isnan(out->d)) out->type = SQLITE_FLOAT;
        break;
    case SL_T_STRING:
    case SL_T_BINARY:
        out->type = v->type == SL_T_STRING ? SQLITE_TEXT : SQLITE_BLOB;
        out->p = v->u.s;
        out->n = v->len;
        out->in_record = true;
        break;
    case SL_T_DATE:
    case SL_T_TIMESTAMP:
    case SL_T_LIST:
    case SL_T_STRUCT:
        if (v->type == SL_T_DATE)
            format_date(scratch, v->u.i);
        else if (v->type == SL_T_TIMESTAMP)
            format_timestamp(scratch, v->u.i);
        else if (sl_json_write(scratch, v))
            break;
        out->type = SQLITE_TEXT;
        out->p = scratch->data ? scratch->data : "";
        out->n = scratch->len;
        break;
    default: break;
    }
}

/* ---- the hash index ---- */

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    return x ^ (x >> 33);
}

static uint64_t hash_number(double d) {
    if (d == 0) d = 0.0; /* -0 == 0 */
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return mix64(bits ^ UINT64_C(0x9e3779b97f4a7c15));
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t seed) {
    const unsigned char *s = p;
    uint64_t h = UINT64_C(0xcbf29ce484222325) ^ seed;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * UINT64_C(0x100000001b3);
    return mix64(h);
}

#define TEXT_SEED UINT64_C(1)
#define BLOB_SEED UINT64_C(2)

static bool hash_sqlval(const sqlval *v, uint64_t *h) {
    switch (v->type) {
    case SQLITE_INTEGER: *h = hash_number((double)v->i); return true;
    case SQLITE_FLOAT: *h = hash_number(v->d); return true;
    case SQLITE_TEXT: *h = hash_bytes(v->p, v->n, TEXT_SEED); return true;
    case SQLITE_BLOB: *h = hash_bytes(v->p, v->n, BLOB_SEED); return true;
    default: return false;
    }
}

static uint64_t hash_sqlite_value(sqlite3_value *v) {
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER: return hash_number((double)sqlite3_value_int64(v));
    case SQLITE_FLOAT: return hash_number(sqlite3_value_double(v));
    case SQLITE_TEXT: {
        const unsigned char *p = sqlite3_value_text(v);
        return hash_bytes(p, (size_t)sqlite3_value_bytes(v), TEXT_SEED);
    }
    default: {
        const void *p = sqlite3_value_blob(v);
        return hash_bytes(p, (size_t)sqlite3_value_bytes(v), BLOB_SEED);
    }
    }
}

static int cmp_key_entry(const void *a, const void *b) {
    const key_entry *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* ---- reading rows ---- */

/* Reads held records, in memory or spilled; one buffered reader per worker
 * spill file, so a scan in row order reads each file sequentially. */
typedef struct row_reader {
    const sql_node *sn;
    sl_spill_reader *rd; /* per worker, allocated on the first spilled row */
    uint64_t *next_off;  /* per worker: offset after the entry last read, when the reader
                          * can go on from there (reading ahead); UINT64_MAX = seek first */
    sl_arena arena;      /* the decoded spilled record */
    sl_value value;
} row_reader;

static void row_reader_init(row_reader *r, const sql_node *sn) {
    memset(r, 0, sizeof *r);
    r->sn = sn;
    sl_arena_init(&r->arena);
}

static void row_reader_free(row_reader *r) {
    if (r->rd)
        for (size_t w = 0; w < r->sn->n_workers; w++)
            sl_spill_reader_free(&r->rd[w]);
    free(r->rd);
    free(r->next_off);
    sl_arena_free(&r->arena);
}

/* Point rd at [start, end) keeping its buffer (sl_spill_reader_init forgets
 * it; allocating a fresh 1 MiB buffer per random read would dominate). */
static void reader_seek(sl_spill_reader *rd, const sl_spill *s, uint64_t start, uint64_t end) {
    char *buf = rd->buf;
    size_t cap = rd->buf_cap;
    sl_spill_reader_init(rd, s, start, end);
    rd->buf = buf;
    rd->buf_cap = cap;
}

/* The record of ref in *out. *stable: it stays valid for the whole query
 * (held in memory), else only until the next fetch. sequential: more rows
 * of this file follow in order (read ahead), else read just this entry. */
static int row_fetch(row_reader *r, const row_ref *ref, bool sequential, const sl_value **out, bool *stable,
                     sl_error *err) {
    if (!ref->len) {
        *out = (const sl_value *)(uintptr_t)ref->at;
        *stable = true;
        return SL_OK;
    }
    size_t nw = r->sn->n_workers;
    if (!r->rd) {
        r->rd = sl_xcalloc(nw, sizeof *r->rd);
        r->next_off = sl_xmalloc(nw * sizeof *r->next_off);
        for (size_t w = 0; w < nw; w++)
            r->next_off[w] = UINT64_MAX;
    }
    const sql_worker *w = r->sn->workers[ref->worker];
    sl_spill_reader *rd = &r->rd[ref->worker];
    if (r->next_off[ref->worker] != ref->at)
        reader_seek(rd, w->spill, ref->at, sequential ? w->spill_end : ref->at + ref->len);
    r->next_off[ref->worker] = UINT64_MAX;
    const char *data;
    size_t len;
    int rc = sl_spill_next(rd, &data, &len, err);
    if (rc <= 0) return rc ? rc : sl_error_set(err, SL_EIO, "spill file ended early");
    if (rd->end == w->spill_end) r->next_off[ref->worker] = ref->at + ref->len; /* not a single-entry read */
    sl_arena_reset(&r->arena);
    const char *p = data;
    if (sl_value_decode(&p, data + len, &r->arena, &r->value)) return sl_error_set(err, SL_EIO, "corrupt spill file");
    *out = &r->value;
    *stable = false;
    return SL_OK;
}

/* Value of column col in rec (NULL when absent); *hint remembers where the
 * field was, since records of one source share their layout. */
static const sl_value *field_value(const sl_value *rec, const sql_column *col, uint32_t *hint) {
    if (rec->type != SL_T_STRUCT) return NULL;
    uint32_t h = *hint;
    if (h < rec->len) {
        const sl_field *f = &rec->u.fields[h];
        if (f->name_len == col->field_len && sl_name_eq(f->name, col->field, col->field_len)) return &f->value;
    }
    for (uint32_t i = 0; i < rec->len; i++) {
        const sl_field *f = &rec->u.fields[i];
        if (f->name_len == col->field_len && sl_name_eq(f->name, col->field, col->field_len)) {
            *hint = i;
            return &f->value;
        }
    }
    return NULL;
}

/* Build the hash index of column ci of f (every row read once). */
static int build_index(const sql_node *sn, sql_frame *f, size_t ci, sl_error *err) {
    key_index *ix = sl_xcalloc(1, sizeof *ix);
    ix->e = sl_xmalloc((f->n_rows ? f->n_rows : 1) * sizeof *ix->e);
    row_reader rr;
    row_reader_init(&rr, sn);
    sl_buf scratch;
    sl_buf_init(&scratch, 0);
    uint32_t hint = 0;
    int rc = SL_OK;
    for (uint64_t row = 0; row < f->n_rows && !rc; row++) {
        const sl_value *rec;
        bool stable;
        if ((rc = row_fetch(&rr, &f->rows[row], true, &rec, &stable, err)) != 0) break;
        const sl_value *v = field_value(rec, &f->cols[ci], &hint);
        sqlval sv;
        uint64_t h;
        if (!v) continue;
        to_sqlval(v, &scratch, &sv);
        if (hash_sqlval(&sv, &h)) ix->e[ix->n++] = (key_entry){h, row};
    }
    row_reader_free(&rr);
    sl_buf_free(&scratch);
    if (rc) {
        free(ix->e);
        free(ix);
        return rc;
    }
    qsort(ix->e, ix->n, sizeof *ix->e, cmp_key_entry);
    f->indexes[ci] = ix;
    return SL_OK;
}

/* ---- the virtual table module ---- */

typedef struct frame_vtab {
    sqlite3_vtab base;
    const sql_node *sn;
    sql_frame *frame;
} frame_vtab;

typedef struct frame_cursor {
    sqlite3_vtab_cursor base;
    const key_entry *cand, *cand_end; /* index lookup: candidate rows; NULL = full scan */
    uint64_t row;
    bool eof;
    const sl_value *rec; /* the current row's record, NULL until fetched */
    bool rec_stable;
    row_reader rr;
    sl_buf scratch;
    uint32_t *hint; /* per column */
} frame_cursor;

static void append_ident(sl_buf *b, const char *name) {
    sl_buf_addc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') sl_buf_addc(b, '"');
        sl_buf_addc(b, *p);
    }
    sl_buf_addc(b, '"');
}

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **errmsg) {
    sql_node *sn = aux;
    size_t fi = argc > 3 ? strtoul(argv[3], NULL, 10) : SIZE_MAX;
    if (fi >= sn->n_frames) {
        *errmsg = sqlite3_mprintf("sluice_frame: no such input");
        return SQLITE_ERROR;
    }
    sql_frame *f = &sn->frames[fi];
    sl_buf decl;
    sl_buf_init(&decl, 0);
    sl_buf_adds(&decl, "CREATE TABLE x(");
    for (size_t c = 0; c < f->n_cols; c++) {
        if (c) sl_buf_addc(&decl, ',');
        append_ident(&decl, f->cols[c].sql_name);
        if (f->cols[c].decl != DECL_NONE) sl_buf_printf(&decl, " %s", decl_names[f->cols[c].decl]);
    }
    /* SQLite needs a column: a frame without fields gets a placeholder
     * (visible, so that SELECT * compiles) that results leave out */
    if (!f->n_cols) sl_buf_adds(&decl, "sluice_no_columns " NO_COLUMNS_TYPE);
    sl_buf_addc(&decl, ')');
    int rc = sqlite3_declare_vtab(db, decl.data);
    sl_buf_free(&decl);
    if (rc != SQLITE_OK) {
        *errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
        return rc;
    }
    frame_vtab *vt = sqlite3_malloc(sizeof *vt);
    if (!vt) return SQLITE_NOMEM;
    memset(vt, 0, sizeof *vt);
    vt->sn = sn;
    vt->frame = f;
    *out = &vt->base;
    return SQLITE_OK;
}

static int vt_disconnect(sqlite3_vtab *tab) {
    sqlite3_free(tab);
    return SQLITE_OK;
}

static int vt_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
    const sql_frame *f = ((frame_vtab *)tab)->frame;
    double n = (double)f->n_rows;
    int best = -1;
    for (int i = 0; i < info->nConstraint && best < 0; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ || c->iColumn < 0 || (size_t)c->iColumn >= f->n_cols)
            continue;
        key_class k = f->cols[c->iColumn].key;
        if (k == KEY_NONE) continue;
        if (k == KEY_TEXT && sqlite3_stricmp(sqlite3_vtab_collation(info, i), "BINARY")) continue;
        best = i;
    }
    if (best < 0) {
        info->idxNum = 0;
        info->estimatedCost = n + 1;
        info->estimatedRows = (sqlite3_int64)n;
        return SQLITE_OK;
    }
    info->aConstraintUsage[best].argvIndex = 1;
    info->aConstraintUsage[best].omit = 0; /* the index returns candidates; SQLite checks them */
    info->idxNum = info->aConstraint[best].iColumn + 1;
    info->estimatedCost = 10 + log2(n + 1);
    info->estimatedRows = 10;
    return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **out) {
    frame_vtab *vt = (frame_vtab *)tab;
    frame_cursor *c = sl_xcalloc(1, sizeof *c);
    row_reader_init(&c->rr, vt->sn);
    sl_buf_init(&c->scratch, 0);
    c->hint = sl_xcalloc(vt->frame->n_cols ? vt->frame->n_cols : 1, sizeof *c->hint);
    c->eof = true;
    *out = &c->base;
    return SQLITE_OK;
}

static int vt_close(sqlite3_vtab_cursor *cur) {
    frame_cursor *c = (frame_cursor *)cur;
    row_reader_free(&c->rr);
    sl_buf_free(&c->scratch);
    free(c->hint);
    free(c);
    return SQLITE_OK;
}

static int vt_error(sqlite3_vtab *tab, const sl_error *err) {
    sqlite3_free(tab->zErrMsg);
    tab->zErrMsg = sqlite3_mprintf("%s", err->message);
    return SQLITE_ERROR;
}

/* Can the index of a column with key class k answer `= v`? */
static bool index_applies(key_class k, int type) {
    return (k == KEY_NUM && (type == SQLITE_INTEGER || type == SQLITE_FLOAT)) ||
           (k == KEY_TEXT && type == SQLITE_TEXT) || (k == KEY_BLOB && type == SQLITE_BLOB);
}

static int vt_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc, sqlite3_value **argv) {
    frame_cursor *c = (frame_cursor *)cur;
    frame_vtab *vt = (frame_vtab *)cur->pVtab;
    sql_frame *f = vt->frame;
    c->cand = c->cand_end = NULL;
    c->rec = NULL;
    c->row = 0;
    c->eof = f->n_rows == 0;
    if (idx_num <= 0 || argc < 1 || (size_t)idx_num > f->n_cols) return SQLITE_OK;
    size_t ci = (size_t)idx_num - 1;
    int type = sqlite3_value_type(argv[0]);
    if (type == SQLITE_NULL) { /* `= NULL` is never true */
        c->eof = true;
        return SQLITE_OK;
    }
    if (!index_applies(f->cols[ci].key, type)) return SQLITE_OK; /* full scan; SQLite compares */
    if (!f->indexes[ci]) {
        sl_error err;
        sl_error_clear(&err);
        if (build_index(vt->sn, f, ci, &err)) return vt_error(cur->pVtab, &err);
    }
    const key_index *ix = f->indexes[ci];
    uint64_t h = hash_sqlite_value(argv[0]);
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->e[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < ix->n && ix->e[end].hash == h)
        end++;
    c->cand = ix->e + lo;
    c->cand_end = ix->e + end;
    c->eof = lo == end;
    if (!c->eof) c->row = c->cand->row;
    return SQLITE_OK;
}

static int vt_next(sqlite3_vtab_cursor *cur) {
    frame_cursor *c = (frame_cursor *)cur;
    const sql_frame *f = ((frame_vtab *)cur->pVtab)->frame;
    c->rec = NULL;
    if (c->cand) {
        c->eof = ++c->cand == c->cand_end;
        if (!c->eof) c->row = c->cand->row;
    } else {
        c->eof = ++c->row >= f->n_rows;
    }
    return SQLITE_OK;
}

static int vt_eof(sqlite3_vtab_cursor *cur) { return ((frame_cursor *)cur)->eof; }

static int vt_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
    frame_cursor *c = (frame_cursor *)cur;
    const sql_frame *f = ((frame_vtab *)cur->pVtab)->frame;
    if (i < 0 || (size_t)i >= f->n_cols) return SQLITE_OK; /* the placeholder column: NULL */
    if (!c->rec) {
        sl_error err;
        sl_error_clear(&err);
        if (row_fetch(&c->rr, &f->rows[c->row], !c->cand, &c->rec, &c->rec_stable, &err)) {
            c->rec = NULL;
            sqlite3_result_error(ctx, err.message, -1);
            return SQLITE_ERROR;
        }
    }
    const sl_value *v = field_value(c->rec, &f->cols[i], &c->hint[i]);
    if (!v) return SQLITE_OK;
    sqlval sv;
    to_sqlval(v, &c->scratch, &sv);
    sqlite3_destructor_type keep = sv.in_record && c->rec_stable ? SQLITE_STATIC : SQLITE_TRANSIENT;
    switch (sv.type) {
    case SQLITE_INTEGER: sqlite3_result_int64(ctx, sv.i); break;
    case SQLITE_FLOAT: sqlite3_result_double(ctx, sv.d); break;
    case SQLITE_TEXT: sqlite3_result_text64(ctx, sv.n ? sv.p : "", sv.n, keep, SQLITE_UTF8); break;
    case SQLITE_BLOB: sqlite3_result_blob64(ctx, sv.n ? sv.p : "", sv.n, keep); break;
    default: break;
    }
    return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    *rowid = (sqlite3_int64)((frame_cursor *)cur)->row;
    return SQLITE_OK;
}

static const sqlite3_module frame_module = {
    .iVersion = 1,
    .xCreate = vt_connect,
    .xConnect = vt_connect,
    .xBestIndex = vt_best_index,
    .xDisconnect = vt_disconnect,
    .xDestroy = vt_disconnect,
    .xOpen = vt_open,
    .xClose = vt_close,
    .xFilter = vt_filter,
    .xNext = vt_next,
    .xEof = vt_eof,
    .xColumn = vt_column,
    .xRowid = vt_rowid,
};

/* ---- the connection and the query ---- */

typedef struct auth_state {
    char denied[96]; /* what the authorizer refused, for the message ("" = nothing) */
} auth_state;

static const char *action_name(int action) {
    switch (action) {
    case SQLITE_INSERT: return "INSERT";
    case SQLITE_UPDATE: return "UPDATE";
    case SQLITE_DELETE: return "DELETE";
    case SQLITE_PRAGMA: return "PRAGMA";
    case SQLITE_ATTACH: return "ATTACH";
    case SQLITE_DETACH: return "DETACH";
    case SQLITE_TRANSACTION: return "a transaction";
    case SQLITE_SAVEPOINT: return "SAVEPOINT";
    case SQLITE_ANALYZE: return "ANALYZE";
    case SQLITE_ALTER_TABLE: return "ALTER TABLE";
    case SQLITE_REINDEX: return "REINDEX";
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_VTABLE: return "DROP";
    default: return "CREATE";
    }
}

static int authorize(void *ud, int action, const char *a, const char *b, const char *db, const char *trigger) {
    auth_state *st = ud;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE: return SQLITE_OK;
    case SQLITE_READ:
        /* pragma_xxx() table-valued functions run their PRAGMA only when
         * scanned: refuse them here, where the message can say so */
        if (a && !sqlite3_strnicmp(a, "pragma_", 7))
            action = SQLITE_PRAGMA;
        else
            return SQLITE_OK;
        break;
    case SQLITE_FUNCTION:
        if (!b || (sqlite3_stricmp(b, "load_extension") && sqlite3_stricmp(b, "fts3_tokenizer"))) return SQLITE_OK;
        break;
    case SQLITE_UPDATE:
        /* table-valued functions (json_each) register themselves in the
         * schema while a query is prepared; a user's UPDATE of the schema
         * fails anyway (defensive mode, and only read-only statements run) */
        if (a && !sqlite3_stricmp(a, "sqlite_master")) return SQLITE_OK;
        break;
    default: break;
    }
    bool schema = a && (!sqlite3_stricmp(a, "sqlite_master") || !sqlite3_stricmp(a, "sqlite_temp_master"));
    if (!st->denied[0]) {
        if (schema && (action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE))
            snprintf(st->denied, sizeof st->denied, "CREATE or DROP");
        else if (action == SQLITE_FUNCTION)
            snprintf(st->denied, sizeof st->denied, "function %s", b ? b : "?");
        else
            snprintf(st->denied, sizeof st->denied, "%s", action_name(action));
    }
    return SQLITE_DENY;
}

static int progress(void *ud) { return ((sl_run *)ud)->cancel != 0; }

static int exec_sql(sqlite3 *db, const char *sql, sl_error *err) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return SL_OK;
    sl_error_set(err, SL_EINVAL, "%s", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return SL_EINVAL;
}

/* A private in-memory connection with one virtual table per frame. */
static int open_db(sql_node *sn, sl_run *run, auth_state *auth, sqlite3 **out, sl_error *err) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)) {
        sl_error_set(err, SL_EINTERNAL, "cannot open SQLite: %s", db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return SL_EINTERNAL;
    }
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, (int *)NULL);
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
    char pragmas[96];
    snprintf(pragmas, sizeof pragmas, "PRAGMA temp_store=FILE; PRAGMA cache_size=-%lld",
             (long long)(sn->cache_kib ? sn->cache_kib : 2048));
    int rc = exec_sql(db, pragmas, err);
    if (!rc && sqlite3_create_module_v2(db, "sluice_frame", &frame_module, sn, NULL) != SQLITE_OK)
        rc = sl_error_set(err, SL_EINTERNAL, "cannot register the frame module: %s", sqlite3_errmsg(db));
    sl_buf ddl;
    sl_buf_init(&ddl, 0);
    for (size_t fi = 0; fi < sn->n_frames && !rc; fi++) {
        sl_buf_reset(&ddl);
        sl_buf_adds(&ddl, "CREATE VIRTUAL TABLE ");
        append_ident(&ddl, sn->frames[fi].name);
        sl_buf_printf(&ddl, " USING sluice_frame(%zu)", fi);
        if ((rc = exec_sql(db, ddl.data, err)) != 0) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            sl_error_set(err, SL_EINVAL, "table %s: %s", sn->frames[fi].name, msg);
        }
    }
    sl_buf_free(&ddl);
    if (rc) {
        sqlite3_close(db);
        return rc;
    }
    sqlite3_set_authorizer(db, authorize, auth);
    if (run) sqlite3_progress_handler(db, 4096, progress, run);
    *out = db;
    return SL_OK;
}

/* Is only whitespace or comments left? (Preparing the tail tells.) */
static bool more_statements(sqlite3 *db, const char *tail) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, tail, -1, &st, NULL);
    bool more = rc != SQLITE_OK || st != NULL;
    sqlite3_finalize(st);
    return more;
}

static bool starts_with(const char *s, const char *prefix) { return !strncmp(s, prefix, strlen(prefix)); }

/* Errors that only mean the frames' columns are not known yet. */
static bool schema_error(const char *msg) {
    return starts_with(msg, "no such column: ") || starts_with(msg, "ambiguous column name: ") ||
           starts_with(msg, "cannot join using column ");
}

static bool frame_has(const sql_frame *f, const char *name) { return sql_name_taken(f, name); }

/* Add a column an error names to an open frame that lacks it; false when
 * there is nothing left to try. "no such column: [qualifier.]name": the
 * frame the qualifier names first (an alias names none: then each open
 * frame in turn); "cannot join using column X …": every open frame. */
static bool add_missing_column(sql_node *sn, const char *msg) {
    char name[400];
    if (starts_with(msg, "cannot join using column ")) {
        const char *p = msg + strlen("cannot join using column "), *e = strstr(p, " - column not present");
        size_t n = e ? (size_t)(e - p) : strlen(p);
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p);
        bool added = false;
        for (size_t fi = 0; fi < sn->n_frames; fi++) {
            sql_frame *f = &sn->frames[fi];
            if (!f->open || frame_has(f, name)) continue;
            frame_add_column(f, name, strlen(name));
            added = true;
        }
        return added;
    }
    if (!starts_with(msg, "no such column: ")) return false;
    snprintf(name, sizeof name, "%s", msg + strlen("no such column: "));
    /* candidates: the part after the qualifier, the part after the last dot, the whole text */
    const char *dot = strchr(name, '.'), *last = strrchr(name, '.');
    const char *cands[3] = {dot ? dot + 1 : name, last ? last + 1 : NULL, dot ? name : NULL};
    size_t preferred = SIZE_MAX;
    if (dot)
        for (size_t fi = 0; fi < sn->n_frames; fi++)
            if ((size_t)(dot - name) == strlen(sn->frames[fi].name) &&
                !strncasecmp(name, sn->frames[fi].name, (size_t)(dot - name)))
                preferred = fi;
    for (size_t k = 0; k < 3; k++) {
        if (!cands[k] || !*cands[k]) continue;
        for (size_t j = 0; j <= sn->n_frames; j++) {
            size_t fi = j == 0 ? preferred : j - 1;
            if (fi >= sn->n_frames || (j > 0 && fi == preferred)) continue;
            sql_frame *f = &sn->frames[fi];
            if (!f->open || frame_has(f, cands[k])) continue;
            frame_add_column(f, cands[k], strlen(cands[k]));
            return true;
        }
    }
    return false;
}

/* Line and column (1-based) of byte offset off in text. */
static void text_position(const char *text, int off, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (int i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n')
            ++*line, *col = 1;
        else
            ++*col;
    }
}

/* Append the frames' columns to a "no such column" message. */
static void column_hint(const sql_node *sn, char *out, size_t cap) {
    sl_buf b;
    sl_buf_init(&b, 0);
    for (size_t fi = 0; fi < sn->n_frames; fi++) {
        const sql_frame *f = &sn->frames[fi];
        sl_buf_printf(&b, "%s%s(", fi ? ", " : " (columns: ", f->name);
        for (size_t c = 0; c < f->n_cols; c++)
            sl_buf_printf(&b, "%s%s", c ? ", " : "", f->cols[c].sql_name);
        sl_buf_addc(&b, ')');
    }
    if (sn->n_frames) sl_buf_addc(&b, ')');
    snprintf(out, cap, "%s", b.data ? b.data : "");
    sl_buf_free(&b);
}

/* Compile the query. checking: at load time, frames' columns unknown (every
 * frame open; errors that only concern columns are let through). Else the
 * statement and its connection are returned in *db_out and *st_out. */
static int compile(sql_node *sn, sl_run *run, bool checking, sqlite3 **db_out, sqlite3_stmt **st_out, sl_error *err) {
    if (checking)
        for (size_t fi = 0; fi < sn->n_frames; fi++)
            sn->frames[fi].open = true;
    for (int attempt = 0;; attempt++) {
        auth_state auth = {0};
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        int rc = open_db(sn, run, &auth, &db, err);
        if (rc) return rc;
        const char *tail = NULL;
        if (sqlite3_prepare_v3(db, sn->query, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail) == SQLITE_OK) {
            if (!st)
                rc = sl_error_set(err, SL_EINVAL, "query is empty");
            else if (more_statements(db, tail))
                rc = sl_error_set(err, SL_EINVAL, "query must be a single statement");
            else if (!sqlite3_stmt_readonly(st) || !sqlite3_column_count(st))
                rc = sl_error_set(err, SL_EINVAL, "query must be a SELECT (it may not write or change settings)");
            if (rc || checking) {
                sqlite3_finalize(st);
                sqlite3_close(db);
                return rc;
            }
            *db_out = db;
            *st_out = st;
            return SL_OK;
        }
        char msg[400];
        snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(db));
        int off = sqlite3_error_offset(db);
        sqlite3_close(db);
        if (auth.denied[0])
            return sl_error_set(err, SL_EINVAL, "query: %s is not allowed (only a SELECT)", auth.denied);
        if (schema_error(msg) && attempt < 1000 && add_missing_column(sn, msg)) continue;
        if (checking && schema_error(msg)) return SL_OK; /* decided when the data is there */
        char where[64] = "";
        if (off >= 0) {
            int line, col;
            text_position(sn->query, off, &line, &col);
            snprintf(where, sizeof where, " (query line %d, column %d)", line, col);
        }
        char hint[256] = "";
        if (starts_with(msg, "no such column: ")) column_hint(sn, hint, sizeof hint);
        return sl_error_set(err, SL_EINVAL, "query: %s%s%s", msg, where, hint);
    }
}

/* ---- check ---- */

static char *default_table_name(const char *input) {
    char *s = sl_xstrdup(input);
    for (char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              (unsigned char)*p >= 0x80))
            *p = '_';
    return s;
}

static int sql_check(sl_node *node, sl_error *err) {
    sql_node *sn = sl_xcalloc(1, sizeof *sn);
    node->data = sn;
    sn->query = sl_xstrdup(sl_node_str(node, "query"));
    sn->n_frames = node->n_inputs;
    sn->frames = sl_xcalloc(sn->n_frames ? sn->n_frames : 1, sizeof *sn->frames);
    const sl_optval *tables = sl_node_opt(node, "tables");
    if (tables->set) {
        const sl_value *list = &tables->tree;
        if (list->len != node->n_inputs) {
            sl_error_set(err, SL_EINVAL, "tables names %u tables for %zu inputs", list->len, node->n_inputs);
            sl_error_at_option(err, node, "tables");
            return SL_EINVAL;
        }
    }
    for (size_t i = 0; i < sn->n_frames; i++) {
        const char *name = tables->set ? sl_tree_text(&tables->tree.u.items[i]) : NULL;
        if (tables->set && (!name || !*name)) {
            sl_error_set(err, SL_EINVAL, "tables: entry %zu is not a name", i + 1);
            sl_error_at_option(err, node, "tables");
            return SL_EINVAL;
        }
        sn->frames[i].name = name ? sl_xstrdup(name) : default_table_name(node->inputs[i]);
        for (size_t j = 0; j < i; j++) {
            if (strcasecmp(sn->frames[j].name, sn->frames[i].name)) continue;
            sl_error_set(err, SL_EINVAL, "two inputs are both table '%s'%s", sn->frames[i].name,
                         tables->set ? "" : "; name them with 'tables'");
            sl_error_at_option(err, node, tables->set ? "tables" : "query");
            return SL_EINVAL;
        }
    }
    int rc = compile(sn, NULL, true, NULL, NULL, err);
    for (size_t i = 0; i < sn->n_frames; i++)
        frame_clear(&sn->frames[i]); /* the columns guessed */
    if (rc) sl_error_at_option(err, node, "query");
    return rc;
}

/* ---- phase 2: the query as a source ---- */

static int sql_plan(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err) {
    sl_split *s = sl_xcalloc(1, sizeof *s);
    s->path = sl_xstrdup(node->name);
    s->length = UINT64_MAX;
    *splits = s;
    *n_splits = 1;
    return SL_OK;
}

typedef struct out_col {
    char *name;
    uint32_t len, flags;
    col_decl decl; /* declared type of the result column, when a frame column passes through */
    bool skip;     /* a frame's placeholder column (SELECT * over a frame without fields) */
} out_col;

typedef struct sql_reader {
    sl_node *node;
    sl_run *run;
    sqlite3 *db;
    sqlite3_stmt *st;
    out_col *cols;
    int n_cols;
    size_t n_fields; /* columns not skipped */
    size_t max_records;
    bool done;
} sql_reader;

static void sql_close(void *state) {
    sql_reader *r = state;
    if (!r) return;
    sqlite3_finalize(r->st);
    sqlite3_close(r->db);
    for (int i = 0; i < r->n_cols; i++)
        free(r->cols[i].name);
    free(r->cols);
    free(r);
}

static col_decl decl_of(const char *decltype) {
    if (!decltype) return DECL_NONE;
    for (size_t d = 1; d < sizeof decl_names / sizeof decl_names[0]; d++)
        if (!sqlite3_stricmp(decltype, decl_names[d])) return (col_decl)d;
    return DECL_NONE;
}

static int sql_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    sql_node *sn = node->data;
    sql_reader *r = sl_xcalloc(1, sizeof *r);
    r->node = node;
    r->run = run;
    r->max_records = run->job->settings.batch_records > 0 ? (size_t)run->job->settings.batch_records : 4096;
    int rc = compile(sn, run, false, &r->db, &r->st, err);
    if (rc) {
        free(r);
        return rc;
    }
    r->n_cols = sqlite3_column_count(r->st);
    r->cols = sl_xcalloc((size_t)r->n_cols, sizeof *r->cols);
    for (int i = 0; i < r->n_cols; i++) {
        const char *base = sqlite3_column_name(r->st, i);
        if (!base) base = "";
        char *name = sl_xstrdup(base);
        for (int k = 2;; k++) { /* SELECT a, a: the second is a_2 */
            int j = 0;
            while (j < i && strcmp(r->cols[j].name, name))
                j++;
            if (j == i) break;
            free(name);
            name = sl_xmalloc(strlen(base) + 16);
            sprintf(name, "%s_%d", base, k);
        }
        r->cols[i].name = name;
        r->cols[i].len = (uint32_t)strlen(name);
        r->cols[i].flags = sl_json_plain(name, r->cols[i].len) ? SL_VF_JSON_PLAIN : 0;
        const char *decltype = sqlite3_column_decltype(r->st, i);
        r->cols[i].decl = decl_of(decltype);
        r->cols[i].skip = decltype && !strcmp(decltype, NO_COLUMNS_TYPE);
        r->n_fields += !r->cols[i].skip;
    }
    *out = r;
    return SL_OK;
}

static sl_value result_value(sql_reader *r, int i, sl_arena *a) {
    sqlite3_stmt *st = r->st;
    col_decl decl = r->cols[i].decl;
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: {
        int64_t v = sqlite3_column_int64(st, i);
        return decl == DECL_BOOLEAN && (v == 0 || v == 1) ? sl_bool(v) : sl_int(v);
    }
    case SQLITE_FLOAT: return sl_double(sqlite3_column_double(st, i));
    case SQLITE_TEXT: {
        const char *p = (const char *)sqlite3_column_text(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        int64_t x;
        if (decl == DECL_DATE && !sl_parse_date(p, n, &x)) return sl_date(x);
        if (decl == DECL_TIMESTAMP && !sl_parse_timestamp(p, n, &x)) return sl_timestamp(x);
        sl_value s = sl_string_copy(a, p, n);
        if (decl == DECL_JSON) {
            sl_value v;
            sl_error e;
            sl_error_clear(&e);
            if (!sl_json_parse(s.u.s, n, a, &v, &e)) return v;
        }
        return s;
    }
    case SQLITE_BLOB: {
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        char *copy = sl_arena_alloc(a, n ? n : 1);
        if (n) memcpy(copy, sqlite3_column_blob(st, i), n);
        return sl_binary(copy, n);
    }
    default: return sl_null();
    }
}

static int sql_next(void *state, sl_batch *b, sl_error *err) {
    sql_reader *r = state;
    b->source_name = r->node->name;
    while (!r->done && b->count < r->max_records) {
        int rc = sqlite3_step(r->st);
        if (rc == SQLITE_DONE) {
            r->done = true;
            break;
        }
        if (rc != SQLITE_ROW) {
            if (r->run->cancel) return sl_error_set(err, SL_ELIMIT, "interrupted");
            return sl_error_set(err, SL_EINVAL, "query: %s", sqlite3_errmsg(r->db));
        }
        sl_field *fields = sl_arena_alloc(&b->arena, (r->n_fields ? r->n_fields : 1) * sizeof *fields);
        size_t n = 0;
        for (int i = 0; i < r->n_cols; i++) {
            if (r->cols[i].skip) continue;
            fields[n].name = r->cols[i].name;
            fields[n].name_len = r->cols[i].len;
            fields[n].name_flags = r->cols[i].flags;
            fields[n++].value = result_value(r, i, &b->arena);
        }
        sl_batch_push(b, sl_struct(fields, n), (sl_recloc){0, -1});
    }
    return b->count ? 1 : 0;
}

static void sql_free_splits(sl_split *splits, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(splits[i].path);
    free(splits);
}

static void sql_release(sl_node *node) {
    sql_node *sn = node->data;
    if (!sn) return;
    for (size_t fi = 0; fi < sn->n_frames; fi++) {
        frame_clear(&sn->frames[fi]);
        free(sn->frames[fi].name);
    }
    free(sn->frames);
    for (size_t i = 0; i < sn->n_workers; i++)
        worker_free(sn->workers[i]);
    free(sn->workers);
    free(sn->query);
    free(sn);
    node->data = NULL;
}

const sl_node_type sl_sql_type = {
    .name = "sql",
    .kind = SL_NODE_TRANSFORM,
    .summary = "one SQLite SELECT over one or more inputs, each a table (Glue SqlQuery)",
    .help = "Each input is a virtual table whose columns are its records' top-level fields (nested values as JSON "
            "text, so json_extract works); rows are served from the records the node holds, in input order, "
            "spilling to settings.spill_dir past settings.memory_limit. The query runs once all inputs are "
            "complete and its rows come out as one ordered partition. Syntax errors, unknown tables or functions "
            "and statements other than a SELECT are reported when the job is loaded; unknown columns when the "
            "data is there. See docs/sql.md.",
    .options = sql_options,
    .min_inputs = 1,
    .max_inputs = -1,
    .check = sql_check,
    .prepare = sql_prepare,
    .release = sql_release,
    .init = sql_init,
    .process = sql_process,
    .fini = sql_fini,
    .breaker = true,
    .seal = sql_seal,
    .plan = sql_plan,
    .open = sql_open,
    .next = sql_next,
    .close = sql_close,
    .free_splits = sql_free_splits,
};
