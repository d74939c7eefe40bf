/* test_train.c: the trainer (build/train and its modules): every family's
 * scorer/trainer agreement, the shipped artifact, the leaderboard's targets,
 * determinism, folds, metrics, the CSV loader's errors and the command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/lib/testfile.h"
#include "trainer/artifact.h"
#include "trainer/cv.h"
#include "trainer/trainset.h"
#include "trainer/leaderboard.h"
#include "trainer/learner.h"
#include "model/model.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define IRIS "model/iris.csv"
#define NF 4 /* iris */
#define K 3

static trainset *iris(void)
{
    char err[512];
    trainset *d = trainset_load_csv(IRIS, "species", 5, err, sizeof err);
    if (!d)
        fail_msg("%s", err);
    return d;
}

/* Trains spec on all of d, exports it, loads the export with the scorer and
 * checks every row's probabilities and predicted class against the trainer's. */
static void check_agreement(const learner_spec *spec, const trainset *d, const model *shipped)
{
    char err[512];
    learner_model lm;
    if (learner_train(&lm, spec, d->x, d->y, d->n, d->nfeatures, d->nclasses, err, sizeof err) != 0)
        fail_msg("%s: %s", spec->id, err);
    model *m = NULL;
    if (!shipped) {
        artifact_training t = {.data = d};
        char *text = artifact_text(&lm, &t);
        assert_non_null(text);
        m = model_from_json(text, strlen(text), err, sizeof err);
        free(text);
        if (!m)
            fail_msg("%s: the exported artifact does not load: %s", spec->id, err);
    }
    const model *sm = shipped ? shipped : m;
    assert_string_equal(model_family(sm), spec->family->name);
    double worst = 0;
    for (size_t i = 0; i < d->n; i++) {
        double want[MODEL_MAX_CLASSES], got[MODEL_MAX_CLASSES];
        learner_predict(&lm, d->x + i * d->nfeatures, want);
        int k = model_predict(sm, d->x + i * d->nfeatures, got);
        int wk = 0;
        for (int c = 1; c < (int)d->nclasses; c++)
            if (want[c] > want[wk])
                wk = c;
        for (int c = 0; c < (int)d->nclasses; c++) {
            double diff = fabs(want[c] - got[c]);
            if (!(diff <= 1e-9))
                fail_msg("%s row %zu class %d: trainer %.17g, scorer %.17g", spec->id, i + 1, c,
                         want[c], got[c]);
            worst = fmax(worst, diff);
        }
        if (k != wk)
            fail_msg("%s row %zu: trainer predicts class %d, scorer %d", spec->id, i + 1, wk, k);
    }
    print_message("%-40s max |trainer - scorer| = %.3g\n", spec->id, worst);
    model_free(m);
    learner_model_clear(&lm);
}

static void test_scorer_matches_trainer_for_every_family_and_grid_point(void **state)
{
    (void)state;
    trainset *d = iris();
    for (size_t f = 0; f < learner_nfamilies; f++)
        for (size_t g = 0; g < learner_families[f]->ngrid; g++) {
            learner_spec spec;
            learner_spec_make(&spec, learner_families[f], g);
            check_agreement(&spec, d, NULL);
        }
    trainset_free(d);
}

/* A non-iris dataset: scikit-learn's copy of the UCI wine data (13 features,
 * 3 classes; tests/data/wine/README.md), trained, exported, loaded and
 * scored: the scorer agrees with the trainer for every family. */
static void test_scorer_matches_trainer_on_the_wine_data(void **state)
{
    (void)state;
    char err[512];
    trainset *d = trainset_load_csv("tests/data/wine/wine.csv", "class", 5, err, sizeof err);
    if (!d)
        fail_msg("%s", err);
    assert_int_equal(d->n, 178);
    assert_int_equal(d->nfeatures, 13);
    assert_string_equal(d->feature_names[12], "proline");
    assert_int_equal(d->nclasses, 3);
    assert_string_equal(d->class_names[0], "class_0");
    size_t want_counts[3] = {59, 71, 48}; /* wine_data.rst's class distribution */
    for (int c = 0; c < 3; c++)
        assert_int_equal(d->count[c], want_counts[c]);
    for (size_t f = 0; f < learner_nfamilies; f++) {
        learner_spec spec;
        learner_spec_make(&spec, learner_families[f], 0);
        check_agreement(&spec, d, NULL);
    }
    trainset_free(d);
}

