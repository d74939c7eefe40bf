/* batch_fast.c: reads connector elements without building a cJSON tree.
 *
 * It handles the common shape (object values with numeric fields and plain
 * strings) and hands every element it does not take to the cJSON path
 * (batch_event.c decides), so the results, errors included, are always the
 * cJSON path's. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/batch/batch_internal.h"
#include "lambda/batch/javamap.h"
#include "common/buf.h"
#include "lambda/batch/jscan.h"

#define FEATURE_MAX_CM 100.0
#define STRING_VALUE_MAX 1024 /* longer string values go to the cJSON path */

static int key_is(const char *k, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(k, want, len) == 0;
}

/* Reads "key": and leaves *p at the value. */
static int read_key(const char **p, const char *end, const char **k, size_t *klen)
{
    const char *s = jscan_ws(*p, end);
    if (jscan_plain_string(&s, end, k, klen) != 0)
        return -1;
    s = jscan_ws(s, end);
    if (s >= end || *s != ':')
        return -1;
    *p = jscan_ws(s + 1, end);
    return 0;
}

/* After a member: ',' (returns 1: more) or '}' (returns 0: done). */
static int next_member(const char **p, const char *end)
{
    const char *s = jscan_ws(*p, end);
    if (s >= end)
        return -1;
    *p = s + 1;
    return *s == ',' ? 1 : *s == '}' ? 0 : -1;
}

static int open_object(const char **p, const char *end, int *empty)
{
    const char *s = jscan_ws(*p, end);
    if (s >= end || *s != '{')
        return -1;
    s = jscan_ws(s + 1, end);
    *empty = s < end && *s == '}';
    *p = *empty ? s + 1 : s;
    return 0;
}

/* Depths (jscan_skip_nested) of what an element's members hold in the event:
 * [ {"payload": {"value": {"sepalLength": ...}}} ], or [ {"sepalLength": ...} ]
 * for a bare array. */
#define ELEMENT_MEMBER_DEPTH 2
#define PAYLOAD_MEMBER_DEPTH 3
#define VALUE_MEMBER_DEPTH 4

/* An iris object whose members are at depth in their document.  bare: it
 * is a top-level element, which the cJSON path reads as a connector record
 * if it has a "payload" member. */
static int iris_value(batch_record *rec, const char **p, const char *end, int bare, int depth)
{
    int empty, seen = 0, more;
    if (open_object(p, end, &empty) != 0 || empty)
        return -1;
    do {
        const char *k;
        size_t klen;
        if (read_key(p, end, &k, &klen) != 0)
            return -1;
        if (bare && key_is(k, klen, "payload"))
            return -1;
        int j = batch_key_index(k, klen);
        if (j >= 0 && j < MODEL_NFEATURES && !(seen & (1 << j))) {
            double x;
            if (jscan_number(p, end, &x) != 0 || !(x >= 0 && x <= FEATURE_MAX_CM))
                return -1;
            rec->features[j] = x;
            seen |= 1 << j;
        } else if (j == BATCH_KEY_SPECIES && !(seen & 16)) {
            const char *sp;
            size_t splen;
            if (jscan_null(p, end) != 0) {
                if (jscan_plain_string(p, end, &sp, &splen) != 0 ||
                    batch_species_normalise(sp, splen, rec->species) != 0)
                    return -1;
            }
            seen |= 16;
        } else if (jscan_skip_nested(p, end, depth) != 0) {
            return -1;
        }
    } while ((more = next_member(p, end)) == 1);
    return more == 0 && (seen & 15) == 15 ? 0 : -1;
}

/* A value that is a JSON string holding escaped JSON of an iris object,
 * Map.toString() text of one (javamap.h), or base64 of its JSON (the
 * connector's string and BYTES formats).  Only the plain
 * cases: \\u escapes, long strings and anything iris_value() does not take are
 * left to the cJSON path, which words the errors. */
static int string_value(batch_record *rec, const char **p, const char *end)
{
    char text[STRING_VALUE_MAX], decoded[STRING_VALUE_MAX];
    size_t n;
    if (jscan_unescape_string(p, end, text, sizeof text, &n) != 0)
        return -1;
    /* As the cJSON path: trim, then JSON if it starts with '{', else base64. */
    const char *t = text;
    while (n > 0 && isspace((unsigned char)*t)) {
        t++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)t[n - 1]))
        n--;
    if (javamap_is_map_text(t, n)) {
        if (javamap_read_iris(rec, t, n) == 0)
            return 0;
        free(rec->error); /* the cJSON path rereads the record and words the error */
        rec->error = NULL;
        return -1;
    }
    if (n == 0 || *t != '{') {
        size_t dlen;
        if (n / 4 * 3 + 3 > sizeof decoded || batch_base64_decode(t, n, decoded, &dlen) != 0)
            return -1;
        t = decoded;
        n = dlen;
    }
    const char *q = t, *qend = t + n;
    if (iris_value(rec, &q, qend, 0, 1) != 0)
        return -1;
    return jscan_ws(q, qend) == qend ? 0 : -1;
}

static int int_field(const char **p, const char *end, int64_t lo, int64_t hi, int64_t *out)
{
    if (jscan_null(p, end) == 0)
        return 0;
    int64_t v;
    if (jscan_int64(p, end, &v) != 0 || v < lo || v > hi || v >= BATCH_EXACT_INT_LIMIT ||
        v <= -BATCH_EXACT_INT_LIMIT)
        return -1;
    *out = v;
    return 0;
}

