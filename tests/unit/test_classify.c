/* test_classify.c — crawler classification and inference: Glue type strings
 * (catalog/gluetype.c), classifiers (catalog/classify.c), exclusion globs,
 * partitions and table grouping (catalog/infer_tables.c), DynamoDB. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/classify.h"
#include "catalog/gluetype.h"
#include "catalog/infer_tables.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/schema.h"
#include "formats/avro.h"
#include "formats/compress.h"
#include "formats/ddbjson.h"
#include "formats/json.h"
#include "formats/parquet.h"

static sl_arena arena;
static char tmpdir[256];

static int setup(void **state) {
    sl_arena_init(&arena);
    return 0;
}

static int teardown(void **state) {
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

/* ------------------------------------------------------------------ */
/* Glue type strings. */

static sl_gtype *parse_text(const char *text) {
    sl_gtype *t;
    sl_error err;
    if (sl_gtype_parse(text, strlen(text), &t, &err) != 0) fail_msg("%s: %s", text, err.message);
    return t;
}

static void assert_type_text(const char *in, const char *want) {
    sl_gtype *t;
    sl_error err;
    sl_error_clear(&err);
    if (sl_gtype_parse(in, strlen(in), &t, &err) != 0) fail_msg("'%s' did not parse: %s", in, err.message);
    char *s = sl_gtype_string(t);
    if (strcmp(s, want) != 0) fail_msg("'%s' formats as '%s', wanted '%s'", in, s, want);
    /* and the text parses back to a tree that formats the same */
    sl_gtype *again;
    assert_int_equal(sl_gtype_parse(s, strlen(s), &again, &err), 0);
    char *s2 = sl_gtype_string(again);
    assert_string_equal(s2, s);
    if (strcmp(in, want) == 0) assert_true(sl_gtype_equal(t, again));
    free(s2);
    sl_gtype_free(again);
    free(s);
    sl_gtype_free(t);
}

static void test_gtype_round_trip(void **state) {
    const char *same[] = {"string",
                          "bigint",
                          "int",
                          "smallint",
                          "tinyint",
                          "double",
                          "float",
                          "boolean",
                          "binary",
                          "date",
                          "timestamp",
                          "decimal(10,2)",
                          "decimal(38,0)",
                          "char(3)",
                          "varchar(40)",
                          "array<string>",
                          "map<string,bigint>",
                          "struct<a:string,b:bigint>",
                          "array<struct<id:bigint,tags:array<string>,m:map<int,struct<x:double>>>>",
                          "struct<>"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        assert_type_text(same[i], same[i]);
    assert_type_text("INT", "int");
    assert_type_text("integer", "int");
    assert_type_text("decimal", "decimal(10,0)");
    assert_type_text("Decimal(12)", "decimal(12,0)");
    assert_type_text("double precision", "double");
    assert_type_text("  array < struct < a : int , b:string > >  ", "array<struct<a:int,b:string>>");
    assert_type_text("STRUCT<Id:BIGINT>", "struct<Id:bigint>");
    /* nested names keep their case and most bytes; the syntax's own become '_' */
    assert_type_text("struct<First Name:string,a-b:int>", "struct<First_Name:string,a-b:int>");
    /* a struct without fields inside another type is written as string */
    sl_gtype *t = parse_text("array<struct<>>");
    char *s = sl_gtype_string(t);
    assert_string_equal(s, "array<string>");
    free(s);
    sl_gtype_free(t);
}

static void assert_parse_error(const char *in, const char *fragment) {
    sl_gtype *t = (sl_gtype *)1;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_gtype_parse(in, strlen(in), &t, &err), SL_EPARSE);
    assert_null(t);
    if (!strstr(err.message, fragment)) fail_msg("'%s': message '%s' lacks '%s'", in, err.message, fragment);
}

static void test_gtype_parse_errors(void **state) {
    assert_parse_error("", "expected a type name");
    assert_parse_error("struct<a:int", "expected ',' or '>'");
    assert_parse_error("struct<a:int", "at byte 12");
    assert_parse_error("struct<:int>", "expected a field name");
    assert_parse_error("struct<a int>", "expected ':'");
    assert_parse_error("struct<a:int,a:string>", "duplicate struct field name");
    assert_parse_error("map<array<int>,int>", "map key must be a primitive type");
    assert_parse_error("map<string>", "expected ','");
    assert_parse_error("array<int>>", "unexpected text after the type");
    assert_parse_error("array int", "expected '<' after array");
    assert_parse_error("decimal(40,2)", "precision must be 1..38");
    assert_parse_error("decimal(5,6)", "scale must not exceed");
    assert_parse_error("decimal(5", "expected ')'");
    assert_parse_error("char(0)", "length out of range");
    assert_parse_error("varchar", "expected '(' and a length after varchar");
    assert_parse_error("uniontype<int,string>", "uniontype is not supported");
    assert_parse_error("strin", "unknown type 'strin'");
    assert_parse_error("decimal(9999999999,1)", "number too large");
    char deep[1200] = "";
    for (int i = 0; i < 150; i++)
        strcat(deep, "array<");
    strcat(deep, "int");
    for (int i = 0; i < 150; i++)
        strcat(deep, ">");
    assert_parse_error(deep, "nested too deeply");
}

static sl_gtype *parse(const char *text) {
    sl_gtype *t;
    sl_error err;
    if (sl_gtype_parse(text, strlen(text), &t, &err) != 0) fail_msg("%s: %s", text, err.message);
    return t;
}

static void assert_merge(const char *a, const char *b, const char *want) {
    sl_gtype *x = parse(a), *y = parse(b);
    sl_gtype_merge_into(&x, y);
    char *s = sl_gtype_string(x);
    if (strcmp(s, want) != 0) fail_msg("%s + %s = %s, wanted %s", a, b, s, want);
    free(s);
    sl_gtype_free(x);
    sl_gtype_free(y);
}

static void test_gtype_merge(void **state) {
    assert_merge("int", "bigint", "bigint");
    assert_merge("tinyint", "smallint", "smallint");
    assert_merge("int", "double", "double");
    assert_merge("bigint", "float", "double");
    assert_merge("float", "double", "double");
    assert_merge("bigint", "string", "string");
    assert_merge("boolean", "bigint", "string");
    assert_merge("decimal(5,2)", "decimal(10,0)", "decimal(12,2)");
    assert_merge("int", "decimal(5,2)", "decimal(12,2)");
    assert_merge("decimal(5,2)", "bigint", "decimal(21,2)");
    assert_merge("decimal(30,10)", "decimal(38,0)", "decimal(38,0)");
    assert_merge("decimal(5,2)", "double", "double");
    assert_merge("date", "timestamp", "timestamp");
    assert_merge("char(3)", "varchar(10)", "varchar(10)");
    assert_merge("char(3)", "string", "string");
    assert_merge("struct<a:int>", "struct<b:string>", "struct<a:int,b:string>");
    assert_merge("struct<a:int,b:string>", "struct<a:double>", "struct<a:double,b:string>");
    assert_merge("array<int>", "array<string>", "array<string>");
    assert_merge("map<string,int>", "map<string,bigint>", "map<string,bigint>");
    assert_merge("struct<a:int>", "string", "string");
    assert_merge("array<int>", "struct<a:int>", "string");
    /* unknown (null only) gives way */
    sl_gtype *u = sl_gtype_new(SL_G_UNKNOWN), *b = parse("bigint");
    sl_gtype_merge_into(&u, b);
    assert_int_equal(u->kind, SL_G_BIGINT);
    sl_gtype *n = NULL;
    sl_gtype_merge_into(&n, b);
    assert_true(sl_gtype_equal(n, b));
    sl_gtype_free(n);
    sl_gtype_free(u);
    sl_gtype_free(b);
}

