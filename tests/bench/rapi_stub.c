/* rapi_stub.c: a minimal Lambda Runtime API for make bench-lambda: it starts
 * one runtime process, serves it the same event INVOCATIONS times over a
 * loopback TCP socket, and reads each chunked (or Content-Length) response
 * with 1 MB reads, as fast as the kernel hands it over, so that what it
 * times is the runtime's own work.
 *
 * Per invocation it prints one JSON line on stdout:
 *   billed_us   event handed over (first byte sent) -> response fully received:
 *               what Lambda bills as the invocation's duration
 *   sent_us     -> the last byte of the event accepted by the kernel
 *   first_us    -> the first byte of the runtime's POST
 *   cpu_ns      the runtime's CPU time from before the event to its next
 *               GET /next (/proc/PID/schedstat: the scheduler's own clock)
 *   utime, stime  the runtime's cumulative user and system CPU, clock ticks
 *   minflt      minor page faults over the same span (/proc/PID/stat)
 *   rss_kb, hwm_kb  VmRSS and VmHWM after the invocation (/proc/PID/status)
 *   response_bytes  body bytes of the response (chunk framing excluded)
 * and a last line {"spawn_to_first_us":..,"utime_us":..,"stime_us":..}: from
 * fork to the first response's last byte, and the runtime's whole CPU time
 * from wait4 once it has exited (SIGTERM).
 *
 * Usage: rapi_stub EVENT_FILE INVOCATIONS BOOTSTRAP [ARG...]
 * The runtime inherits the environment (MODEL_PATH, ...) with
 * AWS_LAMBDA_RUNTIME_API set; its stdout and stderr go to /dev/null. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE (1 << 20)
#define HEAD_MAX 65536

typedef struct {
    int fd;
    char *buf;
    size_t pos, len;
} reader;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
    fprintf(stderr, "rapi_stub: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
    exit(1);
}

/* Reads more bytes into r (keeping the unread ones); 0, or -1 at EOF. */
static int fill(reader *r)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->len == READ_SIZE)
        die("a line longer than the read buffer");
    ssize_t n;
    do
        n = recv(r->fd, r->buf + r->len, READ_SIZE - r->len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        die("recv");
    if (n == 0)
        return -1;
    r->len += (size_t)n;
    return 0;
}

/* The next CRLF-terminated line (without it), NUL-terminated in place. */
static char *line(reader *r)
{
    for (;;) {
        char *p = r->len > r->pos ? memchr(r->buf + r->pos, '\n', r->len - r->pos) : NULL;
        if (p != NULL) {
            char *s = r->buf + r->pos;
            r->pos = (size_t)(p - r->buf) + 1;
            if (p > s && p[-1] == '\r')
                p--;
            *p = '\0';
            return s;
        }
        if (fill(r) != 0)
            return NULL;
    }
}

/* Consumes n body bytes. */
static void skip(reader *r, size_t n)
{
    while (n > 0) {
        if (r->pos == r->len && fill(r) != 0)
            die("the runtime closed the connection inside a body");
        size_t take = r->len - r->pos < n ? r->len - r->pos : n;
        r->pos += take;
        n -= take;
    }
}

typedef struct {
    char method[8];
    char path[512];
    size_t body_bytes;
} request;