/* A string key without escapes, kept as its JSON text (as the cJSON path
 * writes it); any other key is left to the cJSON path. */
static int plain_string_key(batch_record *rec, const char **p, const char *end)
{
    const char *t;
    size_t tlen;
    if (jscan_plain_string(p, end, &t, &tlen) != 0)
        return -1;
    size_t i = 0;
    while (i < tlen && (unsigned char)t[i] < 0x80)
        i++;
    if (i < tlen) { /* not ASCII: buf_json_str makes it valid UTF-8 */
        buf k = BUF_INIT;
        buf_json_str(&k, t, tlen);
        return (rec->key = batch_detach_text(&k)) == NULL ? BATCH_ERR_NOMEM : 0;
    }
    /* ASCII without escapes or control characters: buf_json_str's output is
     * the text between quotes, so it is written here without a buffer. */
    if ((rec->key = malloc(tlen + 3)) == NULL)
        return BATCH_ERR_NOMEM;
    rec->key[0] = '"';
    memcpy(rec->key + 1, t, tlen);
    memcpy(rec->key + 1 + tlen, "\"", 2);
    return 0;
}

/* The payload object; its topic (NULL if none) is returned in *topic and
 * *tlen, to be interned once the whole element is read. */
static int payload(batch_record *rec, const char **p, const char *end, const char **topic,
                   size_t *tlen)
{
    int empty, more, seen = 0, have_value = 0, r;
    if (open_object(p, end, &empty) != 0 || empty)
        return -1;
    do {
        const char *k;
        size_t klen;
        if (read_key(p, end, &k, &klen) != 0)
            return -1;
        int64_t v = -1;
        int bit = key_is(k, klen, "topic")       ? 1
                  : key_is(k, klen, "partition") ? 2
                  : key_is(k, klen, "offset")    ? 4
                  : key_is(k, klen, "timestamp") ? 8
                  : key_is(k, klen, "value")     ? 16
                  : key_is(k, klen, "key")       ? 32
                                                 : 0;
        if (bit == 0 || (seen & bit)) {
            if (jscan_skip_nested(p, end, PAYLOAD_MEMBER_DEPTH) != 0)
                return -1;
            continue;
        }
        seen |= bit;
        switch (bit) {
        case 1:
            if (jscan_null(p, end) != 0 && jscan_plain_string(p, end, topic, tlen) != 0)
                return -1;
            break;
        case 2:
            if (int_field(p, end, 0, INT32_MAX, &v) != 0)
                return -1;
            rec->partition = (int32_t)v;
            break;
        case 4:
            if (int_field(p, end, 0, INT64_MAX / 2, &rec->offset) != 0)
                return -1;
            break;
        case 8:
            if (int_field(p, end, INT64_MIN / 2, INT64_MAX / 2, &rec->timestamp_ms) != 0)
                return -1;
            break;
        case 16:
            if ((*p < end && **p == '"' ? string_value(rec, p, end)
                                        : iris_value(rec, p, end, 0, VALUE_MEMBER_DEPTH)) != 0)
                return -1;
            have_value = 1;
            break;
        case 32:
            if (jscan_null(p, end) != 0 && (r = plain_string_key(rec, p, end)) != 0)
                return r;
            break;
        }
    } while ((more = next_member(p, end)) == 1);
    return more == 0 && have_value ? 0 : -1;
}

/* {"payload":{...}, other members...} */
int batch_fast_element(batch *b, batch_record *rec, const char **p, const char *end)
{
    int empty, more, have = 0;
    const char *topic = NULL;
    size_t tlen = 0;
    if (open_object(p, end, &empty) != 0 || empty)
        return -1;
    do {
        const char *k;
        size_t klen;
        if (read_key(p, end, &k, &klen) != 0)
            return -1;
        if (!have && key_is(k, klen, "payload")) {
            int r = payload(rec, p, end, &topic, &tlen);
            if (r != 0)
                return r;
            have = 1;
        } else if (jscan_skip_nested(p, end, ELEMENT_MEMBER_DEPTH) != 0) {
            return -1;
        }
    } while ((more = next_member(p, end)) == 1);
    if (more != 0 || !have)
        return -1;
    if (topic != NULL && (rec->topic = batch_intern_topic(b, topic, tlen)) == NULL)
        return BATCH_ERR_NOMEM;
    return 0;
}

int batch_has_payload_key(const char *s, const char *end)
{
    int empty, more;
    if (open_object(&s, end, &empty) != 0)
        return -1;
    if (empty)
        return 0;
    do {
        int equal;
        s = jscan_ws(s, end);
        if (jscan_string_equals(&s, end, "payload", &equal) != 0)
            return -1;
        if (equal)
            return 1;
        s = jscan_ws(s, end);
        if (s >= end || *s != ':')
            return -1;
        s++;
        if (jscan_value(&s, end, JSCAN_GRAMMAR, SIZE_MAX, NULL) != 0)
            return -1;
    } while ((more = next_member(&s, end)) == 1);
    return more == 0 ? 0 : -1;
}

int batch_fast_bare_element(batch_record *rec, const char **p, const char *end)
{
    return iris_value(rec, p, end, 1, ELEMENT_MEMBER_DEPTH);
}
