/* test_model.c: the scorer (model/model.h).  Hand-built artifacts of every
 * family are scored and compared with the family's formula evaluated here
 * independently; malformed artifacts must fail with their specific error;
 * the shipped artifact must load and classify the iris data sanely. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/model.h"
#include "model/numeric.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER                                                                                     \
    "\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"t\","                    \
    "\"features\":[\"sepal_length\",\"sepal_width\",\"petal_length\",\"petal_width\"],"            \
    "\"classes\":[\"a\",\"b\",\"c\"],"
#define STD_ID "\"standardize\":{\"mean\":[0,0,0,0],\"scale\":[1,1,1,1]},"
#define STD_2 "\"standardize\":{\"mean\":[1,2,3,4],\"scale\":[2,2,0.5,1]},"

static model *load_text(const char *text, char *err, size_t errlen)
{
    return model_from_json(text, strlen(text), err, errlen);
}

static model *must_load(const char *text)
{
    char err[512];
    model *m = load_text(text, err, sizeof err);
    if (!m)
        fail_msg("expected the artifact to load, got error: %s", err);
    return m;
}

static void expect_probs(const double *want, const double *got, size_t k, double tol)
{
    for (size_t c = 0; c < k; c++)
        if (!(fabs(want[c] - got[c]) <= tol))
            fail_msg("class %zu: expected probability %.17g, got %.17g", c, want[c], got[c]);
}

static void softmax3(const double *s, double *p)
{
    double m = fmax(s[0], fmax(s[1], s[2])), sum = 0;
    for (int c = 0; c < 3; c++)
        sum += p[c] = exp(s[c] - m);
    for (int c = 0; c < 3; c++)
        p[c] /= sum;
}

/* The model's probabilities at probe are the softmax of the class scores s,
 * worked out by the test from the family's formula. */
static void expect_softmax_of(model *m, const double *probe, const double s[3])
{
    double want[3], got[3];
    softmax3(s, want);
    model_predict(m, probe, got);
    expect_probs(want, got, 3, 1e-12);
}

static const double probes[][4] = {
    {5.1, 3.5, 1.4, 0.2}, {6.7, 3.1, 4.4, 1.4}, {7.7, 2.6, 6.9, 2.3},
    {0, 0, 0, 0},         {-3, 9, 2.5, -1},
};
#define NPROBES (sizeof probes / sizeof probes[0])

static void test_glm_scores_softmax_of_linear_scores_on_standardised_features(void **state)
{
    (void)state;
    static const double b[3] = {0.5, -0.25, 1};
    static const double w[3][4] = {{1, -2, 0.5, 0}, {0, 0.3, -1, 2}, {-0.7, 0, 0, 0.1}};
    model *m = must_load("{" HEADER STD_2 "\"family\":\"glm\",\"fitted\":{"
                         "\"intercepts\":[0.5,-0.25,1],"
                         "\"coefficients\":[[1,-2,0.5,0],[0,0.3,-1,2],[-0.7,0,0,0.1]]}}");
    static const double mean[4] = {1, 2, 3, 4}, scale[4] = {2, 2, 0.5, 1};
    for (size_t t = 0; t < NPROBES; t++) {
        double s[3], want[3], got[3];
        for (int c = 0; c < 3; c++) {
            s[c] = b[c];
            for (int j = 0; j < 4; j++)
                s[c] += w[c][j] * (probes[t][j] - mean[j]) / scale[j];
        }
        softmax3(s, want);
        int k = model_predict(m, probes[t], got);
        expect_probs(want, got, 3, 1e-12);
        assert_int_equal(k, want[0] >= want[1] && want[0] >= want[2] ? 0
                            : want[1] >= want[2]                     ? 1
                                                                     : 2);
    }
    assert_string_equal(model_family(m), "glm");
    model_free(m);
}

/* Gaussian log density up to a constant, for a diagonal covariance. */
static double diag_score(const double *z, const double *mu, const double *var, double prior)
{
    double s = log(prior);
    for (int j = 0; j < 4; j++)
        s -= 0.5 * log(var[j]) + 0.5 * (z[j] - mu[j]) * (z[j] - mu[j]) / var[j];
    return s;
}

/* Three Gaussian classes with diagonal covariances (means mu, variances var,
 * priors), on features standardised with mean and scale. */
typedef struct diag_gaussians {
    double mu[3][4], var[3][4], prior[3], mean[4], scale[4];
} diag_gaussians;

/* The class scores of probe x by a family's formula, evaluated by the test;
 * ctx holds the formula's parameters. */
typedef void (*formula)(const void *ctx, const double *x, double s[3]);

/* The model of artifact text gives, at every probe, the softmax of the class
 * scores f works out. */
static void expect_formula(const char *text, formula f, const void *ctx)
{
    model *m = must_load(text);
    for (size_t t = 0; t < NPROBES; t++) {
        double s[3];
        f(ctx, probes[t], s);
        expect_softmax_of(m, probes[t], s);
    }
    model_free(m);
}

