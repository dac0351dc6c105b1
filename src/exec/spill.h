/*
 * spill.h — temporary files for nodes that hold data across a run (sort,
 * coalesce). A spill file is created in the run's spill directory and
 * unlinked at once, so it disappears when closed — even if the process is
 * killed. Records go in as length-prefixed encodings (core/serialize.h):
 *
 *   record := varint byte_length, that many bytes
 *
 * Writes are buffered (1 MiB); readers read a byte range back sequentially
 * with their own buffer (1 MiB unless sl_spill_reader_set_chunk says less,
 * so that a merge of many runs stays within its memory budget), so several
 * readers may share one file.
 */
#ifndef SL_SPILL_H
#define SL_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"

typedef struct sl_spill sl_spill;

/* dir NULL: $TMPDIR, else /tmp. */
int sl_spill_open(const char *dir, sl_spill **out, sl_error *err);
void sl_spill_close(sl_spill *s);

/* Append one record (bytes already encoded). */
int sl_spill_append(sl_spill *s, const void *data, size_t len, sl_error *err);
/* Flush buffered writes; returns the file size so far (the end of the
 * records appended until now). */
int sl_spill_flush(sl_spill *s, uint64_t *size, sl_error *err);
uint64_t sl_spill_bytes(const sl_spill *s); /* bytes appended, buffered or not */

typedef struct sl_spill_reader {
    const sl_spill *spill;
    uint64_t pos, end;
    char *buf;
    size_t buf_len, buf_pos, buf_cap;
    size_t chunk; /* bytes read at a time */
} sl_spill_reader;

/* Read records in [start, end) (offsets returned by flush/bytes). */
void sl_spill_reader_init(sl_spill_reader *r, const sl_spill *s, uint64_t start, uint64_t end);
/* Read `bytes` at a time instead of 1 MiB (at least 4 KiB; a record longer
 * than that still comes back whole). Call before the first sl_spill_next. */
void sl_spill_reader_set_chunk(sl_spill_reader *r, size_t bytes);
void sl_spill_reader_free(sl_spill_reader *r);
/* Next record's bytes in *data and *len (valid until the next call). Returns 1
 * for a record, 0 at the end, negative on an I/O error or corrupt file. */
int sl_spill_next(sl_spill_reader *r, const char **data, size_t *len, sl_error *err);

#endif
