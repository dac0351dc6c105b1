/* test_expr.c — the expression language (core/expr.h): literals, paths,
 * operators and precedence, three-valued logic, predicates, casts, every
 * function, compile errors with their columns and runtime failures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/expr.h"
#include "core/value.h"

static sl_arena arena;
static sl_value rec;

/* ---- building the test record ---- */

static sl_value S(const char *s) { return sl_string(s, strlen(s), 0); }

static sl_field F(const char *name, sl_value v) {
    sl_field f = {name, (uint32_t)strlen(name), 0, v};
    return f;
}

static sl_value make_struct(size_t n, const sl_field *fields) {
    sl_field *copy = sl_arena_alloc(&arena, n * sizeof *copy);
    memcpy(copy, fields, n * sizeof *copy);
    return sl_struct(copy, n);
}

static sl_value make_list(size_t n, const sl_value *items) {
    sl_value *copy = sl_arena_alloc(&arena, (n ? n : 1) * sizeof *copy);
    memcpy(copy, items, n * sizeof *copy);
    return sl_list(copy, n);
}

static int setup(void **state) {
    (void)state;
    sl_arena_init(&arena);
    sl_value tags[] = {S("a"), S("b"), S("c")};
    sl_value meta_tags[] = {S("x"), S("y")};
    sl_value nums[] = {sl_int(1), sl_null(), sl_int(3)};
    sl_field address[] = {F("city", S("Paris")), F("zip", S("75001"))};
    sl_field meta[] = {F("tags", make_list(2, meta_tags)), F("host", S("web-1"))};
    sl_value people_0[] = {make_struct(2, address)};
    sl_field fields[] = {
        F("name", S("Alice")),
        F("age", sl_int(42)),
        F("score", sl_double(3.5)),
        F("active", sl_bool(true)),
        F("missing_value", sl_null()),
        F("tags", make_list(3, tags)),
        F("address", make_struct(2, address)),
        F("metadata", make_struct(2, meta)),
        F("my field", sl_int(7)),
        F("a.b", S("dotted")),
        F("age_s", S("42")),
        F("amount", sl_decimal("12.50", 5)),
        F("big", sl_decimal("123456789012345678901234567890", 30)),
        F("born", sl_date(19724)),                          /* 2024-01-02 */
        F("seen", sl_timestamp(INT64_C(1704164645000000))), /* 2024-01-02T03:04:05Z */
        F("unicode", S("h\xc3\xa9llo w\xc3\xb6rld")),       /* héllo wörld */
        F("empty", S("")),
        F("nums", make_list(3, nums)),
        F("places", make_list(1, people_0)),
        F("flag_s", S("yes")),
        F("end", S("keyword-named")),
        F("maxint", sl_int(INT64_MAX)),
        F("minint", sl_int(INT64_MIN)),
        F("zero", sl_int(0)),
        F("padded", S("  hi  ")),
    };
    rec = make_struct(sizeof fields / sizeof fields[0], fields);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sl_arena_free(&arena);
    return 0;
}

/* ---- helpers: each compiles, evaluates, checks, frees ---- */

static sl_expr *compile_ok(const char *text) {
    sl_expr *e = NULL;
    sl_error err;
    sl_error_clear(&err);
    if (sl_expr_compile(text, &e, &err) != 0)
        fail_msg("compile of \"%s\" failed at column %d: %s", text, err.column, err.message);
    return e;
}

/* Evaluates and hands back the expression so the result stays valid. */
static sl_value eval_ok(const char *text, sl_expr **keep) {
    sl_expr *e = compile_ok(text);
    sl_value v;
    sl_error err;
    sl_error_clear(&err);
    if (sl_expr_eval(e, &rec, &arena, &v, &err) != 0) fail_msg("eval of \"%s\" failed: %s", text, err.message);
    *keep = e;
    return v;
}

static void expect_int(const char *text, int64_t want) {
    sl_expr *e;
    sl_value v = eval_ok(text, &e);
    if (v.type != SL_T_INT) fail_msg("\"%s\": expected long, got %s", text, sl_type_name(v.type));
    if (v.u.i != want) fail_msg("\"%s\": expected %lld, got %lld", text, (long long)want, (long long)v.u.i);
    sl_expr_free(e);
}

static void expect_double(const char *text, double want) {
    sl_expr *e;
    sl_value v = eval_ok(text, &e);
    if (v.type != SL_T_DOUBLE) fail_msg("\"%s\": expected double, got %s", text, sl_type_name(v.type));
    if (!(v.u.d == want || (isnan(want) && isnan(v.u.d))))
        fail_msg("\"%s\": expected %.17g, got %.17g", text, want, v.u.d);
    sl_expr_free(e);
}

static void expect_text(const char *text, sl_type type, const char *want) {
    sl_expr *e;
    sl_value v = eval_ok(text, &e);
    if (v.type != type) fail_msg("\"%s\": expected %s, got %s", text, sl_type_name(type), sl_type_name(v.type));
    if (v.len != strlen(want) || memcmp(v.u.s, want, v.len) != 0)
        fail_msg("\"%s\": expected '%s', got '%.*s'", text, want, (int)v.len, v.u.s);
    sl_expr_free(e);
}

static void expect_str(const char *text, const char *want) { expect_text(text, SL_T_STRING, want); }
static void expect_dec(const char *text, const char *want) { expect_text(text, SL_T_DECIMAL, want); }

static void expect_type_value(const char *text, sl_type type, int64_t want) {
    sl_expr *e;
    sl_value v = eval_ok(text, &e);
    if (v.type != type) fail_msg("\"%s\": expected %s, got %s", text, sl_type_name(type), sl_type_name(v.type));
    if (v.u.i != want) fail_msg("\"%s\": expected %lld, got %lld", text, (long long)want, (long long)v.u.i);
    sl_expr_free(e);
}

static void expect_null(const char *text) {
    sl_expr *e;
    sl_value v = eval_ok(text, &e);
    if (v.type != SL_T_NULL) fail_msg("\"%s\": expected null, got %s", text, sl_type_name(v.type));
    sl_expr_free(e);
}

