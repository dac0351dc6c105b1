/*
 * rows.c — record-level transforms from Glue's library:
 *   limit             the first N records in input order (breaker)
 *   dedupe            Glue Studio's DropDuplicates, keep first or last (breaker,
 *                     group.c's grouping)
 *   union             Glue Studio's Union: ALL streams every input through,
 *                     distinct: true removes duplicate records (breaker)
 *   drop_null_fields  Glue's DropNullFields, per record
 *   fill_missing      constants for null or missing fields
 *   spigot            Glue's Spigot: a sample written to a local JSON lines file
 *
 * "Input order" is the batch seq (core/batch.h): split index, then position
 * in the split. Breakers here keep per-worker state keyed by it, so their
 * output does not depend on the thread count.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/mem.h"
#include "core/numfmt.h"
#include "core/serialize.h"
#include "formats/csv.h"
#include "formats/json.h"
#include "transforms/group.h"
#include "transforms/spill_merge.h"
#include "transforms/transform_util.h"

/* ---- the first k records by input order (limit, spigot) ---- */

typedef struct seqrec {
    uint64_t seq;
    sl_value rec;
    size_t bytes; /* footprint of the copy */
} seqrec;

/* A bounded max-heap of the k smallest (seq, record) seen, records copied
 * into its arena; evicted copies are reclaimed by compaction. */
typedef struct topk {
    size_t k;
    seqrec *heap;
    size_t n;
    sl_arena arena;
    size_t live; /* bytes of the records held */
} topk;

static void topk_init(topk *t, size_t k) {
    memset(t, 0, sizeof *t);
    t->k = k;
    t->heap = sl_xmalloc((k ? (k < 4096 ? k : 4096) : 1) * sizeof *t->heap);
    sl_arena_init(&t->arena);
}

static void topk_free(topk *t) {
    free(t->heap);
    t->heap = NULL;
    sl_arena_free(&t->arena);
}

/* Input order; equal positions (several sources) by record value. */
static int seqrec_cmp(const seqrec *a, const seqrec *b) {
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return sl_value_compare(&a->rec, &b->rec);
}

static int seqrec_qsort(const void *a, const void *b) { return seqrec_cmp(a, b); }

static void heap_swap(seqrec *h, size_t i, size_t j) {
    seqrec t = h[i];
    h[i] = h[j];
    h[j] = t;
}

static void topk_sift_down(topk *t, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, max = i;
        if (l < t->n && seqrec_cmp(&t->heap[l], &t->heap[max]) > 0) max = l;
        if (r < t->n && seqrec_cmp(&t->heap[r], &t->heap[max]) > 0) max = r;
        if (max == i) return;
        heap_swap(t->heap, i, max);
        i = max;
    }
}

static void topk_compact(topk *t) {
    sl_arena fresh;
    sl_arena_init(&fresh);
    for (size_t i = 0; i < t->n; i++)
        t->heap[i].rec = sl_value_deep_copy(&fresh, &t->heap[i].rec);
    sl_arena_free(&t->arena);
    t->arena = fresh;
}

/* Would a record at seq be kept? (cheap test before copying) */
static bool topk_wants(const topk *t, uint64_t seq) { return t->n < t->k || (t->k && seq <= t->heap[0].seq); }

