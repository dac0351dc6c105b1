/*
 * group.c — hash grouping with spilling (see group.h for the interface).
 *
 * Keys. A record's group key is the canonical encoding of its key values:
 * serialize.h's layout with every string/name flag cleared, -0.0 written as
 * 0.0 and every NaN as one bit pattern, so two keys have the same bytes
 * exactly when sl_value_equal holds for each value (1 and 1.0 are different
 * groups, as in Spark with a choice column). sl_value_decode reads the keys
 * back for output. count_distinct keeps the same encoding of each distinct
 * value in a per-group hash set.
 *
 * Phase 1 (process, every worker). Each worker owns a table: an open-
 * addressing array of entry pointers (malloc'd) and an arena holding the
 * entries, their key bytes, their aggregate states and the values those
 * keep (min/max/first/last values, distinct sets). Records are evaluated
 * first and folded into the group only when every key and argument
 * evaluated, so a rejected record leaves no partial update. A worker may
 * hold settings.memory_limit / threads bytes. Past that, if more than half
 * of its arena is garbage (values replaced by last(), grown sets) it is
 * compacted into a fresh arena; otherwise the table is spilled:
 *
 * Spilling. Entries are written to the worker's spill file grouped by
 * partition — 5 bits of the key hash, the top 5 bits at level 0 — one byte
 * range per partition (a "partition run"), and the table starts empty. A
 * group may thus have partial states in several runs of its partition, and
 * in several workers' files; never in two partitions.
 *
 * Seal. If nothing spilled, the other workers' tables are folded into the
 * largest (entries move by pointer: every worker's arena lives until the
 * node is released), the groups are sorted into output order and emitted
 * from memory. If anything spilled, every worker spills what it still holds
 * and the partitions are aggregated one at a time with the whole
 * memory_limit: partition p's runs from every worker are read back and
 * merged into one table. If that table outgrows the limit it is split again
 * by the next 5 hash bits into a seal-level spill file (up to 6 levels; a
 * partition whose groups share 30 hash bits, or a single huge group, is
 * finished in memory whatever its size). A finished partition's groups are
 * sorted and written to a result spill file as one sorted run of output
 * elements; emission merges these runs (spill_merge.h).
 *
 * Spilled partial state (one spill.h record per group):
 *
 *   entry := varint key_len, key bytes, state for each aggregate in order
 *   state :=
 *     count(*), count      varint n
 *     sum, avg             varint n, u8 mode (0 long, 1 double), zigzag varint
 *                          long sum, 8-byte double sum, 8-byte compensation
 *     var/stddev/skewness/kurtosis
 *                          varint n, 8 × 8-byte double: the power sums
 *                          S1…S4 of the values, each a double-double (hi, lo)
 *     min, max             u8 has, [sl_value_encode(value)]
 *     first, last          u8 has, [varint seq, sl_value_encode(value)]
 *     count_distinct, sum_distinct
 *                          varint count, count × (varint len, canonical value)
 *
 * Result element (one per output group, in a result run):
 *   LIST[order, record], order = LIST[key values…, BINARY key bytes] by key,
 *   or LIST[INT seq, BINARY key bytes] when emit_record orders by position;
 *   runs are sorted by sl_value_compare of order, which is how in-memory
 *   groups are sorted too.
 *
 * Numbers. sum of longs is exact (overflow switches the group to double);
 * double sums are compensated (Neumaier), so the result does not depend on
 * how the input was split between workers except in pathological cases;
 * variance, stddev, skewness and kurtosis come from power sums kept in
 * double-double arithmetic (~106 bits), central moments computed from them
 * at the end, for the same reason.
 */
#include "transforms/group.h"

#include <ctype.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/serialize.h"
#include "exec/run.h"
#include "exec/spill.h"
#include "transforms/spill_merge.h"

#define PART_BITS 5
#define PARTS (1u << PART_BITS)
#define MAX_LEVEL 6
#define MIN_WORKER_LIMIT (256u << 10)

/* ---- types ---- */

typedef struct dslot {
    uint64_t hash;
    const char *bytes; /* canonical encoding; NULL = empty slot */
    uint32_t len;
} dslot;

typedef struct dset {
    uint32_t n, cap; /* cap: power of two */
    dslot *slots;
} dset;

/* One aggregate's state. Entries store only the part their kind uses
 * (state_size), back to back behind the entry, so a group with count(*)
 * and sum(x) takes 48 bytes of state, not the size of this struct twice. */
typedef struct agg_state {
    uint64_t n; /* values folded in (count, sum, avg, moments) */
    union {
        struct {          /* sum, avg */
            int64_t i;    /* sum of longs */
            double sum;   /* mode 1: double sum */
            double comp;  /* its compensation */
            uint8_t mode; /* 0 long, 1 double */
        };
        struct {          /* min, max, first, last */
            uint64_t seq; /* first/last: input position of val */
            sl_value val;
            char *buf; /* cap bytes, reused for string-like values */
            uint32_t cap;
            bool has; /* val is set */
        };
        dset *set;    /* count_distinct, sum_distinct */
        double pw[8]; /* moments: power sums S1…S4 as double-doubles (hi, lo) */
    };
} agg_state;

typedef struct gent {
    uint64_t hash;
    const char *key;
    uint32_t key_len;
    sl_value *key_vals; /* decoded when the group is finished */
    uint64_t st[];      /* the aggregate states (layout.offset) */
} gent;

/* Where each aggregate's state sits in an entry. */
typedef struct layout {
    size_t *offset;
    size_t size;
} layout;

/* A slot keeps the hash beside the pointer, so probing does not touch
 * entries that cannot match. */
typedef struct gslot {
    uint64_t hash;
    gent *e; /* NULL: empty */
} gslot;

typedef struct gtable {
    const sl_group_spec *spec;
    const layout *lay;
    sl_arena arena;
    gslot *slots;
    size_t cap, n;
    size_t garbage; /* arena bytes no longer referenced */
} gtable;

/* A byte range of a spill file holding one partition's entries. */
typedef struct prun {
    const sl_spill *spill;
    uint64_t start, end;
    unsigned part, level;
} prun;

typedef struct prun_list {
    prun *items;
    size_t n, cap;
} prun_list;

typedef struct gworker {
    sl_group_node *g;
    sl_node *node;
    sl_run *run;
    gtable t;
    size_t limit;
    sl_spill *spill;
    prun_list runs;
    sl_buf key, enc;
    sl_value *args;
    sl_error e; /* evaluation failures; cleared after each use */
} gworker;

struct sl_group_node {
    sl_group_spec spec;
    layout lay;
    /* after seal */
    gworker **workers;
    size_t n_workers;
    gtable own;   /* the phase-2 table (and the base when no worker saw input) */
    gent **final; /* in-memory result, in output order */
    size_t n_final;
    bool spilled;
    size_t spilled_runs;
    sl_spill *tmp_spill;    /* seal-level re-partitioning */
    sl_spill *result_spill; /* finished partitions */
    sl_sorted_run *result_runs;
    size_t n_result_runs, cap_result_runs;
    uint64_t total;
    size_t max_records;
};

static bool is_distinct(sl_agg_kind k) { return k == SL_AGG_COUNT_DISTINCT || k == SL_AGG_SUM_DISTINCT; }
static bool is_moment(sl_agg_kind k) { return k >= SL_AGG_VAR_SAMP && k <= SL_AGG_KURTOSIS; }
static bool is_numeric(sl_agg_kind k) {
    return k == SL_AGG_SUM || k == SL_AGG_SUM_DISTINCT || k == SL_AGG_AVG || is_moment(k);
}

/* ---- parsing ---- */

