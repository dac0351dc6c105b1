/* test_thrift.c — unit tests for formats/thrift (compact protocol) and
 * formats/parquet_meta (Parquet's metadata structs on top of it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "formats/parquet_meta.h"
#include "formats/thrift.h"

static void expect_bytes(const sl_buf *b, const uint8_t *want, size_t n) {
    assert_int_equal(b->len, n);
    assert_memory_equal(b->data, want, n);
}

/* ---- wire format, byte by byte (examples from the compact protocol spec) ---- */

static void test_varint_zigzag(void **state) {
    uint8_t p[10];
    assert_int_equal(sl_thrift_put_uvarint(p, 0), 1);
    assert_int_equal(p[0], 0);
    assert_int_equal(sl_thrift_put_uvarint(p, 300), 2);
    assert_int_equal(p[0], 0xAC);
    assert_int_equal(p[1], 0x02);
    assert_int_equal(sl_thrift_put_uvarint(p, UINT64_MAX), 10);
    assert_int_equal(sl_thrift_zigzag64(0), 0);
    assert_int_equal(sl_thrift_zigzag64(-1), 1);
    assert_int_equal(sl_thrift_zigzag64(1), 2);
    assert_int_equal(sl_thrift_zigzag64(-2), 3);
    assert_true(sl_thrift_zigzag64(INT64_MIN) == UINT64_MAX);
    int64_t samples[] = {0, 1, -1, 63, -64, 1 << 20, INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        assert_true(sl_thrift_unzigzag64(sl_thrift_zigzag64(samples[i])) == samples[i]);
}

static void test_field_headers(void **state) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_thrift_writer w;
    sl_thrift_writer_init(&w, &b);
    sl_thrift_struct_begin(&w);
    sl_thrift_field_i32(&w, 1, 3);           /* delta 1: 0x15, zigzag(3) = 6 */
    sl_thrift_field_bool(&w, 2, true);       /* delta 1, type TRUE: 0x11 */
    sl_thrift_field_bool(&w, 3, false);      /* 0x12 */
    sl_thrift_field_i64(&w, 20, -1);         /* delta 17 > 15: long form 0x06, zigzag id 40 = 0x28, value 1 */
    sl_thrift_field_binary(&w, 21, "ab", 2); /* 0x18 0x02 'a' 'b' */
    sl_thrift_field_i8(&w, 5, -2);           /* id below the last: long form 0x03 0x0A 0xFE */
    sl_thrift_struct_end(&w);                /* 0x00 */
    assert_int_equal(w.status, 0);
    const uint8_t want[] = {0x15, 0x06, 0x11, 0x12, 0x06, 0x28, 0x01, 0x18, 0x02, 'a', 'b', 0x03, 0x0A, 0xFE, 0x00};
    expect_bytes(&b, want, sizeof want);
    sl_buf_free(&b);
}

