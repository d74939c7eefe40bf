/* batch.c: connector batches and bare iris records -> batch_record[]. */
#include "lambda/batch/batch.h"
#include "lambda/batch/batch_internal.h"
#include "lambda/batch/javamap.h"
#include "lambda/batch/jscan.h"
#include "common/buf.h"
#include "model/schema.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ERR_MAX 320
#define FEATURE_MAX_CM 100.0

/* The iris layout's keys: every accepted spelling normalises to one
 * (model/schema.h: lower case, no '_', '-', '.', ' '). */
static const char *const feature_keys[MODEL_NFEATURES] = {"sepallength", "sepalwidth",
                                                          "petallength", "petalwidth"};

const char *batch_strerror(int status)
{
    switch (status) {
    case BATCH_OK:
        return "ok";
    case BATCH_ERR_NOT_JSON:
        return "the event is not valid JSON";
    case BATCH_ERR_SHAPE:
        return "the event is not a batch of iris records";
    case BATCH_ERR_NOMEM:
        return "out of memory";
    case BATCH_ERR_LIMIT:
        return "the event exceeds a limit of the function";
    default:
        return "unknown batch error";
    }
}

int batch_record_fail(batch_record *rec, const char *msg)
{
    char *copy = strdup(msg);
    if (copy == NULL)
        return -1;
    free(rec->error);
    rec->error = copy;
    return 0;
}

