/* test_handler_concurrent.c: handler_invoke called from many threads at once,
 * as the runtime's workers call it under Lambda Managed Instances
 * (AWS_LAMBDA_MAX_CONCURRENCY > 1): every invocation gets its own answer, the
 * workers share one monitor that decides as fast (in records) as a single
 * worker would and raises one alert per episode, alerts reach SNS in the
 * order the monitor decided them, and an alert that could not be published is
 * published later instead of being lost.  Runs under ASan and under TSan
 * (make test-tsan), where a data race fails it.
 *
 * SNS is a small in-process HTTP server that answers Publish as the SNS Query
 * API does (PublishResponse with a MessageId, or an ErrorResponse with HTTP
 * 500 when told to fail); the full local SNS double (tests/doubles/sns_local.py,
 * signature checks included) is exercised by the end-to-end suites. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lambda/handler.h"
#include "lambda/notify.h"

#define WORKERS 8
#define MAX_PUBLISHED 64
#define MAX_CONNS 64

/* ---- the SNS stand-in ---- */

typedef struct published {
    char kind[64];
    char dedup[160];
    char *message; /* the Message parameter, decoded */
} published;

static struct {
    int listen_fd;
    int port;
    pthread_t acceptor;
    pthread_t conns[MAX_CONNS];
    int nconns;
    pthread_mutex_t mu;
    int fail_next; /* answer this many Publish requests with HTTP 500 */
    published got[MAX_PUBLISHED];
    int ngot;
    int requests;
} sns;

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}

/* The form parameter name's value, percent-decoded, malloc'd (NULL if absent). */
static char *form_value(const char *body, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = body; p != NULL && *p; p = strchr(p, '&'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, nl) != 0 || p[nl] != '=')
            continue;
        const char *v = p + nl + 1;
        size_t len = strcspn(v, "&");
        char *out = malloc(len + 1), *o = out;
        for (size_t i = 0; i < len; i++) {
            if (v[i] == '%' && i + 2 < len + 1) {
                *o++ = (char)(hexval(v[i + 1]) * 16 + hexval(v[i + 2]));
                i += 2;
            } else {
                *o++ = v[i] == '+' ? ' ' : v[i];
            }
        }
        *o = '\0';
        return out;
    }
    return NULL;
}

static void record_publish(const char *body)
{
    char *kind = form_value(body, "MessageAttributes.entry.2.Value.StringValue");
    char *dedup = form_value(body, "MessageDeduplicationId");
    char *message = form_value(body, "Message");
    pthread_mutex_lock(&sns.mu);
    if (sns.ngot < MAX_PUBLISHED) {
        published *p = &sns.got[sns.ngot++];
        snprintf(p->kind, sizeof p->kind, "%s", kind ? kind : "");
        snprintf(p->dedup, sizeof p->dedup, "%s", dedup ? dedup : "");
        p->message = message;
        message = NULL;
    }
    pthread_mutex_unlock(&sns.mu);
    free(kind);
    free(dedup);
    free(message);
}

/* Serves one keep-alive connection: each request read whole (headers, then
 * Content-Length bytes), then answered. */
static void *serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char *req = malloc(1 << 20);
    size_t have = 0;
    for (;;) {
        char *end = NULL;
        while ((end = memmem(req, have, "\r\n\r\n", 4)) == NULL) {
            ssize_t n = read(fd, req + have, (1 << 20) - 1 - have);
            if (n <= 0)
                goto cleanup;
            have += (size_t)n;
        }
        size_t head = (size_t)(end - req) + 4;
        req[head - 1] = '\0';
        const char *cl = strcasestr(req, "Content-Length:");
        size_t body_len = cl ? strtoul(cl + 15, NULL, 10) : 0;
        while (have < head + body_len) {
            ssize_t n = read(fd, req + have, (1 << 20) - 1 - have);
            if (n <= 0)
                goto cleanup;
            have += (size_t)n;
        }
        char saved = req[head + body_len];
        req[head + body_len] = '\0';
        pthread_mutex_lock(&sns.mu);
        sns.requests++;
        int fail = sns.fail_next > 0;
        if (fail)
            sns.fail_next--;
        pthread_mutex_unlock(&sns.mu);
        const char *xml;
        char answer[1024];
        if (fail) {
            xml = "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error>"
                  "<Type>Receiver</Type><Code>InternalError</Code><Message>try again</Message>"
                  "</Error><RequestId>r-fail</RequestId></ErrorResponse>";
        } else {
            record_publish(req + head);
            xml = "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">"
                  "<PublishResult><MessageId>11111111-2222-3333-4444-555555555555</MessageId>"
                  "</PublishResult><ResponseMetadata><RequestId>r-ok</RequestId>"
                  "</ResponseMetadata></PublishResponse>";
        }
        int n = snprintf(answer, sizeof answer,
                         "HTTP/1.1 %s\r\nContent-Type: text/xml\r\nContent-Length: %zu\r\n\r\n%s",
                         fail ? "500 Internal Server Error" : "200 OK", strlen(xml), xml);
        if (write(fd, answer, (size_t)n) != n)
            goto cleanup;
        req[head + body_len] = saved;
        memmove(req, req + head + body_len, have - head - body_len);
        have -= head + body_len;
    }
