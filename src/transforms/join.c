/*
 * join.c — `join`: the equality join of two inputs (Glue's Join transform
 * and Glue Studio's Join node), a hash join that spills to disk (Grace hash
 * join) past settings.memory_limit. docs/join.md is the user's description.
 *
 * Semantics. Input 0 (the first of `inputs:`) is the left side, input 1 the
 * right. Records match when every key evaluates to equal non-null values on
 * both sides; a null or missing key never matches (SQL). Kinds: inner, left,
 * right, outer (full), left_semi (left records with a match, once each) and
 * left_anti (left records without one). A joined record is the left
 * record's fields followed by the right record's; a right field whose name
 * some left record uses is renamed right_prefix + name (again while that
 * clashes too). The missing side of an outer join's unmatched record is
 * filled with nulls: one null field per field name the side's records
 * carry (Spark's columns, which Glue Studio's outer joins produce).
 *
 * Keys. Each record's key values are written in a canonical byte form
 * (join_key.c) in which equal keys have equal bytes — 1, 1.0 and the decimal
 * 1.00 are one key; strings, dates, … match only their own type — and the
 * key is hashed from those bytes.
 *
 * Phase 1 (process, every worker). A worker deep-copies each record with
 * its key into its arena (field names are shared through a per-side name
 * table, which also records each name's first appearance for the null
 * padding and the renaming), or keeps only the key where the side's records
 * are never output (the right side of semi and anti joins), and drops
 * null-key records that cannot appear in the output. Past its share of the
 * memory limit (memory_limit / threads) it spills everything it holds to
 * its spill file, partitioned by the top 5 bits of the key hash: one byte
 * range per partition and side per spill. A worker gets its splits in
 * increasing order, so each of its ranges of a partition continues the
 * previous one in input order: the ranges form one ordered "chain" (should
 * records ever arrive out of order, its ranges are merged as separate runs).
 *
 * Seal, in memory (no worker spilled). The build side's records (the right
 * input unless `build: left`) are merged into input order and hashed into
 * a table of key groups, each a list of records in input order; the probe
 * side is merged into input order. If unmatched build records are output
 * later, one pass over the probe keys marks the matched groups. Output
 * splits are ranges of "units": the probe records, then (when needed) the
 * build records; every split reads the shared table.
 *
 * Seal, spilled. Every worker spills what it still holds, then the 32
 * partitions are joined by `threads` threads, each with memory_limit /
 * threads: the build side of a partition is read back in input order into
 * a table; if it does not fit, the partition (both sides) is split again by
 * the next hash bits, with a fan-out from its size, into a seal-time spill
 * file, and so on. A partition whose build records all share one hash (a
 * single key too big for memory) is joined by streaming: the build records
 * are read again for each probe record with that key. The probe side is
 * streamed through the table in input order, and each partition's output
 * is written as one run sorted by its order key; the runs are merged
 * (several passes when there are too many for the memory limit) into one
 * output split.
 *
 * Output order. Probe records in input order, each followed by its matches
 * in build input order (or its padded or unchanged self), then, when
 * emitted, build records in input order (unmatched ones of right/outer
 * joins; with build: left, the left records a semi or anti join keeps).
 * Input order is the batch seq_base and the position in the batch, so the
 * order does not depend on the thread count or on spilling.
 *
 * Spill layouts (each inside spill.h's length prefix; varints LEB128,
 * values core/serialize.h):
 *
 *   held record    := varint seq, varint idx, varint key_len, key bytes, value
 *                     (key_len 0: a null key; value null on a keys-only side)
 *   result element := varint probe_seq, varint probe_idx, varint build_seq,
 *                     varint build_idx, value (the output record)
 *
 * Result elements are ordered by the four numbers: unmatched probe records
 * have build 0, 0 and tail records probe 2^64-1, 2^64-1, so a merge by
 * order key gives the output order above.
 */
#include "transforms/join.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/expr.h"
#include "core/mem.h"
#include "core/serialize.h"
#include "exec/run.h"
#include "exec/spill.h"
#include "transforms/transform_util.h"

#define PART_BITS 5 /* phase-1 fan-out: 32 partitions */
#define PARTS (1u << PART_BITS)
#define MAX_BITS 60                   /* hash bits re-partitioning may use */
#define MAX_FANOUT_BITS 8             /* at most 256 sub-partitions at once */
#define MIN_LIMIT ((size_t)256 << 10) /* smallest memory share of one thread */
#define SPLIT_UNITS 262144            /* in-memory output: units per split */
#define SEAL_OVERHEAD 72              /* table and order-array bytes per held record */
#define NAME_CACHE 64
#define NONE SIZE_MAX
#define TAIL_SEQ UINT64_MAX
#define MIN_CHUNK ((size_t)16 << 10)
#define MAX_CHUNK ((size_t)1 << 20)

typedef enum join_kind { JK_INNER, JK_LEFT, JK_RIGHT, JK_OUTER, JK_SEMI, JK_ANTI } join_kind;

static const struct {
    const char *name;
    join_kind kind;
} kind_names[] = {
    {"inner", JK_INNER},      {"equijoin", JK_INNER},    {"left", JK_LEFT},     {"left_outer", JK_LEFT},
    {"right", JK_RIGHT},      {"right_outer", JK_RIGHT}, {"outer", JK_OUTER},   {"full", JK_OUTER},
    {"full_outer", JK_OUTER}, {"left_semi", JK_SEMI},    {"leftsemi", JK_SEMI}, {"left_anti", JK_ANTI},
    {"leftanti", JK_ANTI},
};

/* ---- hashing ---- */

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 0x243f6a8885a308d3ull ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull);
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        h = (h ^ mix64(x)) * 0x9e3779b97f4a7c15ull;
        h = (h << 27) | (h >> 37);
    }
    uint64_t x = 0;
    if (n) memcpy(&x, p, n);
    return mix64(h ^ mix64(x ^ 0x13198a2e03707344ull));
}

/* Null keys match nothing; their hash only spreads them over partitions. */
static uint64_t null_hash(uint64_t seq, uint64_t idx) { return mix64(seq * 0x9e3779b97f4a7c15ull ^ idx); }

/* `bits` bits of h after the first `used` (the partition at that level). */
static unsigned part_of(uint64_t h, unsigned used, unsigned bits) { return (unsigned)((h << used) >> (64 - bits)); }

static int order_cmp(uint64_t s1, uint64_t i1, uint64_t s2, uint64_t i2) {
    if (s1 != s2) return s1 < s2 ? -1 : 1;
    return i1 < i2 ? -1 : i1 > i2;
}

/* ---- name tables ---- */

/* A field name: in a worker's side table with its first appearance (the
 * record at seq/idx, field position pos); in the merged tables of the seal
 * with the output name of a right field (to, NULL when not renamed). */
typedef struct nent {
    const char *s;
    uint32_t len, flags;
    uint64_t hash;
    uint64_t seq;
    uint32_t idx, pos;
    const char *to;
    uint32_t to_len, to_flags;
} nent;

typedef struct ntab {
    sl_arena arena; /* the name bytes */
    nent *items;
    size_t n, cap;
    size_t *slots; /* item index + 1; 0 = empty */
    size_t slot_cap;
} ntab;

static void ntab_init(ntab *t) {
    memset(t, 0, sizeof *t);
    sl_arena_init(&t->arena);
}

static void ntab_free(ntab *t) {
    sl_arena_free(&t->arena);
    free(t->items);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static size_t ntab_bytes(const ntab *t) {
    return t->arena.bytes_used + t->cap * sizeof *t->items + t->slot_cap * sizeof *t->slots;
}

static size_t ntab_find(const ntab *t, const char *s, size_t len, uint64_t h) {
    if (!t->slot_cap) return NONE;
    for (size_t i = h & (t->slot_cap - 1);; i = (i + 1) & (t->slot_cap - 1)) {
        size_t k = t->slots[i];
        if (!k) return NONE;
        const nent *e = &t->items[k - 1];
        if (e->hash == h && e->len == len && sl_name_eq(e->s, s, len)) return k - 1;
    }
}

/* Add a name known to be absent (bytes copied); returns its index. */
static size_t ntab_add(ntab *t, const char *s, size_t len, uint32_t flags, uint64_t h) {
    if (2 * (t->n + 1) > t->slot_cap) {
        size_t cap = t->slot_cap ? 2 * t->slot_cap : 64;
        free(t->slots);
        t->slots = sl_xcalloc(cap, sizeof *t->slots);
        t->slot_cap = cap;
        for (size_t k = 0; k < t->n; k++) {
            size_t i = t->items[k].hash & (cap - 1);
            while (t->slots[i])
                i = (i + 1) & (cap - 1);
            t->slots[i] = k + 1;
        }
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 32;
        t->items = sl_xrealloc(t->items, t->cap * sizeof *t->items);
    }
    nent *e = &t->items[t->n];
    memset(e, 0, sizeof *e);
    e->s = sl_arena_strndup(&t->arena, s, len);
    e->len = (uint32_t)len;
    e->flags = flags;
    e->hash = h;
    size_t i = h & (t->slot_cap - 1);
    while (t->slots[i])
        i = (i + 1) & (t->slot_cap - 1);
    t->slots[i] = t->n + 1;
    return t->n++;
}

/* ---- records, chains, tables ---- */

/* A record held by the join, with its key. */
typedef struct jrec {
    sl_value rec;    /* the record; null on a keys-only side */
    const char *key; /* canonical key bytes; NULL: a null key (matches nothing) */
    uint64_t hash;
    uint64_t seq; /* input order: the batch's seq_base… */
    uint32_t idx; /* …and the position in the batch */
    uint32_t key_len;
} jrec;

static int jrec_cmp(const void *a, const void *b) {
    const jrec *x = a, *y = b;
    return order_cmp(x->seq, x->idx, y->seq, y->idx);
}

/* A byte range of a spill file, and a list of them that reads in order. */
typedef struct range {
    const sl_spill *spill;
    uint64_t start, end;
} range;

typedef struct chain {
    range *r;
    size_t n, cap;
} chain;

static void chain_add(chain *c, const sl_spill *s, uint64_t start, uint64_t end) {
    if (end == start) return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 4;
        c->r = sl_xrealloc(c->r, c->cap * sizeof *c->r);
    }
    c->r[c->n++] = (range){s, start, end};
}

