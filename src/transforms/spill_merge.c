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

/* ---- compact rows ---- */

#define MAX_SHAPES 4096      /* beyond: records go whole (shape 0) */
#define MAX_DEPTH 512

typedef struct shape {
    sl_field *tmpl; /* names and flags; values null */
    uint32_t n;
    uint32_t hash;
} shape;

struct sl_rowshapes {
    size_t max_bytes; /* 0: unlimited */
    sl_arena arena;   /* names and templates */
    shape *shapes;    /* index 0 unused: shape numbers start at 1 */
    size_t n, cap;
    uint32_t *slots;  /* open addressing: shape number, 0 = empty */
    size_t mask;
    uint32_t last;    /* shape of the previous record: usually the next one's too */
};

sl_rowshapes *sl_rowshapes_new(size_t max_bytes) {
    sl_rowshapes *s = sl_xcalloc(1, sizeof *s);
    s->max_bytes = max_bytes;
    sl_arena_init(&s->arena);
    s->n = 1;
    s->cap = 16;
    s->shapes = sl_xcalloc(s->cap, sizeof *s->shapes);
    s->mask = 63;
    s->slots = sl_xcalloc(s->mask + 1, sizeof *s->slots);
    return s;
}

void sl_rowshapes_free(sl_rowshapes *s) {
    if (!s) return;
    sl_arena_free(&s->arena);
    free(s->shapes);
    free(s->slots);
    free(s);
}

size_t sl_rowshapes_bytes(const sl_rowshapes *s) {
    return s->arena.bytes_used + s->cap * sizeof *s->shapes + (s->mask + 1) * sizeof *s->slots;
}

/* Room for n more bytes; writes then go through the returned pointer. */
static inline char *room(sl_buf *out, size_t n) {
    if (out->cap - out->len <= n) sl_buf_reserve(out, n);
    return out->data + out->len;
}

static inline char *put_varint(char *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (char)v;
    return p;
}

static inline int get_varint(const char **p, const char *end, uint64_t *out) {
    if (*p < end && !(**p & 0x80)) { /* one byte: the common case */
        *out = (unsigned char)*(*p)++;
        return SL_OK;
    }
    return sl_varint_get(p, end, out);
}

static uint64_t zigzag(int64_t n) { return ((uint64_t)n << 1) ^ (uint64_t)(n >> 63); }
static int64_t unzigzag(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }

static void put_bytes(sl_buf *out, const char *s, size_t len) {
    char *p = put_varint(room(out, len + 10), len);
    memcpy(p, s, len);
    out->len = (size_t)(p + len - out->data);
}

void sl_rowval_put(sl_buf *out, const sl_value *v) {
    char *p = room(out, 16);
    *p++ = (char)(v->type | (v->flags & 3) << 4);
    switch ((sl_type)v->type) {
    case SL_T_BOOL: *p++ = v->u.b ? 1 : 0; break;
    case SL_T_INT:
    case SL_T_DATE:
    case SL_T_TIMESTAMP: p = put_varint(p, zigzag(v->u.i)); break;
    case SL_T_DOUBLE:
        memcpy(p, &v->u.d, 8);
        p += 8;
        break;
    case SL_T_DECIMAL:
    case SL_T_STRING:
    case SL_T_BINARY:
        out->len = (size_t)(p - out->data);
        put_bytes(out, v->u.s, v->len);
        return;
    case SL_T_LIST:
        p = put_varint(p, v->len);
        out->len = (size_t)(p - out->data);
        for (uint32_t i = 0; i < v->len; i++) sl_rowval_put(out, &v->u.items[i]);
        return;
    case SL_T_STRUCT:
        p = put_varint(p, v->len);
        out->len = (size_t)(p - out->data);
        for (uint32_t i = 0; i < v->len; i++) {
            const sl_field *f = &v->u.fields[i];
            p = put_varint(room(out, 10), (uint64_t)f->name_len << 2 | (f->name_flags & 3));
            out->len = (size_t)(p - out->data);
            p = room(out, f->name_len);
            memcpy(p, f->name, f->name_len);
            out->len += f->name_len;
            sl_rowval_put(out, &f->value);
        }
        return;
    default: break; /* NULL: the tag alone */
    }
    out->len = (size_t)(p - out->data);
}

