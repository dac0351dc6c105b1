/*
 * sort.c — `sort` (Glue/Spark orderBy) and `coalesce` (Glue's coalesce /
 * repartition to N output partitions), the pipeline breakers of the engine.
 *
 * Both are an external merge sort.
 *
 * Stage 1 (process, on every worker). Each record's sort keys are computed
 * once, and input order, key values and record are appended to the
 * worker's row storage as one compact row (spill_merge.h: the record without
 * its field names). An entry of 16 bytes describes each row held: its
 * normalized key (below) and its address. When rows and entries pass
 * the worker's share of settings.memory_limit, the worker sorts its entries,
 * writes their rows in that order to its spill file (exec/spill.h) as one
 * sorted run, and reuses its storage.
 *
 * Seal: every worker sorts what it still holds, each on a thread of its own.
 * With one key whose values are numbers of a single type (all longs within
 * 2^53, or all doubles other than NaN) or nulls, the normalized key orders
 * the rows exactly and a stable LSD radix sort of the entries does the work;
 * otherwise a comparison sort on the key values decoded from the rows.
 *
 * Stage 2 (plan, open, next: the node acts as a source). A k-way merge of
 * every worker's in-memory run and spilled runs decodes the rows into the
 * records of the output batch and emits them: one split for sort (one
 * globally ordered output part), `partitions` contiguous splits for
 * coalesce. The rows are read in key order, all over the storage, so the
 * merge prefetches rows ahead and the storage asks for huge pages; with
 * more than one thread a feeder thread merges and decodes ahead of the
 * worker that writes the records out (see "the feeder" below).
 *
 * Order: by the keys as sl_value_compare orders them, nulls first or last
 * per key; ties by input order, so the sort is stable and its output is the
 * same whatever the thread count or memory limit. coalesce is the same
 * machinery with no keys: it keeps input order.
 *
 * Row layout, in memory and as a spilled record (inside spill.h's length
 * prefix):
 *   row    := varint seq, varint body_length, body
 *   body   := key_value{n_keys} record
 * seq is the input order (batch seq), key_value spill_merge.h's value
 * encoding and record a compact row of the worker's shape table.
 */
#include "transforms/sort.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "core/expr.h"
#include "core/mem.h"
#include "core/serialize.h"
#include "exec/run.h"
#include "exec/spill.h"
#include "transforms/spill_merge.h"
#include "transforms/transform_util.h"

typedef struct sort_key {
    sl_expr *expr;
    bool desc;
    bool nulls_first;
} sort_key;

/* One record held: 16 bytes, moved around by the sorts. */
typedef struct entry {
    uint64_t nk;     /* normalized key: orders the run exactly when its keys are fast */
    const char *row; /* see the row layout above */
} entry;

/* What the values of the single key of a run are. The normalized keys of
 * a run order it exactly unless its class is KEYS_OTHER; two runs can be
 * merged by normalized key when their classes combine to one that is not. */
enum { KEYS_NULL, KEYS_INT, KEYS_DOUBLE, KEYS_OTHER };

static uint8_t combine_class(uint8_t a, uint8_t b) {
    if (a == b || b == KEYS_NULL) return a;
    if (a == KEYS_NULL) return b;
    return KEYS_OTHER;
}

/* A sorted run written to the worker's spill file. */
typedef struct run_ref {
    uint64_t start, end;
    uint8_t keys; /* KEYS_* */
} run_ref;

/* Row storage: blocks filled one after the other, kept for reuse when the
 * worker starts over after a spill. A row longer than a block gets a block
 * of its own, freed at the next spill. */
typedef struct rowstore {
    char **blocks;
    size_t n_blocks, cur; /* blocks[cur] is being filled */
    size_t used;          /* bytes used in blocks[cur] */
    size_t block_size;
    char **big;           /* oversized rows' blocks */
    size_t n_big;
    size_t bytes;         /* bytes handed out (including ends of blocks left unused) */
} rowstore;

typedef struct sort_worker sort_worker;

typedef struct sort_data {
    sort_key *keys;
    size_t n_keys;
    int partitions;          /* output splits */
    size_t limit;            /* memory_limit */
    size_t worker_limit;     /* bytes a worker holds before spilling */
    const char *spill_dir;
    sort_worker **workers;   /* after seal: owned */
    size_t n_workers;
    uint64_t total;          /* records held, after seal */
    size_t spilled_runs;     /* runs written to disk, after seal */
} sort_data;

struct sort_worker {
    sort_data *d;
    sl_node *node;
    sl_run *run;
    sl_rowshapes *shapes;
    rowstore rows;
    entry *entries;
    size_t n, cap;
    uint8_t keys;            /* KEYS_* of the held entries */
    bool in_order;           /* held entries were added in seq order */
    uint64_t last_seq;       /* of the last entry added */
    sl_arena scratch;        /* key values of the batch being consumed; decoding for comparisons */
    sl_buf enc;
    sl_spill *spill;
    run_ref *runs;
    size_t n_runs, cap_runs;
    uint64_t spilled;        /* records in runs */
};