/* Records with equal keys, as a list in input order. */
typedef struct jgroup {
    const char *key; /* the head record's key bytes */
    uint32_t key_len;
    bool matched; /* some probe record has the key */
    size_t head, tail;
} jgroup;

/* A table slot keeps the hash beside the group, so a probe that misses
 * touches nothing else. */
typedef struct jslot {
    uint64_t hash;
    size_t group; /* index + 1; 0 = empty */
} jslot;

/* The build side: records in input order and their key groups. */
typedef struct jtable {
    const jrec **recs; /* owned array */
    size_t n;
    size_t *next;  /* per record: next record of its group, NONE at the end */
    size_t *group; /* per record: its group, NONE for a null key */
    jgroup *groups;
    size_t n_groups, cap_groups;
    jslot *slots;
    size_t slot_cap;
    unsigned shift;
} jtable;

static size_t slot_of(const jtable *t, uint64_t h) { return (size_t)((h * 0x9e3779b97f4a7c15ull) >> t->shift); }

/* The slot holding key, or the empty slot where it would go. */
static jslot *table_slot(const jtable *t, uint64_t h, const char *key, uint32_t len) {
    for (size_t i = slot_of(t, h);; i = (i + 1) & (t->slot_cap - 1)) {
        jslot *sl = &t->slots[i];
        if (!sl->group) return sl;
        if (sl->hash != h) continue;
        const jgroup *gr = &t->groups[sl->group - 1];
        if (gr->key_len == len && sl_name_eq(gr->key, key, len)) return sl;
    }
}

static size_t table_lookup(const jtable *t, uint64_t h, const char *key, uint32_t len) {
    if (!t->slot_cap) return NONE;
    const jslot *sl = table_slot(t, h, key, len);
    return sl->group ? sl->group - 1 : NONE;
}

/* Take recs (n records in input order) and index them by key. */
static void table_build(jtable *t, const jrec **recs, size_t n) {
    memset(t, 0, sizeof *t);
    t->recs = recs;
    t->n = n;
    t->next = sl_xmalloc((n ? n : 1) * sizeof *t->next);
    t->group = sl_xmalloc((n ? n : 1) * sizeof *t->group);
    unsigned bits = 4;
    while (((size_t)1 << bits) < 2 * n)
        bits++;
    t->slot_cap = (size_t)1 << bits;
    t->shift = 64 - bits;
    t->slots = sl_xcalloc(t->slot_cap, sizeof *t->slots);
    for (size_t i = 0; i < n; i++) {
        const jrec *r = recs[i];
        t->next[i] = NONE;
        t->group[i] = NONE;
        if (!r->key) continue;
        jslot *sl = table_slot(t, r->hash, r->key, r->key_len);
        if (sl->group) {
            jgroup *gr = &t->groups[sl->group - 1];
            t->next[gr->tail] = i;
            gr->tail = i;
            t->group[i] = sl->group - 1;
            continue;
        }
        if (t->n_groups == t->cap_groups) {
            t->cap_groups = t->cap_groups ? 2 * t->cap_groups : 64;
            t->groups = sl_xrealloc(t->groups, t->cap_groups * sizeof *t->groups);
        }
        t->groups[t->n_groups] = (jgroup){r->key, r->key_len, false, i, i};
        t->group[i] = t->n_groups;
        sl->hash = r->hash;
        sl->group = ++t->n_groups;
    }
}

static void table_free(jtable *t) {
    free(t->recs);
    free(t->next);
    free(t->group);
    free(t->groups);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* ---- node data ---- */

typedef struct jworker jworker;

typedef struct join_data {
    join_kind kind;
    int build;         /* the side the table is built on: 1 right (default), 0 left */
    sl_expr **keys[2]; /* per side */
    size_t n_side_keys[2];
    size_t n_keys;
    char *right_prefix;
    bool keep[2];     /* the side's unmatched records are output */
    bool key_only[2]; /* the side's records are never output: hold keys only */
    bool joined;      /* output records join a left and a right record */
    bool tail;        /* build records are emitted after the probe records */
    /* settings of the run (prepare) */
    size_t limit, worker_limit, max_records;
    const char *spill_dir;
    int threads;
    /* after seal */
    jworker **workers;
    size_t n_workers;
    sl_arena arena;   /* pads */
    ntab names[2];    /* each side's field names in order of first appearance; right ones with `to` */
    size_t n_renamed; /* right names that are renamed */
    sl_field *pad[2]; /* each side's names as null fields (right names as output) */
    size_t n_pad[2];
    const jrec **probe; /* in memory: probe records in input order */
    size_t n_probe;
    jtable table;      /* in memory: the build side */
    sl_spill **spills; /* spilled: files holding the result runs */
    size_t n_spills;
    range *results;
    size_t n_results;
    sl_join_stats stats;
} join_data;

/* ---- output records ---- */

/* Output names of right fields, by field position (names of consecutive
 * records usually repeat): the merged name entry last seen there. */
typedef struct rcache {
    const nent *e[NAME_CACHE];
} rcache;

static const nent *right_entry(const join_data *d, rcache *c, uint32_t pos, const sl_field *f) {
    const nent *e = pos < NAME_CACHE ? c->e[pos] : NULL;
    if (e && e->len == f->name_len && (e->s == f->name || sl_name_eq(e->s, f->name, f->name_len))) return e;
    size_t i = ntab_find(&d->names[1], f->name, f->name_len, hash_bytes(f->name, f->name_len));
    e = i == NONE ? NULL : &d->names[1].items[i];
    if (e && pos < NAME_CACHE) c->e[pos] = e;
    return e;
}

static const sl_field *fields_of(const sl_value *v, size_t *n) {
    *n = v->type == SL_T_STRUCT ? v->len : 0;
    return v->type == SL_T_STRUCT ? v->u.fields : NULL;
}

/* left's fields then right's (renamed where they clash); a NULL side is its
 * null padding. The field array is allocated in a; values are shared. */
static sl_value make_output(const join_data *d, rcache *c, sl_arena *a, const sl_value *left, const sl_value *right) {
    size_t ln, rn;
    const sl_field *lf = left ? fields_of(left, &ln) : (ln = d->n_pad[0], d->pad[0]);
    const sl_field *rf = right ? fields_of(right, &rn) : (rn = d->n_pad[1], d->pad[1]);
    sl_field *out = sl_arena_alloc(a, (ln + rn ? ln + rn : 1) * sizeof *out);
    if (ln) memcpy(out, lf, ln * sizeof *out);
    if (rn) memcpy(out + ln, rf, rn * sizeof *out);
    if (right && d->n_renamed) {
        for (size_t i = 0; i < rn; i++) {
            const nent *e = right_entry(d, c, (uint32_t)i, &rf[i]);
            if (!e || !e->to) continue;
            out[ln + i].name = e->to;
            out[ln + i].name_len = e->to_len;
            out[ln + i].name_flags = e->to_flags;
        }
    }
    return sl_struct(out, ln + rn);
}

/* One output of the join. */
typedef struct jout {
    const sl_value *left, *right; /* NULL: that side is null padding */
    bool as_is;                   /* left is output unchanged (semi, anti) */
    uint64_t k[4];                /* order: probe seq, idx, build seq, idx */
} jout;

static sl_value jout_value(const join_data *d, rcache *c, sl_arena *a, const jout *o) {
    return o->as_is ? *o->left : make_output(d, c, a, o->left, o->right);
}

static void set_pair(const join_data *d, jout *o, const jrec *probe, const jrec *build) {
    o->left = d->build ? &probe->rec : &build->rec;
    o->right = d->build ? &build->rec : &probe->rec;
    o->as_is = false;
    o->k[0] = probe->seq, o->k[1] = probe->idx, o->k[2] = build->seq, o->k[3] = build->idx;
}

/* r alone, from side `side`: unchanged, or padded on the other side. */
static void set_single(jout *o, const jrec *r, int side, bool as_is, bool tail) {
    o->as_is = as_is;
    o->left = as_is || side == 0 ? &r->rec : NULL;
    o->right = !as_is && side == 1 ? &r->rec : NULL;
    if (tail)
        o->k[0] = o->k[1] = TAIL_SEQ, o->k[2] = r->seq, o->k[3] = r->idx;
    else
        o->k[0] = r->seq, o->k[1] = r->idx, o->k[2] = o->k[3] = 0;
}

/* Is a build record (matched or not) output after the probe records? */
static bool tail_emits(const join_data *d, bool matched, bool *as_is) {
    *as_is = d->kind == JK_SEMI || d->kind == JK_ANTI;
    if (d->kind == JK_SEMI) return d->build == 0 && matched;
    if (d->kind == JK_ANTI) return d->build == 0 && !matched;
    return d->keep[d->build] && !matched;
}

/* The join of a probe stream against a table, one output at a time. */
typedef struct jprod {
    const join_data *d;
    jtable *t;
    bool mark; /* set the groups' matched flags (in memory they are set at seal) */
    int (*next_probe)(void *ctx, const jrec **out, sl_error *err);
    void *ctx;
    bool probe_done;
    const jrec *cur;
    size_t chain;
    size_t tail_i, tail_end; /* build records to consider for the tail */
} jprod;

/* 1 with the next output in *o, 0 at the end, negative on a read error. */
static int jprod_next(jprod *p, jout *o, sl_error *err) {
    const join_data *d = p->d;
    jtable *t = p->t;
    int pside = 1 - d->build;
    for (;;) {
        if (p->chain != NONE) {
            const jrec *b = t->recs[p->chain];
            p->chain = t->next[p->chain];
            set_pair(d, o, p->cur, b);
            return 1;
        }
        if (!p->probe_done) {
            const jrec *r;
            int rc = p->next_probe(p->ctx, &r, err);
            if (rc < 0) return rc;
            if (!rc) {
                p->probe_done = true;
                continue;
            }
            size_t g = r->key ? table_lookup(t, r->hash, r->key, r->key_len) : NONE;
            if (g != NONE) {
                if (p->mark) t->groups[g].matched = true;
                if (d->joined) {
                    p->cur = r;
                    p->chain = t->groups[g].head;
                } else if (d->kind == JK_SEMI && pside == 0) {
                    set_single(o, r, 0, true, false);
                    return 1;
                }
                continue;
            }
            if (d->keep[pside]) {
                set_single(o, r, pside, d->kind == JK_ANTI, false);
                return 1;
            }
            continue;
        }
        while (p->tail_i < p->tail_end) {
            size_t i = p->tail_i++;
            bool as_is, matched = t->group[i] != NONE && t->groups[t->group[i]].matched;
            if (!tail_emits(d, matched, &as_is)) continue;
            set_single(o, t->recs[i], d->build, as_is, true);
            return 1;
        }
        return 0;
    }
}

/* ---- merging ordered spilled ranges ---- */

/* A cursor over one chain; its current element is valid until it moves. */
typedef struct rcur {
    sl_spill_reader rd;
    const range *ranges;
    size_t n_ranges, ri;
    const char *raw, *body, *end; /* the element; body: after its order words */
    size_t raw_len;
    uint64_t k[4];
    size_t order;
} rcur;

typedef struct rmerge {
    rcur *cur;
    size_t n;
    rcur **heap;
    size_t heap_n;
    rcur *pending; /* returned last: moves on at the next call */
    int nk;        /* order words per element: 2 (held records) or 4 (results) */
} rmerge;

static int rcur_advance(rcur *c, int nk, sl_error *err) {
    for (;;) {
        const char *data;
        size_t len;
        int rc = c->ri < c->n_ranges ? sl_spill_next(&c->rd, &data, &len, err) : 0;
        if (rc < 0) return rc;
        if (rc > 0) {
            const char *p = data, *end = data + len;
            for (int i = 0; i < nk; i++)
                if (sl_varint_get(&p, end, &c->k[i])) return sl_error_set(err, SL_EIO, "corrupt join spill file");
            c->raw = data, c->raw_len = len, c->body = p, c->end = end;
            return 1;
        }
        if (c->ri >= c->n_ranges || ++c->ri >= c->n_ranges) return 0;
        const range *r = &c->ranges[c->ri]; /* next range, same buffer */
        c->rd.spill = r->spill;
        c->rd.pos = r->start;
        c->rd.end = r->end;
        c->rd.buf_len = c->rd.buf_pos = 0;
    }
}

static bool rless(int nk, const rcur *a, const rcur *b) {
    for (int i = 0; i < nk; i++)
        if (a->k[i] != b->k[i]) return a->k[i] < b->k[i];
    return a->order < b->order;
}

static void rsift(rmerge *m, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        if (l < m->heap_n && rless(m->nk, m->heap[l], m->heap[min])) min = l;
        if (r < m->heap_n && rless(m->nk, m->heap[r], m->heap[min])) min = r;
        if (min == i) return;
        rcur *t = m->heap[i];
        m->heap[i] = m->heap[min];
        m->heap[min] = t;
        i = min;
    }
}

