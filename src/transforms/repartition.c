/*
 * repartition.c — `repartition`: spread records over N output partitions
 * (Glue's DynamicFrame.repartition, Spark's repartition(n) and
 * repartition(n, cols)), by a hash of key expressions or round robin.
 *
 * A pipeline breaker (exec/node.h). Phase 1, on every worker: each record
 * gets its partition and its input-order key and is deep-copied into the
 * worker's arena; past the worker's share of settings.memory_limit the
 * worker orders what it holds by partition (keeping arrival order inside a
 * partition) and spills it as one run, remembering where each partition's
 * records lie in the spill file. Phase 2: N splits; split k merges
 * partition k of every worker's runs by input-order key, so a partition's
 * records keep their input order whatever the thread count.
 *
 * Partition of a record:
 *   keys      a hash of the key values mod N: equal keys share a partition
 *             (an integral double hashes like the long of the same value)
 *   no keys   round robin inside each input split, starting at partition
 *             (split index mod N), as Spark starts each input partition at
 *             its own position; the start is fixed, so the result does not
 *             depend on the thread count.
 * Input-order key: (input split index << 40) | the record's position among
 * the records of that split that reached this node. A worker runs a split
 * from its start to its end (executor.c), so a per-worker counter is enough.
 *
 * Spill layout: the runs of spill_merge.h (values LIST[INT order, record],
 * each length-prefixed); a run stores its partitions one after the other,
 * indexed in memory by (partition, start, end) for the non-empty ones.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/expr.h"
#include "core/mem.h"
#include "core/serialize.h"
#include "exec/run.h"
#include "exec/spill.h"
#include "transforms/spill_merge.h"
#include "transforms/transform_util.h"

#define MAX_PARTITIONS 100000

typedef struct part_range {
    uint32_t part;
    uint64_t start, end; /* bytes of the spill file */
} part_range;

typedef struct spilled_run {
    part_range *ranges; /* ordered by part */
    size_t n;
} spilled_run;

typedef struct rp_data rp_data;

typedef struct name_slot {
    const char *name; /* NULL: free */
    uint32_t len;
    uint64_t hash;
} name_slot;

typedef struct rp_worker {
    rp_data *d;
    sl_node *node;
    sl_run *run;
    sl_arena arena;
    sl_value *pairs; /* LIST[INT order, record] in arrival order (after seal: by partition) */
    uint32_t *parts; /* parallel to pairs */
    size_t n, cap;
    size_t *first; /* after seal: partition p's records are pairs[first[p] .. first[p+1]) */
    sl_spill *spill;
    spilled_run *runs;
    size_t n_runs, cap_runs;
    sl_buf enc;
    name_slot *names; /* field names in the arena, each stored once (records share them) */
    size_t n_names, cap_names;
    bool in_split; /* split/pos describe the split being read */
    uint64_t split, pos;
} rp_worker;

struct rp_data {
    sl_expr **keys;
    size_t n_keys;
    uint32_t partitions;
    size_t worker_limit; /* bytes a worker holds before spilling */
    const char *spill_dir;
    rp_worker **workers; /* after seal: owned */
    size_t n_workers;
};

static const sl_option repartition_options[] = {
    {"partitions", SL_OPT_INT, NULL,
     "Number of output partitions (part files of the target after it; an empty partition writes no file), 1 to "
     "100000.",
     NULL, SL_OPTF_REQUIRED},
    {"keys", SL_OPT_LIST, NULL,
     "Expressions whose values choose the partition by hash (Spark's repartition(n, cols)): records with equal "
     "keys land in the same partition. Without keys, records are dealt round robin, which evens out the "
     "partition sizes. A record whose key fails goes to the error output.",
     NULL, 0},
    {0},
};

static void worker_free(rp_worker *w) {
    if (!w) return;
    sl_arena_free(&w->arena);
    free(w->pairs);
    free(w->parts);
    free(w->first);
    for (size_t r = 0; r < w->n_runs; r++)
        free(w->runs[r].ranges);
    free(w->runs);
    sl_spill_close(w->spill);
    sl_buf_free(&w->enc);
    free(w->names);
    free(w);
}

static void drop_workers(rp_data *d) {
    for (size_t i = 0; i < d->n_workers; i++)
        worker_free(d->workers[i]);
    free(d->workers);
    d->workers = NULL;
    d->n_workers = 0;
}

