/* log.h: structured logs, one JSON object per line on stdout:
 *   {"timestamp":"2026-11-23T03:50:00.123Z","level":"INFO","requestId":"...","message":"..."}
 * The level threshold comes from AWS_LAMBDA_LOG_LEVEL (TRACE, DEBUG, INFO,
 * WARN, ERROR, FATAL; default INFO).  Never pass credentials to these
 * functions; payloads only at DEBUG or below.
 *
 * Every line is built whole in memory and leaves in one write(2) to fd 1, so
 * lines from several threads never interleave or tear.  Every line this
 * module writes (log_raw_line's excepted: its caller's) carries both a
 * "level" and an RFC 3339 "timestamp": Lambda's log-level filter keeps a
 * line at its level only when it has both ("Log-level filtering", Lambda
 * developer guide), and counts any other line as INFO.
 *
 * Threads: the level is set before any thread starts (log_init_from_env,
 * log_set_level) and only read after; the request id is per thread.
 */
#ifndef IRIS_LOG_H
#define IRIS_LOG_H

enum log_level { LOG_TRACE = 0, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL };

/* Reads AWS_LAMBDA_LOG_LEVEL.  Returns 0, or -1 if it is set to an unknown
 * value (the level then stays INFO). */
int log_init_from_env(void);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);
/* The request id stamped on every line the calling thread writes until it
 * changes it ("" / NULL: none).  Per thread: each worker stamps its own. */
void log_set_request_id(const char *request_id);
/* Call once before a second thread logs: from then on whole lines are
 * written under a lock (a line longer than PIPE_BUF is otherwise not atomic
 * on a pipe).  Single-threaded programs never take it. */
void log_set_threaded(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line with extra fields: fields_json is the inside of a JSON object
 * (e.g. "\"records\":20,\"accuracy\":0.95"), appended after "message". */
void log_fields(enum log_level level, const char *message, const char *fields_json);
/* Writes one raw line (already JSON) and a newline, in one write.  The caller
 * supplies "level" and "timestamp" if Lambda's filter should see them. */
void log_raw_line(const char *line, unsigned long len);

/* The level a metrics line carries: the configured threshold, but at least
 * INFO.  Lambda's log-level filtering (JSON log format with an application
 * log level) drops JSON lines whose "level" is below the configured level and
 * treats lines without a valid "level" and a valid RFC 3339 "timestamp" as
 * INFO, so a metrics line stamped with both, at the threshold's own level,
 * reaches CloudWatch at every level. */
enum log_level log_metrics_level(void);

/* Writes a JSON object (e.g. an EMF document, "{...}", len bytes) as one
 * line with "timestamp" (RFC 3339, now) and "level":<log_metrics_level()>
 * added as its first members.  Never filtered by the threshold: metrics are
 * not diagnostics. */
void log_metrics_line(const char *json_object, unsigned long len);

#endif
