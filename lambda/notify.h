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

/* After each evaluated batch and its monitor verdict v (the sequential policy's events; NULL:
   none): publishes every alert the policy calls for (alert_count(): at most one per batch for
   the per-batch modes; one per alarm or recovery for sequential). class_names has nclasses
   entries. Returns an enum notify_outcome and the number of alerts that could not be published
   in *failures. On NOTIFY_FAILED each failure has been logged at ERROR (SNS error code, HTTP
   status, scrubbed message) and err holds the first one's message for the invocation's
   AlertPublishFailed error. Whether the invocation then fails is the caller's choice:
   notifier_fails_invocation(). deadline_ms is the invocation deadline (Unix epoch ms, 0 =
   unknown); no attempt may start past deadline minus a safety margin. */
int notifier_batch(notifier *n, const batch *b, const evaluation *e, const monitor_verdict *v,
                   const char *const *class_names, const char *request_id, int64_t deadline_ms,
                   size_t *failures, char *err, size_t errlen);

/* 1 when ALERT_FAILURE=fail: an unpublished alert fails the invocation with
   NOTIFY_ERROR_TYPE. 0 (ALERT_FAILURE=log, the default; and for NULL): the batch's results are
   returned anyway and the failure shows in the log and the AlertPublishFailures metric. */
int notifier_fails_invocation(const notifier *n);

/* The error type of a failed invocation under ALERT_FAILURE=fail. */
#define NOTIFY_ERROR_TYPE "AlertPublishFailed"

#endif
