/* kafka_record.c: record values read from a Kafka topic (JSON objects, or
 * the Schema Registry wire format decoded to JSON) into a training set. */
#include "trainer/kafka_record.h"
#include "trainer/csv.h"

#include "registry/decode.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fields of the records: the features (every field of the first record
 * but the label) and the label's key. */
typedef struct {
    size_t nf;
    char names[MODEL_MAX_FEATURES][SCHEMA_NAME_MAX + 1]; /* as in the first record */
    char label_key[SCHEMA_NAME_MAX + 1];
    const char *label; /* as given with --label */
} record_layout;

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
                                                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void record_where(const char *topic, const kafka_record *r, char *where, size_t len)
{
    snprintf(where, len, "kafka topic %s partition %d offset %lld", topic, (int)r->partition,
             (long long)r->offset);
}

/* The field of obj that name (any spelling) names, or NULL. */
static const cJSON *field_named(const cJSON *obj, const char *key)
{
    char k[SCHEMA_NAME_MAX + 1];
    for (const cJSON *f = obj->child; f; f = f->next)
        if (schema_key(f->string, strlen(f->string), k) >= 0 && strcmp(k, key) == 0)
            return f;
    return NULL;
}

/* A feature value: a JSON number, or a string holding a decimal number (as
 * the bootstrap accepts). */
static int read_number(const cJSON *v, double *out)
{
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
        *out = v->valuedouble;
        return 0;
    }
    return cJSON_IsString(v) ? csv_decimal(v->valuestring, strlen(v->valuestring), out) : -1;
}

/* The layout from the first record: its fields but the label, in order. */
static int read_layout(const char *topic, const kafka_record *r, const cJSON *j, record_layout *lay,
                       char *err, size_t errlen)
{
    char where[300], k[SCHEMA_NAME_MAX + 1];
    record_where(topic, r, where, sizeof where);
    int have_label = 0;
    for (const cJSON *f = j->child; f; f = f->next) {
        if (schema_key(f->string, strlen(f->string), k) >= 0 && strcmp(k, lay->label_key) == 0 &&
            !have_label) {
            have_label = 1;
            continue;
        }
        if (lay->nf == MODEL_MAX_FEATURES) {
            set_err(err, errlen, "%s: more than %d fields besides the label \"%s\"", where,
                    MODEL_MAX_FEATURES, lay->label);
            return -1;
        }
        char shown[4 * 40 + 4];
        trainset_shown_name(f->string, shown, sizeof shown);
        if (strlen(f->string) > SCHEMA_NAME_MAX) {
            set_err(err, errlen, "%s: field \"%s\": name longer than %d bytes", where, shown,
                    SCHEMA_NAME_MAX);
            return -1;
        }
        if (schema_key(f->string, strlen(f->string), k) < 0) { /* no key to find it by */
            set_err(err, errlen,
                    "%s: field \"%s\": not a usable feature name (printable characters, not "
                    "only '_', '-', '.' or ' ')",
                    where, shown);
            return -1;
        }
        strcpy(lay->names[lay->nf++], f->string);
    }
    if (!have_label) {
        set_err(err, errlen,
                "%s: field \"%s\": missing (training needs labelled records; "
                "choose the label with --label)",
                where, lay->label);
        return -1;
    }
    return 0;
}

/* Parses one record value: its features in layout order and its label,
 * which points into *json (the caller deletes it). */
static int parse_record(const char *topic, kafka_record *r, record_layout *lay, cJSON **json,
                        double *x, const char **label, char *err, size_t errlen)
{
    char where[300];
    record_where(topic, r, where, sizeof where);
    cJSON *j = *json = cJSON_ParseWithLength(r->value, r->len);
    if (!cJSON_IsObject(j)) {
        set_err(err, errlen, "%s: value is not a JSON object", where);
        return -1;
    }
    if (lay->nf == 0 && read_layout(topic, r, j, lay, err, errlen) != 0)
        return -1;
    for (size_t c = 0; c < lay->nf; c++) {
        char key[SCHEMA_NAME_MAX + 1];
        schema_key(lay->names[c], strlen(lay->names[c]), key);
        const cJSON *v = field_named(j, key);
        char shown[4 * 40 + 4];
        trainset_shown_name(v ? v->string : lay->names[c], shown, sizeof shown);
        if (!v) {
            set_err(err, errlen, "%s: field \"%s\": missing (the first record has it)", where,
                    shown);
            return -1;
        }
        if (read_number(v, &x[c]) != 0) {
            set_err(err, errlen, "%s: field \"%s\": expected a number", where, shown);
            return -1;
        }
    }
    const cJSON *v = field_named(j, lay->label_key);
    if (!v || !cJSON_IsString(v)) {
        set_err(err, errlen, "%s: field \"%s\": %s", where, lay->label,
                v ? "expected a string label" : "missing (training needs labelled records)");
        return -1;
    }
    *label = v->valuestring;
    return 0;
}

