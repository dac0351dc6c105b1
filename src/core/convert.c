/*
 * convert.c — the parts of the record model that interpret values: casts
 * between types, text forms (and compact JSON for lists and structs), deep
 * equality and the total order, path access, and the calendar (proleptic
 * Gregorian, UTC) behind dates and timestamps. Lists and structs become
 * text through the JSON writer (formats/json.h), so all JSON looks alike.
 *
 * The cast matrix — which pairs convert, how, and why a cast fails — is
 * written down in docs/types.md; keep the two in step.
 *
 * Nothing here trusts the data: malformed decimal text, absurd day counts
 * and overlong strings produce errors or clamped output, never a crash.
 * Results that need memory are built in the caller's arena.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/mem.h"
#include "core/numfmt.h"
#include "core/value.h"
#include "formats/json.h"

#define US_PER_SEC 1000000LL
#define US_PER_DAY 86400000000LL
#define SEC_PER_DAY 86400LL
/* 2^63 as a double: the first double above every int64. */
#define TWO_POW_63 9223372036854775808.0

/* ------------------------------------------------------------------ */
/* Text built in an arena (grows in place while it is the newest allocation). */

typedef struct text_builder {
    sl_arena *arena;
    char *data;
    size_t len, cap;
} text_builder;

static void tb_init(text_builder *tb, sl_arena *a, size_t hint) {
    tb->arena = a;
    tb->cap = hint < 16 ? 16 : hint;
    tb->data = sl_arena_alloc(a, tb->cap);
    tb->len = 0;
}

static void tb_reserve(text_builder *tb, size_t extra) {
    size_t need = tb->len + extra + 1;
    if (need <= tb->cap) return;
    size_t cap = tb->cap * 2;
    while (cap < need)
        cap *= 2;
    tb->data = sl_arena_realloc(tb->arena, tb->data, tb->cap, cap);
    tb->cap = cap;
}

static void tb_add(text_builder *tb, const char *s, size_t len) {
    if (!len) return;
    tb_reserve(tb, len);
    memcpy(tb->data + tb->len, s, len);
    tb->len += len;
}

static void tb_adds(text_builder *tb, const char *s) { tb_add(tb, s, strlen(s)); }

/* NUL-terminates and wraps the text as a STRING value. */
static sl_value tb_finish(text_builder *tb) {
    tb_reserve(tb, 0);
    tb->data[tb->len] = 0;
    unsigned flags = sl_json_plain(tb->data, tb->len) ? SL_VF_JSON_PLAIN : 0;
    return sl_string(tb->data, tb->len, flags);
}

/* ------------------------------------------------------------------ */
/* Calendar: Howard Hinnant's days_from_civil / civil_from_days. Days are
 * counted from 1970-01-01; a 400-year era has 146097 days; inside an era the
 * year starts on March 1 so the leap day falls at the end. */

int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t year_of_era = y - era * 400;                                /* [0, 399] */
    int64_t month_from_march = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9; /* [0, 11] */
    int64_t day_of_year = (153 * month_from_march + 2) / 5 + (int64_t)d - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

