/* runtime.c: AWS Lambda Runtime API client over one keep-alive connection. */
#include "runtime/runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "runtime/runtime_headers.h"
#include "runtime/runtime_http.h"
#include "runtime/runtime_internal.h"
#include "runtime/runtime_text.h"

#define API_PREFIX "/2018-06-01/runtime"
#define NEXT_RETRIES 5        /* connection failures tolerated on /next */
#define NEXT_BACKOFF_MS 50    /* first retry delay, doubled each time */
#define POST_TIMEOUT_MS 30000 /* posting a response to a local endpoint */
#define REPLY_KEEP 4096       /* bytes of a Runtime API reply kept for a log line */
#define ERROR_CONTENT_TYPE "application/vnd.aws.lambda.error+json"
/* Errors the runtime itself reports for an invocation it could not read. */
#define INVALID_INVOCATION "Runtime.InvalidInvocation"
/* "/invocation/" + an id percent-encoded (3 bytes per byte) + "/response" */
#define PATH_MAX_LEN (16 + 3 * RUNTIME_ID_MAX + 16)

struct runtime {
    runtime_http http;
    char base[256]; /* http://host:port/2018-06-01/runtime, for messages */
    char url[256 + PATH_MAX_LEN];
    buf body;             /* response body of the last request */
    runtime_headers hdr;  /* headers of the last /next response */
    int in_poll;          /* the current request is the GET /next long poll */
    int body_too_large;   /* the /next body went over RUNTIME_EVENT_MAX */
    char read_error[512]; /* why the last /next could not be read */
    int concurrency;      /* AWS_LAMBDA_MAX_CONCURRENCY; 1 when unset */
    /* Managed Instances: a worker's second connection.  Once the handler
     * has its answer, the worker's next GET /next leaves on ahead, and then
     * the answer on http.  Lambda answers the invoker first and
     * acknowledges the runtime's answer after (AWS's emulator v1.30,
     * invoke/running_invoke.go: RuntimeResponse returns once the response
     * was sent to the invoker), so a worker that polled only after the
     * acknowledgement would be missing from the idle workers just when its
     * invoker sends the next invoke, which would be refused.  The two
     * connections then swap roles. */
    runtime_http ahead;
    int ahead_ready; /* ahead's buffers are allocated */
    int ahead_sent;  /* GET /next was sent on ahead */
    int next_sent;   /* GET /next was sent on http: read its answer only */
};

void runtime_release_payload(const runtime_invocation_request *req)
{
    if (req->owner != NULL)
        buf_free(&req->owner->body);
}

void runtime_release_payload_prefix(const runtime_invocation_request *req, size_t n)
{
    if (req->owner == NULL || req->payload != req->owner->body.data || n > req->payload_len)
        return;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = ((uintptr_t)req->payload + page - 1) & ~(page - 1);
    uintptr_t to = ((uintptr_t)req->payload + n) & ~(page - 1);
    /* Pages inside the buffer's allocation only: the allocator keeps its
     * own data outside them, and they read back as zeros if touched. */
    if (to > from)
        madvise((void *)from, to - from, MADV_DONTNEED);
}

/* The event is bounded (RUNTIME_EVENT_MAX: a longer body stops the
 * transfer); of any other reply only the first REPLY_KEEP bytes are kept. */
static int on_body(void *ctx, const char *data, size_t len)
{
    runtime *rt = ctx;
    if (!rt->in_poll) {
        size_t room = rt->body.len < REPLY_KEEP ? REPLY_KEEP - rt->body.len : 0;
        buf_append(&rt->body, data, len < room ? len : room);
        return 0;
    }
    if (rt->body.len + len > RUNTIME_EVENT_MAX) {
        rt->body_too_large = 1;
        return -1;
    }
    return buf_append(&rt->body, data, len);
}

/* Only the /next response's headers are read (a reply to a POST cannot
 * change the invocation); each line is bounded and validated. */
static void on_header(void *ctx, const char *line, size_t len)
{
    runtime *rt = ctx;
    if (!rt->in_poll)
        return;
    int64_t before = rt->hdr.content_length;
    runtime_headers_line(&rt->hdr, line, len);
    /* Size the body buffer once from Content-Length, exactly (a 6 MB batch
     * would otherwise be copied through every doubling, and a 4.3 MB one
     * would take 8 MiB); it is already bounded. */
    if (rt->hdr.content_length > 0 && before != rt->hdr.content_length)
        buf_reserve_exact(&rt->body, (size_t)rt->hdr.content_length);
}

