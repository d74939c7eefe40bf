/* sns.c: the SNS client: configuration, the libcurl transport, and the
 * publish loop with the AWS SDKs' standard retries (aws/retry.h).  The wire
 * format is in aws/sns_query.c. */
#include "aws/sns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws/sns_internal.h"
#include "common/log.h"

#define RESPONSE_LIMIT (1024 * 1024)

void sns_config_defaults(sns_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_ms = 2000;
    cfg->attempt_timeout_ms = 5000;
    cfg->max_attempts = RETRY_MAX_ATTEMPTS;
    cfg->backoff_base_ms = RETRY_BASE_DELAY_MS;
    cfg->throttling_backoff_base_ms = RETRY_THROTTLING_BASE_DELAY_MS;
    cfg->backoff_cap_ms = RETRY_MAX_BACKOFF_MS;
    cfg->safety_margin_ms = 300;
}

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

/* With c->mu held. */
static uint64_t next_random(sns_client *c)
{
    /* xorshift64*: backoff jitter only, not security. */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return c->rng * 2685821657736338717ULL;
}

/* Splits the endpoint into the Host header value and the path. */
static int parse_endpoint(sns_client *c, const char *url, char *err, size_t errlen)
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
        snprintf(err, errlen, "SNS endpoint \"%s\" is not a URL with a scheme and a host", url);
        goto cleanup;
    }
    if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0) {
        snprintf(err, errlen, "SNS endpoint \"%s\" must use http or https", url);
        goto cleanup;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query != NULL) {
        snprintf(err, errlen, "SNS endpoint \"%s\" must not have a query string", url);
        goto cleanup;
    }
    c->https = strcasecmp(scheme, "https") == 0;
    const char *default_port = c->https ? "443" : "80";
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
    if (port != NULL && strcmp(port, default_port) != 0)
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

sns_client *sns_client_new(const sns_config *cfg, char *err, size_t errlen)
{
    char fallback[256];
    sns_client *c = NULL, *result = NULL;
    if (cfg->region == NULL || *cfg->region == '\0') {
        snprintf(err, errlen, "SNS client: no region");
        return NULL;
    }
    if (cfg->access_key_id == NULL || *cfg->access_key_id == '\0' ||
        cfg->secret_access_key == NULL || *cfg->secret_access_key == '\0') {
        snprintf(err, errlen, "SNS client: no credentials (access key id and secret key)");
        return NULL;
    }
    if (cfg->max_attempts < 1 || cfg->connect_timeout_ms <= 0 || cfg->attempt_timeout_ms <= 0 ||
        cfg->backoff_base_ms < 0 || cfg->throttling_backoff_base_ms < 0 ||
        cfg->backoff_cap_ms < 0 || cfg->safety_margin_ms < 0) {
        snprintf(err, errlen, "SNS client: attempts and timeouts must be positive");
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL || pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        c = NULL;
        snprintf(err, errlen, "SNS client: out of memory");
        goto cleanup;
    }
    c->region = strdup(cfg->region);
    c->access_key_id = strdup(cfg->access_key_id);
    c->secret_access_key = strdup(cfg->secret_access_key);
    c->session_token = dup_or_null(cfg->session_token);
    c->ca_file = dup_or_null(cfg->ca_file);
    if (c->region == NULL || c->access_key_id == NULL || c->secret_access_key == NULL ||
        (cfg->session_token != NULL && *cfg->session_token && c->session_token == NULL) ||
        (cfg->ca_file != NULL && *cfg->ca_file && c->ca_file == NULL)) {
        snprintf(err, errlen, "SNS client: out of memory");
        goto cleanup;
    }
    c->connect_timeout_ms = cfg->connect_timeout_ms;
    c->attempt_timeout_ms = cfg->attempt_timeout_ms;
    c->retry.max_attempts = cfg->max_attempts;
    c->retry.base_delay_ms = cfg->backoff_base_ms;
    c->retry.throttling_base_delay_ms = cfg->throttling_backoff_base_ms;
    c->retry.max_backoff_ms = cfg->backoff_cap_ms;
    retry_quota_init(&c->quota);
    c->safety_margin_ms = cfg->safety_margin_ms;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    c->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
             (uint64_t)(uintptr_t)c;
    if (c->rng == 0)
        c->rng = 0x9e3779b97f4a7c15ULL;
    const char *endpoint = cfg->endpoint;
    if (endpoint == NULL || *endpoint == '\0') {
        snprintf(fallback, sizeof fallback, "https://sns.%s.amazonaws.com%s/", cfg->region,
                 strncmp(cfg->region, "cn-", 3) == 0 ? ".cn" : "");
        endpoint = fallback;
    }
    if (parse_endpoint(c, endpoint, err, errlen) != 0)
        goto cleanup;
    result = c;
    c = NULL;
cleanup:
    sns_client_free(c);
    return result;
}

