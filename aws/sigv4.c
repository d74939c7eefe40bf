/* sigv4.c: AWS Signature Version 4 with OpenSSL libcrypto primitives. */
#include "aws/sigv4.h"
#include "common/hex.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define SHA256_LEN 32

static const char hexdigits[] = "0123456789abcdef";

typedef struct canon_header {
    char *name;  /* lower-case, owned */
    char *value; /* trimmed, owned */
    size_t order;
} canon_header;

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int sigv4_uri_encode(buf *out, const char *s, size_t len, int keep_slash)
{
    static const char upper[] = "0123456789ABCDEF";
    if (buf_reserve(out, len * 3) != 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            out->data[out->len++] = (char)c;
        } else {
            out->data[out->len++] = '%';
            out->data[out->len++] = upper[c >> 4];
            out->data[out->len++] = upper[c & 15];
        }
    }
    out->data[out->len] = '\0';
    return 0;
}

/* Percent-decodes s[0..len) then re-encodes it canonically. */
static int reencode(buf *out, const char *s, size_t len)
{
    buf raw = BUF_INIT;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hex_digit(s[i + 1])) >= 0 &&
            (lo = hex_digit(s[i + 2])) >= 0) {
            buf_putc(&raw, (char)(hi << 4 | lo));
            i += 2;
        } else {
            buf_putc(&raw, s[i]);
        }
    }
    int rc = raw.failed ? -1 : sigv4_uri_encode(out, raw.data ? raw.data : "", raw.len, 0);
    buf_free(&raw);
    return rc;
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdigits[in[i] >> 4];
        out[2 * i + 1] = hexdigits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int sha256_hex(const void *data, size_t len, char out[2 * SHA256_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != SHA256_LEN)
        return -1;
    hex_encode(md, SHA256_LEN, out);
    return 0;
}

static int hmac(const unsigned char *key, size_t keylen, const char *msg, size_t msglen,
                unsigned char out[SHA256_LEN])
{
    unsigned int outlen = 0;
    if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, msglen, out, &outlen) ==
            NULL ||
        outlen != SHA256_LEN)
        return -1;
    return 0;
}

/* Canonical URI: RFC 3986 dot-segment removal, empty segments dropped, each
 * segment percent-encoded once.  A trailing slash (or trailing "." / "..")
 * is kept. */
static int canonical_uri(buf *out, const char *path)
{
    if (path == NULL || *path == '\0')
        path = "/";
    size_t n = strlen(path);
    const char **seg = calloc(n + 1, sizeof *seg);
    size_t *seglen = calloc(n + 1, sizeof *seglen);
    size_t nseg = 0;
    int rc = -1;
    if (seg == NULL || seglen == NULL)
        goto cleanup;
    const char *p = path;
    int trailing = 0;
    while (*p != '\0') {
        while (*p == '/')
            p++;
        const char *start = p;
        while (*p != '\0' && *p != '/')
            p++;
        size_t len = (size_t)(p - start);
        if (len == 0)
            break; /* only slashes were left */
        trailing = (*p == '/') || (len == 1 && start[0] == '.') ||
                   (len == 2 && start[0] == '.' && start[1] == '.');
        if (len == 1 && start[0] == '.')
            continue;
        if (len == 2 && start[0] == '.' && start[1] == '.') {
            if (nseg > 0)
                nseg--;
            continue;
        }
        seg[nseg] = start;
        seglen[nseg++] = len;
    }
    buf_putc(out, '/');
    for (size_t i = 0; i < nseg; i++) {
        if (i > 0)
            buf_putc(out, '/');
        sigv4_uri_encode(out, seg[i], seglen[i], 0);
    }
    if (trailing && nseg > 0)
        buf_putc(out, '/');
    rc = out->failed ? -1 : 0;
cleanup:
    free(seglen);
    free(seg);
    return rc;
}

static int cmp_strp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    /* Sort by name, then value: compare up to '=' first. */
    size_t nx = strcspn(x, "="), ny = strcspn(y, "=");
    size_t m = nx < ny ? nx : ny;
    int c = memcmp(x, y, m);
    if (c != 0)
        return c;
    if (nx != ny)
        return nx < ny ? -1 : 1;
    return strcmp(x + nx, y + ny);
}