static void expect_bool(const char *text, bool want) {
    sl_expr *e;
    sl_value v = eval_ok(text, &e);
    if (v.type != SL_T_BOOL) fail_msg("\"%s\": expected boolean, got %s", text, sl_type_name(v.type));
    if (v.u.b != want) fail_msg("\"%s\": expected %s", text, want ? "true" : "false");
    sl_expr_free(e);
}

/* 1 true, 0 false, -1 null, through sl_expr_eval_bool */
static void expect_truth(const char *text, int want) {
    sl_expr *e = compile_ok(text);
    int truth = 7;
    sl_error err;
    sl_error_clear(&err);
    if (sl_expr_eval_bool(e, &rec, &arena, &truth, &err) != 0) fail_msg("\"%s\" failed: %s", text, err.message);
    if (truth != want) fail_msg("\"%s\": expected truth %d, got %d", text, want, truth);
    sl_expr_free(e);
}

static void expect_compile_error(const char *text, int column, const char *message_part) {
    sl_expr *e = (sl_expr *)&e;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_expr_compile(text, &e, &err);
    if (rc == 0) fail_msg("\"%s\" compiled but should not", text);
    assert_int_equal(rc, SL_EINVAL);
    assert_null(e);
    if (!strstr(err.message, message_part))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", text, err.message, message_part);
    if (err.column != column)
        fail_msg("\"%s\": expected column %d, got %d (%s)", text, column, err.column, err.message);
}

static void expect_eval_error(const char *text, const char *message_part) {
    sl_expr *e = compile_ok(text);
    sl_value v;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_expr_eval(e, &rec, &arena, &v, &err);
    if (rc == 0) fail_msg("\"%s\" evaluated but should fail", text);
    assert_int_equal(rc, SL_ETYPE);
    if (!strstr(err.message, message_part))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", text, err.message, message_part);
    sl_expr_free(e);
}

/* ---- literals ---- */

static void test_literals(void **state) {
    (void)state;
    expect_int("42", 42);
    expect_int("0", 0);
    expect_int("9223372036854775807", INT64_MAX);
    expect_int("-9223372036854775808", INT64_MIN);
    expect_dec("9223372036854775808", "9223372036854775808");
    expect_dec("123456789012345678901234567890", "123456789012345678901234567890");
    expect_double("1.5", 1.5);
    expect_double("1e3", 1000.0);
    expect_double("2.5E-1", 0.25);
    expect_double(".5", 0.5);
    expect_dec("1e999", "1e999");
    expect_str("'hello'", "hello");
    expect_str("'it''s'", "it's");
    expect_str("''", "");
    expect_str("'h\xc3\xa9'", "h\xc3\xa9");
    expect_bool("true", true);
    expect_bool("FALSE", false);
    expect_null("null");
    expect_null("NULL");
    expect_type_value("date '2024-01-02'", SL_T_DATE, 19724);
    expect_type_value("DATE '1970-01-01'", SL_T_DATE, 0);
    expect_type_value("date '1969-12-31'", SL_T_DATE, -1);
    expect_type_value("timestamp '2024-01-02T03:04:05Z'", SL_T_TIMESTAMP, INT64_C(1704164645000000));
    expect_type_value("timestamp '2024-01-02 03:04:05.5'", SL_T_TIMESTAMP, INT64_C(1704164645500000));
    expect_type_value("timestamp '2024-01-02T05:04:05+02:00'", SL_T_TIMESTAMP, INT64_C(1704164645000000));
    expect_type_value("timestamp '2024-01-02'", SL_T_TIMESTAMP, INT64_C(1704153600000000));
}

/* ---- field paths ---- */

static void test_paths(void **state) {
    (void)state;
    expect_str("name", "Alice");
    expect_int("age", 42);
    expect_str("address.city", "Paris");
    expect_str("tags[0]", "a");
    expect_str("tags[2]", "c");
    expect_null("tags[3]");
    expect_null("tags[-1]");
    expect_null("tags[99999999999999999999]");
    expect_str("metadata.tags[1]", "y");
    expect_str("places[0].city", "Paris");
    expect_str("address['zip']", "75001");
    expect_int("\"my field\"", 7);
    expect_int("`my field`", 7);
    expect_str("`a.b`", "dotted");
    expect_str("\"end\"", "keyword-named");
    expect_null("nope");
    expect_null("nope.deeper[3].x");
    expect_null("name.first"); /* not a struct */
    expect_null("address[0]"); /* not a list */
    expect_null("missing_value");
    expect_str("split('p,q', ',')[1]", "q");
    expect_str("(address).city", "Paris");
    expect_null("Name"); /* field names are case-sensitive */
}

static void test_path_date_field(void **state) {
    (void)state;
    /* `date` without a string literal after it is a field name */
    sl_field f[] = {F("date", S("d")), F("timestamp", sl_int(5))};
    sl_value r = make_struct(2, f);
    sl_expr *e = compile_ok("date || '-' || timestamp");
    sl_value v;
    assert_int_equal(sl_expr_eval(e, &r, &arena, &v, NULL), 0);
    assert_int_equal(v.type, SL_T_STRING);
    assert_memory_equal(v.u.s, "d-5", 3);
    sl_expr_free(e);
}

static void test_fields_listing(void **state) {
    (void)state;
    sl_expr *e = compile_ok("a.b + tags[0] || `x.y`.z + a.b + upper(name) + split(s, ',')[0] + 1");
    const char **paths;
    size_t n = sl_expr_fields(e, &paths);
    assert_int_equal(n, 5);
    assert_string_equal(paths[0], "a.b");
    assert_string_equal(paths[1], "tags[0]");
    assert_string_equal(paths[2], "`x.y`.z");
    assert_string_equal(paths[3], "name");
    assert_string_equal(paths[4], "s");
    assert_string_equal(sl_expr_text(e), "a.b + tags[0] || `x.y`.z + a.b + upper(name) + split(s, ',')[0] + 1");
    sl_expr_free(e);
    e = compile_ok("1 + 2");
    assert_int_equal(sl_expr_fields(e, NULL), 0);
    sl_expr_free(e);
}

static void test_record_not_struct(void **state) {
    (void)state;
    sl_expr *e = compile_ok("coalesce(name, 'none')");
    sl_value v;
    assert_int_equal(sl_expr_eval(e, NULL, &arena, &v, NULL), 0);
    assert_memory_equal(v.u.s, "none", 4);
    sl_value i = sl_int(3);
    assert_int_equal(sl_expr_eval(e, &i, &arena, &v, NULL), 0);
    assert_memory_equal(v.u.s, "none", 4);
    sl_expr_free(e);
}

