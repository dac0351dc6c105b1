/*
 * errout.h — the run's error output: one JSON line per bad record.
 *
 *   {"run_id":"…","node":"clean","source":"logs/2024.json","line":17,
 *    "offset":4031,"reason":"cannot cast string 'abc' to long","raw":"{…}"}
 *
 * The file `errors-<run-id>.jsonl` is created in the error_output directory
 * on the first bad record only (a clean run leaves nothing behind). It is
 * written even when the run fails — that is when it is needed most.
 * Thread-safe: workers report concurrently; each line is written whole.
 */
#ifndef SL_ERROUT_H
#define SL_ERROUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct sl_errout sl_errout;

/* dir: directory for the file (created on first use); run_id names it. */
sl_errout *sl_errout_new(const char *dir, const char *run_id);
/* Flush and close; returns the path written (NULL if no record was) —
 * valid until sl_errout_free. */
const char *sl_errout_close(sl_errout *eo);
void sl_errout_free(sl_errout *eo);

/* Append one entry. Any string may be NULL (omitted); line 0 and offset -1
 * are omitted. Returns the number of entries written so far (including
 * this one), or a negative status if the file cannot be written. */
int64_t sl_errout_add(sl_errout *eo, const char *node, const char *source, uint64_t line, int64_t offset,
                      const char *reason, const char *raw, size_t raw_len, sl_error *err);
uint64_t sl_errout_count(const sl_errout *eo);

#endif