static void test_lists_and_nesting(void **state) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_thrift_writer w;
    sl_thrift_writer_init(&w, &b);
    sl_thrift_struct_begin(&w);
    sl_thrift_field_list_begin(&w, 1, SL_THRIFT_I32, 2); /* 0x19, 0x25 */
    sl_thrift_write_i32(&w, 1);
    sl_thrift_write_i32(&w, -1);
    sl_thrift_field_list_begin(&w, 2, SL_THRIFT_BINARY, 15); /* 0x19, 0xF8 0x0F */
    for (int i = 0; i < 15; i++)
        sl_thrift_write_binary(&w, "", 0);
    sl_thrift_field_struct_begin(&w, 3); /* 0x1C */
    sl_thrift_field_i16(&w, 1, 7);       /* nested ids start again at 0: 0x14 0x0E */
    sl_thrift_struct_end(&w);
    sl_thrift_field_double(&w, 4, 1.0); /* 0x17 + 8 bytes LE */
    sl_thrift_struct_end(&w);
    assert_int_equal(w.status, 0);
    uint8_t want[64];
    size_t n = 0;
    want[n++] = 0x19, want[n++] = 0x25, want[n++] = 0x02, want[n++] = 0x01;
    want[n++] = 0x19, want[n++] = 0xF8, want[n++] = 0x0F;
    for (int i = 0; i < 15; i++)
        want[n++] = 0;
    want[n++] = 0x1C, want[n++] = 0x14, want[n++] = 0x0E, want[n++] = 0x00;
    want[n++] = 0x17;
    const uint8_t one[8] = {0, 0, 0, 0, 0, 0, 0xF0, 0x3F};
    memcpy(want + n, one, 8);
    n += 8;
    want[n++] = 0x00;
    expect_bytes(&b, want, n);

    /* and read back */
    sl_thrift_reader r;
    sl_thrift_reader_init(&r, b.data, b.len);
    int type, et;
    int16_t id;
    uint32_t count;
    assert_int_equal(sl_thrift_struct_begin_read(&r), 0);
    assert_int_equal(sl_thrift_read_field(&r, &type, &id), 1);
    assert_int_equal(type, SL_THRIFT_LIST);
    assert_int_equal(id, 1);
    assert_int_equal(sl_thrift_read_list_begin(&r, &et, &count), 0);
    assert_int_equal(et, SL_THRIFT_I32);
    assert_int_equal(count, 2);
    int32_t v;
    assert_int_equal(sl_thrift_read_i32(&r, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(sl_thrift_read_i32(&r, &v), 0);
    assert_int_equal(v, -1);
    assert_int_equal(sl_thrift_read_field(&r, &type, &id), 1);
    assert_int_equal(id, 2);
    assert_int_equal(sl_thrift_skip(&r, type), 0); /* the 15 strings */
    assert_int_equal(sl_thrift_read_field(&r, &type, &id), 1);
    assert_int_equal(id, 3);
    assert_int_equal(sl_thrift_skip(&r, type), 0);
    assert_int_equal(sl_thrift_read_field(&r, &type, &id), 1);
    assert_int_equal(id, 4);
    double d;
    assert_int_equal(sl_thrift_read_double(&r, &d), 0);
    assert_true(d == 1.0);
    assert_int_equal(sl_thrift_read_field(&r, &type, &id), 0);
    assert_int_equal(sl_thrift_reader_pos(&r), b.len);
    sl_buf_free(&b);
}

static void test_bool_fields_and_lists(void **state) {
    /* bool field values live in the header; bool list elements are bytes */
    const uint8_t in[] = {0x11, 0x12, 0x19, 0x31, 0x01, 0x02, 0x01, 0x00};
    sl_thrift_reader r;
    sl_thrift_reader_init(&r, in, sizeof in);
    int type, et;
    int16_t id;
    bool v;
    uint32_t n;
    assert_int_equal(sl_thrift_struct_begin_read(&r), 0);
    assert_int_equal(sl_thrift_read_field(&r, &type, &id), 1);
    assert_int_equal(sl_thrift_read_bool(&r, &v), 0);
    assert_true(v);
    assert_int_equal(sl_thrift_read_field(&r, &type, &id), 1);
    assert_int_equal(id, 2);
    assert_int_equal(sl_thrift_read_bool(&r, &v), 0);
    assert_false(v);
    assert_int_equal(sl_thrift_read_field(&r, &type, &id), 1);
    assert_int_equal(sl_thrift_read_list_begin(&r, &et, &n), 0);
    assert_int_equal(n, 3);
    bool want[] = {true, false, true};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sl_thrift_read_bool(&r, &v), 0);
        assert_int_equal(v, want[i]);
    }
    assert_int_equal(sl_thrift_read_field(&r, &type, &id), 0);
}

