/*
 * fuzz_parquet.c — libFuzzer target for the Parquet reader: the footer and
 * schema decoders, page headers and every page decoder.
 *
 * Input: byte 0 picks the mode.
 *   even  the rest is a whole Parquet file (seeds: the DuckDB files of
 *         tests/data/parquet/), read with or without a projection and a
 *         row-group predicate (bits 1-2 of byte 0);
 *   odd   the rest is one column chunk — page headers and pages — behind a
 *         valid footer built here, so that mutations reach the page decoders
 *         instead of breaking the footer: byte 1 picks the physical type,
 *         byte 2 the column's shape (required, optional, list, map, struct
 *         in a list) and logical type, byte 3 the codec, byte 4 the row count.
 * Checks: reading never crashes and ends either with records or with an
 * error whose err->file names the object and whose message is not empty.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/batch.h"
#include "core/mem.h"
#include "formats/parquet.h"
#include "formats/parquet_meta.h"

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "fuzz_parquet: check failed: %s (line %d)\n", #cond, __LINE__);                            \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

#define MAX_RECORDS 20000 /* stop reading there: a file may claim billions of rows */

static void read_all(const uint8_t *data, size_t len, const sl_format_opts *o) {
    void *dec = NULL;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_parquet_mem_open(data, len, "fuzz.parquet", o, &dec, &err);
    if (rc) {
        CHECK(dec == NULL);
        CHECK(!strcmp(err.file, "fuzz.parquet") && err.message[0]);
        return;
    }
    sl_batch b;
    sl_batch_init(&b);
    sl_decode_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.batch = &b;
    ctx.max_records = 257;
    size_t total = 0;
    for (;;) {
        sl_batch_reset(&b);
        rc = sl_parquet_object_next(dec, &ctx, &err);
        if (rc < 0) {
            CHECK(!strcmp(err.file, "fuzz.parquet") && err.message[0]);
            break;
        }
        CHECK(b.count <= ctx.max_records);
        for (size_t i = 0; i < b.count; i++)
            CHECK(b.records[i].type == SL_T_STRUCT);
        total += b.count;
        if (rc == 0 || total >= MAX_RECORDS) break;
    }
    sl_batch_free(&b);
    sl_parquet_object_close(dec);
}

static sl_pq_schema_element elem(const char *name, int rep, int type, int children) {
    sl_pq_schema_element e;
    memset(&e, 0, sizeof e);
    e.name = name;
    e.name_len = (uint32_t)strlen(name);
    if (rep >= 0) {
        e.has_repetition = true;
        e.repetition_type = rep;
    }
    if (type >= 0) {
        e.has_type = true;
        e.type = type;
    }
    if (children) {
        e.has_num_children = true;
        e.num_children = children;
    }
    return e;
}

/* Logical annotations to try on the leaf (by byte 2, bits 3-6). */
static void annotate(sl_pq_schema_element *e, unsigned pick) {
    static const int converted[] = {-1,
                                    SL_PQ_CT_UTF8,
                                    SL_PQ_CT_DECIMAL,
                                    SL_PQ_CT_DATE,
                                    SL_PQ_CT_TIME_MILLIS,
                                    SL_PQ_CT_TIME_MICROS,
                                    SL_PQ_CT_TIMESTAMP_MILLIS,
                                    SL_PQ_CT_TIMESTAMP_MICROS,
                                    SL_PQ_CT_UINT_32,
                                    SL_PQ_CT_UINT_64,
                                    SL_PQ_CT_INTERVAL,
                                    SL_PQ_CT_JSON};
    unsigned n = sizeof converted / sizeof converted[0];
    if (pick % (n + 3) < n) {
        int ct = converted[pick % (n + 3)];
        if (ct < 0) return;
        e->has_converted_type = true;
        e->converted_type = ct;
        e->has_scale = true;
        e->scale = (int32_t)(pick % 5);
        return;
    }
    switch (pick % (n + 3) - n) {
    case 0: e->logical_type.kind = SL_PQ_LT_UUID; break;
    case 1: e->logical_type.kind = SL_PQ_LT_FLOAT16; break;
    default:
        e->logical_type.kind = SL_PQ_LT_TIMESTAMP;
        e->logical_type.unit = SL_PQ_NANOS;
        break;
    }
}

