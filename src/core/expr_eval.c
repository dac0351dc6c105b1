/*
 * expr_eval.c — evaluating a compiled expression against one record:
 * field paths, arithmetic with int/double promotion and checked overflow,
 * comparisons across types, SQL three-valued logic, IN, BETWEEN, LIKE, CASE,
 * COALESCE, casts and function calls. Also the public entry points
 * sl_expr_eval and sl_expr_eval_bool.
 *
 * Evaluation is a recursive walk of the tree (its depth is bounded at
 * compile time). It never mallocs: computed values go in the caller's arena.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/expr_int.h"

/* Function calls with at most this many arguments keep them on the stack. */
#define STACK_ARGS 8

/* ---- errors ---- */

/* Appends " in '<node text>'" to the message already in ctx->err. */
static int fail_at(expr_eval_ctx *ctx, const expr_node *n) {
    sl_error *err = ctx->err;
    size_t used = strlen(err->message);
    const char *text = ctx->expr->text + n->pos;
    int len = (int)(n->end - n->pos);
    const char *more = "";
    if (len > 80) {
        len = 77;
        more = "...";
    }
    snprintf(err->message + used, sizeof err->message - used, " in '%.*s%s'", len, text, more);
    err->code = SL_ETYPE;
    return SL_ETYPE;
}

