/* leaderboard.c: runs the cross-validation over worker threads and ranks. */
#include "trainer/leaderboard.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t leaderboard_candidates(learner_spec *specs, size_t max, const char *only, char *err,
                              size_t errlen)
{
    size_t n = 0;
    if (only) {
        const char *p = only;
        while (*p) {
            size_t len = strcspn(p, ",");
            char name[16];
            snprintf(name, sizeof name, "%.*s", (int)(len < 15 ? len : 15), p);
            const learner_family *f = len < 16 ? learner_family_find(name) : NULL;
            if (!f) {
                snprintf(err, errlen,
                         "unknown family \"%.*s\" (known: glm, lda, qda, gnb, knn, gbm)", (int)len,
                         p);
                return 0;
            }
            p += len + (p[len] == ',');
        }
    }
    for (size_t fi = 0; fi < learner_nfamilies; fi++) {
        const learner_family *f = learner_families[fi];
        if (only) {
            int wanted = 0;
            for (const char *p = only; *p && !wanted;) {
                size_t len = strcspn(p, ",");
                wanted = len == strlen(f->name) && strncmp(p, f->name, len) == 0;
                p += len + (p[len] == ',');
            }
            if (!wanted)
                continue;
        }
        for (size_t g = 0; g < f->ngrid && n < max; g++)
            learner_spec_make(&specs[n++], f, g);
    }
    if (n == 0)
        snprintf(err, errlen, "no candidate models selected");
    return n;
}

typedef struct {
    const learner_spec *specs;
    size_t nspecs;
    const trainset *d;
    const cv_plan *plan;
    cv_tally *tally; /* nspecs x repeats: each unit's out-of-fold predictions, tallied */
    leaderboard_row *rows;
    size_t *fail_repeat; /* per spec: the lowest failing repeat, or SIZE_MAX */
    pthread_mutex_t lock;
    size_t next; /* next work unit: spec * repeats + repeat */
    int oom;
} job;

/* One unit of work: every fold of one repeat for one spec (oof: scratch for
 * n x k out-of-fold probabilities). */
static void run_unit(job *j, size_t s, size_t r, double *x, int *y, double *oof)
{
    const trainset *d = j->d;
    size_t n = d->n, k = d->nclasses, nf = d->nfeatures;
    const int *fold = j->plan->fold + r * n;
    for (size_t f = 0; f < j->plan->folds; f++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (fold[i] != (int)f) {
                memcpy(x + m * nf, d->x + i * nf, nf * sizeof *x);
                y[m++] = d->y[i];
            }
        learner_model lm;
        char err[200];
        if (learner_train(&lm, &j->specs[s], x, y, m, nf, k, err, sizeof err) != 0) {
            pthread_mutex_lock(&j->lock);
            if (r < j->fail_repeat[s]) {
                j->fail_repeat[s] = r;
                snprintf(j->rows[s].error, sizeof j->rows[s].error, "repeat %zu fold %zu: %s",
                         r + 1, f + 1, err);
            }
            pthread_mutex_unlock(&j->lock);
            return;
        }
        for (size_t i = 0; i < n; i++)
            if (fold[i] == (int)f)
                learner_predict(&lm, d->x + i * nf, oof + i * k);
        learner_model_clear(&lm);
    }
    cv_tally_make(&j->tally[s * j->plan->repeats + r], oof, d->y, n, k);
}

static void *worker(void *arg)
{
    job *j = arg;
    double *x = malloc(j->d->n * j->d->nfeatures * sizeof *x);
    int *y = malloc(j->d->n * sizeof *y);
    double *oof = malloc(j->d->n * j->d->nclasses * sizeof *oof);
    for (;;) {
        pthread_mutex_lock(&j->lock);
        size_t u = j->next++;
        if (!x || !y || !oof)
            j->oom = 1;
        pthread_mutex_unlock(&j->lock);
        if (!x || !y || !oof || u >= j->nspecs * j->plan->repeats)
            break;
        run_unit(j, u / j->plan->repeats, u % j->plan->repeats, x, y, oof);
    }
    free(oof);
    free(y);
    free(x);
    return NULL;
}

static int compare_rows(const void *pa, const void *pb)
{
    const leaderboard_row *a = pa, *b = pb;
    if (a->failed != b->failed)
        return a->failed - b->failed;
    if (!a->failed) {
        if (a->metrics.mean_per_class_error != b->metrics.mean_per_class_error)
            return a->metrics.mean_per_class_error < b->metrics.mean_per_class_error ? -1 : 1;
        if (a->metrics.logloss != b->metrics.logloss)
            return a->metrics.logloss < b->metrics.logloss ? -1 : 1;
    }
    return a->order < b->order ? -1 : a->order > b->order;
}

