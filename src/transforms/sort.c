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
#include <pthread.h>
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
    uint64_t nk;   /* normalized key (see normal_key), when fast */
    bool fast;
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

#define NAME_CACHE 64

struct sort_worker {
    sort_data *d;
    /* top-level field names of recent records, copied once: records of a
     * source share their names, so each is stored once, not per record */
    const char *names[NAME_CACHE];
    uint32_t name_lens[NAME_CACHE];
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
    bool all_fast;           /* every record held has a normalized key */
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

/* A single numeric sort key as an unsigned integer with the same order as
 * the comparison below (sign-flipped IEEE bits; -0 as 0; desc inverted;
 * nulls at 0 or UINT64_MAX), so ordering is an integer compare and a
 * radix sort applies. Returns false for values it cannot map exactly
 * (non-numbers, NaN, integers beyond 2^53, the two reserved codes). */
static bool normal_key(const sort_key *k, const sl_value *v, uint64_t *out) {
    double x;
    if (v->type == SL_T_NULL) {
        *out = k->nulls_first ? 0 : UINT64_MAX;
        return true;
    }
    if (v->type == SL_T_DOUBLE) x = v->u.d;
    else if (v->type == SL_T_INT && v->u.i > -(INT64_C(1) << 53) && v->u.i < (INT64_C(1) << 53)) x = (double)v->u.i;
    else return false;
    if (x != x) return false;
    if (x == 0) x = 0.0;
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    b = (b >> 63) ? ~b : b | (UINT64_C(1) << 63);
    if (k->desc) b = ~b;
    if (b == 0 || b == UINT64_MAX) return false;
    *out = b;
    return true;
}

static void set_fast(const sort_data *d, srec *r) {
    r->fast = d->n_keys == 1 && normal_key(&d->keys[0], &r->keys[0], &r->nk);
}

static int compare(const sort_data *d, const srec *a, const srec *b) {
    if (a->fast && b->fast) {
        if (a->nk != b->nk) return a->nk < b->nk ? -1 : 1;
        return a->seq < b->seq ? -1 : a->seq > b->seq;
    }
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
        if (x->type == y->type && x->type == SL_T_DOUBLE && x->u.d == x->u.d && y->u.d == y->u.d)
            c = (x->u.d > y->u.d) - (x->u.d < y->u.d); /* the common case, without the general dispatch */
        else if (x->type == y->type && x->type == SL_T_INT)
            c = (x->u.i > y->u.i) - (x->u.i < y->u.i);
        else
            c = sl_value_compare(x, y);
        if (c) return d->keys[k].desc ? -c : c;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int qsort_cmp(const void *a, const void *b, void *ctx) { return compare(ctx, a, b); }

/* Stable LSD radix sort by nk (records arrive in seq order, so ties stay in
 * input order); passes where every record has the same byte are skipped. */
static void radix_sort(srec *recs, size_t n) {
    srec *tmp = sl_xmalloc((n ? n : 1) * sizeof *tmp);
    srec *src = recs, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[256] = {0};
        for (size_t i = 0; i < n; i++) count[(src[i].nk >> shift) & 255]++;
        if (n && count[(src[0].nk >> shift) & 255] == n) continue;
        size_t pos = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = count[b];
            count[b] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++) dst[count[(src[i].nk >> shift) & 255]++] = src[i];
        srec *t = src;
        src = dst;
        dst = t;
    }
    if (src != recs) memcpy(recs, src, n * sizeof *recs);
    free(tmp);
}

/* Sort one worker's records: radix when every key is a mapped number,
 * else a comparison sort. */
static void sort_records(const sort_data *d, srec *recs, size_t n, bool all_fast) {
    if (n < 2) return;
    if (all_fast && d->n_keys == 1) radix_sort(recs, n);
    else if (n > 1) qsort_r(recs, n, sizeof *recs, qsort_cmp, (void *)d);
}

/* ---- consuming (phase 1) ---- */