static void test_skip_every_type(void **state) {
    /* a struct with one field of each type, all unknown to the reader */
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_thrift_writer w;
    sl_thrift_writer_init(&w, &b);
    sl_thrift_struct_begin(&w);
    sl_thrift_field_bool(&w, 1, true);
    sl_thrift_field_i8(&w, 2, 9);
    sl_thrift_field_i16(&w, 3, -300);
    sl_thrift_field_i32(&w, 4, 70000);
    sl_thrift_field_i64(&w, 5, INT64_MIN);
    sl_thrift_field_double(&w, 6, 2.5);
    sl_thrift_field_binary(&w, 7, "xyz", 3);
    sl_thrift_field_list_begin(&w, 8, SL_THRIFT_STRUCT, 2);
    for (int i = 0; i < 2; i++) {
        sl_thrift_struct_begin(&w);
        sl_thrift_field_list_begin(&w, 1, SL_THRIFT_TRUE, 2);
        sl_thrift_write_bool(&w, true);
        sl_thrift_write_bool(&w, false);
        sl_thrift_struct_end(&w);
    }
    sl_thrift_struct_end(&w);
    size_t struct_len = b.len;
    /* a map<i32,string> {1: "a"} and an empty map, hand-encoded */
    const uint8_t maps[] = {0x01, 0x58, 0x02, 0x01, 'a', 0x00};
    sl_buf_add(&b, maps, sizeof maps);
    sl_thrift_reader r;
    sl_thrift_reader_init(&r, b.data, b.len);
    assert_int_equal(sl_thrift_skip(&r, SL_THRIFT_STRUCT), 0);
    assert_int_equal(sl_thrift_reader_pos(&r), struct_len);
    assert_int_equal(sl_thrift_skip(&r, SL_THRIFT_MAP), 0);
    assert_int_equal(sl_thrift_skip(&r, SL_THRIFT_MAP), 0);
    assert_int_equal(sl_thrift_reader_pos(&r), b.len);
    assert_int_equal(r.status, 0);
    sl_buf_free(&b);
}

/* ---- malformed input: errors, never reads past the end ---- */

static void test_truncations_fail_cleanly(void **state) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_thrift_writer w;
    sl_thrift_writer_init(&w, &b);
    sl_thrift_struct_begin(&w);
    sl_thrift_field_i64(&w, 1, 123456789012LL);
    sl_thrift_field_binary(&w, 2, "hello", 5);
    sl_thrift_field_double(&w, 3, 3.5);
    sl_thrift_field_list_begin(&w, 4, SL_THRIFT_I32, 3);
    for (int i = 0; i < 3; i++)
        sl_thrift_write_i32(&w, i * 1000);
    sl_thrift_struct_end(&w);
    for (size_t len = 0; len < b.len; len++) {
        /* a copy of exactly len bytes, so ASan sees any over-read */
        uint8_t *cut = malloc(len ? len : 1);
        memcpy(cut, b.data, len);
        sl_thrift_reader r;
        sl_thrift_reader_init(&r, cut, len);
        assert_int_equal(sl_thrift_skip(&r, SL_THRIFT_STRUCT), SL_EPARSE);
        assert_int_equal(r.status, SL_EPARSE);
        assert_non_null(r.what);
        free(cut);
    }
    sl_buf_free(&b);
}