/* ctx is a diag_gaussians: each class's log density (diag_score) at the
 * standardised x. */
static void diag_gaussian_scores(const void *ctx, const double *x, double s[3])
{
    const diag_gaussians *g = ctx;
    double z[4];
    for (int j = 0; j < 4; j++)
        z[j] = (x[j] - g->mean[j]) / g->scale[j];
    for (int c = 0; c < 3; c++)
        s[c] = diag_score(z, g->mu[c], g->var[c], g->prior[c]);
}

static void test_lda_scores_bayes_rule_with_the_shared_covariance(void **state)
{
    (void)state;
    /* A diagonal shared covariance, so the expected value needs no inverse. */
    static const diag_gaussians g = {
        .mu = {{0, 0, 0, 0}, {1, 1, 1, 1}, {-1, 2, 0, 1}},
        .var = {{1, 4, 0.25, 2}, {1, 4, 0.25, 2}, {1, 4, 0.25, 2}}, /* the one shared */
        .prior = {0.2, 0.3, 0.5},
        .mean = {0, 0, 0, 0},
        .scale = {1, 1, 1, 1}};
    expect_formula("{" HEADER STD_ID "\"family\":\"lda\",\"fitted\":{"
                   "\"priors\":[0.2,0.3,0.5],\"means\":[[0,0,0,0],[1,1,1,1],[-1,2,0,1]],"
                   "\"covariance\":[[1,0,0,0],[0,4,0,0],[0,0,0.25,0],[0,0,0,2]]}}",
                   diag_gaussian_scores, &g);
}

static void test_qda_uses_one_covariance_per_class(void **state)
{
    (void)state;
    static const diag_gaussians g = {.mu = {{0, 0, 0, 0}, {1, 1, 1, 1}, {-1, 2, 0, 1}},
                                     .var = {{1, 1, 1, 1}, {4, 1, 0.5, 2}, {0.1, 3, 1, 1}},
                                     .prior = {1, 1, 1},
                                     .mean = {0, 0, 0, 0},
                                     .scale = {1, 1, 1, 1}};
    expect_formula("{" HEADER STD_ID "\"family\":\"qda\",\"fitted\":{"
                   "\"priors\":[1,1,1],\"means\":[[0,0,0,0],[1,1,1,1],[-1,2,0,1]],"
                   "\"covariances\":[[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]],"
                   "[[4,0,0,0],[0,1,0,0],[0,0,0.5,0],[0,0,0,2]],"
                   "[[0.1,0,0,0],[0,3,0,0],[0,0,1,0],[0,0,0,1]]]}}",
                   diag_gaussian_scores, &g);
}

/* Class 0 with covariance [[2,1],[1,2]] in features 0 and 1, classes 1 and 2
 * identity covariances around (2,0,0,0) and (0,2,0,0). */
static void correlated_qda_scores(const void *ctx, const double *z, double s[3])
{
    (void)ctx;
    /* [[2,1],[1,2]]^-1 = [[2,-1],[-1,2]] / 3, determinant 3. */
    double q0 = (2 * z[0] * z[0] - 2 * z[0] * z[1] + 2 * z[1] * z[1]) / 3;
    s[0] = -0.5 * log(3.0) - 0.5 * (q0 + z[2] * z[2] + z[3] * z[3]);
    s[1] = -0.5 * ((z[0] - 2) * (z[0] - 2) + z[1] * z[1] + z[2] * z[2] + z[3] * z[3]);
    s[2] = -0.5 * (z[0] * z[0] + (z[1] - 2) * (z[1] - 2) + z[2] * z[2] + z[3] * z[3]);
}

static void test_qda_with_correlated_covariance_matches_the_two_feature_formula(void **state)
{
    (void)state;
    /* Class 0 has a correlated 2x2 block in features 0 and 1 (inverse by hand). */
    expect_formula("{" HEADER STD_ID "\"family\":\"qda\",\"fitted\":{"
                   "\"priors\":[1,1,1],\"means\":[[0,0,0,0],[2,0,0,0],[0,2,0,0]],"
                   "\"covariances\":[[[2,1,0,0],[1,2,0,0],[0,0,1,0],[0,0,0,1]],"
                   "[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]],"
                   "[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]]}}",
                   correlated_qda_scores, NULL);
}

