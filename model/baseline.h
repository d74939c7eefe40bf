/* baseline.h: what "healthy" looks like for a model, as measured at training
 * time and carried in the artifact's "monitoring" object (model/README.md):
 *
 *  - the expected error rate on new data (the cross-validation's pooled
 *    out-of-fold error rate) and its uncertainty;
 *  - the input reference: per-class means and covariances of the training
 *    features (centimetres), the squared Mahalanobis distance beyond which a
 *    record counts as atypical, and the share of training rows that are
 *    atypical when each is left out of the fit (the rate a clean stream
 *    shows); per-feature means and standard deviations to say what moved.
 *
 * The alert policy (lambda/monitor.h) tests the stream against these.  Read
 * only after loading; nothing here allocates.
 */
#ifndef IRIS_BASELINE_H
#define IRIS_BASELINE_H

#include <stddef.h>

#include "model/model.h"

/* The chi-square(4) quantile at 0.99: the default atypical distance. */
#define BASELINE_ATYPICAL_D2 13.276704135987622

typedef struct baseline {
    int present; /* 0: the artifact has no "monitoring" object */
    /* Accuracy: share of wrong predictions expected on a clean stream. */
    double error_rate;
    double error_rate_se; /* binomial standard error over the training rows */
    double error_rate_sd; /* spread across the cross-validation repeats */
    size_t rows;          /* training rows behind the estimates */
    /* Inputs. */
    size_t nclasses;
    double mean[MODEL_MAX_CLASSES][MODEL_NFEATURES];                   /* per class, centimetres */
    double linv[MODEL_MAX_CLASSES][MODEL_NFEATURES * MODEL_NFEATURES]; /* inverse Cholesky
                                                                          factor of each class
                                                                          covariance */
    double atypical_d2;      /* a record is atypical when its distance to every class exceeds it */
    double atypical_rate;    /* leave-one-out share of atypical training rows */
    double atypical_rate_se; /* its binomial standard error */
    double feature_mean[MODEL_NFEATURES], feature_sd[MODEL_NFEATURES];
} baseline;

/* The model's baseline (present == 0 when its artifact has none); owned by
 * the model. */
const baseline *model_baseline(const model *m);

/* The squared Mahalanobis distance from x to mean through linv, the inverse
 * Cholesky factor of the covariance (lower triangular, row-major NF x NF):
 * |linv (x - mean)|^2.  The trainer measures its reference with it too. */
double baseline_mahalanobis2(const double linv[MODEL_NFEATURES * MODEL_NFEATURES],
                             const double mean[MODEL_NFEATURES], const double x[MODEL_NFEATURES]);

/* The smallest squared Mahalanobis distance from x to a class mean. */
double baseline_distance2(const baseline *b, const double x[MODEL_NFEATURES]);

/* 1 when x is atypical: farther than atypical_d2 from every class. */
int baseline_atypical(const baseline *b, const double x[MODEL_NFEATURES]);

struct cJSON;

/* For the artifact loader: reads the optional "monitoring" member of the
 * artifact root into b (present = 0 when it is absent).  Returns 0, or -1
 * with "SRC: field \"monitoring.PATH\": what was wrong" in err. */
int baseline_read(const struct cJSON *root, const char *src, size_t nclasses, baseline *b,
                  char *err, size_t errlen);

#endif
