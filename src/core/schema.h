/*
 * schema.h — the schema of a frame, computed from its records (Glue's
 * DynamicFrame schema).
 *
 * A schema is a tree of nodes. A node's kind is an sl_type or
 * SL_SCHEMA_CHOICE:
 *   SL_T_NULL     no value seen here except nulls (or nothing at all, e.g.
 *                 the element of arrays that were always empty)
 *   scalar types  SL_T_BOOL … SL_T_TIMESTAMP
 *   SL_T_LIST     an array; one child, the element schema
 *   SL_T_STRUCT   ordered named fields (first seen first)
 *   SL_SCHEMA_CHOICE  values of several kinds were seen here (long|string);
 *                 the alternatives are never NULL or CHOICE themselves, at
 *                 most one per kind, kept in sl_type order
 *
 * Every node carries `nullable` (a null was seen here, or — for a struct
 * field — the field was missing from some record) and `count`, the number
 * of non-null values observed at this position. Struct fields also count
 * the records they were present in (null or not). Counts are statistics
 * for crawlers; sl_schema_equal ignores them.
 *
 * Merge rules (Glue's): equal kinds merge; null merges into anything and
 * makes it nullable; a field on one side only becomes nullable; struct +
 * struct is the union of the fields (new fields appended); array + array
 * has the merged element; any other pair becomes a CHOICE holding both
 * (long + double too: Glue keeps the choice; sl_schema_widen_numeric
 * resolves it for crawlers).
 *
 * Memory: nodes are malloc'd (a schema outlives the batches it describes)
 * and owned by whoever holds the root; free with sl_schema_free. Not
 * thread-safe: give each worker its own schema and merge at the end.
 */
#ifndef SL_SCHEMA_H
#define SL_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/value.h"

typedef struct sl_schema sl_schema;

/* Node kind beyond the sl_type values. */
enum { SL_SCHEMA_CHOICE = SL_T__COUNT };

/* ---- building from records ---- */

/* Schema of one value (any type). Never NULL; free with sl_schema_free. */
sl_schema *sl_schema_of(const sl_value *v);

/* Merge one record (any value) into *s in place; *s may be NULL (it is
 * then created). A record of a shape already seen costs one walk and no
 * allocation. Fields missing from this record become nullable. */
void sl_schema_observe(sl_schema **s, const sl_value *record);

/* New schema: a merged with b (either may be NULL; both NULL gives NULL).
 * Counts add up. a and b are unchanged. */
sl_schema *sl_schema_merge(const sl_schema *a, const sl_schema *b);

sl_schema *sl_schema_copy(const sl_schema *s); /* deep copy; NULL gives NULL */
void sl_schema_free(sl_schema *s);             /* NULL is fine */

/* Same tree: kinds, nullability, field names in order, alternatives.
 * Counts are ignored. Two NULL pointers are equal. */
bool sl_schema_equal(const sl_schema *a, const sl_schema *b);

/* Resolve every choice{long,double} (anywhere in the tree) to double, the
 * way crawlers widen numbers; other alternatives stay. A choice left with
 * one alternative becomes that alternative. */
void sl_schema_widen_numeric(sl_schema *s);

/* ---- building by hand (catalog tables, explicit mappings) ---- */

/* Empty node of a kind: a scalar, SL_T_NULL, SL_T_LIST (element: an empty
 * SL_T_NULL node), SL_T_STRUCT (no fields) or SL_SCHEMA_CHOICE (no
 * alternatives). Counts start at 0, nullable at false. */
sl_schema *sl_schema_new(int kind);
void sl_schema_set_nullable(sl_schema *s, bool nullable);
/* Replace an array's element (takes ownership of element). */
void sl_schema_set_element(sl_schema *array, sl_schema *element);
/* Append a field (takes ownership of child; the name is copied). If the
 * name exists already, child is merged into that field and freed. */
void sl_schema_add_field(sl_schema *st, const char *name, size_t name_len, sl_schema *child);
/* Add an alternative to a choice (takes ownership; merged into an
 * alternative of the same kind, flattened if alt is itself a choice). */
void sl_schema_add_alternative(sl_schema *choice, sl_schema *alt);

/* ---- reading ---- */

int sl_schema_kind(const sl_schema *s); /* sl_type value or SL_SCHEMA_CHOICE */
bool sl_schema_nullable(const sl_schema *s);
uint64_t sl_schema_count(const sl_schema *s); /* non-null values seen here (root: records) */

/* Array element; NULL if s is not an array. */
const sl_schema *sl_schema_element(const sl_schema *s);

/* Struct fields (0 for other kinds); i < sl_schema_field_count(s). */
size_t sl_schema_field_count(const sl_schema *s);
const char *sl_schema_field_name(const sl_schema *s, size_t i, size_t *len); /* NUL-terminated */
const sl_schema *sl_schema_field_child(const sl_schema *s, size_t i);
bool sl_schema_field_nullable(const sl_schema *s, size_t i);
uint64_t sl_schema_field_seen(const sl_schema *s, size_t i); /* records the field was present in */
/* Field by name (NUL-terminated / exact bytes); NULL if absent or s is not a struct. */
const sl_schema *sl_schema_field(const sl_schema *s, const char *name);
const sl_schema *sl_schema_field_n(const sl_schema *s, const char *name, size_t name_len);

/* Choice alternatives (0 for other kinds). */
size_t sl_schema_choice_count(const sl_schema *s);
const sl_schema *sl_schema_choice_alt(const sl_schema *s, size_t i);
/* The alternative of a kind: for a choice, its alternative of that kind;
 * for any other node, the node itself if the kind matches; else NULL. */
const sl_schema *sl_schema_alternative(const sl_schema *s, int kind);

/* ---- output ---- */

/* Glue's DynamicFrame.printSchema() text, one line per node, each ending
 * in '\n':
 *   root
 *   |-- log_id: string
 *   |-- timestamp: choice
 *   |    |-- long
 *   |    |-- string
 *   |-- tags: array
 *   |    |-- element: string
 * A root that is not a struct prints as "root: <kind>" and its children.
 * Output that does not fit the buffer's limit is cut short. */
void sl_schema_print(const sl_schema *s, sl_buf *out);

/* Machine-readable JSON, Spark's layout plus choices:
 *   {"type":"struct","fields":[{"name":"a","type":"string","nullable":true},…]}
 *   {"type":"array","elementType":<type>,"containsNull":false}
 *   {"type":"choice","alternatives":["long","string"]}
 *   scalars and null-only nodes as a bare name: "long", "null".
 * Returns 0 or SL_ELIMIT (out's limit reached). */
int sl_schema_to_json(const sl_schema *s, sl_buf *out);

/* Glue Data Catalog (Hive) type text: "bigint", "double", "string",
 * "boolean", "array<string>", "struct<a:string,b:bigint>", "decimal(p,s)".
 * The catalog has no choice type: crawlers resolve choices first; here a
 * choice of numbers only prints as "double" and any other choice (and a
 * null-only node) as "string". */
void sl_schema_glue_type(const sl_schema *s, sl_buf *out);

#endif
