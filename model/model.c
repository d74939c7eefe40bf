/* model.c: loads a model artifact (format in model/README.md) into a compact
 * read-only form and scores flowers with it.
 *
 * Every family is reduced at load time to one of four scoring kinds:
 *   linear     glm, lda   softmax(b + W x), standardisation folded into W, b
 *   quadratic  qda, gnb   softmax(c_k - |L_k^-1 (z - mu_k)|^2 / 2)
 *   knn        knn        vote shares among the k nearest training points
 *   trees      gbm        softmax(init + sum of the trees' leaf values)
 * where z = (x - mean) / scale is the standardised flower. */
#include "model/model.h"
#include "model/model_impl.h"
#include "model/numeric.h"
#include "model/schema.h"

#include <stdlib.h>
#include <string.h>

void model_free(model *m)
{
    if (!m)
        return;
    for (size_t k = 0; k < m->nclasses; k++)
        free(m->class_names[k]);
    for (size_t j = 0; j < m->nfeatures; j++)
        free(m->feature_names[j]);
    free(m->points);
    free(m->labels);
    free(m->roots);
    free(m->nodes);
    free(m->linv);
    free(m);
}

size_t model_num_classes(const model *m)
{
    return m->nclasses;
}

const char *model_class_name(const model *m, size_t k)
{
    return k < m->nclasses ? m->class_names[k] : NULL;
}

int model_class_index(const model *m, const char *name)
{
    return schema_label_index((const char *const *)m->class_names, m->nclasses, name, strlen(name));
}

size_t model_num_features(const model *m)
{
    return m->nfeatures;
}

const char *model_feature_name(const model *m, size_t j)
{
    return j < m->nfeatures ? m->feature_names[j] : NULL;
}

int model_feature_index(const model *m, const char *name, size_t len)
{
    char key[SCHEMA_NAME_MAX + 1], fkey[SCHEMA_NAME_MAX + 1];
    if (schema_key(name, len, key) < 0)
        return -1;
    for (size_t j = 0; j < m->nfeatures; j++)
        if (schema_key(m->feature_names[j], strlen(m->feature_names[j]), fkey) >= 0 &&
            strcmp(key, fkey) == 0)
            return (int)j;
    return -1;
}

int model_has_features(const model *m, const char *const *names, size_t n)
{
    if (n != m->nfeatures)
        return 0;
    for (size_t j = 0; j < n; j++)
        if (model_feature_index(m, names[j], strlen(names[j])) != (int)j)
            return 0;
    return 1;
}

const char *model_family(const model *m)
{
    return m->family;
}

const char *model_id(const model *m)
{
    return m->id;
}

const char *model_label_name(const model *m)
{
    return m->label;
}

void model_standardize(const model *m, const double *x, double *z)
{
    for (size_t j = 0; j < m->nfeatures; j++)
        z[j] = (x[j] - m->mean[j]) / m->scale[j];
}

/* The iris models (4 features) take an unrolled path: the bootstrap's hot loop. */
static void scores_linear(const model *m, const double *x, double *s)
{
    if (m->nfeatures == 4) {
        for (size_t k = 0; k < m->nclasses; k++) {
            const double *w = m->w[k];
            s[k] = m->b[k] + w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3];
        }
        return;
    }
    for (size_t k = 0; k < m->nclasses; k++) {
        double v = m->b[k];
        for (size_t j = 0; j < m->nfeatures; j++)
            v += m->w[k][j] * x[j];
        s[k] = v;
    }
}

/* c_k - |L_k^-1 (z - mu_k)|^2 / 2 with nf features; inlined with nf = 4 for iris. */
static inline __attribute__((always_inline)) void quadratic_nf(const model *m, const double *x,
                                                               double *s, size_t nf)
{
    double z[MODEL_NF_MAX];
    for (size_t j = 0; j < nf; j++)
        z[j] = (x[j] - m->mean[j]) / m->scale[j];
    for (size_t k = 0; k < m->nclasses; k++) {
        const double *mu = m->mu[k], *li = m->linv[k];
        double d[MODEL_NF_MAX], q = 0;
        for (size_t j = 0; j < nf; j++)
            d[j] = z[j] - mu[j];
        for (size_t i = 0; i < nf; i++) {
            double y = 0;
            for (size_t j = 0; j <= i; j++)
                y += li[i * nf + j] * d[j];
            q += y * y;
        }
        s[k] = m->c[k] - 0.5 * q;
    }
}

