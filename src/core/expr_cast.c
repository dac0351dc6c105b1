/*
 * expr_cast.c — value conversions for the expression language: casts, the
 * text form of any value, strict number/boolean/date parsing, exact decimal
 * arithmetic on decimal text (compare, truncate, round) and the UTF-8 and
 * case-mapping helpers the string functions share.
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
    while (*len && is_space((*s)[*len - 1])) (*len)--;
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
        while (cap < b->len + n) cap *= 2;
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
    if ((cp >= 0x100 && cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
        return cp | 1;
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
    while (i < len && isdigit((unsigned char)s[i])) i++, digits++;
    if (i < len && s[i] == '.') {
        *integral = false;
        i++;
        while (i < len && isdigit((unsigned char)s[i])) i++, digits++;
    }
    if (!digits) return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        *integral = false;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        size_t exp_digits = 0;
        while (i < len && isdigit((unsigned char)s[i])) i++, exp_digits++;
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
    while (i < len && isdigit((unsigned char)s[i])) i++;
    d->int_len = (size_t)(s + i - d->int_digits);
    d->frac_digits = s + i;
    if (i < len && s[i] == '.') {
        d->frac_digits = s + ++i;
        while (i < len && isdigit((unsigned char)s[i])) i++;
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
    while (d->lead < total && sl_expr_dec_digit(d, 0) == '0') d->lead++;
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
    for (size_t i = 0; i < nd; i++) buf[n++] = sl_expr_dec_digit(d, i);
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
    for (size_t i = 0; i < nkeep; i++) digs[i + 1] = sl_expr_dec_digit(d, i);
    size_t nd = nkeep + 1;
    if (up) {
        size_t i = nd;
        while (digs[i - 1] == '9') digs[--i] = '0';
        digs[i - 1]++;
    }
    size_t start = 0;
    while (start + 1 < nd && digs[start] == '0') start++;
    size_t n = nd - start;
    bool zero = n == 1 && digs[start] == '0';
    abuf b = {arena, NULL, 0, 0};
    if (d->neg && !zero) abuf_putc(&b, '-');
    if (zero) {
        abuf_putc(&b, '0');
    } else if (exp >= 0 && exp <= 40) {
        abuf_put(&b, digs + start, n);
        for (int64_t i = 0; i < exp; i++) abuf_putc(&b, '0');
    } else if (exp < 0 && exp >= -400) {
        size_t frac = (size_t)-exp;
        if (n <= frac) {
            abuf_puts(&b, "0.");
            for (size_t i = n; i < frac; i++) abuf_putc(&b, '0');
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

/* Howard Hinnant's days_from_civil / civil_from_days. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m) {
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Reads exactly n digits at s[*i]. */
static bool read_digits(const char *s, size_t len, size_t *i, int n, unsigned *out) {
    unsigned v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || !isdigit((unsigned char)s[*i])) return false;
        v = v * 10 + (unsigned)(s[*i] - '0');
    }
    *out = v;
    return true;
}

static bool parse_ymd(const char *s, size_t len, size_t *i, int64_t *days) {
    unsigned y, m, d;
    if (!read_digits(s, len, i, 4, &y) || *i >= len || s[(*i)++] != '-') return false;
    if (!read_digits(s, len, i, 2, &m) || *i >= len || s[(*i)++] != '-') return false;
    if (!read_digits(s, len, i, 2, &d)) return false;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return false;
    *days = days_from_civil(y, m, d);
    return true;
}

int sl_expr_parse_timestamp(const char *s, size_t len, int64_t *micros) {
    size_t i = 0;
    int64_t days;
    trim_span(&s, &len);
    if (!parse_ymd(s, len, &i, &days)) return -1;
    int64_t us = days * MICROS_PER_DAY;
    if (i == len) {
        *micros = us;
        return 0;
    }
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return -1;
    i++;
    unsigned hh, mm, ss = 0;
    if (!read_digits(s, len, &i, 2, &hh) || i >= len || s[i++] != ':' || !read_digits(s, len, &i, 2, &mm))
        return -1;
    if (i < len && s[i] == ':') {
        i++;
        if (!read_digits(s, len, &i, 2, &ss)) return -1;
        if (i < len && (s[i] == '.' || s[i] == ',')) {
            i++;
            int64_t frac = 0;
            int n = 0;
            for (; i < len && isdigit((unsigned char)s[i]); i++, n++)
                if (n < 6) frac = frac * 10 + (s[i] - '0');
            if (n == 0) return -1;
            for (int k = n; k < 6; k++) frac *= 10;
            us += frac;
        }
    }
    if (hh > 23 || mm > 59 || ss > 59) return -1;
    us += ((int64_t)hh * 3600 + mm * 60 + ss) * 1000000;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i++] == '-' ? -1 : 1;
        unsigned oh, om = 0;
        if (!read_digits(s, len, &i, 2, &oh)) return -1;
        if (i < len && s[i] == ':') i++;
        if (i < len && !read_digits(s, len, &i, 2, &om)) return -1;
        if (oh > 23 || om > 59) return -1;
        us -= sign * ((int64_t)oh * 3600 + om * 60) * 1000000;
    }
    if (i != len) return -1;
    *micros = us;
    return 0;
}