static void rmerge_free(rmerge *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n; i++)
        sl_spill_reader_free(&m->cur[i].rd);
    free(m->cur);
    free(m->heap);
    free(m);
}

/* Merge n chains (each ordered) by their order words; chunk: read size. */
static int rmerge_open(const chain *chains, size_t n, int nk, size_t chunk, rmerge **out, sl_error *err) {
    rmerge *m = sl_xcalloc(1, sizeof *m);
    m->nk = nk;
    m->cur = sl_xcalloc(n ? n : 1, sizeof *m->cur);
    m->heap = sl_xcalloc(n ? n : 1, sizeof *m->heap);
    for (size_t i = 0; i < n; i++) {
        if (!chains[i].n) continue;
        rcur *c = &m->cur[m->n++];
        c->ranges = chains[i].r;
        c->n_ranges = chains[i].n;
        c->order = i;
        sl_spill_reader_init(&c->rd, c->ranges[0].spill, c->ranges[0].start, c->ranges[0].end);
        sl_spill_reader_set_chunk(&c->rd, chunk);
        int rc = rcur_advance(c, nk, err);
        if (rc < 0) {
            rmerge_free(m);
            return rc;
        }
        if (rc) m->heap[m->heap_n++] = c;
    }
    for (size_t i = m->heap_n; i-- > 0;)
        rsift(m, i);
    *out = m;
    return SL_OK;
}

/* 1 and the cursor holding the next element (valid until the next call),
 * 0 at the end, negative on a read error. */
static int rmerge_next(rmerge *m, rcur **out, sl_error *err) {
    if (m->pending) {
        int rc = rcur_advance(m->pending, m->nk, err);
        if (rc < 0) return rc;
        if (!rc) m->heap[0] = m->heap[--m->heap_n];
        m->pending = NULL;
        if (m->heap_n) rsift(m, 0);
    }
    if (!m->heap_n) return 0;
    *out = m->pending = m->heap[0];
    return 1;
}

static size_t clamp_chunk(size_t bytes) {
    return bytes < MIN_CHUNK ? MIN_CHUNK : bytes > MAX_CHUNK ? MAX_CHUNK : bytes;
}

/* A held record from a merge cursor (order words already read): key bytes
 * point into the cursor's buffer unless key_arena is given; the value is
 * decoded into a (left null when a is NULL). */
static int read_jrec(const rcur *c, sl_arena *key_arena, sl_arena *a, jrec *r, sl_error *err) {
    const char *p = c->body, *end = c->end;
    uint64_t key_len;
    if (sl_varint_get(&p, end, &key_len) || key_len > (uint64_t)(end - p)) goto bad;
    r->seq = c->k[0];
    r->idx = (uint32_t)c->k[1];
    r->key_len = (uint32_t)key_len;
    if (!key_len) {
        r->key = NULL;
        r->hash = null_hash(r->seq, r->idx);
    } else {
        r->key = key_arena ? memcpy(sl_arena_alloc(key_arena, key_len), p, key_len) : p;
        r->hash = hash_bytes(p, key_len);
    }
    p += key_len;
    r->rec = sl_null();
    if (a && sl_value_decode(&p, end, a, &r->rec)) goto bad;
    return SL_OK;
bad:
    return sl_error_set(err, SL_EIO, "corrupt join spill file");
}

static void put_jrec(sl_buf *b, const jrec *r) {
    sl_buf_reset(b);
    sl_varint_put(b, r->seq);
    sl_varint_put(b, r->idx);
    sl_varint_put(b, r->key_len);
    if (r->key_len) sl_buf_add(b, r->key, r->key_len);
    sl_value_encode(b, &r->rec);
}

/* ---- phase 1: workers ---- */

typedef struct jside {
    jrec *recs;
    size_t n, cap;
    bool any, unordered; /* held records arrived out of input order */
    uint64_t max_seq;    /* the latest record seen */
    uint32_t max_idx;
    bool spilled_any, broken; /* broken: the spilled ranges are not one ordered chain */
    uint64_t spilled_seq;
    uint32_t spilled_idx;
    chain parts[PARTS]; /* spilled ranges per partition */
    ntab names;
    uint32_t cache[NAME_CACHE]; /* name index + 1 last seen at each field position */
} jside;

struct jworker {
    join_data *d;
    sl_node *node;
    sl_run *run;
    sl_arena arena;   /* held records and keys */
    sl_arena scratch; /* key evaluation */
    jside side[2];
    sl_spill *spill;
    sl_buf key, enc;
    sl_join_keybufs kb;
    size_t spill_events;
};

static void worker_free(jworker *w) {
    if (!w) return;
    sl_arena_free(&w->arena);
    sl_arena_free(&w->scratch);
    for (int s = 0; s < 2; s++) {
        free(w->side[s].recs);
        for (unsigned p = 0; p < PARTS; p++)
            free(w->side[s].parts[p].r);
        ntab_free(&w->side[s].names);
    }
    sl_spill_close(w->spill);
    sl_buf_free(&w->key);
    sl_buf_free(&w->enc);
    sl_buf_free(&w->kb.a);
    sl_buf_free(&w->kb.b);
    free(w);
}

static int join_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    jworker *w = sl_xcalloc(1, sizeof *w);
    w->d = node->data;
    w->node = node;
    w->run = run;
    sl_arena_init(&w->arena);
    sl_arena_init(&w->scratch);
    for (int s = 0; s < 2; s++)
        ntab_init(&w->side[s].names);
    sl_buf_init(&w->key, 0);
    sl_buf_init(&w->enc, 0);
    sl_buf_init(&w->kb.a, 0);
    sl_buf_init(&w->kb.b, 0);
    *state = w;
    return SL_OK;
}

static void join_fini(void *state) { worker_free(state); }

/* Field f (at position pos of the record at seq/idx) in the side's name
 * table: added when new, its first appearance kept. */
static const nent *observe_name(jside *sd, const sl_field *f, uint32_t pos, uint64_t seq, uint32_t idx) {
    nent *e = NULL;
    if (pos < NAME_CACHE && sd->cache[pos]) {
        nent *c = &sd->names.items[sd->cache[pos] - 1];
        if (c->len == f->name_len && sl_name_eq(c->s, f->name, f->name_len)) e = c;
    }
    if (!e) {
        uint64_t h = hash_bytes(f->name, f->name_len);
        size_t i = ntab_find(&sd->names, f->name, f->name_len, h);
        if (i == NONE) {
            i = ntab_add(&sd->names, f->name, f->name_len, f->name_flags, h);
            sd->names.items[i].seq = seq, sd->names.items[i].idx = idx, sd->names.items[i].pos = pos;
        }
        e = &sd->names.items[i];
        if (pos < NAME_CACHE) sd->cache[pos] = (uint32_t)i + 1;
    }
    int c = order_cmp(seq, idx, e->seq, e->idx);
    if (c < 0 || (c == 0 && pos < e->pos)) e->seq = seq, e->idx = idx, e->pos = pos;
    return e;
}

