/* test_train_scale.c: the trainer's steps that used to grow with the square
 * of the rows give the answers of their definitions: the monitoring
 * reference's leave-one-out rate (against numpy's and a refit per row), the
 * k-d tree's neighbours (against a scan), knn's row cap, and the gradient
 * booster's histogram splits (against an exhaustive search). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/numeric.h"
#include "trainer/baseline_fit.h"
#include "trainer/learner.h"
#include "trainer/trainset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NF MODEL_NFEATURES

static trainset *iris(void)
{
    char err[512];
    trainset *d = trainset_load_csv("model/iris.csv", "species", 5, err, sizeof err);
    if (!d)
        fail_msg("%s", err);
    return d;
}

/* A deterministic generator (64-bit LCG, top bits). */
static double uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* n rows of 3 classes, features rounded to 0.1 (many equal values, as iris);
 * in class 2 the last feature is constant (a singular covariance). */
static trainset *synthetic(size_t n, uint64_t seed)
{
    static const char *const names[] = {"sepal_length", "sepal_width", "petal_length",
                                        "petal_width"};
    static const char *const labels[] = {"setosa", "versicolor", "virginica"};
    char err[256];
    trainset *d = trainset_new("synthetic");
    assert_non_null(d);
    assert_int_equal(trainset_set_features(d, names, NF, err, sizeof err), 0);
    for (size_t i = 0; i < n; i++) {
        int c = (int)(i % 3);
        double x[NF];
        for (size_t j = 0; j < NF; j++) {
            double g = uniform(&seed) + uniform(&seed) + uniform(&seed) - 1.5;
            x[j] = round((2.0 + 1.5 * c + (double)j + 0.6 * g) * 10) / 10;
        }
        if (c == 2)
            x[NF - 1] = 1.8;
        assert_int_equal(trainset_add(d, x, labels[c], strlen(labels[c]), i + 1), 0);
    }
    int bad;
    size_t origin;
    assert_int_equal(trainset_finish(d, 5, &bad, &origin), 0);
    return d;
}

/* The definition: each row against its class refitted without it (and the
 * other classes as fitted on all their rows), with the trainer's own
 * moments, ridge rule and the scorer's distance (test_baseline pins the
 * distance by hand; the iris test below pins the whole against numpy), so
 * what differs from baseline_fit is only the refit per row it replaces. */
static size_t ref_atypical_rows(const trainset *d)
{
    size_t atypical = 0;
    for (size_t i = 0; i < d->n; i++) {
        double best = INFINITY;
        for (size_t k = 0; k < d->nclasses; k++) {
            double mean[NF], cov[NF * NF], linv[NF * NF];
            baseline_fit_class_moments(d, (int)k, (int)k == d->y[i] ? i : SIZE_MAX, mean, cov);
            baseline_fit_inverse_factor(cov, linv);
            best = fmin(best, baseline_mahalanobis2(linv, mean, d->x + i * NF));
        }
        atypical += best > BASELINE_ATYPICAL_D2;
    }
    return atypical;
}

static void fit_reference(const trainset *d, baseline *b)
{
    leaderboard_row leader;
    double cov[MODEL_MAX_CLASSES][NF * NF];
    char err[256];
    memset(&leader, 0, sizeof leader);
    if (baseline_fit(d, &leader, b, cov, err, sizeof err) != 0)
        fail_msg("baseline_fit: %s", err);
}

/* numpy (np.cov, np.linalg.solve, each row left out of its class's fit):
 * 7 of the 150 iris rows are atypical. */
static void test_iris_leave_one_out_rate_is_numpys(void **state)
{
    (void)state;
    trainset *d = iris();
    baseline b;
    fit_reference(d, &b);
    if (fabs(b.atypical_rate - 7.0 / 150) > 1e-12)
        fail_msg("expected an atypical rate of 7/150 = %.6f, got %.6f", 7.0 / 150, b.atypical_rate);
    trainset_free(d);
}

