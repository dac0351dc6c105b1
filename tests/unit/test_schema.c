/* test_schema.c — schema inference, Glue's merge rules, printSchema/JSON/catalog output (core/schema.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/schema.h"
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

static sl_value json(const char *text) {
    sl_value v;
    sl_error err;
    sl_error_clear(&err);
    if (sl_json_parse(text, strlen(text), &arena, &v, &err)) fail_msg("bad test JSON %s: %s", text, err.message);
    return v;
}

/* Schema of the records given as JSON texts, observed in order; NULL-terminated. */
static sl_schema *observe_all(const char *first, ...) {
    sl_schema *s = NULL;
    va_list ap;
    va_start(ap, first);
    for (const char *text = first; text; text = va_arg(ap, const char *)) {
        sl_value v = json(text);
        sl_schema_observe(&s, &v);
    }
    va_end(ap);
    return s;
}

static void assert_prints(const sl_schema *s, const char *want) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_schema_print(s, &b);
    if (strcmp(b.data ? b.data : "", want) != 0) fail_msg("printSchema gave:\n%s\nwanted:\n%s", b.data, want);
    sl_buf_free(&b);
}

static void assert_json(const sl_schema *s, const char *want) {
    sl_buf b;
    sl_buf_init(&b, 0);
    assert_int_equal(sl_schema_to_json(s, &b), SL_OK);
    assert_string_equal(b.data, want);
    sl_buf_free(&b);
}

static void assert_glue(const sl_schema *s, const char *want) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_schema_glue_type(s, &b);
    assert_string_equal(b.data, want);
    sl_buf_free(&b);
}

static void test_single_record(void **state) {
    (void)state;
    sl_value v = json("{\"log_id\":\"a1\",\"level\":3,\"ratio\":0.5,\"ok\":true,"
                      "\"metadata\":{\"host\":\"h\",\"tags\":[\"x\",\"y\"]},\"none\":null}");
    sl_schema *s = sl_schema_of(&v);
    assert_int_equal(sl_schema_kind(s), SL_T_STRUCT);
    assert_int_equal(sl_schema_count(s), 1);
    assert_prints(s, "root\n"
                     "|-- log_id: string\n"
                     "|-- level: long\n"
                     "|-- ratio: double\n"
                     "|-- ok: boolean\n"
                     "|-- metadata: struct\n"
                     "|    |-- host: string\n"
                     "|    |-- tags: array\n"
                     "|    |    |-- element: string\n"
                     "|-- none: null\n");
    assert_int_equal(sl_schema_field_count(s), 6);
    size_t len;
    assert_string_equal(sl_schema_field_name(s, 0, &len), "log_id");
    assert_int_equal(len, 6);
    assert_false(sl_schema_field_nullable(s, 0));
    assert_true(sl_schema_field_nullable(s, 5)); /* seen only as null */
    assert_int_equal(sl_schema_kind(sl_schema_field_child(s, 5)), SL_T_NULL);
    const sl_schema *md = sl_schema_field(s, "metadata");
    assert_non_null(md);
    assert_int_equal(sl_schema_kind(sl_schema_element(sl_schema_field(md, "tags"))), SL_T_STRING);
    assert_int_equal(sl_schema_count(sl_schema_element(sl_schema_field(md, "tags"))), 2);
    assert_null(sl_schema_field(s, "nope"));
    assert_null(sl_schema_field(md, "host.x"));
    assert_null(sl_schema_element(md));
    sl_schema_free(s);

    /* schemas of non-records */
    sl_value n = sl_null();
    s = sl_schema_of(&n);
    assert_int_equal(sl_schema_kind(s), SL_T_NULL);
    assert_true(sl_schema_nullable(s));
    sl_schema_free(s);
    v = json("[1,\"a\"]");
    s = sl_schema_of(&v);
    assert_prints(s, "root: array\n"
                     "|-- element: choice\n"
                     "|    |-- long\n"
                     "|    |-- string\n");
    sl_schema_free(s);
}