static char *type_of_records(unsigned flags, const char *first, ...) {
    sl_gtype *t = NULL;
    va_list ap;
    va_start(ap, first);
    for (const char *text = first; text; text = va_arg(ap, const char *)) {
        sl_value v = json(text);
        sl_gtype_observe(&t, &v, flags);
    }
    va_end(ap);
    char *s = sl_gtype_string(t);
    sl_gtype_free(t);
    return s;
}

static void test_gtype_observe(void **state) {
    char *s = type_of_records(SL_GOBS_INT32,
                              "{\"a\":1,\"b\":3000000000,\"c\":1.5,\"d\":\"x\",\"e\":[1,2],\"f\":{\"g\":true},"
                              "\"h\":null,\"i\":[],\"j\":12.50,\"k\":123456789012345678901234}",
                              NULL);
    assert_string_equal(s, "struct<a:int,b:bigint,c:double,d:string,e:array<int>,f:struct<g:boolean>,h:string,"
                           "i:array<string>,j:double,k:decimal(24,0)>");
    free(s);
    /* int widens to bigint, then to double; a field missing later stays */
    s = type_of_records(SL_GOBS_INT32, "{\"a\":1,\"b\":\"x\"}", "{\"a\":5000000000}", "{\"a\":0.5,\"c\":null}",
                        "{\"c\":{\"d\":1}}", NULL);
    assert_string_equal(s, "struct<a:double,b:string,c:struct<d:int>>");
    free(s);
    /* CSV/DynamoDB flavour: bigint always, decimal texts are doubles */
    s = type_of_records(SL_GOBS_DECIMAL_AS_DOUBLE, "{\"a\":1,\"k\":123456789012345678901234}", NULL);
    assert_string_equal(s, "struct<a:bigint,k:double>");
    free(s);
    /* nested names the syntax cannot hold: replaced, and kept apart */
    s = type_of_records(SL_GOBS_INT32, "{\"s\":{\"<a\":1,\",a\":2,\"_a\":3,\"\":4}}", NULL);
    assert_string_equal(s, "struct<s:struct<_a:int,_a_1:int,_a_2:int,_:int>>");
    sl_gtype *back;
    sl_error err;
    assert_int_equal(sl_gtype_parse(s, strlen(s), &back, &err), 0);
    sl_gtype_free(back);
    free(s);
    /* conflicting shapes become string */
    s = type_of_records(SL_GOBS_INT32, "{\"a\":{\"x\":1}}", "{\"a\":\"text\"}", "{\"a\":{\"y\":2}}", NULL);
    assert_string_equal(s, "struct<a:string>");
    free(s);
}

static void test_gtype_schema(void **state) {
    sl_schema *sch = NULL;
    const char *recs[] = {"{\"a\":1,\"b\":1,\"c\":\"2020-01-01\",\"d\":[1],\"e\":null}",
                          "{\"a\":2.5,\"b\":\"x\",\"d\":[\"y\"],\"f\":{\"g\":1}}"};
    for (int i = 0; i < 2; i++) {
        sl_value v = json(recs[i]);
        sl_schema_observe(&sch, &v);
    }
    sl_gtype *t = sl_gtype_from_schema(sch);
    char *s = sl_gtype_string(t);
    assert_string_equal(s, "struct<a:double,b:string,c:string,d:array<string>,e:string,f:struct<g:bigint>>");
    free(s);
    sl_gtype_free(t);
    sl_schema_free(sch);

    /* and back: a catalog type as a sluice schema */
    t = parse("struct<id:int,price:decimal(10,2),tags:array<string>,m:map<string,int>,when:timestamp,ok:boolean>");
    sch = sl_gtype_to_schema(t);
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_schema_print(sch, &b);
    assert_string_equal(b.data, "root\n"
                                "|-- id: long\n"
                                "|-- price: decimal\n"
                                "|-- tags: array\n"
                                "|    |-- element: string\n"
                                "|-- m: struct\n"
                                "|-- when: timestamp\n"
                                "|-- ok: boolean\n");
    sl_buf_free(&b);
    sl_schema_free(sch);
    sl_gtype_free(t);
}

static void assert_glue_name(const char *in, size_t max, const char *want) {
    sl_buf b;
    sl_buf_init(&b, 0);
    assert_int_equal(sl_glue_name(in, strlen(in), max, &b), 0);
    assert_string_equal(b.data ? b.data : "", want);
    sl_buf_free(&b);
}

static void test_glue_names(void **state) {
    assert_glue_name("Sales-2024.csv", 0, "sales_2024_csv");
    assert_glue_name("year=2017", 0, "year_2017");
    assert_glue_name("First Name", 0, "first_name");
    assert_glue_name("Gr\xc3\xb6\xc3\x9f"
                     "e",
                     0, "gr__e");
    assert_glue_name("bad\xff"
                     "byte",
                     0, "bad_byte");
    assert_glue_name("\xe2\x82\xac"
                     "10",
                     0, "_10");
    assert_glue_name("already_ok_123", 0, "already_ok_123");
    assert_glue_name("ABCDEFGH", 4, "abcd");
    assert_glue_name("", 0, "");
}

/* ------------------------------------------------------------------ */
/* Classifiers. */

static void classify(const char *text, sl_classify_result *r) {
    assert_int_equal(sl_classify_bytes("test", text, strlen(text), NULL, r), 0);
}

static void assert_columns(const sl_classify_result *r, const char *want) {
    char *s = sl_gtype_string(r->columns);
    if (strcmp(s, want) != 0) fail_msg("columns %s, wanted %s (reason: %s)", s, want, r->reason);
    free(s);
}

static void test_json_ndjson(void **state) {
    sl_classify_result r;
    classify("{\"id\":1,\"name\":\"a\",\"tags\":[\"x\"]}\n{\"id\":2,\"name\":\"b\",\"score\":1.5}\n\n", &r);
    assert_int_equal(r.classification, SL_CLASS_JSON);
    assert_string_equal(sl_classification_name(r.classification), "json");
    assert_int_equal(r.json_layout, SL_JSON_NDJSON);
    assert_int_equal(r.compression, SL_CODEC_NONE);
    assert_columns(&r, "struct<id:int,name:string,tags:array<string>,score:double>");
    assert_int_equal(r.records_sampled, 2);
    assert_int_equal(r.record_count, 2);
    assert_true(r.record_count_exact);
    assert_true(r.avg_record_size > 20 && r.avg_record_size < 50);
    assert_non_null(r.schema);
    assert_int_equal(sl_schema_field_count(r.schema), 4);
    sl_classify_result_free(&r);
}

static void test_json_document_and_array(void **state) {
    sl_classify_result r;
    classify("{\n  \"id\": 1,\n  \"nested\": {\"a\": true}\n}\n", &r);
    assert_int_equal(r.classification, SL_CLASS_JSON);
    assert_int_equal(r.json_layout, SL_JSON_DOCUMENT);
    assert_columns(&r, "struct<id:int,nested:struct<a:boolean>>");
    sl_classify_result_free(&r);

    classify("\xef\xbb\xbf[\n {\"a\": 1},\n {\"a\": 2, \"b\": \"x\"}\n]\n", &r);
    assert_int_equal(r.classification, SL_CLASS_JSON);
    assert_int_equal(r.json_layout, SL_JSON_ARRAY);
    assert_columns(&r, "struct<a:int,b:string>");
    assert_int_equal(r.records_sampled, 2);
    sl_classify_result_free(&r);

    /* malformed JSON: not json, and not CSV either */
    classify("{\"a\": 1, \"b\": }\n{\"a\": 2, \"b\": }\n", &r);
    assert_int_equal(r.classification, SL_CLASS_UNKNOWN);
    assert_non_null(strstr(r.reason, "not JSON"));
    sl_classify_result_free(&r);

    /* one bad line in many is tolerated */
    sl_buf b;
    sl_buf_init(&b, 0);
    for (int i = 0; i < 30; i++)
        sl_buf_printf(&b, i == 17 ? "{oops\n" : "{\"i\":%d}\n", i);
    classify(b.data, &r);
    assert_int_equal(r.classification, SL_CLASS_JSON);
    assert_int_equal(r.records_sampled, 29);
    assert_non_null(strstr(r.reason, "rejected"));
    sl_classify_result_free(&r);
    sl_buf_free(&b);
}

