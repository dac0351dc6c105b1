/*
 * compress.h — byte streams in and out of local files, with transparent
 * compression (gzip, zstd). Used by the file source and the file target.
 *
 * Input streams sniff the first bytes of a file and decompress gzip
 * (including multi-member files) and zstd (including multi-frame files);
 * anything else is read as is. Output streams compress with the codec the
 * caller picks: gzip via libdeflate (one gzip member per 1 MiB block, which
 * every gzip reader accepts), zstd via libzstd's streaming API.
 *
 * Streams are single-threaded; parallelism comes from several files.
 */
#ifndef SL_COMPRESS_H
#define SL_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

/* ---- Codecs -------------------------------------------------------------- */

typedef enum { SL_CODEC_NONE, SL_CODEC_GZIP, SL_CODEC_ZSTD, SL_CODEC_BZIP2 } sl_codec;

/* "none", "gzip" or "zstd". */
const char *sl_codec_name(sl_codec codec);

/* Parse "none", "gzip"/"gz", "zstd"/"zst" (case-insensitive) into *out.
 * Returns 0, or SL_EINVAL for an unknown name (*out unchanged). */
int sl_codec_parse(const char *name, sl_codec *out);

/* File extension including the dot: ".gz", ".zst", or "" for none. */
const char *sl_codec_extension(sl_codec codec);

/* Codec of a file from its first n bytes (magic numbers: gzip 1f 8b,
 * zstd 28 b5 2f fd). Anything else, including formats we recognise but do
 * not read (see sl_codec_sniff_name), is SL_CODEC_NONE. */
sl_codec sl_codec_detect(const void *head, size_t n);

/* Name of a compression/archive format recognised from the first n bytes
 * that sluice does NOT read: "bzip2", "xz" or "zip"; NULL otherwise. For
 * error messages; sl_instream_open rejects such files with SL_EINVAL. */
const char *sl_codec_sniff_name(const void *head, size_t n);

/* Default level for a codec when the caller passes -1: gzip 6, zstd 3. */
int sl_codec_default_level(sl_codec codec);

/* ---- Input --------------------------------------------------------------- */

typedef struct sl_instream sl_instream;

/* Open a local file for reading. When offset == 0 the first bytes are
 * sniffed and gzip/zstd data is decompressed transparently; the stream then
 * yields the whole decompressed content, so length must be UINT64_MAX or at
 * least the file size. Uncompressed files may be opened at any offset
 * and yield at most `length` bytes (UINT64_MAX = to end of file).
 * Errors: SL_EIO (open/read failed), SL_EINVAL (a directory; compressed
 * file with offset > 0 or a byte range; bzip2/xz/zip file, which we do not
 * read), SL_ENOMEM (decoder allocation failed).
 * On success *out is a new stream the caller closes with sl_instream_close. */
int sl_instream_open(const char *path, uint64_t offset, uint64_t length, sl_instream **out, sl_error *err);

/* The same over an object-store reader (store.h), which the stream takes
 * over (closed by sl_instream_close). sniff: detect and decompress gzip/zstd
 * from the first bytes (use it when reading an object from its start);
 * without it the bytes are delivered as they are (a byte range of an
 * uncompressed object). name is used in messages. */
int sl_instream_open_reader(const char *name, sl_store_reader *rd, bool sniff, sl_instream **out, sl_error *err);

/* The same over bytes in memory (data[0..len) must outlive the stream;
 * name is used in messages). With only the first bytes of a compressed
 * object, reading delivers what they decompress to and then fails with
 * SL_EPARSE ("truncated"): a caller sampling a prefix stops there. */
int sl_instream_open_mem(const char *name, const void *data, size_t len, bool sniff, sl_instream **out,
                         sl_error *err);

