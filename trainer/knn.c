/* knn.c: k-nearest neighbours on standardised features.
 *
 * Distances are squared Euclidean; ties in distance go to the lower training
 * row, and probabilities are the vote shares among the k nearest rows (so
 * they can be exactly 0: the leaderboard's log loss clips them at 1e-15). */
#include "trainer/learner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KNN_MAX_K 64
/* Brute-force neighbours cost rows x queries: the fit keeps at most
 * KNN_MAX_ROWS rows (evenly spaced through the data, so class shares are
 * kept whatever the rows' order), which also bounds the artifact and the
 * scorer's work per record.  The training-time search is a k-d tree over
 * them with the same answers as a scan. */
#define KNN_MAX_ROWS 10000
#define LEAF_ROWS 16

typedef struct {
    double lo[MODEL_MAX_FEATURES], hi[MODEL_MAX_FEATURES]; /* bounding box */
    size_t from, to;                                       /* order[from, to) */
    int left, right;                                       /* -1: a leaf */
} kd_node;

typedef struct {
    size_t n, nf, nclasses, k;
    double *z;
    int *y;
    int *order;     /* the rows, each tree node's a range */
    kd_node *nodes; /* nodes[0] is the root */
    size_t nnodes;
} knn_fit;

static void knn_free(void *fit)
{
    knn_fit *f = fit;
    if (!f)
        return;
    free(f->z);
    free(f->y);
    free(f->order);
    free(f->nodes);
    free(f);
}

/* qsort's comparison context (per thread: folds are fitted concurrently). */
static _Thread_local const knn_fit *sort_fit;
static _Thread_local size_t sort_dim;

static int compare_rows(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    double va = sort_fit->z[(size_t)a * sort_fit->nf + sort_dim];
    double vb = sort_fit->z[(size_t)b * sort_fit->nf + sort_dim];
    return va < vb ? -1 : va > vb ? 1 : (a > b) - (a < b);
}

/* Builds the subtree over order[from, to); returns its node index. */
static int kd_build(knn_fit *f, size_t from, size_t to)
{
    int id = (int)f->nnodes++;
    kd_node *nd = &f->nodes[id];
    nd->from = from;
    nd->to = to;
    nd->left = nd->right = -1;
    size_t widest = 0;
    for (size_t j = 0; j < f->nf; j++) {
        nd->lo[j] = INFINITY;
        nd->hi[j] = -INFINITY;
        for (size_t s = from; s < to; s++) {
            double v = f->z[(size_t)f->order[s] * f->nf + j];
            nd->lo[j] = v < nd->lo[j] ? v : nd->lo[j];
            nd->hi[j] = v > nd->hi[j] ? v : nd->hi[j];
        }
        if (nd->hi[j] - nd->lo[j] > nd->hi[widest] - nd->lo[widest])
            widest = j;
    }
    if (to - from <= LEAF_ROWS || !(nd->hi[widest] > nd->lo[widest]))
        return id;
    sort_fit = f;
    sort_dim = widest;
    qsort(f->order + from, to - from, sizeof *f->order, compare_rows);
    size_t mid = from + (to - from) / 2;
    int left = kd_build(f, from, mid), right = kd_build(f, mid, to);
    f->nodes[id].left = left; /* nodes may have moved: no pointer kept */
    f->nodes[id].right = right;
    return id;
}

