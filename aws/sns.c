/* sns.c: SNS Publish over libcurl with SigV4, SDK-style retries. */
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

#include "common/log.h"
#include "aws/sigv4.h"

#define RESPONSE_LIMIT (1024 * 1024)

struct sns_client {
    char *region;
    char *endpoint; /* normalised URL */
    char *host;     /* Host header value: host[:port] */
    char *path;     /* decoded path, at least "/" */
    int https;
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL when none */
    char *ca_file;       /* NULL: the bundle lookup at first use */
    long connect_timeout_ms, attempt_timeout_ms, backoff_base_ms, backoff_cap_ms;
    long safety_margin_ms;
    int max_attempts;
    uint64_t rng;
    CURL *curl; /* created at the first publish */
    buf response;
};

static const char *const throttling_codes[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "Throttled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "EC2ThrottledException",
    "KMSThrottling",
    /* transient, not throttling, but retried the same way */
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
};

void sns_config_defaults(sns_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_ms = 2000;
    cfg->attempt_timeout_ms = 5000;
    cfg->max_attempts = 3;
    cfg->backoff_base_ms = 100;
    cfg->backoff_cap_ms = 20000;
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
    sns_client *c = NULL;
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
        cfg->backoff_base_ms < 0 || cfg->backoff_cap_ms < 0 || cfg->safety_margin_ms < 0) {
        snprintf(err, errlen, "SNS client: attempts and timeouts must be positive");
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL)
        goto nomem;
    c->region = strdup(cfg->region);
    c->access_key_id = strdup(cfg->access_key_id);
    c->secret_access_key = strdup(cfg->secret_access_key);
    c->session_token = dup_or_null(cfg->session_token);
    c->ca_file = dup_or_null(cfg->ca_file);
    if (c->region == NULL || c->access_key_id == NULL || c->secret_access_key == NULL ||
        (cfg->session_token != NULL && *cfg->session_token && c->session_token == NULL) ||
        (cfg->ca_file != NULL && *cfg->ca_file && c->ca_file == NULL))
        goto nomem;
    c->connect_timeout_ms = cfg->connect_timeout_ms;
    c->attempt_timeout_ms = cfg->attempt_timeout_ms;
    c->max_attempts = cfg->max_attempts;
    c->backoff_base_ms = cfg->backoff_base_ms;
    c->backoff_cap_ms = cfg->backoff_cap_ms;
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
    if (parse_endpoint(c, endpoint, err, errlen) != 0) {
        sns_client_free(c);
        return NULL;
    }
    return c;
nomem:
    snprintf(err, errlen, "SNS client: out of memory");
    sns_client_free(c);
    return NULL;
}

