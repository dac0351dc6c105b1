/* test_csv.c — unit tests for formats/csv: RFC 4180 reading, header and
 * ragged-row policy, type inference and overrides, rows split across reads,
 * and the writer's quoting (write then read gives the same values). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "formats/csv.h"

/* ---- helpers ---- */

#define MAX_REJECTS 16

typedef struct rejects {
    int n;
    uint64_t line[MAX_REJECTS];
    int64_t offset[MAX_REJECTS];
    char reason[MAX_REJECTS][256];
    char raw[MAX_REJECTS][256];
    int stop_after; /* return -1 from the callback after this many (0 = never) */
} rejects;

static int on_reject(void *ud, uint64_t line, int64_t offset, const char *reason, const char *raw, size_t raw_len) {
    rejects *r = ud;
    if (r->n < MAX_REJECTS) {
        r->line[r->n] = line;
        r->offset[r->n] = offset;
        snprintf(r->reason[r->n], sizeof r->reason[0], "%s", reason);
        snprintf(r->raw[r->n], sizeof r->raw[0], "%.*s", (int)raw_len, raw);
    }
    r->n++;
    return r->stop_after && r->n >= r->stop_after ? SL_ELIMIT : 0;
}

typedef struct decoded {
    sl_csv_decoder d;
    sl_batch b;
    rejects rj;
    sl_error err;
    int rc;
    uint64_t line; /* ctx.line after decoding */
    int64_t offset;
} decoded;

/* Decodes text in one call at EOF. */
static void decode_text(decoded *out, const sl_csv_options *o, const char *text, size_t len) {
    memset(out, 0, sizeof *out);
    assert_int_equal(sl_csv_decoder_init(&out->d, o), 0);
    sl_batch_init(&out->b);
    sl_decode_ctx ctx = {&out->b, 0, 1, 0, on_reject, &out->rj};
    size_t consumed = 0;
    out->rc = sl_csv_decode(&out->d, text, len, true, &consumed, &ctx, &out->err);
    if (out->rc == 0) assert_int_equal(consumed, len);
    out->line = ctx.line;
    out->offset = ctx.offset;
}

static void decode_str(decoded *out, const sl_csv_options *o, const char *text) {
    decode_text(out, o, text, strlen(text));
}

static void decoded_free(decoded *out) {
    sl_batch_free(&out->b);
    sl_csv_decoder_free(&out->d);
}

static const sl_value *field(const decoded *dd, size_t row, size_t col) {
    assert_true(row < dd->b.count);
    const sl_value *rec = &dd->b.records[row];
    assert_int_equal(rec->type, SL_T_STRUCT);
    assert_true(col < rec->len);
    return &rec->u.fields[col].value;
}

static void assert_field_name(const sl_field *f, const char *name) {
    assert_int_equal(f->name_len, strlen(name));
    assert_memory_equal(f->name, name, f->name_len);
}

static void assert_name(const decoded *dd, size_t row, size_t col, const char *name) {
    assert_true(row < dd->b.count);
    assert_field_name(&dd->b.records[row].u.fields[col], name);
}

static void assert_str(const sl_value *v, const char *s) {
    assert_int_equal(v->type, SL_T_STRING);
    assert_int_equal(v->len, strlen(s));
    assert_memory_equal(v->u.s, s, v->len);
}

static void assert_int_value(const sl_value *v, int64_t i) {
    assert_int_equal(v->type, SL_T_INT);
    assert_true(v->u.i == i);
}

static void assert_double_value(const sl_value *v, double d) {
    assert_int_equal(v->type, SL_T_DOUBLE);
    assert_true(v->u.d == d);
}

static void assert_nullv(const sl_value *v) { assert_int_equal(v->type, SL_T_NULL); }

static sl_csv_options strings_only(void) {
    sl_csv_options o = sl_csv_options_default();
    o.infer_types = false;
    return o;
}

/* ---- RFC 4180 ---- */

static void test_rfc_basic(void **state) {
    sl_csv_options o = strings_only();
    o.header = false;
    decoded dd;
    decode_str(&dd, &o, "aaa,bbb,ccc\r\nzzz,yyy,xxx");
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.b.count, 2);
    assert_name(&dd, 0, 0, "_c0");
    assert_name(&dd, 0, 2, "_c2");
    assert_str(field(&dd, 0, 0), "aaa");
    assert_str(field(&dd, 0, 2), "ccc");
    assert_str(field(&dd, 1, 0), "zzz");
    assert_str(field(&dd, 1, 2), "xxx");
    assert_int_equal(dd.b.locs[0].line, 1);
    assert_int_equal(dd.b.locs[0].offset, 0);
    assert_int_equal(dd.b.locs[1].line, 2);
    assert_int_equal(dd.b.locs[1].offset, 13);
    assert_int_equal(dd.line, 2);
    decoded_free(&dd);
}

static void test_rfc_quoted(void **state) {
    sl_csv_options o = strings_only();
    decoded dd;
    decode_str(&dd, &o,
               "field_name,field_name2,field_name3\r\n"
               "\"aaa\",\"b\r\nbb\",\"ccc\"\r\n"
               "zzz,\"b\"\"bb\",\"\"\r\n"
               "\"x,y\",\"\"\"\",last\r\n");
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.rj.n, 0);
    assert_int_equal(dd.b.count, 3);
    assert_name(&dd, 0, 1, "field_name2");
    assert_str(field(&dd, 0, 0), "aaa");
    assert_str(field(&dd, 0, 1), "b\r\nbb");
    assert_str(field(&dd, 1, 1), "b\"bb");
    assert_str(field(&dd, 1, 2), "");
    assert_str(field(&dd, 2, 0), "x,y");
    assert_str(field(&dd, 2, 1), "\"");
    /* header on line 1, the quoted line break moves the next row to line 4 */
    assert_int_equal(dd.b.locs[0].line, 2);
    assert_int_equal(dd.b.locs[1].line, 4);
    assert_int_equal(dd.b.locs[2].line, 5);
    assert_int_equal(dd.line, 6);
    /* zero copy: an unquoted value points into the input */
    assert_true(field(&dd, 1, 0)->flags & SL_VF_JSON_PLAIN);
    assert_false(field(&dd, 1, 1)->flags & SL_VF_JSON_PLAIN);
    decoded_free(&dd);
}

