/* test_retry.c: aws/retry, the AWS SDKs' standard retry mode, decided with
 * chosen random numbers and clock readings.  Expected values are worked out
 * by hand from @smithy/util-retry's rules (see aws/retry.h):
 * delay = floor(min(20000, r * 2^(attempt-1) * base)), base 500 ms for
 * throttling and 100 ms otherwise; quota 500, cost 5 (10 after a transient
 * error), refund on success. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "aws/retry.h"

static void test_classification_follows_smithy_error_classes(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *code;
        int transport;
        enum retry_error_kind want;
    } t[] = {
        {400, "Throttling", 0, RETRY_THROTTLING}, /* SNS's own throttling code */
        {429, "", 0, RETRY_THROTTLING},
        {400, "ThrottlingException", 0, RETRY_THROTTLING},
        {400, "RequestLimitExceeded", 0, RETRY_THROTTLING},
        {400, "TooManyRequestsException", 0, RETRY_THROTTLING},
        {500, "InternalError", 0, RETRY_TRANSIENT},
        {502, "HttpError", 0, RETRY_TRANSIENT},
        {503, "", 0, RETRY_TRANSIENT},
        {504, "", 0, RETRY_TRANSIENT},
        {400, "RequestTimeout", 0, RETRY_TRANSIENT},
        {501, "NotImplemented", 0, RETRY_SERVER_ERROR},
        {599, "", 0, RETRY_SERVER_ERROR},
        {0, NULL, 1, RETRY_TRANSIENT},    /* connection refused, reset, timed out */
        {0, NULL, 2, RETRY_CLIENT_ERROR}, /* e.g. a TLS certificate problem */
        {400, "InvalidParameter", 0, RETRY_CLIENT_ERROR},
        {400, "KMSThrottling", 0, RETRY_CLIENT_ERROR}, /* not in smithy's list */
        {404, "NotFound", 0, RETRY_CLIENT_ERROR},
        {403, "AuthorizationError", 0, RETRY_CLIENT_ERROR},
        {403, "SignatureDoesNotMatch", 0, RETRY_CLIENT_ERROR},
        {200, "", 0, RETRY_CLIENT_ERROR},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        enum retry_error_kind got = retry_classify(t[i].status, t[i].code, t[i].transport);
        if (got != t[i].want)
            print_error("HTTP %ld %s transport %d: expected %s, got %s\n", t[i].status,
                        t[i].code ? t[i].code : "(null)", t[i].transport,
                        retry_kind_name(t[i].want), retry_kind_name(got));
        assert_int_equal(got, t[i].want);
    }
}

static void
test_backoff_is_full_jitter_with_throttling_base_500_and_transient_base_100(void **state)
{
    (void)state;
    static const struct {
        enum retry_error_kind kind;
        int attempt;
        double r;
        long want_ms;
    } t[] = {
        {RETRY_TRANSIENT, 1, 0.5, 50},       /* 0.5 * 1 * 100 */
        {RETRY_TRANSIENT, 2, 0.5, 100},      /* 0.5 * 2 * 100 */
        {RETRY_SERVER_ERROR, 2, 0.999, 199}, /* floor(0.999 * 200) */
        {RETRY_THROTTLING, 1, 0.5, 250},     /* 0.5 * 1 * 500 */
        {RETRY_THROTTLING, 2, 0.9, 900},     /* 0.9 * 2 * 500 */
        {RETRY_THROTTLING, 1, 0.0, 0},
    };
    retry_policy p;
    retry_policy_defaults(&p);
    p.max_attempts = 10;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        retry_quota q;
        retry_quota_init(&q);
        retry_decision d;
        retry_decide(&p, &q, t[i].kind, t[i].attempt, t[i].r, 0, 0, &d);
        if (d.delay_ms != t[i].want_ms || !d.retry)
            print_error("case %zu: expected a retry after %ld ms, got retry=%d after %ld ms\n", i,
                        t[i].want_ms, d.retry, d.delay_ms);
        assert_true(d.retry);
        assert_int_equal(d.delay_ms, t[i].want_ms);
    }
}

static void test_backoff_is_capped_at_20_seconds(void **state)
{
    (void)state;
    retry_policy p;
    retry_policy_defaults(&p);
    p.max_attempts = 100;
    retry_quota q;
    retry_quota_init(&q);
    retry_decision d;
    /* 0.75 * 2^9 * 500 = 192000 ms, capped. */
    retry_decide(&p, &q, RETRY_THROTTLING, 10, 0.75, 0, 0, &d);
    assert_int_equal(d.delay_ms, 20000);
    /* A huge attempt number does not overflow. */
    retry_decide(&p, &q, RETRY_TRANSIENT, 99, 0.5, 0, 0, &d);
    assert_int_equal(d.delay_ms, 20000);
}