/* Deep copy of rec into the worker's arena, field names shared through the
 * side's name table. */
static sl_value copy_record(jworker *w, jside *sd, const sl_value *rec, uint64_t seq, uint32_t idx) {
    if (rec->type != SL_T_STRUCT) return sl_value_deep_copy(&w->arena, rec);
    sl_field *fields = sl_arena_alloc(&w->arena, (rec->len ? rec->len : 1) * sizeof *fields);
    for (uint32_t i = 0; i < rec->len; i++) {
        const sl_field *f = &rec->u.fields[i];
        fields[i] = *f;
        fields[i].name = observe_name(sd, f, i, seq, idx)->s;
        fields[i].value = sl_value_deep_copy(&w->arena, &f->value);
    }
    return sl_struct(fields, rec->len);
}

static size_t worker_bytes(const jworker *w) {
    size_t n = w->arena.bytes_used;
    for (int s = 0; s < 2; s++)
        n += w->side[s].cap * sizeof(jrec) + w->side[s].n * SEAL_OVERHEAD + ntab_bytes(&w->side[s].names);
    return n;
}

/* Write side s's held records to the spill file, one range per partition. */
static int spill_side(jworker *w, int s, sl_error *err) {
    jside *sd = &w->side[s];
    if (!sd->n) return SL_OK;
    if (sd->unordered) qsort(sd->recs, sd->n, sizeof *sd->recs, jrec_cmp);
    sd->unordered = false;
    const jrec *first = &sd->recs[0], *last = &sd->recs[sd->n - 1];
    if (sd->spilled_any && order_cmp(first->seq, first->idx, sd->spilled_seq, sd->spilled_idx) < 0) sd->broken = true;
    if (!sd->spilled_any || order_cmp(last->seq, last->idx, sd->spilled_seq, sd->spilled_idx) > 0)
        sd->spilled_seq = last->seq, sd->spilled_idx = last->idx;
    sd->spilled_any = true;
    size_t start[PARTS + 1] = {0};
    for (size_t i = 0; i < sd->n; i++)
        start[part_of(sd->recs[i].hash, 0, PART_BITS) + 1]++;
    for (unsigned p = 0; p < PARTS; p++)
        start[p + 1] += start[p];
    size_t *order = sl_xmalloc(sd->n * sizeof *order), fill[PARTS];
    memcpy(fill, start, sizeof fill);
    for (size_t i = 0; i < sd->n; i++)
        order[fill[part_of(sd->recs[i].hash, 0, PART_BITS)]++] = i;
    int rc = SL_OK;
    for (unsigned p = 0; p < PARTS && !rc; p++) {
        uint64_t from = sl_spill_bytes(w->spill);
        for (size_t j = start[p]; j < start[p + 1] && !rc; j++) {
            put_jrec(&w->enc, &sd->recs[order[j]]);
            rc = sl_spill_append(w->spill, w->enc.data, w->enc.len, err);
        }
        chain_add(&sd->parts[p], w->spill, from, sl_spill_bytes(w->spill));
    }
    free(order);
    return rc;
}

/* Spill everything the worker holds. */
static int spill_worker(jworker *w, sl_error *err) {
    int rc = SL_OK;
    if (!w->side[0].n && !w->side[1].n) return SL_OK;
    if (!w->spill && (rc = sl_spill_open(w->d->spill_dir, &w->spill, err)) != 0) return rc;
    for (int s = 0; s < 2 && !rc; s++)
        rc = spill_side(w, s, err);
    if (!rc) rc = sl_spill_flush(w->spill, NULL, err);
    if (rc) return rc;
    w->side[0].n = w->side[1].n = 0;
    sl_arena_reset(&w->arena);
    w->spill_events++;
    return SL_OK;
}

/* Evaluate side s's keys on rec into w->key; *null when one is null. */
static int eval_key(jworker *w, int s, const sl_value *rec, bool *null, sl_error *e) {
    const join_data *d = w->d;
    sl_buf_reset(&w->key);
    *null = false;
    for (size_t k = 0; k < d->n_keys; k++) {
        sl_value v;
        int rc = sl_expr_eval(d->keys[s][k], rec, &w->scratch, &v, e);
        if (rc) return rc;
        if (v.type == SL_T_NULL)
            *null = true;
        else if (!*null)
            sl_join_key_put(&w->key, &v, &w->kb);
    }
    return SL_OK;
}

static int join_process(void *state, sl_batch *b, sl_error *err) {
    jworker *w = state;
    join_data *d = w->d;
    int s = b->input ? 1 : 0;
    jside *sd = &w->side[s];
    sl_error e;
    sl_error_clear(&e);
    sl_arena_reset(&w->scratch);
    for (size_t i = 0; i < b->count; i++) {
        const sl_value *rec = &b->records[i];
        uint64_t seq = b->seq_base;
        uint32_t idx = (uint32_t)i;
        bool null;
        if (eval_key(w, s, rec, &null, &e)) { /* a key that cannot be computed: the record goes to the error output */
            char reason[sizeof e.message + 32];
            snprintf(reason, sizeof reason, "join key: %s", e.message);
            int rc = sl_run_reject(w->run, w->node, b, i, reason, err);
            sl_error_clear(&e);
            if (rc) return rc;
            continue;
        }
        if (null && !d->keep[s]) { /* can never be output; its field names still count */
            if (d->joined && rec->type == SL_T_STRUCT)
                for (uint32_t f = 0; f < rec->len; f++)
                    observe_name(sd, &rec->u.fields[f], f, seq, idx);
            continue;
        }
        if (sd->n == sd->cap) {
            sd->cap = sd->cap ? 2 * sd->cap : 1024;
            sd->recs = sl_xrealloc(sd->recs, sd->cap * sizeof *sd->recs);
        }
        jrec *r = &sd->recs[sd->n++];
        r->rec = d->key_only[s] ? sl_null() : copy_record(w, sd, rec, seq, idx);
        r->seq = seq;
        r->idx = idx;
        if (null) {
            r->key = NULL;
            r->key_len = 0;
            r->hash = null_hash(seq, idx);
        } else {
            r->key = memcpy(sl_arena_alloc(&w->arena, w->key.len), w->key.data, w->key.len);
            r->key_len = (uint32_t)w->key.len;
            r->hash = hash_bytes(w->key.data, w->key.len);
        }
        if (sd->any && order_cmp(seq, idx, sd->max_seq, sd->max_idx) < 0)
            sd->unordered = true;
        else
            sd->max_seq = seq, sd->max_idx = idx;
        sd->any = true;
        if (worker_bytes(w) > d->worker_limit) {
            int rc = spill_worker(w, err);
            if (rc) return rc;
        }
    }
    b->count = 0; /* nothing flows on until both inputs are complete */
    return SL_OK;
}

/* ---- seal: names ---- */

static int name_order(const void *a, const void *b) {
    const nent *x = *(const nent *const *)a, *y = *(const nent *const *)b;
    int c = order_cmp(x->seq, x->idx, y->seq, y->idx);
    if (c) return c;
    if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return memcmp(x->s, y->s, x->len);
}

/* Side s's field names over every worker, in order of first appearance. */
static void merge_names(join_data *d, int s, ntab *out) {
    size_t total = 0;
    for (size_t i = 0; i < d->n_workers; i++)
        total += d->workers[i]->side[s].names.n;
    const nent **all = sl_xmalloc((total ? total : 1) * sizeof *all);
    size_t k = 0;
    for (size_t i = 0; i < d->n_workers; i++)
        for (size_t j = 0; j < d->workers[i]->side[s].names.n; j++)
            all[k++] = &d->workers[i]->side[s].names.items[j];
    qsort(all, total, sizeof *all, name_order);
    for (size_t i = 0; i < total; i++)
        if (ntab_find(out, all[i]->s, all[i]->len, all[i]->hash) == NONE)
            ntab_add(out, all[i]->s, all[i]->len, all[i]->flags, all[i]->hash);
    free(all);
}

static bool name_taken(const ntab *const *sets, size_t n_sets, const char *s, size_t len) {
    uint64_t h = hash_bytes(s, len);
    for (size_t i = 0; i < n_sets; i++)
        if (ntab_find(sets[i], s, len, h) != NONE) return true;
    return false;
}

/* The union of names per side, the output names of clashing right fields
 * and each side's null padding. */
static void plan_names(join_data *d) {
    for (int s = 0; s < 2; s++)
        merge_names(d, s, &d->names[s]);
    ntab assigned;
    ntab_init(&assigned);
    const ntab *sets[3] = {&d->names[0], &d->names[1], &assigned};
    size_t plen = strlen(d->right_prefix);
    sl_buf name, prev;
    sl_buf_init(&name, 0);
    sl_buf_init(&prev, 0);
    for (size_t i = 0; i < d->names[1].n; i++) {
        nent *e = &d->names[1].items[i];
        if (ntab_find(&d->names[0], e->s, e->len, e->hash) == NONE) continue;
        sl_buf_reset(&name);
        sl_buf_add(&name, e->s, e->len);
        do { /* prefix again while the name is taken */
            sl_buf_reset(&prev);
            sl_buf_add(&prev, name.data, name.len);
            sl_buf_reset(&name);
            sl_buf_add(&name, d->right_prefix, plen);
            sl_buf_add(&name, prev.data, prev.len);
        } while (name_taken(sets, 3, name.data, name.len));
        size_t k = ntab_add(&assigned, name.data, name.len, 0, hash_bytes(name.data, name.len));
        e = &d->names[1].items[i];
        e->to = assigned.items[k].s;
        e->to_len = (uint32_t)name.len;
        e->to_flags = sl_json_plain(name.data, name.len) ? SL_VF_JSON_PLAIN : 0;
        d->n_renamed++;
    }
    sl_buf_free(&name);
    sl_buf_free(&prev);
    /* the output names must outlive `assigned`: copy them into the names' arena */
    for (size_t i = 0; i < d->names[1].n; i++) {
        nent *e = &d->names[1].items[i];
        if (e->to) e->to = sl_arena_strndup(&d->names[1].arena, e->to, e->to_len);
    }
    ntab_free(&assigned);
    for (int s = 0; s < 2; s++) {
        const ntab *t = &d->names[s];
        d->n_pad[s] = t->n;
        d->pad[s] = sl_arena_calloc(&d->arena, (t->n ? t->n : 1) * sizeof *d->pad[s]);
        for (size_t i = 0; i < t->n; i++) {
            const nent *e = &t->items[i];
            sl_field *f = &d->pad[s][i];
            f->name = e->to ? e->to : e->s;
            f->name_len = e->to ? e->to_len : e->len;
            f->name_flags = e->to ? e->to_flags : e->flags;
            f->value = sl_null();
        }
    }
}