static const struct {
    const char *name;
    sl_agg_kind kind;
} agg_names[] = {
    {"count", SL_AGG_COUNT},
    {"count_distinct", SL_AGG_COUNT_DISTINCT},
    {"countdistinct", SL_AGG_COUNT_DISTINCT},
    {"sum", SL_AGG_SUM},
    {"sum_distinct", SL_AGG_SUM_DISTINCT},
    {"sumdistinct", SL_AGG_SUM_DISTINCT},
    {"avg", SL_AGG_AVG},
    {"mean", SL_AGG_AVG},
    {"min", SL_AGG_MIN},
    {"max", SL_AGG_MAX},
    {"first", SL_AGG_FIRST},
    {"last", SL_AGG_LAST},
    {"var_samp", SL_AGG_VAR_SAMP},
    {"variance", SL_AGG_VAR_SAMP},
    {"var_pop", SL_AGG_VAR_POP},
    {"stddev_samp", SL_AGG_STDDEV_SAMP},
    {"stddev", SL_AGG_STDDEV_SAMP},
    {"std", SL_AGG_STDDEV_SAMP},
    {"stddev_pop", SL_AGG_STDDEV_POP},
    {"skewness", SL_AGG_SKEWNESS},
    {"kurtosis", SL_AGG_KURTOSIS},
};

static void trim(const char **s, size_t *len) {
    while (*len && isspace((unsigned char)**s))
        (*s)++, (*len)--;
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

int sl_agg_parse(const char *text, sl_agg_kind *kind, sl_expr **arg, sl_error *err) {
    *arg = NULL;
    const char *s = text;
    size_t len = strlen(text);
    trim(&s, &len);
    const char *open = memchr(s, '(', len);
    if (!open || len < 3 || s[len - 1] != ')')
        return sl_error_set(err, SL_EINVAL, "aggregate '%.200s': expected a function call such as sum(amount)", text);
    const char *name = s;
    size_t name_len = (size_t)(open - s);
    trim(&name, &name_len);
    const char *in = open + 1;
    size_t in_len = (size_t)(s + len - 1 - in);
    trim(&in, &in_len);
    bool distinct = in_len > 9 && strncasecmp(in, "distinct", 8) == 0 && isspace((unsigned char)in[8]);
    if (distinct) {
        in += 9;
        in_len -= 9;
        trim(&in, &in_len);
    }
    size_t i;
    for (i = 0; i < sizeof agg_names / sizeof agg_names[0]; i++)
        if (strlen(agg_names[i].name) == name_len && strncasecmp(agg_names[i].name, name, name_len) == 0) break;
    if (i == sizeof agg_names / sizeof agg_names[0])
        return sl_error_set(err, SL_EINVAL,
                            "aggregate '%.200s': unknown function '%.*s' (count, count_distinct, sum, sum_distinct, "
                            "avg, min, max, first, last, var_samp, var_pop, stddev_samp, stddev_pop, skewness, "
                            "kurtosis)",
                            text, (int)name_len, name);
    *kind = agg_names[i].kind;
    if (distinct) {
        if (*kind == SL_AGG_COUNT)
            *kind = SL_AGG_COUNT_DISTINCT;
        else if (*kind == SL_AGG_SUM)
            *kind = SL_AGG_SUM_DISTINCT;
        else if (!is_distinct(*kind))
            return sl_error_set(err, SL_EINVAL, "aggregate '%.200s': distinct applies to count and sum only", text);
    }
    if (in_len == 1 && in[0] == '*') {
        if (*kind != SL_AGG_COUNT || distinct)
            return sl_error_set(err, SL_EINVAL, "aggregate '%.200s': only count takes *", text);
        *kind = SL_AGG_COUNT_ALL;
        return SL_OK;
    }
    if (!in_len) return sl_error_set(err, SL_EINVAL, "aggregate '%.200s': missing the argument", text);
    char *expr_text = sl_xstrndup(in, in_len);
    int rc = sl_expr_compile(expr_text, arg, err);
    if (rc) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message);
        sl_error_set(err, rc, "aggregate '%.200s': %.250s", text, msg);
    }
    free(expr_text);
    return rc;
}

static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

char *sl_group_key_name(const char *text, size_t *expr_len) {
    const char *s = text;
    size_t len = strlen(text);
    trim(&s, &len);
    /* trailing "as NAME" */
    size_t e = len;
    while (e && ident_char(s[e - 1]))
        e--;
    if (e < len && e >= 4 && !isdigit((unsigned char)s[e]) && isspace((unsigned char)s[e - 1])) {
        size_t k = e - 1;
        while (k && isspace((unsigned char)s[k - 1]))
            k--;
        if (k >= 3 && strncasecmp(s + k - 2, "as", 2) == 0 && isspace((unsigned char)s[k - 3])) {
            size_t x = k - 3;
            while (x && isspace((unsigned char)s[x - 1]))
                x--;
            if (x) {
                *expr_len = (size_t)(s - text) + x;
                return sl_xstrndup(s + e, len - e);
            }
        }
    }
    *expr_len = (size_t)(s - text) + len;
    /* a plain dotted path: its last segment */
    bool plain = len > 0;
    for (size_t i = 0; i < len && plain; i++)
        plain = ident_char(s[i]) || s[i] == '.';
    if (plain && s[len - 1] != '.') {
        const char *dot = s + len;
        while (dot > s && dot[-1] != '.')
            dot--;
        return sl_xstrndup(dot, (size_t)(s + len - dot));
    }
    return sl_xstrndup(s, len);
}

/* ---- canonical keys and hashing ---- */

static uint64_t zigzag(int64_t n) { return ((uint64_t)n << 1) ^ (uint64_t)(n >> 63); }
static int64_t unzigzag(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }

static void key_encode(sl_buf *out, const sl_value *v) {
    sl_buf_addc(out, (char)v->type);
    switch ((sl_type)v->type) {
    case SL_T_NULL: break;
    case SL_T_BOOL: sl_buf_addc(out, v->u.b ? 1 : 0); break;
    case SL_T_INT:
    case SL_T_DATE:
    case SL_T_TIMESTAMP: sl_varint_put(out, zigzag(v->u.i)); break;
    case SL_T_DOUBLE: {
        double d = v->u.d;
        if (d == 0) d = 0.0;
        if (isnan(d)) d = NAN;
        sl_buf_add(out, &d, 8);
        break;
    }
    case SL_T_DECIMAL:
    case SL_T_STRING:
    case SL_T_BINARY:
        sl_varint_put(out, v->len);
        sl_buf_add(out, v->u.s, v->len);
        break;
    case SL_T_LIST:
        sl_varint_put(out, v->len);
        for (uint32_t i = 0; i < v->len; i++)
            key_encode(out, &v->u.items[i]);
        break;
    case SL_T_STRUCT:
        sl_varint_put(out, v->len);
        for (uint32_t i = 0; i < v->len; i++) {
            const sl_field *f = &v->u.fields[i];
            sl_varint_put(out, (uint64_t)f->name_len << 2);
            sl_buf_add(out, f->name, f->name_len);
            key_encode(out, &f->value);
        }
        break;
    default: break;
    }
}

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    if (n) memcpy(&w, p, n);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

static unsigned part_of(uint64_t hash, unsigned level) {
    return (unsigned)(hash >> (64 - PART_BITS * (level + 1))) & (PARTS - 1);
}

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

/* ---- tables ---- */

#define ROUND8(n) (((n) + 7) & ~(size_t)7)

static size_t state_size(sl_agg_kind kind) {
    switch (kind) {
    case SL_AGG_COUNT_ALL:
    case SL_AGG_COUNT: return sizeof(uint64_t);
    case SL_AGG_SUM:
    case SL_AGG_AVG: return ROUND8(offsetof(agg_state, mode) + 1);
    case SL_AGG_MIN:
    case SL_AGG_MAX:
    case SL_AGG_FIRST:
    case SL_AGG_LAST: return ROUND8(offsetof(agg_state, has) + 1);
    case SL_AGG_COUNT_DISTINCT:
    case SL_AGG_SUM_DISTINCT: return offsetof(agg_state, set) + sizeof(dset *);
    default: return offsetof(agg_state, pw) + 8 * sizeof(double);
    }
}

