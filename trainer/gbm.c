/* gbm.c: gradient-boosted regression trees for K classes (Friedman 2001,
 * "Greedy function approximation", the multinomial deviance algorithm, as in
 * H2O's GBM and R's gbm).
 *
 * Scores start at the log class shares.  Each round fits, for every class, a
 * least-squares regression tree of depth <= depth to the residuals
 * r = y_k - p_k, and sets each leaf to the one-step Newton value
 * (K-1)/K * sum r / sum |r|(1-|r|), times the learning rate.  Splits are
 * chosen exhaustively over features presorted once per fit, at midpoints
 * between distinct values, with at least MIN_ROWS rows per leaf; ties go to
 * the first feature and the lowest threshold, so fits are deterministic. */
#include "trainer/learner.h"
#include "model/numeric.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_ROWS 5
#define MAX_DEPTH 8

typedef struct {
    int feature; /* -1: leaf */
    double threshold;
    int left, right; /* absolute node indices */
    double value;
} gbm_node;

typedef struct {
    size_t k, ntrees, nnodes;
    double init[MODEL_MAX_CLASSES];
    size_t *root; /* ntrees + 1: tree t is nodes [root[t], root[t + 1]) */
    int *cls;
    gbm_node *nodes;
} gbm_fit;

/* Scratch space for growing one tree. */
typedef struct {
    size_t n, nf, depth;
    const double *z;
    const int *order; /* nf x n: rows sorted by each feature */
    const double *r;  /* residuals */
    int *node_of;     /* the node each row is in */
    gbm_fit *g;
} grower;

static void gbm_free(void *fit)
{
    gbm_fit *g = fit;
    if (!g)
        return;
    free(g->root);
    free(g->cls);
    free(g->nodes);
    free(g);
}

static double leaf_value(const grower *w, int node, size_t k, double rate)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->node_of[i] == node) {
            double a = fabs(w->r[i]);
            num += w->r[i];
            den += a * (1 - a);
        }
    if (den < 1e-12)
        return 0;
    return rate * ((double)(k - 1) / (double)k) * num / den;
}

/* Grows the subtree at node (already appended) holding the rows marked with it. */
static void grow(grower *w, int node, size_t depth, size_t k, double rate)
{
    gbm_fit *g = w->g;
    size_t cnt = 0;
    double sum = 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->node_of[i] == node) {
            cnt++;
            sum += w->r[i];
        }
    int best_f = -1;
    double best_gain = 1e-12, best_t = 0;
    if (depth < w->depth && cnt >= 2 * MIN_ROWS) {
        for (int f = 0; f < (int)w->nf; f++) {
            const int *ord = w->order + (size_t)f * w->n;
            size_t nl = 0;
            double sl = 0, prev = 0;
            for (size_t s = 0; s < w->n; s++) {
                size_t i = (size_t)ord[s];
                if (w->node_of[i] != node)
                    continue;
                double v = w->z[i * w->nf + (size_t)f];
                if (nl >= MIN_ROWS && cnt - nl >= MIN_ROWS && v > prev) {
                    double sr = sum - sl;
                    double gain = sl * sl / (double)nl + sr * sr / (double)(cnt - nl) -
                                  sum * sum / (double)cnt;
                    if (gain > best_gain) {
                        best_gain = gain;
                        best_f = f;
                        best_t = 0.5 * (prev + v);
                        if (!(prev < best_t))
                            best_t = v;
                    }
                }
                nl++;
                sl += w->r[i];
                prev = v;
            }
        }
    }
    if (best_f < 0) {
        g->nodes[node] = (gbm_node){-1, 0, -1, -1, leaf_value(w, node, k, rate)};
        return;
    }
    int left = (int)g->nnodes++, right = (int)g->nnodes++;
    g->nodes[node] = (gbm_node){best_f, best_t, left, right, 0};
    for (size_t i = 0; i < w->n; i++)
        if (w->node_of[i] == node)
            w->node_of[i] = w->z[i * w->nf + (size_t)best_f] < best_t ? left : right;
    grow(w, left, depth + 1, k, rate);
    grow(w, right, depth + 1, k, rate);
}

static double tree_value(const gbm_fit *g, size_t t, const double *z)
{
    const gbm_node *nd = g->nodes + g->root[t];
    while (nd->feature >= 0)
        nd = g->nodes + (z[nd->feature] < nd->threshold ? nd->left : nd->right);
    return nd->value;
}

