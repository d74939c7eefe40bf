/* runtime.c: AWS Lambda Runtime API client over one reused libcurl handle. */
#include "runtime/runtime.h"

#include <curl/curl.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "common/buf.h"
#include "common/log.h"
#include "runtime/runtime_headers.h"
#include "runtime/runtime_text.h"

#define API_PREFIX "/2018-06-01/runtime"
#define NEXT_RETRIES 5     /* connection failures tolerated on /next */
#define NEXT_BACKOFF_MS 50 /* first retry delay, doubled each time */
#define POST_TIMEOUT_S 30L /* posting a response to a local endpoint */
#define CONNECT_TIMEOUT_MS 2000L
#define REPLY_KEEP 4096 /* bytes of a Runtime API reply kept for a log line */
#define ERROR_CONTENT_TYPE "application/vnd.aws.lambda.error+json"
/* Errors the runtime itself reports for an invocation it could not read. */
#define INVALID_INVOCATION "Runtime.InvalidInvocation"
/* "/invocation/" + an id percent-encoded (3 bytes per byte) + "/response" */
#define PATH_MAX_LEN (16 + 3 * RUNTIME_ID_MAX + 16)

struct runtime {
    CURL *curl;
    char base[256]; /* http://host:port/2018-06-01/runtime */
    char url[256 + PATH_MAX_LEN];
    buf body; /* response body of the last request */
    char errbuf[CURL_ERROR_SIZE];
    runtime_headers hdr;                    /* headers of the last /next response */
    int got_status;                         /* the status line of the current response arrived */
    int in_poll;                            /* the current request is the GET /next long poll */
    int body_too_large;                     /* the /next body went over RUNTIME_EVENT_MAX */
    char read_error[CURL_ERROR_SIZE + 128]; /* why the last /next could not be read */
};

static volatile sig_atomic_t stopping;

static void on_sigterm(int sig)
{
    (void)sig;
    stopping = 1;
}

int runtime_stopping(void)
{
    return stopping != 0;
}

runtime_invocation_response runtime_success(char *payload, size_t len, const char *content_type)
{
    if (payload == NULL)
        return runtime_failure("Runtime.OutOfMemory", "could not allocate the response");
    runtime_invocation_response r = {0};
    r.success = 1;
    r.payload = payload;
    r.payload_len = len;
    r.content_type = content_type ? content_type : "application/json";
    return r;
}

runtime_invocation_response runtime_failure(const char *error_type, const char *message)
{
    runtime_invocation_response r = {0};
    r.success = 0;
    r.error_type = strdup(error_type ? error_type : "Runtime.Unknown");
    r.error_message = strdup(message ? message : "");
    return r;
}

runtime_invocation_response runtime_success_stream(size_t size, runtime_body_fill fill,
                                                   void (*release)(void *ctx), void *ctx,
                                                   const char *content_type)
{
    runtime_invocation_response r = {0};
    r.success = 1;
    r.payload_len = size;
    r.fill = fill;
    r.release = release;
    r.ctx = ctx;
    r.content_type = content_type ? content_type : "application/json";
    return r;
}

static void response_free(runtime_invocation_response *r)
{
    if (r->release != NULL)
        r->release(r->ctx);
    free(r->payload);
    free(r->error_message);
    free(r->error_type);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t runtime_remaining_ms(const runtime_invocation_request *req)
{
    if (req->deadline_ms <= 0)
        return INT64_MAX;
    return req->deadline_ms - now_ms();
}

void runtime_release_payload(const runtime_invocation_request *req)
{
    if (req->owner != NULL)
        buf_free(&req->owner->body);
}

/* The event is bounded (RUNTIME_EVENT_MAX: a longer body aborts the
 * transfer); of any other reply only the first REPLY_KEEP bytes are kept. */
static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    runtime *rt = userp;
    size_t len = size * n;
    if (!rt->in_poll) {
        size_t room = rt->body.len < REPLY_KEEP ? REPLY_KEEP - rt->body.len : 0;
        buf_append(&rt->body, data, len < room ? len : room);
        return len;
    }
    if (rt->body.len + len > RUNTIME_EVENT_MAX) {
        rt->body_too_large = 1;
        return 0;
    }
    return buf_append(&rt->body, data, len) == 0 ? len : 0;
}

/* Only the /next response's headers are read (a reply to a POST cannot
 * change the invocation); each line is bounded and validated. */
static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    runtime *rt = userp;
    size_t len = size * n;
    rt->got_status = 1;
    if (!rt->in_poll)
        return len;
    int64_t before = rt->hdr.content_length;
    runtime_headers_line(&rt->hdr, data, len);
    /* Size the body buffer once from Content-Length (a 6 MB batch would
     * otherwise be copied through every doubling); it is already bounded. */
    if (rt->hdr.content_length > 0 && before != rt->hdr.content_length)
        buf_reserve(&rt->body, (size_t)rt->hdr.content_length);
    return len;
}

