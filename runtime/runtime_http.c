/* runtime_http.c: a bounded HTTP/1.1 client over one keep-alive socket. */
#include "runtime/runtime_http.h"
#include "common/hex.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 2000
#define WAIT_SLICE_MS 200 /* how often stop_waiting is asked */
/* Bytes of a streamed body per fill call.  Each piece leaves in its own
 * send (its chunk head goes with the bytes before it), so the size sets the
 * number of sends: a 6.3 MB response took 768 sends in 16 KB pieces, 48 in
 * 256 KB ones. */
#define PIECE (256 * 1024)
/* send_request's result when the peer answered, or closed, before the
 * request was sent whole (positive: never a runtime_http_result). */
#define SEND_CUT 1

/* The exchange in progress. */
typedef struct exchange {
    runtime_http *h;
    const runtime_http_request *rq;
    int64_t deadline; /* CLOCK_MONOTONIC ms; 0: none */
} exchange;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(exchange *x, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(exchange *x, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->h->error, sizeof x->h->error, fmt, ap);
    va_end(ap);
    runtime_http_close(x->h); /* the connection's state is unknown */
    return code;
}

/* The read and write buffers every connection owns (runtime_http_free frees them). */
static int alloc_buffers(runtime_http *h, char *err, size_t errlen)
{
    h->rbuf = malloc(RUNTIME_HTTP_LINE_MAX + 1);
    h->wbuf = malloc(RUNTIME_HTTP_WBUF);
    if (h->rbuf == NULL || h->wbuf == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int runtime_http_init(runtime_http *h, const char *host_port, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    h->fd = -1;
    char host[256];
    const char *colon = strrchr(host_port, ':');
    size_t hlen = colon ? (size_t)(colon - host_port) : 0;
    if (colon == NULL || hlen == 0 || hlen >= sizeof host || colon[1] == '\0') {
        snprintf(err, errlen, "AWS_LAMBDA_RUNTIME_API=%.200s is not host:port", host_port);
        return -1;
    }
    memcpy(host, host_port, hlen);
    host[hlen] = '\0';
    if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') { /* [::1]:9001 */
        memmove(host, host + 1, hlen - 2);
        host[hlen - 2] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0 || res == NULL) {
        snprintf(err, errlen, "AWS_LAMBDA_RUNTIME_API=%.200s: cannot resolve %.200s: %s", host_port,
                 host, rc ? gai_strerror(rc) : "no address");
        return -1;
    }
    memcpy(&h->addr, res->ai_addr, res->ai_addrlen);
    h->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    snprintf(h->host, sizeof h->host, "%s", host_port);
    return alloc_buffers(h, err, errlen);
}

int runtime_http_init_like(runtime_http *h, const runtime_http *proto, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    h->fd = -1;
    memcpy(&h->addr, &proto->addr, sizeof h->addr);
    h->addrlen = proto->addrlen;
    memcpy(h->host, proto->host, sizeof h->host);
    return alloc_buffers(h, err, errlen);
}

void runtime_http_close(runtime_http *h)
{
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    h->rpos = h->rlen = 0;
}

void runtime_http_free(runtime_http *h)
{
    runtime_http_close(h);
    free(h->rbuf);
    free(h->wbuf);
    free(h->piece);
    h->rbuf = h->wbuf = h->piece = NULL;
}

/* Waits for events on the socket.  Returns 0, or a failure code. */
static int wait_fd(exchange *x, short events)
{
    for (;;) {
        int slice = -1;
        if (x->deadline) {
            int64_t left = x->deadline - mono_ms();
            if (left <= 0)
                return fail(x, RUNTIME_HTTP_TIMEOUT,
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
            return fail(x, RUNTIME_HTTP_IO, "poll: %s", strerror(errno));
        if (x->rq->stop_waiting && !x->h->got_byte && x->rq->stop_waiting(x->rq->ctx))
            return fail(x, RUNTIME_HTTP_ABORTED, "stopped waiting for the Runtime API");
    }
}

static int connect_peer(exchange *x)
{
    runtime_http *h = x->h;
    h->fd = socket(h->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (h->fd < 0)
        return fail(x, RUNTIME_HTTP_CONNECT, "socket: %s", strerror(errno));
    h->rpos = h->rlen = 0;
    if (connect(h->fd, (struct sockaddr *)&h->addr, h->addrlen) != 0 && errno != EINPROGRESS)
        return fail(x, RUNTIME_HTTP_CONNECT, "cannot connect to %s: %s", h->host, strerror(errno));
    struct pollfd p = {.fd = h->fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof err;
    int n;
    while ((n = poll(&p, 1, CONNECT_TIMEOUT_MS)) < 0 && errno == EINTR)
        ;
    if (n == 0)
        return fail(x, RUNTIME_HTTP_CONNECT, "cannot connect to %s: no answer within %d ms",
                    h->host, CONNECT_TIMEOUT_MS);
    if (n < 0 || getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
        return fail(x, RUNTIME_HTTP_CONNECT, "cannot connect to %s: %s", h->host,
                    strerror(err ? err : errno));
    int one = 1;
    setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return 0;
}

/* A kept-alive connection the peer has closed meanwhile is not reused, nor
 * one that sent bytes nobody asked for (read already or still waiting): they
 * would be taken for the next request's answer. */
static void drop_if_stale(runtime_http *h)
{
    if (h->fd < 0)
        return;
    struct pollfd p = {.fd = h->fd, .events = POLLIN};
    if (h->rpos < h->rlen || poll(&p, 1, 0) != 0) /* EOF, an error, or unasked bytes */
        runtime_http_close(h);
}

/* True when bytes (an answer) or an end wait to be read on the socket. */
static int peer_spoke(runtime_http *h)
{
    struct pollfd p = {.fd = h->fd, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

/* Sends len bytes.  A server may answer before it has read the whole
 * request (a 413 to a body over its limit) and close; RFC 9112 section 9.5
 * asks a client sending a body to watch for that answer and stop sending.
 * So when the peer speaks while the socket is full, or the send fails
 * because the peer closed, this returns SEND_CUT (the connection open, the
 * reason in h->error) and the caller reads the answer. */
static int send_all(exchange *x, const char *data, size_t len)
{
    runtime_http *h = x->h;
    while (len > 0) {
        ssize_t n = send(h->fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            int rc = wait_fd(x, POLLOUT | POLLIN);
            if (rc != 0)
                return rc;
            if (peer_spoke(h)) {
                snprintf(h->error, sizeof h->error,
                         "the Runtime API at %.180s answered before the request was sent whole",
                         h->host);
                return SEND_CUT;
            }
        } else if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            snprintf(h->error, sizeof h->error, "sending to the Runtime API at %.200s failed: %s",
                     h->host, strerror(errno));
            return SEND_CUT;
        } else {
            return fail(x, RUNTIME_HTTP_IO, "sending to the Runtime API at %s failed: %s", h->host,
                        n < 0 ? strerror(errno) : "connection closed");
        }
    }
    return 0;
}

/* Outgoing bytes are gathered in h->wbuf, so that a small request (head,
 * body and chunk framing) leaves in one segment. */
static int flush_out(exchange *x)
{
    int rc = send_all(x, x->h->wbuf, x->h->wlen);
    x->h->wlen = 0;
    return rc;
}

static int put(exchange *x, const char *data, size_t len)
{
    runtime_http *h = x->h;
    if (h->wlen + len > RUNTIME_HTTP_WBUF || len >= RUNTIME_HTTP_WBUF / 2) {
        int rc = flush_out(x); /* what is gathered goes first */
        if (rc != 0)
            return rc;
    }
    if (len >= RUNTIME_HTTP_WBUF / 2)
        return send_all(x, data, len);
    memcpy(h->wbuf + h->wlen, data, len);
    h->wlen += len;
    return 0;
}

/* A body from fill: exactly body_len bytes, or chunks. */
static int send_filled(exchange *x)
{
    const runtime_http_request *rq = x->rq;
    if (x->h->piece == NULL && (x->h->piece = malloc(PIECE)) == NULL)
        return fail(x, RUNTIME_HTTP_LOCAL, "out of memory");
    char *piece = x->h->piece;
    size_t total = 0;
    int rc = 0;
    for (;;) {
        size_t n = rq->fill(rq->fill_ctx, piece, PIECE);
        if (n > PIECE)
            return fail(x, RUNTIME_HTTP_LOCAL, "the body writer returned %zu bytes for %d", n,
                        PIECE);
        total += n;
        if (n == 0 || (!rq->chunked && total > rq->body_len))
            break;
        if (rq->chunked) {
            char head[24];
            int k = snprintf(head, sizeof head, "%zx\r\n", n);
            if ((rc = put(x, head, (size_t)k)) != 0 || (rc = put(x, piece, n)) != 0 ||
                (rc = put(x, "\r\n", 2)) != 0)
                return rc;
        } else if ((rc = put(x, piece, n)) != 0) {
            return rc;
        }
    }
    if (rq->chunked)
        return put(x, "0\r\n\r\n", 5);
    if (total != rq->body_len)
        return fail(x, RUNTIME_HTTP_LOCAL, "the body writer gave %zu bytes where %zu were promised",
                    total, rq->body_len);
    return 0;
}

static int send_request(exchange *x)
{
    const runtime_http_request *rq = x->rq;
    int has_body = rq->body != NULL || rq->fill != NULL;
    char length[64] = "";
    if (has_body && rq->fill && rq->chunked)
        snprintf(length, sizeof length, "Transfer-Encoding: chunked\r\n");
    else if (has_body)
        snprintf(length, sizeof length, "Content-Length: %zu\r\n", rq->body_len);
    size_t cap = strlen(rq->method) + strlen(rq->path) + strlen(x->h->host) +
                 (rq->headers ? strlen(rq->headers) : 0) + sizeof length + 64;
    char *head = malloc(cap);
    if (head == NULL)
        return fail(x, RUNTIME_HTTP_LOCAL, "out of memory");
    int n = snprintf(head, cap, "%s %s HTTP/1.1\r\nHost: %s\r\n%s%s\r\n", rq->method, rq->path,
                     x->h->host, rq->headers ? rq->headers : "", length);
    x->h->wlen = 0;
    int rc = put(x, head, (size_t)n);
    free(head);
    if (rc == 0 && rq->fill)
        rc = send_filled(x);
    else if (rc == 0 && rq->body)
        rc = put(x, rq->body, rq->body_len);
    return rc == 0 ? flush_out(x) : rc;
}

/* Reads more bytes into the buffer (after what is unread). */
static int read_more(exchange *x)
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
            return fail(x, RUNTIME_HTTP_IO, "the Runtime API at %s closed the connection%s",
                        h->host, h->got_byte ? " in the middle of its answer" : "");
        if (errno != EAGAIN && errno != EINTR)
            return fail(x, RUNTIME_HTTP_IO, "reading from the Runtime API at %s failed: %s",
                        h->host, strerror(errno));
        int rc = wait_fd(x, POLLIN);
        if (rc != 0)
            return rc;
    }
}

/* The next line, without CR LF, bounded by RUNTIME_HTTP_LINE_MAX. */
static int read_line(exchange *x, const char **line, size_t *len)
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
            return fail(x, RUNTIME_HTTP_PROTOCOL, "a status or header line longer than %d bytes",
                        RUNTIME_HTTP_LINE_MAX);
        int rc = read_more(x);
        if (rc != 0)
            return rc;
    }
}

/* How the body is delimited. */
typedef struct framing {
    long long length; /* -1: none given */
    int chunked;
    int close; /* Connection: close */
} framing;

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

/* Checks one header line and notes the framing it sets. */
static int take_header(exchange *x, const char *line, size_t len, framing *f)
{
    const char *v;
    size_t vlen;
    if (memchr(line, '\0', len) != NULL)
        return fail(x, RUNTIME_HTTP_PROTOCOL, "a NUL byte in a header line");
    if (line[0] == ' ' || line[0] == '\t')
        return fail(x, RUNTIME_HTTP_PROTOCOL, "a folded header line (obsolete line folding)");
    const char *colon = memchr(line, ':', len);
    if (colon == NULL || colon == line)
        return fail(x, RUNTIME_HTTP_PROTOCOL, "a header line without a name and ':'");
    for (const char *p = line; p < colon; p++)
        if (*p == ' ' || *p == '\t' || (unsigned char)*p < 0x21 || (unsigned char)*p > 0x7E)
            return fail(x, RUNTIME_HTTP_PROTOCOL, "a header name with byte 0x%02X",
                        (unsigned char)*p);
    if (header_value_is(line, len, "Content-Length", &v, &vlen)) {
        long long n = 0;
        if (vlen == 0 || vlen > 15)
            return fail(x, RUNTIME_HTTP_PROTOCOL, "a malformed Content-Length");
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9')
                return fail(x, RUNTIME_HTTP_PROTOCOL, "a malformed Content-Length");
            n = n * 10 + (v[i] - '0');
        }
        if (f->length >= 0 && f->length != n)
            return fail(x, RUNTIME_HTTP_PROTOCOL, "two different Content-Length headers");
        f->length = n;
    } else if (header_value_is(line, len, "Transfer-Encoding", &v, &vlen)) {
        if (vlen < 7 || strncasecmp(v + vlen - 7, "chunked", 7) != 0)
            return fail(x, RUNTIME_HTTP_PROTOCOL, "a transfer coding other than chunked");
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
static int read_head(exchange *x, long *status, framing *f)
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
            return fail(x, RUNTIME_HTTP_PROTOCOL, "a malformed status line");
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
            return fail(x, RUNTIME_HTTP_PROTOCOL, "more than %d bytes of headers",
                        RUNTIME_HTTP_HEADERS_MAX);
        if ((rc = take_header(x, line, len, f)) != 0)
            return rc;
    }
}

/* Hands n body bytes (some already buffered) to on_body; n < 0: until the
 * peer closes. */
static int read_exactly(exchange *x, long long n)
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
                    return fail(x, RUNTIME_HTTP_IO, "reading the body failed: %s", strerror(errno));
                if (k < 0) {
                    int rc = wait_fd(x, POLLIN);
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
            return fail(x, RUNTIME_HTTP_REFUSED, "the body was refused");
        h->rpos += take;
        if (n > 0)
            n -= (long long)take;
    }
    return 0;
}

static int read_chunked(exchange *x)
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
            return fail(x, RUNTIME_HTTP_PROTOCOL, "a malformed chunk size");
        if (size == 0)
            break;
        if ((rc = read_exactly(x, (long long)size)) != 0 || (rc = read_line(x, &line, &len)) != 0)
            return rc;
        if (len != 0)
            return fail(x, RUNTIME_HTTP_PROTOCOL, "a chunk not followed by CR LF");
    }
    while ((rc = read_line(x, &line, &len)) == 0 && len > 0) /* trailer fields */
        ;
    return rc;
}