void sl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d) {
    /* Keep the shifts below from overflowing; such day counts are far
     * outside any calendar (years beyond ±2.5e16) and are clamped. */
    if (days > INT64_MAX - 719468) days = INT64_MAX - 719468;
    if (days < INT64_MIN + 146097 + 719468) days = INT64_MIN + 146097 + 719468;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t day_of_era = z - era * 146097; /* [0, 146096] */
    int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_from_march = (5 * day_of_year + 2) / 153;
    *d = (unsigned)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    *m = (unsigned)(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
    *y = year_of_era + era * 400 + (*m <= 2);
}

static bool is_leap_year(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int64_t y, unsigned m) {
    static const unsigned char lengths[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap_year(y) ? 29 : lengths[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ------------------------------------------------------------------ */
/* ISO 8601 parsing. */

typedef struct cursor {
    const char *p, *end;
} cursor;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Exactly n digits. */
static bool take_digits(cursor *c, int n, int64_t *out) {
    int64_t v = 0;
    if (c->end - c->p < n) return false;
    for (int i = 0; i < n; i++) {
        if (!is_digit(c->p[i])) return false;
        v = v * 10 + (c->p[i] - '0');
    }
    c->p += n;
    *out = v;
    return true;
}

static bool take_char(cursor *c, char ch) {
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* "YYYY-MM-DD", or ISO's expanded years "+YYYYYY-MM-DD" / "-YYYY-MM-DD"
 * (a sign and 4 to 6 digits). */
static bool take_date(cursor *c, int64_t *days) {
    int64_t year = 0, month, day;
    bool negative = false;
    if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
        negative = *c->p++ == '-';
        int n = 0;
        while (n < 6 && c->p + n < c->end && is_digit(c->p[n]))
            n++;
        if (n < 4 || !take_digits(c, n, &year)) return false;
    } else if (!take_digits(c, 4, &year)) {
        return false;
    }
    if (negative) year = -year;
    if (!take_char(c, '-') || !take_digits(c, 2, &month) || !take_char(c, '-') || !take_digits(c, 2, &day))
        return false;
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, (unsigned)month)) return false;
    *days = sl_days_from_civil(year, (unsigned)month, (unsigned)day);
    return true;
}

int sl_parse_date(const char *s, size_t len, int64_t *days) {
    cursor c = {s, s + len};
    if (!take_date(&c, days) || c.p != c.end) return SL_EPARSE;
    return SL_OK;
}

/* Fraction after '.': 1 to 9 digits, truncated to microseconds. */
static bool take_fraction(cursor *c, int64_t *micros) {
    int64_t v = 0;
    int n = 0;
    while (c->p < c->end && is_digit(*c->p)) {
        if (++n > 9) return false;
        if (n <= 6) v = v * 10 + (*c->p - '0');
        c->p++;
    }
    if (n == 0) return false;
    for (int i = n; i < 6; i++)
        v *= 10;
    *micros = v;
    return true;
}

/* "", "Z", "±HH", "±HH:MM" or "±HHMM"; seconds east of UTC. */
static bool take_offset(cursor *c, int64_t *seconds) {
    *seconds = 0;
    if (c->p == c->end) return true;
    if (take_char(c, 'Z') || take_char(c, 'z')) return true;
    if (*c->p != '+' && *c->p != '-') return false;
    int sign = *c->p++ == '-' ? -1 : 1;
    int64_t hours, minutes = 0;
    if (!take_digits(c, 2, &hours)) return false;
    if (c->p < c->end) {
        take_char(c, ':');
        if (!take_digits(c, 2, &minutes)) return false;
    }
    if (hours > 23 || minutes > 59) return false;
    *seconds = sign * (hours * 3600 + minutes * 60);
    return true;
}

int sl_parse_timestamp(const char *s, size_t len, int64_t *micros) {
    cursor c = {s, s + len};
    int64_t days, hour, minute, second = 0, fraction = 0, offset;
    if (!take_date(&c, &days)) return SL_EPARSE;
    if (!(take_char(&c, 'T') || take_char(&c, 't') || take_char(&c, ' '))) return SL_EPARSE;
    if (!take_digits(&c, 2, &hour) || !take_char(&c, ':') || !take_digits(&c, 2, &minute)) return SL_EPARSE;
    if (take_char(&c, ':')) {
        if (!take_digits(&c, 2, &second)) return SL_EPARSE;
        if (take_char(&c, '.') && !take_fraction(&c, &fraction)) return SL_EPARSE;
    }
    if (!take_offset(&c, &offset) || c.p != c.end) return SL_EPARSE;
    if (hour > 23 || minute > 59 || second > 59) return SL_EPARSE;
    int64_t seconds = days * SEC_PER_DAY + hour * 3600 + minute * 60 + second - offset;
    /* Before the epoch, borrow a second so the product stays in range down
     * to INT64_MIN itself. */
    if (seconds < 0 && fraction > 0) seconds += 1, fraction -= US_PER_SEC;
    int64_t result;
    if (__builtin_mul_overflow(seconds, US_PER_SEC, &result) || __builtin_add_overflow(result, fraction, &result))
        return SL_EPARSE;
    *micros = result;
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* ISO 8601 formatting. Buffers of 64 bytes hold any value. */

static int format_date(int64_t days, char out[64]) {
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999) return snprintf(out, 64, "%04lld-%02u-%02u", (long long)y, m, d);
    if (y > 9999) return snprintf(out, 64, "+%lld-%02u-%02u", (long long)y, m, d);
    return snprintf(out, 64, "-%04lld-%02u-%02u", -(long long)y, m, d);
}

/* Fraction: none for whole seconds, 3 digits for whole milliseconds, else 6. */
static int format_timestamp(int64_t micros, char out[64]) {
    int64_t days = micros / US_PER_DAY, in_day = micros % US_PER_DAY;
    if (in_day < 0) in_day += US_PER_DAY, days--; /* floor, without overflowing at INT64_MIN */
    int64_t secs = in_day / US_PER_SEC, frac = in_day % US_PER_SEC;
    int n = format_date(days, out);
    n += snprintf(out + n, 64 - (size_t)n, "T%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60),
                  (int)(secs % 60));
    if (frac % 1000 == 0 && frac != 0)
        n += snprintf(out + n, 64 - (size_t)n, ".%03d", (int)(frac / 1000));
    else if (frac != 0)
        n += snprintf(out + n, 64 - (size_t)n, ".%06d", (int)frac);
    out[n++] = 'Z';
    out[n] = 0;
    return n;
}

/* ------------------------------------------------------------------ */
/* Decimal text: [+-]digits[.digits][(e|E)[+-]digits], at least one digit.
 * Read as value = ±0.D1D2…Dn × 10^exp with D1 the first nonzero digit, so
 * magnitudes compare by exponent first and digits second, exactly. */

typedef struct dec {
    bool negative;
    bool zero;
    const char *digits; /* first significant digit (a '.' may follow among the rest) */
    const char *end;    /* end of the mantissa */
    int64_t exp;
} dec;

static bool dec_parse(const char *s, size_t len, dec *out) {
    const char *p = s, *end = s + len;
    out->negative = false;
    if (p < end && (*p == '+' || *p == '-')) out->negative = *p++ == '-';
    int64_t index = 0, int_digits = -1, first_index = 0;
    const char *first = NULL;
    for (; p < end; p++) {
        if (is_digit(*p)) {
            if (!first && *p != '0') {
                first = p;
                first_index = index;
            }
            index++;
        } else if (*p == '.' && int_digits < 0) {
            int_digits = index;
        } else {
            break;
        }
    }
    if (index == 0) return false;
    if (int_digits < 0) int_digits = index;
    const char *mantissa_end = p;
    int64_t e10 = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        bool e_negative = false;
        p++;
        if (p < end && (*p == '+' || *p == '-')) e_negative = *p++ == '-';
        if (p == end || !is_digit(*p)) return false;
        for (; p < end && is_digit(*p); p++)
            if (e10 < 1000000000000LL) e10 = e10 * 10 + (*p - '0'); /* clamp: beyond any use */
        if (e_negative) e10 = -e10;
    }
    if (p != end) return false;
    out->zero = first == NULL;
    out->digits = first;
    out->end = mantissa_end;
    out->exp = int_digits - first_index + e10;
    return true;
}

/* Next significant digit, '0' once the mantissa is exhausted. */
static char dec_next(const char **p, const char *end) {
    while (*p < end && **p == '.')
        (*p)++;
    return *p < end ? *(*p)++ : '0';
}

static bool dec_exhausted(const char *p, const char *end) {
    while (p < end && *p == '.')
        p++;
    return p >= end;
}

static int dec_compare(const dec *a, const dec *b) {
    int sa = a->zero ? 0 : a->negative ? -1 : 1;
    int sb = b->zero ? 0 : b->negative ? -1 : 1;
    if (sa != sb) return sa < sb ? -1 : 1;
    if (sa == 0) return 0;
    int magnitude = 0;
    if (a->exp != b->exp) {
        magnitude = a->exp < b->exp ? -1 : 1;
    } else {
        const char *p = a->digits, *q = b->digits;
        while (!magnitude && !(dec_exhausted(p, a->end) && dec_exhausted(q, b->end))) {
            char ca = dec_next(&p, a->end), cb = dec_next(&q, b->end);
            if (ca != cb) magnitude = ca < cb ? -1 : 1;
        }
    }
    return sa * magnitude;
}

enum { DEC_OK, DEC_FRACTION, DEC_RANGE };

/* Exact conversion to int64: the value must be whole and in range. */
static int dec_to_int64(const dec *d, int64_t *out) {
    if (d->zero) {
        *out = 0;
        return DEC_OK;
    }
    if (d->exp <= 0) return DEC_FRACTION;
    if (d->exp > 19) return DEC_RANGE;
    const char *p = d->digits;
    uint64_t acc = 0;
    for (int64_t i = 0; i < d->exp; i++) {
        unsigned digit = (unsigned)(dec_next(&p, d->end) - '0');
        if (acc > (UINT64_MAX - digit) / 10) return DEC_RANGE;
        acc = acc * 10 + digit;
    }
    while (!dec_exhausted(p, d->end))
        if (dec_next(&p, d->end) != '0') return DEC_FRACTION;
    uint64_t limit = d->negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (acc > limit) return DEC_RANGE;
    *out = d->negative ? (int64_t)(0 - acc) : (int64_t)acc;
    return DEC_OK;
}

/* strtod on a NUL-terminated copy; *range is set when the text overflows. */
static double text_to_double(const char *s, size_t len, bool *range) {
    char small[128];
    char *copy = len < sizeof small ? small : sl_xstrndup(s, len);
    if (copy == small) {
        memcpy(small, s, len);
        small[len] = 0;
    }
    errno = 0;
    double d = strtod(copy, NULL);
    *range = errno == ERANGE && isinf(d);
    if (copy != small) free(copy);
    return d;
}

/* ------------------------------------------------------------------ */
/* Paths: steps are field names separated by '.', and [N] list indexes.
 * A name in backquotes (`a.b`) may contain '.' and '['. */

const sl_value *sl_value_path(const sl_value *v, const char *path, size_t path_len) {
    const char *p = path, *end = path + path_len;
    const sl_value *cur = v;
    while (cur && p < end) {
        if (*p == '[') {
            uint64_t index = 0;
            const char *digits = ++p;
            while (p < end && is_digit(*p) && p - digits < 10)
                index = index * 10 + (uint64_t)(*p++ - '0');
            if (p == digits || p == end || *p != ']') return NULL;
            p++;
            if (cur->type != SL_T_LIST || index >= cur->len) return NULL;
            cur = &cur->u.items[index];
        } else {
            const char *name = p;
            size_t name_len;
            if (*p == '`') {
                name = ++p;
                while (p < end && *p != '`')
                    p++;
                if (p == end) return NULL;
                name_len = (size_t)(p++ - name);
            } else {
                while (p < end && *p != '.' && *p != '[')
                    p++;
                name_len = (size_t)(p - name);
                if (name_len == 0) return NULL;
            }
            const sl_field *f = sl_struct_find(cur, name, name_len);
            cur = f ? &f->value : NULL;
        }
        if (p < end && *p != '[') {
            if (*p != '.' || ++p == end || *p == '[') return NULL;
        }
    }
    return cur;
}

/* ------------------------------------------------------------------ */
/* Equality and order. */

static bool double_same(double x, double y) { return x == y || (isnan(x) && isnan(y)); }

static bool bytes_equal(const sl_value *x, const sl_value *y) {
    return x->len == y->len && (x->len == 0 || memcmp(x->u.s, y->u.s, x->len) == 0);
}

bool sl_value_equal(const sl_value *x, const sl_value *y) {
    if (x->type != y->type) return false;
    switch ((sl_type)x->type) {
    case SL_T_NULL: return true;
    case SL_T_BOOL: return x->u.b == y->u.b;
    case SL_T_INT:
    case SL_T_DATE:
    case SL_T_TIMESTAMP: return x->u.i == y->u.i;
    case SL_T_DOUBLE: return double_same(x->u.d, y->u.d);
    case SL_T_DECIMAL:
    case SL_T_STRING:
    case SL_T_BINARY: return bytes_equal(x, y);
    case SL_T_LIST:
        if (x->len != y->len) return false;
        for (uint32_t i = 0; i < x->len; i++)
            if (!sl_value_equal(&x->u.items[i], &y->u.items[i])) return false;
        return true;
    case SL_T_STRUCT:
        if (x->len != y->len) return false;
        for (uint32_t i = 0; i < x->len; i++) {
            const sl_field *a = &x->u.fields[i], *b = &y->u.fields[i];
            if (a->name_len != b->name_len || memcmp(a->name, b->name, a->name_len) != 0) return false;
            if (!sl_value_equal(&a->value, &b->value)) return false;
        }
        return true;
    default: return false;
    }
}

static int type_rank(uint8_t t) {
    switch ((sl_type)t) {
    case SL_T_NULL: return 0;
    case SL_T_BOOL: return 1;
    case SL_T_INT:
    case SL_T_DOUBLE:
    case SL_T_DECIMAL: return 2;
    case SL_T_STRING: return 3;
    case SL_T_BINARY: return 4;
    case SL_T_DATE: return 5;
    case SL_T_TIMESTAMP: return 6;
    case SL_T_LIST: return 7;
    case SL_T_STRUCT: return 8;
    default: return 9;
    }
}

static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

/* NaN equals NaN and sorts above every other number; -0.0 equals 0.0. */
static int cmp_double(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
    return a < b ? -1 : a > b;
}

/* Exact: no rounding of i to double. */
static int cmp_int_double(int64_t i, double d) {
    if (isnan(d) || d >= TWO_POW_63) return -1;
    if (d < -TWO_POW_63) return 1;
    int64_t whole = (int64_t)d; /* in range: truncation is exact */
    if (i != whole) return i < whole ? -1 : 1;
    double fraction = d - (double)whole;
    return fraction > 0 ? -1 : fraction < 0;
}

/* Exact. strtod rounds monotonically, so a difference after rounding is
 * the true order; a tie is settled against the double's exact decimal
 * expansion (at most 767 significant digits, which glibc prints exactly).
 * Malformed decimal text sorts as NaN; "1e400" sorts below Infinity. */
static int cmp_double_decimal(double d, const sl_value *y) {
    dec a, b;
    bool range;
    if (!dec_parse(y->u.s, y->len, &b)) return cmp_double(d, NAN);
    if (isinf(d)) return d > 0 ? 1 : -1; /* decimal text is always finite */
    int c = cmp_double(d, text_to_double(y->u.s, y->len, &range));
    if (c || isnan(d)) return c;
    char exact[800];
    int n = snprintf(exact, sizeof exact, "%.767e", d);
    if (n <= 0 || (size_t)n >= sizeof exact || !dec_parse(exact, (size_t)n, &a)) return 0;
    return dec_compare(&a, &b);
}

static int cmp_int_decimal(int64_t i, const sl_value *y) {
    char text[21];
    dec a, b;
    int n = sl_format_int(i, text);
    dec_parse(text, (size_t)n, &a);
    if (!dec_parse(y->u.s, y->len, &b)) return -1; /* malformed sorts as NaN */
    return dec_compare(&a, &b);
}

static int cmp_numbers(const sl_value *x, const sl_value *y) {
    int c;
    uint8_t tx = x->type, ty = y->type;
    if (tx == SL_T_INT && ty == SL_T_INT) {
        c = cmp_i64(x->u.i, y->u.i);
    } else if (tx == SL_T_DOUBLE && ty == SL_T_DOUBLE) {
        c = cmp_double(x->u.d, y->u.d);
    } else if (tx == SL_T_INT && ty == SL_T_DOUBLE) {
        c = cmp_int_double(x->u.i, y->u.d);
    } else if (tx == SL_T_DOUBLE && ty == SL_T_INT) {
        c = -cmp_int_double(y->u.i, x->u.d);
    } else if (tx == SL_T_INT) {
        c = cmp_int_decimal(x->u.i, y);
    } else if (ty == SL_T_INT) {
        c = -cmp_int_decimal(y->u.i, x);
    } else if (tx == SL_T_DOUBLE) {
        c = cmp_double_decimal(x->u.d, y);
    } else if (ty == SL_T_DOUBLE) {
        c = -cmp_double_decimal(y->u.d, x);
    } else {
        dec a, b;
        bool ok_a = dec_parse(x->u.s, x->len, &a), ok_b = dec_parse(y->u.s, y->len, &b);
        if (ok_a && ok_b)
            c = dec_compare(&a, &b);
        else /* malformed text sorts as NaN: above every number */
            c = ok_a == ok_b ? 0 : ok_a ? -1 : 1;
    }
    if (c) return c;
    /* Numerically equal: order by type, then by decimal text, so that
     * compare() == 0 exactly when sl_value_equal() holds. */
    if (tx != ty) return tx < ty ? -1 : 1;
    if (tx == SL_T_DECIMAL) return cmp_bytes(x->u.s, x->len, y->u.s, y->len);
    return 0;
}

int sl_value_compare(const sl_value *x, const sl_value *y) {
    int rx = type_rank(x->type), ry = type_rank(y->type);
    if (rx != ry) return rx < ry ? -1 : 1;
    switch ((sl_type)x->type) {
    case SL_T_NULL: return 0;
    case SL_T_BOOL: return (int)x->u.b - (int)y->u.b;
    case SL_T_INT:
    case SL_T_DOUBLE:
    case SL_T_DECIMAL: return cmp_numbers(x, y);
    case SL_T_STRING:
    case SL_T_BINARY: return cmp_bytes(x->u.s, x->len, y->u.s, y->len);
    case SL_T_DATE:
    case SL_T_TIMESTAMP: return cmp_i64(x->u.i, y->u.i);
    case SL_T_LIST: {
        uint32_t n = x->len < y->len ? x->len : y->len;
        for (uint32_t i = 0; i < n; i++) {
            int c = sl_value_compare(&x->u.items[i], &y->u.items[i]);
            if (c) return c;
        }
        return x->len < y->len ? -1 : x->len > y->len;
    }
    case SL_T_STRUCT: {
        uint32_t n = x->len < y->len ? x->len : y->len;
        for (uint32_t i = 0; i < n; i++) {
            const sl_field *a = &x->u.fields[i], *b = &y->u.fields[i];
            int c = cmp_bytes(a->name, a->name_len, b->name, b->name_len);
            if (!c) c = sl_value_compare(&a->value, &b->value);
            if (c) return c;
        }
        return x->len < y->len ? -1 : x->len > y->len;
    }
    default: return 0;
    }
}

/* ------------------------------------------------------------------ */
/* Text forms. */

static void add_base64(text_builder *tb, const unsigned char *p, size_t len) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    tb_reserve(tb, (len + 2) / 3 * 4);
    char *out = tb->data + tb->len;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t n = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *out++ = alphabet[n >> 18];
        *out++ = alphabet[n >> 12 & 63];
        *out++ = alphabet[n >> 6 & 63];
        *out++ = alphabet[n & 63];
    }
    if (i < len) {
        uint32_t n = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
        *out++ = alphabet[n >> 18];
        *out++ = alphabet[n >> 12 & 63];
        *out++ = i + 1 < len ? alphabet[n >> 6 & 63] : '=';
        *out++ = '=';
    }
    tb->len = (size_t)(out - tb->data);
}

