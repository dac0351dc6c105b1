/* test_compress.c — unit tests for formats/compress (compressed file streams). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/mem.h"
#include "formats/compress.h"

#define MIB ((size_t)1 << 20)

static char tmpdir[64];

static int setup_dir(void **state) {
    strcpy(tmpdir, "/tmp/sl_compress_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tpath(const char *name) {
    static char buf[4][256];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    return p;
}

/* Deterministic test data: random bytes or repetitive CSV-like text. */
static unsigned char *make_data(size_t n, bool random) {
    unsigned char *p = sl_xmalloc(n ? n : 1);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        if (random) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            p[i] = (unsigned char)x;
        } else {
            p[i] = "id,name,amount\n1,alpha,3.25\n"[i % 28];
        }
    }
    return p;
}

static void write_raw(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static unsigned char *read_raw(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = sl_xmalloc((size_t)size + 1);
    assert_int_equal(fread(p, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return p;
}

/* Read a whole stream with reads of `chunk` bytes; returns a malloc'd copy. */
static unsigned char *read_stream(const char *path, uint64_t offset, uint64_t length, size_t chunk, size_t *n,
                                  sl_codec *codec) {
    sl_instream *s;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_instream_open(path, offset, length, &s, &err), 0);
    if (codec) *codec = sl_instream_codec(s);
    size_t cap = 1024, len = 0, got;
    unsigned char *out = sl_xmalloc(cap);
    for (;;) {
        if (cap - len < chunk) {
            cap = (cap + chunk) * 2;
            out = sl_xrealloc(out, cap);
        }
        int rc = sl_instream_read(s, out + len, chunk, &got, &err);
        if (rc) fail_msg("read failed: %s", err.message);
        if (got == 0) break;
        assert_true(got <= chunk);
        len += got;
    }
    sl_instream_close(s);
    *n = len;
    return out;
}

static void write_stream(const char *path, sl_codec codec, int level, const unsigned char *data, size_t n,
                         size_t chunk) {
    sl_outstream *s;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_outstream_open(path, codec, level, &s, &err), 0);
    for (size_t i = 0; i < n; i += chunk) {
        size_t len = n - i < chunk ? n - i : chunk;
        assert_int_equal(sl_outstream_write(s, data + i, len, &err), 0);
    }
    assert_int_equal(sl_outstream_bytes_in(s), n);
    uint64_t written = sl_outstream_bytes_out(s);
    assert_int_equal(sl_outstream_close(s, true, &err), 0);
    uint64_t size;
    assert_int_equal(sl_file_size(path, &size, &err), 0);
    assert_true(size >= written);
}

/* ---- codecs -------------------------------------------------------------- */

static void test_codec_names(void **state) {
    sl_codec c = SL_CODEC_NONE;
    assert_int_equal(sl_codec_parse("gzip", &c), 0);
    assert_int_equal(c, SL_CODEC_GZIP);
    assert_int_equal(sl_codec_parse("gz", &c), 0);
    assert_int_equal(c, SL_CODEC_GZIP);
    assert_int_equal(sl_codec_parse("ZSTD", &c), 0);
    assert_int_equal(c, SL_CODEC_ZSTD);
    assert_int_equal(sl_codec_parse("zst", &c), 0);
    assert_int_equal(c, SL_CODEC_ZSTD);
    assert_int_equal(sl_codec_parse("none", &c), 0);
    assert_int_equal(c, SL_CODEC_NONE);
    assert_int_equal(sl_codec_parse("bzip2", &c), 0);
    assert_int_equal(c, SL_CODEC_BZIP2);
    assert_int_equal(sl_codec_parse("lzma", &c), SL_EINVAL);
    assert_int_equal(c, SL_CODEC_BZIP2);
    assert_string_equal(sl_codec_extension(SL_CODEC_BZIP2), ".bz2");
    assert_string_equal(sl_codec_name(SL_CODEC_GZIP), "gzip");
    assert_string_equal(sl_codec_name(SL_CODEC_ZSTD), "zstd");
    assert_string_equal(sl_codec_name(SL_CODEC_NONE), "none");
    assert_string_equal(sl_codec_extension(SL_CODEC_GZIP), ".gz");
    assert_string_equal(sl_codec_extension(SL_CODEC_ZSTD), ".zst");
    assert_string_equal(sl_codec_extension(SL_CODEC_NONE), "");
    assert_int_equal(sl_codec_default_level(SL_CODEC_GZIP), 6);
    assert_int_equal(sl_codec_default_level(SL_CODEC_ZSTD), 3);
}

static void test_detect_and_sniff(void **state) {
    assert_int_equal(sl_codec_detect("\x1f\x8b\x08\x00", 4), SL_CODEC_GZIP);
    assert_int_equal(sl_codec_detect("\x28\xb5\x2f\xfd", 4), SL_CODEC_ZSTD);
    assert_int_equal(sl_codec_detect("\x50\x2a\x4d\x18", 4), SL_CODEC_ZSTD);
    assert_int_equal(sl_codec_detect("\x1f", 1), SL_CODEC_NONE);
    assert_int_equal(sl_codec_detect("\x28\xb5\x2f", 3), SL_CODEC_NONE);
    assert_int_equal(sl_codec_detect("id,name\n", 8), SL_CODEC_NONE);
    assert_int_equal(sl_codec_detect("", 0), SL_CODEC_NONE);

    assert_int_equal(sl_codec_detect("BZh91AY&SY", 10), SL_CODEC_BZIP2);
    assert_int_equal(sl_codec_detect("BZh9", 4), SL_CODEC_BZIP2);
    assert_int_equal(sl_codec_detect("BZh1 is a name\n", 15), SL_CODEC_NONE);
    assert_null(sl_codec_sniff_name("BZh91AY&SY", 10));
    assert_string_equal(sl_codec_sniff_name("\xfd" "7zXZ\0\0\4", 8), "xz");
    assert_string_equal(sl_codec_sniff_name("PK\3\4\24\0", 6), "zip");
    assert_null(sl_codec_sniff_name("\x1f\x8b\x08", 3));
    assert_null(sl_codec_sniff_name("{\"a\":1}", 7));
    assert_null(sl_codec_sniff_name("", 0));
}

/* ---- round trips ---------------------------------------------------------- */

static void round_trip(sl_codec codec, size_t n, bool random) {
    const char *names[] = {"rt.txt", "rt.gz", "rt.zst", "rt.bz2"};
    const char *path = tpath(names[codec]);
    unsigned char *data = make_data(n, random);
    /* Odd write sizes cross block boundaries at unaligned points. */
    write_stream(path, codec, -1, data, n, n > 100000 ? 300007 : 7);

    sl_codec seen;
    size_t got_n;
    unsigned char *got = read_stream(path, 0, UINT64_MAX, 65536, &got_n, &seen);
    assert_int_equal(got_n, n);
    assert_memory_equal(got, data, n);
    /* An empty compressed stream has no magic to see; otherwise the codec is detected. */
    if (n > 0) assert_int_equal(seen, codec);
    free(got);

    /* Tiny reads exercise the "buffered output pending" paths. */
    if (n <= 2 * MIB) {
        got = read_stream(path, 0, UINT64_MAX, 3, &got_n, NULL);
        assert_int_equal(got_n, n);
        assert_memory_equal(got, data, n);
        free(got);
    }
    free(data);
}

static void test_round_trip_none(void **state) {
    round_trip(SL_CODEC_NONE, 0, true);
    round_trip(SL_CODEC_NONE, 1, true);
    round_trip(SL_CODEC_NONE, MIB + 1, true);
    round_trip(SL_CODEC_NONE, 5 * MIB, true);
    round_trip(SL_CODEC_NONE, 5 * MIB, false);
}

static void test_round_trip_gzip(void **state) {
    round_trip(SL_CODEC_GZIP, 0, true);
    round_trip(SL_CODEC_GZIP, 1, true);
    round_trip(SL_CODEC_GZIP, MIB + 1, true);
    round_trip(SL_CODEC_GZIP, 5 * MIB, true);
    round_trip(SL_CODEC_GZIP, 5 * MIB, false);
}

static void test_round_trip_zstd(void **state) {
    round_trip(SL_CODEC_ZSTD, 0, true);
    round_trip(SL_CODEC_ZSTD, 1, true);
    round_trip(SL_CODEC_ZSTD, MIB + 1, true);
    round_trip(SL_CODEC_ZSTD, 5 * MIB, true);
    round_trip(SL_CODEC_ZSTD, 5 * MIB, false);
    round_trip(SL_CODEC_BZIP2, 0, true);
    round_trip(SL_CODEC_BZIP2, 1, true);
    round_trip(SL_CODEC_BZIP2, MIB + 1, true);
    round_trip(SL_CODEC_BZIP2, 3 * MIB, false);
}

/* Our gzip output (libdeflate, several members) read back by zlib's gzread,
 * an independent decoder; our zstd output by ZSTD_decompress. */
static void test_output_read_by_other_decoders(void **state) {
    size_t n = 3 * MIB + 12345;
    unsigned char *data = make_data(n, false);
    const char *gz = tpath("other.gz");
    write_stream(gz, SL_CODEC_GZIP, 9, data, n, 100000);
    gzFile f = gzopen(gz, "rb");
    assert_non_null(f);
    unsigned char *back = sl_xmalloc(n + 1);
    size_t len = 0;
    int r;
    while ((r = gzread(f, back + len, (unsigned)(n + 1 - len))) > 0) len += (size_t)r;
    assert_int_equal(r, 0);
    gzclose(f);
    assert_int_equal(len, n);
    assert_memory_equal(back, data, n);

    const char *zs = tpath("other.zst");
    write_stream(zs, SL_CODEC_ZSTD, 19, data, n, 100000);
    size_t clen;
    unsigned char *comp = read_raw(zs, &clen);
    assert_true(clen < n / 10);
    size_t dlen = ZSTD_decompress(back, n + 1, comp, clen);
    assert_false(ZSTD_isError(dlen));
    assert_int_equal(dlen, n);
    assert_memory_equal(back, data, n);

    free(comp);
    free(back);
    free(data);
}

/* An empty gzip output is still a valid gzip file (one empty member). */
static void test_empty_gzip_is_valid(void **state) {
    const char *path = tpath("empty.gz");
    write_stream(path, SL_CODEC_GZIP, -1, NULL, 0, 1);
    size_t n;
    unsigned char *raw = read_raw(path, &n);
    assert_true(n >= 18);
    assert_int_equal(sl_codec_detect(raw, n), SL_CODEC_GZIP);
    free(raw);
    gzFile f = gzopen(path, "rb");
    char c;
    assert_int_equal(gzread(f, &c, 1), 0);
    gzclose(f);
}

static void test_levels(void **state) {
    sl_outstream *s;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_outstream_open(tpath("lv.gz"), SL_CODEC_GZIP, 13, &s, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "0..12"));
    assert_int_equal(sl_outstream_open(tpath("lv.zst"), SL_CODEC_ZSTD, 0, &s, &err), SL_EINVAL);
    assert_int_equal(sl_outstream_open(tpath("lv.zst"), SL_CODEC_ZSTD, 99, &s, &err), SL_EINVAL);
    assert_int_equal(sl_outstream_open(tpath("lv.x"), (sl_codec)7, -1, &s, &err), SL_EINVAL);

    unsigned char *data = make_data(200000, false);
    int gz_levels[] = {0, 1, 12};
    for (int i = 0; i < 3; i++) {
        write_stream(tpath("lv.gz"), SL_CODEC_GZIP, gz_levels[i], data, 200000, 4096);
        size_t n;
        unsigned char *got = read_stream(tpath("lv.gz"), 0, UINT64_MAX, 4096, &n, NULL);
        assert_int_equal(n, 200000);
        assert_memory_equal(got, data, n);
        free(got);
    }
    write_stream(tpath("lv.zst"), SL_CODEC_ZSTD, 1, data, 200000, 4096);
    size_t n;
    unsigned char *got = read_stream(tpath("lv.zst"), 0, UINT64_MAX, 4096, &n, NULL);
    assert_int_equal(n, 200000);
    assert_memory_equal(got, data, n);
    free(got);
    free(data);
}

