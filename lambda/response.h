/* response.h: the function's response document: a JSON array with one element
 * per input record, in input order (docs/function.md "What it answers"), its fields
 * named as the served model names them (batch_use_model).  A stream is one
 * caller's: streams over different batches may be written from any number
 * of threads at once (nothing is shared but the read-only layout and model).  It can be
 * written whole into a buf, or produced in pieces while the runtime posts it,
 * so that a 25,000-record response never sits in memory whole. */
#ifndef IRIS_RESPONSE_H
#define IRIS_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "lambda/batch/batch.h"
#include "common/buf.h"
#include "model/model.h"

/* A number as written, remembered (response.c). */
typedef struct response_number {
    uint64_t bits;
    unsigned char len; /* 0: empty */
    char text[BUF_NUMBER_MAX];
} response_number;

typedef struct response_stream {
    const batch *b;
    const model *m;
    size_t nclasses;
    buf names[MODEL_MAX_CLASSES]; /* class names as JSON strings */
    size_t next;                  /* next record to format */
    int done;                     /* the closing bracket is formatted */
    size_t names_room;            /* what the names may take in one record */
    buf chunk;                    /* formatted, not yet handed out */
    size_t chunk_off;
    const char *topic; /* the last record's topic, and as JSON */
    buf topic_json;
    int topic_set;
    response_number measurements[64];
    buf fields; /* ,"name": of each feature, the label and the predicted label */
    size_t field_at[MODEL_MAX_FEATURES + 2], field_len[MODEL_MAX_FEATURES + 2]; /* in fields */
    size_t nfeatures;
    size_t fixed_room; /* what a record takes besides its topic, key, classes and error */
} response_stream;

/* Prepares a stream over a scored batch; b and m must outlive it.  Returns
 * 0, or -1 when out of memory. */
int response_stream_init(response_stream *s, const batch *b, const model *m);
/* Frees what the stream owns (not the batch); accepts NULL. */
void response_stream_free(response_stream *s);
/* The document's exact size in bytes (it is formatted once to count, then
 * the stream is rewound); -1 when out of memory. */
long long response_stream_size(response_stream *s);
/* A runtime_body_fill: copies the next up to cap bytes into dst. */
size_t response_stream_fill(void *ctx, char *dst, size_t cap);

/* The whole document appended to out; 0, or -1 when out of memory. */
int response_write(buf *out, const batch *b, const model *m);

#endif