static void test_zero_copy(void **state) {
    sl_csv_options o = strings_only();
    const char *text = "a,b\nplain,\"quoted\"\n";
    decoded dd;
    decode_str(&dd, &o, text);
    assert_int_equal(dd.b.count, 1);
    assert_ptr_equal(field(&dd, 0, 0)->u.s, text + 4);
    assert_ptr_equal(field(&dd, 0, 1)->u.s, text + 11);
    decoded_free(&dd);
}

static void test_backslash_escape(void **state) {
    sl_csv_options o = strings_only();
    o.escape = '\\';
    decoded dd;
    decode_str(&dd, &o, "a,b\n\"x\\\"y\",\"c:\\\\dir\"\nun\\quoted,\"q\"\n");
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.b.count, 2);
    assert_str(field(&dd, 0, 0), "x\"y");
    assert_str(field(&dd, 0, 1), "c:\\dir");
    assert_str(field(&dd, 1, 0), "un\\quoted");
    decoded_free(&dd);
}

static void test_line_ends(void **state) {
    sl_csv_options o = strings_only();
    decoded dd;
    /* LF, CRLF, a lone CR inside a value, no final line end */
    decode_str(&dd, &o, "a,b\r\n1,2\n3,x\ry\r\n5,6");
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.b.count, 3);
    assert_str(field(&dd, 0, 1), "2");
    assert_str(field(&dd, 1, 1), "x\ry");
    assert_str(field(&dd, 2, 0), "5");
    assert_str(field(&dd, 2, 1), "6");
    assert_int_equal(dd.line, 4);
    decoded_free(&dd);

    /* a final CR at EOF ends the row */
    decode_str(&dd, &o, "a,b\n1,2\r");
    assert_int_equal(dd.b.count, 1);
    assert_str(field(&dd, 0, 1), "2");
    decoded_free(&dd);

    /* trailing delimiter: one more (null) field */
    decode_str(&dd, &o, "a,b\n1,\n");
    assert_int_equal(dd.b.count, 1);
    assert_nullv(field(&dd, 0, 1));
    decoded_free(&dd);
}

static void test_blank_lines_and_bom(void **state) {
    sl_csv_options o = strings_only();
    decoded dd;
    decode_str(&dd, &o, "\xEF\xBB\xBF\n\nid,name\n\n1,x\r\n\r\n2,y\n\n");
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.b.count, 2);
    assert_name(&dd, 0, 0, "id");
    assert_str(field(&dd, 1, 1), "y");
    assert_int_equal(dd.b.locs[0].line, 5);
    assert_int_equal(dd.b.locs[1].line, 7);
    assert_int_equal(dd.b.locs[0].offset, 14);
    decoded_free(&dd);

    /* one column: a blank line is a null value */
    decode_str(&dd, &o, "v\na\n\nb\n");
    assert_int_equal(dd.b.count, 3);
    assert_nullv(field(&dd, 1, 0));
    decoded_free(&dd);
}

/* ---- header ---- */

static void test_header_names(void **state) {
    sl_csv_options o = strings_only();
    decoded dd;
    decode_str(&dd, &o, "a,,a,\"b,c\",a,_c1\n1,2,3,4,5,6\n");
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.b.count, 1);
    assert_int_equal(sl_csv_decoder_columns(&dd.d), 6);
    assert_name(&dd, 0, 0, "a");
    assert_name(&dd, 0, 1, "_c1");
    assert_name(&dd, 0, 2, "a_2");
    assert_name(&dd, 0, 3, "b,c");
    assert_name(&dd, 0, 4, "a_4");
    assert_name(&dd, 0, 5, "_c1_5");
    size_t len;
    const char *name = sl_csv_decoder_column(&dd.d, 3, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(name, "b,c", 3);
    assert_null(sl_csv_decoder_column(&dd.d, 6, &len));
    decoded_free(&dd);

    /* header only: no records */
    decode_str(&dd, &o, "x,y\n");
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.b.count, 0);
    assert_int_equal(sl_csv_decoder_columns(&dd.d), 2);
    decoded_free(&dd);
}

static void test_skip_rows(void **state) {
    sl_csv_options o = strings_only();
    o.skip_rows = 2;
    decoded dd;
    decode_str(&dd, &o, "# export\n\"unbalanced\nname\n1\n");
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.b.count, 1);
    assert_name(&dd, 0, 0, "name");
    assert_str(field(&dd, 0, 0), "1");
    assert_int_equal(dd.b.locs[0].line, 4);
    decoded_free(&dd);
}

static void test_set_header(void **state) {
    sl_csv_options o = sl_csv_options_default();
    o.skip_rows = 3; /* not applied once the header is handed over */
    sl_csv_decoder d;
    assert_int_equal(sl_csv_decoder_init(&d, &o), 0);
    assert_int_equal(sl_csv_decoder_set_header(&d, "id,\"full name\"\r\n", 16), 0);
    sl_batch b;
    sl_batch_init(&b);
    rejects rj = {0};
    sl_decode_ctx ctx = {&b, 0, 100, 5000, on_reject, &rj};
    const char *text = "7,Ann\n8,Bob\n";
    size_t consumed;
    sl_error err;
    assert_int_equal(sl_csv_decode(&d, text, strlen(text), true, &consumed, &ctx, &err), 0);
    assert_int_equal(b.count, 2);
    assert_field_name(&b.records[1].u.fields[1], "full name");
    assert_int_value(&b.records[0].u.fields[0].value, 7);
    assert_int_equal(b.locs[1].line, 101);
    assert_int_equal(b.locs[1].offset, 5006);
    sl_batch_free(&b);

    /* header=false: the first line fixes the column count */
    sl_csv_decoder_free(&d);
    o.header = false;
    assert_int_equal(sl_csv_decoder_init(&d, &o), 0);
    assert_int_equal(sl_csv_decoder_set_header(&d, "a,b,c", 5), 0);
    assert_int_equal(sl_csv_decoder_columns(&d), 3);
    sl_batch_init(&b);
    ctx = (sl_decode_ctx){&b, 0, 1, 0, on_reject, &rj};
    text = "1,2\n1,2,3,4\n";
    assert_int_equal(sl_csv_decode(&d, text, strlen(text), true, &consumed, &ctx, &err), 0);
    assert_int_equal(b.count, 1);
    assert_nullv(&b.records[0].u.fields[2].value);
    assert_int_equal(rj.n, 1);
    assert_string_equal(rj.reason[0], "row has 4 fields, first row has 3");
    sl_batch_free(&b);

    assert_int_equal(sl_csv_decoder_set_header(&d, "\"open", 5), SL_EPARSE);
    sl_csv_decoder_free(&d);
}

