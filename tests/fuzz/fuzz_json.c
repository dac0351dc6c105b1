/* fuzz_json.c — libFuzzer target for the JSON reader and writer.
 *
 * 1. sl_json_parse: when the input parses, writing it and parsing the output
 *    must give an equal value, and writing that again the same bytes.
 * 2. sl_json_decode: the whole input in one call and the same input split in
 *    two calls (split point from the first byte) must produce the same
 *    records, the same rejects and the same status; consumed never exceeds
 *    the buffer, and records are always objects.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/json.h"
#include "test_util.h"

/* Deep equality, doubles bit for bit (local: no dependency on convert.c). */

static void check(bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_json: %s\n", what);
        abort();
    }
}

static void fuzz_parse(const char *data, size_t size) {
    sl_arena a;
    sl_arena_init(&a);
    sl_value v, w;
    sl_error err;
    if (sl_json_parse(data, size, &a, &v, &err) == 0) {
        sl_buf out, again;
        sl_buf_init(&out, 0);
        sl_buf_init(&again, 0);
        check(sl_json_write(&out, &v) == 0, "write failed");
        check(sl_json_parse(out.data, out.len, &a, &w, &err) == 0, "written JSON does not parse");
        check(sl_test_identical(&v, &w), "re-parsed value differs");
        check(sl_json_write(&again, &w) == 0, "second write failed");
        check(again.len == out.len && memcmp(again.data, out.data, out.len) == 0, "second write differs");
        sl_buf_free(&out);
        sl_buf_free(&again);
    } else {
        check(err.code == SL_EPARSE && err.offset >= 0 && (size_t)err.offset <= size, "bad error offset");
    }
    sl_arena_free(&a);
}

/* What a decode run produced, as comparable text: records (and the end
 * state) in one log, rejects in another (the two interleave differently
 * depending on where calls start and stop). */
typedef struct run_log {
    sl_buf text;
    sl_buf rejects;
} run_log;

static int on_reject(void *ud, uint64_t line, int64_t offset, const char *reason, const char *raw, size_t raw_len) {
    run_log *log = ud;
    sl_buf_printf(&log->rejects, "reject line %llu offset %lld: %s [", (unsigned long long)line, (long long)offset,
                  reason);
    sl_buf_add(&log->rejects, raw, raw_len);
    sl_buf_adds(&log->rejects, "]\n");
    return 0;
}

static bool same_buf(const sl_buf *a, const sl_buf *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Decode data, presenting it in up to two pieces (the second call re-presents
 * unconsumed bytes plus the rest). Keeps going with bigger windows while the
 * decoder makes progress, like the file source. */
static void decode_run(const char *data, size_t size, size_t split, size_t max_records, run_log *log) {
    sl_batch b;
    sl_batch_init(&b);
    sl_json_decoder d;
    sl_json_decoder_init(&d);
    sl_decode_ctx ctx = {
        .batch = &b, .max_records = max_records, .line = 1, .offset = 0, .reject = on_reject, .ud = log};
    size_t pos = 0, visible = split;
    for (int guard = 0; guard < 100000; guard++) {
        bool eof = visible == size;
        size_t consumed = 0;
        sl_error err;
        sl_batch_reset(&b);
        int rc = sl_json_decode(&d, data + pos, visible - pos, eof, &consumed, &ctx, &err);
        check(consumed <= visible - pos, "consumed beyond the buffer");
        check(ctx.offset == (int64_t)(pos + consumed), "offset not advanced by consumed");
        for (size_t i = 0; i < b.count; i++) {
            check(b.records[i].type == SL_T_STRUCT, "record is not a struct");
            sl_buf_printf(&log->text, "record line %llu offset %lld: ", (unsigned long long)b.locs[i].line,
                          (long long)b.locs[i].offset);
            check(sl_json_write(&log->text, &b.records[i]) == 0, "record write failed");
            sl_buf_addc(&log->text, '\n');
        }
        pos += consumed;
        if (rc < 0) {
            check(rc == SL_EPARSE, "unexpected status");
            sl_buf_printf(&log->text, "fatal: %s\n", err.message);
            break;
        }
        if (eof && (pos == size || (consumed == 0 && b.count == 0))) {
            check(pos == size, "decoder stopped before the end at EOF");
            break;
        }
        if (consumed == 0 && b.count == 0) visible = size; /* needs more input */
    }
    sl_buf_printf(&log->text, "end line %llu\n", (unsigned long long)ctx.line);
    sl_batch_free(&b);
}

static void fuzz_decode(const char *data, size_t size) {
    if (size == 0) return;
    size_t split = (unsigned char)data[0] % (size + 1);
    size_t max_records = 1 + (unsigned char)data[0] % 3;
    run_log whole, pieces;
    sl_buf_init(&whole.text, 0);
    sl_buf_init(&whole.rejects, 0);
    sl_buf_init(&pieces.text, 0);
    sl_buf_init(&pieces.rejects, 0);
    decode_run(data, size, size, max_records, &whole);
    decode_run(data, size, split, max_records, &pieces);
    if (!same_buf(&whole.text, &pieces.text) || !same_buf(&whole.rejects, &pieces.rejects)) {
        fprintf(stderr, "--- whole\n%s%s--- split at %zu\n%s%s", whole.text.data ? whole.text.data : "",
                whole.rejects.data ? whole.rejects.data : "", split, pieces.text.data ? pieces.text.data : "",
                pieces.rejects.data ? pieces.rejects.data : "");
        check(false, "split decoding differs from one-shot decoding");
    }
    sl_buf_free(&whole.text);
    sl_buf_free(&whole.rejects);
    sl_buf_free(&pieces.text);
    sl_buf_free(&pieces.rejects);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* a private copy: reads past the end show up under ASan */
    char *copy = malloc(size ? size : 1);
    if (size) memcpy(copy, data, size);
    fuzz_parse(copy, size);
    fuzz_decode(copy, size);
    free(copy);
    return 0;
}