int sl_expr_parse_date(const char *s, size_t len, int64_t *days) {
    size_t i = 0;
    trim_span(&s, &len);
    if (parse_ymd(s, len, &i, days) && i == len) return 0;
    int64_t us;
    if (sl_expr_parse_timestamp(s, len, &us) != 0) return -1;
    *days = floor_div(us, MICROS_PER_DAY);
    return 0;
}

static int format_ymd(int64_t days, char *out) {
    int64_t y;
    /* beyond any real date; clamped so the calendar arithmetic cannot overflow */
    if (days > INT64_C(1000000000000)) days = INT64_C(1000000000000);
    if (days < -INT64_C(1000000000000)) days = -INT64_C(1000000000000);
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999) return sprintf(out, "%04d-%02u-%02u", (int)y, m, d);
    return sprintf(out, "%+" PRId64 "-%02u-%02u", y, m, d);
}

/* out needs 48 bytes. */
static int format_date(int64_t days, char *out) { return format_ymd(days, out); }

static int format_timestamp(int64_t us, char *out) {
    int64_t days = floor_div(us, MICROS_PER_DAY);
    int64_t rest = us - days * MICROS_PER_DAY; /* 0 .. MICROS_PER_DAY-1 */
    int n = format_ymd(days, out);
    int64_t secs = rest / 1000000, frac = rest % 1000000;
    n += sprintf(out + n, "T%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    if (frac % 1000 == 0 && frac)
        n += sprintf(out + n, ".%03d", (int)(frac / 1000));
    else if (frac)
        n += sprintf(out + n, ".%06d", (int)frac);
    out[n++] = 'Z';
    out[n] = 0;
    return n;
}

/* ---- text form ---- */

static void json_string(abuf *b, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    abuf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        abuf_put(b, s + run, i - run);
        run = i + 1;
        char esc[7] = {'\\', 0};
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
        }
        abuf_puts(b, esc);
    }
    abuf_put(b, s + run, len - run);
    abuf_putc(b, '"');
}

static void base64(abuf *b, const unsigned char *p, size_t len) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len) v |= p[i + 2];
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], i + 1 < len ? tbl[(v >> 6) & 63] : '=',
                     i + 2 < len ? tbl[v & 63] : '='};
        abuf_put(b, q, 4);
    }
}

static void json_value(abuf *b, const sl_value *v) {
    char tmp[48];
    switch ((sl_type)v->type) {
    case SL_T_NULL: abuf_puts(b, "null"); break;
    case SL_T_BOOL: abuf_puts(b, v->u.b ? "true" : "false"); break;
    case SL_T_INT: abuf_put(b, tmp, (size_t)sl_format_int(v->u.i, tmp)); break;
    case SL_T_DOUBLE:
        if (isfinite(v->u.d))
            abuf_put(b, tmp, (size_t)sl_format_double(v->u.d, tmp));
        else
            abuf_puts(b, "null");
        break;
    case SL_T_DECIMAL: abuf_put(b, v->u.s, v->len); break;
    case SL_T_STRING: json_string(b, v->u.s, v->len); break;
    case SL_T_BINARY:
        abuf_putc(b, '"');
        base64(b, (const unsigned char *)v->u.s, v->len);
        abuf_putc(b, '"');
        break;
    case SL_T_DATE: json_string(b, tmp, (size_t)format_date(v->u.i, tmp)); break;
    case SL_T_TIMESTAMP: json_string(b, tmp, (size_t)format_timestamp(v->u.i, tmp)); break;
    case SL_T_LIST:
        abuf_putc(b, '[');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i) abuf_putc(b, ',');
            json_value(b, &v->u.items[i]);
        }
        abuf_putc(b, ']');
        break;
    case SL_T_STRUCT:
        abuf_putc(b, '{');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i) abuf_putc(b, ',');
            json_string(b, v->u.fields[i].name, v->u.fields[i].name_len);
            abuf_putc(b, ':');
            json_value(b, &v->u.fields[i].value);
        }
        abuf_putc(b, '}');
        break;
    default: abuf_puts(b, "null"); break;
    }
}

static sl_value text_in_arena(sl_arena *arena, const char *s, size_t len) {
    return sl_string_copy(arena, s, len);
}

