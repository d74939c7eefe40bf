/* notify.c: alert configuration from the environment, policy, publish. */
#include "lambda/notify.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lambda/alert.h"
#include "common/buf.h"
#include "common/log.h"
#include "aws/sns.h"

/* An alert that is built and could not be published yet, with the FIFO ids
 * it was first sent with (so a copy SNS did receive is dropped as a
 * duplicate). */
typedef struct pending_alert {
    alert a;
    int fifo;
    char group[SNS_MAX_FIFO_ID_CHARS + 1];
    char dedup[SNS_MAX_FIFO_ID_CHARS + 1];
} pending_alert;

struct notifier {
    int enabled;
    alert_policy policy;
    char *topic_arn;
    char *function_name;
    int fail_invocation; /* ALERT_FAILURE=fail */
    sns_client *sns;     /* NULL when disabled; safe to share between threads */
    /* Sequential alerts not published yet, oldest first: published before
     * any newer one.  Touched only by the caller whose turn it is (see
     * notifier_ordered); npending is read by any thread. */
    pending_alert pending[NOTIFY_MAX_PENDING];
    atomic_size_t npending;
};

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : NULL;
}

static int all_chars(const char *s, size_t n, const char *extra, int digits_only)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int ok = digits_only ? isdigit(c) : (islower(c) || isdigit(c) || strchr(extra, c));
        if (!ok || c == '\0')
            return 0;
    }
    return 1;
}

/* arn:<partition>:sns:<region>:<12-digit account>:<topic name>.  On error
 * writes why into why. */
static int check_topic_arn(const char *arn, char *region, size_t regionlen, char *why,
                           size_t whylen)
{
    const char *f[6];
    size_t len[6];
    const char *p = arn;
    for (int i = 0; i < 6; i++) {
        f[i] = p;
        const char *colon = i < 5 ? strchr(p, ':') : NULL;
        if (i < 5 && colon == NULL) {
            snprintf(why, whylen, "it has %d colon-separated fields, not 6", i + 1);
            return -1;
        }
        len[i] = colon ? (size_t)(colon - p) : strlen(p);
        p += len[i] + 1;
    }
    if (len[0] != 3 || memcmp(f[0], "arn", 3) != 0) {
        snprintf(why, whylen, "it does not start with \"arn:\"");
        return -1;
    }
    if (len[1] < 3 || memcmp(f[1], "aws", 3) != 0 || (len[1] > 3 && f[1][3] != '-') ||
        !all_chars(f[1], len[1], "-", 0)) {
        snprintf(why, whylen, "partition \"%.*s\" is not aws, aws-cn, aws-us-gov, ...",
                 (int)(len[1] < 32 ? len[1] : 32), f[1]);
        return -1;
    }
    if (len[2] != 3 || memcmp(f[2], "sns", 3) != 0) {
        snprintf(why, whylen, "service \"%.*s\" is not sns", (int)(len[2] < 32 ? len[2] : 32),
                 f[2]);
        return -1;
    }
    /* Regions look like us-east-1, us-gov-west-1, cn-north-1. */
    int region_ok = len[3] >= 4 && len[3] < regionlen && all_chars(f[3], len[3], "-", 0) &&
                    isalpha((unsigned char)f[3][0]) && isdigit((unsigned char)f[3][len[3] - 1]) &&
                    memchr(f[3], '-', len[3]) != NULL;
    if (!region_ok) {
        snprintf(why, whylen, "region \"%.*s\" is not a region such as us-east-1",
                 (int)(len[3] < 32 ? len[3] : 32), f[3]);
        return -1;
    }
    if (len[4] != 12 || !all_chars(f[4], len[4], "", 1)) {
        snprintf(why, whylen, "account \"%.*s\" is not 12 digits", (int)(len[4] < 32 ? len[4] : 32),
                 f[4]);
        return -1;
    }
    size_t nl = len[5];
    int ok = nl >= 1 && nl <= 256;
    size_t base = nl > 5 && memcmp(f[5] + nl - 5, ".fifo", 5) == 0 ? nl - 5 : nl;
    for (size_t i = 0; ok && i < base; i++) {
        unsigned char c = (unsigned char)f[5][i];
        ok = isalnum(c) || c == '-' || c == '_';
    }
    if (!ok || base == 0) {
        snprintf(why, whylen,
                 "topic name \"%.*s\" must be 1-256 letters, digits, '-' or '_' (optionally "
                 "ending in .fifo)",
                 (int)(nl < 64 ? nl : 64), f[5]);
        return -1;
    }
    memcpy(region, f[3], len[3]);
    region[len[3]] = '\0';
    return 0;
}

