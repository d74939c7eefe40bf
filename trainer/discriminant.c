/* discriminant.c: the Gaussian generative classifiers.
 *
 *   lda  one pooled within-class covariance S, shrunk towards its diagonal:
 *        (1 - shrinkage) S + shrinkage diag(S)
 *   qda  one covariance per class S_k, regularised towards the pooled one
 *        (Friedman's regularised discriminant analysis): (1 - reg) S_k + reg S
 *   gnb  independent features per class: variances (divisor n_k) + smoothing
 *
 * Priors are the class shares.  Prediction is Bayes' rule with Gaussian class
 * densities, evaluated through Cholesky factors (no explicit inverses). */
#include "trainer/learner.h"
#include "model/numeric.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFMAX MODEL_MAX_FEATURES
#define NNMAX (NFMAX * NFMAX)

/* Matrices are nf x nf, row-major, in arrays of NNMAX. */
typedef struct {
    size_t k, nf;
    int diagonal; /* gnb */
    double prior[MODEL_MAX_CLASSES];
    double mean[MODEL_MAX_CLASSES][NFMAX];
    double cov[MODEL_MAX_CLASSES][NNMAX]; /* lda: all classes share cov[0] */
    double chol[MODEL_MAX_CLASSES][NNMAX];
    double logdet[MODEL_MAX_CLASSES];
    size_t ncov; /* 1 for lda, k otherwise */
} gauss_fit;

/* Priors, class means and per-class scatter matrices (sums of outer products
 * of the deviations from the class mean). */
static gauss_fit *moments(const double *z, const int *y, size_t n, size_t nf, size_t k,
                          double scatter[][NNMAX], size_t *count)
{
    gauss_fit *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->k = k;
    g->nf = nf;
    memset(count, 0, k * sizeof *count);
    for (size_t i = 0; i < n; i++) {
        count[y[i]]++;
        for (size_t j = 0; j < nf; j++)
            g->mean[y[i]][j] += z[i * nf + j];
    }
    for (size_t c = 0; c < k; c++) {
        g->prior[c] = (double)count[c] / (double)n;
        for (size_t j = 0; j < nf; j++)
            g->mean[c][j] /= (double)count[c];
        memset(scatter[c], 0, nf * nf * sizeof(double));
    }
    for (size_t i = 0; i < n; i++) {
        double d[NFMAX];
        for (size_t j = 0; j < nf; j++)
            d[j] = z[i * nf + j] - g->mean[y[i]][j];
        for (size_t a = 0; a < nf; a++)
            for (size_t b = 0; b < nf; b++)
                scatter[y[i]][a * nf + b] += d[a] * d[b];
    }
    return g;
}

static int factor(gauss_fit *g, const char *name, char *err, size_t errlen)
{
    for (size_t c = 0; c < g->ncov; c++) {
        if (numeric_cholesky(g->nf, g->cov[c], g->chol[c]) != 0) {
            snprintf(err, errlen, "%s: covariance of class %zu is not positive definite", name, c);
            return -1;
        }
        g->logdet[c] = numeric_cholesky_logdet(g->nf, g->chol[c]);
    }
    return 0;
}

typedef enum { GAUSS_LDA, GAUSS_QDA, GAUSS_GNB } gauss_kind;

static const char *const gauss_names[] = {"lda", "qda", "gnb"};

static void *fit_common(gauss_kind kind, const double *param, const double *z, const int *y,
                        size_t n, size_t nf, size_t k, char *err, size_t errlen)
{
    const char *name = gauss_names[kind];
    double scatter[MODEL_MAX_CLASSES][NNMAX], pooled[NNMAX] = {0};
    size_t count[MODEL_MAX_CLASSES], nn = nf * nf;
    gauss_fit *g = moments(z, y, n, nf, k, scatter, count);
    if (!g) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    for (size_t c = 0; c < k; c++)
        for (size_t u = 0; u < nn; u++)
            pooled[u] += scatter[c][u] / (double)(n - k);
    if (kind == GAUSS_LDA) {
        g->ncov = 1;
        for (size_t a = 0; a < nf; a++)
            for (size_t b = 0; b < nf; b++)
                g->cov[0][a * nf + b] =
                    a == b ? pooled[a * nf + b] : (1 - param[0]) * pooled[a * nf + b];
    } else if (kind == GAUSS_QDA) {
        g->ncov = k;
        for (size_t c = 0; c < k; c++) {
            if (count[c] < 2) {
                snprintf(err, errlen, "qda: class %zu has fewer than 2 rows", c);
                free(g);
                return NULL;
            }
            for (size_t u = 0; u < nn; u++)
                g->cov[c][u] =
                    (1 - param[0]) * scatter[c][u] / (double)(count[c] - 1) + param[0] * pooled[u];
        }
    } else {
        g->ncov = k;
        g->diagonal = 1;
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < nf; j++)
                g->cov[c][j * nf + j] = scatter[c][j * nf + j] / (double)count[c] + param[0];
    }
    if (factor(g, name, err, errlen) != 0) {
        free(g);
        return NULL;
    }
    return g;
}

