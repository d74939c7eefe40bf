/* runtime_headers.c: bounded, validated Lambda-Runtime-* headers. */
#include "runtime/runtime_headers.h"

#include "common/utf8.h"
#include "runtime/runtime_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    SEEN_ID = 1u << 0,
    SEEN_DEADLINE = 1u << 1,
    SEEN_TRACE = 1u << 2,
    SEEN_ARN = 1u << 3,
    SEEN_CONTEXT = 1u << 4,
    SEEN_COGNITO = 1u << 5,
    SEEN_LENGTH = 1u << 6,
};

void runtime_headers_free(runtime_headers *h)
{
    free(h->client_context);
    free(h->cognito_identity);
    h->client_context = h->cognito_identity = NULL;
}

void runtime_headers_reset(runtime_headers *h)
{
    runtime_headers_free(h);
    h->request_id[0] = h->trace_id[0] = h->function_arn[0] = h->problem[0] = '\0';
    h->deadline_ms = 0;
    h->content_length = -1;
    h->seen = 0;
    h->id_too_long = 0;
}

static void problem(runtime_headers *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(runtime_headers *h, const char *fmt, ...)
{
    if (h->problem[0] != '\0')
        return; /* the first one is the one reported */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->problem, sizeof h->problem, fmt, ap);
    va_end(ap);
}

/* Offset of the first byte that is not printable ASCII, or len. */
static size_t first_unprintable(const char *v, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7E)
            return i;
    return len;
}

/* Offset of the first control byte or invalid UTF-8 sequence, or len. */
static size_t first_bad_utf8(const char *v, size_t len)
{
    const unsigned char *s = (const unsigned char *)v;
    for (size_t i = 0; i < len;) {
        if (s[i] < 0x20 || s[i] == 0x7F) {
            if (s[i] != '\t')
                return i;
            i++;
            continue;
        }
        size_t k = utf8_seq_len(s + i, len - i);
        if (k == 0)
            return i;
        i += k;
    }
    return len;
}

/* Parses 1..max_digits decimal digits into *out. */
static int parse_digits(const char *v, size_t len, size_t max_digits, int64_t *out)
{
    if (len == 0 || len > max_digits)
        return -1;
    int64_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        n = n * 10 + (v[i] - '0');
    }
    *out = n;
    return 0;
}

/* A header sent twice is ambiguous: which value would Lambda mean? */
static int first_time(runtime_headers *h, unsigned bit, const char *name)
{
    if (h->seen & bit) {
        problem(h, "the Runtime API sent %s twice", name);
        return 0;
    }
    h->seen |= bit;
    return 1;
}

static void take_ascii(runtime_headers *h, const char *name, const char *v, size_t len, char *out,
                       size_t max)
{
    size_t bad;
    if (len > max)
        problem(h, "the Runtime API sent %s of %zu bytes; the limit is %zu bytes", name, len, max);
    else if ((bad = first_unprintable(v, len)) < len)
        problem(h,
                "the Runtime API sent %s with byte 0x%02X at offset %zu; expected printable ASCII",
                name, (unsigned char)v[bad], bad);
    else {
        memcpy(out, v, len);
        out[len] = '\0';
    }
}

static void take_text(runtime_headers *h, const char *name, const char *v, size_t len, char **out)
{
    size_t bad;
    if (len > RUNTIME_CONTEXT_MAX)
        problem(h, "the Runtime API sent %s of %zu bytes; the limit is %u bytes", name, len,
                (unsigned)RUNTIME_CONTEXT_MAX);
    else if ((bad = first_bad_utf8(v, len)) < len)
        problem(h,
                "the Runtime API sent %s with byte 0x%02X at offset %zu; expected UTF-8 text "
                "without control characters",
                name, (unsigned char)v[bad], bad);
    else if ((*out = strndup(v, len)) == NULL)
        problem(h, "out of memory reading %s (%zu bytes)", name, len);
}

static void take_request_id(runtime_headers *h, const char *v, size_t len)
{
    if (len > RUNTIME_ID_MAX) {
        h->id_too_long = 1;
        problem(h,
                "the Runtime API sent Lambda-Runtime-Aws-Request-Id of %zu bytes; the limit is %d",
                len, RUNTIME_ID_MAX);
        return;
    }
    memcpy(h->request_id, v, len);
    h->request_id[len] = '\0';
    if (memchr(v, '\0', len) != NULL)
        problem(h, "the Runtime API sent Lambda-Runtime-Aws-Request-Id with a NUL byte");
}

