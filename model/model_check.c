/* model_check.c: refuses, at load time, a model that cannot produce
 * probabilities.  A well-formed artifact can still hold finite but extreme
 * numbers (weights of 1e308, a scale of 1e-300) that overflow as soon as a
 * record is scored, giving NaN or all-zero probabilities for every record.
 * So the loader scores probe points derived from the artifact itself:
 *
 *   - the centre of the training data (standardize.mean);
 *   - the centre moved 3 standard deviations (standardize.scale) up and down
 *     along each feature in turn;
 *   - each class mean, for the families that store them (lda, qda, gnb);
 *   - the first stored training points, for knn;
 *
 * and requires at every probe finite class scores no larger in magnitude
 * than MODEL_MAX_SCORE, and probabilities that are finite, in [0, 1] and sum
 * to 1 within MODEL_PROB_TOLERANCE.  Trees are also bounded statically: no
 * path through the trees can add up to a score beyond MODEL_MAX_SCORE. */
#include "model/model_impl.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* 2^53: beyond it a score no longer resolves a difference of 1, so the
 * probabilities (which depend on score differences) are noise. */
#define MODEL_MAX_SCORE 9007199254740992.0
#define MODEL_PROB_TOLERANCE 1e-9
/* No measured feature varies this little; dividing by it overflows. */
#define MODEL_MIN_SCALE 1e-100
#define MODEL_KNN_PROBES 8

typedef struct {
    const model *m;
    char *err;
    size_t errlen;
} check_ctx;

__attribute__((format(printf, 2, 3))) static int check_fail(check_ctx *c, const char *fmt, ...)
{
    if (!c->errlen)
        return -1;
    int n = snprintf(c->err, c->errlen, "the model cannot produce probabilities: ");
    if (n > 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int check_scale(check_ctx *c)
{
    const model *m = c->m;
    for (size_t j = 0; j < m->nfeatures; j++)
        if (!(m->scale[j] >= MODEL_MIN_SCALE) || m->scale[j] < DBL_EPSILON * fabs(m->mean[j]))
            return check_fail(c,
                              "standardize.scale[%zu] = %g is too small for a standard deviation "
                              "(mean %g): at least %g and 2^-52 of the mean's magnitude",
                              j, m->scale[j], m->mean[j], MODEL_MIN_SCALE);
    return 0;
}

/* The probabilities at x: finite, in [0, 1], summing to 1. */
static int check_probs(check_ctx *c, const double *x, const char *probe)
{
    double p[MODEL_MAX_CLASSES], sum = 0;
    model_predict(c->m, x, p);
    for (size_t k = 0; k < c->m->nclasses; k++) {
        if (!(p[k] >= 0 && p[k] <= 1))
            return check_fail(c, "at %s, class \"%s\" has probability %g", probe,
                              c->m->class_names[k], p[k]);
        sum += p[k];
    }
    if (!(fabs(sum - 1) <= MODEL_PROB_TOLERANCE))
        return check_fail(c, "at %s, the probabilities sum to %.17g, not 1", probe, sum);
    return 0;
}

static int check_point(check_ctx *c, const double *x, const char *probe)
{
    const model *m = c->m;
    if (m->kind == MODEL_KIND_KNN) {
        double z[MODEL_NF_MAX];
        model_standardize(m, x, z);
        for (size_t j = 0; j < m->nfeatures; j++)
            if (!isfinite(z[j]))
                return check_fail(c, "at %s, standardised feature %zu is %g", probe, j, z[j]);
        return check_probs(c, x, probe);
    }
    double s[MODEL_MAX_CLASSES];
    model_class_scores(m, x, s);
    for (size_t k = 0; k < m->nclasses; k++)
        if (!(fabs(s[k]) <= MODEL_MAX_SCORE))
            return check_fail(c, "at %s, class \"%s\" scores %g (the limit is +-2^53)", probe,
                              m->class_names[k], s[k]);
    return check_probs(c, x, probe);
}

/* x = mean + scale * z for a point z of the standardised space. */
static void unstandardize(const model *m, const double *z, double *x)
{
    for (size_t j = 0; j < m->nfeatures; j++)
        x[j] = m->mean[j] + m->scale[j] * z[j];
}

static int check_axes(check_ctx *c)
{
    const model *m = c->m;
    double z[MODEL_NF_MAX] = {0}, x[MODEL_NF_MAX];
    unstandardize(m, z, x);
    if (check_point(c, x, "the centre of the training data (standardize.mean)") != 0)
        return -1;
    for (size_t j = 0; j < m->nfeatures; j++)
        for (int sign = -1; sign <= 1; sign += 2) {
            char probe[160];
            memset(z, 0, sizeof z);
            z[j] = 3.0 * sign;
            unstandardize(m, z, x);
            snprintf(probe, sizeof probe, "the centre %c 3 standard deviations of %s",
                     sign < 0 ? '-' : '+', m->feature_names[j]);
            if (check_point(c, x, probe) != 0)
                return -1;
        }
    return 0;
}

static int check_class_means(check_ctx *c)
{
    const model *m = c->m;
    if (strcmp(m->family, "lda") != 0 && strcmp(m->family, "qda") != 0 &&
        strcmp(m->family, "gnb") != 0)
        return 0;
    for (size_t k = 0; k < m->nclasses; k++) {
        double x[MODEL_NF_MAX];
        char probe[128];
        unstandardize(m, m->mu[k], x);
        snprintf(probe, sizeof probe, "the mean of class \"%s\" (fitted.means[%zu])",
                 m->class_names[k], k);
        if (check_point(c, x, probe) != 0)
            return -1;
    }
    return 0;
}

static int check_knn_points(check_ctx *c)
{
    const model *m = c->m;
    for (size_t i = 0; m->kind == MODEL_KIND_KNN && i < m->npoints && i < MODEL_KNN_PROBES; i++) {
        double x[MODEL_NF_MAX];
        char probe[64];
        unstandardize(m, m->points + i * m->nfeatures, x);
        snprintf(probe, sizeof probe, "fitted.points[%zu]", i);
        if (check_point(c, x, probe) != 0)
            return -1;
    }
    return 0;
}

/* The largest score any input can reach: a class's initial score plus, for
 * each of its trees, the leaf value of largest magnitude. */
static int check_tree_bound(check_ctx *c)
{
    const model *m = c->m;
    if (m->kind != MODEL_KIND_TREES)
        return 0;
    double bound[MODEL_MAX_CLASSES];
    for (size_t k = 0; k < m->nclasses; k++)
        bound[k] = fabs(m->b[k]);
    for (size_t t = 0; t < m->ntrees; t++) {
        size_t end = t + 1 < m->ntrees ? m->roots[t + 1].root : m->nnodes;
        double top = 0;
        for (size_t i = m->roots[t].root; i < end; i++)
            if (m->nodes[i].feature < 0)
                top = fmax(top, fabs(m->nodes[i].value));
        bound[m->roots[t].cls] += top;
    }
    for (size_t k = 0; k < m->nclasses; k++)
        if (!(bound[k] <= MODEL_MAX_SCORE))
            return check_fail(c,
                              "class \"%s\" can score up to %g through fitted.init and the trees' "
                              "leaf values (the limit is +-2^53)",
                              m->class_names[k], bound[k]);
    return 0;
}

int model_check_probes(const model *m, char *err, size_t errlen)
{
    check_ctx c = {m, err, errlen};
    if (check_scale(&c) != 0 || check_tree_bound(&c) != 0 || check_axes(&c) != 0 ||
        check_class_means(&c) != 0 || check_knn_points(&c) != 0)
        return -1;
    return 0;
}
