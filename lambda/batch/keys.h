/* keys.h: the keys a connector batch most likely holds next, matched with
 * one compare each (for batch_fast.c).
 *
 * The connector writes each record's fields in its producer's order (the
 * model's features, then its label: producer/record.c) inside its own
 * payload (timestamp, topic, partition, offset, key, value;
 * events/batch-correct.json), so every key of a compact batch is
 * predicted.  The field names come from the served model's layout
 * (layout.c, set at init).  A prediction is taken only when the next bytes
 * are exactly "name": (no whitespace, no escapes); it then reads what a
 * general key reader would (the name as written, the position after the
 * colon and any whitespace).  Otherwise nothing is read and the caller
 * reads the key in full, so the results never depend on the prediction. */
#ifndef IRIS_BATCH_KEYS_H
#define IRIS_BATCH_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lambda/batch/batch_internal.h"
#include "lambda/batch/jscan.h"
#include "model/schema.h"

/* The payload members batch_fast.c reads, as bits of a set. */
enum batch_keys_payload {
    BATCH_KEYS_TOPIC = 1,
    BATCH_KEYS_PARTITION = 2,
    BATCH_KEYS_OFFSET = 4,
    BATCH_KEYS_TIMESTAMP = 8,
    BATCH_KEYS_VALUE = 16,
    BATCH_KEYS_KEY = 32,
};

/* 1 with the key read into *k, *klen and *p at its value when the n bytes
 * at *p are quoted ("name": with its colon); else 0, nothing read. */
static inline int batch_keys_expect(const char **p, const char *end, const char *quoted, size_t n,
                                    const char **k, size_t *klen)
{
    if ((size_t)(end - *p) < n || memcmp(*p, quoted, n) != 0)
        return 0;
    *k = *p + 1;
    *klen = n - 3;
    *p = jscan_ws(*p + n, end);
    return 1;
}

/* batch_keys_expect() of the literal key name (a constant size: the
 * compare compiles to a few loads). */
#define BATCH_KEYS_EXPECT(p, end, name, k, klen)                                                   \
    batch_keys_expect(p, end, "\"" name "\":", sizeof("\"" name "\":") - 1, k, klen)

/* A field name as it comes quoted with its colon ("name":), n bytes in
 * text.  When n is 8 to 16, its first and last 8 bytes also as two words,
 * so that it is matched with two loads and compares; index is what
 * batch_keys_iris() returns for it. */
typedef struct batch_keys_prediction {
    uint64_t first, last;
    size_t n;
    int index;
    char text[SCHEMA_NAME_MAX + 4];
} batch_keys_prediction;

/* The layout's fields in the order a record sends them: its features, then
 * its label (layout.c; written at init only, then read-only). */
extern batch_keys_prediction batch_keys_fields[MODEL_MAX_FEATURES + 1];
extern size_t batch_keys_nfields;

/* 1 when the bytes at p are k's. */
static inline int batch_keys_match(const batch_keys_prediction *k, const char *p, const char *end)
{
    if (k->n - 8 <= 8 && end - p >= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + k->n - 8, 8);
        return ((a ^ k->first) | (b ^ k->last)) == 0;
    }
    return (size_t)(end - p) >= k->n && memcmp(p, k->text, k->n) == 0;
}

/* The batch_key_index() of the member-th key (from 0) of a record's value
 * if it is the one predicted, else -1. */
static inline int batch_keys_iris(int member, const char **p, const char *end, const char **k,
                                  size_t *klen)
{
    if ((size_t)member >= batch_keys_nfields)
        return -1;
    const batch_keys_prediction *e = &batch_keys_fields[member];
    if (!batch_keys_match(e, *p, end))
        return -1;
    *k = *p + 1;
    *klen = e->n - 3;
    *p = jscan_ws(*p + e->n, end);
    return e->index;
}

/* The bit (enum batch_keys_payload) of the member-th key of a payload if it
 * is the one predicted, else 0. */
static inline int batch_keys_payload(int member, const char **p, const char *end, const char **k,
                                     size_t *klen)
{
    switch (member) {
    case 0:
        return BATCH_KEYS_EXPECT(p, end, "timestamp", k, klen) ? BATCH_KEYS_TIMESTAMP : 0;
    case 1:
        return BATCH_KEYS_EXPECT(p, end, "topic", k, klen) ? BATCH_KEYS_TOPIC : 0;
    case 2:
        return BATCH_KEYS_EXPECT(p, end, "partition", k, klen) ? BATCH_KEYS_PARTITION : 0;
    case 3:
        return BATCH_KEYS_EXPECT(p, end, "offset", k, klen) ? BATCH_KEYS_OFFSET : 0;
    case 4:
        return BATCH_KEYS_EXPECT(p, end, "key", k, klen) ? BATCH_KEYS_KEY : 0;
    case 5:
        return BATCH_KEYS_EXPECT(p, end, "value", k, klen) ? BATCH_KEYS_VALUE : 0;
    }
    return 0;
}

#endif