/* ALERT_MODE, ALERT_MIN_RECORDS, ALERT_ACCURACY_THRESHOLD, ALERT_FAILURE. */
static int read_policy(notifier *n, char *err, size_t errlen)
{
    const char *failure = env("ALERT_FAILURE");
    if (alert_parse_mode(env("ALERT_MODE"), &n->policy.mode, err, errlen) != 0 ||
        alert_parse_min_records(env("ALERT_MIN_RECORDS"), &n->policy.min_records, err, errlen) !=
            0 ||
        alert_parse_threshold(env("ALERT_ACCURACY_THRESHOLD"), &n->policy.accuracy_threshold, err,
                              errlen) != 0)
        return -1;
    if (failure == NULL || strcasecmp(failure, "log") == 0) {
        n->fail_invocation = 0;
    } else if (strcasecmp(failure, "fail") == 0) {
        n->fail_invocation = 1;
    } else {
        snprintf(err, errlen,
                 "ALERT_FAILURE=\"%.64s\" is not log or fail: log (the default) returns the "
                 "batch's results when an alert cannot be published, fail fails the invocation "
                 "with AlertPublishFailed (for a connector with behavior.on.error=fail)",
                 failure);
        return -1;
    }
    return 0;
}

/* SNS_TOPIC_ARN, checked; its region goes to region. */
static int read_topic(const char *mode_name, char *region, size_t regionlen, char *err,
                      size_t errlen)
{
    char why[256];
    const char *topic = env("SNS_TOPIC_ARN");
    if (topic == NULL) {
        snprintf(err, errlen,
                 "ALERT_MODE=%s needs SNS_TOPIC_ARN, the topic to publish alerts to "
                 "(e.g. arn:aws:sns:us-east-1:123456789012:iris-alerts); or set ALERT_MODE=off",
                 mode_name);
        return -1;
    }
    if (check_topic_arn(topic, region, regionlen, why, sizeof why) != 0) {
        snprintf(err, errlen,
                 "SNS_TOPIC_ARN=\"%.200s\" is not an SNS topic ARN: %s; expected "
                 "arn:aws:sns:<region>:<12-digit account>:<topic name>",
                 topic, why);
        return -1;
    }
    return 0;
}

