/*
 * transform_util.h — pieces shared by the simple record transforms: the
 * per-worker state they all use and parsing of field-path lists.
 */
#ifndef SL_TRANSFORM_UTIL_H
#define SL_TRANSFORM_UTIL_H

#include "core/expr.h"
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

/* Compile the expression text of an option of node written at line/column.
 * A compile error says "in expression '…'", names the node and points at
 * the column inside the expression when the value sits on one line
 * (column > 0). *out is the caller's (sl_expr_free). */
int sl_transform_compile_expr(sl_node *node, int line, int column, const char *text, sl_expr **out, sl_error *err);

/* check and release of nodes with an expression option "condition"
 * (filter, split_rows): the compiled expression is node->data. */
int sl_condition_check(sl_node *node, sl_error *err);
void sl_condition_release(sl_node *node);

#define SL_CONDITION_REJECTED 2

/* The truth of condition e on record i of b: 1 true, 0 false or null, or
 * SL_CONDITION_REJECTED when it could not be evaluated and the record went
 * to the error output (the caller drops it); negative (err set) when the
 * run must stop. e_err is scratch, cleared before the first call. Inline:
 * it runs once per record. */
static inline int sl_condition_eval(const sl_tstate *s, const sl_expr *e, sl_batch *b, size_t i, sl_error *e_err,
                                    sl_error *err) {
    int truth = 0;
    if (sl_expr_eval_bool(e, &b->records[i], &b->arena, &truth, e_err) == 0) return truth == 1;
    int rc = sl_run_reject(s->run, s->node, b, i, e_err->message, err);
    if (rc) return rc;
    sl_error_clear(e_err);
    return SL_CONDITION_REJECTED;
}

#endif
