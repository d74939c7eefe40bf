/* test_log_threads.c: common/log from many threads at once.  Each thread
 * stamps its own request id and writes many lines (short ones, lines far
 * longer than a pipe's buffer, metrics and raw lines) to stdout, which is a
 * pipe read by another thread, as Lambda reads a function's output.  Every
 * line read back must be whole, valid, and entirely one thread's: its
 * request id, its message and its filler bytes all name the same thread. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/log.h"

#define THREADS 8
#define LINES 1500      /* per thread */
#define LONG_EVERY 50   /* every 50th line is long */
#define LONG_LEN 100000 /* bytes of message: over a pipe's 64 KB buffer */

typedef struct reader {
    int fd;
    buf out;
} reader;

static void *read_all(void *arg)
{
    reader *r = arg;
    char chunk[65536];
    ssize_t n;
    while ((n = read(r->fd, chunk, sizeof chunk)) > 0)
        buf_append(&r->out, chunk, (size_t)n);
    return NULL;
}

/* Thread t's filler byte: a letter no other thread uses. */
static char filler(int t)
{
    return (char)('a' + t);
}

static void *write_lines(void *arg)
{
    int t = (int)(intptr_t)arg;
    char id[32];
    snprintf(id, sizeof id, "req-%d", t);
    log_set_request_id(id);
    char *long_msg = malloc(LONG_LEN + 1);
    if (long_msg == NULL)
        return NULL;
    memset(long_msg, filler(t), LONG_LEN);
    long_msg[LONG_LEN] = '\0';
    for (int i = 0; i < LINES; i++) {
        if (i % LONG_EVERY == 0) {
            log_msg(LOG_INFO, "t%d i%d %s", t, i, long_msg);
        } else if (i % 7 == 0) {
            char emf[96];
            int n = snprintf(emf, sizeof emf, "{\"thread\":\"t%d\",\"i\":%d,\"fill\":\"%c%c%c\"}", t,
                             i, filler(t), filler(t), filler(t));
            log_metrics_line(emf, (unsigned long)n);
        } else if (i % 11 == 0) {
            char raw[96];
            int n = snprintf(raw, sizeof raw, "{\"requestId\":\"%s\",\"message\":\"t%d i%d %c%c\"}",
                             id, t, i, filler(t), filler(t));
            log_raw_line(raw, (unsigned long)n);
        } else {
            log_msg(LOG_WARN, "t%d i%d %c%c%c%c", t, i, filler(t), filler(t), filler(t),
                    filler(t));
        }
    }
    free(long_msg);
    log_set_request_id(NULL);
    return NULL;
}

/* The thread a line names through its filler bytes, or -1 if it names
 * several (a line mixed from two writers) or none. */
static int filler_owner(const char *line, size_t len)
{
    int owner = -1;
    int run = 0;
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        if (c >= 'a' && c < 'a' + THREADS && i + 1 < len && line[i + 1] == c) {
            int t = c - 'a';
            if (owner >= 0 && owner != t)
                return -1;
            owner = t;
            run = 1;
        }
    }
    return run ? owner : -1;
}

static void test_lines_from_many_threads_are_whole_and_never_mixed(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fds[1], STDOUT_FILENO) >= 0);
    close(fds[1]);
    reader r = {fds[0], BUF_INIT};
    pthread_t rd, w[THREADS];
    assert_int_equal(pthread_create(&rd, NULL, read_all, &r), 0);

    log_set_threaded();
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&w[t], NULL, write_lines, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(w[t], NULL);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0); /* closes the pipe's last writer */
    close(saved);
    pthread_join(rd, NULL);
    close(fds[0]);
    assert_false(r.out.failed);

    int per_thread[THREADS] = {0};
    int long_lines = 0;
    size_t lines = 0;
    const char *p = r.out.data, *end = r.out.data + r.out.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        size_t len = (size_t)(nl - p);
        lines++;
        if (len < 2 || p[0] != '{' || p[len - 1] != '}')
            fail_msg("line %zu: expected one JSON object, got %.120s", lines, p);
        int t = filler_owner(p, len);
        if (t < 0)
            fail_msg("line %zu: expected the bytes of one thread, got a mix: %.200s", lines, p);
        int is_metrics = memmem(p, len, "\"thread\"", 8) != NULL;
        char tag[32];
        snprintf(tag, sizeof tag, is_metrics ? "\"thread\":\"t%d\"" : "t%d i", t);
        if (memmem(p, len, tag, strlen(tag)) == NULL)
            fail_msg("line %zu: filler of thread %d, expected %s in it: %.200s", lines, t, tag, p);
        char id[32];
        snprintf(id, sizeof id, "\"requestId\":\"req-%d\"", t);
        if (!is_metrics && memmem(p, len, id, strlen(id)) == NULL)
            fail_msg("line %zu: thread %d's line, expected %s, got %.200s", lines, t, id, p);
        if (len > LONG_LEN)
            long_lines++;
        per_thread[t]++;
        p = nl + 1;
    }
    for (int t = 0; t < THREADS; t++)
        if (per_thread[t] != LINES)
            fail_msg("thread %d: expected %d lines, got %d", t, LINES, per_thread[t]);
    assert_int_equal(long_lines, THREADS * ((LINES + LONG_EVERY - 1) / LONG_EVERY));
    buf_free(&r.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_from_many_threads_are_whole_and_never_mixed),
    };
    return cmocka_run_group_tests_name("log-threads", tests, NULL, NULL);
}