/* Text of a scalar as to_text gives it (strings raw, binary in base64). */
static void add_scalar_text(text_builder *tb, const sl_value *v) {
    char text[64];
    switch ((sl_type)v->type) {
    case SL_T_NULL: tb_adds(tb, "null"); break;
    case SL_T_BOOL: tb_adds(tb, v->u.b ? "true" : "false"); break;
    case SL_T_INT: tb_add(tb, text, (size_t)sl_format_int(v->u.i, text)); break;
    case SL_T_DOUBLE: tb_add(tb, text, (size_t)sl_format_double(v->u.d, text)); break;
    case SL_T_DECIMAL:
    case SL_T_STRING: tb_add(tb, v->u.s, v->len); break;
    case SL_T_BINARY: add_base64(tb, (const unsigned char *)v->u.s, v->len); break;
    case SL_T_DATE: tb_add(tb, text, (size_t)format_date(v->u.i, text)); break;
    case SL_T_TIMESTAMP: tb_add(tb, text, (size_t)format_timestamp(v->u.i, text)); break;
    default: break;
    }
}

/* Compact JSON through the JSON writer, so every JSON sluice prints looks
 * the same. False when the value nests deeper than the writer allows. */
static bool add_json(text_builder *tb, const sl_value *v) {
    sl_buf json;
    sl_buf_init(&json, 0);
    bool ok = sl_json_write(&json, v) == SL_OK;
    if (ok) tb_add(tb, json.data, json.len);
    sl_buf_free(&json);
    return ok;
}

