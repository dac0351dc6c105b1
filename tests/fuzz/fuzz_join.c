/* fuzz_join.c — join keys from arbitrary text: the canonical key form
 * (transforms/join.h) never crashes, and values the join must treat as equal
 * get equal bytes: a double and its shortest text as a decimal (its exact
 * digits when it is a whole number), a decimal
 * with extra leading or trailing zeros, a long and the double equal to it. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/numfmt.h"
#include "core/serialize.h"
#include "formats/json.h"
#include "transforms/join.h"

static void key_of(sl_buf *b, const sl_value *v) {
    sl_buf_reset(b);
    sl_join_key(b, v);
}

static void same(const sl_value *x, const sl_value *y, const char *what) {
    sl_buf a, b;
    sl_buf_init(&a, 0);
    sl_buf_init(&b, 0);
    key_of(&a, x);
    key_of(&b, y);
    if (a.len != b.len || memcmp(a.data, b.data, a.len)) {
        fprintf(stderr, "join keys differ: %s\n", what);
        abort();
    }
    sl_buf_free(&a);
    sl_buf_free(&b);
}

/* Plain decimal text: [-]digits[.digits], no exponent. */
static int plain_decimal(const char *s, size_t n) {
    size_t i = s[0] == '-' ? 1 : 0, digits = 0, dots = 0;
    for (; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '.' && !dots)
            dots++;
        else
            return 0;
    }
    return digits > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    char *text = malloc(size + 3);
    memcpy(text, data, size);
    text[size] = 0;
    sl_buf k;
    sl_buf_init(&k, 0);
    sl_value dec = sl_decimal(text, size), str = sl_string(text, size, 0);
    key_of(&k, &dec);
    key_of(&k, &str);

    char *end;
    errno = 0;
    double d = size ? strtod(text, &end) : 0;
    if (size && end == text + size && isfinite(d)) {
        /* a double and its shortest text as a decimal; a whole double
         * matches its exact digits instead (whole numbers compare exactly) */
        char digits[400];
        int n;
        if (d == trunc(d))
            n = snprintf(digits, sizeof digits, "%.0f", d);
        else
            n = sl_format_double(d, digits);
        sl_value dv = sl_double(d), sv = sl_decimal(digits, (size_t)n);
        same(&dv, &sv, "double vs its decimal text");
    }
    if (size && plain_decimal(text, size)) { /* zeros that do not change the value */
        char *more = malloc(size + 3);
        size_t n = 0;
        int neg = text[0] == '-';
        if (neg) more[n++] = '-';
        more[n++] = '0';
        memcpy(more + n, text + neg, size - (size_t)neg);
        n += size - (size_t)neg;
        if (memchr(text, '.', size)) more[n++] = '0';
        sl_value a = sl_decimal(text, size), b = sl_decimal(more, n);
        same(&a, &b, "decimal with extra zeros");
        free(more);
    }
    errno = 0;
    long long i = size ? strtoll(text, &end, 10) : 0;
    if (size && end == text + size && !errno) { /* a long and the double equal to it */
        double as_double = (double)i;
        if (as_double < 9223372036854775808.0 && (long long)as_double == i) {
            sl_value iv = sl_int(i), dv = sl_double(as_double);
            same(&iv, &dv, "long vs equal double");
        }
    }
    sl_arena a;
    sl_arena_init(&a);
    sl_value v;
    if (sl_json_parse(text, size, &a, &v, NULL) == 0 && v.type != SL_T_NULL) { /* any value; a copy keys the same */
        sl_value copy = sl_value_deep_copy(&a, &v);
        same(&v, &copy, "deep copy");
    }
    sl_arena_free(&a);
    sl_buf_free(&k);
    free(text);
    return 0;
}
