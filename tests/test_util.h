/*
 * test_util.h — helpers shared by unit tests and fuzz targets.
 */
#ifndef SL_TEST_UTIL_H
#define SL_TEST_UTIL_H

#include <stdbool.h>
#include <string.h>

#include "core/value.h"

/* Deep equality that is stricter than sl_value_equal: doubles must be
 * bit-identical (so -0.0 differs from 0.0), as a lossless round trip
 * requires. */
static inline bool sl_test_identical(const sl_value *x, const sl_value *y) {
    if (x->type != y->type) return false;
    switch (x->type) {
    case SL_T_NULL: return true;
    case SL_T_BOOL: return x->u.b == y->u.b;
    case SL_T_INT:
    case SL_T_DATE:
    case SL_T_TIMESTAMP: return x->u.i == y->u.i;
    case SL_T_DOUBLE: return memcmp(&x->u.d, &y->u.d, sizeof(double)) == 0;
    case SL_T_DECIMAL:
    case SL_T_STRING:
    case SL_T_BINARY: return x->len == y->len && (x->len == 0 || memcmp(x->u.s, y->u.s, x->len) == 0);
    case SL_T_LIST:
        if (x->len != y->len) return false;
        for (uint32_t i = 0; i < x->len; i++)
            if (!sl_test_identical(&x->u.items[i], &y->u.items[i])) return false;
        return true;
    case SL_T_STRUCT:
        if (x->len != y->len) return false;
        for (uint32_t i = 0; i < x->len; i++) {
            const sl_field *a = &x->u.fields[i], *b = &y->u.fields[i];
            if (a->name_len != b->name_len || (a->name_len && memcmp(a->name, b->name, a->name_len) != 0)) return false;
            if (!sl_test_identical(&a->value, &b->value)) return false;
        }
        return true;
    default: return false;
    }
}

#endif
