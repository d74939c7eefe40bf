/* knn.c: k-nearest neighbours on standardised features.
 *
 * Distances are squared Euclidean; ties in distance go to the lower training
 * row, and probabilities are the vote shares among the k nearest rows (so
 * they can be exactly 0: the leaderboard's log loss clips them at 1e-15). */
#include "trainer/learner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KNN_MAX_K 64

typedef struct {
    size_t n, nf, nclasses, k;
    double *z;
    int *y;
} knn_fit;

static void knn_free(void *fit)
{
    knn_fit *f = fit;
    if (!f)
        return;
    free(f->z);
    free(f->y);
    free(f);
}

static void *knn_train(const double *param, const double *z, const int *y, size_t n, size_t nf,
                       size_t k, char *err, size_t errlen)
{
    size_t kk = (size_t)param[0];
    if (kk < 1 || kk > KNN_MAX_K || kk > n) {
        snprintf(err, errlen, "knn: k = %zu must be in [1, min(%d, rows = %zu)]", kk, KNN_MAX_K, n);
        return NULL;
    }
    knn_fit *f = calloc(1, sizeof *f);
    if (f) {
        f->z = malloc(n * nf * sizeof *f->z);
        f->y = malloc(n * sizeof *f->y);
    }
    if (!f || !f->z || !f->y) {
        knn_free(f);
        snprintf(err, errlen, "knn: out of memory");
        return NULL;
    }
    memcpy(f->z, z, n * nf * sizeof *z);
    memcpy(f->y, y, n * sizeof *y);
    f->n = n;
    f->nf = nf;
    f->nclasses = k;
    f->k = kk;
    return f;
}

static void knn_predict(const void *fit, const double *z, double *probs)
{
    const knn_fit *f = fit;
    double bestd[KNN_MAX_K];
    int besty[KNN_MAX_K];
    size_t nbest = 0;
    for (size_t i = 0; i < f->n; i++) {
        double d = 0;
        for (size_t j = 0; j < f->nf; j++)
            d += (z[j] - f->z[i * f->nf + j]) * (z[j] - f->z[i * f->nf + j]);
        /* Insert keeping (distance, row) order; a later row with an equal
         * distance goes after the earlier one. */
        if (nbest == f->k && d >= bestd[f->k - 1])
            continue;
        size_t pos = nbest < f->k ? nbest++ : f->k - 1;
        for (; pos > 0 && bestd[pos - 1] > d; pos--) {
            bestd[pos] = bestd[pos - 1];
            besty[pos] = besty[pos - 1];
        }
        bestd[pos] = d;
        besty[pos] = f->y[i];
    }
    memset(probs, 0, f->nclasses * sizeof *probs);
    for (size_t i = 0; i < nbest; i++)
        probs[besty[i]] += 1;
    for (size_t c = 0; c < f->nclasses; c++)
        probs[c] /= (double)f->k;
}

static cJSON *knn_export(const void *fit)
{
    const knn_fit *f = fit;
    cJSON *o = cJSON_CreateObject(), *pts = NULL, *result = NULL;
    if (!o || !cJSON_AddNumberToObject(o, "k", (double)f->k) ||
        !(pts = cJSON_AddArrayToObject(o, "points")) ||
        !cJSON_AddItemToObject(o, "labels", cJSON_CreateIntArray(f->y, (int)f->n)))
        goto cleanup;
    for (size_t i = 0; i < f->n; i++)
        if (!cJSON_AddItemToArray(pts, cJSON_CreateDoubleArray(f->z + i * f->nf, (int)f->nf)))
            goto cleanup;
    result = o;
    o = NULL;
cleanup:
    cJSON_Delete(o);
    return result;
}

static const double knn_grid[][LEARNER_MAX_PARAMS] = {{5}, {10}, {15}, {20}};

const learner_family learner_knn = {
    .name = "knn",
    .param_names = {"k"},
    .grid = knn_grid,
    .ngrid = sizeof knn_grid / sizeof knn_grid[0],
    .fit = knn_train,
    .predict = knn_predict,
    .export_fit = knn_export,
    .free_fit = knn_free,
};
