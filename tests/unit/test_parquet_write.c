/* test_parquet_write.c — unit tests for formats/parquet_write (the Parquet
 * writer). A small reader in this file (footer through parquet_meta, pages,
 * RLE/bit-packed levels, PLAIN and dictionary values, every codec) turns
 * each column back into text: one "r<rep>d<def>[:value]" token per level
 * entry, so the Dremel levels of nested data are checked exactly. DuckDB
 * checks the same files independently in tests/e2e/test_parquet.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libdeflate.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "core/arena.h"
#include "core/mem.h"
#include "formats/json.h"
#include "formats/parquet.h"
#include "formats/parquet_meta.h"

/* ---- writing ---- */

typedef struct written {
    sl_buf file;
    sl_arena arena; /* parsed records and decoded metadata */
    sl_pq_file_meta meta;
    int finish_rc;
    sl_error err;
    uint64_t dropped;
} written;

static sl_parquet_write_opts opts_none(void) {
    sl_parquet_write_opts o;
    sl_parquet_write_opts_default(&o);
    o.codec = SL_PQ_UNCOMPRESSED;
    return o;
}

static sl_value parse(sl_arena *a, const char *json) {
    sl_value v;
    sl_error err;
    sl_error_clear(&err);
    if (sl_json_parse(json, strlen(json), a, &v, &err)) fail_msg("bad test JSON %s: %s", json, err.message);
    return v;
}

/* Encode the JSON records (NULL-terminated list); *rcs receives encode's
 * status per record when not NULL. Decodes the footer when finish worked. */
static void write_json(written *w, const sl_parquet_write_opts *o, const char **records, int *rcs) {
    memset(w, 0, sizeof *w);
    sl_buf_init(&w->file, 0);
    sl_arena_init(&w->arena);
    void *enc;
    assert_int_equal(sl_parquet_encoder_new_opts(o, &enc, NULL), 0);
    for (int i = 0; records[i]; i++) {
        sl_value rec = parse(&w->arena, records[i]);
        sl_error e;
        sl_error_clear(&e);
        size_t mark = w->file.len;
        int rc = sl_parquet_encode(enc, &w->file, &rec, &e);
        if (rc) assert_int_equal(w->file.len, mark); /* nothing written for a rejected record */
        if (rcs)
            rcs[i] = rc;
        else if (rc)
            fail_msg("record %d rejected: %s", i, e.message);
    }
    sl_error_clear(&w->err);
    w->finish_rc = sl_parquet_encode_finish(enc, &w->file, &w->err);
    w->dropped = sl_parquet_encoder_dropped(enc);
    sl_parquet_encoder_free(enc);
    if (w->finish_rc) return;
    const uint8_t *f = (const uint8_t *)w->file.data;
    size_t n = w->file.len;
    assert_true(n >= 12);
    assert_memory_equal(f, "PAR1", 4);
    assert_memory_equal(f + n - 4, "PAR1", 4);
    uint32_t flen = f[n - 8] | f[n - 7] << 8 | f[n - 6] << 16 | (uint32_t)f[n - 5] << 24;
    assert_true(flen <= n - 12);
    sl_error err;
    sl_error_clear(&err);
    if (sl_pq_file_meta_decode(f + n - 8 - flen, flen, &w->arena, &w->meta, &err)) fail_msg("footer: %s", err.message);
}

static void written_free(written *w) {
    sl_buf_free(&w->file);
    sl_arena_free(&w->arena);
}

/* ---- reading back (test-only) ---- */

static uint8_t *decompress(int codec, const uint8_t *src, size_t n, size_t want) {
    uint8_t *out = sl_xmalloc(want + 1);
    size_t got = 0;
    switch (codec) {
    case SL_PQ_UNCOMPRESSED:
        assert_int_equal(n, want);
        memcpy(out, src, n);
        got = n;
        break;
    case SL_PQ_SNAPPY:
        got = want;
        assert_int_equal(snappy_uncompress((const char *)src, n, (char *)out, &got), SNAPPY_OK);
        break;
    case SL_PQ_GZIP: {
        struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
        assert_int_equal(libdeflate_gzip_decompress(d, src, n, out, want, &got), LIBDEFLATE_SUCCESS);
        libdeflate_free_decompressor(d);
        break;
    }
    case SL_PQ_ZSTD:
        got = ZSTD_decompress(out, want, src, n);
        assert_false(ZSTD_isError(got));
        break;
    default: fail_msg("codec %d", codec);
    }
    assert_int_equal(got, want);
    return out;
}

static uint64_t uleb(const uint8_t **p, const uint8_t *end) {
    uint64_t v = 0;
    for (int s = 0; *p < end; s += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7F) << s;
        if (!(b & 0x80)) return v;
    }
    fail_msg("truncated varint in page");
    return 0;
}

/* RLE/bit-packed hybrid → n values. */
static void hybrid_decode(const uint8_t *p, const uint8_t *end, int width, uint32_t *out, size_t n) {
    size_t k = 0;
    while (k < n) {
        assert_true(p < end);
        uint64_t h = uleb(&p, end);
        if (h & 1) {
            size_t count = (h >> 1) * 8;
            uint64_t acc = 0;
            int bits = 0;
            for (size_t i = 0; i < count; i++) {
                while (bits < width) {
                    assert_true(p < end);
                    acc |= (uint64_t)*p++ << bits;
                    bits += 8;
                }
                uint32_t v = (uint32_t)(acc & ((1ULL << width) - 1));
                acc >>= width;
                bits -= width;
                if (k < n) out[k++] = v;
            }
        } else {
            size_t count = h >> 1;
            uint32_t v = 0;
            for (int i = 0; i < (width + 7) / 8; i++)
                v |= (uint32_t)*p++ << (8 * i);
            for (size_t i = 0; i < count && k < n; i++)
                out[k++] = v;
        }
    }
}

static int width_of(int max) {
    int w = 0;
    while (max)
        w++, max >>= 1;
    return w;
}

/* Text of one PLAIN value at *p (advanced). */
static void plain_value(const sl_pq_schema_element *el, const uint8_t **p, sl_buf *out, int *bool_bit) {
    char tmp[64];
    int64_t i64;
    int32_t i32;
    double d;
    switch (el->type) {
    case SL_PQ_BOOLEAN:
        sl_buf_adds(out, ((*p)[*bool_bit / 8] >> (*bool_bit % 8)) & 1 ? "true" : "false");
        ++*bool_bit;
        return;
    case SL_PQ_INT32:
        memcpy(&i32, *p, 4);
        *p += 4;
        snprintf(tmp, sizeof tmp, "%d", i32);
        break;
    case SL_PQ_INT64:
        memcpy(&i64, *p, 8);
        *p += 8;
        snprintf(tmp, sizeof tmp, "%lld", (long long)i64);
        break;
    case SL_PQ_DOUBLE:
        memcpy(&d, *p, 8);
        *p += 8;
        snprintf(tmp, sizeof tmp, "%g", d);
        break;
    case SL_PQ_BYTE_ARRAY: {
        uint32_t len;
        memcpy(&len, *p, 4);
        sl_buf_add(out, *p + 4, len);
        *p += 4 + len;
        return;
    }
    case SL_PQ_FIXED_LEN_BYTE_ARRAY:
        sl_buf_addc(out, 'x');
        for (int i = 0; i < el->type_length; i++)
            sl_buf_printf(out, "%02x", (*p)[i]);
        *p += el->type_length;
        return;
    default: fail_msg("type %d", el->type);
    }
    sl_buf_adds(out, tmp);
}