static void *gbm_train(const double *param, const double *z, const int *y, size_t n, size_t nf,
                       size_t k, char *err, size_t errlen)
{
    size_t depth = (size_t)param[0], rounds = (size_t)param[1];
    double rate = param[2];
    size_t max_nodes = ((size_t)2 << depth) - 1;
    grower w = {.n = n, .nf = nf, .depth = depth, .z = z};
    int *order = NULL;
    double *score = NULL, *resid = NULL, *prob = NULL;
    gbm_fit *g = NULL;
    if (depth < 1 || depth > MAX_DEPTH || rounds < 1 || !(rate > 0)) {
        snprintf(err, errlen, "gbm: bad parameters depth %zu, ntrees %zu, learn_rate %g", depth,
                 rounds, rate);
        return NULL;
    }
    g = calloc(1, sizeof *g);
    order = malloc(nf * n * sizeof *order);
    score = malloc(n * k * sizeof *score);
    prob = malloc(n * k * sizeof *prob);
    resid = malloc(n * sizeof *resid);
    w.node_of = malloc(n * sizeof *w.node_of);
    if (g) {
        g->root = malloc((rounds * k + 1) * sizeof *g->root);
        g->cls = malloc(rounds * k * sizeof *g->cls);
        g->nodes = malloc(rounds * k * max_nodes * sizeof *g->nodes);
    }
    if (!g || !order || !score || !prob || !resid || !w.node_of || !g->root || !g->cls ||
        !g->nodes) {
        snprintf(err, errlen, "gbm: out of memory");
        gbm_free(g);
        g = NULL;
        goto cleanup;
    }
    /* Presort the rows by each feature (insertion sort: n is small, and it
     * is stable, so equal values stay in row order). */
    for (size_t f = 0; f < nf; f++) {
        int *ord = order + f * n;
        for (size_t i = 0; i < n; i++) {
            size_t p = i;
            double v = z[i * nf + f];
            while (p > 0 && z[(size_t)ord[p - 1] * nf + f] > v) {
                ord[p] = ord[p - 1];
                p--;
            }
            ord[p] = (int)i;
        }
    }
    g->k = k;
    size_t count[MODEL_MAX_CLASSES] = {0};
    for (size_t i = 0; i < n; i++)
        count[y[i]]++;
    for (size_t c = 0; c < k; c++)
        g->init[c] = log(((double)count[c] + 0.5) / ((double)n + 0.5 * (double)k));
    for (size_t i = 0; i < n; i++)
        memcpy(score + i * k, g->init, k * sizeof *score);
    w.order = order;
    w.r = resid;
    w.g = g;
    for (size_t m = 0; m < rounds; m++) {
        for (size_t i = 0; i < n; i++)
            numeric_softmax(k, score + i * k, prob + i * k);
        for (size_t c = 0; c < k; c++) {
            size_t t = g->ntrees++;
            g->root[t] = g->nnodes;
            g->cls[t] = (int)c;
            for (size_t i = 0; i < n; i++) {
                resid[i] = (y[i] == (int)c) - prob[i * k + c];
                w.node_of[i] = (int)g->nnodes;
            }
            g->nnodes++;
            grow(&w, (int)g->root[t], 0, k, rate);
            for (size_t i = 0; i < n; i++)
                score[i * k + c] += tree_value(g, t, z + i * nf);
        }
    }
    g->root[g->ntrees] = g->nnodes;
cleanup:
    free(w.node_of);
    free(resid);
    free(prob);
    free(score);
    free(order);
    return g;
}

static void gbm_predict(const void *fit, const double *z, double *probs)
{
    const gbm_fit *g = fit;
    double s[MODEL_MAX_CLASSES];
    memcpy(s, g->init, g->k * sizeof *s);
    for (size_t t = 0; t < g->ntrees; t++)
        s[g->cls[t]] += tree_value(g, t, z);
    numeric_softmax(g->k, s, probs);
}

static cJSON *tree_json(const gbm_fit *g, size_t t)
{
    size_t base = g->root[t], m = g->root[t + 1] - base;
    int *feat = malloc(m * sizeof *feat), *left = malloc(m * sizeof *left);
    int *right = malloc(m * sizeof *right);
    double *thr = malloc(m * sizeof *thr), *val = malloc(m * sizeof *val);
    cJSON *o = NULL;
    if (feat && left && right && thr && val) {
        for (size_t i = 0; i < m; i++) {
            const gbm_node *nd = g->nodes + base + i;
            feat[i] = nd->feature;
            thr[i] = nd->threshold;
            left[i] = nd->feature < 0 ? -1 : nd->left - (int)base;
            right[i] = nd->feature < 0 ? -1 : nd->right - (int)base;
            val[i] = nd->value;
        }
        o = cJSON_CreateObject();
        if (o && !(cJSON_AddNumberToObject(o, "class", g->cls[t]) &&
                   cJSON_AddItemToObject(o, "feature", cJSON_CreateIntArray(feat, (int)m)) &&
                   cJSON_AddItemToObject(o, "threshold", cJSON_CreateDoubleArray(thr, (int)m)) &&
                   cJSON_AddItemToObject(o, "left", cJSON_CreateIntArray(left, (int)m)) &&
                   cJSON_AddItemToObject(o, "right", cJSON_CreateIntArray(right, (int)m)) &&
                   cJSON_AddItemToObject(o, "value", cJSON_CreateDoubleArray(val, (int)m)))) {
            cJSON_Delete(o);
            o = NULL;
        }
    }
    free(val);
    free(thr);
    free(right);
    free(left);
    free(feat);
    return o;
}

static cJSON *gbm_export(const void *fit)
{
    const gbm_fit *g = fit;
    cJSON *o = cJSON_CreateObject(), *trees = NULL, *result = NULL;
    if (!o || !cJSON_AddItemToObject(o, "init", cJSON_CreateDoubleArray(g->init, (int)g->k)) ||
        !(trees = cJSON_AddArrayToObject(o, "trees")))
        goto cleanup;
    for (size_t t = 0; t < g->ntrees; t++)
        if (!cJSON_AddItemToArray(trees, tree_json(g, t)))
            goto cleanup;
    result = o;
    o = NULL;
cleanup:
    cJSON_Delete(o);
    return result;
}

static const double gbm_grid[][LEARNER_MAX_PARAMS] = {
    {2, 50, 0.1}, {2, 100, 0.1}, {3, 50, 0.1}, {3, 100, 0.1}};

const learner_family learner_gbm = {
    .name = "gbm",
    .param_names = {"depth", "ntrees", "learn_rate"},
    .grid = gbm_grid,
    .ngrid = sizeof gbm_grid / sizeof gbm_grid[0],
    .fit = gbm_train,
    .predict = gbm_predict,
    .export_fit = gbm_export,
    .free_fit = gbm_free,
};
