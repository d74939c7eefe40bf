/* retry.h: the AWS SDKs' "standard" retry mode, as pure decisions (no clock,
 * no randomness of its own, no sleeping) so that every timing decision can be
 * tested with a chosen random number and clock.
 *
 * Constants and rules from @smithy/util-retry (StandardRetryStrategy,
 * DefaultRetryBackoffStrategy, constants.ts) and
 * @smithy/service-error-classification, which the AWS SDK for JavaScript v3
 * uses, and the AWS SDKs and Tools reference guide ("Retry behavior"):
 *   - at most 3 attempts (DEFAULT_MAX_ATTEMPTS);
 *   - retried: throttling errors (HTTP 429 and the throttling error codes),
 *     transient errors (timeouts, connection failures, HTTP 500/502/503/504,
 *     RequestTimeout...) and other 5xx server errors; never client errors;
 *   - backoff before retry n (n = 1, 2, ...): full jitter,
 *     floor(min(MAXIMUM_RETRY_DELAY, r * 2^(n-1) * base)) with r uniform in
 *     [0, 1), base THROTTLING_RETRY_DELAY_BASE (500 ms) for throttling and
 *     DEFAULT_RETRY_DELAY_BASE (100 ms) otherwise, MAXIMUM_RETRY_DELAY 20 s;
 *   - a retry quota (token bucket) of INITIAL_RETRY_TOKENS (500) shared by
 *     every request of a client: a retry costs RETRY_COST (5), or
 *     TIMEOUT_RETRY_COST (10) after a transient error; no retry when the
 *     quota holds less than the cost; a success refunds the cost of its last
 *     retry, or NO_RETRY_INCREMENT (1) when it needed none, up to 500.
 * One addition of ours: a retry whose backoff would end at or past the
 * caller's time limit (the invocation deadline less a margin) is not made,
 * and costs nothing.
 */
#ifndef IRIS_RETRY_H
#define IRIS_RETRY_H

#include <stdint.h>

#define RETRY_MAX_ATTEMPTS 3
#define RETRY_BASE_DELAY_MS 100
#define RETRY_THROTTLING_BASE_DELAY_MS 500
#define RETRY_MAX_BACKOFF_MS 20000
#define RETRY_QUOTA_CAPACITY 500
#define RETRY_COST 5
#define RETRY_TIMEOUT_COST 10
#define RETRY_NO_RETRY_INCREMENT 1

enum retry_error_kind {
    RETRY_CLIENT_ERROR = 0, /* not retried */
    RETRY_THROTTLING,
    RETRY_TRANSIENT,
    RETRY_SERVER_ERROR,
};

typedef struct retry_policy {
    int max_attempts;
    long base_delay_ms;
    long throttling_base_delay_ms;
    long max_backoff_ms;
} retry_policy;

/* The token bucket; one per client, for the process's lifetime. */
typedef struct retry_quota {
    int capacity;
} retry_quota;

typedef struct retry_decision {
    int retry;          /* 1: sleep delay_ms, then attempt again */
    long delay_ms;      /* the backoff (computed even when the deadline refuses it) */
    int cost;           /* taken from the quota when retry is 1 */
    const char *reason; /* why not, when retry is 0 */
} retry_decision;

void retry_policy_defaults(retry_policy *p);
void retry_quota_init(retry_quota *q);

/* The kind of a failed attempt: an HTTP status and AWS error code ("" or
 * NULL for none), or a transport failure (transport_failure 1 for a
 * connection failure or timeout, 2 for one that retrying cannot fix, such as
 * a TLS certificate error). */
enum retry_error_kind retry_classify(long http_status, const char *error_code,
                                     int transport_failure);

/* After failed attempt number attempt (1-based) of the given kind: whether
 * to retry and after how long.  rand01 is uniform in [0, 1); now_ms and
 * limit_ms are on one clock (limit_ms <= 0: none).  Takes the cost from q
 * only when it decides to retry. */
void retry_decide(const retry_policy *p, retry_quota *q, enum retry_error_kind kind, int attempt,
                  double rand01, int64_t now_ms, int64_t limit_ms, retry_decision *out);

/* After a successful request; last_cost is the cost of its last retry (0:
 * it needed none). */
void retry_record_success(retry_quota *q, int last_cost);

const char *retry_kind_name(enum retry_error_kind kind);

#endif
