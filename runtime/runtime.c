/* runtime.c: AWS Lambda Runtime API client over one reused libcurl handle. */
#include "runtime/runtime.h"

#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "common/buf.h"
#include "common/log.h"

#define API_PREFIX "/2018-06-01/runtime"
#define NEXT_RETRIES 5     /* connection failures tolerated on /next */
#define NEXT_BACKOFF_MS 50 /* first retry delay, doubled each time */
#define POST_TIMEOUT_S 30L /* posting a response to a local endpoint */
#define CONNECT_TIMEOUT_MS 2000L
#define HEADER_MAX 1024

struct runtime {
    CURL *curl;
    char base[256]; /* http://host:port/2018-06-01/runtime */
    char url[512];
    buf body; /* response body of the last request */
    char errbuf[CURL_ERROR_SIZE];
    /* headers of the last /next response */
    char request_id[HEADER_MAX];
    char trace_id[HEADER_MAX];
    char function_arn[HEADER_MAX];
    char deadline[64];
    char *client_context; /* may be large: malloc'd */
    char *cognito_identity;
    int got_status; /* the status line of the current response arrived */
    int in_poll;    /* the current request is the GET /next long poll */
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

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    runtime *rt = userp;
    return buf_append(&rt->body, data, size * n) == 0 ? size * n : 0;
}

/* When the header line is "name: value", points *v at the trimmed value. */
static int header_value(const char *line, size_t len, const char *name, const char **v,
                        size_t *vlen)
{
    size_t nlen = strlen(name);
    if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen) != 0)
        return 0;
    const char *s = line + nlen + 1;
    const char *end = line + len;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    *v = s;
    *vlen = (size_t)(end - s);
    return 1;
}

/* Copies a header value (truncated to outlen - 1) when name matches. */
static int take_header(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
    const char *v;
    size_t vlen;
    if (!header_value(line, len, name, &v, &vlen))
        return 0;
    if (vlen >= outlen)
        vlen = outlen - 1;
    memcpy(out, v, vlen);
    out[vlen] = '\0';
    return 1;
}

