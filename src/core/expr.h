/*
 * expr.h — sluice's expression language: one SQL-flavoured grammar shared by
 * `filter`, `derive`, join conditions and sort keys.
 *
 * An expression is compiled once (parsed into a tree, function names and
 * field paths resolved, constant parts folded) and then evaluated against
 * record after record. The language itself — grammar, operators, precedence,
 * null semantics, casts and every function — is described for users in
 * docs/expressions.md.
 *
 * Thread safety: a compiled sl_expr is immutable; any number of threads may
 * evaluate it at once, each with its own arena.
 */
#ifndef SL_EXPR_H
#define SL_EXPR_H

#include <stddef.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/value.h"

typedef struct sl_expr sl_expr;

/* Nesting limit: an expression whose tree is deeper than this is rejected at
 * compile time (never a stack overflow at compile or evaluation time). */
#define SL_EXPR_MAX_DEPTH 256
/* Longest expression text accepted, in bytes. */
#define SL_EXPR_MAX_TEXT (1 << 20)

/* ---- compiling ---- */

/* Compile `text` (NUL-terminated UTF-8). On success returns 0 and sets *out
 * to a new expression owned by the caller (free with sl_expr_free); `text`
 * is copied and need not outlive the call.
 * On failure returns SL_EINVAL, sets *out to NULL and fills err (may be
 * NULL): err->message says what was expected and what was found ("expected
 * ')' but found end of expression"; unknown functions list close names),
 * err->column is the 1-based character (not byte) position in `text` where
 * the problem starts and err->offset the 0-based byte offset. err->line and
 * err->file are left for the caller to fill (the job file's location). */
int sl_expr_compile(const char *text, sl_expr **out, sl_error *err);

/* Free an expression; NULL is ignored. Values returned by sl_expr_eval that
 * point into the expression (string literals) become invalid. */
void sl_expr_free(sl_expr *e);

/* ---- evaluating ---- */

/* Evaluate e against one record (an SL_T_STRUCT value; a NULL pointer or a
 * non-struct behaves as a record with no fields, so every field is null).
 * On success returns 0 and sets *out. The result may point into the record
 * (a field taken as is), into the expression (a literal string) or into
 * `arena` (anything computed): it stays valid while all three do. Nothing is
 * malloc'ed per evaluation; computed strings, lists and scratch space go in
 * `arena`.
 * On a runtime failure returns SL_ETYPE and fills err->message with the
 * reason and the failing part of the expression ("cannot cast string 'abc'
 * to long in 'cast(id as long)'"); the caller sends the record to the error
 * output. Failures are: a cast the value does not allow (casts are
 * sl_value_cast's), long overflow (+ - * div, unary minus, abs, round), a
 * non-boolean where a condition is expected, arithmetic on a value that is
 * not a number, a LIKE pattern ending in its escape character, and a
 * computed string or list over 256 MiB.
 * Division and modulo by zero are not failures: they yield null (like SQL
 * engines in non-ANSI mode). Missing fields and out-of-range list indexes
 * are null, never failures. */
int sl_expr_eval(const sl_expr *e, const sl_value *record, sl_arena *arena, sl_value *out, sl_error *err);

/* Evaluate e as a condition: *truth = 1 (true), 0 (false) or -1 (unknown:
 * the result was null). A `filter` keeps only records with truth 1.
 * A string result 'true'/'false' (and yes/no, t/f, y/n, 1/0) counts as a
 * boolean; any other non-boolean result fails with SL_ETYPE as above. */
int sl_expr_eval_bool(const sl_expr *e, const sl_value *record, sl_arena *arena, int *truth, sl_error *err);

/* ---- introspection ---- */

/* The source text as compiled (owned by e). */
const char *sl_expr_text(const sl_expr *e);

/* The distinct record field paths e reads, in order of first appearance,
 * written in sl_value_path() form ("a.b.c", "tags[0]", "metadata.tags[0]").
 * A segment that contains '.' or '[' is written in backticks, as
 * core/fieldpath.h does ("`a.b`.c"). Paths below a computed value
 * (split(s, ',')[0]) are not listed. Sets *paths to an array of NUL-terminated strings owned by e
 * (valid until sl_expr_free; paths may be NULL when only the count is
 * wanted) and returns its length (0 for an expression that reads no field). */
size_t sl_expr_fields(const sl_expr *e, const char ***paths);

#endif