/* ---- foreign input -------------------------------------------------------- */

/* Concatenated gzip members written by zlib (gzopen "wb", then "ab"), the
 * way `cat a.gz b.gz` or libdeflate-based writers produce them. */
static void test_multi_member_gzip(void **state) {
    const char *path = tpath("multi.gz");
    unsigned char *data = make_data(3 * MIB, true);
    size_t cuts[] = {0, 1000, 1000, 2 * MIB + 17, 3 * MIB}; /* includes an empty member */
    for (int i = 0; i < 4; i++) {
        gzFile f = gzopen(path, i == 0 ? "wb6" : "ab1");
        assert_non_null(f);
        size_t len = cuts[i + 1] - cuts[i];
        if (len) assert_int_equal(gzwrite(f, data + cuts[i], (unsigned)len), (int)len);
        assert_int_equal(gzclose(f), Z_OK);
    }
    size_t n;
    sl_codec codec;
    unsigned char *got = read_stream(path, 0, UINT64_MAX, 100000, &n, &codec);
    assert_int_equal(codec, SL_CODEC_GZIP);
    assert_int_equal(n, 3 * MIB);
    assert_memory_equal(got, data, n);
    free(got);

    /* raw_bytes ends at the file size. */
    uint64_t size;
    assert_int_equal(sl_file_size(path, &size, NULL), 0);
    sl_instream *s;
    assert_int_equal(sl_instream_open(path, 0, size, &s, NULL), 0);
    unsigned char *buf = sl_xmalloc(MIB);
    size_t total = 0;
    do {
        assert_int_equal(sl_instream_read(s, buf, MIB, &n, NULL), 0);
        total += n;
    } while (n);
    assert_int_equal(total, 3 * MIB);
    assert_int_equal(sl_instream_raw_bytes(s), size);
    sl_instream_close(s);
    free(buf);
    free(data);
}