/* Read up to cap decompressed bytes into buf; *got = 0 means end of data.
 * Errors: SL_EIO, or SL_EPARSE for corrupt/truncated compressed data (the
 * message names the file and the compressed byte offset; err->offset holds
 * that offset too, err->file is left to the caller). After an error the
 * stream may only be closed. */
int sl_instream_read(sl_instream *s, void *buf, size_t cap, size_t *got, sl_error *err);

/* Codec detected at open. */
sl_codec sl_instream_codec(const sl_instream *s);

/* Bytes read from the file so far (compressed bytes for a compressed file),
 * for progress reporting. */
uint64_t sl_instream_raw_bytes(const sl_instream *s);

/* Close the file and free the stream. s may be NULL. */
void sl_instream_close(sl_instream *s);

/* Codec of a file from its first bytes, without opening a stream (for
 * planners deciding whether a file can be split into byte ranges).
 * Errors: SL_EIO, SL_EINVAL for bzip2/xz/zip files. */
int sl_file_codec(const char *path, sl_codec *out, sl_error *err);

/* Size of a file in bytes (as stored, i.e. compressed). SL_EIO if it cannot
 * be stat'ed, SL_EINVAL if it is not a regular file. */
int sl_file_size(const char *path, uint64_t *size, sl_error *err);

/* Read a whole (small) file into memory, decompressing it if compressed.
 * On success *data is a malloc'd buffer the caller frees, NUL-terminated
 * (not counted in *len). SL_ELIMIT if the decompressed content exceeds max
 * bytes; otherwise the errors of sl_instream_open/read. */
int sl_read_whole_file(const char *path, size_t max, char **data, size_t *len, sl_error *err);

/* ---- Output -------------------------------------------------------------- */

typedef struct sl_outstream sl_outstream;

/* Create (or truncate) path and return a stream writing `codec` data to it.
 * level: -1 = codec default (gzip 6, zstd 3); gzip accepts 0..12
 * (libdeflate levels; 0 = stored), zstd 1..22; ignored for SL_CODEC_NONE.
 * Errors: SL_EIO (cannot create), SL_EINVAL (bad level or codec),
 * SL_ENOMEM (compressor allocation failed; the file is removed). On
 * success the caller must end the stream with sl_outstream_close or
 * sl_outstream_discard. */
int sl_outstream_open(const char *path, sl_codec codec, int level, sl_outstream **out, sl_error *err);

/* The same into an object-store writer (store.h), which stays the caller's:
 * sl_outstream_close flushes the compressed bytes into it (the caller then
 * finishes it with sl_store_writer_finish); sl_outstream_discard leaves it
 * for the caller to abort. name is used in messages. */
int sl_outstream_open_writer(const char *name, sl_store_writer *wr, sl_codec codec, int level, sl_outstream **out,
                             sl_error *err);

/* Append len bytes (buffered). Errors: SL_EIO (write failed, e.g. disk
 * full), SL_EINTERNAL (compressor failure). After an error only
 * sl_outstream_discard (or close, which then fails) may follow. */
int sl_outstream_write(sl_outstream *s, const void *data, size_t len, sl_error *err);

/* Flush, finish the compressed stream, fsync if sync, close the file and
 * free s (always, even on error). Returns 0 or SL_EIO/SL_EINTERNAL. On
 * error the file is left in place; callers normally discard staged output
 * by path. */
int sl_outstream_close(sl_outstream *s, bool sync, sl_error *err);

/* Failure path: close the file, unlink it and free s. s may be NULL. */
void sl_outstream_discard(sl_outstream *s);

/* Uncompressed bytes accepted by sl_outstream_write so far. */
uint64_t sl_outstream_bytes_in(const sl_outstream *s);

/* Bytes written to the file so far (compressed size; after close of a
 * successful stream it equals the file size). Data still buffered is not
 * counted. */
uint64_t sl_outstream_bytes_out(const sl_outstream *s);

/* Path the stream writes to (owned by the stream). */
const char *sl_outstream_path(const sl_outstream *s);

#endif
