/* gbm.c: gradient-boosted regression trees for K classes (Friedman 2001,
 * "Greedy function approximation", the multinomial deviance algorithm, as in
 * H2O's GBM and R's gbm).
 *
 * Scores start at the log class shares.  Each round fits, for every class, a
 * least-squares regression tree of depth <= depth to the residuals
 * r = y_k - p_k, and sets each leaf to the one-step Newton value
 * (K-1)/K * sum r / sum |r|(1-|r|), times the learning rate.  Splits are
 * chosen over feature histograms (below), at midpoints between the values
 * present in the node, with at least MIN_ROWS rows per leaf; ties go to the
 * first feature and the lowest threshold, so fits are deterministic. */
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

/* Feature values are binned once per fit: with at most NBINS distinct
 * values in a feature (iris: measurements to 0.1 cm, a few dozen), each
 * distinct value is a bin and the splits are exactly the exhaustive ones;
 * with more, the bins are quantiles of the feature and only their
 * boundaries are split points.  A node then costs one pass over its own
 * rows (a histogram per feature), so a tree costs O(rows x features x
 * depth) instead of a pass over every row for every node. */
#define NBINS 256

typedef struct {
    size_t nbins;
    double lo[NBINS], hi[NBINS]; /* smallest and largest value in each bin */
} feature_bins;

/* One histogram bin: the residuals' sum and the rows' count. */
typedef struct {
    double sum, count;
} hbin;

