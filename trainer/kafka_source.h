/* kafka_source.h: a labelled training set read from a Kafka topic (the
 * trainer's --from-kafka), so a topic with long retention is the training set. */
#ifndef IRIS_KAFKA_SOURCE_H
#define IRIS_KAFKA_SOURCE_H

#include "trainer/trainset.h"

#include <stddef.h>

/* Reads every partition of topic from its first offset to the end it had
 * when reading started; with max > 0, at most max records, split evenly
 * between the partitions (a partition with fewer records leaves its share to
 * the others) and taken from the start of each.  Values are JSON objects such
 * as the producer's {"sepalLength":6.7,"sepalWidth":3.3,"petalLength":5.7,
 * "petalWidth":2.5,"species":"virginica"}: the field named label (any
 * spelling of model/schema.h, e.g. "species") is the label, a string; every
 * other field of the first record is a feature, and every record must have
 * them all, in any spelling and order, as numbers or numeric strings (other
 * fields are ignored).  Rows are in (partition, offset) order, so the same
 * topic gives the same training set; its sha256 is that of the values, each
 * followed by a newline, in that order.
 *
 * Values in the Schema Registry wire format (Avro, JSON Schema, Protobuf:
 * a magic byte 0, then the schema id) are decoded with the writer's schema,
 * fetched by id from the registry named by the properties file
 * (schema.registry.url, basic.auth.credentials.source=USER_INFO,
 * basic.auth.user.info) and cached, then read as the JSON object above.
 *
 * brokers: bootstrap servers; props: a librdkafka properties file (key=value
 * lines, # comments; unknown keys such as Java-only ones are skipped with a
 * warning on stderr; the registry's keys are kept for it) or NULL.  Each class needs at least
 * min_per_class rows. On failure returns NULL and writes into err what went wrong and where (topic,
 * partition and offset of a bad record; file:line of a bad property). Free the result with
 * trainset_free. */
trainset *kafka_source_read(const char *brokers, const char *topic, const char *props,
                            const char *label, size_t max, size_t min_per_class, char *err,
                            size_t errlen);

struct rd_kafka_conf_s; /* librdkafka's rd_kafka_conf_t */
struct secrets;
struct kafka_source_registry_props;

/* For kafka_source_read, its unit test and its fuzzer: applies the
 * properties file at path to conf (rd_kafka_conf_set), adding the secrets of
 * each line to hidden before anything can print them.  With rp not NULL the
 * Schema Registry's keys (schema.registry.url, basic.auth.*) go to rp
 * instead of conf; callers outside kafka_source.c pass NULL.  Unknown keys
 * are skipped with a warning on stderr.  Returns 0, or -1 with "FILE:LINE:
 * ..." in err.  conf, hidden and rp stay the caller's. */
int kafka_source_load_props(struct rd_kafka_conf_s *conf, const char *path, struct secrets *hidden,
                            struct kafka_source_registry_props *rp, char *err, size_t errlen);

#endif