/* ---- options ---- */

static const sl_option sort_options[] = {
    {"keys", SL_OPT_LIST, NULL,
     "Sort keys, most significant first. Each is an expression optionally followed by asc or desc and by "
     "nulls first or nulls last: [age_of_car, \"policy_id desc\", \"lower(make) asc nulls last\"]. Defaults: asc, "
     "nulls first for asc and nulls last for desc (Spark's). Ties keep input order (the sort is stable).",
     NULL, SL_OPTF_REQUIRED},
    {0},
};

static const sl_option coalesce_options[] = {
    {"partitions", SL_OPT_INT, "1",
     "Number of output partitions (part files of the target). Records keep their input order; partition k "
     "holds the k-th contiguous slice. coalesce: 1 gives a single output file.",
     NULL, 0},
    {0},
};

static void sort_release(sl_node *node);

static bool strip_word(char *s, const char *word) {
    size_t n = strlen(s), w = strlen(word);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
    if (n <= w || strcasecmp(s + n - w, word) != 0) return false;
    char before = s[n - w - 1];
    if (before != ' ' && before != '\t') return false;
    s[n - w] = 0;
    return true;
}

static int parse_key(const char *text, sort_key *k, sl_error *err) {
    char *s = sl_xstrdup(text);
    bool nulls_set = false;
    if (strip_word(s, "first")) {
        if (!strip_word(s, "nulls")) goto bad;
        k->nulls_first = true, nulls_set = true;
    } else if (strip_word(s, "last")) {
        if (!strip_word(s, "nulls")) goto bad;
        k->nulls_first = false, nulls_set = true;
    }
    if (strip_word(s, "desc")) k->desc = true;
    else strip_word(s, "asc");
    if (!nulls_set) k->nulls_first = !k->desc;
    int rc = sl_expr_compile(s, &k->expr, err);
    free(s);
    return rc;
bad:
    free(s);
    return sl_error_set(err, SL_EINVAL, "sort key '%s': expected 'nulls first' or 'nulls last'", text);
}

static int sort_check(sl_node *node, sl_error *err) {
    sort_data *d = sl_xcalloc(1, sizeof *d);
    node->data = d;
    d->partitions = 1;
    if (!strcmp(node->type->name, "coalesce")) {
        int64_t p = sl_node_int(node, "partitions");
        if (p < 1 || p > 100000) {
            sl_error_set(err, SL_EINVAL, "partitions must be between 1 and 100000");
            sl_error_at_option(err, node, "partitions");
            return SL_EINVAL;
        }
        d->partitions = (int)p;
        /* After a sort (one ordered partition) there is nothing to gather:
         * stream through instead of holding everything a second time. */
        const sl_node *in = node->n_inputs == 1 ? node->input_nodes[0] : NULL;
        if (in && !strcmp(in->type->name, "sort")) node->passthrough = true;
        return SL_OK;
    }
    const sl_value *keys = &sl_node_opt(node, "keys")->tree;
    d->keys = sl_xcalloc(keys->len ? keys->len : 1, sizeof *d->keys);
    for (uint32_t i = 0; i < keys->len; i++) {
        const char *text = sl_tree_text(&keys->u.items[i]);
        int rc = text ? parse_key(text, &d->keys[i], err) : sl_error_set(err, SL_EINVAL, "sort keys must be text");
        if (rc) {
            sl_error_at_option(err, node, "keys");
            return rc;
        }
        d->n_keys++;
    }
    if (!d->n_keys) {
        sl_error_set(err, SL_EINVAL, "sort needs at least one key");
        sl_error_at_option(err, node, "keys");
        return SL_EINVAL;
    }
    return SL_OK;
}

/* ---- ordering ---- */

/* Class of one key value (single-key sorts). */
static uint8_t key_class(const sl_value *v) {
    switch (v->type) {
    case SL_T_NULL: return KEYS_NULL;
    case SL_T_INT: return v->u.i > -(INT64_C(1) << 53) && v->u.i < (INT64_C(1) << 53) ? KEYS_INT : KEYS_OTHER;
    case SL_T_DOUBLE: return v->u.d == v->u.d ? KEYS_DOUBLE : KEYS_OTHER;
    default: return KEYS_OTHER;
    }
}

/* A value of class KEYS_NULL/INT/DOUBLE as an unsigned integer in the
 * order of the comparison below: sign-flipped IEEE bits (-0 as 0), desc
 * inverted, nulls at 0 or UINT64_MAX (no number maps there). Longs and
 * doubles do not share one order (a long sorts before the double of the
 * same value), which is why a run mixing them is KEYS_OTHER. */
static uint64_t normal_key(const sort_key *k, const sl_value *v) {
    if (v->type == SL_T_NULL) return k->nulls_first ? 0 : UINT64_MAX;
    double x = v->type == SL_T_DOUBLE ? v->u.d : (double)v->u.i;
    if (x == 0) x = 0.0;
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    b = (b >> 63) ? ~b : b | (UINT64_C(1) << 63);
    return k->desc ? ~b : b;
}