sl_value sl_value_to_text(sl_arena *a, const sl_value *v) {
    text_builder tb;
    bool bytes = v->type == SL_T_STRING || v->type == SL_T_DECIMAL;
    tb_init(&tb, a, bytes ? v->len + 1 : 32);
    if (v->type == SL_T_LIST || v->type == SL_T_STRUCT)
        add_json(&tb, v);
    else
        add_scalar_text(&tb, v);
    return tb_finish(&tb);
}

/* ------------------------------------------------------------------ */
/* Casts. */

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static void trim(const char **s, size_t *len) {
    while (*len && is_space(**s))
        (*s)++, (*len)--;
    while (*len && is_space((*s)[*len - 1]))
        (*len)--;
}

static bool utf8_valid(const unsigned char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (len - i <= n) return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n + 1;
    }
    return true;
}

/* "string 'abc'", "double 1.5", "array" — for error messages. Long text is
 * cut at a UTF-8 boundary; control bytes show as '?'. */
static void describe(const sl_value *v, char *out, size_t size) {
    char text[64];
    const char *name = sl_type_name((sl_type)v->type);
    switch ((sl_type)v->type) {
    case SL_T_STRING:
    case SL_T_DECIMAL: {
        size_t n = v->len <= 40 ? v->len : 40;
        while (n < v->len && n > 0 && ((unsigned char)v->u.s[n] & 0xC0) == 0x80)
            n--;
        char shown[48];
        for (size_t i = 0; i < n; i++)
            shown[i] = (unsigned char)v->u.s[i] < 0x20 ? '?' : v->u.s[i];
        shown[n] = 0;
        const char *more = n < v->len ? "..." : "";
        if (v->type == SL_T_STRING)
            snprintf(out, size, "string '%s%s'", shown, more);
        else
            snprintf(out, size, "decimal %s%s", shown, more);
        return;
    }
    case SL_T_BOOL: snprintf(text, sizeof text, "%s", v->u.b ? "true" : "false"); break;
    case SL_T_INT: sl_format_int(v->u.i, text); break;
    case SL_T_DOUBLE: sl_format_double(v->u.d, text); break;
    case SL_T_DATE: format_date(v->u.i, text); break;
    case SL_T_TIMESTAMP: format_timestamp(v->u.i, text); break;
    case SL_T_BINARY: snprintf(out, size, "binary (%u bytes)", v->len); return;
    default: snprintf(out, size, "%s", name); return;
    }
    snprintf(out, size, "%s %s", name, text);
}