static void topk_offer(topk *t, const sl_value *rec, uint64_t seq) {
    if (!topk_wants(t, seq)) return;
    seqrec cand = {seq, *rec, 0};
    if (t->n == t->k && seqrec_cmp(&cand, &t->heap[0]) >= 0) return;
    cand.rec = sl_value_deep_copy(&t->arena, rec);
    cand.bytes = sl_value_footprint(&cand.rec);
    t->live += cand.bytes;
    if (t->n < t->k) {
        size_t cap = t->k < 4096 ? t->k : 4096;
        if (t->n >= cap && (t->n & (t->n - 1)) == 0) t->heap = sl_xrealloc(t->heap, 2 * t->n * sizeof *t->heap);
        size_t i = t->n++;
        t->heap[i] = cand;
        while (i && seqrec_cmp(&t->heap[(i - 1) / 2], &t->heap[i]) < 0) {
            heap_swap(t->heap, i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
    } else {
        t->live -= t->heap[0].bytes;
        t->heap[0] = cand;
        topk_sift_down(t, 0);
    }
    if (t->arena.bytes_used > 2 * t->live + (1u << 20)) topk_compact(t);
}

/* The k first records over several heaps, in order (malloc'd; records stay
 * in the heaps' arenas). */
static seqrec *topk_gather(topk *const *heaps, size_t n_heaps, size_t k, size_t *n_out) {
    size_t total = 0;
    for (size_t i = 0; i < n_heaps; i++)
        total += heaps[i]->n;
    seqrec *all = sl_xmalloc((total ? total : 1) * sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < n_heaps; i++) {
        memcpy(all + n, heaps[i]->heap, heaps[i]->n * sizeof *all);
        n += heaps[i]->n;
    }
    qsort(all, n, sizeof *all, seqrec_qsort);
    *n_out = n < k ? n : k;
    return all;
}

/* ---- limit ---- */

static const sl_option limit_options[] = {
    {"n", SL_OPT_INT, NULL,
     "How many records to keep: the first n in input order (file order, then position in the file), whatever "
     "the thread count. 0 keeps none.",
     NULL, SL_OPTF_REQUIRED},
    {0},
};

typedef struct limit_worker {
    topk top;
} limit_worker;

typedef struct limit_data {
    size_t n;
    limit_worker **workers;
    size_t n_workers;
    seqrec *final;
    size_t n_final;
    size_t max_records;
} limit_data;

typedef struct limit_reader {
    limit_data *d;
    size_t next;
    const char *name;
} limit_reader;

static int limit_check(sl_node *node, sl_error *err) {
    int64_t n = sl_node_int(node, "n");
    if (n < 0) {
        sl_error_set(err, SL_EINVAL, "n must be 0 or more");
        sl_error_at_option(err, node, "n");
        return SL_EINVAL;
    }
    limit_data *d = sl_xcalloc(1, sizeof *d);
    d->n = (size_t)n;
    node->data = d;
    return SL_OK;
}

static void limit_worker_free(limit_worker *w) {
    if (!w) return;
    topk_free(&w->top);
    free(w);
}

static void limit_release(sl_node *node) {
    limit_data *d = node->data;
    if (!d) return;
    for (size_t i = 0; i < d->n_workers; i++)
        limit_worker_free(d->workers[i]);
    free(d->workers);
    free(d->final);
    free(d);
    node->data = NULL;
}

static int limit_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    limit_worker *w = sl_xcalloc(1, sizeof *w);
    topk_init(&w->top, ((limit_data *)node->data)->n);
    *state = w;
    return SL_OK;
}

static void limit_fini(void *state) { limit_worker_free(state); }

static int limit_process(void *state, sl_batch *b, sl_error *err) {
    limit_worker *w = state;
    /* a worker's splits come in increasing order: once full, whole batches are skipped */
    if (b->count && topk_wants(&w->top, b->seq_base))
        for (size_t i = 0; i < b->count; i++)
            topk_offer(&w->top, &b->records[i], b->seq_base + i);
    b->count = 0;
    return SL_OK;
}

static int limit_seal(sl_node *node, sl_run *run, void **states, size_t n_states, sl_error *err) {
    limit_data *d = node->data;
    d->workers = sl_xcalloc(n_states ? n_states : 1, sizeof *d->workers);
    topk **heaps = sl_xcalloc(n_states ? n_states : 1, sizeof *heaps);
    for (size_t i = 0; i < n_states; i++) {
        d->workers[d->n_workers++] = states[i];
        heaps[i] = &d->workers[i]->top;
    }
    d->final = topk_gather(heaps, n_states, d->n, &d->n_final);
    d->max_records = run->job->settings.batch_records > 0 ? (size_t)run->job->settings.batch_records : 4096;
    free(heaps);
    return SL_OK;
}

static int one_split(sl_node *node, sl_split **splits, size_t *n_splits) {
    sl_split *s = sl_xcalloc(1, sizeof *s);
    s->path = sl_xstrdup(node->name);
    *splits = s;
    *n_splits = 1;
    return SL_OK;
}

static int limit_plan(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err) {
    return one_split(node, splits, n_splits);
}

static int limit_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    limit_reader *r = sl_xcalloc(1, sizeof *r);
    r->d = node->data;
    r->name = node->name;
    *out = r;
    return SL_OK;
}

static int limit_next(void *state, sl_batch *b, sl_error *err) {
    limit_reader *r = state;
    b->source_name = r->name;
    while (r->next < r->d->n_final && b->count < r->d->max_records)
        sl_batch_push(b, r->d->final[r->next++].rec, (sl_recloc){0, -1});
    return b->count ? 1 : 0;
}

static void limit_close(void *state) { free(state); }

static void free_splits(sl_split *splits, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(splits[i].path);
    free(splits);
}