static void test_three_attempts_at_most(void **state)
{
    (void)state;
    retry_policy p;
    retry_policy_defaults(&p);
    assert_int_equal(p.max_attempts, 3);
    retry_quota q;
    retry_quota_init(&q);
    retry_decision d;
    retry_decide(&p, &q, RETRY_THROTTLING, 1, 0.1, 0, 0, &d);
    assert_true(d.retry);
    retry_decide(&p, &q, RETRY_THROTTLING, 2, 0.1, 0, 0, &d);
    assert_true(d.retry);
    retry_decide(&p, &q, RETRY_THROTTLING, 3, 0.1, 0, 0, &d);
    assert_false(d.retry);
    assert_string_equal(d.reason, "no attempts left");
    assert_int_equal(q.capacity, 500 - 5 - 5);
}

static void test_client_errors_are_never_retried_and_cost_nothing(void **state)
{
    (void)state;
    retry_policy p;
    retry_policy_defaults(&p);
    retry_quota q;
    retry_quota_init(&q);
    retry_decision d;
    retry_decide(&p, &q, RETRY_CLIENT_ERROR, 1, 0.5, 0, 0, &d);
    assert_false(d.retry);
    assert_string_equal(d.reason, "not a retryable error");
    assert_int_equal(q.capacity, 500);
}

static void test_quota_costs_5_per_retry_10_after_transient_and_refunds_on_success(void **state)
{
    (void)state;
    retry_policy p;
    retry_policy_defaults(&p);
    retry_quota q;
    retry_quota_init(&q);
    retry_decision d;
    retry_decide(&p, &q, RETRY_THROTTLING, 1, 0.5, 0, 0, &d);
    assert_int_equal(d.cost, 5);
    assert_int_equal(q.capacity, 495);
    retry_decide(&p, &q, RETRY_TRANSIENT, 1, 0.5, 0, 0, &d);
    assert_int_equal(d.cost, 10);
    assert_int_equal(q.capacity, 485);
    retry_decide(&p, &q, RETRY_SERVER_ERROR, 1, 0.5, 0, 0, &d);
    assert_int_equal(d.cost, 5);
    assert_int_equal(q.capacity, 480);
    retry_record_success(&q, 10); /* the last retry cost 10 */
    assert_int_equal(q.capacity, 490);
    retry_record_success(&q, 0); /* no retry needed: +1 */
    assert_int_equal(q.capacity, 491);
    for (int i = 0; i < 20; i++)
        retry_record_success(&q, 5);
    assert_int_equal(q.capacity, 500); /* never above the initial 500 */
}

static void test_exhausted_quota_stops_retries(void **state)
{
    (void)state;
    retry_policy p;
    retry_policy_defaults(&p);
    retry_quota q;
    retry_quota_init(&q);
    retry_decision d;
    int retries = 0;
    for (int i = 0; i < 100; i++) {
        retry_decide(&p, &q, RETRY_TRANSIENT, 1, 0.5, 0, 0, &d);
        retries += d.retry;
    }
    assert_int_equal(retries, 50); /* 500 / 10 */
    assert_int_equal(q.capacity, 0);
    assert_string_equal(d.reason, "retry quota exhausted");
    q.capacity = 7; /* enough for a throttling retry (5), not a transient one (10) */
    retry_decide(&p, &q, RETRY_TRANSIENT, 1, 0.5, 0, 0, &d);
    assert_false(d.retry);
    retry_decide(&p, &q, RETRY_THROTTLING, 1, 0.5, 0, 0, &d);
    assert_true(d.retry);
    assert_int_equal(q.capacity, 2);
}

static void test_backoff_crossing_the_deadline_is_refused_and_free(void **state)
{
    (void)state;
    retry_policy p;
    retry_policy_defaults(&p);
    retry_quota q;
    retry_quota_init(&q);
    retry_decision d;
    /* now 1000, limit 1200: a 250 ms backoff would end at 1250. */
    retry_decide(&p, &q, RETRY_THROTTLING, 1, 0.5, 1000, 1200, &d);
    assert_false(d.retry);
    assert_int_equal(d.delay_ms, 250);
    assert_string_equal(d.reason, "no time for another attempt before the deadline");
    assert_int_equal(q.capacity, 500);
    /* ending at 1199 is fine */
    retry_decide(&p, &q, RETRY_THROTTLING, 1, 0.398, 1000, 1200, &d);
    assert_true(d.retry);
    assert_int_equal(d.delay_ms, 199);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classification_follows_smithy_error_classes),
        cmocka_unit_test(
            test_backoff_is_full_jitter_with_throttling_base_500_and_transient_base_100),
        cmocka_unit_test(test_backoff_is_capped_at_20_seconds),
        cmocka_unit_test(test_three_attempts_at_most),
        cmocka_unit_test(test_client_errors_are_never_retried_and_cost_nothing),
        cmocka_unit_test(test_quota_costs_5_per_retry_10_after_transient_and_refunds_on_success),
        cmocka_unit_test(test_exhausted_quota_stops_retries),
        cmocka_unit_test(test_backoff_crossing_the_deadline_is_refused_and_free),
    };
    return cmocka_run_group_tests_name("retry", tests, NULL, NULL);
}