/* ---- seal: in memory ---- */

/* Side s's held records of every worker, merged into input order. */
static const jrec **collect_side(join_data *d, int s, size_t *n_out) {
    size_t total = 0, nw = d->n_workers;
    for (size_t i = 0; i < nw; i++) {
        jside *sd = &d->workers[i]->side[s];
        if (sd->unordered) qsort(sd->recs, sd->n, sizeof *sd->recs, jrec_cmp);
        sd->unordered = false;
        total += sd->n;
    }
    const jrec **out = sl_xmalloc((total ? total : 1) * sizeof *out);
    size_t *pos = sl_xcalloc(nw ? nw : 1, sizeof *pos);
    for (size_t k = 0; k < total; k++) {
        const jrec *best = NULL;
        size_t bi = 0;
        for (size_t i = 0; i < nw; i++) {
            const jside *sd = &d->workers[i]->side[s];
            if (pos[i] == sd->n) continue;
            const jrec *r = &sd->recs[pos[i]];
            if (!best || order_cmp(r->seq, r->idx, best->seq, best->idx) < 0) best = r, bi = i;
        }
        out[k] = best;
        pos[bi]++;
    }
    free(pos);
    *n_out = total;
    return out;
}

static void seal_in_memory(join_data *d) {
    size_t n_build;
    const jrec **build = collect_side(d, d->build, &n_build);
    d->probe = collect_side(d, 1 - d->build, &d->n_probe);
    table_build(&d->table, build, n_build);
    if (!d->tail) return;
    for (size_t i = 0; i < d->n_probe; i++) { /* which build groups have a match */
        const jrec *r = d->probe[i];
        size_t g = r->key ? table_lookup(&d->table, r->hash, r->key, r->key_len) : NONE;
        if (g != NONE) d->table.groups[g].matched = true;
    }
}

/* ---- seal: spilled ---- */

/* A partition to join: per side, ordered chains of held records. */
typedef struct pjob {
    chain *src[2];
    size_t n_src[2];
    unsigned bits;     /* hash bits used by the partitioning so far */
    unsigned depth;    /* re-partitionings */
    uint64_t bytes[2]; /* encoded bytes per side */
    bool one_hash;     /* every non-null build key has the same hash */
    uint64_t hash;
} pjob;

static void pjob_free(pjob *j) {
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < j->n_src[s]; i++)
            free(j->src[s][i].r);
        free(j->src[s]);
    }
    memset(j, 0, sizeof *j);
}

typedef struct sealer {
    join_data *d;
    size_t budget;
    size_t *next_part; /* shared, atomic */
    int *failed;       /* shared, atomic */
    sl_spill *tmp;     /* re-partitioned records */
    sl_spill *out;     /* result runs */
    range *results;
    size_t n_results, cap_results;
    sl_arena arena; /* the build records of the partition being joined */
    sl_arena scratch, scratch2, scratch3;
    jrec *recs;
    size_t n_recs, cap_recs;
    sl_buf enc;
    rcache cache;
    pjob *stack;
    size_t n_stack, cap_stack;
    sl_join_stats stats;
    int rc;
    sl_error err;
    pthread_t thread;
    bool started;
} sealer;

static void push_job(sealer *s, const pjob *j) {
    if (s->n_stack == s->cap_stack) {
        s->cap_stack = s->cap_stack ? 2 * s->cap_stack : 16;
        s->stack = sl_xrealloc(s->stack, s->cap_stack * sizeof *s->stack);
    }
    s->stack[s->n_stack++] = *j;
}

/* Partition p of phase 1: every worker's ranges of it. */
static void level0_job(const join_data *d, unsigned p, pjob *j) {
    memset(j, 0, sizeof *j);
    for (int s = 0; s < 2; s++) {
        size_t n = 0;
        for (size_t i = 0; i < d->n_workers; i++)
            n += d->workers[i]->side[s].parts[p].n;
        j->src[s] = sl_xcalloc(n ? n : 1, sizeof *j->src[s]);
        for (size_t i = 0; i < d->n_workers; i++) {
            const jside *sd = &d->workers[i]->side[s];
            const chain *c = &sd->parts[p];
            for (size_t r = 0; r < c->n; r++) {
                /* an ordered worker's ranges form one chain; otherwise each range is its own */
                if (r == 0 || sd->broken) j->n_src[s]++;
                chain_add(&j->src[s][j->n_src[s] - 1], c->r[r].spill, c->r[r].start, c->r[r].end);
                j->bytes[s] += c->r[r].end - c->r[r].start;
            }
        }
    }
}

static int emit(sealer *s, const jout *o, sl_error *err) {
    sl_arena_reset(&s->scratch3);
    sl_value v = jout_value(s->d, &s->cache, &s->scratch3, o);
    sl_buf_reset(&s->enc);
    for (int i = 0; i < 4; i++)
        sl_varint_put(&s->enc, o->k[i]);
    sl_value_encode(&s->enc, &v);
    return sl_spill_append(s->out, s->enc.data, s->enc.len, err);
}

static void end_result(sealer *s, uint64_t start) {
    uint64_t end = sl_spill_bytes(s->out);
    if (end == start) return;
    if (s->n_results == s->cap_results) {
        s->cap_results = s->cap_results ? 2 * s->cap_results : 32;
        s->results = sl_xrealloc(s->results, s->cap_results * sizeof *s->results);
    }
    s->results[s->n_results++] = (range){s->out, start, end};
    s->stats.partitions++;
}

static size_t chunk_for(const sealer *s, const pjob *j) {
    return clamp_chunk(s->budget / (8 * (j->n_src[0] + j->n_src[1] + 1)));
}

/* Read the partition's build records into memory, in input order. *fits
 * false (and nothing kept) when they pass the budget and !force. */
static int load_build(sealer *s, const pjob *j, bool force, bool *fits, sl_error *err) {
    int bs = s->d->build;
    rmerge *m;
    *fits = true;
    s->n_recs = 0;
    sl_arena_reset(&s->arena);
    int rc = rmerge_open(j->src[bs], j->n_src[bs], 2, chunk_for(s, j), &m, err);
    if (rc) return rc;
    rcur *c;
    while ((rc = rmerge_next(m, &c, err)) > 0) {
        if (s->n_recs == s->cap_recs) {
            s->cap_recs = s->cap_recs ? 2 * s->cap_recs : 1024;
            s->recs = sl_xrealloc(s->recs, s->cap_recs * sizeof *s->recs);
        }
        jrec *r = &s->recs[s->n_recs++];
        if ((rc = read_jrec(c, &s->arena, &s->arena, r, err)) != 0) break;
        if (!force && s->arena.bytes_used + s->n_recs * (sizeof(jrec) + SEAL_OVERHEAD) > s->budget) {
            *fits = false;
            break;
        }
    }
    rmerge_free(m);
    if (rc < 0) return rc;
    if (!*fits) {
        s->n_recs = 0;
        sl_arena_reset(&s->arena);
    }
    return SL_OK;
}

typedef struct probe_stream {
    rmerge *m;
    sl_arena *arena;
    jrec cur;
} probe_stream;

static int stream_next_probe(void *ctx, const jrec **out, sl_error *err) {
    probe_stream *ps = ctx;
    rcur *c;
    int rc = rmerge_next(ps->m, &c, err);
    if (rc <= 0) return rc;
    sl_arena_reset(ps->arena);
    if ((rc = read_jrec(c, NULL, ps->arena, &ps->cur, err)) != 0) return rc;
    *out = &ps->cur;
    return 1;
}

/* Join a partition whose build records are loaded. */
static int join_loaded(sealer *s, const pjob *j, sl_error *err) {
    join_data *d = s->d;
    int ps_side = 1 - d->build;
    const jrec **ptrs = sl_xmalloc((s->n_recs ? s->n_recs : 1) * sizeof *ptrs);
    for (size_t i = 0; i < s->n_recs; i++)
        ptrs[i] = &s->recs[i];
    jtable t;
    table_build(&t, ptrs, s->n_recs);
    probe_stream ps = {.arena = &s->scratch};
    int rc = rmerge_open(j->src[ps_side], j->n_src[ps_side], 2, chunk_for(s, j), &ps.m, err);
    if (rc) {
        table_free(&t);
        return rc;
    }
    jprod p = {.d = d, .t = &t, .mark = true, .next_probe = stream_next_probe, .ctx = &ps, .chain = NONE};
    if (d->tail) p.tail_end = t.n;
    uint64_t start = sl_spill_bytes(s->out);
    jout o;
    while ((rc = jprod_next(&p, &o, err)) > 0)
        if ((rc = emit(s, &o, err)) != 0) break;
    rmerge_free(ps.m);
    table_free(&t);
    if (rc < 0) return rc;
    end_result(s, start);
    return SL_OK;
}

/* Bits of fan-out for a partition of `bytes` encoded build bytes. */
static unsigned fanout_bits(uint64_t bytes, size_t budget) {
    uint64_t parts = bytes * 3 / (budget ? budget : 1) + 1;
    unsigned bits = 1;
    while (bits < MAX_FANOUT_BITS && (UINT64_C(1) << bits) < 2 * parts)
        bits++;
    return bits;
}