static int get_bytes(const char **p, const char *end, sl_arena *a, bool copy, uint64_t len, const char **out) {
    if (len > (uint64_t)(end - *p)) return SL_EPARSE;
    *out = copy ? sl_arena_strndup(a, *p, (size_t)len) : *p;
    *p += len;
    return SL_OK;
}

static int rowval_get(const char **p, const char *end, sl_arena *a, bool copy, sl_value *out, int depth) {
    if (*p >= end || depth > MAX_DEPTH) return SL_EPARSE;
    unsigned char tag = (unsigned char)*(*p)++;
    uint64_t u = 0;
    *out = sl_null();
    out->type = tag & 15;
    out->flags = (uint8_t)(tag >> 4 & 3);
    switch ((sl_type)(tag & 15)) {
    case SL_T_NULL: return SL_OK;
    case SL_T_BOOL:
        if (*p >= end) return SL_EPARSE;
        out->u.b = *(*p)++ != 0;
        return SL_OK;
    case SL_T_INT:
    case SL_T_DATE:
    case SL_T_TIMESTAMP:
        if (get_varint(p, end, &u)) return SL_EPARSE;
        out->u.i = unzigzag(u);
        return SL_OK;
    case SL_T_DOUBLE:
        if (end - *p < 8) return SL_EPARSE;
        memcpy(&out->u.d, *p, 8);
        *p += 8;
        return SL_OK;
    case SL_T_DECIMAL:
    case SL_T_STRING:
    case SL_T_BINARY:
        if (get_varint(p, end, &u) || u > UINT32_MAX) return SL_EPARSE;
        out->len = (uint32_t)u;
        return get_bytes(p, end, a, copy, u, &out->u.s);
    case SL_T_LIST: {
        if (get_varint(p, end, &u) || u > (uint64_t)(end - *p)) return SL_EPARSE;
        sl_value *items = sl_arena_alloc(a, (u ? u : 1) * sizeof *items);
        for (uint64_t i = 0; i < u; i++)
            if (rowval_get(p, end, a, copy, &items[i], depth + 1)) return SL_EPARSE;
        out->u.items = items;
        out->len = (uint32_t)u;
        return SL_OK;
    }
    case SL_T_STRUCT: {
        if (get_varint(p, end, &u) || u > (uint64_t)(end - *p)) return SL_EPARSE;
        sl_field *fields = sl_arena_alloc(a, (u ? u : 1) * sizeof *fields);
        for (uint64_t i = 0; i < u; i++) {
            uint64_t nl;
            if (get_varint(p, end, &nl) || (nl >> 2) > UINT32_MAX) return SL_EPARSE;
            fields[i].name_len = (uint32_t)(nl >> 2);
            fields[i].name_flags = (uint32_t)(nl & 3);
            if (get_bytes(p, end, a, copy, nl >> 2, &fields[i].name)) return SL_EPARSE;
            if (rowval_get(p, end, a, copy, &fields[i].value, depth + 1)) return SL_EPARSE;
        }
        out->u.fields = fields;
        out->len = (uint32_t)u;
        return SL_OK;
    }
    default: return SL_EPARSE;
    }
}

int sl_rowval_get(const char **p, const char *end, sl_arena *a, bool copy, sl_value *out) {
    return rowval_get(p, end, a, copy, out, 0);
}

static int rowval_skip(const char **p, const char *end, int depth) {
    if (*p >= end || depth > MAX_DEPTH) return SL_EPARSE;
    unsigned char tag = (unsigned char)*(*p)++;
    uint64_t u = 0;
    switch ((sl_type)(tag & 15)) {
    case SL_T_NULL: return SL_OK;
    case SL_T_BOOL: u = 1; break;
    case SL_T_INT:
    case SL_T_DATE:
    case SL_T_TIMESTAMP: return get_varint(p, end, &u);
    case SL_T_DOUBLE: u = 8; break;
    case SL_T_DECIMAL:
    case SL_T_STRING:
    case SL_T_BINARY:
        if (get_varint(p, end, &u)) return SL_EPARSE;
        break;
    case SL_T_LIST:
    case SL_T_STRUCT: {
        uint64_t n;
        if (get_varint(p, end, &n)) return SL_EPARSE;
        for (uint64_t i = 0; i < n; i++) {
            if ((tag & 15) == SL_T_STRUCT) {
                uint64_t nl;
                if (get_varint(p, end, &nl) || (nl >> 2) > (uint64_t)(end - *p)) return SL_EPARSE;
                *p += nl >> 2;
            }
            if (rowval_skip(p, end, depth + 1)) return SL_EPARSE;
        }
        return SL_OK;
    }
    default: return SL_EPARSE;
    }
    if (u > (uint64_t)(end - *p)) return SL_EPARSE;
    *p += u;
    return SL_OK;
}