/* ---- arithmetic ---- */

static void test_arithmetic(void **state) {
    (void)state;
    expect_int("1 + 2", 3);
    expect_int("10 - 15", -5);
    expect_int("6 * 7", 42);
    expect_double("7 / 2", 3.5);
    expect_double("6 / 3", 2.0);
    expect_int("7 div 2", 3);
    expect_int("-7 div 2", -3);
    expect_int("7 % 3", 1);
    expect_int("-7 % 3", -1);
    expect_int("minint % -1", 0);
    expect_double("1 + 0.5", 1.5);
    expect_double("score * 2", 7.0);
    expect_double("7.5 % 2", 1.5);
    expect_int("-age", -42);
    expect_int("- -3", 3);
    expect_int("+5", 5);
    expect_double("-score", -3.5);
    expect_int("age + age_s", 84); /* numeric strings are numbers */
    expect_double("'1.5' + 1", 2.5);
    expect_double("amount + 1", 13.5); /* decimals compute as doubles */
    expect_dec("-amount", "-12.50");
    expect_dec("-(-amount)", "12.50");
    expect_null("1 / 0");
    expect_null("1.5 / 0");
    expect_null("1 % 0");
    expect_null("5 div 0");
    expect_null("age + null");
    expect_null("null * 2");
    expect_null("age + nope");
    expect_type_value("born + 1", SL_T_DATE, 19725);
    expect_type_value("born - 2", SL_T_DATE, 19722);
    expect_int("born - date '2024-01-01'", 1);
}

static void test_arithmetic_failures(void **state) {
    (void)state;
    expect_eval_error("maxint + 1", "integer overflow: 9223372036854775807 + 1 in 'maxint + 1'");
    expect_eval_error("minint - 1", "integer overflow");
    expect_eval_error("maxint * 2", "integer overflow");
    expect_eval_error("-minint", "integer overflow");
    expect_eval_error("minint div -1", "integer overflow");
    expect_eval_error("name + 1", "string 'Alice' is not a number in 'name'");
    expect_eval_error("active * 2", "boolean true is not a number");
    expect_eval_error("tags - 1", "array is not a number");
    expect_eval_error("born * 2", "date 2024-01-02 is not a number in 'born'");
    expect_eval_error("not seen", "expected a boolean but got timestamp 2024-01-02T03:04:05Z");
}

/* ---- precedence ---- */

static void test_precedence(void **state) {
    (void)state;
    expect_int("1 + 2 * 3", 7);
    expect_int("(1 + 2) * 3", 9);
    expect_int("10 - 2 - 3", 5);
    expect_double("8 / 2 / 2", 2.0);
    expect_int("2 * 3 % 4", 2);
    expect_int("-2 * 3", -6);
    expect_str("'a' || 1 + 2", "a3");
    expect_bool("1 + 1 = 2", true);
    expect_bool("'ab' = 'a' || 'b'", true);
    expect_bool("not 1 = 2", true);
    /* not a = b and c  →  (not (a = b)) and c */
    expect_bool("not age = 41 and active", true);
    expect_bool("not age = 42 and active", false);
    expect_bool("true or false and false", true); /* and binds tighter */
    expect_bool("(true or false) and false", false);
    expect_bool("not false or true", true);
    expect_bool("age between 40 and 50 and active", true);
    expect_bool("1 < 2 = true", true);
    expect_int("-age::string::long", -42);
    expect_str("1 + 2 || ''", "3");
}

/* ---- comparisons ---- */

static void test_comparisons(void **state) {
    (void)state;
    expect_bool("1 = 1", true);
    expect_bool("1 == 1", true);
    expect_bool("1 != 2", true);
    expect_bool("1 <> 1", false);
    expect_bool("1 < 2", true);
    expect_bool("2 <= 2", true);
    expect_bool("3 > 2", true);
    expect_bool("2 >= 3", false);
    expect_bool("1 = 1.0", true);
    expect_bool("amount = 12.5", true);
    expect_bool("amount > 12", true);
    expect_bool("big > 9223372036854775807", true);
    expect_bool("big > 1e29", true);
    expect_bool("9007199254740993 > 9007199254740992.0", true);
    expect_bool("0.1 = cast('0.1' as decimal)", true);
    expect_bool("cast('nan' as double) = cast('nan' as double)", true);
    expect_bool("cast('nan' as double) > 1e308", true);
    expect_bool("'abc' < 'abd'", true);
    expect_bool("'ab' < 'abc'", true);
    expect_bool("'B' < 'a'", true); /* bytewise */
    expect_bool("age = '42'", true);
    expect_bool("age_s = 42", true);
    expect_bool("age_s > 9", true);    /* numeric, not '42' > '9' as text */
    expect_bool("age_s > '9'", false); /* both strings: bytewise */
    expect_bool("born = '2024-01-02'", true);
    expect_bool("born < '2024-01-02T00:00:01'", true);
    expect_bool("born < seen", true);
    expect_bool("born = cast(seen as date)", true);
    expect_bool("seen = '2024-01-02T03:04:05Z'", true);
    expect_bool("seen > date '2024-01-02'", true);
    expect_bool("active = true", true);
    expect_bool("flag_s = true", true);
    expect_bool("false < true", true);
    expect_bool("tags = split('a,b,c', ',')", true);
    expect_bool("tags < split('a,b,d', ',')", true);
    expect_bool("address = address", true);
    /* incomparable → null */
    expect_null("age = 'abc'");
    expect_null("name > 5");
    expect_null("tags = 1");
    expect_null("active = 1");
    expect_null("born = 'soon'");
    expect_null("null = null");
    expect_null("age = null");
    expect_null("address = metadata");
}

/* ---- three-valued logic ---- */