void sns_client_free(sns_client *c)
{
    if (c == NULL)
        return;
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    buf_free(&c->response);
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

static void form_param(buf *body, const char *key, const char *value, size_t len)
{
    buf_putc(body, '&');
    buf_puts(body, key);
    buf_putc(body, '=');
    sigv4_uri_encode(body, value, len, 0);
}

int sns_form_publish(buf *body, const sns_message *m)
{
    char key[80];
    buf_puts(body, "Action=Publish&Version=2010-03-31");
    form_param(body, "TopicArn", m->topic_arn, strlen(m->topic_arn));
    if (m->subject != NULL)
        form_param(body, "Subject", m->subject, strlen(m->subject));
    form_param(body, "Message", m->message, m->message_len);
    for (size_t i = 0; i < m->nattributes; i++) {
        const sns_attribute *a = &m->attributes[i];
        snprintf(key, sizeof key, "MessageAttributes.entry.%zu.Name", i + 1);
        form_param(body, key, a->name, strlen(a->name));
        snprintf(key, sizeof key, "MessageAttributes.entry.%zu.Value.DataType", i + 1);
        form_param(body, key, a->data_type, strlen(a->data_type));
        snprintf(key, sizeof key, "MessageAttributes.entry.%zu.Value.StringValue", i + 1);
        form_param(body, key, a->value, strlen(a->value));
    }
    return body->failed ? -1 : 0;
}

/* Checks m against SNS's documented limits; a message for the user in res. */
static int validate_message(const sns_message *m, sns_result *res)
{
    const char *why = NULL;
    size_t total = 0;
    if (m->topic_arn == NULL || *m->topic_arn == '\0')
        why = "no TopicArn";
    else if (m->message == NULL || m->message_len == 0)
        why = "empty Message (SNS requires one)";
    else if (m->nattributes > 0 && m->attributes == NULL)
        why = "attributes missing";
    if (why == NULL && m->subject != NULL) {
        size_t n = strlen(m->subject);
        if (n == 0 || n > SNS_MAX_SUBJECT_CHARS)
            why = "Subject must have 1 to 99 characters";
        for (size_t i = 0; why == NULL && i < n; i++)
            if (m->subject[i] < 0x20 || m->subject[i] > 0x7e)
                why = "Subject must be printable ASCII without line breaks";
    }
    if (why == NULL) {
        total = m->message_len;
        for (size_t i = 0; i < m->nattributes; i++) {
            const sns_attribute *a = &m->attributes[i];
            if (a->name == NULL || a->data_type == NULL || a->value == NULL || !*a->name ||
                !*a->data_type || !*a->value) {
                why = "a message attribute has an empty name, type or value";
                break;
            }
            total += strlen(a->name) + strlen(a->data_type) + strlen(a->value);
        }
        if (why == NULL && total > SNS_MAX_MESSAGE_BYTES)
            why = "Message and attributes exceed SNS's 262144-byte limit";
    }
    if (why == NULL)
        return 0;
    snprintf(res->error_code, sizeof res->error_code, "InvalidMessage");
    snprintf(res->error_message, sizeof res->error_message, "%s", why);
    return -1;
}

void sns_request_free(sns_request *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nheaders; i++)
        free(r->headers[i]);
    free(r->headers);
    free(r->url);
    buf_free(&r->body);
    memset(r, 0, sizeof *r);
}

static int add_header(sns_request *r, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *h = malloc(n);
    if (h == NULL)
        return -1;
    /* "Name:" with no value tells libcurl to drop a header it would add. */
    snprintf(h, n, *value ? "%s: %s" : "%s:%s", name, value);
    r->headers[r->nheaders++] = h;
    return 0;
}

int sns_build_publish(const sns_client *c, const sns_message *m, time_t now, sns_request *out)
{
    static const char content_type[] = "application/x-www-form-urlencoded; charset=utf-8";
    memset(out, 0, sizeof *out);
    int rc = SNS_ERR_NOMEM;
    out->url = strdup(c->endpoint);
    out->headers = calloc(6, sizeof *out->headers);
    if (out->url == NULL || out->headers == NULL || sns_form_publish(&out->body, m) != 0)
        goto fail;

    sigv4_header signed_headers[] = {{"Host", c->host}, {"Content-Type", content_type}};
    sigv4_request req = {.method = "POST",
                         .path = c->path,
                         .headers = signed_headers,
                         .nheaders = 2,
                         .body = out->body.data,
                         .body_len = out->body.len};
    sigv4_credentials creds = {c->access_key_id, c->secret_access_key, c->session_token};
    sigv4_signature sig;
    int src = sigv4_sign(&req, &creds, c->region, "sns", now, SIGV4_TOKEN_SIGNED, &sig, NULL);
    if (src != SIGV4_OK) {
        rc = src == SIGV4_ERR_NOMEM ? SNS_ERR_NOMEM : SNS_ERR_INVALID;
        goto fail;
    }
    if (add_header(out, "Host", c->host) != 0 ||
        add_header(out, "Content-Type", content_type) != 0 ||
        add_header(out, "X-Amz-Date", sig.amz_date) != 0 ||
        (c->session_token != NULL &&
         add_header(out, "X-Amz-Security-Token", c->session_token) != 0) ||
        add_header(out, "Authorization", sig.authorization) != 0 ||
        /* no 100-continue round trip for large messages */
        add_header(out, "Expect", "") != 0)
        goto fail;
    return SNS_OK;
fail:
    sns_request_free(out);
    return rc;
}

/* Copies the text of the first <tag>...</tag> into out, decoding the five
 * XML entities and numeric character references below 128. */
