/* batch_cjson.c: the reference reading of one element (a connector
 * record or a bare iris value) through cJSON, and of the metadata of a
 * connector record that cJSON cannot read whole. */
#include "lambda/batch/batch.h"
#include "lambda/batch/batch_internal.h"
#include "lambda/batch/javamap.h"
#include "lambda/batch/jscan.h"
#include "common/bigmem.h"
#include "common/buf.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sets rec->error from a printf format; -1 (BATCH_ERR_NOMEM when out of
 * memory). */
static int fail(batch_record *rec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(batch_record *rec, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return batch_record_fail(rec, msg) == 0 ? -1 : BATCH_ERR_NOMEM;
}

/* v's JSON type in the words of jscan_type_name (cJSON.h's types). */
static const char *type_name(const cJSON *v)
{
    static const struct {
        int type;
        const char *name;
    } names[] = {{cJSON_NULL, "null"},     {cJSON_False, "boolean"}, {cJSON_True, "boolean"},
                 {cJSON_Number, "number"}, {cJSON_String, "string"}, {cJSON_Array, "array"},
                 {cJSON_Object, "object"}};
    if (v == NULL)
        return "nothing";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((v->type & 0xFF) == names[i].type)
            return names[i].name;
    return "invalid";
}

static int read_feature(batch_record *rec, const cJSON *v, int j, const char *key)
{
    double x;
    if (cJSON_IsNumber(v)) {
        x = v->valuedouble;
    } else if (cJSON_IsString(v)) {
        return batch_set_feature_text(rec, j, v->valuestring, strlen(v->valuestring), "string ",
                                      key, strlen(key));
    } else {
        batch_record_failf(rec, BATCH_MSG_NOT_NUMBER, (int)strlen(key), key, type_name(v));
        return -1;
    }
    return batch_set_feature(rec, j, x, key, strlen(key));
}

/* "virginica", "Iris-virginica", "IRIS_VIRGINICA" -> "virginica". */
static int read_species(batch_record *rec, const cJSON *v, const char *key)
{
    if (cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v)) {
        batch_record_failf(rec, BATCH_MSG_SPECIES_TYPE, (int)strlen(key), key, type_name(v));
        return -1;
    }
    if (batch_species_normalise(v->valuestring, strlen(v->valuestring), rec->species) != 0) {
        char q[64];
        batch_quote_for_error(v->valuestring, strlen(v->valuestring), q, sizeof q);
        batch_record_failf(rec, BATCH_MSG_NOT_SPECIES, (int)strlen(key), key, q,
                           batch_label_name());
        rec->species[0] = '\0';
        return -1;
    }
    return 0;
}

/* Reads an iris object into rec.  Returns 0, or -1 with rec->error set. */
static int read_iris(batch_record *rec, const cJSON *obj)
{
    const cJSON *found[MODEL_MAX_FEATURES] = {0};
    const char *found_key[MODEL_MAX_FEATURES] = {0};
    int nf = (int)batch_num_features();
    const cJSON *species = NULL;
    const char *species_key = NULL;
    for (const cJSON *f = obj->child; f != NULL; f = f->next) {
        if (f->string == NULL)
            continue;
        int j = batch_key_index(f->string, strlen(f->string));
        if (j >= 0 && j < nf && found[j] == NULL) {
            found[j] = f;
            found_key[j] = f->string;
        }
        if (species == NULL && j == BATCH_KEY_SPECIES) {
            species = f;
            species_key = f->string;
        }
    }
    for (int j = 0; j < nf; j++) {
        if (found[j] == NULL)
            return batch_fail_missing_feature(rec, j);
        if (read_feature(rec, found[j], j, found_key[j]) != 0)
            return -1;
    }
    if (species != NULL && read_species(rec, species, species_key) != 0)
        return -1;
    return 0;
}

