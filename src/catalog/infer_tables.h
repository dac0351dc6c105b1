/*
 * infer_tables.h — from the classified objects under one crawl target to
 * the tables a crawler proposes: exclusion patterns (Glue's glob syntax),
 * Hive-style `key=value/` and unnamed (`partition_0`, …) partition
 * folders, and the grouping of folders into tables (Glue's "majority of
 * schemas at a folder level are similar" rule with a documented
 * threshold). Pure functions over keys and classification results: no I/O,
 * no catalog. The crawler maps the output into catalog tables.
 *
 * The rules, with examples, are in docs/crawlers.md ("Tables and
 * partitions"). In short:
 *   - skipped: keys matching an exclusion pattern; keys with a segment
 *     starting with '_' or '.' (_SUCCESS, _temporary/, .hidden, as Hive
 *     and Spark skip them); folder markers (a key ending in '/' or
 *     "_$folder$"); objects whose classification is UNKNOWN or ORC, or
 *     that were not classified;
 *   - a folder is the root of ONE table when every object below it sits at
 *     the same depth, all share the classification, compression and CSV
 *     dialect, and a strict majority of its sub-folders (or, for a folder
 *     of files, of its files) "fit": their own content forms a table and
 *     their schema is similar to at least half of their siblings'.
 *     Similarity of two schemas = top-level column names in common /
 *     columns of the smaller schema (names compared after sanitizing);
 *     similar when ≥ SL_INFER_SIMILARITY (0.7);
 *   - otherwise the folder's own files become a table named after it (or
 *     one table per file when they do not fit together, named after the
 *     file) and each sub-folder is decided the same way.
 *
 * Ownership: the result owns everything in it (malloc'd strings);
 * sl_infer_result_free releases it. Inputs are only read.
 */
#ifndef SL_INFER_TABLES_H
#define SL_INFER_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/classify.h"
#include "catalog/gluetype.h"
#include "core/buf.h"
#include "core/error.h"

/* Share of the smaller schema's columns two schemas must have in common to
 * be similar. */
#define SL_INFER_SIMILARITY 0.7

/* One object found under the crawl target. */
typedef struct sl_infer_object {
    const char *key;               /* path relative to the target, '/'-separated ("year=2024/a.json") */
    uint64_t size;                 /* stored bytes */
    const sl_classify_result *cls; /* its classification (borrowed); NULL = not classified */
} sl_infer_object;

typedef struct sl_infer_opts {
    double similarity; /* SL_INFER_SIMILARITY */
    /* Glue's TableGroupingPolicy "CombineCompatibleSchemas": ignore schema
     * similarity (format, compression and layout still decide). */
    bool combine_compatible;
    const char *table_prefix;   /* Glue's TablePrefix, sanitized like the names; NULL = none */
    const char *const *exclude; /* glob patterns (sl_glob_compile syntax) */
    size_t n_exclude;
} sl_infer_opts;

void sl_infer_opts_default(sl_infer_opts *o);

typedef struct sl_infer_column {
    char *name;        /* sanitized (sl_glue_name), unique within the table */
    char *source_name; /* the name in the data */
    char *type;        /* Glue type string */
} sl_infer_column;

typedef struct sl_infer_columns {
    sl_infer_column *items;
    size_t count;
} sl_infer_columns;

typedef struct sl_infer_partition {
    char **values; /* one per partition key (Hive values unescaped) */
    size_t n_values;
    char *location;           /* relative to the target, ending in '/' */
    sl_infer_columns columns; /* this partition's own schema (table column names) */
    uint64_t objects, bytes, records;
} sl_infer_partition;

typedef struct sl_infer_table {
    char *name; /* sanitized, prefixed, unique within the result */
    /* Relative to the target: "" (the target itself), "sales/" (a folder)
     * or "misc/a.csv" (a table of one object). */
    char *location;
    sl_classification classification;
    sl_codec compression;
    char delimiter, quote;      /* CSV */
    bool header, quoted;        /* CSV */
    sl_json_layout json_layout; /* JSON: the widest layout of its objects (ndjson < document < array) */
    sl_infer_columns columns;   /* the merged schema of every object; partition keys excluded */
    char **partition_keys;      /* names; their type is always "string" */
    size_t n_partition_keys;
    sl_infer_partition *partitions; /* by location */
    size_t n_partitions;
    uint64_t objects, bytes;
    uint64_t records;         /* sum of the objects' record counts (estimated where sampled) */
    uint64_t avg_record_size; /* bytes per record over the samples, 0 = unknown */
} sl_infer_table;

typedef struct sl_infer_skipped {
    char *key;
    char *reason;
} sl_infer_skipped;

typedef struct sl_infer_result {
    sl_infer_table *tables; /* by location */
    size_t n_tables;
    sl_infer_skipped *skipped; /* in key order */
    size_t n_skipped;
} sl_infer_result;

/* Group objs[0..n) into tables. target_name names a table rooted at the
 * target itself (Glue uses the include path's last folder, or the bucket);
 * NULL or "" gives "table". out is overwritten (not freed first).
 * Errors: SL_EINVAL for a malformed exclusion pattern (message names it). */
int sl_infer_tables(const char *target_name, const sl_infer_object *objs, size_t n, const sl_infer_opts *o,
                    sl_infer_result *out, sl_error *err);
void sl_infer_result_free(sl_infer_result *r);

/* ---- building blocks ---- */

/* Glue's exclusion globs, matched against a key relative to the target (a
 * leading '/' on either is ignored):
 *   *      any characters of one path segment (never '/')
 *   **     any characters, across segments
 *   ?      one character of a segment
 *   [abe-g] [!a-c]  one character of a segment from / not from a set;
 *          inside brackets *, ? and \ are literal; '-' is literal first
 *   {a,b}  either sub-pattern (no nesting)
 *   \x     x literally
 * A leading '.' is an ordinary character ("*" matches ".hidden"). */
typedef struct sl_glob {
    char **alternatives; /* the pattern with its braces expanded (at most 1024) */
    size_t n;
} sl_glob;

/* Compile pattern. SL_EINVAL naming the pattern for an unclosed '[' or
 * '{', nested braces, or more than 1024 brace expansions. */
int sl_glob_compile(const char *pattern, sl_glob *g, sl_error *err);
bool sl_glob_matches(const sl_glob *g, const char *path);
void sl_glob_free(sl_glob *g);
/* Compile, match, free: a malformed pattern matches nothing. */
bool sl_glob_match(const char *pattern, const char *path);

/* A Hive partition folder name "key=value": true and key/value appended
 * (both %XX-unescaped, as Hive escapes them) when name has a non-empty key
 * before its first '='. */
bool sl_hive_partition_dir(const char *name, size_t len, sl_buf *key, sl_buf *value);
/* %XX (two hex digits) → that byte; anything else as it is. */
void sl_hive_unescape(const char *s, size_t len, sl_buf *out);

/* Top-level column names in common / columns of the smaller schema (names
 * sanitized first; 1.0 when either has none). a and b are STRUCTs or
 * NULL. */
double sl_infer_similarity(const sl_gtype *a, const sl_gtype *b);

#endif
