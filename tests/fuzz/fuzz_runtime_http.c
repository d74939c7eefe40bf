/* fuzz_runtime_http.c: libFuzzer target for the Runtime API HTTP/1.1 client's
 * response parser (runtime/runtime_http.c).  The input is what the peer
 * answers to one request, over a socket pair; the peer then closes its side.
 * For every input:
 *   - the result is one of enum runtime_http_result; a failure leaves a
 *     specific reason in h->error (non-empty printable ASCII) and closes the
 *     connection;
 *   - on success the status is 200..599 (1xx interim answers are skipped),
 *     every header line handed to on_header has a non-empty name of visible
 *     ASCII before its ':', no NUL and no line break, and is at most
 *     RUNTIME_HTTP_LINE_MAX bytes; the headers total at most
 *     RUNTIME_HTTP_HEADERS_MAX bytes;
 *   - with a Content-Length (and no chunked coding) the body has exactly that
 *     many bytes; a 204 or 304 without framing has none;
 *   - a connection kept for the next request carries nothing of this answer
 *     into the next one: a second exchange on it gets exactly the second
 *     answer (or is dropped and reconnects);
 *   - the same answer sent early, before a 2 MB request body, by a peer that
 *     then closes (an early 413 does this): the same checks on the result,
 *     and no connection is kept.
 * Run: make fuzz-runtime-http FUZZ_SECONDS=60 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/runtime_http.h"
#include "tests/fuzz/fuzz_check.h"

/* What the test peer answers, written once the request has been sent. */
typedef struct peer {
    int fd; /* the peer's end of the socket pair */
    const uint8_t *answer;
    size_t len;
    int written;
} peer;

/* What the client reported. */
typedef struct seen {
    size_t header_bytes;
    long long content_length; /* -1: none */
    int chunked;
    size_t body_len;
    char body[16];
} seen;

/* The request body's writer: asked once the kept connection has been checked
 * (a stale one is dropped first), so the peer answers then and closes; the
 * answer waits in the socket until the client reads. */
static size_t answer_now(void *ctx, char *dst, size_t cap)
{
    (void)dst, (void)cap;
    peer *p = ctx;
    if (!p->written) {
        p->written = 1;
        size_t off = 0;
        while (off < p->len) {
            ssize_t n = send(p->fd, p->answer + off, p->len - off, MSG_NOSIGNAL);
            if (n <= 0)
                break; /* the client closed: it refused the answer already */
            off += (size_t)n;
        }
        shutdown(p->fd, SHUT_WR);
    }
    return 0;
}

static int digits_value(const char *v, size_t n, long long *out)
{
    long long x = 0;
    if (n == 0 || n > 15)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    *out = x;
    return 0;
}

static void on_header(void *ctx, const char *line, size_t len)
{
    seen *s = ctx;
    const char *colon = memchr(line, ':', len);
    if (len > RUNTIME_HTTP_LINE_MAX)
        fuzz_fail("header line length", "at most RUNTIME_HTTP_LINE_MAX bytes", line, 64);
    if (colon == NULL || colon == line)
        fuzz_fail("header line", "a name and ':'", line, len);
    for (const char *c = line; c < colon; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7F)
            fuzz_fail("header name", "visible ASCII", line, len);
    if (memchr(line, '\0', len) || memchr(line, '\n', len))
        fuzz_fail("header line", "no NUL and no line feed", line, len);
    s->header_bytes += len + 2;
    const char *v = colon + 1, *e = line + len;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    size_t nlen = (size_t)(colon - line);
    if (nlen == 14 && strncasecmp(line, "Content-Length", 14) == 0)
        digits_value(v, (size_t)(e - v), &s->content_length);
    if (nlen == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0)
        s->chunked = 1;
}

static int on_body(void *ctx, const char *data, size_t len)
{
    seen *s = ctx;
    for (size_t i = 0; i < len && s->body_len + i < sizeof s->body; i++)
        s->body[s->body_len + i] = data[i];
    s->body_len += len;
    return 0;
}

/* One exchange on h, whose connection is fd; the peer answers answer. */
static int exchange(runtime_http *h, int peer_fd, const uint8_t *answer, size_t len, seen *s,
                    long *status)
{
    peer p = {peer_fd, answer, len, 0};
    memset(s, 0, sizeof *s);
    s->content_length = -1;
    runtime_http_request rq = {.method = "GET",
                               .path = "/2018-06-01/runtime/invocation/next",
                               .fill = answer_now,
                               .fill_ctx = &p,
                               .chunked = 1,
                               .timeout_ms = 5000,
                               .on_header = on_header,
                               .on_body = on_body,
                               .ctx = s};
    return runtime_http_perform(h, &rq, status);
}

