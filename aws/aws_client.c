/* aws_client.c: the configuration, endpoint, credentials, connection pool
 * and retry loop that the service clients of aws/ share (aws/aws_client.h). */
#include "aws/aws_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws/scrub.h"
#include "common/buf.h"
#include "common/log.h"

#define RESPONSE_LIMIT (1024 * 1024)

/* One connection: a CURL handle (keep-alive) and its response buffer, used
 * by one call at a time. */
struct aws_conn {
    CURL *curl;
    buf response;
    struct aws_conn *next; /* in the client's idle list */
};

static char *dup_or_null(const char *s)
{
    return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

static void free_secret(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Splits url into the Host header value and the path. */
static int parse_endpoint(aws_client *c, const char *url, char *err, size_t errlen)
{
    int rc = -1;
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *full = NULL;
    CURLU *u = curl_url();
    if (u == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || *host == '\0') {
        snprintf(err, errlen, "%s endpoint \"%.200s\" is not a URL with a scheme and a host",
                 c->service, url);
        goto cleanup;
    }
    if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0) {
        snprintf(err, errlen, "%s endpoint \"%.200s\" must use http or https", c->service, url);
        goto cleanup;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query != NULL) {
        snprintf(err, errlen, "%s endpoint \"%.200s\" must not have a query string", c->service,
                 url);
        goto cleanup;
    }
    c->https = strcasecmp(scheme, "https") == 0;
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
        port = NULL;
    if (curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) != CURLUE_OK)
        path = NULL;
    if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK)
        goto cleanup;
    size_t hl = strlen(host) + (port ? strlen(port) + 1 : 0) + 1;
    c->host = malloc(hl);
    c->path = strdup(path != NULL && *path != '\0' ? path : "/");
    c->endpoint = strdup(full);
    if (c->host == NULL || c->path == NULL || c->endpoint == NULL) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    /* Like curl's own Host header: the port only when it is not the default. */
    if (port != NULL && strcmp(port, c->https ? "443" : "80") != 0)
        snprintf(c->host, hl, "%s:%s", host, port);
    else
        snprintf(c->host, hl, "%s", host);
    rc = 0;
cleanup:
    curl_free(full);
    curl_free(query);
    curl_free(path);
    curl_free(port);
    curl_free(host);
    curl_free(scheme);
    curl_url_cleanup(u);
    return rc;
}

static int config_ok(const aws_client_config *cfg, char *err, size_t errlen)
{
    const retry_policy *r = &cfg->retry;
    if (cfg->region == NULL || *cfg->region == '\0') {
        snprintf(err, errlen, "%s client: no region", cfg->service);
        return 0;
    }
    if (cfg->access_key_id == NULL || *cfg->access_key_id == '\0' ||
        cfg->secret_access_key == NULL || *cfg->secret_access_key == '\0') {
        snprintf(err, errlen, "%s client: no credentials (access key id and secret key)",
                 cfg->service);
        return 0;
    }
    if (r->max_attempts < 1 || cfg->connect_timeout_ms <= 0 || cfg->attempt_timeout_ms <= 0 ||
        r->base_delay_ms < 0 || r->throttling_base_delay_ms < 0 || r->max_backoff_ms < 0 ||
        cfg->safety_margin_ms < 0) {
        snprintf(err, errlen, "%s client: attempts and timeouts must be positive", cfg->service);
        return 0;
    }
    return 1;
}

aws_client *aws_client_new(const aws_client_config *cfg, size_t size, char *err, size_t errlen)
{
    char fallback[256];
    aws_client *c = NULL, *result = NULL;
    if (!config_ok(cfg, err, errlen))
        return NULL;
    c = calloc(1, size > sizeof *c ? size : sizeof *c);
    if (c == NULL || pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        c = NULL;
        snprintf(err, errlen, "%s client: out of memory", cfg->service);
        goto cleanup;
    }
    c->service = cfg->service;
    c->endpoint_prefix = cfg->endpoint_prefix;
    c->region = strdup(cfg->region);
    c->access_key_id = strdup(cfg->access_key_id);
    c->secret_access_key = strdup(cfg->secret_access_key);
    c->session_token = dup_or_null(cfg->session_token);
    c->ca_file = dup_or_null(cfg->ca_file);
    if (c->region == NULL || c->access_key_id == NULL || c->secret_access_key == NULL ||
        (cfg->session_token != NULL && *cfg->session_token && c->session_token == NULL) ||
        (cfg->ca_file != NULL && *cfg->ca_file && c->ca_file == NULL)) {
        snprintf(err, errlen, "%s client: out of memory", cfg->service);
        goto cleanup;
    }
    c->connect_timeout_ms = cfg->connect_timeout_ms;
    c->attempt_timeout_ms = cfg->attempt_timeout_ms;
    c->safety_margin_ms = cfg->safety_margin_ms;
    c->retry = cfg->retry;
    retry_quota_init(&c->quota);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    c->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
             (uint64_t)(uintptr_t)c;
    if (c->rng == 0)
        c->rng = 0x9e3779b97f4a7c15ULL;
    const char *endpoint = cfg->endpoint;
    if (endpoint == NULL || *endpoint == '\0') {
        snprintf(fallback, sizeof fallback, "https://%s.%s.amazonaws.com%s/", cfg->endpoint_prefix,
                 cfg->region, strncmp(cfg->region, "cn-", 3) == 0 ? ".cn" : "");
        endpoint = fallback;
    }
    if (parse_endpoint(c, endpoint, err, errlen) != 0)
        goto cleanup;
    result = c;
    c = NULL;
cleanup:
    aws_client_free(c);
    return result;
}