/* A record value: an iris object, a string of escaped JSON, or base64. */
static int read_value(batch_record *rec, const cJSON *v)
{
    if (cJSON_IsObject(v))
        return read_iris(rec, v);
    if (!cJSON_IsString(v)) {
        if (cJSON_IsNull(v))
            batch_record_failf(rec, BATCH_MSG_TOMBSTONE);
        else
            batch_record_failf(rec, BATCH_MSG_VALUE_TYPE, type_name(v));
        return -1;
    }
    const char *s = v->valuestring;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    /* JsonKeyValueConverter's string for a schemaless value (javamap.h). */
    if (javamap_is_map_text(s, len))
        return javamap_read_iris(rec, s, len);
    char *decoded = NULL;
    const char *how = "string";
    if (len == 0 || *s != '{') {
        size_t dlen;
        decoded = batch_base64_decode_alloc(s, len, &dlen);
        if (decoded == NULL) {
            char q[64];
            batch_quote_for_error(v->valuestring, strlen(v->valuestring), q, sizeof q);
            batch_record_failf(rec, "value: string %s is neither a JSON object nor base64", q);
            return -1;
        }
        s = decoded;
        len = dlen;
        how = "base64";
    }
    if (batch_check_inner_json(rec, s, len, how) != 0) {
        bigmem_free(decoded);
        return -1;
    }
    cJSON *inner = cJSON_ParseWithLength(s, len);
    int rc = -1;
    if (inner == NULL) {
        batch_record_failf(rec, "value: out of memory reading the %s content", how);
    } else if (!cJSON_IsObject(inner)) {
        batch_record_failf(rec, "value: %s content is JSON %s, expected an iris object", how,
                           type_name(inner));
    } else {
        rc = read_iris(rec, inner);
    }
    cJSON_Delete(inner);
    bigmem_free(decoded);
    return rc;
}

/* v as compact JSON, written like the response (buf_json_str makes every
 * string valid UTF-8), so that a key echoes as the same JSON value. */