/* The credentials Lambda sets from the execution role. */
static int read_credentials(sns_config *cfg, const char *mode_name, char *err, size_t errlen)
{
    cfg->access_key_id = env("AWS_ACCESS_KEY_ID");
    cfg->secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    cfg->session_token = env("AWS_SESSION_TOKEN");
    if (cfg->access_key_id != NULL && cfg->secret_access_key != NULL)
        return 0;
    snprintf(err, errlen,
             "alerts are on (ALERT_MODE=%s) but %s is not set: Lambda sets it from the "
             "function's execution role; elsewhere export AWS_ACCESS_KEY_ID and "
             "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)",
             mode_name, cfg->access_key_id == NULL ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY");
    return -1;
}

/* The endpoint override, as the AWS SDKs read it; NULL: the default endpoint.
 * *var names the variable it came from. */
static const char *read_endpoint(const char **var)
{
    const char *ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    const char *endpoint = NULL;
    *var = "SNS client";
    if (ignore != NULL && strcasecmp(ignore, "true") == 0)
        return NULL;
    if ((endpoint = env("AWS_ENDPOINT_URL_SNS")) != NULL)
        *var = "AWS_ENDPOINT_URL_SNS";
    else if ((endpoint = env("AWS_ENDPOINT_URL")) != NULL)
        *var = "AWS_ENDPOINT_URL";
    return endpoint;
}

static void log_alerts_on(const notifier *n)
{
    buf f = BUF_INIT;
    buf_puts(&f, "\"alertMode\":");
    buf_json_cstr(&f, alert_mode_name(n->policy.mode));
    buf_printf(&f, ",\"minRecords\":%zu,\"accuracyThreshold\":", n->policy.min_records);
    buf_json_double(&f, n->policy.accuracy_threshold);
    buf_puts(&f, ",\"alertFailure\":");
    buf_json_cstr(&f, n->fail_invocation ? "fail" : "log");
    buf_puts(&f, ",\"topicArn\":");
    buf_json_cstr(&f, n->topic_arn);
    buf_puts(&f, ",\"endpoint\":");
    buf_json_cstr(&f, sns_client_endpoint(n->sns));
    if (!f.failed)
        log_fields(LOG_INFO, "alerts on", f.data);
    buf_free(&f);
}

/* Alerts are on: the topic, credentials and endpoint make the SNS client. */
static int open_sns(notifier *n, char *err, size_t errlen)
{
    char region[64], msg[384];
    const char *mode_name = alert_mode_name(n->policy.mode);
    if (read_topic(mode_name, region, sizeof region, err, errlen) != 0)
        return -1;
    sns_config cfg;
    sns_config_defaults(&cfg);
    if (read_credentials(&cfg, mode_name, err, errlen) != 0)
        return -1;
    /* The topic's region decides where to publish; AWS_REGION is where the
     * function runs. */
    const char *aws_region = env("AWS_REGION");
    if (aws_region != NULL && strcmp(aws_region, region) != 0)
        log_msg(LOG_INFO, "SNS topic is in %s, the function in %s: publishing cross-region", region,
                aws_region);
    const char *endpoint_var;
    cfg.region = region;
    cfg.endpoint = read_endpoint(&endpoint_var);
    n->sns = sns_client_new(&cfg, msg, sizeof msg);
    if (n->sns == NULL) {
        snprintf(err, errlen, "%s: %s", endpoint_var, msg);
        return -1;
    }
    const char *fn = env("AWS_LAMBDA_FUNCTION_NAME");
    n->topic_arn = strdup(env("SNS_TOPIC_ARN"));
    n->function_name = strdup(fn ? fn : "");
    if (n->topic_arn == NULL || n->function_name == NULL) {
        snprintf(err, errlen, "out of memory reading the alert configuration");
        return -1;
    }
    return 0;
}

notifier *notifier_from_env(char *err, size_t errlen)
{
    notifier *n = calloc(1, sizeof *n), *result = NULL;
    if (n == NULL) {
        snprintf(err, errlen, "out of memory reading the alert configuration");
        return NULL;
    }
    alert_policy_defaults(&n->policy);
    if (read_policy(n, err, errlen) != 0)
        goto cleanup;
    if (env("ALERT_MODE") == NULL && env("SNS_TOPIC_ARN") == NULL) {
        log_msg(LOG_WARN, "alerts disabled: SNS_TOPIC_ARN is not set (set it to publish accuracy "
                          "alerts, or ALERT_MODE=off to silence this warning)");
    } else if (n->policy.mode == ALERT_MODE_OFF) {
        log_msg(LOG_INFO, "alerts off (ALERT_MODE=off)");
    } else {
        if (open_sns(n, err, errlen) != 0)
            goto cleanup;
        n->enabled = 1;
        log_alerts_on(n);
    }
    result = n;
    n = NULL;
cleanup:
    notifier_free(n);
    return result;
}

void notifier_free(notifier *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < atomic_load(&n->npending); i++)
        alert_free(&n->pending[i].a);
    sns_client_free(n->sns);
    free(n->topic_arn);
    free(n->function_name);
    free(n);
}

int notifier_fails_invocation(const notifier *n)
{
    return n != NULL && n->fail_invocation;
}

