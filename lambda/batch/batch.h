/* batch.h: the event the Confluent AWS Lambda Sink connector sends, parsed
 * into iris records.
 *
 * Accepted events (see docs/function.md "Events it accepts"):
 *   - a connector batch: [{"payload":{"timestamp":..,"topic":..,"partition":..,
 *     "offset":..,"key":..,"value":V}}, ...]
 *   - a bare iris object V (a direct invoke) or a bare array of them.
 * V is an iris object, a string holding Java's Map.toString() of one (the
 * connector's default converter on schemaless JSON, javamap.h), a string
 * holding escaped JSON of one, or base64 of its JSON bytes.  Field names:
 * camelCase (sepalLength), snake_case (sepal_length) or upper case
 * (SEPAL_LENGTH, ksqlDB); species "virginica" or "Iris-virginica" (any case).  A record without
 * species is scored but not judged.
 *
 * One bad record never fails the batch: it gets a specific error message,
 * beside every metadata member of it that was valid (topic, partition,
 * offset, timestamp, key), and the others are still read; a record nested
 * deeper than 512 levels is such a record.  Only an event that is not a
 * batch at all (not RFC 8259 JSON, wrong top-level shape) or that breaks a
 * limit (more than 60,000 records; the event's own nesting, an array
 * element or a bare object, deeper than 512 levels: BATCH_ERR_LIMIT) fails
 * batch_parse(); its time is linear in len and its memory bounded.
 *
 * Threads: batch_use_model() is called once at init, before any parse;
 * afterwards any number of threads may parse different events at once (a
 * batch is its caller's; the layout is read-only).
 */
#ifndef IRIS_BATCH_H
#define IRIS_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

#define BATCH_SPECIES_MAX 32
/* A key with more bytes that are not UTF-8 than this is not echoed: each
 * would take the three bytes of U+FFFD, so a 2 MB key of them alone would
 * push a batch's response past Lambda's 6 MB limit and fail every record. */
#define BATCH_KEY_NOT_UTF8_MAX 64
#define BATCH_NO_TIMESTAMP INT64_MIN

enum batch_shape {
    BATCH_SHAPE_CONNECTOR = 0, /* array of {"payload":{...}} */
    BATCH_SHAPE_BARE_OBJECT,   /* one iris object */
    BATCH_SHAPE_BARE_ARRAY,    /* array of iris values */
};

typedef struct batch_record {
    /* Connector metadata; absent (direct invokes) as NULL / -1. */
    const char *topic; /* owned by the batch */
    int32_t partition;
    /* When the key is not echoed (key NULL) because more than
     * BATCH_KEY_NOT_UTF8_MAX of its bytes are not UTF-8: how many are. */
    uint32_t key_not_utf8;
    int64_t offset;
    int64_t timestamp_ms; /* BATCH_NO_TIMESTAMP when absent; may be negative */
    /* The record's key as JSON text, echoed in the response: a string key
     * (a Map.toString() one included) stays that JSON string, an object or
     * number is rewritten compactly (strings made valid UTF-8).  NULL when
     * absent or null.  Owned by the batch. */
    char *key;

    double features[MODEL_NFEATURES]; /* sepal_length, sepal_width, petal_length, petal_width */
    double *wide; /* a model with more features: all of them (owned by the batch); else NULL */
    char species[BATCH_SPECIES_MAX]; /* canonical lower-case label, "" when unlabelled */
    char *error;                     /* NULL if read; else why not (owned by the batch) */

    /* Filled by evaluate_score(). */
    int label;     /* class index of species, -1 when unlabelled or unread */
    int predicted; /* class index, -1 when not scored */
    double probs[MODEL_MAX_CLASSES];
} batch_record;

typedef struct batch {
    batch_record *records;
    size_t count;
    size_t records_cap; /* bytes the records array holds (common/bigmem.h) */
    enum batch_shape shape;
    char **topics; /* interned topic names, owned */
    size_t ntopics;
    struct topic_slot *topic_slots; /* their hash index (topics.c) */
    size_t topic_nslots;
    size_t slow_records; /* records the fast path left to cJSON (odd shapes, errors) */
} batch;

enum batch_status {
    BATCH_OK = 0,
    BATCH_ERR_NOT_JSON = -1, /* the event is not valid JSON */
    BATCH_ERR_SHAPE = -2,    /* valid JSON but not a batch / record */
    BATCH_ERR_NOMEM = -3,
    BATCH_ERR_LIMIT = -4, /* over a size limit (docs/function.md "Limits and hostile input"): records, nesting */
};

/* The record layout: the model's features and label field, read in any
 * spelling of model/schema.h.  batch_use_model() sets it once at init,
 * before any batch is parsed (it is process-wide, and not to be called
 * while another thread parses); until then it is model/schema.h's iris
 * schema, whose measurements are lengths in cm from 0 to 100.  Returns 0,
 * or -1 with err. */
int batch_use_model(const model *m, char *err, size_t errlen);
int batch_layout_is_iris(void);
size_t batch_num_features(void);
/* camelCase names: feature j (NULL past the last), the label ("species"),
 * and the predicted label ("predictedSpecies"). */
const char *batch_feature_name(size_t j);
const char *batch_label_name(void);
const char *batch_predicted_name(void);
/* The record's batch_num_features() feature values, in the model's order. */
static inline const double *batch_record_features(const batch_record *rec)
{
    return rec->wide != NULL ? rec->wide : rec->features;
}

/* Parse an event of len bytes (need not be NUL-terminated).  On BATCH_OK the
 * caller owns *out and frees it with batch_free().  On error *out is empty and
 * err holds a specific message (where in the event, what was expected). */
int batch_parse(const char *json, size_t len, batch *out, char *err, size_t errlen);
/* batch_parse(), telling release(ctx, n) now and then, while it reads,
 * that it will not read the first n bytes of json again: a caller that owns
 * the event may give their memory back then (the event and the records
 * need not be in memory whole at once).  Same result as batch_parse(). */
int batch_parse_releasing(const char *json, size_t len, batch *out, char *err, size_t errlen,
                          void (*release)(void *ctx, size_t n), void *ctx);

/* Frees everything the batch owns; accepts NULL and empty batches. */
void batch_free(batch *b);

/* Sets rec->error to a copy of msg (replacing any earlier error). */
int batch_record_fail(batch_record *rec, const char *msg);

const char *batch_strerror(int status);

#endif
