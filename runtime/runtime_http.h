/* runtime_http.h: the HTTP/1.1 client the runtime talks to the Runtime API
 * with: one keep-alive TCP connection to AWS_LAMBDA_RUNTIME_API, plain HTTP,
 * no TLS and no library beyond libc (so a fresh process sets nothing up
 * before its first GET /next).  Everything read from the peer is bounded:
 * a status or header line of at most RUNTIME_HTTP_LINE_MAX bytes, at most
 * RUNTIME_HTTP_HEADERS_MAX bytes of headers, no NUL byte or line without ':'
 * in a header; a body is handed to the caller in pieces, which may refuse
 * more (a size bound).
 */
#ifndef RUNTIME_RUNTIME_HTTP_H
#define RUNTIME_RUNTIME_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#define RUNTIME_HTTP_LINE_MAX (64 * 1024)
#define RUNTIME_HTTP_HEADERS_MAX (256 * 1024)
#define RUNTIME_HTTP_WBUF (32 * 1024) /* outgoing bytes gathered per send */

/* One request.  The body is body/body_len, or comes from fill (pieces of at
 * most cap bytes, 0 at the end): body_len bytes exactly, or with chunked
 * transfer encoding when chunked is set. */
typedef struct runtime_http_request {
    const char *method;
    const char *path;
    const char *headers; /* extra "Name: value\r\n" lines, or NULL */
    const char *body;
    size_t body_len;
    size_t (*fill)(void *ctx, char *dst, size_t cap);
    void *fill_ctx;
    int chunked;
    int timeout_ms; /* whole exchange; 0: none (the /next long poll) */
    /* Polled about every 200 ms until the response's first byte arrives;
     * returning non-zero gives up (RUNTIME_HTTP_ABORTED).  May be NULL. */
    int (*stop_waiting)(void *ctx);
    /* Each header line, without its CRLF, once it is known to be well
     * formed.  May be NULL. */
    void (*on_header)(void *ctx, const char *line, size_t len);
    /* Each piece of the body; returning non-zero stops reading
     * (RUNTIME_HTTP_REFUSED).  May be NULL (the body is discarded). */
    int (*on_body)(void *ctx, const char *data, size_t len);
    /* runtime_http_send sent the request already: read its answer only. */
    int sent;
    void *ctx; /* for stop_waiting, on_header and on_body */
} runtime_http_request;

enum runtime_http_result {
    RUNTIME_HTTP_OK = 0,
    RUNTIME_HTTP_CONNECT = -1,  /* could not connect: nothing was sent */
    RUNTIME_HTTP_IO = -2,       /* the connection failed or closed mid-exchange */
    RUNTIME_HTTP_TIMEOUT = -3,  /* timeout_ms passed */
    RUNTIME_HTTP_PROTOCOL = -4, /* the response is not well-formed HTTP/1.1 */
    RUNTIME_HTTP_ABORTED = -5,  /* stop_waiting said so before any response byte */
    RUNTIME_HTTP_REFUSED = -6,  /* on_body refused the body */
    RUNTIME_HTTP_LOCAL = -7,    /* fill broke its promise, or out of memory */
};

typedef struct runtime_http {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char host[256]; /* host:port, for the Host header and messages */
    int fd;         /* -1 when not connected */
    char *rbuf;     /* read buffer (RUNTIME_HTTP_LINE_MAX + 1 bytes) */
    char *wbuf;     /* write buffer (RUNTIME_HTTP_WBUF bytes) */
    char *piece;    /* a streamed body's piece, allocated at its first use */
    size_t wlen;
    size_t rpos, rlen;
    int got_byte; /* a byte of the current response arrived */
    char error[256];
} runtime_http;

/* Resolves host:port once.  Returns 0, or -1 with the reason in err. */
int runtime_http_init(runtime_http *h, const char *host_port, char *err, size_t errlen);
/* A second client of the address proto resolved, with its own connection
 * and buffers (nothing is shared).  Returns 0, or -1 with the reason. */
int runtime_http_init_like(runtime_http *h, const runtime_http *proto, char *err, size_t errlen);
/* Closes the connection (runtime_http_perform reconnects). */
void runtime_http_close(runtime_http *h);
/* Closes the connection and frees the buffers. */
void runtime_http_free(runtime_http *h);

/* One exchange: connects (or reuses the connection), sends the request,
 * reads the response.  Returns RUNTIME_HTTP_OK with *status, or a negative
 * runtime_http_result with a specific reason in h->error (*status is the
 * status code when the status line had arrived, else 0). */
int runtime_http_perform(runtime_http *h, const runtime_http_request *rq, long *status);

/* The first half of an exchange: connects (or reuses the connection) and
 * sends the request, without waiting for the answer, which a later
 * runtime_http_perform with rq->sent set reads.  Returns RUNTIME_HTTP_OK, or
 * a negative runtime_http_result with the reason in h->error (the connection
 * then closed: nothing is waiting to be read). */
int runtime_http_send(runtime_http *h, const runtime_http_request *rq);

#endif
