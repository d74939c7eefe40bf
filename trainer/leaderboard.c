/* leaderboard.c: runs the cross-validation over worker threads and ranks. */
#include "trainer/leaderboard.h"

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
    const dataset *d;
    const cv_plan *plan;
    double *oof; /* nspecs x repeats x n x k */
    leaderboard_row *rows;
    size_t *fail_repeat; /* per spec: the lowest failing repeat, or SIZE_MAX */
    pthread_mutex_t lock;
    size_t next; /* next work unit: spec * repeats + repeat */
    int oom;
} job;

/* One unit of work: every fold of one repeat for one spec. */
static void run_unit(job *j, size_t s, size_t r, double *x, int *y)
{
    const dataset *d = j->d;
    size_t n = d->n, k = DATASET_NCLASSES;
    const int *fold = j->plan->fold + r * n;
    double *oof = j->oof + (s * j->plan->repeats + r) * n * k;
    for (size_t f = 0; f < j->plan->folds; f++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (fold[i] != (int)f) {
                memcpy(x + m * MODEL_NFEATURES, d->x + i * MODEL_NFEATURES,
                       MODEL_NFEATURES * sizeof *x);
                y[m++] = d->y[i];
            }
        learner_model lm;
        char err[200];
        if (learner_train(&lm, &j->specs[s], x, y, m, k, err, sizeof err) != 0) {
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
                learner_predict(&lm, d->x + i * MODEL_NFEATURES, oof + i * k);
        learner_model_clear(&lm);
    }
}

static void *worker(void *arg)
{
    job *j = arg;
    double *x = malloc(j->d->n * MODEL_NFEATURES * sizeof *x);
    int *y = malloc(j->d->n * sizeof *y);
    for (;;) {
        pthread_mutex_lock(&j->lock);
        size_t u = j->next++;
        if (!x || !y)
            j->oom = 1;
        pthread_mutex_unlock(&j->lock);
        if (!x || !y || u >= j->nspecs * j->plan->repeats)
            break;
        run_unit(j, u / j->plan->repeats, u % j->plan->repeats, x, y);
    }
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

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int leaderboard_run(leaderboard *lb, const learner_spec *specs, size_t nspecs, const dataset *d,
                    const cv_plan *plan, size_t threads, char *err, size_t errlen)
{
    int rc = -1;
    size_t k = DATASET_NCLASSES, n = d->n;
    job j = {.specs = specs, .nspecs = nspecs, .d = d, .plan = plan};
    pthread_t tid[64];
    size_t started = 0;
    memset(lb, 0, sizeof *lb);
    lb->repeats = plan->repeats;
    lb->folds = plan->folds;
    j.oof = malloc(nspecs * plan->repeats * n * k * sizeof *j.oof);
    j.rows = calloc(nspecs, sizeof *j.rows);
    j.fail_repeat = malloc(nspecs * sizeof *j.fail_repeat);
    if (!j.oof || !j.rows || !j.fail_repeat) {
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
            cv_metrics_compute(j.oof + s * plan->repeats * n * k, d->y, n, k, plan->repeats,
                               &row->metrics);
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
    rc = 0;
cleanup:
    free(j.fail_repeat);
    free(j.rows);
    free(j.oof);
    return rc;
}

void leaderboard_clear(leaderboard *lb)
{
    free(lb->rows);
    lb->rows = NULL;
    lb->nrows = 0;
}

void leaderboard_print(const leaderboard *lb, FILE *out)
{
    fprintf(out, "%-40s %21s %10s %10s %10s\n", "model_id", "mean_per_class_error", "logloss",
            "rmse", "mse");
    for (size_t i = 0; i < lb->nrows; i++) {
        const leaderboard_row *r = &lb->rows[i];
        if (r->failed)
            fprintf(out, "%-40s failed: %s\n", r->spec.id, r->error);
        else
            fprintf(out, "%-40s %21.6f %10.6f %10.6f %10.6f\n", r->spec.id,
                    r->metrics.mean_per_class_error, r->metrics.logloss, r->metrics.rmse,
                    r->metrics.mse);
    }
}

cJSON *leaderboard_json(const leaderboard *lb)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < lb->nrows; i++) {
        const leaderboard_row *r = &lb->rows[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o) ||
            !cJSON_AddStringToObject(o, "model_id", r->spec.id) ||
            !cJSON_AddStringToObject(o, "family", r->spec.family->name) ||
            !cJSON_AddItemToObject(o, "params", learner_params_json(&r->spec)))
            goto on_error;
        if (r->failed) {
            if (!cJSON_AddStringToObject(o, "error", r->error))
                goto on_error;
            continue;
        }
        const cv_metrics *m = &r->metrics;
        if (!cJSON_AddNumberToObject(o, "mean_per_class_error", m->mean_per_class_error) ||
            !cJSON_AddNumberToObject(o, "logloss", m->logloss) ||
            !cJSON_AddNumberToObject(o, "rmse", m->rmse) ||
            !cJSON_AddNumberToObject(o, "mse", m->mse) ||
            !cJSON_AddNumberToObject(o, "mean_per_class_error_sd", m->mpce_sd))
            goto on_error;
    }
    return arr;
on_error:
    cJSON_Delete(arr);
    return NULL;
}