const sl_node_type sl_limit_type = {
    .name = "limit",
    .kind = SL_NODE_TRANSFORM,
    .summary = "keep the first n records in input order",
    .help = "Input order is file order, then position in the file, so the result does not depend on the thread "
            "count. Each worker holds at most n records (no spilling: keep n moderate); the output is one partition "
            "in input order.",
    .options = limit_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = limit_check,
    .release = limit_release,
    .init = limit_init,
    .process = limit_process,
    .fini = limit_fini,
    .breaker = true,
    .seal = limit_seal,
    .plan = limit_plan,
    .open = limit_open,
    .next = limit_next,
    .close = limit_close,
    .free_splits = free_splits,
};

/* ---- dedupe and union ---- */

static const sl_option dedupe_options[] = {
    {"keys", SL_OPT_LIST, NULL,
     "Fields (or expressions) that identify a duplicate; records with equal values for all of them are "
     "duplicates (a missing field counts as null). Without keys, whole records are compared.",
     NULL, 0},
    {"keep", SL_OPT_ENUM, "first", "Which duplicate survives: the first or the last in input order.", "first|last", 0},
    {0},
};

static void group_release(sl_node *node) {
    sl_group_node_free(node->data);
    node->data = NULL;
}

/* A grouping that emits, per key, the first or last record in input order
 * (the caller adds the keys). */
static sl_group_spec keep_one_spec(bool last) {
    sl_group_spec spec = {0};
    spec.aggs = sl_xcalloc(1, sizeof *spec.aggs);
    spec.aggs[0] = (sl_agg){last ? SL_AGG_LAST : SL_AGG_FIRST, NULL, sl_xstrdup("record")};
    spec.n_aggs = 1;
    spec.emit_record = true;
    return spec;
}

static int dedupe_check(sl_node *node, sl_error *err) {
    const sl_optval *o = sl_node_opt(node, "keys");
    sl_group_spec spec = keep_one_spec(!strcmp(sl_node_str(node, "keep"), "last"));
    if (!o->set) {
        spec.whole_record_key = true;
        node->data = sl_group_node_new(&spec);
        return SL_OK;
    }
    size_t n = o->tree.len;
    spec.keys = sl_xcalloc(n ? n : 1, sizeof *spec.keys);
    spec.key_names = sl_xcalloc(n ? n : 1, sizeof *spec.key_names);
    int rc = SL_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *text = sl_tree_text(&o->tree.u.items[i]);
        if (!text || !text[0]) {
            rc = sl_error_set(err, SL_EINVAL, "keys must be field names or expressions");
            break;
        }
        rc = sl_expr_compile(text, &spec.keys[i], err);
        if (rc) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            sl_error_set(err, rc, "key '%.200s': %.250s", text, msg);
            break;
        }
        spec.key_names[i] = sl_xstrdup(text);
        spec.n_keys++;
    }
    if (!rc && !spec.n_keys) rc = sl_error_set(err, SL_EINVAL, "keys needs at least one field (or leave it out)");
    node->data = sl_group_node_new(&spec); /* owns what was parsed, freed by release even on failure */
    if (rc) sl_error_at_option(err, node, "keys");
    return rc;
}

#define GROUP_CALLBACKS                                                                                                \
    .release = group_release, .init = sl_group_init, .process = sl_group_process, .fini = sl_group_fini,               \
    .breaker = true, .seal = sl_group_seal, .plan = sl_group_plan, .open = sl_group_open, .next = sl_group_next,       \
    .close = sl_group_close, .free_splits = sl_group_free_splits

const sl_node_type sl_dedupe_type = {
    .name = "dedupe",
    .kind = SL_NODE_TRANSFORM,
    .summary = "remove duplicate records by key, keeping the first or last (Glue DropDuplicates)",
    .help = "Output keeps input order (of the surviving records) and does not depend on the thread count. Holds "
            "one record per distinct key; past settings.memory_limit it spills like aggregate. A record whose key "
            "cannot be evaluated goes to the error output.",
    .options = dedupe_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = dedupe_check,
    GROUP_CALLBACKS,
};

static const sl_option union_options[] = {
    {"distinct", SL_OPT_BOOL, "false",
     "false (Glue's UnionType ALL): every record of every input flows through as it is, without waiting. true "
     "(DISTINCT): identical records are kept once (the first in input order); the node then holds its input "
     "like dedupe.",
     NULL, 0},
    {0},
};

static int union_check(sl_node *node, sl_error *err) {
    if (!sl_node_bool(node, "distinct")) {
        node->passthrough = true;
        return SL_OK;
    }
    sl_group_spec spec = keep_one_spec(false);
    spec.whole_record_key = true;
    node->data = sl_group_node_new(&spec);
    return SL_OK;
}

