/* test_convert.c — casts, text forms, equality/order, paths and the calendar (core/convert.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/value.h"
#include "formats/json.h"

static sl_arena arena;

static int setup(void **state) {
    (void)state;
    sl_arena_init(&arena);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sl_arena_free(&arena);
    return 0;
}

static sl_value str(const char *s) { return sl_string(s, strlen(s), 0); }
static sl_value dec(const char *s) { return sl_decimal(s, strlen(s)); }

static sl_value json(const char *text) {
    sl_value v;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_json_parse(text, strlen(text), &arena, &v, &err);
    if (rc) fail_msg("bad test JSON %s: %s", text, err.message);
    return v;
}

/* Text of v (via sl_value_to_text), NUL-terminated in the arena. */
static const char *text(sl_value v) { return sl_value_to_text(&arena, &v).u.s; }

static sl_value cast_ok(sl_value v, sl_type to) {
    sl_value out;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_value_cast(&arena, &v, to, &out, &err);
    if (rc != SL_OK) fail_msg("cast of %s to %s failed: %s", text(v), sl_type_name(to), err.message);
    assert_int_equal(out.type, v.type == SL_T_NULL ? SL_T_NULL : to);
    return out;
}

/* The cast fails with SL_ETYPE and exactly this message. */
static void cast_fails(sl_value v, sl_type to, const char *message) {
    sl_value out;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_value_cast(&arena, &v, to, &out, &err);
    assert_int_equal(rc, SL_ETYPE);
    assert_int_equal(err.code, SL_ETYPE);
    assert_string_equal(err.message, message);
}

/* ---- calendar ---- */

