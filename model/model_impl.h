/* model_impl.h: the scorer's in-memory model, shared by model.c (scoring) and
 * model_load.c (parsing and validating the artifact).  Not part of the API. */
#ifndef IRIS_MODEL_IMPL_H
#define IRIS_MODEL_IMPL_H

#include "model/baseline.h"
#include "model/model.h"
#include "model/schema.h"

#include <stdint.h>

/* Largest k a knn artifact may use (model_predict keeps the k best on the stack). */
#define MODEL_KNN_MAX_K 64

typedef enum {
    MODEL_KIND_LINEAR,
    MODEL_KIND_QUADRATIC,
    MODEL_KIND_KNN,
    MODEL_KIND_TREES
} model_kind;

typedef struct {
    int32_t feature; /* -1 for a leaf */
    uint32_t left, right;
    double threshold; /* go left when z[feature] < threshold */
    double value;     /* leaf value added to the tree's class score */
} model_node;

typedef struct {
    uint32_t root; /* index into nodes */
    uint32_t cls;
} model_tree;

#define MODEL_NF_MAX MODEL_MAX_FEATURES

struct model {
    char family[16];
    char id[96];
    char label[SCHEMA_NAME_MAX + 1]; /* the label field's name ("species") */
    size_t nfeatures;                /* nf below */
    char *feature_names[MODEL_NF_MAX];
    size_t nclasses;
    char *class_names[MODEL_MAX_CLASSES];
    double mean[MODEL_NF_MAX], scale[MODEL_NF_MAX];
    model_kind kind;
    /* linear: scores on raw x; trees: b holds the initial scores */
    double w[MODEL_MAX_CLASSES][MODEL_NF_MAX], b[MODEL_MAX_CLASSES];
    /* quadratic: class means, inverse Cholesky factors (nf x nf, row-major),
     * constants (on z) */
    double mu[MODEL_MAX_CLASSES][MODEL_NF_MAX];
    double (*linv)[MODEL_NF_MAX * MODEL_NF_MAX]; /* nclasses rows; quadratic only, owned:
                                                   a fixed array here made every model 64 KB
                                                   that each bootstrap zeroed at init */
    double c[MODEL_MAX_CLASSES];
    /* knn: standardised points (npoints x nf) and their class indices */
    size_t npoints, k;
    double *points;
    uint8_t *labels;
    /* trees */
    size_t ntrees, nnodes;
    model_tree *roots;
    model_node *nodes;
    baseline baseline; /* the artifact's "monitoring" object (model/baseline.h) */
};

/* z = (x - mean) / scale, the standardised features. */
void model_standardize(const model *m, const double *x, double *z);

/* The class scores whose softmax is the prediction (linear, quadratic and
 * trees kinds); returns -1 for knn, which votes instead. */
int model_class_scores(const model *m, const double *x, double *scores);

/* Scores probe points derived from the artifact and fails, naming the problem
 * in err, unless the model gives finite bounded scores and normalised
 * probabilities there (model_check.c).  Returns 0 or -1. */
int model_check_probes(const model *m, char *err, size_t errlen);

#endif
