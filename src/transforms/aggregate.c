/*
 * aggregate.c — `aggregate` (Glue Studio's Aggregate; Spark's
 * groupBy().agg()): one output record per group with the group keys then
 * the aggregates, ordered by group key. The work is group.c's hash grouping,
 * which spills past settings.memory_limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "transforms/group.h"
#include "transforms/transform_util.h"

static const sl_option aggregate_options[] = {
    {"group_by", SL_OPT_LIST, NULL,
     "Group keys: field paths or expressions, each optionally followed by 'as NAME'. A path's output field is its "
     "last segment (metadata.host gives host); an expression's is its text unless named. Records with equal key "
     "values (same type and value: 1 and 1.0 differ) form a group; a missing field groups as null. Without "
     "group_by the whole input is one group and one record is emitted even for an empty input.",
     NULL, 0},
    {"aggregates", SL_OPT_TREE, NULL,
     "Mapping of output field to aggregate call: {n: count(*), total: sum(amount), users: count_distinct(user)}; "
     "or a list of calls, each named by 'as NAME' or else by its text. Functions: count(*), count(x), "
     "count_distinct(x) (or count(distinct x)), sum(x), sum_distinct(x), avg(x), min(x), max(x), first(x), "
     "last(x), var_samp(x), var_pop(x), stddev_samp(x), stddev_pop(x), skewness(x), kurtosis(x); x is any "
     "expression. Nulls are skipped except by count(*), first and last. See docs/transforms.md.",
     NULL, SL_OPTF_REQUIRED},
    {0},
};

static void aggregate_release(sl_node *node) {
    sl_group_node_free(node->data);
    node->data = NULL;
}

static bool name_taken(const sl_group_spec *spec, const char *name) {
    for (size_t k = 0; k < spec->n_keys; k++)
        if (!strcmp(spec->key_names[k], name)) return true;
    for (size_t a = 0; a < spec->n_aggs; a++)
        if (!strcmp(spec->aggs[a].name, name)) return true;
    return false;
}

static int parse_keys(sl_node *node, sl_group_spec *spec, sl_error *err) {
    const sl_optval *o = sl_node_opt(node, "group_by");
    if (!o->set) return SL_OK;
    const sl_value *list = &o->tree;
    spec->keys = sl_xcalloc(list->len ? list->len : 1, sizeof *spec->keys);
    spec->key_names = sl_xcalloc(list->len ? list->len : 1, sizeof *spec->key_names);
    for (uint32_t i = 0; i < list->len; i++) {
        const char *text = sl_tree_text(&list->u.items[i]);
        if (!text || !text[0]) return sl_error_set(err, SL_EINVAL, "group_by entries must be expressions");
        size_t expr_len;
        char *name = sl_group_key_name(text, &expr_len);
        if (name_taken(spec, name)) {
            sl_error_set(err, SL_EINVAL, "group key '%s' gives output field '%s' twice; name it with 'as NAME'", text,
                         name);
            free(name);
            return SL_EINVAL;
        }
        char *expr_text = sl_xstrndup(text, expr_len);
        int rc = sl_expr_compile(expr_text, &spec->keys[i], err);
        free(expr_text);
        if (rc) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            sl_error_set(err, rc, "group key '%.200s': %.250s", text, msg);
            free(name);
            return rc;
        }
        spec->key_names[i] = name;
        spec->n_keys++;
    }
    return SL_OK;
}

static int add_agg(sl_group_spec *spec, const char *name, const char *call, sl_error *err) {
    sl_agg *agg = &spec->aggs[spec->n_aggs];
    if (!call || !call[0]) return sl_error_set(err, SL_EINVAL, "aggregate '%s': expected a call such as sum(x)", name);
    if (name_taken(spec, name)) return sl_error_set(err, SL_EINVAL, "output field '%s' is defined twice", name);
    int rc = sl_agg_parse(call, &agg->kind, &agg->arg, err);
    if (rc) return rc;
    agg->name = sl_xstrdup(name);
    spec->n_aggs++;
    return SL_OK;
}

static int parse_aggs(sl_node *node, sl_group_spec *spec, sl_error *err) {
    const sl_value *tree = &sl_node_opt(node, "aggregates")->tree;
    if ((tree->type != SL_T_STRUCT && tree->type != SL_T_LIST) || !tree->len)
        return sl_error_set(err, SL_EINVAL, "'aggregates' must map output names to calls, e.g. {n: count(*)}");
    spec->aggs = sl_xcalloc(tree->len, sizeof *spec->aggs);
    for (uint32_t i = 0; i < tree->len; i++) {
        int rc;
        if (tree->type == SL_T_STRUCT) {
            const sl_field *f = &tree->u.fields[i];
            char *name = sl_xstrndup(f->name, f->name_len);
            rc = add_agg(spec, name, sl_tree_text(&f->value), err);
            free(name);
        } else {
            const char *text = sl_tree_text(&tree->u.items[i]);
            if (!text) return sl_error_set(err, SL_EINVAL, "'aggregates' list entries must be calls such as sum(x)");
            size_t call_len;
            char *name = sl_group_key_name(text, &call_len);
            char *call = sl_xstrndup(text, call_len);
            rc = add_agg(spec, name, call, err);
            free(name);
            free(call);
        }
        if (rc) return rc;
    }
    return SL_OK;
}

static int aggregate_check(sl_node *node, sl_error *err) {
    sl_group_spec spec = {0};
    int rc = parse_keys(node, &spec, err);
    const char *bad = "group_by";
    if (!rc) {
        bad = "aggregates";
        rc = parse_aggs(node, &spec, err);
    }
    node->data = sl_group_node_new(&spec); /* owns what was parsed, freed by release even on failure */
    if (rc) sl_error_at_option(err, node, bad);
    return rc;
}

const sl_node_type sl_aggregate_type = {
    .name = "aggregate",
    .kind = SL_NODE_TRANSFORM,
    .summary = "group records by keys and compute count, sum, avg, min, max, first, last… (Glue Aggregate)",
    .help = "Emits one record per group: the group keys, then the aggregates in the order written, sorted by group "
            "key (one output partition). first/last follow input order, so results do not depend on the thread "
            "count. Holds one partial state per group; past settings.memory_limit the states spill to "
            "settings.spill_dir by hash partition and are aggregated back one partition at a time. A record whose "
            "key or argument cannot be evaluated (or a sum/avg argument that is not a number) goes to the error "
            "output.",
    .options = aggregate_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = aggregate_check,
    .release = aggregate_release,
    .init = sl_group_init,
    .process = sl_group_process,
    .fini = sl_group_fini,
    .breaker = true,
    .seal = sl_group_seal,
    .plan = sl_group_plan,
    .open = sl_group_open,
    .next = sl_group_next,
    .close = sl_group_close,
    .free_splits = sl_group_free_splits,
};
