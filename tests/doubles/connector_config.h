/* connector_config.h: the connector stand-in's command line.  Each option that
 * models a property of the Confluent AWS Lambda Sink connector has that
 * property's default (Confluent Cloud "AWS Lambda Sink Connector" and the
 * Confluent Platform "Configuration Reference for AWS Lambda Sink Connector"):
 *
 *   --tasks-max 1              tasks.max (Kafka Connect's, default 1; valid
 *                              [1,...]: Apache Kafka's sink connector
 *                              configuration reference); the stand-in runs at
 *                              most CONNECTOR_MAX_TASKS (connector_task.h)
 *   --batch-size 20            aws.lambda.batch.size (default 20)
 *   --invocation-type sync     aws.lambda.invocation.type (default sync; the
 *                              stand-in models sync only)
 *   --input-data-format JSON   input.data.format (JSON, JSON_SR, AVRO, PROTOBUF, BYTES)
 *   --record-converter C       record.converter.class (default JsonKeyValueConverter)
 *   --behavior-on-error log    behavior.on.error (log, the default: the failed
 *                              batch's records go to the error topic and the
 *                              connector proceeds; fail: it stops; ignore)
 *   --result-topic T           reporter.result.topic.name (success-${connector})
 *   --error-topic T            reporter.error.topic.name (error-${connector})
 *   --timeout-ms 50000         the connector's socket timeout (fixed at 50 s; the
 *                              connector has no property for it)
 *   --dlq-topic T              records its converter cannot read go to the dead
 *                              letter queue, dlq-${connector} (Confluent Cloud's
 *                              default errors.tolerance=all with a DLQ)
 *
 * Options that are the stand-in's own, not the connector's (the retries are
 * off by default):
 *   --retries N (0)            the connector never retries a failed invocation
 *   --batch-wait-ms MS (500)   how long a partial batch waits (the connector
 *                              invokes with what a poll returned)
 *   --max-records, --idle-exit-ms, --progress-ms   for tests and the demo
 */
#ifndef IRIS_CONNECTOR_CONFIG_H
#define IRIS_CONNECTOR_CONFIG_H

#include <stdio.h>

#include "tests/doubles/connector_convert.h"

#define CONNECTOR_MAX_PROPS 64
#define CONNECTOR_MAX_TASKS 64

enum connector_on_error {
    CONNECTOR_ON_ERROR_LOG,
    CONNECTOR_ON_ERROR_FAIL,
    CONNECTOR_ON_ERROR_IGNORE,
};

struct connector_options {
    const char *brokers;
    const char *topic;
    const char *name;  /* the connector's name: ${connector} in topic names */
    const char *group; /* Kafka Connect's sink group: connect-${connector} */
    const char *url;
    const char *function;
    const char *result_topic; /* NULL: results not written ('-') */
    const char *error_topic;  /* NULL: errors not written ('-') */
    const char *dlq_topic;    /* NULL: unreadable records stop the connector */
    const char *schema_registry; /* NULL: wire-format values are not read */
    enum connector_format format;
    enum connector_converter converter;
    enum connector_on_error on_error;
    long tasks_max;
    long batch_size;
    long batch_wait_ms;
    long retries;
    long backoff_ms;
    long backoff_max_ms;
    long timeout_ms;
    long max_records;
    long idle_exit_ms;
    long progress_ms;
    const char *props[CONNECTOR_MAX_PROPS]; /* "key=value" librdkafka properties */
    int n_props;
    int verbose;
    int print_properties; /* --print-properties: print them and exit */
    char names[4][256];   /* storage for the derived defaults */
};

/* Fills opt from argv (pointers into argv or opt itself); returns 0, 1 after
 * printing --help, or -1 after printing a usage error to stderr. */
int connector_options_parse(int argc, char **argv, struct connector_options *opt);
const char *connector_on_error_name(enum connector_on_error e);
/* The connector properties opt models, one "name=value" line each, under the
 * connector's own names (what a connector configuration with these values
 * would say). */
void connector_options_print(FILE *f, const struct connector_options *opt);

#endif
