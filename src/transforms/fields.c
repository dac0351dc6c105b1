/*
 * fields.c — select_fields, drop_fields, rename_field (Glue's SelectFields,
 * DropFields, RenameField). Paths may be nested ("metadata.host").
 */
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "transforms/transform_util.h"

/* ---- select_fields ---- */

static const sl_option select_options[] = {
    {"fields", SL_OPT_LIST, NULL,
     "Fields to keep, in output order. Nested paths (metadata.host) keep the enclosing struct with only the "
     "selected members. Fields absent from a record are skipped.",
     NULL, SL_OPTF_REQUIRED},
    {0},
};

static int pathlist_check(sl_node *node, sl_error *err) {
    sl_pathlist *l;
    int rc = sl_pathlist_from_option(node, "fields", &l, err);
    if (!rc) node->data = l;
    return rc;
}

static void pathlist_release(sl_node *node) {
    sl_pathlist_free(node->data);
    node->data = NULL;
}

static int select_process(void *state, sl_batch *b, sl_error *err) {
    const sl_pathlist *l = ((sl_tstate *)state)->node->data;
    sl_value *out = sl_batch_new_records(b);
    bool flat = true;
    for (size_t k = 0; k < l->n; k++) flat &= l->paths[k].n == 1;
    for (size_t i = 0; i < b->count; i++) {
        const sl_value *rec = &b->records[i];
        if (flat) {
            sl_field *fields = sl_arena_alloc(&b->arena, l->n * sizeof *fields);
            size_t n = 0;
            for (size_t k = 0; k < l->n; k++) {
                const sl_field *f = sl_struct_find(rec, l->paths[k].segs[0].name, l->paths[k].segs[0].len);
                if (f) fields[n++] = *f;
            }
            out[i] = sl_struct(fields, n);
        } else {
            sl_value r = sl_struct(NULL, 0);
            for (size_t k = 0; k < l->n; k++) {
                const sl_value *v = sl_fieldpath_get(rec, &l->paths[k]);
                if (v) r = sl_fieldpath_set(&b->arena, &r, &l->paths[k], *v);
            }
            out[i] = r;
        }
    }
    b->records = out;
    return SL_OK;
}

/* The fields, when every one is a plain top-level name (the option's own
 * strings); NULL when a path is nested or quoted. */
static const sl_value *select_input_fields(const sl_node *node) {
    const sl_pathlist *l = node->data;
    if (!l) return NULL;
    for (size_t k = 0; k < l->n; k++)
        if (l->paths[k].n != 1 || strlen(l->paths[k].text) != l->paths[k].segs[0].len) return NULL;
    return &sl_node_opt(node, "fields")->tree;
}

const sl_node_type sl_select_fields_type = {
    .name = "select_fields",
    .kind = SL_NODE_TRANSFORM,
    .summary = "keep only the listed fields (Glue SelectFields)",
    .options = select_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = pathlist_check,
    .release = pathlist_release,
    .init = sl_tstate_init,
    .process = select_process,
    .fini = sl_tstate_fini,
    .input_fields = select_input_fields,
};

/* ---- drop_fields ---- */

static const sl_option drop_options[] = {
    {"fields", SL_OPT_LIST, NULL,
     "Fields to remove. Nested paths (metadata.tags) remove a member of a struct. Absent fields are ignored.",
     NULL, SL_OPTF_REQUIRED},
    {0},
};

static int drop_process(void *state, sl_batch *b, sl_error *err) {
    const sl_pathlist *l = ((sl_tstate *)state)->node->data;
    sl_value *out = sl_batch_new_records(b);
    for (size_t i = 0; i < b->count; i++) {
        sl_value r = b->records[i];
        for (size_t k = 0; k < l->n; k++) r = sl_fieldpath_remove(&b->arena, &r, &l->paths[k]);
        out[i] = r;
    }
    b->records = out;
    return SL_OK;
}

const sl_node_type sl_drop_fields_type = {
    .name = "drop_fields",
    .kind = SL_NODE_TRANSFORM,
    .summary = "remove the listed fields (Glue DropFields)",
    .options = drop_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = pathlist_check,
    .release = pathlist_release,
    .init = sl_tstate_init,
    .process = drop_process,
    .fini = sl_tstate_fini,
};

/* ---- rename_field ---- */

static const sl_option rename_options[] = {
    {"from", SL_OPT_STRING, NULL, "Field to rename; a nested path (metadata.host) renames a struct member.", NULL,
     SL_OPTF_REQUIRED},
    {"to", SL_OPT_STRING, NULL,
     "New name. Either a plain name or a path with the same parent as `from` (metadata.hostname).", NULL,
     SL_OPTF_REQUIRED},
    {0},
};

typedef struct rename_data {
    sl_fieldpath from, to;
} rename_data;

static void rename_release(sl_node *node) {
    rename_data *d = node->data;
    if (!d) return;
    sl_fieldpath_free(&d->from);
    sl_fieldpath_free(&d->to);
    free(d);
    node->data = NULL;
}

static int rename_check(sl_node *node, sl_error *err) {
    rename_data *d = sl_xcalloc(1, sizeof *d);
    node->data = d;
    const char *bad = "from";
    int rc = sl_fieldpath_parse(sl_node_str(node, "from"), &d->from, err);
    if (!rc) {
        bad = "to";
        rc = sl_fieldpath_parse(sl_node_str(node, "to"), &d->to, err);
    }
    if (!rc && d->to.n > 1) {
        bool same_parent = d->to.n == d->from.n;
        for (size_t i = 0; same_parent && i + 1 < d->to.n; i++)
            same_parent = d->to.segs[i].len == d->from.segs[i].len &&
                          memcmp(d->to.segs[i].name, d->from.segs[i].name, d->to.segs[i].len) == 0;
        if (!same_parent)
            rc = sl_error_set(err, SL_EINVAL,
                              "'to' must be a plain name or a path with the same parent as 'from' (%s)",
                              d->from.text);
    }
    if (rc) {
        rename_release(node);
        sl_error_at_option(err, node, bad);
    }
    return rc;
}

static int rename_process(void *state, sl_batch *b, sl_error *err) {
    const rename_data *d = ((sl_tstate *)state)->node->data;
    const sl_fieldseg *to = &d->to.segs[d->to.n - 1];
    sl_value *out = sl_batch_new_records(b);
    for (size_t i = 0; i < b->count; i++)
        out[i] = sl_fieldpath_rename(&b->arena, &b->records[i], &d->from, to->name, to->len);
    b->records = out;
    return SL_OK;
}

const sl_node_type sl_rename_field_type = {
    .name = "rename_field",
    .kind = SL_NODE_TRANSFORM,
    .summary = "rename one field (Glue RenameField)",
    .options = rename_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = rename_check,
    .release = rename_release,
    .init = sl_tstate_init,
    .process = rename_process,
    .fini = sl_tstate_fini,
};
