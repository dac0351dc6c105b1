/*
 * retry.c — retry classification and back-off delays for AWS calls (see
 * retry.h). Full jitter: sleep = random(0, min(cap, base * 2^attempt)),
 * which spreads competing clients out best (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"). The generator is splitmix64: tiny,
 * good enough for jitter, and valid from any seed.
 */
#include "aws/retry.h"

#include <limits.h>
#include <string.h>

void sl_retry_policy_default(sl_retry_policy *p) {
    p->max_attempts = 8;
    p->base_ms = 50;
    p->max_ms = 20000;
}

/* Throttling and transient error codes the AWS SDKs retry, whatever the
 * HTTP status they arrive with. */
static const char *const RETRYABLE_CODES[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "IDPCommunicationError",
};

bool sl_retry_retryable(long status, const char *aws_code) {
    if (status == 0 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504) return true;
    if (!aws_code || !*aws_code) return false;
    /* "namespace#Code" and "Code:uri" are the JSON protocols' spellings. */
    const char *hash = strrchr(aws_code, '#');
    const char *code = hash ? hash + 1 : aws_code;
    size_t len = strcspn(code, ":");
    for (size_t i = 0; i < sizeof RETRYABLE_CODES / sizeof *RETRYABLE_CODES; i++)
        if (strlen(RETRYABLE_CODES[i]) == len && strncmp(code, RETRYABLE_CODES[i], len) == 0) return true;
    return false;
}

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

long sl_retry_delay_ms(const sl_retry_policy *p, int attempt, long retry_after_ms, uint64_t *rnd) {
    long max_ms = p->max_ms > 0 ? p->max_ms : 0;
    if (retry_after_ms > 0) return retry_after_ms < max_ms ? retry_after_ms : max_ms;
    long cap = p->base_ms > 0 ? p->base_ms : 0;
    if (attempt < 0) attempt = 0;
    /* base * 2^attempt, stopping at max_ms before it can overflow. */
    for (int i = 0; i < attempt && cap < max_ms; i++)
        cap = cap > LONG_MAX / 2 ? LONG_MAX : cap * 2;
    if (cap > max_ms) cap = max_ms;
    uint64_t r = splitmix64(rnd);
    return (long)(r % ((uint64_t)cap + 1));
}
