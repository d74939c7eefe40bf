/* learner.c: the family registry, candidate ids and trained models. */
#include "trainer/learner.h"
#include "trainer/trainset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const learner_family *const learner_families[] = {&learner_glm, &learner_lda, &learner_qda,
                                                  &learner_gnb, &learner_knn, &learner_gbm};
const size_t learner_nfamilies = sizeof learner_families / sizeof learner_families[0];

const learner_family *learner_family_find(const char *name)
{
    for (size_t f = 0; f < learner_nfamilies; f++)
        if (strcmp(learner_families[f]->name, name) == 0)
            return learner_families[f];
    return NULL;
}

void learner_spec_make(learner_spec *spec, const learner_family *family, size_t g)
{
    size_t len = 0;
    spec->family = family;
    memcpy(spec->param, family->grid[g], sizeof spec->param);
    len += (size_t)snprintf(spec->id, sizeof spec->id, "%s", family->name);
    for (size_t p = 0; p < LEARNER_MAX_PARAMS && family->param_names[p]; p++)
        if (len < sizeof spec->id)
            len += (size_t)snprintf(spec->id + len, sizeof spec->id - len, "_%s_%g",
                                    family->param_names[p], spec->param[p]);
}

cJSON *learner_params_json(const learner_spec *spec)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t p = 0; o && p < LEARNER_MAX_PARAMS && spec->family->param_names[p]; p++)
        if (!cJSON_AddNumberToObject(o, spec->family->param_names[p], spec->param[p])) {
            cJSON_Delete(o);
            return NULL;
        }
    return o;
}

int learner_train(learner_model *m, const learner_spec *spec, const double *x, const int *y,
                  size_t n, size_t nf, size_t k, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->spec = *spec;
    m->nfeatures = nf;
    m->nclasses = k;
    double *z = malloc(n * nf * sizeof *z);
    if (!z) {
        snprintf(err, errlen, "%s: out of memory", spec->id);
        return -1;
    }
    trainset_standardisation(x, n, nf, m->mean, m->scale);
    trainset_standardize(x, n, nf, m->mean, m->scale, z);
    m->fit = spec->family->fit(spec->param, z, y, n, nf, k, err, errlen);
    free(z);
    return m->fit ? 0 : -1;
}

void learner_predict(const learner_model *m, const double *x, double *probs)
{
    double z[MODEL_MAX_FEATURES];
    trainset_standardize(x, 1, m->nfeatures, m->mean, m->scale, z);
    m->spec.family->predict(m->fit, z, probs);
}

cJSON *learner_fit_json(const learner_model *m)
{
    cJSON *fitted = cJSON_CreateObject();
    if (fitted && m->spec.family->export_fit(m->fit, fitted) != 0) {
        cJSON_Delete(fitted);
        return NULL;
    }
    return fitted;
}

void learner_model_clear(learner_model *m)
{
    if (m->fit)
        m->spec.family->free_fit(m->fit);
    m->fit = NULL;
}
