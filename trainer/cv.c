/* cv.c: stratified fold assignment and multinomial metrics. */
#include "trainer/cv.h"
#include "model/model.h"
#include "trainer/trainer_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cv_plan_make(cv_plan *p, const int *y, size_t n, size_t k, size_t repeats, size_t folds,
                 uint64_t seed)
{
    memset(p, 0, sizeof *p);
    int *idx = malloc(n * sizeof *idx);
    p->fold = malloc(repeats * n * sizeof *p->fold);
    if (!idx || !p->fold) {
        free(idx);
        cv_plan_clear(p);
        return -1;
    }
    p->repeats = repeats;
    p->folds = folds;
    p->n = n;
    trainer_rng r;
    trainer_rng_seed(&r, seed);
    for (size_t rep = 0; rep < repeats; rep++) {
        size_t next = 0;
        for (size_t c = 0; c < k; c++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (y[i] == (int)c)
                    idx[m++] = (int)i;
            trainer_rng_shuffle(&r, idx, m);
            for (size_t j = 0; j < m; j++, next++)
                p->fold[rep * n + (size_t)idx[j]] = (int)(next % folds);
        }
    }
    free(idx);
    return 0;
}

void cv_plan_clear(cv_plan *p)
{
    free(p->fold);
    p->fold = NULL;
}

static int argmax(const double *p, size_t k)
{
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
        if (p[c] > p[best])
            best = c;
    return (int)best;
}

/* Counts, per true class, the rows and the wrongly predicted rows. */
static void tally(const double *probs, const int *y, size_t n, size_t k, size_t *total,
                  size_t *wrong)
{
    for (size_t i = 0; i < n; i++) {
        total[y[i]]++;
        wrong[y[i]] += argmax(probs + i * k, k) != y[i];
    }
}

/* The mean over the classes present of their error rates. */
static double class_mean_error(const size_t *total, const size_t *wrong, size_t k)
{
    double s = 0;
    size_t present = 0;
    for (size_t c = 0; c < k; c++)
        if (total[c]) {
            s += (double)wrong[c] / (double)total[c];
            present++;
        }
    return present ? s / (double)present : 0;
}

void cv_metrics_compute(const double *probs, const int *y, size_t n, size_t k, size_t repeats,
                        cv_metrics *out)
{
    double ll = 0, se = 0, emean = 0, ess = 0; /* Welford's running mean and sum of squares */
    size_t wrong[MODEL_MAX_CLASSES] = {0}, total[MODEL_MAX_CLASSES] = {0};
    for (size_t r = 0; r < repeats; r++) {
        const double *pr = probs + r * n * k;
        for (size_t i = 0; i < n; i++) {
            double pt = pr[i * k + (size_t)y[i]];
            ll -= log(pt > 1e-15 ? pt : 1e-15);
            se += (1 - pt) * (1 - pt);
        }
        size_t rt[MODEL_MAX_CLASSES] = {0}, rw[MODEL_MAX_CLASSES] = {0};
        tally(pr, y, n, k, rt, rw);
        for (size_t c = 0; c < k; c++) {
            total[c] += rt[c];
            wrong[c] += rw[c];
        }
        double er = class_mean_error(rt, rw, k), delta = er - emean;
        emean += delta / (double)(r + 1);
        ess += delta * (er - emean);
    }
    out->mean_per_class_error = class_mean_error(total, wrong, k);
    out->logloss = ll / (double)(repeats * n);
    out->mse = se / (double)(repeats * n);
    out->rmse = sqrt(out->mse);
    out->mpce_sd = repeats > 1 ? sqrt(ess / (double)(repeats - 1)) : 0;
}

void cv_tally_make(cv_tally *t, const double *probs, const int *y, size_t n, size_t k)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < n; i++) {
        double pt = probs[i * k + (size_t)y[i]];
        t->logloss_sum -= log(pt > 1e-15 ? pt : 1e-15);
        t->se_sum += (1 - pt) * (1 - pt);
    }
    tally(probs, y, n, k, t->total, t->wrong);
}

void cv_metrics_from_tallies(const cv_tally *t, size_t repeats, size_t k, cv_metrics *out)
{
    double ll = 0, se = 0, emean = 0, ess = 0, rows = 0;
    size_t wrong[MODEL_MAX_CLASSES] = {0}, total[MODEL_MAX_CLASSES] = {0};
    for (size_t r = 0; r < repeats; r++) {
        ll += t[r].logloss_sum;
        se += t[r].se_sum;
        for (size_t c = 0; c < k; c++) {
            total[c] += t[r].total[c];
            wrong[c] += t[r].wrong[c];
            rows += (double)t[r].total[c];
        }
        double er = class_mean_error(t[r].total, t[r].wrong, k), delta = er - emean;
        emean += delta / (double)(r + 1);
        ess += delta * (er - emean);
    }
    out->mean_per_class_error = class_mean_error(total, wrong, k);
    out->logloss = ll / rows;
    out->mse = se / rows;
    out->rmse = sqrt(out->mse);
    out->mpce_sd = repeats > 1 ? sqrt(ess / (double)(repeats - 1)) : 0;
}
