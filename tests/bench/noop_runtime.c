/* noop_runtime.c: the reference of make bench-startup: a static Lambda
 * runtime that does nothing but GET /invocation/next and POST a fixed
 * response, over one socket, with no library but libc.  What a process that
 * answers an invocation cannot do faster; the bootstrap's spawn-to-first-
 * response is measured against it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads one response: headers, then Content-Length bytes of body.  Copies
 * the request id into id.  Returns 0 or -1. */
static int read_invocation(int fd, char *id, size_t idlen)
{
    static char buf[1 << 16];
    size_t got = 0;
    char *end = NULL;
    while (end == NULL) {
        ssize_t k = read(fd, buf + got, sizeof buf - 1 - got);
        if (k <= 0)
            return -1;
        got += (size_t)k;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    const char *rid = strcasestr(buf, "\r\nLambda-Runtime-Aws-Request-Id:");
    if (cl == NULL || rid == NULL)
        return -1;
    size_t body = strtoul(cl + 17, NULL, 10), have = got - (size_t)(end + 4 - buf);
    rid += 32;
    while (*rid == ' ')
        rid++;
    size_t n = strcspn(rid, "\r");
    if (n >= idlen)
        return -1;
    memcpy(id, rid, n);
    id[n] = '\0';
    while (have < body) { /* the event itself is not looked at */
        ssize_t k = read(fd, buf, sizeof buf);
        if (k <= 0)
            return -1;
        have += (size_t)k;
    }
    return 0;
}

int main(void)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    char host[64];
    int port;
    if (api == NULL || sscanf(api, "%63[^:]:%d", host, &port) != 2)
        return 2;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        return 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (;;) {
        char req[512], id[128];
        int n =
            snprintf(req, sizeof req,
                     "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n", api);
        if (send_all(fd, req, (size_t)n) != 0 || read_invocation(fd, id, sizeof id) != 0)
            return 1;
        n = snprintf(req, sizeof req,
                     "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n[]",
                     id, api);
        char reply[4096];
        if (send_all(fd, req, (size_t)n) != 0 || read(fd, reply, sizeof reply) <= 0)
            return 1;
    }
}
