/*
 * mapping.c — apply_mapping (Glue's ApplyMapping): build each output record
 * from a list of (source path, target path, target type) mappings. Fields not
 * mapped are dropped; values are cast to the target type; a value that cannot
 * be cast sends the record to the error output.
 *
 * Mapping entries, in the job file, any of:
 *   - [source, source_type, target, target_type]     # Glue's 4-tuple
 *   - [source, target, type]
 *   - {from: source, to: target, type: long}          # type optional: keep as is
 * Source paths may index lists (metadata.tags[0]); target paths may be nested
 * (meta.host builds a struct).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "transforms/transform_util.h"

typedef struct mapping {
    const char *source; /* path text, points into the job's option tree */
    size_t source_len;
    sl_fieldpath target;
    sl_type type;
    bool cast; /* false: keep the value's own type */
} mapping;

typedef struct mapping_data {
    mapping *maps;
    size_t n;
    bool flat; /* every target is a top-level name */
} mapping_data;

static const sl_option mapping_options[] = {
    {"mappings", SL_OPT_TREE, NULL,
     "List of mappings. Each is [source, source_type, target, target_type] (Glue's form), [source, target, type] "
     "or {from: source, to: target, type: TYPE}. Types: boolean, long, double, decimal, string, binary, date, "
     "timestamp (aliases int, bigint, float, varchar, ...). Unmapped fields are dropped.",
     NULL, SL_OPTF_REQUIRED},
    {0},
};

static void mapping_release(sl_node *node) {
    mapping_data *d = node->data;
    if (!d) return;
    for (size_t i = 0; i < d->n; i++) sl_fieldpath_free(&d->maps[i].target);
    free(d->maps);
    free(d);
    node->data = NULL;
}

static const sl_value *struct_member(const sl_value *v, const char *a, const char *b) {
    const sl_value *x = sl_struct_get(v, a);
    return x ? x : b ? sl_struct_get(v, b) : NULL;
}

static int parse_entry(const sl_value *e, size_t i, mapping *m, sl_error *err) {
    const char *src = NULL, *dst = NULL, *type = NULL;
    if (e->type == SL_T_LIST && (e->len == 4 || e->len == 3)) {
        for (uint32_t k = 0; k < e->len; k++)
            if (!sl_tree_text(&e->u.items[k]))
                return sl_error_set(err, SL_EINVAL, "mapping %zu: every item must be a plain value", i + 1);
        src = e->u.items[0].u.s;
        dst = e->u.items[e->len == 4 ? 2 : 1].u.s;
        type = e->u.items[e->len - 1].u.s;
        if (e->len == 4 && sl_type_parse(e->u.items[1].u.s, &m->type) != 0)
            return sl_error_set(err, SL_EINVAL, "mapping %zu: unknown source type '%s'", i + 1, e->u.items[1].u.s);
    } else if (e->type == SL_T_STRUCT) {
        src = sl_tree_text(struct_member(e, "from", "source"));
        dst = sl_tree_text(struct_member(e, "to", "target"));
        type = sl_tree_text(struct_member(e, "type", NULL));
        if (!src) return sl_error_set(err, SL_EINVAL, "mapping %zu: 'from' is missing", i + 1);
        if (!dst) dst = src;
    } else {
        return sl_error_set(err, SL_EINVAL,
                            "mapping %zu: expected [source, source_type, target, target_type], [source, target, "
                            "type] or {from, to, type}",
                            i + 1);
    }
    m->source = src;
    m->source_len = strlen(src);
    m->cast = type != NULL;
    if (type && sl_type_parse(type, &m->type) != 0)
        return sl_error_set(err, SL_EINVAL, "mapping %zu: unknown type '%s' (expected boolean, long, double, "
                                            "decimal, string, binary, date, timestamp, array or struct)",
                            i + 1, type);
    return sl_fieldpath_parse(dst, &m->target, err);
}

