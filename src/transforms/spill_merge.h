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
 */
#ifndef SL_SPILL_MERGE_H
#define SL_SPILL_MERGE_H

#include <stddef.h>
#include <stdint.h>

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

#endif