void aws_client_free(aws_client *c)
{
    if (c == NULL)
        return;
    while (c->idle != NULL) {
        aws_conn *next = c->idle->next;
        curl_easy_cleanup(c->idle->curl);
        buf_free(&c->idle->response);
        free(c->idle);
        c->idle = next;
    }
    pthread_mutex_destroy(&c->mu);
    free(c->region);
    free(c->endpoint);
    free(c->host);
    free(c->path);
    free(c->access_key_id);
    free_secret(c->secret_access_key);
    free_secret(c->session_token);
    free(c->ca_file);
    free(c);
}

void aws_client_secrets(const aws_client *c, const char *out[2])
{
    out[0] = c != NULL ? c->secret_access_key : NULL;
    out[1] = c != NULL ? c->session_token : NULL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    buf *b = ctx;
    size_t n = size * nmemb;
    if (b->len + n > RESPONSE_LIMIT || buf_append(b, data, n) != 0)
        return 0;
    return n;
}

static const char *find_ca_bundle(const aws_client *c)
{
    static const char *const paths[] = {"/etc/pki/tls/certs/ca-bundle.crt",
                                        "/etc/ssl/certs/ca-certificates.crt"};
    if (c->ca_file != NULL)
        return c->ca_file;
    const char *env = getenv("SSL_CERT_FILE");
    if (env != NULL && *env != '\0')
        return env;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], R_OK) == 0)
            return paths[i];
    return NULL;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void init_curl(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* A connection of the client's: an idle one (its TLS session kept alive), or
 * a new one.  NULL when libcurl cannot be set up. */
static aws_conn *take_conn(aws_client *c)
{
    char agent[64];
    pthread_mutex_lock(&c->mu);
    aws_conn *k = c->idle;
    if (k != NULL)
        c->idle = k->next;
    pthread_mutex_unlock(&c->mu);
    if (k != NULL)
        return k;
    /* libcurl's global set-up, once per process before the first handle (it
     * is not safe to race with another thread's). */
    pthread_once(&curl_once, init_curl);
    k = calloc(1, sizeof *k);
    if (curl_init_result != CURLE_OK || k == NULL || (k->curl = curl_easy_init()) == NULL) {
        free(k);
        return NULL;
    }
    CURL *h = k->curl;
    snprintf(agent, sizeof agent, "iris-lambda/1.0 %s", c->endpoint_prefix);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &k->response);
    curl_easy_setopt(h, CURLOPT_USERAGENT, agent); /* libcurl keeps its own copy */
    if (c->https) {
        const char *ca = find_ca_bundle(c);
        if (ca != NULL)
            curl_easy_setopt(h, CURLOPT_CAINFO, ca);
        else
            log_msg(LOG_WARN, "no CA bundle found (set SSL_CERT_FILE); using libcurl's default");
    }
    return k;
}

static void give_back_conn(aws_client *c, aws_conn *k)
{
    pthread_mutex_lock(&c->mu);
    k->next = c->idle;
    c->idle = k;
    pthread_mutex_unlock(&c->mu);
}

static int transport_retryable(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
        return 1;
    default:
        return 0;
    }
}

/* The request's headers as a curl list; NULL on allocation failure. */
static struct curl_slist *header_list(const aws_http_request *req)
{
    struct curl_slist *headers = NULL;
    for (size_t i = 0; i < req->nheaders; i++) {
        struct curl_slist *t = curl_slist_append(headers, req->headers[i]);
        if (t == NULL) {
            curl_slist_free_all(headers);
            return NULL;
        }
        headers = t;
    }
    return headers;
}

/* A failed transfer: its code and scrubbed text in st. */
static int transport_failure(const aws_client *c, CURLcode cc, aws_status *st,
                             enum retry_error_kind *kind)
{
    char text[256];
    const char *secrets[2];
    aws_client_secrets(c, secrets);
    snprintf(st->code, st->code_cap, "%s",
             cc == CURLE_OPERATION_TIMEDOUT ? "Timeout" : "ConnectionError");
    snprintf(text, sizeof text, "%s (curl error %d)", curl_easy_strerror(cc), (int)cc);
    scrub_peer_text(st->message, st->message_cap, text, strlen(text), secrets, 2);
    *kind = retry_classify(0, NULL, transport_retryable(cc) ? 1 : 2);
    return AWS_ERR_TRANSPORT;
}