static int mapping_check(sl_node *node, sl_error *err) {
    const sl_value *tree = &sl_node_opt(node, "mappings")->tree;
    if (tree->type != SL_T_LIST || tree->len == 0) {
        sl_error_set(err, SL_EINVAL, "'mappings' must be a non-empty list");
        sl_error_at_option(err, node, "mappings");
        return SL_EINVAL;
    }
    mapping_data *d = sl_xcalloc(1, sizeof *d);
    d->maps = sl_xcalloc(tree->len, sizeof *d->maps);
    d->flat = true;
    node->data = d;
    for (uint32_t i = 0; i < tree->len; i++) {
        int rc = parse_entry(&tree->u.items[i], i, &d->maps[i], err);
        if (rc) {
            mapping_release(node);
            sl_error_at_option(err, node, "mappings");
            return rc;
        }
        d->n++;
        d->flat &= d->maps[i].target.n == 1;
    }
    return SL_OK;
}

/* Map one record; returns 0 or SL_ETYPE with err->message for the error output. */
static int map_record(const mapping_data *d, sl_arena *a, const sl_value *rec, sl_value *out, sl_error *err) {
    sl_field *fields = d->flat ? sl_arena_alloc(a, d->n * sizeof *fields) : NULL;
    size_t nf = 0;
    sl_value r = sl_struct(NULL, 0);
    for (size_t k = 0; k < d->n; k++) {
        const mapping *m = &d->maps[k];
        const sl_value *v = sl_value_path(rec, m->source, m->source_len);
        if (!v) continue;
        sl_value val = *v;
        if (m->cast && v->type != m->type && v->type != SL_T_NULL) {
            int rc = sl_value_cast(a, v, m->type, &val, err);
            if (rc) {
                char reason[1024];
                snprintf(reason, sizeof reason, "field '%.200s': %s", m->source, err->message);
                return sl_error_set(err, rc, "%s", reason);
            }
        }
        if (d->flat) {
            const sl_fieldseg *s = &m->target.segs[0];
            fields[nf].name = s->name;
            fields[nf].name_len = (uint32_t)s->len;
            fields[nf].name_flags = sl_json_plain(s->name, s->len) ? SL_VF_JSON_PLAIN : 0;
            fields[nf].value = val;
            nf++;
        } else {
            r = sl_fieldpath_set(a, &r, &m->target, val);
        }
    }
    *out = d->flat ? sl_struct(fields, nf) : r;
    return SL_OK;
}

static int mapping_process(void *state, sl_batch *b, sl_error *err) {
    sl_tstate *s = state;
    const mapping_data *d = s->node->data;
    sl_value *out = sl_batch_new_records(b);
    unsigned char *keep = NULL;
    sl_error e; /* only written on failure: cleared once, and after each use */
    sl_error_clear(&e);
    for (size_t i = 0; i < b->count; i++) {
        if (map_record(d, &b->arena, &b->records[i], &out[i], &e) == 0) continue;
        if (!keep) {
            keep = sl_arena_alloc(&b->arena, b->count);
            memset(keep, 1, b->count);
        }
        keep[i] = 0;
        int rc = sl_run_reject(s->run, s->node, b, i, e.message, err);
        sl_error_clear(&e);
        if (rc) return rc;
    }
    b->records = out;
    if (keep) sl_batch_keep(b, keep);
    return SL_OK;
}

const sl_node_type sl_apply_mapping_type = {
    .name = "apply_mapping",
    .kind = SL_NODE_TRANSFORM,
    .summary = "map, rename, nest and cast fields; unmapped fields are dropped (Glue ApplyMapping)",
    .help = "Each record becomes a new record holding exactly the mapped fields, in mapping order. A source "
            "field missing from a record is left out of the output. A value that cannot be converted to the "
            "target type (say 'abc' to long) sends the whole record to the error output with the reason.",
    .options = mapping_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = mapping_check,
    .release = mapping_release,
    .init = sl_tstate_init,
    .process = mapping_process,
    .fini = sl_tstate_fini,
};
