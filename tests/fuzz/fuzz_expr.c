/*
 * fuzz_expr.c — libFuzzer target for the expression language: arbitrary
 * bytes are compiled (core/expr.h); whatever compiles is evaluated, both as
 * a value and as a condition, against a fixed small record. Neither step
 * may crash, hang or leak, and every failure must come back as a status
 * with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/expr.h"

/* Bounds the text so one input cannot spend minutes in a huge pattern. */
#define MAX_TEXT 4096

static sl_value text_value(const char *s) { return sl_string(s, strlen(s), 0); }

static sl_field field(const char *name, sl_value v) {
    sl_field f = {name, (uint32_t)strlen(name), 0, v};
    return f;
}

static sl_value fixed_record(void) {
    static sl_value tags[3], nums[3];
    static sl_field address[2], fields[14];
    static sl_value places[1];
    tags[0] = text_value("a");
    tags[1] = text_value("b");
    tags[2] = text_value("");
    nums[0] = sl_int(1);
    nums[1] = sl_null();
    nums[2] = sl_double(-2.5);
    address[0] = field("city", text_value("Par\xc3\xads"));
    address[1] = field("zip", text_value("75001"));
    places[0] = sl_struct(address, 2);
    size_t n = 0;
    fields[n++] = field("name", text_value("Alice"));
    fields[n++] = field("age", sl_int(42));
    fields[n++] = field("score", sl_double(3.5));
    fields[n++] = field("active", sl_bool(true));
    fields[n++] = field("none", sl_null());
    fields[n++] = field("tags", sl_list(tags, 3));
    fields[n++] = field("nums", sl_list(nums, 3));
    fields[n++] = field("address", sl_struct(address, 2));
    fields[n++] = field("places", sl_list(places, 1));
    fields[n++] = field("my field", sl_int(INT64_MIN));
    fields[n++] = field("amount", sl_decimal("-12.50e3", 8));
    fields[n++] = field("born", sl_date(19724));
    fields[n++] = field("seen", sl_timestamp(INT64_C(1704164645000000)));
    fields[n++] = field("s", text_value("  42 "));
    return sl_struct(fields, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static sl_value record;
    static int ready;
    if (!ready) {
        record = fixed_record();
        ready = 1;
    }
    if (size > MAX_TEXT) return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0; /* an embedded NUL simply ends the text */

    sl_expr *e = NULL;
    sl_error err;
    sl_error_clear(&err);
    if (sl_expr_compile(text, &e, &err) != 0) {
        if (e || !err.message[0] || err.column < 1) abort();
        free(text);
        return 0;
    }
    sl_arena arena;
    sl_arena_init(&arena);
    sl_value out;
    sl_error_clear(&err);
    if (sl_expr_eval(e, &record, &arena, &out, &err) != 0 && !err.message[0]) abort();
    int truth;
    sl_error_clear(&err);
    if (sl_expr_eval_bool(e, &record, &arena, &truth, &err) != 0 && !err.message[0]) abort();
    if (truth < -1 || truth > 1) abort();
    sl_error_clear(&err);
    sl_expr_eval(e, NULL, &arena, &out, &err);
    const char **paths;
    size_t n = sl_expr_fields(e, &paths);
    for (size_t i = 0; i < n; i++)
        if (!paths[i][0]) abort();
    sl_arena_free(&arena);
    sl_expr_free(e);
    free(text);
    return 0;
}