/* One request; fills st.  Returns AWS_OK, AWS_ERR_SERVICE or
 * AWS_ERR_TRANSPORT (or the build's failure), with the failure's kind for
 * the retry decision. */
static int attempt(aws_client *c, aws_conn *k, const aws_call *call, long timeout_ms,
                   aws_status *st, enum retry_error_kind *kind)
{
    aws_http_request req = {0};
    struct curl_slist *headers = NULL;
    *kind = RETRY_CLIENT_ERROR;
    int rc = call->build(call->ctx, time(NULL), &req);
    if (rc != AWS_OK) {
        snprintf(st->code, st->code_cap, "ClientError");
        snprintf(st->message, st->message_cap, "building the request: %s",
                 rc == AWS_ERR_NOMEM ? "out of memory" : "invalid request");
        goto cleanup;
    }
    if ((headers = header_list(&req)) == NULL) {
        rc = AWS_ERR_NOMEM;
        goto cleanup;
    }
    CURL *h = k->curl;
    buf_reset(&k->response);
    curl_easy_setopt(h, CURLOPT_URL, req.url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req.body_len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    (*st->attempts)++;
    *st->http_status = 0;
    st->code[0] = st->message[0] = '\0';
    CURLcode cc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    if (cc != CURLE_OK) {
        rc = transport_failure(c, cc, st, kind);
        goto cleanup;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, st->http_status);
    if (call->answer(call->ctx, k->response.data, k->response.len, st) == 0) {
        rc = AWS_OK;
        goto cleanup;
    }
    *kind = retry_classify(*st->http_status, st->code, 0);
    rc = AWS_ERR_SERVICE;
cleanup:
    curl_slist_free_all(headers);
    call->release(call->ctx, &req);
    return rc;
}

/* A uniform random number in [0, 1) for the backoff's jitter (xorshift64*,
 * not for security); with c->mu held. */
static double jitter(aws_client *c)
{
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return (double)((c->rng * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}

int aws_client_call(aws_client *c, const aws_call *call, int64_t deadline_ms, aws_status *st)
{
    int64_t limit = deadline_ms > 0 ? deadline_ms - c->safety_margin_ms : 0;
    if (deadline_ms > 0 && limit < 1)
        limit = 1; /* a deadline, already passed */
    if (limit > 0 && now_ms() >= limit) {
        snprintf(st->code, st->code_cap, "DeadlineExceeded");
        snprintf(st->message, st->message_cap,
                 "no time left before the invocation deadline (safety margin %ld ms)",
                 c->safety_margin_ms);
        return AWS_ERR_DEADLINE;
    }
    aws_conn *k = take_conn(c);
    if (k == NULL) {
        snprintf(st->code, st->code_cap, "ClientError");
        snprintf(st->message, st->message_cap, "curl_easy_init failed");
        return AWS_ERR_TRANSPORT;
    }
    int rc = AWS_ERR_TRANSPORT, last_cost = 0;
    for (int i = 1;; i++) {
        long timeout = c->attempt_timeout_ms;
        if (limit > 0 && limit - now_ms() < timeout)
            timeout = (long)(limit - now_ms());
        if (timeout < 1)
            break; /* only after a retry: the first attempt was checked above */
        enum retry_error_kind kind;
        rc = attempt(c, k, call, timeout, st, &kind);
        retry_decision d;
        int quota_left;
        pthread_mutex_lock(&c->mu);
        if (rc == AWS_OK)
            retry_record_success(&c->quota, last_cost);
        else
            retry_decide(&c->retry, &c->quota, kind, i, jitter(c), now_ms(), limit, &d);
        quota_left = c->quota.capacity;
        pthread_mutex_unlock(&c->mu);
        if (rc == AWS_OK)
            break;
        if (!d.retry) {
            if (kind != RETRY_CLIENT_ERROR)
                log_msg(LOG_WARN, "%s %s attempt %d failed (%s, %s): %s", c->service, call->op, i,
                        st->code, retry_kind_name(kind), d.reason);
            break;
        }
        log_msg(LOG_WARN,
                "%s %s attempt %d of %d failed: %s (HTTP %ld, %s); retrying in %ld ms "
                "(retry quota %d left)",
                c->service, call->op, i, c->retry.max_attempts, st->code, *st->http_status,
                retry_kind_name(kind), d.delay_ms, quota_left);
        sleep_ms(d.delay_ms);
        last_cost = d.cost;
    }
    give_back_conn(c, k);
    return rc;
}