static void test_shipped_artifact_matches_the_trainer_on_all_rows(void **state)
{
    (void)state;
    size_t len;
    char err[512], *text = testfile_read("model/iris-model.json", &len);
    assert_non_null(text);
    cJSON *root = cJSON_ParseWithLength(text, len);
    assert_non_null(root);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(root, "model_id"));
    const char *fam = cJSON_GetStringValue(cJSON_GetObjectItem(root, "family"));
    const char *sha = cJSON_GetStringValue(cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(root, "training"), "data"), "sha256"));
    assert_non_null(id);
    assert_non_null(fam);
    assert_non_null(sha);
    const learner_family *family = learner_family_find(fam);
    if (!family)
        fail_msg("shipped family \"%s\" is not a trainer family", fam);
    learner_spec spec = {0};
    for (size_t g = 0; g < family->ngrid && strcmp(spec.id, id) != 0; g++)
        learner_spec_make(&spec, family, g);
    if (strcmp(spec.id, id) != 0)
        fail_msg("shipped model_id \"%s\" is not on the %s grid", id, fam);

    /* The recorded data hash is the SHA-256 of model/iris.csv, computed here. */
    size_t clen;
    char *csv = testfile_read(IRIS, &clen);
    unsigned char md[32];
    unsigned int mdlen;
    char hex[65];
    assert_non_null(csv);
    assert_int_equal(EVP_Digest(csv, clen, md, &mdlen, EVP_sha256(), NULL), 1);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    if (strcmp(hex, sha) != 0)
        fail_msg("training.data.sha256: expected %s (of %s), got %s", hex, IRIS, sha);

    model *m = model_load("model/iris-model.json", err, sizeof err);
    if (!m)
        fail_msg("%s", err);
    trainset *d = iris();
    check_agreement(&spec, d, m);
    trainset_free(d);
    model_free(m);
    free(csv);
    cJSON_Delete(root);
    free(text);
}

