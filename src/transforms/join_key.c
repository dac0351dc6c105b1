/*
 * join_key.c — the canonical byte form of join keys (see join.h): equal
 * bytes exactly when the join treats two key values as equal.
 *
 *   key value := tag payload (tags below; integers are 8 bytes little-endian,
 *                varints LEB128)
 *   INT        a long, or any number that is whole and fits a long
 *   DOUBLE     the IEEE bits of a double that is not a whole long (every NaN
 *              one pattern), or of a decimal equal to such a double: a whole
 *              number exactly, a fraction by the double's shortest digits
 *   DECIMAL    any other decimal: u8 sign, zigzag varint exponent, varint
 *              digit count, the significant digits (value = digits × 10^exp)
 *   BAD_DECIMAL  decimal text that does not parse, as it is
 *   STRING, BINARY  varint length, bytes
 *   BOOL       u8; DATE, TIMESTAMP  8 bytes
 *   LIST       varint count, items; STRUCT  varint count, (varint name
 *              length, name, value) per field; NULL inside them: the tag
 *
 * The bytes never leave a run (spill files), so they carry no version.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/numfmt.h"
#include "core/serialize.h"
#include "transforms/join.h"

enum {
    KT_NULL = 1, /* inside a list or struct; a null key value makes the whole key null */
    KT_BOOL,
    KT_INT,
    KT_DOUBLE,
    KT_DECIMAL,
    KT_BAD_DECIMAL, /* decimal text that does not parse: matched as text */
    KT_STRING,
    KT_BINARY,
    KT_DATE,
    KT_TIMESTAMP,
    KT_LIST,
    KT_STRUCT
};

static void put_u64(sl_buf *b, uint64_t x) {
    unsigned char t[8];
    for (int i = 0; i < 8; i++)
        t[i] = (unsigned char)(x >> (8 * i));
    sl_buf_add(b, t, 8);
}

static void put_int_key(sl_buf *b, int64_t i) {
    sl_buf_addc(b, KT_INT);
    put_u64(b, (uint64_t)i);
}

static void put_double_key(sl_buf *b, double d) {
    if (d == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == trunc(d)) {
        put_int_key(b, (int64_t)d); /* -0.0 too */
        return;
    }
    uint64_t bits = 0x7ff8000000000000ull;
    if (d == d) memcpy(&bits, &d, 8);
    sl_buf_addc(b, KT_DOUBLE);
    put_u64(b, bits);
}

/* Decimal text as sign, significant digits (no leading or trailing zeros)
 * and exponent: value = digits × 10^exp; zero has no digits. false for
 * text that is not [+-]digits[.digits][e[+-]digits]. */
static bool dec_canon(const char *s, size_t n, sl_buf *digits, bool *neg, int64_t *exp) {
    size_t i = 0;
    int64_t frac = 0, e = 0;
    bool any = false, dot = false;
    sl_buf_reset(digits);
    *neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) *neg = s[i++] == '-';
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            any = true;
            frac += dot;
            if (digits->len || c != '0') sl_buf_addc(digits, c);
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            break;
        }
    }
    if (!any) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        bool eneg = false, edigits = false;
        if (++i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            edigits = true;
            if (e < 1000000000) e = e * 10 + (s[i] - '0');
        }
        if (!edigits) return false;
        if (eneg) e = -e;
    }
    if (i != n) return false;
    int64_t stripped = 0;
    while (digits->len && digits->data[digits->len - 1] == '0')
        digits->len--, stripped++;
    *exp = e - frac + stripped;
    if (!digits->len) *neg = false, *exp = 0;
    return true;
}