const sl_node_type sl_union_type = {
    .name = "union",
    .kind = SL_NODE_TRANSFORM,
    .summary = "combine the records of two or more inputs (Glue Union)",
    .help = "Records are matched by field name, not position: a DynamicFrame has no fixed column list, so the "
            "output schema is the merge of the inputs' (a field missing from one input is simply absent from its "
            "records). List the inputs with 'inputs: [a, b, …]'.",
    .options = union_options,
    .min_inputs = 2,
    .max_inputs = -1,
    .check = union_check,
    GROUP_CALLBACKS,
};

/* ---- drop_null_fields ---- */

static const sl_option drop_null_options[] = {
    {"empty_string", SL_OPT_BOOL, "false", "Also drop fields holding an empty string.", NULL, 0},
    {"null_string", SL_OPT_BOOL, "false", "Also drop fields holding the text 'null' (any case).", NULL, 0},
    {"minus_one", SL_OPT_BOOL, "false", "Also drop fields holding the integer -1.", NULL, 0},
    {"null_values", SL_OPT_LIST, NULL,
     "More placeholder values to drop, as text: a string equal to one, or a number whose text is one (\"0\", "
     "\"-999\", \"N/A\").",
     NULL, 0},
    {0},
};

typedef struct dropnull_data {
    bool empty_string, null_string, minus_one;
    const sl_value *null_values; /* LIST of STRING, in the job's arena */
} dropnull_data;

static int dropnull_check(sl_node *node, sl_error *err) {
    dropnull_data *d = sl_xcalloc(1, sizeof *d);
    d->empty_string = sl_node_bool(node, "empty_string");
    d->null_string = sl_node_bool(node, "null_string");
    d->minus_one = sl_node_bool(node, "minus_one");
    const sl_optval *o = sl_node_opt(node, "null_values");
    if (o->set) d->null_values = &o->tree;
    node->data = d;
    return SL_OK;
}

static void free_data(sl_node *node) {
    free(node->data);
    node->data = NULL;
}

static bool text_is(const sl_value *list, const char *s, size_t len) {
    for (uint32_t i = 0; i < list->len; i++) {
        const sl_value *t = &list->u.items[i];
        if (t->type == SL_T_STRING && t->len == len && memcmp(t->u.s, s, len) == 0) return true;
    }
    return false;
}

static bool null_like(const dropnull_data *d, const sl_value *v) {
    switch (v->type) {
    case SL_T_NULL: return true;
    case SL_T_STRING:
        if (d->empty_string && v->len == 0) return true;
        if (d->null_string && v->len == 4 && strncasecmp(v->u.s, "null", 4) == 0) return true;
        return d->null_values && text_is(d->null_values, v->u.s, v->len);
    case SL_T_INT: {
        if (d->minus_one && v->u.i == -1) return true;
        if (!d->null_values) return false;
        char text[21];
        int n = sl_format_int(v->u.i, text);
        return text_is(d->null_values, text, (size_t)n);
    }
    case SL_T_DOUBLE: {
        if (!d->null_values) return false;
        char text[33];
        int n = sl_format_double(v->u.d, text);
        return text_is(d->null_values, text, (size_t)n);
    }
    case SL_T_DECIMAL: return d->null_values && text_is(d->null_values, v->u.s, v->len);
    default: return false;
    }
}

/* v without null fields at any depth (structs, and structs inside lists);
 * returns false (out untouched) when nothing changes. */
static bool drop_nulls(const dropnull_data *d, sl_arena *a, const sl_value *v, sl_value *out) {
    if (v->type == SL_T_STRUCT) {
        sl_field *nf = NULL;
        uint32_t n = 0;
        for (uint32_t i = 0; i < v->len; i++) {
            const sl_field *f = &v->u.fields[i];
            sl_value cleaned;
            bool drop = null_like(d, &f->value);
            bool changed = !drop && drop_nulls(d, a, &f->value, &cleaned);
            if ((drop || changed) && !nf) {
                nf = sl_arena_alloc(a, v->len * sizeof *nf);
                memcpy(nf, v->u.fields, i * sizeof *nf);
                n = i;
            }
            if (!nf || drop) continue;
            nf[n] = *f;
            if (changed) nf[n].value = cleaned;
            n++;
        }
        if (!nf) return false;
        *out = sl_struct(nf, n);
        return true;
    }
    if (v->type == SL_T_LIST) {
        sl_value *items = NULL;
        for (uint32_t i = 0; i < v->len; i++) {
            sl_value cleaned;
            if (!drop_nulls(d, a, &v->u.items[i], &cleaned)) {
                if (items) items[i] = v->u.items[i];
                continue;
            }
            if (!items) {
                items = sl_arena_alloc(a, v->len * sizeof *items);
                memcpy(items, v->u.items, i * sizeof *items);
            }
            items[i] = cleaned;
        }
        if (!items) return false;
        *out = sl_list(items, v->len);
        return true;
    }
    return false;
}

