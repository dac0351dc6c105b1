/* fuzz_convert.c — casts between every pair of types from arbitrary text, text round trips, compare/equal consistency, and schema building over parsed JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "core/error.h"
#include "core/value.h"
#include "core/schema.h"
#include "formats/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sl_arena a;
    sl_arena_init(&a);
    sl_value s = sl_string((const char *)data, size, 0);
    sl_value outs[SL_T__COUNT];
    for (int t = 0; t < SL_T__COUNT; t++) {
        sl_error err;
        sl_error_clear(&err);
        outs[t] = sl_null();
        if (sl_value_cast(&a, &s, (sl_type)t, &outs[t], &err) == 0) {
            /* cast back to string and again: stable */
            sl_value back, again;
            if (sl_value_cast(&a, &outs[t], SL_T_STRING, &back, &err) == 0 && sl_value_cast(&a, &back, (sl_type)t, &again, &err) == 0) {
                if (t == SL_T_INT || t == SL_T_DATE || t == SL_T_TIMESTAMP || t == SL_T_BOOL) {
                    if (!sl_value_equal(&again, &outs[t])) { fprintf(stderr, "round trip type %d\n", t); abort(); }
                }
                if (t == SL_T_DOUBLE && !(again.u.d == outs[t].u.d || (isnan(again.u.d) && isnan(outs[t].u.d)))) abort();
            }
        }
        /* casts between all results */
        for (int u = 0; u < SL_T__COUNT; u++) {
            sl_value o;
            sl_value_cast(&a, &outs[t], (sl_type)u, &o, &err);
        }
    }
    /* decimal text from raw bytes */
    sl_value d = sl_decimal((const char *)data, size);
    for (int u = 0; u < SL_T__COUNT; u++) { sl_value o; sl_error err; sl_value_cast(&a, &d, (sl_type)u, &o, &err); }
    /* compare consistency among results */
    for (int t = 0; t < SL_T__COUNT; t++)
        for (int u = 0; u < SL_T__COUNT; u++) {
            int c1 = sl_value_compare(&outs[t], &outs[u]), c2 = sl_value_compare(&outs[u], &outs[t]);
            if ((c1 > 0) != (c2 < 0) || (c1 == 0) != (c2 == 0)) abort();
            if ((c1 == 0) != sl_value_equal(&outs[t], &outs[u])) abort();
            int c3 = sl_value_compare(&outs[t], &d), c4 = sl_value_compare(&d, &outs[t]);
            if ((c3 > 0) != (c4 < 0) || (c3 == 0) != (c4 == 0)) abort();
        }
    /* JSON value: path, schema, text */
    sl_value v;
    sl_error err;
    if (sl_json_parse((const char *)data, size, &a, &v, &err) == 0) {
        sl_schema *sc = sl_schema_of(&v);
        sl_schema_observe(&sc, &v);
        sl_schema *m = sl_schema_merge(sc, sc);
        sl_schema_widen_numeric(m);
        sl_buf b; sl_buf_init(&b, 0);
        sl_schema_print(m, &b); sl_schema_to_json(m, &b); sl_schema_glue_type(m, &b);
        sl_buf_free(&b);
        sl_schema_free(sc); sl_schema_free(m);
        sl_value_to_text(&a, &v);
        if (size > 2) sl_value_path(&v, (const char *)data + 1, size / 2);
        if (!sl_value_equal(&v, &v) || sl_value_compare(&v, &v) != 0) abort();
    }
    sl_value_path(&s, (const char *)data, size);
    sl_arena_free(&a);
    return 0;
}
