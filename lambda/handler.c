/* handler.c: the iris scoring function. */
#include "lambda/handler.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "lambda/fleet_ddb.h"
#include "lambda/monitor.h"
#include "lambda/notify.h"
#include "model/baseline.h"
#include "lambda/response.h"

#define DEFAULT_NAMESPACE "IrisLambda"
#define MODEL_REL "model/iris-model.json"

static int file_exists(const char *path)
{
    return access(path, R_OK) == 0;
}

/* MODEL_PATH, else $LAMBDA_TASK_ROOT/model/..., else beside the executable,
 * else one level up (build/bootstrap in a checkout). */
static int resolve_model_path(handler_ctx *h, const char *exe_path, char *err, size_t errlen)
{
    const char *env = getenv("MODEL_PATH");
    if (env != NULL && *env != '\0') {
        snprintf(h->model_path, sizeof h->model_path, "%s", env);
        return 0;
    }
    char dir[PATH_MAX] = "";
    if (exe_path != NULL) {
        snprintf(dir, sizeof dir, "%s", exe_path);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            dir[1] = '\0'; /* the executable is in / (a chroot, a container) */
        else if (slash != NULL)
            *slash = '\0';
        else
            snprintf(dir, sizeof dir, ".");
    }
    const char *root = getenv("LAMBDA_TASK_ROOT");
    char tried[3][sizeof h->model_path];
    int n = 0;
    if (root != NULL && *root != '\0')
        snprintf(tried[n++], sizeof tried[0], "%s/%s", root, MODEL_REL);
    if (dir[0] != '\0') {
        snprintf(tried[n++], sizeof tried[0], "%s/%s", dir, MODEL_REL);
        snprintf(tried[n++], sizeof tried[0], "%s/../%s", dir, MODEL_REL);
    }
    for (int i = 0; i < n; i++) {
        if (file_exists(tried[i])) {
            memcpy(h->model_path, tried[i], sizeof h->model_path);
            return 0;
        }
    }
    snprintf(err, errlen,
             "no model file: MODEL_PATH is not set and %s is not under "
             "$LAMBDA_TASK_ROOT or beside the executable; set MODEL_PATH",
             MODEL_REL);
    return -1;
}

/* The sequential tests (ALERT_FALSE_ALARM_RATE, ALERT_MIN_DROP,
 * ALERT_EXPECTED_ACCURACY) on the model's baseline. */
static int start_monitor(handler_ctx *h, char *err, size_t errlen)
{
    monitor_config mc;
    if (monitor_config_from_env(&mc, err, errlen) != 0)
        return -1;
    const baseline *bl = model_baseline(h->model);
    h->monitor = monitor_new(&mc, bl, err, errlen);
    if (h->monitor == NULL)
        return -1;
    if (!bl->present)
        log_msg(LOG_WARN,
                "the model artifact has no \"monitoring\" statistics: the input drift "
                "test is off%s; retrain it with make model",
                monitor_enabled(h->monitor, MONITOR_ACCURACY)
                    ? ""
                    : " and so is the accuracy test (or set ALERT_EXPECTED_ACCURACY)");
    double p0, p1, hh;
    for (int t = 0; t < MONITOR_NTESTS; t++) {
        if (!monitor_enabled(h->monitor, (enum monitor_test)t))
            continue;
        monitor_parameters(h->monitor, (enum monitor_test)t, &p0, &p1, &hh);
        log_msg(LOG_INFO,
                "sequential %s test: in-control rate %.4g, tuned for %.4g, threshold %.3f "
                "(false-alarm rate %.3g per record)",
                monitor_test_name((enum monitor_test)t), p0, p1, hh, mc.false_alarm_rate);
    }
    return 0;
}

