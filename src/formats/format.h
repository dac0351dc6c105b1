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
#include "store/store.h"

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


/* ---- format registry (format.c) ---- */

#include "core/value.h"

/* Options a format may use; the file source/target fill them from the node
 * options, each format reads the ones it knows. */
typedef struct sl_format_opts {
    char delimiter, quote, escape;
    bool header;
    const char *null_text;      /* CSV text that means null ("" by default) */
    bool infer_types;
    const sl_value *types;      /* CSV per-column type overrides: STRUCT column → type name, or NULL */
    bool multiline;             /* CSV quoted fields may hold newlines */
    /* Parquet reader: top-level columns to read (LIST of strings, NULL:
     * all) and a predicate whose column statistics let row groups be
     * skipped (expression text, NULL: none). */
    const sl_value *columns;
    const char *predicate;
    /* Parquet writer: page codec name (NULL: snappy), row group and page
     * sizes in bytes (0: default), data page version (0: 1). */
    const char *parquet_compression;
    int64_t row_group_size, page_size;
    int data_page_version;
    const char *avro_codec;     /* Avro block codec (NULL: deflate) */
    /* CSV reader: the only top-level columns records need (LIST of STRING,
     * the source node's projection; NULL: all). The others are not decoded. */
    const sl_value *projection;
} sl_format_opts;

void sl_format_opts_default(sl_format_opts *o);

typedef struct sl_format {
    const char *name;        /* "json", "csv", "dynamodb_json" */
    const char *extensions;  /* space-separated, with dots: ".json .jsonl .ndjson" */
    const char *out_ext;     /* extension of files we write: ".json" */
    bool line_splittable;    /* records never span lines (byte-range splits OK) */
    bool needs_header;       /* a byte-range reader must hand it the file's first line */

    int (*decoder_new)(const sl_format_opts *o, void **dec, sl_error *err);
    int (*decode)(void *dec, const char *buf, size_t len, bool at_eof, size_t *consumed, sl_decode_ctx *ctx,
                  sl_error *err);
    int (*set_header)(void *dec, const char *line, size_t len, sl_error *err); /* may be NULL */
    void (*decoder_free)(void *dec);

    int (*encoder_new)(const sl_format_opts *o, void **enc, sl_error *err); /* NULL: read-only format */
    /* Append one record (and its line end) to out. A record the format cannot
     * represent returns SL_ETYPE with a reason (it goes to the error output).
     * Columnar formats may buffer records and append nothing until a row
     * group is complete. */
    int (*encode)(void *enc, sl_buf *out, const sl_value *rec, sl_error *err);
    /* After the last record of an output file: append what is still
     * buffered and any trailer (Parquet's last row group and footer). May be
     * NULL. */
    int (*encode_finish)(void *enc, sl_buf *out, sl_error *err);
    void (*encoder_free)(void *enc);

    /* Random-access formats (Parquet keeps its index at the end): the file
     * source reads such objects through the store instead of decoding a byte
     * stream. When object_open is set, decoder_new/decode are not used.
     * object_next fills ctx->batch with up to ctx->max_records records (in
     * the batch arena: nothing may point into the decoder's buffers) and
     * returns 1 while it produced records, 0 at the end, negative on error
     * (err names the object and what is wrong). */
    int (*object_open)(sl_store *store, const char *url, uint64_t size, const sl_format_opts *o, void **dec,
                       sl_error *err);
    int (*object_next)(void *dec, sl_decode_ctx *ctx, sl_error *err);
    void (*object_close)(void *dec);
    /* Optional, for random-access objects made of independent parts
     * (Parquet's row groups): like object_open, but the reader returns only
     * the parts whose data lies mostly in bytes [offset, offset + length)
     * of the object (length UINT64_MAX: to its end; size: the object's
     * size). When set, the file source cuts objects larger than split_size
     * into such ranges so several workers share one big object; each part
     * belongs to exactly one range. */
    int (*object_open_range)(sl_store *store, const char *url, uint64_t size, uint64_t offset, uint64_t length,
                             const sl_format_opts *o, void **dec, sl_error *err);
} sl_format;

const sl_format *sl_format_find(const char *name);
/* Format from a file name's extension (after stripping .gz/.zst); NULL if unknown. */
const sl_format *sl_format_for_path(const char *path);
/* "json, csv, dynamodb_json" — for messages. */
const char *sl_format_names(void);

#endif