typedef struct leaf {
    const sl_pq_schema_element *el;
    int max_def, max_rep;
} leaf;

/* The index-th leaf of the schema with its maximum levels. */
static leaf find_leaf(const sl_pq_file_meta *m, int index) {
    int seen = 0;
    /* walk the flattened tree keeping per-depth remaining children */
    int remaining[64], defs[64], reps[64], depth = 0;
    remaining[0] = m->schema[0].num_children;
    defs[0] = reps[0] = 0;
    for (uint32_t i = 1; i < m->n_schema; i++) {
        while (remaining[depth] == 0)
            depth--;
        remaining[depth]--;
        const sl_pq_schema_element *el = &m->schema[i];
        int d = defs[depth] + (el->repetition_type != SL_PQ_REQUIRED);
        int r = reps[depth] + (el->repetition_type == SL_PQ_REPEATED);
        if (el->has_num_children && el->num_children > 0) {
            depth++;
            remaining[depth] = el->num_children;
            defs[depth] = d;
            reps[depth] = r;
        } else if (seen++ == index) {
            return (leaf){el, d, r};
        }
    }
    fail_msg("no leaf %d", index);
    return (leaf){0};
}

/* Every level entry of column `col` over all row groups, as text. */
static char *dump_column(const written *w, int col) {
    const sl_pq_file_meta *m = &w->meta;
    leaf lf = find_leaf(m, col);
    sl_buf out;
    sl_buf_init(&out, 0);
    const uint8_t *file = (const uint8_t *)w->file.data;
    for (uint32_t g = 0; g < m->n_row_groups; g++) {
        const sl_pq_column_meta *cm = &m->row_groups[g].columns[col].meta_data;
        int64_t pos = cm->has_dictionary_page_offset ? cm->dictionary_page_offset : cm->data_page_offset;
        int64_t end = pos + cm->total_compressed_size;
        int64_t levels_seen = 0;
        sl_buf dict_text[1]; /* dictionary values as NUL-separated text */
        sl_buf_init(dict_text, 0);
        size_t dict_n = 0;
        size_t *dict_off = NULL;
        while (pos < end) {
            sl_pq_page_header h;
            size_t hlen;
            sl_error err;
            sl_error_clear(&err);
            if (sl_pq_page_header_decode(file + pos, (size_t)(end - pos), &h, &hlen, &err))
                fail_msg("page header: %s", err.message);
            const uint8_t *data = file + pos + hlen;
            pos += (int64_t)hlen + h.compressed_page_size;
            if (h.type == SL_PQ_DICTIONARY_PAGE) {
                uint8_t *raw = decompress(cm->codec, data, h.compressed_page_size, h.uncompressed_page_size);
                const uint8_t *p = raw;
                dict_n = h.dictionary_page_header.num_values;
                dict_off = sl_xcalloc(dict_n + 1, sizeof *dict_off);
                int bit = 0;
                for (size_t i = 0; i < dict_n; i++) {
                    dict_off[i] = dict_text->len;
                    plain_value(lf.el, &p, dict_text, &bit);
                    sl_buf_addc(dict_text, 0);
                }
                free(raw);
                continue;
            }
            bool v2 = h.type == SL_PQ_DATA_PAGE_V2;
            size_t n = v2 ? h.data_page_header_v2.num_values : h.data_page_header.num_values;
            int enc = v2 ? h.data_page_header_v2.encoding : h.data_page_header.encoding;
            uint8_t *raw;
            const uint8_t *p, *pend;
            uint32_t *rep = sl_xcalloc(n + 1, sizeof *rep), *def = sl_xcalloc(n + 1, sizeof *def);
            if (v2) {
                size_t rl = h.data_page_header_v2.repetition_levels_byte_length;
                size_t dl = h.data_page_header_v2.definition_levels_byte_length;
                if (lf.max_rep) hybrid_decode(data, data + rl, width_of(lf.max_rep), rep, n);
                hybrid_decode(data + rl, data + rl + dl, width_of(lf.max_def), def, n);
                size_t vlen = h.uncompressed_page_size - rl - dl;
                raw = h.data_page_header_v2.is_compressed
                          ? decompress(cm->codec, data + rl + dl, h.compressed_page_size - rl - dl, vlen)
                          : decompress(SL_PQ_UNCOMPRESSED, data + rl + dl, vlen, vlen);
                p = raw;
                pend = raw + vlen;
            } else {
                raw = decompress(cm->codec, data, h.compressed_page_size, h.uncompressed_page_size);
                p = raw;
                pend = raw + h.uncompressed_page_size;
                uint32_t len;
                if (lf.max_rep) {
                    memcpy(&len, p, 4);
                    hybrid_decode(p + 4, p + 4 + len, width_of(lf.max_rep), rep, n);
                    p += 4 + len;
                }
                memcpy(&len, p, 4);
                hybrid_decode(p + 4, p + 4 + len, width_of(lf.max_def), def, n);
                p += 4 + len;
            }
            size_t nvals = 0;
            for (size_t i = 0; i < n; i++)
                nvals += def[i] == (uint32_t)lf.max_def;
            uint32_t *idx = NULL;
            if (enc == SL_PQ_ENC_RLE_DICTIONARY && nvals) {
                assert_non_null(dict_off);
                int width = *p++;
                idx = sl_xcalloc(nvals, sizeof *idx);
                hybrid_decode(p, pend, width, idx, nvals);
            } else if (nvals) {
                assert_int_equal(enc, SL_PQ_ENC_PLAIN);
            }
            int bit = 0;
            size_t vi = 0;
            for (size_t i = 0; i < n; i++) {
                if (out.len) sl_buf_addc(&out, ' ');
                sl_buf_printf(&out, "r%ud%u", rep[i], def[i]);
                if (def[i] != (uint32_t)lf.max_def) continue;
                sl_buf_addc(&out, ':');
                if (idx) {
                    assert_true(idx[vi] < dict_n);
                    sl_buf_adds(&out, dict_text->data + dict_off[idx[vi]]);
                } else {
                    plain_value(lf.el, &p, &out, &bit);
                }
                vi++;
            }
            levels_seen += (int64_t)n;
            free(idx);
            free(raw);
            free(rep);
            free(def);
        }
        assert_int_equal(pos, end);
        assert_int_equal(levels_seen, cm->num_values);
        free(dict_off);
        sl_buf_free(dict_text);
    }
    char *s = sl_xstrdup(out.data ? out.data : "");
    sl_buf_free(&out);
    return s;
}

static void expect_column(const written *w, int col, const char *want) {
    char *got = dump_column(w, col);
    if (strcmp(got, want)) fail_msg("column %d:\n got  %s\n want %s", col, got, want);
    free(got);
}

static const sl_pq_schema_element *elem(const written *w, const char *name) {
    for (uint32_t i = 0; i < w->meta.n_schema; i++)
        if (w->meta.schema[i].name_len == strlen(name) && !memcmp(w->meta.schema[i].name, name, strlen(name)))
            return &w->meta.schema[i];
    fail_msg("no schema element %s", name);
    return NULL;
}

