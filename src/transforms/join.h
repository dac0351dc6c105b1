/*
 * join.h — the `join` node (join.c): an equality join of two inputs as a
 * hash join that spills to disk (Grace hash join) past the memory limit;
 * and the canonical form of join keys (join_key.c).
 *
 * The node type itself is registered in exec/registry.c; this header
 * exposes what tests observe about the last run of a join node, and the
 * key form (a seam for tests and fuzzing).
 */
#ifndef SL_JOIN_H
#define SL_JOIN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/value.h"
#include "exec/node.h"

/* What the last run of a join node did (filled from node->data after
 * sl_exec_run; all zero before a run). */
typedef struct sl_join_stats {
    bool spilled;        /* the join went through partitions on disk */
    size_t spill_events; /* times a worker wrote its held records out in phase 1 */
    size_t partitions;   /* partitions joined from disk (leaves of the partitioning) */
    unsigned max_depth;  /* deepest re-partitioning of an oversized partition (0 = none) */
    size_t huge_keys;    /* partitions joined by streaming: one key too big for memory */
    size_t result_runs;  /* sorted result runs merged for output */
} sl_join_stats;

/* node must be a join node. */
void sl_join_get_stats(const sl_node *node, sl_join_stats *out);

/* ---- keys (join_key.c) ---- */

/* Scratch buffers for sl_join_key_put (decimal digits); reuse them. */
typedef struct sl_join_keybufs {
    sl_buf a, b;
} sl_join_keybufs;

/* Append the canonical form of a key value v (not null at the top level)
 * to out: the bytes the join matches on, equal exactly when the join treats
 * two values as equal (1, 1.0 and the decimal 1.00 give the same bytes; the
 * string "1" does not). Layout in join_key.c. */
void sl_join_key_put(sl_buf *out, const sl_value *v, sl_join_keybufs *kb);
/* The same with its own scratch (tests, fuzzing). */
void sl_join_key(sl_buf *out, const sl_value *v);

#endif