static void *lda_train(const double *param, const double *z, const int *y, size_t n, size_t nf,
                       size_t k, char *err, size_t errlen)
{
    return fit_common(GAUSS_LDA, param, z, y, n, nf, k, err, errlen);
}

static void *qda_train(const double *param, const double *z, const int *y, size_t n, size_t nf,
                       size_t k, char *err, size_t errlen)
{
    return fit_common(GAUSS_QDA, param, z, y, n, nf, k, err, errlen);
}

static void *gnb_train(const double *param, const double *z, const int *y, size_t n, size_t nf,
                       size_t k, char *err, size_t errlen)
{
    return fit_common(GAUSS_GNB, param, z, y, n, nf, k, err, errlen);
}

/* log prior - log det / 2 - Mahalanobis^2 / 2, through the Cholesky factor. */
static void gauss_predict(const void *fit, const double *z, double *probs)
{
    const gauss_fit *g = fit;
    double s[MODEL_MAX_CLASSES];
    for (size_t c = 0; c < g->k; c++) {
        size_t v = g->ncov == 1 ? 0 : c;
        double d[NFMAX], u[NFMAX], q = 0;
        for (size_t j = 0; j < g->nf; j++)
            d[j] = z[j] - g->mean[c][j];
        numeric_solve_lower(g->nf, g->chol[v], d, u);
        for (size_t j = 0; j < g->nf; j++)
            q += u[j] * u[j];
        s[c] = log(g->prior[c]) - 0.5 * g->logdet[v] - 0.5 * q;
    }
    numeric_softmax(g->k, s, probs);
}

/* rows x cols numbers, row r starting at a + r * stride. */
static cJSON *matrix_json(const double *a, size_t rows, size_t cols, size_t stride)
{
    cJSON *m = cJSON_CreateArray();
    for (size_t r = 0; m && r < rows; r++) {
        cJSON *row = cJSON_CreateDoubleArray(a + r * stride, (int)cols);
        if (!row || !cJSON_AddItemToArray(m, row)) {
            cJSON_Delete(row);
            cJSON_Delete(m);
            return NULL;
        }
    }
    return m;
}

static int gauss_export(const void *fit, cJSON *o)
{
    const gauss_fit *g = fit;
    if (!cJSON_AddItemToObject(o, "priors", cJSON_CreateDoubleArray(g->prior, (int)g->k)) ||
        !cJSON_AddItemToObject(o, "means", matrix_json(&g->mean[0][0], g->k, g->nf, NFMAX)))
        return -1;
    if (g->diagonal) {
        double var[MODEL_MAX_CLASSES][NFMAX];
        for (size_t c = 0; c < g->k; c++)
            for (size_t j = 0; j < g->nf; j++)
                var[c][j] = g->cov[c][j * g->nf + j];
        cJSON *variances = matrix_json(&var[0][0], g->k, g->nf, NFMAX);
        return cJSON_AddItemToObject(o, "variances", variances) ? 0 : -1;
    }
    if (g->ncov == 1) {
        cJSON *pooled = matrix_json(g->cov[0], g->nf, g->nf, g->nf);
        return cJSON_AddItemToObject(o, "covariance", pooled) ? 0 : -1;
    }
    cJSON *cov = cJSON_AddArrayToObject(o, "covariances");
    if (!cov)
        return -1;
    for (size_t c = 0; c < g->k; c++)
        if (!cJSON_AddItemToArray(cov, matrix_json(g->cov[c], g->nf, g->nf, g->nf)))
            return -1;
    return 0;
}

static const double lda_grid[][LEARNER_MAX_PARAMS] = {{0}, {0.05}, {0.2}};
static const double qda_grid[][LEARNER_MAX_PARAMS] = {{0}, {0.25}, {0.5}, {0.75}};
static const double gnb_grid[][LEARNER_MAX_PARAMS] = {{1e-9}, {1e-3}, {1e-2}};

const learner_family learner_lda = {
    .name = "lda",
    .param_names = {"shrinkage"},
    .grid = lda_grid,
    .ngrid = sizeof lda_grid / sizeof lda_grid[0],
    .fit = lda_train,
    .predict = gauss_predict,
    .export_fit = gauss_export,
    .free_fit = free,
};

const learner_family learner_qda = {
    .name = "qda",
    .param_names = {"reg"},
    .grid = qda_grid,
    .ngrid = sizeof qda_grid / sizeof qda_grid[0],
    .fit = qda_train,
    .predict = gauss_predict,
    .export_fit = gauss_export,
    .free_fit = free,
};

const learner_family learner_gnb = {
    .name = "gnb",
    .param_names = {"var_smoothing"},
    .grid = gnb_grid,
    .ngrid = sizeof gnb_grid / sizeof gnb_grid[0],
    .fit = gnb_train,
    .predict = gauss_predict,
    .export_fit = gauss_export,
    .free_fit = free,
};