static void *knn_train(const double *param, const double *z, const int *y, size_t n, size_t nf,
                       size_t k, char *err, size_t errlen)
{
    size_t kk = (size_t)param[0], keep = n < KNN_MAX_ROWS ? n : KNN_MAX_ROWS;
    if (kk < 1 || kk > KNN_MAX_K || kk > n) {
        snprintf(err, errlen, "knn: k = %zu must be in [1, min(%d, rows = %zu)]", kk, KNN_MAX_K, n);
        return NULL;
    }
    knn_fit *f = calloc(1, sizeof *f);
    if (f) {
        f->z = malloc(keep * nf * sizeof *f->z);
        f->y = malloc(keep * sizeof *f->y);
        f->order = malloc(keep * sizeof *f->order);
        f->nodes = malloc(2 * (keep / LEAF_ROWS + 1) * 2 * sizeof *f->nodes);
    }
    if (!f || !f->z || !f->y || !f->order || !f->nodes) {
        knn_free(f);
        snprintf(err, errlen, "knn: out of memory");
        return NULL;
    }
    /* Row i is kept when floor((i + 1) keep / n) > floor(i keep / n):
     * exactly keep rows, evenly spaced; all of them when n <= the cap. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if ((i + 1) * keep / n > i * keep / n) {
            memcpy(f->z + m * nf, z + i * nf, nf * sizeof *z);
            f->y[m] = y[i];
            f->order[m] = (int)m;
            m++;
        }
    f->n = m;
    f->nf = nf;
    f->nclasses = k;
    f->k = kk;
    kd_build(f, 0, m);
    return f;
}

/* The k nearest rows so far, in (distance, row) order. */
typedef struct {
    double d[KNN_MAX_K];
    int row[KNN_MAX_K];
    size_t n, k;
} nearest;

/* Keeps row at distance d if it is among the k smallest (distance, row)
 * pairs: a scan in row order keeps exactly these. */
static void nearest_offer(nearest *nb, double d, int row)
{
    if (nb->n == nb->k &&
        (d > nb->d[nb->k - 1] || (d == nb->d[nb->k - 1] && row > nb->row[nb->k - 1])))
        return;
    size_t pos = nb->n < nb->k ? nb->n++ : nb->k - 1;
    for (; pos > 0 && (nb->d[pos - 1] > d || (nb->d[pos - 1] == d && nb->row[pos - 1] > row));
         pos--) {
        nb->d[pos] = nb->d[pos - 1];
        nb->row[pos] = nb->row[pos - 1];
    }
    nb->d[pos] = d;
    nb->row[pos] = row;
}

static double box_distance(const kd_node *nd, const double *z, size_t nf)
{
    double d = 0;
    for (size_t j = 0; j < nf; j++) {
        double e = z[j] < nd->lo[j] ? nd->lo[j] - z[j] : z[j] > nd->hi[j] ? z[j] - nd->hi[j] : 0;
        d += e * e;
    }
    return d;
}

static void kd_search(const knn_fit *f, int id, const double *z, nearest *nb)
{
    const kd_node *nd = &f->nodes[id];
    /* A box at exactly the k-th distance may still hold a lower row. */
    if (nb->n == nb->k && box_distance(nd, z, f->nf) > nb->d[nb->k - 1])
        return;
    if (nd->left < 0) {
        for (size_t s = nd->from; s < nd->to; s++) {
            size_t i = (size_t)f->order[s];
            double d = 0;
            for (size_t j = 0; j < f->nf; j++)
                d += (z[j] - f->z[i * f->nf + j]) * (z[j] - f->z[i * f->nf + j]);
            nearest_offer(nb, d, (int)i);
        }
        return;
    }
    int first = nd->left, second = nd->right;
    if (box_distance(&f->nodes[second], z, f->nf) < box_distance(&f->nodes[first], z, f->nf)) {
        first = nd->right;
        second = nd->left;
    }
    kd_search(f, first, z, nb);
    kd_search(f, second, z, nb);
}

static void knn_predict(const void *fit, const double *z, double *probs)
{
    const knn_fit *f = fit;
    nearest nb = {.n = 0, .k = f->k};
    kd_search(f, 0, z, &nb);
    memset(probs, 0, f->nclasses * sizeof *probs);
    for (size_t i = 0; i < nb.n; i++)
        probs[f->y[nb.row[i]]] += 1;
    for (size_t c = 0; c < f->nclasses; c++)
        probs[c] /= (double)f->k;
}

static int knn_export(const void *fit, cJSON *o)
{
    const knn_fit *f = fit;
    cJSON *pts = NULL;
    if (!cJSON_AddNumberToObject(o, "k", (double)f->k) ||
        !(pts = cJSON_AddArrayToObject(o, "points")) ||
        !cJSON_AddItemToObject(o, "labels", cJSON_CreateIntArray(f->y, (int)f->n)))
        return -1;
    for (size_t i = 0; i < f->n; i++)
        if (!cJSON_AddItemToArray(pts, cJSON_CreateDoubleArray(f->z + i * f->nf, (int)f->nf)))
            return -1;
    return 0;
}

static const double knn_grid[][LEARNER_MAX_PARAMS] = {{5}, {10}, {15}, {20}};

const learner_family learner_knn = {
    .name = "knn",
    .param_names = {"k"},
    .grid = knn_grid,
    .ngrid = sizeof knn_grid / sizeof knn_grid[0],
    .fit = knn_train,
    .predict = knn_predict,
    .export_fit = knn_export,
    .free_fit = knn_free,
};