static void test_null_logic(void **state) {
    (void)state;
    /* AND */
    expect_truth("true and true", 1);
    expect_truth("true and false", 0);
    expect_truth("true and null", -1);
    expect_truth("false and null", 0);
    expect_truth("null and false", 0);
    expect_truth("null and null", -1);
    expect_truth("false and false", 0);
    /* OR */
    expect_truth("true or null", 1);
    expect_truth("null or true", 1);
    expect_truth("false or null", -1);
    expect_truth("null or null", -1);
    expect_truth("false or false", 0);
    /* NOT */
    expect_truth("not null", -1);
    expect_truth("not true", 0);
    expect_truth("not false", 1);
    /* predicates on null */
    expect_bool("null is null", true);
    expect_bool("missing_value is null", true);
    expect_bool("nope is null", true);
    expect_bool("name is not null", true);
    expect_bool("name IS NOT NULL and nope IS NULL", true);
    expect_null("nope = 1 and true");
    /* short-circuit: the right side is not evaluated */
    expect_bool("false and cast('x' as long) = 1", false);
    expect_bool("true or cast('x' as long) = 1", true);
    /* strings spelling booleans are conditions */
    expect_truth("flag_s", 1);
    expect_truth("'no'", 0);
    expect_truth("nope", -1);
    expect_truth("age > 40", 1);
}

static void test_condition_type_errors(void **state) {
    (void)state;
    expect_eval_error("age and true", "expected a boolean but got long 42 in 'age'");
    expect_eval_error("not name", "expected a boolean but got string 'Alice'");
    expect_eval_error("case when 5 then 1 end", "expected a boolean");
    sl_expr *e = compile_ok("age + 1");
    int truth = 5;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_expr_eval_bool(e, &rec, &arena, &truth, &err), SL_ETYPE);
    assert_int_equal(truth, -1);
    assert_non_null(strstr(err.message, "expected a boolean but got long 43"));
    sl_expr_free(e);
}

/* ---- IN, BETWEEN, LIKE ---- */

static void test_in(void **state) {
    (void)state;
    expect_bool("age in (1, 42, 3)", true);
    expect_bool("age in (1, 2)", false);
    expect_bool("age not in (1, 2)", true);
    expect_bool("age not in (42)", false);
    expect_bool("name in ('Bob', 'Alice')", true);
    expect_bool("lower(name) in ('alice')", true);
    expect_bool("age in ('42')", true);
    /* three-valued: a null item makes a miss unknown, never a hit */
    expect_bool("1 in (1, null)", true);
    expect_null("2 in (1, null)");
    expect_null("2 not in (1, null)");
    expect_bool("1 not in (1, null)", false);
    expect_null("null in (1, 2)");
    expect_null("null not in (1, 2)");
    expect_null("nope in (1)");
    expect_bool("age in (age_s)", true);
    expect_truth("2 not in (1, null)", -1);
}

static void test_between(void **state) {
    (void)state;
    expect_bool("age between 40 and 42", true);
    expect_bool("age between 43 and 50", false);
    expect_bool("age not between 43 and 50", true);
    expect_bool("score between 3 and 4", true);
    expect_bool("'b' between 'a' and 'c'", true);
    expect_bool("born between '2024-01-01' and '2024-12-31'", true);
    expect_null("null between 1 and 2");
    expect_null("5 between null and 10");
    expect_bool("5 between null and 4", false); /* false and unknown = false */
    expect_bool("age between 1 + 1 and 50 - 1", true);
}

static void test_like(void **state) {
    (void)state;
    expect_bool("name like 'A%'", true);
    expect_bool("name like 'a%'", false);
    expect_bool("name ilike 'a%'", true);
    expect_bool("name like '%ice'", true);
    expect_bool("name like '%lic%'", true);
    expect_bool("name like 'Al_ce'", true);
    expect_bool("name like 'Al_e'", false);
    expect_bool("name like '_____'", true);
    expect_bool("name like '______'", false);
    expect_bool("name like 'Alice'", true);
    expect_bool("name like '%'", true);
    expect_bool("'' like '%'", true);
    expect_bool("'' like '_'", false);
    expect_bool("name not like 'B%'", true);
    expect_bool("'aaa' like '%a%a%a%'", true);
    expect_bool("'aa' like '%a%a%a%'", false);
    expect_bool("'abcabd' like '%abd'", true);
    expect_bool("'mississippi' like 'm%iss%ppi'", true);
    expect_bool("unicode like 'h_llo%'", true); /* _ is one character, not one byte */
    expect_bool("unicode like 'H\xc3\x89%'", false);
    expect_bool("unicode ilike 'H\xc3\x89%'", true);
    expect_bool("'50%' like '50\\%'", true);
    expect_bool("'500' like '50\\%'", false);
    expect_bool("'a_b' like 'a\\_b'", true);
    expect_bool("'axb' like 'a\\_b'", false);
    expect_bool("'a\\b' like 'a\\\\b'", true);
    expect_bool("'50%' like '50!%' escape '!'", true);
    expect_bool("'50x' like '50!%' escape '!'", false);
    expect_bool("age like '4%'", true);
    expect_null("nope like 'a'");
    expect_null("name like null");
    expect_eval_error("name like 'abc\\'", "LIKE pattern ends with the escape character");
}

/* ---- CASE and COALESCE ---- */

static void test_case(void **state) {
    (void)state;
    expect_str("case when age > 40 then 'old' else 'young' end", "old");
    expect_str("case when age > 50 then 'old' else 'young' end", "young");
    expect_null("case when age > 50 then 'old' end");
    expect_str("case when null then 'a' when true then 'b' end", "b");
    expect_str("CASE WHEN age < 10 THEN 'kid' WHEN age < 50 THEN 'adult' ELSE 'senior' END", "adult");
    expect_str("case age when 41 then 'a' when 42 then 'b' else 'c' end", "b");
    expect_str("case nope when null then 'null matched' else 'no match' end", "no match");
    expect_str("case tags[1] when 'b' then 'yes' end", "yes");
    expect_int("case when true then 1 else cast('x' as long) end", 1);
}

static void test_coalesce(void **state) {
    (void)state;
    expect_str("coalesce(nope, missing_value, name)", "Alice");
    expect_int("coalesce(age, 0)", 42);
    expect_null("coalesce(nope)");
    expect_null("coalesce(null, null)");
    expect_int("coalesce(nope, 1, cast('x' as long))", 1); /* lazy */
}

/* ---- casts ---- */