static void check_result(runtime_http *h, int rc, long status, const seen *s)
{
    if (rc < RUNTIME_HTTP_LOCAL || rc > RUNTIME_HTTP_OK)
        fuzz_fail("result", "an enum runtime_http_result", NULL, 0);
    if (rc != RUNTIME_HTTP_OK) {
        fuzz_check_message("h->error after a failure", h->error, sizeof h->error);
        if (h->fd != -1)
            fuzz_fail("connection after a failure", "closed", h->error, strlen(h->error));
        return;
    }
    if (status < 200 || status > 599)
        fuzz_fail("status", "200..599", NULL, 0);
    if (s->header_bytes > RUNTIME_HTTP_HEADERS_MAX)
        fuzz_fail("headers", "at most RUNTIME_HTTP_HEADERS_MAX bytes", NULL, 0);
    if (!s->chunked && s->content_length >= 0 && (long long)s->body_len != s->content_length)
        fuzz_fail("body", "exactly Content-Length bytes", s->body, s->body_len);
    if (!s->chunked && s->content_length < 0 && (status == 204 || status == 304) && s->body_len)
        fuzz_fail("body of a 204/304", "none", s->body, s->body_len);
}

static size_t fill_x(void *ctx, char *dst, size_t cap)
{
    size_t *left = ctx;
    size_t n = *left < cap ? *left : cap;
    memset(dst, 'x', n);
    *left -= n;
    return n;
}

/* The peer answers before reading anything and closes: sending the body
 * fails, and the client reads the answer that arrived. */
static void early_exchange(runtime_http *h, const uint8_t *answer, size_t len)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    int big = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    for (size_t off = 0; off < len;) {
        ssize_t n = send(sv[1], answer + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(sv[1]);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    h->fd = sv[0];
    h->rpos = h->rlen = 0;
    seen s;
    memset(&s, 0, sizeof s);
    s.content_length = -1;
    size_t left = 2u << 20;
    runtime_http_request rq = {.method = "POST",
                               .path = "/2018-06-01/runtime/invocation/x/response",
                               .body_len = left,
                               .fill = fill_x,
                               .fill_ctx = &left,
                               .timeout_ms = 5000,
                               .on_header = on_header,
                               .on_body = on_body,
                               .ctx = &s};
    long status = 0;
    int rc = runtime_http_perform(h, &rq, &status);
    check_result(h, rc, status, &s);
    if (h->fd != -1)
        fuzz_fail("connection after an early answer", "closed", h->error, strlen(h->error));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static runtime_http h;
    static int ready;
    if (!ready) {
        char err[256];
        if (runtime_http_init(&h, "127.0.0.1:9001", err, sizeof err) != 0)
            abort();
        /* A reconnect goes to a socket path that does not exist: it fails at
         * once, without the network. */
        struct sockaddr_un un = {.sun_family = AF_UNIX};
        snprintf(un.sun_path, sizeof un.sun_path, "/nonexistent/fuzz-runtime-http");
        memcpy(&h.addr, &un, sizeof un);
        h.addrlen = sizeof un;
        ready = 1;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    int big = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    h.fd = sv[0];
    h.rpos = h.rlen = 0;

    seen s;
    long status = 0;
    int rc = exchange(&h, sv[1], data, size, &s, &status);
    check_result(&h, rc, status, &s);
    if (rc == RUNTIME_HTTP_OK && h.fd >= 0) {
        /* The connection was kept: the peer is closed now, but what the
         * client reads next must be the next answer, never this one's rest. */
        static const char second[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond";
        int sv2[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv2) != 0)
            abort();
        if (h.rpos < h.rlen) {
            /* Leftover bytes are in the client's buffer; keep them there and
             * give it a live connection, as a peer that sent more would. */
            close(h.fd);
            fcntl(sv2[0], F_SETFL, O_NONBLOCK);
            h.fd = sv2[0];
        } else {
            close(sv2[0]);
        }
        rc = exchange(&h, sv2[1], (const uint8_t *)second, sizeof second - 1, &s, &status);
        if (rc == RUNTIME_HTTP_OK &&
            (status != 200 || s.body_len != 6 || memcmp(s.body, "second", 6) != 0))
            fuzz_fail("second answer on a kept connection", "200 with body \"second\"", s.body,
                      s.body_len < sizeof s.body ? s.body_len : sizeof s.body);
        if (rc != RUNTIME_HTTP_OK && rc != RUNTIME_HTTP_CONNECT && rc != RUNTIME_HTTP_IO)
            fuzz_fail("second answer on a kept connection", "OK, or a dropped connection", h.error,
                      strlen(h.error));
        close(sv2[1]);
    }
    runtime_http_close(&h);
    close(sv[1]);
    early_exchange(&h, data, size);
    runtime_http_close(&h);
    return 0;
}