void sns_client_free(sns_client *c)
{
    if (c == NULL)
        return;
    while (c->idle != NULL) {
        sns_conn *next = c->idle->next;
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

const char *sns_client_endpoint(const sns_client *c)
{
    return c->endpoint;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    buf *b = ctx;
    size_t n = size * nmemb;
    if (b->len + n > RESPONSE_LIMIT || buf_append(b, data, n) != 0)
        return 0;
    return n;
}

static const char *find_ca_bundle(const sns_client *c)
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
 * a new one.  NULL with res set when libcurl cannot be set up. */
static sns_conn *take_conn(sns_client *c, sns_result *res)
{
    pthread_mutex_lock(&c->mu);
    sns_conn *k = c->idle;
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
        snprintf(res->error_code, sizeof res->error_code, "ClientError");
        snprintf(res->error_message, sizeof res->error_message, "curl_easy_init failed");
        return NULL;
    }
    CURL *h = k->curl;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &k->response);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "iris-lambda/1.0 sns");
    if (c->https) {
        const char *ca = find_ca_bundle(c);
        if (ca != NULL)
            curl_easy_setopt(h, CURLOPT_CAINFO, ca);
        else
            log_msg(LOG_WARN, "no CA bundle found (set SSL_CERT_FILE); using libcurl's default");
    }
    return k;
}

static void give_back_conn(sns_client *c, sns_conn *k)
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

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The request's headers as a curl list; NULL on allocation failure. */
static struct curl_slist *header_list(const sns_request *req)
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

/* A failed transfer: its code and scrubbed text in res. */
static int transport_failure(sns_client *c, CURLcode cc, sns_result *res,
                             enum retry_error_kind *kind)
{
    char text[256];
    snprintf(res->error_code, sizeof res->error_code, "%s",
             cc == CURLE_OPERATION_TIMEDOUT ? "Timeout" : "ConnectionError");
    snprintf(text, sizeof text, "%s (curl error %d)", curl_easy_strerror(cc), (int)cc);
    sns_scrub_for(c, res->error_message, sizeof res->error_message, text);
    *kind = retry_classify(0, NULL, transport_retryable(cc) ? 1 : 2);
    return SNS_ERR_TRANSPORT;
}

/* An HTTP answer: SNS_OK with a MessageId, else the (scrubbed) error. */
static int service_answer(sns_client *c, sns_conn *k, sns_result *res,
                          enum retry_error_kind *kind)
{
    curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &res->http_status);
    int parsed = sns_parse_response_for(c, k->response.data, k->response.len, res);
    if (res->http_status >= 200 && res->http_status < 300 && res->message_id[0] != '\0')
        return SNS_OK;
    if (parsed != 0 || res->error_code[0] == '\0') {
        snprintf(res->error_code, sizeof res->error_code, "HttpError");
        snprintf(res->error_message, sizeof res->error_message,
                 "HTTP %ld without an SNS %s in the body", res->http_status,
                 res->http_status < 300 ? "MessageId" : "error");
    }
    *kind = retry_classify(res->http_status, res->error_code, 0);
    return SNS_ERR_SERVICE;
}

/* One request; fills res.  Returns SNS_OK, SNS_ERR_SERVICE or SNS_ERR_TRANSPORT,
 * with the failure's kind for the retry decision. */
