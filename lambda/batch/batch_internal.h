/* batch_internal.h: what the files of lambda/batch/ share, by the file that
 * defines it.  They read top-down: batch.c (the public API) -> batch_event.c
 * (the event) -> batch_fast.c (fast path) and batch_cjson.c (reference
 * path) -> batch_key.c, javamap.c -> record.c -> layout.c, topics.c,
 * base64.c, jscan.c; no file calls one above it
 * (scripts/call_graph.py lambda/batch prints the calls). */
#ifndef IRIS_BATCH_INTERNAL_H
#define IRIS_BATCH_INTERNAL_H

#include <stddef.h>

#include "lambda/batch/batch.h"
#include "common/buf.h"

/* batch_key_index() of the label field: past every feature index. */
#define BATCH_KEY_SPECIES MODEL_MAX_FEATURES

/* Limits that keep any event's time and memory bounded (docs/function.md "Limits and hostile input").
 * Each record's response element is at least ~100 bytes, so no event of
 * more than ~60,000 records can be answered within Lambda's 6 MB response
 * limit: more records than this fail the event at once (BATCH_ERR_LIMIT).  A record (or the
 * JSON inside a string value) with more values than BATCH_RECORD_MAX_VALUES
 * gets a per-record error: cJSON reads a record as a tree of that many
 * nodes at most. */
#define BATCH_MAX_RECORDS 60000
#define BATCH_RECORD_MAX_VALUES 10000
/* Partition, offset and timestamp are echoed exactly below 2^53; at or
 * beyond it a double (cJSON's number) may have rounded them. */
#define BATCH_EXACT_INT_LIMIT 9007199254740992LL

/* The words of the per-record errors both paths write (printf formats; a
 * field name is "%.*s", given as its length and bytes). */
#define BATCH_MSG_NOT_NUMBER "value.%.*s: expected a number, got %s"
#define BATCH_MSG_SPECIES_TYPE "value.%.*s: expected a string or null, got %s"
/* The label's value is not a class name (%s: the label field, batch_label_name()). */
#define BATCH_MSG_NOT_SPECIES "value.%.*s: %s is not a %s name"
#define BATCH_MSG_TOMBSTONE "value: null (a tombstone or empty record), expected an iris object"
#define BATCH_MSG_VALUE_TYPE "value: expected an iris object, a JSON string or base64, got %s"
#define BATCH_MSG_INT_INVALID "payload.%s: %g is not a valid %s"
#define BATCH_MSG_INT_TYPE "payload.%s: expected an integer, got %s"
#define BATCH_MSG_INT_INEXACT                                                                      \
    "payload.%s: an integer of magnitude 2^53 (9007199254740992) or more cannot be echoed exactly"
#define BATCH_MSG_PAYLOAD_TYPE "payload: expected an object, got %s"
#define BATCH_MSG_TOPIC_TYPE "payload.topic: expected a string, got %s"
/* Kafka refuses topic names longer than 249 characters
 * (org.apache.kafka.common.internals.Topic.MAX_NAME_LENGTH); a longer one
 * is a record error, not a copy to keep and echo per record. */
#define BATCH_TOPIC_MAX 249
#define BATCH_MSG_TOPIC_LONG                                                                       \
    "payload.topic: %zu bytes, longer than a Kafka topic name may be (249 characters)"
#define BATCH_MSG_NO_VALUE "payload.value: missing"
#define BATCH_MSG_NO_PAYLOAD "record: expected an object with \"payload\", got %s"

/* --- batch_event.c: the whole event (batch_parse's contract): validated
 * and outlined once, then each element read by the fast path when fast is
 * set and it takes the element, else by cJSON. */
/* batch_parse_releasing()'s callback. */
typedef struct batch_release {
    void (*fn)(void *ctx, size_t n);
    void *ctx;
} batch_release;
int batch_read_event(const char *json, size_t len, batch *out, char *err, size_t errlen, int fast,
                     const batch_release *release);

/* --- batch_fast.c: the fast path for one connector element at *p: 0 with
 * *rec read and *p past the element (exactly what cJSON would produce),
 * BATCH_ERR_NOMEM, or -1 when the element must be read by cJSON.  What it
 * reads is valid JSON within JSCAN_MAX_DEPTH counted from the event's top
 * (it is strict and skips the members it does not read at their depth in
 * the event). */
int batch_fast_element(batch *b, batch_record *rec, const char **p, const char *end);
/* The same for an element of a bare array of iris objects. */
int batch_fast_bare_element(batch_record *rec, const char **p, const char *end);
/* Whether the object at p has a member whose name decodes to "payload":
 * 1, 0, or -1 if p is not a valid object. */
int batch_has_payload_key(const char *p, const char *end);

/* --- batch_cjson.c: reads one element (a top-level array element, or the
 * bare object) from its JSON text with cJSON.  The text must be JSON cJSON
 * reads (jscan_value with JSCAN_NO_LONE_SURROGATES) of at most
 * BATCH_RECORD_MAX_VALUES values.  Returns 0, -1 (rec->error set),
 * BATCH_ERR_NOMEM, or BATCH_ERR_SHAPE for a bare object without iris
 * fields. */