void batch_record_failf(batch_record *rec, const char *fmt, ...)
{
    char msg[ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* On allocation failure rec->error stays NULL: batch_parse sees that. */
    (void)batch_record_fail(rec, msg);
}

static const char *type_name(const cJSON *v)
{
    if (v == NULL)
        return "nothing";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return "boolean";
    if (cJSON_IsNumber(v))
        return "number";
    if (cJSON_IsString(v))
        return "string";
    if (cJSON_IsArray(v))
        return "array";
    if (cJSON_IsObject(v))
        return "object";
    return "invalid";
}

void batch_quote_for_error(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen < 8)
        return;
    out[o++] = '"';
    for (size_t i = 0; i < len && o + 5 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
        if (i == 40 && i + 1 < len) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

int batch_key_index(const char *key, size_t len)
{
    if (!batch_iris_layout)
        return batch_layout_key_index(key, len);
    /* The canonical spellings first: this runs for every field of every
     * record on the fast path (compares of a constant size compile to a
     * few loads). */
    switch (len) {
    case 7:
        if (memcmp(key, "species", 7) == 0)
            return BATCH_KEY_SPECIES;
        break;
    case 10:
        if (memcmp(key, "sepalWidth", 10) == 0)
            return 1;
        if (memcmp(key, "petalWidth", 10) == 0)
            return 3;
        break;
    case 11:
        if (memcmp(key, "sepalLength", 11) == 0)
            return 0;
        if (memcmp(key, "petalLength", 11) == 0)
            return 2;
        break;
    }
    /* Any other spelling: model/schema.h's rule (sepal_length, SEPAL_LENGTH,
     * SEPALLENGTH, Sepal.Length), as the trainer's readers apply it. */
    char k[SCHEMA_NAME_MAX + 1];
    if (schema_key(key, len, k) < 0)
        return -1;
    for (int j = 0; j < MODEL_NFEATURES; j++)
        if (strcmp(k, feature_keys[j]) == 0)
            return j;
    return strcmp(k, "species") == 0 ? BATCH_KEY_SPECIES : -1;
}

int batch_species_normalise(const char *s, size_t n, char out[BATCH_SPECIES_MAX])
{
    if (n >= 5 && (s[0] | 0x20) == 'i' && strncasecmp(s, "iris", 4) == 0 &&
        (s[4] == '-' || s[4] == '_' || s[4] == ' ')) {
        s += 5;
        n -= 5;
    }
    if (n == 0 || n >= BATCH_SPECIES_MAX)
        return -1;
    size_t i = 0;
    for (; i < n; i++) {
        if (!(isalpha((unsigned char)s[i]) || s[i] == '-' || s[i] == '_'))
            break;
        out[i] = (char)tolower((unsigned char)s[i]);
    }
    if (i < n && batch_iris_layout)
        return -1;
    for (; i < n; i++) { /* other models' labels may also hold digits (class_0) */
        if (!(isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.' ||
              s[i] == ' '))
            return -1;
        out[i] = (char)tolower((unsigned char)s[i]);
    }
    out[n] = '\0';
    return 0;
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

/* A model with more features than the iris layout's: all of them in rec->wide. */
__attribute__((noinline)) static int set_wide_feature(batch_record *rec, int j, double x,
                                                      const char *key, size_t klen)
{
    if (!isfinite(x)) {
        batch_record_failf(rec, "value.%.*s: expected a finite number", (int)klen, key);
        return -1;
    }
    if (j < MODEL_NFEATURES)
        rec->features[j] = x;
    if (batch_num_features() <= MODEL_NFEATURES)
        return 0;
    if (rec->wide == NULL &&
        (rec->wide = calloc(batch_num_features(), sizeof *rec->wide)) == NULL) {
        batch_record_failf(rec, "out of memory for %zu features", batch_num_features());
        return -1;
    }
    rec->wide[j] = x;
    return 0;
}

int batch_set_feature(batch_record *rec, int j, double x, const char *key, size_t klen)
{
    if (batch_iris_layout && x >= 0 && x <= FEATURE_MAX_CM) {
        rec->features[j] = x;
        return 0;
    }
    if (!batch_iris_layout)
        return set_wide_feature(rec, j, x, key, klen);
    batch_record_failf(rec, "value.%.*s: %g is out of range (a length in cm, 0 to %g)", (int)klen,
                       key, x, FEATURE_MAX_CM);
    return -1;
}

int batch_set_feature_text(batch_record *rec, int j, const char *s, size_t n, const char *what,
                           const char *key, size_t klen)
{
    char q[64], small[64], *text = small;
    double x;
    const char *cur = s;
    if (!jscan_is_number(s, n)) {
        batch_quote_for_error(s, n, q, sizeof q);
        batch_record_failf(rec, "value.%.*s: expected a number, got %s%s", (int)klen, key, what, q);
        return -1;
    }
    if (jscan_number(&cur, s + n, &x) != 0 || cur != s + n) {
        /* More digits than jscan_number reads exactly: strtod of the same
         * text, which the grammar check above keeps to JSON's numbers. */
        if (n >= sizeof small && (text = malloc(n + 1)) == NULL) {
            batch_record_failf(rec, "value.%.*s: out of memory reading a %zu-digit number",
                               (int)klen, key, n);
            return -1;
        }
        memcpy(text, s, n);
        text[n] = '\0';
        x = strtod(text, NULL);
        if (text != small)
            free(text);
    }
    if (!isfinite(x)) {
        batch_quote_for_error(s, n, q, sizeof q);
        batch_record_failf(rec, "value.%.*s: %s%s is beyond the range of a double (about 1.8e308)",
                           (int)klen, key, what, q);
        return -1;
    }
    return batch_set_feature(rec, j, x, key, klen);
}

int batch_fail_missing_feature(batch_record *rec, int j)
{
    batch_record_failf(rec,
                       "value: missing field %s (also accepted: sepal_length style, "
                       "SEPAL_LENGTH style)",
                       batch_feature_name((size_t)j));
    return -1;
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
        batch_record_failf(rec, BATCH_MSG_NOT_SPECIES, (int)strlen(key), key, q);
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
        free(decoded);
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
    free(decoded);
    return rc;
}

static int read_int_field(batch_record *rec, const cJSON *payload, const char *name, int64_t lo,
                          int64_t hi, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(payload, name);
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble < (double)lo || v->valuedouble > (double)hi) {
        if (cJSON_IsNumber(v))
            batch_record_failf(rec, BATCH_MSG_INT_INVALID, name, v->valuedouble, name);
        else
            batch_record_failf(rec, BATCH_MSG_INT_TYPE, name, type_name(v));
        return -1;
    }
    if (fabs(v->valuedouble) >= (double)BATCH_EXACT_INT_LIMIT) {
        /* Its digits are lost in a double: never echo a rounded number. */
        batch_record_failf(rec, BATCH_MSG_INT_INEXACT, name);
        return -1;
    }
    *out = (int64_t)v->valuedouble;
    return 0;
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

/* {"payload":{"timestamp","topic","partition","offset","key","value"}} */
static int read_connector_record(batch *b, batch_record *rec, const cJSON *el)
{
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(el, "payload");
    if (!cJSON_IsObject(payload)) {
        batch_record_failf(rec, BATCH_MSG_PAYLOAD_TYPE, type_name(payload));
        return -1;
    }
    const cJSON *topic = cJSON_GetObjectItemCaseSensitive(payload, "topic");
    if (cJSON_IsString(topic) && strlen(topic->valuestring) > BATCH_TOPIC_MAX) {
        batch_record_failf(rec, BATCH_MSG_TOPIC_LONG, strlen(topic->valuestring));
        return -1;
    } else if (cJSON_IsString(topic)) {
        if ((rec->topic = batch_intern_topic(b, topic->valuestring, strlen(topic->valuestring))) ==
            NULL)
            return BATCH_ERR_NOMEM;
    } else if (topic != NULL && !cJSON_IsNull(topic)) {
        batch_record_failf(rec, BATCH_MSG_TOPIC_TYPE, type_name(topic));
        return -1;
    }
    /* The key is echoed as it came, whatever its form (never parsed). */
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(payload, "key");
    if (key != NULL && !cJSON_IsNull(key)) {
        buf k = BUF_INIT;
        write_json_value(&k, key);
        if ((rec->key = batch_detach_text(&k)) == NULL)
            return BATCH_ERR_NOMEM;
    }
    int64_t partition = -1;
    if (read_int_field(rec, payload, "partition", 0, INT32_MAX, &partition) != 0 ||
        read_int_field(rec, payload, "offset", 0, INT64_MAX / 2, &rec->offset) != 0 ||
        read_int_field(rec, payload, "timestamp", INT64_MIN / 2, INT64_MAX / 2,
                       &rec->timestamp_ms) != 0)
        return -1;
    rec->partition = (int32_t)partition;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(payload, "value");
    if (value == NULL) {
        batch_record_failf(rec, BATCH_MSG_NO_VALUE);
        return -1;
    }
    return read_value(rec, value);
}

char *batch_detach_text(buf *b)
{
    size_t len;
    char *text = buf_detach(b, &len);
    if (text == NULL)
        return NULL;
    char *fit = realloc(text, len + 1); /* a buf holds at least 256 bytes */
    return fit != NULL ? fit : text;
}

void batch_record_clear(batch_record *rec)
{
    free(rec->error);
    free(rec->key);
    free(rec->wide);
    batch_record_init(rec);
}

void batch_record_init(batch_record *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->partition = -1;
    rec->offset = -1;
    rec->timestamp_ms = BATCH_NO_TIMESTAMP;
    rec->label = -1;
    rec->predicted = -1;
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

int batch_parse(const char *json, size_t len, batch *out, char *err, size_t errlen)
{
    return batch_read_event(json, len, out, err, errlen, 1, NULL);
}

int batch_parse_releasing(const char *json, size_t len, batch *out, char *err, size_t errlen,
                          void (*release)(void *ctx, size_t n), void *ctx)
{
    batch_release r = {release, ctx};
    return batch_read_event(json, len, out, err, errlen, 1, release != NULL ? &r : NULL);
}

int batch_parse_cjson(const char *json, size_t len, batch *out, char *err, size_t errlen)
{
    return batch_read_event(json, len, out, err, errlen, 0, NULL);
}

void batch_free(batch *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->count && b->records != NULL; i++) {
        free(b->records[i].error);
        free(b->records[i].key);
        free(b->records[i].wide);
    }
    free(b->records);
    batch_topics_free(b);
    memset(b, 0, sizeof *b);
}