static void test_csv_header(void **state) {
    sl_classify_result r;
    classify("id,name,score,ok\n1,alice,3.5,true\n2,bob,4,false\n", &r);
    assert_int_equal(r.classification, SL_CLASS_CSV);
    assert_int_equal(r.delimiter, ',');
    assert_int_equal(r.quote, '"');
    assert_true(r.header);
    assert_false(r.quoted);
    assert_columns(&r, "struct<id:bigint,name:string,score:double,ok:boolean>");
    assert_int_equal(r.records_sampled, 2);
    assert_int_equal(r.record_count, 2);
    assert_true(r.record_count_exact);
    assert_non_null(sl_schema_field(r.schema, "name"));
    sl_classify_result_free(&r);

    /* no header: the first row is data */
    classify("1,alice,3.5\n2,bob,4\n", &r);
    assert_int_equal(r.classification, SL_CLASS_CSV);
    assert_false(r.header);
    assert_columns(&r, "struct<col0:bigint,col1:string,col2:double>");
    assert_int_equal(r.records_sampled, 2);
    sl_classify_result_free(&r);

    /* every value a string: Glue sees no header (not different enough) */
    classify("name,city\nalice,paris\nbob,rome\n", &r);
    assert_int_equal(r.classification, SL_CLASS_CSV);
    assert_false(r.header);
    assert_columns(&r, "struct<col0:string,col1:string>");
    assert_int_equal(r.records_sampled, 3);
    sl_classify_result_free(&r);

    /* ... unless told */
    sl_classify_opts o;
    sl_classify_opts_default(&o);
    o.csv_header = SL_CSV_HEADER_PRESENT;
    const char *strings = "name,city\nalice,paris\nbob,rome\n";
    assert_int_equal(sl_classify_bytes("t", strings, strlen(strings), &o, &r), 0);
    assert_true(r.header);
    assert_columns(&r, "struct<name:string,city:string>");
    sl_classify_result_free(&r);
    o.csv_header = SL_CSV_HEADER_ABSENT;
    const char *nums = "a,b\n1,2\n";
    assert_int_equal(sl_classify_bytes("t", nums, strlen(nums), &o, &r), 0);
    assert_false(r.header);
    assert_columns(&r, "struct<col0:string,col1:string>");
    sl_classify_result_free(&r);

    /* a header cell of 150 characters or more is not a column name */
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_buf_adds(&b, "id,");
    for (int i = 0; i < 150; i++)
        sl_buf_addc(&b, 'x');
    sl_buf_adds(&b, "\n1,2\n3,4\n");
    classify(b.data, &r);
    assert_false(r.header);
    sl_classify_result_free(&r);
    sl_buf_free(&b);

    /* a trailing delimiter: the last column empty throughout; duplicate names */
    classify("a,a,\n1,2,\n3,4,\n", &r);
    assert_true(r.header);
    assert_columns(&r, "struct<a:bigint,a_1:bigint,col2:string>");
    sl_classify_result_free(&r);
}