int sl_rowval_skip(const char **p, const char *end) { return rowval_skip(p, end, 0); }

static uint32_t names_hash(const sl_field *f, uint32_t n) {
    uint32_t h = 2166136261u ^ n;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t k = 0; k < f[i].name_len; k++) h = (h ^ (unsigned char)f[i].name[k]) * 16777619u;
        h = (h ^ 0xff) * 16777619u;
    }
    return h;
}

static bool same_names(const shape *sh, const sl_field *f, uint32_t n) {
    if (sh->n != n) return false;
    for (uint32_t i = 0; i < n; i++) {
        const sl_field *t = &sh->tmpl[i];
        if (t->name_len != f[i].name_len || t->name_flags != f[i].name_flags ||
            !sl_name_eq(t->name, f[i].name, f[i].name_len))
            return false;
    }
    return true;
}

static void shapes_rehash(sl_rowshapes *s) {
    free(s->slots);
    s->mask = s->mask * 2 + 1;
    s->slots = sl_xcalloc(s->mask + 1, sizeof *s->slots);
    for (uint32_t id = 1; id < s->n; id++) {
        size_t h = s->shapes[id].hash & s->mask;
        while (s->slots[h]) h = (h + 1) & s->mask;
        s->slots[h] = id;
    }
}

/* Number of rec's shape, added when new; 0 when the table is full. */
static uint32_t shape_of(sl_rowshapes *s, const sl_value *rec) {
    const sl_field *f = rec->u.fields;
    uint32_t n = rec->len;
    if (s->last && same_names(&s->shapes[s->last], f, n)) return s->last;
    uint32_t hash = names_hash(f, n);
    size_t h = hash & s->mask;
    for (uint32_t id; (id = s->slots[h]) != 0; h = (h + 1) & s->mask)
        if (s->shapes[id].hash == hash && same_names(&s->shapes[id], f, n)) return s->last = id;
    if (s->n > MAX_SHAPES || (s->max_bytes && sl_rowshapes_bytes(s) > s->max_bytes)) return 0;
    if (s->n == s->cap) {
        s->cap *= 2;
        s->shapes = sl_xrealloc(s->shapes, s->cap * sizeof *s->shapes);
    }
    uint32_t id = (uint32_t)s->n++;
    shape *sh = &s->shapes[id];
    sh->n = n;
    sh->hash = hash;
    sh->tmpl = sl_arena_alloc(&s->arena, (n ? n : 1) * sizeof *sh->tmpl);
    for (uint32_t i = 0; i < n; i++) {
        sh->tmpl[i] = f[i];
        sh->tmpl[i].name = sl_arena_strndup(&s->arena, f[i].name, f[i].name_len);
        sh->tmpl[i].value = sl_null();
    }
    s->slots[h] = id;
    if (2 * s->n > s->mask) shapes_rehash(s);
    return s->last = id;
}

void sl_row_put(sl_rowshapes *s, sl_buf *out, const sl_value *rec) {
    uint32_t id = rec->type == SL_T_STRUCT ? shape_of(s, rec) : 0;
    char *p = put_varint(room(out, 10), id);
    out->len = (size_t)(p - out->data);
    if (!id) {
        sl_rowval_put(out, rec);
        return;
    }
    for (uint32_t i = 0; i < rec->len; i++) sl_rowval_put(out, &rec->u.fields[i].value);
}

int sl_row_get(const sl_rowshapes *s, const char **p, const char *end, sl_arena *a, bool copy, sl_value *out) {
    uint64_t id;
    if (get_varint(p, end, &id) || id >= s->n) return SL_EPARSE;
    if (!id) return rowval_get(p, end, a, copy, out, 0);
    const shape *sh = &s->shapes[id];
    sl_field *fields = sl_arena_alloc(a, (sh->n ? sh->n : 1) * sizeof *fields);
    memcpy(fields, sh->tmpl, sh->n * sizeof *fields);
    for (uint32_t i = 0; i < sh->n; i++)
        if (rowval_get(p, end, a, copy, &fields[i].value, 1)) return SL_EPARSE;
    *out = sl_struct(fields, sh->n);
    return SL_OK;
}