/* Canonical query: parameters decoded, re-encoded, "k=v", sorted. */
static int canonical_query(buf *out, const char *query)
{
    if (query == NULL || *query == '\0')
        return 0;
    size_t cap = 1;
    for (const char *q = query; *q; q++)
        cap += *q == '&';
    char **params = calloc(cap, sizeof *params);
    size_t np = 0;
    int rc = -1;
    if (params == NULL)
        return -1;
    const char *p = query;
    while (*p != '\0') {
        const char *end = p + strcspn(p, "&");
        if (end > p) {
            const char *eq = memchr(p, '=', (size_t)(end - p));
            const char *kend = eq ? eq : end;
            buf one = BUF_INIT;
            reencode(&one, p, (size_t)(kend - p));
            buf_putc(&one, '=');
            if (eq != NULL)
                reencode(&one, eq + 1, (size_t)(end - eq - 1));
            params[np] = buf_detach(&one, NULL);
            if (params[np++] == NULL)
                goto cleanup;
        }
        p = *end ? end + 1 : end;
    }
    qsort(params, np, sizeof *params, cmp_strp);
    for (size_t i = 0; i < np; i++) {
        if (i > 0)
            buf_putc(out, '&');
        buf_puts(out, params[i]);
    }
    rc = out->failed ? -1 : 0;
cleanup:
    for (size_t i = 0; i < np; i++)
        free(params[i]);
    free(params);
    return rc;
}

static int cmp_header(const void *a, const void *b)
{
    const canon_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Lower-case name; value trimmed with inner runs of blanks collapsed. */
static int canon_header_set(canon_header *h, const char *name, const char *value, size_t order)
{
    size_t nl = strlen(name), vl = strlen(value);
    h->name = malloc(nl + 1);
    h->value = malloc(vl + 1);
    h->order = order;
    if (h->name == NULL || h->value == NULL)
        return -1;
    for (size_t i = 0; i <= nl; i++)
        h->name[i] = (char)tolower((unsigned char)name[i]);
    size_t o = 0;
    int pending_space = 0;
    for (size_t i = 0; i < vl; i++) {
        char c = value[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            pending_space = o > 0;
            continue;
        }
        if (pending_space)
            h->value[o++] = ' ';
        pending_space = 0;
        h->value[o++] = c;
    }
    h->value[o] = '\0';
    return 0;
}

static int valid_amz_date(const char *d)
{
    if (strlen(d) != SIGV4_AMZ_DATE_LEN || d[8] != 'T' || d[15] != 'Z')
        return 0;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)d[i]))
            return 0;
    return 1;
}

/* The sorted, canonical headers of one signing. */
typedef struct header_set {
    canon_header *h;
    size_t n;
} header_set;

static void header_set_free(header_set *hs)
{
    for (size_t i = 0; i < hs->n; i++) {
        free(hs->h[i].name);
        free(hs->h[i].value);
    }
    free(hs->h);
}

static int inputs_valid(const sigv4_request *req, const sigv4_credentials *creds,
                        const char *region, const char *service)
{
    return req != NULL && req->method != NULL && creds != NULL && creds->access_key_id != NULL &&
           creds->secret_access_key != NULL && region != NULL && service != NULL &&
           (req->nheaders == 0 || req->headers != NULL) &&
           (req->body_len == 0 || req->body != NULL);
}

/* The signing time: an explicit X-Amz-Date header wins over now.  Sets
 * *given when the request carries one. */
static int signing_time(const sigv4_request *req, time_t now, char amz_date[SIGV4_AMZ_DATE_LEN + 1],
                        int *given)
{
    const char *date = NULL;
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, "x-amz-date") == 0)
            date = req->headers[i].value;
    *given = date != NULL;
    if (date != NULL) {
        if (!valid_amz_date(date))
            return SIGV4_ERR_INVALID;
        memcpy(amz_date, date, SIGV4_AMZ_DATE_LEN + 1);
        return SIGV4_OK;
    }
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL ||
        strftime(amz_date, SIGV4_AMZ_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) != SIGV4_AMZ_DATE_LEN)
        return SIGV4_ERR_INVALID;
    return SIGV4_OK;
}

