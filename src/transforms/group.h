/*
 * group.h — hash grouping with spilling: the engine behind `aggregate`,
 * `dedupe` and `union` with distinct: true.
 *
 * A grouping breaker evaluates key expressions per record, finds the
 * record's group in a per-worker hash table and folds the record into the
 * group's aggregate states. When the input is complete the per-worker
 * partial states are merged and one output record per group is emitted, in
 * a deterministic order whatever the thread count: by group key, or (for
 * dedupe) by the input position of the record kept. The design, including
 * how it spills past settings.memory_limit, is described in group.c.
 *
 * Node glue: a node type whose node->data is an sl_group_node (set by its
 * check hook) uses the callbacks below as its init/process/fini/seal/plan/
 * open/next/close/free_splits. process() lets batches through untouched when
 * node->passthrough is set (union without distinct).
 */
#ifndef SL_GROUP_H
#define SL_GROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/expr.h"
#include "exec/node.h"

typedef enum sl_agg_kind {
    SL_AGG_COUNT_ALL,      /* count(*): records in the group */
    SL_AGG_COUNT,          /* count(x): non-null values */
    SL_AGG_COUNT_DISTINCT, /* distinct non-null values */
    SL_AGG_SUM,            /* long while every value is a long and no overflow, else double */
    SL_AGG_SUM_DISTINCT,
    SL_AGG_AVG,
    SL_AGG_MIN,
    SL_AGG_MAX,
    SL_AGG_FIRST, /* value of the group's first record in input order (null included) */
    SL_AGG_LAST,
    SL_AGG_VAR_SAMP,
    SL_AGG_VAR_POP,
    SL_AGG_STDDEV_SAMP,
    SL_AGG_STDDEV_POP,
    SL_AGG_SKEWNESS,
    SL_AGG_KURTOSIS
} sl_agg_kind;

typedef struct sl_agg {
    sl_agg_kind kind;
    sl_expr *arg; /* NULL: count(*), or first/last of the whole record */
    char *name;   /* output field name (NUL-terminated) */
} sl_agg;

/* What to group and compute. Every pointer is owned by the spec and freed
 * by sl_group_node_free. */
typedef struct sl_group_spec {
    sl_expr **keys;        /* group key expressions */
    char **key_names;      /* output names of the keys */
    size_t n_keys;         /* 0 (and no whole_record_key): one group for the whole input */
    bool whole_record_key; /* the record itself is the key */
    sl_agg *aggs;
    size_t n_aggs;
    /* Emit aggs[0]'s value (first/last of the whole record) instead of a
     * record of keys and aggregates, ordered by the input position of the
     * record kept (dedupe). Otherwise output is ordered by group key. */
    bool emit_record;
} sl_group_spec;

typedef struct sl_group_node sl_group_node;

/* Parse "name(arg)" — count(*), count(x), count_distinct(x) (also
 * countDistinct), sum, sum_distinct (sumDistinct), avg (mean), min, max,
 * first, last, var_samp (variance), var_pop, stddev_samp (stddev), stddev_pop,
 * skewness, kurtosis; names are case-insensitive. On success sets *kind and
 * *arg (compiled, owned by the caller; NULL for count(*)). SL_EINVAL with a
 * message otherwise. */
int sl_agg_parse(const char *text, sl_agg_kind *kind, sl_expr **arg, sl_error *err);

/* Output name of a key expression: the text after a trailing "as NAME";
 * else, for a plain field path, its last segment (Spark's groupBy("a.b")
 * gives "b"); else the expression text. Returns a malloc'd string and sets
 * *expr_len to the length of the expression part of text. */
char *sl_group_key_name(const char *text, size_t *expr_len);

/* Take ownership of spec's contents (spec itself is copied). */
sl_group_node *sl_group_node_new(const sl_group_spec *spec);
void sl_group_node_free(sl_group_node *g); /* NULL is fine */

/* Node callbacks (node->data must be the sl_group_node). */
int sl_group_init(sl_node *node, sl_run *run, void **state, sl_error *err);
int sl_group_process(void *state, sl_batch *b, sl_error *err);
void sl_group_fini(void *state);
int sl_group_seal(sl_node *node, sl_run *run, void **states, size_t n_states, sl_error *err);
int sl_group_plan(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err);
int sl_group_open(sl_node *node, sl_run *run, const sl_split *split, void **reader, sl_error *err);
int sl_group_next(void *reader, sl_batch *b, sl_error *err);
void sl_group_close(void *reader);
void sl_group_free_splits(sl_split *splits, size_t n);

/* Test hook: the number of spill files' worth of partial state the last
 * seal of g read back (0 when everything fit in memory). */
size_t sl_group_spilled_runs(const sl_group_node *g);

#endif
