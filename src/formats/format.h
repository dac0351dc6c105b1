/*
 * format.h — record formats as seen by the file source and file target.
 *
 * A decoder turns bytes into records; an encoder turns records into bytes.
 * Formats register in format.c; the file source/target pick one by name
 * (format option) or by file extension.
 *
 * Decoding contract: the source hands the decoder a buffer that starts at a
 * record boundary. The decoder appends as many whole records as it can to
 * ctx->batch (strings may point into buf: the source pins buf to the batch),
 * stops early once the batch holds ctx->max_records, and reports in
 * *consumed how many bytes it used; an incomplete record at the end of buf
 * is left unconsumed unless at_eof, in which case it is an error. A record
 * that cannot be decoded is passed to ctx->reject (with its line, offset
 * and raw text) and skipped; the decoder returns a negative status only
 * when it cannot go on (it then fills err with the byte offset).
 */
#ifndef SL_FORMAT_H
#define SL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/buf.h"
#include "core/error.h"

typedef struct sl_decode_ctx {
    sl_batch *batch;
    size_t max_records;     /* stop after the batch holds this many */
    uint64_t line;          /* line number of buf[0] (1-based); decoder advances it */
    int64_t offset;         /* file offset of buf[0]; decoder advances it */
    /* Called for each bad record; returns 0 to go on, negative to stop
     * (threshold exceeded; the decoder returns that status). */
    int (*reject)(void *ud, uint64_t line, int64_t offset, const char *reason, const char *raw, size_t raw_len);
    void *ud;
} sl_decode_ctx;

#endif
