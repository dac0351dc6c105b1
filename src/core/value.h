/*
 * value.h — the record model (Glue's DynamicRecord).
 *
 * A record is an SL_T_STRUCT value: an ordered array of named fields. Values
 * are 16-byte tagged unions. Everything a value points to (field arrays,
 * list items, decoded strings) lives in the batch arena (arena.h) or in the
 * input buffer the batch pins (batch.h) — values never own memory and are
 * never freed one by one. Values are immutable once built: a transform that
 * changes a record builds a new field array in the arena and shares the
 * unchanged values, so a batch can fan out to several nodes safely.
 *
 * Representation per type:
 *   NULL       —
 *   BOOL       u.b
 *   INT        u.i (int64)
 *   DOUBLE     u.d
 *   DECIMAL    u.s/len: the exact decimal text, e.g. "-12.3400" or "1e400"
 *              (digits kept as written; never rounded)
 *   STRING     u.s/len: UTF-8 bytes, not NUL-terminated
 *   BINARY     u.s/len: raw bytes
 *   DATE       u.i: days since 1970-01-01
 *   TIMESTAMP  u.i: microseconds since 1970-01-01T00:00:00Z
 *   LIST       u.items/len
 *   STRUCT     u.fields/len (order is significant and preserved)
 */
#ifndef SL_VALUE_H
#define SL_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/numfmt.h"

typedef enum sl_type {
    SL_T_NULL = 0,
    SL_T_BOOL,
    SL_T_INT,
    SL_T_DOUBLE,
    SL_T_DECIMAL,
    SL_T_STRING,
    SL_T_BINARY,
    SL_T_DATE,
    SL_T_TIMESTAMP,
    SL_T_LIST,
    SL_T_STRUCT,
    SL_T__COUNT
} sl_type;

/* Value flags. */
enum {
    /* STRING / field name: bytes contain nothing JSON must escape
     * ('"', '\\', control characters), so a JSON writer may copy them. */
    SL_VF_JSON_PLAIN = 1,
    /* STRING / field name: bytes are known to be valid UTF-8 (set by readers
     * that validated them), so writers need not check again. */
    SL_VF_UTF8 = 2
};

typedef struct sl_value sl_value;
typedef struct sl_field sl_field;

struct sl_value {
    uint8_t type;   /* sl_type */
    uint8_t flags;  /* SL_VF_* */
    uint16_t pad_;
    uint32_t len;   /* bytes (STRING/BINARY/DECIMAL), items (LIST), fields (STRUCT) */
    union {
        bool b;
        int64_t i;
        double d;
        const char *s;
        sl_value *items;
        sl_field *fields;
    } u;
};

struct sl_field {
    const char *name;    /* UTF-8, not NUL-terminated */
    uint32_t name_len;
    uint32_t name_flags; /* SL_VF_JSON_PLAIN when the name needs no escaping */
    sl_value value;
};

/* ---- constructors (no allocation unless an arena is passed) ---- */
static inline sl_value sl_null(void) { sl_value v = {0}; return v; }
static inline sl_value sl_bool(bool b) { sl_value v = {0}; v.type = SL_T_BOOL; v.u.b = b; return v; }
static inline sl_value sl_int(int64_t i) { sl_value v = {0}; v.type = SL_T_INT; v.u.i = i; return v; }
static inline sl_value sl_double(double d) { sl_value v = {0}; v.type = SL_T_DOUBLE; v.u.d = d; return v; }
static inline sl_value sl_date(int64_t days) { sl_value v = {0}; v.type = SL_T_DATE; v.u.i = days; return v; }
static inline sl_value sl_timestamp(int64_t us) { sl_value v = {0}; v.type = SL_T_TIMESTAMP; v.u.i = us; return v; }
/* String pointing at s (not copied); flags as known by the caller. */
static inline sl_value sl_string(const char *s, size_t len, unsigned flags) {
    sl_value v = {0}; v.type = SL_T_STRING; v.flags = (uint8_t)flags; v.u.s = s; v.len = (uint32_t)len; return v;
}
static inline sl_value sl_binary(const void *p, size_t len) {
    sl_value v = {0}; v.type = SL_T_BINARY; v.u.s = (const char *)p; v.len = (uint32_t)len; return v;
}
static inline sl_value sl_decimal(const char *text, size_t len) {
    sl_value v = {0}; v.type = SL_T_DECIMAL; v.u.s = text; v.len = (uint32_t)len; return v;
}
static inline sl_value sl_list(sl_value *items, size_t n) {
    sl_value v = {0}; v.type = SL_T_LIST; v.u.items = items; v.len = (uint32_t)n; return v;
}
static inline sl_value sl_struct(sl_field *fields, size_t n) {
    sl_value v = {0}; v.type = SL_T_STRUCT; v.u.fields = fields; v.len = (uint32_t)n; return v;
}

