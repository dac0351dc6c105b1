/* test_parquet_read.c — unit tests for the Parquet reader (formats/parquet_read.c):
 * files DuckDB wrote (tests/data/parquet/, made by gen.sql there: every type,
 * nested columns, v1/v2 pages, every codec, dictionary and plain) read to the
 * expected values; files built here page by page for what DuckDB does not
 * write (DELTA_BYTE_ARRAY, RLE booleans, BIT_PACKED levels, legacy lists and
 * maps, INT96, long decimals); projection; row-group skipping; batch
 * boundaries; round trips through the writer; and truncated, corrupt and
 * foreign files, which must fail with a message naming the file — never crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/batch.h"
#include "core/mem.h"
#include "formats/json.h"
#include "formats/parquet.h"
#include "formats/parquet_meta.h"
#include "store/store.h"
#include "test_util.h"

/* ---- helpers ---- */

static char *data_path(const char *name) {
    const char *top = getenv("SLUICE_TOP");
    char *p = sl_xmalloc(4096);
    snprintf(p, 4096, "%s%stests/data/parquet/%s", top ? top : "", top ? "/" : "", name);
    return p;
}

static char *load(const char *name, size_t *len) {
    char *path = data_path(name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s (run from the repository root or set SLUICE_TOP)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = sl_xmalloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    free(path);
    *len = (size_t)n;
    return buf;
}

typedef struct result {
    int rc;
    sl_error err;
    sl_buf json; /* one line of JSON per record */
    size_t records;
    sl_parquet_read_stats st;
    uint64_t first_line; /* location of the first record */
} result;

static void drain(void *dec, size_t batch, result *res) {
    sl_batch b;
    sl_batch_init(&b);
    sl_decode_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.batch = &b;
    ctx.max_records = batch;
    for (;;) {
        sl_batch_reset(&b);
        int rc = sl_parquet_object_next(dec, &ctx, &res->err);
        if (rc < 0) {
            res->rc = rc;
            break;
        }
        for (size_t i = 0; i < b.count; i++) {
            if (!res->records && !i) res->first_line = b.locs[0].line;
            assert_int_equal(sl_json_write(&res->json, &b.records[i]), 0);
            sl_buf_addc(&res->json, '\n');
        }
        res->records += b.count;
        if (rc == 0) break;
        assert_true(b.count > 0 && b.count <= batch);
    }
    sl_parquet_read_stats_get(dec, &res->st);
    sl_batch_free(&b);
}

/* Read a whole in-memory file into res (JSON lines), batch records at a time. */
static void read_mem(const void *data, size_t len, const sl_format_opts *o, size_t batch, result *res) {
    memset(res, 0, sizeof *res);
    sl_error_clear(&res->err);
    sl_buf_init(&res->json, SL_BUF_UNLIMITED);
    void *dec = NULL;
    res->rc = sl_parquet_mem_open(data, len, "test.parquet", o, &dec, &res->err);
    if (res->rc) {
        assert_null(dec);
        return;
    }
    drain(dec, batch, res);
    sl_parquet_object_close(dec);
}

static void read_file(const char *name, const sl_format_opts *o, size_t batch, result *res) {
    size_t len;
    char *data = load(name, &len);
    read_mem(data, len, o, batch, res);
    free(data);
}

static void result_free(result *res) { sl_buf_free(&res->json); }

/* Line i (0-based) of the JSON output, NUL-terminated in a static buffer. */
static const char *line(const result *res, size_t i) {
    static char out[4096];
    const char *p = res->json.data ? res->json.data : "";
    for (size_t k = 0; k < i && p; k++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    if (!p || !*p) return "";
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n >= sizeof out) n = sizeof out - 1;
    memcpy(out, p, n);
    out[n] = 0;
    return out;
}

static void assert_ok(const result *res) {
    if (res->rc) {
        char text[1200];
        fail_msg("read failed: %s", sl_error_format(&res->err, text, sizeof text));
    }
}

static sl_value str_list(sl_arena *a, int n, ...) {
    va_list ap;
    va_start(ap, n);
    sl_value *items = sl_arena_alloc(a, (size_t)n * sizeof *items);
    for (int i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        items[i] = sl_string(s, strlen(s), 0);
    }
    va_end(ap);
    return sl_list(items, (size_t)n);
}

/* ---- DuckDB files ---- */

static void test_types(void **state) {
    result r;
    read_file("types.parquet", NULL, 4096, &r);
    assert_ok(&r);
    assert_int_equal(r.records, 12);
    assert_string_equal(line(&r, 0),
                        "{\"id\":0,\"b\":true,\"i8\":-5,\"i16\":0,\"i32\":0,\"i64\":-9223372036854775808,\"u8\":0,"
                        "\"u16\":0,\"u32\":0,\"u64\":0,\"f32\":0.0,\"f64\":0.0,\"dec4\":-5.25,\"dec18\":0.000,"
                        "\"dec38\":0.000000,\"s\":\"text 0\",\"bl\":\"AGIw\",\"dt\":\"1969-12-25\","
                        "\"ts\":\"2024-02-29T23:59:59.123456Z\",\"ts_ms\":\"1960-01-01T00:00:00.500Z\","
                        "\"ts_ns\":\"2024-01-01T00:00:00Z\",\"tstz\":\"2024-06-01T12:00:00Z\",\"tm\":\"23:59:58\","
                        "\"u\":\"cfcd2084-95d5-65ef-66e7-dff9f98764da\",\"e\":\"happy\",\"js\":\"{\\\"k\\\":0}\"}");
    /* unsigned 64-bit beyond long: exact decimal text; TIMESTAMP_NS truncated to micros */
    assert_non_null(strstr(line(&r, 1), "\"u64\":18446744073709551615,"));
    assert_non_null(strstr(line(&r, 1), "\"ts_ns\":\"2024-01-01T00:00:00.000001Z\""));
    assert_non_null(strstr(line(&r, 1), "\"tm\":\"23:59:58.25\""));
    /* a 16-byte decimal, negative */
    assert_non_null(strstr(line(&r, 2), "\"dec38\":-12345678901234567890123.456789,"));
    assert_non_null(strstr(line(&r, 2), "\"s\":null,"));
    assert_non_null(strstr(line(&r, 3), "\"b\":null,"));
    assert_non_null(strstr(line(&r, 4), "\"s\":\"text 4 \\\"é\\\\\""));
    assert_non_null(strstr(line(&r, 4), "\"f64\":null,"));
    result_free(&r);

    /* value types, not just their JSON */
    size_t len;
    char *data = load("types.parquet", &len);
    void *dec;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_parquet_mem_open(data, len, "types.parquet", NULL, &dec, &err), 0);
    sl_batch b;
    sl_batch_init(&b);
    sl_decode_ctx ctx = {.batch = &b, .max_records = 100};
    assert_int_equal(sl_parquet_object_next(dec, &ctx, &err), 1);
    const sl_value *rec = &b.records[1];
    assert_int_equal(sl_struct_get(rec, "u64")->type, SL_T_DECIMAL);
    assert_int_equal(sl_struct_get(rec, "u32")->type, SL_T_INT);
    assert_int_equal(sl_struct_get(rec, "dec4")->type, SL_T_DECIMAL);
    assert_int_equal(sl_struct_get(rec, "f32")->type, SL_T_DOUBLE);
    assert_int_equal(sl_struct_get(rec, "bl")->type, SL_T_BINARY);
    assert_int_equal(sl_struct_get(rec, "dt")->type, SL_T_DATE);
    assert_int_equal(sl_struct_get(rec, "dt")->u.i, -4);
    assert_int_equal(sl_struct_get(rec, "ts")->type, SL_T_TIMESTAMP);
    assert_int_equal(sl_struct_get(rec, "tstz")->u.i, 1717243201000000LL);
    assert_int_equal(sl_struct_get(rec, "e")->type, SL_T_STRING);
    assert_int_equal(sl_struct_get(rec, "tm")->type, SL_T_STRING);
    assert_int_equal(b.locs[1].line, 2); /* records are located by row number */
    sl_batch_free(&b);
    sl_parquet_object_close(dec);
    free(data);
}