/* gzip(1) tolerates zero padding after the last member; so do we. */
static void test_gzip_trailing_zeros(void **state) {
    const char *path = tpath("pad.gz");
    gzFile f = gzopen(path, "wb");
    gzwrite(f, "hello\n", 6);
    gzclose(f);
    FILE *fp = fopen(path, "ab");
    static const char zeros[5000];
    fwrite(zeros, 1, sizeof zeros, fp);
    fclose(fp);
    size_t n;
    unsigned char *got = read_stream(path, 0, UINT64_MAX, 1024, &n, NULL);
    assert_int_equal(n, 6);
    assert_memory_equal(got, "hello\n", 6);
    free(got);
}

static void test_gzip_trailing_garbage(void **state) {
    const char *path = tpath("junk.gz");
    gzFile f = gzopen(path, "wb");
    gzwrite(f, "hello\n", 6);
    gzclose(f);
    size_t clen;
    unsigned char *raw = read_raw(path, &clen);
    FILE *fp = fopen(path, "ab");
    fwrite("junk", 1, 4, fp);
    fclose(fp);
    sl_instream *s;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_instream_open(path, 0, UINT64_MAX, &s, &err), 0);
    char buf[64];
    size_t got;
    int rc;
    while ((rc = sl_instream_read(s, buf, sizeof buf, &got, &err)) == 0 && got > 0) {
    }
    assert_int_equal(rc, SL_EPARSE);
    assert_non_null(strstr(err.message, "junk.gz"));
    assert_true(err.offset >= (long long)clen);
    sl_instream_close(s);
    free(raw);
}

