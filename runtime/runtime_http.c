/* runtime_http.c: a bounded HTTP/1.1 client over one keep-alive socket:
 * connecting, sending a request, and the exchange as a whole (reading the
 * answer is runtime_http_read.c's). */
#include "runtime/runtime_http.h"
#include "runtime/runtime_http_read.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bigmem.h"

#define CONNECT_TIMEOUT_MS 2000
/* Bytes of a streamed body per fill call.  Each piece leaves in its own
 * send (its chunk head goes with the bytes before it), so the size sets the
 * number of sends: a 6.3 MB response took 768 sends in 16 KB pieces, 48 in
 * 256 KB ones. */
#define PIECE (256 * 1024)
/* send_request's result when the peer answered, or closed, before the
 * request was sent whole (positive: never a runtime_http_result). */
#define SEND_CUT 1

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

void runtime_http_free(runtime_http *h)
{
    runtime_http_close(h);
    free(h->rbuf);
    free(h->wbuf);
    free(h->piece);
    h->rbuf = h->wbuf = h->piece = NULL;
}

static int connect_peer(runtime_http_exchange *x)
{
    runtime_http *h = x->h;
    h->fd = socket(h->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (h->fd < 0)
        return runtime_http_fail(x, RUNTIME_HTTP_CONNECT, "socket: %s", strerror(errno));
    h->rpos = h->rlen = 0;
    if (connect(h->fd, (struct sockaddr *)&h->addr, h->addrlen) != 0 && errno != EINPROGRESS)
        return runtime_http_fail(x, RUNTIME_HTTP_CONNECT, "cannot connect to %s: %s", h->host,
                                 strerror(errno));
    struct pollfd p = {.fd = h->fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof err;
    int n;
    while ((n = poll(&p, 1, CONNECT_TIMEOUT_MS)) < 0 && errno == EINTR)
        ;
    if (n == 0)
        return runtime_http_fail(x, RUNTIME_HTTP_CONNECT,
                                 "cannot connect to %s: no answer within %d ms", h->host,
                                 CONNECT_TIMEOUT_MS);
    if (n < 0 || getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
        return runtime_http_fail(x, RUNTIME_HTTP_CONNECT, "cannot connect to %s: %s", h->host,
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
static int send_all(runtime_http_exchange *x, const char *data, size_t len)
{
    runtime_http *h = x->h;
    while (len > 0) {
        ssize_t n = send(h->fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            int rc = runtime_http_wait(x, POLLOUT | POLLIN);
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
            return runtime_http_fail(x, RUNTIME_HTTP_IO,
                                     "sending to the Runtime API at %s failed: %s", h->host,
                                     n < 0 ? strerror(errno) : "connection closed");
        }
    }
    return 0;
}

/* Outgoing bytes are gathered in h->wbuf, so that a small request (head,
 * body and chunk runtime_http_framing) leaves in one segment. */
static int flush_out(runtime_http_exchange *x)
{
    int rc = send_all(x, x->h->wbuf, x->h->wlen);
    x->h->wlen = 0;
    return rc;
}

static int put(runtime_http_exchange *x, const char *data, size_t len)
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

/* A body from fill, written into piece: exactly body_len bytes, or chunks. */
static int send_pieces(runtime_http_exchange *x, char *piece)
{
    const runtime_http_request *rq = x->rq;
    size_t total = 0;
    int rc = 0;
    for (;;) {
        size_t n = rq->fill(rq->fill_ctx, piece, PIECE);
        if (n > PIECE)
            return runtime_http_fail(x, RUNTIME_HTTP_LOCAL,
                                     "the body writer returned %zu bytes for %d", n, PIECE);
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
        return runtime_http_fail(x, RUNTIME_HTTP_LOCAL,
                                 "the body writer gave %zu bytes where %zu were promised", total,
                                 rq->body_len);
    return 0;
}

/* The pieces are written into memory the process already has when it
 * keeps some (a large event just read leaves its region: common/bigmem.h),
 * so that a fresh process's first large response faults in no page for
 * them (64 at 16 us each on a Firecracker VM); else into the connection's
 * own piece buffer. */
static int send_filled(runtime_http_exchange *x)
{
    size_t cap = 0;
    char *kept = bigmem_take_kept(PIECE, &cap);
    if (kept != NULL) {
        int rc = send_pieces(x, kept);
        bigmem_release(kept, cap);
        return rc;
    }
    if (x->h->piece == NULL && (x->h->piece = malloc(PIECE)) == NULL)
        return runtime_http_fail(x, RUNTIME_HTTP_LOCAL, "out of memory");
    return send_pieces(x, x->h->piece);
}

static int send_request(runtime_http_exchange *x)
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
        return runtime_http_fail(x, RUNTIME_HTTP_LOCAL, "out of memory");
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

/* The answer to a request the peer cut short (SEND_CUT): its status and
 * body when they arrived (the connection is then closed: the request was
 * never sent whole), else the send's failure. */
static int read_early_answer(runtime_http_exchange *x, long *status)
{
    char why[sizeof x->h->error];
    memcpy(why, x->h->error, sizeof why);
    runtime_http_framing f = {-1, 0, 0};
    int rc = runtime_http_read_head(x, status, &f);
    if (rc == 0) {
        runtime_http_read_body(x, *status,
                               &f); /* the status is the answer; a body cut short is only text */
        runtime_http_close(x->h);
        snprintf(x->h->error, sizeof x->h->error, "%s", why);
        return RUNTIME_HTTP_OK;
    }
    *status = 0;
    snprintf(x->h->error, sizeof x->h->error, "%s", why);
    runtime_http_close(x->h);
    return RUNTIME_HTTP_IO;
}

/* The exchange for rq on h, its error and first-byte state cleared. */
static runtime_http_exchange exchange_start(runtime_http *h, const runtime_http_request *rq)
{
    h->error[0] = '\0';
    h->got_byte = 0;
    return (runtime_http_exchange){h, rq,
                                   rq->timeout_ms > 0 ? runtime_http_now_ms() + rq->timeout_ms : 0};
}

/* Connects (or reuses the connection) and sends the request: 0, SEND_CUT
 * (the peer answered before it was sent whole) or a failure code. */
static int connect_and_send(runtime_http_exchange *x)
{
    int rc;
    drop_if_stale(x->h);
    if (x->h->fd < 0 && (rc = connect_peer(x)) != 0)
        return rc;
    return send_request(x);
}

int runtime_http_send(runtime_http *h, const runtime_http_request *rq)
{
    runtime_http_exchange x = exchange_start(h, rq);
    int rc = connect_and_send(&x);
    if (rc == SEND_CUT) /* an answer before the request left whole: nothing to wait for */
        return runtime_http_fail(&x, RUNTIME_HTTP_IO, "%s", h->error);
    return rc;
}

int runtime_http_perform(runtime_http *h, const runtime_http_request *rq, long *status)
{
    runtime_http_exchange x = exchange_start(h, rq);
    runtime_http_framing f = {-1, 0, 0};
    int rc;
    *status = 0;
    if (rq->sent) {
        if (h->fd < 0)
            return runtime_http_fail(&x, RUNTIME_HTTP_IO,
                                     "the connection to %s closed after the request was sent",
                                     h->host);
    } else if ((rc = connect_and_send(&x)) != 0) {
        return rc == SEND_CUT ? read_early_answer(&x, status) : rc;
    }
    if ((rc = runtime_http_read_head(&x, status, &f)) != 0)
        return rc;
    rc = runtime_http_read_body(&x, *status, &f);
    if (rc == 0 && f.close)
        runtime_http_close(h);
    return rc;
}
