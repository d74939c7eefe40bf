/* sns_driver.c: drives aws/sns and lambda/notify from the command line so
 * tests/integration/sns_integration.py can run them against tests/doubles/sns_local.py.
 *
 *   sns_driver publish --topic ARN [--subject S] (--message S | --message-file F)
 *                      [--attr NAME:TYPE:VALUE]... [--deadline-in-ms N] [--margin-ms N]
 *                      [--repeat N] [--backoff-base-ms N] [--throttling-backoff-base-ms N]
 *                      [--attempt-timeout-ms N] [--group-id ID] [--dedup-id ID]
 *       SNS client configured from AWS_REGION, AWS_ENDPOINT_URL_SNS and the
 *       AWS_* credentials; one JSON line per publish on stdout.
 *   sns_driver notify --misclassified K [--records N] [--repeat N] [--deadline-in-ms N]
 *       notifier_from_env() then notifier_batch() on a synthetic connector
 *       batch of N (default 20) labelled iris records, topic "iris" partition 0
 *       offsets 100.., the first K of them misclassified.  One JSON line per
 *       batch: {"rc":0|-1,"outcome":"published"|"not due"|"failed","failsInvocation":B,
 *       "elapsedUs":T,"err":"..."}; exit 3 with {"initError":"..."} when
 *       the configuration is rejected.
 * Exit status: 0 all published/accepted, 1 some failed, 2 usage, 3 init error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/batch/batch.h"
#include "common/buf.h"
#include "lambda/evaluate.h"
#include "lambda/notify.h"
#include "aws/sns.h"
#include "tests/lib/testfile.h"

#define MAX_ATTRS 8

static const char *const class_names[] = {"setosa", "versicolor", "virginica"};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *env_or_null(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v ? v : NULL;
}

static int usage(void)
{
    fputs("usage: sns_driver publish --topic ARN [--subject S] (--message S | --message-file F)\n"
          "                  [--attr NAME:TYPE:VALUE]... [--deadline-in-ms N] [--margin-ms N]\n"
          "                  [--repeat N] [--backoff-base-ms N] [--throttling-backoff-base-ms N]\n"
          "                  [--attempt-timeout-ms N] [--group-id ID] [--dedup-id ID]\n"
          "       sns_driver notify --misclassified K [--records N] [--repeat N]\n"
          "                  [--deadline-in-ms N]\n",
          stderr);
    return 2;
}

static int run_publish(int argc, char **argv)
{
    sns_config cfg;
    sns_config_defaults(&cfg);
    sns_message m = {0};
    sns_attribute attrs[MAX_ATTRS];
    char *attr_copies[MAX_ATTRS] = {0};
    char *message_file = NULL;
    long deadline_in = -1, repeat = 1;
    int status = 2;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            goto cleanup;
        i++;
        if (strcmp(a, "--topic") == 0)
            m.topic_arn = v;
        else if (strcmp(a, "--subject") == 0)
            m.subject = v;
        else if (strcmp(a, "--message") == 0) {
            m.message = v;
            m.message_len = strlen(v);
        } else if (strcmp(a, "--message-file") == 0) {
            free(message_file);
            message_file = testfile_read(v, &m.message_len);
            if (message_file == NULL) {
                fprintf(stderr, "sns_driver: cannot read %s\n", v);
                goto cleanup;
            }
            m.message = message_file;
        } else if (strcmp(a, "--attr") == 0 && m.nattributes < MAX_ATTRS) {
            char *c = strdup(v);
            attr_copies[m.nattributes] = c;
            char *t = c ? strchr(c, ':') : NULL;
            char *val = t ? strchr(t + 1, ':') : NULL;
            if (val == NULL)
                goto cleanup;
            *t++ = '\0';
            *val++ = '\0';
            attrs[m.nattributes++] = (sns_attribute){c, t, val};
        } else if (strcmp(a, "--deadline-in-ms") == 0)
            deadline_in = atol(v);
        else if (strcmp(a, "--margin-ms") == 0)
            cfg.safety_margin_ms = atol(v);
        else if (strcmp(a, "--repeat") == 0)
            repeat = atol(v);
        else if (strcmp(a, "--backoff-base-ms") == 0)
            cfg.backoff_base_ms = atol(v);
        else if (strcmp(a, "--throttling-backoff-base-ms") == 0)
            cfg.throttling_backoff_base_ms = atol(v);
        else if (strcmp(a, "--group-id") == 0)
            m.message_group_id = v;
        else if (strcmp(a, "--dedup-id") == 0)
            m.message_deduplication_id = v;
        else if (strcmp(a, "--attempt-timeout-ms") == 0)
            cfg.attempt_timeout_ms = atol(v);
        else
            goto cleanup;
    }
    if (m.topic_arn == NULL || m.message == NULL)
        goto cleanup;
    m.attributes = attrs;
    cfg.region = env_or_null("AWS_REGION");
    cfg.endpoint = env_or_null("AWS_ENDPOINT_URL_SNS");
    cfg.access_key_id = env_or_null("AWS_ACCESS_KEY_ID");
    cfg.secret_access_key = env_or_null("AWS_SECRET_ACCESS_KEY");
    cfg.session_token = env_or_null("AWS_SESSION_TOKEN");
    char err[512];
    sns_client *c = sns_client_new(&cfg, err, sizeof err);
    if (c == NULL) {
        printf("{\"clientError\":");
        buf e = BUF_INIT;
        buf_json_cstr(&e, err);
        printf("%s}\n", e.data ? e.data : "\"\"");
        buf_free(&e);
        status = 3;
        goto cleanup;
    }
    status = 0;
    for (long r = 0; r < repeat; r++) {
        int64_t start = now_ms();
        sns_result res;
        int rc = sns_publish(c, &m, deadline_in >= 0 ? start + deadline_in : 0, &res);
        int64_t end = now_ms();
        buf out = BUF_INIT;
        buf_printf(&out,
                   "{\"status\":%d,\"statusName\":\"%s\",\"attempts\":%d,\"httpStatus\":%ld,"
                   "\"startedMs\":%lld,\"endedMs\":%lld,\"deadlineMs\":%lld,\"messageId\":",
                   rc, sns_strerror(rc), res.attempts, res.http_status, (long long)start,
                   (long long)end, (long long)(deadline_in >= 0 ? start + deadline_in : 0));
        buf_json_cstr(&out, res.message_id);
        buf_puts(&out, ",\"errorCode\":");
        buf_json_cstr(&out, res.error_code);
        buf_puts(&out, ",\"errorMessage\":");
        buf_json_cstr(&out, res.error_message);
        buf_puts(&out, "}\n");
        fputs(out.data, stdout);
        fflush(stdout);
        buf_free(&out);
        if (rc != SNS_OK)
            status = 1;
    }
    sns_client_free(c);
cleanup:
    if (status == 2)
        usage();
    for (size_t i = 0; i < MAX_ATTRS; i++)
        free(attr_copies[i]);
    free(message_file);
    return status;
}

/* A batch of n labelled records (class i % 3), the first k predicted wrong. */
static void synthetic_batch(size_t n, size_t k, batch *b, evaluation *e, char *topic)
{
    memset(b, 0, sizeof *b);
    memset(e, 0, sizeof *e);
    b->records = calloc(n ? n : 1, sizeof *b->records);
    b->count = n;
    e->nclasses = 3;
    e->records = e->scored = e->labelled = n;
    for (size_t i = 0; i < n; i++) {
        batch_record *r = &b->records[i];
        r->topic = topic;
        r->partition = 0;
        r->offset = 100 + (int64_t)i;
        r->timestamp_ms = 1604302260000 + (int64_t)i * 1000;
        r->features[0] = 5.1;
        r->features[1] = 3.5;
        r->features[2] = 1.4;
        r->features[3] = 0.2;
        r->label = (int)(i % 3);
        r->predicted = i < k ? (r->label + 1) % 3 : r->label;
        snprintf(r->species, sizeof r->species, "%s", class_names[r->label]);
        r->probs[r->predicted] = 0.9;
        r->probs[(r->predicted + 1) % 3] = 0.1;
        e->confusion[r->label][r->predicted]++;
        e->correct += r->label == r->predicted;
    }
    e->accuracy = n ? (double)e->correct / (double)n : NAN;
    double err = 0;
    for (int a = 0; a < 3; a++) {
        uint64_t total = 0;
        for (int p = 0; p < 3; p++)
            total += e->confusion[a][p];
        err += total ? 1.0 - (double)e->confusion[a][a] / (double)total : 0;
    }
    e->mean_per_class_error = err / 3;
}

