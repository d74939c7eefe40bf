/* sns_bench.c: median time to build and sign one SNS Publish request
 * (sns_build_publish: form body + SigV4 with libcrypto) for a typical alert
 * message, and to build that alert (alert_build) from a 20-record batch.
 *
 *   sns_bench [iterations]     prints "name median_us p90_us" lines
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/alert.h"
#include "aws/sns.h"

static const char *const names[] = {"setosa", "versicolor", "virginica"};

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, double *t, size_t n)
{
    qsort(t, n, sizeof *t, cmp_double);
    printf("%s %.2f %.2f\n", name, t[n / 2], t[n * 9 / 10]);
}

int main(int argc, char **argv)
{
    size_t iters = argc > 1 ? (size_t)atol(argv[1]) : 2000;
    if (iters < 10)
        iters = 10;
    double *t = malloc(iters * sizeof *t);
    char topic[] = "iris";
    batch b = {0};
    evaluation e = {0};
    b.records = calloc(20, sizeof *b.records);
    if (t == NULL || b.records == NULL)
        return 1;
    b.count = 20;
    e.nclasses = 3;
    e.records = e.scored = e.labelled = 20;
    for (int i = 0; i < 20; i++) {
        batch_record *r = &b.records[i];
        r->topic = topic;
        r->offset = 200 + i;
        r->timestamp_ms = 1604302260000 + i;
        r->features[0] = 6.9;
        r->features[1] = 3.2;
        r->features[2] = 5.7;
        r->features[3] = 2.3;
        r->label = i % 3;
        r->predicted = i < 11 ? (r->label + 1) % 3 : r->label;
        r->probs[r->predicted] = 0.97;
        e.confusion[r->label][r->predicted]++;
        e.correct += r->label == r->predicted;
    }
    e.accuracy = (double)e.correct / 20.0;
    e.mean_per_class_error = 1.0 - e.accuracy;

    alert_policy p;
    alert_policy_defaults(&p);
    alert_context ctx = {"iris-scoring", "8f5a3c1e-1d2b-4c3d-9e8f-0a1b2c3d4e5f", names, 3};
    alert a;
    for (size_t i = 0; i < iters; i++) {
        double t0 = now_us();
        if (alert_build(&p, &ctx, &b, &e, alert_message_budget(), &a) != 0)
            return 1;
        t[i] = now_us() - t0;
        if (i + 1 < iters)
            alert_free(&a);
    }
    report("alert_build_us", t, iters);

    sns_config cfg;
    sns_config_defaults(&cfg);
    cfg.region = "us-east-1";
    cfg.access_key_id = "AKIDBENCHMARK0000001";
    cfg.secret_access_key = "benchFAKEsecretKEY/0123456789abcdefghijklmn";
    cfg.session_token = "benchFAKEsessionTOKEN//AQoDYXdzEPT+0123456789==";
    char err[256];
    sns_client *c = sns_client_new(&cfg, err, sizeof err);
    if (c == NULL) {
        fprintf(stderr, "sns_bench: %s\n", err);
        return 1;
    }
    sns_attribute attrs[] = {{"severity", "String", a.severity},
                             {"accuracy", "Number", a.accuracy}};
    sns_message m = {"arn:aws:sns:us-east-1:123456789012:iris-alerts",
                     a.subject,
                     a.message,
                     a.message_len,
                     attrs,
                     2,
                     NULL,
                     NULL};
    for (size_t i = 0; i < iters; i++) {
        sns_request r;
        double t0 = now_us();
        if (sns_build_publish(c, &m, time(NULL), &r) != SNS_OK)
            return 1;
        t[i] = now_us() - t0;
        sns_request_free(&r);
    }
    report("build_and_sign_publish_us", t, iters);
    printf("message_bytes %zu\n", a.message_len);
    sns_client_free(c);
    alert_free(&a);
    free(b.records);
    free(t);
    return 0;
}
