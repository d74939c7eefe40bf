/* retry.c: the AWS SDKs' standard retry mode (see retry.h for the sources). */
#include "aws/retry.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* @smithy/service-error-classification THROTTLING_ERROR_CODES. */
static const char *const throttling_codes[] = {
    "BandwidthLimitExceeded",
    "EC2ThrottledException",
    "LimitExceededException",
    "PriorRequestNotComplete",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "ThrottledException",
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "TransactionInProgressException",
};

/* TRANSIENT_ERROR_CODES. */
static const char *const transient_codes[] = {"TimeoutError", "RequestTimeout",
                                              "RequestTimeoutException"};

static int in_list(const char *code, const char *const *list, size_t n)
{
    for (size_t i = 0; code != NULL && i < n; i++)
        if (strcmp(code, list[i]) == 0)
            return 1;
    return 0;
}

void retry_policy_defaults(retry_policy *p)
{
    p->max_attempts = RETRY_MAX_ATTEMPTS;
    p->base_delay_ms = RETRY_BASE_DELAY_MS;
    p->throttling_base_delay_ms = RETRY_THROTTLING_BASE_DELAY_MS;
    p->max_backoff_ms = RETRY_MAX_BACKOFF_MS;
}

void retry_quota_init(retry_quota *q)
{
    q->capacity = RETRY_QUOTA_CAPACITY;
}

enum retry_error_kind retry_classify(long http_status, const char *error_code,
                                     int transport_failure)
{
    if (transport_failure)
        return transport_failure == 1 ? RETRY_TRANSIENT : RETRY_CLIENT_ERROR;
    if (http_status == 429 ||
        in_list(error_code, throttling_codes, sizeof throttling_codes / sizeof *throttling_codes))
        return RETRY_THROTTLING;
    if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504 ||
        in_list(error_code, transient_codes, sizeof transient_codes / sizeof *transient_codes))
        return RETRY_TRANSIENT;
    if (http_status >= 500 && http_status <= 599)
        return RETRY_SERVER_ERROR;
    return RETRY_CLIENT_ERROR;
}

/* floor(min(cap, rand01 * 2^(attempt-1) * base)) */
static long backoff_ms(const retry_policy *p, enum retry_error_kind kind, int attempt,
                       double rand01)
{
    long base = kind == RETRY_THROTTLING ? p->throttling_base_delay_ms : p->base_delay_ms;
    int exp = attempt - 1 < 62 ? attempt - 1 : 62;
    double window = ldexp((double)base, exp);
    double delay = rand01 * window;
    if (delay > (double)p->max_backoff_ms)
        delay = (double)p->max_backoff_ms;
    return delay > 0 ? (long)floor(delay) : 0;
}

void retry_decide(const retry_policy *p, retry_quota *q, enum retry_error_kind kind, int attempt,
                  double rand01, int64_t now_ms, int64_t limit_ms, retry_decision *out)
{
    memset(out, 0, sizeof *out);
    out->cost = kind == RETRY_TRANSIENT ? RETRY_TIMEOUT_COST : RETRY_COST;
    out->delay_ms = backoff_ms(p, kind, attempt, rand01);
    if (kind == RETRY_CLIENT_ERROR)
        out->reason = "not a retryable error";
    else if (attempt >= p->max_attempts)
        out->reason = "no attempts left";
    else if (q->capacity < out->cost)
        out->reason = "retry quota exhausted";
    else if (limit_ms > 0 && now_ms + out->delay_ms >= limit_ms)
        out->reason = "no time for another attempt before the deadline";
    if (out->reason != NULL) {
        out->cost = 0;
        return;
    }
    q->capacity -= out->cost;
    out->retry = 1;
}

void retry_record_success(retry_quota *q, int last_cost)
{
    q->capacity += last_cost > 0 ? last_cost : RETRY_NO_RETRY_INCREMENT;
    if (q->capacity > RETRY_QUOTA_CAPACITY)
        q->capacity = RETRY_QUOTA_CAPACITY;
}

const char *retry_kind_name(enum retry_error_kind kind)
{
    switch (kind) {
    case RETRY_THROTTLING:
        return "throttling";
    case RETRY_TRANSIENT:
        return "transient";
    case RETRY_SERVER_ERROR:
        return "server error";
    default:
        return "client error";
    }
}
