/* connector_invoke.c: synchronous Invoke API calls over libcurl. */
#include "tests/doubles/connector_invoke.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/buf.h"

struct connector_invoker {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    buf body;
    char function_error[128]; /* X-Amz-Function-Error of the last response */
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    buf *b = ud;
    return buf_append(b, p, size * n) == 0 ? size * n : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    connector_invoker *inv = ud;
    size_t len = size * n;
    static const char name[] = "X-Amz-Function-Error:";
    if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
        const char *v = p + sizeof name - 1;
        size_t vlen = len - (sizeof name - 1);
        while (vlen > 0 && isspace((unsigned char)*v)) {
            v++;
            vlen--;
        }
        while (vlen > 0 && isspace((unsigned char)v[vlen - 1]))
            vlen--;
        if (vlen == 0) {
            v = "Unhandled";
            vlen = strlen(v);
        }
        snprintf(inv->function_error, sizeof inv->function_error, "%.*s", (int)vlen, v);
    }
    return len;
}

connector_invoker *connector_invoker_new(const char *base_url, const char *function,
                                         long connect_timeout_ms, long timeout_ms, char *err,
                                         size_t errlen)
{
    connector_invoker *inv = calloc(1, sizeof *inv), *result = NULL;
    if (inv == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    buf_init(&inv->body);
    inv->curl = curl_easy_init();
    if (inv->curl == NULL) {
        snprintf(err, errlen, "curl_easy_init failed");
        goto cleanup;
    }
    char *escaped = curl_easy_escape(inv->curl, function, 0);
    size_t blen = strlen(base_url);
    while (blen > 0 && base_url[blen - 1] == '/')
        blen--;
    buf u = BUF_INIT;
    buf_printf(&u, "%.*s/2015-03-31/functions/%s/invocations", (int)blen, base_url,
               escaped ? escaped : "");
    curl_free(escaped);
    inv->url = buf_detach(&u, NULL);
    inv->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (inv->headers != NULL)
        inv->headers = curl_slist_append(inv->headers, "X-Amz-Invocation-Type: RequestResponse");
    if (inv->url == NULL || inv->headers == NULL) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    CURL *c = inv->curl;
    curl_easy_setopt(c, CURLOPT_URL, inv->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, inv->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &inv->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, inv);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    result = inv;
    inv = NULL;
cleanup:
    connector_invoker_free(inv);
    return result;
}

void connector_invoker_free(connector_invoker *inv)
{
    if (inv == NULL)
        return;
    curl_easy_cleanup(inv->curl);
    curl_slist_free_all(inv->headers);
    free(inv->url);
    buf_free(&inv->body);
    free(inv);
}

/* The start of the response body, printable, for error messages. */
static void body_excerpt(const buf *b, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len && n + 1 < outlen && i < 300; i++)
        out[n++] = isprint((unsigned char)b->data[i]) ? b->data[i] : ' ';
    out[n] = '\0';
}

int connector_invoke(connector_invoker *inv, const char *payload, size_t len, char **body,
                     size_t *body_len, char *err, size_t errlen)
{
    *body = NULL;
    *body_len = 0;
    buf_reset(&inv->body);
    inv->function_error[0] = '\0';
    curl_easy_setopt(inv->curl, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(inv->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    CURLcode rc = curl_easy_perform(inv->curl);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "POST %s: %s", inv->url, curl_easy_strerror(rc));
        return inv->body.failed ? CONNECTOR_INVOKE_NOMEM : CONNECTOR_INVOKE_TRANSPORT;
    }
    long status = 0;
    curl_easy_getinfo(inv->curl, CURLINFO_RESPONSE_CODE, &status);
    char excerpt[320];
    body_excerpt(&inv->body, excerpt, sizeof excerpt);
    if (status < 200 || status > 299) {
        snprintf(err, errlen, "POST %s: HTTP %ld: %s", inv->url, status, excerpt);
        return CONNECTOR_INVOKE_HTTP_ERROR;
    }
    if (inv->function_error[0] != '\0') {
        snprintf(err, errlen, "function error (X-Amz-Function-Error: %s): %s", inv->function_error,
                 excerpt);
        return CONNECTOR_INVOKE_FUNCTION_ERROR;
    }
    *body = buf_detach(&inv->body, body_len);
    if (*body == NULL) {
        snprintf(err, errlen, "out of memory reading the response");
        return CONNECTOR_INVOKE_NOMEM;
    }
    return CONNECTOR_INVOKE_OK;
}