static void test_gnb_scores_independent_gaussians(void **state)
{
    (void)state;
    static const diag_gaussians g = {.mu = {{0, 0, 0, 0}, {1, 1, 1, 1}, {-1, 2, 0, 1}},
                                     .var = {{1, 1, 1, 1}, {4, 1, 0.5, 2}, {0.1, 3, 1, 1}},
                                     .prior = {0.5, 0.25, 0.25},
                                     .mean = {1, 2, 3, 4},
                                     .scale = {2, 2, 0.5, 1}};
    expect_formula("{" HEADER STD_2 "\"family\":\"gnb\",\"fitted\":{"
                   "\"priors\":[0.5,0.25,0.25],\"means\":[[0,0,0,0],[1,1,1,1],[-1,2,0,1]],"
                   "\"variances\":[[1,1,1,1],[4,1,0.5,2],[0.1,3,1,1]]}}",
                   diag_gaussian_scores, &g);
}

static void test_knn_votes_among_the_k_nearest_points(void **state)
{
    (void)state;
    model *m = must_load("{" HEADER STD_ID "\"family\":\"knn\",\"fitted\":{\"k\":3,"
                         "\"points\":[[0,0,0,0],[1,0,0,0],[2,0,0,0],[10,0,0,0],[11,0,0,0]],"
                         "\"labels\":[0,1,1,2,2]}}");
    double got[3];
    /* Near 0: rows 0, 1, 2 -> a 1/3, b 2/3. */
    assert_int_equal(model_predict(m, (double[]){0.1, 0, 0, 0}, got), 1);
    expect_probs((double[]){1.0 / 3, 2.0 / 3, 0}, got, 3, 1e-15);
    /* Near 10: rows 3, 4, then row 2 (distance 64) before row 1 (distance 81). */
    assert_int_equal(model_predict(m, (double[]){10, 0, 0, 0}, got), 2);
    expect_probs((double[]){0, 1.0 / 3, 2.0 / 3}, got, 3, 1e-15);
    model_free(m);
}

static void test_knn_breaks_distance_ties_by_the_lower_row(void **state)
{
    (void)state;
    /* Rows 1 and 2 are both at distance 1 from the probe; k = 2 keeps row 0 and row 1. */
    model *m = must_load("{" HEADER STD_ID "\"family\":\"knn\",\"fitted\":{\"k\":2,"
                         "\"points\":[[0,0,0,0],[1,0,0,0],[-1,0,0,0]],\"labels\":[0,1,2]}}");
    double got[3];
    assert_int_equal(model_predict(m, (double[]){0, 0, 0, 0}, got), 0);
    expect_probs((double[]){0.5, 0.5, 0}, got, 3, 1e-15);
    model_free(m);
}

/* Initial scores 0.1, 0.2, 0.3; tree 0 (class 0): z0 < 1 ? 0.5 : -0.5; tree 1
 * (class 2): z3 < 0 ? (z1 < 2 ? 1 : 2) : 3. */
static void two_tree_scores(const void *ctx, const double *z, double s[3])
{
    (void)ctx;
    s[0] = 0.1 + (z[0] < 1 ? 0.5 : -0.5);
    s[1] = 0.2;
    s[2] = 0.3 + (z[3] < 0 ? (z[1] < 2 ? 1 : 2) : 3);
}

static void test_gbm_adds_leaf_values_to_the_initial_scores(void **state)
{
    (void)state;
    expect_formula("{" HEADER STD_ID
                   "\"family\":\"gbm\",\"fitted\":{\"init\":[0.1,0.2,0.3],\"trees\":["
                   "{\"class\":0,\"feature\":[0,-1,-1],\"threshold\":[1,0,0],\"left\":[1,-1,-1],"
                   "\"right\":[2,-1,-1],\"value\":[0,0.5,-0.5]},"
                   "{\"class\":2,\"feature\":[3,1,-1,-1,-1],\"threshold\":[0,2,0,0,0],"
                   "\"left\":[1,3,-1,-1,-1],\"right\":[2,4,-1,-1,-1],\"value\":[0,0,3,1,2]}]}}",
                   two_tree_scores, NULL);
}

static void test_class_names_index_family_and_id(void **state)
{
    (void)state;
    model *m =
        must_load("{" HEADER STD_ID "\"family\":\"glm\",\"fitted\":{"
                  "\"intercepts\":[0,0,0],\"coefficients\":[[0,0,0,0],[0,0,0,0],[0,0,0,0]]}}");
    assert_int_equal(model_num_classes(m), 3);
    assert_string_equal(model_class_name(m, 2), "c");
    assert_null(model_class_name(m, 3));
    assert_int_equal(model_class_index(m, "b"), 1);
    assert_int_equal(model_class_index(m, "d"), -1);
    assert_string_equal(model_id(m), "t");
    double p[3];
    model_predict(m, probes[0], p);
    expect_probs((double[]){1.0 / 3, 1.0 / 3, 1.0 / 3}, p, 3, 1e-15);
    model_free(m);
    model_free(NULL);
}