/* ---- tests ---- */

static void test_flat_types(void **state) {
    const char *recs[] = {
        "{\"b\":true,\"i\":1,\"f\":1.5,\"s\":\"x\"}",
        "{\"b\":false,\"i\":-2,\"f\":-0.25,\"s\":\"\"}",
        "{\"b\":null,\"s\":\"héllo\"}",
        NULL,
    };
    sl_parquet_write_opts o = opts_none();
    written w;
    write_json(&w, &o, recs, NULL);
    assert_int_equal(w.finish_rc, 0);
    assert_int_equal(w.meta.num_rows, 3);
    assert_int_equal(w.meta.n_row_groups, 1);
    assert_int_equal(w.meta.n_schema, 5);
    assert_int_equal(w.meta.schema[0].num_children, 4);
    assert_false(w.meta.schema[0].has_repetition);
    assert_int_equal(elem(&w, "b")->type, SL_PQ_BOOLEAN);
    assert_int_equal(elem(&w, "i")->type, SL_PQ_INT64);
    assert_int_equal(elem(&w, "f")->type, SL_PQ_DOUBLE);
    assert_int_equal(elem(&w, "s")->type, SL_PQ_BYTE_ARRAY);
    assert_int_equal(elem(&w, "s")->logical_type.kind, SL_PQ_LT_STRING);
    assert_int_equal(elem(&w, "s")->converted_type, SL_PQ_CT_UTF8);
    assert_int_equal(elem(&w, "i")->repetition_type, SL_PQ_OPTIONAL);
    assert_memory_equal(w.meta.created_by, "sluice version", 14);
    expect_column(&w, 0, "r0d1:true r0d1:false r0d0");
    expect_column(&w, 1, "r0d1:1 r0d1:-2 r0d0");
    expect_column(&w, 2, "r0d1:1.5 r0d1:-0.25 r0d0");
    expect_column(&w, 3, "r0d1:x r0d1: r0d1:héllo");
    /* chunk statistics */
    const sl_pq_statistics *st = &w.meta.row_groups[0].columns[1].meta_data.statistics;
    assert_int_equal(st->null_count, 1);
    int64_t lo, hi;
    memcpy(&lo, st->min_value, 8);
    memcpy(&hi, st->max_value, 8);
    assert_int_equal(lo, -2);
    assert_int_equal(hi, 1);
    st = &w.meta.row_groups[0].columns[3].meta_data.statistics;
    assert_int_equal(st->min_value_len, 0); /* "" */
    assert_memory_equal(st->max_value, "x", 1);
    assert_int_equal(st->null_count, 0);
    written_free(&w);
}

static void test_special_types(void **state) {
    /* dates, timestamps, binaries and decimals do not come from JSON: build them */
    sl_parquet_write_opts o = opts_none();
    sl_buf file;
    sl_buf_init(&file, 0);
    void *enc;
    assert_int_equal(sl_parquet_encoder_new_opts(&o, &enc, NULL), 0);
    sl_arena a;
    sl_arena_init(&a);
    const char *decs[] = {"12.5", "-0.125", "1e2", "99999999999999999999.5"};
    for (int i = 0; i < 4; i++) {
        sl_field *f = sl_arena_calloc(&a, 4 * sizeof *f);
        f[0] = (sl_field){.name = "d", .name_len = 1, .value = sl_date(19000 + i)};
        f[1] = (sl_field){.name = "t", .name_len = 1, .value = sl_timestamp(1700000000000000LL + i)};
        f[2] = (sl_field){.name = "bin", .name_len = 3, .value = sl_binary("\x00\xff", 2)};
        f[3] = (sl_field){.name = "dec", .name_len = 3, .value = sl_decimal(decs[i], strlen(decs[i]))};
        sl_value rec = sl_struct(f, 4);
        assert_int_equal(sl_parquet_encode(enc, &file, &rec, NULL), 0);
    }
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_parquet_encode_finish(enc, &file, &err), 0);
    sl_parquet_encoder_free(enc);
    written w = {.file = file};
    sl_arena_init(&w.arena);
    const uint8_t *p = (const uint8_t *)file.data;
    uint32_t flen;
    memcpy(&flen, p + file.len - 8, 4);
    assert_int_equal(sl_pq_file_meta_decode(p + file.len - 8 - flen, flen, &w.arena, &w.meta, &err), 0);
    const sl_pq_schema_element *e = elem(&w, "d");
    assert_int_equal(e->type, SL_PQ_INT32);
    assert_int_equal(e->logical_type.kind, SL_PQ_LT_DATE);
    e = elem(&w, "t");
    assert_int_equal(e->type, SL_PQ_INT64);
    assert_int_equal(e->logical_type.kind, SL_PQ_LT_TIMESTAMP);
    assert_true(e->logical_type.is_adjusted_to_utc);
    assert_int_equal(e->logical_type.unit, SL_PQ_MICROS);
    e = elem(&w, "bin");
    assert_int_equal(e->type, SL_PQ_BYTE_ARRAY);
    assert_int_equal(e->logical_type.kind, SL_PQ_LT_NONE);
    /* widest: 20 integer digits ("99999999999999999999.5") and 3 decimals → decimal(23,3) */
    e = elem(&w, "dec");
    assert_int_equal(e->type, SL_PQ_FIXED_LEN_BYTE_ARRAY);
    assert_int_equal(e->precision, 23);
    assert_int_equal(e->scale, 3);
    assert_int_equal(e->type_length, 10);
    assert_int_equal(e->logical_type.kind, SL_PQ_LT_DECIMAL);
    expect_column(&w, 0, "r0d1:19000 r0d1:19001 r0d1:19002 r0d1:19003");
    expect_column(&w, 1, "r0d1:1700000000000000 r0d1:1700000000000001 r0d1:1700000000000002 r0d1:1700000000000003");
    /* 12.500 → 12500 = 0x30d4; -0.125 → -125; 1e2 → 100000; the big one → 99999999999999999999500 */
    expect_column(&w, 3,
                  "r0d1:x000000000000000030d4 r0d1:xffffffffffffffffff83 r0d1:x000000000000000186a0 "
                  "r0d1:x152d02c7e14af67ffe0c");
    sl_arena_free(&a);
    written_free(&w);
}

