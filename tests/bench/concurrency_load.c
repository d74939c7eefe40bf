/* concurrency_load.c: a Runtime API that serves one event to a bootstrap as
 * fast as the kernel allows, for `make bench-concurrency`.
 *
 *   concurrency_load BOOTSTRAP EVENT WORKERS CLIENTS INVOCATIONS
 *
 * Starts BOOTSTRAP with AWS_LAMBDA_RUNTIME_API pointing here and, when
 * WORKERS > 0, AWS_LAMBDA_MAX_CONCURRENCY=WORKERS (0: classic Lambda, the
 * variable unset).  CLIENTS threads each invoke in a closed loop (queue an
 * invocation, wait for its response to be read whole, queue the next) until
 * INVOCATIONS have been answered after a warm-up of one per client.  Every
 * GET /next is answered from the queue, as Lambda's Runtime API does, with the
 * request id, deadline, function ARN and trace id headers; every /response is
 * read to its end (chunked or Content-Length) and answered 202.
 *
 * Prints one JSON line: throughput, invoke latency percentiles (invoke queued
 * -> response read whole), the bootstrap's RSS once every worker waits on
 * /next (idle) and its peak RSS (VmHWM), and the CPU time per measured
 * invocation of the bootstrap (all its threads) and of this load itself,
 * which shares the machine's cores with it. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define MAX_INVOCATIONS 100000

typedef struct invocation {
    long id;
    double queued_ms, done_ms;
    int failed;
    int done;
} invocation;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    invocation *inv;      /* all invocations, by id */
    long next_id;         /* invocations created */
    long *queue;          /* ids waiting for a GET /next */
    long qhead, qtail;
    int polling;          /* connections waiting in GET /next */
    int stop;
    int event_fd; /* the event file, sent with sendfile (no copy through user space) */
    size_t event_len;
} S;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A connection's read buffer. */
typedef struct conn {
    int fd;
    char *buf;
    size_t cap, have;
} conn;

static int fill(conn *c)
{
    if (c->have == c->cap) {
        c->cap *= 2;
        c->buf = realloc(c->buf, c->cap);
    }
    ssize_t n = read(c->fd, c->buf + c->have, c->cap - c->have);
    if (n <= 0)
        return -1;
    c->have += (size_t)n;
    return 0;
}

static void consume(conn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->have - n);
    c->have -= n;
}

/* Reads a request's head; returns its length (through "\r\n\r\n") or -1. */
static long read_head(conn *c)
{
    char *end;
    while ((end = memmem(c->buf, c->have, "\r\n\r\n", 4)) == NULL)
        if (fill(c) != 0)
            return -1;
    return end - c->buf + 4;
}

/* Reads and drops n bytes: what is buffered, then the rest straight from
 * the socket with MSG_TRUNC (the kernel discards it without copying it out),
 * so that reading the responses costs the load as little CPU as it can. */
static int drop(conn *c, size_t n)
{
    size_t k = c->have < n ? c->have : n;
    consume(c, k);
    n -= k;
    while (n > 0) {
        ssize_t r = recv(c->fd, NULL, n, MSG_TRUNC);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        n -= (size_t)r;
    }
    return 0;
}

/* Reads and drops a body of length cl, or a chunked body (each chunk's data
 * and CRLF; the last chunk, size 0, is followed by the empty trailer line). */
static int skip_body(conn *c, long cl, int chunked)
{
    if (!chunked)
        return drop(c, (size_t)cl);
    for (;;) {
        char *eol;
        while ((eol = memmem(c->buf, c->have, "\r\n", 2)) == NULL)
            if (fill(c) != 0)
                return -1;
        size_t size = strtoul(c->buf, NULL, 16);
        consume(c, (size_t)(eol - c->buf) + 2);
        if (drop(c, size + 2) != 0)
            return -1;
        if (size == 0)
            return 0;
    }
}