static void test_csv_delimiters(void **state) {
    static const struct {
        const char *text;
        char delimiter;
        const char *columns;
    } cases[] = {
        {"id\tname\n1\tx, y\n2\tz\n", '\t', "struct<id:bigint,name:string>"},
        {"id|name|v\n1|a,b|2.5\n2|c|3\n", '|', "struct<id:bigint,name:string,v:double>"},
        {"a;b\n1,5;2,5\n3,1;4,2\n", ';', "struct<col0:string,col1:string>"},
        {"id;n\n1;2\n3;4\n", ';', "struct<id:bigint,n:bigint>"},
        {"id\x01name\n1\x01x\n2\x01y\n", '\x01', "struct<id:bigint,name:string>"},
        /* commas in the header only: the pipe keeps the rows consistent */
        {"a,b|c,d|e\n1|2|3\n4|5|6\n", '|', "struct<a_b:bigint,c_d:bigint,e:bigint>"},
        /* CRLF line ends and a missing final line end */
        {"x,y\r\n1,2\r\n3,4", ',', "struct<x:bigint,y:bigint>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_classify_result r;
        classify(cases[i].text, &r);
        if (r.classification != SL_CLASS_CSV) fail_msg("case %zu: %s", i, r.reason);
        assert_int_equal(r.delimiter, cases[i].delimiter);
        if (i == 5) { /* the header names keep their commas; the catalog sanitizes them later */
            assert_string_equal(r.columns->fields[0].name, "a,b");
        } else {
            assert_columns(&r, cases[i].columns);
        }
        sl_classify_result_free(&r);
    }
}

static void test_csv_quoted_and_rejects(void **state) {
    sl_classify_result r;
    /* quoted fields hold delimiters and line breaks; quoted numbers are typed as Glue does */
    classify("\"id\",\"name\"\n\"1\",\"a, b\"\n\"2\",\"line\nbreak\"\n", &r);
    assert_int_equal(r.classification, SL_CLASS_CSV);
    assert_int_equal(r.delimiter, ',');
    assert_true(r.quoted);
    assert_true(r.header);
    assert_columns(&r, "struct<id:bigint,name:string>");
    assert_int_equal(r.records_sampled, 2);
    /* sluice's own schema keeps the reader's view: quoted values are strings */
    assert_int_equal(sl_schema_kind(sl_schema_field(r.schema, "id")), SL_T_STRING);
    sl_hive_storage hs = sl_classify_hive_storage(r.classification, r.quoted);
    assert_string_equal(hs.serialization_library, "org.apache.hadoop.hive.serde2.OpenCSVSerde");
    sl_classify_result_free(&r);

    hs = sl_classify_hive_storage(SL_CLASS_CSV, false);
    assert_string_equal(hs.serialization_library, "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
    assert_string_equal(hs.input_format, "org.apache.hadoop.mapred.TextInputFormat");
    hs = sl_classify_hive_storage(SL_CLASS_PARQUET, false);
    assert_string_equal(hs.input_format, "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
    hs = sl_classify_hive_storage(SL_CLASS_UNKNOWN, false);
    assert_null(hs.serialization_library);

    /* one column: not CSV unless allowed */
    const char *one = "name\nalice\nbob\n";
    classify(one, &r);
    assert_int_equal(r.classification, SL_CLASS_UNKNOWN);
    assert_non_null(strstr(r.reason, "consistent"));
    sl_classify_result_free(&r);
    sl_classify_opts o;
    sl_classify_opts_default(&o);
    o.allow_single_column = true;
    assert_int_equal(sl_classify_bytes("t", one, strlen(one), &o, &r), 0);
    assert_int_equal(r.classification, SL_CLASS_CSV);
    assert_columns(&r, "struct<col0:string>");
    sl_classify_result_free(&r);

    /* one row is not enough */
    classify("a,b,c\n", &r);
    assert_int_equal(r.classification, SL_CLASS_UNKNOWN);
    assert_non_null(strstr(r.reason, "fewer than two rows"));
    sl_classify_result_free(&r);

    /* ragged rows: no consistent delimiter */
    classify("a,b\n1,2,3,4\n5\n6,7,8\n9,1,2,3,4\n", &r);
    assert_int_equal(r.classification, SL_CLASS_UNKNOWN);
    sl_classify_result_free(&r);

    /* plain prose is not CSV */
    classify("Hello world.\nThis is text.\n", &r);
    assert_int_equal(r.classification, SL_CLASS_UNKNOWN);
    sl_classify_result_free(&r);
}

static void test_unknown_inputs(void **state) {
    sl_classify_result r;
    assert_int_equal(sl_classify_bytes("empty", "", 0, NULL, &r), 0);
    assert_int_equal(r.classification, SL_CLASS_UNKNOWN);
    assert_string_equal(sl_classification_name(r.classification), "UNKNOWN");
    assert_non_null(strstr(r.reason, "empty"));
    assert_null(r.columns);
    sl_classify_result_free(&r);

    classify("  \n\n \t\n", &r);
    assert_int_equal(r.classification, SL_CLASS_UNKNOWN);
    sl_classify_result_free(&r);

    unsigned char garbage[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof garbage; i++) {
        x = x * 1103515245u + 12345u;
        garbage[i] = (unsigned char)(x >> 16);
    }
    garbage[0] = 'a'; /* no magic number */
    garbage[1] = 'b';
    assert_int_equal(sl_classify_bytes("garbage", garbage, sizeof garbage, NULL, &r), 0);
    assert_int_equal(r.classification, SL_CLASS_UNKNOWN);
    assert_non_null(strstr(r.reason, "binary"));
    sl_classify_result_free(&r);

    const char orc[] = "ORC\x0a\x03\x00\x00\x00";
    assert_int_equal(sl_classify_bytes("x.orc", orc, sizeof orc - 1, NULL, &r), 0);
    assert_int_equal(r.classification, SL_CLASS_ORC);
    assert_false(sl_classification_readable(r.classification));
    assert_non_null(strstr(r.reason, "does not read ORC"));
    sl_classify_result_free(&r);

    const char zip[] = "PK\3\4rest-of-zip";
    assert_int_equal(sl_classify_bytes("x.zip", zip, sizeof zip - 1, NULL, &r), 0);
    assert_int_equal(r.classification, SL_CLASS_UNKNOWN);
    assert_non_null(strstr(r.reason, "zip"));
    sl_classify_result_free(&r);

    /* "PAR1" without a valid footer */
    const char par[] = "PAR1 not really parquet";
    assert_int_equal(sl_classify_bytes("x.parquet", par, sizeof par - 1, NULL, &r), 0);
    assert_int_equal(r.classification, SL_CLASS_UNKNOWN);
    assert_non_null(strstr(r.reason, "parquet"));
    sl_classify_result_free(&r);
}

/* A sample smaller than the object: counts are estimated from it. */
static void test_partial_sample(void **state) {
    sl_buf b;
    sl_buf_init(&b, 0);
    for (int i = 0; i < 2000; i++)
        sl_buf_printf(&b, "{\"id\":%d,\"name\":\"user %04d\"}\n", i, i);
    sl_classify_opts o;
    sl_classify_opts_default(&o);
    sl_classify_result r;
    assert_int_equal(sl_classify_bytes("big", b.data, b.len, &o, &r), 0);
    assert_int_equal(r.records_sampled, 1000);                   /* Glue's 1,000 records */
    assert_true(r.record_count > 1900 && r.record_count < 2100); /* the rest estimated from the bytes */
    assert_false(r.record_count_exact);
    sl_classify_result_free(&r);

    o.sample_bytes = 4096;
    sl_classify_input in = {"big", b.data, 4096, b.len, NULL, NULL};
    assert_int_equal(sl_classify(&in, &o, &r, NULL), 0);
    assert_int_equal(r.classification, SL_CLASS_JSON);
    assert_false(r.whole);
    assert_true(r.records_sampled > 100 && r.records_sampled < 4096 / 20);
    assert_true(r.record_count > 1800 && r.record_count < 2200);
    assert_columns(&r, "struct<id:int,name:string>");
    sl_classify_result_free(&r);
    sl_buf_free(&b);
}

/* ---- files written by the project's own writers ---- */

static char *read_file_bytes(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc(n > 0 ? (size_t)n : 1);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return data;
}

static char *write_compressed(const char *name, sl_codec codec, const char *text) {
    char *path = malloc(512);
    snprintf(path, 512, "%s/%s", tmpdir, name);
    sl_outstream *os;
    sl_error err;
    assert_int_equal(sl_outstream_open(path, codec, -1, &os, &err), 0);
    assert_int_equal(sl_outstream_write(os, text, strlen(text), &err), 0);
    assert_int_equal(sl_outstream_close(os, false, &err), 0);
    return path;
}

static void test_compressed(void **state) {
    static const struct {
        sl_codec codec;
        const char *text;
        sl_classification want;
    } cases[] = {
        {SL_CODEC_GZIP, "{\"a\":1}\n{\"a\":2}\n", SL_CLASS_JSON},
        {SL_CODEC_ZSTD, "id,name\n1,x\n2,y\n", SL_CLASS_CSV},
        {SL_CODEC_BZIP2, "{\"b\":\"x\"}\n", SL_CLASS_JSON},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "c%zu", i);
        char *path = write_compressed(name, cases[i].codec, cases[i].text);
        size_t len;
        char *data = read_file_bytes(path, &len);
        sl_classify_result r;
        assert_int_equal(sl_classify_bytes(path, data, len, NULL, &r), 0);
        assert_int_equal(r.classification, cases[i].want);
        assert_int_equal(r.compression, cases[i].codec);
        assert_true(r.whole);
        assert_true(r.record_count_exact);
        sl_classify_result_free(&r);
        free(data);
        free(path);
    }

    /* only the first part of a big gzip object: decompressed as far as it goes */
    sl_buf b;
    sl_buf_init(&b, 0);
    for (int i = 0; i < 20000; i++)
        sl_buf_printf(&b, "{\"n\":%d,\"s\":\"%08x\"}\n", i, (unsigned)i * 2654435761u);
    char *path = write_compressed("big.gz", SL_CODEC_GZIP, b.data);
    size_t len;
    char *data = read_file_bytes(path, &len);
    sl_classify_result r;
    sl_classify_input in = {path, data, len / 3, len, NULL, NULL};
    assert_int_equal(sl_classify(&in, NULL, &r, NULL), 0);
    assert_int_equal(r.classification, SL_CLASS_JSON);
    assert_int_equal(r.compression, SL_CODEC_GZIP);
    assert_false(r.whole);
    assert_columns(&r, "struct<n:int,s:string>");
    assert_true(r.record_count > 15000 && r.record_count < 25000);
    sl_classify_result_free(&r);

    /* corrupt gzip */
    data[10] ^= 0xff;
    data[11] ^= 0xff;
    data[12] ^= 0xff;
    in.head_len = 64;
    assert_int_equal(sl_classify(&in, NULL, &r, NULL), 0);
    assert_int_equal(r.classification, SL_CLASS_UNKNOWN);
    assert_int_equal(r.compression, SL_CODEC_GZIP);
    sl_classify_result_free(&r);
    free(data);
    free(path);
    sl_buf_free(&b);
}

static const char *const sample_records[] = {
    "{\"id\":1,\"name\":\"a\",\"score\":1.5,\"ok\":true,\"tags\":[\"x\",\"y\"],\"addr\":{\"city\":\"c\",\"zip\":1}}",
    "{\"id\":2,\"name\":\"b\",\"score\":2.5,\"ok\":false,\"tags\":[],\"addr\":{\"city\":\"d\",\"zip\":2}}",
    "{\"id\":3,\"name\":\"c\",\"score\":3.5,\"ok\":true,\"tags\":[\"z\"],\"addr\":{\"city\":\"e\",\"zip\":3}}",
};

static char *write_parquet(size_t *len) {
    sl_parquet_write_opts wo;
    sl_parquet_write_opts_default(&wo);
    void *enc;
    sl_error err;
    assert_int_equal(sl_parquet_encoder_new_opts(&wo, &enc, &err), 0);
    sl_buf out;
    sl_buf_init(&out, SL_BUF_UNLIMITED);
    for (size_t i = 0; i < 3; i++) {
        sl_value v = json(sample_records[i]);
        assert_int_equal(sl_parquet_encode(enc, &out, &v, &err), 0);
    }
    assert_int_equal(sl_parquet_encode_finish(enc, &out, &err), 0);
    sl_parquet_encoder_free(enc);
    *len = out.len;
    return sl_buf_detach(&out);
}

static void test_parquet(void **state) {
    size_t len;
    char *data = write_parquet(&len);
    sl_classify_result r;
    assert_int_equal(sl_classify_bytes("t.parquet", data, len, NULL, &r), 0);
    assert_int_equal(r.classification, SL_CLASS_PARQUET);
    assert_int_equal(r.compression, SL_CODEC_NONE);
    assert_columns(&r, "struct<id:bigint,name:string,score:double,ok:boolean,tags:array<string>,"
                       "addr:struct<city:string,zip:bigint>>");
    assert_int_equal(r.record_count, 3);
    assert_true(r.record_count_exact);
    assert_int_equal(sl_schema_kind(sl_schema_field(r.schema, "tags")), SL_T_LIST);
    sl_classify_result_free(&r);

    /* through a store with a small sample: the footer is fetched from the end */
    char path[512];
    snprintf(path, sizeof path, "%s/t.parquet", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    sl_store *store;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_store_open(path, NULL, &store, &err), 0);
    sl_classify_opts o;
    sl_classify_opts_default(&o);
    o.sample_bytes = 16;
    assert_int_equal(sl_classify_store(store, path, UINT64_MAX, &o, &r, &err), 0);
    assert_int_equal(r.classification, SL_CLASS_PARQUET);
    assert_non_null(r.columns);
    assert_int_equal(r.columns->n_fields, 6);
    sl_classify_result_free(&r);

    /* only the head, no way to read the footer: parquet with the schema unknown */
    sl_classify_input in = {"t.parquet", data, 16, len, NULL, NULL};
    assert_int_equal(sl_classify(&in, &o, &r, NULL), 0);
    assert_int_equal(r.classification, SL_CLASS_PARQUET);
    assert_null(r.columns);
    assert_non_null(strstr(r.reason, "footer"));
    sl_classify_result_free(&r);

    /* a store error is returned */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing.parquet", tmpdir);
    assert_true(sl_classify_store(store, missing, UINT64_MAX, &o, &r, &err) < 0);
    sl_classify_result_free(&r);
    sl_store_free(store);
    free(data);
}

static void test_avro(void **state) {
    sl_format_opts fo;
    sl_format_opts_default(&fo);
    void *enc;
    sl_error err;
    assert_int_equal(sl_avro_encoder_new(&fo, &enc, &err), 0);
    sl_buf out;
    sl_buf_init(&out, SL_BUF_UNLIMITED);
    for (size_t i = 0; i < 3; i++) {
        sl_value v = json(sample_records[i]);
        assert_int_equal(sl_avro_encode(enc, &out, &v, &err), 0);
    }
    assert_int_equal(sl_avro_encode_finish(enc, &out, &err), 0);
    sl_avro_encoder_free(enc);
    sl_classify_result r;
    assert_int_equal(sl_classify_bytes("t.avro", out.data, out.len, NULL, &r), 0);
    assert_int_equal(r.classification, SL_CLASS_AVRO);
    assert_columns(&r, "struct<id:bigint,name:string,score:double,ok:boolean,tags:array<string>,"
                       "addr:struct<city:string,zip:bigint>>");
    assert_int_equal(r.record_count, 3);
    assert_true(r.record_count_exact);
    sl_classify_result_free(&r);

    /* the same file through a store */
    char path[512];
    snprintf(path, sizeof path, "%s/t.avro", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_int_equal(fwrite(out.data, 1, out.len, f), out.len);
    fclose(f);
    sl_store *store;
    sl_error_clear(&err);
    assert_int_equal(sl_store_open(path, NULL, &store, &err), 0);
    assert_int_equal(sl_classify_store(store, path, UINT64_MAX, NULL, &r, &err), 0);
    assert_int_equal(r.classification, SL_CLASS_AVRO);
    assert_int_equal(r.columns->n_fields, 6);
    assert_int_equal(r.record_count, 3);
    sl_classify_result_free(&r);
    sl_store_free(store);

    /* a truncated header */
    assert_int_equal(sl_classify_bytes("t.avro", out.data, 10, NULL, &r), 0);
    assert_int_equal(r.classification, SL_CLASS_AVRO);
    assert_null(r.columns);
    sl_classify_result_free(&r);
    sl_buf_free(&out);

    /* logical types, unions, maps, enums and named types */
    const char *schema =
        "{\"type\":\"record\",\"name\":\"r\",\"namespace\":\"n\",\"fields\":["
        "{\"name\":\"d\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
        "{\"name\":\"ts\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}]},"
        "{\"name\":\"amount\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":12,\"scale\":2}},"
        "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"K\",\"symbols\":[\"A\",\"B\"]}},"
        "{\"name\":\"again\",\"type\":\"n.K\"},"
        "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"float\"}},"
        "{\"name\":\"u\",\"type\":[\"int\",\"long\"]},"
        "{\"name\":\"mixed\",\"type\":[\"int\",\"string\"]}]}";
    sl_buf h;
    sl_buf_init(&h, 0);
    sl_buf_add(&h, "Obj\x01", 4);
    sl_buf_addc(&h, 2);  /* one metadata entry (zigzag 1) */
    sl_buf_addc(&h, 22); /* key length 11 */
    sl_buf_adds(&h, "avro.schema");
    size_t slen = strlen(schema);
    unsigned long z = (unsigned long)slen << 1;
    while (z >= 0x80) {
        sl_buf_addc(&h, (char)((z & 0x7f) | 0x80));
        z >>= 7;
    }
    sl_buf_addc(&h, (char)z);
    sl_buf_adds(&h, schema);
    sl_buf_addc(&h, 0);                  /* end of metadata */
    sl_buf_adds(&h, "0123456789abcdef"); /* sync */
    assert_int_equal(sl_classify_bytes("hand.avro", h.data, h.len, NULL, &r), 0);
    assert_int_equal(r.classification, SL_CLASS_AVRO);
    assert_columns(&r, "struct<d:date,ts:timestamp,amount:decimal(12,2),kind:string,again:string,"
                       "m:map<string,float>,u:bigint,mixed:string>");
    sl_classify_result_free(&r);
    sl_buf_free(&h);
}

/* ------------------------------------------------------------------ */
/* Globs and Hive folders. */

static void test_globs(void **state) {
    /* Glue's documented examples */
    assert_true(sl_glob_match("*.csv", "data.csv"));
    assert_false(sl_glob_match("*.csv", "employees/john.csv"));
    assert_true(sl_glob_match("**.csv", "employees/john.csv"));
    assert_true(sl_glob_match("*.*", "a.b"));
    assert_false(sl_glob_match("*.*", "ab"));
    assert_true(sl_glob_match("*.{csv,avro}", "x.avro"));
    assert_false(sl_glob_match("*.{csv,avro}", "x.json"));
    assert_true(sl_glob_match("foo.?", "foo.c"));
    assert_false(sl_glob_match("foo.?", "foo.cc"));
    assert_true(sl_glob_match("/myfolder/*", "myfolder/mysource"));
    assert_false(sl_glob_match("/myfolder/*", "myfolder/mysource/data"));
    assert_true(sl_glob_match("/myfolder/*/*", "myfolder/mysource/data"));
    assert_true(sl_glob_match("/myfolder/**", "myfolder/mysource/mydata"));
    assert_true(sl_glob_match("/myfolder**", "myfolder"));
    assert_true(sl_glob_match("/myfolder**", "myfolder/mydata.txt"));
    assert_true(sl_glob_match("departments/**", "departments/finance.json"));
    assert_true(sl_glob_match("departments/market*", "departments/market-us.json"));
    assert_false(sl_glob_match("departments/market*", "departments/finance.json"));
    assert_true(sl_glob_match("employees/*.csv", "employees/jane.csv"));
    assert_false(sl_glob_match("employees/*.csv", "employees/juan.txt"));
    /* the partitions example: exclude all but days 1..7 of January 2015 */
    const char *days = "2015/01/{[!0],0[8-9]}**";
    assert_true(sl_glob_match(days, "2015/01/08/a.json"));
    assert_true(sl_glob_match(days, "2015/01/15/a.json"));
    assert_true(sl_glob_match(days, "2015/01/31"));
    assert_false(sl_glob_match(days, "2015/01/07/a.json"));
    assert_false(sl_glob_match(days, "2015/01/01/a.json"));
    assert_true(sl_glob_match("2015/0[2-9]/**", "2015/05/03/x"));
    assert_true(sl_glob_match("2015/1[0-2]/**", "2015/11/01/x"));
    assert_false(sl_glob_match("2015/1[0-2]/**", "2015/13/01/x"));
    /* brackets: negation, ranges, literal '-' and ']' and specials */
    assert_true(sl_glob_match("[abce-g]", "f"));
    assert_false(sl_glob_match("[abce-g]", "d"));
    assert_true(sl_glob_match("[!a-c]", "d"));
    assert_false(sl_glob_match("[!a-c]", "b"));
    assert_true(sl_glob_match("[-a]", "-"));
    assert_true(sl_glob_match("[]a]", "]"));
    assert_true(sl_glob_match("[*?]", "?"));
    assert_false(sl_glob_match("a[/]b", "a/b"));
    assert_false(sl_glob_match("a?b", "a/b"));
    /* escapes and leading dots */
    assert_true(sl_glob_match("\\{x\\}", "{x}"));
    assert_true(sl_glob_match("a\\*", "a*"));
    assert_false(sl_glob_match("a\\*", "ab"));
    assert_true(sl_glob_match("*", ".hidden"));
    assert_true(sl_glob_match("**", "a/b/c"));
    assert_true(sl_glob_match("a/**/c", "a/b/x/c"));
    /* malformed patterns */
    sl_glob g;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_glob_compile("a[bc", &g, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "'a[bc'"));
    assert_int_equal(sl_glob_compile("{a,b", &g, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "not closed"));
    assert_int_equal(sl_glob_compile("{a,{b,c}}", &g, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "nested"));
    assert_int_equal(sl_glob_compile("{a,b}{c,d}{e,f}", &g, &err), 0);
    assert_int_equal(g.n, 8);
    assert_true(sl_glob_matches(&g, "bce"));
    sl_glob_free(&g);
    /* pathological backtracking ends (without a match) */
    char path[200];
    memset(path, 'a', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    assert_false(sl_glob_match("**a**a**a**a**a**a**a**b", path));
}

static void test_hive_dirs(void **state) {
    sl_buf k, v;
    sl_buf_init(&k, 0);
    sl_buf_init(&v, 0);
    assert_true(sl_hive_partition_dir("dt=2024-01-01", 13, &k, &v));
    assert_string_equal(k.data, "dt");
    assert_string_equal(v.data, "2024-01-01");
    sl_buf_reset(&k);
    sl_buf_reset(&v);
    const char *esc = "a%3Db=New%20York%2F%zz%4";
    assert_true(sl_hive_partition_dir(esc, strlen(esc), &k, &v));
    assert_string_equal(k.data, "a=b");
    assert_string_equal(v.data, "New York/%zz%4");
    sl_buf_reset(&k);
    sl_buf_reset(&v);
    assert_true(sl_hive_partition_dir("k=", 2, &k, &v));
    assert_string_equal(k.data, "k");
    assert_int_equal(v.len, 0);
    assert_false(sl_hive_partition_dir("=x", 2, &k, &v));
    assert_false(sl_hive_partition_dir("plain", 5, &k, &v));
    sl_buf_free(&k);
    sl_buf_free(&v);
}

/* ------------------------------------------------------------------ */
/* Tables and partitions. */

/* A set of objects with their classification, built from (key, content). */
typedef struct crawl {
    sl_infer_object objs[64];
    sl_classify_result cls[64];
    size_t n;
} crawl;

static void crawl_add(crawl *c, const char *key, const char *content) {
    assert_true(c->n < 64);
    sl_classify_bytes(key, content, strlen(content), NULL, &c->cls[c->n]);
    c->objs[c->n].key = key;
    c->objs[c->n].size = strlen(content);
    c->objs[c->n].cls = &c->cls[c->n];
    c->n++;
}

static void crawl_free(crawl *c) {
    for (size_t i = 0; i < c->n; i++)
        sl_classify_result_free(&c->cls[i]);
}

static void infer(crawl *c, const sl_infer_opts *o, sl_infer_result *r) {
    sl_error err;
    sl_error_clear(&err);
    if (sl_infer_tables("target", c->objs, c->n, o, r, &err) != 0) fail_msg("%s", err.message);
}

static const char *columns_text(const sl_infer_columns *cols) {
    static char buf[1024];
    buf[0] = '\0';
    for (size_t i = 0; i < cols->count; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s:%s", i ? "," : "", cols->items[i].name,
                 cols->items[i].type);
    return buf;
}

static void test_hive_partitions(void **state) {
    crawl c = {0};
    crawl_add(&c, "year=2024/month=01/a.json", "{\"id\":1,\"v\":\"x\"}\n");
    crawl_add(&c, "year=2024/month=01/b.json", "{\"id\":2,\"v\":\"y\"}\n");
    crawl_add(&c, "year=2024/month=02/c.json", "{\"id\":3,\"v\":\"z\",\"extra\":1.5}\n");
    crawl_add(&c, "year=2023/month=12/d.json", "{\"id\":4,\"v\":\"w\"}\n");
    crawl_add(&c, "_SUCCESS", "");
    crawl_add(&c, "year=2024/_temporary/x.json", "{\"id\":1}\n");
    crawl_add(&c, "year=2024/month=01/.a.json.crc", "crc");
    sl_infer_result r;
    infer(&c, NULL, &r);
    assert_int_equal(r.n_tables, 1);
    const sl_infer_table *t = &r.tables[0];
    assert_string_equal(t->name, "target");
    assert_string_equal(t->location, "");
    assert_int_equal(t->classification, SL_CLASS_JSON);
    assert_int_equal(t->n_partition_keys, 2);
    assert_string_equal(t->partition_keys[0], "year");
    assert_string_equal(t->partition_keys[1], "month");
    assert_string_equal(columns_text(&t->columns), "id:int,v:string,extra:double");
    assert_int_equal(t->objects, 4);
    assert_int_equal(t->records, 4);
    assert_int_equal(t->n_partitions, 3);
    assert_string_equal(t->partitions[0].values[0], "2023");
    assert_string_equal(t->partitions[0].values[1], "12");
    assert_string_equal(t->partitions[0].location, "year=2023/month=12/");
    assert_string_equal(t->partitions[1].location, "year=2024/month=01/");
    assert_int_equal(t->partitions[1].objects, 2);
    assert_string_equal(columns_text(&t->partitions[1].columns), "id:int,v:string");
    assert_string_equal(columns_text(&t->partitions[2].columns), "id:int,v:string,extra:double");
    assert_int_equal(r.n_skipped, 3);
    assert_string_equal(r.skipped[0].key, "_SUCCESS");
    assert_non_null(strstr(r.skipped[0].reason, "hidden"));
    sl_infer_result_free(&r);
    crawl_free(&c);
}

static void test_unnamed_and_escaped_partitions(void **state) {
    crawl c = {0};
    crawl_add(&c, "2024/01/a.csv", "id,name\n1,a\n2,b\n");
    crawl_add(&c, "2024/02/b.csv", "id,name\n3,c\n");
    crawl_add(&c, "2025/01/c.csv", "id,name\n4,d\n5,e\n");
    sl_infer_result r;
    infer(&c, NULL, &r);
    assert_int_equal(r.n_tables, 1);
    const sl_infer_table *t = &r.tables[0];
    assert_int_equal(t->classification, SL_CLASS_CSV);
    assert_true(t->header);
    assert_int_equal(t->delimiter, ',');
    assert_int_equal(t->n_partition_keys, 2);
    assert_string_equal(t->partition_keys[0], "partition_0");
    assert_string_equal(t->partition_keys[1], "partition_1");
    assert_int_equal(t->n_partitions, 3);
    assert_string_equal(t->partitions[2].values[0], "2025");
    assert_string_equal(t->partitions[2].values[1], "01");
    assert_string_equal(columns_text(&t->columns), "id:bigint,name:string");
    sl_infer_result_free(&r);
    crawl_free(&c);

    crawl d = {0};
    crawl_add(&d, "city=New%20York/a.json", "{\"n\":1}\n");
    crawl_add(&d, "city=S%C3%A3o%20Paulo/b.json", "{\"n\":2}\n");
    crawl_add(&d, "city=a%2Fb/c.json", "{\"n\":3}\n");
    infer(&d, NULL, &r);
    assert_int_equal(r.n_tables, 1);
    t = &r.tables[0];
    assert_string_equal(t->partition_keys[0], "city");
    assert_string_equal(t->partitions[0].values[0], "New York");
    assert_string_equal(t->partitions[1].values[0], "S\xc3\xa3o Paulo");
    assert_string_equal(t->partitions[2].values[0], "a/b");
    assert_string_equal(t->partitions[2].location, "city=a%2Fb/");
    sl_infer_result_free(&r);
    crawl_free(&d);
}

static void test_grouping(void **state) {
    /* Glue's example: similar schemas under table1/ and table2/ become ONE
     * table with two partition columns */
    crawl c = {0};
    crawl_add(&c, "table1/partition1/file.json", "{\"a\":1,\"b\":\"x\",\"c\":true}\n");
    crawl_add(&c, "table1/partition2/file.json", "{\"a\":2,\"b\":\"y\",\"c\":false}\n");
    crawl_add(&c, "table1/partition3/file.json", "{\"a\":3,\"b\":\"z\"}\n");
    crawl_add(&c, "table2/partition4/file.json", "{\"a\":4,\"b\":\"w\",\"c\":true}\n");
    crawl_add(&c, "table2/partition5/file.json", "{\"a\":5,\"b\":\"v\",\"c\":true,\"d\":1}\n");
    sl_infer_result r;
    infer(&c, NULL, &r);
    assert_int_equal(r.n_tables, 1);
    assert_int_equal(r.tables[0].n_partition_keys, 2);
    assert_int_equal(r.tables[0].n_partitions, 5);
    assert_string_equal(r.tables[0].partitions[3].values[0], "table2");
    assert_string_equal(r.tables[0].partitions[3].values[1], "partition4");
    assert_string_equal(columns_text(&r.tables[0].columns), "a:int,b:string,c:boolean,d:int");
    sl_infer_result_free(&r);
    crawl_free(&c);

    /* Glue's other example: dissimilar schemas under year=2017/ and
     * year=2018/ give two tables named after the folders... */
    crawl d = {0};
    crawl_add(&d, "year=2017/data1.json", "{\"A\":1,\"B\":2}\n");
    crawl_add(&d, "year=2018/data2.json", "{\"C\":3,\"D\":4}\n");
    infer(&d, NULL, &r);
    assert_int_equal(r.n_tables, 2);
    assert_string_equal(r.tables[0].name, "year_2017");
    assert_string_equal(r.tables[0].location, "year=2017/");
    assert_string_equal(columns_text(&r.tables[0].columns), "a:int,b:int");
    assert_int_equal(r.tables[0].n_partition_keys, 0);
    assert_string_equal(r.tables[1].name, "year_2018");
    sl_infer_result_free(&r);
    /* ... and one table with CombineCompatibleSchemas */
    sl_infer_opts o;
    sl_infer_opts_default(&o);
    o.combine_compatible = true;
    infer(&d, &o, &r);
    assert_int_equal(r.n_tables, 1);
    assert_string_equal(r.tables[0].partition_keys[0], "year");
    assert_string_equal(columns_text(&r.tables[0].columns), "a:int,b:int,c:int,d:int");
    sl_infer_result_free(&r);
    crawl_free(&d);
}

static void test_grouping_majority_and_formats(void **state) {
    /* five similar partitions and one odd one: the majority makes one table */
    crawl c = {0};
    const char *keys[] = {"p=1/a.json", "p=2/a.json", "p=3/a.json", "p=4/a.json", "p=5/a.json", "p=6/a.json"};
    for (int i = 0; i < 5; i++)
        crawl_add(&c, keys[i], "{\"id\":1,\"name\":\"x\",\"ts\":\"t\"}\n");
    crawl_add(&c, keys[5], "{\"other\":1,\"fields\":2,\"entirely\":3}\n");
    sl_infer_result r;
    infer(&c, NULL, &r);
    assert_int_equal(r.n_tables, 1);
    assert_int_equal(r.tables[0].n_partitions, 6);
    assert_string_equal(columns_text(&r.tables[0].columns),
                        "id:int,name:string,ts:string,other:int,fields:int,entirely:int");
    sl_infer_result_free(&r);
    crawl_free(&c);

    /* different formats never share a table; incompatible files in one
     * folder become a table each, named after the file */
    crawl d = {0};
    crawl_add(&d, "misc/a.csv", "x,y\n1,2\n3,4\n");
    crawl_add(&d, "misc/b.json", "{\"x\":1,\"y\":2}\n");
    crawl_add(&d, "logs/2024/a.json", "{\"msg\":\"m\",\"level\":\"info\"}\n");
    crawl_add(&d, "logs/2025/a.json", "{\"msg\":\"m\",\"level\":\"warn\"}\n");
    crawl_add(&d, "other/logs/x.csv", "k,v\na,1\nb,2\n");
    crawl_add(&d, "other/readme.json", "{\"text\":\"hello\"}\n");
    crawl_add(&d, "single/chain/y.csv", "k,v\na,1\nb,2\n");
    crawl_add(&d, "bad.bin", "\x01\x02\x03\x00\xff");
    infer(&d, NULL, &r);
    assert_int_equal(r.n_tables, 6);
    assert_string_equal(r.tables[0].location, "logs/");
    assert_string_equal(r.tables[0].name, "logs");
    assert_string_equal(r.tables[0].partition_keys[0], "partition_0");
    assert_string_equal(r.tables[1].location, "misc/a.csv");
    assert_string_equal(r.tables[1].name, "a_csv");
    assert_int_equal(r.tables[1].classification, SL_CLASS_CSV);
    assert_string_equal(r.tables[2].location, "misc/b.json");
    assert_string_equal(r.tables[2].name, "b_json");
    /* a second "logs": the name gets a hash of its location */
    /* a folder of files and a sub-folder: the files make a table named
     * after the folder; the sub-folder's "logs" is taken, so its name gets
     * a hash of its location */
    assert_string_equal(r.tables[3].location, "other/");
    assert_string_equal(r.tables[3].name, "other");
    assert_int_equal(r.tables[3].objects, 1);
    assert_string_equal(r.tables[4].location, "other/logs/");
    assert_int_equal(strlen(r.tables[4].name), strlen("logs_") + 8);
    assert_memory_equal(r.tables[4].name, "logs_", 5);
    /* one folder holding one folder of files: a table at the top with the
     * inner folder as a partition */
    assert_string_equal(r.tables[5].location, "single/");
    assert_string_equal(r.tables[5].partition_keys[0], "partition_0");
    assert_string_equal(r.tables[5].partitions[0].values[0], "chain");
    assert_int_equal(r.n_skipped, 1);
    assert_string_equal(r.skipped[0].key, "bad.bin");
    assert_non_null(strstr(r.skipped[0].reason, "UNKNOWN"));
    sl_infer_result_free(&r);

    /* exclusions and a prefix */
    sl_infer_opts o;
    sl_infer_opts_default(&o);
    const char *exclude[] = {"misc/**", "**.csv"};
    o.exclude = exclude;
    o.n_exclude = 2;
    o.table_prefix = "Raw-";
    infer(&d, &o, &r);
    assert_int_equal(r.n_tables, 2);
    assert_string_equal(r.tables[0].name, "raw_logs");
    assert_string_equal(r.tables[1].name, "raw_other");
    assert_int_equal(r.n_skipped, 5);
    sl_infer_result_free(&r);

    /* a bad pattern is an error */
    const char *bad[] = {"[oops"};
    o.exclude = bad;
    o.n_exclude = 1;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_infer_tables("t", d.objs, d.n, &o, &r, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "[oops"));
    crawl_free(&d);
}

static void test_grouping_details(void **state) {
    /* files directly in the target: one table named after the target; a
     * column named like a partition key is left out; names sanitized */
    crawl c = {0};
    crawl_add(&c, "a.json", "{\"Id\":1,\"First Name\":\"x\"}\n");
    crawl_add(&c, "b.json", "{\"Id\":2,\"First Name\":\"y\",\"first-name\":\"z\"}\n");
    sl_infer_result r;
    infer(&c, NULL, &r);
    assert_int_equal(r.n_tables, 1);
    assert_string_equal(r.tables[0].name, "target");
    assert_int_equal(r.tables[0].n_partitions, 0);
    assert_string_equal(columns_text(&r.tables[0].columns), "id:int,first_name:string,first_name_1:string");
    assert_string_equal(r.tables[0].columns.items[1].source_name, "First Name");
    assert_string_equal(r.tables[0].columns.items[2].source_name, "first-name");
    sl_infer_result_free(&r);
    crawl_free(&c);

    crawl d = {0};
    crawl_add(&d, "dt=1/a.json", "{\"dt\":\"x\",\"v\":1}\n");
    crawl_add(&d, "dt=2/a.json", "{\"dt\":\"y\",\"v\":2}\n");
    infer(&d, NULL, &r);
    assert_int_equal(r.n_tables, 1);
    assert_string_equal(columns_text(&r.tables[0].columns), "v:int");
    assert_string_equal(columns_text(&r.tables[0].partitions[0].columns), "v:int");
    sl_infer_result_free(&r);
    crawl_free(&d);

    /* files at two depths under one folder: the files here make one table,
     * the sub-folder another */
    crawl e = {0};
    crawl_add(&e, "data/a.json", "{\"x\":1}\n");
    crawl_add(&e, "data/sub/b.json", "{\"x\":2}\n");
    crawl_add(&e, "data/gzipped.json.gz", "{\"x\":3}\n"); /* not really gzip: plain JSON */
    infer(&e, NULL, &r);
    assert_int_equal(r.n_tables, 2);
    assert_string_equal(r.tables[0].location, "data/");
    assert_string_equal(r.tables[0].name, "data");
    assert_int_equal(r.tables[0].objects, 2);
    assert_string_equal(r.tables[1].location, "data/sub/");
    assert_string_equal(r.tables[1].name, "sub");
    sl_infer_result_free(&r);
    crawl_free(&e);

    assert_true(sl_infer_similarity(NULL, NULL) == 1.0);
    sl_gtype *a = parse("struct<a:int,b:int,c:int,d:int>"), *b = parse("struct<A:int,b:int,c:int,x:int,y:int>");
    assert_true(sl_infer_similarity(a, b) == 0.75);
    sl_gtype_free(a);
    sl_gtype_free(b);
}

/* ------------------------------------------------------------------ */
/* DynamoDB. */

static void ddb_observe(sl_classify_result *r, const char *item_json) {
    sl_value item = json(item_json), rec;
    sl_error err;
    sl_error_clear(&err);
    if (sl_ddb_item_to_record(&arena, &item, &rec, &err) != 0) fail_msg("%s", err.message);
    sl_classify_ddb_observe(r, &rec);
}

static void test_dynamodb(void **state) {
    sl_classify_result r;
    sl_classify_ddb_begin(&r);
    ddb_observe(&r, "{\"zeta\":{\"S\":\"z\"},\"policy_id\":{\"S\":\"p1\"},\"n\":{\"N\":\"1\"},\"f\":{\"N\":\"1.5\"},"
                    "\"ss\":{\"SS\":[\"x\"]},\"ns\":{\"NS\":[\"1\",\"2\"]},"
                    "\"m\":{\"M\":{\"z\":{\"S\":\"x\"},\"a\":{\"N\":\"2\"}}},"
                    "\"l\":{\"L\":[{\"S\":\"x\"},{\"N\":\"1\"}]},\"b\":{\"B\":\"AAE=\"},\"t\":{\"BOOL\":true},"
                    "\"nul\":{\"NULL\":true},\"empty\":{\"L\":[]},\"big\":{\"N\":\"123456789012345678901234\"}}");
    ddb_observe(&r, "{\"policy_id\":{\"S\":\"p2\"},\"n\":{\"N\":\"2.5\"},\"age\":{\"N\":\"0.3\"}}");
    const char *keys[] = {"policy_id", "missing"};
    sl_classify_ddb_finish(&r, keys, 2);
    assert_int_equal(r.classification, SL_CLASS_DYNAMODB);
    assert_string_equal(sl_classification_name(r.classification), "dynamodb");
    assert_columns(&r, "struct<policy_id:string,age:double,b:binary,big:double,empty:array<string>,f:double,"
                       "l:array<string>,m:struct<a:bigint,z:string>,n:double,ns:array<bigint>,nul:string,"
                       "ss:array<string>,t:boolean,zeta:string>");
    assert_int_equal(r.record_count, 2);
    assert_true(r.record_count_exact);
    assert_int_equal(sl_schema_field_count(r.schema), 14);
    sl_classify_result_free(&r);

    /* no items: no columns */
    sl_classify_ddb_begin(&r);
    sl_classify_ddb_finish(&r, NULL, 0);
    assert_columns(&r, "struct<>");
    assert_int_equal(r.record_count, 0);
    sl_classify_result_free(&r);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice-test-classify-%d", (int)getpid());
    sl_error err;
    if (sl_mkdirs(tmpdir, &err) != 0) {
        fprintf(stderr, "cannot create %s\n", tmpdir);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gtype_round_trip),
        cmocka_unit_test(test_gtype_parse_errors),
        cmocka_unit_test(test_gtype_merge),
        cmocka_unit_test(test_gtype_observe),
        cmocka_unit_test(test_gtype_schema),
        cmocka_unit_test(test_glue_names),
        cmocka_unit_test(test_json_ndjson),
        cmocka_unit_test(test_json_document_and_array),
        cmocka_unit_test(test_csv_header),
        cmocka_unit_test(test_csv_delimiters),
        cmocka_unit_test(test_csv_quoted_and_rejects),
        cmocka_unit_test(test_unknown_inputs),
        cmocka_unit_test(test_partial_sample),
        cmocka_unit_test(test_compressed),
        cmocka_unit_test(test_parquet),
        cmocka_unit_test(test_avro),
        cmocka_unit_test(test_globs),
        cmocka_unit_test(test_hive_dirs),
        cmocka_unit_test(test_hive_partitions),
        cmocka_unit_test(test_unnamed_and_escaped_partitions),
        cmocka_unit_test(test_grouping),
        cmocka_unit_test(test_grouping_majority_and_formats),
        cmocka_unit_test(test_grouping_details),
        cmocka_unit_test(test_dynamodb),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    sl_rmtree(tmpdir, &err);
    return failed;
}