static int flush_subs(sealer *s, sl_buf *bufs, pjob *subs, size_t n_sub, int side, sl_error *err) {
    int rc = SL_OK;
    if (!s->tmp && (rc = sl_spill_open(s->d->spill_dir, &s->tmp, err)) != 0) return rc;
    for (size_t k = 0; k < n_sub && !rc; k++) {
        if (!bufs[k].len) continue;
        uint64_t from = sl_spill_bytes(s->tmp);
        const char *p = bufs[k].data, *end = p + bufs[k].len;
        while (p < end && !rc) {
            uint64_t len;
            sl_varint_get(&p, end, &len);
            rc = sl_spill_append(s->tmp, p, (size_t)len, err);
            p += len;
        }
        chain_add(&subs[k].src[side][0], s->tmp, from, sl_spill_bytes(s->tmp));
        sl_buf_reset(&bufs[k]);
    }
    return rc;
}

/* Split a partition that does not fit by the next hash bits. */
static int repartition(sealer *s, const pjob *j, sl_error *err) {
    join_data *d = s->d;
    unsigned nb = fanout_bits(j->bytes[d->build], s->budget);
    if (nb > MAX_BITS - j->bits) nb = MAX_BITS - j->bits;
    size_t n_sub = (size_t)1 << nb;
    pjob *subs = sl_xcalloc(n_sub, sizeof *subs);
    bool *seen = sl_xcalloc(n_sub, sizeof *seen);
    sl_buf *bufs = sl_xcalloc(n_sub, sizeof *bufs);
    for (size_t k = 0; k < n_sub; k++) {
        for (int side = 0; side < 2; side++) {
            subs[k].src[side] = sl_xcalloc(1, sizeof *subs[k].src[side]);
            subs[k].n_src[side] = 1;
        }
        subs[k].bits = j->bits + nb;
        subs[k].depth = j->depth + 1;
        subs[k].one_hash = true;
        sl_buf_init(&bufs[k], 0);
    }
    int rc = SL_OK;
    for (int side = 0; side < 2 && !rc; side++) {
        rmerge *m;
        if ((rc = rmerge_open(j->src[side], j->n_src[side], 2, chunk_for(s, j), &m, err)) != 0) break;
        size_t buffered = 0;
        rcur *c;
        jrec r;
        while (!rc && (rc = rmerge_next(m, &c, err)) > 0) {
            if ((rc = read_jrec(c, NULL, NULL, &r, err)) != 0) break;
            size_t k = part_of(r.hash, j->bits, nb);
            if (side == d->build && r.key) {
                if (seen[k] && subs[k].hash != r.hash) subs[k].one_hash = false;
                seen[k] = true;
                subs[k].hash = r.hash;
            }
            sl_varint_put(&bufs[k], c->raw_len);
            sl_buf_add(&bufs[k], c->raw, c->raw_len);
            subs[k].bytes[side] += c->raw_len;
            buffered += c->raw_len + 5;
            if (buffered > s->budget / 2) {
                rc = flush_subs(s, bufs, subs, n_sub, side, err);
                buffered = 0;
            }
        }
        rmerge_free(m);
        if (rc >= 0) rc = flush_subs(s, bufs, subs, n_sub, side, err);
    }
    if (!rc && s->tmp) rc = sl_spill_flush(s->tmp, NULL, err);
    for (size_t k = n_sub; k-- > 0;) {
        for (int side = 0; side < 2; side++)
            if (!subs[k].src[side][0].n) subs[k].n_src[side] = 0;
        subs[k].one_hash &= seen[k];
        if (!rc && (subs[k].n_src[0] || subs[k].n_src[1]))
            push_job(s, &subs[k]);
        else
            pjob_free(&subs[k]);
        sl_buf_free(&bufs[k]);
    }
    free(subs);
    free(seen);
    free(bufs);
    if (j->depth + 1 > s->stats.max_depth) s->stats.max_depth = j->depth + 1;
    return rc;
}

typedef struct keylist {
    const char **keys;
    uint32_t *lens;
    size_t n, cap;
} keylist;

static bool keylist_has(const keylist *l, const char *key, uint32_t len) {
    for (size_t i = 0; i < l->n; i++)
        if (l->lens[i] == len && !memcmp(l->keys[i], key, len)) return true;
    return false;
}

static void keylist_add(keylist *l, sl_arena *a, const char *key, uint32_t len) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4;
        l->keys = sl_xrealloc(l->keys, l->cap * sizeof *l->keys);
        l->lens = sl_xrealloc(l->lens, l->cap * sizeof *l->lens);
    }
    l->keys[l->n] = memcpy(sl_arena_alloc(a, len), key, len);
    l->lens[l->n++] = len;
}

static void keylist_free(keylist *l) {
    free(l->keys);
    free(l->lens);
}

/* A partition whose build side is one key too big for memory: the build
 * records are read again for every probe record with that key. */
static int join_huge(sealer *s, const pjob *j, sl_error *err) {
    join_data *d = s->d;
    int bs = d->build, pside = 1 - bs;
    keylist matched = {0}, unmatched = {0};
    sl_arena_reset(&s->arena);
    uint64_t start = sl_spill_bytes(s->out);
    size_t chunk = chunk_for(s, j);
    probe_stream ps = {.arena = &s->scratch};
    int rc = rmerge_open(j->src[pside], j->n_src[pside], 2, chunk, &ps.m, err);
    const jrec *p;
    jout o;
    while (!rc && (rc = stream_next_probe(&ps, &p, err)) > 0) {
        rc = SL_OK;
        int found = 0; /* 1 matched, 0 not */
        if (p->key && p->hash == j->hash) {
            bool known = !d->joined &&
                         (keylist_has(&matched, p->key, p->key_len) || keylist_has(&unmatched, p->key, p->key_len));
            if (known) {
                found = keylist_has(&matched, p->key, p->key_len);
            } else {
                rmerge *bm;
                rcur *c;
                if ((rc = rmerge_open(j->src[bs], j->n_src[bs], 2, chunk, &bm, err)) != 0) break;
                jrec b;
                while ((rc = rmerge_next(bm, &c, err)) > 0) {
                    sl_arena_reset(&s->scratch2);
                    if ((rc = read_jrec(c, NULL, d->joined ? &s->scratch2 : NULL, &b, err)) != 0) break;
                    if (b.key_len != p->key_len || !b.key || memcmp(b.key, p->key, p->key_len)) continue;
                    found = 1;
                    if (!d->joined) break;
                    set_pair(d, &o, p, &b);
                    if ((rc = emit(s, &o, err)) != 0) break;
                }
                rmerge_free(bm);
                if (rc < 0) break;
                rc = SL_OK;
                if (!keylist_has(found ? &matched : &unmatched, p->key, p->key_len))
                    keylist_add(found ? &matched : &unmatched, &s->arena, p->key, p->key_len);
            }
        }
        if (found && !d->joined && d->kind == JK_SEMI && pside == 0) {
            set_single(&o, p, 0, true, false);
            rc = emit(s, &o, err);
        } else if (!found && d->keep[pside]) {
            set_single(&o, p, pside, d->kind == JK_ANTI, false);
            rc = emit(s, &o, err);
        }
    }
    rmerge_free(ps.m);
    if (!rc && d->tail) { /* build records after the probe records */
        rmerge *bm;
        rcur *c;
        jrec b;
        if ((rc = rmerge_open(j->src[bs], j->n_src[bs], 2, chunk, &bm, err)) == 0) {
            while ((rc = rmerge_next(bm, &c, err)) > 0) {
                sl_arena_reset(&s->scratch2);
                if ((rc = read_jrec(c, NULL, &s->scratch2, &b, err)) != 0) break;
                bool as_is, is_matched = b.key && keylist_has(&matched, b.key, b.key_len);
                if (!tail_emits(d, is_matched, &as_is)) continue;
                set_single(&o, &b, bs, as_is, true);
                if ((rc = emit(s, &o, err)) != 0) break;
            }
            rmerge_free(bm);
        }
    }
    keylist_free(&matched);
    keylist_free(&unmatched);
    sl_arena_reset(&s->arena);
    if (rc < 0) return rc;
    end_result(s, start);
    s->stats.huge_keys++;
    return SL_OK;
}

static int run_job(sealer *s, const pjob *j, sl_error *err) {
    const join_data *d = s->d;
    int bs = d->build;
    if (!j->n_src[1 - bs] && !d->tail) return SL_OK;     /* build records nothing probes */
    if (!j->n_src[bs] && !d->keep[1 - bs]) return SL_OK; /* probe records nothing can match */
    bool huge = j->one_hash && j->depth > 0;             /* one key: splitting cannot help */
    bool can_split = j->bits < MAX_BITS;
    bool fits;
    /* a partition that can be neither split nor streamed is loaded whatever its size */
    int rc = load_build(s, j, !can_split && !huge, &fits, err);
    if (rc) return rc;
    if (fits) {
        rc = join_loaded(s, j, err);
        sl_arena_reset(&s->arena);
        s->n_recs = 0;
        return rc;
    }
    return huge ? join_huge(s, j, err) : repartition(s, j, err);
}

static void *sealer_main(void *arg) {
    sealer *s = arg;
    for (;;) {
        if (__atomic_load_n(s->failed, __ATOMIC_ACQUIRE)) break;
        size_t p = __atomic_fetch_add(s->next_part, 1, __ATOMIC_RELAXED);
        if (p >= PARTS) break;
        pjob j;
        level0_job(s->d, (unsigned)p, &j);
        push_job(s, &j);
        while (s->n_stack && !s->rc) {
            j = s->stack[--s->n_stack];
            s->rc = run_job(s, &j, &s->err);
            pjob_free(&j);
        }
        if (s->rc) {
            __atomic_store_n(s->failed, 1, __ATOMIC_RELEASE);
            break;
        }
    }
    while (s->n_stack)
        pjob_free(&s->stack[--s->n_stack]);
    return NULL;
}