/* Gives up the long poll on SIGTERM, but only while nothing of the response
 * has arrived: an invocation that is already being delivered is served. */
static int stop_waiting(void *ctx)
{
    runtime *rt = ctx;
    return rt->in_poll && runtime_should_stop();
}

/* The runtime needs no process-wide set-up (it speaks HTTP itself, without
 * TLS); kept so that programs written for the libcurl-based client build. */
int runtime_global_init(void)
{
    return 0;
}

void runtime_global_cleanup(void) {}

static long post_error(runtime *rt, const char *path, const char *type, const char *message);

/* A client with its connection resolved and its buffers, but not yet its
 * base URL. */
static runtime *client_alloc(char *err, size_t errlen)
{
    runtime *rt = calloc(1, sizeof *rt);
    if (rt == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    runtime_headers_reset(&rt->hdr);
    rt->concurrency = 1;
    return rt;
}

runtime *runtime_new(char *err, size_t errlen)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (api == NULL || *api == '\0') {
        snprintf(err, errlen,
                 "AWS_LAMBDA_RUNTIME_API is not set: this program is a Lambda custom "
                 "runtime; run it under Lambda or a Runtime API emulator");
        return NULL;
    }
    if (strlen(api) > 200) {
        snprintf(err, errlen, "AWS_LAMBDA_RUNTIME_API is too long (%zu characters)", strlen(api));
        return NULL;
    }
    runtime_process_setup();
    runtime *rt = client_alloc(err, errlen);
    if (rt == NULL)
        return NULL;
    snprintf(rt->base, sizeof rt->base, "http://%s" API_PREFIX, api);
    if (runtime_http_init(&rt->http, api, err, errlen) != 0) {
        runtime_free(rt);
        return NULL;
    }
    rt->concurrency = runtime_concurrency_from_env(err, errlen);
    if (rt->concurrency < 0) {
        /* An initialisation error Lambda reports as such; the caller logs err. */
        long status = post_error(rt, "/init/error", "Runtime.InvalidConfiguration", err);
        if (status != 202)
            log_msg(LOG_ERROR, "the Runtime API answered %ld to /init/error", status);
        runtime_free(rt);
        return NULL;
    }
    return rt;
}

runtime *runtime_client_like(const runtime *proto, char *err, size_t errlen)
{
    runtime *rt = client_alloc(err, errlen);
    if (rt == NULL)
        return NULL;
    memcpy(rt->base, proto->base, sizeof rt->base);
    rt->concurrency = proto->concurrency;
    if (runtime_http_init_like(&rt->http, &proto->http, err, errlen) != 0) {
        runtime_free(rt);
        return NULL;
    }
    return rt;
}

int runtime_max_concurrency(const runtime *rt)
{
    return rt->concurrency;
}

void runtime_free(runtime *rt)
{
    if (rt == NULL)
        return;
    runtime_http_free(&rt->http);
    if (rt->ahead_ready)
        runtime_http_free(&rt->ahead);
    buf_free(&rt->body);
    runtime_headers_free(&rt->hdr);
    free(rt);
}

/* A streamed body, counted as it goes (a chunked body's size is known only
 * once it is sent). */
typedef struct stream_count {
    runtime_invocation_response *res;
    size_t sent;
} stream_count;

static size_t fill_counted(void *ctx, char *dst, size_t cap)
{
    stream_count *sc = ctx;
    size_t n = sc->res->fill(sc->res->ctx, dst, cap);
    sc->sent += n;
    return n;
}

static const char NEXT_PATH[] = API_PREFIX "/invocation/next";

/* Workers mode, once an invocation's answer is known and before it is
 * posted: sends the worker's next GET /next on rt->ahead.  A failure only
 * means the next poll goes the usual way, after the answer. */
static void send_next_ahead(runtime *rt)
{
    char err[256];
    if (rt->concurrency < 2 || runtime_should_stop())
        return;
    if (!rt->ahead_ready) {
        if (runtime_http_init_like(&rt->ahead, &rt->http, err, sizeof err) != 0)
            return;
        rt->ahead_ready = 1;
    }
    runtime_http_request rq = {.method = "GET", .path = NEXT_PATH};
    rt->ahead_sent = runtime_http_send(&rt->ahead, &rq) == RUNTIME_HTTP_OK;
}

/* After an answer: the connection the next GET /next left on becomes the
 * one its invocation is read and answered on. */
