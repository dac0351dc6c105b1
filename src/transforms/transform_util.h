/*
 * transform_util.h — pieces shared by the simple record transforms: the
 * per-worker state they all use and parsing of field-path lists.
 */
#ifndef SL_TRANSFORM_UTIL_H
#define SL_TRANSFORM_UTIL_H

#include "core/fieldpath.h"
#include "exec/node.h"
#include "exec/run.h"

/* Per-worker state of a stateless transform: the node and the run. */
typedef struct sl_tstate {
    sl_node *node;
    sl_run *run;
} sl_tstate;

int sl_tstate_init(sl_node *node, sl_run *run, void **state, sl_error *err);
void sl_tstate_fini(void *state);

/* A node's compiled field paths (kept in node->data). */
typedef struct sl_pathlist {
    sl_fieldpath *paths;
    size_t n;
} sl_pathlist;

/* Parse the LIST option `opt` of node into a new pathlist; errors carry the
 * option's line/column. */
int sl_pathlist_from_option(sl_node *node, const char *opt, sl_pathlist **out, sl_error *err);
void sl_pathlist_free(sl_pathlist *l);

/* Text of a scalar option-tree value (STRING), NULL otherwise. */
const char *sl_tree_text(const sl_value *v);

/* Locate err at an option of node (line/column of where it was written). */
void sl_error_at_option(sl_error *err, const sl_node *node, const char *opt);

#endif
