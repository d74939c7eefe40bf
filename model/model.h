/* model.h: the iris classifier artifact (model/iris-model.json) and its scorer.
 *
 * model/ knows nothing about Lambda or Kafka.  A model is loaded once from its
 * JSON artifact (format documented in model/README.md) and is then read-only:
 * model_predict() allocates nothing and may be called from any thread.
 *
 * Features are always in this order (centimetres):
 *   0 sepal_length, 1 sepal_width, 2 petal_length, 3 petal_width
 */
#ifndef IRIS_MODEL_H
#define IRIS_MODEL_H

#include <stddef.h>

#define MODEL_NFEATURES 4
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

/* Index of the class called name (exact, lower-case canonical name), or -1. */
int model_class_index(const model *m, const char *name);

/* The model family as written in the artifact ("glm", "lda", ...). */
const char *model_family(const model *m);

/* The artifact's model id, e.g. "lda_shrinkage_0"; owned by the model. */
const char *model_id(const model *m);

/* Score one flower.  Writes model_num_classes() probabilities (summing to 1)
 * into probs and returns the index of the most probable class.  x must be
 * finite (the caller validates input): a NaN gives meaningless probabilities. */
int model_predict(const model *m, const double x[MODEL_NFEATURES], double *probs);

#endif