static void test_parses_a_buffer_that_is_not_nul_terminated(void **state)
{
    (void)state;
    static const char text[] = "{" HEADER STD_ID "\"family\":\"glm\",\"fitted\":{"
                               "\"intercepts\":[0,0,0],\"coefficients\":[[0,0,0,0],[0,0,0,0],"
                               "[0,0,0,0]]}}GARBAGE";
    char err[256];
    model *m = model_from_json(text, strlen(text) - strlen("GARBAGE"), err, sizeof err);
    if (!m)
        fail_msg("expected a model, got: %s", err);
    model_free(m);
}

/* Malformed artifacts and the substring their error must contain. */
static const struct {
    const char *text, *want;
} bad[] = {
    {"", "not valid JSON"},
    {"{\"format\":", "not valid JSON"},
    {"[1,2]", "expected a JSON object at the top level"},
    {"{}", "field \"format\": missing"},
    {"{\"format\":\"other\"}", "field \"format\": expected \"iris-lambda-model\""},
    {"{\"format\":\"iris-lambda-model\",\"format_version\":2}", "field \"format_version\""},
    {"{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":7}",
     "field \"model_id\": expected a string, got a number"},
    {"{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"t\","
     "\"features\":[\"petal_length\",\"sepal_width\",\"PetalLength\"]}",
     "field \"features[2]\": \"PetalLength\" names the same field as features[0] \"petal_length\""},
    {"{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"t\","
     "\"features\":[\"a\",\"b\"],\"label\":\"A\"}",
     "field \"label\": \"A\" names a feature too"},
    {"{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"t\","
     "\"features\":[\"a\",\"b\"],\"label\":7}",
     "field \"label\": expected the label field's name"},
    {"{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"t\","
     "\"features\":[]}",
     "field \"features\": expected an array of 1 to 32 feature names"},
    {"{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"t\","
     "\"features\":[\"a\",\"_.\"]}",
     "field \"features[1]\": expected a feature name of 1 to 63 printable characters"},
    {"{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"t\","
     "\"features\":[\"a\",\"b\"],\"classes\":[\"x\",\"y\"],"
     "\"standardize\":{\"mean\":[0,0,0,0],\"scale\":[1,1,1,1]}}",
     "field \"standardize.mean\": expected an array of 2 numbers, got 4 elements"},
    {"{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"t\","
     "\"features\":[\"sepal_length\",\"sepal_width\",\"petal_length\",\"petal_width\"],"
     "\"classes\":[\"a\"]}",
     "field \"classes\": expected 2 to 8 class names, got 1"},
    {"{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"t\","
     "\"features\":[\"sepal_length\",\"sepal_width\",\"petal_length\",\"petal_width\"],"
     "\"classes\":[\"a\",\"a\"]}",
     "field \"classes[1]\": duplicate class name \"a\""},
    {"{" HEADER "\"standardize\":{\"mean\":[0,0,0],\"scale\":[1,1,1,1]}}",
     "field \"standardize.mean\": expected an array of 4 numbers, got 3 elements"},
    {"{" HEADER "\"standardize\":{\"mean\":[0,0,0,0],\"scale\":[1,0,1,1]}}",
     "field \"standardize.scale[1]\": must be positive"},
    {"{" HEADER "\"standardize\":{\"mean\":[0,\"x\",0,0],\"scale\":[1,1,1,1]}}",
     "field \"standardize.mean[1]\": expected a finite number, got a string"},
    {"{" HEADER STD_ID "\"family\":\"svm\",\"fitted\":{}}",
     "field \"family\": unknown family \"svm\""},
    {"{" HEADER STD_ID "\"family\":\"glm\"}", "field \"fitted\": missing"},
    {"{" HEADER STD_ID "\"family\":\"glm\",\"fitted\":{\"intercepts\":[0,0]}}",
     "field \"fitted.intercepts\": expected an array of 3 numbers, got 2 elements"},
    {"{" HEADER STD_ID "\"family\":\"glm\",\"fitted\":{\"intercepts\":[0,0,0],"
     "\"coefficients\":[[0,0,0,0],[0,0,0,0]]}}",
     "field \"fitted.coefficients\": expected 3 rows, got 2"},
    {"{" HEADER STD_ID "\"family\":\"glm\",\"fitted\":{\"intercepts\":[0,0,0],"
     "\"coefficients\":[[0,0,0,0],[0,0,0,0],[0,0,0]]}}",
     "field \"fitted.coefficients[2]\": expected an array of 4 numbers, got 3 elements"},
    {"{" HEADER STD_ID "\"family\":\"lda\",\"fitted\":{\"priors\":[1,0,1],"
     "\"means\":[[0,0,0,0],[0,0,0,0],[0,0,0,0]]}}",
     "field \"fitted.priors[1]\": must be positive"},
    {"{" HEADER STD_ID "\"family\":\"lda\",\"fitted\":{\"priors\":[1,1,1],"
     "\"means\":[[0,0,0,0],[0,0,0,0],[0,0,0,0]],"
     "\"covariance\":[[1,0,0,0],[0,1,0,0],[0,0,-1,0],[0,0,0,1]]}}",
     "field \"fitted.covariance\": not positive definite"},
    {"{" HEADER STD_ID "\"family\":\"lda\",\"fitted\":{\"priors\":[1,1,1],"
     "\"means\":[[0,0,0,0],[0,0,0,0],[0,0,0,0]],"
     "\"covariance\":[[1,0.5,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}}",
     "field \"fitted.covariance\": not symmetric"},
    {"{" HEADER STD_ID "\"family\":\"qda\",\"fitted\":{\"priors\":[1,1,1],"
     "\"means\":[[0,0,0,0],[0,0,0,0],[0,0,0,0]],"
     "\"covariances\":[[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]]}}",
     "field \"fitted.covariances\": expected an array of 3 matrices"},
    {"{" HEADER STD_ID "\"family\":\"gnb\",\"fitted\":{\"priors\":[1,1,1],"
     "\"means\":[[0,0,0,0],[0,0,0,0],[0,0,0,0]],\"variances\":[[1,1,1,1],[1,1,1,1],[1,1,0,1]]}}",
     "field \"fitted.variances[2][2]\": must be positive"},
    {"{" HEADER STD_ID "\"family\":\"knn\",\"fitted\":{\"k\":3,\"points\":[[0,0,0,0],[1,1,1,1]],"
     "\"labels\":[0,1]}}",
     "field \"fitted.k\": expected a whole number in [1, 2], got 3"},
    {"{" HEADER STD_ID "\"family\":\"knn\",\"fitted\":{\"k\":1,\"points\":[[0,0,0,0],[1,1,1,1]],"
     "\"labels\":[0,3]}}",
     "field \"fitted.labels[1]\": expected a whole number in [0, 2], got 3"},
    {"{" HEADER STD_ID "\"family\":\"knn\",\"fitted\":{\"k\":1,\"points\":[[0,0,0,0],[1,1,1,1]],"
     "\"labels\":[0]}}",
     "field \"fitted.labels\": expected an array of 2 class indices"},
    {"{" HEADER STD_ID "\"family\":\"gbm\",\"fitted\":{\"init\":[0,0,0],\"trees\":[{\"class\":0,"
     "\"feature\":[0,-1,-1],\"threshold\":[1,0,0],\"left\":[0,-1,-1],\"right\":[2,-1,-1],"
     "\"value\":[0,1,2]}]}}",
     "field \"fitted.trees[0].left[0]\": expected a whole number in [1, 2], got 0"},
    {"{" HEADER STD_ID "\"family\":\"gbm\",\"fitted\":{\"init\":[0,0,0],\"trees\":[{\"class\":0,"
     "\"feature\":[4,-1,-1],\"threshold\":[1,0,0],\"left\":[1,-1,-1],\"right\":[2,-1,-1],"
     "\"value\":[0,1,2]}]}}",
     "field \"fitted.trees[0].feature[0]\": expected a whole number in [-1, 3], got 4"},
    {"{" HEADER STD_ID "\"family\":\"gbm\",\"fitted\":{\"init\":[0,0,0],\"trees\":[{\"class\":3,"
     "\"feature\":[-1],\"threshold\":[0],\"left\":[-1],\"right\":[-1],\"value\":[1]}]}}",
     "field \"fitted.trees[0].class\": expected a whole number in [0, 2], got 3"},
    {"{" HEADER STD_ID "\"family\":\"gbm\",\"fitted\":{\"init\":[0,0,0],\"trees\":[{\"class\":0,"
     "\"feature\":[-1,-1],\"threshold\":[0],\"left\":[-1,-1],\"right\":[-1,-1],\"value\":[1,1]}]}}",
     "field \"fitted.trees[0].threshold\": expected 2 elements (one per node, as in feature), got "
     "1"},
};