static void test_bad_header_is_fatal(void **state) {
    sl_csv_options o = sl_csv_options_default();
    decoded dd;
    decode_str(&dd, &o, "\"a\"x,b\n1,2\n");
    assert_int_equal(dd.rc, SL_EPARSE);
    assert_int_equal(dd.err.line, 1);
    assert_non_null(strstr(dd.err.message, "header"));
    decoded_free(&dd);

    decode_str(&dd, &o, "\"a,b\n1,2\n");
    assert_int_equal(dd.rc, SL_EPARSE);
    assert_non_null(strstr(dd.err.message, "unterminated"));
    decoded_free(&dd);
}

/* ---- ragged and malformed rows ---- */

static void test_ragged_rows(void **state) {
    sl_csv_options o = strings_only();
    decoded dd;
    decode_str(&dd, &o, "a,b,c,d\n1,2\n1,2,3,4,5\n\"q\"x,2\n9,9,9,9\n");
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.b.count, 2);
    assert_str(field(&dd, 0, 1), "2");
    assert_nullv(field(&dd, 0, 2));
    assert_nullv(field(&dd, 0, 3));
    assert_str(field(&dd, 1, 3), "9");
    assert_int_equal(dd.rj.n, 2);
    assert_string_equal(dd.rj.reason[0], "row has 5 fields, header has 4");
    assert_string_equal(dd.rj.raw[0], "1,2,3,4,5");
    assert_int_equal(dd.rj.line[0], 3);
    assert_int_equal(dd.rj.offset[0], 12);
    assert_string_equal(dd.rj.reason[1], "unexpected character after a closing quote in column 'a'");
    assert_string_equal(dd.rj.raw[1], "\"q\"x,2");
    assert_int_equal(dd.rj.line[1], 4);
    decoded_free(&dd);
}

static void test_unterminated_quote(void **state) {
    sl_csv_options o = strings_only();
    decoded dd;
    decode_str(&dd, &o, "a,b\n1,2\n3,\"open\nmore\nstuff\n");
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.b.count, 1);
    assert_int_equal(dd.rj.n, 1);
    assert_int_equal(dd.rj.line[0], 3);
    assert_string_equal(dd.rj.reason[0], "unterminated quoted value (quote opened on line 3)");
    assert_string_equal(dd.rj.raw[0], "3,\"open\nmore\nstuff");
    assert_int_equal(dd.line, 6);
    decoded_free(&dd);
}

static void test_multiline_off(void **state) {
    sl_csv_options o = strings_only();
    o.multiline = false;
    decoded dd;
    decode_str(&dd, &o, "a,b\n1,\"x\ny\",z,w\n2,\"ok\"\n");
    /* the broken quote ends at its line; the next line is a row of its own */
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.b.count, 1);
    assert_str(field(&dd, 0, 1), "ok");
    assert_int_equal(dd.b.locs[0].line, 4);
    assert_int_equal(dd.rj.n, 2);
    assert_int_equal(dd.rj.line[0], 2);
    assert_string_equal(dd.rj.raw[0], "1,\"x");
    assert_non_null(strstr(dd.rj.reason[0], "multiline is off"));
    assert_int_equal(dd.rj.line[1], 3);
    decoded_free(&dd);
}

static void test_reject_stops_and_no_callback(void **state) {
    sl_csv_options o = strings_only();
    sl_csv_decoder d;
    assert_int_equal(sl_csv_decoder_init(&d, &o), 0);
    sl_batch b;
    sl_batch_init(&b);
    rejects rj = {.stop_after = 1};
    sl_decode_ctx ctx = {&b, 0, 1, 0, on_reject, &rj};
    const char *text = "a\n1\n2,2\n3\n";
    size_t consumed;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_csv_decode(&d, text, strlen(text), true, &consumed, &ctx, &err), SL_ELIMIT);
    assert_int_equal(consumed, 8);
    assert_int_equal(b.count, 1);
    assert_int_equal(err.line, 3);
    assert_int_equal(ctx.line, 4);
    sl_batch_free(&b);
    sl_csv_decoder_free(&d);

    /* no reject callback: the bad row is fatal */
    assert_int_equal(sl_csv_decoder_init(&d, &o), 0);
    sl_batch_init(&b);
    ctx = (sl_decode_ctx){&b, 0, 1, 0, NULL, NULL};
    assert_int_equal(sl_csv_decode(&d, text, strlen(text), true, &consumed, &ctx, &err), SL_EPARSE);
    assert_non_null(strstr(err.message, "row has 2 fields, header has 1"));
    assert_int_equal(err.offset, 4);
    sl_batch_free(&b);
    sl_csv_decoder_free(&d);
}