static void test_casts(void **state) {
    (void)state;
    expect_int("cast('42' as long)", 42);
    expect_int("cast(' -7 ' as bigint)", -7);
    expect_int("cast(3.0 as int)", 3);
    expect_int("cast('12.000' as integer)", 12);
    expect_int("cast(cast('12.0' as decimal) as long)", 12);
    expect_int("cast(floor(-3.99) as long)", -4);
    expect_int("cast(true as long)", 1);
    expect_int("'17'::long", 17);
    expect_int("age_s::long + 1", 43);
    expect_double("cast('1.5' as double)", 1.5);
    expect_double("cast('1e3' as double)", 1000.0);
    expect_double("cast(age as double)", 42.0);
    expect_double("cast('-Infinity' as double)", -INFINITY);
    expect_double("cast('NaN' as double)", NAN);
    expect_double("cast(amount as float)", 12.5);
    expect_str("cast(age as string)", "42");
    expect_str("cast(score as string)", "3.5");
    expect_str("cast(1e21 as string)", "1e+21");
    expect_str("cast(3.0 as string)", "3.0");
    expect_str("cast(true as string)", "true");
    expect_str("cast(amount as varchar)", "12.50");
    expect_str("cast(born as string)", "2024-01-02");
    expect_str("cast(seen as string)", "2024-01-02T03:04:05Z");
    expect_str("cast(timestamp '2024-01-02T03:04:05.25Z' as string)", "2024-01-02T03:04:05.250Z");
    expect_str("cast(timestamp '2024-01-02T03:04:05.000001Z' as string)", "2024-01-02T03:04:05.000001Z");
    expect_str("cast(tags as string)", "[\"a\",\"b\",\"c\"]");
    expect_str("cast(address as string)", "{\"city\":\"Paris\",\"zip\":\"75001\"}");
    expect_str("cast(nums as string)", "[1,null,3]");
    expect_bool("cast('true' as boolean)", true);
    expect_bool("cast('N' as bool)", false);
    expect_bool("cast(0 as boolean)", false);
    expect_type_value("cast('2024-01-02' as date)", SL_T_DATE, 19724);
    expect_type_value("cast('2024-01-02T23:59:59Z' as date)", SL_T_DATE, 19724);
    expect_type_value("cast(seen as date)", SL_T_DATE, 19724);
    expect_type_value("cast(born as timestamp)", SL_T_TIMESTAMP, INT64_C(1704153600000000));
    expect_type_value("'2024-01-02T03:04:05Z'::timestamp", SL_T_TIMESTAMP, INT64_C(1704164645000000));
    expect_dec("cast('12.340' as decimal)", "12.340");
    expect_dec("cast(5 as decimal)", "5");
    expect_dec("cast(0.25 as numeric)", "0.25");
    expect_null("cast(null as long)");
    expect_null("cast(nope as date)");
    expect_int("try_cast('12' as long)", 12);
    expect_null("try_cast('abc' as long)");
    expect_null("try_cast('2024-13-01' as date)");
}

static void test_cast_failures(void **state) {
    (void)state;
    expect_eval_error("cast('abc' as long)", "cannot cast string 'abc' to long in 'cast('abc' as long)'");
    expect_eval_error("cast(name as long)", "cannot cast string 'Alice' to long");
    expect_eval_error("cast('1.5' as long)", "cannot cast string '1.5' to long");
    expect_eval_error("cast('99999999999999999999' as long)", "out of range");
    expect_eval_error("cast(1e300 as long)", "out of range");
    expect_eval_error("cast(big as long)", "out of range");
    expect_eval_error("cast('x' as double)", "cannot cast string 'x' to double");
    expect_eval_error("cast('0x10' as double)", "cannot cast");
    expect_eval_error("cast('maybe' as boolean)", "cannot cast string 'maybe' to boolean");
    expect_eval_error("cast('2024-02-30' as date)", "cannot cast string '2024-02-30' to date");
    expect_eval_error("cast('yesterday' as timestamp)", "to timestamp");
    expect_eval_error("cast(tags as long)", "cannot cast array to long");
    expect_eval_error("cast(age as date)", "cannot cast long 42 to date");
    expect_eval_error("name::long", "cannot cast string 'Alice' to long in 'name::long'");
    expect_eval_error("to_int('x1')", "cannot cast string 'x1' to long in 'to_int('x1')'");
    expect_eval_error("cast(3.99 as int)", "cannot cast double 3.99 to long: not a whole number");
    expect_eval_error("cast(amount as long)", "not a whole number");
    expect_eval_error("to_int(42.9)", "not a whole number");
}

/* ---- functions ---- */

static void test_string_functions(void **state) {
    (void)state;
    expect_str("lower(name)", "alice");
    expect_str("upper(name)", "ALICE");
    expect_str("UPPER(unicode)", "H\xc3\x89LLO W\xc3\x96RLD");
    expect_str("lower('\xc3\x89T\xc3\x89 \xd0\x9c\xd0\x98\xd0\xa0 \xce\xa3')",
               "\xc3\xa9t\xc3\xa9 \xd0\xbc\xd0\xb8\xd1\x80 \xcf\x83");
    expect_str("lower(42)", "42");
    expect_str("trim(padded)", "hi");
    expect_str("ltrim(padded)", "hi  ");
    expect_str("rtrim(padded)", "  hi");
    expect_str("trim('\t x \n')", "x");
    expect_str("trim('   ')", "");
    expect_int("length(name)", 5);
    expect_int("length(unicode)", 11);
    expect_int("length('')", 0);
    expect_int("length(tags)", 3);
    expect_int("length(age)", 2);
    expect_null("length(nope)");
    expect_str("substr(name, 2)", "lice");
    expect_str("substr(name, 2, 3)", "lic");
    expect_str("substr(name, 0, 2)", "Al");
    expect_str("substr(name, -3)", "ice");
    expect_str("substr(name, -3, 2)", "ic");
    expect_str("substr(name, -10, 7)", "Al");
    expect_str("substr(name, 10)", "");
    expect_str("substr(name, 2, -1)", "");
    expect_str("substring(unicode, 2, 4)", "\xc3\xa9llo");
    expect_str("substr(unicode, -5)", "w\xc3\xb6rld");
    expect_str("substr(name, '2', 2)", "li");
    expect_null("substr(name, null)");
    expect_str("concat(name, '-', age)", "Alice-42");
    expect_str("concat(name, nope, '!')", "Alice!");
    expect_str("concat(nope)", "");
    expect_str("concat(1.5, true, born)", "1.5true2024-01-02");
    expect_str("name || ' ' || age", "Alice 42");
    expect_null("name || nope");
    expect_str("replace(name, 'li', 'LI')", "ALIce");
    expect_str("replace('aaa', 'a', 'bb')", "bbbbbb");
    expect_str("replace('abc', '', 'x')", "abc");
    expect_str("replace('abcabc', 'abc', '')", "");
    expect_bool("starts_with(name, 'Al')", true);
    expect_bool("starts_with(name, 'al')", false);
    expect_bool("starts_with(name, '')", true);
    expect_bool("ends_with(name, 'ce')", true);
    expect_bool("ends_with('e', 'ce')", false);
    expect_bool("contains(name, 'lic')", true);
    expect_bool("contains(name, 'x')", false);
    expect_null("contains(nope, 'x')");
}