static void test_malformed_artifacts_fail_with_a_specific_error(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[512] = "";
        model *m = load_text(bad[i].text, err, sizeof err);
        if (m) {
            print_error("case %zu: expected error containing \"%s\", got a model\n", i,
                        bad[i].want);
            model_free(m);
            failures++;
        } else if (!strstr(err, bad[i].want)) {
            print_error("case %zu: expected error containing \"%s\", got \"%s\"\n", i, bad[i].want,
                        err);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_load_names_the_file_when_it_is_missing(void **state)
{
    (void)state;
    char err[512];
    assert_null(model_load("/nonexistent/iris-model.json", err, sizeof err));
    if (!strstr(err, "/nonexistent/iris-model.json: cannot open model file: No such file"))
        fail_msg("expected the path and the reason, got \"%s\"", err);
}

static void test_load_names_the_file_and_field_of_a_bad_artifact(void **state)
{
    (void)state;
    char path[] = "/tmp/test_model_XXXXXX", err[512];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{" HEADER STD_ID "\"family\":\"glm\",\"fitted\":{\"intercepts\":[0,0,0]}}", f);
    fclose(f);
    model *m = model_load(path, err, sizeof err);
    unlink(path);
    assert_null(m);
    char want[600];
    snprintf(want, sizeof want, "%s: field \"fitted.coefficients\": missing", path);
    if (strcmp(err, want) != 0)
        fail_msg("expected \"%s\", got \"%s\"", want, err);
}

/* The shipped artifact loads and classifies the training data almost perfectly
 * (the exact agreement with the trainer is tests/test_train.c's job). */
static void test_shipped_artifact_classifies_the_iris_data(void **state)
{
    (void)state;
    char err[512], line[256];
    model *m = model_load("model/iris-model.json", err, sizeof err);
    if (!m)
        fail_msg("model/iris-model.json: %s", err);
    FILE *f = fopen("model/iris.csv", "r");
    assert_non_null(f);
    size_t rows = 0, right = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        double x[4], p[3];
        char species[32];
        assert_int_equal(sscanf(line, "%lf,%lf,%lf,%lf,%31s", &x[0], &x[1], &x[2], &x[3], species),
                         5);
        int k = model_predict(m, x, p);
        assert_true(fabs(p[0] + p[1] + p[2] - 1) < 1e-12);
        assert_true(p[k] >= p[0] && p[k] >= p[1] && p[k] >= p[2]);
        right += model_class_index(m, species) == k;
        rows++;
    }
    fclose(f);
    assert_int_equal(rows, 150);
    if (right < 140)
        fail_msg("expected at least 140 of 150 training rows right, got %zu", right);
    model_free(m);
}

static void test_labels_match_class_names_ignoring_case(void **state)
{
    (void)state;
    model *m =
        must_load("{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"t\","
                  "\"features\":[\"sepal_length\",\"sepal_width\",\"petal_length\","
                  "\"petal_width\"],\"classes\":[\"Setosa\",\"VERSICOLOR\",\"virginica\"]," STD_ID
                  "\"family\":\"glm\",\"fitted\":{\"intercepts\":[0,0,0],"
                  "\"coefficients\":[[0,0,0,0],[0,0,0,0],[0,0,0,0]]}}");
    static const struct {
        const char *label;
        int want;
    } cases[] = {{"setosa", 0},         {"SETOSA", 0},    {"Setosa", 0},   {"versicolor", 1},
                 {"Virginica", 2},      {"virginic", -1}, {"setosa ", -1}, {"Iris-setosa", 0},
                 {"IRIS_virginica", 2}, {"-setosa", -1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = model_class_index(m, cases[i].label);
        if (got != cases[i].want)
            fail_msg("label \"%s\": expected class %d, got %d", cases[i].label, cases[i].want, got);
    }
    assert_string_equal(model_class_name(m, 0), "Setosa");
    model_free(m);
}

static void test_class_names_equal_ignoring_case_fail_at_load(void **state)
{
    (void)state;
    char err[512] = "";
    model *m =
        load_text("{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"t\","
                  "\"features\":[\"sepal_length\",\"sepal_width\",\"petal_length\","
                  "\"petal_width\"],\"classes\":[\"setosa\",\"b\",\"SETOSA\"]," STD_ID
                  "\"family\":\"glm\",\"fitted\":{\"intercepts\":[0,0,0],"
                  "\"coefficients\":[[0,0,0,0],[0,0,0,0],[0,0,0,0]]}}",
                  err, sizeof err);
    assert_null(m);
    if (!strstr(err, "field \"classes[2]\": duplicate class name \"SETOSA\""))
        fail_msg("expected the duplicate class named, got \"%s\"", err);
}

/* The shipped artifact with one field replaced (cJSON, independent of the loader). */
static char *shipped_with(const char *section, const char *field, size_t index, double value)
{
    FILE *f = fopen("model/iris-model.json", "rb");
    assert_non_null(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    cJSON *arr = cJSON_GetObjectItem(cJSON_GetObjectItem(root, section), field);
    assert_non_null(arr);
    cJSON_ReplaceItemInArray(arr, (int)index, cJSON_CreateNumber(value));
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

static void expect_refused(const char *what, const char *text, const char *want)
{
    char err[512] = "";
    model *m = load_text(text, err, sizeof err);
    if (m) {
        model_free(m);
        fail_msg("%s: expected the model to be refused (\"%s\"), but it loaded", what, want);
    }
    if (!strstr(err, want))
        fail_msg("%s: expected an error containing \"%s\", got \"%s\"", what, want, err);
}

#define CANNOT "the model cannot produce probabilities"

static void test_models_with_extreme_numbers_do_not_load(void **state)
{
    (void)state;
    char *tiny_scale = shipped_with("standardize", "scale", 2, 1e-300);
    expect_refused("shipped qda, scale 1e-300", tiny_scale, CANNOT);
    free(tiny_scale);
    char *huge_mean = shipped_with("standardize", "mean", 0, 1e308);
    expect_refused("shipped qda, mean 1e308", huge_mean, CANNOT);
    free(huge_mean);
    expect_refused("glm, weights 1e308",
                   "{" HEADER STD_2 "\"family\":\"glm\",\"fitted\":{\"intercepts\":[0,0,0],"
                   "\"coefficients\":[[1e308,0,0,0],[0,0,0,0],[0,0,0,0]]}}",
                   CANNOT);
    expect_refused("glm, weights 1e200 (finite scores, but beyond 2^53)",
                   "{" HEADER STD_ID "\"family\":\"glm\",\"fitted\":{\"intercepts\":[0,0,0],"
                   "\"coefficients\":[[1e200,0,0,0],[0,0,0,0],[0,0,0,0]]}}",
                   "class \"a\" scores");
    expect_refused("glm, scale 1e-300",
                   "{" HEADER "\"standardize\":{\"mean\":[0,0,0,0],\"scale\":[1,1e-300,1,1]},"
                   "\"family\":\"glm\",\"fitted\":{\"intercepts\":[0,0,0],"
                   "\"coefficients\":[[1,1,0,0],[0,0,0,0],[0,0,0,0]]}}",
                   "standardize.scale[1] = 1e-300 is too small");
    expect_refused("gnb, variance 1e-300",
                   "{" HEADER STD_ID "\"family\":\"gnb\",\"fitted\":{\"priors\":[0.3,0.3,0.4],"
                   "\"means\":[[0,0,0,0],[1,1,1,1],[2,2,2,2]],"
                   "\"variances\":[[1,1,1,1],[1,1e-300,1,1],[1,1,1,1]]}}",
                   CANNOT);
    expect_refused("gbm, two leaves of 1e308 on one class",
                   "{" HEADER STD_ID "\"family\":\"gbm\",\"fitted\":{\"init\":[0,0,0],\"trees\":["
                   "{\"class\":1,\"feature\":[-1],\"threshold\":[0],\"left\":[-1],\"right\":[-1],"
                   "\"value\":[1e308]},"
                   "{\"class\":1,\"feature\":[-1],\"threshold\":[0],\"left\":[-1],\"right\":[-1],"
                   "\"value\":[1e308]}]}}",
                   "class \"b\" can score up to inf");
    expect_refused("gbm, a leaf no probe reaches",
                   "{" HEADER STD_ID "\"family\":\"gbm\",\"fitted\":{\"init\":[0,0,0],\"trees\":["
                   "{\"class\":0,\"feature\":[0,-1,-1],\"threshold\":[1000,0,0],\"left\":[1,-1,-1],"
                   "\"right\":[2,-1,-1],\"value\":[0,0,1e300]}]}}",
                   "class \"a\" can score up to 1e+300");
    expect_refused("knn, scale 1e-300 on a zero mean",
                   "{" HEADER "\"standardize\":{\"mean\":[0,0,0,0],\"scale\":[1,1,1,1e-300]},"
                   "\"family\":\"knn\",\"fitted\":{\"k\":1,\"points\":[[0,0,0,0]],\"labels\":[0]}}",
                   "too small");
}

static void test_ordinary_models_pass_the_probe_check(void **state)
{
    (void)state;
    /* Large but meaningful scores (a very confident glm) still load. */
    model *m = must_load("{" HEADER STD_2 "\"family\":\"glm\",\"fitted\":{\"intercepts\":[0,0,0],"
                         "\"coefficients\":[[1e6,0,0,0],[0,0,0,0],[0,0,0,0]]}}");
    model_free(m);
}

static void test_softmax_is_finite_and_normalised_for_any_scores(void **state)
{
    (void)state;
    static const struct {
        double s[3], want[3];
        int best;
    } cases[] = {
        {{INFINITY, 0, INFINITY}, {0.5, 0, 0.5}, 0},
        {{NAN, 1, 1}, {0, 0.5, 0.5}, 1},
        {{1, NAN, 2}, {0, 0, 1}, 2},
        {{NAN, NAN, NAN}, {1.0 / 3, 1.0 / 3, 1.0 / 3}, 0},
        {{-INFINITY, -INFINITY, 0}, {0, 0, 1}, 2},
        {{-INFINITY, -INFINITY, -INFINITY}, {1.0 / 3, 1.0 / 3, 1.0 / 3}, 0},
        {{-1e308, 1e308, 0}, {0, 1, 0}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double p[3];
        int best = numeric_softmax(3, cases[i].s, p);
        if (best != cases[i].best)
            fail_msg("case %zu: expected best class %d, got %d", i, cases[i].best, best);
        expect_probs(cases[i].want, p, 3, 1e-15);
    }
}

static void test_a_model_scores_its_own_features_in_the_artifact_order(void **state)
{
    (void)state;
    /* Six features, two classes: p(b) = logistic(sum_j w_j (x_j - mean_j) / scale_j). */
    model *m = must_load(
        "{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"six\","
        "\"features\":[\"alcohol\",\"malic_acid\",\"ash\",\"magnesium\",\"hue\",\"proline\"],"
        "\"classes\":[\"class_0\",\"class_1\"],"
        "\"standardize\":{\"mean\":[13,2,2.4,100,1,750],\"scale\":[0.8,1.1,0.3,14,0.2,315]},"
        "\"family\":\"glm\",\"fitted\":{\"intercepts\":[0,0.5],"
        "\"coefficients\":[[0,0,0,0,0,0],[1,-0.5,0.25,0.1,-2,1.5]]}}");
    static const double w[6] = {1, -0.5, 0.25, 0.1, -2, 1.5};
    static const double mean[6] = {13, 2, 2.4, 100, 1, 750},
                        scale[6] = {0.8, 1.1, 0.3, 14, 0.2, 315};
    static const double x[6] = {14.23, 1.71, 2.43, 127, 1.04, 1065};
    double s1 = 0.5, got[2];
    for (int j = 0; j < 6; j++)
        s1 += w[j] * (x[j] - mean[j]) / scale[j];
    double want[2] = {1 / (1 + exp(s1)), 1 / (1 + exp(-s1))};
    int k = model_predict(m, x, got);
    expect_probs(want, got, 2, 1e-12);
    assert_int_equal(k, s1 > 0 ? 1 : 0);
    assert_int_equal(model_num_features(m), 6);
    assert_string_equal(model_feature_name(m, 5), "proline");
    assert_string_equal(model_label_name(m), "species"); /* no "label": the default */
    assert_null(model_feature_name(m, 6));
    model_free(m);
}

static void test_feature_names_match_in_every_spelling(void **state)
{
    (void)state;
    char err[512];
    model *m = model_load("model/iris-model.json", err, sizeof err);
    if (!m)
        fail_msg("model/iris-model.json: %s", err);
    static const struct {
        const char *name;
        int want;
    } cases[] = {{"sepal_length", 0}, {"sepalLength", 0},   {"SEPAL_LENGTH", 0}, {"SEPALLENGTH", 0},
                 {"Sepal.Length", 0}, {"petal-width", 3},   {"PetalWidth", 3},   {"sepal", -1},
                 {"species", -1},     {"sepal_length2", -1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = model_feature_index(m, cases[i].name, strlen(cases[i].name));
        if (got != cases[i].want)
            fail_msg("\"%s\": expected feature %d, got %d", cases[i].name, cases[i].want, got);
    }
    assert_string_equal(model_label_name(m), "species");
    static const char *const iris[] = {"sepalLength", "sepalWidth", "petalLength", "petalWidth"};
    static const char *const swapped[] = {"sepalWidth", "sepalLength", "petalLength", "petalWidth"};
    assert_int_equal(model_has_features(m, iris, 4), 1);
    assert_int_equal(model_has_features(m, swapped, 4), 0);
    assert_int_equal(model_has_features(m, iris, 3), 0);
    model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glm_scores_softmax_of_linear_scores_on_standardised_features),
        cmocka_unit_test(test_lda_scores_bayes_rule_with_the_shared_covariance),
        cmocka_unit_test(test_qda_uses_one_covariance_per_class),
        cmocka_unit_test(test_qda_with_correlated_covariance_matches_the_two_feature_formula),
        cmocka_unit_test(test_gnb_scores_independent_gaussians),
        cmocka_unit_test(test_knn_votes_among_the_k_nearest_points),
        cmocka_unit_test(test_knn_breaks_distance_ties_by_the_lower_row),
        cmocka_unit_test(test_gbm_adds_leaf_values_to_the_initial_scores),
        cmocka_unit_test(test_class_names_index_family_and_id),
        cmocka_unit_test(test_parses_a_buffer_that_is_not_nul_terminated),
        cmocka_unit_test(test_malformed_artifacts_fail_with_a_specific_error),
        cmocka_unit_test(test_load_names_the_file_when_it_is_missing),
        cmocka_unit_test(test_load_names_the_file_and_field_of_a_bad_artifact),
        cmocka_unit_test(test_shipped_artifact_classifies_the_iris_data),
        cmocka_unit_test(test_labels_match_class_names_ignoring_case),
        cmocka_unit_test(test_a_model_scores_its_own_features_in_the_artifact_order),
        cmocka_unit_test(test_feature_names_match_in_every_spelling),
        cmocka_unit_test(test_class_names_equal_ignoring_case_fail_at_load),
        cmocka_unit_test(test_models_with_extreme_numbers_do_not_load),
        cmocka_unit_test(test_ordinary_models_pass_the_probe_check),
        cmocka_unit_test(test_softmax_is_finite_and_normalised_for_any_scores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