/* Aborts the long poll on SIGTERM, but only while nothing of the response
 * has arrived: an invocation that is already being delivered is served. */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    runtime *rt = userp;
    (void)dltotal;
    (void)ultotal;
    (void)ulnow;
    return stopping && rt->in_poll && !rt->got_status && dlnow == 0;
}

int runtime_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void runtime_global_cleanup(void)
{
    curl_global_cleanup();
}

/* Memory a handler frees stays in the process for the next invocation: no
 * large block is given back to the kernel (mmap'd and unmapped, or trimmed
 * from the heap top) only to be faulted in again, page by page, by the next
 * invocation.  Without this the first two invocations of a process each
 * take about 2,000 minor page faults on a 6 MB batch (glibc raises its
 * dynamic mmap threshold only after the first free). */
static void keep_freed_memory(void)
{
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
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
    keep_freed_memory();
    runtime *rt = calloc(1, sizeof *rt);
    if (rt == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(rt->base, sizeof rt->base, "http://%s" API_PREFIX, api);
    runtime_headers_reset(&rt->hdr);
    rt->curl = curl_easy_init();
    if (rt->curl == NULL) {
        snprintf(err, errlen, "curl_easy_init failed");
        free(rt);
        return NULL;
    }
    curl_easy_setopt(rt->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(rt->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(rt->curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(rt->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(rt->curl, CURLOPT_WRITEDATA, rt);
    curl_easy_setopt(rt->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(rt->curl, CURLOPT_HEADERDATA, rt);
    curl_easy_setopt(rt->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(rt->curl, CURLOPT_XFERINFODATA, rt);
    curl_easy_setopt(rt->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(rt->curl, CURLOPT_ERRORBUFFER, rt->errbuf);
    curl_easy_setopt(rt->curl, CURLOPT_PROXY, ""); /* never via an HTTP proxy */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigterm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    return rt;
}

void runtime_free(runtime *rt)
{
    if (rt == NULL)
        return;
    curl_easy_cleanup(rt->curl);
    buf_free(&rt->body);
    runtime_headers_free(&rt->hdr);
    free(rt);
}

/* One request on the shared handle.  Returns the CURLcode; *status gets the
 * HTTP status (0 if none). */
static size_t on_read(char *dst, size_t size, size_t n, void *userp)
{
    runtime_invocation_response *res = userp;
    return res->fill(res->ctx, dst, size * n);
}

static CURLcode perform_stream(runtime *rt, const char *path, const char *method, const char *body,
                               size_t body_len, runtime_invocation_response *stream,
                               struct curl_slist *headers, long timeout_s, long *status);

static CURLcode perform(runtime *rt, const char *path, const char *method, const char *body,
                        size_t body_len, struct curl_slist *headers, long timeout_s, long *status)
{
    return perform_stream(rt, path, method, body, body_len, NULL, headers, timeout_s, status);
}

/* One request; a POST body comes from body/body_len, or from stream->fill. */
static CURLcode perform_stream(runtime *rt, const char *path, const char *method, const char *body,
                               size_t body_len, runtime_invocation_response *stream,
                               struct curl_slist *headers, long timeout_s, long *status)
{
    snprintf(rt->url, sizeof rt->url, "%s%s", rt->base, path);
    buf_reset(&rt->body);
    rt->errbuf[0] = '\0';
    rt->got_status = 0;
    curl_easy_setopt(rt->curl, CURLOPT_URL, rt->url);
    curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, headers);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(rt->curl, CURLOPT_POST, 1L);
        if (stream != NULL) {
            curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDS, NULL);
            curl_easy_setopt(rt->curl, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(rt->curl, CURLOPT_READDATA, stream);
        } else {
            curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDS, body ? body : "");
        }
        /* -1: libcurl sends the read callback's pieces as HTTP/1.1 chunks. */
        curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         stream != NULL && body_len == RUNTIME_SIZE_UNKNOWN ? (curl_off_t)-1
                                                                            : (curl_off_t)body_len);
    } else {
        curl_easy_setopt(rt->curl, CURLOPT_HTTPGET, 1L);
    }
    CURLcode rc = curl_easy_perform(rt->curl);
    *status = 0;
    curl_easy_getinfo(rt->curl, CURLINFO_RESPONSE_CODE, status);
    return rc;
}

static const char *curl_reason(runtime *rt, CURLcode rc)
{
    return rt->errbuf[0] ? rt->errbuf : curl_easy_strerror(rc);
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
    char typeh[260];
    long status = -1;
    struct curl_slist *h = NULL;
    if (body == NULL || type_value == NULL)
        goto cleanup;
    snprintf(typeh, sizeof typeh, "Lambda-Runtime-Function-Error-Type: %s", type_value);
    h = curl_slist_append(NULL, "Content-Type: " ERROR_CONTENT_TYPE);
    h = curl_slist_append(h, typeh);
    h = curl_slist_append(h, "Expect:");
    CURLcode rc = perform(rt, path, "POST", body, len, h, POST_TIMEOUT_S, &status);
    if (rc != CURLE_OK) {
        log_msg(LOG_ERROR, "posting %s to the Runtime API failed: %s", type_value,
                curl_reason(rt, rc));
        status = -1;
    }
cleanup:
    curl_slist_free_all(h);
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
static void note_read_error(runtime *rt, CURLcode rc)
{
    if (rt->body_too_large)
        snprintf(rt->read_error, sizeof rt->read_error,
                 "the event is over the runtime's limit of %u bytes", (unsigned)RUNTIME_EVENT_MAX);
    else
        snprintf(rt->read_error, sizeof rt->read_error,
                 "the Runtime API's response to GET /invocation/next could not be read: %s%s",
                 curl_reason(rt, rc),
                 rc == CURLE_OUT_OF_MEMORY ? " (libcurl refuses a header line over 100 KB)" : "");
}

static void backoff_sleep(int delay_ms)
{
    struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stopping)
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
        CURLcode rc = perform(rt, "/invocation/next", "GET", NULL, 0, NULL, 0L, &status);
        rt->in_poll = 0;
        if (rc == CURLE_ABORTED_BY_CALLBACK && stopping)
            return NEXT_STOP;
        if (status == 200) {
            if (rc != CURLE_OK)
                note_read_error(rt, rc);
            return NEXT_INVOCATION;
        }
        if (status != 0) {
            /* 500: the runtime is in a non-recoverable state; 403 and the rest
             * are not going to change by asking again. */
            log_msg(LOG_FATAL, "the Runtime API answered %ld to GET /invocation/next: %s; exiting",
                    status, reply_excerpt(rt, excerpt, sizeof excerpt));
            return NEXT_FATAL;
        }
        if (stopping)
            return NEXT_STOP;
        if (attempt >= NEXT_RETRIES) {
            log_msg(LOG_FATAL, "cannot reach the Runtime API at %s after %d attempts: %s; exiting",
                    rt->base, attempt + 1, curl_reason(rt, rc));
            return NEXT_FATAL;
        }
        log_msg(LOG_WARN, "GET /invocation/next failed (%s); retrying in %d ms",
                curl_reason(rt, rc), delay);
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
    snprintf(ctype, sizeof ctype, "Content-Type: %s", ctype_value ? ctype_value : "");
    free(ctype_value);
    struct curl_slist *h = curl_slist_append(NULL, ctype);
    h = curl_slist_append(h, "Expect:");
    CURLcode rc = perform_stream(rt, path, "POST", res->payload, res->payload_len,
                                 res->fill ? res : NULL, h, POST_TIMEOUT_S, &status);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
        log_msg(LOG_FATAL, "posting the response failed: %s; exiting", curl_reason(rt, rc));
        return -1;
    }
    if (status == 202)
        return 0;
    if (status == 413) {
        /* Lambda fails the invocation itself with Function.ResponseSizeTooLarge
         * after a 413, and refuses a later /error for it: nothing more to post. */
        curl_off_t sent = 0; /* a chunked body's size is known only once sent */
        curl_easy_getinfo(rt->curl, CURLINFO_SIZE_UPLOAD_T, &sent);
        log_msg(LOG_ERROR,
                "the Runtime API refused the response of %lld bytes with 413 (over its size "
                "limit): Lambda fails this invocation with Function.ResponseSizeTooLarge; %s",
                res->payload_len == RUNTIME_SIZE_UNKNOWN ? (long long)sent
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
static int serve(runtime *rt, runtime_handler handler, void *ctx)
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
        rc = post_invocation_error(rt, error_path, INVALID_INVOCATION, bad);
        log_set_request_id(NULL);
        return rc;
    }
    if (hd->trace_id[0] != '\0')
        setenv("_X_AMZN_TRACE_ID", hd->trace_id, 1);
    else
        unsetenv("_X_AMZN_TRACE_ID");
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
    if (res.success)
        rc = post_response(rt, response_path, &res);
    else
        rc = post_invocation_error(rt, error_path, res.error_type ? res.error_type : "",
                                   res.error_message ? res.error_message : "");
    response_free(&res);
    log_set_request_id(NULL);
    return rc;
}

int runtime_run(runtime *rt, runtime_handler handler, void *ctx)
{
    for (;;) {
        enum next_result got = stopping ? NEXT_STOP : next_invocation(rt);
        if (got == NEXT_STOP) {
            log_msg(LOG_INFO, "SIGTERM: exiting");
            return 0;
        }
        if (got == NEXT_FATAL || serve(rt, handler, ctx) != 0)
            return 1;
    }
}

int runtime_run_handler(runtime_handler handler, void *ctx)
{
    char err[256];
    runtime *rt = runtime_new(err, sizeof err);
    if (rt == NULL) {
        log_msg(LOG_FATAL, "%s", err);
        return 1;
    }
    int rc = runtime_run(rt, handler, ctx);
    runtime_free(rt);
    return rc;
}