/* Reads one request (its body counted and dropped); -1 at EOF before it. */
static int read_request(reader *r, request *q, double *first_byte)
{
    if (r->pos == r->len && fill(r) != 0)
        return -1;
    if (first_byte)
        *first_byte = now_us();
    char *l = line(r);
    if (l == NULL || sscanf(l, "%7s %511s", q->method, q->path) != 2)
        die("a malformed request line");
    long long length = 0;
    int chunked = 0;
    while ((l = line(r)) != NULL && *l != '\0') {
        if (strncasecmp(l, "Content-Length:", 15) == 0)
            length = atoll(l + 15);
        else if (strncasecmp(l, "Transfer-Encoding:", 18) == 0 && strstr(l, "chunked"))
            chunked = 1;
    }
    if (l == NULL)
        die("the runtime closed the connection inside a request head");
    q->body_bytes = 0;
    if (!chunked) {
        skip(r, (size_t)length);
        q->body_bytes = (size_t)length;
        return 0;
    }
    for (;;) {
        l = line(r);
        if (l == NULL)
            die("the runtime closed the connection inside a chunked body");
        size_t n = strtoul(l, NULL, 16);
        if (n == 0)
            break;
        skip(r, n);
        q->body_bytes += n;
        if ((l = line(r)) == NULL || *l != '\0')
            die("a chunk not followed by CRLF");
    }
    while ((l = line(r)) != NULL && *l != '\0') /* trailer */
        ;
    return 0;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die("send");
        p += k;
        n -= (size_t)k;
    }
}

typedef struct {
    unsigned long long cpu_ns, minflt, utime, stime;
    long rss_kb, hwm_kb;
} proc_sample;

static void sample(pid_t pid, proc_sample *s)
{
    char path[64], text[4096];
    memset(s, 0, sizeof *s);
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL || fscanf(f, "%llu", &s->cpu_ns) != 1)
        die("reading /proc/PID/schedstat");
    fclose(f);
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        die("reading /proc/PID/stat");
    text[n] = '\0';
    /* After the ")" that ends the command name: state is field 3, minflt 10,
     * utime 14, stime 15. */
    char *p = strrchr(text, ')');
    unsigned long long v[13] = {0};
    for (int i = 0; p != NULL && i < 13; i++) {
        p = strchr(p + 1, ' ');
        if (p != NULL && i > 0)
            v[i] = strtoull(p + 1, NULL, 10);
    }
    s->minflt = v[7];
    s->utime = v[11];
    s->stime = v[12];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        die("reading /proc/PID/status");
    while (fgets(text, sizeof text, f) != NULL) {
        if (strncmp(text, "VmRSS:", 6) == 0)
            s->rss_kb = atol(text + 6);
        else if (strncmp(text, "VmHWM:", 6) == 0)
            s->hwm_kb = atol(text + 6);
    }
    fclose(f);
}

/* Waits until the runtime connects; exits if it died first (a runtime that
 * cannot start would otherwise leave the stub waiting for ever). */