static void test_small_decimal_and_later_values(void **state) {
    sl_parquet_write_opts o = opts_none();
    o.row_group_size = 1024; /* the first row group ends early: the schema is fixed */
    sl_buf file;
    sl_buf_init(&file, 0);
    void *enc;
    assert_int_equal(sl_parquet_encoder_new_opts(&o, &enc, NULL), 0);
    sl_arena a;
    sl_arena_init(&a);
    sl_error err;
    sl_error_clear(&err);
    /* first row group: 150 records of decimal(4,2) */
    for (int i = 0; i < 150; i++) {
        sl_field *f = sl_arena_calloc(&a, sizeof *f);
        f[0] = (sl_field){.name = "x", .name_len = 1, .value = sl_decimal("-12.34", 6)};
        sl_value rec = sl_struct(f, 1);
        assert_int_equal(sl_parquet_encode(enc, &file, &rec, &err), 0);
    }
    const char *later[] = {"1.5", "99.99", "100.00", "0.001", "0.010"};
    int want[] = {0, 0, SL_ETYPE, SL_ETYPE, 0};
    for (int i = 0; i < 5; i++) {
        sl_field *f = sl_arena_calloc(&a, sizeof *f);
        f[0] = (sl_field){.name = "x", .name_len = 1, .value = sl_decimal(later[i], strlen(later[i]))};
        sl_value rec = sl_struct(f, 1);
        sl_error_clear(&err);
        assert_int_equal(sl_parquet_encode(enc, &file, &rec, &err), want[i]);
        if (want[i]) assert_non_null(strstr(err.message, "decimal(4,2)"));
    }
    /* a long fits a decimal column; a string does not */
    sl_field f1 = {.name = "x", .name_len = 1, .value = sl_int(7)};
    sl_value rec = sl_struct(&f1, 1);
    assert_int_equal(sl_parquet_encode(enc, &file, &rec, &err), 0);
    sl_field f2 = {.name = "x", .name_len = 1, .value = sl_string("7", 1, 0)};
    rec = sl_struct(&f2, 1);
    sl_error_clear(&err);
    assert_int_equal(sl_parquet_encode(enc, &file, &rec, &err), SL_ETYPE);
    assert_non_null(strstr(err.message, "'x'"));
    assert_int_equal(sl_parquet_encode_finish(enc, &file, &err), 0);
    sl_parquet_encoder_free(enc);
    written w = {.file = file};
    sl_arena_init(&w.arena);
    const uint8_t *p = (const uint8_t *)file.data;
    uint32_t flen;
    memcpy(&flen, p + file.len - 8, 4);
    assert_int_equal(sl_pq_file_meta_decode(p + file.len - 8 - flen, flen, &w.arena, &w.meta, &err), 0);
    const sl_pq_schema_element *e = elem(&w, "x");
    assert_int_equal(e->type, SL_PQ_INT64);
    assert_int_equal(e->precision, 4);
    assert_int_equal(e->scale, 2);
    assert_int_equal(w.meta.num_rows, 154);
    assert_true(w.meta.n_row_groups >= 2);
    char *col = dump_column(&w, 0);
    assert_non_null(strstr(col, "r0d1:-1234 r0d1:150 r0d1:9999 r0d1:1 r0d1:700"));
    free(col);
    sl_arena_free(&a);
    written_free(&w);
}

static void test_nested_levels(void **state) {
    const char *recs[] = {
        "{\"st\":{\"a\":1,\"c\":{\"x\":\"p\"}},\"li\":[1,null,2],\"ls\":[{\"k\":\"a\"},null,{}],\"ll\":[[1],[],null]}",
        "{\"st\":null,\"li\":[],\"ls\":null,\"ll\":[]}",
        "{\"st\":{\"a\":null,\"c\":null},\"ls\":[],\"ll\":[[2,3]]}",
        "{}",
        NULL,
    };
    sl_parquet_write_opts o = opts_none();
    written w;
    write_json(&w, &o, recs, NULL);
    assert_int_equal(w.finish_rc, 0);
    /* schema: st{a, c{x}}, li LIST, ls LIST<{k}>, ll LIST<LIST> */
    assert_int_equal(elem(&w, "li")->converted_type, SL_PQ_CT_LIST);
    assert_int_equal(elem(&w, "li")->logical_type.kind, SL_PQ_LT_LIST);
    assert_int_equal(elem(&w, "list")->repetition_type, SL_PQ_REPEATED);
    /* st.a: max def 2 */
    expect_column(&w, 0, "r0d2:1 r0d0 r0d1 r0d0");
    /* st.c.x: max def 3 */
    expect_column(&w, 1, "r0d3:p r0d0 r0d1 r0d0");
    /* li.list.element: def 1 list, 2 entry, 3 value; rep 1 */
    expect_column(&w, 2, "r0d3:1 r1d2 r1d3:2 r0d1 r0d0 r0d0");
    /* ls.list.element.k: def 4 with a value; element null = 2, {} = 3 */
    expect_column(&w, 3, "r0d4:a r1d2 r1d3 r0d0 r0d1 r0d0");
    /* ll.list.element.list.element: max def 5, max rep 2 */
    expect_column(&w, 4, "r0d5:1 r1d3 r1d2 r0d1 r0d5:2 r2d5:3 r0d0");
    written_free(&w);
}

static void test_dictionary_and_plain(void **state) {
    /* 3000 records: a column of 3 values (dictionary) and a unique one (plain) */
    static char bufs[3000][80];
    const char *recs[3001];
    for (int i = 0; i < 3000; i++) {
        snprintf(bufs[i], sizeof bufs[i], "{\"lvl\":\"%s\",\"id\":\"id-%08d\",\"n\":%d}",
                 i % 3 == 0   ? "INFO"
                 : i % 3 == 1 ? "WARN"
                              : "ERROR",
                 i * 7919 % 3000, i);
        recs[i] = bufs[i];
    }
    recs[3000] = NULL;
    sl_parquet_write_opts o = opts_none();
    o.page_size = 4096;
    written w;
    write_json(&w, &o, recs, NULL);
    assert_int_equal(w.finish_rc, 0);
    const sl_pq_column_meta *lvl = &w.meta.row_groups[0].columns[0].meta_data;
    const sl_pq_column_meta *id = &w.meta.row_groups[0].columns[1].meta_data;
    assert_true(lvl->has_dictionary_page_offset);
    bool dict = false;
    for (uint32_t i = 0; i < lvl->n_encodings; i++)
        dict |= lvl->encodings[i] == SL_PQ_ENC_RLE_DICTIONARY;
    assert_true(dict);
    assert_false(id->has_dictionary_page_offset);
    for (uint32_t i = 0; i < id->n_encodings; i++)
        assert_int_not_equal(id->encodings[i], SL_PQ_ENC_RLE_DICTIONARY);
    /* values round-trip, through several pages */
    char *col = dump_column(&w, 0);
    assert_int_equal(strncmp(col, "r0d1:INFO r0d1:WARN r0d1:ERROR r0d1:INFO", 40), 0);
    free(col);
    col = dump_column(&w, 1);
    assert_non_null(strstr(col, "r0d1:id-00002162 r0d1:id-00001081"));
    free(col);
    /* statistics: min/max over the chunk */
    assert_memory_equal(lvl->statistics.min_value, "ERROR", 5);
    assert_memory_equal(lvl->statistics.max_value, "WARN", 4);
    assert_memory_equal(id->statistics.min_value, "id-00000000", 11);
    assert_memory_equal(id->statistics.max_value, "id-00002999", 11);
    written_free(&w);
}