int handler_init(handler_ctx *h, const char *exe_path, const char **err_type, char *err,
                 size_t errlen)
{
    memset(h, 0, sizeof *h);
    *err_type = "Runtime.InvalidConfiguration";
    if (log_init_from_env() != 0) {
        snprintf(err, errlen,
                 "AWS_LAMBDA_LOG_LEVEL=%s is not a log level (TRACE, DEBUG, INFO, "
                 "WARN, ERROR, FATAL)",
                 getenv("AWS_LAMBDA_LOG_LEVEL"));
        return -1;
    }
    const char *ns = getenv("METRICS_NAMESPACE");
    if (ns != NULL && (*ns == '\0' || strlen(ns) >= sizeof h->metrics_namespace)) {
        snprintf(err, errlen, "METRICS_NAMESPACE must be 1 to 255 characters");
        return -1;
    }
    snprintf(h->metrics_namespace, sizeof h->metrics_namespace, "%s", ns ? ns : DEFAULT_NAMESPACE);
    const char *fn = getenv("AWS_LAMBDA_FUNCTION_NAME");
    snprintf(h->function_name, sizeof h->function_name, "%s", fn ? fn : "iris-scoring");

    *err_type = "Runtime.InvalidModel";
    if (resolve_model_path(h, exe_path, err, errlen) != 0)
        return -1;
    char merr[512];
    h->model = model_load(h->model_path, merr, sizeof merr);
    if (h->model == NULL) {
        snprintf(err, errlen, "cannot load the model %s: %s", h->model_path, merr);
        return -1;
    }
    /* The records carry the model's features and label field. */
    if (batch_use_model(h->model, merr, sizeof merr) != 0) {
        snprintf(err, errlen, "cannot serve the model %s: %s", h->model_path, merr);
        model_free(h->model);
        h->model = NULL;
        return -1;
    }

    *err_type = "Runtime.InvalidConfiguration";
    const char *mc = getenv("AWS_LAMBDA_MAX_CONCURRENCY");
    if (sequencer_init(&h->seq, mc != NULL && strtol(mc, NULL, 10) > 1) != 0) {
        snprintf(err, errlen, "cannot create the lock shared by concurrent invocations");
        model_free(h->model);
        h->model = NULL;
        return -1;
    }
    h->notifier = notifier_from_env(err, errlen);
    if (h->notifier == NULL) {
        handler_free(h);
        return -1;
    }
    if (start_monitor(h, err, errlen) != 0 ||
        fleet_ddb_from_env(h->monitor, h->function_name, &h->fleet, err, errlen) != 0) {
        handler_free(h);
        return -1;
    }
    log_msg(LOG_INFO, "initialised: model %s (%s, %zu classes)", h->model_path,
            model_family(h->model), model_num_classes(h->model));
    return 0;
}

/* One invocation's answer: its batch and the response formatted from it
 * while the runtime posts it. */
typedef struct handler_reply {
    batch batch;
    response_stream stream;
} handler_reply;

/* After the runtime has posted a streamed response. */
static void release_reply(void *ctx)
{
    handler_reply *r = ctx;
    response_stream_free(&r->stream);
    batch_free(&r->batch);
    free(r);
}

static size_t fill_reply(void *ctx, char *dst, size_t cap)
{
    handler_reply *r = ctx;
    return response_stream_fill(&r->stream, dst, cap);
}

void handler_free(handler_ctx *h)
{
    if (h == NULL)
        return;
    model_free(h->model);
    notifier_free(h->notifier);
    fleet_ddb_free(h->fleet);
    monitor_free(h->monitor);
    sequencer_destroy(&h->seq);
    h->model = NULL;
    h->notifier = NULL;
    h->monitor = NULL;
    h->fleet = NULL;
}

static void write_class(buf *out, const model *m, int k)
{
    if (k < 0)
        buf_puts(out, "null");
    else
        buf_json_cstr(out, model_class_name(m, (size_t)k));
}

int handler_write_summary(buf *out, const batch *b, const evaluation *e, const model *m,
                          const char *trace)
{
    (void)b;
    if (trace != NULL && *trace != '\0') {
        buf_puts(out, "\"xrayTraceId\":");
        buf_json_cstr(out, trace);
        buf_putc(out, ',');
    }
    const char *names[MODEL_MAX_CLASSES];
    for (size_t k = 0; k < model_num_classes(m); k++)
        names[k] = model_class_name(m, k);
    evaluate_write_json(out, e, names);
    buf_puts(out, ",\"windows\":[");
    for (size_t i = 0; i < e->nwindows; i++) {
        const eval_window *w = &e->windows[i];
        buf_puts(out, i ? ",{\"species\":" : "{\"species\":");
        write_class(out, m, w->actual);
        buf_puts(out, ",\"predictedSpecies\":");
        write_class(out, m, w->predicted);
        buf_printf(out, ",\"startMs\":%lld,\"endMs\":%lld,\"count\":%llu}", (long long)w->start_ms,
                   (long long)w->end_ms, (unsigned long long)w->count);
    }
    buf_putc(out, ']');
    return out->failed ? -1 : 0;
}