static void test_split(void **state) {
    (void)state;
    sl_expr *e;
    sl_value v = eval_ok("split('a,b,,c', ',')", &e);
    assert_int_equal(v.type, SL_T_LIST);
    assert_int_equal(v.len, 4);
    assert_memory_equal(v.u.items[0].u.s, "a", 1);
    assert_int_equal(v.u.items[2].len, 0);
    assert_memory_equal(v.u.items[3].u.s, "c", 1);
    sl_expr_free(e);
    v = eval_ok("split(name, '')", &e);
    assert_int_equal(v.len, 5);
    sl_expr_free(e);
    v = eval_ok("split(unicode, '')", &e);
    assert_int_equal(v.len, 11);
    assert_int_equal(v.u.items[1].len, 2);
    sl_expr_free(e);
    v = eval_ok("split('', ',')", &e);
    assert_int_equal(v.len, 1);
    assert_int_equal(v.u.items[0].len, 0);
    sl_expr_free(e);
    expect_int("length(split('a::b::c', '::'))", 3);
    expect_str("split('a::b::c', '::')[2]", "c");
    expect_str("split('no-sep', ',')[0]", "no-sep");
    expect_null("split(nope, ',')");
}

static void test_numeric_functions(void **state) {
    (void)state;
    expect_int("abs(-5)", 5);
    expect_int("abs(5)", 5);
    expect_double("abs(-2.5)", 2.5);
    expect_dec("abs(-amount)", "12.50");
    expect_int("abs('-3')", 3);
    expect_eval_error("abs(minint)", "integer overflow");
    expect_double("round(2.5)", 3.0);
    expect_double("round(-2.5)", -3.0);
    expect_double("round(2.4)", 2.0);
    expect_double("round(2.675, 2)", 2.68);
    expect_double("round(1.005, 2)", 1.01);
    expect_double("round(-1.005, 2)", -1.01);
    expect_double("round(1234.5678, -2)", 1200.0);
    expect_double("round(0.000123456, 5)", 0.00012);
    expect_double("round(1e300, 2)", 1e300);
    expect_double("round(0.4, 0)", 0.0);
    expect_double("round(0.5, 0)", 1.0);
    expect_double("round(0.04, 1)", 0.0);
    expect_double("round(0.05, 1)", 0.1);
    expect_double("round(99.99, 1)", 100.0);
    expect_int("round(42)", 42);
    expect_int("round(1234, -2)", 1200);
    expect_int("round(1250, -2)", 1300);
    expect_int("round(-1250, -2)", -1300);
    expect_int("round(1234, 2)", 1234);
    expect_int("round(1234, -25)", 0);
    expect_eval_error("round(maxint, -1)", "integer overflow");
    expect_dec("round(amount, 1)", "12.5");
    expect_dec("round(cast('12.345' as decimal), 2)", "12.35");
    expect_dec("round(cast('-12.345' as decimal), 2)", "-12.35");
    expect_dec("round(cast('0.004' as decimal), 2)", "0");
    expect_dec("round(cast('999.5' as decimal))", "1000");
    expect_null("round(nope, 2)");
    expect_null("round(1.5, null)");
    expect_int("floor(2.7)", 2);
    expect_int("floor(-2.1)", -3);
    expect_int("ceil(2.1)", 3);
    expect_int("ceiling(-2.7)", -2);
    expect_int("floor(7)", 7);
    expect_int("floor(amount)", 12);
    expect_int("ceil(amount)", 13);
    expect_int("ceil(cast('-12.5' as decimal))", -12);
    expect_dec("floor(big)", "123456789012345678901234567890");
    expect_double("floor(1e300)", 1e300);
    expect_int("mod(7, 3)", 1);
    expect_int("mod(-7, 3)", -1);
    expect_double("mod(7.5, 2)", 1.5);
    expect_null("mod(7, 0)");
    expect_eval_error("mod(name, 2)", "string 'Alice' is not a number in 'mod(name, 2)'");
}

static void test_conversion_functions(void **state) {
    (void)state;
    expect_int("to_int('42')", 42);
    expect_int("to_int(42.0)", 42);
    expect_int("to_int(age_s) * 2", 84);
    expect_double("to_double('2.5')", 2.5);
    expect_double("to_double(age)", 42.0);
    expect_str("to_string(age)", "42");
    expect_str("to_string(0.1)", "0.1");
    expect_str("to_string(born)", "2024-01-02");
    expect_null("to_string(null)");
    expect_null("to_int(nope)");
}

static void test_function_names_case_insensitive(void **state) {
    (void)state;
    expect_str("LOWER(name)", "alice");
    expect_str("Coalesce(nope, 'x')", "x");
    expect_int("CAST('1' AS LONG)", 1);
}

static void test_constant_folding_keeps_semantics(void **state) {
    (void)state;
    /* constant parts that would fail are not folded into compile errors */
    sl_expr *e = compile_ok("case when age > 100 then cast('x' as long) else 0 end");
    sl_value v;
    assert_int_equal(sl_expr_eval(e, &rec, &arena, &v, NULL), 0);
    assert_int_equal(v.u.i, 0);
    sl_expr_free(e);
    expect_eval_error("cast('x' as long)", "cannot cast");
    expect_str("upper('a' || 'b') || name", "ABAlice");
    expect_int("length(split('a,b', ',')) + age", 44);
}

