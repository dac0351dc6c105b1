/* test_json.c — unit tests for formats/json (reader, streaming decoder,
 * writer) and core/numfmt. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/numfmt.h"
#include "formats/json.h"
#include "test_util.h"

/* ---- helpers ---- */

static sl_arena arena;

static int arena_setup(void **state) {
    sl_arena_init(&arena);
    return 0;
}

static int arena_teardown(void **state) {
    sl_arena_free(&arena);
    return 0;
}

/* Parse NUL-terminated text; fail the test on error. */
static sl_value parse_ok(const char *text) {
    sl_value v;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_json_parse(text, strlen(text), &arena, &v, &err);
    if (rc) fail_msg("parse of '%s' failed: %s", text, err.message);
    return v;
}

/* Parse that must fail; returns the error. */
static sl_error parse_bad_n(const char *text, size_t len) {
    sl_value v;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_json_parse(text, len, &arena, &v, &err);
    if (rc != SL_EPARSE) fail_msg("parse of '%.*s' should fail", (int)len, text);
    return err;
}

static sl_error parse_bad(const char *text) { return parse_bad_n(text, strlen(text)); }

/* Compact JSON of v as a NUL-terminated string (static buffer reused). */
static const char *to_json(const sl_value *v) {
    static sl_buf out;
    static int inited;
    if (!inited) {
        sl_buf_init(&out, 0);
        inited = 1;
    }
    sl_buf_reset(&out);
    assert_int_equal(sl_json_write(&out, v), 0);
    return out.data;
}

static void assert_string_value(const sl_value *v, const char *bytes, size_t len) {
    assert_int_equal(v->type, SL_T_STRING);
    assert_int_equal(v->len, len);
    assert_memory_equal(v->u.s, bytes, len);
}

/* ---- reader: values ---- */

static void test_parse_all_types(void **state) {
    const char *text = " {\"n\":null,\"t\":true,\"f\":false,\"i\":42,\"neg\":-7,\"d\":2.5,\"e\":1e2,"
                       "\"s\":\"hi\",\"a\":[1,\"x\",[]],\"o\":{\"k\":{}}} \n";
    sl_value v = parse_ok(text);
    assert_int_equal(v.type, SL_T_STRUCT);
    assert_int_equal(v.len, 10);
    assert_int_equal(sl_struct_get(&v, "n")->type, SL_T_NULL);
    assert_true(sl_struct_get(&v, "t")->type == SL_T_BOOL && sl_struct_get(&v, "t")->u.b);
    assert_true(sl_struct_get(&v, "f")->type == SL_T_BOOL && !sl_struct_get(&v, "f")->u.b);
    assert_int_equal(sl_struct_get(&v, "i")->type, SL_T_INT);
    assert_int_equal(sl_struct_get(&v, "i")->u.i, 42);
    assert_int_equal(sl_struct_get(&v, "neg")->u.i, -7);
    assert_int_equal(sl_struct_get(&v, "d")->type, SL_T_DOUBLE);
    assert_true(sl_struct_get(&v, "d")->u.d == 2.5);
    assert_int_equal(sl_struct_get(&v, "e")->type, SL_T_DOUBLE);
    assert_true(sl_struct_get(&v, "e")->u.d == 100.0);
    const sl_value *s = sl_struct_get(&v, "s");
    assert_string_value(s, "hi", 2);
    /* zero copy: the string points into the input */
    assert_true(s->u.s > text && s->u.s < text + strlen(text));
    assert_true(s->flags & SL_VF_JSON_PLAIN);
    assert_true(v.u.fields[0].name > text && (v.u.fields[0].name_flags & SL_VF_JSON_PLAIN));
    const sl_value *a = sl_struct_get(&v, "a");
    assert_int_equal(a->type, SL_T_LIST);
    assert_int_equal(a->len, 3);
    assert_int_equal(a->u.items[2].type, SL_T_LIST);
    assert_int_equal(a->u.items[2].len, 0);
    const sl_value *o = sl_struct_get(&v, "o");
    assert_int_equal(o->type, SL_T_STRUCT);
    assert_int_equal(sl_struct_get(o, "k")->type, SL_T_STRUCT);
    assert_string_equal(to_json(&v), "{\"n\":null,\"t\":true,\"f\":false,\"i\":42,\"neg\":-7,\"d\":2.5,\"e\":100.0,"
                                     "\"s\":\"hi\",\"a\":[1,\"x\",[]],\"o\":{\"k\":{}}}");
}

static void test_parse_scalars_top_level(void **state) {
    assert_int_equal(parse_ok("null").type, SL_T_NULL);
    assert_int_equal(parse_ok(" true ").type, SL_T_BOOL);
    assert_int_equal(parse_ok("0").u.i, 0);
    sl_value v = parse_ok("\"\"");
    assert_string_value(&v, "", 0);
}

static void test_parse_duplicate_keys(void **state) {
    sl_value v = parse_ok("{\"a\":1,\"b\":2,\"a\":3}");
    assert_int_equal(v.len, 3);
    assert_memory_equal(v.u.fields[0].name, "a", 1);
    assert_int_equal(v.u.fields[0].value.u.i, 1);
    assert_memory_equal(v.u.fields[2].name, "a", 1);
    assert_int_equal(v.u.fields[2].value.u.i, 3);
    assert_string_equal(to_json(&v), "{\"a\":1,\"b\":2,\"a\":3}");
}

static void test_parse_escapes(void **state) {
    sl_value v = parse_ok("\"q\\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\tA\\u0041e\\u00e9E\\u20ac\"");
    const char expect[] = "q\"b\\s/b\bf\fn\nr\rt\tAAe\xC3\xA9"
                          "E\xE2\x82\xAC";
    assert_string_value(&v, expect, sizeof expect - 1);
    assert_false(v.flags & SL_VF_JSON_PLAIN);
    /* escapes that decode to plain text keep the flag */
    v = parse_ok("\"caf\\u00e9 \\/ok\"");
    assert_string_value(&v, "caf\xC3\xA9 /ok", 9);
    assert_true(v.flags & SL_VF_JSON_PLAIN);
    /* \u0000 is allowed and kept */
    v = parse_ok("\"a\\u0000b\"");
    assert_string_value(&v, "a\0b", 3);
    assert_false(v.flags & SL_VF_JSON_PLAIN);
    /* escaped key */
    v = parse_ok("{\"k\\u0065y\":1}");
    assert_int_equal(v.u.fields[0].name_len, 3);
    assert_memory_equal(v.u.fields[0].name, "key", 3);
    assert_true(v.u.fields[0].name_flags & SL_VF_JSON_PLAIN);
    parse_bad("\"\\x\"");
    parse_bad("\"\\u12\"");
    parse_bad("\"\\u12G4\"");
    parse_bad("\"\\");
    parse_bad("\"abc");
    parse_bad("\"tab\there\"");
    parse_bad("\"nl\nhere\"");
}

