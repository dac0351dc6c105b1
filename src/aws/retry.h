/*
 * retry.h — retry policy for AWS calls: capped exponential back-off with
 * full jitter (AWS's recommended strategy), honouring Retry-After.
 *
 * Retryable: connection errors and timeouts, HTTP 429, 500, 502, 503
 * (S3 SlowDown), 504, and AWS throttling and transient error codes in any
 * response (ThrottlingException, ProvisionedThroughputExceededException,
 * RequestLimitExceeded, SlowDown, RequestTimeout, InternalError, …).
 * Everything else (403, 404, validation) fails fast with the server's message.
 *
 * Pure computation: the caller sleeps, counts attempts and owns the random
 * state, so tests are deterministic with a fixed seed.
 */
#ifndef SL_RETRY_H
#define SL_RETRY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_retry_policy {
    int max_attempts; /* total attempts including the first; default 8 */
    long base_ms;     /* first back-off cap; default 50 */
    long max_ms;      /* cap on any single back-off; default 20000 */
} sl_retry_policy;

void sl_retry_policy_default(sl_retry_policy *p);

/* Is this outcome worth another attempt? status 0 = transport error;
 * aws_code = the error code from the response body or the
 * X-Amzn-ErrorType header ("" or NULL if none). JSON-protocol spellings
 * are accepted: "com.amazonaws.dynamodb.v20120810#ThrottlingException",
 * "ThrottlingException:http://internal.amazon.com/…". */
bool sl_retry_retryable(long status, const char *aws_code);

/* Milliseconds to sleep before attempt number `attempt` (1 = first retry):
 * random in [0, min(max_ms, base_ms * 2^attempt)], or retry_after_ms when
 * the server sent Retry-After (> 0; capped at max_ms; <= 0 = not sent or
 * "0", which gets the jittered back-off; aws/http.h parses the header).
 * rnd: a per-thread state for the random number generator (any value,
 * 0 included, is a valid seed; it is advanced on each call). */
long sl_retry_delay_ms(const sl_retry_policy *p, int attempt, long retry_after_ms, uint64_t *rnd);

#endif
