/* log.c: JSON-lines logger. */
#include "common/log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"

static enum log_level threshold = LOG_INFO;
static char request_id[128];

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

void log_set_request_id(const char *id)
{
    snprintf(request_id, sizeof request_id, "%s", id ? id : "");
}

static void emit(enum log_level level, const char *message, size_t mlen, const char *fields)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[96];
    snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);

    buf b = BUF_INIT;
    buf_printf(&b, "{\"timestamp\":\"%s\",\"level\":\"%s\"", stamp, level_names[level]);
    if (request_id[0] != '\0') {
        buf_puts(&b, ",\"requestId\":");
        buf_json_cstr(&b, request_id);
    }
    buf_puts(&b, ",\"message\":");
    buf_json_str(&b, message, mlen);
    if (fields != NULL && *fields != '\0') {
        buf_putc(&b, ',');
        buf_puts(&b, fields);
    }
    buf_puts(&b, "}\n");
    if (!b.failed)
        fwrite(b.data, 1, b.len, stdout);
    else
        fputs("{\"level\":\"ERROR\",\"message\":\"log line lost: out of memory\"}\n", stdout);
    fflush(stdout);
    buf_free(&b);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    buf m = BUF_INIT;
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
    fwrite(line, 1, len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

enum log_level log_metrics_level(void)
{
    return threshold > LOG_INFO ? threshold : LOG_INFO;
}

void log_metrics_line(const char *json_object, unsigned long len)
{
    if (len < 2 || json_object[0] != '{')
        return;
    const char *level = level_names[log_metrics_level()];
    int empty = len == 2;
    printf("{\"level\":\"%s\"%s", level, empty ? "" : ",");
    fwrite(json_object + 1, 1, len - 1, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}
