/*
 * fuzz_opensearch.c — libFuzzer target for what the OpenSearch client reads
 * from outside: `_bulk` answers (sl_opensearch_parse_bulk_response), error
 * bodies (sl_opensearch_error_text) and index name templates from job files
 * (compile, then render against a record parsed from the rest of the
 * input). The first byte picks the parser; nothing may crash, hang or leak,
 * and every failure must come back as a status with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/opensearch.h"
#include "formats/json.h"

#define MAX_INPUT 65536

static void fuzz_bulk(const uint8_t *data, size_t size) {
    if (size < 1) return;
    size_t n_items = data[0] % 16;
    sl_arena a;
    sl_arena_init(&a);
    sl_opensearch_item_result out[16];
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_opensearch_parse_bulk_response((const char *)data + 1, size - 1, n_items, &a, out, &err);
    if (rc) {
        if (rc != SL_EPARSE || !err.message[0]) abort();
    } else {
        for (size_t i = 0; i < n_items; i++)
            if ((out[i].outcome == SL_OS_ITEM_OK) != (out[i].reason == NULL)) abort();
    }
    sl_arena_free(&a);
}

static void fuzz_error_text(const uint8_t *data, size_t size) {
    sl_http_response r;
    sl_http_response_init(&r);
    r.status = size ? 400 + data[0] % 200 : 500;
    if (size > 1) sl_buf_add(&r.body, data + 1, size - 1);
    char out[300];
    sl_opensearch_error_text(&r, out, sizeof out);
    if (strncmp(out, "HTTP ", 5)) abort();
    sl_http_response_free(&r);
}

/* template text, a NUL byte, then a JSON record */
static void fuzz_template(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t text_len = nul ? (size_t)(nul - data) : size;
    char *text = malloc(text_len + 1);
    memcpy(text, data, text_len);
    text[text_len] = 0;
    sl_opensearch_template *t;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_opensearch_template_compile(text, &t, &err);
    if (rc) {
        if (rc != SL_EINVAL || !err.message[0] || t) abort();
        free(text);
        return;
    }
    sl_arena a;
    sl_arena_init(&a);
    sl_value rec = sl_struct(NULL, 0);
    if (nul) sl_json_parse((const char *)nul + 1, size - text_len - 1, &a, &rec, NULL);
    sl_buf out;
    sl_buf_init(&out, 0);
    sl_error_clear(&err);
    rc = sl_opensearch_template_render(t, &rec, &out, &err);
    if (rc && (rc != SL_ETYPE || !err.message[0])) abort();
    if (!rc && !sl_opensearch_index_name_ok(out.data, out.len, NULL)) abort();
    sl_buf_free(&out);
    sl_arena_free(&a);
    sl_opensearch_template_free(t);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > MAX_INPUT) return 0;
    switch (data[0] % 3) {
    case 0: fuzz_bulk(data + 1, size - 1); break;
    case 1: fuzz_error_text(data + 1, size - 1); break;
    default: fuzz_template(data + 1, size - 1); break;
    }
    return 0;
}
