/* cv.h: repeated stratified k-fold cross-validation plans and the
 * leaderboard's metrics. */
#ifndef IRIS_CV_H
#define IRIS_CV_H

#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t repeats, folds, n;
    int *fold; /* repeats x n: the fold of row i in repeat r is fold[r * n + i] */
} cv_plan;

/* Assigns folds for n rows with labels y in [0, k): in each repeat, each
 * class's rows are shuffled (seeded from seed) and dealt round-robin to the
 * folds, continuing where the previous class stopped, so every fold gets
 * nearly the same number of rows of every class.  Returns 0 or -1 when out of
 * memory.  Free with cv_plan_clear. */
int cv_plan_make(cv_plan *p, const int *y, size_t n, size_t k, size_t repeats, size_t folds,
                 uint64_t seed);
void cv_plan_clear(cv_plan *p);

/* Metrics over a set of predictions, as H2O reports them for multinomial
 * models.  mse is the mean of (1 - p_true)^2 and rmse its root; logloss is
 * the mean of -log max(p_true, 1e-15); mean_per_class_error the mean over
 * classes of the share of that class's rows whose most probable class is
 * wrong. */
typedef struct {
    double mean_per_class_error, logloss, rmse, mse;
    double mpce_sd; /* standard deviation of the per-repeat mean per-class error */
} cv_metrics;

/* Metrics of repeats x n out-of-fold predictions (probs is repeats x n x k,
 * row-major; the predicted class is the first most probable one): pooled
 * over all repeats, plus the spread between repeats. */
void cv_metrics_compute(const double *probs, const int *y, size_t n, size_t k, size_t repeats,
                        cv_metrics *out);

/* What the metrics need of one repeat's predictions, so that a leaderboard
 * keeps a few numbers per candidate and repeat instead of every probability. */
typedef struct {
    size_t total[MODEL_MAX_CLASSES], wrong[MODEL_MAX_CLASSES]; /* rows, wrongly predicted rows */
    double logloss_sum, se_sum; /* sums of -log max(p_true, 1e-15) and (1 - p_true)^2 */
} cv_tally;

/* Tallies n predictions (probs is n x k) into t (zeroed first). */
void cv_tally_make(cv_tally *t, const double *probs, const int *y, size_t n, size_t k);

/* cv_metrics_compute's figures from one tally per repeat. */
void cv_metrics_from_tallies(const cv_tally *t, size_t repeats, size_t k, cv_metrics *out);

#endif