static int cast_fail(sl_error *err, const sl_value *v, sl_type to, const char *why) {
    char shown[96];
    describe(v, shown, sizeof shown);
    return sl_error_set(err, SL_ETYPE, "cannot cast %s to %s%s%s", shown, sl_type_name(to), why ? ": " : "",
                        why ? why : "");
}

static const char *const dec_reason[] = {NULL, "not a whole number", "out of range"};

/* Integer text, or decimal text with a whole value; surrounding spaces ok. */
static int parse_long_text(const char *s, size_t len, int64_t *out, const char **why) {
    trim(&s, &len);
    *why = NULL;
    /* fast path: up to 18 digits cannot overflow */
    size_t sign = len && (*s == '-' || *s == '+');
    if (len > sign && len - sign <= 18) {
        int64_t v = 0;
        size_t i = sign;
        while (i < len && is_digit(s[i]))
            v = v * 10 + (s[i++] - '0');
        if (i == len) {
            *out = *s == '-' ? -v : v;
            return SL_OK;
        }
    }
    dec d;
    if (!dec_parse(s, len, &d)) return SL_ETYPE;
    int rc = dec_to_int64(&d, out);
    *why = dec_reason[rc];
    return rc == DEC_OK ? SL_OK : SL_ETYPE;
}

static bool text_equals_nocase(const char *s, size_t len, const char *word) {
    size_t n = strlen(word);
    if (len != n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[i]) return false;
    }
    return true;
}