static void test_max_records(void **state) {
    sl_csv_options o = sl_csv_options_default();
    sl_csv_decoder d;
    assert_int_equal(sl_csv_decoder_init(&d, &o), 0);
    const char *text = "n\n1\n2\n3\n4\n5\n";
    size_t len = strlen(text), pos = 0;
    sl_decode_ctx ctx = {NULL, 2, 1, 0, on_reject, NULL};
    int64_t expect = 1;
    for (int round = 0; round < 3; round++) {
        sl_batch b;
        sl_batch_init(&b);
        ctx.batch = &b;
        size_t consumed;
        sl_error err;
        assert_int_equal(sl_csv_decode(&d, text + pos, len - pos, true, &consumed, &ctx, &err), 0);
        pos += consumed;
        assert_int_equal(b.count, round < 2 ? 2 : 1);
        for (size_t i = 0; i < b.count; i++) {
            assert_int_value(&b.records[i].u.fields[0].value, expect++);
            assert_field_name(&b.records[i].u.fields[0], "n");
        }
        sl_batch_free(&b);
    }
    assert_int_equal(pos, len);
    assert_int_equal(ctx.offset, (int64_t)len);
    sl_csv_decoder_free(&d);
}

/* ---- type inference ---- */

static void test_infer_text(void **state) {
    sl_value v;
    assert_int_equal(sl_csv_infer_text("", 0, &v), SL_T_NULL);
    assert_int_equal(sl_csv_infer_text("42", 2, &v), SL_T_INT);
    assert_true(v.u.i == 42);
    assert_int_equal(sl_csv_infer_text("-7", 2, &v), SL_T_INT);
    assert_true(v.u.i == -7);
    assert_int_equal(sl_csv_infer_text("+7", 2, &v), SL_T_INT);
    assert_int_equal(sl_csv_infer_text("007", 3, &v), SL_T_INT);
    assert_true(v.u.i == 7);
    assert_int_equal(sl_csv_infer_text("9223372036854775807", 19, &v), SL_T_INT);
    assert_true(v.u.i == INT64_MAX);
    assert_int_equal(sl_csv_infer_text("-9223372036854775808", 20, &v), SL_T_INT);
    assert_true(v.u.i == INT64_MIN);
    assert_int_equal(sl_csv_infer_text("9223372036854775808", 19, &v), SL_T_DECIMAL);
    assert_int_equal(v.len, 19);
    assert_int_equal(sl_csv_infer_text("123456789012345678901234567890", 30, &v), SL_T_DECIMAL);
    assert_int_equal(sl_csv_infer_text("0.911308262", 11, &v), SL_T_DOUBLE);
    assert_true(v.u.d == 0.911308262);
    assert_int_equal(sl_csv_infer_text("-1.5e3", 6, &v), SL_T_DOUBLE);
    assert_true(v.u.d == -1500.0);
    assert_int_equal(sl_csv_infer_text(".5", 2, &v), SL_T_DOUBLE);
    assert_true(v.u.d == 0.5);
    assert_int_equal(sl_csv_infer_text("5.", 2, &v), SL_T_DOUBLE);
    assert_int_equal(sl_csv_infer_text("1e5", 3, &v), SL_T_DOUBLE);
    assert_true(v.u.d == 100000.0);
    assert_int_equal(sl_csv_infer_text("-0.0", 4, &v), SL_T_DOUBLE);
    assert_true(v.u.d == 0 && signbit(v.u.d));
    assert_int_equal(sl_csv_infer_text("3.141592653589793238462643", 26, &v), SL_T_DOUBLE);
    assert_true(v.u.d == 3.141592653589793);
    assert_int_equal(sl_csv_infer_text("1.7976931348623157e308", 22, &v), SL_T_DOUBLE);
    assert_true(v.u.d == 1.7976931348623157e308);
    assert_int_equal(sl_csv_infer_text("4.9e-324", 8, &v), SL_T_DOUBLE);
    assert_true(v.u.d == 4.9e-324);
    assert_int_equal(sl_csv_infer_text("1e400", 5, &v), SL_T_DECIMAL);
    assert_int_equal(sl_csv_infer_text("1e-400", 6, &v), SL_T_DECIMAL);
    assert_int_equal(sl_csv_infer_text("TRUE", 4, &v), SL_T_BOOL);
    assert_true(v.u.b);
    assert_int_equal(sl_csv_infer_text("False", 5, &v), SL_T_BOOL);
    assert_false(v.u.b);
    const char *strings[] = {"-",  "+",   ".",   "1e",    "1e+", "1.2.3", "0x10", "1_000", " 1",
                             "1 ", "inf", "NaN", "truth", "yes", "--1",   "1-",   "e5",    "12a"};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        assert_int_equal(sl_csv_infer_text(strings[i], strlen(strings[i]), &v), SL_T_STRING);
        assert_ptr_equal(v.u.s, strings[i]);
    }
    assert_int_equal(sl_csv_infer_text("a\"b", 3, &v), SL_T_STRING);
    assert_false(v.flags & SL_VF_JSON_PLAIN);
}

/* Doubles with many digits agree with strtod (fast path and fallback). */
static void test_infer_doubles_match_strtod(void **state) {
    uint64_t x = 88172645463325252ull;
    char text[64];
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int digits = 1 + (int)(x % 20), point = (int)((x >> 8) % 22), exp = (int)((x >> 16) % 60) - 30;
        uint64_t m = x >> 3;
        int n = snprintf(text, sizeof text, "%llu", (unsigned long long)(m % 100000000000000000ull));
        if (n > digits) n = digits;
        if (point < n) {
            memmove(text + point + 1, text + point, (size_t)(n - point));
            text[point] = '.';
            n++;
        }
        if (i % 3 == 0) n += snprintf(text + n, sizeof text - (size_t)n, "e%d", exp);
        text[n] = '\0';
        sl_value v;
        int t = sl_csv_infer_text(text, (size_t)n, &v);
        if (t == SL_T_INT) {
            assert_true((double)v.u.i == strtod(text, NULL) || strchr(text, '.') == NULL);
            continue;
        }
        assert_int_equal(t, SL_T_DOUBLE);
        assert_true(v.u.d == strtod(text, NULL));
    }
}

