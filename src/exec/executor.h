/*
 * executor.h — runs a validated job: plans source splits, runs them on a
 * pool of worker threads through the node graph, and on success commits
 * every target (staged part files become visible), on failure aborts them
 * (staged files are removed; nothing half-written is left where readers
 * look).
 *
 * Streaming: each worker takes one split at a time, reads it batch by
 * batch, pushes each batch through the transforms below the source and
 * writes it to the targets, so memory does not grow with input size.
 * Output order is deterministic: each (target, split) pair writes its own
 * part file part-NNNNN-<run-id>, NNNNN being the split's index.
 */
#ifndef SL_EXECUTOR_H
#define SL_EXECUTOR_H

#include <signal.h>
#include <stdint.h>

#include "exec/job.h"
#include "exec/run.h"

typedef struct sl_exec_options {
    int threads;                      /* 0 = job setting, then number of cores */
    volatile sig_atomic_t *interrupt; /* set non-zero (e.g. by SIGINT) to stop the run; may be NULL */
    /* Called from a separate thread about 5 times a second while the run
     * goes on, and once at the end with final = 1 (may be NULL). */
    void (*progress)(const sl_run *run, int final, void *ud);
    void *progress_ud;
} sl_exec_options;

typedef struct sl_exec_result {
    char run_id[40];
    double seconds;
    uint64_t records_read;
    uint64_t records_rejected;
    uint64_t bytes_read;
    char error_file[512]; /* error output written, "" if none */
} sl_exec_result;

/* Run the job. Returns 0 when the run succeeded and every target committed;
 * otherwise a negative status with err describing the first failure (the
 * node and location where known). Per-node counters end up in
 * job->nodes[i]->stats. */
int sl_exec_run(sl_job *job, const sl_exec_options *opts, sl_exec_result *result, sl_error *err);

/* Number of online CPUs (at least 1). */
int sl_cpu_count(void);

#endif