static void test_dictionary_limit_fallback(void **state) {
    /* values repeat enough for a dictionary, but it outgrows its limit mid-chunk */
    static char bufs[4000][64];
    const char *recs[4001];
    for (int i = 0; i < 4000; i++) {
        snprintf(bufs[i], sizeof bufs[i], "{\"v\":\"value-%05d\"}", (i / 2) % 1500);
        recs[i] = bufs[i];
    }
    recs[4000] = NULL;
    sl_parquet_write_opts o = opts_none();
    o.page_size = 2048;
    o.dictionary_limit = 8192;
    written w;
    write_json(&w, &o, recs, NULL);
    assert_int_equal(w.finish_rc, 0);
    const sl_pq_column_meta *m = &w.meta.row_groups[0].columns[0].meta_data;
    assert_true(m->has_dictionary_page_offset);
    assert_int_equal(m->n_encoding_stats, 3); /* dictionary page, dictionary data pages, plain data pages */
    char *col = dump_column(&w, 0);
    char want[64];
    snprintf(want, sizeof want, "r0d1:value-%05d r0d1:value-%05d", 1999 % 1500, 1999 % 1500);
    assert_non_null(strstr(col, want));
    assert_non_null(strstr(col, "r0d1:value-00000 r0d1:value-00000 r0d1:value-00001"));
    free(col);
    written_free(&w);
}

static void test_row_groups_pages_v2_codecs(void **state) {
    static char bufs[2000][96];
    const char *recs[2001];
    for (int i = 0; i < 2000; i++) {
        snprintf(bufs[i], sizeof bufs[i], "{\"i\":%d,\"s\":\"%s\",\"l\":[%d,%d],\"b\":%s}", i,
                 i % 10 ? "some text here" : "other", i, -i, i % 3 ? "true" : "false");
        recs[i] = bufs[i];
    }
    recs[2000] = NULL;
    int codecs[] = {SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_ZSTD};
    for (int version = 1; version <= 2; version++)
        for (int c = 0; c < 4; c++) {
            sl_parquet_write_opts o = opts_none();
            o.codec = codecs[c];
            o.data_page_version = version;
            o.page_size = 1000;
            o.row_group_size = 8192;
            written w;
            write_json(&w, &o, recs, NULL);
            assert_int_equal(w.finish_rc, 0);
            assert_true(w.meta.n_row_groups > 3);
            int64_t rows = 0;
            for (uint32_t g = 0; g < w.meta.n_row_groups; g++) {
                const sl_pq_row_group *rg = &w.meta.row_groups[g];
                assert_int_equal(rg->columns[0].meta_data.codec, codecs[c]);
                /* per row group statistics of i: its first and last row */
                int64_t lo, hi;
                memcpy(&lo, rg->columns[0].meta_data.statistics.min_value, 8);
                memcpy(&hi, rg->columns[0].meta_data.statistics.max_value, 8);
                assert_int_equal(lo, rows);
                assert_int_equal(hi, rows + rg->num_rows - 1);
                rows += rg->num_rows;
            }
            assert_int_equal(rows, 2000);
            char *col = dump_column(&w, 0);
            assert_int_equal(strncmp(col, "r0d1:0 r0d1:1 r0d1:2", 20), 0);
            assert_non_null(strstr(col, "r0d1:1998 r0d1:1999"));
            free(col);
            col = dump_column(&w, 2);
            assert_non_null(strstr(col, "r0d3:1234 r1d3:-1234 r0d3:1235"));
            free(col);
            col = dump_column(&w, 3);
            assert_int_equal(strncmp(col, "r0d1:false r0d1:true r0d1:true r0d1:false", 41), 0);
            free(col);
            written_free(&w);
        }
}

static void test_plain_pages_with_long_levels(void **state) {
    /* PLAIN values after definition (and repetition) levels that take a few
     * bytes, more than 60 and more than 256 (snappy compresses the values
     * apart from the levels and joins them into one block: literal lengths
     * of every size), under every codec and both page versions, stored
     * compressed or raw; each page must read back exactly */
    static const int counts[] = {5, 700, 3000};
    int codecs[] = {SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_ZSTD};
    for (int n = 0; n < 6; n++) {
        int count = counts[n / 2];
        bool random = n % 2; /* random digits, which snappy cannot shrink: stored raw */
        char **bufs = sl_xcalloc((size_t)count, sizeof *bufs);
        const char **recs = sl_xcalloc((size_t)count + 1, sizeof *recs);
        sl_buf want_s, want_l;
        sl_buf_init(&want_s, 0);
        sl_buf_init(&want_l, 0);
        uint64_t x = 88172645463325252ULL;
        for (int i = 0; i < count; i++) {
            char s[40];
            if (random) {
                for (int k = 0; k < 32; k++) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    s[k] = "0123456789abcdef"[x & 15];
                }
                s[32] = '\0';
            } else {
                snprintf(s, sizeof s, "value number %d", i);
            }
            bufs[i] = sl_xmalloc(160);
            if (i % 3 == 1) {
                snprintf(bufs[i], 160, "{\"s\":null,\"l\":[]}");
                sl_buf_printf(&want_s, "%sr0d0", i ? " " : "");
                sl_buf_printf(&want_l, "%sr0d1", i ? " " : "");
            } else {
                snprintf(bufs[i], 160, "{\"s\":\"%s\",\"l\":[\"%s a\",null,\"%s b\"]}", s, s, s);
                sl_buf_printf(&want_s, "%sr0d1:%s", i ? " " : "", s);
                sl_buf_printf(&want_l, "%sr0d3:%s a r1d2 r1d3:%s b", i ? " " : "", s, s);
            }
            recs[i] = bufs[i];
        }
        for (int version = 1; version <= 2; version++)
            for (int c = 0; c < 4; c++) {
                sl_parquet_write_opts o = opts_none();
                o.codec = codecs[c];
                o.data_page_version = version;
                written w;
                write_json(&w, &o, recs, NULL);
                assert_int_equal(w.finish_rc, 0);
                int stored = w.meta.row_groups[0].columns[0].meta_data.codec;
                assert_int_equal(stored, codecs[c] == SL_PQ_SNAPPY && random ? SL_PQ_UNCOMPRESSED : codecs[c]);
                expect_column(&w, 0, want_s.data);
                expect_column(&w, 1, want_l.data);
                written_free(&w);
            }
        for (int i = 0; i < count; i++)
            free(bufs[i]);
        free(bufs);
        free(recs);
        sl_buf_free(&want_s);
        sl_buf_free(&want_l);
    }
}

static void test_incompressible_chunks_stay_raw(void **state) {
    /* random hex ids do not shrink under snappy: their chunk is stored raw;
     * repetitive text is compressed; gzip is always applied */
    static char bufs[3000][96];
    const char *recs[3001];
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 3000; i++) {
        char id[33];
        for (int k = 0; k < 32; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            id[k] = "0123456789abcdef"[x & 15];
        }
        id[32] = 0;
        snprintf(bufs[i], sizeof bufs[i], "{\"id\":\"%s\",\"text\":\"the same words again and again %d\"}", id, i % 3);
        recs[i] = bufs[i];
    }
    recs[3000] = NULL;
    int codecs[] = {SL_PQ_SNAPPY, SL_PQ_GZIP};
    for (int k = 0; k < 2; k++) {
        sl_parquet_write_opts o = opts_none();
        o.codec = codecs[k];
        o.page_size = 8192;
        written w;
        write_json(&w, &o, recs, NULL);
        assert_int_equal(w.finish_rc, 0);
        const sl_pq_column_meta *id = &w.meta.row_groups[0].columns[0].meta_data;
        const sl_pq_column_meta *text = &w.meta.row_groups[0].columns[1].meta_data;
        assert_int_equal(id->codec, k == 0 ? SL_PQ_UNCOMPRESSED : SL_PQ_GZIP);
        assert_int_equal(text->codec, codecs[k]);
        char *col = dump_column(&w, 0); /* reads each chunk with its own codec */
        char want[64];
        snprintf(want, sizeof want, "r0d1:%.32s", bufs[2999] + 7);
        assert_non_null(strstr(col, want));
        free(col);
        col = dump_column(&w, 1);
        assert_non_null(strstr(col, "r0d1:the same words again and again 2"));
        free(col);
        written_free(&w);
    }
}