static void test_infer_in_rows(void **state) {
    sl_csv_options o = sl_csv_options_default();
    o.null_marker = "NULL";
    decoded dd;
    decode_str(&dd, &o,
               "i,d,b,s,n,q,e,qe,m,qm\n"
               "12,0.25,true,abc,,\"12\",1e3,\"\",NULL,\"NULL\"\n");
    assert_int_equal(dd.rc, 0);
    assert_int_value(field(&dd, 0, 0), 12);
    assert_double_value(field(&dd, 0, 1), 0.25);
    assert_int_equal(field(&dd, 0, 2)->type, SL_T_BOOL);
    assert_str(field(&dd, 0, 3), "abc");
    assert_nullv(field(&dd, 0, 4));
    assert_str(field(&dd, 0, 5), "12"); /* quoted values are strings */
    assert_double_value(field(&dd, 0, 6), 1000.0);
    assert_str(field(&dd, 0, 7), "");     /* quoted empty is an empty string */
    assert_nullv(field(&dd, 0, 8));       /* null marker */
    assert_str(field(&dd, 0, 9), "NULL"); /* quoted marker stays text */
    decoded_free(&dd);

    /* inference off: unquoted text stays text, empty is still null */
    o = strings_only();
    o.null_text = "\\N";
    decode_str(&dd, &o, "a,b,c\n12,\\N,\n");
    assert_str(field(&dd, 0, 0), "12");
    assert_nullv(field(&dd, 0, 1));
    assert_nullv(field(&dd, 0, 2));
    decoded_free(&dd);
}

static void test_trim_spaces(void **state) {
    sl_csv_options o = sl_csv_options_default();
    o.trim_spaces = true;
    decoded dd;
    decode_str(&dd, &o, " a , b ,c\n  1 ,  \" x \"  , y z \n");
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.rj.n, 0);
    assert_name(&dd, 0, 0, "a");
    assert_name(&dd, 0, 1, "b");
    assert_int_value(field(&dd, 0, 0), 1);
    assert_str(field(&dd, 0, 1), " x ");
    assert_str(field(&dd, 0, 2), "y z");
    decoded_free(&dd);

    /* without trimming, spaces are data and a quote after a space is text */
    o.trim_spaces = false;
    o.infer_types = false;
    decode_str(&dd, &o, "a,b\n 1, \"x\"\n");
    assert_str(field(&dd, 0, 0), " 1");
    assert_str(field(&dd, 0, 1), " \"x\"");
    decoded_free(&dd);

    /* tab-separated: tabs are delimiters, not trimmed */
    o = sl_csv_options_default();
    o.delimiter = '\t';
    o.trim_spaces = true;
    decode_str(&dd, &o, "a\tb\n 1 \t\n");
    assert_int_value(field(&dd, 0, 0), 1);
    assert_nullv(field(&dd, 0, 1));
    decoded_free(&dd);
}

/* ---- overrides ---- */

static void test_overrides(void **state) {
    sl_csv_column_type types[] = {
        {"zip", SL_T_STRING},     {"n", SL_T_INT},    {"x", SL_T_DOUBLE},      {"ok", SL_T_BOOL},
        {"amount", SL_T_DECIMAL}, {"day", SL_T_DATE}, {"not_there", SL_T_INT},
    };
    sl_csv_options o = sl_csv_options_default();
    o.column_types = types;
    o.n_column_types = sizeof types / sizeof types[0];
    decoded dd;
    decode_str(&dd, &o,
               "zip,n,x,ok,amount,day\n"
               "02134,\"17\",3,Yes,12.3400,2024-02-29\n"
               "1,2,NaN,no,,\n"
               "1,abc,1,true,1,2024-01-01\n"
               "1,1,1,maybe,1,2024-01-01\n"
               "1,1,1,1,1.2.3,2024-01-01\n"
               "1,1,1,1,1,2024-13-01\n"
               "1,99999999999999999999,1,1,1,2024-01-01\n");
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.b.count, 2);
    assert_str(field(&dd, 0, 0), "02134");
    assert_int_value(field(&dd, 0, 1), 17);
    assert_double_value(field(&dd, 0, 2), 3.0);
    assert_int_equal(field(&dd, 0, 3)->type, SL_T_BOOL);
    assert_true(field(&dd, 0, 3)->u.b);
    assert_int_equal(field(&dd, 0, 4)->type, SL_T_DECIMAL);
    assert_int_equal(field(&dd, 0, 4)->len, 7);
    assert_memory_equal(field(&dd, 0, 4)->u.s, "12.3400", 7);
    assert_int_equal(field(&dd, 0, 5)->type, SL_T_DATE);
    assert_true(field(&dd, 0, 5)->u.i == 19782);
    assert_true(isnan(field(&dd, 1, 2)->u.d));
    assert_false(field(&dd, 1, 3)->u.b);
    assert_nullv(field(&dd, 1, 4));
    assert_nullv(field(&dd, 1, 5));
    assert_int_equal(dd.rj.n, 5);
    assert_string_equal(dd.rj.reason[0], "cannot convert 'abc' in column 'n' to long");
    assert_int_equal(dd.rj.line[0], 4);
    assert_string_equal(dd.rj.reason[1], "cannot convert 'maybe' in column 'ok' to boolean");
    assert_string_equal(dd.rj.reason[2], "cannot convert '1.2.3' in column 'amount' to decimal");
    assert_string_equal(dd.rj.reason[3], "cannot convert '2024-13-01' in column 'day' to date");
    assert_string_equal(dd.rj.reason[4], "cannot convert '99999999999999999999' in column 'n' to long");
    decoded_free(&dd);
}

static void test_options_check(void **state) {
    sl_csv_options o = sl_csv_options_default();
    sl_error err;
    assert_int_equal(sl_csv_options_check(&o, &err), 0);
    o.delimiter = '\n';
    assert_int_equal(sl_csv_options_check(&o, &err), SL_EINVAL);
    o = sl_csv_options_default();
    o.quote = ',';
    assert_int_equal(sl_csv_options_check(&o, &err), SL_EINVAL);
    o = sl_csv_options_default();
    sl_csv_column_type bad[] = {{"a", SL_T_LIST}};
    o.column_types = bad;
    o.n_column_types = 1;
    assert_int_equal(sl_csv_options_check(&o, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "'a'"));
    sl_csv_decoder d;
    assert_int_equal(sl_csv_decoder_init(&d, &o), SL_EINVAL);
    sl_csv_decoder_free(&d);
    sl_csv_writer w;
    o = sl_csv_options_default();
    o.null_text = "a,b";
    assert_int_equal(sl_csv_writer_init(&w, &o), SL_EINVAL);
    sl_csv_writer_free(&w);
}