static void take_number(runtime_headers *h, const char *name, const char *v, size_t len,
                        size_t max_digits, int64_t max, int64_t *out)
{
    int64_t n = 0;
    char shown[48];
    if (parse_digits(v, len, max_digits, &n) != 0 || n <= 0 || n > max) {
        runtime_text_printable(v, len, 24, shown, sizeof shown);
        problem(h,
                "the Runtime API sent %s: \"%s\"; expected a positive decimal number of at "
                "most %zu digits",
                name, shown, max_digits);
        return;
    }
    *out = n;
}

/* Splits "Name: value\r\n" into the trimmed value when the name matches. */
static int value_of(const char *line, size_t len, const char *name, const char **v, size_t *vlen)
{
    size_t nlen = strlen(name);
    if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen) != 0)
        return 0;
    const char *s = line + nlen + 1;
    const char *end = line + len;
    while (end > s && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *v = s;
    *vlen = (size_t)(end - s);
    return 1;
}

int runtime_headers_line(runtime_headers *h, const char *line, size_t len)
{
    const char *v;
    size_t n;
    if (value_of(line, len, "Lambda-Runtime-Aws-Request-Id", &v, &n)) {
        if (first_time(h, SEEN_ID, "Lambda-Runtime-Aws-Request-Id"))
            take_request_id(h, v, n);
    } else if (value_of(line, len, "Lambda-Runtime-Deadline-Ms", &v, &n)) {
        if (first_time(h, SEEN_DEADLINE, "Lambda-Runtime-Deadline-Ms"))
            take_number(h, "Lambda-Runtime-Deadline-Ms", v, n, 15, INT64_MAX, &h->deadline_ms);
    } else if (value_of(line, len, "Lambda-Runtime-Trace-Id", &v, &n)) {
        if (first_time(h, SEEN_TRACE, "Lambda-Runtime-Trace-Id"))
            take_ascii(h, "Lambda-Runtime-Trace-Id", v, n, h->trace_id, RUNTIME_TRACE_MAX);
    } else if (value_of(line, len, "Lambda-Runtime-Invoked-Function-Arn", &v, &n)) {
        if (first_time(h, SEEN_ARN, "Lambda-Runtime-Invoked-Function-Arn"))
            take_ascii(h, "Lambda-Runtime-Invoked-Function-Arn", v, n, h->function_arn,
                       RUNTIME_ARN_MAX);
    } else if (value_of(line, len, "Lambda-Runtime-Client-Context", &v, &n)) {
        if (first_time(h, SEEN_CONTEXT, "Lambda-Runtime-Client-Context"))
            take_text(h, "Lambda-Runtime-Client-Context", v, n, &h->client_context);
    } else if (value_of(line, len, "Lambda-Runtime-Cognito-Identity", &v, &n)) {
        if (first_time(h, SEEN_COGNITO, "Lambda-Runtime-Cognito-Identity"))
            take_text(h, "Lambda-Runtime-Cognito-Identity", v, n, &h->cognito_identity);
    } else if (value_of(line, len, "Content-Length", &v, &n)) {
        if (first_time(h, SEEN_LENGTH, "Content-Length")) {
            int64_t cl;
            if (n == 1 && v[0] == '0')
                h->content_length = 0;
            else if (parse_digits(v, n, 12, &cl) != 0)
                problem(h, "the Runtime API sent a Content-Length that is not a number");
            else if (cl > (int64_t)RUNTIME_EVENT_MAX)
                problem(h, "the Runtime API sent an event of %lld bytes; the limit is %u bytes",
                        (long long)cl, (unsigned)RUNTIME_EVENT_MAX);
            else
                h->content_length = cl;
        }
    }
    return 0;
}

static int id_safe_byte(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

int runtime_headers_id_path(const char *id, const char *kind, char *out, size_t outlen, char *why,
                            size_t whylen)
{
    size_t len = strlen(id);
    if (len == 0) {
        snprintf(why, whylen, "the request id is empty");
        return -1;
    }
    if (len > RUNTIME_ID_MAX) {
        snprintf(why, whylen, "the request id is over %d bytes", RUNTIME_ID_MAX);
        return -1;
    }
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
        snprintf(why, whylen, "the request id is a relative path segment");
        return -1;
    }
    /* "/invocation/" + 3 bytes per id byte + "/" + kind */
    if (outlen < 12 + 3 * len + 2 + strlen(kind)) {
        snprintf(why, whylen, "the request id does not fit the URL buffer");
        return -1;
    }
    size_t o = (size_t)snprintf(out, outlen, "/invocation/");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c == '/' || c == '\\' || c < 0x20 || c == 0x7F) {
            snprintf(why, whylen, "the request id contains byte 0x%02X at offset %zu", c, i);
            return -1;
        }
        if (id_safe_byte(c)) {
            out[o++] = (char)c;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    snprintf(out + o, outlen - o, "/%s", kind);
    return 0;
}
