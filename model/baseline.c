/* baseline.c: the artifact's "monitoring" object: reading, validating, and
 * the per-record distance the input-drift test uses. */
#include "model/baseline.h"
#include "model/model_impl.h"
#include "model/model_json.h"
#include "model/numeric.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define NF MODEL_NFEATURES

const baseline *model_baseline(const model *m)
{
    return &m->baseline;
}

double baseline_mahalanobis2(const double linv[NF * NF], const double mean[NF], const double x[NF])
{
    double d2 = 0;
    for (size_t i = 0; i < NF; i++) {
        double s = 0;
        for (size_t j = 0; j <= i; j++)
            s += linv[i * NF + j] * (x[j] - mean[j]);
        d2 += s * s;
    }
    return d2;
}

/* The squared Mahalanobis distance from x to the mean of class k. */
static double class_distance2(const baseline *b, size_t k, const double x[NF])
{
    return baseline_mahalanobis2(b->linv[k], b->mean[k], x);
}

double baseline_distance2(const baseline *b, const double x[NF])
{
    double best = INFINITY;
    for (size_t k = 0; k < b->nclasses; k++) {
        double d2 = class_distance2(b, k, x);
        if (d2 < best)
            best = d2;
    }
    return best;
}

/* The smallest distance is above the threshold exactly when every class's
 * is, so the first class within it decides: most flowers cost one or two
 * classes instead of all (the per-record cost of the input-drift test). */
int baseline_atypical(const baseline *b, const double x[NF])
{
    for (size_t k = 0; k < b->nclasses; k++)
        if (class_distance2(b, k, x) <= b->atypical_d2)
            return 0;
    return 1;
}

/* The member name of obj (at path), a finite number in [lo, hi]. */
static int read_number(model_json_ctx *c, const cJSON *obj, const char *path, const char *name,
                       double lo, double hi, double *out)
{
    char p[96];
    model_json_join(p, sizeof p, path, name);
    const cJSON *j = model_json_member(c, obj, path, name);
    return j ? model_json_number_in(c, j, p, lo, hi, 0, out) : -1;
}

static int read_accuracy(model_json_ctx *c, const cJSON *mon, baseline *b)
{
    double rows;
    if (read_number(c, mon, "monitoring", "error_rate", 0, 0.999, &b->error_rate) != 0 ||
        read_number(c, mon, "monitoring", "error_rate_se", 0, 1, &b->error_rate_se) != 0 ||
        read_number(c, mon, "monitoring", "error_rate_sd", 0, 1, &b->error_rate_sd) != 0 ||
        read_number(c, mon, "monitoring", "rows", 1, 1e12, &rows) != 0)
        return -1;
    b->rows = (size_t)rows;
    return 0;
}

static int read_covariances(model_json_ctx *c, const cJSON *in, baseline *b)
{
    const cJSON *j = model_json_array_of(c, in, "monitoring.inputs", "class_covariances",
                                         b->nclasses, "4 x 4 matrices (one per class)");
    if (!j)
        return -1;
    size_t k = 0;
    for (const cJSON *e = j->child; e; e = e->next, k++) {
        char p[64];
        double cov[NF * NF], l[NF * NF];
        snprintf(p, sizeof p, "monitoring.inputs.class_covariances[%zu]", k);
        if (model_json_matrix(c, e, p, cov, NF, NF) != 0)
            return -1;
        for (size_t i = 0; i < NF; i++)
            for (size_t t = 0; t < i; t++)
                if (fabs(cov[i * NF + t] - cov[t * NF + i]) >
                    1e-12 * (fabs(cov[i * NF + t]) + fabs(cov[t * NF + i]))) {
                    model_json_fail(c, p, "not symmetric at [%zu][%zu]", i, t);
                    return -1;
                }
        if (numeric_cholesky(NF, cov, l) != 0) {
            model_json_fail(c, p, "not positive definite");
            return -1;
        }
        numeric_invert_lower(NF, l, b->linv[k]);
    }
    return 0;
}

static int read_inputs(model_json_ctx *c, const cJSON *mon, baseline *b)
{
    const cJSON *in = model_json_object(c, mon, "monitoring", "inputs");
    const char *path = "monitoring.inputs";
    if (!in ||
        model_json_member_matrix(c, in, path, "class_means", &b->mean[0][0], b->nclasses, NF) !=
            0 ||
        read_covariances(c, in, b) != 0 ||
        read_number(c, in, path, "atypical_distance2", 1e-6, 1e6, &b->atypical_d2) != 0 ||
        read_number(c, in, path, "atypical_rate", 0, 0.999, &b->atypical_rate) != 0 ||
        read_number(c, in, path, "atypical_rate_se", 0, 1, &b->atypical_rate_se) != 0)
        return -1;
    const cJSON *fm = model_json_member(c, in, path, "feature_means");
    const cJSON *fs = model_json_member(c, in, path, "feature_sds");
    if (!fm || !fs ||
        !model_json_numbers(c, fm, "monitoring.inputs.feature_means", b->feature_mean, NF) ||
        !model_json_numbers(c, fs, "monitoring.inputs.feature_sds", b->feature_sd, NF) ||
        model_json_positive(c, "monitoring.inputs.feature_sds", b->feature_sd, NF) != 0)
        return -1;
    return 0;
}

int baseline_read(const struct cJSON *root, const char *src, size_t nclasses, baseline *b,
                  char *err, size_t errlen)
{
    model_json_ctx c = {src, err, errlen};
    memset(b, 0, sizeof *b);
    const cJSON *mon = cJSON_GetObjectItemCaseSensitive(root, "monitoring");
    if (mon == NULL)
        return 0;
    if (!cJSON_IsObject(mon)) {
        model_json_fail(&c, "monitoring", "expected an object, got %s", model_json_type_name(mon));
        return -1;
    }
    b->nclasses = nclasses;
    if (read_accuracy(&c, mon, b) != 0 || read_inputs(&c, mon, b) != 0)
        return -1;
    b->present = 1;
    return 0;
}
