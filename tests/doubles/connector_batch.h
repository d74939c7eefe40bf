/* connector_batch.h: a batch of Kafka records from one topic-partition, and the
 * request payload the Confluent AWS Lambda Sink connector sends for it:
 *
 *   [{"payload":{"timestamp":1604302260000,"topic":"iris","partition":0,
 *                "offset":42,"key":null,"value":"{petalLength=1.4, ...}"}}, ...]
 *
 * key and value as input.data.format and record.converter.class make them
 * (connector_convert.h); the timestamp is the record's (epoch ms) or null.
 */
#ifndef IRIS_CONNECTOR_BATCH_H
#define IRIS_CONNECTOR_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

#include "tests/doubles/connector_convert.h"

typedef struct connector_batch {
    char *topic; /* owned */
    int32_t partition;
    rd_kafka_message_t **msgs; /* owned; destroyed by _clear/_free */
    size_t n;
    size_t cap;
    int64_t started_ms; /* monotonic time of the first record, 0 when empty */
} connector_batch;

/* A new empty batch for topic/partition; NULL on allocation failure.  Free
 * with connector_batch_free(). */
connector_batch *connector_batch_new(const char *topic, int32_t partition);
/* Destroys the held messages and the batch; accepts NULL. */
void connector_batch_free(connector_batch *b);
/* Takes ownership of msg (destroyed with rd_kafka_message_destroy later).
 * Returns 0, or -1 on allocation failure (msg is then still the caller's). */
int connector_batch_add(connector_batch *b, rd_kafka_message_t *msg, int64_t now_ms);
/* Destroys the held messages; the batch stays usable. */
void connector_batch_clear(connector_batch *b);
int64_t connector_batch_first_offset(const connector_batch *b);
int64_t connector_batch_last_offset(const connector_batch *b);

/* The request for a batch.  Records the converter cannot read are left out
 * (errors[i] says why; they belong in the dead letter queue). */
typedef struct connector_payload {
    cJSON *elements; /* owned: the array sent, one element per converted record */
    char *json;      /* owned: elements, printed */
    size_t len;
    char **errors; /* owned: one per record of the batch; NULL when it was converted */
    size_t n_records;
    size_t n_sent;
} connector_payload;

/* Builds *out for b; 0, or -1 when out of memory.  Free with
 * connector_payload_free() either way. */
int connector_batch_payload(const connector_batch *b, enum connector_format f,
                            enum connector_converter c, connector_payload *out);
void connector_payload_free(connector_payload *p);

#endif