static void test_days_from_civil(void **state) {
    (void)state;
    assert_int_equal(sl_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(sl_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(sl_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(sl_days_from_civil(2024, 2, 29), 19782);
    assert_int_equal(sl_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(sl_days_from_civil(9999, 12, 31), 2932896);
    /* year 0 is a leap year (divisible by 400) */
    assert_int_equal(sl_days_from_civil(0, 3, 1) - sl_days_from_civil(0, 2, 28), 2);
    assert_int_equal(sl_days_from_civil(-1, 12, 31) + 1, sl_days_from_civil(0, 1, 1));
}

static void test_civil_round_trip(void **state) {
    (void)state;
    int64_t prev_y = 0;
    unsigned prev_m = 0, prev_d = 0;
    for (int64_t days = -1000000; days <= 1000000; days++) {
        int64_t y;
        unsigned m, d;
        sl_civil_from_days(days, &y, &m, &d);
        assert_true(m >= 1 && m <= 12 && d >= 1 && d <= 31);
        assert_int_equal(sl_days_from_civil(y, m, d), days);
        if (days > -1000000) { /* consecutive days are consecutive dates */
            bool next_day = y == prev_y && m == prev_m && d == prev_d + 1;
            bool next_month = y == prev_y && m == prev_m + 1 && d == 1;
            bool next_year = y == prev_y + 1 && m == 1 && d == 1 && prev_m == 12 && prev_d == 31;
            assert_true(next_day || next_month || next_year);
        }
        prev_y = y, prev_m = m, prev_d = d;
    }
    /* absurd day counts are clamped, not undefined */
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(INT64_MAX, &y, &m, &d);
    sl_civil_from_days(INT64_MIN, &y, &m, &d);
    assert_true(y < 0);
}

static void test_parse_date(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int64_t days;
    } good[] = {
        {"1970-01-01", 0},       {"1969-12-31", -1},        {"2024-02-29", 19782},    {"2000-02-29", 11016},
        {"0001-01-01", -719162}, {"+10000-01-01", 2932897}, {"-0001-12-31", -719529},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t days = 12345;
        assert_int_equal(sl_parse_date(good[i].text, strlen(good[i].text), &days), SL_OK);
        assert_int_equal(days, good[i].days);
        /* and the text form reads back */
        assert_string_equal(text(sl_date(days)), good[i].text);
    }
    static const char *const bad[] = {
        "",           "1970-1-01",  "1970-01-1",           "70-01-01",   "1900-02-29",  "2023-02-29",
        "2024-02-30", "2024-13-01", "2024-00-10",          "2024-04-31", "2024-01-01x", " 2024-01-01",
        "2024/01/01", "+123-01-01", "2024-01-01T00:00:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t days;
        if (sl_parse_date(bad[i], strlen(bad[i]), &days) != SL_EPARSE) fail_msg("accepted date '%s'", bad[i]);
    }
}

static int64_t ts(const char *s) {
    int64_t us = 0;
    int rc = sl_parse_timestamp(s, strlen(s), &us);
    if (rc) fail_msg("timestamp '%s' rejected", s);
    return us;
}

static void test_parse_timestamp(void **state) {
    (void)state;
    const int64_t t = 1732300000LL * 1000000; /* 2024-11-22T18:26:40Z */
    assert_int_equal(ts("2024-11-22T18:26:40Z"), t);
    assert_int_equal(ts("2024-11-22T18:26:40z"), t);
    assert_int_equal(ts("2024-11-22 18:26:40"), t); /* no offset: UTC */
    assert_int_equal(ts("2024-11-22t18:26:40"), t);
    assert_int_equal(ts("2024-11-22T18:26"), t - 40000000);
    assert_int_equal(ts("2024-11-22T20:26:40+02:00"), t);
    assert_int_equal(ts("2024-11-22T20:26:40+0200"), t);
    assert_int_equal(ts("2024-11-22T20:26:40+02"), t);
    assert_int_equal(ts("2024-11-22T12:56:40-05:30"), t);
    assert_int_equal(ts("2024-11-22T18:26:40.123Z"), t + 123000);
    assert_int_equal(ts("2024-11-22T18:26:40.1Z"), t + 100000);
    assert_int_equal(ts("2024-11-22T18:26:40.123456789Z"), t + 123456); /* truncated to micros */
    assert_int_equal(ts("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(ts("1969-12-31T23:59:59.999999Z"), -1);
    assert_int_equal(ts("1969-12-31T23:59:59.5Z"), -500000);
    assert_int_equal(ts("1970-01-01T00:00:00+01:00"), -3600LL * 1000000);
    assert_int_equal(ts("2024-02-29T00:00:00Z"), 19782LL * 86400 * 1000000);

    static const char *const bad[] = {
        "2024-11-22",
        "2024-11-22T",
        "2024-11-22T18",
        "2024-11-22T18:26:40.",
        "2024-11-22T18:26:40.1234567890Z", /* 10 fraction digits */
        "2024-11-22T24:00:00Z",
        "2024-11-22T18:60:00Z",
        "2024-11-22T18:26:60Z",
        "2024-11-22T18:26:40+24:00",
        "2024-11-22T18:26:40+02:60",
        "2024-11-22T18:26:40+2",
        "2024-11-22T18:26:40Zjunk",
        "2024-11-22T18:26:40 Z",
        "2023-02-29T00:00:00Z",
        "2024-11-22X18:26:40Z",
        "+999999-12-31T23:59:59Z", /* beyond int64 microseconds */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us;
        if (sl_parse_timestamp(bad[i], strlen(bad[i]), &us) != SL_EPARSE) fail_msg("accepted '%s'", bad[i]);
    }
}

static void test_timestamp_text_round_trip(void **state) {
    (void)state;
    assert_string_equal(text(sl_timestamp(0)), "1970-01-01T00:00:00Z");
    assert_string_equal(text(sl_timestamp(-1)), "1969-12-31T23:59:59.999999Z");
    assert_string_equal(text(sl_timestamp(1732300000123000LL)), "2024-11-22T18:26:40.123Z");
    assert_string_equal(text(sl_timestamp(1732300000123400LL)), "2024-11-22T18:26:40.123400Z");
    assert_string_equal(text(sl_timestamp(-62135596800LL * 1000000)), "0001-01-01T00:00:00Z");
    assert_string_equal(text(sl_timestamp(INT64_MAX)), "+294247-01-10T04:00:54.775807Z");
    assert_string_equal(text(sl_timestamp(INT64_MIN)), "-290308-12-21T19:59:05.224192Z");
    static const int64_t samples[] = {0,
                                      1,
                                      -1,
                                      999,
                                      -999,
                                      86400000000LL - 1,
                                      INT64_MAX,
                                      INT64_MIN,
                                      951782400123456LL,
                                      -2208988800000000LL,
                                      -62198755200000001LL};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const char *s = text(sl_timestamp(samples[i]));
        assert_int_equal(ts(s), samples[i]);
    }
    /* a spread of values across the representable years */
    for (int64_t us = INT64_MIN; us < INT64_MAX - 7777777777777777LL; us += 7777777777777777LL)
        assert_int_equal(ts(text(sl_timestamp(us))), us);
}

/* ---- casts ---- */

static void test_cast_null_and_identity(void **state) {
    (void)state;
    for (int t = SL_T_NULL; t < SL_T__COUNT; t++) {
        sl_value n = sl_null(), out;
        assert_int_equal(sl_value_cast(&arena, &n, (sl_type)t, &out, NULL), SL_OK);
        assert_int_equal(out.type, SL_T_NULL);
    }
    sl_value s = str("abc");
    sl_value same = cast_ok(s, SL_T_STRING);
    assert_ptr_equal(same.u.s, s.u.s); /* identity shares */
    sl_value l = json("[1,2]");
    sl_value l2 = cast_ok(l, SL_T_LIST);
    assert_true(sl_value_equal(&l, &l2));
}

static void test_cast_to_long(void **state) {
    (void)state;
    assert_int_equal(cast_ok(str("42"), SL_T_INT).u.i, 42);
    assert_int_equal(cast_ok(str("  -17\t\n"), SL_T_INT).u.i, -17);
    assert_int_equal(cast_ok(str("+8"), SL_T_INT).u.i, 8);
    assert_int_equal(cast_ok(str("1732300000123"), SL_T_INT).u.i, 1732300000123LL); /* AppLogs epoch millis */
    assert_int_equal(cast_ok(str("9223372036854775807"), SL_T_INT).u.i, INT64_MAX);
    assert_int_equal(cast_ok(str("-9223372036854775808"), SL_T_INT).u.i, INT64_MIN);
    assert_int_equal(cast_ok(str("12.000"), SL_T_INT).u.i, 12);
    assert_int_equal(cast_ok(str("1e3"), SL_T_INT).u.i, 1000);
    assert_int_equal(cast_ok(str("-0"), SL_T_INT).u.i, 0);
    cast_fails(str("abc"), SL_T_INT, "cannot cast string 'abc' to long");
    cast_fails(str(""), SL_T_INT, "cannot cast string '' to long");
    cast_fails(str("12abc"), SL_T_INT, "cannot cast string '12abc' to long");
    cast_fails(str("0x10"), SL_T_INT, "cannot cast string '0x10' to long");
    cast_fails(str("1 2"), SL_T_INT, "cannot cast string '1 2' to long");
    cast_fails(str("12.5"), SL_T_INT, "cannot cast string '12.5' to long: not a whole number");
    cast_fails(str("9223372036854775808"), SL_T_INT, "cannot cast string '9223372036854775808' to long: out of range");
    cast_fails(str("-9223372036854775809"), SL_T_INT,
               "cannot cast string '-9223372036854775809' to long: out of range");
    cast_fails(str("1e19"), SL_T_INT, "cannot cast string '1e19' to long: out of range");

    /* doubles: whole and in range only */
    assert_int_equal(cast_ok(sl_double(9.2e18), SL_T_INT).u.i, 9200000000000000000LL);
    assert_int_equal(cast_ok(sl_double(-9223372036854775808.0), SL_T_INT).u.i, INT64_MIN);
    assert_int_equal(cast_ok(sl_double(-3.0), SL_T_INT).u.i, -3);
    assert_int_equal(cast_ok(sl_double(-0.0), SL_T_INT).u.i, 0);
    cast_fails(sl_double(9223372036854775808.0), SL_T_INT,
               "cannot cast double 9.223372036854776e+18 to long: out of range");
    cast_fails(sl_double(9.3e18), SL_T_INT, "cannot cast double 9.3e+18 to long: out of range");
    cast_fails(sl_double(1.5), SL_T_INT, "cannot cast double 1.5 to long: not a whole number");
    cast_fails(sl_double(NAN), SL_T_INT, "cannot cast double NaN to long: not a number");
    cast_fails(sl_double(INFINITY), SL_T_INT, "cannot cast double Infinity to long: out of range");

    /* decimals: exact */
    assert_int_equal(cast_ok(dec("9223372036854775807"), SL_T_INT).u.i, INT64_MAX);
    assert_int_equal(cast_ok(dec("-9223372036854775808.000"), SL_T_INT).u.i, INT64_MIN);
    assert_int_equal(cast_ok(dec("120e-1"), SL_T_INT).u.i, 12);
    assert_int_equal(cast_ok(dec("0.00"), SL_T_INT).u.i, 0);
    cast_fails(dec("9223372036854775808"), SL_T_INT, "cannot cast decimal 9223372036854775808 to long: out of range");
    cast_fails(dec("1.0000000000000000000001"), SL_T_INT,
               "cannot cast decimal 1.0000000000000000000001 to long: not a whole number");
    cast_fails(dec("1e400"), SL_T_INT, "cannot cast decimal 1e400 to long: out of range");
    cast_fails(dec("bogus"), SL_T_INT, "cannot cast decimal bogus to long: malformed decimal");

    assert_int_equal(cast_ok(sl_bool(true), SL_T_INT).u.i, 1);
    assert_int_equal(cast_ok(sl_bool(false), SL_T_INT).u.i, 0);
    /* timestamps: seconds since the epoch, floored */
    assert_int_equal(cast_ok(sl_timestamp(1732300000123000LL), SL_T_INT).u.i, 1732300000);
    assert_int_equal(cast_ok(sl_timestamp(-1), SL_T_INT).u.i, -1);
    cast_fails(sl_date(5), SL_T_INT, "cannot cast date 1970-01-06 to long");
    cast_fails(json("[1]"), SL_T_INT, "cannot cast array to long");
    cast_fails(json("{\"a\":1}"), SL_T_INT, "cannot cast struct to long");
    cast_fails(sl_binary("ab", 2), SL_T_INT, "cannot cast binary (2 bytes) to long");
}

static void test_cast_to_double(void **state) {
    (void)state;
    assert_true(cast_ok(str(" 1.5 "), SL_T_DOUBLE).u.d == 1.5);
    assert_true(cast_ok(str("-2e-3"), SL_T_DOUBLE).u.d == -2e-3);
    assert_true(cast_ok(str("10"), SL_T_DOUBLE).u.d == 10.0);
    assert_true(isnan(cast_ok(str("NaN"), SL_T_DOUBLE).u.d));
    assert_true(cast_ok(str("-Infinity"), SL_T_DOUBLE).u.d == -INFINITY);
    assert_true(cast_ok(str("inf"), SL_T_DOUBLE).u.d == INFINITY);
    assert_true(cast_ok(str("1e-400"), SL_T_DOUBLE).u.d == 0.0); /* underflow is fine */
    cast_fails(str("1e400"), SL_T_DOUBLE, "cannot cast string '1e400' to double: out of range");
    cast_fails(str("0x1p3"), SL_T_DOUBLE, "cannot cast string '0x1p3' to double");
    cast_fails(str("1.5.2"), SL_T_DOUBLE, "cannot cast string '1.5.2' to double");
    cast_fails(str("nanx"), SL_T_DOUBLE, "cannot cast string 'nanx' to double");
    cast_fails(str(""), SL_T_DOUBLE, "cannot cast string '' to double");
    assert_true(cast_ok(sl_int(INT64_MAX), SL_T_DOUBLE).u.d == 9223372036854775808.0);
    assert_true(cast_ok(sl_int(-7), SL_T_DOUBLE).u.d == -7.0);
    assert_true(cast_ok(dec("0.1"), SL_T_DOUBLE).u.d == 0.1);
    cast_fails(dec("-1e400"), SL_T_DOUBLE, "cannot cast decimal -1e400 to double: out of range");
    assert_true(cast_ok(sl_bool(true), SL_T_DOUBLE).u.d == 1.0);
    assert_true(cast_ok(sl_timestamp(1500000), SL_T_DOUBLE).u.d == 1.5);
    cast_fails(sl_date(0), SL_T_DOUBLE, "cannot cast date 1970-01-01 to double");
}

static void test_cast_to_decimal_and_bool(void **state) {
    (void)state;
    sl_value d = cast_ok(str(" -12.3400 "), SL_T_DECIMAL);
    assert_int_equal(d.len, 8);
    assert_memory_equal(d.u.s, "-12.3400", 8);
    assert_string_equal(text(cast_ok(sl_int(INT64_MIN), SL_T_DECIMAL)), "-9223372036854775808");
    assert_string_equal(text(cast_ok(sl_double(0.1), SL_T_DECIMAL)), "0.1");
    assert_string_equal(text(cast_ok(sl_bool(true), SL_T_DECIMAL)), "1");
    cast_fails(sl_double(NAN), SL_T_DECIMAL, "cannot cast double NaN to decimal: not a finite number");
    cast_fails(str("12,5"), SL_T_DECIMAL, "cannot cast string '12,5' to decimal");

    assert_true(cast_ok(str("true"), SL_T_BOOL).u.b);
    assert_true(cast_ok(str(" TRUE "), SL_T_BOOL).u.b);
    assert_true(cast_ok(str("yes"), SL_T_BOOL).u.b);
    assert_true(cast_ok(str("1"), SL_T_BOOL).u.b);
    assert_false(cast_ok(str("False"), SL_T_BOOL).u.b);
    assert_false(cast_ok(str("n"), SL_T_BOOL).u.b);
    assert_false(cast_ok(str("0"), SL_T_BOOL).u.b);
    cast_fails(str("maybe"), SL_T_BOOL, "cannot cast string 'maybe' to boolean");
    cast_fails(str("2"), SL_T_BOOL, "cannot cast string '2' to boolean");
    assert_true(cast_ok(sl_int(5), SL_T_BOOL).u.b);
    assert_false(cast_ok(sl_int(0), SL_T_BOOL).u.b);
    assert_true(cast_ok(sl_double(-0.5), SL_T_BOOL).u.b);
    assert_false(cast_ok(sl_double(-0.0), SL_T_BOOL).u.b);
    assert_false(cast_ok(dec("0.000"), SL_T_BOOL).u.b);
    assert_true(cast_ok(dec("1e-30"), SL_T_BOOL).u.b);
    cast_fails(sl_double(NAN), SL_T_BOOL, "cannot cast double NaN to boolean");
    cast_fails(sl_timestamp(0), SL_T_BOOL, "cannot cast timestamp 1970-01-01T00:00:00Z to boolean");
}

static void test_cast_to_string(void **state) {
    (void)state;
    assert_string_equal(cast_ok(sl_int(INT64_MIN), SL_T_STRING).u.s, "-9223372036854775808");
    assert_string_equal(cast_ok(sl_double(1.0), SL_T_STRING).u.s, "1.0");
    assert_string_equal(cast_ok(sl_double(0.1), SL_T_STRING).u.s, "0.1");
    assert_string_equal(cast_ok(sl_double(NAN), SL_T_STRING).u.s, "NaN");
    assert_string_equal(cast_ok(sl_bool(false), SL_T_STRING).u.s, "false");
    assert_string_equal(cast_ok(dec("1.50"), SL_T_STRING).u.s, "1.50");
    assert_string_equal(cast_ok(sl_date(19782), SL_T_STRING).u.s, "2024-02-29");
    assert_string_equal(cast_ok(sl_timestamp(1732300000000000LL), SL_T_STRING).u.s, "2024-11-22T18:26:40Z");
    assert_string_equal(cast_ok(sl_binary("h\xc3\xa9", 3), SL_T_STRING).u.s, "h\xc3\xa9");
    cast_fails(sl_binary("\xff\x00", 2), SL_T_STRING, "cannot cast binary (2 bytes) to string: not valid UTF-8");
    sl_value j = cast_ok(json("{\"a\":[1,2.5,null,\"x\\\"y\"],\"b\":{\"c\":true}}"), SL_T_STRING);
    assert_string_equal(j.u.s, "{\"a\":[1,2.5,null,\"x\\\"y\"],\"b\":{\"c\":true}}");
    assert_false(j.flags & SL_VF_JSON_PLAIN);
    assert_string_equal(cast_ok(json("[]"), SL_T_STRING).u.s, "[]");
    sl_value plain = cast_ok(sl_int(5), SL_T_STRING);
    assert_true(plain.flags & SL_VF_JSON_PLAIN);

    /* string -> binary copies the bytes */
    sl_value b = cast_ok(sl_string("a\0b", 3, 0), SL_T_BINARY);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.u.s, "a\0b", 3);
    cast_fails(sl_int(1), SL_T_BINARY, "cannot cast long 1 to binary");

    /* long strings are cut in messages, at a character boundary */
    char long_text[100];
    memset(long_text, 'x', sizeof long_text);
    memcpy(long_text + 38, "\xc3\xa9", 2);
    sl_value l = sl_string(long_text, sizeof long_text, 0);
    cast_fails(l, SL_T_INT, "cannot cast string 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9...' to long");
    memset(long_text, 'x', sizeof long_text);
    memcpy(long_text + 39, "\xc3\xa9", 2);
    cast_fails(l, SL_T_INT, "cannot cast string 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' to long");
    cast_fails(sl_string("a\nb", 3, 0), SL_T_INT, "cannot cast string 'a?b' to long");
}

static void test_cast_dates_and_timestamps(void **state) {
    (void)state;
    assert_int_equal(cast_ok(str(" 2024-02-29 "), SL_T_DATE).u.i, 19782);
    assert_int_equal(cast_ok(str("2024-02-29T23:59:59Z"), SL_T_DATE).u.i, 19782);
    assert_int_equal(cast_ok(str("2024-02-29T23:59:59-01:00"), SL_T_DATE).u.i, 19783);
    assert_int_equal(cast_ok(sl_timestamp(-1), SL_T_DATE).u.i, -1);
    assert_int_equal(cast_ok(sl_timestamp(86400000000LL), SL_T_DATE).u.i, 1);
    cast_fails(str("2024-02-30"), SL_T_DATE, "cannot cast string '2024-02-30' to date");
    cast_fails(sl_int(3), SL_T_DATE, "cannot cast long 3 to date");

    assert_int_equal(cast_ok(str("2024-11-22T18:26:40Z"), SL_T_TIMESTAMP).u.i, 1732300000000000LL);
    assert_int_equal(cast_ok(str("1970-01-02"), SL_T_TIMESTAMP).u.i, 86400000000LL);
    assert_int_equal(cast_ok(sl_date(-1), SL_T_TIMESTAMP).u.i, -86400000000LL);
    /* long -> timestamp counts seconds, as Spark and Glue do */
    assert_int_equal(cast_ok(sl_int(1732300000), SL_T_TIMESTAMP).u.i, 1732300000000000LL);
    assert_int_equal(cast_ok(sl_int(-1), SL_T_TIMESTAMP).u.i, -1000000);
    assert_int_equal(cast_ok(sl_double(1.5), SL_T_TIMESTAMP).u.i, 1500000);
    assert_int_equal(cast_ok(dec("1.25"), SL_T_TIMESTAMP).u.i, 1250000);
    cast_fails(sl_int(INT64_MAX), SL_T_TIMESTAMP, "cannot cast long 9223372036854775807 to timestamp: out of range");
    cast_fails(sl_int(9223372036855LL), SL_T_TIMESTAMP, "cannot cast long 9223372036855 to timestamp: out of range");
    assert_int_equal(cast_ok(sl_int(9223372036854LL), SL_T_TIMESTAMP).u.i, 9223372036854000000LL);
    cast_fails(sl_double(1e300), SL_T_TIMESTAMP, "cannot cast double 1e+300 to timestamp: out of range");
    cast_fails(sl_double(NAN), SL_T_TIMESTAMP, "cannot cast double NaN to timestamp: not a finite number");
    cast_fails(sl_date(106751992), SL_T_TIMESTAMP, "cannot cast date +294247-01-11 to timestamp: out of range");
    assert_int_equal(cast_ok(sl_date(106751991), SL_T_TIMESTAMP).u.i, 106751991LL * 86400000000LL);
    cast_fails(str("yesterday"), SL_T_TIMESTAMP, "cannot cast string 'yesterday' to timestamp");
    cast_fails(sl_bool(true), SL_T_TIMESTAMP, "cannot cast boolean true to timestamp");
    cast_fails(str("[1]"), SL_T_LIST, "cannot cast string '[1]' to array");
    cast_fails(sl_int(1), SL_T_NULL, "cannot cast long 1 to null");
}

/* ---- text ---- */

static void test_to_text(void **state) {
    (void)state;
    sl_value n = sl_null();
    assert_string_equal(text(n), "null");
    assert_string_equal(text(sl_bool(true)), "true");
    assert_string_equal(text(sl_int(-5)), "-5");
    assert_string_equal(text(sl_double(2.5)), "2.5");
    assert_string_equal(text(sl_double(-INFINITY)), "-Infinity");
    assert_string_equal(text(str("plain")), "plain");
    assert_string_equal(text(sl_binary("abcd", 4)), "YWJjZA==");
    assert_string_equal(text(sl_binary("abcde", 5)), "YWJjZGU=");
    assert_string_equal(text(sl_binary("abc", 3)), "YWJj");
    assert_string_equal(text(sl_binary("", 0)), "");
    assert_string_equal(text(sl_date(-719529)), "-0001-12-31");
    assert_string_equal(text(json("{\"d\":1.0,\"s\":\"a\\nb\"}")), "{\"d\":1.0,\"s\":\"a\\nb\"}");
    sl_value s = sl_value_to_text(&arena, &(sl_value){.type = SL_T_STRING, .len = 3, .u.s = "a\"b"});
    assert_false(s.flags & SL_VF_JSON_PLAIN);
    assert_int_equal(s.u.s[3], 0);
}

/* ---- paths ---- */

static void test_path(void **state) {
    (void)state;
    sl_value rec = json("{\"a\":{\"b\":{\"c\":7}},\"tags\":[\"x\",\"y\"],\"a.b\":1,"
                        "\"list\":[{\"b\":1},{\"b\":2},{\"b\":[10,[20,30]]}],\"provider id\":5}");
    const sl_value *v;
#define PATH(p) sl_value_path(&rec, p, strlen(p))
    assert_non_null(v = PATH("a.b.c"));
    assert_int_equal(v->u.i, 7);
    assert_non_null(v = PATH("tags[1]"));
    assert_memory_equal(v->u.s, "y", 1);
    assert_non_null(v = PATH("list[1].b"));
    assert_int_equal(v->u.i, 2);
    assert_non_null(v = PATH("list[2].b[1][0]"));
    assert_int_equal(v->u.i, 20);
    assert_non_null(v = PATH("`a.b`"));
    assert_int_equal(v->u.i, 1);
    assert_non_null(v = PATH("provider id"));
    assert_int_equal(v->u.i, 5);
    assert_non_null(v = PATH("a"));
    assert_int_equal(v->type, SL_T_STRUCT);
    assert_ptr_equal(PATH(""), &rec);
    static const char *const missing[] = {
        "a.x",    "a.b.c.d", "tags[2]", "tags[-1]", "tags[]",   "tags[1", "tags.0", "a[0]",
        "a.",     ".a",      "a..b",    "a.[0]",    "list[0]b", "`a.b",   "nope",   "tags[99999999999]",
        "`a.b`x", "list[3]",
    };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++)
        if (PATH(missing[i])) fail_msg("path '%s' found something", missing[i]);
    sl_value list = json("[[1,2],[3]]");
    assert_non_null(v = sl_value_path(&list, "[0][1]", 6));
    assert_int_equal(v->u.i, 2);
#undef PATH
}

/* ---- equality and order ---- */

static void test_equal(void **state) {
    (void)state;
    sl_value a = json("{\"x\":[1,{\"y\":\"z\"}],\"n\":null}");
    sl_value b = json("{\"x\":[1,{\"y\":\"z\"}],\"n\":null}");
    sl_value c = json("{\"x\":[1,{\"y\":\"w\"}],\"n\":null}");
    sl_value d = json("{\"n\":null,\"x\":[1,{\"y\":\"z\"}]}");
    assert_true(sl_value_equal(&a, &b));
    assert_false(sl_value_equal(&a, &c));
    assert_false(sl_value_equal(&a, &d)); /* field order is part of a record */
    sl_value i1 = sl_int(1), d1 = sl_double(1.0), nan1 = sl_double(NAN), nan2 = sl_double(-NAN);
    sl_value z1 = sl_double(0.0), z2 = sl_double(-0.0), dec1 = dec("1.0"), dec2 = dec("1.00");
    assert_false(sl_value_equal(&i1, &d1));
    assert_true(sl_value_equal(&nan1, &nan2));
    assert_true(sl_value_equal(&z1, &z2));
    assert_false(sl_value_equal(&dec1, &dec2));
}

static int sign(int c) { return (c > 0) - (c < 0); }

static void test_compare_order(void **state) {
    (void)state;
    /* strictly increasing */
    sl_value order[] = {
        sl_null(),
        sl_bool(false),
        sl_bool(true),
        sl_double(-INFINITY),
        dec("-1e400"),
        sl_int(INT64_MIN),
        sl_double(-9223372036854775808.0),
        dec("-9223372036854775808"),
        dec("-1.5"),
        sl_int(-1),
        sl_double(-1.0),
        dec("-0.5"),
        sl_int(0),
        sl_double(0.0),
        dec("0.00"),
        dec("1e-400"),
        sl_double(0.1),
        dec("0.1000000000000000055511151231257827021181583404541015625"), /* 0.1 exactly as a double */
        dec("0.10000000000000001"),
        sl_int(1),
        sl_double(1.0),
        dec("1.0"),
        dec("1.00"),
        sl_double(9007199254740992.0),
        sl_int(9007199254740993LL),
        dec("9007199254740993.5"),
        sl_int(INT64_MAX),
        sl_double(9223372036854775808.0),
        dec("1e400"),
        sl_double(INFINITY),
        sl_double(NAN),
        str(""),
        str("A"),
        str("a"),
        str("ab"),
        str("\xc3\xa9"),
        sl_binary("", 0),
        sl_binary("\x01", 1),
        sl_date(-1),
        sl_date(0),
        sl_timestamp(INT64_MIN),
        sl_timestamp(0),
        json("[]"),
        json("[1]"),
        json("[1,2]"),
        json("[2]"),
        json("{}"),
        json("{\"a\":1}"),
        json("{\"a\":2}"),
        json("{\"b\":0}"),
    };
    size_t n = sizeof order / sizeof order[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int want = i < j ? -1 : i > j ? 1 : 0;
            int got = sign(sl_value_compare(&order[i], &order[j]));
            if (got != want)
                fail_msg("compare(#%zu %s, #%zu %s) = %d, want %d", i, text(order[i]), j, text(order[j]), got, want);
            assert_int_equal(sl_value_equal(&order[i], &order[j]), i == j);
        }
    }
    /* numerically equal values of one type compare equal */
    sl_value z1 = sl_double(0.0), z2 = sl_double(-0.0), nan1 = sl_double(NAN), nan2 = sl_double(-NAN);
    assert_int_equal(sl_value_compare(&z1, &z2), 0);
    assert_int_equal(sl_value_compare(&nan1, &nan2), 0);
    sl_value bad1 = dec("oops"), d1 = sl_double(1e300), i1 = sl_int(3);
    assert_true(sl_value_compare(&d1, &bad1) < 0); /* malformed decimal text sorts as NaN */
    assert_true(sl_value_compare(&i1, &bad1) < 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_from_civil),
        cmocka_unit_test(test_civil_round_trip),
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_parse_timestamp),
        cmocka_unit_test(test_timestamp_text_round_trip),
        cmocka_unit_test(test_cast_null_and_identity),
        cmocka_unit_test(test_cast_to_long),
        cmocka_unit_test(test_cast_to_double),
        cmocka_unit_test(test_cast_to_decimal_and_bool),
        cmocka_unit_test(test_cast_to_string),
        cmocka_unit_test(test_cast_dates_and_timestamps),
        cmocka_unit_test(test_to_text),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_compare_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