int handler_write_emf(buf *out, const evaluation *e, const monitor_verdict *v, const char *ns,
                      const char *function_name, int64_t timestamp_ms, unsigned alerts_published,
                      unsigned alert_publish_failures, const fleet_counts *state)
{
    int has_acc = !isnan(e->accuracy);
    buf_printf(out, "{\"_aws\":{\"Timestamp\":%lld,\"CloudWatchMetrics\":[{\"Namespace\":",
               (long long)timestamp_ms);
    buf_json_cstr(out, ns);
    buf_puts(out, ",\"Dimensions\":[[\"FunctionName\"]],\"Metrics\":["
                  "{\"Name\":\"Records\",\"Unit\":\"Count\"},"
                  "{\"Name\":\"InvalidRecords\",\"Unit\":\"Count\"},"
                  "{\"Name\":\"AlertsPublished\",\"Unit\":\"Count\"},"
                  "{\"Name\":\"AlertPublishFailures\",\"Unit\":\"Count\"}");
    if (state != NULL)
        buf_puts(out, ",{\"Name\":\"AlertStateRequests\",\"Unit\":\"Count\"},"
                      "{\"Name\":\"AlertStateFallbacks\",\"Unit\":\"Count\"}");
    if (has_acc)
        buf_puts(out, ",{\"Name\":\"Accuracy\",\"Unit\":\"None\"}");
    if (v != NULL)
        monitor_write_emf_names(out);
    buf_puts(out, "]}]},\"FunctionName\":");
    buf_json_cstr(out, function_name);
    buf_printf(out,
               ",\"Records\":%zu,\"InvalidRecords\":%zu,\"AlertsPublished\":%u,"
               "\"AlertPublishFailures\":%u",
               e->records, e->invalid, alerts_published, alert_publish_failures);
    if (state != NULL)
        buf_printf(out, ",\"AlertStateRequests\":%zu,\"AlertStateFallbacks\":%zu", state->requests,
                   state->fallbacks);
    if (has_acc) {
        buf_puts(out, ",\"Accuracy\":");
        buf_json_double(out, e->accuracy);
    }
    if (v != NULL)
        monitor_write_emf_values(out, v);
    buf_putc(out, '}');
    return out->failed ? -1 : 0;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The summary and EMF objects take one allocation of this size, the same
 * each invocation (common/log.c's LINE_ROOM says why). */
#define HANDLER_LINE_ROOM 4096

static void log_batch(handler_ctx *h, const batch *b, const evaluation *e, const char *trace)
{
    buf line = BUF_INIT;
    buf_reserve_exact(&line, HANDLER_LINE_ROOM);
    if (log_enabled(LOG_INFO) && handler_write_summary(&line, b, e, h->model, trace) == 0)
        log_fields(LOG_INFO, "batch scored", line.data);
    buf_free(&line);
}

/* The EMF line, after the alert: it carries AlertPublishFailures. */
static void log_metrics(handler_ctx *h, const evaluation *e, const monitor_verdict *v,
                        const notify_counts *c, const fleet_counts *fc)
{
    buf line = BUF_INIT;
    buf_reserve_exact(&line, HANDLER_LINE_ROOM);
    if (handler_write_emf(&line, e, v, h->metrics_namespace, h->function_name, wall_ms(),
                          (unsigned)c->published, (unsigned)c->failed,
                          h->fleet != NULL ? fc : NULL) == 0)
        log_metrics_line(line.data, line.len);
    buf_free(&line);
}

/* A line per alarm or recovery of a sequential test (logged even when
 * alerts are off). */
static void log_monitor(const monitor_verdict *v)
{
    for (size_t i = 0; i < v->nevents; i++) {
        const monitor_event *ev = &v->events[i];
        log_msg(ev->recovery ? LOG_INFO : LOG_WARN,
                "sequential %s test: %s after %llu records (%llu %s), log likelihood ratio %.2f",
                monitor_test_name(ev->test), ev->recovery ? "back to normal" : "change detected",
                (unsigned long long)ev->records, (unsigned long long)ev->events,
                ev->test == MONITOR_ACCURACY ? "wrong" : "atypical", ev->llr);
    }
}

/* Feeds the batch to the shared monitor and publishes what it decided, in
 * the order it decided it across concurrent invocations (sequencer.h): the
 * lock is held for the bookkeeping only, never while publishing.  With a
 * fleet (ALERT_STATE_TABLE) the episodes are decided with the other
 * environments' evidence (lambda/fleet.h), the store's requests made
 * without the lock. */
static int observe_and_notify(handler_ctx *h, const runtime_invocation_request *req,
                              const batch *b, const evaluation *e, monitor_verdict *v,
                              notify_counts *counts, fleet_counts *fc, char *err, size_t errlen)
{
    const char *names[MODEL_MAX_CLASSES];
    for (size_t k = 0; k < model_num_classes(h->model); k++)
        names[k] = model_class_name(h->model, k);
    sequencer_lock(&h->seq);
    monitor_observe(h->monitor, b, v);
    if (h->fleet != NULL) {
        fleet *f = fleet_ddb_fleet(h->fleet);
        fleet_plan plan;
        fleet_plan_batch(f, h->monitor, wall_ms(), &plan);
        if (fleet_plan_requests(&plan)) {
            sequencer_unlock(&h->seq);
            fleet_exchange(f, &plan, wall_ms(), req->deadline_ms, fc);
            sequencer_lock(&h->seq);
        }
        fleet_apply(f, h->monitor, &plan, b, v, wall_ms(), fc);
    }
    int ordered = notifier_ordered(h->notifier, v);
    uint64_t ticket = ordered ? sequencer_ticket(&h->seq) : 0;
    sequencer_unlock(&h->seq);
    log_batch(h, b, e, req->xray_trace_id);
    log_monitor(v);
    if (ordered)
        sequencer_wait_turn(&h->seq, ticket);
    int rc = notifier_batch(h->notifier, b, e, v, names, req->request_id, req->deadline_ms,
                            counts, err, errlen);
    if (ordered)
        sequencer_done(&h->seq);
    return rc;
}

runtime_invocation_response handler_invoke(const runtime_invocation_request *req, void *ctx)
{
    handler_ctx *h = ctx;
    char err[1024];
    if (log_enabled(LOG_DEBUG))
        log_msg(LOG_DEBUG, "event (%zu bytes): %.*s", req->payload_len,
                req->payload_len > 4096 ? 4096 : (int)req->payload_len, req->payload);
    handler_reply *r = calloc(1, sizeof *r);
    if (r == NULL)
        return runtime_failure("Runtime.OutOfMemory", "out of memory for the batch");
    runtime_invocation_response res;
    evaluation e = {0};
    /* The event's pages are kept while it is parsed: giving them back
     * (runtime_release_payload_prefix) lowered the peak RSS by 4 MB but cost
     * every later invocation about 1,000 page faults to take them again. */
    int rc = batch_parse(req->payload, req->payload_len, &r->batch, err, sizeof err);
    if (rc == BATCH_ERR_NOMEM) {
        res = runtime_failure("Runtime.OutOfMemory", err);
        goto cleanup;
    }
    if (rc != BATCH_OK) {
        log_msg(LOG_ERROR, "InvalidEvent: %s", err);
        res = runtime_failure("InvalidEvent", err);
        goto cleanup;
    }
    /* The batch holds copies of everything it needs from the event. */
    runtime_release_payload(req);
    evaluate_score(h->model, &r->batch);
    if (evaluate_batch(&r->batch, model_num_classes(h->model), &e) != 0) {
        res = runtime_failure("Runtime.OutOfMemory", "out of memory evaluating the batch");
        goto cleanup;
    }
    monitor_verdict v;
    notify_counts counts;
    fleet_counts fc = {0};
    int alert = observe_and_notify(h, req, &r->batch, &e, &v, &counts, &fc, err, sizeof err);
    log_metrics(h, &e, &v, &counts, &fc);
    if (alert == NOTIFY_FAILED && notifier_fails_invocation(h->notifier)) {
        res = runtime_failure(NOTIFY_ERROR_TYPE, err);
        goto cleanup;
    }
    /* The response is formatted once, while the runtime posts it (chunked:
     * no counting pass); the reply lives until release_reply(). */
    if (response_stream_init(&r->stream, &r->batch, h->model) != 0) {
        res = runtime_failure("Runtime.OutOfMemory", "out of memory writing the response");
        goto cleanup;
    }
    res = runtime_success_stream(RUNTIME_SIZE_UNKNOWN, fill_reply, release_reply, r,
                                 "application/json");
    r = NULL;
cleanup:
    evaluation_free(&e);
    if (r != NULL)
        release_reply(r);
    return res;
}
