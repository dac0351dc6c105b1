/* run.c — sending bad records to the run's error output (see run.h). */
#include "exec/run.h"

#include <stdio.h>

#include "core/buf.h"
#include "exec/errout.h"
#include "exec/node.h"
#include "formats/json.h"

static int count_and_check(sl_run *run, sl_error *err) {
    uint64_t n = __atomic_add_fetch(&run->records_rejected, 1, __ATOMIC_RELAXED);
    int64_t max = run->job->settings.max_errors;
    if (max >= 0 && n > (uint64_t)max) {
        run->cancel = 1;
        return sl_error_set(err, SL_ELIMIT, "more than %lld records went to the error output (max_errors: %lld)",
                            (long long)max, (long long)max);
    }
    return SL_OK;
}

int sl_run_reject_raw(sl_run *run, const sl_node *node, const char *source, uint64_t line, int64_t offset,
                      const char *reason, const char *raw, size_t raw_len, sl_error *err) {
    int64_t w = sl_errout_add(run->errout, node ? node->name : NULL, source, line, offset, reason, raw, raw_len, err);
    if (w < 0) return (int)w;
    if (node) __atomic_fetch_add(&((sl_node *)node)->stats.errors, 1, __ATOMIC_RELAXED);
    return count_and_check(run, err);
}

int sl_run_reject(sl_run *run, const sl_node *node, const sl_batch *b, size_t i, const char *reason, sl_error *err) {
    sl_buf raw;
    sl_buf_init(&raw, 0);
    sl_json_write(&raw, &b->records[i]);
    const sl_recloc *loc = b->locs ? &b->locs[i] : NULL;
    int rc = sl_run_reject_raw(run, node, b->source_name, loc ? loc->line : 0, loc ? loc->offset : -1, reason,
                               raw.data ? raw.data : "", raw.len, err);
    sl_buf_free(&raw);
    return rc;
}