static void layout_init(layout *l, const sl_group_spec *spec) {
    l->offset = sl_xcalloc(spec->n_aggs ? spec->n_aggs : 1, sizeof *l->offset);
    l->size = 0;
    for (size_t a = 0; a < spec->n_aggs; a++) {
        l->offset[a] = l->size;
        l->size += state_size(spec->aggs[a].kind);
    }
}

static agg_state *state_of(const layout *l, const gent *e, size_t a) {
    return (agg_state *)((char *)e->st + l->offset[a]);
}

/* aggs[0]'s state (first/last of dedupe) is always at offset 0 */
static const agg_state *first_state(const gent *e) { return (const agg_state *)e->st; }

static size_t entry_size(const gtable *t) { return sizeof(gent) + t->lay->size; }

static void table_init(gtable *t, const sl_group_spec *spec, const layout *lay) {
    memset(t, 0, sizeof *t);
    t->spec = spec;
    t->lay = lay;
    sl_arena_init(&t->arena);
    t->cap = 64;
    t->slots = sl_xcalloc(t->cap, sizeof *t->slots);
}

static void table_free(gtable *t) {
    sl_arena_free(&t->arena);
    free(t->slots);
    t->slots = NULL;
    t->n = t->cap = 0;
}

static void table_reset(gtable *t) {
    sl_arena_reset(&t->arena);
    if (t->cap > 4096) {
        free(t->slots);
        t->cap = 64;
        t->slots = sl_xcalloc(t->cap, sizeof *t->slots);
    } else {
        memset(t->slots, 0, t->cap * sizeof *t->slots);
    }
    t->n = 0;
    t->garbage = 0;
}

static size_t table_bytes(const gtable *t) { return t->arena.bytes_used + t->cap * sizeof *t->slots; }

static void table_grow(gtable *t) {
    size_t cap = t->cap * 2;
    gslot *slots = sl_xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].e) continue;
        size_t j = t->slots[i].hash & (cap - 1);
        while (slots[j].e)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t table_probe(const gtable *t, uint64_t hash, const char *key, size_t len) {
    size_t j = hash & (t->cap - 1);
    for (;;) {
        const gslot *s = &t->slots[j];
        if (!s->e || (s->hash == hash && s->e->key_len == len && memcmp(s->e->key, key, len) == 0)) return j;
        j = (j + 1) & (t->cap - 1);
    }
}

/* Find the group of key, creating it (key copied into the arena) if new. */
static gent *table_get(gtable *t, uint64_t hash, const char *key, size_t len) {
    size_t j = table_probe(t, hash, key, len);
    if (t->slots[j].e) return t->slots[j].e;
    if ((t->n + 1) * 3 > t->cap * 2) {
        table_grow(t);
        j = table_probe(t, hash, key, len);
    }
    size_t size = entry_size(t);
    gent *e = sl_arena_calloc(&t->arena, size + len + 1); /* the key right behind: one cache line fewer */
    char *k = (char *)e + size;
    if (len) memcpy(k, key, len);
    e->hash = hash;
    e->key = k;
    e->key_len = (uint32_t)len;
    t->slots[j] = (gslot){hash, e};
    t->n++;
    return e;
}

/* Insert an entry that lives elsewhere (another worker's arena); returns the
 * entry already holding its key, or NULL when e was inserted. */
static gent *table_adopt(gtable *t, gent *e) {
    size_t j = table_probe(t, e->hash, e->key, e->key_len);
    if (t->slots[j].e) return t->slots[j].e;
    if ((t->n + 1) * 3 > t->cap * 2) {
        table_grow(t);
        j = table_probe(t, e->hash, e->key, e->key_len);
    }
    t->slots[j] = (gslot){e->hash, e};
    t->n++;
    return NULL;
}

/* ---- aggregate states ---- */

static bool dset_insert(gtable *t, dset **ps, uint64_t hash, const char *bytes, size_t len, bool copy) {
    dset *s = *ps;
    if (!s) {
        s = sl_arena_calloc(&t->arena, sizeof *s);
        s->cap = 8;
        s->slots = sl_arena_calloc(&t->arena, s->cap * sizeof *s->slots);
        *ps = s;
    }
    if ((s->n + 1) * 4 > s->cap * 3) {
        uint32_t cap = s->cap * 2;
        dslot *slots = sl_arena_calloc(&t->arena, cap * sizeof *slots);
        for (uint32_t i = 0; i < s->cap; i++) {
            if (!s->slots[i].bytes) continue;
            uint32_t j = (uint32_t)s->slots[i].hash & (cap - 1);
            while (slots[j].bytes)
                j = (j + 1) & (cap - 1);
            slots[j] = s->slots[i];
        }
        t->garbage += s->cap * sizeof *s->slots;
        s->slots = slots;
        s->cap = cap;
    }
    uint32_t j = (uint32_t)hash & (s->cap - 1);
    for (;;) {
        dslot *d = &s->slots[j];
        if (!d->bytes) break;
        if (d->hash == hash && d->len == len && memcmp(d->bytes, bytes, len) == 0) return false;
        j = (j + 1) & (s->cap - 1);
    }
    s->slots[j] = (dslot){hash, copy ? sl_arena_strndup(&t->arena, bytes, len) : bytes, (uint32_t)len};
    s->n++;
    return true;
}

static bool string_like(uint8_t type) { return type == SL_T_STRING || type == SL_T_BINARY || type == SL_T_DECIMAL; }

/* Keep v in st->val: copied into t's arena (reusing the state's buffer for
 * strings), or, with copy false, by reference. */
static void set_val(gtable *t, agg_state *st, const sl_value *v, bool copy) {
    if (st->has && (st->val.type == SL_T_LIST || st->val.type == SL_T_STRUCT) && st->val.len)
        t->garbage += sl_value_footprint(&st->val);
    if (!copy) {
        st->val = *v;
        return;
    }
    if (string_like(v->type)) {
        if (v->len > st->cap) {
            t->garbage += st->cap;
            st->cap = v->len < 16 ? 16 : v->len;
            st->buf = sl_arena_alloc(&t->arena, st->cap);
        }
        if (v->len) memcpy(st->buf, v->u.s, v->len);
        st->val = *v;
        st->val.u.s = st->buf;
    } else if (v->type == SL_T_LIST || v->type == SL_T_STRUCT) {
        st->val = sl_value_deep_copy(&t->arena, v);
    } else {
        st->val = *v;
    }
}

static void sum_add_double(agg_state *st, double x) {
    double s = st->sum, r = s + x;
    if (fabs(s) >= fabs(x))
        st->comp += (s - r) + x;
    else
        st->comp += (x - r) + s;
    st->sum = r;
}

static void sum_to_double(agg_state *st) {
    if (st->mode) return;
    st->mode = 1;
    st->sum = (double)st->i;
    st->comp = 0;
}

/* v: INT or DOUBLE. */
static void sum_add(agg_state *st, const sl_value *v) {
    st->n++;
    if (v->type == SL_T_INT && !st->mode) {
        int64_t r;
        if (!__builtin_add_overflow(st->i, v->u.i, &r)) {
            st->i = r;
            return;
        }
    }
    sum_to_double(st);
    sum_add_double(st, v->type == SL_T_INT ? (double)v->u.i : v->u.d);
}