/* ---- compile errors ---- */

static void test_compile_errors(void **state) {
    (void)state;
    expect_compile_error("", 1, "expected an expression but found end of expression");
    expect_compile_error("   ", 4, "expected an expression");
    expect_compile_error("1 +", 4, "expected an expression but found end of expression");
    expect_compile_error("(1 + 2", 7, "expected ')' but found end of expression");
    expect_compile_error("1 + 2)", 6, "expected an operator or end of expression but found ')'");
    expect_compile_error("a b", 3, "but found 'b'");
    expect_compile_error("name = 'abc", 8, "unterminated string literal");
    expect_compile_error("\"my field = 1", 1, "unterminated quoted field name");
    expect_compile_error("lowr(name)", 1, "unknown function 'lowr' (did you mean lower?)");
    expect_compile_error("age > 1 and uper(name) = 'A'", 13, "did you mean upper?");
    expect_compile_error("substring_index(a)", 1, "unknown function 'substring_index'");
    expect_compile_error("frobnicate(a)", 1, "unknown function 'frobnicate' (see docs/expressions.md");
    expect_compile_error("lower(a, b)", 1, "lower() takes 1 argument but was given 2");
    expect_compile_error("substr(a)", 1, "substr() takes 2 to 3 arguments but was given 1");
    expect_compile_error("replace()", 1, "replace() takes 3 arguments but was given 0");
    expect_compile_error("coalesce()", 1, "coalesce() takes at least 1 argument");
    expect_compile_error("cast(a as widget)", 11, "unknown type 'widget'");
    expect_compile_error("cast(a long)", 8, "expected 'AS' but found 'long'");
    expect_compile_error("cast(a as decimal(10,2))", 18, "type parameters are not supported");
    expect_compile_error("a::", 4, "expected a type name");
    expect_compile_error("case when a then b", 19, "expected 'END' but found end of expression");
    expect_compile_error("case a end", 8, "expected 'WHEN' but found 'end'");
    expect_compile_error("a between 1", 12, "expected 'AND'");
    expect_compile_error("a in 1", 6, "expected '(' after IN");
    expect_compile_error("a in (1,", 9, "expected an expression");
    expect_compile_error("a is 5", 6, "expected 'NULL' but found '5'");
    expect_compile_error("a like 'x' escape 'ab'", 19, "a one-character string after ESCAPE");
    expect_compile_error("date '2024-02-30'", 6, "invalid date literal");
    expect_compile_error("timestamp 'noon'", 11, "invalid timestamp literal");
    expect_compile_error("1 + # 2", 5, "unexpected character '#'");
    expect_compile_error("12abc", 3, "unexpected character 'a' in number");
    expect_compile_error("tags[x]", 6, "expected a list index");
    expect_compile_error("tags[0", 7, "expected ']'");
    expect_compile_error("a.", 3, "expected a field name");
    expect_compile_error("``", 1, "empty field name");
    expect_compile_error("and", 1, "expected an expression but found 'and'");
    expect_compile_error("1 + not 2", 5, "expected an expression but found 'not'");
    /* columns count characters, not bytes: 'é' is two bytes */
    expect_compile_error("'\xc3\xa9' = é +", 10, "expected an expression but found end of expression");
    expect_compile_error("'\xc3\xa9\xc3\xa9' )", 6, "but found ')'");
    sl_error err;
    sl_error_clear(&err);
    sl_expr *e;
    assert_int_equal(sl_expr_compile("'\xc3\xa9\xc3\xa9' )", &e, &err), SL_EINVAL);
    assert_int_equal(err.offset, 7);
    assert_int_equal(sl_expr_compile("x +", &e, NULL), SL_EINVAL); /* err may be NULL */
    /* text length is bounded */
    char *huge = malloc(SL_EXPR_MAX_TEXT + 2);
    memset(huge, 'a', SL_EXPR_MAX_TEXT + 1);
    huge[SL_EXPR_MAX_TEXT + 1] = 0;
    sl_error_clear(&err);
    assert_int_equal(sl_expr_compile(huge, &e, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "expression longer than"));
    huge[SL_EXPR_MAX_TEXT] = 0;
    assert_int_equal(sl_expr_compile(huge, &e, &err), 0);
    sl_expr_free(e);
    free(huge);
}

static void test_depth_limit(void **state) {
    (void)state;
    char text[4096];
    /* 200 levels of parentheses compile */
    size_t n = 0;
    for (int i = 0; i < 200; i++)
        text[n++] = '(';
    text[n++] = '1';
    for (int i = 0; i < 200; i++)
        text[n++] = ')';
    text[n] = 0;
    expect_int(text, 1);
    /* 300 do not, and say why */
    n = 0;
    for (int i = 0; i < 300; i++)
        text[n++] = '(';
    text[n++] = '1';
    for (int i = 0; i < 300; i++)
        text[n++] = ')';
    text[n] = 0;
    sl_expr *e;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_expr_compile(text, &e, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "nested too deeply"));
    /* a long flat chain builds a deep tree: refused too, never a stack overflow */
    n = 0;
    for (int i = 0; i < 1000; i++) {
        memcpy(text + n, "a+", 2);
        n += 2;
    }
    text[n++] = 'a';
    text[n] = 0;
    sl_error_clear(&err);
    assert_int_equal(sl_expr_compile(text, &e, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "nested too deeply"));
    /* unary chains too */
    n = 0;
    for (int i = 0; i < 1000; i++)
        text[n++] = '-';
    text[n++] = '1';
    text[n] = 0;
    assert_int_equal(sl_expr_compile(text, &e, NULL), SL_EINVAL);
    n = 0;
    for (int i = 0; i < 500; i++) {
        memcpy(text + n, "not ", 4);
        n += 4;
    }
    memcpy(text + n, "true", 5);
    assert_int_equal(sl_expr_compile(text, &e, NULL), SL_EINVAL);
    /* a chain within the limit works */
    n = 0;
    for (int i = 0; i < 100; i++) {
        memcpy(text + n, "1+", 2);
        n += 2;
    }
    text[n++] = '1';
    text[n] = 0;
    expect_int(text, 101);
}