static int by_position(const void *a, const void *b)
{
    const kafka_record *x = a, *y = b;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int check_classes(const char *topic, const kafka_record_list *l, trainset *d,
                         size_t min_per_class, char *err, size_t errlen)
{
    int bad;
    size_t at;
    if (trainset_finish(d, min_per_class, &bad, &at) == 0)
        return 0;
    if (bad < 0)
        set_err(err, errlen,
                "kafka topic %s: %zu distinct label%s in %zu records; a classifier needs at "
                "least 2",
                topic, d->nclasses, d->nclasses == 1 ? "" : "s", l->n);
    else
        set_err(err, errlen,
                "kafka topic %s: class \"%s\" has only %zu records (the last at partition %d "
                "offset %lld), fewer than the %zu cross-validation folds",
                topic, d->class_names[bad], d->count[bad], (int)l->recs[at].partition,
                (long long)l->recs[at].offset, min_per_class);
    return -1;
}

/* A value in the Schema Registry wire format (a JSON value never starts
 * with the byte 0) as JSON text, the writer's schema fetched by id. */
static int decode_record(const char *topic, const kafka_record *r, struct registry *reg,
                         char **json, char *err, size_t errlen)
{
    char where[300], why[1024];
    record_where(topic, r, where, sizeof where);
    int32_t id;
    if (!reg) {
        if (decode_header(r->value, r->len, &id) == 0)
            set_err(err, errlen,
                    "%s: the value is in the Schema Registry wire format (schema id %d): give "
                    "schema.registry.url (and basic.auth.*) in the -F properties file",
                    where, (int)id);
        else
            set_err(err, errlen, "%s: value is not a JSON object", where);
        return -1;
    }
    if (!(*json = decode_with_registry(reg, r->value, r->len, why, sizeof why))) {
        set_err(err, errlen, "%s: %s", where, why);
        return -1;
    }
    return 0;
}

/* Adds record i to d (and its value to the digest). */
static int add_record(const char *topic, kafka_record_list *l, size_t i, record_layout *lay,
                      trainset *d, struct registry *reg, EVP_MD_CTX *sha, char *err, size_t errlen)
{
    double x[MODEL_MAX_FEATURES];
    const char *label = NULL;
    cJSON *j = NULL;
    char *decoded = NULL;
    int rc = -1;
    kafka_record *r = &l->recs[i], json = *r;
    if (r->len > 0 && r->value[0] == 0 && decode_record(topic, r, reg, &decoded, err, errlen) != 0)
        goto cleanup;
    if (decoded) {
        json.value = decoded;
        json.len = strlen(decoded);
    }
    if (parse_record(topic, &json, lay, &j, x, &label, err, errlen) != 0)
        goto cleanup;
    if (d->nfeatures == 0) {
        const char *names[MODEL_MAX_FEATURES];
        char why[256], where[300];
        for (size_t c = 0; c < lay->nf; c++)
            names[c] = lay->names[c];
        if (trainset_set_features(d, names, lay->nf, why, sizeof why) != 0) {
            record_where(topic, r, where, sizeof where);
            set_err(err, errlen, "%s: %s", where, why);
            goto cleanup;
        }
    }
    int added = trainset_add(d, x, label, strlen(label), i);
    if (added != 0) {
        char where[300];
        record_where(topic, r, where, sizeof where);
        set_err(err, errlen, "%s: field \"%s\": %s", where, lay->label,
                added == -2   ? "one class more than the 8 a model can have"
                : added == -3 ? "not a usable label (1 to 63 printable characters)"
                              : "out of memory");
        goto cleanup;
    }
    if (EVP_DigestUpdate(sha, r->value, r->len) != 1 || EVP_DigestUpdate(sha, "\n", 1) != 1) {
        set_err(err, errlen, "SHA-256 failed");
        goto cleanup;
    }
    rc = 0;
cleanup:
    free(decoded);
    cJSON_Delete(j);
    return rc;
}

trainset *kafka_record_trainset(const char *topic, kafka_record_list *l, const char *label,
                                size_t min_per_class, struct registry *reg, char *err,
                                size_t errlen)
{
    trainset *d = NULL, *result = NULL;
    record_layout lay = {.label = label};
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char source[300];
    snprintf(source, sizeof source, "kafka:%s", topic);
    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    if (schema_key(label, strlen(label), lay.label_key) < 0) {
        set_err(err, errlen, "--label \"%s\": not a usable field name", label);
        goto cleanup;
    }
    if (!(d = trainset_new(source)) || !sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
        set_err(err, errlen, "out of memory");
        goto cleanup;
    }
    schema_snake(label, strlen(label), d->label);
    qsort(l->recs, l->n, sizeof *l->recs, by_position);
    for (size_t i = 0; i < l->n; i++)
        if (add_record(topic, l, i, &lay, d, reg, sha, err, errlen) != 0)
            goto cleanup;
    if (EVP_DigestFinal_ex(sha, digest, &mdlen) != 1) {
        set_err(err, errlen, "SHA-256 failed");
        goto cleanup;
    }
    for (unsigned int i = 0; i < mdlen && i < 32; i++)
        snprintf(d->sha256 + 2 * i, 3, "%02x", digest[i]);
    if (check_classes(topic, l, d, min_per_class, err, errlen) != 0)
        goto cleanup;
    result = d;
    d = NULL;
cleanup:
    EVP_MD_CTX_free(sha);
    trainset_free(d);
    return result;
}

int kafka_record_list_add(kafka_record_list *l, int32_t partition, int64_t offset,
                          const void *value, size_t len)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 1024;
        kafka_record *nr = realloc(l->recs, nc * sizeof *nr);
        if (!nr)
            return -1;
        l->recs = nr;
        l->cap = nc;
    }
    kafka_record *r = &l->recs[l->n];
    r->partition = partition;
    r->offset = offset;
    r->len = len;
    if (!(r->value = malloc(len ? len : 1)))
        return -1;
    if (len)
        memcpy(r->value, value, len);
    l->n++;
    return 0;
}

void kafka_record_list_clear(kafka_record_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->recs[i].value);
    free(l->recs);
    *l = (kafka_record_list){0};
}
