/*
 * sort.c — `sort` (Glue/Spark orderBy) and `coalesce` (Glue's coalesce /
 * repartition to N output partitions), the pipeline breakers of the engine.
 *
 * Both are an external merge sort. While the input streams in, each worker
 * deep-copies its records into its own arena with their sort keys and
 * input-order key (batch seq); when a worker holds more than its share of
 * settings.memory_limit it sorts what it has and spills it as a sorted run
 * to a spill file (exec/spill.h). When the input is complete, the node
 * merges every worker's in-memory run and every spilled run with a heap and
 * emits the result as a source would: one split for sort (one globally
 * ordered output part), `partitions` contiguous splits for coalesce.
 *
 * Ties are broken by input order, so the sort is stable and its output is
 * the same whatever the thread count. coalesce is the same machinery with
 * no keys: it keeps input order.
 *
 * Spilled record layout: varint seq, then one encoded value per key, then
 * the encoded record (core/serialize.h), inside spill.h's length prefix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/expr.h"
#include "core/mem.h"
#include "core/serialize.h"
#include "exec/run.h"
#include "exec/spill.h"
#include "transforms/transform_util.h"

typedef struct sort_key {
    sl_expr *expr;
    bool desc;
    bool nulls_first;
} sort_key;

typedef struct srec {
    sl_value rec;
    sl_value *keys;
    uint64_t seq;
} srec;

typedef struct run_ref {
    uint64_t start, end;
} run_ref;

typedef struct sort_worker sort_worker;

typedef struct sort_data {
    sort_key *keys;
    size_t n_keys;
    int partitions;          /* output splits */
    size_t worker_limit;     /* bytes a worker holds before spilling */
    const char *spill_dir;
    sort_worker **workers;   /* after seal: owned */
    size_t n_workers;
    uint64_t total;          /* records held, after seal */
} sort_data;