static void test_choice_long_string(void **state) {
    (void)state;
    sl_schema *s = observe_all("{\"log_id\":\"a\",\"timestamp\":1732300000123}",
                               "{\"log_id\":\"b\",\"timestamp\":\"1732300000456\"}",
                               "{\"log_id\":\"c\",\"timestamp\":1732300000789}", NULL);
    assert_prints(s, "root\n"
                     "|-- log_id: string\n"
                     "|-- timestamp: choice\n"
                     "|    |-- long\n"
                     "|    |-- string\n");
    const sl_schema *t = sl_schema_field(s, "timestamp");
    assert_int_equal(sl_schema_kind(t), SL_SCHEMA_CHOICE);
    assert_false(sl_schema_nullable(t));
    assert_int_equal(sl_schema_count(t), 3);
    assert_int_equal(sl_schema_choice_count(t), 2);
    assert_int_equal(sl_schema_kind(sl_schema_choice_alt(t, 0)), SL_T_INT);
    assert_int_equal(sl_schema_count(sl_schema_alternative(t, SL_T_INT)), 2);
    assert_int_equal(sl_schema_count(sl_schema_alternative(t, SL_T_STRING)), 1);
    assert_null(sl_schema_alternative(t, SL_T_DOUBLE));
    assert_ptr_equal(sl_schema_alternative(sl_schema_field(s, "log_id"), SL_T_STRING), sl_schema_field(s, "log_id"));
    assert_json(s, "{\"type\":\"struct\",\"fields\":[{\"name\":\"log_id\",\"type\":\"string\",\"nullable\":false},"
                   "{\"name\":\"timestamp\",\"type\":{\"type\":\"choice\",\"alternatives\":[\"long\",\"string\"]},"
                   "\"nullable\":false}]}");
    assert_glue(s, "struct<log_id:string,timestamp:string>");
    sl_schema_free(s);
}

static void test_long_double_choice_and_widen(void **state) {
    (void)state;
    sl_schema *s = observe_all("{\"x\":1,\"y\":[1,2.5],\"z\":1}", "{\"x\":2.5,\"y\":[],\"z\":\"s\"}",
                               "{\"x\":null,\"z\":2.0}", NULL);
    assert_prints(s, "root\n"
                     "|-- x: choice\n"
                     "|    |-- long\n"
                     "|    |-- double\n"
                     "|-- y: array\n"
                     "|    |-- element: choice\n"
                     "|    |    |-- long\n"
                     "|    |    |-- double\n"
                     "|-- z: choice\n"
                     "|    |-- long\n"
                     "|    |-- double\n"
                     "|    |-- string\n");
    assert_true(sl_schema_field_nullable(s, 0)); /* null in record 3 */
    assert_true(sl_schema_field_nullable(s, 1)); /* missing in record 3 */
    assert_false(sl_schema_field_nullable(s, 2));
    assert_glue(s, "struct<x:double,y:array<double>,z:string>");

    sl_schema_widen_numeric(s);
    assert_prints(s, "root\n"
                     "|-- x: double\n"
                     "|-- y: array\n"
                     "|    |-- element: double\n"
                     "|-- z: choice\n"
                     "|    |-- double\n"
                     "|    |-- string\n");
    const sl_schema *x = sl_schema_field(s, "x");
    assert_true(sl_schema_nullable(x));
    assert_int_equal(sl_schema_count(x), 2);
    assert_int_equal(sl_schema_count(sl_schema_alternative(sl_schema_field(s, "z"), SL_T_DOUBLE)), 2);
    sl_schema_free(s);
}

static void test_nested_struct_field_added(void **state) {
    (void)state;
    sl_schema *s =
        observe_all("{\"id\":1,\"m\":{\"host\":\"a\"}}", "{\"id\":2,\"m\":{\"host\":\"b\",\"tags\":[\"x\"]}}",
                    "{\"id\":3,\"m\":{\"tags\":[],\"host\":\"c\"},\"extra\":{\"k\":1}}", NULL);
    assert_prints(s, "root\n"
                     "|-- id: long\n"
                     "|-- m: struct\n"
                     "|    |-- host: string\n"
                     "|    |-- tags: array\n"
                     "|    |    |-- element: string\n"
                     "|-- extra: struct\n"
                     "|    |-- k: long\n");
    const sl_schema *m = sl_schema_field(s, "m");
    assert_false(sl_schema_field_nullable(m, 0));
    assert_true(sl_schema_field_nullable(m, 1)); /* absent from the first record */
    assert_int_equal(sl_schema_field_seen(m, 1), 2);
    assert_true(sl_schema_field_nullable(s, 2));
    assert_int_equal(sl_schema_field_seen(s, 2), 1);
    assert_false(sl_schema_nullable(sl_schema_field(sl_schema_field(s, "extra"), "k")));
    assert_int_equal(sl_schema_count(s), 3);
    assert_json(s, "{\"type\":\"struct\",\"fields\":["
                   "{\"name\":\"id\",\"type\":\"long\",\"nullable\":false},"
                   "{\"name\":\"m\",\"type\":{\"type\":\"struct\",\"fields\":["
                   "{\"name\":\"host\",\"type\":\"string\",\"nullable\":false},"
                   "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"elementType\":\"string\",\"containsNull\":false},"
                   "\"nullable\":true}]},\"nullable\":false},"
                   "{\"name\":\"extra\",\"type\":{\"type\":\"struct\",\"fields\":["
                   "{\"name\":\"k\",\"type\":\"long\",\"nullable\":false}]},\"nullable\":true}]}");
    assert_glue(s, "struct<id:bigint,m:struct<host:string,tags:array<string>>,extra:struct<k:bigint>>");
    sl_schema_free(s);
}