static void sum_merge(agg_state *dst, const agg_state *src) {
    if (!src->n) return;
    if (!dst->mode && !src->mode) {
        int64_t r;
        if (!__builtin_add_overflow(dst->i, src->i, &r)) {
            dst->i = r;
            dst->n += src->n;
            return;
        }
    }
    sum_to_double(dst);
    sum_add_double(dst, src->mode ? src->sum : (double)src->i);
    if (src->mode) dst->comp += src->comp;
    dst->n += src->n;
}

/* ---- double-double arithmetic (error-free transforms) for the moments:
 * power sums kept to ~106 bits round to the same double whatever order the
 * values and partial states were added in ---- */

typedef struct dd {
    double hi, lo;
} dd;

static dd two_sum(double a, double b) {
    double s = a + b, bb = s - a;
    return (dd){s, (a - (s - bb)) + (b - bb)};
}

static dd quick_two_sum(double a, double b) {
    double s = a + b;
    return (dd){s, b - (s - a)};
}

static dd dd_add(dd a, dd b) {
    dd s = two_sum(a.hi, b.hi), t = two_sum(a.lo, b.lo);
    s.lo += t.hi;
    s = quick_two_sum(s.hi, s.lo);
    s.lo += t.lo;
    return quick_two_sum(s.hi, s.lo);
}

static dd dd_mul(dd a, dd b) {
    double p = a.hi * b.hi, e = fma(a.hi, b.hi, -p);
    e += a.hi * b.lo + a.lo * b.hi;
    return quick_two_sum(p, e);
}

static dd dd_of(double x) { return (dd){x, 0}; }
static dd dd_neg(dd a) { return (dd){-a.hi, -a.lo}; }

static dd dd_div(dd a, dd b) {
    double q1 = a.hi / b.hi;
    dd r = dd_add(a, dd_neg(dd_mul(b, dd_of(q1))));
    double q2 = r.hi / b.hi;
    r = dd_add(r, dd_neg(dd_mul(b, dd_of(q2))));
    double q3 = r.hi / b.hi;
    return dd_add(quick_two_sum(q1, q2), dd_of(q3));
}

/* pw[0..7]: the power sums S1…S4 of the values, each as hi, lo. */
static dd power_sum(const agg_state *st, int k) { return (dd){st->pw[2 * k], st->pw[2 * k + 1]}; }

static void add_power(agg_state *st, int k, dd x) {
    dd s = dd_add(power_sum(st, k), x);
    st->pw[2 * k] = s.hi;
    st->pw[2 * k + 1] = s.lo;
}

static void moment_add(agg_state *st, double x) {
    dd x1 = dd_of(x), x2 = dd_mul(x1, x1);
    st->n++;
    add_power(st, 0, x1);
    add_power(st, 1, x2);
    add_power(st, 2, dd_mul(x2, x1));
    add_power(st, 3, dd_mul(x2, x2));
}

static void moment_merge(agg_state *a, const agg_state *b) {
    for (int k = 0; k < 4; k++)
        add_power(a, k, power_sum(b, k));
    a->n += b->n;
}

/* Central moments M2, M3, M4 (sums of (x - mean)^k) from the power sums. */
static void central_moments(const agg_state *st, double m[5]) {
    dd n = dd_of((double)st->n), s1 = power_sum(st, 0), s2 = power_sum(st, 1), s3 = power_sum(st, 2),
       s4 = power_sum(st, 3);
    dd mean = dd_div(s1, n), mean2 = dd_mul(mean, mean);
    dd m2 = dd_add(s2, dd_neg(dd_mul(mean, s1)));
    /* S3 - 3 m S2 + 2 n m^3 */
    dd m3 = dd_add(dd_add(s3, dd_neg(dd_mul(dd_of(3), dd_mul(mean, s2)))),
                   dd_mul(dd_of(2), dd_mul(n, dd_mul(mean2, mean))));
    /* S4 - 4 m S3 + 6 m^2 S2 - 3 n m^4 */
    dd m4 =
        dd_add(dd_add(s4, dd_neg(dd_mul(dd_of(4), dd_mul(mean, s3)))),
               dd_add(dd_mul(dd_of(6), dd_mul(mean2, s2)), dd_neg(dd_mul(dd_of(3), dd_mul(n, dd_mul(mean2, mean2))))));
    m[2] = m2.hi + m2.lo;
    m[3] = m3.hi + m3.lo;
    m[4] = m4.hi + m4.lo;
    if (m[2] < 0) m[2] = 0; /* rounding of a zero variance */
}

/* Does (seq, v) replace the state's first (want_first) or last value? Equal
 * positions (only possible when several sources feed one node) fall back to
 * the value order, so the choice never depends on the thread count. */
static bool position_wins(const agg_state *st, uint64_t seq, const sl_value *v, bool want_first) {
    if (!st->has) return true;
    if (seq != st->seq) return want_first ? seq < st->seq : seq > st->seq;
    int c = sl_value_compare(v, &st->val);
    return want_first ? c < 0 : c > 0;
}

static void merge_state(gtable *t, sl_agg_kind kind, agg_state *dst, const agg_state *src, bool copy) {
    switch (kind) {
    case SL_AGG_COUNT_ALL:
    case SL_AGG_COUNT: dst->n += src->n; break;
    case SL_AGG_SUM:
    case SL_AGG_AVG: sum_merge(dst, src); break;
    case SL_AGG_MIN:
    case SL_AGG_MAX:
        if (src->has && (!dst->has || (sl_value_compare(&src->val, &dst->val) < 0) == (kind == SL_AGG_MIN))) {
            if (dst->has && !sl_value_compare(&src->val, &dst->val)) break;
            set_val(t, dst, &src->val, copy);
            dst->has = true;
        }
        break;
    case SL_AGG_FIRST:
    case SL_AGG_LAST:
        if (src->has && position_wins(dst, src->seq, &src->val, kind == SL_AGG_FIRST)) {
            set_val(t, dst, &src->val, copy);
            dst->seq = src->seq;
            dst->has = true;
        }
        break;
    case SL_AGG_COUNT_DISTINCT:
    case SL_AGG_SUM_DISTINCT:
        if (src->set)
            for (uint32_t i = 0; i < src->set->cap; i++) {
                const dslot *d = &src->set->slots[i];
                if (d->bytes) dset_insert(t, &dst->set, d->hash, d->bytes, d->len, copy);
            }
        break;
    default: moment_merge(dst, src); break;
    }
}

/* Fold one evaluated argument into a state (phase 1). */
static void update_state(gworker *w, sl_agg_kind kind, agg_state *st, const sl_value *v, uint64_t seq) {
    gtable *t = &w->t;
    bool null = v->type == SL_T_NULL;
    switch (kind) {
    case SL_AGG_COUNT_ALL: st->n++; break;
    case SL_AGG_COUNT: st->n += !null; break;
    case SL_AGG_SUM:
    case SL_AGG_AVG:
        if (!null) sum_add(st, v);
        break;
    case SL_AGG_MIN:
    case SL_AGG_MAX:
        if (!null && (!st->has || (sl_value_compare(v, &st->val) < 0) == (kind == SL_AGG_MIN))) {
            if (st->has && !sl_value_compare(v, &st->val)) break;
            set_val(t, st, v, true);
            st->has = true;
        }
        break;
    case SL_AGG_FIRST:
    case SL_AGG_LAST:
        if (position_wins(st, seq, v, kind == SL_AGG_FIRST)) {
            set_val(t, st, v, true);
            st->seq = seq;
            st->has = true;
        }
        break;
    case SL_AGG_COUNT_DISTINCT:
    case SL_AGG_SUM_DISTINCT:
        if (!null) {
            sl_buf_reset(&w->enc);
            key_encode(&w->enc, v);
            dset_insert(t, &st->set, hash_bytes(w->enc.data, w->enc.len), w->enc.data, w->enc.len, true);
        }
        break;
    default:
        if (!null) moment_add(st, v->type == SL_T_INT ? (double)v->u.i : v->u.d);
        break;
    }
}

