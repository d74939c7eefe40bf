/* model.h: a tabular classifier's artifact (model/iris-model.json is the
 * shipped one) and its scorer.
 *
 * model/ knows nothing about Lambda or Kafka.  A model is loaded once from its
 * JSON artifact (format documented in model/README.md) and is then read-only:
 * model_predict() allocates nothing and may be called from any thread.
 *
 * The features (their names and order) and the classes come from the
 * artifact; model/schema.h says which spellings of a name match.  The
 * shipped iris model's features are, in this order (centimetres):
 *   0 sepal_length, 1 sepal_width, 2 petal_length, 3 petal_width
 */
#ifndef IRIS_MODEL_H
#define IRIS_MODEL_H

#include <stddef.h>

/* The iris schema's number of features: the bootstrap's fixed record layout
 * (lambda/batch/), which serves only models with the iris features. */
#define MODEL_NFEATURES 4
#define MODEL_MAX_FEATURES 32
#define MODEL_MAX_CLASSES 8

typedef struct model model;

/* Load and validate an artifact file.  On failure returns NULL and writes a
 * specific message (file, field, what was wrong) into err.  The caller owns the
 * result and frees it with model_free(). */
model *model_load(const char *path, char *err, size_t errlen);

/* The same from an in-memory JSON text of len bytes (need not be terminated). */
model *model_from_json(const char *text, size_t len, char *err, size_t errlen);

/* Frees a model; accepts NULL. */
void model_free(model *m);

/* Number of classes (2..MODEL_MAX_CLASSES) and their names, e.g. "setosa".
 * The returned string is owned by the model. */
size_t model_num_classes(const model *m);
const char *model_class_name(const model *m, size_t k);

/* Index of the class a label names (model/schema.h: ignoring case, and
 * "Iris-virginica" names virginica), or -1. */
int model_class_index(const model *m, const char *name);

/* Number of features (1..MODEL_MAX_FEATURES) and their names as the artifact
 * writes them (snake_case from build/train); owned by the model. */
size_t model_num_features(const model *m);
const char *model_feature_name(const model *m, size_t j);

/* Index of the feature that the field name[0..len) names (any spelling with
 * the same schema key: sepalLength, SEPAL_LENGTH ...), or -1. */
int model_feature_index(const model *m, const char *name, size_t len);

/* 1 when the model's features are names[0..n), in this order (by schema key). */
int model_has_features(const model *m, const char *const *names, size_t n);

/* The model family as written in the artifact ("glm", "lda", ...). */
const char *model_family(const model *m);

/* The artifact's model id, e.g. "lda_shrinkage_0"; owned by the model. */
const char *model_id(const model *m);

/* The name of the records' label field, as the artifact's "label" gives it
 * (snake_case from build/train; "species" when absent); owned by the model. */
const char *model_label_name(const model *m);

/* Scores one record: x holds model_num_features() values in the model's
 * feature order.  Writes model_num_classes() probabilities (finite, summing
 * to 1) into probs and returns the index of the most probable class.  x must
 * be finite (the caller validates input): a NaN gives meaningless
 * probabilities. */
int model_predict(const model *m, const double *x, double *probs);

#endif