static void test_missing_and_null_fields(void **state) {
    (void)state;
    sl_schema *s = observe_all("{\"a\":1,\"b\":2,\"c\":null}", "{\"a\":3}", "{\"a\":4,\"c\":null}", NULL);
    assert_prints(s, "root\n"
                     "|-- a: long\n"
                     "|-- b: long\n"
                     "|-- c: null\n");
    assert_false(sl_schema_field_nullable(s, 0));
    assert_true(sl_schema_field_nullable(s, 1));
    assert_true(sl_schema_field_nullable(s, 2));
    assert_int_equal(sl_schema_field_seen(s, 0), 3);
    assert_int_equal(sl_schema_field_seen(s, 1), 1);
    assert_int_equal(sl_schema_field_seen(s, 2), 2);
    assert_int_equal(sl_schema_count(sl_schema_field(s, "c")), 0);
    assert_glue(s, "struct<a:bigint,b:bigint,c:string>");

    /* a null-only field takes the type it is later seen with and stays nullable */
    sl_value v = json("{\"a\":5,\"c\":\"now\"}");
    sl_schema_observe(&s, &v);
    assert_prints(s, "root\n"
                     "|-- a: long\n"
                     "|-- b: long\n"
                     "|-- c: string\n");
    assert_true(sl_schema_field_nullable(s, 2));
    sl_schema_free(s);

    /* arrays: null elements make the element nullable; empty arrays say nothing */
    s = observe_all("{\"l\":[]}", NULL);
    assert_prints(s, "root\n|-- l: array\n|    |-- element: null\n");
    assert_false(sl_schema_nullable(sl_schema_element(sl_schema_field(s, "l"))));
    v = json("{\"l\":[1,null]}");
    sl_schema_observe(&s, &v);
    assert_prints(s, "root\n|-- l: array\n|    |-- element: long\n");
    assert_json(s, "{\"type\":\"struct\",\"fields\":[{\"name\":\"l\",\"type\":{\"type\":\"array\","
                   "\"elementType\":\"long\",\"containsNull\":true},\"nullable\":false}]}");
    sl_schema_free(s);
}

static void test_arrays(void **state) {
    (void)state;
    sl_schema *s = observe_all("{\"m\":[[1,2],[3]],\"o\":[{\"a\":1},{\"b\":\"x\"}]}",
                               "{\"m\":[[\"x\"]],\"o\":[{\"a\":2,\"b\":\"y\"}]}", NULL);
    assert_prints(s, "root\n"
                     "|-- m: array\n"
                     "|    |-- element: array\n"
                     "|    |    |-- element: choice\n"
                     "|    |    |    |-- long\n"
                     "|    |    |    |-- string\n"
                     "|-- o: array\n"
                     "|    |-- element: struct\n"
                     "|    |    |-- a: long\n"
                     "|    |    |-- b: string\n");
    const sl_schema *o = sl_schema_element(sl_schema_field(s, "o"));
    assert_true(sl_schema_field_nullable(o, 0)); /* missing from {"b":"x"} */
    assert_true(sl_schema_field_nullable(o, 1)); /* missing from {"a":1} */
    assert_int_equal(sl_schema_count(o), 3);
    assert_int_equal(sl_schema_field_seen(o, 0), 2);
    sl_schema_free(s);

    /* array vs scalar, struct vs scalar: choices with nested alternatives */
    s = observe_all("{\"v\":[1]}", "{\"v\":{\"k\":true}}", "{\"v\":\"s\"}", NULL);
    assert_prints(s, "root\n"
                     "|-- v: choice\n"
                     "|    |-- string\n"
                     "|    |-- array\n"
                     "|    |    |-- element: long\n"
                     "|    |-- struct\n"
                     "|    |    |-- k: boolean\n");
    assert_glue(s, "struct<v:string>");
    assert_json(s, "{\"type\":\"struct\",\"fields\":[{\"name\":\"v\",\"type\":{\"type\":\"choice\",\"alternatives\":"
                   "[\"string\",{\"type\":\"array\",\"elementType\":\"long\",\"containsNull\":false},"
                   "{\"type\":\"struct\",\"fields\":[{\"name\":\"k\",\"type\":\"boolean\",\"nullable\":false}]}]},"
                   "\"nullable\":false}]}");
    sl_schema_free(s);
}