/* ---- rows split across reads ---- */

static const char split_input[] = "\xEF\xBB\xBFid,\"na\"\"me\",v\r\n"
                                  "1,\"multi\r\nline\",2.5\r\n"
                                  "\r\n"
                                  "2,plain,true\n"
                                  "3,\"a,b\",\n"
                                  "4,5,6,7\n"
                                  "5,\"x\"\"y\",-3\r\n"
                                  "6,\"end\"";

/* Decodes text[0..len) the way a source does: first `first` bytes, then
 * whatever was not consumed plus the rest, each read in its own buffer. */
static void decode_split(decoded *out, const sl_csv_options *o, const char *text, size_t len, size_t first,
                         char **bufs) {
    memset(out, 0, sizeof *out);
    assert_int_equal(sl_csv_decoder_init(&out->d, o), 0);
    sl_batch_init(&out->b);
    sl_decode_ctx ctx = {&out->b, 0, 1, 0, on_reject, &out->rj};
    bufs[0] = sl_xmalloc(first ? first : 1);
    memcpy(bufs[0], text, first);
    size_t c1 = 0, c2 = 0;
    assert_int_equal(sl_csv_decode(&out->d, bufs[0], first, first == len, &c1, &ctx, &out->err), 0);
    assert_true(c1 <= first);
    size_t rest = len - c1;
    bufs[1] = sl_xmalloc(rest ? rest : 1);
    memcpy(bufs[1], text + c1, rest);
    assert_int_equal(sl_csv_decode(&out->d, bufs[1], rest, true, &c2, &ctx, &out->err), 0);
    assert_int_equal(c1 + c2, len);
    out->line = ctx.line;
    out->offset = ctx.offset;
}

static void assert_same_decoding(const decoded *a, const decoded *b) {
    assert_int_equal(a->b.count, b->b.count);
    for (size_t i = 0; i < a->b.count; i++) {
        const sl_value *x = &a->b.records[i], *y = &b->b.records[i];
        assert_true(sl_value_equal(x, y));
        for (uint32_t f = 0; f < x->len; f++) {
            assert_int_equal(x->u.fields[f].name_len, y->u.fields[f].name_len);
            assert_memory_equal(x->u.fields[f].name, y->u.fields[f].name, x->u.fields[f].name_len);
            assert_int_equal(x->u.fields[f].value.flags, y->u.fields[f].value.flags);
        }
        assert_int_equal(a->b.locs[i].line, b->b.locs[i].line);
        assert_int_equal(a->b.locs[i].offset, b->b.locs[i].offset);
    }
    assert_int_equal(a->rj.n, b->rj.n);
    for (int i = 0; i < a->rj.n && i < MAX_REJECTS; i++) {
        assert_string_equal(a->rj.reason[i], b->rj.reason[i]);
        assert_string_equal(a->rj.raw[i], b->rj.raw[i]);
        assert_int_equal(a->rj.line[i], b->rj.line[i]);
    }
    assert_int_equal(a->line, b->line);
    assert_int_equal(a->offset, b->offset);
}

static void split_everywhere(const sl_csv_options *o, const char *text, size_t len) {
    decoded whole;
    decode_text(&whole, o, text, len);
    assert_int_equal(whole.rc, 0);
    for (size_t k = 0; k <= len; k++) {
        decoded part;
        char *bufs[2];
        decode_split(&part, o, text, len, k, bufs);
        assert_same_decoding(&whole, &part);
        decoded_free(&part);
        free(bufs[0]);
        free(bufs[1]);
    }
    decoded_free(&whole);
}

static void test_split_every_byte(void **state) {
    size_t len = sizeof split_input - 1;
    sl_csv_options o = sl_csv_options_default();
    split_everywhere(&o, split_input, len);
    o.trim_spaces = true;
    o.skip_rows = 1;
    o.header = false;
    split_everywhere(&o, split_input, len);

    decoded whole;
    o = sl_csv_options_default();
    decode_text(&whole, &o, split_input, len);
    assert_int_equal(whole.b.count, 5);
    assert_field_name(&whole.b.records[0].u.fields[1], "na\"me");
    assert_str(&whole.b.records[0].u.fields[1].value, "multi\r\nline");
    assert_int_equal(whole.b.locs[2].line, 6);
    assert_int_equal(whole.rj.n, 1);
    decoded_free(&whole);

    const char esc[] = "a;b\n\"x\\\";y\";\"\\\\\"\n\"p\\\nq\";2";
    o = sl_csv_options_default();
    o.delimiter = ';';
    o.escape = '\\';
    split_everywhere(&o, esc, sizeof esc - 1);
    o.multiline = false;
    split_everywhere(&o, esc, sizeof esc - 1);
}

/* A source that grows its window one byte at a time. */
static void test_byte_at_a_time(void **state) {
    size_t len = sizeof split_input - 1;
    sl_csv_options o = sl_csv_options_default();
    decoded whole, drip;
    decode_text(&whole, &o, split_input, len);
    memset(&drip, 0, sizeof drip);
    assert_int_equal(sl_csv_decoder_init(&drip.d, &o), 0);
    sl_batch_init(&drip.b);
    sl_decode_ctx ctx = {&drip.b, 0, 1, 0, on_reject, &drip.rj};
    size_t pos = 0;
    for (size_t avail = 0; avail <= len; avail++) {
        size_t consumed;
        assert_int_equal(
            sl_csv_decode(&drip.d, split_input + pos, avail - pos, avail == len, &consumed, &ctx, &drip.err), 0);
        pos += consumed;
    }
    assert_int_equal(pos, len);
    drip.line = ctx.line;
    drip.offset = ctx.offset;
    assert_same_decoding(&whole, &drip);
    decoded_free(&whole);
    decoded_free(&drip);
}

/* ---- writer ---- */