static void swap_to_ahead(runtime *rt)
{
    if (!rt->ahead_sent)
        return;
    rt->ahead_sent = 0;
    rt->next_sent = 1;
    runtime_http t = rt->http;
    rt->http = rt->ahead;
    rt->ahead = t;
    /* A streamed body's piece buffer (256 KB) is the worker's, not the
     * connection's: one for both. */
    char *piece = rt->http.piece;
    rt->http.piece = rt->ahead.piece;
    rt->ahead.piece = piece;
}

/* One request; a POST body comes from body/body_len, or from sc's fill.
 * Returns a runtime_http_result; *status gets the HTTP status (0 if none). */
static int perform(runtime *rt, const char *path, const char *method, const char *body,
                   size_t body_len, stream_count *sc, const char *headers, int timeout_ms,
                   long *status)
{
    snprintf(rt->url, sizeof rt->url, API_PREFIX "%s", path);
    buf_reset(&rt->body);
    runtime_http_request rq = {
        .method = method,
        .path = rt->url,
        .headers = headers,
        .body = strcmp(method, "POST") == 0 && sc == NULL ? (body ? body : "") : NULL,
        .body_len = body_len,
        .fill = sc ? fill_counted : NULL,
        .fill_ctx = sc,
        .chunked = sc != NULL && body_len == RUNTIME_SIZE_UNKNOWN,
        .timeout_ms = timeout_ms,
        .stop_waiting = stop_waiting,
        .on_header = on_header,
        .on_body = on_body,
        .sent = strcmp(method, "GET") == 0 && rt->next_sent,
        .ctx = rt,
    };
    if (rq.sent)
        rt->next_sent = 0;
    return runtime_http_perform(&rt->http, &rq, status);
}

/* {"errorMessage":..,"errorType":..,"stackTrace":[]}: the Runtime API's
 * ErrorRequest document, always valid UTF-8 JSON. */
static char *error_body(const char *type, const char *message, size_t *len)
{
    buf b = BUF_INIT;
    BUF_LIT(&b, "{\"errorMessage\":");
    runtime_text_json(&b, message);
    BUF_LIT(&b, ",\"errorType\":");
    runtime_text_json(&b, type);
    BUF_LIT(&b, ",\"stackTrace\":[]}");
    return buf_detach(&b, len);
}

/* A printable excerpt of the last reply's body, for a log line. */
static const char *reply_excerpt(runtime *rt, char *out, size_t outlen)
{
    runtime_text_printable(rt->body.data ? rt->body.data : "", rt->body.len, 200, out, outlen);
    return out;
}

/* POSTs an error document to path, as the Runtime API's OpenAPI description
 * asks: Content-Type application/vnd.aws.lambda.error+json and the type in
 * Lambda-Runtime-Function-Error-Type.  Returns the HTTP status, or -1 when
 * the request could not be made. */
static long post_error(runtime *rt, const char *path, const char *type, const char *message)
{
    size_t len;
    char *body = error_body(type, message, &len);
    char *type_value = runtime_text_header_value(type, 200);
    char headers[320];
    long status = -1;
    if (body == NULL || type_value == NULL)
        goto cleanup;
    snprintf(headers, sizeof headers,
             "Content-Type: " ERROR_CONTENT_TYPE "\r\nLambda-Runtime-Function-Error-Type: %s\r\n",
             type_value);
    if (perform(rt, path, "POST", body, len, NULL, headers, POST_TIMEOUT_MS, &status) != 0) {
        log_msg(LOG_ERROR, "posting %s to the Runtime API failed: %s", type_value, rt->http.error);
        status = -1;
    }
cleanup:
    free(type_value);
    free(body);
    return status;
}

int runtime_init_error(runtime *rt, const char *error_type, const char *message)
{
    log_msg(LOG_FATAL, "initialisation failed: %s: %s", error_type, message);
    long status = post_error(rt, "/init/error", error_type, message);
    if (status != 202 && status != -1)
        log_msg(LOG_ERROR, "the Runtime API answered %ld to /init/error", status);
    return status == 202 ? 0 : -1;
}

/* The outcome of one GET /next. */
enum next_result { NEXT_STOP, NEXT_FATAL, NEXT_INVOCATION };

static void next_reset(runtime *rt)
{
    runtime_headers_reset(&rt->hdr);
    rt->body_too_large = 0;
    rt->read_error[0] = '\0';
}

/* A response arrived but could not be read whole (a malformed or oversized
 * header line, a body cut short or over the limit): the invocation was
 * delivered, so it is answered with an error rather than lost. */