static void test_page_statistics(void **state) {
    static char bufs[300][48];
    const char *recs[301];
    for (int i = 0; i < 300; i++) {
        if (i % 7 == 0)
            snprintf(bufs[i], sizeof bufs[i], "{\"v\":null}");
        else
            snprintf(bufs[i], sizeof bufs[i], "{\"v\":%d}", 1000 - i);
        recs[i] = bufs[i];
    }
    recs[300] = NULL;
    sl_parquet_write_opts o = opts_none();
    o.page_size = 512;
    written w;
    write_json(&w, &o, recs, NULL);
    assert_int_equal(w.finish_rc, 0);
    const sl_pq_column_meta *m = &w.meta.row_groups[0].columns[0].meta_data;
    const uint8_t *file = (const uint8_t *)w.file.data;
    int64_t pos = m->has_dictionary_page_offset ? m->dictionary_page_offset : m->data_page_offset;
    int64_t end = pos + m->total_compressed_size, nulls = 0;
    int pages = 0;
    while (pos < end) {
        sl_pq_page_header h;
        size_t hlen;
        assert_int_equal(sl_pq_page_header_decode(file + pos, (size_t)(end - pos), &h, &hlen, NULL), 0);
        pos += (int64_t)hlen + h.compressed_page_size;
        if (h.type != SL_PQ_DATA_PAGE) continue;
        pages++;
        assert_true(h.data_page_header.has_statistics);
        const sl_pq_statistics *st = &h.data_page_header.statistics;
        nulls += st->null_count;
        int64_t lo, hi;
        memcpy(&lo, st->min_value, 8);
        memcpy(&hi, st->max_value, 8);
        assert_true(lo <= hi);
        assert_true(lo > 700 && hi < 1000);
    }
    assert_true(pages > 2);
    assert_int_equal(nulls, 43);
    assert_int_equal(m->statistics.null_count, 43);
    int64_t lo, hi;
    memcpy(&lo, m->statistics.min_value, 8);
    memcpy(&hi, m->statistics.max_value, 8);
    assert_int_equal(lo, 701);
    assert_int_equal(hi, 999);
    written_free(&w);
}

static void test_long_string_bounds(void **state) {
    static char big[3][400];
    const char *recs[4];
    for (int i = 0; i < 3; i++) {
        memset(big[i], 0, sizeof big[i]);
        strcpy(big[i], "{\"s\":\"");
        memset(big[i] + 6, "mab"[i], 100);
        strcat(big[i], "\"}");
        recs[i] = big[i];
    }
    recs[3] = NULL;
    sl_parquet_write_opts o = opts_none();
    written w;
    write_json(&w, &o, recs, NULL);
    assert_int_equal(w.finish_rc, 0);
    const sl_pq_statistics *st = &w.meta.row_groups[0].columns[0].meta_data.statistics;
    assert_int_equal(st->min_value_len, 64); /* "aaa…" cut to 64 bytes: below every value */
    assert_int_equal(st->min_value[0], 'a');
    assert_int_equal(st->max_value_len, 64); /* "mmm…n": above every value */
    assert_int_equal(st->max_value[62], 'm');
    assert_int_equal(st->max_value[63], 'n');
    written_free(&w);
}

static void test_choice_fails_the_file(void **state) {
    const char *recs[] = {"{\"a\":{\"b\":1}}", "{\"a\":{\"b\":\"x\"}}", "{\"a\":{\"b\":2}}", NULL};
    int rcs[3];
    sl_parquet_write_opts o = opts_none();
    written w;
    write_json(&w, &o, recs, rcs);
    assert_int_equal(w.finish_rc, SL_EINVAL);
    assert_non_null(strstr(w.err.message, "'a.b'"));
    assert_non_null(strstr(w.err.message, "long, string"));
    written_free(&w);

    /* inside a list too */
    const char *recs2[] = {"{\"l\":[1,true]}", NULL};
    write_json(&w, &o, recs2, rcs);
    assert_int_equal(w.finish_rc, SL_EINVAL);
    assert_non_null(strstr(w.err.message, "'l[]'"));
    written_free(&w);

    /* long|double is widened to double */
    const char *recs3[] = {"{\"n\":1}", "{\"n\":2.5}", NULL};
    write_json(&w, &o, recs3, NULL);
    assert_int_equal(w.finish_rc, 0);
    assert_int_equal(elem(&w, "n")->type, SL_PQ_DOUBLE);
    expect_column(&w, 0, "r0d1:1 r0d1:2.5");
    written_free(&w);
}

static void test_later_records(void **state) {
    /* The first row group (1KB) fixes the schema; later: a new field is
     * dropped and counted, a mismatching record is rejected with nothing of it
     * written, nested mismatches too. */
    static char bufs[200][96];
    const char *recs[206];
    int n = 0;
    for (int i = 0; i < 200; i++) {
        snprintf(bufs[i], sizeof bufs[i], "{\"id\":%d,\"st\":{\"x\":\"v%d\"},\"l\":[%d]}", i, i, i);
        recs[n++] = bufs[i];
    }
    recs[n++] = "{\"id\":1000,\"st\":{\"x\":\"ok\"},\"l\":[1],\"extra\":1,\"more\":2}";
    recs[n++] = "{\"id\":1001,\"st\":{\"x\":5},\"l\":[1]}";           /* nested type mismatch */
    recs[n++] = "{\"id\":1002,\"st\":\"flat\",\"l\":[1]}";            /* struct expected */
    recs[n++] = "{\"id\":1003,\"st\":{\"x\":\"y\"},\"l\":[1,\"a\"]}"; /* list element */
    recs[n++] = "{\"id\":1004}";
    recs[n] = NULL;
    int rcs[206];
    sl_parquet_write_opts o = opts_none();
    o.row_group_size = 1024;
    written w;
    write_json(&w, &o, recs, rcs);
    assert_int_equal(w.finish_rc, 0);
    assert_int_equal(rcs[200], 0);
    assert_int_equal(rcs[201], SL_ETYPE);
    assert_int_equal(rcs[202], SL_ETYPE);
    assert_int_equal(rcs[203], SL_ETYPE);
    assert_int_equal(rcs[204], 0);
    assert_int_equal(w.dropped, 2);
    assert_int_equal(w.meta.num_rows, 202);
    char *col = dump_column(&w, 0);
    assert_non_null(strstr(col, "r0d1:199 r0d1:1000 r0d1:1004"));
    free(col);
    col = dump_column(&w, 1);
    assert_non_null(strstr(col, "r0d2:v199 r0d2:ok r0d0"));
    free(col);
    col = dump_column(&w, 2);
    assert_non_null(strstr(col, "r0d3:199 r0d3:1 r0d0"));
    free(col);
    written_free(&w);
}