static int value_qsort(const void *a, const void *b) { return sl_value_compare(a, b); }

/* The aggregate's result for output (values in a). */
static sl_value finish_state(sl_agg_kind kind, const agg_state *st, sl_arena *a) {
    double n = (double)st->n;
    switch (kind) {
    case SL_AGG_COUNT_ALL:
    case SL_AGG_COUNT: return sl_int((int64_t)st->n);
    case SL_AGG_COUNT_DISTINCT: return sl_int(st->set ? st->set->n : 0);
    case SL_AGG_SUM:
        if (!st->n) return sl_null();
        return st->mode ? sl_double(st->sum + st->comp) : sl_int(st->i);
    case SL_AGG_AVG:
        if (!st->n) return sl_null();
        return sl_double((st->mode ? st->sum + st->comp : (double)st->i) / n);
    case SL_AGG_MIN:
    case SL_AGG_MAX:
    case SL_AGG_FIRST:
    case SL_AGG_LAST: return st->has ? st->val : sl_null();
    case SL_AGG_SUM_DISTINCT: {
        if (!st->set || !st->set->n) return sl_null();
        /* in value order, so the double result does not depend on hashing */
        sl_value *vals = sl_arena_alloc(a, st->set->n * sizeof *vals);
        size_t k = 0;
        for (uint32_t i = 0; i < st->set->cap; i++) {
            const dslot *d = &st->set->slots[i];
            if (!d->bytes) continue;
            const char *p = d->bytes;
            if (sl_value_decode(&p, d->bytes + d->len, a, &vals[k]) == 0) k++;
        }
        qsort(vals, k, sizeof *vals, value_qsort);
        agg_state sum = {0};
        for (size_t i = 0; i < k; i++)
            sum_add(&sum, &vals[i]);
        return finish_state(SL_AGG_SUM, &sum, a);
    }
    default: break;
    }
    if (!st->n) return sl_null();
    double m[5];
    central_moments(st, m);
    switch (kind) {
    case SL_AGG_VAR_POP: return sl_double(m[2] / n);
    case SL_AGG_VAR_SAMP: return st->n > 1 ? sl_double(m[2] / (n - 1)) : sl_null();
    case SL_AGG_STDDEV_POP: return sl_double(sqrt(m[2] / n));
    case SL_AGG_STDDEV_SAMP: return st->n > 1 ? sl_double(sqrt(m[2] / (n - 1))) : sl_null();
    case SL_AGG_SKEWNESS: return m[2] == 0 ? sl_null() : sl_double(sqrt(n) * m[3] / pow(m[2], 1.5));
    case SL_AGG_KURTOSIS: return m[2] == 0 ? sl_null() : sl_double(n * m[4] / (m[2] * m[2]) - 3.0);
    default: break;
    }
    return sl_null();
}

/* ---- serialising partial states ---- */

static void put_double(sl_buf *b, double d) { sl_buf_add(b, &d, 8); }

static void encode_entry(const gtable *t, const gent *e, sl_buf *b) {
    const sl_group_spec *spec = t->spec;
    sl_varint_put(b, e->key_len);
    sl_buf_add(b, e->key, e->key_len);
    for (size_t a = 0; a < spec->n_aggs; a++) {
        const agg_state *st = state_of(t->lay, e, a);
        sl_agg_kind kind = spec->aggs[a].kind;
        switch (kind) {
        case SL_AGG_COUNT_ALL:
        case SL_AGG_COUNT: sl_varint_put(b, st->n); break;
        case SL_AGG_SUM:
        case SL_AGG_AVG:
            sl_varint_put(b, st->n);
            sl_buf_addc(b, (char)st->mode);
            sl_varint_put(b, zigzag(st->i));
            put_double(b, st->sum);
            put_double(b, st->comp);
            break;
        case SL_AGG_MIN:
        case SL_AGG_MAX:
        case SL_AGG_FIRST:
        case SL_AGG_LAST:
            sl_buf_addc(b, st->has);
            if (!st->has) break;
            if (kind == SL_AGG_FIRST || kind == SL_AGG_LAST) sl_varint_put(b, st->seq);
            sl_value_encode(b, &st->val);
            break;
        case SL_AGG_COUNT_DISTINCT:
        case SL_AGG_SUM_DISTINCT:
            sl_varint_put(b, st->set ? st->set->n : 0);
            if (st->set)
                for (uint32_t i = 0; i < st->set->cap; i++) {
                    const dslot *d = &st->set->slots[i];
                    if (!d->bytes) continue;
                    sl_varint_put(b, d->len);
                    sl_buf_add(b, d->bytes, d->len);
                }
            break;
        default:
            sl_varint_put(b, st->n);
            for (int k = 0; k < 8; k++)
                put_double(b, st->pw[k]);
            break;
        }
    }
}

static int get_double(const char **p, const char *end, double *d) {
    if (end - *p < 8) return SL_EPARSE;
    memcpy(d, *p, 8);
    *p += 8;
    return SL_OK;
}

/* Decode one spilled entry and merge it into t (copying what it keeps). */
static int merge_encoded(gtable *t, const char *data, size_t len, sl_arena *scratch) {
    const sl_group_spec *spec = t->spec;
    const char *p = data, *end = data + len;
    uint64_t key_len, n;
    if (sl_varint_get(&p, end, &key_len) || key_len > (uint64_t)(end - p)) return SL_EPARSE;
    const char *key = p;
    p += key_len;
    gent *e = table_get(t, hash_bytes(key, key_len), key, key_len);
    for (size_t a = 0; a < spec->n_aggs; a++) {
        sl_agg_kind kind = spec->aggs[a].kind;
        agg_state src = {0};
        switch (kind) {
        case SL_AGG_COUNT_ALL:
        case SL_AGG_COUNT:
            if (sl_varint_get(&p, end, &src.n)) return SL_EPARSE;
            break;
        case SL_AGG_SUM:
        case SL_AGG_AVG: {
            uint64_t zi;
            if (sl_varint_get(&p, end, &src.n) || p >= end) return SL_EPARSE;
            src.mode = (uint8_t)*p++;
            if (sl_varint_get(&p, end, &zi) || get_double(&p, end, &src.sum) || get_double(&p, end, &src.comp))
                return SL_EPARSE;
            src.i = unzigzag(zi);
            break;
        }
        case SL_AGG_MIN:
        case SL_AGG_MAX:
        case SL_AGG_FIRST:
        case SL_AGG_LAST:
            if (p >= end) return SL_EPARSE;
            src.has = *p++ != 0;
            if (!src.has) break;
            if ((kind == SL_AGG_FIRST || kind == SL_AGG_LAST) && sl_varint_get(&p, end, &src.seq)) return SL_EPARSE;
            if (sl_value_decode(&p, end, scratch, &src.val)) return SL_EPARSE;
            break;
        case SL_AGG_COUNT_DISTINCT:
        case SL_AGG_SUM_DISTINCT:
            if (sl_varint_get(&p, end, &n)) return SL_EPARSE;
            for (uint64_t i = 0; i < n; i++) {
                uint64_t l;
                if (sl_varint_get(&p, end, &l) || l > (uint64_t)(end - p)) return SL_EPARSE;
                dset_insert(t, &state_of(t->lay, e, a)->set, hash_bytes(p, l), p, l, true);
                p += l;
            }
            continue;
        default:
            if (sl_varint_get(&p, end, &src.n)) return SL_EPARSE;
            for (int k = 0; k < 8; k++)
                if (get_double(&p, end, &src.pw[k])) return SL_EPARSE;
            break;
        }
        merge_state(t, kind, state_of(t->lay, e, a), &src, true);
    }
    return p == end ? SL_OK : SL_EPARSE;
}

