/* test_retry.c — retry classification, back-off bounds with a fixed seed,
 * Retry-After honoured and capped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "aws/retry.h"

static void test_defaults(void **state) {
    sl_retry_policy p;
    sl_retry_policy_default(&p);
    assert_int_equal(p.max_attempts, 8);
    assert_int_equal(p.base_ms, 50);
    assert_int_equal(p.max_ms, 20000);
}

static void test_classification_table(void **state) {
    static const struct {
        long status;
        const char *code;
        bool retry;
    } table[] = {
        {0, "", true}, /* connection refused, timeout, reset */
        {429, "", true},
        {500, "", true},
        {502, "", true},
        {503, "SlowDown", true},
        {504, NULL, true},
        {200, "", false},
        {301, "", false},
        {400, "", false},
        {403, "AccessDenied", false},
        {404, "NoSuchKey", false},
        {409, "", false},
        {413, "", false},
        {501, "NotImplemented", false},
        {400, "ThrottlingException", true},
        {400, "ProvisionedThroughputExceededException", true},
        {400, "RequestLimitExceeded", true},
        {400, "Throttling", true},
        {400, "RequestTimeout", true}, /* S3: the upload stalled */
        {400, "TransactionInProgressException", true},
        {400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", true},
        {400, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/", true},
        {400, "ValidationException", false},
        {400, "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", false},
        {400, "ResourceNotFoundException", false},
        {403, "ExpiredToken", false},
        {403, "SignatureDoesNotMatch", false},
        {400, "ThrottlingExceptionX", false},
        {400, "Throttl", false},
        {400, NULL, false},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (sl_retry_retryable(table[i].status, table[i].code) != table[i].retry)
            fail_msg("status %ld code %s: expected %s", table[i].status, table[i].code ? table[i].code : "(null)",
                     table[i].retry ? "retry" : "fail fast");
}

static void test_delay_bounds(void **state) {
    sl_retry_policy p;
    sl_retry_policy_default(&p);
    uint64_t rnd = 42;
    for (int attempt = 1; attempt <= 12; attempt++) {
        long cap = 50L << attempt;
        if (cap > p.max_ms) cap = p.max_ms;
        long lo = cap, hi = 0;
        for (int i = 0; i < 2000; i++) {
            long d = sl_retry_delay_ms(&p, attempt, 0, &rnd);
            assert_true(d >= 0 && d <= cap);
            if (d < lo) lo = d;
            if (d > hi) hi = d;
        }
        /* Full jitter spreads over the whole range. */
        assert_true(lo < cap / 10);
        assert_true(hi > cap - cap / 10);
    }
    /* Absurd attempt numbers stay capped (no overflow). */
    for (int i = 0; i < 100; i++) {
        long d = sl_retry_delay_ms(&p, 1000000, -1, &rnd);
        assert_true(d >= 0 && d <= p.max_ms);
    }
}

static void test_delay_deterministic_for_a_seed(void **state) {
    sl_retry_policy p;
    sl_retry_policy_default(&p);
    uint64_t a = 7, b = 7, c = 8, zero = 0;
    long seq_a[16], seq_c[16];
    int differ = 0;
    for (int i = 0; i < 16; i++) {
        seq_a[i] = sl_retry_delay_ms(&p, 8, 0, &a);
        assert_int_equal(sl_retry_delay_ms(&p, 8, 0, &b), seq_a[i]);
        seq_c[i] = sl_retry_delay_ms(&p, 8, 0, &c);
        differ += seq_a[i] != seq_c[i];
    }
    assert_true(differ > 12);
    /* A zero seed is valid: it moves on and gives varied delays. */
    long first = sl_retry_delay_ms(&p, 8, 0, &zero);
    assert_true(zero != 0);
    int same = 0;
    for (int i = 0; i < 16; i++)
        same += sl_retry_delay_ms(&p, 8, 0, &zero) == first;
    assert_true(same < 4);
}

static void test_retry_after_honoured_and_capped(void **state) {
    sl_retry_policy p;
    sl_retry_policy_default(&p);
    uint64_t rnd = 1;
    assert_int_equal(sl_retry_delay_ms(&p, 1, 3000, &rnd), 3000);
    assert_int_equal(sl_retry_delay_ms(&p, 5, 1, &rnd), 1);
    assert_int_equal(sl_retry_delay_ms(&p, 1, 60000, &rnd), 20000);
    p.max_ms = 500;
    assert_int_equal(sl_retry_delay_ms(&p, 1, 3000, &rnd), 500);
    /* Not sent (0 or negative): the jittered back-off. */
    for (int i = 0; i < 100; i++) {
        assert_true(sl_retry_delay_ms(&p, 1, 0, &rnd) <= 100);
        assert_true(sl_retry_delay_ms(&p, 1, -1, &rnd) <= 100);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_classification_table),
        cmocka_unit_test(test_delay_bounds),
        cmocka_unit_test(test_delay_deterministic_for_a_seed),
        cmocka_unit_test(test_retry_after_honoured_and_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