int sigv4_header_replaced(const sigv4_credentials *creds, const char *name)
{
    if (name == NULL)
        return 0;
    if (strcasecmp(name, "authorization") == 0)
        return 1;
    return creds != NULL && creds->session_token != NULL && *creds->session_token != '\0' &&
           strcasecmp(name, "x-amz-security-token") == 0;
}

/* The request's headers (less those the signature replaces) plus X-Amz-Date
 * (unless given) and the signed session token, canonical and sorted. */
static int collect_headers(const sigv4_request *req, const sigv4_credentials *creds,
                           const char *amz_date, int date_given, const char *token, header_set *hs)
{
    hs->h = calloc(req->nheaders + 2, sizeof *hs->h);
    if (hs->h == NULL)
        return SIGV4_ERR_NOMEM;
    int have_host = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        if (req->headers[i].name == NULL || req->headers[i].value == NULL)
            return SIGV4_ERR_INVALID;
        if (sigv4_header_replaced(creds, req->headers[i].name))
            continue;
        if (canon_header_set(&hs->h[hs->n++], req->headers[i].name, req->headers[i].value, i) != 0)
            return SIGV4_ERR_NOMEM;
        have_host |= strcmp(hs->h[hs->n - 1].name, "host") == 0;
    }
    if (!have_host)
        return SIGV4_ERR_INVALID;
    if (!date_given &&
        canon_header_set(&hs->h[hs->n++], "x-amz-date", amz_date, req->nheaders) != 0)
        return SIGV4_ERR_NOMEM;
    if (token != NULL &&
        canon_header_set(&hs->h[hs->n++], "x-amz-security-token", token, req->nheaders + 1) != 0)
        return SIGV4_ERR_NOMEM;
    qsort(hs->h, hs->n, sizeof *hs->h, cmp_header);
    return SIGV4_OK;
}

/* "name:value[,value]\n" per header, and the ';'-joined names. */
static void write_headers(buf *creq, buf *signed_names, const header_set *hs)
{
    for (size_t i = 0; i < hs->n; i++) {
        int first = i == 0 || strcmp(hs->h[i].name, hs->h[i - 1].name) != 0;
        if (first) {
            if (i > 0) {
                buf_putc(creq, '\n');
                buf_putc(signed_names, ';');
            }
            buf_puts(creq, hs->h[i].name);
            buf_putc(creq, ':');
            buf_puts(signed_names, hs->h[i].name);
        } else {
            buf_putc(creq, ',');
        }
        buf_puts(creq, hs->h[i].value);
    }
}

/* The canonical request: method, URI, query, headers, signed names, payload hash. */
static int canonical_request(buf *creq, buf *signed_names, const sigv4_request *req,
                             const header_set *hs)
{
    char hash[2 * SHA256_LEN + 1];
    buf_puts(creq, req->method);
    buf_putc(creq, '\n');
    if (canonical_uri(creq, req->path) != 0)
        return SIGV4_ERR_NOMEM;
    buf_putc(creq, '\n');
    if (canonical_query(creq, req->query) != 0)
        return SIGV4_ERR_NOMEM;
    buf_putc(creq, '\n');
    write_headers(creq, signed_names, hs);
    buf_puts(creq, "\n\n");
    buf_append(creq, signed_names->data ? signed_names->data : "", signed_names->len);
    buf_putc(creq, '\n');
    if (sha256_hex(req->body ? req->body : "", req->body_len, hash) != 0)
        return SIGV4_ERR_CRYPTO;
    buf_puts(creq, hash);
    return creq->failed || signed_names->failed ? SIGV4_ERR_NOMEM : SIGV4_OK;
}

/* "AWS4-HMAC-SHA256\n<date>\n<date8>/<region>/<service>/aws4_request\n<hash>". */
static int string_to_sign(buf *sts, const buf *creq, const char *amz_date, const char *date8,
                          const char *region, const char *service)
{
    char hash[2 * SHA256_LEN + 1];
    if (sha256_hex(creq->data, creq->len, hash) != 0)
        return SIGV4_ERR_CRYPTO;
    buf_printf(sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, date8, region,
               service, hash);
    return sts->failed ? SIGV4_ERR_NOMEM : SIGV4_OK;
}