/* ---- spilling and compaction ---- */

static void prun_add(prun_list *l, prun r) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->items = sl_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n++] = r;
}

/* Write t's entries to spill, one run per partition at `level`, and empty t. */
static int spill_table(gtable *t, unsigned level, sl_spill *spill, prun_list *runs, sl_buf *enc, sl_error *err) {
    size_t counts[PARTS + 1] = {0};
    gent **order = sl_xmalloc((t->n ? t->n : 1) * sizeof *order);
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].e) counts[part_of(t->slots[i].hash, level) + 1]++;
    for (unsigned p = 0; p < PARTS; p++)
        counts[p + 1] += counts[p];
    size_t pos[PARTS];
    memcpy(pos, counts, sizeof pos);
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].e) order[pos[part_of(t->slots[i].hash, level)]++] = t->slots[i].e;
    int rc = SL_OK;
    for (unsigned p = 0; p < PARTS && !rc; p++) {
        if (counts[p] == counts[p + 1]) continue;
        uint64_t start = sl_spill_bytes(spill);
        for (size_t i = counts[p]; i < counts[p + 1] && !rc; i++) {
            sl_buf_reset(enc);
            encode_entry(t, order[i], enc);
            rc = sl_spill_append(spill, enc->data, enc->len, err);
        }
        prun_add(runs, (prun){spill, start, sl_spill_bytes(spill), p, level});
    }
    free(order);
    if (!rc) rc = sl_spill_flush(spill, NULL, err);
    table_reset(t);
    return rc;
}

/* Copy every live entry into a fresh arena, dropping the garbage. */
static void compact(gtable *t) {
    gtable nt;
    table_init(&nt, t->spec, t->lay);
    for (size_t i = 0; i < t->cap; i++) {
        gent *e = t->slots[i].e;
        if (!e) continue;
        gent *c = table_get(&nt, e->hash, e->key, e->key_len);
        for (size_t a = 0; a < t->spec->n_aggs; a++)
            merge_state(&nt, t->spec->aggs[a].kind, state_of(t->lay, c, a), state_of(t->lay, e, a), true);
    }
    table_free(t);
    *t = nt;
}

/* Compaction pays when most of the arena is garbage. */
static bool worth_compacting(const gtable *t) { return t->garbage > table_bytes(t) / 2; }

/* ---- phase 1: consuming ---- */

int sl_group_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    gworker *w = sl_xcalloc(1, sizeof *w);
    w->node = node;
    w->run = run;
    *state = w;
    if (node->passthrough) return SL_OK;
    w->g = node->data;
    table_init(&w->t, &w->g->spec, &w->g->lay);
    int64_t limit = run->job->settings.memory_limit > 0 ? run->job->settings.memory_limit : INT64_C(1) << 30;
    w->limit = (size_t)(limit / (run->threads > 0 ? run->threads : 1));
    if (w->limit < MIN_WORKER_LIMIT) w->limit = MIN_WORKER_LIMIT; /* many threads, small limit: no spill storms */
    sl_buf_init(&w->key, 0);
    sl_buf_init(&w->enc, 0);
    w->args = sl_xcalloc(w->g->spec.n_aggs ? w->g->spec.n_aggs : 1, sizeof *w->args);
    sl_error_clear(&w->e);
    return SL_OK;
}

static void worker_free(gworker *w) {
    if (!w) return;
    if (w->g) {
        table_free(&w->t);
        sl_buf_free(&w->key);
        sl_buf_free(&w->enc);
        free(w->args);
        free(w->runs.items);
        sl_spill_close(w->spill);
    }
    free(w);
}

void sl_group_fini(void *state) { worker_free(state); }

/* A number for sum/avg/moments: longs and doubles as they are, decimals and
 * numeric strings converted; anything else is an error. */
static int to_number(sl_arena *a, sl_value *v, sl_error *e) {
    switch (v->type) {
    case SL_T_NULL:
    case SL_T_INT:
    case SL_T_DOUBLE: return SL_OK;
    case SL_T_DECIMAL: {
        sl_value out;
        int rc = sl_value_cast(a, v, SL_T_DOUBLE, &out, e);
        if (!rc) *v = out;
        return rc;
    }
    case SL_T_STRING: {
        sl_value out;
        if (sl_value_cast(a, v, SL_T_INT, &out, e) == 0 || sl_value_cast(a, v, SL_T_DOUBLE, &out, e) == 0) {
            sl_error_clear(e);
            *v = out;
            return SL_OK;
        }
        return sl_error_set(e, SL_ETYPE, "'%.*s' is not a number", (int)(v->len > 100 ? 100 : v->len), v->u.s);
    }
    default: return sl_error_set(e, SL_ETYPE, "a %s is not a number", sl_type_name((sl_type)v->type));
    }
}

/* Evaluate keys and arguments of rec (into a); on failure return the reason
 * in w->e. */
static int evaluate(gworker *w, const sl_value *rec, sl_arena *a) {
    const sl_group_spec *spec = &w->g->spec;
    sl_buf_reset(&w->key);
    if (spec->whole_record_key) {
        key_encode(&w->key, rec);
    } else {
        for (size_t k = 0; k < spec->n_keys; k++) {
            sl_value v;
            if (sl_expr_eval(spec->keys[k], rec, a, &v, &w->e)) {
                char msg[sizeof w->e.message];
                snprintf(msg, sizeof msg, "%s", w->e.message);
                return sl_error_set(&w->e, SL_ETYPE, "group key '%.200s': %.250s", spec->key_names[k], msg);
            }
            key_encode(&w->key, &v);
        }
    }
    for (size_t i = 0; i < spec->n_aggs; i++) {
        const sl_agg *agg = &spec->aggs[i];
        if (!agg->arg) {
            w->args[i] = agg->kind == SL_AGG_COUNT_ALL ? sl_null() : *rec;
            continue;
        }
        int rc = sl_expr_eval(agg->arg, rec, a, &w->args[i], &w->e);
        if (!rc && is_numeric(agg->kind)) rc = to_number(a, &w->args[i], &w->e);
        if (rc) {
            char msg[sizeof w->e.message];
            snprintf(msg, sizeof msg, "%s", w->e.message);
            return sl_error_set(&w->e, SL_ETYPE, "aggregate '%.200s': %.250s", agg->name, msg);
        }
    }
    return SL_OK;
}

static int relieve(gworker *w, sl_error *err) {
    if (worth_compacting(&w->t)) {
        compact(&w->t);
        return SL_OK;
    }
    if (!w->spill) {
        int rc = sl_spill_open(w->run->job->settings.spill_dir, &w->spill, err);
        if (rc) return rc;
    }
    return spill_table(&w->t, 0, w->spill, &w->runs, &w->enc, err);
}

int sl_group_process(void *state, sl_batch *b, sl_error *err) {
    gworker *w = state;
    if (w->node->passthrough) return SL_OK;
    const sl_group_spec *spec = &w->g->spec;
    for (size_t i = 0; i < b->count; i++) {
        if (evaluate(w, &b->records[i], &b->arena)) {
            int rc = sl_run_reject(w->run, w->node, b, i, w->e.message, err);
            sl_error_clear(&w->e);
            if (rc) return rc;
            continue;
        }
        const char *key = w->key.data ? w->key.data : ""; /* no key: one group */
        gent *e = table_get(&w->t, hash_bytes(key, w->key.len), key, w->key.len);
        for (size_t a = 0; a < spec->n_aggs; a++)
            update_state(w, spec->aggs[a].kind, state_of(&w->g->lay, e, a), &w->args[a], b->seq_base + i);
        if (table_bytes(&w->t) > w->limit) {
            int rc = relieve(w, err);
            if (rc) return rc;
        }
    }
    b->count = 0; /* nothing flows on until the input is complete */
    return SL_OK;
}