/* Runs a command; returns its exit status and its output (stdout + stderr). */
static int run(const char *cmd, char *out, size_t outlen)
{
    char full[1024];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The file path holds exactly what fresh (len bytes) holds. */
static void check_same_file(const char *path, const char *fresh, size_t len)
{
    size_t b;
    char *shipped = testfile_read(path, &b);
    assert_non_null(fresh);
    assert_non_null(shipped);
    if (len != b || memcmp(fresh, shipped, len) != 0)
        fail_msg("%s differs from what `make model` writes now (%zu vs %zu bytes): run make model",
                 path, b, len);
    free(shipped);
}

static void test_shipped_artifact_and_report_are_what_make_model_writes(void **state)
{
    (void)state;
    char out[8192], tmp[] = "/tmp/test_train_artifact_XXXXXX", cmd[256];
    char rep[] = "/tmp/test_train_report_XXXXXX";
    int fd = mkstemp(tmp), rfd = mkstemp(rep);
    assert_true(fd >= 0 && rfd >= 0);
    close(fd);
    close(rfd);
    snprintf(cmd, sizeof cmd, "build/train -d " IRIS " -o %s --report %s", tmp, rep);
    int rc = run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("%s exited %d: %s", cmd, rc, out);
    size_t a, r;
    char *fresh = testfile_read(tmp, &a), *report = testfile_read(rep, &r);
    unlink(tmp);
    unlink(rep);
    check_same_file("model/iris-model.json", fresh, a);
    check_same_file("model/iris-training.json", report, r);
    free(fresh);
    free(report);
}

/* Without -o, build/train writes build/iris-model.json and its report beside
 * it (creating build/ where it runs), and never touches the shipped
 * model/iris-model.json. */
static void test_default_output_is_build_not_the_shipped_model(void **state)
{
    (void)state;
    char cwd[4096], dir[] = "/tmp/test_train_default_XXXXXX", cmd[16384], out[8192];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_non_null(mkdtemp(dir));
    size_t before_len, after_len;
    char *before = testfile_read("model/iris-model.json", &before_len);
    snprintf(cmd, sizeof cmd, "cd %s && %s/build/train -d %s/" IRIS " -f lda -r 1", dir, cwd, cwd);
    int rc = run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("%s: expected exit 0, got %d: %s", cmd, rc, out);
    char artifact[8192], report[8192], chart[8192];
    snprintf(artifact, sizeof artifact, "%s/build/iris-model.json", dir);
    snprintf(report, sizeof report, "%s/build/iris-training.json", dir);
    snprintf(chart, sizeof chart, "%s/build/iris-training.svg", dir);
    if (access(artifact, R_OK) != 0 || access(report, R_OK) != 0)
        fail_msg("expected %s and %s; train printed:\n%s", artifact, report, out);
    if (!strstr(out, "wrote build/iris-model.json") || !strstr(out, "wrote build/iris-training.json"))
        fail_msg("expected train to name build/iris-model.json and its report; got:\n%s", out);
    char *after = testfile_read("model/iris-model.json", &after_len);
    assert_true(before_len == after_len && memcmp(before, after, before_len) == 0);
    unlink(artifact);
    unlink(report);
    unlink(chart);
    snprintf(cmd, sizeof cmd, "%s/build", dir);
    rmdir(cmd);
    rmdir(dir);
    free(before);
    free(after);
}

static void run_leaderboard(leaderboard *lb, const trainset *d, const char *only, size_t repeats,
                            uint64_t seed, size_t threads)
{
    char err[512];
    learner_spec specs[128];
    size_t n = leaderboard_candidates(specs, 128, only, err, sizeof err);
    if (!n)
        fail_msg("%s", err);
    cv_plan plan;
    assert_int_equal(cv_plan_make(&plan, d->y, d->n, K, repeats, 5, seed), 0);
    if (leaderboard_run(lb, specs, n, d, &plan, threads, err, sizeof err) != 0)
        fail_msg("%s", err);
    cv_plan_clear(&plan);
}

/* The names of obj's members, comma-separated, into out. */
static const char *member_names(const cJSON *obj, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (const cJSON *e = obj ? obj->child : NULL; e && n < len; e = e->next)
        n += (size_t)snprintf(out + n, len - n, "%s%s", n ? "," : "", e->string);
    return out;
}

/* The artifact the bootstrap parses at start-up keeps a short provenance;
 * the leaderboard and the CV details go to the training report. */
static void test_artifact_keeps_provenance_and_the_report_the_leaderboard(void **state)
{
    (void)state;
    char err[512], names[256];
    trainset *d = iris();
    leaderboard lb;
    run_leaderboard(&lb, d, "lda", 2, 1, 1);
    const leaderboard_row *best = leaderboard_leader(&lb);
    learner_model lm;
    if (learner_train(&lm, &best->spec, d->x, d->y, d->n, d->nfeatures, d->nclasses, err,
                      sizeof err) != 0)
        fail_msg("%s", err);
    artifact_training t = {.data = d, .seed = 1, .lb = &lb, .leader = best};
    cJSON *art = artifact_json(&lm, &t), *rep = artifact_report_json(&lm, &t);
    assert_non_null(art);
    assert_non_null(rep);
    const cJSON *tr = cJSON_GetObjectItem(art, "training");
    assert_string_equal(member_names(tr, names, sizeof names), "data,cv");
    assert_string_equal(member_names(cJSON_GetObjectItem(tr, "cv"), names, sizeof names),
                        "mean_per_class_error");
    assert_string_equal(member_names(cJSON_GetObjectItem(tr, "data"), names, sizeof names),
                        "source,sha256,rows,class_counts");
    double mpce = cJSON_GetNumberValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(tr, "cv"), "mean_per_class_error"));
    if (mpce != best->metrics.mean_per_class_error)
        fail_msg("training.cv.mean_per_class_error: expected %.17g, got %.17g",
                 best->metrics.mean_per_class_error, mpce);

    assert_string_equal(member_names(rep, names, sizeof names), "format,model_id,training");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rep, "format")),
                        "iris-lambda-training-report");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rep, "model_id")), best->spec.id);
    const cJSON *rt = cJSON_GetObjectItem(rep, "training");
    assert_string_equal(member_names(rt, names, sizeof names), "trainer,data,seed,cv,leaderboard");
    const cJSON *board = cJSON_GetObjectItem(rt, "leaderboard");
    if (!cJSON_IsArray(board) || (size_t)cJSON_GetArraySize(board) != lb.nrows)
        fail_msg("report training.leaderboard: expected %zu rows, got %d", lb.nrows,
                 cJSON_IsArray(board) ? cJSON_GetArraySize(board) : -1);
    cJSON_Delete(art);
    cJSON_Delete(rep);
    learner_model_clear(&lm);
    leaderboard_clear(&lb);
    trainset_free(d);
}

