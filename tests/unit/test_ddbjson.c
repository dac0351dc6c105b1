/* test_ddbjson.c — DynamoDB JSON to records and back; base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "formats/ddbjson.h"
#include "formats/json.h"

static sl_value parse(sl_arena *a, const char *json) {
    sl_value v;
    assert_int_equal(sl_json_parse(json, strlen(json), a, &v, NULL), 0);
    return v;
}

static void expect_json(const sl_value *v, const char *want) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_json_write(&b, v);
    assert_string_equal(b.data, want);
    sl_buf_free(&b);
}

static void test_item(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    sl_value item = parse(&a, "{\"Item\":{\"id\":{\"S\":\"a1\"},\"n\":{\"N\":\"42\"},\"d\":{\"N\":\"0.55\"},"
                              "\"big\":{\"N\":\"123456789012345678901234567890\"},\"neg\":{\"N\":\"-7\"},"
                              "\"ok\":{\"BOOL\":true},\"nothing\":{\"NULL\":true},\"b\":{\"B\":\"aGk=\"},"
                              "\"m\":{\"M\":{\"x\":{\"L\":[{\"S\":\"y\"},{\"N\":\"1\"}]}}},"
                              "\"ss\":{\"SS\":[\"p\",\"q\"]},\"ns\":{\"NS\":[\"1\",\"2.5\"]},\"bs\":{\"BS\":[\"AA==\"]}}}");
    sl_value rec;
    assert_int_equal(sl_ddb_item_to_record(&a, &item, &rec, NULL), 0);
    expect_json(&rec, "{\"id\":\"a1\",\"n\":42,\"d\":0.55,\"big\":123456789012345678901234567890,\"neg\":-7,"
                      "\"ok\":true,\"nothing\":null,\"b\":\"aGk=\",\"m\":{\"x\":[\"y\",1]},\"ss\":[\"p\",\"q\"],"
                      "\"ns\":[1,2.5],\"bs\":[\"AA==\"]}");
    assert_int_equal(sl_struct_get(&rec, "d")->type, SL_T_DECIMAL);
    assert_int_equal(sl_struct_get(&rec, "b")->type, SL_T_BINARY);
    assert_int_equal(sl_struct_get(&rec, "b")->len, 2);
    /* and back */
    sl_value attr;
    assert_int_equal(sl_ddb_value_to_attr(&a, &rec, &attr, NULL), 0);
    sl_value again;
    assert_int_equal(sl_ddb_attr_to_value(&a, &attr, &again, NULL), 0);
    expect_json(&again, "{\"id\":\"a1\",\"n\":42,\"d\":0.55,\"big\":123456789012345678901234567890,\"neg\":-7,"
                        "\"ok\":true,\"nothing\":null,\"b\":\"aGk=\",\"m\":{\"x\":[\"y\",1]},\"ss\":[\"p\",\"q\"],"
                        "\"ns\":[1,2.5],\"bs\":[\"AA==\"]}");
    sl_arena_free(&a);
}

static void test_errors(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    sl_error err;
    sl_value rec;
    const char *bad[] = {"{\"x\":{\"Q\":\"1\"}}", "{\"x\":{\"N\":\"\"}}", "{\"x\":{\"S\":1}}",
                         "{\"x\":{\"B\":\"!!\"}}", "{\"x\":{\"S\":\"a\",\"N\":\"1\"}}", "[1]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_error_clear(&err);
        sl_value item = parse(&a, bad[i]);
        assert_int_equal(sl_ddb_item_to_record(&a, &item, &rec, &err), SL_EPARSE);
        assert_true(err.message[0] != 0);
    }
    sl_error_clear(&err);
    sl_value item = parse(&a, "{\"x\":{\"Q\":\"1\"}}");
    sl_ddb_item_to_record(&a, &item, &rec, &err);
    assert_non_null(strstr(err.message, "attribute 'x'"));
    assert_non_null(strstr(err.message, "'Q'"));
    sl_arena_free(&a);
}

static void test_base64(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        sl_buf b;
        sl_buf_init(&b, 0);
        sl_base64_encode(&b, (const unsigned char *)plain[i], strlen(plain[i]));
        assert_string_equal(b.data ? b.data : "", enc[i]);
        sl_buf_free(&b);
        sl_value v;
        assert_int_equal(sl_base64_decode(&a, enc[i], strlen(enc[i]), &v), 0);
        assert_int_equal(v.len, strlen(plain[i]));
        assert_memory_equal(v.u.s, plain[i], v.len);
    }
    sl_value v;
    assert_int_equal(sl_base64_decode(&a, "Z", 1, &v), SL_EPARSE);
    sl_arena_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_item),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