static void test_result_size_limit(void **state) {
    (void)state;
    /* 16^5 = 1M characters, each then replaced by 300: refused before allocating */
    char text[2048] = "replace(";
    for (int i = 0; i < 4; i++)
        strcat(text, "replace(");
    strcat(text, "'aaaaaaaaaaaaaaaa'");
    for (int i = 0; i < 4; i++)
        strcat(text, ", 'a', 'aaaaaaaaaaaaaaaa')");
    strcat(text, ", 'a', '");
    for (int i = 0; i < 300; i++)
        strcat(text, "b");
    strcat(text, "')");
    expect_eval_error(text, "result larger than 256 MiB");
}

static void test_keywords_as_names(void **state) {
    (void)state;
    expect_str("\"end\"", "keyword-named");
    expect_null("rec_end");
    sl_field f[] = {F("in", sl_int(1)), F("x", make_struct(1, (sl_field[]){F("end", sl_int(9))}))};
    sl_value r = make_struct(2, f);
    sl_expr *e = compile_ok("x.end + `in`");
    sl_value v;
    assert_int_equal(sl_expr_eval(e, &r, &arena, &v, NULL), 0);
    assert_int_equal(v.u.i, 10);
    sl_expr_free(e);
}

typedef struct thread_job {
    const sl_expr *expr;
    int64_t base;
    int wrong;
} thread_job;

/* Evaluates "upper(name) || '#' || (age * 2)" for 2000 records of its own. */
static void *eval_thread(void *arg) {
    thread_job *job = arg;
    sl_arena a;
    sl_arena_init(&a);
    for (int64_t i = 0; i < 2000; i++) {
        sl_field f[] = {F("name", S("ab")), F("age", sl_int(job->base + i))};
        sl_value r = sl_struct(f, 2), v;
        char want[64];
        snprintf(want, sizeof want, "AB#%lld", (long long)((job->base + i) * 2));
        if (sl_expr_eval(job->expr, &r, &a, &v, NULL) != 0 || v.len != strlen(want) || memcmp(v.u.s, want, v.len))
            job->wrong++;
        if (i % 100 == 0) sl_arena_reset(&a);
    }
    sl_arena_free(&a);
    return NULL;
}

static void test_threads_share_one_expression(void **state) {
    (void)state;
    sl_expr *e = compile_ok("upper(name) || '#' || (age * 2)");
    pthread_t threads[4];
    thread_job jobs[4];
    for (int t = 0; t < 4; t++) {
        jobs[t] = (thread_job){e, t * 100000, 0};
        assert_int_equal(pthread_create(&threads[t], NULL, eval_thread, &jobs[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(threads[t], NULL);
        assert_int_equal(jobs[t].wrong, 0);
    }
    sl_expr_free(e);
}

static void test_separate_arenas(void **state) {
    (void)state;
    /* one compiled expression, many records, separate arenas: results independent */
    sl_expr *e = compile_ok("upper(name) || '#' || age");
    sl_arena a1, a2;
    sl_arena_init(&a1);
    sl_arena_init(&a2);
    sl_field f1[] = {F("name", S("bob")), F("age", sl_int(1))};
    sl_field f2[] = {F("name", S("eve")), F("age", sl_int(2))};
    sl_value r1 = make_struct(2, f1), r2 = make_struct(2, f2), v1, v2;
    assert_int_equal(sl_expr_eval(e, &r1, &a1, &v1, NULL), 0);
    assert_int_equal(sl_expr_eval(e, &r2, &a2, &v2, NULL), 0);
    assert_memory_equal(v1.u.s, "BOB#1", 5);
    assert_memory_equal(v2.u.s, "EVE#2", 5);
    sl_arena_free(&a1);
    sl_arena_free(&a2);
    sl_expr_free(e);
    sl_expr_free(NULL);
}

static void test_time_and_regexp_functions(void **state) {
    expect_int("year(timestamp '2024-03-05T10:11:12Z')", 2024);
    expect_int("month(timestamp '2024-03-05T10:11:12Z')", 3);
    expect_int("day(date '2024-03-05')", 5);
    expect_int("hour(timestamp '2024-03-05T10:11:12Z')", 10);
    expect_int("minute(timestamp '2024-03-05T10:11:12Z')", 11);
    expect_int("second(timestamp '2024-03-05T10:11:12Z')", 12);
    expect_int("year('1999-12-31T23:59:59Z')", 1999);
    expect_int("epoch_millis(timestamp '2024-03-05T10:11:12.5Z')", 1709633472500);
    expect_int("epoch_millis(to_timestamp(1709633472500))", 1709633472500);
    expect_int("epoch_millis(to_timestamp('05/03/2024 10:11', '%d/%m/%Y %H:%M'))", 1709633460000);
    expect_str("date_format(timestamp '2024-03-05T10:11:12Z', '%Y.%m.%d')", "2024.03.05");
    expect_bool("now() > timestamp '2020-01-01T00:00:00Z'", true);
    expect_bool("regexp_like('user=alice id=42', 'id=[0-9]+')", true);
    expect_bool("regexp_like('nothing', '^x')", false);
    expect_str("regexp_extract('user=alice id=42', 'user=(\\w+)')", "alice");
    expect_str("regexp_extract('ab', '(a)(x)?b', 2)", "");
    expect_null("regexp_extract('zzz', 'user=(\\w+)')");
    expect_null("regexp_like(null, 'a')");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_path_date_field),
        cmocka_unit_test(test_fields_listing),
        cmocka_unit_test(test_record_not_struct),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_arithmetic_failures),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_null_logic),
        cmocka_unit_test(test_condition_type_errors),
        cmocka_unit_test(test_in),
        cmocka_unit_test(test_between),
        cmocka_unit_test(test_like),
        cmocka_unit_test(test_case),
        cmocka_unit_test(test_coalesce),
        cmocka_unit_test(test_casts),
        cmocka_unit_test(test_cast_failures),
        cmocka_unit_test(test_string_functions),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_numeric_functions),
        cmocka_unit_test(test_conversion_functions),
        cmocka_unit_test(test_function_names_case_insensitive),
        cmocka_unit_test(test_constant_folding_keeps_semantics),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_result_size_limit),
        cmocka_unit_test(test_keywords_as_names),
        cmocka_unit_test(test_separate_arenas),
        cmocka_unit_test(test_threads_share_one_expression),
        cmocka_unit_test(test_time_and_regexp_functions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
