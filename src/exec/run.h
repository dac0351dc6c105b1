/*
 * run.h — one execution of a job: the context every node callback gets.
 *
 * Created by the executor (executor.c). Holds the run id, thread count, the
 * error output and the counters the error thresholds are checked against.
 */
#ifndef SL_RUN_H
#define SL_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/batch.h"
#include "exec/job.h"

typedef struct sl_errout sl_errout;

struct sl_run {
    const sl_job *job;
    char run_id[40];        /* e.g. "20261123T143800Z-3f9a1c" */
    int threads;
    sl_errout *errout;      /* never NULL during a run */
    volatile int cancel;    /* set when the run must stop (error, signal) */
    uint64_t records_read;  /* records produced by all sources (atomic) */
    uint64_t records_rejected; /* records sent to the error output (atomic) */
    uint64_t bytes_read;    /* input bytes consumed by all sources (atomic) */
    uint64_t splits_done;   /* finished source splits (atomic) */
    uint64_t splits_total;
};

/* Send record i of batch b to the error output with reason; the caller
 * drops it from the batch. raw: the record's original text if known (else
 * the record is serialised as JSON). Counts toward the thresholds; returns
 * SL_ELIMIT (with err set) when max_errors is exceeded, else 0. */
int sl_run_reject(sl_run *run, const sl_node *node, const sl_batch *b, size_t i, const char *reason,
                  sl_error *err);
/* Same for input that never became a record (unparseable text). */
int sl_run_reject_raw(sl_run *run, const sl_node *node, const char *source, uint64_t line, int64_t offset,
                      const char *reason, const char *raw, size_t raw_len, sl_error *err);

#endif
