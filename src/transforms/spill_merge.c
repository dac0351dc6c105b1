/* spill_merge.c — see spill_merge.h. */
#include "transforms/spill_merge.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/serialize.h"

/* ---- k-way merge ---- */

typedef struct cursor {
    sl_sorted_run run;
    size_t index; /* in-memory position */
    sl_spill_reader reader;
    sl_arena arena; /* the current decoded value of a spilled run */
    sl_value cur;
    size_t order; /* position in the run list: breaks ties */
} cursor;

struct sl_merge {
    cursor *cursors;
    size_t n_cursors;
    cursor **heap;
    size_t heap_n;
    cursor *pending; /* returned last time: advance before the next pick */
    sl_merge_cmp cmp;
    void *ctx;
};

static const sl_value *head(const cursor *c) { return c->run.spill ? &c->cur : &c->run.values[c->index]; }

/* Move c to its next value (first: to its first). 1 = has one, 0 = end. */
static int advance(cursor *c, bool first, sl_error *err) {
    if (!c->run.spill) {
        if (!first) c->index++;
        return c->index < c->run.n;
    }
    const char *data;
    size_t len;
    int rc = sl_spill_next(&c->reader, &data, &len, err);
    if (rc <= 0) return rc;
    sl_arena_reset(&c->arena);
    const char *p = data;
    if (sl_value_decode(&p, data + len, &c->arena, &c->cur) || p != data + len)
        return sl_error_set(err, SL_EIO, "corrupt spill run");
    return 1;
}

static bool less(const sl_merge *m, const cursor *a, const cursor *b) {
    int c = m->cmp(head(a), head(b), m->ctx);
    return c < 0 || (c == 0 && a->order < b->order);
}

static void sift_down(sl_merge *m, size_t i) {
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

void sl_merge_free(sl_merge *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n_cursors; i++) {
        if (!m->cursors[i].run.spill) continue;
        sl_spill_reader_free(&m->cursors[i].reader);
        sl_arena_free(&m->cursors[i].arena);
    }
    free(m->cursors);
    free(m->heap);
    free(m);
}

int sl_merge_open(const sl_sorted_run *runs, size_t n, sl_merge_cmp cmp, void *ctx, sl_merge **out, sl_error *err) {
    sl_merge *m = sl_xcalloc(1, sizeof *m);
    m->cmp = cmp;
    m->ctx = ctx;
    m->cursors = sl_xcalloc(n ? n : 1, sizeof *m->cursors);
    m->heap = sl_xcalloc(n ? n : 1, sizeof *m->heap);
    for (size_t i = 0; i < n; i++) {
        cursor *c = &m->cursors[m->n_cursors++];
        c->run = runs[i];
        c->order = i;
        if (c->run.spill) {
            sl_spill_reader_init(&c->reader, c->run.spill, c->run.start, c->run.end);
            sl_arena_init(&c->arena);
        }
        int rc = advance(c, true, err);
        if (rc < 0) {
            sl_merge_free(m);
            *out = NULL;
            return rc;
        }
        if (rc) m->heap[m->heap_n++] = c;
    }
    for (size_t i = m->heap_n; i-- > 0;)
        sift_down(m, i);
    *out = m;
    return SL_OK;
}

int sl_merge_next(sl_merge *m, sl_value *out, sl_error *err) {
    if (m->pending) {
        int rc = advance(m->pending, false, err);
        if (rc < 0) return rc;
        if (!rc) m->heap[0] = m->heap[--m->heap_n];
        m->pending = NULL;
        if (m->heap_n) sift_down(m, 0);
    }
    if (!m->heap_n) return 0;
    m->pending = m->heap[0];
    *out = *head(m->pending);
    return 1;
}

/* ---- the record buffer ---- */

struct sl_seqbuf {
    size_t limit;
    const char *spill_dir;
    sl_arena arena;
    sl_value *items; /* LIST[INT seq, record] in arena */
    size_t n, cap;
    bool sorted; /* items are in seq order */
    uint64_t count;
    sl_spill *spill;
    sl_sorted_run *runs;
    size_t n_runs, cap_runs;
    sl_buf enc;
};

