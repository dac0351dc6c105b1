/*
 * expr_int.h — internals shared by the expression modules and nobody else:
 * the compiled tree (expr_parse.c builds it), the evaluator (expr_eval.c),
 * the function table (expr_func.c) and the value conversions, dates,
 * decimals and UTF-8 helpers (expr_cast.c).
 */
#ifndef SL_EXPR_INT_H
#define SL_EXPR_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/expr.h"
#include "core/value.h"

/* Largest string (or split list) an expression may build: a computed value
 * beyond this is a runtime error, so neither a constant nor a record can
 * make one evaluation claim unbounded memory. */
#define EXPR_MAX_RESULT ((size_t)256 << 20)

/* ---- the compiled tree ---- */

typedef enum expr_kind {
    EXPR_LIT,  /* lit */
    EXPR_PATH, /* segs; kids[0] is the base when n == 1, else the record */
    EXPR_NEG,  /* -kids[0] */
    EXPR_NOT,  /* not kids[0] */
    EXPR_ADD,  /* binary operators: kids[0] op kids[1] */
    EXPR_SUB,
    EXPR_MUL,
    EXPR_DIV,
    EXPR_IDIV, /* div: integer division */
    EXPR_MOD,
    EXPR_CONCAT, /* || */
    EXPR_EQ,
    EXPR_NE,
    EXPR_LT,
    EXPR_LE,
    EXPR_GT,
    EXPR_GE,
    EXPR_AND,
    EXPR_OR,
    EXPR_IS_NULL,  /* negate: is not null */
    EXPR_IN,       /* kids[0] in (kids[1..n-1]); negate: not in */
    EXPR_BETWEEN,  /* kids[0] between kids[1] and kids[2]; negate */
    EXPR_LIKE,     /* kids[0] like kids[1]; negate; flag: ilike; escape */
    EXPR_CASE,     /* flag bit 1: kids[0] is the operand; then when/then pairs; bit 2: last kid is else */
    EXPR_COALESCE, /* first non-null of kids */
    EXPR_CAST,     /* cast(kids[0] as cast_to); flag: try_cast (failure gives null) */
    EXPR_CALL      /* fn(kids...) */
} expr_kind;

enum { EXPR_CASE_OPERAND = 1, EXPR_CASE_ELSE = 2 };

/* One step of a field path: a field name or a list index. */
typedef struct expr_seg {
    const char *name; /* NULL for an index step */
    uint32_t name_len;
    /* Where the field was in the last record looked at: records of one
     * source share their shape, so this usually saves the scan. A cache
     * shared by threads (relaxed atomics; a stale value only costs a scan). */
    uint32_t hint;
    int64_t index; /* 0-based list index when name == NULL */
} expr_seg;

typedef struct expr_node expr_node;
typedef struct expr_eval_ctx expr_eval_ctx;

/* A built-in function. Arguments arrive evaluated; with EXPR_FN_STRICT a
 * null argument gives null without calling fn. fn returns 0 or SL_ETYPE
 * (message in ctx->err, without the location: the caller adds it). */
typedef int (*expr_fn)(expr_eval_ctx *ctx, const sl_value *args, uint32_t nargs, sl_value *out);

enum { EXPR_FN_STRICT = 1 };

typedef struct expr_func {
    const char *name;
    int min_args, max_args; /* max_args -1: any number */
    unsigned flags;
    expr_fn fn; /* NULL: handled by the parser (coalesce) */
} expr_func;

struct expr_node {
    uint8_t kind;    /* expr_kind */
    uint8_t negate;  /* not in / not between / not like / is not null */
    uint8_t flag;    /* kind-specific, see expr_kind */
    uint8_t cast_to; /* EXPR_CAST: sl_type */
    uint32_t n;      /* number of kids */
    uint32_t pos;    /* byte offsets of the node's text in the source */
    uint32_t end;
    uint32_t depth;  /* 1 + depth of the deepest kid */
    uint32_t escape; /* EXPR_LIKE: escape code point */
    uint32_t nsegs;  /* EXPR_PATH */
    expr_node **kids;
    expr_seg *segs;
    const expr_func *fn; /* EXPR_CALL */
    sl_value lit;        /* EXPR_LIT */
};

struct sl_expr {
    sl_arena mem; /* every node, string and path of the expression */
    char *text;   /* NUL-terminated copy of the source */
    expr_node *root;
    const char **paths;
    size_t npaths;
};

struct expr_eval_ctx {
    const sl_expr *expr;
    const sl_value *record;
    sl_arena *arena;
    sl_error *err;
};

/* ---- expr_eval.c ---- */

/* Evaluate node n. Returns 0, or SL_ETYPE with err->message naming the
 * reason and the failing part of the expression. */
