/* log.c: JSON-lines logger; every line leaves in one write(2). */
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"

/* Set at start-up, before any worker thread exists, then only read. */
static enum log_level threshold = LOG_INFO;
static int threaded;
/* Serialises whole lines once threads log (a line over PIPE_BUF bytes is not
 * atomic on a pipe by itself). */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
/* Each worker stamps its own invocation's id. */
static _Thread_local char request_id[128];

static const char *const level_names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};

int log_init_from_env(void)
{
    const char *v = getenv("AWS_LAMBDA_LOG_LEVEL");
    if (v == NULL || *v == '\0')
        return 0;
    for (int i = LOG_TRACE; i <= LOG_FATAL; i++) {
        if (strcasecmp(v, level_names[i]) == 0) {
            threshold = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_set_level(enum log_level level)
{
    threshold = level;
}

int log_enabled(enum log_level level)
{
    return level >= threshold;
}

void log_set_threaded(void)
{
    threaded = 1;
}

void log_set_request_id(const char *id)
{
    snprintf(request_id, sizeof request_id, "%s", id ? id : "");
}

/* Writes len bytes to stdout whole (a signal may cut a write short). */
static void write_line(const char *data, size_t len)
{
    if (threaded)
        pthread_mutex_lock(&write_lock);
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        data += n;
        len -= (size_t)n;
    }
    if (threaded)
        pthread_mutex_unlock(&write_lock);
}

/* The current time in RFC 3339 (UTC, milliseconds): Lambda's log-level
 * filter keeps a line's "level" only when it has a valid "timestamp". */
static void stamp_now(char out[64])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/* {"timestamp":"...","level":"<level>" */
/* A line's buffer takes this much at once: the longest lines a batch
 * writes (the EMF metrics, the summary) fit, so a line is one allocation of
 * one size, which the heap hands back line after line, instead of a
 * doubling from 256 bytes whose blocks land somewhere new each invocation
 * (a page more of RSS at the second and third invocation). */
#define LINE_ROOM 4096

static void line_start(buf *b, enum log_level level)
{
    buf_reserve_exact(b, LINE_ROOM);
    char stamp[64];
    stamp_now(stamp);
    buf_printf(b, "{\"timestamp\":\"%s\",\"level\":\"%s\"", stamp, level_names[level]);
}

/* Writes the line built in b (or, when building it ran out of memory, a line
 * saying so) and frees b. */
static void line_end(buf *b)
{
    if (!b->failed) {
        write_line(b->data, b->len);
    } else {
        char stamp[64];
        char lost[160];
        stamp_now(stamp);
        int n = snprintf(lost, sizeof lost,
                         "{\"timestamp\":\"%s\",\"level\":\"ERROR\",\"message\":\"log line lost: "
                         "out of memory\"}\n",
                         stamp);
        write_line(lost, (size_t)n);
    }
    buf_free(b);
}

static void emit(enum log_level level, const char *message, size_t mlen, const char *fields)
{
    buf b = BUF_INIT;
    line_start(&b, level);
    if (request_id[0] != '\0') {
        BUF_LIT(&b, ",\"requestId\":");
        buf_json_cstr(&b, request_id);
    }
    BUF_LIT(&b, ",\"message\":");
    buf_json_str(&b, message, mlen);
    if (fields != NULL && *fields != '\0') {
        buf_putc(&b, ',');
        buf_puts(&b, fields);
    }
    BUF_LIT(&b, "}\n");
    line_end(&b);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    buf m = BUF_INIT;
    buf_reserve_exact(&m, LINE_ROOM);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&m, fmt, ap);
    va_end(ap);
    emit(level, m.data ? m.data : "", m.len, NULL);
    buf_free(&m);
}

void log_fields(enum log_level level, const char *message, const char *fields_json)
{
    if (!log_enabled(level))
        return;
    emit(level, message, strlen(message), fields_json);
}

void log_raw_line(const char *line, unsigned long len)
{
    buf b = BUF_INIT;
    buf_reserve_exact(&b, len < LINE_ROOM ? LINE_ROOM : len + 1);
    buf_append(&b, line, len);
    buf_putc(&b, '\n');
    line_end(&b);
}

enum log_level log_metrics_level(void)
{
    return threshold > LOG_INFO ? threshold : LOG_INFO;
}

void log_metrics_line(const char *json_object, unsigned long len)
{
    if (len < 2 || json_object[0] != '{')
        return;
    buf b = BUF_INIT;
    line_start(&b, log_metrics_level());
    if (len > 2)
        buf_putc(&b, ',');
    buf_append(&b, json_object + 1, len - 1);
    buf_putc(&b, '\n');
    line_end(&b);
}
