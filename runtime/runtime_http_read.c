/* runtime_http_read.c: reading an answer of the Runtime API, bounded:
 * waits on the socket, the status line and headers, and the body (by length,
 * chunked, or to the close). */
#include "runtime/runtime_http_read.h"
#include "common/hex.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define WAIT_SLICE_MS 200 /* how often stop_waiting is asked */

int64_t runtime_http_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int runtime_http_fail(runtime_http_exchange *x, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->h->error, sizeof x->h->error, fmt, ap);
    va_end(ap);
    runtime_http_close(x->h); /* the connection's state is unknown */
    return code;
}

void runtime_http_close(runtime_http *h)
{
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    h->rpos = h->rlen = 0;
}

/* Waits for events on the socket.  Returns 0, or a failure code. */
int runtime_http_wait(runtime_http_exchange *x, short events)
{
    for (;;) {
        int slice = -1;
        if (x->deadline) {
            int64_t left = x->deadline - runtime_http_now_ms();
            if (left <= 0)
                return runtime_http_fail(x, RUNTIME_HTTP_TIMEOUT,
                                         "no answer from the Runtime API at %s within "
                                         "%d ms",
                                         x->h->host, x->rq->timeout_ms);
            slice = (int)left;
        }
        if (x->rq->stop_waiting && !x->h->got_byte && (slice < 0 || slice > WAIT_SLICE_MS))
            slice = WAIT_SLICE_MS;
        struct pollfd p = {.fd = x->h->fd, .events = events};
        int n = poll(&p, 1, slice);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return runtime_http_fail(x, RUNTIME_HTTP_IO, "poll: %s", strerror(errno));
        if (x->rq->stop_waiting && !x->h->got_byte && x->rq->stop_waiting(x->rq->ctx))
            return runtime_http_fail(x, RUNTIME_HTTP_ABORTED,
                                     "stopped waiting for the Runtime API");
    }
}

/* Reads more bytes into the buffer (after what is unread). */
static int read_more(runtime_http_exchange *x)
{
    runtime_http *h = x->h;
    if (h->rpos > 0) {
        memmove(h->rbuf, h->rbuf + h->rpos, h->rlen - h->rpos);
        h->rlen -= h->rpos;
        h->rpos = 0;
    }
    for (;;) {
        ssize_t n = recv(h->fd, h->rbuf + h->rlen, RUNTIME_HTTP_LINE_MAX - h->rlen, 0);
        if (n > 0) {
            h->rlen += (size_t)n;
            h->got_byte = 1;
            return 0;
        }
        if (n == 0)
            return runtime_http_fail(x, RUNTIME_HTTP_IO,
                                     "the Runtime API at %s closed the connection%s", h->host,
                                     h->got_byte ? " in the middle of its answer" : "");
        if (errno != EAGAIN && errno != EINTR)
            return runtime_http_fail(x, RUNTIME_HTTP_IO,
                                     "reading from the Runtime API at %s failed: %s", h->host,
                                     strerror(errno));
        int rc = runtime_http_wait(x, POLLIN);
        if (rc != 0)
            return rc;
    }
}

/* The next line, without CR LF, bounded by RUNTIME_HTTP_LINE_MAX. */
static int read_line(runtime_http_exchange *x, const char **line, size_t *len)
{
    runtime_http *h = x->h;
    for (;;) {
        char *start = h->rbuf + h->rpos;
        char *nl = memchr(start, '\n', h->rlen - h->rpos);
        if (nl != NULL) {
            *line = start;
            *len = (size_t)(nl - start);
            if (*len > 0 && start[*len - 1] == '\r')
                (*len)--;
            h->rpos += (size_t)(nl - start) + 1;
            return 0;
        }
        if (h->rlen - h->rpos >= RUNTIME_HTTP_LINE_MAX)
            return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL,
                                     "a status or header line longer than %d bytes",
                                     RUNTIME_HTTP_LINE_MAX);
        int rc = read_more(x);
        if (rc != 0)
            return rc;
    }
}

static int header_value_is(const char *line, size_t len, const char *name, const char **v,
                           size_t *vlen)
{
    size_t n = strlen(name);
    if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
        return 0;
    const char *s = line + n + 1, *e = line + len;
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *v = s;
    *vlen = (size_t)(e - s);
    return 1;
}

