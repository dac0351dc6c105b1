/*
 * gluetype.h — Glue Data Catalog column types (Hive's type syntax) as a
 * tree: text form and parser, the widening rules crawlers apply when they
 * merge what they saw, conversion from sluice schemas and from sampled
 * values, and Glue's sanitizing of names derived from paths and headers.
 *
 *   bigint   int   smallint   tinyint   double   float   decimal(10,2)
 *   string   char(3)   varchar(40)   boolean   binary   date   timestamp
 *   array<string>   map<string,bigint>   struct<id:bigint,tags:array<string>>
 *
 * The catalog has no choice type and no nullability: where sluice's schema
 * holds a choice, the crawler widens it (the rules are sl_gtype_merge's,
 * listed in docs/crawlers.md). A position where only nulls were seen is
 * SL_G_UNKNOWN, which prints as "string" (what Glue writes for it) and
 * gives way to whatever a later sample shows.
 *
 * Memory: a type tree is malloc'd, owned by whoever holds the root and
 * freed with sl_gtype_free. Struct field names are NUL-terminated copies
 * kept exactly as seen (case included); sanitizing applies to table and
 * column names only (sl_glue_name), and sl_gtype_format replaces the few
 * bytes the type syntax cannot carry inside nested names. Not thread-safe:
 * one tree belongs to one thread at a time.
 */
#ifndef SL_GLUETYPE_H
#define SL_GLUETYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/schema.h"
#include "core/value.h"

typedef enum sl_gkind {
    SL_G_UNKNOWN = 0, /* only nulls seen (prints "string") */
    SL_G_BOOLEAN,
    SL_G_TINYINT,
    SL_G_SMALLINT,
    SL_G_INT,
    SL_G_BIGINT,
    SL_G_FLOAT,
    SL_G_DOUBLE,
    SL_G_DECIMAL,
    SL_G_STRING,
    SL_G_CHAR,
    SL_G_VARCHAR,
    SL_G_BINARY,
    SL_G_DATE,
    SL_G_TIMESTAMP,
    SL_G_ARRAY,
    SL_G_MAP,
    SL_G_STRUCT
} sl_gkind;

typedef struct sl_gtype sl_gtype;

typedef struct sl_gfield {
    char *name; /* NUL-terminated, owned */
    uint32_t name_len;
    sl_gtype *type; /* owned, never NULL */
} sl_gfield;

struct sl_gtype {
    sl_gkind kind;
    int precision;     /* DECIMAL: 1..38; CHAR/VARCHAR: the length */
    int scale;         /* DECIMAL: 0..precision */
    sl_gtype *key;     /* MAP: the key (a primitive type) */
    sl_gtype *element; /* ARRAY: the element; MAP: the value. NULL = unknown */
    sl_gfield *fields; /* STRUCT: in order (first seen first) */
    size_t n_fields, cap_fields;
};

/* Hive's limits. */
#define SL_GTYPE_MAX_PRECISION 38
#define SL_GTYPE_MAX_DEPTH 100 /* nesting the parser accepts */

/* ---- building ---- */

/* Empty node: scalars as given (DECIMAL defaults to decimal(10,0), CHAR and
 * VARCHAR to length 1 until set), ARRAY/MAP with unknown parts, STRUCT
 * with no fields. Never NULL. */
sl_gtype *sl_gtype_new(sl_gkind kind);
sl_gtype *sl_gtype_decimal(int precision, int scale); /* clamped into Hive's range */
void sl_gtype_free(sl_gtype *t);                      /* NULL is fine */
sl_gtype *sl_gtype_copy(const sl_gtype *t);           /* deep; NULL gives NULL */

/* Append a field to a STRUCT (takes ownership of type; the name is
 * copied). A field of that exact name already there gets type merged into
 * it instead (and type is freed). */
void sl_gtype_add_field(sl_gtype *st, const char *name, size_t name_len, sl_gtype *type);
/* Field by exact name; NULL when absent or st is not a STRUCT. */
const sl_gfield *sl_gtype_field(const sl_gtype *st, const char *name, size_t name_len);

/* ---- comparing and merging ---- */

/* Same tree (kinds, parameters, field names in order). NULL equals NULL
 * and a SL_G_UNKNOWN node. */
bool sl_gtype_equal(const sl_gtype *a, const sl_gtype *b);

/* Merge src into *dst in place (*dst may be NULL: it becomes a copy).
 * The crawler's widening rules:
 *   unknown + T → T;   equal kinds → the same kind (decimal: wide enough
 *   for both; char/varchar: the longer, varchar if either is);
 *   tinyint < smallint < int < bigint: the wider;   float + double → double;
 *   an integer + float/double → double;   an integer + decimal → a decimal
 *   that holds the integer's digits too;   decimal + float/double → double;
 *   date + timestamp → timestamp;   string/char/varchar mixed → string;
 *   array + array → array of the merged elements;   map + map → merged
 *   keys and values;   struct + struct → the union of the fields (new
 *   fields appended, same names merged);
 *   anything else (boolean + bigint, struct + string, …) → string. */
