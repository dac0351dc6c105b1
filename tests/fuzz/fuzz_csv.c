/*
 * fuzz_csv.c — libFuzzer target for the CSV reader and writer.
 *
 * Input: byte 0 picks the options (delimiter, escape style, header, trim,
 * multiline, inference and overrides, null markers), byte 1 where to split
 * the text between two decode calls, the rest is the CSV text. Checks:
 *   - decoding never crashes, whatever the bytes;
 *   - decoding in two calls (split anywhere) gives the same records,
 *     rejects and line numbers as one call;
 *   - the accepted records, written back with the same options and read
 *     again without inference, give the same column names, the same strings
 *     and the same nulls.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/csv.h"

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "fuzz_csv: check failed: %s (line %d)\n", #cond, __LINE__);                                \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

typedef struct result {
    sl_csv_decoder d;
    sl_batch b;
    int rc;
    int rejects;
    uint64_t reject_lines; /* sum, to compare two decodings cheaply */
    uint64_t line;
} result;

static int on_reject(void *ud, uint64_t line, int64_t offset, const char *reason, const char *raw, size_t raw_len) {
    result *r = ud;
    r->rejects++;
    r->reject_lines += line;
    return 0;
}

static const sl_csv_column_type overrides[] = {{"_c1", SL_T_INT}, {"b", SL_T_DOUBLE}, {"c", SL_T_BOOL}};

static sl_csv_options options_from(uint8_t cfg) {
    static const char delimiters[4] = {',', ';', '\t', '|'};
    sl_csv_options o = sl_csv_options_default();
    o.delimiter = delimiters[cfg & 3];
    if (cfg & 4) o.escape = '\\';
    o.header = (cfg & 8) != 0;
    o.trim_spaces = (cfg & 16) != 0;
    o.multiline = (cfg & 32) == 0;
    o.infer_types = (cfg & 64) != 0;
    if (o.infer_types) {
        o.column_types = overrides;
        o.n_column_types = sizeof overrides / sizeof overrides[0];
    }
    if (cfg & 128) {
        o.null_text = "\\N";
        o.null_marker = "NULL";
        o.skip_rows = 1;
    }
    return o;
}

/* Decodes text, in one call (split == len) or two. The buffers are copied
 * so that reads past them are caught. Returns the copies to free later. */
static void decode(result *r, const sl_csv_options *o, const char *text, size_t len, size_t split, char **bufs) {
    memset(r, 0, sizeof *r);
    CHECK(sl_csv_decoder_init(&r->d, o) == 0);
    sl_batch_init(&r->b);
    sl_decode_ctx ctx = {&r->b, 0, 1, 0, on_reject, r};
    sl_error err;
    bufs[0] = malloc(split ? split : 1);
    memcpy(bufs[0], text, split);
    size_t c1 = 0, c2 = 0;
    r->rc = sl_csv_decode(&r->d, bufs[0], split, split == len, &c1, &ctx, &err);
    CHECK(c1 <= split);
    bufs[1] = NULL;
    if (r->rc == 0 && split < len) {
        bufs[1] = malloc(len - c1);
        memcpy(bufs[1], text + c1, len - c1);
        r->rc = sl_csv_decode(&r->d, bufs[1], len - c1, true, &c2, &ctx, &err);
    }
    if (r->rc == 0) CHECK(c1 + c2 == len);
    r->line = ctx.line;
}

static void result_free(result *r, char **bufs) {
    sl_batch_free(&r->b);
    sl_csv_decoder_free(&r->d);
    free(bufs[0]);
    free(bufs[1]);
}

static bool same_bytes(const char *a, size_t an, const char *b, size_t bn) {
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static void check_same(const result *x, const result *y) {
    CHECK(x->rc == y->rc);
    if (x->rc < 0) return;
    CHECK(x->b.count == y->b.count);
    CHECK(x->rejects == y->rejects);
    CHECK(x->reject_lines == y->reject_lines);
    CHECK(x->line == y->line);
    for (size_t i = 0; i < x->b.count; i++) {
        CHECK(sl_value_equal(&x->b.records[i], &y->b.records[i]));
        CHECK(x->b.locs[i].line == y->b.locs[i].line);
        CHECK(x->b.locs[i].offset == y->b.locs[i].offset);
    }
}

/* Writes the records of r and reads them back as text. */
static void check_round_trip(const result *r, const sl_csv_options *o) {
    if (r->rc < 0 || r->b.count == 0) return;
    uint32_t ncols = sl_csv_decoder_columns(&r->d);
    /* Without a header, a one-column file cannot tell a leading null from a
     * blank line (docs/csv.md). */
    if (!o->header && ncols == 1) return;
    sl_csv_writer w;
    CHECK(sl_csv_writer_init(&w, o) == 0);
    sl_buf out;
    sl_buf_init(&out, SL_BUF_UNLIMITED);
    sl_error err;
    for (size_t i = 0; i < r->b.count; i++)
        CHECK(sl_csv_write_record(&w, &out, &r->b.records[i], &err) == 0);
    CHECK(sl_csv_writer_dropped_fields(&w) == 0);

    sl_csv_options ro = *o;
    ro.infer_types = false;
    ro.column_types = NULL;
    ro.n_column_types = 0;
    ro.skip_rows = 0;
    ro.multiline = true;
    result back;
    char *bufs[2];
    decode(&back, &ro, out.data ? out.data : "", out.len, out.len, bufs);
    CHECK(back.rc == 0);
    CHECK(back.rejects == 0);
    CHECK(back.b.count == r->b.count);
    for (size_t i = 0; i < r->b.count; i++) {
        const sl_value *a = &r->b.records[i], *b = &back.b.records[i];
        CHECK(a->len == ncols && b->len == ncols);
        for (uint32_t c = 0; c < ncols; c++) {
            const sl_field *fa = &a->u.fields[c], *fb = &b->u.fields[c];
            CHECK(same_bytes(fa->name, fa->name_len, fb->name, fb->name_len));
            if (fa->value.type == SL_T_NULL) {
                CHECK(fb->value.type == SL_T_NULL);
            } else if (fa->value.type == SL_T_STRING) {
                CHECK(fb->value.type == SL_T_STRING);
                CHECK(same_bytes(fa->value.u.s, fa->value.len, fb->value.u.s, fb->value.len));
                CHECK(fa->value.flags == fb->value.flags);
            } else {
                CHECK(fb->value.type == SL_T_STRING);
            }
        }
    }
    result_free(&back, bufs);
    sl_buf_free(&out);
    sl_csv_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    sl_csv_options o = options_from(data[0]);
    const char *text = (const char *)data + 2;
    size_t len = size - 2;
    size_t split = len ? data[1] % (len + 1) : 0;

    result whole, parts;
    char *wb[2], *pb[2];
    decode(&whole, &o, text, len, len, wb);
    decode(&parts, &o, text, len, split, pb);
    check_same(&whole, &parts);
    check_round_trip(&whole, &o);
    result_free(&parts, pb);
    result_free(&whole, wb);
    return 0;
}