static int attempt(sns_client *c, sns_conn *k, const sns_message *m, long timeout_ms,
                   sns_result *res, enum retry_error_kind *kind)
{
    sns_request req;
    struct curl_slist *headers = NULL;
    int rc = sns_build_publish(c, m, time(NULL), &req);
    *kind = RETRY_CLIENT_ERROR;
    if (rc != SNS_OK) {
        snprintf(res->error_code, sizeof res->error_code, "ClientError");
        snprintf(res->error_message, sizeof res->error_message, "building the request: %s",
                 sns_strerror(rc));
        return rc;
    }
    if ((headers = header_list(&req)) == NULL) {
        rc = SNS_ERR_NOMEM;
        goto cleanup;
    }
    CURL *h = k->curl;
    buf_reset(&k->response);
    curl_easy_setopt(h, CURLOPT_URL, req.url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req.body.len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    res->attempts++;
    res->message_id[0] = res->error_code[0] = res->error_message[0] = '\0';
    res->request_id[0] = '\0';
    res->http_status = 0;
    CURLcode cc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    rc = cc != CURLE_OK ? transport_failure(c, cc, res, kind) : service_answer(c, k, res, kind);
cleanup:
    curl_slist_free_all(headers);
    sns_request_free(&req);
    return rc;
}

/* A uniform random number in [0, 1) for the backoff's jitter; with c->mu held. */
static double jitter(sns_client *c)
{
    return (double)(next_random(c) >> 11) * (1.0 / 9007199254740992.0);
}

static int deadline_exceeded(const sns_client *c, sns_result *res)
{
    snprintf(res->error_code, sizeof res->error_code, "DeadlineExceeded");
    snprintf(res->error_message, sizeof res->error_message,
             "no time left before the invocation deadline (safety margin %ld ms)",
             c->safety_margin_ms);
    return SNS_ERR_DEADLINE;
}

int sns_publish(sns_client *c, const sns_message *m, int64_t deadline_ms, sns_result *res)
{
    memset(res, 0, sizeof *res);
    if (c == NULL || m == NULL || sns_validate_message(m, res) != 0)
        return SNS_ERR_INVALID;
    int64_t limit = deadline_ms > 0 ? deadline_ms - c->safety_margin_ms : 0;
    if (deadline_ms > 0 && limit < 1)
        limit = 1; /* a deadline, already passed */
    if (limit > 0 && now_ms() >= limit)
        return deadline_exceeded(c, res);
    sns_conn *k = take_conn(c, res);
    if (k == NULL)
        return SNS_ERR_TRANSPORT;

    int rc = SNS_ERR_TRANSPORT, last_cost = 0;
    for (int i = 1;; i++) {
        long timeout = c->attempt_timeout_ms;
        if (limit > 0 && limit - now_ms() < timeout)
            timeout = (long)(limit - now_ms());
        if (timeout < 1)
            break; /* only after a retry: the first attempt was checked above */
        enum retry_error_kind kind;
        rc = attempt(c, k, m, timeout, res, &kind);
        retry_decision d;
        int quota_left;
        pthread_mutex_lock(&c->mu);
        if (rc == SNS_OK)
            retry_record_success(&c->quota, last_cost);
        else
            retry_decide(&c->retry, &c->quota, kind, i, jitter(c), now_ms(), limit, &d);
        quota_left = c->quota.capacity;
        pthread_mutex_unlock(&c->mu);
        if (rc == SNS_OK)
            break;
        if (!d.retry) {
            if (kind != RETRY_CLIENT_ERROR)
                log_msg(LOG_WARN, "SNS Publish attempt %d failed (%s, %s): %s", i, res->error_code,
                        retry_kind_name(kind), d.reason);
            break;
        }
        log_msg(LOG_WARN,
                "SNS Publish attempt %d of %d failed: %s (HTTP %ld, %s); retrying in %ld ms "
                "(retry quota %d left)",
                i, c->retry.max_attempts, res->error_code, res->http_status, retry_kind_name(kind),
                d.delay_ms, quota_left);
        sleep_ms(d.delay_ms);
        last_cost = d.cost;
    }
    give_back_conn(c, k);
    return rc;
}

const char *sns_strerror(int status)
{
    switch (status) {
    case SNS_OK:
        return "ok";
    case SNS_ERR_INVALID:
        return "invalid SNS request";
    case SNS_ERR_NOMEM:
        return "out of memory";
    case SNS_ERR_SERVICE:
        return "SNS returned an error";
    case SNS_ERR_TRANSPORT:
        return "could not reach SNS";
    case SNS_ERR_DEADLINE:
        return "no time left before the deadline";
    default:
        return "unknown SNS error";
    }
}