/* Decimal syntax (no hex, no "1e"), or nan / inf / infinity in any case. */
static int parse_double_text(const char *s, size_t len, double *out, const char **why) {
    trim(&s, &len);
    *why = NULL;
    dec d;
    if (dec_parse(s, len, &d)) {
        bool range;
        *out = text_to_double(s, len, &range);
        if (range) *why = "out of range";
        return range ? SL_ETYPE : SL_OK;
    }
    const char *word = s;
    size_t wlen = len;
    double sign = 1;
    if (wlen && (*word == '+' || *word == '-')) {
        sign = *word == '-' ? -1 : 1;
        word++, wlen--;
    }
    if (text_equals_nocase(word, wlen, "nan")) {
        *out = NAN;
        return SL_OK;
    }
    if (text_equals_nocase(word, wlen, "inf") || text_equals_nocase(word, wlen, "infinity")) {
        *out = sign * INFINITY;
        return SL_OK;
    }
    return SL_ETYPE;
}

static int parse_bool_text(const char *s, size_t len, bool *out) {
    static const char *const yes[] = {"true", "t", "yes", "y", "1"};
    static const char *const no[] = {"false", "f", "no", "n", "0"};
    trim(&s, &len);
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (text_equals_nocase(s, len, yes[i])) return *out = true, SL_OK;
        if (text_equals_nocase(s, len, no[i])) return *out = false, SL_OK;
    }
    return SL_ETYPE;
}