static void test_merge(void **state) {
    (void)state;
    static const char *const records[] = {
        "{\"a\":1,\"b\":{\"c\":\"x\"},\"t\":[1]}",
        "{\"b\":{\"d\":2.5},\"a\":\"s\",\"e\":null}",
        "{\"a\":true,\"t\":[\"q\",null],\"b\":null}",
        "{\"f\":{\"g\":[{\"h\":1}]},\"a\":null}",
    };
    size_t n = sizeof records / sizeof records[0];
    /* merging per-record schemas gives what observing the records gives */
    sl_schema *observed = NULL, *merged = NULL;
    for (size_t i = 0; i < n; i++) {
        sl_value v = json(records[i]);
        sl_schema_observe(&observed, &v);
        sl_schema *one = sl_schema_of(&v);
        sl_schema *m = sl_schema_merge(merged, one);
        sl_schema_free(merged);
        sl_schema_free(one);
        merged = m;
    }
    assert_true(sl_schema_equal(observed, merged));
    assert_int_equal(sl_schema_count(merged), 4);
    assert_int_equal(sl_schema_count(sl_schema_field(merged, "a")), 3);
    assert_prints(merged, "root\n"
                          "|-- a: choice\n"
                          "|    |-- boolean\n"
                          "|    |-- long\n"
                          "|    |-- string\n"
                          "|-- b: struct\n"
                          "|    |-- c: string\n"
                          "|    |-- d: double\n"
                          "|-- t: array\n"
                          "|    |-- element: choice\n"
                          "|    |    |-- long\n"
                          "|    |    |-- string\n"
                          "|-- e: null\n"
                          "|-- f: struct\n"
                          "|    |-- g: array\n"
                          "|    |    |-- element: struct\n"
                          "|    |    |    |-- h: long\n");
    for (size_t i = 0; i < sl_schema_field_count(merged); i++)
        assert_true(sl_schema_field_nullable(merged, i));

    /* merging two frames' schemas: halves give the whole */
    sl_schema *first = NULL, *second = NULL;
    for (size_t i = 0; i < n; i++) {
        sl_value v = json(records[i]);
        sl_schema_observe(i < 2 ? &first : &second, &v);
    }
    sl_schema *halves = sl_schema_merge(first, second);
    assert_true(sl_schema_equal(halves, observed));
    assert_int_equal(sl_schema_count(halves), 4);
    assert_int_equal(sl_schema_field_seen(halves, 0), 4);
    assert_int_equal(sl_schema_count(sl_schema_alternative(sl_schema_field(halves, "a"), SL_T_STRING)), 1);

    /* inputs untouched; NULL operands */
    sl_schema *copy = sl_schema_copy(first);
    sl_schema *again = sl_schema_merge(first, NULL);
    assert_true(sl_schema_equal(copy, first));
    assert_true(sl_schema_equal(again, first));
    assert_false(sl_schema_equal(first, second));
    assert_null(sl_schema_merge(NULL, NULL));
    assert_true(sl_schema_equal(NULL, NULL));
    assert_false(sl_schema_equal(first, NULL));

    sl_schema_free(observed);
    sl_schema_free(merged);
    sl_schema_free(first);
    sl_schema_free(second);
    sl_schema_free(halves);
    sl_schema_free(copy);
    sl_schema_free(again);
}

