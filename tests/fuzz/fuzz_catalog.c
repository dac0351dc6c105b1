/* fuzz_catalog.c — libFuzzer target for the catalog's Glue JSON readers
 * (catalog/catalog.h: *_from_json), which will read Glue API request bodies
 * and read back every stored catalog document.
 *
 * The first byte picks the shape (database, table, partition, connection);
 * the rest is the JSON. When it reads, writing it out and reading that back
 * must succeed, and writing again must give the same bytes (one round trip
 * reaches a fixed point); a table must also survive a deep copy unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

static void check(bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_catalog: %s\n", what);
        abort();
    }
}

static void same(const sl_buf *a, const sl_buf *b, const char *what) {
    check(a->len == b->len && memcmp(a->data, b->data, a->len) == 0, what);
}

#define ROUND_TRIP(type, from_json, to_json, free_fn)                                                                  \
    do {                                                                                                               \
        type x, y;                                                                                                     \
        sl_error err;                                                                                                  \
        if (from_json(json, len, &x, &err)) break;                                                                     \
        sl_buf one, two;                                                                                               \
        sl_buf_init(&one, 0);                                                                                          \
        sl_buf_init(&two, 0);                                                                                          \
        check(to_json(&x, &one) == 0, "write failed");                                                                 \
        check(from_json(one.data, one.len, &y, &err) == 0, "written JSON does not read back");                         \
        check(to_json(&y, &two) == 0, "second write failed");                                                          \
        same(&one, &two, "second write differs");                                                                      \
        free_fn(&x);                                                                                                   \
        free_fn(&y);                                                                                                   \
        sl_buf_free(&one);                                                                                             \
        sl_buf_free(&two);                                                                                             \
    } while (0)

static void fuzz_table_copy(const char *json, size_t len) {
    sl_catalog_table t, copy;
    sl_error err;
    if (sl_catalog_table_from_json(json, len, &t, &err)) return;
    sl_catalog_table_copy(&copy, &t);
    sl_buf a, b;
    sl_buf_init(&a, 0);
    sl_buf_init(&b, 0);
    check(sl_catalog_table_json(&t, &a) == 0 && sl_catalog_table_json(&copy, &b) == 0, "write failed");
    same(&a, &b, "copy differs");
    sl_catalog_schema_diff d;
    sl_catalog_diff_tables(&t, &copy, &d);
    check(d.count == 0, "a table differs from its copy");
    sl_catalog_schema_diff_free(&d);
    sl_catalog_diff_tables(NULL, &t, &d);
    sl_buf_reset(&a);
    check(sl_catalog_schema_diff_json(&d, &a) == 0, "diff JSON failed");
    sl_catalog_schema_diff_free(&d);
    sl_buf_free(&a);
    sl_buf_free(&b);
    sl_catalog_table_free(&t);
    sl_catalog_table_free(&copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *json = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 4) {
    case 0:
        ROUND_TRIP(sl_catalog_database, sl_catalog_database_from_json, sl_catalog_database_json,
                   sl_catalog_database_free);
        break;
    case 1:
        ROUND_TRIP(sl_catalog_table, sl_catalog_table_from_json, sl_catalog_table_json, sl_catalog_table_free);
        fuzz_table_copy(json, len);
        break;
    case 2:
        ROUND_TRIP(sl_catalog_partition, sl_catalog_partition_from_json, sl_catalog_partition_json,
                   sl_catalog_partition_free);
        break;
    default:
        ROUND_TRIP(sl_catalog_connection, sl_catalog_connection_from_json, sl_catalog_connection_json,
                   sl_catalog_connection_free);
        break;
    }
    return 0;
}
