/*
 * registry.c — every node type sluice knows, by name (Fluent Bit style:
 * one table; adding a node type is one line here plus its own file).
 */
#include <string.h>

#include "exec/node.h"

extern const sl_node_type sl_read_file_type;
extern const sl_node_type sl_write_file_type;
extern const sl_node_type sl_read_dynamodb_type;
extern const sl_node_type sl_read_catalog_type;
extern const sl_node_type sl_write_dynamodb_type;
extern const sl_node_type sl_write_opensearch_type;
extern const sl_node_type sl_search_index_type;
extern const sl_node_type sl_select_fields_type;
extern const sl_node_type sl_drop_fields_type;
extern const sl_node_type sl_rename_field_type;
extern const sl_node_type sl_apply_mapping_type;
extern const sl_node_type sl_filter_type;
extern const sl_node_type sl_derive_type;
extern const sl_node_type sl_map_type, sl_flat_map_type, sl_filter_fn_type;
extern const sl_node_type sl_sort_type;
extern const sl_node_type sl_coalesce_type;
extern const sl_node_type sl_join_type;
extern const sl_node_type sl_sql_type;
extern const sl_node_type sl_aggregate_type, sl_limit_type, sl_dedupe_type, sl_union_type, sl_drop_null_fields_type, sl_fill_missing_type, sl_spigot_type, sl_resolve_choice_type, sl_unbox_type, sl_flatten_type, sl_unnest_type;
extern const sl_node_type sl_split_rows_type, sl_split_fields_type, sl_relationalize_type, sl_repartition_type;

static const sl_node_type *const node_types[] = {
    /* sources */
    &sl_read_file_type,
    &sl_read_dynamodb_type,
    &sl_read_catalog_type,
    /* transforms */
    &sl_apply_mapping_type,
    &sl_select_fields_type,
    &sl_drop_fields_type,
    &sl_rename_field_type,
    &sl_filter_type,
    &sl_derive_type,
    &sl_map_type, &sl_flat_map_type, &sl_filter_fn_type,
    &sl_sort_type,
    &sl_coalesce_type,
    &sl_join_type,
    &sl_sql_type,
    &sl_aggregate_type, &sl_limit_type, &sl_dedupe_type, &sl_union_type, &sl_drop_null_fields_type, &sl_fill_missing_type, &sl_spigot_type, &sl_resolve_choice_type, &sl_unbox_type, &sl_flatten_type, &sl_unnest_type,
    &sl_split_rows_type, &sl_split_fields_type, &sl_relationalize_type, &sl_repartition_type,
    /* targets */
    &sl_write_file_type,
    &sl_write_dynamodb_type,
    &sl_write_opensearch_type,
    &sl_search_index_type,
};

const sl_node_type *sl_node_type_find(const char *name) {
    for (size_t i = 0; i < sizeof node_types / sizeof node_types[0]; i++)
        if (!strcmp(node_types[i]->name, name)) return node_types[i];
    return NULL;
}

const sl_node_type *const *sl_node_types(size_t *count) {
    *count = sizeof node_types / sizeof node_types[0];
    return node_types;
}

const char *sl_node_kind_name(sl_node_kind kind) {
    switch (kind) {
    case SL_NODE_SOURCE: return "source";
    case SL_NODE_TRANSFORM: return "transform";
    case SL_NODE_TARGET: return "target";
    }
    return "node";
}