/* Unsigned LEB128 of a row written by this file (trusted: no bounds). */
static inline uint64_t get_uvarint(const char **p) {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        unsigned char c = (unsigned char)*(*p)++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80) || shift >= 63) return v;
    }
}

static inline uint64_t row_seq(const char *row) { return get_uvarint(&row); }

/* Body of a row and its end (which is also the end of the row). */
static inline const char *row_body(const char *row, const char **end) {
    get_uvarint(&row);
    uint64_t len = get_uvarint(&row);
    *end = row + len;
    return row;
}

/* Input order of two rows. */
static inline int seq_order(const entry *a, const entry *b) {
    uint64_t x = row_seq(a->row), y = row_seq(b->row);
    return x < y ? -1 : x > y;
}

typedef struct cmp_ctx {
    const sort_data *d;
    sl_arena *scratch; /* nested key values decoded for one comparison */
    bool fast;         /* normalized keys order every entry compared */
} cmp_ctx;

/* Key order of two rows, then input order. */
static int compare(const cmp_ctx *c, const entry *a, const entry *b) {
    if (c->fast) {
        if (a->nk != b->nk) return a->nk < b->nk ? -1 : 1;
        return seq_order(a, b);
    }
    const sort_data *d = c->d;
    const char *ea, *eb;
    const char *pa = row_body(a->row, &ea), *pb = row_body(b->row, &eb);
    int r = 0;
    for (size_t k = 0; k < d->n_keys && !r; k++) {
        sl_value x, y;
        sl_rowval_get(&pa, ea, c->scratch, false, &x);
        sl_rowval_get(&pb, eb, c->scratch, false, &y);
        bool xn = x.type == SL_T_NULL, yn = y.type == SL_T_NULL;
        if (xn || yn) {
            if (xn && yn) continue;
            r = xn ? -1 : 1;
            if (!d->keys[k].nulls_first) r = -r;
            break;
        }
        if (x.type == y.type && x.type == SL_T_DOUBLE && x.u.d == x.u.d && y.u.d == y.u.d)
            r = (x.u.d > y.u.d) - (x.u.d < y.u.d); /* common cases without the general dispatch */
        else if (x.type == y.type && x.type == SL_T_INT)
            r = (x.u.i > y.u.i) - (x.u.i < y.u.i);
        else if (x.type == y.type && x.type == SL_T_STRING) {
            size_t n = x.len < y.len ? x.len : y.len;
            r = n ? memcmp(x.u.s, y.u.s, n) : 0;
            r = r ? (r < 0 ? -1 : 1) : (x.len > y.len) - (x.len < y.len);
        } else
            r = sl_value_compare(&x, &y);
        if (d->keys[k].desc) r = -r;
    }
    if (c->scratch->bytes_used) sl_arena_reset(c->scratch);
    if (r) return r;
    return seq_order(a, b);
}

static int qsort_cmp(const void *a, const void *b, void *ctx) { return compare(ctx, a, b); }

/* Stable LSD radix sort of entries by nk: one pass to count every byte
 * position, then one scatter per position where the entries differ. */
static void radix_sort(entry *e, size_t n) {
    size_t (*count)[256] = sl_xcalloc(8, sizeof *count);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = e[i].nk;
        for (int b = 0; b < 8; b++) count[b][(k >> (8 * b)) & 255]++;
    }
    entry *tmp = NULL, *src = e, *dst = NULL;
    for (int b = 0; b < 8; b++) {
        if (count[b][(e[0].nk >> (8 * b)) & 255] == n) continue; /* every entry has this byte */
        if (!tmp) dst = tmp = sl_xmalloc(n * sizeof *tmp);
        size_t pos = 0;
        for (int v = 0; v < 256; v++) {
            size_t c = count[b][v];
            count[b][v] = pos;
            pos += c;
        }
        int shift = 8 * b;
        for (size_t i = 0; i < n; i++) dst[count[b][(src[i].nk >> shift) & 255]++] = src[i];
        entry *t = src;
        src = dst;
        dst = t;
    }
    if (src != e) memcpy(e, src, n * sizeof *e);
    free(tmp);
    free(count);
}

/* Sort a worker's held entries. */
static void sort_entries(sort_worker *w) {
    size_t n = w->n;
    if (n < 2) return;
    if (w->keys != KEYS_OTHER && w->in_order) {
        if (w->d->n_keys) radix_sort(w->entries, n);
        return; /* no keys (coalesce): input order is the order */
    }
    cmp_ctx c = {w->d, &w->scratch, w->keys != KEYS_OTHER};
    qsort_r(w->entries, n, sizeof *w->entries, qsort_cmp, &c);
}

/* ---- row storage ---- */

#define HUGE_PAGE (2u << 20)

/* A block of row storage. Blocks of whole huge pages ask for them: stage 2
 * reads the rows in key order, all over the storage, and with 4 KiB pages
 * nearly every row would cost a TLB miss. */