static const char *nested_rows[] = {
    "{\"id\":0,\"l\":null,\"ll\":[],\"st\":null,\"mp\":{},\"los\":null,\"imap\":{\"0\":\"v0\"}}",
    "{\"id\":1,\"l\":[1,null,2],\"ll\":[[1],[],null,[1,1]],\"st\":{\"a\":1,\"b\":\"s1\",\"c\":[{\"x\":1},null]},"
    "\"mp\":{\"k1\":1,\"k2\":2},\"los\":[{\"p\":1,\"q\":[\"a\",null]}],\"imap\":{\"1\":\"v1\"}}",
    "{\"id\":2,\"l\":[2,null,3],\"ll\":[[2],[],null,[2,2]],\"st\":{\"a\":2,\"b\":\"s2\",\"c\":[{\"x\":2},null]},"
    "\"mp\":{\"k1\":2,\"k2\":null},\"los\":[{\"p\":2,\"q\":[\"a\",null]}],\"imap\":{\"2\":\"v2\"}}",
    "{\"id\":3,\"l\":[3,null,4],\"ll\":[[3],[],null,[3,3]],\"st\":{\"a\":3,\"b\":\"s3\",\"c\":[{\"x\":3},null]},"
    "\"mp\":{},\"los\":[{\"p\":3,\"q\":[\"a\",null]}],\"imap\":{\"3\":\"v3\"}}",
};

static void test_nested(void **state) {
    result v1, v2;
    read_file("nested_v1.parquet", NULL, 4096, &v1);
    read_file("nested_v2_zstd.parquet", NULL, 4096, &v2);
    assert_ok(&v1);
    assert_ok(&v2);
    assert_int_equal(v1.records, 40);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(line(&v1, i), nested_rows[i]);
    assert_string_equal(v1.json.data, v2.json.data); /* v1 snappy and v2 zstd pages: same values */
    assert_string_equal(line(&v1, 7), "{\"id\":7,\"l\":[7,null,8],\"ll\":[[7],[],null,[7,7]],\"st\":{\"a\":7,"
                                      "\"b\":\"s7\",\"c\":[{\"x\":7},null]},\"mp\":{\"k1\":7,\"k2\":14},\"los\":null,"
                                      "\"imap\":{\"7\":\"v7\"}}");
    result_free(&v1);
    result_free(&v2);
}

/* The same 1000 rows through gzip/v2, lz4_raw/v1, uncompressed/plain/v2 and
 * the first row group of a snappy file. */
static void test_codecs(void **state) {
    const char *files[] = {"flat_gzip_v2.parquet", "flat_lz4.parquet", "flat_plain_v2_none.parquet"};
    result ref;
    read_file(files[0], NULL, 4096, &ref);
    assert_ok(&ref);
    assert_int_equal(ref.records, 1000);
    assert_string_equal(line(&ref, 0), "{\"id\":0,\"name\":\"name 0\",\"score\":null,\"late\":null}");
    assert_string_equal(line(&ref, 999), "{\"id\":999,\"name\":\"name 0\",\"score\":249.75,\"late\":null}");
    for (size_t i = 1; i < 3; i++) {
        result r;
        read_file(files[i], NULL, 4096, &r);
        assert_ok(&r);
        assert_string_equal(r.json.data, ref.json.data);
        result_free(&r);
    }
    result rg;
    read_file("rowgroups.parquet", NULL, 4096, &rg);
    assert_ok(&rg);
    assert_int_equal(rg.records, 8192);
    assert_memory_equal(rg.json.data, ref.json.data, ref.json.len);
    assert_string_equal(line(&rg, 8191), "{\"id\":8191,\"name\":\"name 14\",\"score\":2047.75,\"late\":1}");
    result_free(&rg);
    result_free(&ref);
}

static void test_byte_stream_split(void **state) {
    result r;
    read_file("floats_v2.parquet", NULL, 4096, &r);
    assert_ok(&r);
    assert_int_equal(r.records, 300);
    assert_string_equal(line(&r, 0), "{\"id\":0,\"f\":0.0,\"d\":0.0}");
    assert_string_equal(line(&r, 1), "{\"id\":1,\"f\":0.3333333432674408,\"d\":-0.14285714285714285}");
    assert_string_equal(line(&r, 299), "{\"id\":299,\"f\":99.66666412353516,\"d\":-42.714285714285715}");
    result_free(&r);
}