/* ---- finishing groups ---- */

static void decode_keys(const sl_group_spec *spec, gent *e, sl_arena *a) {
    if (spec->whole_record_key || !spec->n_keys || e->key_vals) return;
    e->key_vals = sl_arena_alloc(a, spec->n_keys * sizeof *e->key_vals);
    const char *p = e->key, *end = e->key + e->key_len;
    for (size_t k = 0; k < spec->n_keys; k++)
        if (sl_value_decode(&p, end, a, &e->key_vals[k])) e->key_vals[k] = sl_null();
}

static int entry_cmp(const void *x, const void *y, void *ctx) {
    const sl_group_spec *spec = ctx;
    const gent *a = *(gent *const *)x, *b = *(gent *const *)y;
    if (spec->emit_record) {
        uint64_t sa = first_state(a)->seq, sb = first_state(b)->seq;
        if (sa != sb) return sa < sb ? -1 : 1;
    } else if (!spec->whole_record_key) {
        for (size_t k = 0; k < spec->n_keys; k++) {
            int c = sl_value_compare(&a->key_vals[k], &b->key_vals[k]);
            if (c) return c;
        }
    }
    return bytes_cmp(a->key, a->key_len, b->key, b->key_len);
}

/* Output record of a finished group (in a). */
static sl_value entry_output(const sl_group_node *g, const gent *e, sl_arena *a) {
    const sl_group_spec *spec = &g->spec;
    if (spec->emit_record) return first_state(e)->val;
    size_t n_keys = spec->whole_record_key ? 0 : spec->n_keys;
    sl_field *fields = sl_arena_alloc(a, (n_keys + spec->n_aggs + 1) * sizeof *fields);
    size_t n = 0;
    for (size_t k = 0; k < n_keys; k++, n++) {
        fields[n].name = spec->key_names[k];
        fields[n].name_len = (uint32_t)strlen(spec->key_names[k]);
        fields[n].name_flags = sl_json_plain(fields[n].name, fields[n].name_len) ? SL_VF_JSON_PLAIN : 0;
        fields[n].value = e->key_vals[k];
    }
    for (size_t i = 0; i < spec->n_aggs; i++, n++) {
        fields[n].name = spec->aggs[i].name;
        fields[n].name_len = (uint32_t)strlen(spec->aggs[i].name);
        fields[n].name_flags = sl_json_plain(fields[n].name, fields[n].name_len) ? SL_VF_JSON_PLAIN : 0;
        fields[n].value = finish_state(spec->aggs[i].kind, state_of(&g->lay, e, i), a);
    }
    return sl_struct(fields, n);
}

/* The order part of a result element (see the layout at the top). */
static sl_value entry_order(const sl_group_spec *spec, const gent *e, sl_arena *a) {
    size_t n_keys = spec->emit_record || spec->whole_record_key ? 0 : spec->n_keys;
    sl_value *items = sl_arena_alloc(a, (n_keys + 2) * sizeof *items);
    size_t n = 0;
    if (spec->emit_record) items[n++] = sl_int((int64_t)first_state(e)->seq);
    for (size_t k = 0; k < n_keys; k++)
        items[n++] = e->key_vals[k];
    items[n++] = sl_binary(e->key, e->key_len);
    return sl_list(items, n);
}

static int element_cmp(const sl_value *a, const sl_value *b, void *ctx) {
    return sl_value_compare(&a->u.items[0], &b->u.items[0]);
}

/* Entries of t in output order (malloc'd array; keys decoded into t). */
static gent **sorted_entries(gtable *t, size_t *n_out) {
    const sl_group_spec *spec = t->spec;
    gent **list = sl_xmalloc((t->n ? t->n : 1) * sizeof *list);
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++) {
        gent *e = t->slots[i].e;
        if (!e) continue;
        decode_keys(spec, e, &t->arena);
        list[n++] = e;
    }
    qsort_r(list, n, sizeof *list, entry_cmp, (void *)spec);
    *n_out = n;
    return list;
}

/* Write t's groups as one sorted run of result elements. */
static int finish_partition(sl_group_node *g, gtable *t, sl_buf *enc, sl_error *err) {
    size_t n;
    gent **list = sorted_entries(t, &n);
    sl_arena scratch;
    sl_arena_init(&scratch);
    int rc = SL_OK;
    uint64_t start = sl_spill_bytes(g->result_spill);
    for (size_t i = 0; i < n && !rc; i++) {
        sl_arena_reset(&scratch);
        sl_value items[2] = {entry_order(&g->spec, list[i], &scratch), entry_output(g, list[i], &scratch)};
        sl_value elem = sl_list(items, 2);
        sl_buf_reset(enc);
        sl_value_encode(enc, &elem);
        rc = sl_spill_append(g->result_spill, enc->data, enc->len, err);
    }
    uint64_t end = 0;
    if (!rc) rc = sl_spill_flush(g->result_spill, &end, err);
    if (!rc && n) {
        if (g->n_result_runs == g->cap_result_runs) {
            g->cap_result_runs = g->cap_result_runs ? 2 * g->cap_result_runs : 64;
            g->result_runs = sl_xrealloc(g->result_runs, g->cap_result_runs * sizeof *g->result_runs);
        }
        g->result_runs[g->n_result_runs++] = (sl_sorted_run){.spill = g->result_spill, .start = start, .end = end};
        g->total += n;
    }
    sl_arena_free(&scratch);
    free(list);
    table_reset(t);
    return rc;
}

/* ---- seal ---- */

typedef struct pjob {
    unsigned level;
    prun *runs;
    size_t n;
} pjob;

typedef struct pjob_stack {
    pjob *items;
    size_t n, cap;
} pjob_stack;

/* Push one job per partition of `level` found in runs. */
static void push_partitions(pjob_stack *st, const prun_list *runs, unsigned level) {
    for (unsigned p = PARTS; p-- > 0;) {
        size_t n = 0;
        for (size_t i = 0; i < runs->n; i++)
            n += runs->items[i].part == p && runs->items[i].level == level;
        if (!n) continue;
        pjob j = {level, sl_xmalloc(n * sizeof(prun)), 0};
        for (size_t i = 0; i < runs->n; i++)
            if (runs->items[i].part == p && runs->items[i].level == level) j.runs[j.n++] = runs->items[i];
        if (st->n == st->cap) {
            st->cap = st->cap ? 2 * st->cap : 64;
            st->items = sl_xrealloc(st->items, st->cap * sizeof *st->items);
        }
        st->items[st->n++] = j;
    }
}

/* Point r at another byte range, keeping its buffer (a partition is read
 * from many small runs; a fresh reader would allocate a buffer for each). */
static void reader_seek(sl_spill_reader *r, const sl_spill *spill, uint64_t start, uint64_t end) {
    r->spill = spill;
    r->pos = start;
    r->end = end;
    r->buf_len = r->buf_pos = 0;
}

/* Aggregate one partition's runs into g->own; split further if it outgrows
 * the limit. */