/* The targets under the default 10 x 5-fold CV. */
static void test_leaderboard_leader_and_every_family_meet_their_targets(void **state)
{
    (void)state;
    trainset *d = iris();
    leaderboard lb;
    run_leaderboard(&lb, d, NULL, 10, 1, 2);
    const leaderboard_row *lead = &lb.rows[0];
    print_message("leader %s mpce %.6f; leaderboard %.3f s\n", lead->spec.id,
                  lead->metrics.mean_per_class_error, lb.seconds);
    if (!(lead->metrics.mean_per_class_error <= 0.025))
        fail_msg("leader %s: expected mean per-class error <= 0.025, got %.6f", lead->spec.id,
                 lead->metrics.mean_per_class_error);
    for (size_t f = 0; f < learner_nfamilies; f++) {
        double best = INFINITY;
        for (size_t i = 0; i < lb.nrows; i++)
            if (lb.rows[i].spec.family == learner_families[f] && !lb.rows[i].failed)
                best = fmin(best, lb.rows[i].metrics.mean_per_class_error);
        print_message("  best %s: %.6f\n", learner_families[f]->name, best);
        if (!(best < 0.10))
            fail_msg("family %s: expected a best mean per-class error < 0.10, got %.6f",
                     learner_families[f]->name, best);
    }
    for (size_t i = 1; i < lb.nrows; i++) {
        const cv_metrics *a = &lb.rows[i - 1].metrics, *b = &lb.rows[i].metrics;
        if (a->mean_per_class_error > b->mean_per_class_error ||
            (a->mean_per_class_error == b->mean_per_class_error && a->logloss > b->logloss))
            fail_msg("rows %zu and %zu are out of order", i, i + 1);
    }
    leaderboard_clear(&lb);
    trainset_free(d);
}

static void test_same_seed_same_leaderboard_whatever_the_threads(void **state)
{
    (void)state;
    trainset *d = iris();
    leaderboard a, b, c;
    run_leaderboard(&a, d, NULL, 2, 7, 1);
    run_leaderboard(&b, d, NULL, 2, 7, 3);
    run_leaderboard(&c, d, NULL, 2, 8, 2);
    assert_int_equal(a.nrows, b.nrows);
    int differs = 0;
    for (size_t i = 0; i < a.nrows; i++) {
        if (strcmp(a.rows[i].spec.id, b.rows[i].spec.id) != 0 ||
            memcmp(&a.rows[i].metrics, &b.rows[i].metrics, sizeof a.rows[i].metrics) != 0)
            fail_msg("row %zu: %s %.17g vs %s %.17g", i + 1, a.rows[i].spec.id,
                     a.rows[i].metrics.logloss, b.rows[i].spec.id, b.rows[i].metrics.logloss);
        for (size_t j = 0; j < c.nrows; j++)
            if (strcmp(c.rows[j].spec.id, a.rows[i].spec.id) == 0)
                differs |= c.rows[j].metrics.logloss != a.rows[i].metrics.logloss;
    }
    assert_true(differs); /* another seed gives other folds */
    leaderboard_clear(&a);
    leaderboard_clear(&b);
    leaderboard_clear(&c);
    trainset_free(d);
}

