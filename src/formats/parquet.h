/*
 * parquet.h — the Parquet format behind the format vtable (format.h).
 *
 * Shared by two files: parquet_write.c (the writer: encoder_new / encode /
 * encode_finish / encoder_free) and parquet_read.c (the reader:
 * object_open / object_next / object_close). Both build on thrift.h and
 * parquet_meta.h (the footer and page-header structs).
 *
 * Registry: format.c has ONE "parquet" entry in formats[] (name "parquet",
 * extensions ".parquet .pq", out_ext ".parquet") with the writer's four
 * functions filled in. The reader adds its object_open/object_next/
 * object_close to that same entry — do not add a second entry.
 *
 * Only declarations of functions live here (no extern data): each side
 * keeps its own state in its .c file.
 */
#ifndef SL_PARQUET_H
#define SL_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/value.h"
#include "formats/format.h"

/* "PAR1": the 4 bytes at the start and at the very end of every file. */
#define SL_PARQUET_MAGIC "PAR1"

/* ---- writer (parquet_write.c) ---- */

/* Writer settings. Defaults (sl_parquet_write_opts_default): snappy pages,
 * row groups of 64 MiB of encoded data (the first one at most 4 MiB: it is
 * the schema sample), pages of 1 MiB, data page v1, dictionaries up to
 * 1 MiB per column chunk. */
typedef struct sl_parquet_write_opts {
    int codec;                 /* sl_pq_codec: UNCOMPRESSED, SNAPPY, GZIP or ZSTD */
    int64_t row_group_size;    /* bytes of buffered (encoded, uncompressed) column data per row group */
    int64_t page_size;         /* bytes of encoded values per data page */
    int data_page_version;     /* 1 or 2 */
    int64_t dictionary_limit;  /* bytes of dictionary per column chunk before falling back to PLAIN */
} sl_parquet_write_opts;

void sl_parquet_write_opts_default(sl_parquet_write_opts *o);
/* Fill o from format options (o is defaulted first); SL_EINVAL with a
 * message for an unknown codec or out-of-range sizes. */
int sl_parquet_write_opts_from(const sl_format_opts *fo, sl_parquet_write_opts *o, sl_error *err);
/* Codec by name: "none"/"uncompressed", "snappy", "gzip", "zstd". */
int sl_parquet_codec_parse(const char *name, int *codec);

/* New encoder for one output file (vtable encoder_new). An encoder buffers
 * a whole row group; when it is freed, its big buffers go to a
 * process-wide pool (thread-safe, at most 256 MiB) that later encoders
 * grow into, so a run writing many part files does not fault in fresh
 * memory for each. */
int sl_parquet_encoder_new(const sl_format_opts *o, void **enc, sl_error *err);
/* Same with explicit settings (tests, other callers). */
int sl_parquet_encoder_new_opts(const sl_parquet_write_opts *o, void **enc, sl_error *err);
/* Buffer one record (vtable encode). Writes "PAR1" on the first call and a
 * row group each time the buffered data reaches row_group_size. The file
 * schema is fixed by the first row group: a later record whose value does
 * not fit its column's type returns SL_ETYPE (the record goes to the error
 * output); fields the schema does not have are dropped and counted. A
 * schema that cannot be written (a choice type: values of different kinds
 * in one field) fails with SL_EINVAL naming the field. A finished row
 * group reaches out over the following calls, about 1 MiB per call. */
int sl_parquet_encode(void *enc, sl_buf *out, const sl_value *rec, sl_error *err);
/* Last row group and the footer (vtable encode_finish). A file with no
 * records gets an empty schema and no row groups. */
int sl_parquet_encode_finish(void *enc, sl_buf *out, sl_error *err);
void sl_parquet_encoder_free(void *enc);
/* Fields dropped so far because the file schema did not have them. */
uint64_t sl_parquet_encoder_dropped(const void *enc);

/* ---- reader (parquet_read.c) ----
 * Random-access decoding (format.h: object_open / object_next /
 * object_close). Reads PLAIN, dictionary, RLE, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT data,
 * pages v1 and v2, uncompressed/snappy/gzip/zstd/lz4_raw, nested
 * struct/list/map columns. Types: STRING/ENUM/JSON → string; DATE → date;
 * TIMESTAMP millis/micros/nanos and INT96 → timestamp (microseconds; nanos
 * truncated); DECIMAL → decimal text (exact); unsigned 64-bit values beyond
 * the long range → decimal text; TIME → "HH:MM:SS[.f]" string; UUID →
 * canonical string; MAP → struct keyed by the keys' text; other byte
 * arrays → binary. A null value is a field holding null. */

/* Open the object at url (size bytes; UINT64_MAX: ask the store) and read
 * its footer. Options used: o->columns (LIST of top-level column names:
 * read only those, in that order; NULL: every column) and o->predicate
 * (expression text: row groups whose column statistics show that no row
 * can satisfy it are skipped — rows are NOT filtered, a filter node does
 * that). On success *dec is the reader (free with sl_parquet_object_close).
 * Errors: SL_EPARSE for a file that is not Parquet, truncated or corrupt;
 * SL_EINVAL for a column the file does not have or a bad predicate;
 * SL_EIO from the store. err->file names the object and err->offset the
 * byte offset when known. */
int sl_parquet_object_open(sl_store *store, const char *url, uint64_t size, const sl_format_opts *o, void **dec,
                           sl_error *err);
/* Only the row groups whose middle byte lies in [offset, offset + length)
 * (length UINT64_MAX: to the end) — format.h's object_open_range: the
 * ranges of a partition of the object read every row group exactly once.
 * Records keep their row numbers in the whole file. */
int sl_parquet_object_open_range(sl_store *store, const char *url, uint64_t size, uint64_t offset, uint64_t length,
                                 const sl_format_opts *o, void **dec, sl_error *err);
/* The same over a whole file in memory (data must outlive the reader);
 * name is used in messages. For tests and the fuzzer. */
int sl_parquet_mem_open(const void *data, size_t len, const char *name, const sl_format_opts *o, void **dec,
                        sl_error *err);
/* Append up to ctx->max_records records to ctx->batch (everything in the
 * batch arena). Returns 1 while it produced records, 0 at the end, or a
 * negative status with err naming the object, column, row group and what
 * is wrong. ctx->batch->bytes_in grows by the bytes fetched. */
int sl_parquet_object_next(void *dec, sl_decode_ctx *ctx, sl_error *err);
void sl_parquet_object_close(void *dec); /* NULL is ignored */

/* What a reader did so far. */
typedef struct sl_parquet_read_stats {
    uint32_t row_groups;         /* in the file */
    uint32_t row_groups_in_range; /* in the range opened (all for a whole object) */
    uint32_t row_groups_read;    /* fetched and decoded */
    uint32_t row_groups_skipped; /* ruled out by the predicate's statistics */
    uint32_t columns_read;       /* leaf columns fetched per row group */
    uint64_t rows;               /* in the file (footer) */
    uint64_t rows_read;          /* records returned */
    uint64_t pages;              /* data pages decoded */
    uint64_t bytes_read;         /* bytes fetched from the store, footer included */
} sl_parquet_read_stats;

void sl_parquet_read_stats_get(const void *dec, sl_parquet_read_stats *out);

#endif
