/*
 * sort.h — the `sort` and `coalesce` node types live in sort.c and are
 * reached through the registry; this header only lets tests ask a node what
 * its last run did.
 */
#ifndef SL_SORT_H
#define SL_SORT_H

#include <stddef.h>

#include "exec/node.h"

/* Sorted runs a sort/coalesce node wrote to its spill files during the last
 * run of its job (0: everything fitted in memory_limit). */
size_t sl_sort_spilled_runs(const sl_node *node);

#endif