/* Mode odd: one column chunk (the input) behind a footer of our own. */
static void read_chunk(const uint8_t *data, size_t len) {
    if (len < 4) return;
    int type = data[0] % 8;
    unsigned shape = data[1] % 5, ann = data[1] >> 3;
    int codecs[] = {SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_ZSTD, SL_PQ_LZ4_RAW};
    int codec = codecs[data[2] % 5];
    int64_t rows = data[3];
    data += 4;
    len -= 4;

    sl_pq_schema_element s[6];
    uint32_t n = 0;
    int leaf_type = type;
    s[n++] = elem("schema", -1, -1, 1);
    switch (shape) {
    case 0: s[n++] = elem("v", SL_PQ_REQUIRED, leaf_type, 0); break;
    case 1: s[n++] = elem("v", SL_PQ_OPTIONAL, leaf_type, 0); break;
    case 2:
        s[n] = elem("l", SL_PQ_OPTIONAL, -1, 1);
        s[n].logical_type.kind = SL_PQ_LT_LIST;
        n++;
        s[n++] = elem("list", SL_PQ_REPEATED, -1, 1);
        s[n++] = elem("element", SL_PQ_OPTIONAL, leaf_type, 0);
        break;
    case 3:
        s[n] = elem("m", SL_PQ_OPTIONAL, -1, 1);
        s[n].logical_type.kind = SL_PQ_LT_MAP;
        n++;
        s[n++] = elem("key_value", SL_PQ_REPEATED, -1, 1);
        s[n++] = elem("key", SL_PQ_REQUIRED, leaf_type, 0);
        break;
    default:
        s[n++] = elem("r", SL_PQ_REPEATED, -1, 1);
        s[n++] = elem("st", SL_PQ_OPTIONAL, -1, 1);
        s[n++] = elem("v", SL_PQ_OPTIONAL, leaf_type, 0);
        break;
    }
    sl_pq_schema_element *lf = &s[n - 1];
    if (type == SL_PQ_FIXED_LEN_BYTE_ARRAY) {
        lf->has_type_length = true;
        lf->type_length = 1 + ann % 17;
    }
    annotate(lf, ann);

    const char *path[4] = {"v"};
    uint32_t path_len[4];
    uint32_t n_path = 0;
    for (uint32_t i = 1; i < n; i++) {
        path[n_path] = s[i].name;
        path_len[n_path++] = s[i].name_len;
    }
    sl_buf file;
    sl_buf_init(&file, SL_BUF_UNLIMITED);
    sl_buf_adds(&file, "PAR1");
    sl_buf_add(&file, data, len);
    sl_pq_encoding enc = SL_PQ_ENC_PLAIN;
    sl_pq_column_chunk chunk;
    memset(&chunk, 0, sizeof chunk);
    chunk.has_meta_data = true;
    chunk.file_offset = 4;
    sl_pq_column_meta *m = &chunk.meta_data;
    m->type = type;
    m->n_encodings = 1;
    m->encodings = &enc;
    m->n_path = n_path;
    m->path = path;
    m->path_len = path_len;
    m->codec = codec;
    m->num_values = rows;
    m->total_compressed_size = m->total_uncompressed_size = (int64_t)len;
    m->data_page_offset = 4;
    sl_pq_row_group rg;
    memset(&rg, 0, sizeof rg);
    rg.n_columns = 1;
    rg.columns = &chunk;
    rg.num_rows = rows;
    sl_pq_file_meta fm;
    memset(&fm, 0, sizeof fm);
    fm.version = 1;
    fm.n_schema = n;
    fm.schema = s;
    fm.num_rows = rows;
    fm.n_row_groups = 1;
    fm.row_groups = &rg;
    size_t start = file.len;
    if (sl_pq_file_meta_encode(&fm, &file) == 0) {
        uint32_t flen = (uint32_t)(file.len - start);
        uint8_t tail[8] = {
            (uint8_t)flen, (uint8_t)(flen >> 8), (uint8_t)(flen >> 16), (uint8_t)(flen >> 24), 'P', 'A', 'R', '1'};
        sl_buf_add(&file, tail, 8);
        uint8_t *exact = sl_xmalloc(file.len); /* exact size: the sanitizer sees any overread */
        memcpy(exact, file.data, file.len);
        read_all(exact, file.len, NULL);
        free(exact);
    }
    sl_buf_free(&file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t mode = data[0];
    if (mode & 1) {
        read_chunk(data + 1, size - 1);
        return 0;
    }
    sl_format_opts o;
    sl_format_opts_default(&o);
    sl_value items[2] = {sl_string("id", 2, 0), sl_string("l", 1, 0)};
    sl_value cols = sl_list(items, 2);
    if (mode & 2) o.columns = &cols;
    if (mode & 4) o.predicate = "id > 3 and (s = 'text 1' or dt is null) or st.a between 2 and 5 or id in (1, 2)";
    uint8_t *exact = sl_xmalloc(size);
    memcpy(exact, data + 1, size - 1);
    read_all(exact, size - 1, &o);
    free(exact);
    return 0;
}