static void test_same_seed_same_artifact_bytes(void **state)
{
    (void)state;
    char out[8192], cmd[256];
    char *text[2];
    for (int r = 0; r < 2; r++) {
        char tmp[] = "/tmp/test_train_det_XXXXXX";
        int fd = mkstemp(tmp);
        size_t len;
        close(fd);
        snprintf(cmd, sizeof cmd, "build/train -r 3 -s 42 -j %d -o %s", r + 1, tmp);
        if (run(cmd, out, sizeof out) != 0)
            fail_msg("%s: %s", cmd, out);
        text[r] = testfile_read(tmp, &len);
        unlink(tmp);
        assert_non_null(text[r]);
    }
    assert_string_equal(text[0], text[1]);
    free(text[0]);
    free(text[1]);
}

static void test_folds_are_stratified_and_differ_between_repeats(void **state)
{
    (void)state;
    trainset *d = iris();
    cv_plan p;
    assert_int_equal(cv_plan_make(&p, d->y, d->n, K, 3, 5, 1), 0);
    for (size_t r = 0; r < 3; r++) {
        size_t count[5][K] = {{0}};
        for (size_t i = 0; i < d->n; i++) {
            int f = p.fold[r * d->n + i];
            assert_true(f >= 0 && f < 5);
            count[f][d->y[i]]++;
        }
        for (int f = 0; f < 5; f++)
            for (int c = 0; c < K; c++)
                if (count[f][c] != 10)
                    fail_msg("repeat %zu fold %d class %d: expected 10 rows, got %zu", r, f, c,
                             count[f][c]);
    }
    assert_memory_not_equal(p.fold, p.fold + d->n, d->n * sizeof *p.fold);
    cv_plan_clear(&p);
    trainset_free(d);
}

static void test_metrics_follow_their_definitions(void **state)
{
    (void)state;
    /* Two repeats of 4 rows, 3 classes; labels 0, 0, 1, 2. */
    const int y[4] = {0, 0, 1, 2};
    const double p[2][4][3] = {
        {{0.7, 0.2, 0.1}, {0.4, 0.5, 0.1}, {0.1, 0.8, 0.1}, {0.2, 0.2, 0.6}},
        {{0.9, 0.05, 0.05}, {0.6, 0.3, 0.1}, {0.5, 0.4, 0.1}, {0, 0, 1}},
    };
    cv_metrics m;
    cv_metrics_compute(&p[0][0][0], y, 4, 3, 2, &m);
    /* Class errors pooled: class 0 wrong 1 of 4, class 1 wrong 1 of 2, class 2 wrong 0 of 2. */
    double mpce = (0.25 + 0.5 + 0) / 3;
    double pt[8] = {0.7, 0.4, 0.8, 0.6, 0.9, 0.6, 0.4, 1};
    double ll = 0, se = 0;
    for (int i = 0; i < 8; i++) {
        ll -= log(pt[i]);
        se += (1 - pt[i]) * (1 - pt[i]);
    }
    /* Per repeat: (1/2 + 0 + 0)/3 and (0 + 1 + 0)/3. */
    double e1 = 0.5 / 3, e2 = 1.0 / 3, sd = fabs(e1 - e2) / sqrt(2);
    const double want[5] = {mpce, ll / 8, sqrt(se / 8), se / 8, sd};
    const double got[5] = {m.mean_per_class_error, m.logloss, m.rmse, m.mse, m.mpce_sd};
    const char *names[5] = {"mean_per_class_error", "logloss", "rmse", "mse", "mpce_sd"};
    for (int i = 0; i < 5; i++)
        if (!(fabs(want[i] - got[i]) < 1e-12))
            fail_msg("%s: expected %.17g, got %.17g", names[i], want[i], got[i]);
    /* A zero probability for the true class is clipped at 1e-15. */
    const double z[1][3] = {{1, 0, 0}};
    const int yz[1] = {1};
    cv_metrics_compute(&z[0][0], yz, 1, 3, 1, &m);
    if (!(fabs(m.logloss + log(1e-15)) < 1e-9))
        fail_msg("logloss of p=0: expected %.17g, got %.17g", -log(1e-15), m.logloss);
}