static int run_notify(int argc, char **argv)
{
    long k = -1, n = 20, repeat = 1, deadline_in = -1;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--misclassified") == 0)
            k = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--records") == 0)
            n = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--repeat") == 0)
            repeat = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--deadline-in-ms") == 0)
            deadline_in = atol(argv[i + 1]);
        else
            return usage();
    }
    if (k < 0 || n < 0 || k > n)
        return usage();
    char err[1024] = "";
    notifier *nt = notifier_from_env(err, sizeof err);
    buf out = BUF_INIT;
    if (nt == NULL) {
        buf_puts(&out, "{\"initError\":");
        buf_json_cstr(&out, err);
        buf_puts(&out, "}\n");
        fputs(out.data, stdout);
        buf_free(&out);
        return 3;
    }
    char topic[] = "iris";
    batch b;
    evaluation e;
    synthetic_batch((size_t)n, (size_t)k, &b, &e, topic);
    int status = 0;
    for (long r = 0; r < repeat; r++) {
        err[0] = '\0';
        int64_t deadline = deadline_in >= 0 ? now_ms() + deadline_in : 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        notify_counts counts;
        int outcome = notifier_batch(nt, &b, &e, NULL, class_names, "driver-request-1", deadline,
                                     &counts, err, sizeof err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
        int rc = outcome == NOTIFY_FAILED ? -1 : 0;
        buf_reset(&out);
        buf_printf(&out,
                   "{\"rc\":%d,\"outcome\":\"%s\",\"failsInvocation\":%s,\"elapsedUs\":%.1f,"
                   "\"err\":",
                   rc,
                   outcome == NOTIFY_PUBLISHED ? "published"
                   : outcome == NOTIFY_FAILED  ? "failed"
                                               : "not due",
                   notifier_fails_invocation(nt) ? "true" : "false", us);
        buf_json_cstr(&out, err);
        buf_puts(&out, "}\n");
        fputs(out.data, stdout);
        fflush(stdout);
        status |= rc != 0;
    }
    buf_free(&out);
    free(b.records);
    notifier_free(nt);
    return status;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "publish") == 0)
        return run_publish(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "notify") == 0)
        return run_notify(argc, argv);
    return usage();
}