/* Batches of any size give the same records. */
static void test_batch_sizes(void **state) {
    const char *files[] = {"nested_v2_zstd.parquet", "rowgroups.parquet", "types.parquet"};
    for (size_t f = 0; f < 3; f++) {
        result ref;
        read_file(files[f], NULL, 100000, &ref);
        assert_ok(&ref);
        size_t sizes[] = {1, 7, 1000, 2049};
        for (size_t s = 0; s < 4; s++) {
            result r;
            read_file(files[f], NULL, sizes[s], &r);
            assert_ok(&r);
            assert_int_equal(r.records, ref.records);
            assert_string_equal(r.json.data, ref.json.data);
            result_free(&r);
        }
        result_free(&ref);
    }
}

/* Through the object store, as the file source reads. */
static void test_store(void **state) {
    char *path = data_path("nested_v1.parquet");
    sl_store *store;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_store_open(path, NULL, &store, &err), 0);
    sl_store_entry st;
    assert_int_equal(sl_store_stat(store, path, &st, &err), 0);
    void *dec;
    assert_int_equal(sl_parquet_object_open(store, path, st.size, NULL, &dec, &err), 0);
    result r;
    memset(&r, 0, sizeof r);
    sl_error_clear(&r.err);
    sl_buf_init(&r.json, SL_BUF_UNLIMITED);
    drain(dec, 10, &r);
    assert_ok(&r);
    assert_int_equal(r.records, 40);
    assert_string_equal(line(&r, 1), nested_rows[1]);
    assert_int_equal(r.st.bytes_read, st.size); /* a small file: one read of its end covers it all */
    sl_parquet_object_close(dec);
    /* size unknown: the reader asks the store */
    assert_int_equal(sl_parquet_object_open(store, path, UINT64_MAX, NULL, &dec, &err), 0);
    sl_parquet_object_close(dec);
    result_free(&r);
    free(st.url);
    sl_store_free(store);
    free(path);
}

/* Byte ranges that partition a file read each row group exactly once, with
 * its row numbers. */
static void test_ranges(void **state) {
    char *path = data_path("rowgroups.parquet");
    sl_store *store;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_store_open(path, NULL, &store, &err), 0);
    sl_store_entry st;
    assert_int_equal(sl_store_stat(store, path, &st, &err), 0);
    result whole;
    read_file("rowgroups.parquet", NULL, 4096, &whole);
    assert_ok(&whole);
    for (uint64_t parts = 1; parts <= 9; parts++) {
        uint64_t range = st.size / parts + 1;
        result all;
        memset(&all, 0, sizeof all);
        sl_buf_init(&all.json, SL_BUF_UNLIMITED);
        uint32_t groups = 0;
        for (uint64_t off = 0; off < st.size; off += range) {
            void *dec;
            uint64_t len = off + range < st.size ? range : UINT64_MAX;
            assert_int_equal(sl_parquet_object_open_range(store, path, st.size, off, len, NULL, &dec, &err), 0);
            result r;
            memset(&r, 0, sizeof r);
            sl_error_clear(&r.err);
            sl_buf_init(&r.json, SL_BUF_UNLIMITED);
            drain(dec, 1000, &r);
            assert_ok(&r);
            if (r.records) assert_int_equal(r.first_line, 2048 * groups + 1);
            groups += r.st.row_groups_read;
            sl_buf_add(&all.json, r.json.data ? r.json.data : "", r.json.len);
            result_free(&r);
            sl_parquet_object_close(dec);
        }
        assert_int_equal(groups, 4);
        assert_string_equal(all.json.data, whole.json.data);
        result_free(&all);
    }
    result_free(&whole);
    free(st.url);
    sl_store_free(store);
    free(path);
}

/* ---- projection ---- */

static void test_projection(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    sl_format_opts o;
    sl_format_opts_default(&o);
    sl_value cols = str_list(&a, 2, "score", "id");
    o.columns = &cols;
    result r;
    read_file("rowgroups.parquet", &o, 4096, &r);
    assert_ok(&r);
    assert_int_equal(r.records, 8192);
    assert_string_equal(line(&r, 1), "{\"score\":0.25,\"id\":1}");
    assert_int_equal(r.st.columns_read, 2);
    result_free(&r);

    /* The other columns are never decoded: wreck every 'name' chunk and the
     * projection still reads, while the whole file does not. */
    size_t len;
    char *data = load("rowgroups.parquet", &len);
    uint32_t flen = (uint8_t)data[len - 8] | (uint8_t)data[len - 7] << 8 | (uint8_t)data[len - 6] << 16;
    sl_pq_file_meta fm;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_pq_file_meta_decode(data + len - 8 - flen, flen, &a, &fm, &err), 0);
    assert_int_equal(fm.n_row_groups, 4);
    for (uint32_t g = 0; g < fm.n_row_groups; g++) {
        const sl_pq_column_meta *m = &fm.row_groups[g].columns[1].meta_data;
        assert_memory_equal(m->path[0], "name", 4);
        int64_t start = m->has_dictionary_page_offset ? m->dictionary_page_offset : m->data_page_offset;
        memset(data + start, 0xee, (size_t)m->total_compressed_size);
    }
    read_mem(data, len, &o, 4096, &r);
    assert_ok(&r);
    assert_int_equal(r.records, 8192);
    assert_string_equal(line(&r, 8191), "{\"score\":2047.75,\"id\":8191}");
    result_free(&r);
    read_mem(data, len, NULL, 4096, &r);
    assert_int_equal(r.rc, SL_EPARSE);
    assert_non_null(strstr(r.err.message, "column 'name', row group 0"));
    result_free(&r);
    free(data);

    /* nested columns, and no column at all */
    cols = str_list(&a, 1, "mp");
    read_file("nested_v1.parquet", &o, 4096, &r);
    assert_ok(&r);
    assert_string_equal(line(&r, 1), "{\"mp\":{\"k1\":1,\"k2\":2}}");
    result_free(&r);
    cols = str_list(&a, 0);
    read_file("rowgroups.parquet", &o, 4096, &r);
    assert_ok(&r);
    assert_int_equal(r.records, 8192);
    assert_string_equal(line(&r, 5), "{}");
    assert_int_equal(r.st.columns_read, 0);
    result_free(&r);

    cols = str_list(&a, 2, "id", "nope");
    read_file("rowgroups.parquet", &o, 4096, &r);
    assert_int_equal(r.rc, SL_EINVAL);
    assert_string_equal(r.err.file, "test.parquet");
    assert_non_null(strstr(r.err.message, "'nope'"));
    assert_non_null(strstr(r.err.message, "id, name, score, late"));
    result_free(&r);
    cols = str_list(&a, 2, "id", "id");
    read_file("rowgroups.parquet", &o, 4096, &r);
    assert_int_equal(r.rc, SL_EINVAL);
    result_free(&r);
    sl_arena_free(&a);
}