/* The fitted GLM is a stationary point of its penalised objective: the
 * gradient, computed here from the exported coefficients, vanishes. */
static void test_glm_fit_is_the_penalised_optimum(void **state)
{
    (void)state;
    trainset *d = iris();
    learner_spec spec;
    char err[256];
    learner_spec_make(&spec, &learner_glm, 1);
    learner_model lm;
    assert_int_equal(learner_train(&lm, &spec, d->x, d->y, d->n, NF, K, err, sizeof err), 0);
    cJSON *fit = learner_fit_json(&lm);
    double b[K], w[K][NF], gb[K] = {0}, gw[K][NF] = {{0}}, lambda = spec.param[0];
    for (int c = 0; c < K; c++) {
        b[c] = cJSON_GetArrayItem(cJSON_GetObjectItem(fit, "intercepts"), c)->valuedouble;
        for (int j = 0; j < NF; j++)
            w[c][j] = cJSON_GetArrayItem(
                          cJSON_GetArrayItem(cJSON_GetObjectItem(fit, "coefficients"), c), j)
                          ->valuedouble;
    }
    for (size_t i = 0; i < d->n; i++) {
        double z[NF], s[K], p[K], sum = 0;
        for (int j = 0; j < NF; j++)
            z[j] = (d->x[i * NF + j] - lm.mean[j]) / lm.scale[j];
        for (int c = 0; c < K; c++) {
            s[c] = b[c];
            for (int j = 0; j < NF; j++)
                s[c] += w[c][j] * z[j];
        }
        for (int c = 0; c < K; c++)
            sum += p[c] = exp(s[c]);
        for (int c = 0; c < K; c++) {
            double r = p[c] / sum - (d->y[i] == c);
            gb[c] += r / (double)d->n;
            for (int j = 0; j < NF; j++)
                gw[c][j] += r * z[j] / (double)d->n;
        }
    }
    for (int c = 0; c < K; c++) {
        if (!(fabs(gb[c]) < 1e-8))
            fail_msg("d/d intercept[%d]: expected 0, got %.3g", c, gb[c]);
        for (int j = 0; j < NF; j++)
            if (!(fabs(gw[c][j] + lambda * w[c][j]) < 1e-8))
                fail_msg("d/d coefficient[%d][%d]: expected 0, got %.3g", c, j,
                         gw[c][j] + lambda * w[c][j]);
    }
    cJSON_Delete(fit);
    learner_model_clear(&lm);
    trainset_free(d);
}

/* LDA's exported means and covariance are the class means and the pooled
 * within-class covariance (divisor n - K), computed here. */