/* The fields every outcome line carries. */
static void outcome_fields(buf *f, const notifier *n, const alert *a, const sns_result *res)
{
    buf_puts(f, "\"topicArn\":");
    buf_json_cstr(f, n->topic_arn);
    buf_puts(f, ",\"subject\":");
    buf_json_cstr(f, a->subject);
    buf_puts(f, ",\"severity\":");
    buf_json_cstr(f, a->severity);
    buf_puts(f, ",\"kind\":");
    buf_json_cstr(f, a->kind);
    buf_printf(f, ",\"attempts\":%d,\"messageBytes\":%zu", res->attempts, a->message_len);
}

/* The ERROR line and the message for a failed publish.  Every field that came
 * from the peer is already scrubbed by the SNS client. */
static void report_failure(const notifier *n, const alert *a, int rc, const sns_result *res,
                           char *err, size_t errlen)
{
    const char *code = res->error_code[0] ? res->error_code : sns_strerror(rc);
    buf m = BUF_INIT;
    buf_printf(&m, "alert \"%s\" not published to %s after %d attempt%s: %s", a->subject,
               n->topic_arn, res->attempts, res->attempts == 1 ? "" : "s", code);
    if (res->http_status != 0)
        buf_printf(&m, " (HTTP %ld)", res->http_status);
    if (res->error_message[0] != '\0')
        buf_printf(&m, ": %s", res->error_message);
    snprintf(err, errlen, "%s", m.failed || m.data == NULL ? "alert not published" : m.data);
    buf_free(&m);

    buf f = BUF_INIT;
    outcome_fields(&f, n, a, res);
    buf_puts(&f, ",\"errorCode\":");
    buf_json_cstr(&f, code);
    buf_printf(&f, ",\"httpStatus\":%ld,\"snsRequestId\":", res->http_status);
    buf_json_cstr(&f, res->request_id);
    buf_puts(&f, ",\"errorMessage\":");
    buf_json_cstr(&f, res->error_message);
    buf_puts(&f, ",\"alertFailure\":");
    buf_json_cstr(&f, n->fail_invocation ? "fail" : "log");
    buf_puts(&f, ",\"invocation\":");
    buf_json_cstr(&f, n->fail_invocation ? "failed with " NOTIFY_ERROR_TYPE
                                         : "answered with the batch's results");
    log_fields(LOG_ERROR, "alert not published", f.failed ? "" : f.data);
    buf_free(&f);
}

static void report_success(const notifier *n, const alert *a, const sns_result *res)
{
    buf f = BUF_INIT;
    outcome_fields(&f, n, a, res);
    buf_puts(&f, ",\"messageId\":");
    buf_json_cstr(&f, res->message_id);
    log_fields(LOG_INFO, "alert published", f.failed ? "" : f.data);
    buf_free(&f);
}

/* Appends "topic/partition/first-last" for each (topic, partition) of the
 * batch, in order of first appearance; records without Kafka metadata (a
 * direct invoke) count as "request/<request id>". */
static void offset_ranges(buf *key, const batch *b, const char *request_id)
{
    int direct = 0;
    for (size_t i = 0; i < b->count; i++) {
        const batch_record *r = &b->records[i];
        if (r->topic == NULL || r->offset < 0) {
            direct = 1;
            continue;
        }
        size_t first = i;
        for (size_t j = 0; j < i && first == i; j++)
            if (b->records[j].topic != NULL && b->records[j].offset >= 0 &&
                b->records[j].partition == r->partition &&
                strcmp(b->records[j].topic, r->topic) == 0)
                first = j;
        if (first != i)
            continue; /* this range was written at its first record */
        int64_t lo = r->offset, hi = r->offset;
        for (size_t j = i + 1; j < b->count; j++) {
            const batch_record *o = &b->records[j];
            if (o->topic != NULL && o->offset >= 0 && o->partition == r->partition &&
                strcmp(o->topic, r->topic) == 0) {
                lo = o->offset < lo ? o->offset : lo;
                hi = o->offset > hi ? o->offset : hi;
            }
        }
        buf_printf(key, ",%s/%d/%lld-%lld", r->topic, (int)r->partition, (long long)lo,
                   (long long)hi);
    }
    if (direct)
        buf_printf(key, ",request/%s", request_id != NULL ? request_id : "");
}