/* Scratch space for growing one tree. */
typedef struct {
    size_t n, nf, depth, k, cls;
    const unsigned char *bin; /* n x nf: each row's bin of each feature */
    const feature_bins *bins; /* nf */
    const double *r;          /* residuals */
    int *rows, *tmp;          /* each node's rows are a range of rows, in row order */
    hbin *pool;               /* 2 (MAX_DEPTH + 1) histograms of nf x NBINS: two per depth */
    double *score;            /* n x k: the leaf values are added here */
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

/* The leaf value of rows[lo, hi), added to their scores. */
static double leaf_value(const grower *w, size_t lo, size_t hi, double rate)
{
    double num = 0, den = 0, v = 0;
    for (size_t s = lo; s < hi; s++) {
        double a = fabs(w->r[w->rows[s]]);
        num += w->r[w->rows[s]];
        den += a * (1 - a);
    }
    if (den >= 1e-12)
        v = rate * ((double)(w->k - 1) / (double)w->k) * num / den;
    for (size_t s = lo; s < hi; s++)
        w->score[(size_t)w->rows[s] * w->k + w->cls] += v;
    return v;
}

/* The histogram of rows[lo, hi): per feature and bin, residual sum and count. */
static void fill_hist(const grower *w, size_t lo, size_t hi, hbin *h)
{
    size_t nf = w->nf;
    memset(h, 0, nf * NBINS * sizeof *h);
    for (size_t s = lo; s < hi; s++) {
        size_t i = (size_t)w->rows[s];
        const unsigned char *b = w->bin + i * nf;
        double r = w->r[i];
        for (size_t f = 0; f < nf; f++) {
            hbin *e = &h[f * NBINS + b[f]];
            e->sum += r;
            e->count += 1;
        }
    }
}

/* The best split of a node of cnt rows whose residuals sum to sum, from its
 * histogram h: sets *feature (-1: none), *split_bin (rows in bins <= it go
 * left) and *threshold. */
static void best_split(const grower *w, const hbin *h, size_t cnt, double sum, int *feature,
                       size_t *split_bin, double *threshold)
{
    double best_gain = 1e-12;
    *feature = -1;
    for (size_t f = 0; f < w->nf; f++) {
        const feature_bins *fb = &w->bins[f];
        const hbin *hf = h + f * NBINS;
        size_t nl = 0, prev_bin = 0;
        double sl = 0, prev = 0;
        for (size_t b = 0; b < fb->nbins; b++) {
            size_t c = (size_t)hf[b].count;
            if (c == 0)
                continue;
            if (nl >= MIN_ROWS && cnt - nl >= MIN_ROWS) {
                double sr = sum - sl;
                double gain =
                    sl * sl / (double)nl + sr * sr / (double)(cnt - nl) - sum * sum / (double)cnt;
                if (gain > best_gain) {
                    best_gain = gain;
                    *feature = (int)f;
                    *split_bin = prev_bin;
                    *threshold = 0.5 * (prev + fb->lo[b]);
                    if (!(prev < *threshold))
                        *threshold = fb->lo[b];
                }
            }
            nl += c;
            sl += hf[b].sum;
            prev = fb->hi[b];
            prev_bin = b;
        }
    }
}

/* Grows the subtree at node (already appended) over rows[lo, hi); h is its
 * histogram when depth < the tree's depth (a node that may split). */
static void grow(grower *w, int node, size_t lo, size_t hi, size_t depth, double rate,
                 const hbin *h)
{
    gbm_fit *g = w->g;
    size_t cnt = hi - lo, split_bin = 0, nf = w->nf;
    double threshold = 0;
    int feature = -1;
    if (depth < w->depth && cnt >= 2 * MIN_ROWS) {
        double sum = 0;
        for (size_t s = lo; s < hi; s++)
            sum += w->r[w->rows[s]];
        best_split(w, h, cnt, sum, &feature, &split_bin, &threshold);
    }
    if (feature < 0) {
        g->nodes[node] = (gbm_node){-1, 0, -1, -1, leaf_value(w, lo, hi, rate)};
        return;
    }
    int left = (int)g->nnodes++, right = (int)g->nnodes++;
    g->nodes[node] = (gbm_node){feature, threshold, left, right, 0};
    /* Stable partition, both sides in row order (sums stay deterministic),
     * without a branch per row. */
    size_t nl = lo, nr = 0;
    for (size_t s = lo; s < hi; s++) {
        int i = w->rows[s];
        size_t go_left = w->bin[(size_t)i * nf + (size_t)feature] <= split_bin;
        w->rows[nl] = i;
        w->tmp[nr] = i;
        nl += go_left;
        nr += 1 - go_left;
    }
    memcpy(w->rows + nl, w->tmp, nr * sizeof *w->tmp);
    hbin *hl = NULL, *hr = NULL;
    if (depth + 1 < w->depth) {
        /* The smaller child's histogram by a pass over its rows, the larger
         * one's as the parent's less it. */
        hl = w->pool + (2 * (depth + 1)) * nf * NBINS;
        hr = hl + nf * NBINS;
        hbin *small = nl - lo <= hi - nl ? hl : hr, *large = small == hl ? hr : hl;
        if (small == hl)
            fill_hist(w, lo, nl, hl);
        else
            fill_hist(w, nl, hi, hr);
        for (size_t e = 0; e < nf * NBINS; e++) {
            large[e].sum = h[e].sum - small[e].sum;
            large[e].count = h[e].count - small[e].count;
        }
    }
    grow(w, left, lo, nl, depth + 1, rate, hl);
    grow(w, right, nl, hi, depth + 1, rate, hr);
}

static int compare_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Bins feature f of z (n x nf) into fb and bin[i * nf + f]; col is scratch
 * for n values. */
static void bin_feature(const double *z, size_t n, size_t nf, size_t f, double *col,
                        feature_bins *fb, unsigned char *bin)
{
    double cut[NBINS]; /* upper bound of each bin */
    size_t distinct = 0, nb = 0;
    for (size_t i = 0; i < n; i++)
        col[i] = z[i * nf + f];
    qsort(col, n, sizeof *col, compare_double);
    for (size_t i = 0; i < n; i++)
        distinct += i == 0 || col[i] > col[i - 1];
    if (distinct <= NBINS) {
        for (size_t i = 0; i < n; i++)
            if (i == 0 || col[i] > col[i - 1])
                cut[nb++] = col[i];
    } else {
        for (size_t b = 0; b < NBINS; b++) {
            double c = col[(b + 1) * n / NBINS - 1];
            if (nb == 0 || c > cut[nb - 1])
                cut[nb++] = c;
        }
    }
    fb->nbins = nb;
    for (size_t b = 0; b < nb; b++) {
        fb->lo[b] = INFINITY;
        fb->hi[b] = -INFINITY;
    }
    for (size_t i = 0; i < n; i++) {
        double v = z[i * nf + f];
        size_t lo = 0, hi = nb - 1; /* the first bin whose cut is >= v */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cut[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        bin[i * nf + f] = (unsigned char)lo;
        fb->lo[lo] = fmin(fb->lo[lo], v);
        fb->hi[lo] = fmax(fb->hi[lo], v);
    }
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
    grower w = {.n = n, .nf = nf, .depth = depth, .k = k};
    unsigned char *bin = NULL;
    feature_bins *bins = NULL;
    double *score = NULL, *resid = NULL, *prob = NULL, *col = NULL;
    gbm_fit *g = NULL;
    if (depth < 1 || depth > MAX_DEPTH || rounds < 1 || !(rate > 0)) {
        snprintf(err, errlen, "gbm: bad parameters depth %zu, ntrees %zu, learn_rate %g", depth,
                 rounds, rate);
        return NULL;
    }
    g = calloc(1, sizeof *g);
    bin = malloc(n * nf);
    bins = malloc(nf * sizeof *bins);
    col = malloc(n * sizeof *col);
    score = malloc(n * k * sizeof *score);
    prob = malloc(n * k * sizeof *prob);
    resid = malloc(n * sizeof *resid);
    w.rows = malloc(n * sizeof *w.rows);
    w.tmp = malloc(n * sizeof *w.tmp);
    w.pool = malloc(2 * (MAX_DEPTH + 1) * nf * NBINS * sizeof *w.pool);
    if (g) {
        g->root = malloc((rounds * k + 1) * sizeof *g->root);
        g->cls = malloc(rounds * k * sizeof *g->cls);
        g->nodes = malloc(rounds * k * max_nodes * sizeof *g->nodes);
    }
    if (!g || !bin || !bins || !col || !score || !prob || !resid || !w.rows || !w.tmp || !w.pool ||
        !g->root || !g->cls || !g->nodes) {
        snprintf(err, errlen, "gbm: out of memory");
        gbm_free(g);
        g = NULL;
        goto cleanup;
    }
    for (size_t f = 0; f < nf; f++)
        bin_feature(z, n, nf, f, col, &bins[f], bin);
    g->k = k;
    size_t count[MODEL_MAX_CLASSES] = {0};
    for (size_t i = 0; i < n; i++)
        count[y[i]]++;
    for (size_t c = 0; c < k; c++)
        g->init[c] = log(((double)count[c] + 0.5) / ((double)n + 0.5 * (double)k));
    for (size_t i = 0; i < n; i++)
        memcpy(score + i * k, g->init, k * sizeof *score);
    w.bin = bin;
    w.bins = bins;
    w.r = resid;
    w.score = score;
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
                w.rows[i] = (int)i;
            }
            w.cls = c;
            g->nnodes++;
            fill_hist(&w, 0, n, w.pool);
            grow(&w, (int)g->root[t], 0, n, 0, rate, w.pool);
        }
    }
    g->root[g->ntrees] = g->nnodes;
cleanup:
    free(w.pool);
    free(w.tmp);
    free(w.rows);
    free(resid);
    free(prob);
    free(score);
    free(col);
    free(bins);
    free(bin);
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

static int gbm_export(const void *fit, cJSON *o)
{
    const gbm_fit *g = fit;
    cJSON *trees = NULL;
    if (!cJSON_AddItemToObject(o, "init", cJSON_CreateDoubleArray(g->init, (int)g->k)) ||
        !(trees = cJSON_AddArrayToObject(o, "trees")))
        return -1;
    for (size_t t = 0; t < g->ntrees; t++)
        if (!cJSON_AddItemToArray(trees, tree_json(g, t)))
            return -1;
    return 0;
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