static void test_multi_frame_zstd(void **state) {
    const char *path = tpath("multi.zst");
    unsigned char *data = make_data(2 * MIB, false);
    size_t bound = ZSTD_compressBound(MIB);
    unsigned char *comp = sl_xmalloc(3 * bound);
    size_t a = ZSTD_compress(comp, bound, data, MIB, 3);
    assert_false(ZSTD_isError(a));
    size_t b = ZSTD_compress(comp + a, bound, data + MIB, 0, 1);
    assert_false(ZSTD_isError(b));
    size_t c = ZSTD_compress(comp + a + b, bound, data + MIB, MIB, 5);
    assert_false(ZSTD_isError(c));
    write_raw(path, comp, a + b + c);
    size_t n;
    sl_codec codec;
    unsigned char *got = read_stream(path, 0, UINT64_MAX, 70000, &n, &codec);
    assert_int_equal(codec, SL_CODEC_ZSTD);
    assert_int_equal(n, 2 * MIB);
    assert_memory_equal(got, data, n);
    free(got);
    free(comp);
    free(data);
}

/* ---- byte ranges ---------------------------------------------------------- */

static void test_byte_ranges(void **state) {
    const char *path = tpath("range.csv");
    size_t n = 3 * MIB + 5;
    unsigned char *data = make_data(n, true);
    write_raw(path, data, n);
    struct {
        uint64_t offset, length;
        size_t expect;
    } cases[] = {
        {0, 100, 100},
        {12345, 1000, 1000},
        {MIB - 3, 2 * MIB, 2 * MIB},
        {n - 10, UINT64_MAX, 10},
        {n - 10, 100, 10},
        {n, UINT64_MAX, 0},
        {n + 100, 50, 0},
        {5, 0, 0},
    };
    size_t chunks[] = {1, 4096, 3 * MIB};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t j = 0; j < 3; j++) {
            if (chunks[j] == 1 && cases[i].expect > 5000) continue;
            size_t got_n;
            sl_codec codec;
            unsigned char *got = read_stream(path, cases[i].offset, cases[i].length, chunks[j], &got_n, &codec);
            assert_int_equal(codec, SL_CODEC_NONE);
            assert_int_equal(got_n, cases[i].expect);
            if (got_n) assert_memory_equal(got, data + cases[i].offset, got_n);
            free(got);
        }
    }
    /* raw_bytes counts what the range delivered. */
    sl_instream *s;
    assert_int_equal(sl_instream_open(path, 1000, 5000, &s, NULL), 0);
    unsigned char buf[8192];
    size_t got;
    assert_int_equal(sl_instream_read(s, buf, sizeof buf, &got, NULL), 0);
    assert_int_equal(got, 5000);
    assert_int_equal(sl_instream_raw_bytes(s), 5000);
    assert_int_equal(sl_instream_read(s, buf, sizeof buf, &got, NULL), 0);
    assert_int_equal(got, 0);
    sl_instream_close(s);
    free(data);
}