static void test_parse_surrogates(void **state) {
    sl_value v = parse_ok("\"\\ud83d\\ude00\"");
    assert_string_value(&v, "\xF0\x9F\x98\x80", 4);
    v = parse_ok("\"\\uDBFF\\uDFFF\"");
    assert_string_value(&v, "\xF4\x8F\xBF\xBF", 4);
    sl_error e = parse_bad("\"\\ud83d\"");
    assert_non_null(strstr(e.message, "surrogate"));
    parse_bad("\"\\ude00\"");
    parse_bad("\"\\ud83dx\"");
    parse_bad("\"\\ud83d\\u0041\"");
    parse_bad("\"\\ud83d\\ud83d\"");
    parse_bad("\"\\ude00\\ud83d\"");
    parse_bad("\"\\ud83d\\");
}

static void test_parse_invalid_utf8(void **state) {
    static const char *bad[] = {
        "\"\xC0\x80\"",         /* overlong NUL */
        "\"\xC1\xBF\"",         /* overlong */
        "\"\xE0\x80\x80\"",     /* overlong 3-byte */
        "\"\xE0\x9F\xBF\"",     /* overlong 3-byte */
        "\"\xF0\x8F\xBF\xBF\"", /* overlong 4-byte */
        "\"\xED\xA0\x80\"",     /* U+D800 encoded */
        "\"\xED\xBF\xBF\"",     /* U+DFFF encoded */
        "\"\xF4\x90\x80\x80\"", /* U+110000 */
        "\"\xF5\x80\x80\x80\"", /* beyond */
        "\"\xFF\"",             /* never valid */
        "\"\x80\"",             /* lone continuation */
        "\"\xE2\x82\"",         /* truncated before quote */
        "\"\xE2\x28\xA1\"",     /* bad continuation */
        "\"\xC3\"",             /* truncated */
        "{\"k\xC3\":1}",        /* in a key */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_error e = parse_bad(bad[i]);
        assert_non_null(strstr(e.message, "byte"));
    }
    sl_error e = parse_bad("\"ok \xED\xA0\x80\"");
    assert_int_equal(e.offset, 4);
    assert_non_null(strstr(e.message, "surrogate"));
    /* valid boundaries */
    sl_value v = parse_ok("\"\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\"");
    assert_int_equal(v.len, 2 + 2 + 3 + 3 + 3 + 4 + 4);
    assert_true(v.flags & SL_VF_JSON_PLAIN);
    /* long strings exercise the 16-byte scanner around a bad byte */
    char buf[80];
    for (int pos = 1; pos < 60; pos++) {
        memset(buf, 'a', sizeof buf);
        buf[0] = '"';
        buf[pos] = (char)0xFF;
        buf[70] = '"';
        parse_bad_n(buf, 71);
        buf[pos] = '"';
        if (pos < 70) parse_bad_n(buf, 71); /* quote in the middle: trailing text */
    }
}

static void test_parse_int_limits(void **state) {
    sl_value v = parse_ok("-9223372036854775808");
    assert_int_equal(v.type, SL_T_INT);
    assert_true(v.u.i == INT64_MIN);
    v = parse_ok("9223372036854775807");
    assert_int_equal(v.type, SL_T_INT);
    assert_true(v.u.i == INT64_MAX);
    v = parse_ok("9223372036854775808");
    assert_int_equal(v.type, SL_T_DECIMAL);
    assert_int_equal(v.len, 19);
    assert_memory_equal(v.u.s, "9223372036854775808", 19);
    v = parse_ok("-9223372036854775809");
    assert_int_equal(v.type, SL_T_DECIMAL);
    v = parse_ok("123456789012345678901234567890");
    assert_int_equal(v.type, SL_T_DECIMAL);
    assert_string_equal(to_json(&v), "123456789012345678901234567890");
    v = parse_ok("18446744073709551616"); /* 2^64: must not wrap */
    assert_int_equal(v.type, SL_T_DECIMAL);
    v = parse_ok("-0");
    assert_int_equal(v.type, SL_T_INT);
    assert_int_equal(v.u.i, 0);
}