static void test_leave_one_out_rate_equals_a_refit_per_row(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        trainset *d = synthetic(900, seed);
        baseline b;
        fit_reference(d, &b);
        size_t want = ref_atypical_rows(d);
        size_t got = (size_t)llround(b.atypical_rate * (double)d->n);
        print_message("seed %llu: %zu of %zu rows atypical\n", (unsigned long long)seed, want,
                      d->n);
        if (got != want)
            fail_msg("seed %llu: expected %zu atypical rows (refit per row), got %zu",
                     (unsigned long long)seed, want, got);
        trainset_free(d);
    }
}

/* Linear in the rows: 300,000 rows in well under a second of CPU (a refit
 * per row would take hours). */
static void test_monitoring_reference_of_300000_rows_is_fast(void **state)
{
    (void)state;
    trainset *d = synthetic(300000, 7);
    baseline b;
    clock_t t0 = clock();
    fit_reference(d, &b);
    double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
    print_message("baseline_fit on %zu rows: %.3f s CPU\n", d->n, cpu);
    if (!(cpu < 20))
        fail_msg("expected under 20 s of CPU for %zu rows, took %.1f s", d->n, cpu);
    trainset_free(d);
}

/* The k nearest training rows by a scan in row order (ties to the lower
 * row), as vote shares. */
static void ref_knn(const double *z, const int *y, size_t n, size_t k, size_t nclasses,
                    const double *q, double *probs)
{
    double bd[64];
    int by[64];
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        double dist = 0;
        for (size_t j = 0; j < NF; j++)
            dist += (q[j] - z[i * NF + j]) * (q[j] - z[i * NF + j]);
        if (nb == k && dist >= bd[k - 1])
            continue;
        size_t pos = nb < k ? nb++ : k - 1;
        for (; pos > 0 && bd[pos - 1] > dist; pos--) {
            bd[pos] = bd[pos - 1];
            by[pos] = by[pos - 1];
        }
        bd[pos] = dist;
        by[pos] = y[i];
    }
    memset(probs, 0, nclasses * sizeof *probs);
    for (size_t i = 0; i < nb; i++)
        probs[by[i]] += 1.0 / (double)k;
}

static void test_knn_tree_finds_the_scanned_neighbours(void **state)
{
    (void)state;
    trainset *d = synthetic(3000, 11);
    char err[256];
    double *z = malloc(d->n * NF * sizeof *z);
    assert_non_null(z);
    for (size_t g = 0; g < learner_knn.ngrid; g++) {
        learner_spec spec;
        learner_model m;
        learner_spec_make(&spec, &learner_knn, g);
        if (learner_train(&m, &spec, d->x, d->y, d->n, NF, d->nclasses, err, sizeof err) != 0)
            fail_msg("%s: %s", spec.id, err);
        for (size_t i = 0; i < d->n * NF; i++)
            z[i] = (d->x[i] - m.mean[i % NF]) / m.scale[i % NF];
        size_t differ = 0;
        for (size_t i = 0; i < d->n; i += 3) { /* queries on training points: exact ties */
            double want[3], got[3];
            ref_knn(z, d->y, d->n, (size_t)spec.param[0], d->nclasses, z + i * NF, want);
            learner_predict(&m, d->x + i * NF, got);
            for (size_t c = 0; c < 3; c++)
                if (fabs(want[c] - got[c]) > 1e-12 && differ++ < 3)
                    print_message("%s row %zu class %zu: scan %.6f, tree %.6f\n", spec.id, i, c,
                                  want[c], got[c]);
        }
        if (differ)
            fail_msg("%s: %zu probabilities differ from the scan's", spec.id, differ);
        learner_model_clear(&m);
    }
    free(z);
    trainset_free(d);
}

