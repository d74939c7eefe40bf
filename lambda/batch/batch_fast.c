/* batch_fast.c: reads connector elements without building a cJSON tree.
 *
 * It handles the common shape (object values with numeric fields and plain
 * strings), and words the common record errors itself (a missing or
 * out-of-range field, a value or field of the wrong type, an unknown
 * species, a bad partition, offset or timestamp), deciding in the order the
 * cJSON path checks them, with the same words (BATCH_MSG_*), so that a batch
 * of bad records costs no more than a good one.  Every element it does not
 * take goes to the cJSON path (batch_event.c decides), so the results,
 * errors included, are always the cJSON path's. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/batch/batch_internal.h"
#include "lambda/batch/javamap.h"
#include "common/buf.h"
#include "lambda/batch/jscan.h"
#include "lambda/batch/keys.h"

#define FEATURE_MAX_CM 100.0
#define STRING_VALUE_MAX 1024 /* longer string values go to the cJSON path */

static int key_is(const char *k, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(k, want, len) == 0;
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

/* Walks an object's members, *at (0 before the object) counting them: 1 with
 * *p at the next member's key, 0 once past the closing '}', -1 when the
 * text is not an object. */
static int each_member(const char **p, const char *end, int *at)
{
    int empty;
    if ((*at)++ > 0)
        return next_member(p, end);
    if (open_object(p, end, &empty) != 0)
        return -1;
    return !empty;
}

/* Depths (jscan_skip_nested) of what an element's members hold in the event:
 * [ {"payload": {"value": {"sepalLength": ...}}} ], or [ {"sepalLength": ...} ]
 * for a bare array. */
#define ELEMENT_MEMBER_DEPTH 2
#define PAYLOAD_MEMBER_DEPTH 3
#define VALUE_MEMBER_DEPTH 4

/* How a field came out of the fast path. */
enum field_state {
    FIELD_ABSENT = 0, /* not in the object (or null where null means absent) */
    FIELD_OK,
    FIELD_FALLBACK,   /* only the cJSON path can word it (a string number, escapes) */
    FIELD_WRONG_TYPE, /* a JSON type the field cannot have: type holds its first byte */
    FIELD_OUT_OF_RANGE,
    FIELD_INEXACT, /* an integer of magnitude 2^53 or more */
};

/* The species' slot in the fields of an iris object (after the four
 * measurements; batch_key_index() says BATCH_KEY_SPECIES). */
#define SPECIES_SLOT MODEL_NFEATURES

/* An iris field (a measurement, or the species at SPECIES_SLOT) as first
 * found in the object. */
typedef struct iris_field {
    int state;
    char type;
    const char *key, *val; /* the name as written; a species' plain text */
    size_t klen, vlen;
    double x;
} iris_field;

/* The value of field f at *p, whose members would be at depth. */
static int read_iris_field(iris_field *f, int species, const char **p, const char *end, int depth)
{
    const char *start = *p;
    f->type = *p < end ? **p : '\0';
    if (!species && (f->type == '-' || (f->type >= '0' && f->type <= '9'))) {
        if (jscan_number(p, end, &f->x) != 0)
            return -1; /* the cJSON path reads numbers jscan_number leaves */
        f->state = FIELD_OK;
        return 0;
    }
    if (species && f->type == 'n') {
        f->state = FIELD_OK; /* unlabelled */
        return jscan_null(p, end);
    }
    if (species && f->type == '"' && jscan_plain_string(p, end, &f->val, &f->vlen) == 0) {
        f->state = FIELD_OK;
        return 0;
    }
    f->state = f->type == '"' ? FIELD_FALLBACK : FIELD_WRONG_TYPE;
    *p = start;
    return jscan_skip_nested(p, end, depth);
}

/* The record error the cJSON path (read_iris) would give for these fields,
 * checked in its order: each measurement in turn, then the species.  0 (the
 * record read, rec->error set if it is wrong), -1 (for the cJSON path), or
 * BATCH_ERR_NOMEM. */
static int word_iris(batch_record *rec, const iris_field *f)
{
    for (int j = 0; j < MODEL_NFEATURES; j++) {
        if (f[j].state == FIELD_FALLBACK)
            return -1;
        if (f[j].state == FIELD_ABSENT)
            batch_fail_missing_feature(rec, j);
        else if (f[j].state == FIELD_WRONG_TYPE)
            batch_record_failf(rec, BATCH_MSG_NOT_NUMBER, (int)f[j].klen, f[j].key,
                               jscan_type_name(f[j].type));
        else if (batch_set_feature(rec, j, f[j].x, f[j].key, f[j].klen) == 0)
            continue;
        return rec->error != NULL ? 0 : BATCH_ERR_NOMEM;
    }
    const iris_field *sp = &f[SPECIES_SLOT];
    char q[64];
    switch (sp->state) {
    case FIELD_FALLBACK:
        return -1;
    case FIELD_WRONG_TYPE:
        batch_record_failf(rec, BATCH_MSG_SPECIES_TYPE, (int)sp->klen, sp->key,
                           jscan_type_name(sp->type));
        break;
    case FIELD_OK:
        if (sp->val == NULL || batch_species_normalise(sp->val, sp->vlen, rec->species) == 0)
            return 0;
        rec->species[0] = '\0';
        batch_quote_for_error(sp->val, sp->vlen, q, sizeof q);
        batch_record_failf(rec, BATCH_MSG_NOT_SPECIES, (int)sp->klen, sp->key, q,
                           batch_label_name());
        break;
    default:
        return 0;
    }
    return rec->error != NULL ? 0 : BATCH_ERR_NOMEM;
}

/* An iris object whose members are at depth in their document: 0 (read; a
 * wrong record has rec->error set), -1 (for the cJSON path) or
 * BATCH_ERR_NOMEM.  bare: it is a top-level element, which the cJSON path
 * reads as a connector record if it has a "payload" member. */
static int iris_value(batch_record *rec, const char **p, const char *end, int bare, int depth)
{
    iris_field f[SPECIES_SLOT + 1];
    int more, at = 0;
    if (!batch_iris_layout) /* another model's layout: the cJSON path reads it */
        return -1;
    memset(f, 0, sizeof f);
    while ((more = each_member(p, end, &at)) == 1) {
        const char *k;
        size_t klen;
        int j = batch_keys_iris(at - 1, p, end, &k, &klen);
        if (j < 0) {
            if (jscan_member_key(p, end, &k, &klen) != 0)
                return -1;
            if (bare && key_is(k, klen, "payload"))
                return -1;
            j = batch_key_index(k, klen);
        }
        if (j == BATCH_KEY_SPECIES)
            j = SPECIES_SLOT;
        if (j < 0 || f[j].state != FIELD_ABSENT) {
            if (jscan_skip_nested(p, end, depth) != 0)
                return -1;
            continue;
        }
        f[j].key = k;
        f[j].klen = klen;
        if (read_iris_field(&f[j], j == SPECIES_SLOT, p, end, depth) != 0)
            return -1;
    }
    return more == 0 ? word_iris(rec, f) : -1;
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
        batch_error_release(rec->error); /* the cJSON path rereads the record and words the error */
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
    int r = iris_value(rec, &q, qend, 0, 1);
    if (r == 0 && jscan_ws(q, qend) != qend) {
        batch_error_release(rec->error); /* text after the object: the cJSON path words that */
        rec->error = NULL;
        return -1;
    }
    return r;
}

/* A payload integer (partition, offset, timestamp) at *p, checked as the
 * cJSON path does: as a double, against [lo, hi], then against 2^53. */
typedef struct int_field {
    int state;
    char type;
    int64_t v;
    double d; /* as cJSON reads it */
} int_field;

static int read_int_field(int_field *f, const char **p, const char *end, int64_t lo, int64_t hi,
                          int depth)
{
    const char *start = *p;
    f->type = *p < end ? **p : '\0';
    if (f->type == 'n') {
        f->state = FIELD_ABSENT;
        return jscan_null(p, end);
    }
    if (f->type != '-' && (f->type < '0' || f->type > '9')) {
        f->state = FIELD_WRONG_TYPE;
        return jscan_skip_nested(p, end, depth);
    }
    double d;
    if (jscan_int64(p, end, &f->v) == 0) {
        d = (double)f->v; /* as strtod rounds the same digits */
    } else {
        /* A fraction, an exponent, or beyond int64: the double cJSON reads
         * (strtod of the same text), when the text is short. */
        char text[64];
        *p = start;
        if (jscan_skip_nested(p, end, depth) != 0)
            return -1;
        size_t n = (size_t)(*p - start);
        f->state = FIELD_FALLBACK;
        if (n >= sizeof text)
            return 0;
        memcpy(text, start, n);
        text[n] = '\0';
        d = strtod(text, NULL);
        if (d == floor(d) && d >= (double)lo && d <= (double)hi &&
            fabs(d) < (double)BATCH_EXACT_INT_LIMIT)
            f->v = (int64_t)d;
    }
    f->d = d;
    f->state = d != floor(d) || d < (double)lo || d > (double)hi ? FIELD_OUT_OF_RANGE
               : fabs(d) >= (double)BATCH_EXACT_INT_LIMIT        ? FIELD_INEXACT
                                                                 : FIELD_OK;
    return 0;
}

/* The cJSON path's error for a payload integer that is not FIELD_OK. */
static void fail_int_field(batch_record *rec, const int_field *f, const char *name)
{
    if (f->state == FIELD_WRONG_TYPE)
        batch_record_failf(rec, BATCH_MSG_INT_TYPE, name, jscan_type_name(f->type));
    else if (f->state == FIELD_OUT_OF_RANGE)
        batch_record_failf(rec, BATCH_MSG_INT_INVALID, name, f->d, name);
    else
        batch_record_failf(rec, BATCH_MSG_INT_INEXACT, name);
}

/* What payload() found, to be decided in the cJSON path's order. */
typedef struct payload_fields {
    int topic_state;
    char topic_type;
    const char *topic;
    size_t tlen;
    int_field ints[3]; /* partition, offset, timestamp */
    int value_state;   /* FIELD_ABSENT, FIELD_OK (read), FIELD_WRONG_TYPE (null or another type) */
    char value_type;
} payload_fields;

static const char *const int_names[3] = {"partition", "offset", "timestamp"};

/* The members of the payload object. */
static int payload_members(batch_record *rec, const char **p, const char *end, payload_fields *pf)
{
    static const int64_t lo[3] = {0, 0, INT64_MIN / 2},
                         hi[3] = {INT32_MAX, INT64_MAX / 2, INT64_MAX / 2};
    int more, seen = 0, r, member = 0;
    do {
        const char *k;
        size_t klen;
        int bit = batch_keys_payload(member++, p, end, &k, &klen);
        if (bit == 0) {
            if (jscan_member_key(p, end, &k, &klen) != 0)
                return -1;
            bit = key_is(k, klen, "topic")       ? BATCH_KEYS_TOPIC
                  : key_is(k, klen, "partition") ? BATCH_KEYS_PARTITION
                  : key_is(k, klen, "offset")    ? BATCH_KEYS_OFFSET
                  : key_is(k, klen, "timestamp") ? BATCH_KEYS_TIMESTAMP
                  : key_is(k, klen, "value")     ? BATCH_KEYS_VALUE
                  : key_is(k, klen, "key")       ? BATCH_KEYS_KEY
                                                 : 0;
        }
        if (bit == 0 || (seen & bit)) {
            if (jscan_skip_nested(p, end, PAYLOAD_MEMBER_DEPTH) != 0)
                return -1;
            continue;
        }
        seen |= bit;
        char c = *p < end ? **p : '\0';
        switch (bit) {
        case BATCH_KEYS_TOPIC:
            pf->topic_type = c;
            pf->topic_state = c == 'n' || c == '"' ? FIELD_OK : FIELD_WRONG_TYPE;
            if (c == 'n'   ? jscan_null(p, end) != 0
                : c == '"' ? jscan_plain_string(p, end, &pf->topic, &pf->tlen) != 0 /* escapes */
                           : jscan_skip_nested(p, end, PAYLOAD_MEMBER_DEPTH) != 0)
                return -1;
            break;
        case BATCH_KEYS_PARTITION:
        case BATCH_KEYS_OFFSET:
        case BATCH_KEYS_TIMESTAMP: {
            int i = bit == BATCH_KEYS_PARTITION ? 0 : bit == BATCH_KEYS_OFFSET ? 1 : 2;
            if (read_int_field(&pf->ints[i], p, end, lo[i], hi[i], PAYLOAD_MEMBER_DEPTH) != 0)
                return -1;
            break;
        }
        case BATCH_KEYS_VALUE:
            pf->value_type = c;
            if (c == '"' || c == '{') {
                r = c == '"' ? string_value(rec, p, end)
                             : iris_value(rec, p, end, 0, VALUE_MEMBER_DEPTH);
                if (r != 0)
                    return r;
                pf->value_state = FIELD_OK;
            } else {
                pf->value_state = FIELD_WRONG_TYPE;
                if (jscan_skip_nested(p, end, PAYLOAD_MEMBER_DEPTH) != 0)
                    return -1;
            }
            break;
        case BATCH_KEYS_KEY:
            if ((r = batch_fast_key(rec, p, end)) != 0)
                return r;
            break;
        }
    } while ((more = next_member(p, end)) == 1);
    return more == 0 ? 0 : -1;
}

/* The payload object, decided as read_connector_record() does: every
 * valid metadata member is kept, the first invalid one (topic, partition,
 * offset, timestamp) is the record's error, else the value's.  Its topic
 * (NULL if none) is returned in *topic and *tlen, to be interned once the
 * whole element is read.  0 (read, a wrong record with rec->error set), -1
 * (for the cJSON path) or BATCH_ERR_NOMEM. */
static int payload(batch_record *rec, const char **p, const char *end, const char **topic,
                   size_t *tlen)
{
    payload_fields pf;
    int empty, r;
    memset(&pf, 0, sizeof pf);
    if (open_object(p, end, &empty) != 0)
        return -1;
    if (!empty && (r = payload_members(rec, p, end, &pf)) != 0)
        return r;
    for (int i = 0; i < 3; i++)
        if (pf.ints[i].state == FIELD_FALLBACK)
            return -1;
    if (pf.ints[0].state == FIELD_OK)
        rec->partition = (int32_t)pf.ints[0].v;
    if (pf.ints[1].state == FIELD_OK)
        rec->offset = pf.ints[1].v;
    if (pf.ints[2].state == FIELD_OK)
        rec->timestamp_ms = pf.ints[2].v;
    int bad_topic = pf.topic_state == FIELD_WRONG_TYPE || pf.tlen > BATCH_TOPIC_MAX;
    if (!bad_topic) {
        *topic = pf.topic;
        *tlen = pf.tlen;
    }
    if (pf.topic_state == FIELD_WRONG_TYPE) {
        batch_record_failf(rec, BATCH_MSG_TOPIC_TYPE, jscan_type_name(pf.topic_type));
        return rec->error != NULL ? 0 : BATCH_ERR_NOMEM;
    }
    if (bad_topic) {
        batch_record_failf(rec, BATCH_MSG_TOPIC_LONG, pf.tlen);
        return rec->error != NULL ? 0 : BATCH_ERR_NOMEM;
    }
    for (int i = 0; i < 3; i++) {
        const int_field *f = &pf.ints[i];
        if (f->state == FIELD_ABSENT || f->state == FIELD_OK)
            continue;
        fail_int_field(rec, f, int_names[i]);
        return rec->error != NULL ? 0 : BATCH_ERR_NOMEM;
    }
    if (pf.value_state == FIELD_ABSENT)
        batch_record_failf(rec, BATCH_MSG_NO_VALUE);
    else if (pf.value_state == FIELD_WRONG_TYPE && pf.value_type == 'n')
        batch_record_failf(rec, BATCH_MSG_TOMBSTONE);
    else if (pf.value_state == FIELD_WRONG_TYPE)
        batch_record_failf(rec, BATCH_MSG_VALUE_TYPE, jscan_type_name(pf.value_type));
    else
        return 0;
    return rec->error != NULL ? 0 : BATCH_ERR_NOMEM;
}

/* {"payload":{...}, other members...} */
int batch_fast_element(batch *b, batch_record *rec, const char **p, const char *end)
{
    int more, at = 0, have = 0;
    const char *topic = NULL;
    size_t tlen = 0;
    char c = *p < end ? **p : '\0';
    if (c != '{' && c != '\0') { /* not an object: the elements sit at depth 1 */
        if (jscan_skip_nested(p, end, ELEMENT_MEMBER_DEPTH - 1) != 0)
            return -1;
        batch_record_failf(rec, BATCH_MSG_NO_PAYLOAD, jscan_type_name(c));
        return rec->error != NULL ? 0 : BATCH_ERR_NOMEM;
    }
    while ((more = each_member(p, end, &at)) == 1) {
        const char *k;
        size_t klen;
        int is_payload = BATCH_KEYS_EXPECT(p, end, "payload", &k, &klen);
        if (!is_payload) {
            if (jscan_member_key(p, end, &k, &klen) != 0)
                return -1;
            is_payload = key_is(k, klen, "payload");
        }
        if (!have && is_payload) {
            int r = payload(rec, p, end, &topic, &tlen);
            if (r != 0)
                return r;
            have = 1;
        } else if (jscan_skip_nested(p, end, ELEMENT_MEMBER_DEPTH) != 0) {
            return -1;
        }
    }
    if (more != 0)
        return -1;
    if (!have) {
        batch_record_failf(rec, BATCH_MSG_NO_PAYLOAD, "object");
        return rec->error != NULL ? 0 : BATCH_ERR_NOMEM;
    }
    if (topic != NULL && (rec->topic = batch_intern_topic(b, topic, tlen)) == NULL)
        return BATCH_ERR_NOMEM;
    return 0;
}

int batch_has_payload_key(const char *s, const char *end)
{
    int more, at = 0;
    while ((more = each_member(&s, end, &at)) == 1) {
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
        int r = jscan_value(&s, end, JSCAN_DEEP, SIZE_MAX, NULL);
        if (r != JSCAN_OK && r != JSCAN_ERR_DEEP) /* a deep member costs its record only */
            return -1;
    }
    return more == 0 ? 0 : -1;
}

int batch_fast_bare_element(batch_record *rec, const char **p, const char *end)
{
    return iris_value(rec, p, end, 1, ELEMENT_MEMBER_DEPTH);
}
