/* glm.c: multinomial logistic regression with an L2 (ridge) penalty, fitted
 * by Newton's method with a backtracking line search.
 *
 * Minimises  (1/n) sum_i -log p(y_i | z_i) + (lambda/2) sum_k |w_k|^2
 * over per-class intercepts b_k and weights w_k, p = softmax(b + W z).  The
 * intercepts carry a tiny ridge (1e-9) that only removes the softmax's
 * shift invariance, so the Hessian is positive definite and the optimum
 * unique.  The objective is strictly convex, so Newton converges globally. */
#include "trainer/learner.h"
#include "model/numeric.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPMAX (MODEL_MAX_FEATURES + 1) /* parameters per class: intercept, weights */
#define MAXP (MODEL_MAX_CLASSES * NPMAX)
#define INTERCEPT_RIDGE 1e-9
#define MAX_ITER 200

typedef struct {
    size_t k, nf, np;   /* np = nf + 1 */
    double theta[MAXP]; /* class c: theta[c*np] = b_c, theta[c*np+1+j] = w_cj */
} glm_fit;

static void scores(const glm_fit *g, const double *theta, const double *z, double *s)
{
    for (size_t c = 0; c < g->k; c++) {
        const double *t = theta + c * g->np;
        s[c] = t[0];
        for (size_t j = 0; j < g->nf; j++)
            s[c] += t[1 + j] * z[j];
    }
}

static double penalty(const glm_fit *g, const double *theta, double lambda)
{
    double r = 0;
    for (size_t c = 0; c < g->k; c++) {
        r += INTERCEPT_RIDGE * theta[c * g->np] * theta[c * g->np];
        for (size_t j = 1; j < g->np; j++)
            r += lambda * theta[c * g->np + j] * theta[c * g->np + j];
    }
    return 0.5 * r;
}

/* Objective at theta; with grad/hess, also the gradient and Hessian. */
static double objective(const glm_fit *g, const double *theta, double lambda, const double *z,
                        const int *y, size_t n, double *grad, double *hess)
{
    size_t np = g->np, P = g->k * np;
    double f = 0;
    if (grad) {
        memset(grad, 0, P * sizeof *grad);
        memset(hess, 0, P * P * sizeof *hess);
    }
    for (size_t i = 0; i < n; i++) {
        const double *zi = z + i * g->nf;
        double s[MODEL_MAX_CLASSES], p[MODEL_MAX_CLASSES], xt[NPMAX] = {1};
        memcpy(xt + 1, zi, g->nf * sizeof *zi);
        scores(g, theta, zi, s);
        double m = s[0];
        for (size_t c = 1; c < g->k; c++)
            m = fmax(m, s[c]);
        double sum = 0;
        for (size_t c = 0; c < g->k; c++)
            sum += exp(s[c] - m);
        f += m + log(sum) - s[y[i]];
        if (!grad)
            continue;
        numeric_softmax(g->k, s, p);
        for (size_t c = 0; c < g->k; c++) {
            double r = p[c] - (y[i] == (int)c);
            for (size_t a = 0; a < np; a++)
                grad[c * np + a] += r * xt[a];
            for (size_t d = 0; d <= c; d++) {
                double h = (c == d ? p[c] : 0) - p[c] * p[d];
                for (size_t a = 0; a < np; a++)
                    for (size_t b = 0; b < np; b++)
                        hess[(c * np + a) * P + d * np + b] += h * xt[a] * xt[b];
            }
        }
    }
    f /= (double)n;
    if (grad) {
        for (size_t u = 0; u < P; u++) {
            grad[u] /= (double)n;
            double ridge = u % np == 0 ? INTERCEPT_RIDGE : lambda;
            grad[u] += ridge * theta[u];
            for (size_t v = 0; v <= u; v++)
                hess[u * P + v] /= (double)n;
            hess[u * P + u] += ridge;
        }
    }
    return f + penalty(g, theta, lambda);
}

static void *glm_train(const double *param, const double *z, const int *y, size_t n, size_t nf,
                       size_t k, char *err, size_t errlen)
{
    double lambda = param[0];
    glm_fit *g = calloc(1, sizeof *g), *result = NULL;
    double *grad = malloc(MAXP * sizeof *grad), *hess = malloc(MAXP * MAXP * sizeof *hess);
    if (!g || !grad || !hess) {
        snprintf(err, errlen, "glm: out of memory");
        goto cleanup;
    }
    g->k = k;
    g->nf = nf;
    g->np = nf + 1;
    size_t P = k * g->np;
    for (int it = 0; it < MAX_ITER; it++) {
        double f = objective(g, g->theta, lambda, z, y, n, grad, hess);
        double gmax = 0, step[MAXP], trial[MAXP];
        for (size_t u = 0; u < P; u++)
            gmax = fmax(gmax, fabs(grad[u]));
        if (gmax < 1e-11)
            break;
        if (numeric_cholesky(P, hess, hess) != 0) {
            snprintf(err, errlen, "glm: Hessian not positive definite (lambda %g)", lambda);
            goto cleanup;
        }
        numeric_cholesky_solve(P, hess, grad, step);
        double slope = 0;
        for (size_t u = 0; u < P; u++)
            slope -= grad[u] * step[u];
        double t = 1, ft = f;
        for (int ls = 0; ls < 60; ls++, t *= 0.5) {
            for (size_t u = 0; u < P; u++)
                trial[u] = g->theta[u] - t * step[u];
            ft = objective(g, trial, lambda, z, y, n, NULL, NULL);
            if (ft <= f + 1e-4 * t * slope)
                break;
        }
        if (!(ft < f))
            break; /* no further decrease representable in double */
        memcpy(g->theta, trial, P * sizeof *trial);
    }
    result = g;
    g = NULL;
cleanup:
    free(hess);
    free(grad);
    free(g);
    return result;
}

static void glm_predict(const void *fit, const double *z, double *probs)
{
    const glm_fit *g = fit;
    double s[MODEL_MAX_CLASSES];
    scores(g, g->theta, z, s);
    numeric_softmax(g->k, s, probs);
}

static int glm_export(const void *fit, cJSON *o)
{
    const glm_fit *g = fit;
    cJSON *b = cJSON_AddArrayToObject(o, "intercepts");
    cJSON *w = cJSON_AddArrayToObject(o, "coefficients");
    if (!b || !w)
        return -1;
    for (size_t c = 0; c < g->k; c++)
        if (!cJSON_AddItemToArray(w,
                                  cJSON_CreateDoubleArray(g->theta + c * g->np + 1, (int)g->nf)) ||
            !cJSON_AddItemToArray(b, cJSON_CreateNumber(g->theta[c * g->np])))
            return -1;
    return 0;
}

static const double glm_grid[][LEARNER_MAX_PARAMS] = {{1e-5}, {1e-4}, {1e-3}, {1e-2}};

const learner_family learner_glm = {
    .name = "glm",
    .param_names = {"lambda"},
    .grid = glm_grid,
    .ngrid = sizeof glm_grid / sizeof glm_grid[0],
    .fit = glm_train,
    .predict = glm_predict,
    .export_fit = glm_export,
    .free_fit = free,
};