static void test_knn_keeps_at_most_10000_rows_evenly_spaced(void **state)
{
    (void)state;
    trainset *d = synthetic(25003, 5);
    char err[256];
    learner_spec spec;
    learner_model m;
    learner_spec_make(&spec, &learner_knn, 0);
    if (learner_train(&m, &spec, d->x, d->y, d->n, NF, d->nclasses, err, sizeof err) != 0)
        fail_msg("%s", err);
    cJSON *fit = learner_fit_json(&m);
    assert_non_null(fit);
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(fit, "labels");
    int kept = cJSON_GetArraySize(labels);
    if (kept != 10000)
        fail_msg("expected 10000 rows kept of %zu, got %d", d->n, kept);
    size_t j = 0, shares[3] = {0};
    for (size_t i = 0; i < d->n; i++)
        if ((i + 1) * 10000 / d->n > i * 10000 / d->n) {
            int want = d->y[i], got = cJSON_GetArrayItem(labels, (int)j++)->valueint;
            shares[want]++;
            if (want != got)
                fail_msg("kept row %zu: expected the label of row %zu (%d), got %d", j, i + 1, want,
                         got);
        }
    for (size_t c = 0; c < 3; c++)
        if (shares[c] < 3300 || shares[c] > 3367)
            fail_msg("class %zu: expected about a third of the kept rows, got %zu", c, shares[c]);
    cJSON_Delete(fit);
    learner_model_clear(&m);
    trainset_free(d);
}

/* The booster by its definition (trainer/gbm.c's header): exhaustive splits
 * over every row of the node at midpoints between its distinct values, the
 * first feature and lowest threshold winning ties, leaves at the one-step
 * Newton value.  Returns the probabilities of every row of z (n x k). */
#define REF_MIN_ROWS 5
static void ref_grow(const double *z, const double *r, int *node_of, size_t n, int node, int *next,
                     size_t depth, size_t max_depth, double rate, size_t k, double *value)
{
    size_t cnt = 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (node_of[i] == node) {
            cnt++;
            sum += r[i];
        }
    int best_f = -1;
    double best_gain = 1e-12, best_t = 0;
    for (int f = 0; depth < max_depth && cnt >= 2 * REF_MIN_ROWS && f < NF; f++) {
        /* the node's values of feature f, ascending, by selection */
        double lo = -INFINITY;
        size_t nl = 0;
        double sl = 0;
        for (;;) {
            double v = INFINITY;
            for (size_t i = 0; i < n; i++)
                if (node_of[i] == node && z[i * NF + (size_t)f] > lo && z[i * NF + (size_t)f] < v)
                    v = z[i * NF + (size_t)f];
            if (v == INFINITY)
                break;
            if (nl >= REF_MIN_ROWS && cnt - nl >= REF_MIN_ROWS) {
                double sr = sum - sl;
                double gain =
                    sl * sl / (double)nl + sr * sr / (double)(cnt - nl) - sum * sum / (double)cnt;
                if (gain > best_gain * (1 + 1e-12)) {
                    best_gain = gain;
                    best_f = f;
                    best_t = 0.5 * (lo + v);
                }
            }
            for (size_t i = 0; i < n; i++)
                if (node_of[i] == node && z[i * NF + (size_t)f] == v) {
                    nl++;
                    sl += r[i];
                }
            lo = v;
        }
    }
    if (best_f < 0) {
        double num = 0, den = 0;
        for (size_t i = 0; i < n; i++)
            if (node_of[i] == node) {
                num += r[i];
                den += fabs(r[i]) * (1 - fabs(r[i]));
            }
        double v = den < 1e-12 ? 0 : rate * ((double)(k - 1) / (double)k) * num / den;
        for (size_t i = 0; i < n; i++)
            if (node_of[i] == node)
                value[i] = v;
        return;
    }
    int left = (*next)++, right = (*next)++;
    for (size_t i = 0; i < n; i++)
        if (node_of[i] == node)
            node_of[i] = z[i * NF + (size_t)best_f] < best_t ? left : right;
    ref_grow(z, r, node_of, n, left, next, depth + 1, max_depth, rate, k, value);
    ref_grow(z, r, node_of, n, right, next, depth + 1, max_depth, rate, k, value);
}