cleanup:
    free(req);
    close(fd);
    return NULL;
}

static void *accept_loop(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(sns.listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_mutex_lock(&sns.mu);
        int slot = sns.nconns < MAX_CONNS ? sns.nconns++ : -1;
        pthread_mutex_unlock(&sns.mu);
        if (slot < 0 ||
            pthread_create(&sns.conns[slot], NULL, serve_conn, (void *)(intptr_t)fd) != 0)
            close(fd);
    }
}

static void sns_start(void)
{
    memset(&sns, 0, sizeof sns);
    pthread_mutex_init(&sns.mu, NULL);
    sns.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(sns.listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(sns.listen_fd, 64), 0);
    getsockname(sns.listen_fd, (struct sockaddr *)&a, &al);
    sns.port = ntohs(a.sin_port);
    pthread_create(&sns.acceptor, NULL, accept_loop, NULL);
}

/* Called after every client is freed (its connections closed). */
static void sns_stop(void)
{
    shutdown(sns.listen_fd, SHUT_RDWR);
    close(sns.listen_fd);
    pthread_join(sns.acceptor, NULL);
    for (int i = 0; i < sns.nconns; i++)
        pthread_join(sns.conns[i], NULL);
    for (int i = 0; i < sns.ngot; i++)
        free(sns.got[i].message);
    pthread_mutex_destroy(&sns.mu);
}

/* ---- the function ---- */