static int cast_to_bool(const sl_value *v, sl_value *out, sl_error *err) {
    bool b;
    switch ((sl_type)v->type) {
    case SL_T_INT: b = v->u.i != 0; break;
    case SL_T_DOUBLE:
        if (isnan(v->u.d)) return cast_fail(err, v, SL_T_BOOL, NULL);
        b = v->u.d != 0;
        break;
    case SL_T_DECIMAL: {
        dec d;
        if (!dec_parse(v->u.s, v->len, &d)) return cast_fail(err, v, SL_T_BOOL, "malformed decimal");
        b = !d.zero;
        break;
    }
    case SL_T_STRING:
        if (parse_bool_text(v->u.s, v->len, &b)) return cast_fail(err, v, SL_T_BOOL, NULL);
        break;
    default: return cast_fail(err, v, SL_T_BOOL, NULL);
    }
    *out = sl_bool(b);
    return SL_OK;
}

static int double_to_int(double d, int64_t *out, const char **why) {
    if (isnan(d)) return *why = "not a number", SL_ETYPE;
    if (d < -TWO_POW_63 || d >= TWO_POW_63) return *why = "out of range", SL_ETYPE;
    if (d != trunc(d)) return *why = "not a whole number", SL_ETYPE;
    *out = (int64_t)d;
    return SL_OK;
}

static int cast_to_int(const sl_value *v, sl_value *out, sl_error *err) {
    int64_t i = 0;
    const char *why = NULL;
    int rc = SL_OK;
    switch ((sl_type)v->type) {
    case SL_T_BOOL: i = v->u.b; break;
    case SL_T_DOUBLE: rc = double_to_int(v->u.d, &i, &why); break;
    case SL_T_DECIMAL: {
        dec d;
        if (!dec_parse(v->u.s, v->len, &d)) {
            rc = SL_ETYPE, why = "malformed decimal";
        } else {
            int r = dec_to_int64(&d, &i);
            rc = r == DEC_OK ? SL_OK : SL_ETYPE;
            why = dec_reason[r];
        }
        break;
    }
    case SL_T_STRING: rc = parse_long_text(v->u.s, v->len, &i, &why); break;
    case SL_T_TIMESTAMP: i = floor_div(v->u.i, US_PER_SEC); break;
    default: rc = SL_ETYPE; break;
    }
    if (rc) return cast_fail(err, v, SL_T_INT, why);
    *out = sl_int(i);
    return SL_OK;
}

static int cast_to_double(const sl_value *v, sl_value *out, sl_error *err) {
    double d = 0;
    const char *why = NULL;
    int rc = SL_OK;
    switch ((sl_type)v->type) {
    case SL_T_BOOL: d = v->u.b; break;
    case SL_T_INT: d = (double)v->u.i; break;
    case SL_T_DECIMAL: {
        dec parsed;
        bool range = false;
        if (!dec_parse(v->u.s, v->len, &parsed))
            rc = SL_ETYPE, why = "malformed decimal";
        else
            d = text_to_double(v->u.s, v->len, &range);
        if (range) rc = SL_ETYPE, why = "out of range";
        break;
    }
    case SL_T_STRING: rc = parse_double_text(v->u.s, v->len, &d, &why); break;
    case SL_T_TIMESTAMP: d = (double)v->u.i / (double)US_PER_SEC; break;
    default: rc = SL_ETYPE; break;
    }
    if (rc) return cast_fail(err, v, SL_T_DOUBLE, why);
    *out = sl_double(d);
    return SL_OK;
}

static int cast_to_decimal(sl_arena *a, const sl_value *v, sl_value *out, sl_error *err) {
    char text[33];
    int n;
    switch ((sl_type)v->type) {
    case SL_T_BOOL: *out = sl_decimal(v->u.b ? "1" : "0", 1); return SL_OK;
    case SL_T_INT: n = sl_format_int(v->u.i, text); break;
    case SL_T_DOUBLE:
        if (!isfinite(v->u.d)) return cast_fail(err, v, SL_T_DECIMAL, "not a finite number");
        n = sl_format_double(v->u.d, text);
        break;
    case SL_T_STRING: {
        const char *s = v->u.s;
        size_t len = v->len;
        dec d;
        trim(&s, &len);
        if (!dec_parse(s, len, &d)) return cast_fail(err, v, SL_T_DECIMAL, NULL);
        *out = sl_decimal(sl_arena_strndup(a, s, len), len);
        return SL_OK;
    }
    default: return cast_fail(err, v, SL_T_DECIMAL, NULL);
    }
    *out = sl_decimal(sl_arena_strndup(a, text, (size_t)n), (size_t)n);
    return SL_OK;
}