sl_value sl_expr_text_of(sl_arena *arena, const sl_value *v) {
    char tmp[48];
    switch ((sl_type)v->type) {
    case SL_T_STRING: return *v;
    case SL_T_BOOL: return sl_string(v->u.b ? "true" : "false", v->u.b ? 4 : 5, SL_VF_JSON_PLAIN);
    case SL_T_INT: return text_in_arena(arena, tmp, (size_t)sl_format_int(v->u.i, tmp));
    case SL_T_DOUBLE: return text_in_arena(arena, tmp, (size_t)sl_format_double(v->u.d, tmp));
    case SL_T_DECIMAL: return sl_string(v->u.s, v->len, SL_VF_JSON_PLAIN);
    case SL_T_BINARY: return sl_string(v->u.s, v->len, sl_json_plain(v->u.s, v->len) ? SL_VF_JSON_PLAIN : 0);
    case SL_T_DATE: return text_in_arena(arena, tmp, (size_t)format_date(v->u.i, tmp));
    case SL_T_TIMESTAMP: return text_in_arena(arena, tmp, (size_t)format_timestamp(v->u.i, tmp));
    case SL_T_LIST:
    case SL_T_STRUCT: {
        abuf b = {arena, NULL, 0, 0};
        json_value(&b, v);
        return sl_string(b.data, b.len, 0);
    }
    default: return sl_string("", 0, SL_VF_JSON_PLAIN);
    }
}

