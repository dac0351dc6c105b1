/*
 * spill_merge.h — sorted runs of values, held in memory or spilled, merged
 * back in order; and a per-worker record buffer built on them that gives
 * records back in input order (batch seq).
 *
 * Used by the breakers that must emit a global order from what several
 * workers collected: aggregate/dedupe (group.c) merge their finished
 * partitions, resolve_choice and spigot replay held records in input order.
 *
 * A spilled run is a byte range of a spill file (exec/spill.h) holding one
 * value per record, encoded with core/serialize.h inside spill.h's length
 * prefix:
 *
 *   run    := record*
 *   record := varint byte_length, sl_value_encode(value)
 *
 * The record buffer stores each record as the value LIST[INT seq, record],
 * so its runs are runs of that shape, ordered by seq.
 *
 * Compact rows (sort, coalesce): a record held by a breaker is stored as
 * its values without the top-level field names; each distinct list of
 * names (a "shape") is stored once in the worker's sl_rowshapes table and a
 * row names it by number. Rows in memory and in spill files use one layout:
 *
 *   row    := varint shape, value{the shape's field count}   (shape >= 1)
 *           | 0x00 value                                       (the record whole)
 *   value  := tag payload
 *   tag    := u8: low 4 bits the sl_type, bits 4-5 the value flags (SL_VF_*)
 *   NULL       —
 *   BOOL       u8 0|1
 *   INT, DATE, TIMESTAMP      zigzag varint
 *   DOUBLE     8 bytes, the IEEE-754 bit pattern in host byte order
 *   DECIMAL, STRING, BINARY   varint length, bytes
 *   LIST       varint count, value{count}
 *   STRUCT     varint count, (varint (name_len << 2 | name_flags), name bytes, value){count}
 *
 * That is core/serialize.h's value encoding, with the flags kept for every
 * string type. Shape 0 holds a record that is not a STRUCT, or a STRUCT once
 * the table is full (records of ever-changing field names). Rows never
 * outlive the run, so the layout carries no version.
 */
#ifndef SL_SPILL_MERGE_H
#define SL_SPILL_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/value.h"
#include "exec/spill.h"

/* One sorted run: in memory (values/n, spill NULL) or spilled (spill and
 * the byte range [start, end) returned by sl_spill_bytes/sl_spill_flush). */
typedef struct sl_sorted_run {
    const sl_value *values;
    size_t n;
    const sl_spill *spill;
    uint64_t start, end;
} sl_sorted_run;

/* Order of two values (negative, 0, positive). */
typedef int (*sl_merge_cmp)(const sl_value *a, const sl_value *b, void *ctx);

typedef struct sl_merge sl_merge;

/* Start merging n runs, each sorted by cmp. The run array is copied; the
 * memory and spill files it names must outlive the merge. Ties go to the
 * run listed first, so the merge is deterministic. Returns 0, or a negative
 * status when a spilled run cannot be read (err filled). */
int sl_merge_open(const sl_sorted_run *runs, size_t n, sl_merge_cmp cmp, void *ctx, sl_merge **out, sl_error *err);
/* Next value in merged order: returns 1 and sets *out (valid until the next
 * call: it points into the run's memory or into the merge's own arena), 0
 * when every run is exhausted, negative on an I/O error or a corrupt run. */
int sl_merge_next(sl_merge *m, sl_value *out, sl_error *err);
void sl_merge_free(sl_merge *m); /* NULL is fine */

/* ---- a worker's records, given back in input order ---- */

typedef struct sl_seqbuf sl_seqbuf;

/* New buffer that holds up to `limit` bytes in memory and spills sorted
 * runs to a spill file in spill_dir (NULL: $TMPDIR, else /tmp) beyond it. */
sl_seqbuf *sl_seqbuf_new(size_t limit, const char *spill_dir);
void sl_seqbuf_free(sl_seqbuf *s); /* NULL is fine */
/* Deep-copy rec with its input-order key seq. Returns 0 or SL_EIO (spill
 * failure, err filled). */
int sl_seqbuf_add(sl_seqbuf *s, const sl_value *rec, uint64_t seq, sl_error *err);
uint64_t sl_seqbuf_count(const sl_seqbuf *s); /* records added */

/* Merge every record of bufs[0..n) by seq (ties: the buffer listed first).
 * sl_merge_next then yields LIST[INT seq, record] values. The buffers must
 * outlive the merge and take no more records. */
int sl_seqbuf_merge(sl_seqbuf *const *bufs, size_t n, sl_merge **out, sl_error *err);

/* ---- compact rows ---- */

typedef struct sl_rowshapes sl_rowshapes;

/* New empty table that grows to at most max_bytes (0: no limit but the
 * shape count); rows of later new shapes hold their records whole. Not
 * thread-safe: one per worker. */
sl_rowshapes *sl_rowshapes_new(size_t max_bytes);
void sl_rowshapes_free(sl_rowshapes *s); /* NULL is fine */
/* Bytes the table holds (names and index), for memory accounting. */
size_t sl_rowshapes_bytes(const sl_rowshapes *s);

/* Append v's encoding (the `value` rule above) to out, a buffer without a
 * maximum (sl_buf_init(out, 0)). */
void sl_rowval_put(sl_buf *out, const sl_value *v);
/* Decode one value from [*p, end), advancing *p. copy false: strings point
 * into the input, which must outlive the value; true: they are copied into
 * a. Lists and structs are built in a either way. 0 or SL_EPARSE. */
int sl_rowval_get(const char **p, const char *end, sl_arena *a, bool copy, sl_value *out);
/* Step over one value without decoding it. 0 or SL_EPARSE. */
int sl_rowval_skip(const char **p, const char *end);

/* Append rec as a row to out (no maximum, as for sl_rowval_put), adding its
 * shape to s when it is new. */
void sl_row_put(sl_rowshapes *s, sl_buf *out, const sl_value *rec);
/* Decode a row written with s (the `copy` rule of sl_rowval_get; the field
 * names point into s, which must outlive the record). 0 or SL_EPARSE. */
int sl_row_get(const sl_rowshapes *s, const char **p, const char *end, sl_arena *a, bool copy, sl_value *out);

#endif