static char *block_alloc(size_t size) {
    if (size % HUGE_PAGE) return sl_xmalloc(size);
    void *p = aligned_alloc(HUGE_PAGE, size);
    if (!p) return sl_xmalloc(size);
#ifdef MADV_HUGEPAGE
    madvise(p, size, MADV_HUGEPAGE); /* a hint: without huge pages it only runs slower */
#endif
    return p;
}

static char *rowstore_alloc(rowstore *s, size_t len) {
    if (len > s->block_size) {
        char *b = sl_xmalloc(len);
        s->big = sl_xrealloc(s->big, (s->n_big + 1) * sizeof *s->big);
        s->big[s->n_big++] = b;
        s->bytes += len;
        return b;
    }
    if (!s->n_blocks || s->block_size - s->used < len) {
        if (s->n_blocks) {
            s->bytes += s->block_size - s->used; /* the unused end counts: it is held */
            s->cur++;
        }
        if (s->cur >= s->n_blocks) {
            s->blocks = sl_xrealloc(s->blocks, (s->n_blocks + 1) * sizeof *s->blocks);
            s->blocks[s->n_blocks++] = block_alloc(s->block_size);
            s->cur = s->n_blocks - 1;
        }
        s->used = 0;
    }
    char *p = s->blocks[s->cur] + s->used;
    s->used += len;
    s->bytes += len;
    return p;
}

/* Forget every row; keep the regular blocks for the next ones. */
static void rowstore_reset(rowstore *s) {
    for (size_t i = 0; i < s->n_big; i++) free(s->big[i]);
    free(s->big);
    s->big = NULL;
    s->n_big = 0;
    s->cur = 0;
    s->used = 0;
    s->bytes = 0;
}

static void rowstore_free(rowstore *s) {
    rowstore_reset(s);
    for (size_t i = 0; i < s->n_blocks; i++) free(s->blocks[i]);
    free(s->blocks);
    memset(s, 0, sizeof *s);
}

/* ---- consuming (stage 1) ---- */

static int sort_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    sort_data *d = node->data;
    sort_worker *w = sl_xcalloc(1, sizeof *w);
    w->d = d;
    w->node = node;
    w->run = run;
    w->in_order = true;
    w->keys = d->n_keys > 1 ? KEYS_OTHER : KEYS_NULL;
    sl_arena_init(&w->scratch);
    sl_buf_init(&w->enc, 0);
    if (!d->worker_limit) { /* first worker of the run: the node's settings */
        int64_t limit = run->job->settings.memory_limit > 0 ? run->job->settings.memory_limit : INT64_C(1) << 30;
        d->limit = (size_t)limit;
        d->worker_limit = (size_t)(limit / (run->threads > 0 ? run->threads : 1));
        d->spill_dir = run->job->settings.spill_dir;
    }
    w->shapes = sl_rowshapes_new(d->worker_limit / 8); /* counted as held: a share of the limit at most */
    size_t block = d->worker_limit / 16;
    block = block < (64u << 10) ? 64u << 10 : block > (4u << 20) ? 4u << 20 : block;
    if (block >= HUGE_PAGE) block -= block % HUGE_PAGE;
    w->rows.block_size = block;
    *state = w;
    return SL_OK;
}

static void worker_free(sort_worker *w) {
    if (!w) return;
    rowstore_free(&w->rows);
    free(w->entries);
    free(w->runs);
    sl_spill_close(w->spill);
    sl_rowshapes_free(w->shapes);
    sl_arena_free(&w->scratch);
    sl_buf_free(&w->enc);
    free(w);
}

static void sort_fini(void *state) { worker_free(state); }

/* Bytes the worker holds: rows, the entries and the radix sort's copy of
 * them, the shape table. */
static size_t held_bytes(const sort_worker *w) {
    return w->rows.bytes + 2 * w->cap * sizeof *w->entries + sl_rowshapes_bytes(w->shapes);
}

/* Sort what the worker holds and write it out as one run. */
static int spill_run(sort_worker *w, sl_error *err) {
    sort_data *d = w->d;
    int rc = SL_OK;
    if (!w->spill && (rc = sl_spill_open(d->spill_dir, &w->spill, err)) != 0) return rc;
    sort_entries(w);
    uint64_t start = sl_spill_bytes(w->spill);
    for (size_t i = 0; i < w->n && !rc; i++) {
        const char *end;
        row_body(w->entries[i].row, &end);
        rc = sl_spill_append(w->spill, w->entries[i].row, (size_t)(end - w->entries[i].row), err);
    }
    uint64_t end = 0;
    if (!rc) rc = sl_spill_flush(w->spill, &end, err);
    if (rc) return rc;
    if (w->n_runs == w->cap_runs) {
        w->cap_runs = w->cap_runs ? w->cap_runs * 2 : 8;
        w->runs = sl_xrealloc(w->runs, w->cap_runs * sizeof *w->runs);
    }
    w->runs[w->n_runs++] = (run_ref){start, end, w->keys};
    w->spilled += w->n;
    w->n = 0;
    w->keys = d->n_keys > 1 ? KEYS_OTHER : KEYS_NULL;
    w->in_order = true;
    rowstore_reset(&w->rows);
    return SL_OK;
}

