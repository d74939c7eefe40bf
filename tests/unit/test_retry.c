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
#include <string.h>

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

/* What a step checks (the fields of its expectation named here). */
enum {
    WANT_RETRY = 1,
    WANT_NO_RETRY = 2,
    WANT_DELAY = 4,
    WANT_COST = 8,
    WANT_CAPACITY = 16,
    WANT_RETRIES = 32
};

/* One call on a policy and its quota, `times` times (0: once): retry_decide()
 * of kind at attempt with random number r at now_ms against limit_ms, or with
 * success set retry_record_success(last_cost).  Then what `want` names must
 * hold: the last decision retried or not, its delay and cost, the quota's
 * capacity, how many of the calls retried; and its reason, when not NULL. */
typedef struct step {
    int success, last_cost;
    enum retry_error_kind kind;
    int attempt;
    double r;
    int64_t now_ms, limit_ms;
    int times;
    unsigned want;
    long delay_ms;
    int cost, capacity, retries;
    const char *reason;
} step;

/* Appends to the text in dst (cap bytes). */
static void add(char *dst, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(dst);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst + len, cap - len, fmt, ap);
    va_end(ap);
}

static void run_steps(const retry_policy *p, retry_quota *q, const step *s, size_t n)
{
    retry_decision d = {0};
    for (size_t i = 0; i < n; i++) {
        int retries = 0;
        for (int k = 0; k < (s[i].times ? s[i].times : 1); k++) {
            if (s[i].success) {
                retry_record_success(q, s[i].last_cost);
                continue;
            }
            retry_decide(p, q, s[i].kind, s[i].attempt, s[i].r, s[i].now_ms, s[i].limit_ms, &d);
            retries += d.retry;
        }
        /* What the step checks, expected and got side by side. */
        unsigned w = s[i].want;
        char want[256] = "", got[256] = "";
        int ok = 1;
        if (w & (WANT_RETRY | WANT_NO_RETRY)) {
            ok &= d.retry == !!(w & WANT_RETRY);
            add(want, sizeof want, " retry=%d", !!(w & WANT_RETRY));
            add(got, sizeof got, " retry=%d", d.retry);
        }
        if (w & WANT_DELAY) {
            ok &= d.delay_ms == s[i].delay_ms;
            add(want, sizeof want, " delay %ld ms", s[i].delay_ms);
            add(got, sizeof got, " delay %ld ms", d.delay_ms);
        }
        if (w & WANT_COST) {
            ok &= d.cost == s[i].cost;
            add(want, sizeof want, " cost %d", s[i].cost);
            add(got, sizeof got, " cost %d", d.cost);
        }
        if (w & WANT_CAPACITY) {
            ok &= q->capacity == s[i].capacity;
            add(want, sizeof want, " capacity %d", s[i].capacity);
            add(got, sizeof got, " capacity %d", q->capacity);
        }
        if (w & WANT_RETRIES) {
            ok &= retries == s[i].retries;
            add(want, sizeof want, " %d retries", s[i].retries);
            add(got, sizeof got, " %d retries", retries);
        }
        if (s[i].reason != NULL) {
            ok &= d.reason != NULL && strcmp(d.reason, s[i].reason) == 0;
            add(want, sizeof want, " reason \"%s\"", s[i].reason);
            add(got, sizeof got, " reason \"%s\"", d.reason ? d.reason : "(none)");
        }
        if (!ok)
            fail_msg("step %zu: expected%s; got%s", i, want, got);
    }
}

/* Runs the steps on the default policy (at most max_attempts attempts when
 * it is not 0) and a full quota. */
static void run_fresh(int max_attempts, const step *s, size_t n)
{
    retry_policy p;
    retry_policy_defaults(&p);
    if (max_attempts)
        p.max_attempts = max_attempts;
    retry_quota q;
    retry_quota_init(&q);
    run_steps(&p, &q, s, n);
}

#define RUN_FRESH(max_attempts, steps)                                                             \
    run_fresh(max_attempts, steps, sizeof steps / sizeof steps[0])

static void test_backoff_is_capped_at_20_seconds(void **state)
{
    (void)state;
    static const step s[] = {
        /* 0.75 * 2^9 * 500 = 192000 ms, capped. */
        {.kind = RETRY_THROTTLING, .attempt = 10, .r = 0.75, .want = WANT_DELAY, .delay_ms = 20000},
        /* A huge attempt number does not overflow. */
        {.kind = RETRY_TRANSIENT, .attempt = 99, .r = 0.5, .want = WANT_DELAY, .delay_ms = 20000},
    };
    RUN_FRESH(100, s);
}