static void test_choice_flattening(void **state) {
    (void)state;
    sl_schema *a = observe_all("{\"v\":1}", "{\"v\":\"s\"}", NULL);
    sl_schema *b = observe_all("{\"v\":\"t\"}", "{\"v\":false}", "{\"v\":[1]}", NULL);
    sl_schema *m = sl_schema_merge(a, b);
    assert_prints(m, "root\n"
                     "|-- v: choice\n"
                     "|    |-- boolean\n"
                     "|    |-- long\n"
                     "|    |-- string\n"
                     "|    |-- array\n"
                     "|    |    |-- element: long\n");
    const sl_schema *v = sl_schema_field(m, "v");
    assert_int_equal(sl_schema_choice_count(v), 4);
    assert_int_equal(sl_schema_count(v), 5);
    assert_int_equal(sl_schema_count(sl_schema_alternative(v, SL_T_STRING)), 2);

    /* a choice merged into a plain type, and the other way round */
    sl_schema *c = observe_all("{\"v\":2.5}", NULL);
    sl_schema *m1 = sl_schema_merge(c, a), *m2 = sl_schema_merge(a, c);
    assert_true(sl_schema_equal(m1, m2));
    assert_prints(m1, "root\n|-- v: choice\n|    |-- long\n|    |-- double\n|    |-- string\n");

    /* hand-built choices flatten too */
    sl_schema *choice = sl_schema_new(SL_SCHEMA_CHOICE);
    sl_schema_add_alternative(choice, sl_schema_new(SL_T_STRING));
    sl_schema *inner = sl_schema_new(SL_SCHEMA_CHOICE);
    sl_schema_add_alternative(inner, sl_schema_new(SL_T_INT));
    sl_schema_add_alternative(inner, sl_schema_new(SL_T_STRING));
    sl_schema_add_alternative(choice, inner);
    sl_schema *null_alt = sl_schema_new(SL_T_NULL);
    sl_schema_set_nullable(null_alt, true);
    sl_schema_add_alternative(choice, null_alt);
    assert_int_equal(sl_schema_choice_count(choice), 2);
    assert_true(sl_schema_nullable(choice));
    assert_prints(choice, "root: choice\n|-- long\n|-- string\n");

    sl_schema_free(a);
    sl_schema_free(b);
    sl_schema_free(c);
    sl_schema_free(m);
    sl_schema_free(m1);
    sl_schema_free(m2);
    sl_schema_free(choice);
}

static void test_repeated_shape(void **state) {
    (void)state;
    /* the same shape many times: one tree, counts add up */
    sl_schema *s = NULL;
    sl_value v = json("{\"a\":1,\"b\":\"x\",\"c\":[1,2,3],\"d\":{\"e\":true}}");
    for (int i = 0; i < 1000; i++)
        sl_schema_observe(&s, &v);
    sl_schema *one = sl_schema_of(&v);
    assert_true(sl_schema_equal(s, one));
    assert_int_equal(sl_schema_count(s), 1000);
    assert_int_equal(sl_schema_count(sl_schema_element(sl_schema_field(s, "c"))), 3000);
    assert_int_equal(sl_schema_field_seen(s, 3), 1000);
    sl_schema_free(one);

    /* fields in another order match by name; order stays first seen */
    sl_value w = json("{\"d\":{\"e\":false},\"c\":[],\"b\":\"y\",\"a\":2}");
    sl_schema_observe(&s, &w);
    assert_prints(s, "root\n|-- a: long\n|-- b: string\n|-- c: array\n|    |-- element: long\n"
                     "|-- d: struct\n|    |-- e: boolean\n");
    for (size_t i = 0; i < 4; i++)
        assert_false(sl_schema_field_nullable(s, i));
    sl_schema_free(s);

    /* a record naming a field twice (built by hand: JSON readers may pass it on) */
    sl_field fields[2] = {{"k", 1, SL_VF_JSON_PLAIN, sl_int(1)}, {"k", 1, SL_VF_JSON_PLAIN, sl_string("s", 1, 0)}};
    sl_value dup = sl_struct(fields, 2);
    s = sl_schema_of(&dup);
    assert_int_equal(sl_schema_field_count(s), 1);
    assert_int_equal(sl_schema_field_seen(s, 0), 1);
    assert_prints(s, "root\n|-- k: choice\n|    |-- long\n|    |-- string\n");
    sl_schema_free(s);
}