/* String copied into the arena; computes SL_VF_JSON_PLAIN. */
sl_value sl_string_copy(sl_arena *a, const char *s, size_t len);
/* Does this byte string need JSON escaping? (scans for '"', '\\', < 0x20) */
bool sl_json_plain(const char *s, size_t len);

/* Type name as Glue prints it: "null", "boolean", "long", "double",
 * "decimal", "string", "binary", "date", "timestamp", "array", "struct". */
const char *sl_type_name(sl_type t);
/* Parse a type name (Glue's and common SQL aliases: long/bigint/int/integer,
 * double/float, string/varchar, boolean/bool, …). Returns 0 and sets *out,
 * or SL_EINVAL. */
int sl_type_parse(const char *name, sl_type *out);

/* ---- struct access ---- */

/* Are the n bytes at a and b equal? Inline word compares for the short
 * names records are made of (a libc memcmp call costs more than that). */
static inline bool sl_name_eq(const char *a, const char *b, size_t n) {
    if (n >= 8 && n <= 16) {
        uint64_t x, y, x2, y2;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&x2, a + n - 8, 8);
        memcpy(&y2, b + n - 8, 8);
        return x == y && x2 == y2;
    }
    if (n < 8) {
        for (size_t i = 0; i < n; i++)
            if (a[i] != b[i]) return false;
        return true;
    }
    return memcmp(a, b, n) == 0;
}

/* Field by name (exact bytes); NULL if absent. Linear scan: records are small. */
const sl_field *sl_struct_find(const sl_value *rec, const char *name, size_t name_len);
const sl_value *sl_struct_get(const sl_value *rec, const char *name); /* NUL-terminated name */
/* Dotted path "a.b.c" or "a.list[2].b"; NULL if any step is absent. */
const sl_value *sl_value_path(const sl_value *v, const char *path, size_t path_len);

/* New struct in the arena: copy of rec with field `name` set to value
 * (replaced in place if present, else appended). rec is not modified. */
sl_value sl_struct_set(sl_arena *a, const sl_value *rec, const char *name, size_t name_len, sl_value value);

/* Deep equality (same type and content; 1 == 1.0 is false). */
bool sl_value_equal(const sl_value *x, const sl_value *y);
/* Total order for sorting: null < bool < numbers (int/double/decimal compared
 * numerically) < string < binary < date < timestamp < list < struct. */
int sl_value_compare(const sl_value *x, const sl_value *y);

/* ---- conversions (convert.c; used by casts in apply_mapping, expressions, CSV) ---- */
/* Convert v to type `to`. Strings and bytes of the result live in arena a
 * (a cast to the value's own type returns it unchanged, sharing its memory).
 * Returns 0, or SL_ETYPE with a reason in err->message ("cannot cast string
 * 'abc' to long"). NULL converts to NULL. */
struct sl_error;
int sl_value_cast(sl_arena *a, const sl_value *v, sl_type to, sl_value *out, struct sl_error *err);

/* Text form of a scalar (strings as-is, numbers shortest round-trip, dates
 * ISO 8601, timestamps ISO 8601 with 'Z'); lists/structs as JSON.
 * Result in the arena, NUL-terminated. */
sl_value sl_value_to_text(sl_arena *a, const sl_value *v);

/* Calendar helpers (proleptic Gregorian, UTC). */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);
void sl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* Parse ISO 8601 date "YYYY-MM-DD" / timestamp "YYYY-MM-DD[Tt ]HH:MM[:SS[.fffffffff]][Zz|±HH[[:]MM]]"
 * (fractions beyond microseconds are truncated; no offset means UTC).
 * Return 0 or SL_EPARSE. */
int sl_parse_date(const char *s, size_t len, int64_t *days);
int sl_parse_timestamp(const char *s, size_t len, int64_t *micros);

#endif