static int sort_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    sort_data *d = node->data;
    sort_worker *w = sl_xcalloc(1, sizeof *w);
    w->d = d;
    w->node = node;
    w->run = run;
    w->all_fast = true;
    sl_arena_init(&w->arena);
    sl_buf_init(&w->enc, 0);
    if (!d->worker_limit) {
        int64_t limit = run->job->settings.memory_limit > 0 ? run->job->settings.memory_limit : INT64_C(1) << 30;
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
    sort_records(d, w->recs, w->n, w->all_fast);
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
    w->all_fast = true;
    sl_arena_reset(&w->arena);
    memset(w->names, 0, sizeof w->names); /* they lived in the arena */
    return SL_OK;
}

/* Deep copy of a record into the worker's arena, sharing field names with
 * earlier records where they match. */
static sl_value copy_record(sort_worker *w, const sl_value *rec) {
    if (rec->type != SL_T_STRUCT) return sl_value_deep_copy(&w->arena, rec);
    sl_field *fields = sl_arena_alloc(&w->arena, (rec->len ? rec->len : 1) * sizeof *fields);
    for (uint32_t i = 0; i < rec->len; i++) {
        const sl_field *f = &rec->u.fields[i];
        fields[i] = *f;
        if (i < NAME_CACHE && w->names[i] && w->name_lens[i] == f->name_len && sl_name_eq(w->names[i], f->name, f->name_len)) {
            fields[i].name = w->names[i];
        } else {
            fields[i].name = sl_arena_strndup(&w->arena, f->name, f->name_len);
            if (i < NAME_CACHE) {
                w->names[i] = fields[i].name;
                w->name_lens[i] = f->name_len;
            }
        }
        fields[i].value = sl_value_deep_copy(&w->arena, &f->value);
    }
    return sl_struct(fields, rec->len);
}

static int sort_process(void *state, sl_batch *b, sl_error *err) {
    sort_worker *w = state;
    if (w->node->passthrough) return SL_OK;
    sort_data *d = w->d;
    sl_error e;
    sl_error_clear(&e);
    for (size_t i = 0; i < b->count; i++) {
        if (w->n == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 4096;
            w->recs = sl_xrealloc(w->recs, w->cap * sizeof *w->recs);
        }
        srec *r = &w->recs[w->n];
        r->rec = copy_record(w, &b->records[i]);
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
        set_fast(d, r);
        w->all_fast &= r->fast;
        w->n++;
        w->bytes = w->arena.bytes_used + w->cap * sizeof *w->recs;
        if (w->bytes > d->worker_limit) {
            int rc = spill_run(w, err);
            if (rc) return rc;
        }
    }
    b->count = 0; /* nothing flows on until the input is complete */
    return SL_OK;
}

static void *sort_worker_records(void *arg) {
    sort_worker *w = arg;
    sort_records(w->d, w->recs, w->n, w->all_fast);
    return NULL;
}

static int sort_seal(sl_node *node, sl_run *run, void **states, size_t n_states, sl_error *err) {
    sort_data *d = node->data;
    d->workers = sl_xcalloc(n_states ? n_states : 1, sizeof *d->workers);
    pthread_t *threads = sl_xcalloc(n_states ? n_states : 1, sizeof *threads);
    bool *started = sl_xcalloc(n_states ? n_states : 1, sizeof *started);
    for (size_t i = 0; i < n_states; i++) { /* each worker's records sorted on a thread of its own */
        sort_worker *w = states[i];
        d->workers[d->n_workers++] = w;
        d->total += w->n + w->spilled;
        started[i] = n_states > 1 && pthread_create(&threads[i], NULL, sort_worker_records, w) == 0;
        if (!started[i]) sort_worker_records(w);
    }
    for (size_t i = 0; i < n_states; i++)
        if (started[i]) pthread_join(threads[i], NULL);
    free(threads);
    free(started);
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
    set_fast(m->d, &c->cur);
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