int sl_expr_eval_node(const expr_node *n, expr_eval_ctx *ctx, sl_value *out);

/* Compare two non-null values for the comparison operators. Returns 1 and
 * sets *cmp (<0, 0, >0) when they are comparable, 0 when they are not
 * (the comparison is then null). */
int sl_expr_compare(const sl_value *x, const sl_value *y, sl_arena *arena, int *cmp);

/* ---- expr_func.c ---- */

const expr_func *sl_expr_func_find(const char *name, size_t len);
/* Writes the function names closest to `name` (smallest edit distance, at
 * most 2; a shared start counts as 1), comma separated, into out (always
 * NUL-terminated, cut at `size`). Returns how many. */
int sl_expr_func_suggest(const char *name, size_t len, char *out, size_t size);

/* ---- expr_cast.c: conversions ---- */

/* Convert v to type `to`: sl_value_cast (core/convert.c, documented in
 * docs/types.md). Results point into v or into arena. Returns 0 or SL_ETYPE
 * with the reason in err->message. */
int sl_expr_cast(sl_arena *arena, const sl_value *v, sl_type to, sl_value *out, sl_error *err);

/* Text form of non-null v as a STRING value (never fails): a string as is
 * (not copied), anything else as sl_value_to_text writes it. */
sl_value sl_expr_text_of(sl_arena *arena, const sl_value *v);

/* Strict number syntax (surrounding ASCII whitespace allowed): an integer
 * gives INT (DECIMAL when it exceeds int64), anything else with a '.' or an
 * exponent gives DOUBLE; NaN/Infinity words give DOUBLE. Returns 0 or -1. */
int sl_expr_parse_number(const char *s, size_t len, sl_value *out);
/* true/false, t/f, yes/no, y/n, 1/0 (case-insensitive, trimmed). 0 or -1. */
int sl_expr_parse_bool(const char *s, size_t len, bool *out);
/* ISO 8601 (sl_parse_date / sl_parse_timestamp, surrounding whitespace
 * allowed); a date alone reads as a timestamp at midnight UTC, and a
 * timestamp reads as a date by its UTC day. 0 or -1. */
int sl_expr_parse_date(const char *s, size_t len, int64_t *days);
int sl_expr_parse_timestamp(const char *s, size_t len, int64_t *micros);

/* Short description of a value for messages: "string 'abc'", "long 5"
 * (arena: scratch space for date and timestamp text). */
void sl_expr_describe(sl_arena *arena, const sl_value *v, char *out, size_t size);

/* ---- expr_cast.c: decimals ---- */

/* A decimal number's text taken apart: value = 0.D × 10^exp10 where D are
 * the significant digits (leading zeros skipped). */
typedef struct expr_dec {
    bool neg;
    const char *int_digits, *frac_digits;
    size_t int_len, frac_len;
    size_t lead;    /* leading zeros skipped in int_digits ++ frac_digits */
    size_t ndigits; /* significant digits (0 for zero) */
    int64_t exp10;
} expr_dec;

/* Parse decimal text ([+-]digits[.digits][e[+-]digits], surrounding
 * whitespace allowed). Returns 0 or -1. */
int sl_expr_dec_parse(const char *s, size_t len, expr_dec *d);
/* i-th significant digit ('0' past the end). */
char sl_expr_dec_digit(const expr_dec *d, size_t i);
int sl_expr_dec_compare(const expr_dec *x, const expr_dec *y);
double sl_expr_dec_to_double(const expr_dec *d);
/* Truncate toward zero into int64; returns 0 or -1 (out of range). */
int sl_expr_dec_to_int(const expr_dec *d, int64_t *out);

enum { EXPR_ROUND_HALF_UP, EXPR_ROUND_FLOOR, EXPR_ROUND_CEIL };
/* Round d to `digits` places after the point (negative: before it) with the
 * given mode. Writes the result as decimal text into arena; returns its
 * length via *len. */
const char *sl_expr_dec_round(sl_arena *arena, const expr_dec *d, int64_t digits, int mode, size_t *len);

/* ---- expr_cast.c: UTF-8 ---- */

/* Decode one code point at s[0..len) (len > 0). Invalid bytes decode as a
 * one-byte code point 0xDC00 + byte (kept distinct from any valid one).
 * Returns the number of bytes used. */
size_t sl_expr_utf8_next(const char *s, size_t len, uint32_t *cp);
size_t sl_expr_utf8_count(const char *s, size_t len);
uint32_t sl_expr_lower_cp(uint32_t cp);
uint32_t sl_expr_upper_cp(uint32_t cp);
/* Encode cp (as decoded by utf8_next) into out (4 bytes); returns length. */
size_t sl_expr_utf8_put(uint32_t cp, char *out);

#endif