static void add_spill(join_data *d, sl_spill *sp) {
    d->spills = sl_xrealloc(d->spills, (d->n_spills + 1) * sizeof *d->spills);
    d->spills[d->n_spills++] = sp;
}

/* Merge result runs until there are few enough to merge at once within
 * the memory limit. */
static int reduce_results(join_data *d, sl_error *err) {
    size_t fan = d->limit / (4 * MIN_CHUNK * 4);
    if (fan < 8) fan = 8;
    int rc = SL_OK;
    while (d->n_results > fan && !rc) {
        sl_spill *sp;
        if ((rc = sl_spill_open(d->spill_dir, &sp, err)) != 0) return rc;
        size_t n = (d->n_results + fan - 1) / fan;
        range *next = sl_xcalloc(n, sizeof *next);
        chain *chains = sl_xcalloc(fan, sizeof *chains);
        for (size_t g = 0; g < n && !rc; g++) {
            size_t from = g * fan, m = d->n_results - from < fan ? d->n_results - from : fan;
            for (size_t i = 0; i < m; i++)
                chains[i] = (chain){&d->results[from + i], 1, 1};
            rmerge *mg;
            if ((rc = rmerge_open(chains, m, 4, clamp_chunk(d->limit / (4 * (m + 1))), &mg, err)) != 0) break;
            uint64_t start = sl_spill_bytes(sp);
            rcur *c;
            while ((rc = rmerge_next(mg, &c, err)) > 0)
                if ((rc = sl_spill_append(sp, c->raw, c->raw_len, err)) != 0) break;
            rmerge_free(mg);
            next[g] = (range){sp, start, sl_spill_bytes(sp)};
        }
        if (rc >= 0) rc = sl_spill_flush(sp, NULL, err);
        free(chains);
        for (size_t i = 0; i < d->n_spills; i++)
            sl_spill_close(d->spills[i]); /* merged: no longer read */
        d->n_spills = 0;
        add_spill(d, sp);
        free(d->results);
        d->results = next;
        d->n_results = n;
    }
    return rc < 0 ? rc : SL_OK;
}

static int seal_spilled(join_data *d, sl_error *err) {
    int rc = SL_OK;
    for (size_t i = 0; i < d->n_workers && !rc; i++) { /* everything to disk: phase 2 reads partitions */
        jworker *w = d->workers[i];
        rc = spill_worker(w, err);
        sl_arena_free(&w->arena);
        sl_arena_init(&w->arena);
        for (int s = 0; s < 2; s++) {
            free(w->side[s].recs);
            w->side[s].recs = NULL;
            w->side[s].cap = 0;
        }
    }
    if (rc) return rc;
    int threads = d->threads > 0 ? d->threads : 1;
    if (threads > (int)PARTS) threads = PARTS;
    if ((size_t)threads > d->limit / MIN_LIMIT) threads = d->limit / MIN_LIMIT > 1 ? (int)(d->limit / MIN_LIMIT) : 1;
    size_t budget = d->limit / (size_t)threads;
    if (budget < MIN_LIMIT) budget = MIN_LIMIT;
    size_t next_part = 0;
    int failed = 0;
    sealer *ss = sl_xcalloc((size_t)threads, sizeof *ss);
    for (int t = 0; t < threads && !rc; t++) {
        sealer *s = &ss[t];
        s->d = d;
        s->budget = budget;
        s->next_part = &next_part;
        s->failed = &failed;
        sl_arena_init(&s->arena);
        sl_arena_init(&s->scratch);
        sl_arena_init(&s->scratch2);
        sl_arena_init(&s->scratch3);
        sl_buf_init(&s->enc, 0);
        sl_error_clear(&s->err);
        rc = sl_spill_open(d->spill_dir, &s->out, err);
    }
    for (int t = 0; t < threads && !rc; t++)
        ss[t].started = threads > 1 && pthread_create(&ss[t].thread, NULL, sealer_main, &ss[t]) == 0;
    if (!rc)
        for (int t = 0; t < threads; t++)
            if (!ss[t].started) sealer_main(&ss[t]);
    for (int t = 0; t < threads; t++) {
        sealer *s = &ss[t];
        if (s->started) pthread_join(s->thread, NULL);
        if (!rc && s->rc) {
            *err = s->err;
            rc = s->rc;
        }
        if (s->out && !rc) {
            if (!(rc = sl_spill_flush(s->out, NULL, err)))
                add_spill(d, s->out);
            else
                sl_spill_close(s->out);
        } else {
            sl_spill_close(s->out);
        }
        for (size_t i = 0; i < s->n_results && !rc; i++) {
            d->results = sl_xrealloc(d->results, (d->n_results + 1) * sizeof *d->results);
            d->results[d->n_results++] = s->results[i];
        }
        d->stats.partitions += s->stats.partitions;
        d->stats.huge_keys += s->stats.huge_keys;
        if (s->stats.max_depth > d->stats.max_depth) d->stats.max_depth = s->stats.max_depth;
        sl_spill_close(s->tmp);
        sl_arena_free(&s->arena);
        sl_arena_free(&s->scratch);
        sl_arena_free(&s->scratch2);
        sl_arena_free(&s->scratch3);
        sl_buf_free(&s->enc);
        free(s->recs);
        free(s->results);
        free(s->stack);
    }
    free(ss);
    for (size_t i = 0; i < d->n_workers; i++) { /* phase-1 files are read: close them */
        sl_spill_close(d->workers[i]->spill);
        d->workers[i]->spill = NULL;
    }
    if (!rc) rc = reduce_results(d, err);
    d->stats.result_runs = d->n_results;
    return rc;
}

static int join_seal(sl_node *node, sl_run *run, void **states, size_t n_states, sl_error *err) {
    join_data *d = node->data;
    d->workers = sl_xcalloc(n_states ? n_states : 1, sizeof *d->workers);
    bool spilled = false;
    for (size_t i = 0; i < n_states; i++) {
        jworker *w = states[i];
        d->workers[d->n_workers++] = w;
        spilled |= w->spill_events > 0;
        d->stats.spill_events += w->spill_events;
    }
    if (d->joined) plan_names(d);
    if (!spilled) {
        seal_in_memory(d);
        return SL_OK;
    }
    d->stats.spilled = true;
    return seal_spilled(d, err);
}

/* ---- emitting ---- */

typedef struct array_probe {
    const jrec **recs;
    size_t i, end;
} array_probe;

static int array_next_probe(void *ctx, const jrec **out, sl_error *err) {
    array_probe *a = ctx;
    if (a->i >= a->end) return 0;
    *out = a->recs[a->i++];
    return 1;
}

typedef struct jreader {
    join_data *d;
    sl_node *node;
    size_t max_records;
    rcache cache;
    array_probe probe; /* in memory */
    jprod prod;
    rmerge *merge; /* spilled */
} jreader;

static int join_plan(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err) {
    join_data *d = node->data;
    uint64_t units = d->stats.spilled ? 0 : d->n_probe + (d->tail ? d->table.n : 0);
    size_t n = (size_t)((units + SPLIT_UNITS - 1) / SPLIT_UNITS);
    if (!n) n = 1;
    sl_split *s = sl_xcalloc(n, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        s[i].path = sl_xstrdup(node->name);
        s[i].offset = units * i / n;
        s[i].length = units * (i + 1) / n - s[i].offset;
        s[i].index = (uint32_t)i;
    }
    *splits = s;
    *n_splits = n;
    return SL_OK;
}

static int join_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    join_data *d = node->data;
    jreader *r = sl_xcalloc(1, sizeof *r);
    r->d = d;
    r->node = node;
    r->max_records = d->max_records;
    if (d->stats.spilled) {
        chain *chains = sl_xcalloc(d->n_results ? d->n_results : 1, sizeof *chains);
        for (size_t i = 0; i < d->n_results; i++)
            chains[i] = (chain){&d->results[i], 1, 1};
        int rc = rmerge_open(chains, d->n_results, 4, clamp_chunk(d->limit / (4 * (d->n_results + 1))), &r->merge, err);
        free(chains);
        if (rc) {
            free(r);
            return rc;
        }
        *out = r;
        return SL_OK;
    }
    uint64_t from = split->offset, to = split->offset + split->length;
    r->probe = (array_probe){d->probe, from < d->n_probe ? from : d->n_probe, to < d->n_probe ? to : d->n_probe};
    r->prod = (jprod){.d = d, .t = &d->table, .next_probe = array_next_probe, .ctx = &r->probe, .chain = NONE};
    if (d->tail && to > d->n_probe) {
        r->prod.tail_i = from > d->n_probe ? from - d->n_probe : 0;
        r->prod.tail_end = to - d->n_probe;
    }
    *out = r;
    return SL_OK;
}

static int join_next(void *state, sl_batch *b, sl_error *err) {
    jreader *r = state;
    b->source_name = r->node->name;
    int rc = 0;
    if (r->merge) {
        rcur *c;
        while (b->count < r->max_records && (rc = rmerge_next(r->merge, &c, err)) > 0) {
            const char *p = c->body;
            sl_value v;
            if (sl_value_decode(&p, c->end, &b->arena, &v)) return sl_error_set(err, SL_EIO, "corrupt join spill file");
            sl_batch_push(b, v, (sl_recloc){0, -1});
        }
    } else {
        jout o;
        while (b->count < r->max_records && (rc = jprod_next(&r->prod, &o, err)) > 0)
            sl_batch_push(b, jout_value(r->d, &r->cache, &b->arena, &o), (sl_recloc){0, -1});
    }
    if (rc < 0) return rc;
    return b->count ? 1 : 0;
}

static void join_close(void *state) {
    jreader *r = state;
    rmerge_free(r->merge);
    free(r);
}

static void join_free_splits(sl_split *splits, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(splits[i].path);
    free(splits);
}

/* ---- options, validation, lifecycle ---- */