static void test_compressed_range_rejected(void **state) {
    const char *path = tpath("range.gz");
    unsigned char *data = make_data(100000, false);
    write_stream(path, SL_CODEC_GZIP, -1, data, 100000, 100000);
    sl_instream *s = (sl_instream *)1;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_instream_open(path, 10, UINT64_MAX, &s, &err), SL_EINVAL);
    assert_null(s);
    assert_non_null(strstr(err.message, "range.gz"));
    assert_int_equal(sl_instream_open(path, 0, 10, &s, &err), SL_EINVAL);
    uint64_t size;
    assert_int_equal(sl_file_size(path, &size, &err), 0);
    assert_int_equal(sl_instream_open(path, 0, size, &s, &err), 0);
    sl_instream_close(s);
    free(data);
}

/* ---- damaged input -------------------------------------------------------- */

static void expect_parse_error(const char *path, const char *name) {
    sl_instream *s;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_instream_open(path, 0, UINT64_MAX, &s, &err), 0);
    unsigned char *buf = sl_xmalloc(65536);
    size_t got;
    int rc;
    while ((rc = sl_instream_read(s, buf, 65536, &got, &err)) == 0 && got > 0) {
    }
    assert_int_equal(rc, SL_EPARSE);
    assert_int_equal(err.code, SL_EPARSE);
    assert_non_null(strstr(err.message, name));
    assert_non_null(strstr(err.message, "compressed byte"));
    assert_true(err.offset >= 0);
    sl_instream_close(s);
    free(buf);
}

static void damage(sl_codec codec, const char *name, bool cut) {
    size_t n = 2 * MIB + 999;
    unsigned char *data = make_data(n, true);
    const char *path = tpath(name);
    write_stream(path, codec, -1, data, n, n);
    size_t clen;
    unsigned char *comp = read_raw(path, &clen);
    if (cut) {
        /* Several cut points: mid-header, mid-data, just before the end. */
        size_t cuts[] = {4, 10, clen / 2, MIB + 7, clen - 1};
        for (size_t i = 0; i < 5; i++) {
            write_raw(path, comp, cuts[i]);
            expect_parse_error(path, name);
        }
    } else {
        for (size_t i = 100; i < 200; i++) comp[i] ^= 0x5a;
        write_raw(path, comp, clen);
        expect_parse_error(path, name);
    }
    free(comp);
    free(data);
}

