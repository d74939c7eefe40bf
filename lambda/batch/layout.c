/* layout.c: the record layout the batch parser reads and the response
 * echoes: the served model's features and label field (batch_use_model),
 * matched in any spelling of model/schema.h.  Until a model is used it is
 * model/schema.h's iris schema.  A model with the iris features (lengths in
 * cm, 0 to 100) keeps the parser's fast path.
 *
 * Every name comes from the model or from model/schema.h; the layout is
 * written before main() runs (layout_default) and by batch_use_model() at
 * init, and only read afterwards, from any number of threads. */
#include "lambda/batch/batch.h"
#include "lambda/batch/batch_internal.h"
#include "lambda/batch/keys.h"
#include "model/schema.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Field i < nf is feature i, field nf the label. */
typedef struct layout {
    int iris;
    size_t nf;
    char names[MODEL_MAX_FEATURES + 1][SCHEMA_NAME_MAX + 1]; /* camelCase, as echoed */
    size_t name_len[MODEL_MAX_FEATURES + 1];
    char keys[MODEL_MAX_FEATURES + 1][SCHEMA_NAME_MAX + 1];  /* schema keys */
    char snake[MODEL_MAX_FEATURES + 1][SCHEMA_NAME_MAX + 1]; /* snake_case */
    char predicted[SCHEMA_NAME_MAX + 11];                    /* "predicted" + Label */
} layout;

static layout current;
int batch_iris_layout;
batch_keys_prediction batch_keys_fields[MODEL_MAX_FEATURES + 1];
size_t batch_keys_nfields;

/* The prediction of field i, name (camelCase, n bytes), as it comes quoted
 * with its colon. */
static void predict(batch_keys_prediction *k, size_t i, size_t nf, const char *name, size_t n)
{
    memset(k, 0, sizeof *k);
    k->n = n + 3;
    k->index = i < nf ? (int)i : BATCH_KEY_SPECIES;
    k->text[0] = '"';
    memcpy(k->text + 1, name, n);
    memcpy(k->text + 1 + n, "\":", 2);
    if (k->n >= 8 && k->n <= 16) {
        memcpy(&k->first, k->text, 8);
        memcpy(&k->last, k->text + k->n - 8, 8);
    }
}

/* Writes field i's camelCase name and key into l; -1 if name is unusable. */
static int set_field(layout *l, size_t i, const char *name)
{
    int n = schema_camel(name, strlen(name), l->names[i]);
    if (n < 0 || schema_key(name, strlen(name), l->keys[i]) < 0 ||
        schema_snake(name, strlen(name), l->snake[i]) < 0)
        return -1;
    l->name_len[i] = (size_t)n;
    return 0;
}

/* The layout of features names[0..nf) and label field label. */
static int build(layout *l, const char *const *names, size_t nf, const char *label, char *err,
                 size_t errlen)
{
    memset(l, 0, sizeof *l);
    l->nf = nf;
    for (size_t j = 0; j < nf; j++)
        if (set_field(l, j, names[j]) != 0) {
            snprintf(err, errlen, "feature %zu \"%s\" is not a usable field name", j, names[j]);
            return -1;
        }
    if (set_field(l, nf, label) != 0) {
        snprintf(err, errlen, "label \"%s\" is not a usable field name", label);
        return -1;
    }
    memcpy(l->predicted, "predicted", 9);
    memcpy(l->predicted + 9, l->names[nf], l->name_len[nf] + 1);
    l->predicted[9] = (char)toupper((unsigned char)l->predicted[9]);
    char iris_label[SCHEMA_NAME_MAX + 1];
    l->iris = nf == SCHEMA_IRIS_NFEATURES &&
              schema_key(schema_iris_label, strlen(schema_iris_label), iris_label) > 0 &&
              strcmp(l->keys[nf], iris_label) == 0;
    for (size_t j = 0; j < nf && l->iris; j++) {
        char k[SCHEMA_NAME_MAX + 1];
        const char *f = schema_iris_features[j];
        l->iris = schema_key(f, strlen(f), k) > 0 && strcmp(k, l->keys[j]) == 0;
    }
    return 0;
}

static void publish(const layout *l)
{
    current = *l;
    batch_iris_layout = l->iris;
    batch_keys_nfields = l->nf + 1;
    for (size_t i = 0; i <= l->nf; i++)
        predict(&batch_keys_fields[i], i, l->nf, l->names[i], l->name_len[i]);
}

/* Before main(): the iris schema, for a process that never uses a model. */
__attribute__((constructor)) static void layout_default(void)
{
    layout l;
    char err[160];
    if (build(&l, schema_iris_features, SCHEMA_IRIS_NFEATURES, schema_iris_label, err,
              sizeof err) == 0)
        publish(&l);
}

int batch_use_model(const model *m, char *err, size_t errlen)
{
    const char *names[MODEL_MAX_FEATURES];
    size_t nf = model_num_features(m);
    layout l;
    for (size_t j = 0; j < nf; j++)
        names[j] = model_feature_name(m, j);
    if (build(&l, names, nf, model_label_name(m), err, errlen) != 0)
        return -1;
    publish(&l);
    return 0;
}

int batch_layout_is_iris(void)
{
    return current.iris;
}

size_t batch_num_features(void)
{
    return current.nf;
}

const char *batch_feature_name(size_t j)
{
    return j < current.nf ? current.names[j] : NULL;
}

const char *batch_feature_snake(size_t j)
{
    return j < current.nf ? current.snake[j] : "";
}

const char *batch_label_name(void)
{
    return current.names[current.nf];
}

const char *batch_predicted_name(void)
{
    return current.predicted;
}

int batch_key_index(const char *key, size_t len)
{
    /* The names as echoed first: this runs for every field the fast path
     * did not predict. */
    for (size_t i = 0; i <= current.nf; i++)
        if (len == current.name_len[i] && memcmp(key, current.names[i], len) == 0)
            return i < current.nf ? (int)i : BATCH_KEY_SPECIES;
    /* Any other spelling: model/schema.h's rule (sepal_length, SEPAL_LENGTH,
     * SEPALLENGTH, Sepal.Length), as the trainer's readers apply it. */
    char k[SCHEMA_NAME_MAX + 1];
    if (schema_key(key, len, k) < 0)
        return -1;
    for (size_t i = 0; i <= current.nf; i++)
        if (strcmp(k, current.keys[i]) == 0)
            return i < current.nf ? (int)i : BATCH_KEY_SPECIES;
    return -1;
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
