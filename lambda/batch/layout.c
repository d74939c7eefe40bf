/* layout.c: the record layout the batch parser reads and the response
 * echoes, taken from the model at init (batch_use_model): its features and
 * label field, matched in any spelling of model/schema.h.  The default, and
 * the layout of any model with the iris features, is the iris layout, whose
 * measurements are lengths in cm (0 to 100) and which keeps the parser's
 * unrolled fast path. */
#include "lambda/batch/batch.h"
#include "lambda/batch/batch_internal.h"
#include "model/schema.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    int iris;
    size_t nf;
    char names[MODEL_MAX_FEATURES][SCHEMA_NAME_MAX + 1]; /* camelCase, as echoed */
    size_t name_len[MODEL_MAX_FEATURES];
    char keys[MODEL_MAX_FEATURES][SCHEMA_NAME_MAX + 1];
    char label[SCHEMA_NAME_MAX + 1], label_key[SCHEMA_NAME_MAX + 1];
    size_t label_len;
    char predicted[SCHEMA_NAME_MAX + 11]; /* "predicted" + Label */
} layout;

/* Set once at init, before any batch is parsed; read-only afterwards. */
static layout current = {
    .iris = 1,
    .nf = MODEL_NFEATURES,
    .names = {"sepalLength", "sepalWidth", "petalLength", "petalWidth"},
    .name_len = {11, 10, 11, 10},
    .keys = {"sepallength", "sepalwidth", "petallength", "petalwidth"},
    .label = "species",
    .label_key = "species",
    .label_len = 7,
    .predicted = "predictedSpecies",
};

int batch_iris_layout = 1;

static const char *const iris_features[MODEL_NFEATURES] = {"sepal_length", "sepal_width",
                                                           "petal_length", "petal_width"};

int batch_use_model(const model *m, char *err, size_t errlen)
{
    layout l = {0};
    const char *label = model_label_name(m);
    l.nf = model_num_features(m);
    l.iris = model_has_features(m, iris_features, MODEL_NFEATURES) &&
             schema_key(label, strlen(label), l.label_key) > 0 &&
             strcmp(l.label_key, "species") == 0;
    for (size_t j = 0; j < l.nf; j++) {
        const char *f = model_feature_name(m, j);
        int n = schema_camel(f, strlen(f), l.names[j]);
        if (n < 0 || schema_key(f, strlen(f), l.keys[j]) < 0) {
            snprintf(err, errlen, "feature %zu \"%s\" is not a usable field name", j, f);
            return -1;
        }
        l.name_len[j] = (size_t)n;
    }
    int n = schema_camel(label, strlen(label), l.label);
    if (n < 0 || schema_key(label, strlen(label), l.label_key) < 0) {
        snprintf(err, errlen, "label \"%s\" is not a usable field name", label);
        return -1;
    }
    l.label_len = (size_t)n;
    memcpy(l.predicted, "predicted", 9);
    memcpy(l.predicted + 9, l.label, l.label_len + 1);
    if (l.predicted[9] >= 'a' && l.predicted[9] <= 'z')
        l.predicted[9] = (char)(l.predicted[9] - 'a' + 'A');
    current = l;
    batch_iris_layout = l.iris;
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

const char *batch_label_name(void)
{
    return current.label;
}

const char *batch_predicted_name(void)
{
    return current.predicted;
}

int batch_layout_key_index(const char *key, size_t len)
{
    for (size_t j = 0; j < current.nf; j++)
        if (len == current.name_len[j] && memcmp(key, current.names[j], len) == 0)
            return (int)j;
    if (len == current.label_len && memcmp(key, current.label, len) == 0)
        return BATCH_KEY_SPECIES;
    char k[SCHEMA_NAME_MAX + 1];
    if (schema_key(key, len, k) < 0)
        return -1;
    for (size_t j = 0; j < current.nf; j++)
        if (strcmp(k, current.keys[j]) == 0)
            return (int)j;
    return strcmp(k, current.label_key) == 0 ? BATCH_KEY_SPECIES : -1;
}