static void scores_quadratic(const model *m, const double *x, double *s)
{
    if (m->nfeatures == 4)
        quadratic_nf(m, x, s, 4);
    else
        quadratic_nf(m, x, s, m->nfeatures);
}

/* The k nearest points by squared Euclidean distance in the standardised
 * space, ties broken by the lower point index; probabilities are vote shares
 * and the prediction is the most voted class (the lowest index on ties).
 * Inlined with nf = 4 for iris. */
static inline __attribute__((always_inline)) int knn_nf(const model *m, const double *x,
                                                        double *probs, size_t nf)
{
    double z[MODEL_NF_MAX], bestd[MODEL_KNN_MAX_K];
    size_t besti[MODEL_KNN_MAX_K], nbest = 0;
    for (size_t j = 0; j < nf; j++)
        z[j] = (x[j] - m->mean[j]) / m->scale[j];
    for (size_t i = 0; i < m->npoints; i++) {
        const double *p = m->points + i * nf;
        double d = 0;
        for (size_t j = 0; j < nf; j++)
            d += (z[j] - p[j]) * (z[j] - p[j]);
        if (nbest == m->k && !(d < bestd[nbest - 1]))
            continue;
        size_t pos = nbest < m->k ? nbest++ : nbest - 1;
        while (pos > 0 && d < bestd[pos - 1]) {
            bestd[pos] = bestd[pos - 1];
            besti[pos] = besti[pos - 1];
            pos--;
        }
        bestd[pos] = d;
        besti[pos] = i;
    }
    for (size_t c = 0; c < m->nclasses; c++)
        probs[c] = 0;
    for (size_t i = 0; i < nbest; i++)
        probs[m->labels[besti[i]]] += 1;
    int best = 0;
    for (size_t c = 1; c < m->nclasses; c++)
        if (probs[c] > probs[best])
            best = (int)c;
    for (size_t c = 0; c < m->nclasses; c++)
        probs[c] /= (double)m->k;
    return best;
}

static int predict_knn(const model *m, const double *x, double *probs)
{
    return m->nfeatures == 4 ? knn_nf(m, x, probs, 4) : knn_nf(m, x, probs, m->nfeatures);
}

static void scores_trees(const model *m, const double *x, double *s)
{
    double z[MODEL_NF_MAX];
    model_standardize(m, x, z);
    for (size_t k = 0; k < m->nclasses; k++)
        s[k] = m->b[k];
    for (size_t t = 0; t < m->ntrees; t++) {
        const model_node *n = m->nodes + m->roots[t].root;
        while (n->feature >= 0)
            n = m->nodes + (z[n->feature] < n->threshold ? n->left : n->right);
        s[m->roots[t].cls] += n->value;
    }
}

int model_class_scores(const model *m, const double *x, double *scores)
{
    switch (m->kind) {
    case MODEL_KIND_LINEAR:
        scores_linear(m, x, scores);
        return 0;
    case MODEL_KIND_QUADRATIC:
        scores_quadratic(m, x, scores);
        return 0;
    case MODEL_KIND_TREES:
        scores_trees(m, x, scores);
        return 0;
    case MODEL_KIND_KNN:
        break;
    }
    return -1;
}

int model_predict(const model *m, const double *x, double *probs)
{
    if (m->kind == MODEL_KIND_KNN)
        return predict_knn(m, x, probs);
    double s[MODEL_MAX_CLASSES];
    model_class_scores(m, x, s);
    return numeric_softmax(m->nclasses, s, probs);
}
