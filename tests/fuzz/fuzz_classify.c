/*
 * fuzz_classify.c — libFuzzer target for the crawler's parsers of untrusted
 * input: the Glue type-string parser (catalog/gluetype.c) and the object
 * classifier (catalog/classify.c, which also parses Avro headers and
 * Parquet footers and sniffs CSV) on arbitrary bytes.
 *
 * Checks:
 *   - a type string that parses formats to text that parses again and
 *     formats the same (the writer's output is always valid input), and a
 *     type merged with itself is unchanged;
 *   - classifying never crashes, whole or from a prefix (with the rest
 *     reachable through read_at), and whatever columns it reports format to
 *     a type string the parser accepts;
 *   - the table grouping accepts the result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/classify.h"
#include "catalog/gluetype.h"
#include "catalog/infer_tables.h"

static void check(bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_classify: %s\n", what);
        abort();
    }
}

static void fuzz_type_string(const char *data, size_t size) {
    sl_gtype *t;
    sl_error err;
    if (sl_gtype_parse(data, size, &t, &err) != 0) return;
    char *s = sl_gtype_string(t);
    sl_gtype *again;
    check(sl_gtype_parse(s, strlen(s), &again, &err) == 0, "formatted type does not parse");
    char *s2 = sl_gtype_string(again);
    check(strcmp(s, s2) == 0, "formatting is not stable");
    sl_gtype *merged = sl_gtype_copy(again);
    sl_gtype_merge_into(&merged, again);
    check(sl_gtype_equal(merged, again), "a type merged with itself changed");
    sl_schema_free(sl_gtype_to_schema(t));
    sl_gtype_free(merged);
    sl_gtype_free(again);
    sl_gtype_free(t);
    free(s);
    free(s2);
}

static void check_result(const sl_classify_result *r) {
    if (r->classification == SL_CLASS_JSON || r->classification == SL_CLASS_CSV)
        check(r->columns && r->columns->kind == SL_G_STRUCT, "json/csv without columns");
    if (!r->columns) return;
    char *s = sl_gtype_string(r->columns);
    sl_gtype *t;
    sl_error err;
    check(sl_gtype_parse(s, strlen(s), &t, &err) == 0, "reported columns do not parse");
    sl_gtype_free(t);
    free(s);
}

typedef struct mem {
    const char *data;
    size_t size;
} mem;

static int mem_read_at(void *ud, uint64_t offset, void *buf, size_t len, sl_error *err) {
    const mem *m = ud;
    if (offset > m->size || len > m->size - offset) return sl_error_set(err, SL_EIO, "beyond the end");
    memcpy(buf, m->data + offset, len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    fuzz_type_string(text, size);

    sl_classify_opts o;
    sl_classify_opts_default(&o);
    o.sample_bytes = 8192;
    o.sample_records = 64;
    o.allow_single_column = size && (data[0] & 1);

    sl_classify_result whole;
    sl_classify_bytes("fuzz", text, size, &o, &whole);
    check_result(&whole);

    /* a prefix of the object, the rest reachable by read_at */
    mem m = {text, size};
    sl_classify_input in = {"fuzz", text, size / 2, size, mem_read_at, &m};
    sl_classify_result part;
    sl_error err;
    sl_classify(&in, &o, &part, &err);
    check_result(&part);

    sl_infer_object objs[2] = {{"k=1/a", size, &whole}, {"k=2/b", size / 2, &part}};
    sl_infer_result tables;
    check(sl_infer_tables("fuzz", objs, 2, NULL, &tables, &err) == 0, "grouping failed");
    sl_infer_result_free(&tables);

    sl_classify_result_free(&part);
    sl_classify_result_free(&whole);
    return 0;
}