/* Room for one more entry; false when growing would pass the memory limit
 * (the caller spills first). */
static bool entry_room(sort_worker *w) {
    if (w->n < w->cap) return true;
    size_t cap = w->cap ? w->cap * 2 : 4096;
    size_t max = w->d->worker_limit / (4 * sizeof *w->entries); /* entries and their radix copy: half */
    if (cap > max) cap = max > w->cap ? max : w->cap;
    if (cap == w->cap) {
        if (w->n) return false;
        cap = w->cap + 1;
    }
    w->entries = sl_xrealloc(w->entries, cap * sizeof *w->entries);
    w->cap = cap;
    return true;
}

static int put_uvarint(unsigned char *p, uint64_t v) {
    int n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

/* Store a row: seq, then the body in w->enc. */
static const char *store_row(sort_worker *w, uint64_t seq) {
    size_t len = w->enc.len;
    unsigned char pre[20];
    int np = put_uvarint(pre, seq);
    np += put_uvarint(pre + np, len);
    char *row = rowstore_alloc(&w->rows, (size_t)np + len);
    memcpy(row, pre, (size_t)np);
    memcpy(row + np, w->enc.data, len);
    return row;
}

static int sort_process(void *state, sl_batch *b, sl_error *err) {
    sort_worker *w = state;
    if (w->node->passthrough) return SL_OK;
    sort_data *d = w->d;
    sl_error e;
    sl_error_clear(&e);
    sl_arena_reset(&w->scratch);
    for (size_t i = 0; i < b->count; i++) {
        const sl_value *rec = &b->records[i];
        sl_buf_reset(&w->enc);
        uint64_t nk = 0;
        uint8_t cls = d->n_keys > 1 ? KEYS_OTHER : KEYS_NULL;
        size_t k;
        for (k = 0; k < d->n_keys; k++) {
            sl_value v;
            if (sl_expr_eval(d->keys[k].expr, rec, &w->scratch, &v, &e) != 0) break;
            sl_rowval_put(&w->enc, &v);
            if (d->n_keys == 1) {
                cls = key_class(&v);
                if (cls != KEYS_OTHER) nk = normal_key(&d->keys[0], &v);
            }
        }
        if (k < d->n_keys) { /* a key that cannot be computed: the record goes to the error output */
            int rc = sl_run_reject(w->run, w->node, b, i, e.message, err);
            sl_error_clear(&e);
            if (rc) return rc;
            continue;
        }
        sl_row_put(w->shapes, &w->enc, rec);
        if (!entry_room(w)) {
            int rc = spill_run(w, err);
            if (rc) return rc;
            entry_room(w);
        }
        uint64_t seq = b->seq_base + i;
        if (w->n && seq < w->last_seq) w->in_order = false;
        w->last_seq = seq;
        w->entries[w->n++] = (entry){nk, store_row(w, seq)};
        w->keys = combine_class(w->keys, cls);
        if (held_bytes(w) > d->worker_limit) {
            int rc = spill_run(w, err);
            if (rc) return rc;
        }
    }
    b->count = 0; /* nothing flows on until the input is complete */
    return SL_OK;
}

static void *sort_worker_entries(void *arg) {
    sort_entries(arg);
    return NULL;
}

static int sort_seal(sl_node *node, sl_run *run, void **states, size_t n_states, sl_error *err) {
    sort_data *d = node->data;
    d->workers = sl_xcalloc(n_states ? n_states : 1, sizeof *d->workers);
    pthread_t *threads = sl_xcalloc(n_states ? n_states : 1, sizeof *threads);
    bool *started = sl_xcalloc(n_states ? n_states : 1, sizeof *started);
    for (size_t i = 0; i < n_states; i++) { /* each worker's entries sorted on a thread of its own */
        sort_worker *w = states[i];
        d->workers[d->n_workers++] = w;
        d->total += w->n + w->spilled;
        d->spilled_runs += w->n_runs;
        started[i] = n_states > 1 && pthread_create(&threads[i], NULL, sort_worker_entries, w) == 0;
        if (!started[i]) sort_entries(w);
    }
    for (size_t i = 0; i < n_states; i++)
        if (started[i]) pthread_join(threads[i], NULL);
    free(threads);
    free(started);
    return SL_OK;
}

size_t sl_sort_spilled_runs(const sl_node *node) {
    const sort_data *d = node->data;
    return d ? d->spilled_runs : 0;
}

/* ---- emitting (stage 2) ---- */

static int sort_plan(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err) {
    sort_data *d = node->data;
    size_t n = d->partitions;
    if ((uint64_t)n > d->total && d->total > 0) n = (size_t)d->total;
    if (n == 0) n = 1;
    sl_split *s = sl_xcalloc(n, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        s[i].path = sl_xstrdup(node->name);
        s[i].offset = d->total * i / n;                      /* first record (merged order) */
        s[i].length = d->total * (i + 1) / n - s[i].offset;  /* records */
        s[i].index = (uint32_t)i;
    }
    *splits = s;
    *n_splits = n;
    return SL_OK;
}

/* Rows of entries ahead of the one being emitted are prefetched: the
 * entries are in key order, the rows in arrival order. */
#define PREFETCH 24

typedef struct cursor {
    const entry *mem;          /* in-memory run: entries and position */
    size_t mem_n, mem_i;
    bool is_file;
    sl_spill_reader rd;        /* spilled run */
    entry cur;                 /* its current record (row in rd's buffer) */
    const sl_rowshapes *shapes;
} cursor;

typedef struct feeder feeder;

typedef struct merger {
    sort_data *d;
    cmp_ctx cmp;
    sl_arena scratch;
    cursor *cursors;
    size_t n_cursors;
    cursor **heap;
    size_t heap_n;
    uint64_t skip, left;       /* records to skip, then to emit */
    size_t max_records;        /* per batch */
    sl_node *node;
    feeder *feed;              /* NULL: next() merges itself */
} merger;

static inline const entry *head(const cursor *c) { return c->is_file ? &c->cur : &c->mem[c->mem_i]; }

/* Move c to its next record (first: to its first); 1 when it has one, 0 at
 * the end, negative on a read error. */
static int advance(merger *m, cursor *c, bool first, sl_error *err) {
    if (!c->is_file) {
        if (!first) c->mem_i++;
        if (c->mem_i + PREFETCH < c->mem_n) { /* both lines a row may straddle */
            const char *row = c->mem[c->mem_i + PREFETCH].row;
            __builtin_prefetch(row);
            __builtin_prefetch(row + 63);
        }
        return c->mem_i < c->mem_n;
    }
    const char *data;
    size_t len;
    int rc = sl_spill_next(&c->rd, &data, &len, err);
    if (rc <= 0) return rc;
    const char *q = data, *end = data + len, *row_end;
    uint64_t seq, body_len;
    if (sl_varint_get(&q, end, &seq) || sl_varint_get(&q, end, &body_len) || body_len != (uint64_t)(end - q))
        goto corrupt;
    row_end = end;
    c->cur = (entry){0, data};
    if (m->d->n_keys == 1) { /* normalized key again, for fast merges */
        sl_value v;
        if (sl_rowval_get(&q, row_end, &m->scratch, false, &v)) goto corrupt;
        if (key_class(&v) != KEYS_OTHER) c->cur.nk = normal_key(&m->d->keys[0], &v);
        if (m->scratch.bytes_used) sl_arena_reset(&m->scratch);
    }
    return 1;
corrupt:
    return sl_error_set(err, SL_EIO, "corrupt spill run");
}

static bool less(merger *m, const cursor *a, const cursor *b) { return compare(&m->cmp, head(a), head(b)) < 0; }

static void sift_down(merger *m, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        if (l < m->heap_n && less(m, m->heap[l], m->heap[min])) min = l;
        if (r < m->heap_n && less(m, m->heap[r], m->heap[min])) min = r;
        if (min == i) return;
        cursor *t = m->heap[i];
        m->heap[i] = m->heap[min];
        m->heap[min] = t;
        i = min;
    }
}

