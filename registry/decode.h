/* decode: a value in Confluent's wire format back to a JSON object, given
 * the writer's schema (fetched by id from the registry): a magic byte 0, the
 * schema id (4 bytes, big endian), for Protobuf the message indexes, then
 * the encoded value.  What the Kafka consumers of this project (the
 * trainer, the connector stand-in) read such topics with.
 *
 * Avro: a record of scalar fields (null, boolean, int, long, float, double,
 * string, enum, and unions of those), read with avro-c against the writer's
 * schema.  JSON Schema: the JSON text after the header.  Protobuf: a
 * top-level message of scalar fields (double, float, the integer types,
 * bool, string; proto3 defaults for absent fields), the message found by
 * its indexes in the schema's .proto text.  The JSON object's members are
 * the schema's field names, in schema order. */
#ifndef REGISTRY_DECODE_H
#define REGISTRY_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "registry/client.h"

/* Reads the header: returns 0 with the schema id and the bytes after the
 * id, or -1 when value is not in the wire format (too short, or its first
 * byte is not the magic byte 0). */
int decode_header(const void *value, size_t len, int32_t *id);

/* Decodes value (header included) with the writer's schema (its type and
 * text).  Returns a malloc'd JSON object text the caller frees, or NULL
 * with err saying what is wrong (field, byte offset) and never quoting the
 * value's bytes. */
char *decode_value(enum registry_format f, const char *schema, const void *value, size_t len,
                   char *err, size_t errlen);

/* decode_value with the schema fetched by id from reg (cached there). */
char *decode_with_registry(struct registry *reg, const void *value, size_t len, char *err,
                           size_t errlen);

#endif