static void rp_release(sl_node *node) {
    rp_data *d = node->data;
    if (!d) return;
    for (size_t i = 0; i < d->n_keys; i++)
        sl_expr_free(d->keys[i]);
    free(d->keys);
    drop_workers(d);
    free(d);
    node->data = NULL;
}

static int rp_check(sl_node *node, sl_error *err) {
    rp_data *d = sl_xcalloc(1, sizeof *d);
    node->data = d;
    int64_t p = sl_node_int(node, "partitions");
    if (p < 1 || p > MAX_PARTITIONS) {
        sl_error_set(err, SL_EINVAL, "partitions must be between 1 and %d, got %lld", MAX_PARTITIONS, (long long)p);
        sl_error_at_option(err, node, "partitions");
        return SL_EINVAL;
    }
    d->partitions = (uint32_t)p;
    const sl_optval *o = sl_node_opt(node, "keys");
    if (!o->has_value) return SL_OK;
    const sl_value *keys = &o->tree;
    d->keys = sl_xcalloc(keys->len ? keys->len : 1, sizeof *d->keys);
    for (uint32_t i = 0; i < keys->len; i++) {
        const char *text = sl_tree_text(&keys->u.items[i]);
        int rc = text ? sl_expr_compile(text, &d->keys[i], err)
                      : sl_error_set(err, SL_EINVAL, "keys must be expressions (text)");
        if (rc) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            sl_error_set(err, rc, "key %u: %s", i + 1, msg);
            sl_error_at_option(err, node, "keys");
            return rc;
        }
        d->n_keys++;
    }
    if (!d->n_keys) {
        sl_error_set(err, SL_EINVAL, "keys is empty; leave it out for round-robin partitioning");
        sl_error_at_option(err, node, "keys");
        return SL_EINVAL;
    }
    return SL_OK;
}

static int rp_prepare(sl_node *node, sl_run *run, sl_error *err) {
    rp_data *d = node->data;
    drop_workers(d); /* a job object may run more than once */
    int64_t limit = run->job->settings.memory_limit > 0 ? run->job->settings.memory_limit : INT64_C(1) << 30;
    d->worker_limit = (size_t)(limit / (run->threads > 0 ? run->threads : 1));
    d->spill_dir = run->job->settings.spill_dir;
    return SL_OK;
}

/* ---- hashing key values ---- */

static uint64_t mix(uint64_t h, uint64_t x) {
    h ^= x + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 31);
}

static uint64_t mix_bytes(uint64_t h, const char *p, size_t n) {
    h = mix(h, n);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix(h, w);
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    if (n) memcpy(&w, p, n);
    return mix(h, w);
}

/* A hash that is equal for values sl_value_compare calls equal across long
 * and double (2 and 2.0); everything else hashes by type and content. */
static uint64_t hash_value(uint64_t h, const sl_value *v) {
    switch ((sl_type)v->type) {
    case SL_T_NULL: return mix(h, 0x6e756c6c);
    case SL_T_BOOL: return mix(mix(h, SL_T_BOOL), v->u.b);
    case SL_T_INT: return mix(mix(h, SL_T_INT), (uint64_t)v->u.i);
    case SL_T_DOUBLE: {
        double x = v->u.d;
        if (x == 0) x = 0.0;
        if (x >= -9.2e18 && x <= 9.2e18 && x == trunc(x)) return mix(mix(h, SL_T_INT), (uint64_t)(int64_t)x);
        uint64_t bits;
        if (isnan(x)) x = NAN;
        memcpy(&bits, &x, sizeof bits);
        return mix(mix(h, SL_T_DOUBLE), bits);
    }
    case SL_T_DATE:
    case SL_T_TIMESTAMP: return mix(mix(h, v->type), (uint64_t)v->u.i);
    case SL_T_DECIMAL:
    case SL_T_STRING:
    case SL_T_BINARY: return mix_bytes(mix(h, v->type), v->u.s, v->len);
    case SL_T_LIST:
        h = mix(mix(h, SL_T_LIST), v->len);
        for (uint32_t i = 0; i < v->len; i++)
            h = hash_value(h, &v->u.items[i]);
        return h;
    case SL_T_STRUCT:
        h = mix(mix(h, SL_T_STRUCT), v->len);
        for (uint32_t i = 0; i < v->len; i++) {
            h = mix_bytes(h, v->u.fields[i].name, v->u.fields[i].name_len);
            h = hash_value(h, &v->u.fields[i].value);
        }
        return h;
    default: return h;
    }
}

/* ---- copying records into a worker ---- */