static void test_malformed_inputs(void **state) {
    struct {
        const char *what;
        uint8_t bytes[16];
        size_t len;
        int type;
    } cases[] = {
        {"overlong varint", {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, 11, SL_THRIFT_I64},
        {"varint overflowing 64 bits", {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, 10, SL_THRIFT_I64},
        {"string longer than the data", {0x10, 'a'}, 2, SL_THRIFT_BINARY},
        {"list longer than the data", {0xF5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 6, SL_THRIFT_LIST},
        {"unknown field type", {0x1D, 0x00}, 2, SL_THRIFT_STRUCT},
        {"unknown list element type", {0x1E}, 1, SL_THRIFT_LIST},
        {"map longer than the data", {0xFF, 0x0F, 0x55}, 3, SL_THRIFT_MAP},
        {"unknown type to skip", {0x00}, 1, 13},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_thrift_reader r;
        sl_thrift_reader_init(&r, cases[i].bytes, cases[i].len);
        int rc = sl_thrift_skip(&r, cases[i].type);
        if (rc != SL_EPARSE) fail_msg("%s: accepted", cases[i].what);
    }
    /* out-of-range i32 */
    uint8_t big[] = {0x80, 0x80, 0x80, 0x80, 0x20}; /* zigzag 2^33 */
    sl_thrift_reader r;
    sl_thrift_reader_init(&r, big, sizeof big);
    int32_t v;
    assert_int_equal(sl_thrift_read_i32(&r, &v), SL_EPARSE);
    /* the error is sticky */
    int64_t v64;
    assert_int_equal(sl_thrift_read_i64(&r, &v64), SL_EPARSE);
}

static void test_nesting_limit(void **state) {
    /* 100 nested structs (field 1 of type struct each): refused, not a stack overflow */
    uint8_t deep[202];
    for (int i = 0; i < 100; i++)
        deep[i] = 0x1C;
    for (int i = 100; i < 202; i++)
        deep[i] = 0x00;
    sl_thrift_reader r;
    sl_thrift_reader_init(&r, deep, sizeof deep);
    assert_int_equal(sl_thrift_skip(&r, SL_THRIFT_STRUCT), SL_EPARSE);
    /* lists of lists likewise */
    uint8_t lists[100];
    for (int i = 0; i < 100; i++)
        lists[i] = 0x19;
    sl_thrift_reader_init(&r, lists, sizeof lists);
    assert_int_equal(sl_thrift_skip(&r, SL_THRIFT_LIST), SL_EPARSE);
    /* the writer refuses too */
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_thrift_writer w;
    sl_thrift_writer_init(&w, &b);
    for (int i = 0; i < SL_THRIFT_MAX_DEPTH + 5; i++)
        sl_thrift_struct_begin(&w);
    for (int i = 0; i < SL_THRIFT_MAX_DEPTH + 5; i++)
        sl_thrift_struct_end(&w);
    assert_int_equal(w.status, SL_ELIMIT);
    sl_buf_free(&b);
}

static void test_writer_buffer_limit(void **state) {
    sl_buf b;
    sl_buf_init(&b, 8);
    sl_thrift_writer w;
    sl_thrift_writer_init(&w, &b);
    sl_thrift_struct_begin(&w);
    sl_thrift_field_binary(&w, 1, "0123456789", 10);
    sl_thrift_struct_end(&w);
    assert_int_equal(w.status, SL_ELIMIT);
    sl_buf_free(&b);
}

/* ---- Parquet metadata structs ---- */

static sl_pq_file_meta sample_meta(sl_arena *a) {
    sl_pq_file_meta f;
    memset(&f, 0, sizeof f);
    f.version = 1;
    f.n_schema = 4;
    f.schema = sl_arena_calloc(a, 4 * sizeof *f.schema);
    f.schema[0] = (sl_pq_schema_element){.name = "schema", .name_len = 6, .has_num_children = true, .num_children = 3};
    f.schema[1] = (sl_pq_schema_element){.name = "ts",
                                         .name_len = 2,
                                         .has_type = true,
                                         .type = SL_PQ_INT64,
                                         .has_repetition = true,
                                         .repetition_type = SL_PQ_OPTIONAL,
                                         .has_converted_type = true,
                                         .converted_type = SL_PQ_CT_TIMESTAMP_MICROS};
    f.schema[1].logical_type =
        (sl_pq_logical_type){.kind = SL_PQ_LT_TIMESTAMP, .is_adjusted_to_utc = true, .unit = SL_PQ_MICROS};
    f.schema[2] = (sl_pq_schema_element){.name = "amount",
                                         .name_len = 6,
                                         .has_type = true,
                                         .type = SL_PQ_FIXED_LEN_BYTE_ARRAY,
                                         .has_type_length = true,
                                         .type_length = 9,
                                         .has_repetition = true,
                                         .repetition_type = SL_PQ_REQUIRED,
                                         .has_scale = true,
                                         .scale = 4,
                                         .has_precision = true,
                                         .precision = 20};
    f.schema[2].logical_type =
        (sl_pq_logical_type){.kind = SL_PQ_LT_DECIMAL, .decimal_scale = 4, .decimal_precision = 20};
    f.schema[3] = (sl_pq_schema_element){.name = "n",
                                         .name_len = 1,
                                         .has_type = true,
                                         .type = SL_PQ_INT32,
                                         .has_repetition = true,
                                         .repetition_type = SL_PQ_REPEATED};
    f.schema[3].logical_type = (sl_pq_logical_type){.kind = SL_PQ_LT_INTEGER, .bit_width = 16, .is_signed = false};
    f.num_rows = 1234567;
    f.n_row_groups = 2;
    f.row_groups = sl_arena_calloc(a, 2 * sizeof *f.row_groups);
    for (int g = 0; g < 2; g++) {
        sl_pq_row_group *rg = &f.row_groups[g];
        rg->num_rows = g ? 1234567 - 1000000 : 1000000;
        rg->total_byte_size = 5000000 + g;
        rg->has_file_offset = rg->has_total_compressed_size = rg->has_ordinal = true;
        rg->file_offset = 4 + g * 100000;
        rg->total_compressed_size = 90000;
        rg->ordinal = (int16_t)g;
        rg->n_columns = 1;
        rg->columns = sl_arena_calloc(a, sizeof *rg->columns);
        sl_pq_column_chunk *c = rg->columns;
        c->file_offset = rg->file_offset;
        c->has_meta_data = true;
        sl_pq_column_meta *m = &c->meta_data;
        m->type = SL_PQ_INT64;
        static sl_pq_encoding encs[] = {SL_PQ_ENC_RLE, SL_PQ_ENC_PLAIN, SL_PQ_ENC_RLE_DICTIONARY};
        m->encodings = encs;
        m->n_encodings = 3;
        static const char *path[] = {"ts"};
        static uint32_t path_len[] = {2};
        m->path = path;
        m->path_len = path_len;
        m->n_path = 1;
        m->codec = SL_PQ_SNAPPY;
        m->num_values = rg->num_rows;
        m->total_uncompressed_size = 123456789012LL;
        m->total_compressed_size = 90000;
        m->data_page_offset = rg->file_offset + 50;
        m->has_dictionary_page_offset = true;
        m->dictionary_page_offset = rg->file_offset;
        m->has_statistics = true;
        static const uint8_t lo[8] = {1}, hi[8] = {0xFF, 0xFF, 0, 0, 0, 0, 0, 0};
        m->statistics = (sl_pq_statistics){.has_null_count = true,
                                           .null_count = 17,
                                           .has_min_value = true,
                                           .min_value = lo,
                                           .min_value_len = 8,
                                           .has_max_value = true,
                                           .max_value = hi,
                                           .max_value_len = 8};
        static sl_pq_page_encoding_stats es[] = {{SL_PQ_DICTIONARY_PAGE, SL_PQ_ENC_PLAIN, 1},
                                                 {SL_PQ_DATA_PAGE, SL_PQ_ENC_RLE_DICTIONARY, 12}};
        m->encoding_stats = es;
        m->n_encoding_stats = 2;
    }
    static sl_pq_key_value kv[] = {{.key = "k", .key_len = 1, .has_value = true, .value = "v1", .value_len = 2},
                                   {.key = "nokey", .key_len = 5}};
    f.key_value = kv;
    f.n_key_value = 2;
    f.created_by = "sluice version test";
    f.created_by_len = (uint32_t)strlen(f.created_by);
    f.write_column_orders = true;
    return f;
}

static void test_file_meta_round_trip(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    sl_pq_file_meta f = sample_meta(&a);
    sl_buf b;
    sl_buf_init(&b, 0);
    assert_int_equal(sl_pq_file_meta_encode(&f, &b), 0);

    sl_pq_file_meta g;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_pq_file_meta_decode(b.data, b.len, &a, &g, &err), 0);
    assert_int_equal(g.version, 1);
    assert_int_equal(g.n_schema, 4);
    assert_int_equal(g.schema[0].num_children, 3);
    assert_false(g.schema[0].has_type);
    assert_memory_equal(g.schema[1].name, "ts", 2);
    assert_int_equal(g.schema[1].logical_type.kind, SL_PQ_LT_TIMESTAMP);
    assert_true(g.schema[1].logical_type.is_adjusted_to_utc);
    assert_int_equal(g.schema[1].logical_type.unit, SL_PQ_MICROS);
    assert_int_equal(g.schema[1].converted_type, SL_PQ_CT_TIMESTAMP_MICROS);
    assert_int_equal(g.schema[2].type, SL_PQ_FIXED_LEN_BYTE_ARRAY);
    assert_int_equal(g.schema[2].type_length, 9);
    assert_int_equal(g.schema[2].repetition_type, SL_PQ_REQUIRED);
    assert_int_equal(g.schema[2].logical_type.kind, SL_PQ_LT_DECIMAL);
    assert_int_equal(g.schema[2].logical_type.decimal_precision, 20);
    assert_int_equal(g.schema[2].logical_type.decimal_scale, 4);
    assert_int_equal(g.schema[3].repetition_type, SL_PQ_REPEATED);
    assert_int_equal(g.schema[3].logical_type.kind, SL_PQ_LT_INTEGER);
    assert_int_equal(g.schema[3].logical_type.bit_width, 16);
    assert_false(g.schema[3].logical_type.is_signed);
    assert_int_equal(g.num_rows, 1234567);
    assert_int_equal(g.n_row_groups, 2);
    assert_int_equal(g.row_groups[1].num_rows, 234567);
    assert_int_equal(g.row_groups[1].ordinal, 1);
    assert_int_equal(g.row_groups[1].file_offset, 100004);
    const sl_pq_column_meta *m = &g.row_groups[1].columns[0].meta_data;
    assert_int_equal(m->type, SL_PQ_INT64);
    assert_int_equal(m->n_encodings, 3);
    assert_int_equal(m->encodings[2], SL_PQ_ENC_RLE_DICTIONARY);
    assert_int_equal(m->n_path, 1);
    assert_memory_equal(m->path[0], "ts", 2);
    assert_int_equal(m->codec, SL_PQ_SNAPPY);
    assert_true(m->total_uncompressed_size == 123456789012LL);
    assert_true(m->has_dictionary_page_offset);
    assert_int_equal(m->dictionary_page_offset, 100004);
    assert_int_equal(m->data_page_offset, 100054);
    assert_true(m->has_statistics);
    assert_int_equal(m->statistics.null_count, 17);
    assert_int_equal(m->statistics.max_value_len, 8);
    assert_int_equal(m->statistics.max_value[0], 0xFF);
    assert_false(m->statistics.has_min); /* the deprecated fields are not written */
    assert_int_equal(m->n_encoding_stats, 2);
    assert_int_equal(m->encoding_stats[1].count, 12);
    assert_int_equal(g.n_key_value, 2);
    assert_memory_equal(g.key_value[0].value, "v1", 2);
    assert_false(g.key_value[1].has_value);
    assert_memory_equal(g.created_by, "sluice version test", g.created_by_len);
    assert_int_equal(g.n_column_orders, 3); /* one per leaf */

    /* every truncation is an error with a message, never a crash */
    for (size_t len = 0; len < b.len; len++) {
        uint8_t *cut = malloc(len ? len : 1);
        memcpy(cut, b.data, len);
        sl_error_clear(&err);
        assert_int_equal(sl_pq_file_meta_decode(cut, len, &a, &g, &err), SL_EPARSE);
        assert_non_null(strstr(err.message, "parquet footer"));
        free(cut);
    }
    sl_buf_free(&b);
    sl_arena_free(&a);
}

static void test_page_header_round_trip(void **state) {
    sl_pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = SL_PQ_DATA_PAGE_V2;
    h.uncompressed_page_size = 1 << 20;
    h.compressed_page_size = 300000;
    h.has_crc = true;
    h.crc = -5;
    h.has_data_page_header_v2 = true;
    h.data_page_header_v2 = (sl_pq_data_page_header_v2){.num_values = 1000,
                                                        .num_nulls = 3,
                                                        .num_rows = 900,
                                                        .encoding = SL_PQ_ENC_RLE_DICTIONARY,
                                                        .definition_levels_byte_length = 12,
                                                        .repetition_levels_byte_length = 7,
                                                        .is_compressed = false,
                                                        .has_statistics = true};
    h.data_page_header_v2.statistics.has_null_count = true;
    h.data_page_header_v2.statistics.null_count = 3;
    sl_buf b;
    sl_buf_init(&b, 0);
    assert_int_equal(sl_pq_page_header_encode(&h, &b), 0);
    sl_buf_add(&b, "payload", 7); /* the page data follows the header */
    sl_pq_page_header g;
    size_t hlen;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_pq_page_header_decode(b.data, b.len, &g, &hlen, &err), 0);
    assert_int_equal(hlen, b.len - 7);
    assert_int_equal(g.type, SL_PQ_DATA_PAGE_V2);
    assert_int_equal(g.crc, -5);
    assert_true(g.has_data_page_header_v2);
    assert_int_equal(g.data_page_header_v2.num_rows, 900);
    assert_int_equal(g.data_page_header_v2.repetition_levels_byte_length, 7);
    assert_false(g.data_page_header_v2.is_compressed);
    assert_int_equal(g.data_page_header_v2.statistics.null_count, 3);

    /* v1 and dictionary headers */
    memset(&h, 0, sizeof h);
    h.type = SL_PQ_DICTIONARY_PAGE;
    h.has_dictionary_page_header = true;
    h.dictionary_page_header.num_values = 42;
    h.dictionary_page_header.encoding = SL_PQ_ENC_PLAIN;
    sl_buf_reset(&b);
    assert_int_equal(sl_pq_page_header_encode(&h, &b), 0);
    assert_int_equal(sl_pq_page_header_decode(b.data, b.len, &g, &hlen, &err), 0);
    assert_int_equal(g.dictionary_page_header.num_values, 42);
    assert_false(g.has_data_page_header);

    /* a missing required field */
    const uint8_t no_sizes[] = {0x15, 0x00, 0x00}; /* type only */
    assert_int_equal(sl_pq_page_header_decode(no_sizes, sizeof no_sizes, &g, &hlen, &err), SL_EPARSE);
    assert_non_null(strstr(err.message, "parquet page header"));
    /* a negative size */
    const uint8_t negative[] = {0x15, 0x00, 0x15, 0x01, 0x15, 0x02, 0x00};
    assert_int_equal(sl_pq_page_header_decode(negative, sizeof negative, &g, &hlen, &err), SL_EPARSE);
    sl_buf_free(&b);
}

static void test_unknown_fields_are_skipped(void **state) {
    /* A SchemaElement with fields from a future format version around the known ones. */
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_thrift_writer w;
    sl_thrift_writer_init(&w, &b);
    sl_thrift_struct_begin(&w);
    sl_thrift_field_i32(&w, 1, SL_PQ_BYTE_ARRAY);
    sl_thrift_field_binary(&w, 4, "name", 4);
    sl_thrift_field_begin(&w, SL_THRIFT_STRUCT, 10); /* LogicalType with an unknown member 40 */
    sl_thrift_struct_begin(&w);
    sl_thrift_field_struct_begin(&w, 40);
    sl_thrift_field_i64(&w, 1, 5);
    sl_thrift_struct_end(&w);
    sl_thrift_struct_end(&w);
    sl_thrift_field_list_begin(&w, 30, SL_THRIFT_DOUBLE, 2);
    sl_thrift_struct_end(&w);
    /* the list's doubles, written raw */
    assert_int_equal(w.status, 0);
    sl_buf c;
    sl_buf_init(&c, 0);
    sl_buf_add(&c, b.data, b.len - 1); /* without the stop byte */
    for (int i = 0; i < 16; i++)
        sl_buf_addc(&c, 0);
    sl_buf_addc(&c, 0); /* stop */
    sl_thrift_reader r;
    sl_thrift_reader_init(&r, c.data, c.len);
    sl_arena a;
    sl_arena_init(&a);
    sl_pq_schema_element e;
    assert_int_equal(sl_pq_schema_element_read(&r, &a, &e), 0);
    assert_int_equal(e.type, SL_PQ_BYTE_ARRAY);
    assert_memory_equal(e.name, "name", 4);
    assert_int_equal(e.logical_type.kind, SL_PQ_LT_NONE);
    assert_int_equal(sl_thrift_reader_pos(&r), c.len);
    sl_arena_free(&a);
    sl_buf_free(&b);
    sl_buf_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_zigzag),          cmocka_unit_test(test_field_headers),
        cmocka_unit_test(test_lists_and_nesting),      cmocka_unit_test(test_bool_fields_and_lists),
        cmocka_unit_test(test_skip_every_type),        cmocka_unit_test(test_truncations_fail_cleanly),
        cmocka_unit_test(test_malformed_inputs),       cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_writer_buffer_limit),    cmocka_unit_test(test_file_meta_round_trip),
        cmocka_unit_test(test_page_header_round_trip), cmocka_unit_test(test_unknown_fields_are_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