const char leaderboard_rule[] =
    "leader: the simplest model within noise of the best (a mean per-class error less than 2 "
    "standard errors of the repeat-by-repeat difference above the best); simplest = fewest "
    "fitted parameters by family (glm, lda, gnb, qda, knn, gbm), then the leaderboard order";

/* Families from the fewest fitted parameters to the most (iris: glm 15, lda
 * 22, gnb 24, qda 42, knn 600 stored values, gbm hundreds of tree nodes). */
static size_t simplicity(const learner_family *f)
{
    static const char *const order[] = {"glm", "lda", "gnb", "qda", "knn", "gbm"};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (strcmp(f->name, order[i]) == 0)
            return i;
    return sizeof order / sizeof order[0];
}

/* Mean and sample standard deviation of v[0..n). */
static void mean_sd(const double *v, size_t n, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - *mean) * (v[i] - *mean);
    *sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
}

/* Per repeat: mean per-class error into mpce[r], error rate into err[r]. */
static void repeat_scores(const cv_tally *t, const trainset *d, size_t repeats, double *mpce,
                          double *err)
{
    size_t k = d->nclasses;
    for (size_t r = 0; r < repeats; r++) {
        cv_metrics m;
        cv_metrics_from_tallies(t + r, 1, k, &m);
        mpce[r] = m.mean_per_class_error;
        double wrong = 0;
        for (size_t c = 0; c < k; c++)
            wrong += (double)t[r].wrong[c];
        err[r] = wrong / (double)d->n;
    }
}