static void names_grow(rp_worker *w) {
    size_t cap = w->cap_names ? 2 * w->cap_names : 256;
    name_slot *slots = sl_xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < w->cap_names; i++) {
        if (!w->names[i].name) continue;
        size_t j = w->names[i].hash & (cap - 1);
        while (slots[j].name)
            j = (j + 1) & (cap - 1);
        slots[j] = w->names[i];
    }
    free(w->names);
    w->names = slots;
    w->cap_names = cap;
}

/* name stored once in w's arena. */
static const char *intern(rp_worker *w, const char *name, uint32_t len) {
    if (2 * (w->n_names + 1) > w->cap_names) names_grow(w);
    uint64_t h = mix_bytes(0, name, len);
    size_t j = h & (w->cap_names - 1);
    for (; w->names[j].name; j = (j + 1) & (w->cap_names - 1))
        if (w->names[j].hash == h && w->names[j].len == len && sl_name_eq(w->names[j].name, name, len))
            return w->names[j].name;
    w->names[j] = (name_slot){sl_arena_strndup(&w->arena, name, len), len, h};
    w->n_names++;
    return w->names[j].name;
}

/* Deep copy of v into w's arena (sl_value_deep_copy, with shared names). */
static sl_value copy_value(rp_worker *w, const sl_value *v) {
    sl_value c = *v;
    switch ((sl_type)v->type) {
    case SL_T_DECIMAL:
    case SL_T_STRING:
    case SL_T_BINARY: c.u.s = sl_arena_strndup(&w->arena, v->u.s, v->len); break;
    case SL_T_LIST:
        c.u.items = sl_arena_alloc(&w->arena, (v->len ? v->len : 1) * sizeof *c.u.items);
        for (uint32_t i = 0; i < v->len; i++)
            c.u.items[i] = copy_value(w, &v->u.items[i]);
        break;
    case SL_T_STRUCT:
        c.u.fields = sl_arena_alloc(&w->arena, (v->len ? v->len : 1) * sizeof *c.u.fields);
        for (uint32_t i = 0; i < v->len; i++) {
            c.u.fields[i] = v->u.fields[i];
            c.u.fields[i].name = intern(w, v->u.fields[i].name, v->u.fields[i].name_len);
            c.u.fields[i].value = copy_value(w, &v->u.fields[i].value);
        }
        break;
    default: break;
    }
    return c;
}

/* ---- consuming (phase 1) ---- */

static int rp_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    rp_worker *w = sl_xcalloc(1, sizeof *w);
    w->d = node->data;
    w->node = node;
    w->run = run;
    sl_arena_init(&w->arena);
    sl_buf_init(&w->enc, 0);
    *state = w;
    return SL_OK;
}

static void rp_fini(void *state) { worker_free(state); }

/* Positions 0..n-1 of w's records ordered by partition, arrival order kept
 * inside each (a counting sort). Fills first[0..partitions] when not NULL. */
static size_t *order_by_partition(const rp_worker *w, size_t *first) {
    uint32_t np = w->d->partitions;
    size_t *start = sl_xcalloc((size_t)np + 1, sizeof *start);
    for (size_t i = 0; i < w->n; i++)
        start[w->parts[i] + 1]++;
    for (uint32_t p = 0; p < np; p++)
        start[p + 1] += start[p];
    if (first) memcpy(first, start, ((size_t)np + 1) * sizeof *first);
    size_t *idx = sl_xmalloc((w->n ? w->n : 1) * sizeof *idx);
    for (size_t i = 0; i < w->n; i++)
        idx[start[w->parts[i]]++] = i;
    free(start);
    return idx;
}

