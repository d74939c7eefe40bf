/* fuzz_runtime_headers.c: libFuzzer target for the validation of a GET
 * /invocation/next response's headers (runtime/runtime_headers.c) and the
 * text helpers the runtime quotes peer bytes with (runtime/runtime_text.c).
 * The input's lines are header lines.  For every input:
 *   - h->problem is printable ASCII and never quotes the value of a text
 *     header (request id, trace id, function ARN, client context, Cognito
 *     identity);
 *   - without a problem, every stored value keeps its header's promise:
 *     bounded, printable ASCII (trace id, ARN), UTF-8 without control
 *     characters (client context, Cognito identity), deadline and
 *     Content-Length positive and in bounds;
 *   - runtime_headers_id_path, given the request id or any line, either
 *     refuses it with a printable reason, for one of the documented reasons,
 *     or writes "/invocation/<id>/response" whose id part holds only
 *     unreserved bytes and %XX and percent-decodes back to the id exactly;
 *   - runtime_text_json writes a JSON string (checked with cJSON) that is
 *     valid UTF-8 and reads back as the input whenever the input is valid
 *     UTF-8; runtime_text_printable writes printable ASCII within its bounds.
 * Run: make fuzz-runtime-headers FUZZ_SECONDS=60 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "runtime/runtime_headers.h"
#include "runtime/runtime_text.h"
#include "tests/fuzz/fuzz_check.h"

static const char *const text_headers[] = {
    "Lambda-Runtime-Aws-Request-Id",       "Lambda-Runtime-Trace-Id",
    "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Client-Context",
    "Lambda-Runtime-Cognito-Identity",
};

/* A value worth looking for in a message: long enough and with a byte no
 * message template writes, so finding it there means it was quoted. */
static int distinctive(const char *v, size_t n)
{
    if (n < 8)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strchr("{}|^`~[]<>", v[i]) != NULL && v[i] != '\0')
            return 1;
    return 0;
}

/* Fails when problem quotes the value of a text header in line. */
static void check_not_quoted(const char *problem, const char *line, size_t len)
{
    for (size_t k = 0; k < sizeof text_headers / sizeof text_headers[0]; k++) {
        size_t nl = strlen(text_headers[k]);
        if (len <= nl || line[nl] != ':' || strncasecmp(line, text_headers[k], nl) != 0)
            continue;
        const char *v = line + nl + 1, *e = line + len;
        while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            e--;
        while (v < e && (*v == ' ' || *v == '\t'))
            v++;
        size_t vn = (size_t)(e - v);
        if (distinctive(v, vn) && memmem(problem, strlen(problem), v, vn) != NULL)
            fuzz_fail("problem", "no header value quoted", problem, strlen(problem));
    }
}