void sl_gtype_merge_into(sl_gtype **dst, const sl_gtype *src);

/* ---- text (Glue's type strings) ---- */

/* Append the type text to out: lower-case names, no spaces, "string" for
 * unknown parts, "decimal(p,s)". Inside struct<…>, name bytes the syntax
 * cannot hold (':', ',', '<', '>', '`', spaces, control bytes) are written
 * as '_', an empty name as "_", and a name that then repeats an earlier
 * one of the same struct gets "_1", "_2", … appended, so the text always
 * parses back; a STRUCT with no fields nested inside another type prints
 * as "string" (Hive cannot declare an empty struct). Returns 0 or
 * SL_ELIMIT (out's limit). */
int sl_gtype_format(const sl_gtype *t, sl_buf *out);
/* The same as a malloc'd NUL-terminated string. */
char *sl_gtype_string(const sl_gtype *t);

/* Parse a Glue/Hive type string (case-insensitive type names, spaces
 * allowed around tokens). Accepts every kind above plus the aliases
 * "integer" (int), "decimal" and "decimal(p)" (scale 0; plain "decimal" is
 * Hive's decimal(10,0)) and "double precision". Map keys must be primitive,
 * struct field names non-empty and unique. On success *out is a new tree.
 * Errors: SL_EPARSE with a message naming the byte offset and what was
 * expected ("type 'struct<a:int': at byte 12: expected ',' or '>'"), an
 * unknown or unsupported type name ("uniontype"), an out-of-range decimal
 * precision/scale or char length, nesting deeper than SL_GTYPE_MAX_DEPTH. */
int sl_gtype_parse(const char *text, size_t len, sl_gtype **out, sl_error *err);

/* ---- from and to sluice schemas ---- */

/* The catalog type of a sluice schema node (core/schema.h): null-only →
 * unknown; boolean, long → bigint, double, decimal → decimal(p,s) as wide
 * as the values seen, string, binary, date, timestamp; arrays and structs
 * recursively; a choice → its alternatives merged by sl_gtype_merge_into
 * (long|double → double, date|timestamp → timestamp, anything else with a
 * string or mixed kinds → string). s NULL gives NULL. */
sl_gtype *sl_gtype_from_schema(const sl_schema *s);

/* A sluice schema for a catalog type (reading a catalog table):
 * tinyint..bigint → long; float, double → double; decimal → decimal;
 * string, char, varchar → string; boolean, binary, date, timestamp as
 * they are; arrays and structs recursively; a map → a struct with no
 * fields (sluice reads maps as structs keyed by the map's keys); unknown →
 * the null kind. Struct fields are nullable (the catalog does not say). */
sl_schema *sl_gtype_to_schema(const sl_gtype *t);

/* ---- from sampled values ---- */

enum {
    /* Integers that fit in 32 bits are "int", wider ones "bigint" (Glue's
     * JSON classifier). Without it every integer is "bigint" (CSV,
     * DynamoDB). */
    SL_GOBS_INT32 = 1,
    /* Decimal texts (numbers the readers kept as text: beyond the long
     * range, or overflowing a double) are "double" (CSV, DynamoDB).
     * Without it an integral or fixed-point text is decimal(p,s) when it
     * fits 38 digits, otherwise double. */
    SL_GOBS_DECIMAL_AS_DOUBLE = 2
};

/* Merge the type of one value (a record or any value) into *t in place
 * (*t may be NULL). Nulls only make a position known to exist. A record of
 * a shape already seen allocates nothing. flags: SL_GOBS_*. */
void sl_gtype_observe(sl_gtype **t, const sl_value *v, unsigned flags);

/* ---- names ---- */

/* Glue's sanitizing of names a crawler derives from paths and headers
 * (tables, top-level columns, partition keys): ASCII letters are
 * lower-cased, [a-z0-9_] kept, and every other character — one UTF-8
 * sequence, or one byte that is not valid UTF-8 — becomes '_'
 * ("Sales-2024.csv" → "sales_2024_csv", "year=2017" → "year_2017",
 * "Größe" → "gr__e"). The result is cut to max_len bytes (0: no limit).
 * Appended to out; returns 0 or SL_ELIMIT. */
int sl_glue_name(const char *in, size_t len, size_t max_len, sl_buf *out);

/* Glue's limits on derived names. */
#define SL_GLUE_TABLE_NAME_MAX 128  /* crawlers cut generated table names here */
#define SL_GLUE_COLUMN_NAME_MAX 255 /* the catalog's limit on a column name */

#endif
