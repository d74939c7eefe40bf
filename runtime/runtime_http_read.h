/* runtime_http_read.h: what runtime_http.c (connecting, sending, the
 * exchange) uses of runtime_http_read.c (the socket's waits and failures,
 * and reading an answer: its head, then its body), which knows nothing of
 * sending.  Not for the runtime: its interface is runtime/runtime_http.h. */
#ifndef RUNTIME_RUNTIME_HTTP_READ_H
#define RUNTIME_RUNTIME_HTTP_READ_H

#include <stdint.h>

#include "runtime/runtime_http.h"

/* The exchange in progress. */
typedef struct runtime_http_exchange {
    runtime_http *h;
    const runtime_http_request *rq;
    int64_t deadline; /* CLOCK_MONOTONIC ms; 0: none */
} runtime_http_exchange;

/* How the body is delimited. */
typedef struct runtime_http_framing {
    long long length; /* -1: none given */
    int chunked;
    int close; /* Connection: close */
} runtime_http_framing;

/* CLOCK_MONOTONIC, in ms. */
int64_t runtime_http_now_ms(void);

/* Records the reason in x->h->error, closes the connection (its state is
 * unknown) and returns code. */
int runtime_http_fail(runtime_http_exchange *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Waits for events on the socket, within the exchange's deadline, asking
 * stop_waiting about every 200 ms until the answer's first byte.  Returns
 * 0, or a failure code. */
int runtime_http_wait(runtime_http_exchange *x, short events);

/* The status line and headers of the answer: *status, and in f how its body
 * is delimited.  0 or a failure code. */
int runtime_http_read_head(runtime_http_exchange *x, long *status, runtime_http_framing *f);

/* The body of an answer whose head was read, handed to rq->on_body.  0 or a
 * failure code. */
int runtime_http_read_body(runtime_http_exchange *x, long status, runtime_http_framing *f);

#endif
