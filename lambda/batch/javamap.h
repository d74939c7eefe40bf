/* javamap.h: record values in the text of Java's Map.toString().
 *
 * The Confluent AWS Lambda Sink connector's default record.converter.class,
 * JsonKeyValueConverter, sends a key or value that has no schema as a plain
 * string (connector configuration reference,
 * https://docs.confluent.io/cloud/current/connectors/cc-aws-lambda-sink.html).
 * With input.data.format=JSON (schemaless) Kafka Connect's JsonConverter
 * turns the JSON object into a java.util.Map, so that string is what
 * AbstractMap.toString() writes:
 *
 *     {sepalLength=6.7, species=virginica, petalWidth=2.5, sepalWidth=3.3, petalLength=5.7}
 *
 * entries "key=value" separated by ", " in any order; JSON integers without a
 * decimal point (Long.toString), other numbers as Double.toString ("6.7",
 * "1.0E-4"), strings unquoted, JSON null as "null", nested objects as
 * "{a={b=1}}" and arrays as "[1, 2]" (AbstractCollection.toString()).
 *
 * The form has no quoting, so a string holding ", ", "=" or a bracket is
 * ambiguous.  The reading is fixed: a key runs to the first '='; a value that
 * starts with '{' or '[' runs to its matching bracket; any other value runs
 * to the next ", " (or the closing '}').  Text that this reading cannot take
 * apart, or that names an iris field twice (impossible in a real Map), is a
 * per-record error that says what and at which character (counted from 0 in
 * the value's text). */
#ifndef IRIS_JAVAMAP_H
#define IRIS_JAVAMAP_H

#include <stddef.h>

#include "lambda/batch/batch.h"

/* 1 when a string value (already trimmed) is to be read as Map.toString()
 * text: it starts with '{' and the next non-blank character is neither '"'
 * nor '}'.  Otherwise ({"...} or {}) it is JSON. */
int javamap_is_map_text(const char *s, size_t len);

/* Reads the iris fields of Map.toString() text s (len bytes, not
 * necessarily terminated) into rec.  Returns 0, or -1 with rec->error set to
 * a specific message (left NULL only when out of memory). */
int javamap_read_iris(batch_record *rec, const char *s, size_t len);

#endif
