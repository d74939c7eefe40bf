/* connector_output.h: what the connector stand-in writes to Kafka, as the
 * Confluent AWS Lambda Sink connector does in sync mode: each element of a
 * response to the result topic (reporter.result.topic.name), the records of
 * a failed batch to the error topic under behavior.on.error=log
 * (reporter.error.topic.name), records the converter cannot read to the dead
 * letter queue with Kafka Connect's __connect.errors.* headers.  Every write
 * waits for queue space rather than dropping a record. */
#ifndef IRIS_CONNECTOR_OUTPUT_H
#define IRIS_CONNECTOR_OUTPUT_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "tests/doubles/connector_batch.h"
#include "tests/doubles/connector_config.h"

typedef struct connector_output {
    rd_kafka_t *producer; /* owned by the caller; NULL when no topic is written */
    const struct connector_options *opt;
    long results;         /* records written to the result topic */
    long errors_written;  /* records written to the error topic */
    long dead_letters;    /* records written to the dead letter queue */
    long delivery_failed; /* writes the broker refused (delivery reports) */
} connector_output;

/* The producer's delivery-report callback; its opaque is the connector_output. */
void connector_output_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
/* Each element of the response (body, len bytes) to the result topic, keyed
 * like the record it answers; the whole body as one record if it is not an
 * array.  0, or -1 when a write could not be queued. */
int connector_output_results(connector_output *o, const connector_batch *b,
                             const connector_payload *pl, const char *body, size_t len);
/* The batch's records as sent, each with "error": error, to the error topic
 * (adds the member to pl's elements).  0 or -1. */
int connector_output_errors(connector_output *o, const connector_batch *b, connector_payload *pl,
                            const char *error);
/* The records pl could not convert: logged, and written to the DLQ; -1 when
 * there is none (the connector stops) or a write could not be queued. */
int connector_output_dead_letters(connector_output *o, const connector_batch *b,
                                  const connector_payload *pl);
/* Waits until everything written is acknowledged; -1 if that takes over 30 s
 * or a delivery failed since delivery_failed was failed_before. */
int connector_output_flush(connector_output *o, long failed_before);

#endif