/* Write what w holds as one run, partition after partition. */
static int spill_run(rp_worker *w, sl_error *err) {
    int rc = SL_OK;
    if (!w->spill && (rc = sl_spill_open(w->d->spill_dir, &w->spill, err)) != 0) return rc;
    size_t *idx = order_by_partition(w, NULL);
    spilled_run run = {0};
    size_t cap = 0;
    for (size_t k = 0; k < w->n && !rc; k++) {
        uint32_t part = w->parts[idx[k]];
        if (!run.n || run.ranges[run.n - 1].part != part) {
            if (run.n == cap) {
                cap = cap ? 2 * cap : 16;
                run.ranges = sl_xrealloc(run.ranges, cap * sizeof *run.ranges);
            }
            uint64_t at = sl_spill_bytes(w->spill);
            run.ranges[run.n++] = (part_range){part, at, at};
        }
        sl_buf_reset(&w->enc);
        rc = sl_value_encode(&w->enc, &w->pairs[idx[k]]);
        if (rc)
            sl_error_set(err, rc, "a record too large to spill");
        else
            rc = sl_spill_append(w->spill, w->enc.data, w->enc.len, err);
        run.ranges[run.n - 1].end = sl_spill_bytes(w->spill);
    }
    free(idx);
    uint64_t end;
    if (!rc) rc = sl_spill_flush(w->spill, &end, err);
    if (rc) {
        free(run.ranges);
        return rc;
    }
    if (w->n_runs == w->cap_runs) {
        w->cap_runs = w->cap_runs ? 2 * w->cap_runs : 8;
        w->runs = sl_xrealloc(w->runs, w->cap_runs * sizeof *w->runs);
    }
    w->runs[w->n_runs++] = run;
    w->n = 0;
    sl_arena_reset(&w->arena);
    if (w->names) memset(w->names, 0, w->cap_names * sizeof *w->names); /* they lived in the arena */
    w->n_names = 0;
    return SL_OK;
}

/* Set *part for record i of b. A record whose key fails goes to the error
 * output and sets *rejected; the status is that of sl_run_reject. */
static int partition_of(rp_worker *w, sl_batch *b, size_t i, uint64_t split, uint32_t *part, bool *rejected,
                        sl_error *err) {
    const rp_data *d = w->d;
    *rejected = false;
    if (!d->n_keys) {
        *part = (uint32_t)((split + w->pos) % d->partitions);
        return SL_OK;
    }
    uint64_t h = 0x243F6A8885A308D3ull;
    for (size_t k = 0; k < d->n_keys; k++) {
        sl_value v;
        sl_error e;
        sl_error_clear(&e);
        if (sl_expr_eval(d->keys[k], &b->records[i], &b->arena, &v, &e) != 0) {
            char reason[700];
            snprintf(reason, sizeof reason, "key '%.100s': %s", sl_expr_text(d->keys[k]), e.message);
            *rejected = true;
            return sl_run_reject(w->run, w->node, b, i, reason, err);
        }
        h = hash_value(h, &v);
    }
    h ^= h >> 33; /* the low bits pick the partition: fold the high ones in */
    *part = (uint32_t)(h % d->partitions);
    return SL_OK;
}

static int rp_process(void *state, sl_batch *b, sl_error *err) {
    rp_worker *w = state;
    const rp_data *d = w->d;
    uint64_t split = b->seq_base >> 40;
    if (!w->in_split || w->split != split) {
        w->in_split = true;
        w->split = split;
        w->pos = 0;
    }
    for (size_t i = 0; i < b->count; i++) {
        uint32_t part = 0;
        bool rejected;
        int rc = partition_of(w, b, i, split, &part, &rejected, err);
        if (rc) return rc;
        if (rejected) continue;
        if (w->n == w->cap) {
            w->cap = w->cap ? 2 * w->cap : 1024;
            w->pairs = sl_xrealloc(w->pairs, w->cap * sizeof *w->pairs);
            w->parts = sl_xrealloc(w->parts, w->cap * sizeof *w->parts);
        }
        sl_value *pair = sl_arena_alloc(&w->arena, 2 * sizeof *pair);
        pair[0] = sl_int((int64_t)(split << 40 | w->pos));
        pair[1] = copy_value(w, &b->records[i]);
        w->pos++;
        w->pairs[w->n] = sl_list(pair, 2);
        w->parts[w->n++] = part;
        size_t held =
            w->arena.bytes_used + w->cap * (sizeof *w->pairs + sizeof *w->parts) + w->cap_names * sizeof *w->names;
        if (held > d->worker_limit && (rc = spill_run(w, err)) != 0) return rc;
    }
    b->count = 0; /* nothing flows on until the input is complete */
    return SL_OK;
}

static int rp_seal(sl_node *node, sl_run *run, void **states, size_t n_states, sl_error *err) {
    rp_data *d = node->data;
    d->workers = sl_xcalloc(n_states ? n_states : 1, sizeof *d->workers);
    for (size_t i = 0; i < n_states; i++) {
        rp_worker *w = states[i];
        d->workers[d->n_workers++] = w;
        w->first = sl_xmalloc(((size_t)d->partitions + 1) * sizeof *w->first);
        size_t *idx = order_by_partition(w, w->first);
        sl_value *sorted = sl_xmalloc((w->n ? w->n : 1) * sizeof *sorted);
        for (size_t k = 0; k < w->n; k++)
            sorted[k] = w->pairs[idx[k]];
        free(idx);
        free(w->pairs);
        free(w->parts);
        w->pairs = sorted;
        w->parts = NULL;
    }
    return SL_OK;
}