static void test_lda_fit_is_the_pooled_covariance(void **state)
{
    (void)state;
    trainset *d = iris();
    learner_spec spec;
    char err[256];
    learner_spec_make(&spec, &learner_lda, 0);
    assert_true(spec.param[0] == 0);
    learner_model lm;
    assert_int_equal(learner_train(&lm, &spec, d->x, d->y, d->n, NF, K, err, sizeof err), 0);
    cJSON *fit = learner_fit_json(&lm);
    double z[150][NF], mu[K][NF] = {{0}}, cov[NF][NF] = {{0}};
    for (size_t i = 0; i < d->n; i++)
        for (int j = 0; j < NF; j++) {
            z[i][j] = (d->x[i * NF + j] - lm.mean[j]) / lm.scale[j];
            mu[d->y[i]][j] += z[i][j] / 50;
        }
    for (size_t i = 0; i < d->n; i++)
        for (int a = 0; a < NF; a++)
            for (int b = 0; b < NF; b++)
                cov[a][b] += (z[i][a] - mu[d->y[i]][a]) * (z[i][b] - mu[d->y[i]][b]) / 147;
    for (int a = 0; a < NF; a++) {
        for (int c = 0; c < K; c++) {
            double got =
                cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(fit, "means"), c), a)
                    ->valuedouble;
            if (!(fabs(got - mu[c][a]) < 1e-12))
                fail_msg("means[%d][%d]: expected %.17g, got %.17g", c, a, mu[c][a], got);
        }
        for (int b = 0; b < NF; b++) {
            double got =
                cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(fit, "covariance"), a), b)
                    ->valuedouble;
            if (!(fabs(got - cov[a][b]) < 1e-12))
                fail_msg("covariance[%d][%d]: expected %.17g, got %.17g", a, b, cov[a][b], got);
        }
    }
    cJSON_Delete(fit);
    learner_model_clear(&lm);
    trainset_free(d);
}

static void test_command_line_help_and_errors(void **state)
{
    (void)state;
    static const struct {
        const char *args;
        int rc;
        const char *want;
    } cases[] = {
        {"--help", 0, "usage: train"},
        {"--bogus", 2, "usage: train"},
        {"-k 1", 2, "--folds: expected a whole number in [2, 100], got \"1\""},
        {"--seed x", 2, "--seed: expected a whole number"},
        {"-f glm,svm -n", 2, "unknown family \"svm\""},
        {"--from-kafka -n", 2, "--from-kafka needs -b BROKERS and -t TOPIC"},
        {"-b localhost:9092 -n", 2, "only apply with --from-kafka"},
        {"-d /nonexistent.csv -n", 1, "/nonexistent.csv: cannot open: No such file"},
        {"-d tests/data/wine/wine.csv -n", 1,
         "tests/data/wine/wine.csv:1: the header has no column \"species\" (the label; choose "
         "another with --label COLUMN)"},
        {"-d tests/data/wine/wine.csv --label class -f lda -r 1 -o -", 0,
         "\"features\":[\"alcohol\",\"malic_acid\""},
        {"-f lda -r 1 -o - --report -", 2,
         "--report - and -o - both write to standard output; pick one"},
        {"-f lda -r 1 --json --report -", 2,
         "--report - and --json both write to standard output; pick one"},
        {"-f lda -r 2 -n", 0, "leaderboard time:"},
        {"-f lda -r 2 -n --json", 0, "\"mean_per_class_error\":"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[256], out[16384];
        snprintf(cmd, sizeof cmd, "build/train %s", cases[i].args);
        int rc = run(cmd, out, sizeof out);
        if (rc != cases[i].rc || !strstr(out, cases[i].want))
            fail_msg("%s: expected exit %d and \"%s\", got exit %d and:\n%s", cmd, cases[i].rc,
                     cases[i].want, rc, out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scorer_matches_trainer_for_every_family_and_grid_point),
        cmocka_unit_test(test_scorer_matches_trainer_on_the_wine_data),
        cmocka_unit_test(test_shipped_artifact_matches_the_trainer_on_all_rows),
        cmocka_unit_test(test_shipped_artifact_and_report_are_what_make_model_writes),
        cmocka_unit_test(test_default_output_is_build_not_the_shipped_model),
        cmocka_unit_test(test_artifact_keeps_provenance_and_the_report_the_leaderboard),
        cmocka_unit_test(test_leaderboard_leader_and_every_family_meet_their_targets),
        cmocka_unit_test(test_same_seed_same_leaderboard_whatever_the_threads),
        cmocka_unit_test(test_same_seed_same_artifact_bytes),
        cmocka_unit_test(test_folds_are_stratified_and_differ_between_repeats),
        cmocka_unit_test(test_metrics_follow_their_definitions),
        cmocka_unit_test(test_glm_fit_is_the_penalised_optimum),
        cmocka_unit_test(test_lda_fit_is_the_pooled_covariance),
        cmocka_unit_test(test_command_line_help_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
