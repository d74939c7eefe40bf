/* batch_internal.h: what batch.c (the cJSON path, the reference) shares with
 * batch_fast.c (the allocation-light fast path for connector batches). */
#ifndef IRIS_BATCH_INTERNAL_H
#define IRIS_BATCH_INTERNAL_H

#include <stddef.h>

#include "lambda/batch/batch.h"

#define BATCH_KEY_SPECIES MODEL_NFEATURES

void batch_record_init(batch_record *rec);
/* The batch's copy of a topic name of len bytes; NULL when out of memory. */
const char *batch_intern_topic(batch *b, const char *topic, size_t len);
/* 0..3 for a feature key in any accepted spelling, BATCH_KEY_SPECIES, or -1. */
int batch_key_index(const char *key, size_t len);
/* "Iris-Virginica" -> "virginica"; -1 if not a species name. */
int batch_species_normalise(const char *s, size_t len, char out[BATCH_SPECIES_MAX]);
/* Decodes standard or URL-safe base64 (padding optional) into out, which
 * has room for len / 4 * 3 + 3 bytes; -1 if s is not base64. */
int batch_base64_decode(const char *s, size_t len, char *out, size_t *outlen);
/* Reads one top-level array element from its JSON text with cJSON: 0, -1
 * (rec->error set), BATCH_ERR_NOMEM, or 1 when cJSON rejects the text. */
int batch_read_element_text(batch *b, batch_record *rec, const char *text, size_t len);

/* The reference path: the whole event through cJSON (batch_parse's
 * contract).  batch_parse() uses it for every event the fast path leaves. */
int batch_parse_cjson(const char *json, size_t len, batch *out, char *err, size_t errlen);

/* The fast path: BATCH_OK when it read the whole event into *out (which
 * then holds exactly what the cJSON path would produce), 1 when the caller
 * must use the cJSON path for the event, or BATCH_ERR_NOMEM. */
int batch_parse_fast(const char *json, size_t len, batch *out);

#endif