static const sl_option join_options[] = {
    {"join_type", SL_OPT_ENUM, "inner",
     "Join kind (Glue Studio's JoinType; 'type:' names the node type): inner (records with a match on both sides), "
     "left / right (also the left / right records without "
     "one, the other side's fields null), outer (full: both), left_semi (left records that have a match, once each, "
     "unchanged) or left_anti (left records without a match, unchanged). Glue's equijoin, leftsemi and leftanti and "
     "Spark's full, full_outer, left_outer and right_outer are accepted as aliases.",
     "inner|left|right|outer|left_semi|left_anti|equijoin|leftsemi|leftanti|full|full_outer|left_outer|right_outer", 0},
    {"keys", SL_OPT_LIST, NULL,
     "Join keys named the same on both inputs: [id] or [customer_id, order_date]. Each is a field path "
     "(metadata.id) or an expression (lower(email)). Records match when every key is equal and not null; a null or "
     "missing key never matches. Whole numbers match across long, double and decimal (1 = 1.0); other types match "
     "only their own type.",
     NULL, 0},
    {"left_keys", SL_OPT_LIST, NULL,
     "Keys of the left input (the first of inputs:) when the names differ; pairs with right_keys by position (Glue's "
     "keys1).",
     NULL, 0},
    {"right_keys", SL_OPT_LIST, NULL,
     "Keys of the right input (the second of inputs:), pairing with left_keys (Glue's keys2).", NULL, 0},
    {"right_prefix", SL_OPT_STRING, "right_",
     "Prefix given to a right field whose name a left record also uses (the join keys included), so both are "
     "kept: with keys: [id] the output has id and right_id. Applied again while the name still clashes. Glue "
     "Studio's own convention is \"(right) \".",
     NULL, 0},
    {"build", SL_OPT_ENUM, "right",
     "The input the hash table is built on; choose the smaller one. The other is streamed through it. Output order "
     "follows the other (probe) input: its records in input order, each with its matches in build input order, "
     "then the build records an outer, semi or anti join emits on their own.",
     "right|left", 0},
    {0},
};

static void free_keys(join_data *d) {
    for (int s = 0; s < 2; s++) {
        for (size_t k = 0; k < d->n_side_keys[s]; k++)
            sl_expr_free(d->keys[s][k]);
        d->n_side_keys[s] = 0;
        free(d->keys[s]);
        d->keys[s] = NULL;
    }
    d->n_keys = 0;
}

/* Compile the key list `opt` into keys[side] (n keys). */
static int compile_keys(sl_node *node, const char *opt, sl_expr ***out, size_t *n, sl_error *err) {
    const sl_value *list = &sl_node_opt(node, opt)->tree;
    size_t count = list->type == SL_T_LIST ? list->len : 0;
    *out = sl_xcalloc(count ? count : 1, sizeof **out);
    *n = 0;
    if (!count) {
        sl_error_set(err, SL_EINVAL, "option '%s' needs at least one key", opt);
        goto fail;
    }
    for (size_t i = 0; i < count; i++) {
        const char *text = sl_tree_text(&list->u.items[i]);
        if (!text) {
            sl_error_set(err, SL_EINVAL, "option '%s': each key must be a field path or an expression", opt);
            goto fail;
        }
        if (sl_expr_compile(text, &(*out)[i], err)) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            sl_error_set(err, SL_EINVAL, "join key '%.200s' in '%s': %.250s", text, opt, msg);
            goto fail;
        }
        (*n)++;
    }
    return SL_OK;
fail:
    sl_error_at_option(err, node, opt);
    return SL_EINVAL;
}

static int join_check(sl_node *node, sl_error *err) {
    join_data *d = sl_xcalloc(1, sizeof *d);
    node->data = d;
    sl_arena_init(&d->arena);
    for (int s = 0; s < 2; s++)
        ntab_init(&d->names[s]);
    const char *type = sl_node_str(node, "join_type");
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (!strcmp(type, kind_names[i].name)) d->kind = kind_names[i].kind;
    d->build = !strcmp(sl_node_str(node, "build"), "left") ? 0 : 1;
    bool keys = sl_node_opt(node, "keys")->set, lk = sl_node_opt(node, "left_keys")->set,
         rk = sl_node_opt(node, "right_keys")->set;
    if (keys && (lk || rk)) {
        sl_error_set(err, SL_EINVAL,
                     "write either 'keys' (the same on both inputs) or 'left_keys' and 'right_keys', "
                     "not both");
        sl_error_at_option(err, node, lk ? "left_keys" : "right_keys");
        return SL_EINVAL;
    }
    if (!keys && !lk && !rk) {
        sl_error_set(err, SL_EINVAL,
                     "join needs keys: 'keys: [id]' when both inputs name them the same, or "
                     "'left_keys: [...]' and 'right_keys: [...]'");
        sl_error_at(err, node->job_file, node->line, node->column);
        return SL_EINVAL;
    }
    if (!keys && lk != rk) {
        sl_error_set(err, SL_EINVAL, "'%s' needs '%s' too (the keys pair up by position)",
                     lk ? "left_keys" : "right_keys", lk ? "right_keys" : "left_keys");
        sl_error_at_option(err, node, lk ? "left_keys" : "right_keys");
        return SL_EINVAL;
    }
    int rc = compile_keys(node, keys ? "keys" : "left_keys", &d->keys[0], &d->n_side_keys[0], err);
    if (!rc) rc = compile_keys(node, keys ? "keys" : "right_keys", &d->keys[1], &d->n_side_keys[1], err);
    if (rc) return rc;
    size_t n0 = d->n_side_keys[0], n1 = d->n_side_keys[1];
    d->n_keys = n0;
    if (n0 != n1) {
        sl_error_set(err, SL_EINVAL, "left_keys has %zu key%s and right_keys %zu; they pair up by position", n0,
                     n0 == 1 ? "" : "s", n1);
        sl_error_at_option(err, node, "right_keys");
        return SL_EINVAL;
    }
    const char *prefix = sl_node_str(node, "right_prefix");
    if (!prefix || !prefix[0]) {
        sl_error_set(err, SL_EINVAL, "right_prefix must not be empty: clashing right fields need a new name");
        sl_error_at_option(err, node, "right_prefix");
        return SL_EINVAL;
    }
    d->right_prefix = sl_xstrdup(prefix);
    join_kind k = d->kind;
    d->keep[0] = k == JK_LEFT || k == JK_OUTER || k == JK_ANTI;
    d->keep[1] = k == JK_RIGHT || k == JK_OUTER;
    d->joined = k != JK_SEMI && k != JK_ANTI;
    d->key_only[1] = !d->joined;
    d->tail = d->joined ? d->keep[d->build] : d->build == 0;
    return SL_OK;
}

/* Forget what a previous run left (a job may run more than once). */
static void reset_run(join_data *d) {
    for (size_t i = 0; i < d->n_workers; i++)
        worker_free(d->workers[i]);
    free(d->workers);
    d->workers = NULL;
    d->n_workers = 0;
    sl_arena_free(&d->arena);
    sl_arena_init(&d->arena);
    for (int s = 0; s < 2; s++) {
        ntab_free(&d->names[s]);
        ntab_init(&d->names[s]);
        d->pad[s] = NULL;
        d->n_pad[s] = 0;
    }
    d->n_renamed = 0;
    free(d->probe);
    d->probe = NULL;
    d->n_probe = 0;
    table_free(&d->table);
    for (size_t i = 0; i < d->n_spills; i++)
        sl_spill_close(d->spills[i]);
    free(d->spills);
    d->spills = NULL;
    d->n_spills = 0;
    free(d->results);
    d->results = NULL;
    d->n_results = 0;
    memset(&d->stats, 0, sizeof d->stats);
}

static int join_prepare(sl_node *node, sl_run *run, sl_error *err) {
    join_data *d = node->data;
    reset_run(d);
    const sl_job_settings *st = &run->job->settings;
    int64_t limit = st->memory_limit > 0 ? st->memory_limit : INT64_C(1) << 30;
    d->threads = run->threads > 0 ? run->threads : 1;
    d->limit = (size_t)limit;
    d->worker_limit = d->limit / (size_t)d->threads;
    if (d->worker_limit < MIN_LIMIT) d->worker_limit = MIN_LIMIT;
    d->spill_dir = st->spill_dir;
    d->max_records = st->batch_records > 0 ? (size_t)st->batch_records : SL_BATCH_DEFAULT_RECORDS;
    return SL_OK;
}

static void join_release(sl_node *node) {
    join_data *d = node->data;
    if (!d) return;
    reset_run(d);
    sl_arena_free(&d->arena);
    for (int s = 0; s < 2; s++)
        ntab_free(&d->names[s]);
    free_keys(d);
    free(d->right_prefix);
    free(d);
    node->data = NULL;
}

void sl_join_get_stats(const sl_node *node, sl_join_stats *out) {
    const join_data *d = node->data;
    memset(out, 0, sizeof *out);
    if (d) *out = d->stats;
}

const sl_node_type sl_join_type = {
    .name = "join",
    .kind = SL_NODE_TRANSFORM,
    .summary = "equality join of two inputs: inner, left, right, outer, left_semi, left_anti (Glue Join)",
    .help = "List the inputs with 'inputs: [left, right]' and the keys with 'keys:' (same names) or 'left_keys:' and "
            "'right_keys:'. A joined record holds the left record's fields, then the right record's; right fields "
            "whose names the left side uses get right_prefix. Unmatched records of outer joins get the other "
            "side's fields as nulls. A hash join: the build input is held in memory up to settings.memory_limit, "
            "beyond it both inputs are partitioned to settings.spill_dir and joined partition by partition. Output "
            "order is deterministic whatever the thread count (see 'build'). A record whose key expression fails "
            "goes to the error output. See docs/join.md.",
    .options = join_options,
    .min_inputs = 2,
    .max_inputs = 2,
    .check = join_check,
    .prepare = join_prepare,
    .release = join_release,
    .init = join_init,
    .process = join_process,
    .fini = join_fini,
    .breaker = true,
    .seal = join_seal,
    .plan = join_plan,
    .open = join_open,
    .next = join_next,
    .close = join_close,
    .free_splits = join_free_splits,
};
