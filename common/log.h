/* log.h: structured logs, one JSON object per line on stdout:
 *   {"timestamp":"2026-11-23T03:50:00.123Z","level":"INFO","requestId":"...","message":"..."}
 * The level threshold comes from AWS_LAMBDA_LOG_LEVEL (TRACE, DEBUG, INFO,
 * WARN, ERROR, FATAL; default INFO).  Never pass credentials to these
 * functions; payloads only at DEBUG or below.
 */
#ifndef IRIS_LOG_H
#define IRIS_LOG_H

enum log_level { LOG_TRACE = 0, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL };

/* Reads AWS_LAMBDA_LOG_LEVEL.  Returns 0, or -1 if it is set to an unknown
 * value (the level then stays INFO). */
int log_init_from_env(void);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);
/* The request id stamped on every line until changed ("" / NULL: none).  */
void log_set_request_id(const char *request_id);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line with extra fields: fields_json is the inside of a JSON object
 * (e.g. "\"records\":20,\"accuracy\":0.95"), appended after "message". */
void log_fields(enum log_level level, const char *message, const char *fields_json);
/* Writes one raw line (already JSON, e.g. an EMF document) to the log stream. */
void log_raw_line(const char *line, unsigned long len);

/* The level a metrics line carries: the configured threshold, but at least
 * INFO.  Lambda's log-level filtering (JSON log format with an application
 * log level) drops JSON lines whose "level" is below the configured level and
 * treats lines without one as INFO, so a metrics line stamped with the
 * threshold's own level reaches CloudWatch at every level. */
enum log_level log_metrics_level(void);

/* Writes a JSON object (e.g. an EMF document, "{...}", len bytes) as one
 * line with "level":<log_metrics_level()> added as its first member.  Never
 * filtered by the threshold: metrics are not diagnostics. */
void log_metrics_line(const char *json_object, unsigned long len);

#endif