/* The body of an answer whose head was read. */
static int read_body(exchange *x, long status, framing *f)
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

/* The answer to a request the peer cut short (SEND_CUT): its status and
 * body when they arrived (the connection is then closed: the request was
 * never sent whole), else the send's failure. */
static int read_early_answer(exchange *x, long *status)
{
    char why[sizeof x->h->error];
    memcpy(why, x->h->error, sizeof why);
    framing f = {-1, 0, 0};
    int rc = read_head(x, status, &f);
    if (rc == 0) {
        read_body(x, *status, &f); /* the status is the answer; a body cut short is only text */
        runtime_http_close(x->h);
        snprintf(x->h->error, sizeof x->h->error, "%s", why);
        return RUNTIME_HTTP_OK;
    }
    *status = 0;
    snprintf(x->h->error, sizeof x->h->error, "%s", why);
    runtime_http_close(x->h);
    return RUNTIME_HTTP_IO;
}

int runtime_http_send(runtime_http *h, const runtime_http_request *rq)
{
    exchange x = {h, rq, rq->timeout_ms > 0 ? mono_ms() + rq->timeout_ms : 0};
    int rc;
    h->error[0] = '\0';
    h->got_byte = 0;
    drop_if_stale(h);
    if (h->fd < 0 && (rc = connect_peer(&x)) != 0)
        return rc;
    rc = send_request(&x);
    if (rc == SEND_CUT) /* an answer before the request left whole: nothing to wait for */
        return fail(&x, RUNTIME_HTTP_IO, "%s", h->error);
    return rc;
}

int runtime_http_perform(runtime_http *h, const runtime_http_request *rq, long *status)
{
    exchange x = {h, rq, rq->timeout_ms > 0 ? mono_ms() + rq->timeout_ms : 0};
    framing f = {-1, 0, 0};
    int rc;
    *status = 0;
    h->error[0] = '\0';
    h->got_byte = 0;
    if (rq->sent) {
        if (h->fd < 0)
            return fail(&x, RUNTIME_HTTP_IO, "the connection to %s closed after the request was sent",
                        h->host);
    } else {
        drop_if_stale(h);
        if (h->fd < 0 && (rc = connect_peer(&x)) != 0)
            return rc;
        rc = send_request(&x);
        if (rc == SEND_CUT)
            return read_early_answer(&x, status);
        if (rc != 0)
            return rc;
    }
    if ((rc = read_head(&x, status, &f)) != 0)
        return rc;
    rc = read_body(&x, *status, &f);
    if (rc == 0 && f.close)
        runtime_http_close(h);
    return rc;
}