/* FIFO topics: the group is the function (its alerts stay in order).  The
 * deduplication id names the alert's own event, so two alerts never share
 * one (a batch can carry a drop, its recovery and a new drop), while the same
 * alert sent again (a re-delivered batch: the connector is at-least-once; a
 * pending alert retried) keeps its id and SNS drops the copy within its
 * 5-minute window.  A sequential alert is its test's event: the kind and the
 * record that decided it and the one its run began at; a per-batch alert is
 * the batch: its kind, severity and offset ranges. */
static int fifo_ids(const notifier *n, const alert *a, const batch *b, const monitor_event *ev,
                    const char *request_id, size_t index, char *group, char *dedup)
{
    buf key = BUF_INIT;
    buf_printf(&key, "%s-%s", a->kind, a->severity);
    if (ev == NULL)
        offset_ranges(&key, b, request_id);
    else if (ev->at.known)
        buf_printf(&key, ",%s/%d/%lld,since %s/%d/%lld", ev->at.topic, (int)ev->at.partition,
                   (long long)ev->at.offset, ev->since.topic, (int)ev->since.partition,
                   (long long)ev->since.offset);
    else
        buf_printf(&key, ",request/%s#%zu", request_id != NULL ? request_id : "", index);
    int rc = key.failed ? -1 : 0;
    if (rc == 0)
        rc = sns_fifo_id(key.data, dedup);
    if (rc == 0)
        rc = sns_fifo_id(n->function_name[0] ? n->function_name : "iris-alerts", group);
    buf_free(&key);
    return rc;
}

/* Builds alert i of the batch into *p; returns 0, or -1 (logged, err set). */
static int build_nth(notifier *n, const batch *b, const evaluation *e, const monitor_verdict *v,
                     size_t i, const char *const *class_names, const char *request_id,
                     pending_alert *p, char *err, size_t errlen)
{
    alert_context ctx = {n->function_name, request_id, class_names, e->nclasses};
    memset(p, 0, sizeof *p);
    if (alert_build_nth(&n->policy, &ctx, b, e, v, i, alert_message_budget(), &p->a) != 0) {
        snprintf(err, errlen,
                 "alert for this batch not published to %s: could not build the "
                 "message (out of memory)",
                 n->topic_arn);
        log_msg(LOG_ERROR, "%s", err);
        return -1;
    }
    const monitor_event *ev = n->policy.mode == ALERT_MODE_SEQUENTIAL ? &v->events[i] : NULL;
    p->fifo = sns_is_fifo_topic(n->topic_arn) &&
              fifo_ids(n, &p->a, b, ev, request_id, i, p->group, p->dedup) == 0;
    return 0;
}

/* Publishes a built alert; returns an enum notify_outcome. */
static int publish(notifier *n, const pending_alert *p, int64_t deadline_ms, char *err,
                   size_t errlen)
{
    const alert *a = &p->a;
    sns_attribute attrs[3] = {{"severity", "String", a->severity},
                              {"kind", "String", a->kind},
                              {"accuracy", "Number", a->accuracy}};
    sns_message msg = {n->topic_arn,           a->subject, a->message, a->message_len, attrs,
                       a->accuracy[0] ? 3 : 2, NULL,       NULL};
    if (p->fifo) {
        msg.message_group_id = p->group;
        msg.message_deduplication_id = p->dedup;
    }
    sns_result res;
    int rc = sns_publish(n->sns, &msg, deadline_ms, &res);
    if (rc == SNS_OK)
        report_success(n, a, &res);
    else
        report_failure(n, a, rc, &res, err, errlen);
    return rc == SNS_OK ? NOTIFY_PUBLISHED : NOTIFY_FAILED;
}

