/*
 * s3_int.h — internals shared by s3.c (client, calls, worker pool) and
 * s3_stream.c (multipart writer, parallel reader). Not for other modules.
 */
#ifndef SL_S3_INT_H
#define SL_S3_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "aws/awscall.h"
#include "aws/s3.h"

/* A unit of work for the client's worker pool. The submitter owns it and
 * must wait for it (sl_s3_pool_wait) before freeing it. */
typedef struct sl_s3_task {
    void (*run)(struct sl_s3_task *t);
    struct sl_s3_task *next;
    bool done;
} sl_s3_task;

struct sl_s3 {
    sl_aws_config cfg;
    char endpoint[512]; /* no trailing '/' */
    bool path_style;
    sl_http_options http_opts;
    char *ca_file;
    int64_t part_size;
    int max_in_flight;

    sl_retry_policy retry;
    void (*sleep_ms)(void *ud, long ms);
    void *sleep_ud;
    bool has_transport;
    sl_http_transport transport;

    /* idle connections, and every connection ever made (for set_transport) */
    pthread_mutex_t http_mu;
    sl_http **idle;
    size_t n_idle, idle_cap;
    sl_http **all;
    size_t n_all, all_cap;

    /* worker pool, threads started on demand */
    pthread_mutex_t pool_mu;
    pthread_cond_t work_cond, done_cond;
    sl_s3_task *queue_head, *queue_tail;
    pthread_t *threads;
    int n_threads, max_threads, n_idle_threads;
    bool stopping;
};

/* What a call ended with, for callers that branch on it. */
typedef struct sl_s3_outcome {
    long status;
    int attempts;
    char code[128];
} sl_s3_outcome;

/* One signed, retried call on a pooled connection; outcome may be NULL. */
int sl_s3_call(sl_s3 *s, const sl_aws_request *req, sl_http_response *resp, sl_s3_outcome *outcome, sl_error *err);
/* Request URL for bucket/key with query (already encoded, may be NULL). */
void sl_s3_request_url(const sl_s3 *s, const char *bucket, const char *key, const char *query, sl_buf *out);

void sl_s3_pool_submit(sl_s3 *s, sl_s3_task *t);
void sl_s3_pool_wait(sl_s3 *s, sl_s3_task *t);

#endif
