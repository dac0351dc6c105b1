/*
 * numfmt.c — number text: shortest round-trip doubles and fast integers.
 *
 * sl_format_double finds the shortest digit string that strtod reads back
 * bit-identical. Common values (a handful of significant digits, magnitudes
 * from about 1e-7 to 1e15) take an exact fast path: for k = 0, 1, 2, ... the
 * integer m nearest to d * 10^k is checked with one IEEE division, m / 10^k,
 * which is correctly rounded exactly like strtod when m < 2^53 and k <= 22
 * (Clinger's fast path), so the first k that reproduces d gives the fewest
 * digits. Everything else falls back to printf("%.*e") with increasing
 * precision, verified with strtod. The digits are then laid out in one place
 * (fixed notation for 1e-5 <= |d| < 1e17, exponent form otherwise).
 */
#include "core/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char digit_pairs[201] = "00010203040506070809"
                                     "10111213141516171819"
                                     "20212223242526272829"
                                     "30313233343536373839"
                                     "40414243444546474849"
                                     "50515253545556575859"
                                     "60616263646566676869"
                                     "70717273747576777879"
                                     "80818283848586878889"
                                     "90919293949596979899";

static const double pow10_table[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Writes the decimal digits of u (no sign) ending at end; returns the start. */
static char *utoa_backwards(uint64_t u, char *end) {
    char *p = end;
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        p -= 2;
        memcpy(p, digit_pairs + 2 * r, 2);
    }
    if (u >= 10) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * u, 2);
    } else {
        *--p = (char)('0' + u);
    }
    return p;
}

int sl_format_int(int64_t i, char out[21]) {
    char tmp[24];
    char *end = tmp + sizeof tmp;
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    char *p = utoa_backwards(u, end);
    if (i < 0) *--p = '-';
    int n = (int)(end - p);
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    return n;
}

/* Lays out digits (n significant digits, no leading/trailing zeros except
 * the single digit "0") with decimal exponent e meaning 0.d1d2... * 10^e,
 * i.e. the value is d1.d2d3... * 10^(e-1). */
static int layout(int negative, const char *digits, int n, int e, char *out) {
    char *p = out;
    if (negative) *p++ = '-';
    int sci = e - 1; /* exponent in d.ddd form */
    if (sci >= -5 && sci < 17) {
        if (e <= 0) {
            *p++ = '0';
            *p++ = '.';
            for (int i = 0; i < -e; i++)
                *p++ = '0';
            memcpy(p, digits, (size_t)n);
            p += n;
        } else if (n <= e) {
            memcpy(p, digits, (size_t)n);
            p += n;
            for (int i = n; i < e; i++)
                *p++ = '0';
            *p++ = '.';
            *p++ = '0';
        } else {
            memcpy(p, digits, (size_t)e);
            p += e;
            *p++ = '.';
            memcpy(p, digits + e, (size_t)(n - e));
            p += n - e;
        }
    } else {
        *p++ = digits[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, digits + 1, (size_t)(n - 1));
            p += n - 1;
        }
        *p++ = 'e';
        *p++ = sci < 0 ? '-' : '+';
        int a = sci < 0 ? -sci : sci;
        char tmp[8];
        char *q = utoa_backwards((uint64_t)a, tmp + sizeof tmp);
        memcpy(p, q, (size_t)(tmp + sizeof tmp - q));
        p += tmp + sizeof tmp - q;
    }
    *p = '\0';
    return (int)(p - out);
}

/* Exact fast path for positive finite d; returns the output length, or 0
 * when d is outside the fast path's reach. */
static int format_fast(int negative, double d, char *out) {
    if (!(d >= 1e-7 && d < 1e15)) return 0;
    for (int k = 0; k <= 22; k++) {
        double scaled = d * pow10_table[k];
        if (scaled >= 9007199254740992.0) return 0;
        /* nearbyint() without the libm call: adding and taking off 2^52
         * rounds to the nearest integer (ties to even), as nearbyint does
         * in the default rounding mode; from 2^52 on every double is one */
        double r = scaled < 0x1p52 ? (scaled + 0x1p52) - 0x1p52 : scaled;
        /* An m with m / 10^k == d lies within scaled * 2^-51 of scaled, so
         * below 2^49 it is r, and r is that close: skip the divisions when
         * it is not (most k of a number with many digits). */
        if (scaled < 0x1p49 && fabs(scaled - r) > scaled * 0x1p-50) continue;
        /* d * 10^k may itself be rounded: also try the neighbours. */
        for (int delta = 0; delta < 3; delta++) {
            double m = delta == 0 ? r : delta == 1 ? r - 1 : r + 1;
            if (m <= 0 || m / pow10_table[k] != d) continue;
            char tmp[24];
            char *end = tmp + sizeof tmp;
            char *digits = utoa_backwards((uint64_t)m, end);
            int n = (int)(end - digits);
            int e = n - k; /* value = 0.digits * 10^e */
            while (n > 1 && digits[n - 1] == '0')
                n--;
            return layout(negative, digits, n, e, out);
        }
    }
    return 0;
}

/* General path: printf with increasing precision until strtod agrees. */
static int format_slow(int negative, double d, char *out) {
    char buf[40];
    int first = d < 2.2250738585072014e-308 ? 1 : 15; /* subnormals may need fewer than 15 digits */
    for (int prec = first; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (prec < 17 && strtod(buf, NULL) != d) continue;
        /* buf is "d.ddddde±XX" or "de±XX" */
        char digits[20];
        int n = 0;
        const char *p = buf;
        for (; *p != 'e'; p++)
            if (*p != '.') digits[n++] = *p;
        int sci = atoi(p + 1);
        while (n > 1 && digits[n - 1] == '0')
            n--;
        return layout(negative, digits, n, sci + 1, out);
    }
    return 0; /* not reached: 17 digits always round-trip */
}

int sl_format_double(double d, char out[33]) {
    if (isnan(d)) {
        memcpy(out, "NaN", 4);
        return 3;
    }
    if (isinf(d)) {
        if (d < 0) {
            memcpy(out, "-Infinity", 10);
            return 9;
        }
        memcpy(out, "Infinity", 9);
        return 8;
    }
    int negative = signbit(d) != 0;
    if (negative) d = -d;
    if (d == 0) return layout(negative, "0", 1, 1, out);
    int n = format_fast(negative, d, out);
    if (n) return n;
    return format_slow(negative, d, out);
}