/* Checks one header line and notes the runtime_http_framing it sets. */
static int take_header(runtime_http_exchange *x, const char *line, size_t len,
                       runtime_http_framing *f)
{
    const char *v;
    size_t vlen;
    if (memchr(line, '\0', len) != NULL)
        return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL, "a NUL byte in a header line");
    if (line[0] == ' ' || line[0] == '\t')
        return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL,
                                 "a folded header line (obsolete line folding)");
    const char *colon = memchr(line, ':', len);
    if (colon == NULL || colon == line)
        return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL, "a header line without a name and ':'");
    for (const char *p = line; p < colon; p++)
        if (*p == ' ' || *p == '\t' || (unsigned char)*p < 0x21 || (unsigned char)*p > 0x7E)
            return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL, "a header name with byte 0x%02X",
                                     (unsigned char)*p);
    if (header_value_is(line, len, "Content-Length", &v, &vlen)) {
        long long n = 0;
        if (vlen == 0 || vlen > 15)
            return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL, "a malformed Content-Length");
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9')
                return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL, "a malformed Content-Length");
            n = n * 10 + (v[i] - '0');
        }
        if (f->length >= 0 && f->length != n)
            return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL,
                                     "two different Content-Length headers");
        f->length = n;
    } else if (header_value_is(line, len, "Transfer-Encoding", &v, &vlen)) {
        if (vlen < 7 || strncasecmp(v + vlen - 7, "chunked", 7) != 0)
            return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL,
                                     "a transfer coding other than chunked");
        f->chunked = 1;
    } else if (header_value_is(line, len, "Connection", &v, &vlen)) {
        if (vlen == 5 && strncasecmp(v, "close", 5) == 0)
            f->close = 1;
    }
    if (x->rq->on_header)
        x->rq->on_header(x->rq->ctx, line, len);
    return 0;
}

/* Status line (skipping 1xx interim answers) and headers. */
int runtime_http_read_head(runtime_http_exchange *x, long *status, runtime_http_framing *f)
{
    const char *line;
    size_t len, total = 0;
    int rc;
    for (;;) {
        if ((rc = read_line(x, &line, &len)) != 0)
            return rc;
        if (len < 12 || strncmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') ||
            line[8] != ' ' || line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' ||
            line[11] < '0' || line[11] > '9' || (len > 12 && line[12] != ' '))
            return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL, "a malformed status line");
        *status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        if (*status >= 200)
            break;
        while ((rc = read_line(x, &line, &len)) == 0 && len > 0) /* 1xx: skip its headers */
            ;
        if (rc != 0)
            return rc;
    }
    for (;;) {
        if ((rc = read_line(x, &line, &len)) != 0)
            return rc;
        if (len == 0)
            return 0;
        total += len + 2;
        if (total > RUNTIME_HTTP_HEADERS_MAX)
            return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL, "more than %d bytes of headers",
                                     RUNTIME_HTTP_HEADERS_MAX);
        if ((rc = take_header(x, line, len, f)) != 0)
            return rc;
    }
}

/* Hands n body bytes (some already buffered) to on_body; n < 0: until the
 * peer closes. */
static int read_exactly(runtime_http_exchange *x, long long n)
{
    runtime_http *h = x->h;
    while (n != 0) {
        if (h->rpos == h->rlen) {
            h->rpos = h->rlen = 0;
            if (n < 0) {
                ssize_t k = recv(h->fd, h->rbuf, RUNTIME_HTTP_LINE_MAX, 0);
                if (k == 0)
                    return 0;
                if (k < 0 && errno != EAGAIN && errno != EINTR)
                    return runtime_http_fail(x, RUNTIME_HTTP_IO, "reading the body failed: %s",
                                             strerror(errno));
                if (k < 0) {
                    int rc = runtime_http_wait(x, POLLIN);
                    if (rc != 0)
                        return rc;
                    continue;
                }
                h->rlen = (size_t)k;
            } else {
                int rc = read_more(x);
                if (rc != 0)
                    return rc;
            }
        }
        size_t avail = h->rlen - h->rpos;
        size_t take = n >= 0 && (unsigned long long)n < avail ? (size_t)n : avail;
        if (x->rq->on_body && x->rq->on_body(x->rq->ctx, h->rbuf + h->rpos, take) != 0)
            return runtime_http_fail(x, RUNTIME_HTTP_REFUSED, "the body was refused");
        h->rpos += take;
        if (n > 0)
            n -= (long long)take;
    }
    return 0;
}

static int read_chunked(runtime_http_exchange *x)
{
    const char *line;
    size_t len;
    int rc;
    for (;;) {
        if ((rc = read_line(x, &line, &len)) != 0)
            return rc;
        unsigned long long size = 0; /* 16 digits wrap, but are refused below */
        size_t i = 0;
        for (; i < len && i < 16; i++) {
            int d = hex_digit(line[i]);
            if (d < 0)
                break;
            size = size * 16 + d;
        }
        if (i == 0 || i == 16 || (i < len && line[i] != ';' && line[i] != ' '))
            return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL, "a malformed chunk size");
        if (size == 0)
            break;
        if ((rc = read_exactly(x, (long long)size)) != 0 || (rc = read_line(x, &line, &len)) != 0)
            return rc;
        if (len != 0)
            return runtime_http_fail(x, RUNTIME_HTTP_PROTOCOL, "a chunk not followed by CR LF");
    }
    while ((rc = read_line(x, &line, &len)) == 0 && len > 0) /* trailer fields */
        ;
    return rc;
}

/* The body of an answer whose head was read. */
int runtime_http_read_body(runtime_http_exchange *x, long status, runtime_http_framing *f)
{
    if (f->chunked)
        return read_chunked(x);
    if (f->length >= 0)
        return read_exactly(x, f->length);
    if (status != 204 && status != 304) {
        f->close = 1;
        return read_exactly(x, -1);
    }
    return 0;
}