static void wait_connection(int ls, pid_t pid)
{
    struct pollfd p = {.fd = ls, .events = POLLIN};
    int status;
    while (poll(&p, 1, 100) == 0)
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "rapi_stub: the runtime exited (status %d) before connecting\n",
                    status);
            exit(1);
        }
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) != 0)
        die(path);
    char *data = malloc((size_t)st.st_size + 1);
    if (data == NULL || fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        die(path);
    fclose(f);
    *len = (size_t)st.st_size;
    return data;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s EVENT_FILE INVOCATIONS BOOTSTRAP [ARG...]\n", argv[0]);
        return 2;
    }
    size_t event_len;
    char *event = read_file(argv[1], &event_len);
    int invocations = atoi(argv[2]);
    if (invocations < 1)
        return 2;

    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 4) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) != 0)
        die("listen");
    char api[64];
    snprintf(api, sizeof api, "127.0.0.1:%d", ntohs(a.sin_port));

    double t_spawn = now_us();
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        close(ls);
        setenv("AWS_LAMBDA_RUNTIME_API", api, 1);
        execv(argv[3], argv + 3);
        _exit(127);
    }
    reader r = {.fd = -1, .buf = malloc(READ_SIZE)};
    if (r.buf == NULL)
        die("out of memory");
    request q;
    char head[HEAD_MAX];
    double spawn_to_first = 0;
    proc_sample before, after;
    for (int i = 0; i <= invocations; i++) {
        /* The runtime's GET /next (it may reconnect between invocations). */
        while (r.fd < 0 || read_request(&r, &q, NULL) != 0) {
            if (r.fd >= 0)
                close(r.fd);
            r.pos = r.len = 0;
            wait_connection(ls, pid);
            r.fd = accept(ls, NULL, NULL);
            if (r.fd < 0)
                die("accept");
            setsockopt(r.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        if (strcmp(q.method, "GET") != 0 || strstr(q.path, "/runtime/invocation/next") == NULL) {
            fprintf(stderr, "rapi_stub: expected GET /invocation/next, got %s %s\n", q.method,
                    q.path);
            return 1;
        }
        if (i > 0) { /* the previous invocation is over: the runtime waits again */
            sample(pid, &after);
            printf("{\"i\":%d,\"cpu_ns\":%llu,\"utime\":%llu,\"stime\":%llu,\"minflt\":%llu,"
                   "\"rss_kb\":%ld,\"hwm_kb\":%ld}\n",
                   i, after.cpu_ns - before.cpu_ns, after.utime, after.stime,
                   after.minflt - before.minflt, after.rss_kb, after.hwm_kb);
        }
        if (i == invocations)
            break;
        sample(pid, &before);
        char id[48];
        snprintf(id, sizeof id, "bench-%08d", i + 1);
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        int n = snprintf(head, sizeof head,
                         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         "Content-Length: %zu\r\nLambda-Runtime-Aws-Request-Id: %s\r\n"
                         "Lambda-Runtime-Deadline-Ms: %lld\r\n"
                         "Lambda-Runtime-Invoked-Function-Arn: "
                         "arn:aws:lambda:us-east-1:123456789012:function:bench\r\n"
                         "Lambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;"
                         "Sampled=0\r\n\r\n",
                         event_len, id, (long long)wall.tv_sec * 1000 + 900000);
        double t0 = now_us(), t_first;
        struct iovec iov[2] = {{head, (size_t)n}, {event, event_len}};
        ssize_t k = writev(r.fd, iov, 2);
        if (k < 0)
            die("writev");
        if ((size_t)k < (size_t)n)
            die("a short write of the response head");
        send_all(r.fd, event + ((size_t)k - (size_t)n), event_len - ((size_t)k - (size_t)n));
        double t_sent = now_us();
        if (read_request(&r, &q, &t_first) != 0)
            die("the runtime closed the connection instead of answering");
        double t1 = now_us();
        if (i == 0)
            spawn_to_first = t1 - t_spawn;
        static const char accepted[] = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                                       "Content-Length: 16\r\n\r\n{\"status\":\"OK\"}\n";
        send_all(r.fd, accepted, sizeof accepted - 1);
        char want[96];
        snprintf(want, sizeof want, "/runtime/invocation/%s/response", id);
        if (strcmp(q.method, "POST") != 0 || strstr(q.path, want) == NULL) {
            fprintf(stderr, "rapi_stub: invocation %d answered with %s %s\n", i + 1, q.method,
                    q.path);
            return 1;
        }
        printf("{\"i\":%d,\"billed_us\":%.1f,\"sent_us\":%.1f,\"first_us\":%.1f,"
               "\"response_bytes\":%zu}\n",
               i + 1, t1 - t0, t_sent - t0, t_first - t0, q.body_bytes);
    }
    /* SIGTERM first (the runtime gives up its long poll and exits, and a
     * profiler it runs under writes its output), SIGKILL after 20 s. */
    kill(pid, SIGTERM);
    int status;
    struct rusage ru;
    pid_t got = 0;
    for (int waited = 0; got == 0 && waited < 2000; waited++) {
        got = wait4(pid, &status, WNOHANG, &ru);
        if (got == 0)
            usleep(10000);
    }
    if (got == 0) {
        kill(pid, SIGKILL);
        got = wait4(pid, &status, 0, &ru);
    }
    if (got != pid)
        die("wait4");
    printf("{\"spawn_to_first_us\":%.1f,\"utime_us\":%.0f,\"stime_us\":%.0f}\n", spawn_to_first,
           (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec,
           (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec);
    free(r.buf);
    free(event);
    return 0;
}