static int dropnull_process(void *state, sl_batch *b, sl_error *err) {
    const dropnull_data *d = ((sl_tstate *)state)->node->data;
    sl_value *out = NULL;
    for (size_t i = 0; i < b->count; i++) {
        sl_value cleaned;
        if (!drop_nulls(d, &b->arena, &b->records[i], &cleaned)) {
            if (out) out[i] = b->records[i];
            continue;
        }
        if (!out) {
            out = sl_batch_new_records(b);
            memcpy(out, b->records, i * sizeof *out);
        }
        out[i] = cleaned;
    }
    if (out) b->records = out;
    return SL_OK;
}

const sl_node_type sl_drop_null_fields_type = {
    .name = "drop_null_fields",
    .kind = SL_NODE_TRANSFORM,
    .summary = "remove fields whose value is null, at any depth (Glue DropNullFields)",
    .help = "Works record by record: a field is removed from the records where it is null (or a placeholder you "
            "list) and kept where it has a value. Glue drops a column only when it is null in every record; for "
            "JSON output the two agree (a missing field reads as null), but a CSV target takes its columns from "
            "the first record it writes. Structs inside arrays are cleaned too; array items are never removed.",
    .options = drop_null_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = dropnull_check,
    .release = free_data,
    .init = sl_tstate_init,
    .process = dropnull_process,
    .fini = sl_tstate_fini,
};

/* ---- fill_missing ---- */

static const sl_option fill_options[] = {
    {"fields", SL_OPT_LIST, NULL,
     "Fields (paths such as metadata.region) that receive `value` when null or missing. Without fields, `value` "
     "fills every top-level field that is null (a field absent from a record cannot be known without a list).",
     NULL, 0},
    {"value", SL_OPT_STRING, NULL,
     "The constant. Its type is read from the text as in CSV inference (42 is a long, 4.5 a double, true a "
     "boolean, anything else a string) unless `value_type` says otherwise.",
     NULL, 0},
    {"value_type", SL_OPT_STRING, NULL, "Type of `value`: string, long, double, boolean, decimal, date, timestamp.",
     NULL, 0},
    {"defaults", SL_OPT_TREE, NULL,
     "Per-field constants: {region: unknown, retries: 0}, or {zip: {value: \"02134\", type: string}} to fix a "
     "type. Applied to null or missing fields.",
     NULL, 0},
    {0},
};

typedef struct fill_col {
    sl_fieldpath path;
    sl_value value;
} fill_col;

typedef struct fill_data {
    fill_col *cols;
    size_t n;
    bool all_top;   /* `value` without fields: every top-level null */
    sl_value value; /* for all_top */
    sl_arena arena; /* constants */
} fill_data;

static void fill_release(sl_node *node) {
    fill_data *d = node->data;
    if (!d) return;
    for (size_t i = 0; i < d->n; i++)
        sl_fieldpath_free(&d->cols[i].path);
    free(d->cols);
    sl_arena_free(&d->arena);
    free(d);
    node->data = NULL;
}

/* A typed constant from option text. */
static int make_constant(sl_arena *a, const char *text, const char *type, sl_value *out, sl_error *err) {
    size_t len = strlen(text);
    sl_value s = sl_string_copy(a, text, len);
    if (!type) {
        if (len == 0) {
            *out = s;
            return SL_OK;
        }
        sl_csv_infer_text(s.u.s, len, out); /* strings and decimals point into the arena copy */
        return SL_OK;
    }
    sl_type t;
    if (sl_type_parse(type, &t)) return sl_error_set(err, SL_EINVAL, "unknown type '%s'", type);
    if (t == SL_T_LIST || t == SL_T_STRUCT) return sl_error_set(err, SL_EINVAL, "a constant cannot be a %s", type);
    int rc = sl_value_cast(a, &s, t, out, err);
    if (rc) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message);
        return sl_error_set(err, SL_EINVAL, "value '%s': %s", text, msg);
    }
    return SL_OK;
}

static int fill_add(fill_data *d, const char *path, const char *text, const char *type, sl_error *err) {
    fill_col *c = &d->cols[d->n];
    int rc = sl_fieldpath_parse(path, &c->path, err);
    if (rc) return rc;
    rc = make_constant(&d->arena, text, type, &c->value, err);
    if (rc) {
        sl_fieldpath_free(&c->path);
        return rc;
    }
    d->n++;
    return SL_OK;
}