/* ---- emitting (phase 2) ---- */

static int rp_plan(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err) {
    rp_data *d = node->data;
    sl_split *s = sl_xcalloc(d->partitions, sizeof *s);
    for (uint32_t i = 0; i < d->partitions; i++) {
        s[i].path = sl_xstrdup(node->name);
        s[i].offset = i; /* the partition */
        s[i].index = i;
    }
    *splits = s;
    *n_splits = d->partitions;
    return SL_OK;
}

typedef struct rp_reader {
    sl_merge *merge;
    bool copy;          /* some run is spilled: values live only until the next one */
    size_t max_records; /* per batch */
    const char *name;
} rp_reader;

static int order_cmp(const sl_value *a, const sl_value *b, void *ctx) {
    uint64_t x = (uint64_t)a->u.items[0].u.i, y = (uint64_t)b->u.items[0].u.i;
    return x < y ? -1 : x > y;
}

static const part_range *find_range(const spilled_run *r, uint32_t part) {
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->ranges[mid].part < part)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n && r->ranges[lo].part == part ? &r->ranges[lo] : NULL;
}

static int rp_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    rp_data *d = node->data;
    uint32_t part = (uint32_t)split->offset;
    size_t cap = 0;
    for (size_t i = 0; i < d->n_workers; i++)
        cap += d->workers[i]->n_runs + 1;
    sl_sorted_run *runs = sl_xcalloc(cap ? cap : 1, sizeof *runs);
    size_t n = 0;
    bool copy = false;
    for (size_t i = 0; i < d->n_workers; i++) {
        const rp_worker *w = d->workers[i];
        for (size_t r = 0; r < w->n_runs; r++) {
            const part_range *pr = find_range(&w->runs[r], part);
            if (!pr) continue;
            runs[n++] = (sl_sorted_run){.spill = w->spill, .start = pr->start, .end = pr->end};
            copy = true;
        }
        size_t from = w->first[part], to = w->first[part + 1];
        if (to > from) runs[n++] = (sl_sorted_run){.values = w->pairs + from, .n = to - from};
    }
    rp_reader *rd = sl_xcalloc(1, sizeof *rd);
    rd->copy = copy;
    rd->name = node->name;
    rd->max_records =
        run->job->settings.batch_records > 0 ? (size_t)run->job->settings.batch_records : SL_BATCH_DEFAULT_RECORDS;
    int rc = sl_merge_open(runs, n, order_cmp, NULL, &rd->merge, err);
    free(runs);
    if (rc) {
        free(rd);
        return rc;
    }
    *out = rd;
    return SL_OK;
}

static int rp_next(void *state, sl_batch *b, sl_error *err) {
    rp_reader *rd = state;
    b->source_name = rd->name;
    while (b->count < rd->max_records) {
        sl_value pair;
        int rc = sl_merge_next(rd->merge, &pair, err);
        if (rc < 0) return rc;
        if (!rc) break;
        sl_value rec = rd->copy ? sl_value_deep_copy(&b->arena, &pair.u.items[1]) : pair.u.items[1];
        sl_batch_push(b, rec, (sl_recloc){0, -1});
    }
    return b->count ? 1 : 0;
}

static void rp_close(void *state) {
    rp_reader *rd = state;
    sl_merge_free(rd->merge);
    free(rd);
}

const sl_node_type sl_repartition_type = {
    .name = "repartition",
    .kind = SL_NODE_TRANSFORM,
    .summary = "spread records over N output partitions, by key hash or round robin (Glue/Spark repartition)",
    .help = "The target after it writes one part file per non-empty partition. Inside a partition records keep "
            "their input order, so the output is the same whatever the thread count. Unlike coalesce (N "
            "contiguous slices of the input in order), records are dealt out: round robin without keys, by "
            "key hash with keys. Like sort it holds its whole input (spilling past settings.memory_limit) "
            "before it emits.",
    .options = repartition_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = rp_check,
    .prepare = rp_prepare,
    .release = rp_release,
    .init = rp_init,
    .process = rp_process,
    .fini = rp_fini,
    .breaker = true,
    .seal = rp_seal,
    .plan = rp_plan,
    .open = rp_open,
    .next = rp_next,
    .close = rp_close,
};