static void set_env(const char *concurrency, const char *topic, const char *failure)
{
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", sns.port);
    setenv("AWS_ENDPOINT_URL_SNS", endpoint, 1);
    setenv("SNS_TOPIC_ARN", topic, 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_LAMBDA_LOG_LEVEL", "ERROR", 1);
    setenv("MODEL_PATH", "model/iris-model.json", 1);
    setenv("ALERT_FAILURE", failure, 1);
    if (concurrency != NULL)
        setenv("AWS_LAMBDA_MAX_CONCURRENCY", concurrency, 1);
    else
        unsetenv("AWS_LAMBDA_MAX_CONCURRENCY");
}

static void init_handler(handler_ctx *h)
{
    const char *type;
    char err[1024];
    if (handler_init(h, NULL, &type, err, sizeof err) != 0)
        fail_msg("handler_init: %s: %s", type, err);
}

/* A batch of n records, offsets from first, each the same typical setosa
 * flower, labelled setosa (correct) or virginica (wrong).  "garbage" gives an
 * event that is not JSON. */
static void make_event(buf *ev, int64_t first, int n, const char *label)
{
    buf_reset(ev);
    if (strcmp(label, "garbage") == 0) {
        buf_puts(ev, "[{\"payload\": nope");
        return;
    }
    buf_putc(ev, '[');
    for (int i = 0; i < n; i++)
        buf_printf(ev,
                   "%s{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":%lld,"
                   "\"timestamp\":1700000000000,\"key\":null,\"value\":{\"sepalLength\":5.1,"
                   "\"sepalWidth\":3.5,\"petalLength\":1.4,\"petalWidth\":0.2,"
                   "\"species\":\"%s\"}}}",
                   i ? "," : "", (long long)(first + i), label);
    buf_putc(ev, ']');
}

/* One invocation; returns 1 when it succeeded and its response holds exactly
 * its own n records, in order, 0 when it failed with error_type, and fails
 * the test on anything else. */
static int invoke(handler_ctx *h, const buf *ev, int64_t first, int n, const char *error_type)
{
    char id[32];
    snprintf(id, sizeof id, "req-%lld", (long long)first);
    runtime_invocation_request req = {.payload = ev->data,
                                      .payload_len = ev->len,
                                      .request_id = id,
                                      .xray_trace_id = "Root=1-5759e988-bd862e3fe1be46a994272793",
                                      .client_context = "",
                                      .cognito_identity = "",
                                      .function_arn = "",
                                      .deadline_ms = 0};
    runtime_invocation_response res = handler_invoke(&req, h);
    int ok = res.success;
    if (!ok) {
        if (error_type == NULL || strcmp(res.error_type, error_type) != 0)
            fail_msg("invocation %s failed: %s: %s", id, res.error_type, res.error_message);
    } else {
        buf body = BUF_INIT;
        char piece[4096];
        size_t got;
        while ((got = res.fill(res.ctx, piece, sizeof piece)) > 0)
            buf_append(&body, piece, got);
        cJSON *doc = cJSON_ParseWithLength(body.data, body.len);
        if (doc == NULL || cJSON_GetArraySize(doc) != n)
            fail_msg("invocation %s: expected %d elements, got %.200s", id, n, body.data);
        for (int i = 0; i < n; i++) {
            cJSON *p = cJSON_GetObjectItem(cJSON_GetArrayItem(doc, i), "payload");
            int64_t off = (int64_t)cJSON_GetObjectItem(p, "offset")->valuedouble;
            if (off != first + i)
                fail_msg("invocation %s: element %d has offset %lld, expected %lld", id, i,
                         (long long)off, (long long)(first + i));
        }
        cJSON_Delete(doc);
        buf_free(&body);
    }
    if (res.release != NULL)
        res.release(res.ctx);
    free(res.payload);
    free(res.error_type);
    free(res.error_message);
    return ok;
}

/* The stream every run sees, in phases: clean, drifted (every label wrong),
 * clean again.  A worker runs its share of each phase; the phases are
 * separated by a barrier. */
enum { CLEAN_BATCHES = 24, DRIFT_BATCHES = 4, BATCH = 20 };

typedef struct worker_arg {
    handler_ctx *h;
    int id, nworkers;
    pthread_barrier_t *barrier;
    int answered, refused;
} worker_arg;

static void run_phase(worker_arg *w, int phase, int batches, const char *label)
{
    buf ev = BUF_INIT;
    for (int k = 0; k < batches; k++) {
        int64_t first = ((int64_t)phase * 1000000 + (int64_t)(w->id * batches + k)) * BATCH;
        make_event(&ev, first, BATCH, label);
        w->answered += invoke(w->h, &ev, first, BATCH, NULL);
        if (k % 7 == 3) { /* a bad event between good ones costs nobody else */
            make_event(&ev, 0, 0, "garbage");
            w->refused += !invoke(w->h, &ev, 0, 0, "InvalidEvent");
        }
    }
    buf_free(&ev);
}

static void *worker(void *arg)
{
    worker_arg *w = arg;
    int per = w->nworkers;
    run_phase(w, 0, CLEAN_BATCHES * WORKERS / per, "setosa");
    if (w->barrier)
        pthread_barrier_wait(w->barrier);
    run_phase(w, 1, DRIFT_BATCHES * WORKERS / per, "virginica");
    if (w->barrier)
        pthread_barrier_wait(w->barrier);
    run_phase(w, 2, CLEAN_BATCHES * WORKERS / per, "setosa");
    return NULL;
}

/* The "wrong" count of the alarm's message: the labelled records the test
 * judged wrong before deciding. */
static long wrong_before_alarm(const published *p)
{
    cJSON *m = cJSON_Parse(p->message);
    assert_non_null(m);
    cJSON *wrong = cJSON_GetObjectItem(m, "wrong");
    long v = cJSON_IsNumber(wrong) ? (long)wrong->valuedouble : -1;
    cJSON_Delete(m);
    return v;
}

/* Runs the whole stream through one handler with nworkers threads and
 * returns the alerts SNS received. */
static long run_stream(int nworkers, const char *concurrency)
{
    sns_start();
    set_env(concurrency, "arn:aws:sns:us-east-1:123456789012:iris-alerts", "log");
    handler_ctx h;
    init_handler(&h);
    worker_arg args[WORKERS];
    pthread_t tid[WORKERS];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, (unsigned)nworkers);
    for (int i = 0; i < nworkers; i++) {
        args[i] = (worker_arg){&h, i, nworkers, nworkers > 1 ? &barrier : NULL, 0, 0};
        if (nworkers > 1)
            pthread_create(&tid[i], NULL, worker, &args[i]);
        else
            worker(&args[i]);
    }
    int answered = 0, refused = 0;
    for (int i = 0; i < nworkers; i++) {
        if (nworkers > 1)
            pthread_join(tid[i], NULL);
        answered += args[i].answered;
        refused += args[i].refused;
    }
    pthread_barrier_destroy(&barrier);
    handler_free(&h);
    int expected_batches = (2 * CLEAN_BATCHES + DRIFT_BATCHES) * WORKERS;
    assert_int_equal(answered, expected_batches);
    assert_true(refused > 0);
    /* One episode: its alarm, then its recovery; nothing on the clean stretches. */
    if (sns.ngot != 2 || strcmp(sns.got[0].kind, "accuracy-drop") != 0 ||
        strcmp(sns.got[1].kind, "accuracy-recovered") != 0)
        fail_msg("%d workers: expected [accuracy-drop, accuracy-recovered], got %d alerts "
                 "(first: %s)",
                 nworkers, sns.ngot, sns.ngot ? sns.got[0].kind : "none");
    long wrong = wrong_before_alarm(&sns.got[0]);
    sns_stop();
    return wrong;
}