/* ---- row-group skipping (4 row groups of 2048 ids; late is null in the first two) ---- */

static void expect_groups(const char *predicate, uint32_t read, uint64_t first_line) {
    sl_format_opts o;
    sl_format_opts_default(&o);
    o.predicate = predicate;
    result r;
    read_file("rowgroups.parquet", &o, 4096, &r);
    assert_ok(&r);
    if (r.st.row_groups_read != read)
        fail_msg("predicate %s: read %u row groups, expected %u", predicate, r.st.row_groups_read, read);
    assert_int_equal(r.st.row_groups_skipped, 4 - read);
    assert_int_equal(r.records, read * 2048u); /* rows are not filtered */
    if (read) assert_int_equal(r.first_line, first_line);
    result_free(&r);
}

static void test_predicate(void **state) {
    expect_groups("id >= 2500 and id < 4000", 1, 2049);
    expect_groups("id < 10 or id > 8000", 2, 1);
    expect_groups("id = 5000", 1, 4097);
    expect_groups("5000 = id", 1, 4097);
    expect_groups("100 > id", 1, 1);
    expect_groups("id <= 2047", 1, 1);
    expect_groups("id > 6143", 1, 6145);
    expect_groups("id >= 6143", 2, 4097);
    expect_groups("id != 3", 4, 1);
    expect_groups("id between 2048 and 2050", 1, 2049);
    expect_groups("id in (5, 7000)", 2, 1);
    expect_groups("id = '5000'", 1, 4097); /* a numeric string compares as a number */
    expect_groups("score > 1600.5", 1, 6145);
    expect_groups("late is not null", 2, 4097);
    expect_groups("late = 1", 2, 4097); /* all-null row groups never match a comparison */
    expect_groups("late is null", 2, 1);
    expect_groups("name = 'zzz'", 0, 0);
    expect_groups("name > 5", 4, 1);                 /* strings vs numbers: no byte order, no skipping */
    expect_groups("cast(id as string) = '5'", 4, 1); /* not a plain column */
    expect_groups("not (id < 100)", 4, 1);
    expect_groups("nope = 1", 4, 1);
    expect_groups("id = 1 and nope = 2", 1, 1);

    sl_format_opts o;
    sl_format_opts_default(&o);
    o.predicate = "id = = 3";
    result r;
    read_file("rowgroups.parquet", &o, 4096, &r);
    assert_int_equal(r.rc, SL_EINVAL);
    assert_non_null(strstr(r.err.message, "predicate"));
    result_free(&r);

    /* struct members: st.a ranges over 1..39 in the nested file */
    o.predicate = "st.a > 100";
    read_file("nested_v1.parquet", &o, 4096, &r);
    assert_ok(&r);
    assert_int_equal(r.records, 0);
    assert_int_equal(r.st.row_groups_skipped, 1);
    result_free(&r);
}

/* ---- files built page by page ---- */

static void uvar(sl_buf *b, uint64_t v) {
    while (v >= 0x80) {
        sl_buf_addc(b, (char)(v | 0x80));
        v >>= 7;
    }
    sl_buf_addc(b, (char)v);
}

