/* learner.h: the trainer's model families behind one interface, and a trained
 * model (standardisation + a family's fit) that predicts and exports itself
 * in the artifact's terms (model/README.md).
 *
 * Every family fits on standardised features z = (x - mean) / scale, where
 * mean and scale come from the rows it is trained on. */
#ifndef IRIS_LEARNER_H
#define IRIS_LEARNER_H

#include "model/model.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define LEARNER_MAX_PARAMS 3

typedef struct learner_family learner_family;

struct learner_family {
    const char *name;                            /* artifact family, e.g. "glm" */
    const char *param_names[LEARNER_MAX_PARAMS]; /* NULL after the last */
    const double (*grid)[LEARNER_MAX_PARAMS];    /* hyper-parameter grid */
    size_t ngrid;
    /* Fits n rows of z (n x nf) with labels y in [0, k); returns an opaque fit
     * freed with free_fit, or NULL with a message in err. */
    void *(*fit)(const double *param, const double *z, const int *y, size_t n, size_t nf, size_t k,
                 char *err, size_t errlen);
    /* Writes k class probabilities for one standardised row of nf features. */
    void (*predict)(const void *fit, const double *z, double *probs);
    /* Adds the fit's members to fitted, the artifact's "fitted" object;
     * returns 0, or -1 when out of memory (fitted is the caller's either way). */
    int (*export_fit)(const void *fit, cJSON *fitted);
    void (*free_fit)(void *fit);
};

extern const learner_family learner_glm, learner_lda, learner_qda, learner_gnb, learner_knn,
    learner_gbm;

/* Every family, in leaderboard order, and the number of them. */
extern const learner_family *const learner_families[];
extern const size_t learner_nfamilies;

/* The family called name, or NULL. */
const learner_family *learner_family_find(const char *name);

/* One candidate: a family and a point of its grid. */
typedef struct {
    const learner_family *family;
    double param[LEARNER_MAX_PARAMS];
    char id[64]; /* e.g. "glm_lambda_0.001" */
} learner_spec;

/* Fills spec for the family's grid point g (g < family->ngrid). */
void learner_spec_make(learner_spec *spec, const learner_family *family, size_t g);

/* The spec's hyper-parameters as a JSON object {"lambda": 0.001}; NULL when out of memory. */
cJSON *learner_params_json(const learner_spec *spec);

/* A trained model: the standardisation of its training rows and the fit. */
typedef struct {
    learner_spec spec;
    size_t nfeatures, nclasses;
    double mean[MODEL_MAX_FEATURES], scale[MODEL_MAX_FEATURES];
    void *fit;
} learner_model;

/* Trains spec on n rows of nf raw features x (n x nf) with labels y in
 * [0, k).  Returns 0, or -1 with a message in err.  Free with
 * learner_model_clear. */
int learner_train(learner_model *m, const learner_spec *spec, const double *x, const int *y,
                  size_t n, size_t nf, size_t k, char *err, size_t errlen);

/* Writes k probabilities for one raw row x of nfeatures values. */
void learner_predict(const learner_model *m, const double *x, double *probs);

/* The artifact's "fitted" object for m; NULL when out of memory.  The caller
 * frees it with cJSON_Delete (or hands it to a parent). */
cJSON *learner_fit_json(const learner_model *m);

void learner_model_clear(learner_model *m);

#endif