static void ref_gbm(const double *z, const int *y, size_t n, size_t k, size_t depth, size_t rounds,
                    double rate, double *prob)
{
    double *score = malloc(n * k * sizeof *score), *r = malloc(n * sizeof *r);
    double *value = malloc(n * sizeof *value);
    int *node_of = malloc(n * sizeof *node_of);
    assert_true(score && r && value && node_of);
    size_t count[MODEL_MAX_CLASSES] = {0};
    for (size_t i = 0; i < n; i++)
        count[y[i]]++;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++)
            score[i * k + c] = log(((double)count[c] + 0.5) / ((double)n + 0.5 * (double)k));
    for (size_t m = 0; m < rounds; m++) {
        for (size_t i = 0; i < n; i++)
            numeric_softmax(k, score + i * k, prob + i * k);
        for (size_t c = 0; c < k; c++) {
            int next = 1;
            for (size_t i = 0; i < n; i++) {
                r[i] = (y[i] == (int)c) - prob[i * k + c];
                node_of[i] = 0;
            }
            ref_grow(z, r, node_of, n, 0, &next, 0, depth, rate, k, value);
            for (size_t i = 0; i < n; i++)
                score[i * k + c] += value[i];
        }
    }
    for (size_t i = 0; i < n; i++)
        numeric_softmax(k, score + i * k, prob + i * k);
    free(node_of);
    free(value);
    free(r);
    free(score);
}

/* With at most 256 distinct values per feature (iris, and any data measured
 * to 0.1 cm), the histogram splits are the exhaustive ones: the same
 * probabilities on every row, for every grid point. */
static void test_gbm_histogram_splits_are_the_exhaustive_ones(void **state)
{
    (void)state;
    trainset *d = iris();
    char err[256];
    size_t n = d->n, k = d->nclasses;
    double *z = malloc(n * NF * sizeof *z), *want = malloc(n * k * sizeof *want);
    assert_true(z && want);
    for (size_t g = 0; g < learner_gbm.ngrid; g++) {
        learner_spec spec;
        learner_model m;
        learner_spec_make(&spec, &learner_gbm, g);
        if (learner_train(&m, &spec, d->x, d->y, n, NF, k, err, sizeof err) != 0)
            fail_msg("%s: %s", spec.id, err);
        for (size_t i = 0; i < n * NF; i++)
            z[i] = (d->x[i] - m.mean[i % NF]) / m.scale[i % NF];
        ref_gbm(z, d->y, n, k, (size_t)spec.param[0], (size_t)spec.param[1], spec.param[2], want);
        double worst = 0;
        for (size_t i = 0; i < n; i++) {
            double got[MODEL_MAX_CLASSES];
            learner_predict(&m, d->x + i * NF, got);
            for (size_t c = 0; c < k; c++)
                worst = fmax(worst, fabs(got[c] - want[i * k + c]));
        }
        print_message("%-40s max |histogram - exhaustive| = %.3g\n", spec.id, worst);
        if (!(worst < 1e-9))
            fail_msg("%s: probabilities differ from the exhaustive search's by %.3g", spec.id,
                     worst);
        learner_model_clear(&m);
    }
    free(want);
    free(z);
    trainset_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iris_leave_one_out_rate_is_numpys),
        cmocka_unit_test(test_leave_one_out_rate_equals_a_refit_per_row),
        cmocka_unit_test(test_monitoring_reference_of_300000_rows_is_fast),
        cmocka_unit_test(test_knn_tree_finds_the_scanned_neighbours),
        cmocka_unit_test(test_knn_keeps_at_most_10000_rows_evenly_spaced),
        cmocka_unit_test(test_gbm_histogram_splits_are_the_exhaustive_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
