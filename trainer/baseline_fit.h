/* baseline_fit.h: measures a model's baseline (model/baseline.h) at training
 * time: the leader's cross-validated error rate and the input reference. */
#ifndef IRIS_BASELINE_FIT_H
#define IRIS_BASELINE_FIT_H

#include "model/baseline.h"
#include "trainer/trainset.h"
#include "trainer/leaderboard.h"

#include <cjson/cJSON.h>

/* Fills b from the leader's cross-validation row and the training rows of d:
 * per-class means and covariances (a class whose covariance is singular gets
 * a ridge of 1e-6 times its largest variance), the atypical distance
 * BASELINE_ATYPICAL_D2, and the share of rows that are atypical when each row
 * is left out of its class's mean and covariance.  Returns 0, or -1 with err
 * when a class has fewer than 6 rows. */
int baseline_fit(const trainset *d, const leaderboard_row *leader, baseline *b,
                 double cov[][MODEL_NFEATURES * MODEL_NFEATURES], char *err, size_t errlen);

/* Mean and sample covariance (divisor n - 1) of the rows of class k other
 * than row skip (SIZE_MAX: every row); returns the number of rows used. */
size_t baseline_fit_class_moments(const trainset *d, int k, size_t skip, double *mean, double *cov);

/* The inverse Cholesky factor linv of cov; while cov is not positive
 * definite, 1e-6 of its largest variance (or 1e-6) is added to its diagonal,
 * in place. */
void baseline_fit_inverse_factor(double *cov, double *linv);

/* Writes the artifact's "monitoring" members for b and the covariances
 * baseline_fit wrote into o (the caller's object).  Returns 0, or -1 when out
 * of memory. */
int baseline_fit_json(const baseline *b, const double cov[][MODEL_NFEATURES * MODEL_NFEATURES],
                      cJSON *o);

#endif
