/* notify.h: the glue between an evaluated batch and an SNS alert: reads the
 * alert configuration from the environment, applies the alert policy
 * (lambda/alert.h) and publishes through the SNS client (aws/sns.h).
 * See lambda/ALERTS.md for the variables and the failure contract.
 */
#ifndef IRIS_NOTIFY_H
#define IRIS_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "lambda/batch/batch.h"
#include "lambda/evaluate.h"
#include "lambda/monitor.h"

typedef struct notifier notifier;

/* Reads ALERT_MODE (threshold|every|off, default threshold), ALERT_MIN_RECORDS,
   ALERT_ACCURACY_THRESHOLD, ALERT_FAILURE (log|fail, default log), SNS_TOPIC_ARN, AWS_REGION,
   credentials, AWS_ENDPOINT_URL_SNS/AWS_ENDPOINT_URL. Returns NULL and a specific message naming
   the variable on invalid configuration (the caller posts it to /init/error). If SNS_TOPIC_ARN is
   unset and ALERT_MODE is not set, alerts are disabled with one WARN log line;
   ALERT_MODE=threshold|every without SNS_TOPIC_ARN, or alerts on without credentials, is an init
   error. Must not start TLS or create the CURL handle: that waits for the first alert (cold start
   matters). The caller owns the result and frees it with notifier_free(). */
notifier *notifier_from_env(char *err, size_t errlen);
void notifier_free(notifier *n); /* accepts NULL */

enum notify_outcome {
    NOTIFY_NOT_DUE = 0,   /* alerts off, or the policy wanted no alert for this batch */
    NOTIFY_PUBLISHED = 1, /* the alerts due were published (MessageId logged at INFO) */
    NOTIFY_FAILED = -1,   /* an alert was due and could not be published */
};

/* What one call did. */
typedef struct notify_counts {
    size_t published; /* alerts SNS accepted (earlier pending ones included) */
    size_t failed;    /* alerts due that could not be published */
    size_t pending;   /* sequential alerts kept to be published by a later call */
} notify_counts;

/* Sequential alerts kept for a later call when they cannot be published. */
#define NOTIFY_MAX_PENDING 8

/* After each evaluated batch and its monitor verdict v (the sequential policy's events; NULL:
   none): publishes every alert the policy calls for (alert_count(): at most one per batch for
   the per-batch modes; one per alarm or recovery for sequential). class_names has nclasses
   entries. Returns an enum notify_outcome and what was published and not in *counts. On
   NOTIFY_FAILED each failure has been logged at ERROR (SNS error code, HTTP status, scrubbed
   message) and err holds the first one's message for the invocation's AlertPublishFailed error.
   Whether the invocation then fails is the caller's choice: notifier_fails_invocation().
   deadline_ms is the invocation deadline (Unix epoch ms, 0 = unknown); no attempt may start past
   deadline minus a safety margin.

   A sequential alert that cannot be published is not lost: it is kept (at most
   NOTIFY_MAX_PENDING, the oldest given up with an ERROR line beyond that) and published first by
   the next call, before any newer alert, which waits behind it; so under ALERT_FAILURE=fail the
   re-delivered batch publishes the alarm whose failure failed the invocation, although the
   monitor's episode is already open.  Calls for which notifier_ordered() is 1 must not run at
   once, and must run in the order of the monitor verdicts they carry; the others (per-batch
   modes) may run concurrently. */
int notifier_batch(notifier *n, const batch *b, const evaluation *e, const monitor_verdict *v,
                   const char *const *class_names, const char *request_id, int64_t deadline_ms,
                   notify_counts *counts, char *err, size_t errlen);

/* 1 when notifier_batch must be called in the monitor's order for this verdict: the sequential
   policy with events in v, or alerts still pending.  Safe to call from any thread. */
int notifier_ordered(const notifier *n, const monitor_verdict *v);

/* 1 when ALERT_FAILURE=fail: an unpublished alert fails the invocation with
   NOTIFY_ERROR_TYPE. 0 (ALERT_FAILURE=log, the default; and for NULL): the batch's results are
   returned anyway and the failure shows in the log and the AlertPublishFailures metric. */
int notifier_fails_invocation(const notifier *n);

/* The error type of a failed invocation under ALERT_FAILURE=fail. */
#define NOTIFY_ERROR_TYPE "AlertPublishFailed"

#endif
