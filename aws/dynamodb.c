/* dynamodb.c: the DynamoDB JSON API client: configuration, signing, the
 * libcurl transport and the standard retries (aws/retry.h). */
#include "aws/dynamodb.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws/retry.h"
#include "aws/scrub.h"
#include "aws/sigv4.h"
#include "common/log.h"

#define RESPONSE_LIMIT (1024 * 1024)
#define CONTENT_TYPE "application/x-amz-json-1.0"
#define TARGET_PREFIX "DynamoDB_20120810."

typedef struct ddb_conn {
    CURL *curl;
    buf response;
    struct ddb_conn *next;
} ddb_conn;

struct ddb_client {
    char *region, *endpoint, *host, *path;
    int https;
    char *access_key_id, *secret_access_key, *session_token, *ca_file;
    long connect_timeout_ms, attempt_timeout_ms, safety_margin_ms;
    retry_policy retry;
    pthread_mutex_t mu; /* guards quota, rng and idle; never held across a request */
    retry_quota quota;
    uint64_t rng;
    ddb_conn *idle;
};

void ddb_config_defaults(ddb_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_ms = 1000;
    cfg->attempt_timeout_ms = 2000;
    cfg->max_attempts = RETRY_MAX_ATTEMPTS;
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

/* Splits url into the Host header value (port only when not the default)
 * and the path. */
static int parse_endpoint(ddb_client *c, const char *url, char *err, size_t errlen)
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
        snprintf(err, errlen, "DynamoDB endpoint \"%.200s\" is not a URL with a scheme and a host",
                 url);
        goto cleanup;
    }
    if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0) {
        snprintf(err, errlen, "DynamoDB endpoint \"%.200s\" must use http or https", url);
        goto cleanup;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query != NULL) {
        snprintf(err, errlen, "DynamoDB endpoint \"%.200s\" must not have a query string", url);
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

ddb_client *ddb_client_new(const ddb_config *cfg, char *err, size_t errlen)
{
    char fallback[256];
    ddb_client *c = NULL, *result = NULL;
    if (cfg->region == NULL || *cfg->region == '\0' || cfg->access_key_id == NULL ||
        *cfg->access_key_id == '\0' || cfg->secret_access_key == NULL ||
        *cfg->secret_access_key == '\0') {
        snprintf(err, errlen, "DynamoDB client: needs a region and credentials");
        return NULL;
    }
    if (cfg->max_attempts < 1 || cfg->connect_timeout_ms <= 0 || cfg->attempt_timeout_ms <= 0 ||
        cfg->safety_margin_ms < 0) {
        snprintf(err, errlen, "DynamoDB client: attempts and timeouts must be positive");
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL || pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        c = NULL;
        snprintf(err, errlen, "DynamoDB client: out of memory");
        goto cleanup;
    }
    c->region = strdup(cfg->region);
    c->access_key_id = strdup(cfg->access_key_id);
    c->secret_access_key = strdup(cfg->secret_access_key);
    c->session_token = dup_or_null(cfg->session_token);
    c->ca_file = dup_or_null(cfg->ca_file);
    if (c->region == NULL || c->access_key_id == NULL || c->secret_access_key == NULL) {
        snprintf(err, errlen, "DynamoDB client: out of memory");
        goto cleanup;
    }
    c->connect_timeout_ms = cfg->connect_timeout_ms;
    c->attempt_timeout_ms = cfg->attempt_timeout_ms;
    c->safety_margin_ms = cfg->safety_margin_ms;
    retry_policy_defaults(&c->retry);
    c->retry.max_attempts = cfg->max_attempts;
    retry_quota_init(&c->quota);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    c->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
             (uint64_t)(uintptr_t)c;
    if (c->rng == 0)
        c->rng = 0x9e3779b97f4a7c15ULL;
    const char *endpoint = cfg->endpoint;
    if (endpoint == NULL || *endpoint == '\0') {
        snprintf(fallback, sizeof fallback, "https://dynamodb.%s.amazonaws.com%s/", cfg->region,
                 strncmp(cfg->region, "cn-", 3) == 0 ? ".cn" : "");
        endpoint = fallback;
    }
    if (parse_endpoint(c, endpoint, err, errlen) != 0)
        goto cleanup;
    result = c;
    c = NULL;
cleanup:
    ddb_client_free(c);
    return result;
}

void ddb_client_free(ddb_client *c)
{
    if (c == NULL)
        return;
    while (c->idle != NULL) {
        ddb_conn *next = c->idle->next;
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

const char *ddb_client_endpoint(const ddb_client *c)
{
    return c->endpoint;
}

static int add_header(char ***headers, size_t *n, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 3;
    char *line = malloc(len);
    char **grown = realloc(*headers, (*n + 1) * sizeof **headers);
    if (line == NULL || grown == NULL) {
        free(line);
        if (grown != NULL)
            *headers = grown;
        return -1;
    }
    *headers = grown;
    snprintf(line, len, "%s: %s", name, value);
    (*headers)[(*n)++] = line;
    return 0;
}

int ddb_build_headers(const ddb_client *c, const char *op, const char *body, size_t len,
                      time_t now, char ***headers, size_t *n)
{
    char target[128];
    *headers = NULL;
    *n = 0;
    if (snprintf(target, sizeof target, "%s%s", TARGET_PREFIX, op) >= (int)sizeof target)
        return DDB_ERR_INVALID;
    sigv4_header signed_headers[] = {
        {"Host", c->host}, {"Content-Type", CONTENT_TYPE}, {"X-Amz-Target", target}};
    sigv4_request req = {.method = "POST",
                         .path = c->path,
                         .headers = signed_headers,
                         .nheaders = 3,
                         .body = body,
                         .body_len = len};
    sigv4_credentials creds = {c->access_key_id, c->secret_access_key, c->session_token};
    sigv4_signature sig;
    int src = sigv4_sign(&req, &creds, c->region, "dynamodb", now, SIGV4_TOKEN_SIGNED, &sig, NULL);
    if (src != SIGV4_OK)
        return src == SIGV4_ERR_NOMEM ? DDB_ERR_NOMEM : DDB_ERR_INVALID;
    if (add_header(headers, n, "Host", c->host) != 0 ||
        add_header(headers, n, "Content-Type", CONTENT_TYPE) != 0 ||
        add_header(headers, n, "X-Amz-Target", target) != 0 ||
        add_header(headers, n, "X-Amz-Date", sig.amz_date) != 0 ||
        (c->session_token != NULL &&
         add_header(headers, n, "X-Amz-Security-Token", c->session_token) != 0) ||
        add_header(headers, n, "Authorization", sig.authorization) != 0 ||
        add_header(headers, n, "Expect", "") != 0) {
        for (size_t i = 0; i < *n; i++)
            free((*headers)[i]);
        free(*headers);
        *headers = NULL;
        *n = 0;
        return DDB_ERR_NOMEM;
    }
    return DDB_OK;
}

static void scrub_into(char *out, size_t cap, const char *text, size_t len,
                       const char *const *secrets, size_t nsecrets)
{
    scrub_peer_text(out, cap, text, len, secrets, nsecrets);
}

int ddb_parse_answer(const char *body, size_t len, long http_status, const char *const *secrets,
                     size_t nsecrets, cJSON **answer, ddb_result *res)
{
    *answer = NULL;
    cJSON *doc = body != NULL && len > 0 ? cJSON_ParseWithLength(body, len) : NULL;
    if (http_status >= 200 && http_status < 300 && cJSON_IsObject(doc)) {
        *answer = doc;
        return 0;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "__type");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(doc, "message");
    if (!cJSON_IsString(msg))
        msg = cJSON_GetObjectItemCaseSensitive(doc, "Message");
    if (cJSON_IsObject(doc) && cJSON_IsString(type) && type->valuestring[0] != '\0') {
        const char *code = strrchr(type->valuestring, '#');
        code = code != NULL ? code + 1 : type->valuestring;
        scrub_into(res->error_code, sizeof res->error_code, code, strlen(code), secrets, nsecrets);
        if (cJSON_IsString(msg))
            scrub_into(res->error_message, sizeof res->error_message, msg->valuestring,
                       strlen(msg->valuestring), secrets, nsecrets);
        else
            res->error_message[0] = '\0';
    } else {
        snprintf(res->error_code, sizeof res->error_code, "HttpError");
        snprintf(res->error_message, sizeof res->error_message,
                 "HTTP %ld without %s in the body", http_status,
                 http_status >= 200 && http_status < 300 ? "a JSON object" : "a DynamoDB error");
    }
    cJSON_Delete(doc);
    return -1;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    buf *b = ctx;
    size_t n = size * nmemb;
    if (b->len + n > RESPONSE_LIMIT || buf_append(b, data, n) != 0)
        return 0;
    return n;
}

static const char *find_ca_bundle(const ddb_client *c)
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

static ddb_conn *take_conn(ddb_client *c)
{
    pthread_mutex_lock(&c->mu);
    ddb_conn *k = c->idle;
    if (k != NULL)
        c->idle = k->next;
    pthread_mutex_unlock(&c->mu);
    if (k != NULL)
        return k;
    pthread_once(&curl_once, init_curl);
    k = calloc(1, sizeof *k);
    if (curl_init_result != CURLE_OK || k == NULL || (k->curl = curl_easy_init()) == NULL) {
        free(k);
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
    curl_easy_setopt(h, CURLOPT_USERAGENT, "iris-lambda/1.0 dynamodb");
    if (c->https) {
        const char *ca = find_ca_bundle(c);
        if (ca != NULL)
            curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    }
    return k;
}

static void give_back_conn(ddb_client *c, ddb_conn *k)
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

/* One request: DDB_OK with *answer, or the failure and its retry kind. */
static int attempt(ddb_client *c, ddb_conn *k, const char *op, const char *body, size_t len,
                   long timeout_ms, cJSON **answer, ddb_result *res, enum retry_error_kind *kind)
{
    char **lines = NULL;
    size_t nlines = 0;
    struct curl_slist *headers = NULL;
    const char *secrets[] = {c->secret_access_key, c->session_token};
    *kind = RETRY_CLIENT_ERROR;
    int rc = ddb_build_headers(c, op, body, len, time(NULL), &lines, &nlines);
    if (rc != DDB_OK) {
        snprintf(res->error_code, sizeof res->error_code, "ClientError");
        snprintf(res->error_message, sizeof res->error_message, "signing the request: %s",
                 ddb_strerror(rc));
        goto cleanup;
    }
    for (size_t i = 0; i < nlines; i++) {
        struct curl_slist *t = curl_slist_append(headers, lines[i]);
        if (t == NULL) {
            rc = DDB_ERR_NOMEM;
            goto cleanup;
        }
        headers = t;
    }
    CURL *h = k->curl;
    buf_reset(&k->response);
    curl_easy_setopt(h, CURLOPT_URL, c->endpoint);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    res->attempts++;
    res->http_status = 0;
    res->error_code[0] = res->error_message[0] = '\0';
    CURLcode cc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    if (cc != CURLE_OK) {
        char text[256];
        snprintf(res->error_code, sizeof res->error_code, "%s",
                 cc == CURLE_OPERATION_TIMEDOUT ? "Timeout" : "ConnectionError");
        snprintf(text, sizeof text, "%s (curl error %d)", curl_easy_strerror(cc), (int)cc);
        scrub_into(res->error_message, sizeof res->error_message, text, strlen(text), secrets, 2);
        *kind = retry_classify(0, NULL, transport_retryable(cc) ? 1 : 2);
        rc = DDB_ERR_TRANSPORT;
        goto cleanup;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->http_status);
    if (ddb_parse_answer(k->response.data, k->response.len, res->http_status, secrets, 2, answer,
                         res) == 0) {
        rc = DDB_OK;
        goto cleanup;
    }
    *kind = retry_classify(res->http_status, res->error_code, 0);
    rc = DDB_ERR_SERVICE;
cleanup:
    for (size_t i = 0; i < nlines; i++)
        free(lines[i]);
    free(lines);
    curl_slist_free_all(headers);
    return rc;
}

/* xorshift64*: backoff jitter only; with c->mu held.  Uniform in [0, 1). */
static double jitter(ddb_client *c)
{
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return (double)((c->rng * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int ddb_call(ddb_client *c, const char *op, const char *body, size_t len, int64_t deadline_ms,
             cJSON **answer, ddb_result *res)
{
    memset(res, 0, sizeof *res);
    *answer = NULL;
    if (c == NULL || op == NULL || body == NULL)
        return DDB_ERR_INVALID;
    int64_t limit = deadline_ms > 0 ? deadline_ms - c->safety_margin_ms : 0;
    if (deadline_ms > 0 && limit < 1)
        limit = 1;
    if (limit > 0 && now_ms() >= limit) {
        snprintf(res->error_code, sizeof res->error_code, "DeadlineExceeded");
        snprintf(res->error_message, sizeof res->error_message,
                 "no time left before the invocation deadline");
        return DDB_ERR_DEADLINE;
    }
    ddb_conn *k = take_conn(c);
    if (k == NULL) {
        snprintf(res->error_code, sizeof res->error_code, "ClientError");
        snprintf(res->error_message, sizeof res->error_message, "curl_easy_init failed");
        return DDB_ERR_TRANSPORT;
    }
    int rc = DDB_ERR_TRANSPORT, last_cost = 0;
    for (int i = 1;; i++) {
        long timeout = c->attempt_timeout_ms;
        if (limit > 0 && limit - now_ms() < timeout)
            timeout = (long)(limit - now_ms());
        if (timeout < 1)
            break;
        enum retry_error_kind kind;
        rc = attempt(c, k, op, body, len, timeout, answer, res, &kind);
        retry_decision d;
        pthread_mutex_lock(&c->mu);
        if (rc == DDB_OK)
            retry_record_success(&c->quota, last_cost);
        else
            retry_decide(&c->retry, &c->quota, kind, i, jitter(c), now_ms(), limit, &d);
        pthread_mutex_unlock(&c->mu);
        if (rc == DDB_OK || !d.retry)
            break;
        log_msg(LOG_WARN, "DynamoDB %s attempt %d of %d failed: %s (HTTP %ld, %s); retrying in %ld ms",
                op, i, c->retry.max_attempts, res->error_code, res->http_status,
                retry_kind_name(kind), d.delay_ms);
        sleep_ms(d.delay_ms);
        last_cost = d.cost;
    }
    give_back_conn(c, k);
    return rc;
}

const char *ddb_strerror(int status)
{
    switch (status) {
    case DDB_OK:
        return "ok";
    case DDB_ERR_INVALID:
        return "invalid DynamoDB request";
    case DDB_ERR_NOMEM:
        return "out of memory";
    case DDB_ERR_SERVICE:
        return "DynamoDB returned an error";
    case DDB_ERR_TRANSPORT:
        return "could not reach DynamoDB";
    case DDB_ERR_DEADLINE:
        return "no time left before the deadline";
    default:
        return "unknown DynamoDB error";
    }
}
