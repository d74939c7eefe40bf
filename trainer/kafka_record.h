/* kafka_record.h (internal to trainer/): the values of records read from a
 * Kafka topic into a labelled training set, without librdkafka, so the
 * consumer (trainer/kafka_source.c), the unit test and the fuzzer share one
 * parser.  The value rules are those kafka_source_read states. */
#ifndef IRIS_KAFKA_RECORD_H
#define IRIS_KAFKA_RECORD_H

#include "trainer/trainset.h"

#include <stddef.h>
#include <stdint.h>

struct registry;

/* One record: where it was read and its value (len bytes, not terminated). */
typedef struct {
    int32_t partition;
    int64_t offset;
    char *value;
    size_t len;
} kafka_record;

/* Records in the order read.  A list filled by kafka_record_list_add owns
 * recs and every value; kafka_record_list_clear frees them.  A caller may
 * also point recs at records it owns, and then does not clear the list. */
typedef struct {
    kafka_record *recs;
    size_t n, cap;
} kafka_record_list;

/* Appends a copy of value[0..len).  Returns 0, or -1 when out of memory
 * (the list is unchanged). */
int kafka_record_list_add(kafka_record_list *l, int32_t partition, int64_t offset,
                          const void *value, size_t len);

/* Frees every value and recs, and empties l; l may be NULL. */
void kafka_record_list_clear(kafka_record_list *l);

/* The training set of l's records, which are first sorted into (partition,
 * offset) order: the label is the field named label (any spelling of
 * model/schema.h); the features are every other field of the first record.
 * Values in the Schema Registry wire format are decoded with reg (NULL: such
 * a value is refused, naming the properties to give).  source is
 * "kafka:TOPIC" and sha256 that of the values, each followed by a newline.
 * Each class needs at least min_per_class rows.  On failure returns NULL and
 * writes into err what went wrong and where (topic, partition, offset).
 * The caller frees the result with trainset_free. */
trainset *kafka_record_trainset(const char *topic, kafka_record_list *l, const char *label,
                                size_t min_per_class, struct registry *reg, char *err,
                                size_t errlen);

#endif