void leaderboard_judge(leaderboard *lb, const double *rep, double *diff)
{
    size_t R = lb->repeats;
    const double *best = rep + lb->rows[0].order * R;
    lb->leader = 0;
    for (size_t i = 0; i < lb->nrows; i++) {
        leaderboard_row *row = &lb->rows[i];
        if (row->failed)
            continue;
        const double *mine = rep + row->order * R;
        double mean, sd;
        mean_sd(mine, R, &mean, &sd);
        row->mpce_se = sd / sqrt((double)R);
        for (size_t r = 0; r < R; r++)
            diff[r] = mine[r] - best[r];
        mean_sd(diff, R, &row->diff_best, &sd);
        row->diff_best_se = sd / sqrt((double)R);
        row->within_noise =
            i == 0 || row->diff_best <= 0 || (R > 1 && row->diff_best < 2 * row->diff_best_se);
        if (row->within_noise &&
            simplicity(row->spec.family) < simplicity(lb->rows[lb->leader].spec.family))
            lb->leader = i;
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int leaderboard_run(leaderboard *lb, const learner_spec *specs, size_t nspecs, const trainset *d,
                    const cv_plan *plan, size_t threads, char *err, size_t errlen)
{
    int rc = -1;
    size_t k = d->nclasses;
    job j = {.specs = specs, .nspecs = nspecs, .d = d, .plan = plan};
    pthread_t tid[64];
    size_t started = 0;
    double *rep = NULL, *err_rep = NULL;
    memset(lb, 0, sizeof *lb);
    lb->repeats = plan->repeats;
    lb->folds = plan->folds;
    j.tally = calloc(nspecs * plan->repeats, sizeof *j.tally);
    j.rows = calloc(nspecs, sizeof *j.rows);
    j.fail_repeat = malloc(nspecs * sizeof *j.fail_repeat);
    rep = malloc(nspecs * plan->repeats * sizeof *rep);
    err_rep = malloc(plan->repeats * sizeof *err_rep);
    if (!j.tally || !j.rows || !j.fail_repeat || !rep || !err_rep) {
        snprintf(err, errlen, "out of memory for %zu candidates", nspecs);
        goto cleanup;
    }
    for (size_t s = 0; s < nspecs; s++)
        j.fail_repeat[s] = SIZE_MAX;
    pthread_mutex_init(&j.lock, NULL);
    if (threads < 1)
        threads = 1;
    if (threads > sizeof tid / sizeof tid[0])
        threads = sizeof tid / sizeof tid[0];
    double t0 = now();
    for (; started + 1 < threads; started++)
        if (pthread_create(&tid[started], NULL, worker, &j) != 0)
            break;
    worker(&j);
    for (size_t t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&j.lock);
    if (j.oom) {
        snprintf(err, errlen, "out of memory in a worker");
        goto cleanup;
    }
    size_t ok = 0;
    for (size_t s = 0; s < nspecs; s++) {
        leaderboard_row *row = &j.rows[s];
        row->spec = specs[s];
        row->order = s;
        row->failed = j.fail_repeat[s] != SIZE_MAX;
        if (!row->failed) {
            const cv_tally *t = j.tally + s * plan->repeats;
            cv_metrics_from_tallies(t, plan->repeats, k, &row->metrics);
            repeat_scores(t, d, plan->repeats, rep + s * plan->repeats, err_rep);
            mean_sd(err_rep, plan->repeats, &row->error_rate, &row->error_rate_sd);
            ok++;
        }
    }
    lb->seconds = now() - t0;
    qsort(j.rows, nspecs, sizeof *j.rows, compare_rows);
    lb->rows = j.rows;
    lb->nrows = nspecs;
    j.rows = NULL;
    if (ok == 0) {
        snprintf(err, errlen, "every candidate failed; first: %s", lb->rows[0].error);
        goto cleanup;
    }
    leaderboard_judge(lb, rep, err_rep);
    rc = 0;
cleanup:
    free(err_rep);
    free(rep);
    free(j.fail_repeat);
    free(j.rows);
    free(j.tally);
    return rc;
}

void leaderboard_clear(leaderboard *lb)
{
    free(lb->rows);
    lb->rows = NULL;
    lb->nrows = 0;
}

const leaderboard_row *leaderboard_leader(const leaderboard *lb)
{
    return lb->nrows ? &lb->rows[lb->leader] : NULL;
}

void leaderboard_print(const leaderboard *lb, FILE *out)
{
    fprintf(out, "  %-40s %21s %9s %10s %10s %10s %10s\n", "model_id", "mean_per_class_error",
            "(se)", "vs best", "logloss", "rmse", "mse");
    for (size_t i = 0; i < lb->nrows; i++) {
        const leaderboard_row *r = &lb->rows[i];
        char mark[3] = {i == lb->leader ? '*' : ' ', r->within_noise ? '~' : ' ', '\0'};
        if (r->failed)
            fprintf(out, "  %-40s failed: %s\n", r->spec.id, r->error);
        else
            fprintf(out, "%s%-40s %21.6f %9.6f %+10.6f %10.6f %10.6f %10.6f\n", mark, r->spec.id,
                    r->metrics.mean_per_class_error, r->mpce_se, r->diff_best, r->metrics.logloss,
                    r->metrics.rmse, r->metrics.mse);
    }
    fprintf(out,
            "(se): standard error across the %zu repeats; vs best: mean repeat-by-repeat "
            "difference;\n~ within noise of the best; * %s\n",
            lb->repeats, leaderboard_rule);
}

cJSON *leaderboard_json(const leaderboard *lb)
{
    cJSON *arr = cJSON_CreateArray(), *result = NULL;
    for (size_t i = 0; arr && i < lb->nrows; i++) {
        const leaderboard_row *r = &lb->rows[i];
        cJSON *o = cJSON_CreateObject();
        if (o && !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o); /* not handed over to arr */
            o = NULL;
        }
        if (!o || !cJSON_AddStringToObject(o, "model_id", r->spec.id) ||
            !cJSON_AddStringToObject(o, "family", r->spec.family->name) ||
            !cJSON_AddItemToObject(o, "params", learner_params_json(&r->spec)))
            goto cleanup;
        if (r->failed) {
            if (!cJSON_AddStringToObject(o, "error", r->error))
                goto cleanup;
            continue;
        }
        const cv_metrics *m = &r->metrics;
        if (!cJSON_AddNumberToObject(o, "mean_per_class_error", m->mean_per_class_error) ||
            !cJSON_AddNumberToObject(o, "logloss", m->logloss) ||
            !cJSON_AddNumberToObject(o, "rmse", m->rmse) ||
            !cJSON_AddNumberToObject(o, "mse", m->mse) ||
            !cJSON_AddNumberToObject(o, "mean_per_class_error_sd", m->mpce_sd) ||
            !cJSON_AddNumberToObject(o, "mean_per_class_error_se", r->mpce_se) ||
            !cJSON_AddNumberToObject(o, "error_rate", r->error_rate) ||
            !cJSON_AddNumberToObject(o, "error_rate_sd", r->error_rate_sd) ||
            !cJSON_AddNumberToObject(o, "difference_to_best", r->diff_best) ||
            !cJSON_AddNumberToObject(o, "difference_to_best_se", r->diff_best_se) ||
            !cJSON_AddBoolToObject(o, "within_noise_of_best", r->within_noise) ||
            !cJSON_AddBoolToObject(o, "leader", i == lb->leader))
            goto cleanup;
    }
    result = arr;
    arr = NULL;
cleanup:
    cJSON_Delete(arr);
    return result;
}