sl_seqbuf *sl_seqbuf_new(size_t limit, const char *spill_dir) {
    sl_seqbuf *s = sl_xcalloc(1, sizeof *s);
    s->limit = limit;
    s->spill_dir = spill_dir;
    s->sorted = true;
    sl_arena_init(&s->arena);
    sl_buf_init(&s->enc, 0);
    return s;
}

void sl_seqbuf_free(sl_seqbuf *s) {
    if (!s) return;
    sl_arena_free(&s->arena);
    free(s->items);
    free(s->runs);
    sl_spill_close(s->spill);
    sl_buf_free(&s->enc);
    free(s);
}

static uint64_t item_seq(const sl_value *v) { return (uint64_t)v->u.items[0].u.i; }

static int seq_cmp(const sl_value *a, const sl_value *b, void *ctx) {
    uint64_t x = item_seq(a), y = item_seq(b);
    return x < y ? -1 : x > y;
}

static int qsort_seq(const void *a, const void *b) { return seq_cmp(a, b, NULL); }

static void sort_items(sl_seqbuf *s) {
    if (!s->sorted) qsort(s->items, s->n, sizeof *s->items, qsort_seq);
    s->sorted = true;
}

static int spill_items(sl_seqbuf *s, sl_error *err) {
    int rc = SL_OK;
    if (!s->spill && (rc = sl_spill_open(s->spill_dir, &s->spill, err)) != 0) return rc;
    sort_items(s);
    uint64_t start = sl_spill_bytes(s->spill);
    for (size_t i = 0; i < s->n && !rc; i++) {
        sl_buf_reset(&s->enc);
        sl_value_encode(&s->enc, &s->items[i]);
        rc = sl_spill_append(s->spill, s->enc.data, s->enc.len, err);
    }
    uint64_t end = 0;
    if (!rc) rc = sl_spill_flush(s->spill, &end, err);
    if (rc) return rc;
    if (s->n_runs == s->cap_runs) {
        s->cap_runs = s->cap_runs ? 2 * s->cap_runs : 8;
        s->runs = sl_xrealloc(s->runs, s->cap_runs * sizeof *s->runs);
    }
    s->runs[s->n_runs++] = (sl_sorted_run){.spill = s->spill, .start = start, .end = end};
    s->n = 0;
    s->sorted = true;
    sl_arena_reset(&s->arena);
    return SL_OK;
}

int sl_seqbuf_add(sl_seqbuf *s, const sl_value *rec, uint64_t seq, sl_error *err) {
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->items = sl_xrealloc(s->items, s->cap * sizeof *s->items);
    }
    sl_value *pair = sl_arena_alloc(&s->arena, 2 * sizeof *pair);
    pair[0] = sl_int((int64_t)seq);
    pair[1] = sl_value_deep_copy(&s->arena, rec);
    s->items[s->n] = sl_list(pair, 2);
    if (s->n && seq < item_seq(&s->items[s->n - 1])) s->sorted = false;
    s->n++;
    s->count++;
    if (s->arena.bytes_used + s->cap * sizeof *s->items > s->limit) return spill_items(s, err);
    return SL_OK;
}

uint64_t sl_seqbuf_count(const sl_seqbuf *s) { return s->count; }

int sl_seqbuf_merge(sl_seqbuf *const *bufs, size_t n, sl_merge **out, sl_error *err) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += bufs[i]->n_runs + 1;
    sl_sorted_run *runs = sl_xcalloc(total ? total : 1, sizeof *runs);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        sl_seqbuf *s = bufs[i];
        for (size_t r = 0; r < s->n_runs; r++)
            runs[k++] = s->runs[r];
        sort_items(s);
        runs[k++] = (sl_sorted_run){.values = s->items, .n = s->n};
    }
    int rc = sl_merge_open(runs, k, seq_cmp, NULL, out, err);
    free(runs);
    return rc;
}
