/* test_runtime_http.c: the runtime's HTTP/1.1 client against a canned peer
 * (a forked process that reads one request and writes the given bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/runtime_http.h"

typedef struct seen {
    char headers[4096];
    char body[1 << 17];
    size_t body_len;
} seen;

static void on_header(void *ctx, const char *line, size_t len)
{
    seen *s = ctx;
    strncat(s->headers, line, len);
    strcat(s->headers, "|");
}

static int on_body(void *ctx, const char *data, size_t len)
{
    seen *s = ctx;
    assert_true(s->body_len + len <= sizeof s->body);
    memcpy(s->body + s->body_len, data, len);
    s->body_len += len;
    return 0;
}

/* A socket bound to a fresh port of 127.0.0.1, not listening: until it is
 * closed, connections there are refused and no other process can take the
 * port.  *port its port. */
static int bind_loopback(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return s;
}

/* A socket listening on a fresh port of 127.0.0.1 (backlog connections
 * waiting at most); *port its port. */
static int listen_loopback(int backlog, int *port)
{
    int ls = bind_loopback(port);
    assert_int_equal(listen(ls, backlog), 0);
    return ls;
}

/* Reads a request head from c (up to the blank line); 0, or -1 at EOF. */
static int read_request_head(int c)
{
    char req[8192];
    size_t got = 0;
    while (got < sizeof req - 1) {
        ssize_t n = read(c, req + got, sizeof req - 1 - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n"))
            return 0;
    }
    return 0;
}

/* Serves one connection on a fresh port: reads the request head, writes
 * reply (len bytes), closes.  Returns the port; *pid the server. */
static int canned_peer(const char *reply, size_t len, pid_t *pid)
{
    int port, ls = listen_loopback(1, &port);
    *pid = fork();
    assert_true(*pid >= 0);
    if (*pid == 0) {
        int c = accept(ls, NULL, NULL);
        read_request_head(c);
        for (size_t o = 0; o < len;) {
            ssize_t n = write(c, reply + o, len - o);
            if (n <= 0)
                break;
            o += (size_t)n;
        }
        close(c);
        _exit(0);
    }
    close(ls);
    return port;
}

/* What the client reported for one request to a canned peer. */
typedef struct answer {
    int rc;
    long status;
    char error[256]; /* the client's h.error */
    int kept;        /* the connection was left open */
    seen s;          /* the header lines and the body handed over */
} answer;

/* Sends rq (its on_header, on_body and ctx set here) to a canned peer
 * answering reply (len bytes).  Returns what the client reported, in a
 * static answer the next call overwrites. */
static answer *ask(const char *reply, size_t len, runtime_http_request *rq)
{
    static answer a;
    memset(&a, 0, sizeof a);
    pid_t pid;
    char hostport[32], err[256];
    snprintf(hostport, sizeof hostport, "127.0.0.1:%d", canned_peer(reply, len, &pid));
    runtime_http h;
    assert_int_equal(runtime_http_init(&h, hostport, err, sizeof err), 0);
    rq->on_header = on_header;
    rq->on_body = on_body;
    rq->ctx = &a.s;
    a.rc = runtime_http_perform(&h, rq, &a.status);
    snprintf(a.error, sizeof a.error, "%s", h.error);
    a.kept = h.fd != -1;
    runtime_http_free(&h);
    waitpid(pid, NULL, 0);
    return &a;
}

/* GET /next answered with reply (len bytes). */
static answer *exchange(const char *reply, size_t len)
{
    runtime_http_request rq = {
        .method = "GET", .path = "/2018-06-01/runtime/invocation/next", .timeout_ms = 5000};
    return ask(reply, len, &rq);
}

/* A canned answer and what the client must report for it: the result, the
 * status (0: not checked), the error text (when not NULL), the header lines
 * in order, each followed by '|' (when not NULL) and the body (when not
 * NULL, body_len bytes). */
typedef struct answer_case {
    const char *reply;
    size_t reply_len;
    int rc;
    long status;
    const char *error, *headers, *body;
    size_t body_len;
} answer_case;

static void expect_answer(const answer_case *c)
{
    const answer *a = exchange(c->reply, c->reply_len);
    if (a->rc != c->rc || (c->status != 0 && a->status != c->status))
        fail_msg("expected result %d and status %ld, got %d and %ld (%s)", c->rc, c->status, a->rc,
                 a->status, a->error);
    if (c->error != NULL && strcmp(a->error, c->error) != 0)
        fail_msg("expected the error \"%s\", got \"%s\"", c->error, a->error);
    if (c->headers != NULL && strcmp(a->s.headers, c->headers) != 0)
        fail_msg("expected the headers \"%s\", got \"%s\"", c->headers, a->s.headers);
    if (c->body != NULL &&
        (a->s.body_len != c->body_len || memcmp(a->s.body, c->body, c->body_len) != 0))
        fail_msg("expected the body \"%.*s\", got \"%.*s\"", (int)c->body_len, c->body,
                 (int)a->s.body_len, a->s.body);
}

#define REPLY(s) s, sizeof(s) - 1

/* Whether req (got bytes) is a whole request: its head, then Content-Length
 * bytes, or chunks up to the last one. */
static int request_complete(const char *req, size_t got)
{
    const char *end = memmem(req, got, "\r\n\r\n", 4);
    if (end == NULL)
        return 0;
    size_t head = (size_t)(end - req) + 4;
    const char *cl = memmem(req, head, "Content-Length: ", 16);
    if (cl != NULL)
        return got >= head + strtoul(cl + 16, NULL, 10);
    return got >= head + 5 && memcmp(req + got - 7, "\r\n0\r\n\r\n", 7) == 0;
}

/* Serves one connection: reads one request (up to 1 MB), writes it to fd
 * out, answers 202 and closes.  Returns the port. */
static int recording_peer(int out, pid_t *pid)
{
    int port, ls = listen_loopback(1, &port);
    *pid = fork();
    assert_true(*pid >= 0);
    if (*pid == 0) {
        static char req[1 << 20];
        size_t got = 0;
        int c = accept(ls, NULL, NULL);
        while (got < sizeof req && !request_complete(req, got)) {
            ssize_t n = read(c, req + got, sizeof req - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (write(out, req, got) != (ssize_t)got)
            _exit(1);
        static const char ok[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}";
        if (write(c, ok, sizeof ok - 1) < 0)
            _exit(1);
        close(c);
        _exit(0);
    }
    close(ls);
    return port;
}

/* A body writer handing out "0123456789" repeated, in pieces of at most
 * step bytes, total bytes in all. */
typedef struct digits {
    size_t total, given, step;
} digits;

static size_t fill_digits(void *ctx, char *dst, size_t cap)
{
    digits *d = ctx;
    size_t n = d->total - d->given;
    if (n > cap)
        n = cap;
    if (n > d->step)
        n = d->step;
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)('0' + (d->given + i) % 10);
    d->given += n;
    return n;
}

/* Posts a streamed body of total bytes; returns what the peer read. */
static char *post_streamed(size_t total, size_t step, int chunked, size_t *len)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid;
    char hostport[32], err[256];
    snprintf(hostport, sizeof hostport, "127.0.0.1:%d", recording_peer(fds[1], &pid));
    close(fds[1]);
    runtime_http h;
    assert_int_equal(runtime_http_init(&h, hostport, err, sizeof err), 0);
    digits d = {total, 0, step};
    runtime_http_request rq = {.method = "POST",
                               .path = "/r",
                               .headers = "Content-Type: application/json\r\n",
                               .body_len = chunked ? (size_t)-1 : total,
                               .fill = fill_digits,
                               .fill_ctx = &d,
                               .chunked = chunked,
                               .timeout_ms = 5000};
    long status;
    assert_int_equal(runtime_http_perform(&h, &rq, &status), RUNTIME_HTTP_OK);
    assert_int_equal(status, 202);
    runtime_http_free(&h);
    static char got[1 << 20];
    size_t n = 0;
    ssize_t k;
    while ((k = read(fds[0], got + n, sizeof got - n)) > 0)
        n += (size_t)k;
    close(fds[0]);
    waitpid(pid, NULL, 0);
    *len = n;
    return got;
}

static void streamed_bodies_arrive_in_order_with_exact_framing(void **state)
{
    (void)state;
    size_t len;
    /* 50,000 bytes in pieces of 16 KB: bigger than the gathering buffer */
    char *req = post_streamed(50000, 16384, 0, &len);
    const char *body = strstr(req, "\r\n\r\n");
    assert_non_null(body);
    assert_non_null(strstr(req, "POST /r HTTP/1.1\r\n"));
    assert_non_null(strstr(req, "Content-Length: 50000\r\n"));
    body += 4;
    assert_int_equal(len - (size_t)(body - req), 50000);
    for (size_t i = 0; i < 50000; i++)
        if (body[i] != (char)('0' + i % 10))
            fail_msg("byte %zu of the body: expected '%c', got '%c'", i, '0' + (int)(i % 10),
                     body[i]);
    /* chunked: 3 pieces of 16,384 then 848 bytes */
    req = post_streamed(50000, 16384, 1, &len);
    assert_non_null(strstr(req, "Transfer-Encoding: chunked\r\n"));
    const char *p = strstr(req, "\r\n\r\n") + 4;
    static const char *const sizes[] = {"4000\r\n", "4000\r\n", "4000\r\n", "350\r\n"};
    size_t at = 0;
    for (size_t c = 0; c < 4; c++) {
        assert_memory_equal(p, sizes[c], strlen(sizes[c]));
        p += strlen(sizes[c]);
        size_t n = c < 3 ? 16384 : 848;
        for (size_t i = 0; i < n; i++, at++)
            if (p[i] != (char)('0' + at % 10))
                fail_msg("chunk %zu byte %zu: expected '%c', got '%c'", c, i, '0' + (int)(at % 10),
                         p[i]);
        p += n;
        assert_memory_equal(p, "\r\n", 2);
        p += 2;
    }
    assert_memory_equal(p, "0\r\n\r\n", 5);
}

/* POSTs an 8 MB streamed body (chunked or with its length) to a peer that
 * answers `reply` after the head and closes without reading the body, as
 * Go's HTTP server does with a body over its limit. */
static answer *post_to_early_peer(const char *reply, size_t rlen, int chunked)
{
    digits d = {8u << 20, 0, (size_t)-1};
    runtime_http_request rq = {.method = "POST",
                               .path = "/2018-06-01/runtime/invocation/x/response",
                               .body_len = d.total,
                               .fill = fill_digits,
                               .fill_ctx = &d,
                               .chunked = chunked,
                               .timeout_ms = 10000};
    answer *a = ask(reply, rlen, &rq);
    assert_false(a->kept); /* a request never sent whole leaves no connection */
    return a;
}

static void an_answer_before_the_body_is_sent_whole_is_read(void **state)
{
    (void)state;
    static const char reply[] = "HTTP/1.1 413 Request Entity Too Large\r\n"
                                "Content-Type: application/json\r\nContent-Length: 16\r\n"
                                "Connection: close\r\n\r\n{\"errorType\":\"x\"}";
    for (int chunked = 0; chunked <= 1; chunked++) {
        const answer *a = post_to_early_peer(REPLY(reply), chunked);
        if (a->rc != RUNTIME_HTTP_OK || a->status != 413)
            fail_msg("chunked=%d: expected RUNTIME_HTTP_OK and 413, got %d and %ld (%s)", chunked,
                     a->rc, a->status, a->error);
        assert_int_equal(a->s.body_len, 16);
        assert_memory_equal(a->s.body, "{\"errorType\":\"x\"}", 16);
    }
}

static void a_peer_closing_without_an_answer_is_an_io_error(void **state)
{
    (void)state;
    const answer *a = post_to_early_peer("", 0, 1);
    if (a->rc != RUNTIME_HTTP_IO || a->status != 0)
        fail_msg("expected RUNTIME_HTTP_IO and no status, got %d and %ld (%s)", a->rc, a->status,
                 a->error);
    assert_non_null(strstr(a->error, "Runtime API at 127.0.0.1:"));
}

static void reads_headers_in_order_and_a_content_length_body(void **state)
{
    (void)state;
    static const answer_case c = {REPLY("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                                        "Lambda-Runtime-Aws-Request-Id: abc\r\n\r\n[1,2]"),
                                  .rc = RUNTIME_HTTP_OK,
                                  .status = 200,
                                  .headers =
                                      "Content-Length: 5|Lambda-Runtime-Aws-Request-Id: abc|",
                                  .body = "[1,2]",
                                  .body_len = 5};
    expect_answer(&c);
}

static void decodes_a_chunked_body_and_skips_interim_answers(void **state)
{
    (void)state;
    static const answer_case c = {REPLY("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\n"
                                        "Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n"
                                        "A\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n"),
                                  .rc = RUNTIME_HTTP_OK, .status = 202, .body = "abc0123456789",
                                  .body_len = 13};
    expect_answer(&c);
}

static void malformed_answers_are_protocol_errors_after_the_good_lines(void **state)
{
    (void)state;
    static const struct {
        const char *reply;
        const char *error;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\nno colon here\r\n\r\n",
         "a header line without a name and ':'"},
        {"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\n folded\r\n\r\n",
         "a folded header line (obsolete line folding)"},
        {"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\nBad Name: 1\r\n\r\n",
         "a header name with byte 0x20"},
        {"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\nContent-Length: 1x\r\n\r\n",
         "a malformed Content-Length"},
        {"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\nContent-Length: 10\r\n\r\n12",
         "the Runtime API at 127.0.0.1:"},
        {"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\nTransfer-Encoding: chunked"
         "\r\n\r\nzz\r\n",
         "a malformed chunk size"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const answer *a = exchange(cases[i].reply, strlen(cases[i].reply));
        if (a->rc == RUNTIME_HTTP_OK || strstr(a->error, cases[i].error) == NULL)
            fail_msg("case %zu: expected an error containing \"%s\", got %d \"%s\"", i,
                     cases[i].error, a->rc, a->error);
        assert_int_equal(a->status, 200); /* the status line had arrived */
        assert_non_null(strstr(a->s.headers, "Lambda-Runtime-Aws-Request-Id: abc|"));
    }
    static const answer_case bad_status = {REPLY("HTTP/9 OK\r\n\r\n"), .rc = RUNTIME_HTTP_PROTOCOL,
                                           .error = "a malformed status line"};
    expect_answer(&bad_status);
}

static void a_header_line_over_64_kb_is_refused(void **state)
{
    (void)state;
    size_t n = 70000;
    char *reply = malloc(n + 64);
    int o = snprintf(reply, 64, "HTTP/1.1 200 OK\r\nX-Big: ");
    memset(reply + o, 'x', n);
    memcpy(reply + o + n, "\r\n\r\n", 4);
    const answer_case c = {reply, (size_t)o + n + 4, .rc = RUNTIME_HTTP_PROTOCOL,
                           .error = "a status or header line longer than 65536 bytes"};
    expect_answer(&c);
    free(reply);
}

static void nobody_listening_is_a_connect_error(void **state)
{
    (void)state;
    /* Bound and kept, not closed: a suite running alongside could take a
     * closed port and listen on it. */
    int port, refusing = bind_loopback(&port);
    char hostport[32], err[256];
    snprintf(hostport, sizeof hostport, "127.0.0.1:%d", port);
    runtime_http h;
    assert_int_equal(runtime_http_init(&h, hostport, err, sizeof err), 0);
    runtime_http_request rq = {.method = "GET", .path = "/", .timeout_ms = 1000};
    long status;
    assert_int_equal(runtime_http_perform(&h, &rq, &status), RUNTIME_HTTP_CONNECT);
    assert_non_null(strstr(h.error, "Connection refused"));
    assert_int_equal(status, 0);
    runtime_http_free(&h);
    close(refusing);
    assert_int_equal(runtime_http_init(&h, "no-port", err, sizeof err), -1);
    assert_string_equal(err, "AWS_LAMBDA_RUNTIME_API=no-port is not host:port");
}

/* Found by fuzz-runtime-http: the 16th digit of a chunk size overflowed a
 * signed 64-bit number before the size was refused. */
static void a_chunk_size_of_16_hex_digits_is_refused(void **state)
{
    (void)state;
    static const answer_case c = {REPLY("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                        "eeeeeeeeeeeeeeee\r\nabc\r\n0\r\n\r\n"),
                                  .rc = RUNTIME_HTTP_PROTOCOL, .error = "a malformed chunk size",
                                  .body = "", .body_len = 0};
    expect_answer(&c);
}

/* Found by fuzz-runtime-http: bytes a peer sent after a complete answer
 * stayed in the read buffer and were taken as the next request's answer. */
static void bytes_after_an_answer_are_never_the_next_answer(void **state)
{
    (void)state;
    static const char first[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale";
    static const char second[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond";
    int port, ls = listen_loopback(2, &port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* answers twice; the second request may come on a new connection */
        int c1 = accept(ls, NULL, NULL), c = -1;
        read_request_head(c1);
        if (write(c1, first, sizeof first - 1) < 0)
            _exit(1);
        struct pollfd p[2] = {{.fd = ls, .events = POLLIN}, {.fd = c1, .events = POLLIN}};
        while (c < 0 && poll(p, 2, 5000) > 0) {
            if (p[0].revents)
                c = accept(ls, NULL, NULL);
            else if (read_request_head(c1) == 0)
                c = c1;
            else
                p[1].fd = -1; /* the client closed it */
        }
        if (c >= 0 && (c == c1 || read_request_head(c) == 0) &&
            write(c, second, sizeof second - 1) < 0)
            _exit(1);
        _exit(0);
    }
    close(ls);
    char hostport[32], err[256];
    snprintf(hostport, sizeof hostport, "127.0.0.1:%d", port);
    runtime_http h;
    assert_int_equal(runtime_http_init(&h, hostport, err, sizeof err), 0);
    static seen s;
    memset(&s, 0, sizeof s);
    runtime_http_request rq = {
        .method = "GET", .path = "/", .timeout_ms = 5000, .on_body = on_body, .ctx = &s};
    long status;
    assert_int_equal(runtime_http_perform(&h, &rq, &status), RUNTIME_HTTP_OK);
    assert_int_equal(s.body_len, 2);
    memset(&s, 0, sizeof s);
    int rc = runtime_http_perform(&h, &rq, &status);
    if (rc != RUNTIME_HTTP_OK)
        fail_msg("second exchange: expected OK, got %d (%s)", rc, h.error);
    assert_int_equal(status, 200);
    s.body[s.body_len] = '\0';
    assert_string_equal(s.body, "second");
    runtime_http_free(&h);
    waitpid(pid, NULL, 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_headers_in_order_and_a_content_length_body),
        cmocka_unit_test(decodes_a_chunked_body_and_skips_interim_answers),
        cmocka_unit_test(malformed_answers_are_protocol_errors_after_the_good_lines),
        cmocka_unit_test(a_header_line_over_64_kb_is_refused),
        cmocka_unit_test(nobody_listening_is_a_connect_error),
        cmocka_unit_test(streamed_bodies_arrive_in_order_with_exact_framing),
        cmocka_unit_test(bytes_after_an_answer_are_never_the_next_answer),
        cmocka_unit_test(a_chunk_size_of_16_hex_digits_is_refused),
        cmocka_unit_test(an_answer_before_the_body_is_sent_whole_is_read),
        cmocka_unit_test(a_peer_closing_without_an_answer_is_an_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