/* Keeps a built alert for the next ordered call (ownership moves to n).
 * When NOTIFY_MAX_PENDING are waiting already the oldest is given up, with an
 * ERROR line: it was logged as not published when it failed. */
static void keep_pending(notifier *n, pending_alert *p)
{
    size_t np = atomic_load(&n->npending);
    if (np == NOTIFY_MAX_PENDING) {
        log_msg(LOG_ERROR,
                "alert \"%s\" given up: %d alerts are waiting to be published to %s already",
                n->pending[0].a.subject, NOTIFY_MAX_PENDING, n->topic_arn);
        alert_free(&n->pending[0].a);
        memmove(&n->pending[0], &n->pending[1], (np - 1) * sizeof n->pending[0]);
        np--;
    }
    n->pending[np] = *p;
    memset(p, 0, sizeof *p);
    atomic_store(&n->npending, np + 1);
}

/* Publishes the pending alerts, oldest first, until one fails.  Returns the
 * number still pending. */
static size_t publish_pending(notifier *n, int64_t deadline_ms, size_t *failures, char *err,
                              size_t errlen)
{
    size_t np = atomic_load(&n->npending), done = 0;
    while (done < np) {
        char one[1024];
        log_msg(LOG_INFO, "publishing alert \"%s\", which could not be published before",
                n->pending[done].a.subject);
        if (publish(n, &n->pending[done], deadline_ms, one, sizeof one) != NOTIFY_PUBLISHED) {
            if ((*failures)++ == 0)
                snprintf(err, errlen, "%s", one);
            break;
        }
        alert_free(&n->pending[done].a);
        done++;
    }
    memmove(&n->pending[0], &n->pending[done], (np - done) * sizeof n->pending[0]);
    atomic_store(&n->npending, np - done);
    return np - done;
}

int notifier_ordered(const notifier *n, const monitor_verdict *v)
{
    if (n == NULL || !n->enabled || n->policy.mode != ALERT_MODE_SEQUENTIAL)
        return 0;
    return (v != NULL && v->nevents > 0) || atomic_load(&n->npending) > 0;
}

int notifier_batch(notifier *n, const batch *b, const evaluation *e, const monitor_verdict *v,
                   const char *const *class_names, const char *request_id, int64_t deadline_ms,
                   notify_counts *counts, char *err, size_t errlen)
{
    memset(counts, 0, sizeof *counts);
    if (n == NULL || !n->enabled)
        return NOTIFY_NOT_DUE;
    int sequential = n->policy.mode == ALERT_MODE_SEQUENTIAL;
    size_t count = alert_count(&n->policy, e, v);
    /* An older alert not yet published holds back the newer ones: a
     * subscriber never reads a recovery before its drop. */
    size_t before = atomic_load(&n->npending);
    size_t held = sequential ? publish_pending(n, deadline_ms, &counts->failed, err, errlen) : 0;
    counts->published += before - held;
    for (size_t i = 0; i < count; i++) {
        char one[1024];
        pending_alert p;
        int rc = NOTIFY_FAILED;
        if (build_nth(n, b, e, v, i, class_names, request_id, &p, one, sizeof one) != 0) {
            /* counted below */
        } else if (held > 0) {
            snprintf(one, sizeof one,
                     "alert \"%s\" not published to %s yet: an earlier alert is still waiting "
                     "to be published",
                     p.a.subject, n->topic_arn);
            log_msg(LOG_ERROR, "%s", one);
        } else {
            rc = publish(n, &p, deadline_ms, one, sizeof one);
        }
        if (rc == NOTIFY_PUBLISHED)
            counts->published++;
        else if (counts->failed++ == 0)
            snprintf(err, errlen, "%s", one);
        if (rc == NOTIFY_FAILED && sequential && p.a.message != NULL) {
            keep_pending(n, &p);
            held++;
        }
        alert_free(&p.a);
    }
    counts->pending = atomic_load(&n->npending);
    if (counts->failed > 0)
        return NOTIFY_FAILED;
    return counts->published > 0 ? NOTIFY_PUBLISHED : NOTIFY_NOT_DUE;
}