void sl_expr_describe(const sl_value *v, char *out, size_t size) {
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
        format_date(v->u.i, tmp);
        snprintf(out, size, "date %s", tmp);
        break;
    case SL_T_TIMESTAMP:
        format_timestamp(v->u.i, tmp);
        snprintf(out, size, "timestamp %s", tmp);
        break;
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

/* ---- casts ---- */

static int cast_fail(sl_error *err, const sl_value *v, sl_type to, const char *why) {
    char desc[96];
    sl_expr_describe(v, desc, sizeof desc);
    return sl_error_set(err, SL_ETYPE, "cannot cast %s to %s%s%s", desc, sl_type_name(to), why ? ": " : "",
                        why ? why : "");
}

static int cast_to_int(const sl_value *v, sl_value *out, sl_error *err) {
    expr_dec dec;
    int64_t i;
    switch ((sl_type)v->type) {
    case SL_T_INT: *out = *v; return 0;
    case SL_T_BOOL: *out = sl_int(v->u.b); return 0;
    case SL_T_DOUBLE: {
        double t = trunc(v->u.d);
        if (isnan(t) || t < -9223372036854775808.0 || t >= 9223372036854775808.0)
            return cast_fail(err, v, SL_T_INT, "out of range");
        *out = sl_int((int64_t)t);
        return 0;
    }
    case SL_T_DECIMAL:
        if (sl_expr_dec_parse(v->u.s, v->len, &dec) != 0) return cast_fail(err, v, SL_T_INT, "not a number");
        if (sl_expr_dec_to_int(&dec, &i) != 0) return cast_fail(err, v, SL_T_INT, "out of range");
        *out = sl_int(i);
        return 0;
    case SL_T_STRING: {
        const char *s = v->u.s;
        size_t len = v->len;
        trim_span(&s, &len);
        if (parse_int64(s, len, &i) == 0) {
            *out = sl_int(i);
            return 0;
        }
        bool integral;
        bool digits = number_syntax(s, len, &integral) && integral;
        return cast_fail(err, v, SL_T_INT, digits ? "out of range" : NULL);
    }
    default: return cast_fail(err, v, SL_T_INT, NULL);
    }
}

static int cast_to_double(const sl_value *v, sl_value *out, sl_error *err) {
    expr_dec dec;
    switch ((sl_type)v->type) {
    case SL_T_DOUBLE: *out = *v; return 0;
    case SL_T_INT: *out = sl_double((double)v->u.i); return 0;
    case SL_T_BOOL: *out = sl_double(v->u.b ? 1.0 : 0.0); return 0;
    case SL_T_DECIMAL:
        if (sl_expr_dec_parse(v->u.s, v->len, &dec) != 0) return cast_fail(err, v, SL_T_DOUBLE, "not a number");
        *out = sl_double(sl_expr_dec_to_double(&dec));
        return 0;
    case SL_T_STRING: {
        sl_value num;
        if (sl_expr_parse_number(v->u.s, v->len, &num) != 0) return cast_fail(err, v, SL_T_DOUBLE, NULL);
        if (num.type == SL_T_DOUBLE) {
            *out = num;
            return 0;
        }
        return cast_to_double(&num, out, err);
    }
    default: return cast_fail(err, v, SL_T_DOUBLE, NULL);
    }
}

static int cast_to_decimal(sl_arena *arena, const sl_value *v, sl_value *out, sl_error *err) {
    char tmp[48];
    expr_dec dec;
    switch ((sl_type)v->type) {
    case SL_T_DECIMAL: *out = *v; return 0;
    case SL_T_INT: {
        int n = sl_format_int(v->u.i, tmp);
        *out = sl_decimal(sl_arena_strndup(arena, tmp, (size_t)n), (size_t)n);
        return 0;
    }
    case SL_T_DOUBLE: {
        if (!isfinite(v->u.d)) return cast_fail(err, v, SL_T_DECIMAL, NULL);
        int n = sl_format_double(v->u.d, tmp);
        *out = sl_decimal(sl_arena_strndup(arena, tmp, (size_t)n), (size_t)n);
        return 0;
    }
    case SL_T_STRING: {
        const char *s = v->u.s;
        size_t len = v->len;
        trim_span(&s, &len);
        if (sl_expr_dec_parse(s, len, &dec) != 0) return cast_fail(err, v, SL_T_DECIMAL, NULL);
        *out = sl_decimal(s, len);
        return 0;
    }
    default: return cast_fail(err, v, SL_T_DECIMAL, NULL);
    }
}

static int cast_to_bool(const sl_value *v, sl_value *out, sl_error *err) {
    bool b;
    switch ((sl_type)v->type) {
    case SL_T_BOOL: *out = *v; return 0;
    case SL_T_INT: *out = sl_bool(v->u.i != 0); return 0;
    case SL_T_STRING:
        if (sl_expr_parse_bool(v->u.s, v->len, &b) != 0) return cast_fail(err, v, SL_T_BOOL, NULL);
        *out = sl_bool(b);
        return 0;
    default: return cast_fail(err, v, SL_T_BOOL, NULL);
    }
}

static int cast_to_date(const sl_value *v, sl_value *out, sl_error *err) {
    int64_t days;
    switch ((sl_type)v->type) {
    case SL_T_DATE: *out = *v; return 0;
    case SL_T_TIMESTAMP: *out = sl_date(floor_div(v->u.i, MICROS_PER_DAY)); return 0;
    case SL_T_STRING:
        if (sl_expr_parse_date(v->u.s, v->len, &days) != 0)
            return cast_fail(err, v, SL_T_DATE, "expected YYYY-MM-DD");
        *out = sl_date(days);
        return 0;
    default: return cast_fail(err, v, SL_T_DATE, NULL);
    }
}

static int cast_to_timestamp(const sl_value *v, sl_value *out, sl_error *err) {
    int64_t us;
    switch ((sl_type)v->type) {
    case SL_T_TIMESTAMP: *out = *v; return 0;
    case SL_T_DATE:
        if (v->u.i > INT64_MAX / MICROS_PER_DAY || v->u.i < INT64_MIN / MICROS_PER_DAY)
            return cast_fail(err, v, SL_T_TIMESTAMP, "out of range");
        *out = sl_timestamp(v->u.i * MICROS_PER_DAY);
        return 0;
    case SL_T_STRING:
        if (sl_expr_parse_timestamp(v->u.s, v->len, &us) != 0)
            return cast_fail(err, v, SL_T_TIMESTAMP, "expected ISO 8601 YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM]");
        *out = sl_timestamp(us);
        return 0;
    default: return cast_fail(err, v, SL_T_TIMESTAMP, NULL);
    }
}

int sl_expr_cast(sl_arena *arena, const sl_value *v, sl_type to, sl_value *out, sl_error *err) {
    if (v->type == SL_T_NULL || to == SL_T_NULL) {
        *out = sl_null();
        return 0;
    }
    switch (to) {
    case SL_T_BOOL: return cast_to_bool(v, out, err);
    case SL_T_INT: return cast_to_int(v, out, err);
    case SL_T_DOUBLE: return cast_to_double(v, out, err);
    case SL_T_DECIMAL: return cast_to_decimal(arena, v, out, err);
    case SL_T_STRING: *out = sl_expr_text_of(arena, v); return 0;
    case SL_T_BINARY:
        if (v->type != SL_T_STRING && v->type != SL_T_BINARY) return cast_fail(err, v, to, NULL);
        *out = sl_binary(v->u.s, v->len);
        return 0;
    case SL_T_DATE: return cast_to_date(v, out, err);
    case SL_T_TIMESTAMP: return cast_to_timestamp(v, out, err);
    case SL_T_LIST:
    case SL_T_STRUCT:
        if (v->type != to) return cast_fail(err, v, to, NULL);
        *out = *v;
        return 0;
    default: return cast_fail(err, v, to, NULL);
    }
}