static void workers_share_one_monitor_one_alert_per_episode_decided_as_fast(void **state)
{
    (void)state;
    long single = run_stream(1, NULL);
    long shared = run_stream(WORKERS, "8");
    /* Every drifted record is wrong, so a monitor that sees all of them
     * decides after the same number, whichever worker brought them. */
    assert_true(single > 0);
    assert_int_equal(shared, single);
}

/* ALERT_FAILURE=fail: the invocation whose alert could not be published fails;
 * the connector re-delivers the batch; the re-delivery publishes the alarm
 * although the monitor's episode was already open. */
static void failed_alarm_is_published_by_the_redelivery(void **state)
{
    (void)state;
    sns_start();
    set_env("2", "arn:aws:sns:us-east-1:123456789012:iris-alerts", "fail");
    setenv("ALERT_FAILURE", "fail", 1);
    handler_ctx h;
    init_handler(&h);
    buf ev = BUF_INIT;
    make_event(&ev, 0, 200, "virginica");
    pthread_mutex_lock(&sns.mu);
    sns.fail_next = 3; /* every attempt of the SDK's standard retry mode */
    pthread_mutex_unlock(&sns.mu);
    assert_int_equal(invoke(&h, &ev, 0, 200, NOTIFY_ERROR_TYPE), 0);
    assert_int_equal(sns.ngot, 0);
    assert_int_equal(invoke(&h, &ev, 0, 200, NULL), 1); /* the re-delivery */
    assert_int_equal(sns.ngot, 1);
    assert_string_equal(sns.got[0].kind, "accuracy-drop");
    buf_free(&ev);
    handler_free(&h);
    sns_stop();
}

/* A FIFO topic: one batch raises a drop, its recovery and a new drop; each
 * alert has a deduplication id of its own, so SNS delivers all three. */
static void fifo_alerts_of_one_batch_have_distinct_deduplication_ids(void **state)
{
    (void)state;
    sns_start();
    set_env(NULL, "arn:aws:sns:us-east-1:123456789012:iris-alerts.fifo", "log");
    handler_ctx h;
    init_handler(&h);
    buf ev = BUF_INIT;
    buf_putc(&ev, '[');
    const char *labels[3] = {"virginica", "setosa", "virginica"};
    int counts[3] = {60, 400, 60};
    int64_t off = 0;
    for (int part = 0; part < 3; part++)
        for (int i = 0; i < counts[part]; i++, off++)
            buf_printf(&ev,
                       "%s{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":%lld,"
                       "\"timestamp\":1700000000000,\"value\":{\"sepalLength\":5.1,"
                       "\"sepalWidth\":3.5,\"petalLength\":1.4,\"petalWidth\":0.2,"
                       "\"species\":\"%s\"}}}",
                       off ? "," : "", (long long)off, labels[part]);
    buf_putc(&ev, ']');
    assert_int_equal(invoke(&h, &ev, 0, (int)off, NULL), 1);
    assert_int_equal(sns.ngot, 3);
    assert_string_equal(sns.got[0].kind, "accuracy-drop");
    assert_string_equal(sns.got[1].kind, "accuracy-recovered");
    assert_string_equal(sns.got[2].kind, "accuracy-drop");
    for (int i = 0; i < 3; i++) {
        assert_true(sns.got[i].dedup[0] != '\0');
        for (int j = 0; j < i; j++)
            if (strcmp(sns.got[i].dedup, sns.got[j].dedup) == 0)
                fail_msg("alerts %d and %d share the deduplication id %s", j, i, sns.got[i].dedup);
    }
    buf_free(&ev);
    handler_free(&h);
    sns_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(workers_share_one_monitor_one_alert_per_episode_decided_as_fast),
        cmocka_unit_test(failed_alarm_is_published_by_the_redelivery),
        cmocka_unit_test(fifo_alerts_of_one_batch_have_distinct_deduplication_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