int batch_read_element_text(batch *b, batch_record *rec, const char *text, size_t len);
/* For a connector element (valid JSON, text[0..len)) that cannot be read
 * whole: the members of its payload that cJSON can read (topic, partition,
 * offset, timestamp, key) into rec, as batch_read_element_text() reads
 * them; rec->error, already set, is kept.  0 or BATCH_ERR_NOMEM. */
int batch_read_metadata_text(batch *b, batch_record *rec, const char *text, size_t len);
/* Checks that the JSON text inside a string value (after base64 decoding
 * when how is "base64") is one object cJSON reads, within the limits, with
 * nothing after it.  0, or -1 with rec->error set. */
int batch_check_inner_json(batch_record *rec, const char *text, size_t len, const char *how);

/* --- batch_key.c: the fast path's reading of a record's key at *p into
 * rec->key (NULL for a JSON null); 0, BATCH_ERR_NOMEM, or -1 when the
 * cJSON path must read it. */
int batch_fast_key(batch_record *rec, const char **p, const char *end);

/* --- record.c: a record's storage and errors, and the measurement checks
 * both paths apply. */
void batch_record_init(batch_record *rec);
/* Frees what rec owns (error, key), then batch_record_init(). */
void batch_record_clear(batch_record *rec);
/* Sets rec->error from a printf format (left NULL when out of memory). */
void batch_record_failf(batch_record *rec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* b's text in an allocation of its exact size (free() it), b left empty;
 * NULL when b failed. */
char *batch_detach_text(buf *b);
/* A record's error text is shared by the records of one parse that failed
 * alike in a row (record.c): release it with this, never free().  A parse
 * is bracketed by batch_errors_begin() and batch_errors_end() on its
 * thread. */
void batch_error_release(char *text);
void batch_errors_begin(void);
void batch_errors_end(void);
/* The record's key from its echo in k (which it takes): echoed, or, past
 * BATCH_KEY_NOT_UTF8_MAX bytes that are not UTF-8, counted in key_not_utf8
 * instead.  0 or BATCH_ERR_NOMEM. */
int batch_set_key(batch_record *rec, buf *k);
/* Short, printable, quoted rendering of s (len bytes) for error messages:
 * at most about 45 characters, unprintable bytes as '?'. */
void batch_quote_for_error(const char *s, size_t len, char *out, size_t outlen);
/* Stores x as feature j of rec; -1 with rec->error set when x is not a
 * length in cm (0 to 100).  key (klen bytes) is the field as written. */
int batch_set_feature(batch_record *rec, int j, double x, const char *key, size_t klen);
/* A measurement written as text s[0..n) (a JSON string's content, what="string ";
 * a Map.toString() value, what=""): accepted exactly when it is an RFC 8259
 * number (jscan_is_number) a double holds, then batch_set_feature.  0, or -1
 * with rec->error saying what was wrong. */
int batch_set_feature_text(batch_record *rec, int j, const char *s, size_t n, const char *what,
                           const char *key, size_t klen);
/* Sets rec->error: feature j is missing.  Always returns -1. */
int batch_fail_missing_feature(batch_record *rec, int j);

/* --- layout.c: the served model's fields. */
/* The feature index of a key in any accepted spelling, BATCH_KEY_SPECIES,
 * or -1. */
int batch_key_index(const char *key, size_t len);
/* Feature j's name in snake_case ("" past the last). */
const char *batch_feature_snake(size_t j);
/* batch_layout_is_iris(), as a variable for the parser's per-field paths
 * (written only before main() and by batch_use_model). */
extern int batch_iris_layout;
/* "Iris-Virginica" -> "virginica"; -1 if not a species name. */
int batch_species_normalise(const char *s, size_t len, char out[BATCH_SPECIES_MAX]);

/* --- topics.c: the batch's copy of a topic name of len bytes; NULL when
 * out of memory. */
const char *batch_intern_topic(batch *b, const char *topic, size_t len);
/* Frees the batch's topic names. */
void batch_topics_free(batch *b);

/* --- base64.c: decodes standard or URL-safe base64 (padding optional)
 * into out, which has room for len / 4 * 3 + 3 bytes; -1 if s is not
 * base64. */
int batch_base64_decode(const char *s, size_t len, char *out, size_t *outlen);
/* The same into a new buffer of len / 4 * 3 + 3 bytes (bigmem_free() it:
 * a large one is a region of huge pages); NULL if s is not base64 or memory
 * ran out. */
char *batch_base64_decode_alloc(const char *s, size_t len, size_t *outlen);

/* --- batch.c (the public API) also has, for tests and benchmarks: */
/* batch_parse() without its message: the status; out->slow_records says
 * how many records the fast path left to cJSON. */
int batch_parse_fast(const char *json, size_t len, batch *out);
/* The reference path: every element through cJSON (batch_parse's contract). */
int batch_parse_cjson(const char *json, size_t len, batch *out, char *err, size_t errlen);

#endif