static void test_truncated_gzip(void **state) { damage(SL_CODEC_GZIP, "cut.gz", true); }
static void test_truncated_zstd(void **state) { damage(SL_CODEC_ZSTD, "cut.zst", true); }
static void test_corrupt_gzip(void **state) { damage(SL_CODEC_GZIP, "bad.gz", false); }
static void test_corrupt_zstd(void **state) { damage(SL_CODEC_ZSTD, "bad.zst", false); }
static void test_truncated_bzip2(void **state) { damage(SL_CODEC_BZIP2, "cut.bz2", true); }
static void test_corrupt_bzip2(void **state) { damage(SL_CODEC_BZIP2, "bad.bz2", false); }

static void test_unsupported_formats(void **state) {
    struct {
        const char *name;
        const char *head;
        size_t len;
        const char *format;
    } cases[] = {
        {"a.xz", "\xfd" "7zXZ\0\0\4\xe6\xd6\xb4\x46", 12, "xz"},
        {"a.zip", "PK\3\4\24\0\0\0\10\0", 10, "zip"},
    };
    for (size_t i = 0; i < 2; i++) {
        const char *path = tpath(cases[i].name);
        write_raw(path, cases[i].head, cases[i].len);
        sl_instream *s;
        sl_error err;
        sl_error_clear(&err);
        assert_int_equal(sl_instream_open(path, 0, UINT64_MAX, &s, &err), SL_EINVAL);
        assert_non_null(strstr(err.message, cases[i].format));
        assert_non_null(strstr(err.message, "does not read"));
        assert_non_null(strstr(err.message, cases[i].name));
        assert_int_equal(sl_instream_open(path, 4, UINT64_MAX, &s, &err), SL_EINVAL);
        sl_codec codec;
        assert_int_equal(sl_file_codec(path, &codec, &err), SL_EINVAL);
        char *whole;
        size_t len;
        assert_int_equal(sl_read_whole_file(path, 1000, &whole, &len, &err), SL_EINVAL);
    }
}

static void test_open_errors(void **state) {
    sl_instream *s;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_instream_open(tpath("missing.csv"), 0, UINT64_MAX, &s, &err), SL_EIO);
    assert_non_null(strstr(err.message, "missing.csv"));
    assert_int_equal(sl_instream_open(tmpdir, 0, UINT64_MAX, &s, &err), SL_EINVAL);
    uint64_t size;
    assert_int_equal(sl_file_size(tpath("missing.csv"), &size, &err), SL_EIO);
    assert_int_equal(sl_file_size(tmpdir, &size, &err), SL_EINVAL);
    sl_outstream *o;
    assert_int_equal(sl_outstream_open(tpath("no/such/dir.gz"), SL_CODEC_GZIP, -1, &o, &err), SL_EIO);
    assert_non_null(strstr(err.message, "dir.gz"));
}

/* ---- output lifecycle ----------------------------------------------------- */

static void test_discard_removes_file(void **state) {
    for (int c = 0; c < 3; c++) {
        const char *path = tpath("discard.out");
        sl_outstream *s;
        assert_int_equal(sl_outstream_open(path, (sl_codec)c, -1, &s, NULL), 0);
        assert_string_equal(sl_outstream_path(s), path);
        unsigned char *data = make_data(3 * MIB, true);
        assert_int_equal(sl_outstream_write(s, data, 3 * MIB, NULL), 0);
        assert_true(sl_outstream_bytes_out(s) > 0);
        assert_int_equal(access(path, F_OK), 0);
        sl_outstream_discard(s);
        assert_int_equal(access(path, F_OK), -1);
        free(data);
    }
    sl_outstream_discard(NULL);
}

/* A full disk surfaces as SL_EIO from write or close, never a crash. */
static void test_write_error(void **state) {
    if (access("/dev/full", W_OK) != 0) skip();
    for (int c = 0; c < 3; c++) {
        sl_outstream *s;
        sl_error err;
        sl_error_clear(&err);
        assert_int_equal(sl_outstream_open("/dev/full", (sl_codec)c, 1, &s, &err), 0);
        unsigned char *data = make_data(3 * MIB, true);
        int rc = sl_outstream_write(s, data, 3 * MIB, &err);
        if (rc == 0) rc = sl_outstream_close(s, false, &err);
        else assert_int_equal(sl_outstream_close(s, false, &err), SL_EIO);
        assert_int_equal(rc, SL_EIO);
        assert_non_null(strstr(err.message, "/dev/full"));
        free(data);
    }
}