static int fill_defaults(fill_data *d, const sl_value *tree, sl_error *err) {
    if (tree->type != SL_T_STRUCT || !tree->len)
        return sl_error_set(err, SL_EINVAL, "'defaults' must map field names to constants");
    for (uint32_t i = 0; i < tree->len; i++) {
        const sl_field *f = &tree->u.fields[i];
        char *name = sl_xstrndup(f->name, f->name_len);
        const char *text = sl_tree_text(&f->value), *type = NULL;
        if (f->value.type == SL_T_STRUCT) {
            text = sl_tree_text(sl_struct_get(&f->value, "value"));
            type = sl_tree_text(sl_struct_get(&f->value, "type"));
        }
        int rc = text ? fill_add(d, name, text, type, err)
                      : sl_error_set(err, SL_EINVAL, "default for '%s': expected a constant or {value, type}", name);
        free(name);
        if (rc) return rc;
    }
    return SL_OK;
}

static int fill_check(sl_node *node, sl_error *err) {
    const sl_optval *fields = sl_node_opt(node, "fields"), *defaults = sl_node_opt(node, "defaults");
    const char *value = sl_node_str(node, "value"), *type = sl_node_str(node, "value_type");
    fill_data *d = sl_xcalloc(1, sizeof *d);
    sl_arena_init(&d->arena);
    node->data = d;
    size_t n = (fields->set ? fields->tree.len : 0) +
               (defaults->set && defaults->tree.type == SL_T_STRUCT ? defaults->tree.len : 0);
    d->cols = sl_xcalloc(n ? n : 1, sizeof *d->cols);
    const char *bad = "value";
    int rc = SL_OK;
    if (fields->set && !value) {
        bad = "fields";
        rc = sl_error_set(err, SL_EINVAL, "'fields' needs a 'value' to fill them with");
    } else if (!value && !defaults->set) {
        rc = sl_error_set(err, SL_EINVAL, "fill_missing needs 'value' (with or without 'fields') or 'defaults'");
    } else if (value && !fields->set) {
        d->all_top = true;
        rc = make_constant(&d->arena, value, type, &d->value, err);
    } else if (value) {
        bad = "fields";
        for (uint32_t i = 0; i < fields->tree.len && !rc; i++) {
            const char *path = sl_tree_text(&fields->tree.u.items[i]);
            rc = path ? fill_add(d, path, value, type, err) : sl_error_set(err, SL_EINVAL, "fields must be names");
        }
    }
    if (!rc && defaults->set) {
        bad = "defaults";
        rc = fill_defaults(d, &defaults->tree, err);
    }
    if (rc) sl_error_at_option(err, node, bad);
    return rc;
}

static sl_value fill_record(const fill_data *d, sl_arena *a, const sl_value *rec) {
    sl_value r = *rec;
    if (d->all_top && r.type == SL_T_STRUCT) {
        sl_field *nf = NULL;
        for (uint32_t i = 0; i < r.len; i++) {
            if (r.u.fields[i].value.type != SL_T_NULL) continue;
            if (!nf) {
                nf = sl_arena_alloc(a, r.len * sizeof *nf);
                memcpy(nf, r.u.fields, r.len * sizeof *nf);
            }
            nf[i].value = d->value;
        }
        if (nf) r = sl_struct(nf, r.len);
    }
    for (size_t k = 0; k < d->n; k++) {
        const sl_value *v = sl_fieldpath_get(&r, &d->cols[k].path);
        if (!v || v->type == SL_T_NULL) r = sl_fieldpath_set(a, &r, &d->cols[k].path, d->cols[k].value);
    }
    return r;
}

static int fill_process(void *state, sl_batch *b, sl_error *err) {
    const fill_data *d = ((sl_tstate *)state)->node->data;
    sl_value *out = sl_batch_new_records(b);
    for (size_t i = 0; i < b->count; i++)
        out[i] = fill_record(d, &b->arena, &b->records[i]);
    b->records = out;
    return SL_OK;
}

const sl_node_type sl_fill_missing_type = {
    .name = "fill_missing",
    .kind = SL_NODE_TRANSFORM,
    .summary = "put constants into null or missing fields (Spark's na.fill)",
    .help = "Glue's FillMissingValues imputes values with a machine-learning model; this node is the "
            "deterministic part most jobs want: a constant for every null or missing listed field. A field "
            "added because it was missing goes at the end of its struct.",
    .options = fill_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = fill_check,
    .release = fill_release,
    .init = sl_tstate_init,
    .process = fill_process,
    .fini = sl_tstate_fini,
};

/* ---- spigot ---- */