static int xml_text(const char *body, size_t len, const char *tag, char *out, size_t outlen)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *s = memmem(body, len, open, strlen(open));
    if (s == NULL)
        return -1;
    s += strlen(open);
    const char *e = memmem(s, len - (size_t)(s - body), close, strlen(close));
    if (e == NULL)
        return -1;
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t o = 0;
    while (s < e && o + 1 < outlen) {
        char c = *s++;
        if (c == '&') {
            int done = 0;
            for (size_t i = 0; i < sizeof ents / sizeof ents[0] && !done; i++) {
                size_t n = strlen(ents[i].ent);
                if ((size_t)(e - s + 1) >= n && memcmp(s - 1, ents[i].ent, n) == 0) {
                    c = ents[i].c;
                    s += n - 1;
                    done = 1;
                }
            }
            if (!done && s < e && *s == '#') {
                char *end = NULL;
                long v = *(s + 1) == 'x' ? strtol(s + 2, &end, 16) : strtol(s + 1, &end, 10);
                if (end != NULL && end < e && *end == ';' && v > 0 && v < 128) {
                    c = (char)v;
                    s = end + 1;
                }
            }
        }
        out[o++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    if (outlen > 0)
        out[o] = '\0';
    return 0;
}

int sns_parse_response(const char *body, size_t len, sns_result *res)
{
    if (body == NULL || len == 0)
        return -1;
    xml_text(body, len, "RequestId", res->request_id, sizeof res->request_id);
    if (xml_text(body, len, "MessageId", res->message_id, sizeof res->message_id) == 0 &&
        res->message_id[0] != '\0')
        return 0;
    if (xml_text(body, len, "Code", res->error_code, sizeof res->error_code) == 0 &&
        res->error_code[0] != '\0') {
        if (xml_text(body, len, "Message", res->error_message, sizeof res->error_message) != 0)
            res->error_message[0] = '\0';
        return 0;
    }
    return -1;
}

int sns_retryable(long http_status, const char *error_code)
{
    if (http_status == 429 || (http_status >= 500 && http_status <= 599))
        return 1;
    for (size_t i = 0;
         error_code != NULL && i < sizeof throttling_codes / sizeof throttling_codes[0]; i++)
        if (strcmp(error_code, throttling_codes[i]) == 0)
            return 1;
    return 0;
}

/* Replaces every occurrence of secret in s with "[redacted]". */
static void scrub(char *s, size_t cap, const char *secret)
{
    static const char mark[] = "[redacted]";
    if (secret == NULL || *secret == '\0')
        return;
    size_t sl = strlen(secret), ml = strlen(mark);
    char *p = s;
    while ((p = strstr(p, secret)) != NULL) {
        size_t tail = strlen(p + sl);
        if (ml <= sl || (size_t)(p - s) + ml + tail < cap) {
            memmove(p + ml, p + sl, tail + 1);
            memcpy(p, mark, ml);
            p += ml;
        } else {
            memset(p, '*', sl);
            p += sl;
        }
    }
    /* A truncated message may end in a prefix of the secret: cut it. */
    size_t n = strlen(s);
    for (size_t k = sl - 1; k >= 8 && k > 0; k--)
        if (n >= k && memcmp(s + n - k, secret, k) == 0) {
            s[n - k] = '\0';
            break;
        }
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

static int ensure_handle(sns_client *c, sns_result *res)
{
    if (c->curl != NULL)
        return 0;
    c->curl = curl_easy_init();
    if (c->curl == NULL) {
        snprintf(res->error_code, sizeof res->error_code, "ClientError");
        snprintf(res->error_message, sizeof res->error_message, "curl_easy_init failed");
        return -1;
    }
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->response);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "iris-lambda/1.0 sns");
    if (c->https) {
        const char *ca = find_ca_bundle(c);
        if (ca != NULL)
            curl_easy_setopt(h, CURLOPT_CAINFO, ca);
        else
            log_msg(LOG_WARN, "no CA bundle found (set SSL_CERT_FILE); using libcurl's default");
    }
    return 0;
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

/* One request; fills res.  Returns SNS_OK, SNS_ERR_SERVICE or SNS_ERR_TRANSPORT,
 * with *retry set when another attempt may help. */
static int attempt(sns_client *c, const sns_message *m, long timeout_ms, sns_result *res,
                   int *retry)
{
    sns_request req;
    struct curl_slist *headers = NULL;
    int rc = sns_build_publish(c, m, time(NULL), &req);
    *retry = 0;
    if (rc != SNS_OK) {
        snprintf(res->error_code, sizeof res->error_code, "ClientError");
        snprintf(res->error_message, sizeof res->error_message, "building the request: %s",
                 sns_strerror(rc));
        return rc;
    }
    for (size_t i = 0; i < req.nheaders; i++) {
        struct curl_slist *t = curl_slist_append(headers, req.headers[i]);
        if (t == NULL) {
            rc = SNS_ERR_NOMEM;
            goto cleanup;
        }
        headers = t;
    }
    CURL *h = c->curl;
    buf_reset(&c->response);
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
    if (cc != CURLE_OK) {
        snprintf(res->error_code, sizeof res->error_code, "%s",
                 cc == CURLE_OPERATION_TIMEDOUT ? "Timeout" : "ConnectionError");
        snprintf(res->error_message, sizeof res->error_message, "%s (curl error %d)",
                 curl_easy_strerror(cc), (int)cc);
        *retry = transport_retryable(cc);
        rc = SNS_ERR_TRANSPORT;
        goto cleanup;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->http_status);
    int parsed = sns_parse_response(c->response.data, c->response.len, res);
    if (res->http_status >= 200 && res->http_status < 300 && res->message_id[0] != '\0') {
        rc = SNS_OK;
        goto cleanup;
    }
    if (parsed != 0 || res->error_code[0] == '\0') {
        snprintf(res->error_code, sizeof res->error_code, "HttpError");
        snprintf(res->error_message, sizeof res->error_message,
                 "HTTP %ld without an SNS %s in the body", res->http_status,
                 res->http_status < 300 ? "MessageId" : "error");
    }
    scrub(res->error_message, sizeof res->error_message, c->secret_access_key);
    scrub(res->error_message, sizeof res->error_message, c->session_token);
    *retry = sns_retryable(res->http_status, res->error_code);
    rc = SNS_ERR_SERVICE;
cleanup:
    curl_slist_free_all(headers);
    sns_request_free(&req);
    return rc;
}

int sns_publish(sns_client *c, const sns_message *m, int64_t deadline_ms, sns_result *res)
{
    memset(res, 0, sizeof *res);
    if (c == NULL || m == NULL || validate_message(m, res) != 0)
        return SNS_ERR_INVALID;
    int64_t limit = deadline_ms > 0 ? deadline_ms - c->safety_margin_ms : INT64_MAX;
    if (now_ms() >= limit) {
        snprintf(res->error_code, sizeof res->error_code, "DeadlineExceeded");
        snprintf(res->error_message, sizeof res->error_message,
                 "no time left before the invocation deadline (safety margin %ld ms)",
                 c->safety_margin_ms);
        return SNS_ERR_DEADLINE;
    }
    if (ensure_handle(c, res) != 0)
        return SNS_ERR_TRANSPORT;

    int rc = SNS_ERR_TRANSPORT;
    for (int i = 1; i <= c->max_attempts; i++) {
        int64_t left = limit - now_ms();
        if (left < 1)
            break; /* only after a retry: the first attempt was checked above */
        long timeout = c->attempt_timeout_ms;
        if (left < timeout)
            timeout = (long)left;
        int retry = 0;
        rc = attempt(c, m, timeout, res, &retry);
        if (rc == SNS_OK || !retry || i == c->max_attempts)
            break;
        int64_t window = c->backoff_base_ms << (i - 1 < 30 ? i - 1 : 30);
        if (window > c->backoff_cap_ms)
            window = c->backoff_cap_ms;
        int64_t delay = window > 0 ? (int64_t)(next_random(c) % (uint64_t)(window + 1)) : 0;
        if (now_ms() + delay >= limit) {
            log_msg(LOG_WARN,
                    "SNS Publish attempt %d failed (%s); no time for another before "
                    "the deadline",
                    i, res->error_code);
            break;
        }
        log_msg(LOG_WARN, "SNS Publish attempt %d of %d failed: %s (HTTP %ld); retrying in %lld ms",
                i, c->max_attempts, res->error_code, res->http_status, (long long)delay);
        sleep_ms(delay);
    }
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
