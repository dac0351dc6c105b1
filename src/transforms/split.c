/*
 * split.c — the two-output transforms `split_rows` (Glue's SplitRows and the
 * Glue Studio Filter node's "rest") and `split_fields` (Glue's SplitFields).
 *
 * Both are multi-output nodes (exec/node.h `outputs`): process() tags every
 * record it emits with its output port in b->ports and the executor routes
 * each port to the children that named it (`input: NODE.matched`).
 *
 *   split_rows    each record leaves on exactly one port: `matched` when the
 *                 condition is true, `rest` when it is false or null; a
 *                 record whose condition fails goes to the error output.
 *   split_fields  each record leaves on both ports: `selected` holds the
 *                 listed fields (select_fields' rules), `rest` the others
 *                 (drop_fields' rules). A port no child reads is not built.
 */
#include <stdlib.h>
#include <string.h>

#include "core/expr.h"
#include "core/mem.h"
#include "transforms/transform_util.h"

/* Is output port p of node read by any child? */
static bool port_read(const sl_node *node, int p) {
    for (size_t c = 0; c < node->n_children; c++)
        if (node->child_ports[c] == p) return true;
    return false;
}

/* ---- split_rows ---- */

static const char *const split_rows_outputs[] = {"matched", "rest", NULL};
enum { ROWS_MATCHED, ROWS_REST };

static const sl_option split_rows_options[] = {
    {"condition", SL_OPT_EXPR, NULL,
     "Records for which this expression is true leave on output `matched`; false and null (unknown) send them to "
     "`rest`. Same language as filter (docs/expressions.md): Glue's SplitRows comparison dict "
     "{\"age\": {\">\": 21}} is `age > 21`, several entries are joined with `and`.",
     NULL, SL_OPTF_REQUIRED},
    {0},
};

static int split_rows_process(void *state, sl_batch *b, sl_error *err) {
    sl_tstate *s = state;
    const sl_expr *e = s->node->data;
    uint16_t *ports = sl_arena_alloc(&b->arena, (b->count ? b->count : 1) * sizeof *ports);
    unsigned char *keep = NULL;
    sl_error e_err; /* only written on failure: cleared once, and after each use */
    sl_error_clear(&e_err);
    for (size_t i = 0; i < b->count; i++) {
        int truth = sl_condition_eval(s, e, b, i, &e_err, err);
        if (truth < 0) return truth;
        if (truth == SL_CONDITION_REJECTED) {
            if (!keep) {
                keep = sl_arena_alloc(&b->arena, b->count);
                memset(keep, 1, b->count);
            }
            keep[i] = 0;
        }
        ports[i] = truth == 1 ? ROWS_MATCHED : ROWS_REST;
    }
    if (keep) { /* drop the rejected records, keeping ports parallel */
        size_t n = 0;
        for (size_t i = 0; i < b->count; i++)
            if (keep[i]) ports[n++] = ports[i];
        sl_batch_keep(b, keep);
    }
    b->ports = ports;
    return SL_OK;
}

const sl_node_type sl_split_rows_type = {
    .name = "split_rows",
    .kind = SL_NODE_TRANSFORM,
    .summary = "send each record to output `matched` or `rest` by a condition (Glue SplitRows)",
    .help = "Outputs: `matched` (condition true) and `rest` (false or null); children read one with "
            "`input: NODE.matched` or `input: NODE.rest`. A record whose condition fails at run time (a bad "
            "cast) goes to the error output and to neither output.",
    .options = split_rows_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .outputs = split_rows_outputs,
    .check = sl_condition_check,
    .release = sl_condition_release,
    .init = sl_tstate_init,
    .process = split_rows_process,
    .fini = sl_tstate_fini,
};

/* ---- split_fields ---- */

static const char *const split_fields_outputs[] = {"selected", "rest", NULL};
enum { FIELDS_SELECTED, FIELDS_REST };

static const sl_option split_fields_options[] = {
    {"fields", SL_OPT_LIST, NULL,
     "Fields that go to output `selected`, in output order; every other field goes to `rest`. Nested paths "
     "(metadata.host) keep the enclosing struct with only that member in `selected` and remove the member from "
     "it in `rest`. Fields absent from a record are skipped.",
     NULL, SL_OPTF_REQUIRED},
    {0},
};

typedef struct split_fields_data {
    sl_pathlist *paths;
    bool flat;    /* every path is a top-level field */
    bool want[2]; /* which outputs some child reads */
} split_fields_data;

static void split_fields_release(sl_node *node) {
    split_fields_data *d = node->data;
    if (!d) return;
    sl_pathlist_free(d->paths);
    free(d);
    node->data = NULL;
}