static const sl_option spigot_options[] = {
    {"path", SL_OPT_PATH, NULL,
     "Local file the sample is written to, as JSON lines (replaced at the end of each run; parent directories "
     "are created).",
     NULL, SL_OPTF_REQUIRED},
    {"topk", SL_OPT_INT, NULL,
     "Write the first topk records in input order (Glue's topk). The default is 100 when prob is not set.", NULL, 0},
    {"prob", SL_OPT_DOUBLE, NULL,
     "Write each record with this probability, 0 to 1 (Glue's prob). The choice is a function of the seed and "
     "the record's input position, so the sample is the same whatever the thread count. With topk too, the "
     "first topk sampled records are written.",
     NULL, 0},
    {"seed", SL_OPT_INT, "0", "Seed for prob.", NULL, 0},
    {0},
};

typedef struct spigot_data {
    const char *path;
    const char *name;
    int64_t topk; /* -1: no cap */
    double prob;  /* >= 1: every record */
    uint64_t seed;
    size_t memory;
    const char *spill_dir;
    pthread_mutex_t lock;
    void **states;
    size_t n_states, cap_states;
    int active;
} spigot_data;

typedef struct spigot_worker {
    spigot_data *d;
    topk top;
    sl_seqbuf *buf;
    int failed;
    sl_error err;
} spigot_worker;

static int spigot_check(sl_node *node, sl_error *err) {
    spigot_data *d = sl_xcalloc(1, sizeof *d);
    node->data = d;
    pthread_mutex_init(&d->lock, NULL);
    d->path = sl_node_str(node, "path");
    d->name = node->name;
    d->seed = (uint64_t)sl_node_int(node, "seed");
    const sl_optval *k = sl_node_opt(node, "topk"), *prob = sl_node_opt(node, "prob");
    d->prob = prob->set ? prob->d : 1.0;
    d->topk = k->set ? k->i : prob->set ? -1 : 100;
    if (prob->set && !(prob->d >= 0 && prob->d <= 1)) {
        sl_error_set(err, SL_EINVAL, "prob must be between 0 and 1");
        sl_error_at_option(err, node, "prob");
        return SL_EINVAL;
    }
    if (k->set && k->i < 0) {
        sl_error_set(err, SL_EINVAL, "topk must be 0 or more");
        sl_error_at_option(err, node, "topk");
        return SL_EINVAL;
    }
    return SL_OK;
}

static void spigot_worker_free(spigot_worker *w) {
    if (!w) return;
    if (w->top.heap) topk_free(&w->top);
    sl_seqbuf_free(w->buf);
    free(w);
}

static void spigot_release(sl_node *node) {
    spigot_data *d = node->data;
    if (!d) return;
    for (size_t i = 0; i < d->n_states; i++)
        spigot_worker_free(d->states[i]);
    free(d->states);
    pthread_mutex_destroy(&d->lock);
    free(d);
    node->data = NULL;
}

static char *tmp_path(const char *path) {
    size_t n = strlen(path) + 32;
    char *t = sl_xmalloc(n);
    snprintf(t, n, "%s.tmp-%ld", path, (long)getpid());
    return t;
}

/* Write lines to path through a temporary file and a rename. */
static int write_file(const char *path, const sl_buf *text, sl_error *err) {
    char *dir = sl_xstrdup(path), *slash = strrchr(dir, '/');
    int rc = SL_OK;
    if (slash && slash != dir) {
        *slash = 0;
        rc = sl_mkdirs(dir, err);
    }
    free(dir);
    if (rc) return rc;
    char *tmp = tmp_path(path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = sl_error_set(err, SL_EIO, "cannot create %s: %s", tmp, strerror(errno));
    } else {
        bool ok = fwrite(text->data ? text->data : "", 1, text->len, f) == text->len;
        ok &= fclose(f) == 0;
        if (!ok || rename(tmp, path) != 0) {
            rc = sl_error_set(err, SL_EIO, "cannot write %s: %s", path, strerror(errno));
            unlink(tmp);
        }
    }
    free(tmp);
    return rc;
}

static int spigot_prepare(sl_node *node, sl_run *run, sl_error *err) {
    spigot_data *d = node->data;
    int64_t limit = run->job->settings.memory_limit > 0 ? run->job->settings.memory_limit : INT64_C(1) << 30;
    d->memory = (size_t)(limit / 8 / (run->threads > 0 ? run->threads : 1));
    d->spill_dir = run->job->settings.spill_dir;
    sl_buf empty;
    sl_buf_init(&empty, 0);
    int rc = write_file(d->path, &empty, err); /* the file exists (empty) even if no record arrives */
    sl_buf_free(&empty);
    if (rc) sl_error_at_option(err, node, "path");
    return rc;
}