static void note_read_error(runtime *rt)
{
    if (rt->body_too_large)
        snprintf(rt->read_error, sizeof rt->read_error,
                 "the event is over the runtime's limit of %u bytes", (unsigned)RUNTIME_EVENT_MAX);
    else
        snprintf(rt->read_error, sizeof rt->read_error,
                 "the Runtime API's response to GET /invocation/next could not be read: %s",
                 rt->http.error);
}

static void backoff_sleep(int delay_ms)
{
    struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !runtime_should_stop())
        ;
}

/* Waits for the next invocation: its headers in rt->hdr, its event in
 * rt->body, and rt->read_error set when it arrived damaged. */
static enum next_result next_invocation(runtime *rt)
{
    int delay = NEXT_BACKOFF_MS;
    for (int attempt = 0;; attempt++) {
        next_reset(rt);
        long status;
        char excerpt[900];
        rt->in_poll = 1;
        int rc = perform(rt, "/invocation/next", "GET", NULL, 0, NULL, NULL, 0, &status);
        rt->in_poll = 0;
        if (rc == RUNTIME_HTTP_ABORTED && runtime_should_stop())
            return NEXT_STOP;
        if (status == 200) {
            if (rc != RUNTIME_HTTP_OK)
                note_read_error(rt);
            return NEXT_INVOCATION;
        }
        if (status != 0) {
            /* 500: the runtime is in a non-recoverable state; 403 and the rest
             * are not going to change by asking again. */
            log_msg(LOG_FATAL, "the Runtime API answered %ld to GET /invocation/next: %s; exiting",
                    status, reply_excerpt(rt, excerpt, sizeof excerpt));
            return NEXT_FATAL;
        }
        if (runtime_should_stop())
            return NEXT_STOP;
        if (attempt >= NEXT_RETRIES) {
            log_msg(LOG_FATAL, "cannot reach the Runtime API at %s after %d attempts: %s; exiting",
                    rt->base, attempt + 1, rt->http.error);
            return NEXT_FATAL;
        }
        log_msg(LOG_WARN, "GET /invocation/next failed (%s); retrying in %d ms", rt->http.error,
                delay);
        backoff_sleep(delay);
        delay *= 2;
    }
}

/* Posts a success body to path.  Returns 0 to go on, -1 to stop (fatal). */
static int post_response(runtime *rt, const char *path, runtime_invocation_response *res)
{
    long status;
    char ctype[160];
    char excerpt[900];
    char *ctype_value = runtime_text_header_value(res->content_type, 120);
    snprintf(ctype, sizeof ctype, "Content-Type: %s\r\n", ctype_value ? ctype_value : "");
    free(ctype_value);
    stream_count sc = {res, 0};
    if (perform(rt, path, "POST", res->payload, res->payload_len, res->fill ? &sc : NULL, ctype,
                POST_TIMEOUT_MS, &status) != 0) {
        log_msg(LOG_FATAL, "posting the response failed: %s; exiting", rt->http.error);
        return -1;
    }
    if (status == 202)
        return 0;
    if (status == 413) {
        /* Lambda fails the invocation itself with Function.ResponseSizeTooLarge
         * after a 413, and refuses a later /error for it: nothing more to post. */
        log_msg(LOG_ERROR,
                "the Runtime API refused the response of %lld bytes with 413 (over its size "
                "limit): Lambda fails this invocation with Function.ResponseSizeTooLarge; %s",
                res->payload_len == RUNTIME_SIZE_UNKNOWN ? (long long)sc.sent
                                                         : (long long)res->payload_len,
                reply_excerpt(rt, excerpt, sizeof excerpt));
        return 0;
    }
    if (status >= 500) {
        log_msg(LOG_FATAL, "the Runtime API answered %ld to the response; exiting", status);
        return -1;
    }
    log_msg(LOG_ERROR, "the Runtime API rejected the response with %ld: %s", status,
            reply_excerpt(rt, excerpt, sizeof excerpt));
    return 0;
}

/* Posts an invocation error to path.  Returns 0 to go on, -1 to stop. */
static int post_invocation_error(runtime *rt, const char *path, const char *type,
                                 const char *message)
{
    char excerpt[900];
    long status = post_error(rt, path, type, message);
    if (status == 202)
        return 0;
    if (status == -1 || status >= 500) {
        log_msg(LOG_FATAL, "the Runtime API answered %ld to the error report; exiting", status);
        return -1;
    }
    log_msg(LOG_ERROR, "the Runtime API rejected the error report with %ld: %s", status,
            reply_excerpt(rt, excerpt, sizeof excerpt));
    return 0;
}