struct sort_worker {
    sort_data *d;
    sl_node *node;
    sl_run *run;
    sl_arena arena;
    srec *recs;
    size_t n, cap;
    size_t bytes;
    sl_spill *spill;
    run_ref *runs;
    size_t n_runs, cap_runs;
    uint64_t spilled;        /* records in runs */
    sl_buf enc;
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

static int compare(const sort_data *d, const srec *a, const srec *b) {
    for (size_t k = 0; k < d->n_keys; k++) {
        const sl_value *x = &a->keys[k], *y = &b->keys[k];
        bool xn = x->type == SL_T_NULL, yn = y->type == SL_T_NULL;
        int c;
        if (xn || yn) {
            if (xn && yn) continue;
            c = xn ? -1 : 1;
            if (!d->keys[k].nulls_first) c = -c;
            return c;
        }
        c = sl_value_compare(x, y);
        if (c) return d->keys[k].desc ? -c : c;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int qsort_cmp(const void *a, const void *b, void *ctx) { return compare(ctx, a, b); }

/* ---- consuming (phase 1) ---- */

static int sort_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    sort_data *d = node->data;
    sort_worker *w = sl_xcalloc(1, sizeof *w);
    w->d = d;
    w->node = node;
    w->run = run;
    sl_arena_init(&w->arena);
    sl_buf_init(&w->enc, 0);
    if (!d->worker_limit) {
        int64_t limit = run->job->settings.memory_limit > 0 ? run->job->settings.memory_limit : 256 << 20;
        d->worker_limit = (size_t)(limit / (run->threads > 0 ? run->threads : 1));
        d->spill_dir = run->job->settings.spill_dir;
    }
    *state = w;
    return SL_OK;
}

static void worker_free(sort_worker *w) {
    if (!w) return;
    sl_arena_free(&w->arena);
    free(w->recs);
    free(w->runs);
    sl_spill_close(w->spill);
    sl_buf_free(&w->enc);
    free(w);
}

static void sort_fini(void *state) { worker_free(state); }

/* Sort what the worker holds and write it out as one run. */
static int spill_run(sort_worker *w, sl_error *err) {
    sort_data *d = w->d;
    int rc = SL_OK;
    if (!w->spill && (rc = sl_spill_open(d->spill_dir, &w->spill, err)) != 0) return rc;
    qsort_r(w->recs, w->n, sizeof *w->recs, qsort_cmp, d);
    uint64_t start = sl_spill_bytes(w->spill);
    for (size_t i = 0; i < w->n && !rc; i++) {
        sl_buf_reset(&w->enc);
        sl_varint_put(&w->enc, w->recs[i].seq);
        for (size_t k = 0; k < d->n_keys; k++) sl_value_encode(&w->enc, &w->recs[i].keys[k]);
        sl_value_encode(&w->enc, &w->recs[i].rec);
        rc = sl_spill_append(w->spill, w->enc.data, w->enc.len, err);
    }
    uint64_t end = 0;
    if (!rc) rc = sl_spill_flush(w->spill, &end, err);
    if (rc) return rc;
    if (w->n_runs == w->cap_runs) {
        w->cap_runs = w->cap_runs ? w->cap_runs * 2 : 8;
        w->runs = sl_xrealloc(w->runs, w->cap_runs * sizeof *w->runs);
    }
    w->runs[w->n_runs++] = (run_ref){start, end};
    w->spilled += w->n;
    w->n = 0;
    w->bytes = 0;
    sl_arena_reset(&w->arena);
    return SL_OK;
}

static int sort_process(void *state, sl_batch *b, sl_error *err) {
    sort_worker *w = state;
    sort_data *d = w->d;
    sl_error e;
    sl_error_clear(&e);
    for (size_t i = 0; i < b->count; i++) {
        if (w->n == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 4096;
            w->recs = sl_xrealloc(w->recs, w->cap * sizeof *w->recs);
        }
        srec *r = &w->recs[w->n];
        r->rec = sl_value_deep_copy(&w->arena, &b->records[i]);
        r->seq = b->seq_base + i;
        r->keys = d->n_keys ? sl_arena_alloc(&w->arena, d->n_keys * sizeof *r->keys) : NULL;
        size_t k;
        for (k = 0; k < d->n_keys; k++)
            if (sl_expr_eval(d->keys[k].expr, &r->rec, &w->arena, &r->keys[k], &e) != 0) break;
        if (k < d->n_keys) { /* a key that cannot be computed: the record goes to the error output */
            int rc = sl_run_reject(w->run, w->node, b, i, e.message, err);
            sl_error_clear(&e);
            if (rc) return rc;
            continue;
        }
        w->n++;
        w->bytes += sl_value_footprint(&b->records[i]) + sizeof *r + d->n_keys * sizeof(sl_value);
        if (w->bytes > d->worker_limit) {
            int rc = spill_run(w, err);
            if (rc) return rc;
        }
    }
    b->count = 0; /* nothing flows on until the input is complete */
    return SL_OK;
}

static int sort_seal(sl_node *node, sl_run *run, void **states, size_t n_states, sl_error *err) {
    sort_data *d = node->data;
    d->workers = sl_xcalloc(n_states ? n_states : 1, sizeof *d->workers);
    for (size_t i = 0; i < n_states; i++) {
        sort_worker *w = states[i];
        d->workers[d->n_workers++] = w;
        qsort_r(w->recs, w->n, sizeof *w->recs, qsort_cmp, d);
        d->total += w->n + w->spilled;
    }
    return SL_OK;
}

/* ---- emitting (phase 2) ---- */

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

typedef struct cursor {
    const srec *mem;          /* in-memory run: records and position */
    size_t mem_n, mem_i;
    bool is_file;
    sl_spill_reader rd;       /* spilled run */
    sl_arena arena;           /* holds the current decoded record */
    srec cur;
    sl_value *keybuf;
} cursor;

typedef struct merger {
    sort_data *d;
    cursor *cursors;
    size_t n_cursors;
    cursor **heap;
    size_t heap_n;
    uint64_t skip, left;      /* records to skip, then to emit */
    size_t max_records;       /* per batch */
    sl_node *node;
} merger;

static const srec *head(const cursor *c) { return c->is_file ? &c->cur : &c->mem[c->mem_i]; }

/* Move c to its next record; returns 1 when it has one, 0 at the end. */
static int advance(merger *m, cursor *c, bool first, sl_error *err) {
    if (!c->is_file) {
        if (!first) c->mem_i++;
        return c->mem_i < c->mem_n;
    }
    const char *data;
    size_t len;
    int rc = sl_spill_next(&c->rd, &data, &len, err);
    if (rc <= 0) return rc;
    sl_arena_reset(&c->arena);
    const char *p = data, *end = data + len;
    uint64_t seq;
    if (sl_varint_get(&p, end, &seq)) return sl_error_set(err, SL_EIO, "corrupt spill run");
    c->cur.seq = seq;
    c->cur.keys = c->keybuf;
    for (size_t k = 0; k < m->d->n_keys; k++)
        if (sl_value_decode(&p, end, &c->arena, &c->keybuf[k])) return sl_error_set(err, SL_EIO, "corrupt spill run");
    if (sl_value_decode(&p, end, &c->arena, &c->cur.rec)) return sl_error_set(err, SL_EIO, "corrupt spill run");
    return 1;
}

static bool less(const merger *m, const cursor *a, const cursor *b) { return compare(m->d, head(a), head(b)) < 0; }

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

static void merger_free(merger *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n_cursors; i++) {
        if (!m->cursors[i].is_file) continue;
        sl_spill_reader_free(&m->cursors[i].rd);
        sl_arena_free(&m->cursors[i].arena);
        free(m->cursors[i].keybuf);
    }
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
    size_t n = 0;
    for (size_t i = 0; i < d->n_workers; i++) n += 1 + d->workers[i]->n_runs;
    m->cursors = sl_xcalloc(n ? n : 1, sizeof *m->cursors);
    m->heap = sl_xcalloc(n ? n : 1, sizeof *m->heap);
    for (size_t i = 0; i < d->n_workers; i++) {
        sort_worker *w = d->workers[i];
        cursor *c = &m->cursors[m->n_cursors++];
        c->mem = w->recs;
        c->mem_n = w->n;
        for (size_t r = 0; r < w->n_runs; r++) {
            c = &m->cursors[m->n_cursors++];
            c->is_file = true;
            sl_spill_reader_init(&c->rd, w->spill, w->runs[r].start, w->runs[r].end);
            sl_arena_init(&c->arena);
            c->keybuf = sl_xcalloc(d->n_keys ? d->n_keys : 1, sizeof *c->keybuf);
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
    *out = m;
    return SL_OK;
}

static int sort_next(void *state, sl_batch *b, sl_error *err) {
    merger *m = state;
    b->source_name = m->node->name;
    while (m->heap_n && m->left && b->count < m->max_records) {
        cursor *c = m->heap[0];
        if (m->skip) {
            m->skip--;
        } else {
            const srec *r = head(c);
            sl_value v = c->is_file ? sl_value_deep_copy(&b->arena, &r->rec) : r->rec;
            sl_batch_push(b, v, (sl_recloc){0, -1});
            m->left--;
        }
        int rc = advance(m, c, false, err);
        if (rc < 0) return rc;
        if (!rc) m->heap[0] = m->heap[--m->heap_n];
        sift_down(m, 0);
    }
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