static void check_stored(const runtime_headers *h)
{
    size_t n;
    if ((n = strnlen(h->request_id, sizeof h->request_id)) > RUNTIME_ID_MAX)
        fuzz_fail("request id", "at most RUNTIME_ID_MAX bytes", h->request_id, 32);
    n = strnlen(h->trace_id, sizeof h->trace_id);
    if (n > RUNTIME_TRACE_MAX || !fuzz_printable(h->trace_id, n))
        fuzz_fail("trace id", "bounded printable ASCII", h->trace_id, n);
    n = strnlen(h->function_arn, sizeof h->function_arn);
    if (n > RUNTIME_ARN_MAX || !fuzz_printable(h->function_arn, n))
        fuzz_fail("function ARN", "bounded printable ASCII", h->function_arn, n);
    const char *texts[] = {h->client_context, h->cognito_identity};
    for (size_t k = 0; k < 2; k++) {
        if (texts[k] == NULL)
            continue;
        n = strlen(texts[k]);
        if (n > RUNTIME_CONTEXT_MAX || !fuzz_valid_utf8((const unsigned char *)texts[k], n))
            fuzz_fail("client context / Cognito identity", "bounded UTF-8", texts[k], n);
        for (size_t i = 0; i < n; i++)
            if (((unsigned char)texts[k][i] < 0x20 && texts[k][i] != '\t') || texts[k][i] == 0x7F)
                fuzz_fail("client context / Cognito identity", "no control characters", texts[k],
                          n);
    }
    if (h->deadline_ms < 0)
        fuzz_fail("deadline", "0 (absent) or positive", NULL, 0);
    if (h->content_length < -1 || h->content_length > (int64_t)RUNTIME_EVENT_MAX)
        fuzz_fail("Content-Length", "-1 (absent) or 0..RUNTIME_EVENT_MAX", NULL, 0);
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static int hexdigit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void check_id_path(const char *id)
{
    char out[RUNTIME_ID_MAX * 3 + 64], why[256];
    size_t n = strlen(id);
    why[0] = '\0';
    if (runtime_headers_id_path(id, "response", out, sizeof out, why, sizeof why) != 0) {
        fuzz_check_message("id_path reason", why, sizeof why);
        int bad = n == 0 || n > RUNTIME_ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0;
        for (size_t i = 0; i < n; i++)
            bad |= id[i] == '/' || id[i] == '\\' || (unsigned char)id[i] < 0x20 || id[i] == 0x7F;
        if (!bad)
            fuzz_fail("id_path", "a usable id accepted", id, n);
        return;
    }
    size_t on = strlen(out);
    if (on < 21 || strncmp(out, "/invocation/", 12) != 0 || strcmp(out + on - 9, "/response") != 0)
        fuzz_fail("id_path", "/invocation/<id>/response", out, on);
    const char *p = out + 12, *e = out + on - 9;
    char decoded[RUNTIME_ID_MAX + 1];
    size_t d = 0;
    for (; p < e && d < sizeof decoded; d++) {
        if (*p == '%' && e - p >= 3 && hexdigit(p[1]) >= 0 && hexdigit(p[2]) >= 0) {
            decoded[d] = (char)(hexdigit(p[1]) << 4 | hexdigit(p[2]));
            p += 3;
        } else if (unreserved((unsigned char)*p)) {
            decoded[d] = *p++;
        } else {
            fuzz_fail("id_path's id part", "unreserved bytes and %XX only", out, on);
        }
    }
    if (d != n || memcmp(decoded, id, n) != 0 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        fuzz_fail("id_path's id part", "the id, percent-encoded", out, on);
}

static void check_text(const char *s)
{
    size_t n = strlen(s);
    buf b = {0};
    if (runtime_text_json(&b, s) != 0)
        abort();
    if (!fuzz_valid_utf8((const unsigned char *)b.data, b.len))
        fuzz_fail("runtime_text_json", "valid UTF-8", b.data, b.len);
    cJSON *j = cJSON_ParseWithLength(b.data, b.len);
    if (!cJSON_IsString(j))
        fuzz_fail("runtime_text_json", "one JSON string", b.data, b.len);
    if (fuzz_valid_utf8((const unsigned char *)s, n) && strcmp(j->valuestring, s) != 0)
        fuzz_fail("runtime_text_json read back", "the input", j->valuestring,
                  strlen(j->valuestring));
    cJSON_Delete(j);
    buf_free(&b);
    char shown[40];
    runtime_text_printable(s, n, 24, shown, sizeof shown);
    if (strlen(shown) >= sizeof shown || !fuzz_printable(shown, strlen(shown)))
        fuzz_fail("runtime_text_printable", "bounded printable ASCII", shown, strlen(shown));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    runtime_headers h = {0};
    runtime_headers_reset(&h);
    const char *s = (const char *)data, *end = s + size;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) + 1 : (size_t)(end - s);
        runtime_headers_line(&h, s, len);
        size_t plen = strnlen(h.problem, sizeof h.problem);
        if (plen == sizeof h.problem || !fuzz_printable(h.problem, plen))
            fuzz_fail("problem", "printable ASCII", h.problem, plen);
        check_not_quoted(h.problem, s, len);
        char *copy = strndup(s, len);
        if (copy == NULL)
            abort();
        check_id_path(copy);
        check_text(copy);
        free(copy);
        s += len;
    }
    if (h.problem[0] == '\0') {
        check_stored(&h);
        check_id_path(h.request_id);
    }
    runtime_headers_free(&h);
    return 0;
}
