/* baseline_fit.c: the monitoring statistics the trainer writes into the
 * artifact (model/baseline.h). */
#include "trainer/baseline_fit.h"
#include "model/numeric.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NF MODEL_NFEATURES

size_t baseline_fit_class_moments(const trainset *d, int k, size_t skip, double *mean, double *cov)
{
    size_t n = 0;
    memset(mean, 0, NF * sizeof *mean);
    memset(cov, 0, NF * NF * sizeof *cov);
    for (size_t i = 0; i < d->n; i++)
        if (d->y[i] == k && i != skip) {
            n++;
            for (size_t j = 0; j < NF; j++)
                mean[j] += d->x[i * NF + j];
        }
    for (size_t j = 0; j < NF; j++)
        mean[j] /= (double)n;
    for (size_t i = 0; i < d->n; i++)
        if (d->y[i] == k && i != skip)
            for (size_t a = 0; a < NF; a++)
                for (size_t b = 0; b < NF; b++)
                    cov[a * NF + b] += (d->x[i * NF + a] - mean[a]) * (d->x[i * NF + b] - mean[b]);
    for (size_t a = 0; a < NF * NF; a++)
        cov[a] /= (double)(n - 1);
    return n;
}

/* The mean and covariance of a class of n rows (mean, cov) without its row
 * x, in constant time: with d = x - mean, the mean without x is
 * mean - d / (n - 1) and the scatter matrix loses n / (n - 1) d d'.  This
 * replaces refitting the class per left-out row, which made the monitoring
 * reference quadratic in the rows. */
static void leave_one_out(const double *mean, const double *cov, size_t n, const double *x,
                          double *mean_out, double *cov_out)
{
    double d[NF], m = (double)n;
    for (size_t j = 0; j < NF; j++) {
        d[j] = x[j] - mean[j];
        mean_out[j] = mean[j] - d[j] / (m - 1);
    }
    for (size_t a = 0; a < NF; a++)
        for (size_t b = 0; b < NF; b++)
            cov_out[a * NF + b] = (cov[a * NF + b] * (m - 1) - m / (m - 1) * d[a] * d[b]) / (m - 2);
}

/* The ridge: iris measurements are rounded to 0.1 cm, so a small class can be flat. */
void baseline_fit_inverse_factor(double *cov, double *linv)
{
    double l[NF * NF], vmax = 0;
    for (size_t j = 0; j < NF; j++)
        vmax = fmax(vmax, cov[j * NF + j]);
    for (int tries = 0; numeric_cholesky(NF, cov, l) != 0 && tries < 1000; tries++)
        for (size_t j = 0; j < NF; j++)
            cov[j * NF + j] += 1e-6 * (vmax > 0 ? vmax : 1);
    numeric_invert_lower(NF, l, linv);
}

/* Share of rows that are atypical against a reference fitted without them.
 * cov holds each class's covariance before any ridge. */
static double loo_atypical_rate(const trainset *d, const baseline *b, const double cov[][NF * NF])
{
    size_t atypical = 0;
    for (size_t i = 0; i < d->n; i++) {
        const double *x = d->x + i * NF;
        double best = INFINITY;
        for (size_t k = 0; k < b->nclasses; k++) {
            double mean[NF], c[NF * NF], linv[NF * NF];
            if ((int)k == d->y[i]) {
                leave_one_out(b->mean[k], cov[k], d->count[k], x, mean, c);
                baseline_fit_inverse_factor(c, linv);
                best = fmin(best, baseline_mahalanobis2(linv, mean, x));
            } else {
                best = fmin(best, baseline_mahalanobis2(b->linv[k], b->mean[k], x));
            }
        }
        atypical += best > b->atypical_d2;
    }
    return (double)atypical / (double)d->n;
}

int baseline_fit(const trainset *d, const leaderboard_row *leader, baseline *b,
                 double cov[][NF * NF], char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    if (d->nfeatures != NF) {
        snprintf(err, errlen, "the input reference needs the %d iris features, not %zu", NF,
                 d->nfeatures);
        return -1;
    }
    b->nclasses = d->nclasses;
    double raw[MODEL_MAX_CLASSES][NF * NF];
    for (size_t k = 0; k < b->nclasses; k++) {
        if (d->count[k] < 6) {
            snprintf(err, errlen,
                     "class \"%s\" has %zu rows: the input reference needs at least 6 per class",
                     d->class_names[k], d->count[k]);
            return -1;
        }
        baseline_fit_class_moments(d, (int)k, SIZE_MAX, b->mean[k], raw[k]);
        memcpy(cov[k], raw[k], sizeof raw[k]);
        /* cov[k] gets the ridge, if one was needed */
        baseline_fit_inverse_factor(cov[k], b->linv[k]);
    }
    trainset_standardisation(d->x, d->n, NF, b->feature_mean, b->feature_sd);
    double n = (double)d->n;
    b->rows = d->n;
    b->error_rate = leader->error_rate;
    b->error_rate_sd = leader->error_rate_sd;
    b->error_rate_se = sqrt(b->error_rate * (1 - b->error_rate) / n);
    b->atypical_d2 = BASELINE_ATYPICAL_D2;
    b->atypical_rate = loo_atypical_rate(d, b, raw);
    b->atypical_rate_se = sqrt(b->atypical_rate * (1 - b->atypical_rate) / n);
    b->present = 1;
    return 0;
}

static cJSON *matrix(const double *v, size_t rows, size_t cols)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t r = 0; a && r < rows; r++)
        if (!cJSON_AddItemToArray(a, cJSON_CreateDoubleArray(v + r * cols, (int)cols))) {
            cJSON_Delete(a);
            return NULL;
        }
    return a;
}

int baseline_fit_json(const baseline *b, const double cov[][NF * NF], cJSON *o)
{
    cJSON *in = NULL, *covs = NULL;
    if (!cJSON_AddNumberToObject(o, "error_rate", b->error_rate) ||
        !cJSON_AddNumberToObject(o, "error_rate_se", b->error_rate_se) ||
        !cJSON_AddNumberToObject(o, "error_rate_sd", b->error_rate_sd) ||
        !cJSON_AddNumberToObject(o, "rows", (double)b->rows) ||
        !(in = cJSON_AddObjectToObject(o, "inputs")) ||
        !cJSON_AddItemToObject(in, "class_means", matrix(&b->mean[0][0], b->nclasses, NF)) ||
        !(covs = cJSON_AddArrayToObject(in, "class_covariances")))
        return -1;
    for (size_t k = 0; k < b->nclasses; k++)
        if (!cJSON_AddItemToArray(covs, matrix(cov[k], NF, NF)))
            return -1;
    if (!cJSON_AddNumberToObject(in, "atypical_distance2", b->atypical_d2) ||
        !cJSON_AddNumberToObject(in, "atypical_rate", b->atypical_rate) ||
        !cJSON_AddNumberToObject(in, "atypical_rate_se", b->atypical_rate_se) ||
        !cJSON_AddItemToObject(in, "feature_means", cJSON_CreateDoubleArray(b->feature_mean, NF)) ||
        !cJSON_AddItemToObject(in, "feature_sds", cJSON_CreateDoubleArray(b->feature_sd, NF)))
        return -1;
    return 0;
}