static void test_counters(void **state) {
    const char *path = tpath("count.gz");
    sl_outstream *s;
    assert_int_equal(sl_outstream_open(path, SL_CODEC_GZIP, -1, &s, NULL), 0);
    unsigned char *data = make_data(2 * MIB + 1, false);
    assert_int_equal(sl_outstream_write(s, data, 2 * MIB + 1, NULL), 0);
    assert_int_equal(sl_outstream_bytes_in(s), 2 * MIB + 1);
    uint64_t mid = sl_outstream_bytes_out(s); /* two full members written */
    assert_true(mid > 0 && mid < MIB);
    sl_outstream_close(s, false, NULL);
    uint64_t size;
    assert_int_equal(sl_file_size(path, &size, NULL), 0);
    assert_true(size > mid);
    free(data);
}

/* ---- small whole files ---------------------------------------------------- */

static void test_read_whole_file(void **state) {
    const char *text = "name: demo\nsteps: []\n";
    size_t tlen = strlen(text);
    const char *plain = tpath("job.yaml");
    write_raw(plain, text, tlen);
    const char *gz = tpath("job.yaml.gz");
    write_stream(gz, SL_CODEC_GZIP, -1, (const unsigned char *)text, tlen, tlen);
    const char *zs = tpath("job.yaml.zst");
    write_stream(zs, SL_CODEC_ZSTD, -1, (const unsigned char *)text, tlen, tlen);
    const char *paths[] = {plain, gz, zs};
    for (int i = 0; i < 3; i++) {
        char *data;
        size_t len;
        sl_error err;
        sl_error_clear(&err);
        assert_int_equal(sl_read_whole_file(paths[i], tlen, &data, &len, &err), 0);
        assert_int_equal(len, tlen);
        assert_string_equal(data, text);
        free(data);
        assert_int_equal(sl_read_whole_file(paths[i], tlen - 1, &data, &len, &err), SL_ELIMIT);
        assert_null(data);
        assert_int_equal(sl_read_whole_file(paths[i], SIZE_MAX, &data, &len, &err), 0);
        assert_int_equal(len, tlen);
        free(data);
    }
    /* Bigger than the first buffer, and empty. */
    unsigned char *big = make_data(300000, false);
    write_stream(gz, SL_CODEC_GZIP, -1, big, 300000, 300000);
    char *data;
    size_t len;
    assert_int_equal(sl_read_whole_file(gz, 300000, &data, &len, NULL), 0);
    assert_int_equal(len, 300000);
    assert_memory_equal(data, big, len);
    assert_int_equal(data[len], 0);
    free(data);
    write_raw(plain, "", 0);
    assert_int_equal(sl_read_whole_file(plain, 0, &data, &len, NULL), 0);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    free(data);
    sl_codec codec;
    assert_int_equal(sl_file_codec(gz, &codec, NULL), 0);
    assert_int_equal(codec, SL_CODEC_GZIP);
    assert_int_equal(sl_file_codec(plain, &codec, NULL), 0);
    assert_int_equal(codec, SL_CODEC_NONE);
    free(big);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_names),
        cmocka_unit_test(test_detect_and_sniff),
        cmocka_unit_test(test_round_trip_none),
        cmocka_unit_test(test_round_trip_gzip),
        cmocka_unit_test(test_round_trip_zstd),
        cmocka_unit_test(test_output_read_by_other_decoders),
        cmocka_unit_test(test_empty_gzip_is_valid),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_multi_member_gzip),
        cmocka_unit_test(test_gzip_trailing_zeros),
        cmocka_unit_test(test_gzip_trailing_garbage),
        cmocka_unit_test(test_multi_frame_zstd),
        cmocka_unit_test(test_byte_ranges),
        cmocka_unit_test(test_compressed_range_rejected),
        cmocka_unit_test(test_truncated_gzip),
        cmocka_unit_test(test_truncated_zstd),
        cmocka_unit_test(test_corrupt_gzip),
        cmocka_unit_test(test_corrupt_zstd),
        cmocka_unit_test(test_truncated_bzip2),
        cmocka_unit_test(test_corrupt_bzip2),
        cmocka_unit_test(test_unsupported_formats),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_discard_removes_file),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_read_whole_file),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