static sl_field mkfield(const char *name, sl_value v) {
    sl_field f;
    f.name = name;
    f.name_len = (uint32_t)strlen(name);
    f.name_flags = 0;
    f.value = v;
    return f;
}

static sl_value str(const char *s) { return sl_string(s, strlen(s), 0); }

static void test_writer_basic(void **state) {
    sl_csv_options o = sl_csv_options_default();
    sl_csv_writer w;
    assert_int_equal(sl_csv_writer_init(&w, &o), 0);
    sl_buf out;
    sl_buf_init(&out, SL_BUF_UNLIMITED);
    sl_error err;
    sl_field f1[] = {mkfield("id", sl_int(-12)), mkfield("x", sl_double(0.1)), mkfield("ok", sl_bool(true)),
                     mkfield("s", str("plain")), mkfield("n", sl_null())};
    sl_value r1 = sl_struct(f1, 5);
    assert_int_equal(sl_csv_write_record(&w, &out, &r1, &err), 0);
    /* by name, in another order; missing and extra fields */
    sl_field f2[] = {mkfield("s", str("a,b")), mkfield("extra", sl_int(1)), mkfield("id", sl_int(3)),
                     mkfield("x", sl_double(2.0)), mkfield("more", sl_null())};
    sl_value r2 = sl_struct(f2, 5);
    assert_int_equal(sl_csv_write_record(&w, &out, &r2, &err), 0);
    sl_value items[] = {sl_int(1), str("q\"")};
    sl_field inner[] = {mkfield("k", sl_list(items, 2))};
    sl_field f3[] = {mkfield("id", sl_decimal("12.50", 5)), mkfield("x", sl_double(NAN)), mkfield("ok", sl_date(19782)),
                     mkfield("s", sl_struct(inner, 1)), mkfield("n", sl_timestamp(1700000000123456))};
    sl_value r3 = sl_struct(f3, 5);
    assert_int_equal(sl_csv_write_record(&w, &out, &r3, &err), 0);
    assert_string_equal(out.data,
                        "id,x,ok,s,n\n"
                        "-12,0.1,true,plain,\n"
                        "3,2.0,,\"a,b\",\n"
                        "12.50,NaN,2024-02-29,\"{\"\"k\"\":[1,\"\"q\\\"\"\"\"]}\",2023-11-14T22:13:20.123456Z\n");
    assert_int_equal(sl_csv_writer_dropped_fields(&w), 2);

    /* not a struct */
    sl_value num = sl_int(1);
    size_t before = out.len;
    assert_int_equal(sl_csv_write_record(&w, &out, &num, &err), SL_ETYPE);
    assert_int_equal(out.len, before);
    sl_buf_free(&out);
    sl_csv_writer_free(&w);
}

static void test_writer_quoting(void **state) {
    sl_csv_options o = sl_csv_options_default();
    o.header = false;
    o.null_marker = "NULL";
    sl_csv_writer w;
    assert_int_equal(sl_csv_writer_init(&w, &o), 0);
    sl_buf out;
    sl_buf_init(&out, SL_BUF_UNLIMITED);
    sl_error err;
    sl_field f[] = {mkfield("a", str("")),           mkfield("b", str(" x")),     mkfield("c", str("x\t")),
                    mkfield("d", str("say \"hi\"")), mkfield("e", str("l1\nl2")), mkfield("f", str("cr\r")),
                    mkfield("g", str("NULL")),       mkfield("h", str("12")),     mkfield("i", str("a b"))};
    sl_value r = sl_struct(f, 9);
    assert_int_equal(sl_csv_write_record(&w, &out, &r, &err), 0);
    assert_string_equal(out.data, "\"\",\" x\",\"x\t\",\"say \"\"hi\"\"\",\"l1\nl2\",\"cr\r\",\"NULL\",12,a b\n");
    sl_buf_free(&out);
    sl_csv_writer_free(&w);

    /* backslash escaping, CRLF, quoting off */
    o = sl_csv_options_default();
    o.escape = '\\';
    o.crlf = true;
    assert_int_equal(sl_csv_writer_init(&w, &o), 0);
    sl_buf_init(&out, SL_BUF_UNLIMITED);
    sl_field g[] = {mkfield("p", str("c:\\x")), mkfield("q", str("a\"b\\"))};
    sl_value rg = sl_struct(g, 2);
    assert_int_equal(sl_csv_write_record(&w, &out, &rg, &err), 0);
    assert_string_equal(out.data, "p,q\r\nc:\\x,\"a\\\"b\\\\\"\r\n");
    sl_buf_free(&out);
    sl_csv_writer_free(&w);

    o = sl_csv_options_default();
    o.quote = '\0';
    o.delimiter = '\t';
    assert_int_equal(sl_csv_writer_init(&w, &o), 0);
    sl_buf_init(&out, SL_BUF_UNLIMITED);
    sl_field h[] = {mkfield("p", str("a \"b\"")), mkfield("q", str("x\ty"))};
    sl_value rh = sl_struct(h, 2);
    assert_int_equal(sl_csv_write_record(&w, &out, &rh, &err), SL_ETYPE);
    assert_int_equal(out.len, 0);
    assert_non_null(strstr(err.message, "'q'"));
    h[1].value = str("y");
    assert_int_equal(sl_csv_write_record(&w, &out, &rh, &err), 0);
    assert_string_equal(out.data, "p\tq\na \"b\"\ty\n");
    sl_buf_free(&out);
    sl_csv_writer_free(&w);
}

static void test_writer_limit_and_columns(void **state) {
    sl_csv_options o = sl_csv_options_default();
    sl_csv_writer w;
    assert_int_equal(sl_csv_writer_init(&w, &o), 0);
    const char *cols[] = {"b", "a"};
    assert_int_equal(sl_csv_writer_set_columns(&w, cols, 2), 0);
    assert_int_equal(sl_csv_writer_set_columns(&w, cols, 2), SL_EINVAL);
    sl_buf out;
    sl_buf_init(&out, 12);
    sl_error err;
    sl_field f[] = {mkfield("a", str("1")), mkfield("b", str("2"))};
    sl_value r = sl_struct(f, 2);
    assert_int_equal(sl_csv_write_record(&w, &out, &r, &err), 0);
    assert_string_equal(out.data, "b,a\n2,1\n");
    f[0].value = str("a long value");
    assert_int_equal(sl_csv_write_record(&w, &out, &r, &err), SL_ELIMIT);
    assert_string_equal(out.data, "b,a\n2,1\n");
    sl_buf_free(&out);
    sl_csv_writer_free(&w);
}

