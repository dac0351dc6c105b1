/*
 * filter.c — `filter` (keep records where an expression is true; Glue's
 * Filter) and `derive` (add or replace fields computed by expressions).
 * Expressions are compiled once at validation (core/expr.h); a record whose
 * expression fails at run time (e.g. a bad cast) goes to the error output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/expr.h"
#include "core/mem.h"
#include "transforms/transform_util.h"

/* ---- filter ---- */

static const sl_option filter_options[] = {
    {"condition", SL_OPT_EXPR, NULL,
     "Keep the records for which this expression is true; false and null (unknown) drop the record. "
     "Example: age_of_car < 0.7 and lower(make) in ('m1', 'm4'). See docs/expressions.md.",
     NULL, SL_OPTF_REQUIRED},
    {0},
};

static int filter_process(void *state, sl_batch *b, sl_error *err) {
    sl_tstate *s = state;
    const sl_expr *e = s->node->data;
    unsigned char *keep = sl_arena_alloc(&b->arena, b->count ? b->count : 1);
    sl_error e_err; /* only written on failure: cleared once, and after each use */
    sl_error_clear(&e_err);
    for (size_t i = 0; i < b->count; i++) {
        int truth = sl_condition_eval(s, e, b, i, &e_err, err);
        if (truth < 0) return truth;
        keep[i] = truth == 1;
    }
    sl_batch_keep(b, keep);
    return SL_OK;
}

const sl_node_type sl_filter_type = {
    .name = "filter",
    .kind = SL_NODE_TRANSFORM,
    .summary = "keep records where an expression is true (Glue Filter)",
    .options = filter_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = sl_condition_check,
    .release = sl_condition_release,
    .init = sl_tstate_init,
    .process = filter_process,
    .fini = sl_tstate_fini,
};

/* ---- derive ---- */

static const sl_option derive_options[] = {
    {"columns", SL_OPT_TREE, NULL,
     "Mapping of field name (or nested path) to expression. Each expression sees the input record as it "
     "arrived (not the other new columns); a field that exists is replaced in place, a new one is appended. "
     "Example: {service_name: lower(service_name), timestamp: cast(timestamp as long)}.",
     NULL, SL_OPTF_REQUIRED},
    {0},
};

typedef struct derive_col {
    sl_fieldpath target;
    sl_expr *expr;
} derive_col;

typedef struct derive_data {
    derive_col *cols;
    size_t n;
    bool flat; /* every target is a top-level field */
} derive_data;

static void derive_release(sl_node *node) {
    derive_data *d = node->data;
    if (!d) return;
    for (size_t i = 0; i < d->n; i++) {
        sl_fieldpath_free(&d->cols[i].target);
        sl_expr_free(d->cols[i].expr);
    }
    free(d->cols);
    free(d);
    node->data = NULL;
}

static int derive_check(sl_node *node, sl_error *err) {
    const sl_optval *o = sl_node_opt(node, "columns");
    if (o->tree.type != SL_T_STRUCT || o->tree.len == 0) {
        sl_error_set(err, SL_EINVAL, "'columns' must be a mapping of field name to expression");
        sl_error_at_option(err, node, "columns");
        return SL_EINVAL;
    }
    derive_data *d = sl_xcalloc(1, sizeof *d);
    d->cols = sl_xcalloc(o->tree.len, sizeof *d->cols);
    d->flat = true;
    node->data = d;
    for (uint32_t i = 0; i < o->tree.len; i++) {
        const sl_field *f = &o->tree.u.fields[i];
        const char *text = sl_tree_text(&f->value);
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)f->name_len, f->name);
        int rc = text ? sl_fieldpath_parse(name, &d->cols[i].target, err)
                      : sl_error_set(err, SL_EINVAL, "column '%s': expected an expression", name);
        if (rc) {
            sl_error_at_option(err, node, "columns");
        } else {
            rc = sl_transform_compile_expr(node, o->line, 0, text, &d->cols[i].expr, err);
            if (rc) sl_fieldpath_free(&d->cols[i].target);
        }
        if (rc) {
            derive_release(node);
            return rc;
        }
        d->flat &= d->cols[i].target.n == 1;
        d->n++;
    }
    return SL_OK;
}

/* Replace or append top-level field `seg` in the (already copied) field
 * array; `hint` remembers where the field was in the previous record, since
 * records of one source usually share their shape. */
static void set_flat(sl_field *fields, uint32_t *n, const sl_fieldseg *seg, size_t *hint, sl_value v) {
    size_t h = *hint;
    if (h < *n && fields[h].name_len == seg->len && sl_name_eq(fields[h].name, seg->name, seg->len)) {
        fields[h].value = v;
        return;
    }
    for (uint32_t i = 0; i < *n; i++) {
        if (fields[i].name_len == seg->len && sl_name_eq(fields[i].name, seg->name, seg->len)) {
            fields[i].value = v;
            *hint = i;
            return;
        }
    }
    fields[*n].name = seg->name;
    fields[*n].name_len = (uint32_t)seg->len;
    fields[*n].name_flags = sl_json_plain(seg->name, seg->len) ? SL_VF_JSON_PLAIN : 0;
    fields[*n].value = v;
    *hint = *n;
    (*n)++;
}

static int derive_process(void *state, sl_batch *b, sl_error *err) {
    sl_tstate *s = state;
    const derive_data *d = s->node->data;
    sl_value *out = sl_batch_new_records(b);
    unsigned char *keep = NULL;
    size_t hints[16] = {0};
    sl_value *vals = sl_arena_alloc(&b->arena, d->n * sizeof *vals);
    sl_error e_err; /* only written on failure: cleared once, and after each use */
    sl_error_clear(&e_err);
    for (size_t i = 0; i < b->count; i++) {
        const sl_value *rec = &b->records[i];
        size_t k;
        for (k = 0; k < d->n; k++)
            if (sl_expr_eval(d->cols[k].expr, rec, &b->arena, &vals[k], &e_err) != 0) break;
        if (k < d->n) {
            if (!keep) {
                keep = sl_arena_alloc(&b->arena, b->count);
                memset(keep, 1, b->count);
            }
            keep[i] = 0;
            char reason[1024];
            snprintf(reason, sizeof reason, "column '%.200s': %s", d->cols[k].target.text, e_err.message);
            sl_error_clear(&e_err);
            int rc = sl_run_reject(s->run, s->node, b, i, reason, err);
            if (rc) return rc;
            out[i] = *rec;
            continue;
        }
        if (d->flat && rec->type == SL_T_STRUCT) {
            uint32_t n = rec->len;
            sl_field *fields = sl_arena_alloc(&b->arena, (n + d->n) * sizeof *fields);
            memcpy(fields, rec->u.fields, n * sizeof *fields);
            for (k = 0; k < d->n; k++)
                set_flat(fields, &n, &d->cols[k].target.segs[0], k < 16 ? &hints[k] : &(size_t){0}, vals[k]);
            out[i] = sl_struct(fields, n);
        } else {
            sl_value r = *rec;
            for (k = 0; k < d->n; k++) r = sl_fieldpath_set(&b->arena, &r, &d->cols[k].target, vals[k]);
            out[i] = r;
        }
    }
    b->records = out;
    if (keep) sl_batch_keep(b, keep);
    return SL_OK;
}

const sl_node_type sl_derive_type = {
    .name = "derive",
    .kind = SL_NODE_TRANSFORM,
    .summary = "add or replace fields computed by expressions",
    .options = derive_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = derive_check,
    .release = derive_release,
    .init = sl_tstate_init,
    .process = derive_process,
    .fini = sl_tstate_fini,
};