static void feeder_start(merger *m);
static void feeder_stop(merger *m);

static void merger_free(merger *m) {
    if (!m) return;
    feeder_stop(m);
    for (size_t i = 0; i < m->n_cursors; i++)
        if (m->cursors[i].is_file) sl_spill_reader_free(&m->cursors[i].rd);
    sl_arena_free(&m->scratch);
    free(m->cursors);
    free(m->heap);
    free(m);
}

static int sort_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    sort_data *d = node->data;
    merger *m = sl_xcalloc(1, sizeof *m);
    m->d = d;
    m->node = node;
    m->skip = split->offset;
    m->left = split->length;
    m->max_records = run->job->settings.batch_records > 0 ? (size_t)run->job->settings.batch_records : 4096;
    sl_arena_init(&m->scratch);
    size_t n = 0, n_files = 0;
    uint8_t keys = d->n_keys > 1 ? KEYS_OTHER : KEYS_NULL;
    for (size_t i = 0; i < d->n_workers; i++) {
        n += 1 + d->workers[i]->n_runs;
        n_files += d->workers[i]->n_runs;
        keys = combine_class(keys, d->workers[i]->keys);
        for (size_t r = 0; r < d->workers[i]->n_runs; r++) keys = combine_class(keys, d->workers[i]->runs[r].keys);
    }
    m->cmp = (cmp_ctx){d, &m->scratch, keys != KEYS_OTHER};
    /* read buffers: a quarter of memory_limit between the spilled runs, 16 KiB to 1 MiB each */
    size_t chunk = n_files ? d->limit / 4 / n_files : 0;
    chunk = chunk < (16u << 10) ? 16u << 10 : chunk > (1u << 20) ? 1u << 20 : chunk;
    m->cursors = sl_xcalloc(n ? n : 1, sizeof *m->cursors);
    m->heap = sl_xcalloc(n ? n : 1, sizeof *m->heap);
    for (size_t i = 0; i < d->n_workers; i++) {
        sort_worker *w = d->workers[i];
        cursor *c = &m->cursors[m->n_cursors++];
        c->mem = w->entries;
        c->mem_n = w->n;
        c->shapes = w->shapes;
        for (size_t r = 0; r < w->n_runs; r++) {
            c = &m->cursors[m->n_cursors++];
            c->is_file = true;
            c->shapes = w->shapes;
            sl_spill_reader_init(&c->rd, w->spill, w->runs[r].start, w->runs[r].end);
            sl_spill_reader_set_chunk(&c->rd, chunk);
        }
    }
    for (size_t i = 0; i < m->n_cursors; i++) {
        int rc = advance(m, &m->cursors[i], true, err);
        if (rc < 0) {
            merger_free(m);
            return rc;
        }
        if (rc) m->heap[m->heap_n++] = &m->cursors[i];
    }
    for (size_t i = m->heap_n; i-- > 0;) sift_down(m, i);
    if (m->heap_n == 1 && !m->heap[0]->is_file) { /* one run in memory: skip by position */
        cursor *c = m->heap[0];
        uint64_t step = m->skip < c->mem_n - c->mem_i ? m->skip : c->mem_n - c->mem_i;
        c->mem_i += (size_t)step;
        m->skip -= step;
        if (c->mem_i >= c->mem_n) m->heap_n = 0;
        else advance(m, c, true, err);
    }
    if (run->threads > 1 && m->heap_n && m->left) feeder_start(m);
    *out = m;
    return SL_OK;
}