static int spigot_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    spigot_data *d = node->data;
    spigot_worker *w = sl_xcalloc(1, sizeof *w);
    w->d = d;
    if (d->topk >= 0)
        topk_init(&w->top, (size_t)d->topk);
    else
        w->buf = sl_seqbuf_new(d->memory, d->spill_dir);
    pthread_mutex_lock(&d->lock);
    if (d->n_states == d->cap_states) {
        d->cap_states = d->cap_states ? 2 * d->cap_states : 16;
        d->states = sl_xrealloc(d->states, d->cap_states * sizeof *d->states);
    }
    d->states[d->n_states++] = w;
    d->active++;
    pthread_mutex_unlock(&d->lock);
    *state = w;
    return SL_OK;
}

/* splitmix64 of (seed, seq) as a number in [0, 1). */
static double sample_point(uint64_t seed, uint64_t seq) {
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + seq + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static int spigot_process(void *state, sl_batch *b, sl_error *err) {
    spigot_worker *w = state;
    const spigot_data *d = w->d;
    if (w->failed) return SL_OK;
    for (size_t i = 0; i < b->count; i++) {
        uint64_t seq = b->seq_base + i;
        if (d->prob < 1.0 && !(sample_point(d->seed, seq) < d->prob)) continue;
        if (!w->buf) {
            if (!topk_wants(&w->top, seq)) {
                if (d->prob >= 1.0) break; /* later records of this batch come later still */
                continue;
            }
            topk_offer(&w->top, &b->records[i], seq);
        } else if (sl_seqbuf_add(w->buf, &b->records[i], seq, &w->err)) {
            w->failed = 1; /* the sample is a side output: a spill failure must not fail the run */
            break;
        }
    }
    return SL_OK;
}

static int append_json(sl_buf *out, const sl_value *rec) {
    int rc = sl_json_write(out, rec);
    if (!rc) rc = sl_buf_addc(out, '\n');
    return rc;
}

/* Every worker's sample, in input order, as JSON lines. */
static int spigot_collect(spigot_data *d, sl_buf *out, sl_error *err) {
    for (size_t i = 0; i < d->n_states; i++) {
        spigot_worker *w = d->states[i];
        if (w->failed) {
            *err = w->err;
            return err->code ? err->code : SL_EIO;
        }
    }
    int rc = SL_OK;
    if (d->topk >= 0) {
        topk **heaps = sl_xmalloc((d->n_states ? d->n_states : 1) * sizeof *heaps);
        for (size_t i = 0; i < d->n_states; i++)
            heaps[i] = &((spigot_worker *)d->states[i])->top;
        size_t n;
        seqrec *all = topk_gather(heaps, d->n_states, (size_t)d->topk, &n);
        for (size_t i = 0; i < n && !rc; i++)
            rc = append_json(out, &all[i].rec);
        free(all);
        free(heaps);
        return rc;
    }
    sl_seqbuf **bufs = sl_xmalloc((d->n_states ? d->n_states : 1) * sizeof *bufs);
    for (size_t i = 0; i < d->n_states; i++)
        bufs[i] = ((spigot_worker *)d->states[i])->buf;
    sl_merge *m;
    rc = sl_seqbuf_merge(bufs, d->n_states, &m, err);
    sl_value elem;
    while (!rc && (rc = sl_merge_next(m, &elem, err)) == 1)
        rc = append_json(out, &elem.u.items[1]);
    sl_merge_free(m);
    free(bufs);
    return rc < 0 ? rc : SL_OK;
}

static void spigot_fini(void *state) {
    spigot_worker *w = state;
    spigot_data *d = w->d;
    pthread_mutex_lock(&d->lock);
    if (--d->active == 0) { /* the run is over: the last worker writes everyone's sample */
        sl_buf out;
        sl_buf_init(&out, 0);
        sl_error err;
        sl_error_clear(&err);
        int rc = spigot_collect(d, &out, &err);
        if (!rc) rc = write_file(d->path, &out, &err);
        if (rc) fprintf(stderr, "sluice: spigot '%s': sample not written: %s\n", d->name, err.message);
        sl_buf_free(&out);
        for (size_t i = 0; i < d->n_states; i++)
            spigot_worker_free(d->states[i]);
        d->n_states = 0;
    }
    pthread_mutex_unlock(&d->lock);
}

const sl_node_type sl_spigot_type = {
    .name = "spigot",
    .kind = SL_NODE_TRANSFORM,
    .summary = "pass records through and write a sample of them to a local JSON lines file (Glue Spigot)",
    .help = "Records flow on unchanged. The sample is chosen by input position (and seed), so it does not depend "
            "on the thread count, and it is written in input order when the run ends. A sample that cannot be "
            "written is reported on stderr and does not fail the run.",
    .options = spigot_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = spigot_check,
    .prepare = spigot_prepare,
    .release = spigot_release,
    .init = spigot_init,
    .process = spigot_process,
    .fini = spigot_fini,
};
