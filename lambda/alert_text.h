/* alert_text.h: the pieces of an alert's Subject and Message shared by the
 * per-batch policies (alert.c) and the sequential tests' alerts
 * (alert_episode.c), below both.  Internal to lambda/alert*.c. */
#ifndef IRIS_ALERT_TEXT_H
#define IRIS_ALERT_TEXT_H

#include "common/buf.h"
#include "lambda/alert.h"

/* The offsets of a batch's records on one topic partition. */
typedef struct alert_range {
    const char *topic;
    int32_t partition;
    int64_t first, last;
    size_t records;
} alert_range;

/* Offset ranges per (topic, partition), sorted; *out is malloc'd (free()).
 * Returns 0, or -1 when out of memory. */
int alert_offset_ranges(const batch *b, alert_range **out, size_t *n);

/* "iris/0 100-119" */
void alert_range_text(buf *t, const alert_range *r);

/* "45%", "66.6%": truncated (not rounded) to 0.1. */
void alert_format_percent(double v, char *out, size_t outlen);

/* Replaces every byte outside printable ASCII with '?'. */
void alert_printable(char *s);

/* The class name, or "class<k>" in tmp when unknown. */
const char *alert_class_name(const alert_context *ctx, int k, char *tmp, size_t tmplen);

void alert_json_key(buf *m, const char *key);

/* '{' and the members alert, kind, severity, functionName, requestId. */
void alert_write_head(buf *m, const alert_context *ctx, const char *what, const char *kind,
                      const char *severity);

/* "offsetRanges":[...] (at most max_ranges) and "offsetRangesOmitted" when some were left out. */
void alert_write_ranges(buf *m, const alert_range *r, size_t nr, size_t max_ranges);

/* Where a record sits in Kafka, as an opening '{' and its members (the
 * caller adds more and the '}'): "topic" (null when NULL), "partition" and
 * "offset" (null when negative), "timestamp" (null when BATCH_NO_TIMESTAMP). */
void alert_write_position(buf *m, const char *topic, int64_t partition, int64_t offset,
                          int64_t timestamp_ms);

/* One record's members after an opening '{' it writes (the caller adds
 * members and the '}'): topic, partition, offset, timestamp, the four
 * measurements, species (null when unlabelled), predictedSpecies, probability. */
void alert_write_record(buf *m, const alert_context *ctx, const batch_record *rec);

/* One record of a list of examples: counts it in *total and, while fewer
 * than max_examples are *written, writes it (a ',' before all but the first,
 * then alert_write_record) and returns 1: the caller adds its own members
 * and the '}'.  Returns 0 for a record only counted. */
int alert_write_example(buf *m, const alert_context *ctx, const batch_record *rec, size_t *total,
                        size_t *written, size_t max_examples);

/* "misclassified":[...] (at most max_examples) and "misclassifiedTotal";
 * returns the number of examples written. */
size_t alert_write_misclassified(buf *m, const alert_context *ctx, const batch *b,
                                 size_t max_examples);

/* How much of the batch a Message shows: its offset ranges (at most
 * max_ranges of nr) and at most max_examples records; truncated when either
 * was cut. */
typedef struct alert_shape {
    const alert_range *ranges;
    size_t nr, max_ranges, max_examples;
    int truncated;
} alert_shape;

/* Writes a whole Message of the given shape into m and returns the number
 * of example records written. */
typedef size_t (*alert_writer)(buf *m, const void *ctx, const alert_shape *shape);

/* Sets out->message (and message_len, examples, truncated) to the largest
 * Message write makes that fits max_message_bytes: examples are dropped
 * first, then offset ranges.  Returns 0, or -1 when out of memory or when
 * even the smallest does not fit. */
int alert_fit(alert *out, const batch *b, size_t max_message_bytes, alert_writer write,
              const void *ctx);

#endif
