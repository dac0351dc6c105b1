/*
 * awscall.h — one AWS API call: sign (SigV4), perform, classify the
 * outcome, back off and retry (retry.h), and turn a final failure into a
 * message carrying the server's own error code and text.
 *
 * Error bodies understood: S3's XML (<Error><Code>…</Code><Message>…),
 * the JSON of DynamoDB and other JSON-1.0 services ({"__type": "…#Code",
 * "message": "…"}), and the x-amz-error-code / x-amzn-ErrorType headers
 * (HEAD responses have no body). Secrets never appear in messages.
 */
#ifndef SL_AWSCALL_H
#define SL_AWSCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/http.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "core/error.h"

/* Per-thread calling context (an sl_http is single-threaded). */
typedef struct sl_aws_ctx {
    sl_http *http;             /* not owned */
    const sl_aws_creds *creds; /* not owned */
    const char *region;        /* not owned */
    const char *service;       /* "s3", "dynamodb"; not owned */
    sl_retry_policy retry;
    uint64_t rnd; /* jitter state; any non-zero seed */
    /* Sleep between attempts; NULL = nanosleep. Tests count instead. */
    void (*sleep_ms)(void *ud, long ms);
    void *sleep_ud;
    /* Outcome of the last call, for callers that branch on it. */
    int attempts;         /* attempts made */
    long status;          /* final HTTP status, 0 = no response */
    char error_code[128]; /* server error code ("NoSuchKey", "ConditionalCheckFailedException"), "" */
} sl_aws_ctx;

/* Fill c with the default retry policy, a seed, and the given members. */
void sl_aws_ctx_init(sl_aws_ctx *c, sl_http *http, const sl_aws_creds *creds, const char *region, const char *service);

typedef struct sl_aws_request {
    sl_http_request http;     /* method, url, headers (unsigned), body, on_body */
    const char *payload_hash; /* hex SHA-256 of the body or "UNSIGNED-PAYLOAD"; NULL = computed */
    const char *what;         /* names the call in messages: "GetObject s3://bucket/key" */
    /* Streamed bodies: called (with http.on_body_ud) before retrying an
     * attempt that already delivered bytes to on_body, to start over;
     * returns 0 or a negative SL_E* to give up. NULL = such an attempt is
     * not retried. */
    int (*on_restart)(void *ud);
    /* S3 may answer 200 with an <Error> document (CompleteMultipartUpload,
     * CopyObject): treat that as a failure. */
    bool error_in_success;
} sl_aws_request;

/* Perform req with retries. resp must be initialised (sl_http_response_init);
 * it holds the last response. Returns 0 for a 2xx answer; otherwise
 * SL_ENOTFOUND for 404 / NoSuchKey / NoSuchBucket / ResourceNotFoundException,
 * SL_ELIMIT when a body passed the client's limit, the on_body callback's
 * code when it aborted, else SL_EIO — with err->message like
 * "GetObject s3://b/k: HTTP 403 AccessDenied: Access Denied" (plus
 * "after N attempts" when retries ran out). c->status and c->error_code
 * describe the outcome. */
int sl_aws_call(sl_aws_ctx *c, const sl_aws_request *req, sl_http_response *resp, sl_error *err);

/* The server's error code and message from a response (body or headers).
 * Either buffer may be empty on return; returns true when a code was found. */
bool sl_aws_parse_error(const sl_http_response *resp, char *code, size_t code_size, char *message, size_t message_size);

#endif
