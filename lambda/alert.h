/* alert.h: when a batch deserves an alert, and what the alert says.
 * Knows nothing about HTTP or SNS's wire format; the notifier (notify.h)
 * hands the result to the SNS client.
 *
 * Policy (ALERT_MODE):
 *   sequential (default) one alert when a sequential test (lambda/monitor.h)
 *                        finds an accuracy drop or input drift, one when the
 *                        episode ends; nothing in between
 *   threshold            alert when the batch has at least min_records
 *                        labelled records and accuracy < accuracy_threshold
 *   every                a summary for every batch (for testing subscriptions)
 *   off                  never
 *
 * An alert has a Subject (printable ASCII, at most 99 characters, e.g.
 * "iris model accuracy 45% < 90% on 20 records (iris/0 100-119)"), a JSON
 * Message (see lambda/ALERTS.md) always under the size budget (examples are
 * dropped first, then offset ranges), a kind (below) and two attributes:
 * accuracy (Number; absent when no record was labelled) and severity
 * (String: "critical", "warning" or "info").
 */
#ifndef IRIS_ALERT_H
#define IRIS_ALERT_H

#include <stddef.h>

#include "lambda/batch/batch.h"
#include "lambda/evaluate.h"
#include "lambda/monitor.h"

#define ALERT_DEFAULT_MIN_RECORDS 10
#define ALERT_DEFAULT_ACCURACY_THRESHOLD 0.9
#define ALERT_MAX_EXAMPLES 5
#define ALERT_SUBJECT_MAX 99

enum alert_mode {
    ALERT_MODE_OFF = 0,
    ALERT_MODE_THRESHOLD,
    ALERT_MODE_EVERY,
    ALERT_MODE_SEQUENTIAL
};

typedef struct alert_policy {
    enum alert_mode mode;
    size_t min_records;        /* labelled records needed before judging */
    double accuracy_threshold; /* in [0, 1] */
} alert_policy;

/* What the message is about, besides the batch. */
typedef struct alert_context {
    const char *function_name; /* AWS_LAMBDA_FUNCTION_NAME; NULL: "" */
    const char *request_id;    /* NULL: "" */
    const char *const *class_names;
    size_t nclasses;
} alert_context;

typedef struct alert {
    char subject[ALERT_SUBJECT_MAX + 1];
    char *message; /* JSON, owned: free with alert_free() */
    size_t message_len;
    const char *severity; /* static string */
    /* static string: "accuracy-drop", "accuracy-recovered", "input-drift",
     * "input-drift-over" (sequential), "batch-threshold", "batch-summary" */
    const char *kind;
    char accuracy[32]; /* decimal for the Number attribute; "" when unknown */
    size_t examples;   /* misclassified examples included */
    int truncated;     /* something was dropped to fit the budget */
} alert;

void alert_policy_defaults(alert_policy *p);

/* Parses ALERT_MODE / ALERT_MIN_RECORDS / ALERT_ACCURACY_THRESHOLD values
 * (NULL or "": the default).  On error returns -1 with a message naming the
 * variable, the value and what is accepted. */
int alert_parse_mode(const char *value, enum alert_mode *out, char *err, size_t errlen);
int alert_parse_min_records(const char *value, size_t *out, char *err, size_t errlen);
int alert_parse_threshold(const char *value, double *out, char *err, size_t errlen);
const char *alert_mode_name(enum alert_mode mode);

/* 1 when a per-batch policy (threshold, every) wants an alert for this
 * evaluation, else 0 (always 0 for sequential and off). */
int alert_due(const alert_policy *p, const evaluation *e);

/* How many alerts the batch calls for: for sequential, one per event of the
 * monitor's verdict (an alarm or a recovery); otherwise alert_due(). */
size_t alert_count(const alert_policy *p, const evaluation *e, const monitor_verdict *v);

/* Builds alert i (0 <= i < alert_count()) as alert_build() does.  Returns 0
 * or -1; the caller frees out with alert_free(). */
int alert_build_nth(const alert_policy *p, const alert_context *ctx, const batch *b,
                    const evaluation *e, const monitor_verdict *v, size_t i,
                    size_t max_message_bytes, alert *out);

/* Builds the per-batch alert (threshold, every) for a batch and its evaluation.  max_message_bytes
 * is the budget for the Message (use alert_message_budget() for SNS).  Returns 0, or -1 on
 * allocation failure or when even the smallest message does not fit. The caller frees out with
 * alert_free(). */
int alert_build(const alert_policy *p, const alert_context *ctx, const batch *b,
                const evaluation *e, size_t max_message_bytes, alert *out);
void alert_free(alert *a); /* accepts NULL */

/* SNS's limit less room for the subject and the attributes. */
size_t alert_message_budget(void);

#endif