/* The next record of the merge in *rec (decoded into a; strings copied,
 * so that the writer later reads them from the batch's memory rather than
 * from rows all over the storage). 1: a record, 0: this split is done,
 * negative: a read error. */
static int merge_step(merger *m, sl_arena *a, sl_value *rec, sl_error *err) {
    while (m->heap_n && m->left) {
        cursor *c = m->heap[0];
        int rc = 1;
        if (m->skip) {
            m->skip--;
            rc = 0;
        } else {
            const char *end, *p = row_body(head(c)->row, &end);
            for (size_t k = 0; k < m->d->n_keys; k++)
                if (sl_rowval_skip(&p, end)) goto corrupt;
            if (sl_row_get(c->shapes, &p, end, a, true, rec) || p != end) goto corrupt;
            m->left--;
        }
        int more = advance(m, c, false, err);
        if (more < 0) return more;
        if (!more) m->heap[0] = m->heap[--m->heap_n];
        if (m->heap_n > 1) sift_down(m, 0);
        if (rc) return 1;
    }
    return 0;
corrupt:
    return sl_error_set(err, SL_EIO, "corrupt sort row");
}

/* ---- the feeder: stage 2 on two cores ----
 *
 * Stage 2 of a sort is one split on one worker, so the run's other threads
 * would idle. With more than one thread, a feeder thread merges and decodes
 * records into FEED_SLOTS slots ahead of next(), which pins each slot to
 * the batch it hands on; the slot is free again when the batch is reset.
 * A slot holds a quarter of a batch but at least 1024 records (the whole
 * batch when it is smaller): the slots together cost little memory, and a
 * slot's records are still in the cache when the worker writes them out. */

#define FEED_SLOTS 3

typedef struct feed_slot {
    sl_arena arena;   /* the records' fields and strings */
    sl_value *records;
    size_t count;
    bool full;
} feed_slot;

struct feeder {
    merger *m;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    feed_slot slots[FEED_SLOTS];
    size_t slot_records; /* records a slot holds */
    size_t fill, take;   /* next slot to fill, to hand on */
    bool done, stop;
    int rc;            /* the merge's error, once done */
    sl_error err;
};

static void *feeder_main(void *arg) {
    feeder *f = arg;
    merger *m = f->m;
    for (;;) {
        pthread_mutex_lock(&f->lock);
        while (!f->stop && f->slots[f->fill].full)
            pthread_cond_wait(&f->cond, &f->lock);
        bool stop = f->stop;
        pthread_mutex_unlock(&f->lock);
        if (stop) break;
        feed_slot *s = &f->slots[f->fill];
        sl_arena_reset(&s->arena);
        s->count = 0;
        int rc = 1;
        sl_error err;
        sl_error_clear(&err);
        while (s->count < f->slot_records && (rc = merge_step(m, &s->arena, &s->records[s->count], &err)) == 1)
            s->count++;
        pthread_mutex_lock(&f->lock);
        if (s->count) {
            s->full = true;
            f->fill = (f->fill + 1) % FEED_SLOTS;
        }
        if (rc <= 0) {
            f->done = true;
            f->rc = rc;
            f->err = err;
        }
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->lock);
        if (rc <= 0) break;
    }
    return NULL;
}

