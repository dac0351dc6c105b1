/*
 * expr_cast.c — value conversions for the expression language. Casts and
 * text forms are those of core/convert.c (sl_value_cast, sl_value_to_text),
 * so an expression converts exactly like apply_mapping does; this file adds
 * what the operators need on top: the implicit reading of strings as
 * numbers, booleans and times, exact arithmetic on decimal text (compare,
 * truncate, round) and the UTF-8 and case-mapping helpers of the string
 * functions.
 *
 * Everything here works on values whose memory belongs to someone else;
 * results that need memory go in the caller's arena.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/expr_int.h"
#include "core/numfmt.h"

#define MICROS_PER_DAY INT64_C(86400000000)

/* Exponents beyond this are clamped: such numbers are out of any range
 * this code converts to, and clamping keeps the arithmetic in int64. */
#define DEC_EXP_LIMIT INT64_C(1000000000000000)

/* ---- small text helpers ---- */

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static void trim_span(const char **s, size_t *len) {
    while (*len && is_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_space((*s)[*len - 1]))
        (*len)--;
}

static bool span_equals_ci(const char *s, size_t len, const char *word) {
    return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* Growable string in an arena (the buffer is the arena's newest block
 * allocation, so growing is usually in place). */
typedef struct abuf {
    sl_arena *arena;
    char *data;
    size_t len, cap;
} abuf;

static void abuf_put(abuf *b, const char *s, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n)
            cap *= 2;
        b->data = sl_arena_realloc(b->arena, b->data, b->cap, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void abuf_putc(abuf *b, char c) { abuf_put(b, &c, 1); }

static void abuf_puts(abuf *b, const char *s) { abuf_put(b, s, strlen(s)); }

/* ---- UTF-8 ---- */

size_t sl_expr_utf8_next(const char *s, size_t len, uint32_t *cp) {
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[0];
    size_t need;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4, v = c & 0x07, min = 0x10000;
    } else {
        goto invalid;
    }
    if (len < need) goto invalid;
    for (size_t i = 1; i < need; i++) {
        if ((u[i] & 0xC0) != 0x80) goto invalid;
        v = (v << 6) | (u[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) goto invalid;
    *cp = v;
    return need;
invalid:
    *cp = 0xDC00 + c; /* a lone surrogate: never produced by a valid sequence */
    return 1;
}

size_t sl_expr_utf8_count(const char *s, size_t len) {
    size_t count = 0;
    for (size_t i = 0; i < len; count++) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        i += sl_expr_utf8_next(s + i, len - i, &cp);
    }
    return count;
}

size_t sl_expr_utf8_put(uint32_t cp, char *out) {
    unsigned char *u = (unsigned char *)out;
    if (cp >= 0xDC80 && cp <= 0xDCFF) { /* an invalid byte kept as is */
        u[0] = (unsigned char)(cp - 0xDC00);
        return 1;
    }
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    u[0] = (unsigned char)(0xF0 | (cp >> 18));
    u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Simple one-to-one case mappings for ASCII, Latin-1, Latin Extended-A,
 * Greek and Cyrillic: each keeps the UTF-8 length of the character, so
 * lower() and upper() never change a string's byte length. */
uint32_t sl_expr_lower_cp(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;
    if ((cp >= 0x100 && cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) return cp | 1;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp & 1) ? cp + 1 : cp;
    if (cp == 0x178) return 0xFF;
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 0x20;
    if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
    return cp;
}

uint32_t sl_expr_upper_cp(uint32_t cp) {
    if (cp < 0x80) return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) return cp - 0x20;
    if (cp == 0xFF) return 0x178;
    if ((cp >= 0x100 && cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
        return cp & ~(uint32_t)1;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp & 1) ? cp : cp - 1;
    if (cp == 0x3C2) return 0x3A3; /* final sigma */
    if (cp >= 0x3B1 && cp <= 0x3C9) return cp - 0x20;
    if (cp >= 0x430 && cp <= 0x44F) return cp - 0x20;
    if (cp >= 0x450 && cp <= 0x45F) return cp - 0x50;
    return cp;
}

/* ---- numbers ---- */

/* Checks [+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)?;
 * sets *integral when there is neither a point nor an exponent. */
static bool number_syntax(const char *s, size_t len, bool *integral) {
    size_t i = 0, digits = 0;
    *integral = true;
    if (i < len && (s[i] == '+' || s[i] == '-')) i++;
    while (i < len && isdigit((unsigned char)s[i]))
        i++, digits++;
    if (i < len && s[i] == '.') {
        *integral = false;
        i++;
        while (i < len && isdigit((unsigned char)s[i]))
            i++, digits++;
    }
    if (!digits) return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        *integral = false;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        size_t exp_digits = 0;
        while (i < len && isdigit((unsigned char)s[i]))
            i++, exp_digits++;
        if (!exp_digits) return false;
    }
    return i == len;
}

/* Parses [+-]digits into int64; -1 on bad syntax or overflow. */
static int parse_int64(const char *s, size_t len, int64_t *out) {
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (i == len) return -1;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int parse_special_double(const char *s, size_t len, double *out) {
    bool neg = false;
    if (len && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s++, len--;
    }
    if (span_equals_ci(s, len, "nan")) {
        *out = NAN;
        return 0;
    }
    if (span_equals_ci(s, len, "inf") || span_equals_ci(s, len, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    return -1;
}

int sl_expr_parse_number(const char *s, size_t len, sl_value *out) {
    trim_span(&s, &len);
    bool integral;
    if (!number_syntax(s, len, &integral)) {
        double d;
        if (parse_special_double(s, len, &d) != 0) return -1;
        *out = sl_double(d);
        return 0;
    }
    if (integral) {
        int64_t i;
        *out = parse_int64(s, len, &i) == 0 ? sl_int(i) : sl_decimal(s, len);
        return 0;
    }
    expr_dec dec;
    sl_expr_dec_parse(s, len, &dec);
    *out = sl_double(sl_expr_dec_to_double(&dec));
    return 0;
}

int sl_expr_parse_bool(const char *s, size_t len, bool *out) {
    static const char *const yes[] = {"true", "t", "yes", "y", "1"};
    static const char *const no[] = {"false", "f", "no", "n", "0"};
    trim_span(&s, &len);
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (span_equals_ci(s, len, yes[i])) {
            *out = true;
            return 0;
        }
        if (span_equals_ci(s, len, no[i])) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* ---- decimals ---- */

int sl_expr_dec_parse(const char *s, size_t len, expr_dec *d) {
    bool integral;
    trim_span(&s, &len);
    if (!number_syntax(s, len, &integral)) return -1;
    memset(d, 0, sizeof *d);
    size_t i = 0;
    if (s[i] == '+' || s[i] == '-') d->neg = s[i++] == '-';
    d->int_digits = s + i;
    while (i < len && isdigit((unsigned char)s[i]))
        i++;
    d->int_len = (size_t)(s + i - d->int_digits);
    d->frac_digits = s + i;
    if (i < len && s[i] == '.') {
        d->frac_digits = s + ++i;
        while (i < len && isdigit((unsigned char)s[i]))
            i++;
        d->frac_len = (size_t)(s + i - d->frac_digits);
    }
    int64_t exp = 0;
    if (i < len) { /* exponent */
        bool eneg = false;
        i++;
        if (s[i] == '+' || s[i] == '-') eneg = s[i++] == '-';
        for (; i < len; i++) {
            if (exp < DEC_EXP_LIMIT) exp = exp * 10 + (s[i] - '0');
        }
        if (eneg) exp = -exp;
    }
    size_t total = d->int_len + d->frac_len;
    while (d->lead < total && sl_expr_dec_digit(d, 0) == '0')
        d->lead++;
    d->ndigits = total - d->lead;
    d->exp10 = (int64_t)d->int_len - (int64_t)d->lead + exp;
    if (d->ndigits == 0) d->neg = false; /* -0 is 0 */
    return 0;
}

char sl_expr_dec_digit(const expr_dec *d, size_t i) {
    size_t at = d->lead + i;
    if (at < d->int_len) return d->int_digits[at];
    at -= d->int_len;
    return at < d->frac_len ? d->frac_digits[at] : '0';
}

static int dec_compare_magnitude(const expr_dec *x, const expr_dec *y) {
    if (x->ndigits == 0 || y->ndigits == 0) return (x->ndigits != 0) - (y->ndigits != 0);
    if (x->exp10 != y->exp10) return x->exp10 < y->exp10 ? -1 : 1;
    size_t n = x->ndigits > y->ndigits ? x->ndigits : y->ndigits;
    for (size_t i = 0; i < n; i++) {
        char a = sl_expr_dec_digit(x, i), b = sl_expr_dec_digit(y, i);
        if (a != b) return a < b ? -1 : 1;
    }
    return 0;
}

int sl_expr_dec_compare(const expr_dec *x, const expr_dec *y) {
    if (x->neg != y->neg) return x->neg ? -1 : 1;
    int c = dec_compare_magnitude(x, y);
    return x->neg ? -c : c;
}

double sl_expr_dec_to_double(const expr_dec *d) {
    if (d->ndigits == 0) return 0.0;
    if (d->exp10 > 400) return d->neg ? -INFINITY : INFINITY;
    if (d->exp10 < -400) return d->neg ? -0.0 : 0.0;
    /* Rebuild a compact "0.DDDe±N" text: at most 800 significant digits
     * matter to strtod's correctly rounded result. */
    char buf[840];
    size_t n = 0;
    if (d->neg) buf[n++] = '-';
    buf[n++] = '0';
    buf[n++] = '.';
    size_t nd = d->ndigits < 800 ? d->ndigits : 800;
    for (size_t i = 0; i < nd; i++)
        buf[n++] = sl_expr_dec_digit(d, i);
    snprintf(buf + n, sizeof buf - n, "e%" PRId64, d->exp10);
    return strtod(buf, NULL);
}

int sl_expr_dec_to_int(const expr_dec *d, int64_t *out) {
    if (d->ndigits == 0 || d->exp10 <= 0) {
        *out = 0;
        return 0;
    }
    if (d->exp10 > 19) return -1;
    uint64_t limit = d->neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (int64_t i = 0; i < d->exp10; i++) {
        unsigned digit = (unsigned)(sl_expr_dec_digit(d, (size_t)i) - '0');
        if (v > (limit - digit) / 10) return -1;
        v = v * 10 + digit;
    }
    *out = d->neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

const char *sl_expr_dec_round(sl_arena *arena, const expr_dec *d, int64_t digits, int mode, size_t *len) {
    if (digits > DEC_EXP_LIMIT) digits = DEC_EXP_LIMIT;
    if (digits < -DEC_EXP_LIMIT) digits = -DEC_EXP_LIMIT;
    /* Digit i has place value 10^(exp10-1-i): the first `keep` digits stay. */
    int64_t keep = d->exp10 + digits;
    size_t nkeep = d->ndigits;
    int64_t exp = d->exp10 - (int64_t)d->ndigits; /* result = KEPT × 10^exp */
    bool up = false;
    if (keep < (int64_t)d->ndigits) {
        bool dropped_nonzero = false;
        nkeep = keep > 0 ? (size_t)keep : 0;
        for (size_t i = nkeep; i < d->ndigits && !dropped_nonzero; i++)
            dropped_nonzero = sl_expr_dec_digit(d, i) != '0';
        if (mode == EXPR_ROUND_HALF_UP)
            up = keep >= 0 && sl_expr_dec_digit(d, nkeep) >= '5';
        else if (mode == EXPR_ROUND_FLOOR)
            up = d->neg && dropped_nonzero;
        else
            up = !d->neg && dropped_nonzero;
        exp = -digits;
    }
    /* kept digits behind one spare digit for the carry */
    char *digs = sl_arena_alloc(arena, nkeep + 1);
    digs[0] = '0';
    for (size_t i = 0; i < nkeep; i++)
        digs[i + 1] = sl_expr_dec_digit(d, i);
    size_t nd = nkeep + 1;
    if (up) {
        size_t i = nd;
        while (digs[i - 1] == '9')
            digs[--i] = '0';
        digs[i - 1]++;
    }
    size_t start = 0;
    while (start + 1 < nd && digs[start] == '0')
        start++;
    size_t n = nd - start;
    bool zero = n == 1 && digs[start] == '0';
    abuf b = {arena, NULL, 0, 0};
    if (d->neg && !zero) abuf_putc(&b, '-');
    if (zero) {
        abuf_putc(&b, '0');
    } else if (exp >= 0 && exp <= 40) {
        abuf_put(&b, digs + start, n);
        for (int64_t i = 0; i < exp; i++)
            abuf_putc(&b, '0');
    } else if (exp < 0 && exp >= -400) {
        size_t frac = (size_t)-exp;
        if (n <= frac) {
            abuf_puts(&b, "0.");
            for (size_t i = n; i < frac; i++)
                abuf_putc(&b, '0');
            abuf_put(&b, digs + start, n);
        } else {
            abuf_put(&b, digs + start, n - frac);
            abuf_putc(&b, '.');
            abuf_put(&b, digs + start + n - frac, frac);
        }
    } else {
        char e[24];
        abuf_put(&b, digs + start, n);
        snprintf(e, sizeof e, "e%" PRId64, exp);
        abuf_puts(&b, e);
    }
    abuf_putc(&b, '\0');
    *len = b.len - 1;
    return b.data;
}

/* ---- dates and timestamps ---- */

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int sl_expr_parse_timestamp(const char *s, size_t len, int64_t *micros) {
    int64_t days;
    trim_span(&s, &len);
    if (sl_parse_timestamp(s, len, micros) == SL_OK) return 0;
    if (sl_parse_date(s, len, &days) != SL_OK || __builtin_mul_overflow(days, MICROS_PER_DAY, micros)) return -1;
    return 0;
}

int sl_expr_parse_date(const char *s, size_t len, int64_t *days) {
    int64_t us;
    trim_span(&s, &len);
    if (sl_parse_date(s, len, days) == SL_OK) return 0;
    if (sl_parse_timestamp(s, len, &us) != SL_OK) return -1;
    *days = floor_div(us, MICROS_PER_DAY);
    return 0;
}

/* ---- text forms and casts (core/convert.c) ---- */

sl_value sl_expr_text_of(sl_arena *arena, const sl_value *v) {
    if (v->type == SL_T_STRING) return *v; /* shared, not copied */
    return sl_value_to_text(arena, v);
}

int sl_expr_cast(sl_arena *arena, const sl_value *v, sl_type to, sl_value *out, sl_error *err) {
    int rc = sl_value_cast(arena, v, to, out, err);
    if (rc && err) err->code = SL_ETYPE;
    return rc ? SL_ETYPE : 0;
}

void sl_expr_describe(sl_arena *arena, const sl_value *v, char *out, size_t size) {
    char tmp[48];
    const char *name = sl_type_name((sl_type)v->type);
    switch ((sl_type)v->type) {
    case SL_T_NULL: snprintf(out, size, "null"); break;
    case SL_T_BOOL: snprintf(out, size, "boolean %s", v->u.b ? "true" : "false"); break;
    case SL_T_INT: snprintf(out, size, "long %" PRId64, v->u.i); break;
    case SL_T_DOUBLE:
        sl_format_double(v->u.d, tmp);
        snprintf(out, size, "double %s", tmp);
        break;
    case SL_T_DATE:
    case SL_T_TIMESTAMP: {
        sl_value t = sl_value_to_text(arena, v);
        snprintf(out, size, "%s %.*s", name, (int)t.len, t.u.s);
        break;
    }
    case SL_T_STRING:
    case SL_T_DECIMAL: {
        int shown = v->len > 40 ? 40 : (int)v->len;
        const char *quote = v->type == SL_T_STRING ? "'" : "";
        snprintf(out, size, "%s %s%.*s%s%s", name, quote, shown, v->u.s, v->len > 40 ? "..." : "", quote);
        break;
    }
    case SL_T_BINARY: snprintf(out, size, "binary (%u bytes)", (unsigned)v->len); break;
    default: snprintf(out, size, "%s", name); break;
    }
}