static int run_partition(sl_group_node *g, const pjob *job, size_t limit, const char *spill_dir, pjob_stack *stack,
                         sl_buf *enc, sl_error *err) {
    gtable *t = &g->own;
    prun_list sub = {0};
    sl_arena scratch;
    sl_arena_init(&scratch);
    int rc = SL_OK;
    sl_spill_reader rd;
    sl_spill_reader_init(&rd, NULL, 0, 0);
    for (size_t r = 0; r < job->n && !rc; r++) {
        reader_seek(&rd, job->runs[r].spill, job->runs[r].start, job->runs[r].end);
        const char *data;
        size_t len;
        while (!rc && (rc = sl_spill_next(&rd, &data, &len, err)) == 1) {
            sl_arena_reset(&scratch);
            rc = merge_encoded(t, data, len, &scratch);
            if (rc) {
                rc = sl_error_set(err, SL_EIO, "corrupt spill file (aggregate state)");
                break;
            }
            if (table_bytes(t) <= limit) continue;
            if (worth_compacting(t)) {
                compact(t);
            } else if (job->level + 1 < MAX_LEVEL && t->n > 1) {
                if (!g->tmp_spill) rc = sl_spill_open(spill_dir, &g->tmp_spill, err);
                if (!rc) rc = spill_table(t, job->level + 1, g->tmp_spill, &sub, enc, err);
            }
        }
    }
    sl_spill_reader_free(&rd);
    sl_arena_free(&scratch);
    if (!rc && sub.n) {
        if (t->n) rc = spill_table(t, job->level + 1, g->tmp_spill, &sub, enc, err);
        if (!rc) push_partitions(stack, &sub, job->level + 1);
    } else if (!rc) {
        rc = finish_partition(g, t, enc, err);
    }
    table_reset(t);
    free(sub.items);
    return rc;
}

static int seal_spilled(sl_group_node *g, sl_run *run, sl_error *err) {
    const char *spill_dir = run->job->settings.spill_dir;
    int64_t limit = run->job->settings.memory_limit > 0 ? run->job->settings.memory_limit : INT64_C(1) << 30;
    prun_list all = {0};
    int rc = SL_OK;
    for (size_t i = 0; i < g->n_workers && !rc; i++) {
        gworker *w = g->workers[i];
        if (w->t.n) {
            if (!w->spill) rc = sl_spill_open(spill_dir, &w->spill, err);
            if (!rc) rc = spill_table(&w->t, 0, w->spill, &w->runs, &w->enc, err);
        }
        table_free(&w->t);
        for (size_t r = 0; r < w->runs.n; r++)
            prun_add(&all, w->runs.items[r]);
    }
    g->spilled_runs = all.n;
    if (!rc) rc = sl_spill_open(spill_dir, &g->result_spill, err);
    pjob_stack stack = {0};
    if (!rc) push_partitions(&stack, &all, 0);
    sl_buf enc;
    sl_buf_init(&enc, 0);
    while (stack.n) {
        pjob job = stack.items[--stack.n];
        if (!rc) rc = run_partition(g, &job, (size_t)limit, spill_dir, &stack, &enc, err);
        free(job.runs);
    }
    sl_buf_free(&enc);
    free(stack.items);
    free(all.items);
    return rc;
}

static void seal_memory(sl_group_node *g) {
    gtable *base = &g->own;
    size_t best = 0;
    for (size_t i = 0; i < g->n_workers; i++)
        if (g->workers[i]->t.n > best) best = g->workers[i]->t.n, base = &g->workers[i]->t;
    for (size_t i = 0; i < g->n_workers; i++) {
        gtable *t = &g->workers[i]->t;
        if (t == base) continue;
        for (size_t s = 0; s < t->cap; s++) {
            gent *e = t->slots[s].e;
            if (!e) continue;
            gent *have = table_adopt(base, e);
            if (!have) continue;
            for (size_t a = 0; a < g->spec.n_aggs; a++)
                merge_state(base, g->spec.aggs[a].kind, state_of(&g->lay, have, a), state_of(&g->lay, e, a), false);
        }
    }
    /* SQL's global aggregate: one row even for an empty input */
    if (!base->n && !g->spec.n_keys && !g->spec.whole_record_key && !g->spec.emit_record)
        table_get(base, hash_bytes("", 0), "", 0);
    g->final = sorted_entries(base, &g->n_final);
    g->total = g->n_final;
}

int sl_group_seal(sl_node *node, sl_run *run, void **states, size_t n_states, sl_error *err) {
    sl_group_node *g = node->data;
    g->workers = sl_xcalloc(n_states ? n_states : 1, sizeof *g->workers);
    g->spilled = false;
    for (size_t i = 0; i < n_states; i++) {
        g->workers[g->n_workers++] = states[i];
        g->spilled |= g->workers[i]->runs.n > 0;
    }
    g->max_records = run->job->settings.batch_records > 0 ? (size_t)run->job->settings.batch_records : SL_BATCH_DEFAULT_RECORDS;
    table_init(&g->own, &g->spec, &g->lay);
    if (!g->spilled) {
        seal_memory(g);
        return SL_OK;
    }
    int rc = seal_spilled(g, run, err);
    /* a global aggregate over input that was all rejected still has its row */
    if (!rc && !g->total && !g->spec.n_keys && !g->spec.whole_record_key && !g->spec.emit_record) {
        g->spilled = false;
        seal_memory(g);
    }
    return rc;
}

/* ---- emitting ---- */

typedef struct greader {
    sl_group_node *g;
    sl_node *node;
    size_t next;
    sl_merge *merge;
} greader;

int sl_group_plan(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err) {
    sl_group_node *g = node->data;
    sl_split *s = sl_xcalloc(1, sizeof *s);
    s->path = sl_xstrdup(node->name);
    s->length = g->total;
    *splits = s;
    *n_splits = 1;
    return SL_OK;
}

int sl_group_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    sl_group_node *g = node->data;
    greader *r = sl_xcalloc(1, sizeof *r);
    r->g = g;
    r->node = node;
    if (g->spilled) {
        int rc = sl_merge_open(g->result_runs, g->n_result_runs, element_cmp, NULL, &r->merge, err);
        if (rc) {
            free(r);
            return rc;
        }
    }
    *out = r;
    return SL_OK;
}

int sl_group_next(void *state, sl_batch *b, sl_error *err) {
    greader *r = state;
    sl_group_node *g = r->g;
    b->source_name = r->node->name;
    while (b->count < g->max_records) {
        if (!r->merge) {
            if (r->next >= g->n_final) break;
            sl_batch_push(b, entry_output(g, g->final[r->next++], &b->arena), (sl_recloc){0, -1});
            continue;
        }
        sl_value elem;
        int rc = sl_merge_next(r->merge, &elem, err);
        if (rc < 0) return rc;
        if (!rc) break;
        sl_batch_push(b, sl_value_deep_copy(&b->arena, &elem.u.items[1]), (sl_recloc){0, -1});
    }
    return b->count ? 1 : 0;
}

void sl_group_close(void *state) {
    greader *r = state;
    if (!r) return;
    sl_merge_free(r->merge);
    free(r);
}

void sl_group_free_splits(sl_split *splits, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(splits[i].path);
    free(splits);
}

/* ---- lifetime ---- */

sl_group_node *sl_group_node_new(const sl_group_spec *spec) {
    sl_group_node *g = sl_xcalloc(1, sizeof *g);
    g->spec = *spec;
    layout_init(&g->lay, &g->spec);
    return g;
}

void sl_group_node_free(sl_group_node *g) {
    if (!g) return;
    for (size_t i = 0; i < g->n_workers; i++)
        worker_free(g->workers[i]);
    free(g->workers);
    if (g->own.slots) table_free(&g->own);
    free(g->final);
    sl_spill_close(g->tmp_spill);
    sl_spill_close(g->result_spill);
    free(g->result_runs);
    for (size_t k = 0; k < g->spec.n_keys; k++) {
        sl_expr_free(g->spec.keys[k]);
        free(g->spec.key_names ? g->spec.key_names[k] : NULL);
    }
    free(g->spec.keys);
    free(g->spec.key_names);
    for (size_t a = 0; a < g->spec.n_aggs; a++) {
        sl_expr_free(g->spec.aggs[a].arg);
        free(g->spec.aggs[a].name);
    }
    free(g->spec.aggs);
    free(g->lay.offset);
    free(g);
}

size_t sl_group_spilled_runs(const sl_group_node *g) { return g ? g->spilled_runs : 0; }