static void put_decimal_key(sl_buf *b, const sl_value *v, sl_join_keybufs *kb) {
    bool neg;
    int64_t e;
    if (!dec_canon(v->u.s, v->len, &kb->a, &neg, &e)) {
        sl_buf_addc(b, KT_BAD_DECIMAL);
        sl_varint_put(b, v->len);
        sl_buf_add(b, v->u.s, v->len);
        return;
    }
    size_t nd = kb->a.len;
    const char *dg = kb->a.data;
    if (!nd) {
        put_int_key(b, 0);
        return;
    }
    if (e >= 0 && (int64_t)nd + e <= 19) { /* a whole number: a long if it fits */
        uint64_t u = 0;
        bool ok = true;
        for (size_t i = 0; i < nd + (size_t)e && ok; i++) {
            unsigned digit = i < nd ? (unsigned)(dg[i] - '0') : 0;
            if (u > (UINT64_MAX - digit) / 10)
                ok = false;
            else
                u = u * 10 + digit;
        }
        if (ok && (neg ? u <= (UINT64_C(1) << 63) : u < (UINT64_C(1) << 63))) {
            put_int_key(b, neg ? (int64_t)(0 - u) : (int64_t)u);
            return;
        }
    }
    /* A whole number equal to a double (beyond a long: 2^63, 1e20) is that
     * double; so is a fraction whose digits are a double's shortest form
     * (0.10 and the double 0.1). */
    bool whole = e >= 0;
    if (whole ? (int64_t)nd + e <= 309 : nd <= 17 && e > -400) {
        char text[400], form[400];
        snprintf(text, sizeof text, "%s%.*se%lld", neg ? "-" : "", (int)nd, dg, (long long)e);
        double d = strtod(text, NULL);
        if (isfinite(d) && d != 0) {
            int n = whole ? snprintf(form, sizeof form, "%.0f", d) : sl_format_double(d, form);
            bool neg2;
            int64_t e2;
            if (n > 0 && (size_t)n < sizeof form && dec_canon(form, (size_t)n, &kb->b, &neg2, &e2) && neg2 == neg &&
                e2 == e && kb->b.len == nd && !memcmp(kb->b.data, dg, nd)) {
                put_double_key(b, d);
                return;
            }
        }
    }
    sl_buf_addc(b, KT_DECIMAL);
    sl_buf_addc(b, neg ? 1 : 0);
    sl_varint_put(b, ((uint64_t)e << 1) ^ (uint64_t)(e >> 63));
    sl_varint_put(b, nd);
    sl_buf_add(b, dg, nd);
}

void sl_join_key_put(sl_buf *b, const sl_value *v, sl_join_keybufs *kb) {
    switch ((sl_type)v->type) {
    case SL_T_NULL: sl_buf_addc(b, KT_NULL); break;
    case SL_T_BOOL:
        sl_buf_addc(b, KT_BOOL);
        sl_buf_addc(b, v->u.b ? 1 : 0);
        break;
    case SL_T_INT: put_int_key(b, v->u.i); break;
    case SL_T_DOUBLE: put_double_key(b, v->u.d); break;
    case SL_T_DECIMAL: put_decimal_key(b, v, kb); break;
    case SL_T_STRING:
    case SL_T_BINARY:
        sl_buf_addc(b, v->type == SL_T_STRING ? KT_STRING : KT_BINARY);
        sl_varint_put(b, v->len);
        sl_buf_add(b, v->u.s, v->len);
        break;
    case SL_T_DATE:
    case SL_T_TIMESTAMP:
        sl_buf_addc(b, v->type == SL_T_DATE ? KT_DATE : KT_TIMESTAMP);
        put_u64(b, (uint64_t)v->u.i);
        break;
    case SL_T_LIST:
        sl_buf_addc(b, KT_LIST);
        sl_varint_put(b, v->len);
        for (uint32_t i = 0; i < v->len; i++)
            sl_join_key_put(b, &v->u.items[i], kb);
        break;
    case SL_T_STRUCT:
        sl_buf_addc(b, KT_STRUCT);
        sl_varint_put(b, v->len);
        for (uint32_t i = 0; i < v->len; i++) {
            const sl_field *f = &v->u.fields[i];
            sl_varint_put(b, f->name_len);
            sl_buf_add(b, f->name, f->name_len);
            sl_join_key_put(b, &f->value, kb);
        }
        break;
    default: break;
    }
}

void sl_join_key(sl_buf *out, const sl_value *v) {
    sl_join_keybufs kb;
    sl_buf_init(&kb.a, 0);
    sl_buf_init(&kb.b, 0);
    sl_join_key_put(out, v, &kb);
    sl_buf_free(&kb.a);
    sl_buf_free(&kb.b);
}