static void test_hand_built_and_glue_types(void **state) {
    (void)state;
    sl_schema *s = sl_schema_new(SL_T_STRUCT);
    sl_schema_add_field(s, "id", 2, sl_schema_new(SL_T_INT));
    sl_schema *tags = sl_schema_new(SL_T_LIST);
    sl_schema_set_element(tags, sl_schema_new(SL_T_STRING));
    sl_schema_add_field(s, "tags", 4, tags);
    sl_schema *inner = sl_schema_new(SL_T_STRUCT);
    sl_schema_add_field(inner, "when", 4, sl_schema_new(SL_T_TIMESTAMP));
    sl_schema_add_field(inner, "day", 3, sl_schema_new(SL_T_DATE));
    sl_schema_add_field(inner, "raw", 3, sl_schema_new(SL_T_BINARY));
    sl_schema_add_field(inner, "ok", 2, sl_schema_new(SL_T_BOOL));
    sl_schema_add_field(inner, "amount", 6, sl_schema_new(SL_T_DECIMAL));
    sl_schema_add_field(s, "inner", 5, inner);
    sl_schema_add_field(s, "id", 2, sl_schema_new(SL_T_STRING)); /* existing name: merged */
    assert_int_equal(sl_schema_field_count(s), 3);
    assert_prints(s, "root\n"
                     "|-- id: choice\n"
                     "|    |-- long\n"
                     "|    |-- string\n"
                     "|-- tags: array\n"
                     "|    |-- element: string\n"
                     "|-- inner: struct\n"
                     "|    |-- when: timestamp\n"
                     "|    |-- day: date\n"
                     "|    |-- raw: binary\n"
                     "|    |-- ok: boolean\n"
                     "|    |-- amount: decimal\n");
    assert_glue(s, "struct<id:string,tags:array<string>,inner:struct<when:timestamp,day:date,raw:binary,ok:boolean,"
                   "amount:decimal(38,18)>>");
    sl_schema_free(s);

    /* decimal precision and scale from the values seen */
    static const char *const texts[] = {"12345678901234567890.5", "-0.001234", "1.5e3", "1e-60", "1e60", "0"};
    sl_schema *d[6];
    for (int i = 0; i < 6; i++) {
        sl_value v = sl_decimal(texts[i], strlen(texts[i]));
        d[i] = sl_schema_of(&v);
    }
    assert_glue(d[0], "decimal(21,1)");
    assert_glue(d[1], "decimal(6,6)");
    assert_glue(d[2], "decimal(4,0)");
    assert_glue(d[3], "decimal(38,38)");
    assert_glue(d[4], "decimal(38,0)");
    assert_glue(d[5], "decimal(1,0)");
    sl_schema *m = sl_schema_merge(d[0], d[1]);
    assert_glue(m, "decimal(26,6)");
    sl_schema_free(m);
    for (int i = 0; i < 6; i++)
        sl_schema_free(d[i]);

    /* names that need escaping in JSON */
    sl_schema *q = sl_schema_new(SL_T_STRUCT);
    sl_schema_add_field(q, "a\"b\n", 4, sl_schema_new(SL_T_NULL));
    assert_json(q,
                "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\\\"b\\u000a\",\"type\":\"null\",\"nullable\":false}]}");
    sl_schema_free(q);
    assert_prints(NULL, "root\n");
}

static void test_output_limits(void **state) {
    (void)state;
    sl_schema *s = observe_all("{\"a_long_field_name\":1,\"another_long_field_name\":\"x\"}", NULL);
    sl_buf b;
    sl_buf_init(&b, 20);
    assert_int_equal(sl_schema_to_json(s, &b), SL_ELIMIT);
    assert_true(b.len <= 20);
    sl_buf_reset(&b);
    sl_schema_print(s, &b); /* cut short, not overrun */
    assert_true(b.len <= 20);
    sl_buf_free(&b);
    sl_schema_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_record),
        cmocka_unit_test(test_choice_long_string),
        cmocka_unit_test(test_long_double_choice_and_widen),
        cmocka_unit_test(test_nested_struct_field_added),
        cmocka_unit_test(test_missing_and_null_fields),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_choice_flattening),
        cmocka_unit_test(test_repeated_shape),
        cmocka_unit_test(test_hand_built_and_glue_types),
        cmocka_unit_test(test_output_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