/* The signature (hex) of sts: the HMAC chain over date, region, service and
 * "aws4_request" keyed with "AWS4" + secret.  Wipes what it derives. */
static int signature_hex(const char *secret_key, const char *date8, const char *region,
                         const char *service, const buf *sts, char out[2 * SHA256_LEN + 1])
{
    unsigned char k1[SHA256_LEN], k2[SHA256_LEN];
    buf secret = BUF_INIT;
    int rc = SIGV4_ERR_NOMEM;
    buf_puts(&secret, "AWS4");
    buf_puts(&secret, secret_key);
    if (secret.failed)
        goto cleanup;
    rc = SIGV4_ERR_CRYPTO;
    if (hmac((unsigned char *)secret.data, secret.len, date8, 8, k1) != 0 ||
        hmac(k1, SHA256_LEN, region, strlen(region), k2) != 0 ||
        hmac(k2, SHA256_LEN, service, strlen(service), k1) != 0 ||
        hmac(k1, SHA256_LEN, "aws4_request", 12, k2) != 0 ||
        hmac(k2, SHA256_LEN, sts->data, sts->len, k1) != 0)
        goto cleanup;
    hex_encode(k1, SHA256_LEN, out);
    rc = SIGV4_OK;
cleanup:
    OPENSSL_cleanse(k1, sizeof k1);
    OPENSSL_cleanse(k2, sizeof k2);
    if (secret.data != NULL)
        OPENSSL_cleanse(secret.data, secret.cap);
    buf_free(&secret);
    return rc;
}

int sigv4_sign(const sigv4_request *req, const sigv4_credentials *creds, const char *region,
               const char *service, time_t now, enum sigv4_token_mode token_mode,
               sigv4_signature *out, const sigv4_debug *debug)
{
    header_set hs = {NULL, 0};
    buf creq = BUF_INIT, sts = BUF_INIT, signed_names = BUF_INIT;
    char sig[2 * SHA256_LEN + 1], date8[9];
    int date_given = 0, rc = SIGV4_ERR_INVALID;

    memset(out, 0, sizeof *out);
    if (!inputs_valid(req, creds, region, service))
        goto cleanup;
    const char *token = creds->session_token;
    int sign_token = token != NULL && *token != '\0' && token_mode == SIGV4_TOKEN_SIGNED;
    if ((rc = signing_time(req, now, out->amz_date, &date_given)) != SIGV4_OK ||
        (rc = collect_headers(req, creds, out->amz_date, date_given, sign_token ? token : NULL,
                              &hs)) != SIGV4_OK ||
        (rc = canonical_request(&creq, &signed_names, req, &hs)) != SIGV4_OK)
        goto cleanup;
    memcpy(date8, out->amz_date, 8);
    date8[8] = '\0';
    if ((rc = string_to_sign(&sts, &creq, out->amz_date, date8, region, service)) != SIGV4_OK ||
        (rc = signature_hex(creds->secret_access_key, date8, region, service, &sts, sig)) !=
            SIGV4_OK)
        goto cleanup;
    int n = snprintf(out->authorization, sizeof out->authorization,
                     "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
                     "Signature=%s",
                     creds->access_key_id, date8, region, service, signed_names.data, sig);
    if (n < 0 || (size_t)n >= sizeof out->authorization) {
        out->authorization[0] = '\0';
        rc = SIGV4_ERR_INVALID;
        goto cleanup;
    }
    if (debug != NULL && debug->canonical_request != NULL)
        buf_append(debug->canonical_request, creq.data, creq.len);
    if (debug != NULL && debug->string_to_sign != NULL)
        buf_append(debug->string_to_sign, sts.data, sts.len);
    rc = SIGV4_OK;
cleanup:
    header_set_free(&hs);
    buf_free(&signed_names);
    buf_free(&sts);
    buf_free(&creq);
    return rc;
}

const char *sigv4_strerror(int status)
{
    switch (status) {
    case SIGV4_OK:
        return "ok";
    case SIGV4_ERR_INVALID:
        return "invalid request to sign (missing field, Host or X-Amz-Date)";
    case SIGV4_ERR_NOMEM:
        return "out of memory";
    case SIGV4_ERR_CRYPTO:
        return "libcrypto failure";
    default:
        return "unknown sigv4 error";
    }
}