static int split_fields_check(sl_node *node, sl_error *err) {
    sl_pathlist *l;
    int rc = sl_pathlist_from_option(node, "fields", &l, err);
    if (rc) return rc;
    split_fields_data *d = sl_xcalloc(1, sizeof *d);
    d->paths = l;
    d->flat = true;
    for (size_t k = 0; k < l->n; k++)
        d->flat &= l->paths[k].n == 1;
    d->want[FIELDS_SELECTED] = port_read(node, FIELDS_SELECTED);
    d->want[FIELDS_REST] = port_read(node, FIELDS_REST);
    node->data = d;
    return SL_OK;
}

static bool listed(const split_fields_data *d, const sl_field *f) {
    for (size_t k = 0; k < d->paths->n; k++) {
        const sl_fieldseg *seg = &d->paths->paths[k].segs[0];
        if (seg->len == f->name_len && sl_name_eq(seg->name, f->name, f->name_len)) return true;
    }
    return false;
}

/* The listed fields of rec, in list order. */
static sl_value selected_part(const split_fields_data *d, sl_arena *a, const sl_value *rec) {
    const sl_pathlist *l = d->paths;
    if (d->flat) {
        sl_field *fields = sl_arena_alloc(a, l->n * sizeof *fields);
        size_t n = 0;
        for (size_t k = 0; k < l->n; k++) {
            const sl_field *f = sl_struct_find(rec, l->paths[k].segs[0].name, l->paths[k].segs[0].len);
            if (f) fields[n++] = *f;
        }
        return sl_struct(fields, n);
    }
    sl_value r = sl_struct(NULL, 0);
    for (size_t k = 0; k < l->n; k++) {
        const sl_value *v = sl_fieldpath_get(rec, &l->paths[k]);
        if (v) r = sl_fieldpath_set(a, &r, &l->paths[k], *v);
    }
    return r;
}

/* rec without the listed fields, in record order. */
static sl_value rest_part(const split_fields_data *d, sl_arena *a, const sl_value *rec) {
    if (d->flat && rec->type == SL_T_STRUCT) {
        sl_field *fields = sl_arena_alloc(a, (rec->len ? rec->len : 1) * sizeof *fields);
        size_t n = 0;
        for (uint32_t i = 0; i < rec->len; i++)
            if (!listed(d, &rec->u.fields[i])) fields[n++] = rec->u.fields[i];
        return sl_struct(fields, n);
    }
    sl_value r = *rec;
    for (size_t k = 0; k < d->paths->n; k++)
        r = sl_fieldpath_remove(a, &r, &d->paths->paths[k]);
    return r;
}

static int split_fields_process(void *state, sl_batch *b, sl_error *err) {
    const split_fields_data *d = ((sl_tstate *)state)->node->data;
    size_t per = (size_t)d->want[FIELDS_SELECTED] + (size_t)d->want[FIELDS_REST];
    size_t n = b->count * per;
    sl_value *out = sl_arena_alloc(&b->arena, (n ? n : 1) * sizeof *out);
    sl_recloc *locs = sl_arena_alloc(&b->arena, (n ? n : 1) * sizeof *locs);
    uint16_t *ports = sl_arena_alloc(&b->arena, (n ? n : 1) * sizeof *ports);
    size_t j = 0;
    for (size_t i = 0; i < b->count; i++) {
        const sl_value *rec = &b->records[i];
        if (d->want[FIELDS_SELECTED]) {
            out[j] = selected_part(d, &b->arena, rec);
            locs[j] = b->locs[i];
            ports[j++] = FIELDS_SELECTED;
        }
        if (d->want[FIELDS_REST]) {
            out[j] = rest_part(d, &b->arena, rec);
            locs[j] = b->locs[i];
            ports[j++] = FIELDS_REST;
        }
    }
    b->records = out;
    b->locs = locs;
    b->ports = ports;
    b->count = b->cap = j;
    return SL_OK;
}

const sl_node_type sl_split_fields_type = {
    .name = "split_fields",
    .kind = SL_NODE_TRANSFORM,
    .summary = "split each record's fields into outputs `selected` and `rest` (Glue SplitFields)",
    .help = "Outputs: `selected` (the listed fields) and `rest` (every other field); children read one with "
            "`input: NODE.selected` or `input: NODE.rest`. Every record appears on both outputs, possibly with "
            "no fields (`{}`) on one of them.",
    .options = split_fields_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .outputs = split_fields_outputs,
    .check = split_fields_check,
    .release = split_fields_release,
    .init = sl_tstate_init,
    .process = split_fields_process,
    .fini = sl_tstate_fini,
};