/* Data pages of column col in row group rg: the number of level entries of
 * each, in file order. */
static int page_values(const written *w, uint32_t rg, int col, int32_t *counts, int max) {
    const sl_pq_column_meta *m = &w->meta.row_groups[rg].columns[col].meta_data;
    const uint8_t *file = (const uint8_t *)w->file.data;
    int64_t pos = m->has_dictionary_page_offset ? m->dictionary_page_offset : m->data_page_offset;
    int64_t end = pos + m->total_compressed_size;
    int n = 0;
    while (pos < end) {
        sl_pq_page_header h;
        size_t hlen;
        assert_int_equal(sl_pq_page_header_decode(file + pos, (size_t)(end - pos), &h, &hlen, NULL), 0);
        pos += (int64_t)hlen + h.compressed_page_size;
        if (h.type != SL_PQ_DATA_PAGE) continue;
        assert_true(n < max);
        counts[n++] = h.data_page_header.num_values;
    }
    return n;
}

static void test_pages_end_at_page_size(void **state) {
    /* Pages end after the first record that brings their values (PLAIN
     * size, plus a byte per null) to page_size, column by column: "s" takes
     * 4 + 10 bytes a value, "t" 4 + 100, "n" 8 or a null (1). */
    static char bufs[1000][200];
    const char *recs[1001];
    for (int i = 0; i < 1000; i++) {
        char t[101];
        memset(t, 'a' + i % 26, 100);
        t[100] = 0;
        if (i % 2)
            snprintf(bufs[i], sizeof bufs[i], "{\"s\":\"s-%08d\",\"t\":\"%s\",\"n\":%d}", i, t, i);
        else
            snprintf(bufs[i], sizeof bufs[i], "{\"s\":\"s-%08d\",\"t\":\"%s\",\"n\":null}", i, t);
        recs[i] = bufs[i];
    }
    recs[1000] = NULL;
    sl_parquet_write_opts o = opts_none();
    o.page_size = 1000;
    written w;
    write_json(&w, &o, recs, NULL);
    assert_int_equal(w.finish_rc, 0);
    assert_int_equal(w.meta.n_row_groups, 1);
    int32_t counts[200];
    int n = page_values(&w, 0, 0, counts, 200); /* 72 * 14 = 1008 >= 1000 */
    for (int i = 0; i < n - 1; i++)
        assert_int_equal(counts[i], 72);
    assert_int_equal(counts[n - 1], 1000 - 72 * (n - 1));
    n = page_values(&w, 0, 1, counts, 200); /* 10 * 104 = 1040 */
    for (int i = 0; i < n - 1; i++)
        assert_int_equal(counts[i], 10);
    assert_int_equal(n, 100);
    n = page_values(&w, 0, 2, counts, 200); /* pairs of 8 + 1 bytes: 111 pairs = 999, then one more record */
    for (int i = 0; i < n - 1; i++)
        assert_int_equal(counts[i], 223);
    written_free(&w);
}

static void test_rejected_records_leave_no_trace(void **state) {
    /* Records rejected part-way (after some of their values were buffered:
     * in dictionary and plain columns, lists, nulls, across page and row
     * group ends) leave the columns exactly as if they had never come. */
    static char bufs[3000][160];
    const char *all[3001], *good[3001];
    int rcs[3001], n_all = 0, n_good = 0;
    for (int i = 0; i < 2400; i++) {
        char *b = bufs[i];
        int k = i % 4;
        snprintf(b, sizeof bufs[i],
                 "{\"lvl\":\"%s\",\"id\":\"id-%06d-%s\",\"n\":%s,\"tags\":[%s],\"st\":{\"x\":%d,\"y\":%s}}",
                 k == 0   ? "INFO"
                 : k == 1 ? "WARN"
                          : "ERROR",
                 i * 7919 % 2400, i % 3 ? "abcdefghij" : "xy", i % 5 ? "12" : "null",
                 k == 0   ? ""
                 : k == 1 ? "\"a\""
                 : k == 2 ? "\"b\",\"c\""
                          : "\"d\",null,\"e\"",
                 i, i % 7 ? "true" : "null");
        all[n_all++] = b;
        good[n_good++] = b;
        if (i >= 1000 && i % 29 == 0) { /* a bad record after this good one */
            char *bad = bufs[2400 + (n_all - n_good)];
            switch (i % 4) {
            case 0: /* list element of the wrong type after two good ones */
                snprintf(bad, 160, "{\"lvl\":\"BAD\",\"id\":\"bad-%d\",\"n\":1,\"tags\":[\"p\",\"q\",7]}", i);
                break;
            case 1: /* nested field */
                snprintf(bad, 160, "{\"lvl\":\"BAD\",\"id\":\"bad-%d\",\"tags\":[\"z\"],\"st\":{\"x\":\"no\"}}", i);
                break;
            case 2: /* last field */
                snprintf(bad, 160, "{\"lvl\":\"BAD\",\"id\":\"bad-%d\",\"n\":2,\"tags\":[],\"st\":{\"x\":1,\"y\":3}}",
                         i);
                break;
            default: /* first field */ snprintf(bad, 160, "{\"lvl\":5}"); break;
            }
            all[n_all++] = bad;
        }
    }
    all[n_all] = good[n_good] = NULL;
    assert_true(n_all - n_good > 40);
    sl_parquet_write_opts o = opts_none();
    o.page_size = 1500;
    o.row_group_size = 24 << 10;
    o.dictionary_limit = 2048; /* "id" gives its dictionary up mid-chunk */
    written a, b;
    write_json(&a, &o, all, rcs);
    write_json(&b, &o, good, NULL);
    if (a.finish_rc) fail_msg("%s", a.err.message);
    assert_int_equal(b.finish_rc, 0);
    int rejected = 0;
    for (int i = 0; i < n_all; i++)
        rejected += rcs[i] == SL_ETYPE;
    assert_int_equal(rejected, n_all - n_good);
    assert_int_equal(a.meta.num_rows, n_good);
    assert_int_equal(a.meta.n_row_groups, b.meta.n_row_groups);
    assert_true(a.meta.n_row_groups > 2);
    for (int c = 0; c < 6; c++) {
        char *x = dump_column(&a, c), *y = dump_column(&b, c);
        if (strcmp(x, y)) fail_msg("column %d differs after rejected records", c);
        free(x);
        free(y);
        for (uint32_t g = 0; g < a.meta.n_row_groups; g++) {
            int32_t pa[400], pb[400];
            int na = page_values(&a, g, c, pa, 400), nb = page_values(&b, g, c, pb, 400);
            assert_int_equal(na, nb);
            assert_memory_equal(pa, pb, (size_t)na * sizeof *pa);
        }
    }
    written_free(&a);
    written_free(&b);
}

/* Encode n generated records: into one growing buffer (drain false), or
 * the way write_file does it (drain true: out is written away and emptied
 * after every call). */