static int fail(expr_eval_ctx *ctx, const expr_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(expr_eval_ctx *ctx, const expr_node *n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sl_error_vset(ctx->err, SL_ETYPE, fmt, ap);
    va_end(ap);
    return fail_at(ctx, n);
}

/* ---- truth values ---- */

/* -1 unknown, 0 false, 1 true; or SL_ETYPE for a value that is not a
 * boolean (strings spelling one count). */
static int truth_of(expr_eval_ctx *ctx, const expr_node *n, const sl_value *v, int *truth) {
    bool b;
    switch (v->type) {
    case SL_T_NULL: *truth = -1; return 0;
    case SL_T_BOOL: *truth = v->u.b; return 0;
    case SL_T_STRING:
        if (sl_expr_parse_bool(v->u.s, v->len, &b) == 0) {
            *truth = b;
            return 0;
        }
        break;
    default: break;
    }
    char desc[96];
    sl_expr_describe(ctx->arena, v, desc, sizeof desc);
    return fail(ctx, n, "expected a boolean but got %s", desc);
}

static int eval_truth(const expr_node *n, expr_eval_ctx *ctx, int *truth) {
    sl_value v;
    int rc = sl_expr_eval_node(n, ctx, &v);
    if (rc) return rc;
    return truth_of(ctx, n, &v, truth);
}

static sl_value truth_value(int truth) { return truth < 0 ? sl_null() : sl_bool(truth); }

/* ---- comparison ---- */

static int sign_of(int c) { return (c > 0) - (c < 0); }

/* NaN equals NaN and sorts above every other number (as in Spark). */
static int cmp_double(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

static int cmp_int_double(int64_t i, double d) {
    if (isnan(d)) return -1;
    if (d >= 9223372036854775808.0) return -1;
    if (d < -9223372036854775808.0) return 1;
    double t = trunc(d);
    int64_t ti = (int64_t)t;
    if (i != ti) return i < ti ? -1 : 1;
    double frac = d - t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* A decimal against another number: exact for int and decimal; a double is
 * taken by its shortest text, so 0.1 equals decimal '0.1'. Returns 0 when
 * the decimal text is malformed. */
static int cmp_decimal(const sl_value *dec, const sl_value *other, int *cmp) {
    expr_dec x, y;
    char tmp[48];
    if (sl_expr_dec_parse(dec->u.s, dec->len, &x) != 0) return 0;
    switch (other->type) {
    case SL_T_INT: sl_expr_dec_parse(tmp, (size_t)sl_format_int(other->u.i, tmp), &y); break;
    case SL_T_DOUBLE:
        if (!isfinite(other->u.d)) {
            *cmp = isnan(other->u.d) || other->u.d > 0 ? -1 : 1;
            return 1;
        }
        sl_expr_dec_parse(tmp, (size_t)sl_format_double(other->u.d, tmp), &y);
        break;
    case SL_T_DECIMAL:
        if (sl_expr_dec_parse(other->u.s, other->len, &y) != 0) return 0;
        break;
    default: return 0;
    }
    *cmp = sl_expr_dec_compare(&x, &y);
    return 1;
}

static bool is_number(const sl_value *v) {
    return v->type == SL_T_INT || v->type == SL_T_DOUBLE || v->type == SL_T_DECIMAL;
}

static int cmp_numbers(const sl_value *x, const sl_value *y, int *cmp) {
    if (x->type == SL_T_DECIMAL) return cmp_decimal(x, y, cmp);
    if (y->type == SL_T_DECIMAL) {
        if (!cmp_decimal(y, x, cmp)) return 0;
        *cmp = -*cmp;
        return 1;
    }
    if (x->type == SL_T_INT && y->type == SL_T_INT)
        *cmp = (x->u.i > y->u.i) - (x->u.i < y->u.i);
    else if (x->type == SL_T_INT)
        *cmp = cmp_int_double(x->u.i, y->u.d);
    else if (y->type == SL_T_INT)
        *cmp = -cmp_int_double(y->u.i, x->u.d);
    else
        *cmp = cmp_double(x->u.d, y->u.d);
    return 1;
}

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return sign_of(c);
    return (an > bn) - (an < bn);
}

/* Reads string s as a value of type `like` (implicit conversion for
 * comparisons). Returns 0 when s does not convert. */
static int coerce_string(const sl_value *s, sl_type like, sl_value *out) {
    int64_t t;
    bool b;
    switch (like) {
    case SL_T_INT:
    case SL_T_DOUBLE:
    case SL_T_DECIMAL: return sl_expr_parse_number(s->u.s, s->len, out) == 0;
    case SL_T_BOOL:
        if (sl_expr_parse_bool(s->u.s, s->len, &b) != 0) return 0;
        *out = sl_bool(b);
        return 1;
    case SL_T_DATE: /* a date compares as its midnight, so read the string as a timestamp */
    case SL_T_TIMESTAMP:
        if (sl_expr_parse_timestamp(s->u.s, s->len, &t) != 0) return 0;
        *out = sl_timestamp(t);
        return 1;
    default: return 0;
    }
}

static int cmp_nested(const sl_value *x, const sl_value *y, sl_arena *arena, int *cmp);

int sl_expr_compare(const sl_value *x, const sl_value *y, sl_arena *arena, int *cmp) {
    sl_value tmp;
    if (x->type == SL_T_STRING && y->type != SL_T_STRING && y->type != SL_T_BINARY) {
        if (!coerce_string(x, (sl_type)y->type, &tmp)) return 0;
        return sl_expr_compare(&tmp, y, arena, cmp);
    }
    if (y->type == SL_T_STRING && x->type != SL_T_STRING && x->type != SL_T_BINARY) {
        if (!coerce_string(y, (sl_type)x->type, &tmp)) return 0;
        return sl_expr_compare(x, &tmp, arena, cmp);
    }
    if (is_number(x) && is_number(y)) return cmp_numbers(x, y, cmp);
    switch (x->type) {
    case SL_T_BOOL:
        if (y->type != SL_T_BOOL) return 0;
        *cmp = (int)x->u.b - (int)y->u.b;
        return 1;
    case SL_T_STRING:
    case SL_T_BINARY:
        if (y->type != SL_T_STRING && y->type != SL_T_BINARY) return 0;
        *cmp = cmp_bytes(x->u.s, x->len, y->u.s, y->len);
        return 1;
    case SL_T_DATE:
    case SL_T_TIMESTAMP: {
        if (y->type != SL_T_DATE && y->type != SL_T_TIMESTAMP) return 0;
        if (x->type == y->type) {
            *cmp = (x->u.i > y->u.i) - (x->u.i < y->u.i);
            return 1;
        }
        sl_value a, b;
        if (sl_expr_cast(arena, x, SL_T_TIMESTAMP, &a, NULL) != 0) return 0;
        if (sl_expr_cast(arena, y, SL_T_TIMESTAMP, &b, NULL) != 0) return 0;
        *cmp = (a.u.i > b.u.i) - (a.u.i < b.u.i);
        return 1;
    }
    case SL_T_LIST:
    case SL_T_STRUCT: return cmp_nested(x, y, arena, cmp);
    default: return 0;
    }
}

/* Inside lists and structs a null equals null and sorts first. */
static int cmp_element(const sl_value *x, const sl_value *y, sl_arena *arena, int *cmp) {
    if (x->type == SL_T_NULL || y->type == SL_T_NULL) {
        *cmp = (x->type != SL_T_NULL) - (y->type != SL_T_NULL);
        return 1;
    }
    return sl_expr_compare(x, y, arena, cmp);
}

/* Lists element by element, then by length; structs field by field when
 * their field names match in order. */
static int cmp_nested(const sl_value *x, const sl_value *y, sl_arena *arena, int *cmp) {
    if (x->type != y->type) return 0;
    uint32_t n = x->len < y->len ? x->len : y->len;
    if (x->type == SL_T_STRUCT) {
        if (x->len != y->len) return 0;
        for (uint32_t i = 0; i < n; i++) {
            const sl_field *a = &x->u.fields[i], *b = &y->u.fields[i];
            if (a->name_len != b->name_len || memcmp(a->name, b->name, a->name_len) != 0) return 0;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        const sl_value *a = x->type == SL_T_LIST ? &x->u.items[i] : &x->u.fields[i].value;
        const sl_value *b = y->type == SL_T_LIST ? &y->u.items[i] : &y->u.fields[i].value;
        if (!cmp_element(a, b, arena, cmp)) return 0;
        if (*cmp) return 1;
    }
    *cmp = (x->len > y->len) - (x->len < y->len);
    return 1;
}

/* ---- field paths ---- */

static sl_value walk_path(const sl_value *base, const expr_node *n) {
    const sl_value *v = base;
    for (uint32_t i = 0; i < n->nsegs && v; i++) {
        const expr_seg *seg = &n->segs[i];
        if (seg->name) {
            uint32_t h = __atomic_load_n(&seg->hint, __ATOMIC_RELAXED);
            const sl_field *f = NULL;
            if (v->type == SL_T_STRUCT && h < v->len && v->u.fields[h].name_len == seg->name_len &&
                sl_name_eq(v->u.fields[h].name, seg->name, seg->name_len)) {
                f = &v->u.fields[h];
            } else if ((f = sl_struct_find(v, seg->name, seg->name_len)) != NULL) {
                __atomic_store_n(&((expr_seg *)seg)->hint, (uint32_t)(f - v->u.fields), __ATOMIC_RELAXED);
            }
            v = f ? &f->value : NULL;
        } else if (v->type == SL_T_LIST && seg->index >= 0 && seg->index < (int64_t)v->len) {
            v = &v->u.items[seg->index];
        } else {
            v = NULL;
        }
    }
    return v ? *v : sl_null();
}

static int eval_path(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    if (n->n == 0) {
        *out = walk_path(ctx->record, n);
        return 0;
    }
    sl_value base;
    int rc = sl_expr_eval_node(n->kids[0], ctx, &base);
    if (rc) return rc;
    *out = walk_path(&base, n);
    return 0;
}

/* ---- arithmetic ---- */

/* Number operand: int, double (decimals become doubles), strings read as
 * numbers. */
static int as_number(expr_eval_ctx *ctx, const expr_node *n, const sl_value *v, sl_value *num) {
    expr_dec dec;
    switch (v->type) {
    case SL_T_INT:
    case SL_T_DOUBLE: *num = *v; return 0;
    case SL_T_DECIMAL:
        if (sl_expr_dec_parse(v->u.s, v->len, &dec) != 0) break;
        *num = sl_double(sl_expr_dec_to_double(&dec));
        return 0;
    case SL_T_STRING:
        if (sl_expr_parse_number(v->u.s, v->len, num) != 0) break;
        if (num->type == SL_T_DECIMAL) return as_number(ctx, n, num, num);
        return 0;
    default: break;
    }
    char desc[96];
    sl_expr_describe(ctx->arena, v, desc, sizeof desc);
    return fail(ctx, n, "%s is not a number", desc);
}

static double to_double(const sl_value *num) { return num->type == SL_T_INT ? (double)num->u.i : num->u.d; }

static const char *op_text(int kind) {
    switch (kind) {
    case EXPR_ADD: return "+";
    case EXPR_SUB: return "-";
    case EXPR_MUL: return "*";
    case EXPR_DIV: return "/";
    case EXPR_IDIV: return "div";
    default: return "%";
    }
}

/* date ± days → date; date - date → days. Returns 1 when handled. */
static int date_arith(int kind, const sl_value *a, const sl_value *b, sl_value *out) {
    if (a->type != SL_T_DATE) return 0;
    int64_t r;
    if (kind == EXPR_SUB && b->type == SL_T_DATE) {
        *out = __builtin_sub_overflow(a->u.i, b->u.i, &r) ? sl_null() : sl_int(r);
        return 1;
    }
    if ((kind != EXPR_ADD && kind != EXPR_SUB) || b->type != SL_T_INT) return 0;
    bool overflow =
        kind == EXPR_ADD ? __builtin_add_overflow(a->u.i, b->u.i, &r) : __builtin_sub_overflow(a->u.i, b->u.i, &r);
    *out = overflow ? sl_null() : sl_date(r);
    return 1;
}

static int int_arith(expr_eval_ctx *ctx, const expr_node *n, int64_t a, int64_t b, sl_value *out) {
    int64_t r = 0;
    bool overflow = false;
    switch (n->kind) {
    case EXPR_ADD: overflow = __builtin_add_overflow(a, b, &r); break;
    case EXPR_SUB: overflow = __builtin_sub_overflow(a, b, &r); break;
    case EXPR_MUL: overflow = __builtin_mul_overflow(a, b, &r); break;
    case EXPR_DIV: *out = b == 0 ? sl_null() : sl_double((double)a / (double)b); return 0;
    case EXPR_IDIV:
        if (b == 0) {
            *out = sl_null();
            return 0;
        }
        overflow = a == INT64_MIN && b == -1;
        r = overflow ? 0 : a / b;
        break;
    default: /* EXPR_MOD */
        if (b == 0) {
            *out = sl_null();
            return 0;
        }
        r = b == -1 ? 0 : a % b;
        break;
    }
    if (overflow) return fail(ctx, n, "integer overflow: %lld %s %lld", (long long)a, op_text(n->kind), (long long)b);
    *out = sl_int(r);
    return 0;
}

static int double_arith(expr_eval_ctx *ctx, const expr_node *n, double a, double b, sl_value *out) {
    switch (n->kind) {
    case EXPR_ADD: *out = sl_double(a + b); return 0;
    case EXPR_SUB: *out = sl_double(a - b); return 0;
    case EXPR_MUL: *out = sl_double(a * b); return 0;
    case EXPR_DIV: *out = b == 0 ? sl_null() : sl_double(a / b); return 0;
    case EXPR_MOD: *out = b == 0 ? sl_null() : sl_double(fmod(a, b)); return 0;
    default: { /* EXPR_IDIV */
        if (b == 0) {
            *out = sl_null();
            return 0;
        }
        double q = trunc(a / b);
        if (isnan(q) || q < -9223372036854775808.0 || q >= 9223372036854775808.0)
            return fail(ctx, n, "result of div is out of range for long");
        *out = sl_int((int64_t)q);
        return 0;
    }
    }
}

static int eval_arith(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    sl_value a, b, x, y;
    int rc = sl_expr_eval_node(n->kids[0], ctx, &a);
    if (!rc) rc = sl_expr_eval_node(n->kids[1], ctx, &b);
    if (rc) return rc;
    if (a.type == SL_T_NULL || b.type == SL_T_NULL) {
        *out = sl_null();
        return 0;
    }
    if (date_arith(n->kind, &a, &b, out)) return 0;
    if ((rc = as_number(ctx, n->kids[0], &a, &x)) != 0) return rc;
    if ((rc = as_number(ctx, n->kids[1], &b, &y)) != 0) return rc;
    if (x.type == SL_T_INT && y.type == SL_T_INT) return int_arith(ctx, n, x.u.i, y.u.i, out);
    return double_arith(ctx, n, to_double(&x), to_double(&y), out);
}

static int eval_neg(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    sl_value v, num;
    int rc = sl_expr_eval_node(n->kids[0], ctx, &v);
    if (rc) return rc;
    if (v.type == SL_T_NULL) {
        *out = v;
        return 0;
    }
    if (v.type == SL_T_DECIMAL && v.len > 0) {
        /* exact: flip the sign in the text */
        char *t = sl_arena_alloc(ctx->arena, v.len + 1);
        size_t len;
        if (v.u.s[0] == '-') {
            len = v.len - 1;
            memcpy(t, v.u.s + 1, len);
        } else {
            size_t skip = v.u.s[0] == '+';
            t[0] = '-';
            memcpy(t + 1, v.u.s + skip, v.len - skip);
            len = v.len + 1 - skip;
        }
        *out = sl_decimal(t, len);
        return 0;
    }
    if ((rc = as_number(ctx, n->kids[0], &v, &num)) != 0) return rc;
    if (num.type == SL_T_DOUBLE) {
        *out = sl_double(-num.u.d);
        return 0;
    }
    if (num.u.i == INT64_MIN) return fail(ctx, n, "integer overflow: -(%lld)", (long long)num.u.i);
    *out = sl_int(-num.u.i);
    return 0;
}

static int eval_concat(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    sl_value a, b;
    int rc = sl_expr_eval_node(n->kids[0], ctx, &a);
    if (!rc) rc = sl_expr_eval_node(n->kids[1], ctx, &b);
    if (rc) return rc;
    if (a.type == SL_T_NULL || b.type == SL_T_NULL) {
        *out = sl_null();
        return 0;
    }
    a = sl_expr_text_of(ctx->arena, &a);
    b = sl_expr_text_of(ctx->arena, &b);
    uint64_t len = (uint64_t)a.len + b.len;
    if (len > EXPR_MAX_RESULT) return fail(ctx, n, "result larger than %zu MiB", EXPR_MAX_RESULT >> 20);
    char *p = sl_arena_alloc(ctx->arena, (size_t)len + 1);
    memcpy(p, a.u.s, a.len);
    memcpy(p + a.len, b.u.s, b.len);
    p[len] = 0;
    *out = sl_string(p, (size_t)len, a.flags & b.flags & SL_VF_JSON_PLAIN);
    return 0;
}

/* ---- comparisons and logic ---- */

static int eval_compare(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    sl_value a, b;
    int rc = sl_expr_eval_node(n->kids[0], ctx, &a);
    if (!rc) rc = sl_expr_eval_node(n->kids[1], ctx, &b);
    if (rc) return rc;
    int c;
    if (a.type == SL_T_NULL || b.type == SL_T_NULL || !sl_expr_compare(&a, &b, ctx->arena, &c)) {
        *out = sl_null();
        return 0;
    }
    bool r;
    switch (n->kind) {
    case EXPR_EQ: r = c == 0; break;
    case EXPR_NE: r = c != 0; break;
    case EXPR_LT: r = c < 0; break;
    case EXPR_LE: r = c <= 0; break;
    case EXPR_GT: r = c > 0; break;
    default: r = c >= 0; break;
    }
    *out = sl_bool(r);
    return 0;
}

static int eval_logic(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    int a, b, rc = eval_truth(n->kids[0], ctx, &a);
    if (rc) return rc;
    bool is_and = n->kind == EXPR_AND;
    /* false and x = false; true or x = true: x is not evaluated */
    if (a == (is_and ? 0 : 1)) {
        *out = sl_bool(a);
        return 0;
    }
    if ((rc = eval_truth(n->kids[1], ctx, &b)) != 0) return rc;
    int r;
    if (is_and)
        r = b == 0 ? 0 : (a < 0 || b < 0) ? -1 : 1;
    else
        r = b == 1 ? 1 : (a < 0 || b < 0) ? -1 : 0;
    *out = truth_value(r);
    return 0;
}

static int negate_truth(int t) { return t < 0 ? t : !t; }

static int eval_not(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    int t, rc = eval_truth(n->kids[0], ctx, &t);
    if (rc) return rc;
    *out = truth_value(negate_truth(t));
    return 0;
}

/* x = y as a truth value (-1 when either is null or they do not compare). */
static int equal_truth(const sl_value *x, const sl_value *y, sl_arena *arena) {
    int c;
    if (x->type == SL_T_NULL || y->type == SL_T_NULL || !sl_expr_compare(x, y, arena, &c)) return -1;
    return c == 0;
}

static int eval_in(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    sl_value x, item;
    int rc = sl_expr_eval_node(n->kids[0], ctx, &x);
    if (rc) return rc;
    int r = 0;
    if (x.type == SL_T_NULL) {
        r = -1;
    } else {
        for (uint32_t i = 1; i < n->n && r != 1; i++) {
            if ((rc = sl_expr_eval_node(n->kids[i], ctx, &item)) != 0) return rc;
            int t = equal_truth(&x, &item, ctx->arena);
            if (t != 0) r = t;
        }
    }
    *out = truth_value(n->negate ? negate_truth(r) : r);
    return 0;
}

static int eval_between(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    sl_value x, lo, hi;
    int rc = sl_expr_eval_node(n->kids[0], ctx, &x);
    if (!rc) rc = sl_expr_eval_node(n->kids[1], ctx, &lo);
    if (!rc) rc = sl_expr_eval_node(n->kids[2], ctx, &hi);
    if (rc) return rc;
    int c, ge = -1, le = -1;
    if (x.type != SL_T_NULL && lo.type != SL_T_NULL && sl_expr_compare(&x, &lo, ctx->arena, &c)) ge = c >= 0;
    if (x.type != SL_T_NULL && hi.type != SL_T_NULL && sl_expr_compare(&x, &hi, ctx->arena, &c)) le = c <= 0;
    int r = (ge == 0 || le == 0) ? 0 : (ge < 0 || le < 0) ? -1 : 1;
    *out = truth_value(n->negate ? negate_truth(r) : r);
    return 0;
}

/* ---- LIKE ---- */

enum { PAT_ANY_RUN, PAT_ANY_ONE, PAT_CHAR, PAT_BAD_ESCAPE };

/* Next pattern element at p[*i]; *cp gets the literal for PAT_CHAR. */
static int pattern_next(const char *p, size_t pn, size_t *i, uint32_t escape, uint32_t *cp) {
    *i += sl_expr_utf8_next(p + *i, pn - *i, cp);
    if (*cp == escape) {
        if (*i >= pn) return PAT_BAD_ESCAPE;
        *i += sl_expr_utf8_next(p + *i, pn - *i, cp);
        return PAT_CHAR;
    }
    if (*cp == '%') return PAT_ANY_RUN;
    if (*cp == '_') return PAT_ANY_ONE;
    return PAT_CHAR;
}

/* Does the pattern end in an unpaired escape character? */
static bool pattern_dangles(const char *p, size_t pn, uint32_t escape) {
    uint32_t cp;
    for (size_t i = 0; i < pn;)
        if (pattern_next(p, pn, &i, escape, &cp) == PAT_BAD_ESCAPE) return true;
    return false;
}

/* Iterative wildcard match with one backtrack point (the last '%'): linear
 * memory, O(len(s) × len(p)) time at worst. The pattern was checked by
 * pattern_dangles first. */
static bool like_match(const char *s, size_t sn, const char *p, size_t pn, uint32_t escape, bool fold) {
    size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;
    uint32_t pc, sc;
    while (si < sn) {
        if (pi < pn) {
            size_t next_p = pi;
            int kind = pattern_next(p, pn, &next_p, escape, &pc);
            if (kind == PAT_ANY_RUN) {
                star_p = pi = next_p;
                star_s = si;
                continue;
            }
            size_t step = sl_expr_utf8_next(s + si, sn - si, &sc);
            if (kind == PAT_ANY_ONE || sc == pc || (fold && sl_expr_lower_cp(sc) == sl_expr_lower_cp(pc))) {
                si += step;
                pi = next_p;
                continue;
            }
        }
        if (star_p == SIZE_MAX) return false;
        star_s += sl_expr_utf8_next(s + star_s, sn - star_s, &sc);
        si = star_s;
        pi = star_p;
    }
    while (pi < pn) {
        if (pattern_next(p, pn, &pi, escape, &pc) != PAT_ANY_RUN) return false;
    }
    return true;
}

static int eval_like(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    sl_value s, p;
    int rc = sl_expr_eval_node(n->kids[0], ctx, &s);
    if (!rc) rc = sl_expr_eval_node(n->kids[1], ctx, &p);
    if (rc) return rc;
    if (s.type == SL_T_NULL || p.type == SL_T_NULL) {
        *out = sl_null();
        return 0;
    }
    s = sl_expr_text_of(ctx->arena, &s);
    p = sl_expr_text_of(ctx->arena, &p);
    if (pattern_dangles(p.u.s, p.len, n->escape)) return fail(ctx, n, "LIKE pattern ends with the escape character");
    bool m = like_match(s.u.s, s.len, p.u.s, p.len, n->escape, n->flag);
    *out = sl_bool(n->negate ? !m : m);
    return 0;
}

/* ---- CASE, COALESCE, CAST, calls ---- */

static int eval_case(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    uint32_t i = 0, end = n->n - ((n->flag & EXPR_CASE_ELSE) ? 1 : 0);
    sl_value operand, w;
    int rc;
    if (n->flag & EXPR_CASE_OPERAND) {
        if ((rc = sl_expr_eval_node(n->kids[0], ctx, &operand)) != 0) return rc;
        i = 1;
    }
    for (; i + 1 < end; i += 2) {
        int t;
        if (n->flag & EXPR_CASE_OPERAND) {
            if ((rc = sl_expr_eval_node(n->kids[i], ctx, &w)) != 0) return rc;
            t = equal_truth(&operand, &w, ctx->arena);
        } else if ((rc = eval_truth(n->kids[i], ctx, &t)) != 0) {
            return rc;
        }
        if (t == 1) return sl_expr_eval_node(n->kids[i + 1], ctx, out);
    }
    if (n->flag & EXPR_CASE_ELSE) return sl_expr_eval_node(n->kids[n->n - 1], ctx, out);
    *out = sl_null();
    return 0;
}

static int eval_coalesce(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    for (uint32_t i = 0; i < n->n; i++) {
        int rc = sl_expr_eval_node(n->kids[i], ctx, out);
        if (rc) return rc;
        if (out->type != SL_T_NULL) return 0;
    }
    *out = sl_null();
    return 0;
}

static int eval_cast(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    sl_value v;
    int rc = sl_expr_eval_node(n->kids[0], ctx, &v);
    if (rc) return rc;
    if (sl_expr_cast(ctx->arena, &v, (sl_type)n->cast_to, out, ctx->err) == 0) return 0;
    if (n->flag) { /* try_cast */
        sl_error_clear(ctx->err);
        *out = sl_null();
        return 0;
    }
    return fail_at(ctx, n);
}

static int eval_call(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    sl_value stack_args[STACK_ARGS];
    sl_value *args = n->n <= STACK_ARGS ? stack_args : sl_arena_alloc(ctx->arena, n->n * sizeof *args);
    bool any_null = false;
    for (uint32_t i = 0; i < n->n; i++) {
        int rc = sl_expr_eval_node(n->kids[i], ctx, &args[i]);
        if (rc) return rc;
        any_null |= args[i].type == SL_T_NULL;
    }
    if (any_null && (n->fn->flags & EXPR_FN_STRICT)) {
        *out = sl_null();
        return 0;
    }
    if (n->fn->fn(ctx, args, n->n, out) != 0) return fail_at(ctx, n);
    return 0;
}

int sl_expr_eval_node(const expr_node *n, expr_eval_ctx *ctx, sl_value *out) {
    int rc;
    switch ((expr_kind)n->kind) {
    case EXPR_LIT: *out = n->lit; return 0;
    case EXPR_PATH: return eval_path(n, ctx, out);
    case EXPR_NEG: return eval_neg(n, ctx, out);
    case EXPR_NOT: return eval_not(n, ctx, out);
    case EXPR_ADD:
    case EXPR_SUB:
    case EXPR_MUL:
    case EXPR_DIV:
    case EXPR_IDIV:
    case EXPR_MOD: return eval_arith(n, ctx, out);
    case EXPR_CONCAT: return eval_concat(n, ctx, out);
    case EXPR_EQ:
    case EXPR_NE:
    case EXPR_LT:
    case EXPR_LE:
    case EXPR_GT:
    case EXPR_GE: return eval_compare(n, ctx, out);
    case EXPR_AND:
    case EXPR_OR: return eval_logic(n, ctx, out);
    case EXPR_IS_NULL:
        if ((rc = sl_expr_eval_node(n->kids[0], ctx, out)) != 0) return rc;
        *out = sl_bool((out->type == SL_T_NULL) != n->negate);
        return 0;
    case EXPR_IN: return eval_in(n, ctx, out);
    case EXPR_BETWEEN: return eval_between(n, ctx, out);
    case EXPR_LIKE: return eval_like(n, ctx, out);
    case EXPR_CASE: return eval_case(n, ctx, out);
    case EXPR_COALESCE: return eval_coalesce(n, ctx, out);
    case EXPR_CAST: return eval_cast(n, ctx, out);
    case EXPR_CALL: return eval_call(n, ctx, out);
    }
    return sl_error_set(ctx->err, SL_EINTERNAL, "unknown expression node %d", n->kind);
}

/* ---- public entry points ---- */

int sl_expr_eval(const sl_expr *e, const sl_value *record, sl_arena *arena, sl_value *out, sl_error *err) {
    sl_error local;
    if (!err) err = &local;
    expr_eval_ctx ctx = {e, record, arena, err};
    int rc = sl_expr_eval_node(e->root, &ctx, out);
    if (rc) *out = sl_null();
    return rc;
}

int sl_expr_eval_bool(const sl_expr *e, const sl_value *record, sl_arena *arena, int *truth, sl_error *err) {
    sl_error local;
    if (!err) err = &local;
    expr_eval_ctx ctx = {e, record, arena, err};
    *truth = -1;
    int rc = eval_truth(e->root, &ctx, truth);
    if (rc) *truth = -1;
    return rc;
}
