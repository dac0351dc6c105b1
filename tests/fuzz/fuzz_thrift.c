/*
 * fuzz_thrift.c — libFuzzer target for the Thrift compact protocol
 * (formats/thrift.c), the Parquet metadata structs (formats/parquet_meta.c)
 * and the Parquet writer (formats/parquet_write.c).
 *
 * Input: byte 0 picks the mode, the rest is the data.
 *   0  FileMetaData: decode; when it decodes, encode it again, decode that,
 *      and encode once more: the two encodings must be identical and the
 *      counts (schema, row groups, rows) equal.
 *   1  PageHeader: the same round trip.
 *   2  any value: skip it as a struct, a list and a map (never crashes,
 *      never reads past the end).
 *   3  the writer: the data as JSON lines, each a record; written with tiny
 *      pages and row groups (codec and page version from byte 1); the file
 *      must end in a footer that decodes, whose page headers all decode.
 * Every decoder must return an error on malformed input, never crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "formats/json.h"
#include "formats/parquet.h"
#include "formats/parquet_meta.h"
#include "formats/thrift.h"

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "fuzz_thrift: check failed: %s (line %d)\n", #cond, __LINE__);                             \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

static void file_meta_round_trip(const uint8_t *data, size_t size) {
    sl_arena a;
    sl_arena_init(&a);
    sl_pq_file_meta f, g, h;
    if (sl_pq_file_meta_decode(data, size, &a, &f, NULL) == 0) {
        sl_buf e1, e2;
        sl_buf_init(&e1, 0);
        sl_buf_init(&e2, 0);
        CHECK(sl_pq_file_meta_encode(&f, &e1) == 0);
        CHECK(sl_pq_file_meta_decode(e1.data, e1.len, &a, &g, NULL) == 0);
        CHECK(sl_pq_file_meta_encode(&g, &e2) == 0);
        CHECK(e1.len == e2.len && !memcmp(e1.data, e2.data, e1.len));
        CHECK(sl_pq_file_meta_decode(e2.data, e2.len, &a, &h, NULL) == 0);
        CHECK(f.n_schema == g.n_schema && f.n_row_groups == g.n_row_groups && f.num_rows == g.num_rows);
        for (uint32_t i = 0; i < f.n_row_groups; i++)
            CHECK(f.row_groups[i].n_columns == g.row_groups[i].n_columns);
        sl_buf_free(&e1);
        sl_buf_free(&e2);
    }
    sl_arena_free(&a);
}

static void page_header_round_trip(const uint8_t *data, size_t size) {
    sl_pq_page_header f, g;
    size_t len;
    if (sl_pq_page_header_decode(data, size, &f, &len, NULL) != 0) return;
    CHECK(len <= size);
    sl_buf e1, e2;
    sl_buf_init(&e1, 0);
    sl_buf_init(&e2, 0);
    CHECK(sl_pq_page_header_encode(&f, &e1) == 0);
    CHECK(sl_pq_page_header_decode(e1.data, e1.len, &g, &len, NULL) == 0);
    CHECK(len == e1.len);
    CHECK(sl_pq_page_header_encode(&g, &e2) == 0);
    CHECK(e1.len == e2.len && !memcmp(e1.data, e2.data, e1.len));
    CHECK(f.type == g.type && f.compressed_page_size == g.compressed_page_size);
    sl_buf_free(&e1);
    sl_buf_free(&e2);
}

static void skip_values(const uint8_t *data, size_t size) {
    static const int types[] = {SL_THRIFT_STRUCT, SL_THRIFT_LIST, SL_THRIFT_MAP, SL_THRIFT_BINARY, SL_THRIFT_I64};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        sl_thrift_reader r;
        sl_thrift_reader_init(&r, data, size);
        int rc = sl_thrift_skip(&r, types[i]);
        CHECK(rc == 0 || rc == SL_EPARSE);
        CHECK(sl_thrift_reader_pos(&r) <= size);
        CHECK((rc == 0) == (r.status == 0));
    }
}

static void write_records(const uint8_t *data, size_t size) {
    if (!size) return;
    sl_parquet_write_opts o;
    sl_parquet_write_opts_default(&o);
    static const int codecs[] = {SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_ZSTD};
    o.codec = codecs[data[0] & 3];
    o.data_page_version = data[0] & 4 ? 2 : 1;
    o.page_size = 512;
    o.row_group_size = 1024;
    o.dictionary_limit = data[0] & 8 ? 64 : 1 << 20;
    data++, size--;
    void *enc;
    CHECK(sl_parquet_encoder_new_opts(&o, &enc, NULL) == 0);
    sl_buf out;
    sl_buf_init(&out, 0);
    sl_arena a;
    sl_arena_init(&a);
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        sl_value v;
        if (sl_json_parse(p, n, &a, &v, NULL) == 0) {
            size_t mark = out.len;
            int rc = sl_parquet_encode(enc, &out, &v, NULL);
            CHECK(rc == 0 || rc == SL_ETYPE);
            if (rc) CHECK(out.len == mark);
        }
        p += n + (nl != NULL);
    }
    int rc = sl_parquet_encode_finish(enc, &out, NULL);
    sl_parquet_encoder_free(enc);
    if (rc == 0) {
        const uint8_t *f = (const uint8_t *)out.data;
        CHECK(out.len >= 12 && !memcmp(f, "PAR1", 4) && !memcmp(f + out.len - 4, "PAR1", 4));
        uint32_t flen = f[out.len - 8] | f[out.len - 7] << 8 | f[out.len - 6] << 16 | (uint32_t)f[out.len - 5] << 24;
        CHECK(flen <= out.len - 12);
        sl_pq_file_meta m;
        CHECK(sl_pq_file_meta_decode(f + out.len - 8 - flen, flen, &a, &m, NULL) == 0);
        for (uint32_t g = 0; g < m.n_row_groups; g++)
            for (uint32_t c = 0; c < m.row_groups[g].n_columns; c++) {
                const sl_pq_column_meta *cm = &m.row_groups[g].columns[c].meta_data;
                int64_t pos = cm->has_dictionary_page_offset ? cm->dictionary_page_offset : cm->data_page_offset;
                int64_t stop = pos + cm->total_compressed_size;
                CHECK(pos >= 4 && stop <= (int64_t)(out.len - 8 - flen));
                while (pos < stop) {
                    sl_pq_page_header h;
                    size_t hlen;
                    CHECK(sl_pq_page_header_decode(f + pos, (size_t)(stop - pos), &h, &hlen, NULL) == 0);
                    pos += (int64_t)hlen + h.compressed_page_size;
                }
                CHECK(pos == stop);
            }
    } else {
        CHECK(rc == SL_EINVAL); /* a schema that cannot be written (choice types) */
    }
    sl_buf_free(&out);
    sl_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t mode = data[0] % 4;
    data++, size--;
    /* copy so that ASan sees any read past the end */
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    switch (mode) {
    case 0: file_meta_round_trip(copy, size); break;
    case 1: page_header_round_trip(copy, size); break;
    case 2: skip_values(copy, size); break;
    default: write_records(copy, size); break;
    }
    free(copy);
    return 0;
}