static void feed_release(void *ptr, void *ctx) {
    feed_slot *s = ptr;
    feeder *f = ctx;
    pthread_mutex_lock(&f->lock);
    s->full = false;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

static void feeder_start(merger *m) {
    feeder *f = sl_xcalloc(1, sizeof *f);
    f->m = m;
    f->slot_records = m->max_records / 4 > 1024 ? m->max_records / 4 : m->max_records < 1024 ? m->max_records : 1024;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    for (int i = 0; i < FEED_SLOTS; i++) {
        sl_arena_init(&f->slots[i].arena);
        f->slots[i].records = sl_xmalloc(f->slot_records * sizeof *f->slots[i].records);
    }
    if (pthread_create(&f->thread, NULL, feeder_main, f) != 0) { /* no thread: next() merges itself */
        for (int i = 0; i < FEED_SLOTS; i++) {
            sl_arena_free(&f->slots[i].arena);
            free(f->slots[i].records);
        }
        pthread_cond_destroy(&f->cond);
        pthread_mutex_destroy(&f->lock);
        free(f);
        return;
    }
    m->feed = f;
}

static void feeder_stop(merger *m) {
    feeder *f = m->feed;
    if (!f) return;
    pthread_mutex_lock(&f->lock);
    f->stop = true;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
    pthread_join(f->thread, NULL);
    for (int i = 0; i < FEED_SLOTS; i++) {
        sl_arena_free(&f->slots[i].arena);
        free(f->slots[i].records);
    }
    pthread_cond_destroy(&f->cond);
    pthread_mutex_destroy(&f->lock);
    free(f);
    m->feed = NULL;
}

/* next() with a feeder: hand on the next full slot. */
static int feed_next(merger *m, sl_batch *b, sl_error *err) {
    feeder *f = m->feed;
    pthread_mutex_lock(&f->lock);
    while (!f->slots[f->take].full && !f->done)
        pthread_cond_wait(&f->cond, &f->lock);
    feed_slot *s = f->slots[f->take].full ? &f->slots[f->take] : NULL;
    if (s) f->take = (f->take + 1) % FEED_SLOTS;
    int rc = f->rc;
    if (!s && rc) *err = f->err;
    pthread_mutex_unlock(&f->lock);
    if (!s) return rc;
    for (size_t i = 0; i < s->count; i++)
        sl_batch_push(b, s->records[i], (sl_recloc){0, -1});
    sl_batch_pin(b, s, feed_release, f);
    return 1;
}

static int sort_next(void *state, sl_batch *b, sl_error *err) {
    merger *m = state;
    b->source_name = m->node->name;
    if (m->feed) return feed_next(m, b, err);
    sl_value rec;
    int rc = 0;
    while (b->count < m->max_records && (rc = merge_step(m, &b->arena, &rec, err)) == 1)
        sl_batch_push(b, rec, (sl_recloc){0, -1});
    if (rc < 0) return rc;
    return b->count ? 1 : 0;
}

static void sort_close(void *state) { merger_free(state); }

static void sort_release(sl_node *node) {
    sort_data *d = node->data;
    if (!d) return;
    for (size_t i = 0; i < d->n_keys; i++) sl_expr_free(d->keys[i].expr);
    free(d->keys);
    for (size_t i = 0; i < d->n_workers; i++) worker_free(d->workers[i]);
    free(d->workers);
    free(d);
    node->data = NULL;
}

static void sort_free_splits(sl_split *splits, size_t n) {
    for (size_t i = 0; i < n; i++) free(splits[i].path);
    free(splits);
}

#define BREAKER_CALLBACKS                                                                                          \
    .min_inputs = 1, .max_inputs = 1, .check = sort_check, .release = sort_release, .init = sort_init,             \
    .process = sort_process, .fini = sort_fini, .breaker = true, .seal = sort_seal, .plan = sort_plan,             \
    .open = sort_open, .next = sort_next, .close = sort_close, .free_splits = sort_free_splits

const sl_node_type sl_sort_type = {
    .name = "sort",
    .kind = SL_NODE_TRANSFORM,
    .summary = "order records by one or more keys (stable external merge sort, spills past memory_limit)",
    .help = "Emits one globally ordered partition, so a target after a sort writes a single part file. Memory "
            "is bounded by settings.memory_limit: beyond it sorted runs spill to settings.spill_dir and are "
            "merged back. A record whose key expression fails goes to the error output.",
    .options = sort_options,
    BREAKER_CALLBACKS,
};

const sl_node_type sl_coalesce_type = {
    .name = "coalesce",
    .kind = SL_NODE_TRANSFORM,
    .summary = "gather records into N output partitions, keeping input order (Glue coalesce/repartition)",
    .help = "coalesce: 1 makes the target after it write exactly one file. Like sort it holds its whole input "
            "(spilling past settings.memory_limit) before it emits.",
    .options = coalesce_options,
    BREAKER_CALLBACKS,
};
