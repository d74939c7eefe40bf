/* connector_convert.h: what the Confluent AWS Lambda Sink connector puts in a
 * record's "key" and "value", for each input.data.format and
 * record.converter.class (Confluent Cloud "AWS Lambda Sink Connector"
 * configuration reference, record.converter.class: JsonKeyValueConverter
 * "sends key and value as JSON primitives or objects according to their
 * schema; when no schema is defined, as plain strings";
 * EscapedJsonKeyValueConverter sends them "as escaped JSON strings when no
 * schema is defined"; Kafka Connect's JsonConverter for schemaless JSON).
 *
 *   input.data.format   record.converter.class          value sent
 *   JSON (schemaless)   JsonKeyValueConverter (default)  a plain string: Java's
 *                       Map.toString() of the HashMap Kafka Connect's JsonConverter
 *                       builds: {petalLength=1.4, petalWidth=0.2, sepalLength=5.1, ...}
 *                       (HashMap bucket order, integers without a decimal point,
 *                       strings unquoted, null as null)
 *   JSON (schemaless)   EscapedJsonKeyValueConverter     a string of escaped JSON of
 *                       that HashMap (same key order; doubles as Java prints them)
 *   JSON_SR, AVRO,      either                           a JSON object (the schema's
 *   PROTOBUF                                             fields; "escaped JSON strings
 *                                                        when no schema is defined")
 *   BYTES               either                           a base64 string of the bytes
 *
 * JSON_SR, AVRO and PROTOBUF values in the Schema Registry wire format (a
 * magic byte 0, the schema id, for Protobuf the message indexes, then the
 * encoding) are decoded with the writer's schema, fetched by id from the
 * registry given with --schema-registry (registry/decode.h), into the JSON
 * object of the schema's fields, as the connector's converters hand them on;
 * other bytes under these formats are taken, leniently, as the JSON of the
 * decoded struct (fields in the record's order).
 */
#ifndef IRIS_CONNECTOR_CONVERT_H
#define IRIS_CONNECTOR_CONVERT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "registry/client.h"

enum connector_format {
    CONNECTOR_FORMAT_JSON,
    CONNECTOR_FORMAT_JSON_SR,
    CONNECTOR_FORMAT_AVRO,
    CONNECTOR_FORMAT_PROTOBUF,
    CONNECTOR_FORMAT_BYTES,
};

enum connector_converter {
    CONNECTOR_CONVERTER_JSON_KV,         /* JsonKeyValueConverter (the default) */
    CONNECTOR_CONVERTER_ESCAPED_JSON_KV, /* EscapedJsonKeyValueConverter */
};

/* "JSON", "JSON_SR", "AVRO", "PROTOBUF", "BYTES" -> *out; -1 if none of them. */
int connector_format_parse(const char *s, enum connector_format *out);
/* "JsonKeyValueConverter" or "EscapedJsonKeyValueConverter", alone or as the
 * fully qualified class name (…aws.lambda.converter.<Name>) -> *out; -1 otherwise. */
int connector_converter_parse(const char *s, enum connector_converter *out);
const char *connector_format_name(enum connector_format f);
const char *connector_converter_name(enum connector_converter c);

/* Decodes wire-format values with reg (borrowed; NULL: none).  Call it once
 * before any thread converts. */
void connector_convert_use_registry(struct registry *reg);

/* The "value" (or "key") element for len bytes at p (p NULL: null).  Returns a
 * new cJSON item (the caller frees it with cJSON_Delete, or hands it to a
 * parent), or NULL with a message in err: bytes that are not JSON under a
 * JSON/JSON_SR/AVRO/PROTOBUF format (Kafka Connect's converter error), or out
 * of memory. */
cJSON *connector_convert(enum connector_format f, enum connector_converter c, const void *p,
                         size_t len, char *err, size_t errlen);

/* Appends Java's toString() of the schemaless value that Kafka Connect's
 * JsonConverter makes of the JSON text at p (len bytes): HashMap for objects,
 * ArrayList for arrays, Long for integral numbers, Double for the others,
 * String, Boolean, null.  json_style: write it as JSON instead (what Jackson
 * writes for the same objects: the EscapedJsonKeyValueConverter's text).
 * Returns 0, or -1 when p is not JSON (err says where) or out of memory. */
int connector_java_string(const char *p, size_t len, int json_style, buf *out, char *err,
                          size_t errlen);

/* Java's Double.toString(d) (JDK 19+ javadoc: the shortest decimal of at least
 * two digits that reads back as d; plain notation for 1e-3 <= |d| < 1e7, else
 * computerized scientific, "1.0E-4"). */
void connector_java_double(double d, char *out, size_t outlen);

/* Java's String.hashCode() of UTF-8 text s (over its UTF-16 code units). */
int connector_java_string_hash(const char *s, size_t len);

#endif