/* Builds the invocation's /response and /error paths.  Returns 0, or -1 when
 * the request id cannot be answered (logged). */
static int invocation_paths(runtime *rt, char *response, char *error, size_t len)
{
    char why[120];
    char shown[200];
    if (rt->hdr.request_id[0] == '\0' && !rt->hdr.id_too_long) {
        log_msg(LOG_ERROR, "the Runtime API sent an invocation without "
                           "Lambda-Runtime-Aws-Request-Id: it cannot be answered; waiting for "
                           "the next one");
        return -1;
    }
    if (rt->hdr.id_too_long ||
        runtime_headers_id_path(rt->hdr.request_id, "response", response, len, why, sizeof why) !=
            0 ||
        runtime_headers_id_path(rt->hdr.request_id, "error", error, len, why, sizeof why) != 0) {
        if (rt->hdr.id_too_long)
            snprintf(why, sizeof why, "the request id is over %d bytes", RUNTIME_ID_MAX);
        const char *id = rt->hdr.request_id;
        runtime_text_printable(id, strlen(id), 64, shown, sizeof shown);
        log_msg(LOG_ERROR,
                "the Runtime API sent request id \"%s\", which cannot be used in a URL path (%s): "
                "the invocation cannot be answered; waiting for the next one",
                shown, why);
        return -1;
    }
    return 0;
}

/* Serves one delivered invocation.  Returns 0 to go on, -1 to stop. */
static int serve_one(runtime *rt, runtime_handler handler, void *ctx, int trace_env)
{
    char response_path[PATH_MAX_LEN];
    char error_path[PATH_MAX_LEN];
    char shown_id[RUNTIME_ID_MAX * 4 + 8];
    if (invocation_paths(rt, response_path, error_path, sizeof response_path) != 0)
        return 0;
    const runtime_headers *hd = &rt->hdr;
    runtime_text_printable(hd->request_id, strlen(hd->request_id), RUNTIME_ID_MAX, shown_id,
                           sizeof shown_id);
    log_set_request_id(shown_id);
    const char *bad = rt->read_error[0] ? rt->read_error : hd->problem[0] ? hd->problem : NULL;
    int rc;
    if (bad != NULL) {
        log_msg(LOG_ERROR, "invocation failed with " INVALID_INVOCATION ": %s", bad);
        send_next_ahead(rt);
        rc = post_invocation_error(rt, error_path, INVALID_INVOCATION, bad);
        log_set_request_id(NULL);
        return rc;
    }
    /* AWS's custom-runtime guide asks for the trace id in the environment;
     * with several workers it travels in the request only (setenv races
     * every getenv in the process). */
    if (trace_env)
        runtime_export_trace_id(hd->trace_id);
    runtime_invocation_request req = {
        .payload = rt->body.data ? rt->body.data : "",
        .payload_len = rt->body.len,
        .request_id = hd->request_id,
        .xray_trace_id = hd->trace_id,
        .client_context = hd->client_context ? hd->client_context : "",
        .cognito_identity = hd->cognito_identity ? hd->cognito_identity : "",
        .function_arn = hd->function_arn,
        .deadline_ms = hd->deadline_ms,
        .owner = rt,
    };
    runtime_invocation_response res = handler(&req, ctx);
    send_next_ahead(rt);
    if (res.success)
        rc = post_response(rt, response_path, &res);
    else
        rc = post_invocation_error(rt, error_path, res.error_type ? res.error_type : "",
                                   res.error_message ? res.error_message : "");
    runtime_response_free(&res);
    log_set_request_id(NULL);
    return rc;
}

static int serve(runtime *rt, runtime_handler handler, void *ctx, int trace_env)
{
    int rc = serve_one(rt, handler, ctx, trace_env);
    /* A worker gives its event's buffer back to the process's heap, where
     * the next invocation of any worker takes it again: kept per worker, N
     * workers that each served one largest batch would hold N events while
     * one is in flight.  (The classic loop keeps it: it is the next
     * invocation's, without a page fault.) */
    if (rt->concurrency > 1)
        buf_free(&rt->body);
    swap_to_ahead(rt);
    return rc;
}

int runtime_client_loop(runtime *rt, runtime_handler handler, void *ctx, int trace_env)
{
    for (;;) {
        enum next_result got = runtime_should_stop() ? NEXT_STOP : next_invocation(rt);
        if (got == NEXT_STOP)
            return 0;
        if (got == NEXT_FATAL || serve(rt, handler, ctx, trace_env) != 0)
            return 1;
    }
}
