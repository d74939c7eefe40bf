/* encode: a record's value in a Schema Registry format, framed in
 * Confluent's wire format: a magic byte 0, the schema id (4 bytes, big
 * endian), for Protobuf the message indexes (a single 0 for the first
 * message of the schema, as Confluent's serializers write it), then the
 * encoded value.  The value schema is registered under the topic's subject,
 * "<topic>-value" (TopicNameStrategy), once, before the first record.
 *
 * Avro is written with avro-c against the schema (producer/schemas/iris.avsc
 * or --schema FILE), JSON Schema as the JSON text after checking it against
 * the schema, Protobuf with protobuf-c (producer/schemas/iris.proto). */
#ifndef PRODUCER_ENCODE_H
#define PRODUCER_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "registry/client.h"

enum encode_format { ENCODE_JSON, ENCODE_AVRO, ENCODE_JSON_SR, ENCODE_PROTOBUF };

/* Parses "json", "avro", "json_sr" or "protobuf".  Returns 0 or -1. */
int encode_format_parse(const char *name, enum encode_format *out);

struct encoder;

/* Registers the schema (schema_text NULL: the shipped one for the format)
 * under "<topic>-value" with reg (borrowed; it must outlive the encoder).
 * Returns NULL with err naming the subject and the registry's message.
 * Free with encoder_free(). */
struct encoder *encoder_new(enum encode_format f, struct registry *reg, const char *topic,
                            const char *schema_text, char *err, size_t errlen);

/* The schema id the registry gave. */
int32_t encoder_schema_id(const struct encoder *e);

/* The subject the schema is registered under (owned by e). */
const char *encoder_subject(const struct encoder *e);

/* Encodes one record given as the producer's JSON object text.  Returns 0
 * with *out (valid until the next call or encoder_free) and *outlen, or -1
 * with err naming the field that does not match the schema. */
int encoder_encode(struct encoder *e, const char *json, size_t len, const void **out,
                   size_t *outlen, char *err, size_t errlen);

/* Frees the encoder; accepts NULL. */
void encoder_free(struct encoder *e);

/* The shipped schema text of a format (NULL for ENCODE_JSON). */
const char *encode_shipped_schema(enum encode_format f);

#endif
