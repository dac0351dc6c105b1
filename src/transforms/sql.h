/*
 * sql.h — the `sql` transform (sql.c): one SQLite query over the node's
 * input frames, each exposed to SQLite as a virtual table that serves rows
 * straight from the records the node holds (no copy into SQLite tables).
 *
 * The node type itself is registered in exec/registry.c
 * (sl_sql_type); this header carries what tests may ask of a node after a
 * run.
 */
#ifndef SL_SQL_H
#define SL_SQL_H

#include <stdint.h>

#include "exec/node.h"

/* Records an `sql` node wrote to its spill files in its last run (0 when
 * every input fitted in settings.memory_limit). node->type must be sql. */
uint64_t sl_sql_spilled_records(const sl_node *node);

#endif