/* Write strings that need every kind of care, read them back as text. */
static void round_trip(const sl_csv_options *o) {
    static const char *values[] = {"plain",
                                   "",
                                   " lead",
                                   "trail ",
                                   "\ttab",
                                   "a,b",
                                   "semi;colon",
                                   "q\"uote",
                                   "\"",
                                   "\"\"",
                                   "multi\nline",
                                   "cr\rlf\r\n",
                                   "back\\slash",
                                   "NULL",
                                   "\\N",
                                   "12",
                                   "true",
                                   "\xEF\xBB\xBF"
                                   "bom",
                                   "x|y",
                                   "é ü",
                                   "end\\"};
    size_t n = sizeof values / sizeof values[0];
    sl_csv_writer w;
    assert_int_equal(sl_csv_writer_init(&w, o), 0);
    sl_buf out;
    sl_buf_init(&out, SL_BUF_UNLIMITED);
    sl_error err;
    char names[3][8] = {"c0", "c 1", "c,2"};
    for (size_t i = 0; i < n; i++) {
        sl_field f[3];
        for (int c = 0; c < 3; c++) {
            size_t k = (i + (size_t)c * 7) % n;
            f[c] = mkfield(names[c], str(values[k]));
        }
        if (i == 3) f[1].value = sl_null();
        sl_value r = sl_struct(f, 3);
        assert_int_equal(sl_csv_write_record(&w, &out, &r, &err), 0);
    }
    sl_csv_options ro = *o;
    ro.infer_types = false;
    decoded dd;
    decode_text(&dd, &ro, out.data, out.len);
    assert_int_equal(dd.rc, 0);
    assert_int_equal(dd.rj.n, 0);
    assert_int_equal(dd.b.count, n);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < 3; c++) {
            if (o->header) assert_name(&dd, i, (size_t)c, names[c]);
            if (i == 3 && c == 1) {
                assert_nullv(field(&dd, i, 1));
                continue;
            }
            assert_str(field(&dd, i, (size_t)c), values[(i + (size_t)c * 7) % n]);
        }
    }
    decoded_free(&dd);
    sl_buf_free(&out);
    sl_csv_writer_free(&w);
}

static void test_writer_round_trip(void **state) {
    sl_csv_options o = sl_csv_options_default();
    o.null_marker = "NULL";
    round_trip(&o);
    o.header = false;
    round_trip(&o);
    o = sl_csv_options_default();
    o.escape = '\\';
    o.delimiter = ';';
    o.trim_spaces = true;
    o.null_text = "\\N";
    o.crlf = true;
    round_trip(&o);
    o = sl_csv_options_default();
    o.delimiter = '|';
    o.quote = '\'';
    round_trip(&o);
}

/* Typed values survive a write and an inferring read. */
static void test_writer_typed_round_trip(void **state) {
    sl_csv_options o = sl_csv_options_default();
    sl_csv_writer w;
    assert_int_equal(sl_csv_writer_init(&w, &o), 0);
    sl_buf out;
    sl_buf_init(&out, SL_BUF_UNLIMITED);
    sl_error err;
    double doubles[] = {0.1, -2.5e-300, 1e300, 123456789.125, 5e-324, 3.0, -0.0};
    int64_t ints[] = {0, -1, INT64_MAX, INT64_MIN, 42, 7, 1000000};
    for (int i = 0; i < 7; i++) {
        sl_field f[] = {mkfield("d", sl_double(doubles[i])), mkfield("i", sl_int(ints[i])),
                        mkfield("b", sl_bool(i % 2)), mkfield("n", sl_null())};
        sl_value r = sl_struct(f, 4);
        assert_int_equal(sl_csv_write_record(&w, &out, &r, &err), 0);
    }
    decoded dd;
    decode_text(&dd, &o, out.data, out.len);
    assert_int_equal(dd.b.count, 7);
    for (size_t i = 0; i < 7; i++) {
        assert_double_value(field(&dd, i, 0), doubles[i]);
        assert_int_value(field(&dd, i, 1), ints[i]);
        assert_int_equal(field(&dd, i, 2)->type, SL_T_BOOL);
        assert_int_equal(field(&dd, i, 2)->u.b, i % 2);
        assert_nullv(field(&dd, i, 3));
    }
    decoded_free(&dd);
    sl_buf_free(&out);
    sl_csv_writer_free(&w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_basic),
        cmocka_unit_test(test_rfc_quoted),
        cmocka_unit_test(test_zero_copy),
        cmocka_unit_test(test_backslash_escape),
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_blank_lines_and_bom),
        cmocka_unit_test(test_header_names),
        cmocka_unit_test(test_skip_rows),
        cmocka_unit_test(test_set_header),
        cmocka_unit_test(test_bad_header_is_fatal),
        cmocka_unit_test(test_ragged_rows),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_multiline_off),
        cmocka_unit_test(test_reject_stops_and_no_callback),
        cmocka_unit_test(test_max_records),
        cmocka_unit_test(test_infer_text),
        cmocka_unit_test(test_infer_doubles_match_strtod),
        cmocka_unit_test(test_infer_in_rows),
        cmocka_unit_test(test_trim_spaces),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_options_check),
        cmocka_unit_test(test_split_every_byte),
        cmocka_unit_test(test_byte_at_a_time),
        cmocka_unit_test(test_writer_basic),
        cmocka_unit_test(test_writer_quoting),
        cmocka_unit_test(test_writer_limit_and_columns),
        cmocka_unit_test(test_writer_round_trip),
        cmocka_unit_test(test_writer_typed_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