static int cast_to_string(sl_arena *a, const sl_value *v, sl_value *out, sl_error *err) {
    if (v->type == SL_T_BINARY) {
        if (!utf8_valid((const unsigned char *)v->u.s, v->len))
            return cast_fail(err, v, SL_T_STRING, "not valid UTF-8");
        *out = sl_string_copy(a, v->u.s, v->len);
        return SL_OK;
    }
    if (v->type >= SL_T__COUNT) return cast_fail(err, v, SL_T_STRING, NULL);
    if (v->type == SL_T_LIST || v->type == SL_T_STRUCT) {
        text_builder tb;
        tb_init(&tb, a, 64);
        if (!add_json(&tb, v)) return cast_fail(err, v, SL_T_STRING, "nested too deeply");
        *out = tb_finish(&tb);
        return SL_OK;
    }
    *out = sl_value_to_text(a, v);
    return SL_OK;
}

static int cast_to_binary(sl_arena *a, const sl_value *v, sl_value *out, sl_error *err) {
    if (v->type != SL_T_STRING) return cast_fail(err, v, SL_T_BINARY, NULL);
    *out = sl_binary(sl_arena_strndup(a, v->u.s, v->len), v->len);
    return SL_OK;
}

static int cast_to_date(const sl_value *v, sl_value *out, sl_error *err) {
    int64_t days, micros;
    if (v->type == SL_T_TIMESTAMP) {
        *out = sl_date(floor_div(v->u.i, US_PER_DAY));
        return SL_OK;
    }
    if (v->type != SL_T_STRING) return cast_fail(err, v, SL_T_DATE, NULL);
    const char *s = v->u.s;
    size_t len = v->len;
    trim(&s, &len);
    if (sl_parse_date(s, len, &days) == SL_OK) {
        *out = sl_date(days);
        return SL_OK;
    }
    if (sl_parse_timestamp(s, len, &micros) == SL_OK) {
        *out = sl_date(floor_div(micros, US_PER_DAY));
        return SL_OK;
    }
    return cast_fail(err, v, SL_T_DATE, NULL);
}

static int seconds_to_micros(double seconds, int64_t *out) {
    double us = seconds * (double)US_PER_SEC;
    if (!(us >= -TWO_POW_63 && us < TWO_POW_63)) return SL_ETYPE; /* also NaN */
    *out = (int64_t)us;
    return SL_OK;
}

static int cast_to_timestamp(const sl_value *v, sl_value *out, sl_error *err) {
    int64_t micros = 0, days;
    const char *why = "out of range";
    int rc = SL_OK;
    switch ((sl_type)v->type) {
    case SL_T_STRING: {
        const char *s = v->u.s;
        size_t len = v->len;
        trim(&s, &len);
        why = NULL;
        if (sl_parse_timestamp(s, len, &micros) == SL_OK) break;
        if (sl_parse_date(s, len, &days) == SL_OK && days <= INT64_MAX / US_PER_DAY && days >= INT64_MIN / US_PER_DAY)
            micros = days * US_PER_DAY;
        else
            rc = SL_ETYPE;
        break;
    }
    case SL_T_DATE:
        if (v->u.i > INT64_MAX / US_PER_DAY || v->u.i < INT64_MIN / US_PER_DAY)
            rc = SL_ETYPE;
        else
            micros = v->u.i * US_PER_DAY;
        break;
    case SL_T_INT: /* seconds since the epoch, as Spark and Glue cast */
        if (v->u.i > INT64_MAX / US_PER_SEC || v->u.i < INT64_MIN / US_PER_SEC)
            rc = SL_ETYPE;
        else
            micros = v->u.i * US_PER_SEC;
        break;
    case SL_T_DOUBLE:
        if (!isfinite(v->u.d)) why = "not a finite number";
        rc = seconds_to_micros(v->u.d, &micros);
        break;
    case SL_T_DECIMAL: {
        dec d;
        bool range;
        if (!dec_parse(v->u.s, v->len, &d)) {
            rc = SL_ETYPE, why = "malformed decimal";
            break;
        }
        rc = seconds_to_micros(text_to_double(v->u.s, v->len, &range), &micros);
        break;
    }
    default: rc = SL_ETYPE, why = NULL; break;
    }
    if (rc) return cast_fail(err, v, SL_T_TIMESTAMP, why);
    *out = sl_timestamp(micros);
    return SL_OK;
}

int sl_value_cast(sl_arena *a, const sl_value *v, sl_type to, sl_value *out, struct sl_error *err) {
    if (v->type == SL_T_NULL) {
        *out = sl_null();
        return SL_OK;
    }
    if (v->type == to) {
        *out = *v;
        return SL_OK;
    }
    switch (to) {
    case SL_T_BOOL: return cast_to_bool(v, out, err);
    case SL_T_INT: return cast_to_int(v, out, err);
    case SL_T_DOUBLE: return cast_to_double(v, out, err);
    case SL_T_DECIMAL: return cast_to_decimal(a, v, out, err);
    case SL_T_STRING: return cast_to_string(a, v, out, err);
    case SL_T_BINARY: return cast_to_binary(a, v, out, err);
    case SL_T_DATE: return cast_to_date(v, out, err);
    case SL_T_TIMESTAMP: return cast_to_timestamp(v, out, err);
    default: return cast_fail(err, v, to, NULL);
    }
}