static void test_parse_numbers(void **state) {
    sl_value v = parse_ok("-0.0");
    assert_int_equal(v.type, SL_T_DOUBLE);
    assert_true(v.u.d == 0 && signbit(v.u.d));
    v = parse_ok("1E400");
    assert_int_equal(v.type, SL_T_DECIMAL);
    assert_memory_equal(v.u.s, "1E400", 5);
    v = parse_ok("-1e400");
    assert_int_equal(v.type, SL_T_DECIMAL);
    v = parse_ok("1e-400");
    assert_int_equal(v.type, SL_T_DECIMAL);
    v = parse_ok("0e-400");
    assert_int_equal(v.type, SL_T_DOUBLE);
    assert_true(v.u.d == 0);
    v = parse_ok("0.1");
    assert_true(v.u.d == 0.1);
    v = parse_ok("1.7976931348623157e308");
    assert_true(v.u.d == 1.7976931348623157e308);
    v = parse_ok("4.9e-324");
    assert_true(v.u.d == 4.9e-324);
    v = parse_ok("123456789012345678901234567890.5");
    assert_int_equal(v.type, SL_T_DOUBLE);
    assert_true(v.u.d == 123456789012345678901234567890.5);
    v = parse_ok("0.30000000000000004441");
    assert_true(v.u.d == strtod("0.30000000000000004441", NULL));
    static const char *bad[] = {"01",       "-01",       "1.",   ".5",  "-",    "+1",  "1e",  "1e+", "0x10",  "NaN",
                                "Infinity", "-Infinity", "1.e5", "--1", "1ee5", "- 1", "tru", "nul", "falsey"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        parse_bad(bad[i]);
    /* every decimal text reads like strtod */
    srand(7);
    char buf[64];
    for (int i = 0; i < 20000; i++) {
        int digits = 1 + rand() % 20, frac = rand() % 22, e = rand() % 40 - 20;
        int n = 0;
        buf[n++] = (char)('1' + rand() % 9);
        for (int k = 1; k < digits; k++)
            buf[n++] = (char)('0' + rand() % 10);
        if (frac) {
            buf[n++] = '.';
            for (int k = 0; k < frac; k++)
                buf[n++] = (char)('0' + rand() % 10);
        }
        if (i % 2) n += snprintf(buf + n, sizeof buf - (size_t)n, "e%d", e);
        buf[n] = '\0';
        v = parse_ok(buf);
        if (!frac && !(i % 2)) continue; /* an integer */
        assert_int_equal(v.type, SL_T_DOUBLE);
        double want = strtod(buf, NULL);
        if (memcmp(&want, &v.u.d, sizeof want) != 0) fail_msg("%s: got %.17g want %.17g", buf, v.u.d, want);
    }
}

static void test_parse_errors_name_offset(void **state) {
    sl_error e = parse_bad("{\"a\":1,\n \"b\" 2}");
    assert_int_equal(e.offset, 13);
    assert_int_equal(e.line, 2);
    assert_int_equal(e.column, 6);
    assert_non_null(strstr(e.message, "at byte 13"));
    assert_non_null(strstr(e.message, "expected ':'"));
    assert_non_null(strstr(e.message, "found '2'"));
    e = parse_bad("[1,2,]");
    assert_int_equal(e.offset, 5);
    assert_non_null(strstr(e.message, "expected a JSON value"));
    e = parse_bad("{\"a\":1} x");
    assert_int_equal(e.offset, 8);
    assert_non_null(strstr(e.message, "end of input"));
    e = parse_bad("");
    assert_int_equal(e.offset, 0);
    e = parse_bad("  ");
    assert_int_equal(e.offset, 2);
    e = parse_bad("[1,2");
    assert_int_equal(e.offset, 4);
    e = parse_bad("\xEF\xBB\xBF{}"); /* BOM: not accepted by the one-shot parser */
    assert_int_equal(e.offset, 0);
    e = parse_bad("{\"a\":1,}");
    assert_non_null(strstr(e.message, "object key"));
    parse_bad_n("[1,\0]", 5);
}

static void test_parse_depth_limit(void **state) {
    size_t n = 100000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    sl_error e = parse_bad(deep);
    assert_non_null(strstr(e.message, "nesting deeper than 512"));
    assert_int_equal(e.offset, 512);
    /* exactly 512 levels parse */
    memmove(deep + 512, deep + n, 512);
    deep[1024] = '\0';
    sl_value v = parse_ok(deep);
    assert_int_equal(v.type, SL_T_LIST);
    /* 513 do not */
    memset(deep, '[', 513);
    memset(deep + 513, ']', 513);
    deep[1026] = '\0';
    parse_bad(deep);
    /* objects count too */
    char *objs = malloc(7 * 600 + 2);
    size_t k = 0;
    for (int i = 0; i < 600; i++)
        k += (size_t)sprintf(objs + k, "{\"a\":");
    objs[k++] = '1';
    for (int i = 0; i < 600; i++)
        objs[k++] = '}';
    objs[k] = '\0';
    e = parse_bad(objs);
    assert_non_null(strstr(e.message, "nesting"));
    free(objs);
    free(deep);
}

static void test_parse_wide_values(void **state) {
    /* wider than the inline scratch: spills into the arena */
    size_t n = 5000;
    char *text = malloc(n * 16 + 16);
    size_t k = 0;
    text[k++] = '[';
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(text + k, "%s{\"k%zu\":%zu}", i ? "," : "", i, i);
    text[k++] = ']';
    text[k] = '\0';
    sl_value v = parse_ok(text);
    assert_int_equal(v.len, n);
    assert_int_equal(v.u.items[4999].u.fields[0].value.u.i, 4999);
    k = 0;
    text[k++] = '{';
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(text + k, "%s\"k%zu\":[%zu]", i ? "," : "", i, i);
    text[k++] = '}';
    text[k] = '\0';
    v = parse_ok(text);
    assert_int_equal(v.len, n);
    assert_int_equal(v.u.fields[1234].value.u.items[0].u.i, 1234);
    free(text);
}

/* ---- numfmt ---- */

static void test_format_double(void **state) {
    char out[33];
    static const struct {
        double d;
        const char *text;
    } cases[] = {
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {1.0, "1.0"},
        {3.0, "3.0"},
        {0.1, "0.1"},
        {0.3, "0.3"},
        {1.5e-5, "0.000015"},
        {1e-6, "1e-6"},
        {1e300, "1e+300"},
        {5e-324, "5e-324"},
        {100.0, "100.0"},
        {-42.125, "-42.125"},
        {1e16, "10000000000000000.0"},
        {1e17, "1e+17"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {0.30000000000000004, "0.30000000000000004"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = sl_format_double(cases[i].d, out);
        assert_string_equal(out, cases[i].text);
        assert_int_equal(n, (int)strlen(cases[i].text));
    }
    sl_format_double(NAN, out);
    assert_string_equal(out, "NaN");
    sl_format_double(INFINITY, out);
    assert_string_equal(out, "Infinity");
    sl_format_double(-INFINITY, out);
    assert_string_equal(out, "-Infinity");
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_format_double_roundtrip(void **state) {
    char out[33], shortest[40];
    sl_buf buf;
    sl_buf_init(&buf, 0);
    for (int i = 0; i < 300000; i++) {
        uint64_t bits = rng();
        double d;
        if (i % 3 == 1) {
            d = (double)(bits % 1000000) / pow(10, (double)((bits >> 40) % 9));
        } else {
            memcpy(&d, &bits, sizeof d);
        }
        if (!isfinite(d)) continue;
        int n = sl_format_double(d, out);
        assert_true(n > 0 && n <= 32 && (size_t)n == strlen(out));
        double back = strtod(out, NULL);
        if (memcmp(&back, &d, sizeof d) != 0) fail_msg("%s does not read back as %.17g", out, d);
        /* shortest: no fewer significant digits round-trip */
        int sig = 0, seen = 0, last_nonzero = 0;
        for (const char *p = out; *p && *p != 'e'; p++) {
            if (*p < '0' || *p > '9') continue;
            if (*p != '0') seen = 1;
            if (seen) {
                sig++;
                if (*p != '0') last_nonzero = sig;
            }
        }
        sig = last_nonzero ? last_nonzero : 1;
        if (sig > 1) {
            snprintf(shortest, sizeof shortest, "%.*e", sig - 2, d);
            assert_false(strtod(shortest, NULL) == d);
        }
        /* and through the JSON writer and reader */
        if (i % 7 == 0) {
            sl_value v = sl_double(d);
            sl_buf_reset(&buf);
            assert_int_equal(sl_json_write(&buf, &v), 0);
            sl_value w = parse_ok(buf.data);
            assert_int_equal(w.type, SL_T_DOUBLE);
            assert_memory_equal(&w.u.d, &d, sizeof d);
        }
    }
    sl_buf_free(&buf);
}

static void test_format_int(void **state) {
    char out[21];
    static const struct {
        int64_t i;
        const char *text;
    } cases[] = {{0, "0"},
                 {-1, "-1"},
                 {9, "9"},
                 {10, "10"},
                 {99, "99"},
                 {100, "100"},
                 {-100, "-100"},
                 {INT64_MAX, "9223372036854775807"},
                 {INT64_MIN, "-9223372036854775808"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = sl_format_int(cases[i].i, out);
        assert_string_equal(out, cases[i].text);
        assert_int_equal(n, (int)strlen(cases[i].text));
    }
    char ref[32];
    for (int i = 0; i < 100000; i++) {
        int64_t x = (int64_t)rng() >> (rng() % 64);
        sl_format_int(x, out);
        snprintf(ref, sizeof ref, "%lld", (long long)x);
        assert_string_equal(out, ref);
    }
}

/* ---- streaming decoder ---- */

typedef struct rejects {
    int n;
    uint64_t line[16];
    int64_t offset[16];
    char reason[16][400];
    char raw[16][200];
    int stop_after; /* return -1 from this many rejects on (0 = never) */
} rejects;

static int on_reject(void *ud, uint64_t line, int64_t offset, const char *reason, const char *raw, size_t raw_len) {
    rejects *r = ud;
    if (r->n < 16) {
        r->line[r->n] = line;
        r->offset[r->n] = offset;
        snprintf(r->reason[r->n], sizeof r->reason[0], "%s", reason);
        snprintf(r->raw[r->n], sizeof r->raw[0], "%.*s", (int)raw_len, raw);
    }
    r->n++;
    if (r->stop_after && r->n >= r->stop_after) return SL_ELIMIT;
    return 0;
}

typedef struct decoded {
    sl_json_decoder dec; /* the records' field names point into it */
    sl_batch batch;      /* every record of the input, in order */
    rejects rej;
    int rc;
    sl_error err;
    uint64_t end_line;
    int64_t end_offset;
    int calls;
} decoded;

/* Decode text as a file source would: at most `chunk` new bytes become
 * visible per call (unconsumed bytes are presented again). Records are
 * collected in one batch (limit max_records per call). */
static void decode_text(decoded *out, const char *text, size_t len, size_t chunk, size_t max_records) {
    memset(out, 0, sizeof *out);
    sl_batch_init(&out->batch);
    sl_json_decoder_init(&out->dec);
    sl_decode_ctx ctx = {0};
    ctx.batch = &out->batch;
    ctx.line = 1;
    ctx.reject = on_reject;
    ctx.ud = &out->rej;
    size_t pos = 0, visible = chunk < len ? chunk : len;
    for (int guard = 0; guard < 100000; guard++) {
        bool eof = visible == len;
        size_t consumed = 0;
        ctx.max_records = out->batch.count + max_records;
        out->calls++;
        out->rc = sl_json_decode(&out->dec, text + pos, visible - pos, eof, &consumed, &ctx, &out->err);
        assert_true(consumed <= visible - pos);
        pos += consumed;
        assert_int_equal(ctx.offset, (int64_t)pos);
        if (out->rc < 0) break;
        if (eof && pos == len) break;
        if (consumed == 0 && eof) fail_msg("decoder made no progress at EOF");
        if (consumed == 0 || visible - pos < chunk) visible = visible + chunk < len ? visible + chunk : len;
    }
    out->end_line = ctx.line;
    out->end_offset = ctx.offset;
}

static void decoded_free(decoded *d) { sl_batch_free(&d->batch); }

static void test_decode_ndjson(void **state) {
    const char *text = "{\"a\":1}\n\n  \r\n{\"a\":2,\"s\":\"x\"}\r\n{\"a\":3} {\"a\":4}\n{\"a\":5}";
    decoded d;
    decode_text(&d, text, strlen(text), 1 << 20, 1000);
    assert_int_equal(d.rc, 0);
    assert_int_equal(d.rej.n, 0);
    assert_int_equal(d.batch.count, 5);
    static const uint64_t lines[] = {1, 4, 5, 5, 6};
    static const int64_t offsets[] = {0, 13, 30, 38, 46};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(d.batch.records[i].u.fields[0].value.u.i, i + 1);
        assert_int_equal(d.batch.locs[i].line, lines[i]);
        assert_int_equal(d.batch.locs[i].offset, offsets[i]);
    }
    assert_int_equal(d.end_line, 6);
    assert_int_equal(d.end_offset, (int64_t)strlen(text));
    decoded_free(&d);
}

static void test_decode_ndjson_bad_line(void **state) {
    const char *text = "{\"a\":1}\n"
                       "{\"a\":2}\n"
                       "{\"a\":3,\"b\" 4}\n" /* line 3: missing ':' */
                       "{\"a\":4}\n"
                       "{\"a\":5\n" /* line 5: truncated */
                       "{\"a\":6}\n";
    size_t len = strlen(text);
    for (size_t chunk = 1; chunk <= len; chunk = chunk < 8 ? chunk + 1 : chunk * 2) {
        decoded d;
        decode_text(&d, text, len, chunk, 1000);
        assert_int_equal(d.rc, 0);
        assert_int_equal(d.batch.count, 4);
        assert_int_equal(d.batch.records[2].u.fields[0].value.u.i, 4);
        assert_int_equal(d.batch.locs[2].line, 4);
        assert_int_equal(d.batch.records[3].u.fields[0].value.u.i, 6);
        assert_int_equal(d.batch.locs[3].line, 6);
        assert_int_equal(d.rej.n, 2);
        assert_int_equal(d.rej.line[0], 3);
        assert_int_equal(d.rej.offset[0], 16);
        assert_string_equal(d.rej.raw[0], "{\"a\":3,\"b\" 4}");
        assert_non_null(strstr(d.rej.reason[0], "at byte 11"));
        assert_non_null(strstr(d.rej.reason[0], "expected ':'"));
        assert_int_equal(d.rej.line[1], 5);
        assert_string_equal(d.rej.raw[1], "{\"a\":5");
        assert_int_equal(d.end_line, 7);
        decoded_free(&d);
    }
}

static void test_decode_non_object_records(void **state) {
    const char *text = "{\"a\":1}\n\"str\"\n42\nnull\n{\"a\":2}\ntrue\n";
    decoded d;
    decode_text(&d, text, strlen(text), 1 << 20, 1000);
    assert_int_equal(d.rc, 0);
    assert_int_equal(d.batch.count, 2);
    assert_int_equal(d.rej.n, 4);
    assert_int_equal(d.rej.line[0], 2);
    assert_string_equal(d.rej.raw[0], "\"str\"");
    assert_non_null(strstr(d.rej.reason[0], "not a JSON object"));
    assert_int_equal(d.rej.line[1], 3);
    assert_string_equal(d.rej.raw[1], "42");
    assert_int_equal(d.rej.line[3], 6);
    decoded_free(&d);
}

static void test_decode_incomplete_at_eof(void **state) {
    const char *text = "{\"a\":1}\n{\"a\":";
    decoded d;
    decode_text(&d, text, strlen(text), 1 << 20, 1000);
    assert_int_equal(d.rc, 0);
    assert_int_equal(d.batch.count, 1);
    assert_int_equal(d.rej.n, 1);
    assert_int_equal(d.rej.line[0], 2);
    assert_string_equal(d.rej.raw[0], "{\"a\":");
    assert_non_null(strstr(d.rej.reason[0], "end of input"));
    decoded_free(&d);

    /* not at EOF: left unconsumed */
    sl_batch b;
    sl_batch_init(&b);
    sl_json_decoder dec;
    sl_json_decoder_init(&dec);
    rejects r = {0};
    sl_decode_ctx ctx = {.batch = &b, .max_records = 100, .line = 1, .offset = 0, .reject = on_reject, .ud = &r};
    size_t consumed;
    assert_int_equal(sl_json_decode(&dec, text, strlen(text), false, &consumed, &ctx, NULL), 0);
    assert_int_equal(consumed, 8);
    assert_int_equal(b.count, 1);
    assert_int_equal(ctx.line, 2);
    assert_int_equal(ctx.offset, 8);
    /* a number at the very end may still grow */
    sl_batch_reset(&b);
    assert_int_equal(sl_json_decode(&dec, "12", 2, false, &consumed, &ctx, NULL), 0);
    assert_int_equal(consumed, 0);
    assert_int_equal(r.n, 0);
    sl_batch_free(&b);
}

static void test_decode_max_records(void **state) {
    const char *text = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n";
    sl_batch b;
    sl_batch_init(&b);
    sl_json_decoder dec;
    sl_json_decoder_init(&dec);
    sl_decode_ctx ctx = {.batch = &b, .max_records = 2, .line = 1, .offset = 0, .reject = on_reject, .ud = NULL};
    size_t consumed;
    assert_int_equal(sl_json_decode(&dec, text, strlen(text), true, &consumed, &ctx, NULL), 0);
    assert_int_equal(b.count, 2);
    assert_int_equal(consumed, 15);
    assert_int_equal(ctx.line, 2);
    sl_batch_reset(&b);
    assert_int_equal(sl_json_decode(&dec, text + consumed, strlen(text) - consumed, true, &consumed, &ctx, NULL), 0);
    assert_int_equal(b.count, 1);
    assert_int_equal(b.locs[0].line, 3);
    assert_int_equal(b.locs[0].offset, 16);
    assert_int_equal(ctx.line, 4);
    sl_batch_free(&b);
}

static void test_decode_reject_stops(void **state) {
    const char *text = "x\ny\n{\"a\":1}\n";
    decoded d;
    memset(&d, 0, sizeof d);
    sl_batch_init(&d.batch);
    sl_json_decoder dec;
    sl_json_decoder_init(&dec);
    d.rej.stop_after = 2;
    sl_decode_ctx ctx = {.batch = &d.batch, .max_records = 10, .line = 1, .reject = on_reject, .ud = &d.rej};
    size_t consumed;
    assert_int_equal(sl_json_decode(&dec, text, strlen(text), true, &consumed, &ctx, NULL), SL_ELIMIT);
    assert_int_equal(d.rej.n, 2);
    assert_int_equal(d.batch.count, 0);
    decoded_free(&d);
}

static const char array_text[] = "\xEF\xBB\xBF [\n  {\"a\":1, \"s\":\"x\\u00e9y\"},\n  {\"b\":[1,2,{\"c\":null}]} ,"
                                 "{\"d\":-1.5e3},\n  {}\n]\n";

static void check_array_records(decoded *d) {
    assert_int_equal(d->rc, 0);
    assert_int_equal(d->rej.n, 0);
    assert_int_equal(d->batch.count, 4);
    assert_string_equal(to_json(&d->batch.records[0]), "{\"a\":1,\"s\":\"x\xC3\xA9y\"}");
    assert_string_equal(to_json(&d->batch.records[1]), "{\"b\":[1,2,{\"c\":null}]}");
    assert_string_equal(to_json(&d->batch.records[2]), "{\"d\":-1500.0}");
    assert_string_equal(to_json(&d->batch.records[3]), "{}");
    assert_int_equal(d->batch.locs[0].line, 2);
    assert_int_equal(d->batch.locs[0].offset, 8);
    assert_int_equal(d->batch.locs[1].line, 3);
    assert_int_equal(d->batch.locs[2].line, 3);
    assert_int_equal(d->batch.locs[3].line, 4);
    assert_int_equal(d->end_line, 6);
}

static void test_decode_array_split_everywhere(void **state) {
    size_t len = sizeof array_text - 1;
    for (size_t split = 0; split <= len; split++) {
        sl_batch b;
        sl_batch_init(&b);
        sl_json_decoder dec;
        sl_json_decoder_init(&dec);
        sl_decode_ctx ctx = {.batch = &b, .max_records = 100, .line = 1, .offset = 0, .reject = on_reject};
        rejects r = {0};
        ctx.ud = &r;
        size_t c1 = 0, c2 = 0;
        sl_error err;
        assert_int_equal(sl_json_decode(&dec, array_text, split, split == len, &c1, &ctx, &err), 0);
        assert_true(c1 <= split);
        if (split < len) {
            assert_int_equal(sl_json_decode(&dec, array_text + c1, len - c1, true, &c2, &ctx, &err), 0);
        }
        assert_int_equal(c1 + c2, len);
        assert_int_equal(r.n, 0);
        decoded d = {.batch = b, .rej = r, .end_line = ctx.line};
        check_array_records(&d);
        sl_batch_free(&b);
    }
    /* and byte by byte, one record per call */
    decoded d;
    decode_text(&d, array_text, len, 1, 1);
    check_array_records(&d);
    decoded_free(&d);
}

static void test_decode_ndjson_split_everywhere(void **state) {
    const char text[] = "{\"a\":1,\"s\":\"caf\xC3\xA9\"}\n{\"a\":2,\"t\":[true,false,null]}\r\n\n{\"a\":-3.25e-2}\n";
    size_t len = sizeof text - 1;
    for (size_t split = 0; split <= len; split++) {
        sl_batch b;
        sl_batch_init(&b);
        sl_json_decoder dec;
        sl_json_decoder_init(&dec);
        rejects r = {0};
        sl_decode_ctx ctx = {.batch = &b, .max_records = 100, .line = 1, .offset = 0, .reject = on_reject, .ud = &r};
        size_t c1 = 0, c2 = 0;
        assert_int_equal(sl_json_decode(&dec, text, split, split == len, &c1, &ctx, NULL), 0);
        if (split < len) assert_int_equal(sl_json_decode(&dec, text + c1, len - c1, true, &c2, &ctx, NULL), 0);
        assert_int_equal(c1 + c2, len);
        assert_int_equal(r.n, 0);
        assert_int_equal(b.count, 3);
        assert_string_equal(to_json(&b.records[0]), "{\"a\":1,\"s\":\"caf\xC3\xA9\"}");
        assert_string_equal(to_json(&b.records[2]), "{\"a\":-0.0325}");
        assert_int_equal(b.locs[2].line, 4);
        assert_int_equal(ctx.line, 5);
        sl_batch_free(&b);
    }
}

static bool in_decoder(const char *p, const sl_json_decoder *d) {
    return p >= (const char *)d && p < (const char *)(d + 1);
}

static const sl_field *field_named(const sl_value *rec, const char *name) {
    const sl_field *f = sl_struct_find(rec, name, strlen(name));
    if (!f) fail_msg("no field %s in %s", name, to_json(rec));
    return f;
}

static void test_decode_keeps_keys(void **state) {
    /* every record's field names point at the decoder's one copy of each
     * key, whatever the order, nesting, escapes and buffer splits */
    const char text[] = "{\"id\":1,\"meta\":{\"host\":\"a\",\"tags\":[{\"k\":1},{\"k\":2}]},\"caf\xC3\xA9\":\"x\"}\n"
                        "{\"id\":2,\"meta\":{\"host\":\"b\",\"tags\":[]},\"caf\xC3\xA9\":\"y\"}\n"
                        "{\"caf\xC3\xA9\":\"z\",\"id\":3,\"ab\":null,\"abc\":0}\n"
                        "{\"abc\":1,\"ab\":2,\"i\\u0064\":4,\"m\\\"q\":5,\"\":6}\n"
                        "{\"id\":7,\"meta\":{\"host\":\"c\",\"tags\":[{\"k\":3}]},\"caf\xC3\xA9\":\"w\",\"m\\\"q\":8}\n";
    static const char *want[] = {
        "{\"id\":1,\"meta\":{\"host\":\"a\",\"tags\":[{\"k\":1},{\"k\":2}]},\"caf\xC3\xA9\":\"x\"}",
        "{\"id\":2,\"meta\":{\"host\":\"b\",\"tags\":[]},\"caf\xC3\xA9\":\"y\"}",
        "{\"caf\xC3\xA9\":\"z\",\"id\":3,\"ab\":null,\"abc\":0}",
        "{\"abc\":1,\"ab\":2,\"id\":4,\"m\\\"q\":5,\"\":6}",
        "{\"id\":7,\"meta\":{\"host\":\"c\",\"tags\":[{\"k\":3}]},\"caf\xC3\xA9\":\"w\",\"m\\\"q\":8}",
    };
    size_t len = sizeof text - 1;
    for (size_t chunk = 1; chunk <= len; chunk = chunk < 16 ? chunk + 1 : chunk * 2) {
        for (size_t max = 1; max <= 1000; max *= 1000) {
            decoded d;
            decode_text(&d, text, len, chunk, max);
            assert_int_equal(d.rc, 0);
            assert_int_equal(d.rej.n, 0);
            assert_int_equal(d.batch.count, 5);
            for (int i = 0; i < 5; i++)
                assert_string_equal(to_json(&d.batch.records[i]), want[i]);
            const sl_value *r = d.batch.records;
            const char *id = field_named(&r[0], "id")->name;
            assert_true(in_decoder(id, &d.dec));
            for (int i = 1; i < 5; i++)
                assert_ptr_equal(field_named(&r[i], "id")->name, id); /* "i\u0064" too */
            assert_ptr_equal(field_named(&r[2], "caf\xC3\xA9")->name, field_named(&r[0], "caf\xC3\xA9")->name);
            const sl_value *tags0 = &field_named(&field_named(&r[0], "meta")->value, "tags")->value;
            const sl_value *tags4 = &field_named(&field_named(&r[4], "meta")->value, "tags")->value;
            assert_ptr_equal(tags0->u.items[1].u.fields[0].name, tags4->u.items[0].u.fields[0].name);
            const sl_field *q3 = field_named(&r[3], "m\"q"), *q4 = field_named(&r[4], "m\"q");
            assert_ptr_equal(q3->name, q4->name);
            assert_true(in_decoder(q3->name, &d.dec));
            assert_int_equal(q3->name_flags & SL_VF_JSON_PLAIN, 0);
            assert_int_equal(field_named(&r[3], "id")->name_flags, SL_VF_JSON_PLAIN | SL_VF_UTF8);
            assert_int_equal(field_named(&r[3], "")->name_len, 0);
            decoded_free(&d);
        }
    }
}

static void test_decode_keys_beyond_the_table(void **state) {
    /* keys longer than SL_JSON_NAME_MAX, and keys past SL_JSON_NAMES_MAX
     * distinct ones, are not kept but read as always */
    sl_buf text;
    sl_buf_init(&text, 0);
    char long_key[SL_JSON_NAME_MAX + 2];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    for (int rec = 0; rec < 3; rec++) {
        sl_buf_printf(&text, "{\"%s\":%d", long_key, rec);
        for (int k = 0; k < 400; k++)
            sl_buf_printf(&text, ",\"key%d\":%d", (k * 7 + rec * 13) % 400, k); /* another order each time */
        sl_buf_adds(&text, "}\n");
    }
    decoded d;
    decode_text(&d, text.data, text.len, 4096, 1000);
    assert_int_equal(d.rc, 0);
    assert_int_equal(d.batch.count, 3);
    int kept = 0;
    for (int rec = 0; rec < 3; rec++) {
        const sl_value *r = &d.batch.records[rec];
        assert_int_equal(r->len, 401);
        const sl_field *lf = field_named(r, long_key);
        assert_false(in_decoder(lf->name, &d.dec));
        assert_int_equal(lf->value.u.i, rec);
        for (int k = 0; k < 400; k++) {
            char name[16];
            snprintf(name, sizeof name, "key%d", (k * 7 + rec * 13) % 400);
            const sl_field *f = &r->u.fields[k + 1];
            assert_int_equal(f->name_len, strlen(name));
            assert_memory_equal(f->name, name, f->name_len);
            assert_int_equal(f->value.u.i, k);
            if (rec == 2 && in_decoder(f->name, &d.dec)) kept++;
        }
    }
    assert_true(kept > 0 && kept <= SL_JSON_NAMES_MAX);
    decoded_free(&d);
    sl_buf_free(&text);
}

static void test_decode_keys_that_are_data(void **state) {
    /* keys that never repeat (ids as keys) fill the table and then stop
     * being looked up; shuffled keys stop being predicted; records read
     * the same all along, and stable keys are kept again later */
    sl_buf text;
    sl_buf_init(&text, 0);
    uint64_t x = 88172645463325252ULL;
    for (int rec = 0; rec < 6000; rec++) {
        sl_buf_adds(&text, "{\"a\":1");
        for (int k = 0; k < 12; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            sl_buf_printf(&text, ",\"%s%llx\":%d", rec < 3000 ? "id" : "k", (unsigned long long)(rec < 3000 ? x : x % 40), k);
        }
        sl_buf_adds(&text, "}\n");
    }
    for (int rec = 0; rec < 70000; rec++)
        sl_buf_printf(&text, "{\"a\":%d,\"b\":[{\"c\":%d}]}\n", rec, rec);
    decoded d;
    decode_text(&d, text.data, text.len, 1 << 16, 1 << 20);
    assert_int_equal(d.rc, 0);
    assert_int_equal(d.batch.count, 76000);
    sl_buf again;
    sl_buf_init(&again, 0);
    for (size_t i = 0; i < d.batch.count; i++) {
        assert_int_equal(sl_json_write(&again, &d.batch.records[i]), 0);
        sl_buf_addc(&again, '\n');
    }
    assert_int_equal(again.len, text.len);
    assert_memory_equal(again.data, text.data, text.len);
    const sl_value *last = &d.batch.records[d.batch.count - 1];
    assert_true(in_decoder(last->u.fields[0].name, &d.dec));
    assert_true(in_decoder(last->u.fields[1].value.u.items[0].u.fields[0].name, &d.dec));
    sl_buf_free(&again);
    decoded_free(&d);
    sl_buf_free(&text);
}

static void test_decode_array_errors(void **state) {
    /* syntax error inside a top-level array is fatal, with the file offset */
    const char *text = "[{\"a\":1},\n {\"a\" 2}]";
    decoded d;
    decode_text(&d, text, strlen(text), 1 << 20, 100);
    assert_int_equal(d.rc, SL_EPARSE);
    assert_int_equal(d.err.offset, 16);
    assert_int_equal(d.err.line, 2);
    assert_non_null(strstr(d.err.message, "at byte 16"));
    assert_int_equal(d.batch.count, 1);
    decoded_free(&d);

    text = "[{\"a\":1} {\"a\":2}]";
    decode_text(&d, text, strlen(text), 1 << 20, 100);
    assert_int_equal(d.rc, SL_EPARSE);
    assert_int_equal(d.err.offset, 9);
    assert_non_null(strstr(d.err.message, "expected ',' or ']'"));
    decoded_free(&d);

    text = "[{\"a\":1},";
    decode_text(&d, text, strlen(text), 1 << 20, 100);
    assert_int_equal(d.rc, SL_EPARSE);
    assert_non_null(strstr(d.err.message, "not closed"));
    decoded_free(&d);

    text = "[{\"a\":1},]";
    decode_text(&d, text, strlen(text), 1 << 20, 100);
    assert_int_equal(d.rc, SL_EPARSE);
    decoded_free(&d);

    /* non-object elements are rejected, not fatal */
    text = "[{\"a\":1}, 2, \"x\", {\"a\":3}] [] [{\"a\":4}]";
    decode_text(&d, text, strlen(text), 1 << 20, 100);
    assert_int_equal(d.rc, 0);
    assert_int_equal(d.batch.count, 3);
    assert_int_equal(d.rej.n, 2);
    assert_string_equal(d.rej.raw[0], "2");
    assert_int_equal(d.rej.offset[1], 13);
    decoded_free(&d);
}

static void test_decode_pretty_printed(void **state) {
    const char *text = "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ]\n}\n{\n  \"a\": 2\n}\n";
    for (size_t chunk = 1; chunk < 64; chunk += 3) {
        decoded d;
        decode_text(&d, text, strlen(text), chunk, 1000);
        assert_int_equal(d.rc, 0);
        assert_int_equal(d.batch.count, 2);
        assert_int_equal(d.batch.locs[0].line, 1);
        assert_int_equal(d.batch.locs[1].line, 8);
        assert_int_equal(d.end_line, 11);
        decoded_free(&d);
    }
}

/* ---- writer ---- */

static void test_write_escaping(void **state) {
    sl_buf out;
    sl_buf_init(&out, 0);
    const char s[] = "q\"b\\c\x01\x1f\n\t\r\b\f\x7f/caf\xC3\xA9 \xF0\x9F\x98\x80";
    assert_int_equal(sl_json_write_string(&out, s, sizeof s - 1), 0);
    assert_string_equal(out.data, "\"q\\\"b\\\\c\\u0001\\u001f\\n\\t\\r\\b\\f\x7f/caf\xC3\xA9 \xF0\x9F\x98\x80\"");
    /* invalid UTF-8 still gives valid JSON */
    sl_buf_reset(&out);
    const char bad[] = "a\xFF"
                       "b\xC3(\xED\xA0\x80";
    assert_int_equal(sl_json_write_string(&out, bad, sizeof bad - 1), 0);
    assert_string_equal(out.data, "\"a\\ufffdb\\ufffd(\\ufffd\\ufffd\\ufffd\"");
    /* a PLAIN-flagged string with invalid UTF-8 is escaped anyway */
    sl_value v = sl_string("x\x80y", 3, SL_VF_JSON_PLAIN);
    assert_string_equal(to_json(&v), "\"x\\ufffdy\"");
    char longbad[40];
    memset(longbad, 'z', sizeof longbad);
    longbad[33] = (char)0xC0;
    v = sl_string(longbad, sizeof longbad, SL_VF_JSON_PLAIN);
    const char *j = to_json(&v);
    assert_int_equal(strlen(j), 40 + 2 + 5);
    /* names are escaped too */
    sl_field f = {.name = "k\"", .name_len = 2, .name_flags = 0, .value = sl_int(1)};
    v = sl_struct(&f, 1);
    assert_string_equal(to_json(&v), "{\"k\\\"\":1}");
    /* every control character */
    for (int c = 0; c < 0x20; c++) {
        char ch = (char)c;
        sl_buf_reset(&out);
        sl_json_write_string(&out, &ch, 1);
        sl_value back = parse_ok(out.data);
        assert_string_value(&back, &ch, 1);
    }
    sl_buf_free(&out);
}

static void test_write_types(void **state) {
    sl_value v = sl_double(NAN);
    assert_string_equal(to_json(&v), "null");
    v = sl_double(-INFINITY);
    assert_string_equal(to_json(&v), "null");
    v = sl_double(0.1);
    assert_string_equal(to_json(&v), "0.1");
    v = sl_int(INT64_MIN);
    assert_string_equal(to_json(&v), "-9223372036854775808");
    v = sl_decimal("-12.3400", 8);
    assert_string_equal(to_json(&v), "-12.3400");
    v = sl_decimal("1e400", 5);
    assert_string_equal(to_json(&v), "1e400");
    v = sl_decimal("+1.5", 4);
    assert_string_equal(to_json(&v), "\"+1.5\"");
    v = sl_decimal(".5", 2);
    assert_string_equal(to_json(&v), "\".5\"");
    v = sl_decimal("NaN", 3);
    assert_string_equal(to_json(&v), "\"NaN\"");
    v = sl_date(0);
    assert_string_equal(to_json(&v), "\"1970-01-01\"");
    v = sl_date(19723);
    assert_string_equal(to_json(&v), "\"2024-01-01\"");
    v = sl_date(-1);
    assert_string_equal(to_json(&v), "\"1969-12-31\"");
    v = sl_date(11016);
    assert_string_equal(to_json(&v), "\"2000-02-29\"");
    v = sl_date(-719528);
    assert_string_equal(to_json(&v), "\"0000-01-01\"");
    v = sl_date(2932896);
    assert_string_equal(to_json(&v), "\"9999-12-31\"");
    v = sl_timestamp(0);
    assert_string_equal(to_json(&v), "\"1970-01-01T00:00:00Z\"");
    v = sl_timestamp(1732300000123000LL);
    assert_string_equal(to_json(&v), "\"2024-11-22T18:26:40.123Z\"");
    v = sl_timestamp(1732300005000000LL);
    assert_string_equal(to_json(&v), "\"2024-11-22T18:26:45Z\"");
    v = sl_timestamp(1732300005000001LL);
    assert_string_equal(to_json(&v), "\"2024-11-22T18:26:45.000001Z\"");
    v = sl_timestamp(-1);
    assert_string_equal(to_json(&v), "\"1969-12-31T23:59:59.999999Z\"");
    v = sl_timestamp(INT64_MIN);
    assert_true(strlen(to_json(&v)) > 20);
    v = sl_timestamp(INT64_MAX);
    assert_true(strlen(to_json(&v)) > 20);
    v = sl_date(INT64_MAX);
    assert_string_equal(to_json(&v), "null");
    v = sl_binary("", 0);
    assert_string_equal(to_json(&v), "\"\"");
    v = sl_binary("f", 1);
    assert_string_equal(to_json(&v), "\"Zg==\"");
    v = sl_binary("fo", 2);
    assert_string_equal(to_json(&v), "\"Zm8=\"");
    v = sl_binary("foobar", 6);
    assert_string_equal(to_json(&v), "\"Zm9vYmFy\"");
    v = sl_binary("\xff\xfe\x00", 3);
    assert_string_equal(to_json(&v), "\"//4A\"");
    sl_value items[3] = {sl_null(), sl_bool(true), sl_list(NULL, 0)};
    v = sl_list(items, 3);
    assert_string_equal(to_json(&v), "[null,true,[]]");
    v = sl_struct(NULL, 0);
    assert_string_equal(to_json(&v), "{}");
}

static void test_write_limit(void **state) {
    sl_buf out;
    sl_buf_init(&out, 16);
    assert_int_equal(sl_buf_add(&out, "abc", 3), 0);
    sl_value v = sl_string("0123456789abcdef", 16, SL_VF_JSON_PLAIN);
    assert_int_equal(sl_json_write(&out, &v), SL_ELIMIT);
    assert_int_equal(out.len, 3);
    assert_string_equal(out.data, "abc");
    sl_value items[8];
    for (int i = 0; i < 8; i++)
        items[i] = sl_int(1000 + i);
    v = sl_list(items, 8);
    assert_int_equal(sl_json_write(&out, &v), SL_ELIMIT);
    assert_int_equal(out.len, 3);
    assert_string_equal(out.data, "abc");
    v = sl_list(items, 2);
    assert_int_equal(sl_json_write(&out, &v), 0);
    assert_string_equal(out.data, "abc[1000,1001]");
    sl_buf_free(&out);
}

static void test_write_parse_roundtrip(void **state) {
    const char *docs[] = {
        "{\"a\":[1,-2,3.5,\"x\\\"y\",{\"b\":null}],\"c\":{\"d\":[[],{}]},\"e\":\"\\u0000\\u001f\\\\\"}",
        "[\"\xE6\x9D\xB1\xE4\xBA\xAC\",\"\xF0\x9F\x98\x80\",1e-7,123456789012345678901234567890,-1E400]",
        "{\"\":\"\",\"dup\":1,\"dup\":2}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        sl_value v = parse_ok(docs[i]);
        char *text = strdup(to_json(&v));
        sl_value w = parse_ok(text);
        assert_true(sl_test_identical(&v, &w));
        assert_string_equal(to_json(&w), text);
        free(text);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_all_types),
        cmocka_unit_test(test_parse_scalars_top_level),
        cmocka_unit_test(test_parse_duplicate_keys),
        cmocka_unit_test(test_parse_escapes),
        cmocka_unit_test(test_parse_surrogates),
        cmocka_unit_test(test_parse_invalid_utf8),
        cmocka_unit_test(test_parse_int_limits),
        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_parse_errors_name_offset),
        cmocka_unit_test(test_parse_depth_limit),
        cmocka_unit_test(test_parse_wide_values),
        cmocka_unit_test(test_format_double),
        cmocka_unit_test(test_format_double_roundtrip),
        cmocka_unit_test(test_format_int),
        cmocka_unit_test(test_decode_ndjson),
        cmocka_unit_test(test_decode_ndjson_bad_line),
        cmocka_unit_test(test_decode_non_object_records),
        cmocka_unit_test(test_decode_incomplete_at_eof),
        cmocka_unit_test(test_decode_max_records),
        cmocka_unit_test(test_decode_reject_stops),
        cmocka_unit_test(test_decode_array_split_everywhere),
        cmocka_unit_test(test_decode_ndjson_split_everywhere),
        cmocka_unit_test(test_decode_array_errors),
        cmocka_unit_test(test_decode_pretty_printed),
        cmocka_unit_test(test_decode_keeps_keys),
        cmocka_unit_test(test_decode_keys_beyond_the_table),
        cmocka_unit_test(test_decode_keys_that_are_data),
        cmocka_unit_test(test_write_escaping),
        cmocka_unit_test(test_write_types),
        cmocka_unit_test(test_write_limit),
        cmocka_unit_test(test_write_parse_roundtrip),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