static char *dup_header(const char *line, size_t len, const char *name)
{
    const char *v;
    size_t vlen;
    return header_value(line, len, name, &v, &vlen) ? strndup(v, vlen) : NULL;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    runtime *rt = userp;
    size_t len = size * n;
    char *d;
    rt->got_status = 1;
    /* Size the body buffer once from Content-Length (a 6 MB batch would
     * otherwise be copied through every doubling). */
    char clen[32];
    if (take_header(data, len, "Content-Length", clen, sizeof clen)) {
        unsigned long long want = strtoull(clen, NULL, 10);
        if (want > 0 && want < (1ULL << 31))
            buf_reserve(&rt->body, (size_t)want);
        return len;
    }
    if (take_header(data, len, "Lambda-Runtime-Aws-Request-Id", rt->request_id,
                    sizeof rt->request_id) ||
        take_header(data, len, "Lambda-Runtime-Trace-Id", rt->trace_id, sizeof rt->trace_id) ||
        take_header(data, len, "Lambda-Runtime-Invoked-Function-Arn", rt->function_arn,
                    sizeof rt->function_arn) ||
        take_header(data, len, "Lambda-Runtime-Deadline-Ms", rt->deadline, sizeof rt->deadline))
        return len;
    if ((d = dup_header(data, len, "Lambda-Runtime-Client-Context")) != NULL) {
        free(rt->client_context);
        rt->client_context = d;
    } else if ((d = dup_header(data, len, "Lambda-Runtime-Cognito-Identity")) != NULL) {
        free(rt->cognito_identity);
        rt->cognito_identity = d;
    }
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
    runtime *rt = calloc(1, sizeof *rt);
    if (rt == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(rt->base, sizeof rt->base, "http://%s" API_PREFIX, api);
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
    free(rt->client_context);
    free(rt->cognito_identity);
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
        curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
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

/* {"errorMessage":..,"errorType":..,"stackTrace":[]} */
static char *error_body(const char *type, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "errorMessage", message);
    cJSON_AddStringToObject(o, "errorType", type);
    cJSON_AddItemToObject(o, "stackTrace", cJSON_CreateArray());
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* POSTs an error document to path.  Returns the HTTP status, or -1 when the
 * request could not be made. */
static long post_error(runtime *rt, const char *path, const char *type, const char *message)
{
    char *body = error_body(type, message);
    if (body == NULL)
        return -1;
    char typeh[300];
    snprintf(typeh, sizeof typeh, "Lambda-Runtime-Function-Error-Type: %s", type);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, typeh);
    h = curl_slist_append(h, "Expect:");
    long status;
    CURLcode rc = perform(rt, path, "POST", body, strlen(body), h, POST_TIMEOUT_S, &status);
    curl_slist_free_all(h);
    free(body);
    if (rc != CURLE_OK) {
        log_msg(LOG_ERROR, "posting %s to the Runtime API failed: %s", type, curl_reason(rt, rc));
        return -1;
    }
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

/* Waits for the next invocation.  Returns 1 with an invocation in rt, 0 when
 * stopping (SIGTERM), -1 on a fatal condition (already logged). */
static int next_invocation(runtime *rt)
{
    int delay = NEXT_BACKOFF_MS;
    for (int attempt = 0;; attempt++) {
        rt->request_id[0] = rt->trace_id[0] = rt->function_arn[0] = rt->deadline[0] = '\0';
        free(rt->client_context);
        free(rt->cognito_identity);
        rt->client_context = rt->cognito_identity = NULL;
        long status;
        rt->in_poll = 1;
        CURLcode rc = perform(rt, "/invocation/next", "GET", NULL, 0, NULL, 0L, &status);
        rt->in_poll = 0;
        if (rc == CURLE_ABORTED_BY_CALLBACK && stopping)
            return 0;
        if (rc == CURLE_OK && status == 200) {
            if (rt->request_id[0] == '\0') {
                log_msg(LOG_FATAL, "the Runtime API sent an invocation without "
                                   "Lambda-Runtime-Aws-Request-Id; exiting");
                return -1;
            }
            return 1;
        }
        if (rc == CURLE_OK) {
            /* 500: the runtime is in a non-recoverable state; 403 and the rest
             * are not going to change by asking again. */
            log_msg(LOG_FATAL,
                    "the Runtime API answered %ld to GET /invocation/next: %.200s; "
                    "exiting",
                    status, rt->body.data ? rt->body.data : "");
            return -1;
        }
        if (stopping)
            return 0;
        if (attempt >= NEXT_RETRIES) {
            log_msg(LOG_FATAL, "cannot reach the Runtime API at %s after %d attempts: %s; exiting",
                    rt->base, attempt + 1, curl_reason(rt, rc));
            return -1;
        }
        log_msg(LOG_WARN, "GET /invocation/next failed (%s); retrying in %d ms",
                curl_reason(rt, rc), delay);
        struct timespec ts = {delay / 1000, (long)(delay % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stopping)
            ;
        delay *= 2;
    }
}

/* Posts the handler's outcome.  Returns 0 to go on, -1 to stop (fatal). */
static int post_outcome(runtime *rt, const char *request_id, runtime_invocation_response *res)
{
    char path[HEADER_MAX + 64];
    long status;
    if (res->success) {
        char ctype[160];
        snprintf(ctype, sizeof ctype, "Content-Type: %s", res->content_type);
        struct curl_slist *h = curl_slist_append(NULL, ctype);
        h = curl_slist_append(h, "Expect:");
        snprintf(path, sizeof path, "/invocation/%s/response", request_id);
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
            char msg[200];
            snprintf(msg, sizeof msg,
                     "response payload of %zu bytes exceeds the Runtime API's limit",
                     res->payload_len);
            log_msg(LOG_ERROR, "%s", msg);
            snprintf(path, sizeof path, "/invocation/%s/error", request_id);
            status = post_error(rt, path, "Function.ResponseSizeTooLarge", msg);
            return status == 500 || status == -1 ? -1 : 0;
        }
        if (status >= 500) {
            log_msg(LOG_FATAL, "the Runtime API answered %ld to the response; exiting", status);
            return -1;
        }
        log_msg(LOG_ERROR, "the Runtime API rejected the response with %ld: %.200s", status,
                rt->body.data ? rt->body.data : "");
        return 0;
    }
    snprintf(path, sizeof path, "/invocation/%s/error", request_id);
    status = post_error(rt, path, res->error_type, res->error_message);
    if (status == 202)
        return 0;
    if (status == -1 || status >= 500) {
        log_msg(LOG_FATAL, "the Runtime API answered %ld to the error report; exiting", status);
        return -1;
    }
    log_msg(LOG_ERROR, "the Runtime API rejected the error report with %ld", status);
    return 0;
}

int runtime_run(runtime *rt, runtime_handler handler, void *ctx)
{
    for (;;) {
        if (stopping) {
            log_msg(LOG_INFO, "SIGTERM: exiting");
            return 0;
        }
        int got = next_invocation(rt);
        if (got == 0) {
            log_msg(LOG_INFO, "SIGTERM: exiting");
            return 0;
        }
        if (got < 0)
            return 1;

        char request_id[HEADER_MAX];
        memcpy(request_id, rt->request_id, sizeof request_id);
        if (rt->trace_id[0] != '\0')
            setenv("_X_AMZN_TRACE_ID", rt->trace_id, 1);
        else
            unsetenv("_X_AMZN_TRACE_ID");
        log_set_request_id(request_id);

        runtime_invocation_request req = {
            .payload = rt->body.data ? rt->body.data : "",
            .payload_len = rt->body.len,
            .request_id = request_id,
            .xray_trace_id = rt->trace_id,
            .client_context = rt->client_context ? rt->client_context : "",
            .cognito_identity = rt->cognito_identity ? rt->cognito_identity : "",
            .function_arn = rt->function_arn,
            .deadline_ms = strtoll(rt->deadline, NULL, 10),
            .owner = rt,
        };
        runtime_invocation_response res = handler(&req, ctx);
        int rc = post_outcome(rt, request_id, &res);
        response_free(&res);
        log_set_request_id(NULL);
        if (rc != 0)
            return 1;
    }
}

int run_handler(runtime_handler handler, void *ctx)
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
