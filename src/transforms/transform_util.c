/* transform_util.c — see transform_util.h. */
#include "transforms/transform_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/mem.h"

int sl_tstate_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    sl_tstate *s = sl_xmalloc(sizeof *s);
    s->node = node;
    s->run = run;
    *state = s;
    return SL_OK;
}

void sl_tstate_fini(void *state) { free(state); }

const char *sl_tree_text(const sl_value *v) { return v && v->type == SL_T_STRING ? v->u.s : NULL; }

void sl_error_at_option(sl_error *err, const sl_node *node, const char *opt) {
    const sl_optval *o = sl_node_opt(node, opt);
    int line = o->set ? o->line : node->line, col = o->set ? o->column : node->column;
    sl_error_at(err, node->job_file, line, col);
    sl_error_node(err, node->name);
}

int sl_transform_compile_expr(sl_node *node, int line, int column, const char *text, sl_expr **out, sl_error *err) {
    int rc = sl_expr_compile(text, out, err);
    if (!rc) return SL_OK;
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "%s", err->message);
    int at = err->column;
    sl_error_set(err, rc, "in expression '%.200s': %.250s", text, msg);
    sl_error_at(err, node->job_file, line, column > 0 && at > 0 ? column + at - 1 : column);
    sl_error_node(err, node->name);
    return rc;
}

int sl_condition_check(sl_node *node, sl_error *err) {
    const sl_optval *o = sl_node_opt(node, "condition");
    sl_expr *e;
    int rc = sl_transform_compile_expr(node, o->line, o->column, o->text, &e, err);
    if (!rc) node->data = e;
    return rc;
}

void sl_condition_release(sl_node *node) {
    sl_expr_free(node->data);
    node->data = NULL;
}

void sl_pathlist_free(sl_pathlist *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) sl_fieldpath_free(&l->paths[i]);
    free(l->paths);
    free(l);
}

int sl_pathlist_from_option(sl_node *node, const char *opt, sl_pathlist **out, sl_error *err) {
    const sl_optval *o = sl_node_opt(node, opt);
    sl_pathlist *l = sl_xcalloc(1, sizeof *l);
    const sl_value *tree = &o->tree;
    size_t n = tree->type == SL_T_LIST ? tree->len : 0;
    l->paths = sl_xcalloc(n ? n : 1, sizeof *l->paths);
    for (size_t i = 0; i < n; i++) {
        const char *text = sl_tree_text(&tree->u.items[i]);
        int rc = text ? sl_fieldpath_parse(text, &l->paths[i], err)
                      : sl_error_set(err, SL_EINVAL, "option '%s' expects a list of field names", opt);
        if (rc) {
            sl_pathlist_free(l);
            sl_error_at_option(err, node, opt);
            return rc;
        }
        l->n++;
    }
    if (!l->n) {
        sl_pathlist_free(l);
        sl_error_set(err, SL_EINVAL, "option '%s' needs at least one field", opt);
        sl_error_at_option(err, node, opt);
        return SL_EINVAL;
    }
    *out = l;
    return SL_OK;
}