static void test_three_attempts_at_most(void **state)
{
    (void)state;
    retry_policy p;
    retry_policy_defaults(&p);
    assert_int_equal(p.max_attempts, 3);
    static const step s[] = {
        {.kind = RETRY_THROTTLING, .attempt = 1, .r = 0.1, .want = WANT_RETRY},
        {.kind = RETRY_THROTTLING, .attempt = 2, .r = 0.1, .want = WANT_RETRY},
        {.kind = RETRY_THROTTLING,
         .attempt = 3,
         .r = 0.1,
         .want = WANT_NO_RETRY | WANT_CAPACITY,
         .reason = "no attempts left",
         .capacity = 500 - 5 - 5},
    };
    RUN_FRESH(0, s);
}

static void test_client_errors_are_never_retried_and_cost_nothing(void **state)
{
    (void)state;
    static const step s[] = {{.kind = RETRY_CLIENT_ERROR,
                              .attempt = 1,
                              .r = 0.5,
                              .want = WANT_NO_RETRY | WANT_CAPACITY,
                              .reason = "not a retryable error",
                              .capacity = 500}};
    RUN_FRESH(0, s);
}

static void test_quota_costs_5_per_retry_10_after_transient_and_refunds_on_success(void **state)
{
    (void)state;
    static const step s[] = {
        {.kind = RETRY_THROTTLING,
         .attempt = 1,
         .r = 0.5,
         .want = WANT_COST | WANT_CAPACITY,
         .cost = 5,
         .capacity = 495},
        {.kind = RETRY_TRANSIENT,
         .attempt = 1,
         .r = 0.5,
         .want = WANT_COST | WANT_CAPACITY,
         .cost = 10,
         .capacity = 485},
        {.kind = RETRY_SERVER_ERROR,
         .attempt = 1,
         .r = 0.5,
         .want = WANT_COST | WANT_CAPACITY,
         .cost = 5,
         .capacity = 480},
        /* the last retry cost 10 */
        {.success = 1, .last_cost = 10, .want = WANT_CAPACITY, .capacity = 490},
        /* no retry needed: +1 */
        {.success = 1, .last_cost = 0, .want = WANT_CAPACITY, .capacity = 491},
        /* never above the initial 500 */
        {.success = 1, .last_cost = 5, .times = 20, .want = WANT_CAPACITY, .capacity = 500},
    };
    RUN_FRESH(0, s);
}

static void test_exhausted_quota_stops_retries(void **state)
{
    (void)state;
    retry_policy p;
    retry_policy_defaults(&p);
    retry_quota q;
    retry_quota_init(&q);
    static const step drain[] = {{.kind = RETRY_TRANSIENT,
                                  .attempt = 1,
                                  .r = 0.5,
                                  .times = 100,
                                  .want = WANT_RETRIES | WANT_CAPACITY,
                                  .retries = 50, /* 500 / 10 */
                                  .capacity = 0,
                                  .reason = "retry quota exhausted"}};
    run_steps(&p, &q, drain, 1);
    q.capacity = 7; /* enough for a throttling retry (5), not a transient one (10) */
    static const step last[] = {
        {.kind = RETRY_TRANSIENT, .attempt = 1, .r = 0.5, .want = WANT_NO_RETRY},
        {.kind = RETRY_THROTTLING,
         .attempt = 1,
         .r = 0.5,
         .want = WANT_RETRY | WANT_CAPACITY,
         .capacity = 2},
    };
    run_steps(&p, &q, last, 2);
}

static void test_backoff_crossing_the_deadline_is_refused_and_free(void **state)
{
    (void)state;
    static const step s[] = {
        /* now 1000, limit 1200: a 250 ms backoff would end at 1250. */
        {.kind = RETRY_THROTTLING,
         .attempt = 1,
         .r = 0.5,
         .now_ms = 1000,
         .limit_ms = 1200,
         .want = WANT_NO_RETRY | WANT_DELAY | WANT_CAPACITY,
         .delay_ms = 250,
         .reason = "no time for another attempt before the deadline",
         .capacity = 500},
        /* ending at 1199 is fine */
        {.kind = RETRY_THROTTLING,
         .attempt = 1,
         .r = 0.398,
         .now_ms = 1000,
         .limit_ms = 1200,
         .want = WANT_RETRY | WANT_DELAY,
         .delay_ms = 199},
    };
    RUN_FRESH(0, s);
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
