/*
 * catalog_update.h — file targets keeping the data catalog up to date, as
 * Glue's sinks do with enableUpdateCatalog: after a successful commit the
 * table is created when missing, its schema updated (or only logged), and
 * the partitions the run wrote are added.
 *
 * Use from a target:
 *   check:   sl_catalog_sink_new()  — NULL when the node has no
 *            catalog_database option (nothing to do)
 *   workers: sl_catalog_sink_observe() for each record written, into a
 *            per-writer type (sl_gtype *, starts NULL), then
 *            sl_catalog_sink_merge() when the writer closes, with every
 *            partition path ("k1=v1/k2=v2") it wrote;
 *   commit:  sl_catalog_sink_commit() after the files are published.
 * The catalog is written in one transaction: a failure changes nothing in
 * the catalog (and fails the run, whose files are already in place; a
 * later run repeats the update).
 */
#ifndef SL_CATALOG_UPDATE_H
#define SL_CATALOG_UPDATE_H

#include "catalog/gluetype.h"
#include "core/error.h"
#include "core/value.h"
#include "exec/node.h"

/* The options every catalog-updating target adds to its table. */
#define CATALOG_SINK_OPTIONS                                                                                       \
    {"catalog_database", SL_OPT_STRING, NULL,                                                                      \
     "Update this catalog database after a successful run (Glue's enableUpdateCatalog): the table is created "     \
     "when missing, the partitions written are added. Created if missing.",                                      \
     NULL, 0},                                                                                                     \
        {"catalog_table", SL_OPT_STRING, NULL,                                                                     \
         "Catalog table to create or update (default: the last folder of path, sanitized as Glue does).", NULL,   \
         0},                                                                                                       \
        {"catalog_update_behavior", SL_OPT_ENUM, "UPDATE_IN_DATABASE",                                             \
         "When the data written has columns the table lacks or other types: UPDATE_IN_DATABASE updates the "     \
         "table (keeping the old definition as a version); LOG leaves the schema and only adds partitions.",     \
         "UPDATE_IN_DATABASE|LOG", 0},                                                                             \
    {                                                                                                              \
        "catalog", SL_OPT_PATH, NULL,                                                                              \
            "Catalog file for catalog_database (default: SLUICE_CATALOG, then ./data/catalog.db).", NULL, 0        \
    }

typedef struct sl_catalog_sink sl_catalog_sink;

/* From the node's CATALOG_SINK_OPTIONS; *out = NULL when catalog_database
 * is unset. Errors: a name the catalog would refuse. */
int sl_catalog_sink_new(sl_node *node, sl_catalog_sink **out, sl_error *err);
void sl_catalog_sink_free(sl_catalog_sink *s); /* NULL is fine */

/* Merge one written record's type into *t (per writer, no locking). */
void sl_catalog_sink_observe(sl_gtype **t, const sl_value *rec);
/* Fold a writer's type and the partition paths it wrote into the sink
 * (thread-safe). Takes ownership of t. */
void sl_catalog_sink_merge(sl_catalog_sink *s, sl_gtype *t, const char *const *partition_paths, size_t n);

/* After the target published its files: create/update the table at
 * location (the target's path) and add the partitions. format is the
 * target's format name (json, csv, parquet, avro), compression its codec
 * name or "none", pkeys the partition keys in path order. */
int sl_catalog_sink_commit(sl_catalog_sink *s, const char *location, const char *format, const char *compression,
                           char delimiter, bool header, const char *const *pkeys, size_t n_pkeys, sl_error *err);

#endif