static void write_json_value(buf *o, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        buf_json_str(o, v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsNumber(v)) {
        buf_json_double(o, v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        buf_puts(o, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        int obj = cJSON_IsObject(v);
        buf_putc(o, obj ? '{' : '[');
        for (const cJSON *c = v->child; c != NULL; c = c->next) {
            if (c != v->child)
                buf_putc(o, ',');
            if (obj) {
                buf_json_str(o, c->string, strlen(c->string));
                buf_putc(o, ':');
            }
            write_json_value(o, c);
        }
        buf_putc(o, obj ? '}' : ']');
    } else {
        BUF_LIT(o, "null");
    }
}

/* The payload's metadata members, each read on its own: a valid one is
 * kept in rec whatever the others hold, so that an error element still
 * says where its record came from; an invalid one sets rec->error unless
 * an earlier one did (the order: topic, partition, offset, timestamp). */
enum meta_field { META_TOPIC, META_PARTITION, META_OFFSET, META_TIMESTAMP, META_KEY, META_N };
static const char *const meta_names[META_N] = {"topic", "partition", "offset", "timestamp", "key"};

/* Sets rec->error to a first error; -1, or BATCH_ERR_NOMEM. */
static int fail_first(batch_record *rec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail_first(batch_record *rec, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    if (rec->error != NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return batch_record_fail(rec, msg) == 0 ? -1 : BATCH_ERR_NOMEM;
}

/* Payload integers: partition, offset, timestamp (their ranges). */
static int read_int_member(batch_record *rec, enum meta_field f, const cJSON *v)
{
    static const int64_t lo[META_N] = {0, 0, 0, INT64_MIN / 2},
                         hi[META_N] = {0, INT32_MAX, INT64_MAX / 2, INT64_MAX / 2};
    const char *name = meta_names[f];
    if (cJSON_IsNull(v))
        return 0;
    double d = v->valuedouble;
    if (!cJSON_IsNumber(v) || d != floor(d) || d < (double)lo[f] || d > (double)hi[f]) {
        if (cJSON_IsNumber(v))
            return fail_first(rec, BATCH_MSG_INT_INVALID, name, d, name);
        return fail_first(rec, BATCH_MSG_INT_TYPE, name, type_name(v));
    }
    if (fabs(d) >= (double)BATCH_EXACT_INT_LIMIT) /* its digits are lost in a double */
        return fail_first(rec, BATCH_MSG_INT_INEXACT, name);
    if (f == META_PARTITION)
        rec->partition = (int32_t)d;
    else if (f == META_OFFSET)
        rec->offset = (int64_t)d;
    else
        rec->timestamp_ms = (int64_t)d;
    return 0;
}

/* One metadata member's value v: 0, -1 (rec->error set), BATCH_ERR_NOMEM. */
static int read_meta(batch *b, batch_record *rec, enum meta_field f, const cJSON *v)
{
    if (f == META_KEY) { /* echoed as it came, whatever its form (never parsed) */
        if (cJSON_IsNull(v))
            return 0;
        buf k = BUF_INIT;
        write_json_value(&k, v);
        return batch_set_key(rec, &k);
    }
    if (f != META_TOPIC)
        return read_int_member(rec, f, v);
    if (cJSON_IsString(v) && strlen(v->valuestring) > BATCH_TOPIC_MAX)
        return fail_first(rec, BATCH_MSG_TOPIC_LONG, strlen(v->valuestring));
    if (cJSON_IsString(v))
        return (rec->topic = batch_intern_topic(b, v->valuestring, strlen(v->valuestring))) == NULL
                   ? BATCH_ERR_NOMEM
                   : 0;
    if (!cJSON_IsNull(v))
        return fail_first(rec, BATCH_MSG_TOPIC_TYPE, type_name(v));
    return 0;
}

/* {"payload":{"timestamp","topic","partition","offset","key","value"}} */
static int read_connector_record(batch *b, batch_record *rec, const cJSON *el)
{
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(el, "payload");
    if (!cJSON_IsObject(payload))
        return fail(rec, BATCH_MSG_PAYLOAD_TYPE, type_name(payload));
    for (int f = 0; f < META_N; f++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(payload, meta_names[f]);
        int r = v != NULL ? read_meta(b, rec, (enum meta_field)f, v) : 0;
        if (r == BATCH_ERR_NOMEM)
            return r;
    }
    if (rec->error != NULL)
        return -1;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(payload, "value");
    if (value == NULL)
        return fail(rec, BATCH_MSG_NO_VALUE);
    return read_value(rec, value);
}

/* The name at *p (an object member's) is lit: 1, 0, or -1 if not a string. */
static int name_is(const char *p, const char *end, const char *lit)
{
    int equal;
    return jscan_string_equals(&p, end, lit, &equal) == 0 ? equal : -1;
}

/* Past the object member name and colon at *p; -1 if there is none. */
static int member_name(const char **p, const char *end, const char **name)
{
    const char *s = jscan_ws(*p, end);
    *name = s;
    if (jscan_string_equals(&s, end, "", &(int){0}) != 0)
        return -1;
    s = jscan_ws(s, end);
    if (s >= end || *s != ':')
        return -1;
    *p = jscan_ws(s + 1, end);
    return 0;
}

/* Past the '{' of an object with members: 1; 0 for an empty object or
 * anything else (nothing to salvage). */
static int open_members(const char **p, const char *end)
{
    const char *s = jscan_ws(*p, end);
    if (s >= end || *s != '{')
        return 0;
    *p = s = jscan_ws(s + 1, end);
    return !(s < end && *s == '}');
}

/* Past a member's value at *p (nested depth levels; a deep one too) and the
 * ',' after it: 1 when another member follows, 0 at the '}' or where the
 * text is malformed (the salvage stops there). */
static int skip_member_value(const char **p, const char *end, int depth)
{
    int r = jscan_value_nested(p, end, JSCAN_DEEP, SIZE_MAX, depth, NULL);
    if (r != JSCAN_OK && r != JSCAN_ERR_DEEP)
        return 0;
    const char *s = jscan_ws(*p, end);
    if (s >= end || *s != ',')
        return 0;
    *p = s + 1;
    return 1;
}

/* Which metadata member the member name at p (a JSON string) names, or
 * META_N.  A name without escapes is compared as it stands, once: an error
 * element's metadata is salvaged for each of a batch's bad records. */
static int meta_field_named(const char *p, const char *end)
{
    const char *q = p, *t;
    size_t tlen;
    if (jscan_plain_string(&q, end, &t, &tlen) == 0) {
        for (int i = 0; i < META_N; i++)
            if (strlen(meta_names[i]) == tlen && memcmp(meta_names[i], t, tlen) == 0)
                return i;
        return META_N;
    }
    for (int i = 0; i < META_N; i++)
        if (name_is(p, end, meta_names[i]) == 1)
            return i;
    return META_N;
}

/* The payload's members at depth 3 of the event: each metadata member
 * whose value cJSON can read is read as read_connector_record() does. */
static int salvage_payload(batch *b, batch_record *rec, const char *s, const char *end)
{
    int seen = 0;
    if (!open_members(&s, end))
        return 0;
    do {
        const char *name, *v;
        int f = META_N;
        if (member_name(&s, end, &name) != 0)
            return 0;
        f = meta_field_named(name, end);
        v = s;
        if (f < META_N && !(seen & 1 << f)) {
            seen |= 1 << f; /* the first of a name, as cJSON_GetObjectItem finds it */
            const char *q = v;
            if (jscan_value_nested(&q, end, JSCAN_NO_LONE_SURROGATES | JSCAN_NO_NUL,
                                   BATCH_RECORD_MAX_VALUES, 3, NULL) == JSCAN_OK) {
                cJSON *j = cJSON_ParseWithLength(v, (size_t)(q - v));
                int r = j != NULL ? read_meta(b, rec, (enum meta_field)f, j) : BATCH_ERR_NOMEM;
                cJSON_Delete(j);
                if (r == BATCH_ERR_NOMEM)
                    return r;
            }
        }
    } while (skip_member_value(&s, end, 3));
    return 0;
}

int batch_read_metadata_text(batch *b, batch_record *rec, const char *text, size_t len)
{
    const char *s = text, *end = text + len;
    if (!open_members(&s, end))
        return 0;
    do {
        const char *name;
        if (member_name(&s, end, &name) != 0)
            return 0;
        if (name_is(name, end, "payload") == 1) /* the first, as cJSON finds it */
            return salvage_payload(b, rec, s, end);
    } while (skip_member_value(&s, end, 2));
    return 0;
}

static int looks_like_connector(const cJSON *el)
{
    return cJSON_IsObject(el) && cJSON_GetObjectItemCaseSensitive(el, "payload") != NULL;
}

/* One element of a top-level array. */
static int read_element(batch *b, batch_record *rec, const cJSON *el)
{
    if (looks_like_connector(el))
        return read_connector_record(b, rec, el);
    if (b->shape == BATCH_SHAPE_CONNECTOR) {
        batch_record_failf(rec, BATCH_MSG_NO_PAYLOAD, type_name(el));
        return -1;
    }
    return read_value(rec, el);
}

int batch_read_element_text(batch *b, batch_record *rec, const char *text, size_t len)
{
    cJSON *el = cJSON_ParseWithLength(text, len);
    if (el == NULL)
        return BATCH_ERR_NOMEM; /* the text is JSON cJSON reads */
    int r;
    if (b->shape == BATCH_SHAPE_BARE_OBJECT && !looks_like_connector(el)) {
        /* A lone object must at least look like an iris record. */
        int known = 0;
        for (const cJSON *f = el->child; f != NULL && !known; f = f->next)
            known = f->string != NULL && batch_key_index(f->string, strlen(f->string)) >= 0;
        r = known ? read_value(rec, el) : BATCH_ERR_SHAPE;
    } else {
        r = read_element(b, rec, el);
    }
    cJSON_Delete(el);
    return r;
}

int batch_check_inner_json(batch_record *rec, const char *text, size_t len, const char *how)
{
    const char *s = text, *end = text + len;
    jscan_info info;
    int r = jscan_value(&s, end, JSCAN_NO_LONE_SURROGATES | JSCAN_NO_NUL, BATCH_RECORD_MAX_VALUES,
                        &info);
    size_t at = r == JSCAN_OK ? 0 : (size_t)(info.at - text);
    switch (r) {
    case JSCAN_OK:
        s = jscan_ws(s, end);
        if (s == end)
            return 0;
        return fail(rec, "value: %s content has text after the JSON value at byte %zu of %zu", how,
                    (size_t)(s - text), len);
    case JSCAN_ERR_SURROGATE:
        return fail(rec,
                    "value: %s content has a lone UTF-16 surrogate escape at byte %zu of "
                    "%zu; JSON strings must be Unicode",
                    how, at, len);
    case JSCAN_ERR_NUL:
        return fail(rec,
                    "value: %s content has a \\u0000 escape (a NUL character) at byte %zu "
                    "of %zu; text fields may not contain NUL",
                    how, at, len);
    case JSCAN_ERR_VALUES:
        return fail(rec, "value: %s content holds more than %d JSON values", how,
                    BATCH_RECORD_MAX_VALUES);
    case JSCAN_ERR_DEPTH:
        return fail(rec, "value: %s content nests deeper than %d levels (at byte %zu of %zu)", how,
                    JSCAN_MAX_DEPTH, at, len);
    default:
        return fail(rec, "value: %s content is not valid JSON (error at byte %zu of %zu)", how, at,
                    len);
    }
}