static int send_event(int fd)
{
    off_t off = 0;
    while ((size_t)off < S.event_len) {
        ssize_t w = sendfile(fd, S.event_fd, &off, S.event_len - (size_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
    }
    return 0;
}

static long header_value(const char *head, const char *name)
{
    const char *p = strcasestr(head, name);
    return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

static void finish(long id, int failed)
{
    pthread_mutex_lock(&S.mu);
    S.inv[id].done = 1;
    S.inv[id].failed = failed;
    S.inv[id].done_ms = now_ms();
    pthread_cond_broadcast(&S.changed);
    pthread_mutex_unlock(&S.mu);
}

static void *serve(void *arg)
{
    conn c = {(int)(intptr_t)arg, malloc(1 << 16), 1 << 16, 0};
    for (;;) {
        long hl = read_head(&c);
        if (hl < 0)
            break;
        char *head = malloc((size_t)hl + 1);
        memcpy(head, c.buf, (size_t)hl);
        head[hl] = '\0';
        consume(&c, (size_t)hl);
        if (strncmp(head, "GET /2018-06-01/runtime/invocation/next", 39) == 0) {
            pthread_mutex_lock(&S.mu);
            S.polling++;
            pthread_cond_broadcast(&S.changed);
            while (S.qhead == S.qtail && !S.stop)
                pthread_cond_wait(&S.changed, &S.mu);
            S.polling--;
            long id = S.stop ? -1 : S.queue[S.qhead++];
            pthread_mutex_unlock(&S.mu);
            free(head);
            if (id < 0)
                break;
            char hdr[512];
            int n = snprintf(hdr, sizeof hdr,
                             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             "Lambda-Runtime-Aws-Request-Id: inv-%ld\r\n"
                             "Lambda-Runtime-Deadline-Ms: %lld\r\n"
                             "Lambda-Runtime-Invoked-Function-Arn: "
                             "arn:aws:lambda:us-east-1:123456789012:function:bench\r\n"
                             "Lambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793\r\n"
                             "Content-Length: %zu\r\n\r\n",
                             id, (long long)time(NULL) * 1000 + 900000, S.event_len);
            if (write_all(c.fd, hdr, (size_t)n) != 0 || send_event(c.fd) != 0)
                break;
            continue;
        }
        long id = -1;
        const char *p = strstr(head, "/invocation/inv-");
        if (p != NULL)
            id = strtol(p + 16, NULL, 10);
        int chunked = strcasestr(head, "Transfer-Encoding: chunked") != NULL;
        long cl = header_value(head, "Content-Length:");
        int is_error = strstr(head, "/error ") != NULL;
        int init_error = strstr(head, "/init/error") != NULL;
        free(head);
        if (skip_body(&c, cl < 0 ? 0 : cl, chunked) != 0)
            break;
        static const char accepted[] = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                                       "Content-Length: 15\r\n\r\n{\"status\":\"OK\"}";
        if (write_all(c.fd, accepted, sizeof accepted - 1) != 0)
            break;
        if (init_error) {
            fprintf(stderr, "concurrency_load: the bootstrap posted /init/error\n");
            exit(1);
        }
        if (id >= 0 && id < S.next_id)
            finish(id, is_error);
    }
    close(c.fd);
    free(c.buf);
    return NULL;
}

static int listen_fd;

static void *accept_loop(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        pthread_create(&t, NULL, serve, (void *)(intptr_t)fd);
        pthread_detach(t);
    }
}

/* Queues a new invocation and waits until its response was read. */
static long invoke_once(void)
{
    pthread_mutex_lock(&S.mu);
    long id = S.next_id++;
    S.inv[id].queued_ms = now_ms();
    S.queue[S.qtail++] = id;
    pthread_cond_broadcast(&S.changed);
    while (!S.inv[id].done)
        pthread_cond_wait(&S.changed, &S.mu);
    pthread_mutex_unlock(&S.mu);
    return id;
}

static long per_client;

static void *client(void *arg)
{
    (void)arg;
    for (long i = 0; i < per_client; i++)
        invoke_once();
    return NULL;
}

/* CPU time of every thread of pid so far, ms (/proc/PID/task/TID/schedstat:
 * the scheduler's own clock, in ns). */
static double threads_cpu_ms(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    double total = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char f[128];
        snprintf(f, sizeof f, "/proc/%d/task/%.20s/schedstat", (int)pid, e->d_name);
        FILE *fp = fopen(f, "r");
        unsigned long long ns = 0;
        if (fp != NULL && fscanf(fp, "%llu", &ns) == 1)
            total += (double)ns / 1e6;
        if (fp != NULL)
            fclose(fp);
    }
    if (d != NULL)
        closedir(d);
    return total;
}

static double self_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long status_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, strlen(field)) == 0)
            v = strtol(line + strlen(field), NULL, 10);
    if (f != NULL)
        fclose(f);
    return v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: concurrency_load BOOTSTRAP EVENT WORKERS CLIENTS INVOCATIONS\n");
        return 2;
    }
    int workers = atoi(argv[3]), clients = atoi(argv[4]);
    long invocations = atol(argv[5]);
    if (workers < 0 || clients < 1 || clients > MAX_CONNS || invocations < clients ||
        invocations > MAX_INVOCATIONS / 2) {
        fprintf(stderr, "concurrency_load: bad numbers\n");
        return 2;
    }
    struct stat st;
    S.event_fd = open(argv[2], O_RDONLY);
    if (S.event_fd < 0 || fstat(S.event_fd, &st) != 0) {
        perror(argv[2]);
        return 2;
    }
    S.event_len = (size_t)st.st_size;
    pthread_mutex_init(&S.mu, NULL);
    pthread_cond_init(&S.changed, NULL);
    S.inv = calloc(MAX_INVOCATIONS, sizeof *S.inv);
    S.queue = calloc(MAX_INVOCATIONS, sizeof *S.queue);
    signal(SIGPIPE, SIG_IGN);

    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(listen_fd, 64) != 0) {
        perror("listen");
        return 1;
    }
    getsockname(listen_fd, (struct sockaddr *)&a, &al);
    pthread_t acceptor;
    pthread_create(&acceptor, NULL, accept_loop, NULL);

    char api[64], conc[16];
    snprintf(api, sizeof api, "127.0.0.1:%d", ntohs(a.sin_port));
    snprintf(conc, sizeof conc, "%d", workers);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("AWS_LAMBDA_RUNTIME_API", api, 1);
        if (workers > 0)
            setenv("AWS_LAMBDA_MAX_CONCURRENCY", conc, 1);
        else
            unsetenv("AWS_LAMBDA_MAX_CONCURRENCY");
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(127);
        execl(argv[1], argv[1], (char *)NULL);
        _exit(127);
    }
    /* Idle: every worker waits on /next (one in classic mode). */
    int want = workers > 0 ? workers : 1;
    double t0 = now_ms();
    pthread_mutex_lock(&S.mu);
    while (S.polling < want && now_ms() - t0 < 20000) {
        pthread_mutex_unlock(&S.mu);
        usleep(2000);
        pthread_mutex_lock(&S.mu);
    }
    int polling = S.polling;
    pthread_mutex_unlock(&S.mu);
    if (polling < want) {
        fprintf(stderr, "concurrency_load: only %d of %d workers polled /next\n", polling, want);
        kill(pid, SIGKILL);
        return 1;
    }
    usleep(50000);
    long idle_kb = status_kb(pid, "VmRSS:");

    /* Warm-up: one invocation per client, in parallel. */
    pthread_t tid[MAX_CONNS];
    per_client = 1;
    for (int i = 0; i < clients; i++)
        pthread_create(&tid[i], NULL, client, NULL);
    for (int i = 0; i < clients; i++)
        pthread_join(tid[i], NULL);
    long first_measured = S.next_id;
    per_client = invocations / clients;
    double runtime_cpu0 = threads_cpu_ms(pid), load_cpu0 = self_cpu_ms();
    double start = now_ms();
    for (int i = 0; i < clients; i++)
        pthread_create(&tid[i], NULL, client, NULL);
    for (int i = 0; i < clients; i++)
        pthread_join(tid[i], NULL);
    double wall = now_ms() - start;
    double runtime_cpu = threads_cpu_ms(pid) - runtime_cpu0, load_cpu = self_cpu_ms() - load_cpu0;
    long measured = S.next_id - first_measured, failed = 0;
    double *lat = calloc((size_t)measured, sizeof *lat);
    for (long i = 0; i < measured; i++) {
        invocation *v = &S.inv[first_measured + i];
        lat[i] = v->done_ms - v->queued_ms;
        failed += v->failed;
    }
    qsort(lat, (size_t)measured, sizeof *lat, cmp_double);
    long peak_kb = status_kb(pid, "VmHWM:");
    kill(pid, SIGTERM);
    pthread_mutex_lock(&S.mu);
    S.stop = 1;
    pthread_cond_broadcast(&S.changed);
    pthread_mutex_unlock(&S.mu);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("{\"workers\":%d,\"clients\":%d,\"invocations\":%ld,\"failed\":%ld,"
           "\"wall_ms\":%.1f,\"per_s\":%.2f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,"
           "\"idle_rss_kb\":%ld,\"peak_rss_kb\":%ld,\"runtime_cpu_ms\":%.3f,"
           "\"load_cpu_ms\":%.3f,\"exit\":%d}\n",
           workers, clients, measured, failed, wall, (double)measured / (wall / 1e3),
           lat[measured / 2], lat[(size_t)((double)(measured - 1) * 0.99)], idle_kb, peak_kb,
           runtime_cpu / (double)measured, load_cpu / (double)measured,
           WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
    free(lat);
    return failed ? 1 : 0;
}