static void zz(sl_buf *b, int64_t v) { uvar(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

static void le32_add(sl_buf *b, uint32_t v) {
    char x[4] = {(char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24)};
    sl_buf_add(b, x, 4);
}

/* LSB-first bit packing of n values of width w. */
static void pack(sl_buf *b, const uint64_t *v, size_t n, unsigned w) {
    size_t bytes = (n * w + 7) / 8;
    uint8_t *out = sl_xcalloc(bytes + 1, 1);
    for (size_t i = 0; i < n; i++)
        for (unsigned k = 0; k < w; k++)
            if (v[i] >> k & 1) out[(i * w + k) / 8] |= (uint8_t)(1u << ((i * w + k) % 8));
    sl_buf_add(b, out, bytes);
    free(out);
}

static unsigned width_of(uint64_t v) {
    unsigned w = 0;
    while (w < 64 && v >> w)
        w++;
    return w;
}

/* DELTA_BINARY_PACKED: blocks of 128, 4 miniblocks of 32. */
static void dbp(sl_buf *b, const int64_t *v, size_t n) {
    uvar(b, 128);
    uvar(b, 4);
    uvar(b, n);
    zz(b, n ? v[0] : 0);
    for (size_t i = 1; i < n; i += 128) {
        size_t cnt = n - i < 128 ? n - i : 128;
        uint64_t d[128] = {0};
        int64_t min = INT64_MAX;
        for (size_t j = 0; j < cnt; j++) {
            d[j] = (uint64_t)v[i + j] - (uint64_t)v[i + j - 1];
            if ((int64_t)d[j] < min) min = (int64_t)d[j];
        }
        zz(b, min);
        uint8_t widths[4] = {0};
        for (size_t j = 0; j < 128; j++)
            d[j] = j < cnt ? d[j] - (uint64_t)min : 0;
        for (int m = 0; m < 4; m++)
            for (int j = 0; j < 32; j++)
                if (width_of(d[m * 32 + j]) > widths[m]) widths[m] = (uint8_t)width_of(d[m * 32 + j]);
        sl_buf_add(b, widths, 4);
        for (size_t m = 0; m < 4 && m * 32 < cnt; m++)
            pack(b, d + m * 32, 32, widths[m]);
    }
}

/* Hybrid RLE levels/values: one bit-packed run (padded to 8 values). */
static void hybrid(sl_buf *b, const uint32_t *v, size_t n, unsigned w) {
    size_t groups = (n + 7) / 8;
    uvar(b, groups << 1 | 1);
    uint64_t tmp[256] = {0};
    for (size_t i = 0; i < n; i++)
        tmp[i] = v[i];
    pack(b, tmp, groups * 8, w);
}

/* The same with the 4-byte length of v1 pages. */
static void hybrid_v1(sl_buf *b, const uint32_t *v, size_t n, unsigned w) {
    sl_buf t;
    sl_buf_init(&t, SL_BUF_UNLIMITED);
    hybrid(&t, v, n, w);
    le32_add(b, (uint32_t)t.len);
    sl_buf_add(b, t.data, t.len);
    sl_buf_free(&t);
}

static void plain_strings(sl_buf *b, int n, ...) {
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        le32_add(b, (uint32_t)strlen(s));
        sl_buf_adds(b, s);
    }
    va_end(ap);
}

typedef struct page {
    sl_pq_page_header h;
    sl_buf body;
} page;

static void page_v1(page *p, int32_t n, int enc) {
    memset(p, 0, sizeof *p);
    sl_buf_init(&p->body, SL_BUF_UNLIMITED);
    p->h.type = SL_PQ_DATA_PAGE;
    p->h.has_data_page_header = true;
    p->h.data_page_header.num_values = n;
    p->h.data_page_header.encoding = enc;
    p->h.data_page_header.definition_level_encoding = SL_PQ_ENC_RLE;
    p->h.data_page_header.repetition_level_encoding = SL_PQ_ENC_RLE;
}

typedef struct column {
    sl_pq_type type;
    const char *path[4];
    uint32_t n_path;
    page *pages;
    size_t n_pages;
} column;

/* A file of one row group: "PAR1", each column's pages, the footer. */
static void build(sl_buf *file, sl_pq_schema_element *schema, uint32_t n_schema, int64_t rows, column *cols,
                  uint32_t ncols) {
    sl_buf_init(file, SL_BUF_UNLIMITED);
    sl_buf_adds(file, "PAR1");
    sl_pq_column_chunk *chunks = calloc(ncols, sizeof *chunks);
    sl_pq_encoding enc = SL_PQ_ENC_PLAIN;
    uint32_t path_len[4][4];
    for (uint32_t c = 0; c < ncols; c++) {
        size_t start = file->len;
        for (size_t i = 0; i < cols[c].n_pages; i++) {
            page *p = &cols[c].pages[i];
            p->h.compressed_page_size = p->h.uncompressed_page_size = (int32_t)p->body.len;
            assert_int_equal(sl_pq_page_header_encode(&p->h, file), 0);
            sl_buf_add(file, p->body.data ? p->body.data : "", p->body.len);
            sl_buf_free(&p->body);
        }
        sl_pq_column_meta *m = &chunks[c].meta_data;
        chunks[c].has_meta_data = true;
        chunks[c].file_offset = (int64_t)start;
        m->type = cols[c].type;
        m->n_encodings = 1;
        m->encodings = &enc;
        m->n_path = cols[c].n_path;
        m->path = cols[c].path;
        for (uint32_t k = 0; k < cols[c].n_path; k++)
            path_len[c][k] = (uint32_t)strlen(cols[c].path[k]);
        m->path_len = path_len[c];
        m->codec = SL_PQ_UNCOMPRESSED;
        m->num_values = rows;
        m->total_compressed_size = m->total_uncompressed_size = (int64_t)(file->len - start);
        m->data_page_offset = (int64_t)start;
    }
    sl_pq_row_group rg = {.n_columns = ncols, .columns = chunks, .num_rows = rows};
    sl_pq_file_meta fm = {
        .version = 1, .n_schema = n_schema, .schema = schema, .num_rows = rows, .n_row_groups = 1, .row_groups = &rg};
    size_t start = file->len;
    assert_int_equal(sl_pq_file_meta_encode(&fm, file), 0);
    le32_add(file, (uint32_t)(file->len - start));
    sl_buf_adds(file, "PAR1");
    free(chunks);
}

static sl_pq_schema_element group(const char *name, int rep, int n_children) {
    sl_pq_schema_element e = {0};
    e.name = name;
    e.name_len = (uint32_t)strlen(name);
    e.has_num_children = true;
    e.num_children = n_children;
    if (rep >= 0) {
        e.has_repetition = true;
        e.repetition_type = rep;
    }
    return e;
}

static sl_pq_schema_element leaf(const char *name, int rep, sl_pq_type type) {
    sl_pq_schema_element e = {0};
    e.name = name;
    e.name_len = (uint32_t)strlen(name);
    e.has_type = true;
    e.type = type;
    e.has_repetition = true;
    e.repetition_type = rep;
    return e;
}

static sl_pq_schema_element converted(sl_pq_schema_element e, sl_pq_converted ct) {
    e.has_converted_type = true;
    e.converted_type = ct;
    return e;
}

/* Build, read, compare the JSON lines. */
static void expect_json(sl_pq_schema_element *schema, uint32_t n_schema, int64_t rows, column *cols, uint32_t ncols,
                        const char *want) {
    sl_buf file;
    build(&file, schema, n_schema, rows, cols, ncols);
    result r;
    read_mem(file.data, file.len, NULL, 3, &r);
    assert_ok(&r);
    assert_string_equal(r.json.data ? r.json.data : "", want);
    result_free(&r);
    sl_buf_free(&file);
}

static void test_delta_byte_array(void **state) {
    sl_pq_schema_element schema[] = {group("schema", -1, 1),
                                     converted(leaf("s", SL_PQ_REQUIRED, SL_PQ_BYTE_ARRAY), SL_PQ_CT_UTF8)};
    page p;
    page_v1(&p, 5, SL_PQ_ENC_DELTA_BYTE_ARRAY);
    int64_t prefix[] = {0, 5, 2, 0, 0}, suffix[] = {5, 5, 5, 6, 0};
    dbp(&p.body, prefix, 5);
    dbp(&p.body, suffix, 5);
    sl_buf_adds(&p.body, "apple"
                         "sauce"
                         "ricot"
                         "banana");
    column c = {SL_PQ_BYTE_ARRAY, {"s"}, 1, &p, 1};
    expect_json(schema, 2, 5, &c, 1,
                "{\"s\":\"apple\"}\n{\"s\":\"applesauce\"}\n{\"s\":\"apricot\"}\n{\"s\":\"banana\"}\n{\"s\":\"\"}\n");
}

static void test_delta_binary_packed(void **state) {
    int64_t v[300];
    v[0] = INT64_MIN;
    v[1] = INT64_MAX;
    v[2] = 0;
    v[3] = -1;
    for (int i = 4; i < 300; i++)
        v[i] = (int64_t)((uint64_t)v[i - 1] * 6364136223846793005ULL + 1442695040888963407ULL);
    v[299] = 7;
    sl_pq_schema_element schema[] = {group("schema", -1, 1), leaf("x", SL_PQ_REQUIRED, SL_PQ_INT64)};
    page p;
    page_v1(&p, 300, SL_PQ_ENC_DELTA_BINARY_PACKED);
    dbp(&p.body, v, 300);
    column c = {SL_PQ_INT64, {"x"}, 1, &p, 1};
    sl_buf file;
    build(&file, schema, 2, 300, &c, 1);
    sl_buf want;
    sl_buf_init(&want, SL_BUF_UNLIMITED);
    for (int i = 0; i < 300; i++)
        sl_buf_printf(&want, "{\"x\":%lld}\n", (long long)v[i]);
    result r;
    read_mem(file.data, file.len, NULL, 64, &r);
    assert_ok(&r);
    assert_string_equal(r.json.data, want.data);
    result_free(&r);
    sl_buf_free(&file);
    sl_buf_free(&want);

    /* INT32 wraps at 32 bits */
    int32_t w[] = {INT32_MAX, INT32_MIN, -5, 100};
    int64_t wide[4];
    for (int i = 0; i < 4; i++)
        wide[i] = w[i];
    schema[1] = leaf("x", SL_PQ_REQUIRED, SL_PQ_INT32);
    page_v1(&p, 4, SL_PQ_ENC_DELTA_BINARY_PACKED);
    dbp(&p.body, wide, 4);
    c.type = SL_PQ_INT32;
    expect_json(schema, 2, 4, &c, 1, "{\"x\":2147483647}\n{\"x\":-2147483648}\n{\"x\":-5}\n{\"x\":100}\n");
}

/* Optional booleans in a v2 page: RLE values, levels without a length. */
static void test_rle_booleans_v2(void **state) {
    sl_pq_schema_element schema[] = {group("schema", -1, 1), leaf("b", SL_PQ_OPTIONAL, SL_PQ_BOOLEAN)};
    page p;
    memset(&p, 0, sizeof p);
    sl_buf_init(&p.body, SL_BUF_UNLIMITED);
    uint32_t def[] = {1, 0, 1, 1, 0, 1, 1, 1, 0, 1};
    uint32_t vals[] = {1, 0, 0, 1, 1, 0, 1};
    hybrid(&p.body, def, 10, 1);
    size_t dl = p.body.len;
    hybrid_v1(&p.body, vals, 7, 1);
    p.h.type = SL_PQ_DATA_PAGE_V2;
    p.h.has_data_page_header_v2 = true;
    p.h.data_page_header_v2 = (sl_pq_data_page_header_v2){.num_values = 10,
                                                          .num_nulls = 3,
                                                          .num_rows = 10,
                                                          .encoding = SL_PQ_ENC_RLE,
                                                          .definition_levels_byte_length = (int32_t)dl,
                                                          .is_compressed = false};
    column c = {SL_PQ_BOOLEAN, {"b"}, 1, &p, 1};
    expect_json(schema, 2, 10, &c, 1,
                "{\"b\":true}\n{\"b\":null}\n{\"b\":false}\n{\"b\":false}\n{\"b\":null}\n{\"b\":true}\n"
                "{\"b\":true}\n{\"b\":false}\n{\"b\":null}\n{\"b\":true}\n");
}

/* The deprecated BIT_PACKED level encoding (most significant bit first). */
static void test_bit_packed_levels(void **state) {
    sl_pq_schema_element schema[] = {group("schema", -1, 1), leaf("x", SL_PQ_OPTIONAL, SL_PQ_INT32)};
    page p;
    page_v1(&p, 5, SL_PQ_ENC_PLAIN);
    p.h.data_page_header.definition_level_encoding = SL_PQ_ENC_BIT_PACKED;
    sl_buf_addc(&p.body, (char)0xD0); /* 1 1 0 1 0 */
    le32_add(&p.body, 10);
    le32_add(&p.body, 20);
    le32_add(&p.body, (uint32_t)-30);
    column c = {SL_PQ_INT32, {"x"}, 1, &p, 1};
    expect_json(schema, 2, 5, &c, 1, "{\"x\":10}\n{\"x\":20}\n{\"x\":null}\n{\"x\":-30}\n{\"x\":null}\n");
}

/* Two-level lists (a repeated primitive inside a LIST group) and a bare
 * repeated field, as older writers produce. */
static void test_legacy_lists(void **state) {
    sl_pq_schema_element schema[] = {group("schema", -1, 2), converted(group("tags", SL_PQ_OPTIONAL, 1), SL_PQ_CT_LIST),
                                     converted(leaf("str", SL_PQ_REPEATED, SL_PQ_BYTE_ARRAY), SL_PQ_CT_UTF8),
                                     leaf("nums", SL_PQ_REPEATED, SL_PQ_INT32)};
    page p[2];
    page_v1(&p[0], 5, SL_PQ_ENC_PLAIN);
    uint32_t rep0[] = {0, 1, 0, 0, 0}, def0[] = {2, 2, 0, 1, 2};
    hybrid_v1(&p[0].body, rep0, 5, 1);
    hybrid_v1(&p[0].body, def0, 5, 2);
    plain_strings(&p[0].body, 3, "a", "b", "c");
    page_v1(&p[1], 6, SL_PQ_ENC_PLAIN);
    uint32_t rep1[] = {0, 1, 1, 0, 0, 0}, def1[] = {1, 1, 1, 0, 1, 0};
    hybrid_v1(&p[1].body, rep1, 6, 1);
    hybrid_v1(&p[1].body, def1, 6, 1);
    le32_add(&p[1].body, 1);
    le32_add(&p[1].body, 2);
    le32_add(&p[1].body, 3);
    le32_add(&p[1].body, 4);
    column c[2] = {{SL_PQ_BYTE_ARRAY, {"tags", "str"}, 2, &p[0], 1}, {SL_PQ_INT32, {"nums"}, 1, &p[1], 1}};
    expect_json(schema, 4, 4, c, 2,
                "{\"tags\":[\"a\",\"b\"],\"nums\":[1,2,3]}\n{\"tags\":null,\"nums\":[]}\n"
                "{\"tags\":[],\"nums\":[4]}\n{\"tags\":[\"c\"],\"nums\":[]}\n");
}

/* A MAP by converted type only, with a null value, a null map and an empty one. */
static void test_legacy_map(void **state) {
    sl_pq_schema_element schema[] = {group("schema", -1, 1), converted(group("m", SL_PQ_OPTIONAL, 1), SL_PQ_CT_MAP),
                                     converted(group("map", SL_PQ_REPEATED, 2), SL_PQ_CT_MAP_KEY_VALUE),
                                     converted(leaf("key", SL_PQ_REQUIRED, SL_PQ_BYTE_ARRAY), SL_PQ_CT_UTF8),
                                     leaf("value", SL_PQ_OPTIONAL, SL_PQ_INT32)};
    page p[2];
    uint32_t rep[] = {0, 1, 0, 0};
    uint32_t kdef[] = {2, 2, 0, 1}, vdef[] = {3, 2, 0, 1};
    page_v1(&p[0], 4, SL_PQ_ENC_PLAIN);
    hybrid_v1(&p[0].body, rep, 4, 1);
    hybrid_v1(&p[0].body, kdef, 4, 2);
    plain_strings(&p[0].body, 2, "a", "b");
    page_v1(&p[1], 4, SL_PQ_ENC_PLAIN);
    hybrid_v1(&p[1].body, rep, 4, 1);
    hybrid_v1(&p[1].body, vdef, 4, 2);
    le32_add(&p[1].body, 1);
    column c[2] = {{SL_PQ_BYTE_ARRAY, {"m", "map", "key"}, 3, &p[0], 1},
                   {SL_PQ_INT32, {"m", "map", "value"}, 3, &p[1], 1}};
    expect_json(schema, 5, 3, c, 2, "{\"m\":{\"a\":1,\"b\":null}}\n{\"m\":null}\n{\"m\":{}}\n");
}

static void test_int96_and_decimals(void **state) {
    sl_pq_schema_element schema[] = {group("schema", -1, 2), leaf("t", SL_PQ_REQUIRED, SL_PQ_INT96),
                                     converted(leaf("d", SL_PQ_REQUIRED, SL_PQ_BYTE_ARRAY), SL_PQ_CT_DECIMAL)};
    schema[2].has_scale = true;
    schema[2].scale = 2;
    page p[2];
    page_v1(&p[0], 4, SL_PQ_ENC_PLAIN);
    struct {
        int64_t nanos;
        uint32_t day;
    } t[] = {{1500, 2440588}, {86399999999000LL, 2440587}, {0, 2460000}, {0, 2440588}};
    for (int i = 0; i < 4; i++) {
        sl_buf_add(&p[0].body, &t[i].nanos, 8);
        le32_add(&p[0].body, t[i].day);
    }
    page_v1(&p[1], 4, SL_PQ_ENC_PLAIN);
    unsigned char big_neg[17] = {0xff}, big_pos[17] = {0x01};
    le32_add(&p[1].body, 1);
    sl_buf_addc(&p[1].body, 0);
    le32_add(&p[1].body, 1);
    sl_buf_addc(&p[1].body, (char)0xff);
    le32_add(&p[1].body, 17);
    sl_buf_add(&p[1].body, big_neg, 17);
    le32_add(&p[1].body, 17);
    sl_buf_add(&p[1].body, big_pos, 17);
    column c[2] = {{SL_PQ_INT96, {"t"}, 1, &p[0], 1}, {SL_PQ_BYTE_ARRAY, {"d"}, 1, &p[1], 1}};
    expect_json(schema, 3, 4, c, 2,
                "{\"t\":\"1970-01-01T00:00:00.000001Z\",\"d\":0.00}\n"
                "{\"t\":\"1969-12-31T23:59:59.999999Z\",\"d\":-0.01}\n"
                "{\"t\":\"2023-02-24T00:00:00Z\",\"d\":-3402823669209384634633746074317682114.56}\n"
                "{\"t\":\"1970-01-01T00:00:00Z\",\"d\":3402823669209384634633746074317682114.56}\n");
}

/* A dictionary page, then indexes — one of them past the dictionary. */
static void test_dictionary_index_out_of_range(void **state) {
    sl_pq_schema_element schema[] = {group("schema", -1, 1), leaf("x", SL_PQ_REQUIRED, SL_PQ_INT64)};
    page p[2];
    memset(&p[0], 0, sizeof p[0]);
    sl_buf_init(&p[0].body, SL_BUF_UNLIMITED);
    p[0].h.type = SL_PQ_DICTIONARY_PAGE;
    p[0].h.has_dictionary_page_header = true;
    p[0].h.dictionary_page_header.num_values = 2;
    p[0].h.dictionary_page_header.encoding = SL_PQ_ENC_PLAIN;
    int64_t d[2] = {111, 222};
    sl_buf_add(&p[0].body, d, 16);
    page_v1(&p[1], 3, SL_PQ_ENC_RLE_DICTIONARY);
    sl_buf_addc(&p[1].body, 2);
    uint32_t idx[] = {1, 0, 3};
    hybrid(&p[1].body, idx, 3, 2);
    column c = {SL_PQ_INT64, {"x"}, 1, p, 2};
    sl_buf file;
    build(&file, schema, 2, 3, &c, 1);
    result r;
    read_mem(file.data, file.len, NULL, 100, &r);
    assert_int_equal(r.rc, SL_EPARSE);
    assert_string_equal(r.err.file, "test.parquet");
    assert_non_null(strstr(r.err.message, "column 'x'"));
    assert_non_null(strstr(r.err.message, "dictionary index 3"));
    assert_true(r.err.offset > 4);
    result_free(&r);
    sl_buf_free(&file);
}

/* ---- round trips through the writer ---- */

static void test_writer_round_trip(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    enum { N = 500 };
    sl_value recs[N];
    for (int i = 0; i < N; i++) {
        sl_field *f = sl_arena_alloc(&a, 6 * sizeof *f);
        const char *names[] = {"id", "name", "score", "tags", "meta", "when"};
        for (int k = 0; k < 6; k++) {
            f[k].name = names[k];
            f[k].name_len = (uint32_t)strlen(names[k]);
            f[k].name_flags = SL_VF_JSON_PLAIN;
        }
        f[0].value = sl_int(i * 7 - 100);
        char *s = sl_arena_alloc(&a, 32);
        snprintf(s, 32, "name-%d", i % 13);
        f[1].value = i % 5 == 0 ? sl_null() : sl_string(s, strlen(s), 0);
        f[2].value = sl_double(i / 8.0);
        sl_value *items = sl_arena_alloc(&a, 3 * sizeof *items);
        for (int k = 0; k < i % 4; k++)
            items[k] = sl_int(i + k);
        f[3].value = sl_list(items, (size_t)(i % 4));
        sl_field *m = sl_arena_alloc(&a, 2 * sizeof *m);
        m[0] = (sl_field){"host", 4, SL_VF_JSON_PLAIN, sl_string("h", 1, 0)};
        m[1] = (sl_field){"ms", 2, SL_VF_JSON_PLAIN, sl_int(i)};
        f[4].value = sl_struct(m, 2);
        f[5].value = sl_timestamp(1700000000000000LL + i);
        recs[i] = sl_struct(f, 6);
    }
    int codecs[] = {SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_ZSTD};
    for (int ci = 0; ci < 4; ci++)
        for (int version = 1; version <= 2; version++) {
            sl_parquet_write_opts wo;
            sl_parquet_write_opts_default(&wo);
            wo.codec = codecs[ci];
            wo.data_page_version = version;
            wo.page_size = 2048; /* several pages */
            void *enc;
            sl_error err;
            sl_error_clear(&err);
            assert_int_equal(sl_parquet_encoder_new_opts(&wo, &enc, &err), 0);
            sl_buf out;
            sl_buf_init(&out, SL_BUF_UNLIMITED);
            for (int i = 0; i < N; i++)
                assert_int_equal(sl_parquet_encode(enc, &out, &recs[i], &err), 0);
            assert_int_equal(sl_parquet_encode_finish(enc, &out, &err), 0);
            sl_parquet_encoder_free(enc);
            void *dec;
            assert_int_equal(sl_parquet_mem_open(out.data, out.len, "rt.parquet", NULL, &dec, &err), 0);
            sl_batch b;
            sl_batch_init(&b);
            sl_decode_ctx ctx = {.batch = &b, .max_records = 10000};
            int rc = sl_parquet_object_next(dec, &ctx, &err);
            if (rc != 1) fail_msg("codec %d v%d: %s", codecs[ci], version, err.message);
            assert_int_equal(b.count, N);
            for (int i = 0; i < N; i++)
                if (!sl_test_identical(&b.records[i], &recs[i])) {
                    sl_buf j1, j2;
                    sl_buf_init(&j1, SL_BUF_UNLIMITED);
                    sl_buf_init(&j2, SL_BUF_UNLIMITED);
                    sl_json_write(&j1, &recs[i]);
                    sl_json_write(&j2, &b.records[i]);
                    fail_msg("codec %d v%d record %d: wrote %s, read %s", codecs[ci], version, i, j1.data, j2.data);
                }
            sl_batch_free(&b);
            sl_parquet_object_close(dec);
            sl_buf_free(&out);
        }
    sl_arena_free(&a);
}

/* ---- bad files ---- */

static void expect_error(const void *data, size_t len, const char *what) {
    result r;
    read_mem(data, len, NULL, 100, &r);
    assert_int_equal(r.rc, SL_EPARSE);
    assert_string_equal(r.err.file, "test.parquet");
    if (what && !strstr(r.err.message, what)) fail_msg("message '%s' lacks '%s'", r.err.message, what);
    result_free(&r);
}

static void test_not_parquet(void **state) {
    expect_error("", 0, "not a Parquet file");
    expect_error("PAR1", 4, "too short");
    const char *text = "{\"a\": 1}\n{\"a\": 2}\n";
    expect_error(text, strlen(text), "PAR1 magic");
    expect_error("PAR1\x05\x00\x00\x00PARE", 12, "encrypted");
    expect_error("PAR1\xff\xff\x00\x00PAR1", 12, "footer length");
    expect_error("PAR1\x02\x00\x00\x00\x15\x00\x02\x00\x00\x00PAR1", 18, "corrupt Parquet footer");
}

/* Every truncation of a file fails cleanly (its end — the footer — is gone). */
static void test_truncated(void **state) {
    size_t len;
    char *data = load("nested_v2_zstd.parquet", &len);
    for (size_t n = 0; n < len; n++) {
        char *copy = sl_xmalloc(n + 1); /* exact size: ASan sees any overread */
        memcpy(copy, data, n);
        result r;
        read_mem(copy, n, NULL, 100, &r);
        assert_true(r.rc < 0);
        assert_string_equal(r.err.file, "test.parquet");
        result_free(&r);
        free(copy);
    }
    /* data cut from the middle, footer kept: offsets point past the data */
    size_t cut = 600;
    char *copy = sl_xmalloc(len - cut);
    memcpy(copy, data, 300);
    memcpy(copy + 300, data + 300 + cut, len - 300 - cut);
    expect_error(copy, len - cut, NULL);
    free(copy);
    free(data);
}

/* Flipped bytes anywhere: an error or some records, never a crash (ASan and
 * UBSan builds run this too). */
static void test_corrupt_bytes(void **state) {
    const char *files[] = {"types.parquet", "nested_v1.parquet", "flat_plain_v2_none.parquet", "floats_v2.parquet"};
    unsigned seed = 12345;
    for (size_t f = 0; f < 4; f++) {
        size_t len;
        char *data = load(files[f], &len);
        char *copy = sl_xmalloc(len);
        for (int trial = 0; trial < 600; trial++) {
            memcpy(copy, data, len);
            int flips = 1 + trial % 3;
            for (int k = 0; k < flips; k++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = (seed >> 8) % len;
                seed = seed * 1103515245u + 12345u;
                copy[at] ^= (char)(1 + (seed >> 16) % 255);
            }
            result r;
            read_mem(copy, len, NULL, 1 + trial % 50, &r);
            if (r.rc) {
                assert_true(r.rc == SL_EPARSE || r.rc == SL_EINVAL);
                assert_string_equal(r.err.file, "test.parquet");
                assert_true(r.err.message[0] != 0);
            }
            result_free(&r);
        }
        free(copy);
        free(data);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_codecs),
        cmocka_unit_test(test_byte_stream_split),
        cmocka_unit_test(test_batch_sizes),
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_projection),
        cmocka_unit_test(test_predicate),
        cmocka_unit_test(test_delta_byte_array),
        cmocka_unit_test(test_delta_binary_packed),
        cmocka_unit_test(test_rle_booleans_v2),
        cmocka_unit_test(test_bit_packed_levels),
        cmocka_unit_test(test_legacy_lists),
        cmocka_unit_test(test_legacy_map),
        cmocka_unit_test(test_int96_and_decimals),
        cmocka_unit_test(test_dictionary_index_out_of_range),
        cmocka_unit_test(test_writer_round_trip),
        cmocka_unit_test(test_not_parquet),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