static void encode_generated(sl_buf *file, int n, bool drain) {
    sl_parquet_write_opts o;
    sl_parquet_write_opts_default(&o); /* snappy */
    o.row_group_size = 2 << 20;
    void *enc;
    assert_int_equal(sl_parquet_encoder_new_opts(&o, &enc, NULL), 0);
    sl_buf out;
    sl_buf_init(&out, 0);
    sl_buf *dst = drain ? &out : file;
    char text[400];
    for (int i = 0; i < n; i++) {
        int len = snprintf(text, sizeof text, "%d:", i);
        uint32_t x = (uint32_t)i * 2654435761u + 1;
        for (int k = 0; k < 300; k++) { /* letters at random: snappy leaves them as they are */
            x = x * 1103515245u + 12345u;
            text[len++] = (char)('a' + (x >> 16) % 26);
        }
        sl_field f[3] = {{.name = "id", .name_len = 2, .value = sl_int(i)},
                         {.name = "text", .name_len = 4, .value = sl_string(text, (uint32_t)len, 0)},
                         {.name = "lvl", .name_len = 3, .value = sl_string(i % 3 ? "INFO" : "WARN", 4, 0)}};
        sl_value rec = sl_struct(f, 3);
        assert_int_equal(sl_parquet_encode(enc, dst, &rec, NULL), 0);
        if (drain && out.len) {
            sl_buf_add(file, out.data, out.len);
            sl_buf_reset(&out);
        }
    }
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_parquet_encode_finish(enc, dst, &err), 0);
    if (drain && out.len) sl_buf_add(file, out.data, out.len);
    sl_parquet_encoder_free(enc);
    sl_buf_free(&out);
}

static void test_output_drained_and_pooled(void **state) {
    /* Several row groups of big column chunks, emitted a step per record;
     * files written one after another reuse pooled buffers. Every way gives
     * the same bytes. */
    sl_buf a, b, c;
    sl_buf_init(&a, 0);
    sl_buf_init(&b, 0);
    sl_buf_init(&c, 0);
    encode_generated(&a, 30000, false);
    encode_generated(&b, 30000, true);
    encode_generated(&c, 30000, true);
    assert_true(a.len > (6 << 20));
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_int_equal(a.len, c.len);
    assert_memory_equal(a.data, c.data, a.len);
    written w = {.file = a};
    sl_arena_init(&w.arena);
    const uint8_t *p = (const uint8_t *)a.data;
    uint32_t flen;
    memcpy(&flen, p + a.len - 8, 4);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_pq_file_meta_decode(p + a.len - 8 - flen, flen, &w.arena, &w.meta, &err), 0);
    assert_true(w.meta.n_row_groups >= 3);
    assert_int_equal(w.meta.num_rows, 30000);
    char *col = dump_column(&w, 0);
    assert_int_equal(strncmp(col, "r0d1:0 r0d1:1 r0d1:2 ", 21), 0);
    assert_non_null(strstr(col, "r0d1:29998 r0d1:29999"));
    free(col);
    written_free(&w);
    sl_buf_free(&b);
    sl_buf_free(&c);
}

static void test_empty_and_odd_inputs(void **state) {
    /* no records: a valid file with a root-only schema */
    const char *none[] = {NULL};
    sl_parquet_write_opts o = opts_none();
    written w;
    write_json(&w, &o, none, NULL);
    assert_int_equal(w.finish_rc, 0);
    assert_int_equal(w.meta.n_schema, 1);
    assert_int_equal(w.meta.n_row_groups, 0);
    assert_int_equal(w.meta.num_rows, 0);
    written_free(&w);

    /* fields that hold only nulls or empty structs */
    const char *recs[] = {"{\"a\":null,\"e\":{},\"le\":[],\"k\":1}", "{\"a\":null,\"e\":{},\"le\":[{}],\"k\":2}", NULL};
    write_json(&w, &o, recs, NULL);
    assert_int_equal(w.finish_rc, 0);
    assert_int_equal(elem(&w, "a")->type, SL_PQ_BYTE_ARRAY); /* null-only: a string column */
    assert_int_equal(w.meta.schema[0].num_children, 2);      /* e and le (empty structs) are left out */
    expect_column(&w, 0, "r0d0 r0d0");
    expect_column(&w, 1, "r0d1:1 r0d1:2");
    written_free(&w);

    /* a record that is not a struct */
    void *enc;
    assert_int_equal(sl_parquet_encoder_new_opts(&o, &enc, NULL), 0);
    sl_buf out;
    sl_buf_init(&out, 0);
    sl_value v = sl_int(3);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_parquet_encode(enc, &out, &v, &err), SL_ETYPE);
    sl_parquet_encoder_free(enc);
    sl_buf_free(&out);
}

static void test_options(void **state) {
    sl_format_opts fo;
    sl_format_opts_default(&fo);
    sl_parquet_write_opts o;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_parquet_write_opts_from(&fo, &o, &err), 0);
    assert_int_equal(o.codec, SL_PQ_SNAPPY);
    assert_int_equal(o.data_page_version, 1);
    fo.parquet_compression = "zstd";
    fo.row_group_size = 1 << 20;
    fo.page_size = 4096;
    fo.data_page_version = 2;
    assert_int_equal(sl_parquet_write_opts_from(&fo, &o, &err), 0);
    assert_int_equal(o.codec, SL_PQ_ZSTD);
    assert_int_equal(o.row_group_size, 1 << 20);
    assert_int_equal(o.page_size, 4096);
    assert_int_equal(o.data_page_version, 2);
    fo.parquet_compression = "lz4";
    assert_int_equal(sl_parquet_write_opts_from(&fo, &o, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "lz4"));
    fo.parquet_compression = "none";
    fo.data_page_version = 3;
    assert_int_equal(sl_parquet_write_opts_from(&fo, &o, &err), SL_EINVAL);
    fo.data_page_version = 1;
    fo.page_size = 10;
    assert_int_equal(sl_parquet_write_opts_from(&fo, &o, &err), SL_EINVAL);
    int codec;
    assert_int_equal(sl_parquet_codec_parse("uncompressed", &codec), 0);
    assert_int_equal(codec, SL_PQ_UNCOMPRESSED);
    assert_int_equal(sl_parquet_codec_parse("gzip", &codec), 0);
    assert_int_equal(codec, SL_PQ_GZIP);
    /* the registry knows the format */
    const sl_format *f = sl_format_find("parquet");
    assert_non_null(f);
    assert_string_equal(f->out_ext, ".parquet");
    assert_non_null(f->encode_finish);
    assert_ptr_equal(sl_format_for_path("x/part-0.parquet"), f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flat_types),
        cmocka_unit_test(test_special_types),
        cmocka_unit_test(test_small_decimal_and_later_values),
        cmocka_unit_test(test_nested_levels),
        cmocka_unit_test(test_dictionary_and_plain),
        cmocka_unit_test(test_dictionary_limit_fallback),
        cmocka_unit_test(test_row_groups_pages_v2_codecs),
        cmocka_unit_test(test_plain_pages_with_long_levels),
        cmocka_unit_test(test_incompressible_chunks_stay_raw),
        cmocka_unit_test(test_page_statistics),
        cmocka_unit_test(test_long_string_bounds),
        cmocka_unit_test(test_choice_fails_the_file),
        cmocka_unit_test(test_later_records),
        cmocka_unit_test(test_pages_end_at_page_size),
        cmocka_unit_test(test_rejected_records_leave_no_trace),
        cmocka_unit_test(test_output_drained_and_pooled),
        cmocka_unit_test(test_empty_and_odd_inputs),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
