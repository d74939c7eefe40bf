/* artifact.c: the trainer's side of the artifact format. */
#include "trainer/artifact.h"
#include "trainer/baseline_fit.h"
#include "trainer/file_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "data": where the rows came from, their SHA-256, count and class counts. */
static int add_data(cJSON *tr, const artifact_training *t)
{
    cJSON *data = cJSON_AddObjectToObject(tr, "data");
    cJSON *counts = data ? cJSON_CreateObject() : NULL;
    if (!data || !cJSON_AddStringToObject(data, "source", t->data->source) ||
        !cJSON_AddStringToObject(data, "sha256", t->data->sha256) ||
        !cJSON_AddNumberToObject(data, "rows", (double)t->data->n) ||
        !cJSON_AddItemToObject(data, "class_counts", counts))
        return -1;
    for (size_t c = 0; c < t->data->nclasses; c++)
        if (!cJSON_AddNumberToObject(counts, t->data->class_names[c], (double)t->data->count[c]))
            return -1;
    return 0;
}

/* The artifact's short provenance under "training": the data and the
 * leader's cross-validated mean per-class error.  The rest of the training
 * report is in the report file (artifact_report_write): the bootstrap parses
 * every byte of the artifact at start-up and reads none of it. */
static int add_provenance(cJSON *root, const artifact_training *t)
{
    cJSON *tr = cJSON_AddObjectToObject(root, "training");
    if (!tr || add_data(tr, t) != 0)
        return -1;
    if (!t->leader)
        return 0;
    cJSON *cv = cJSON_AddObjectToObject(tr, "cv");
    return cv && cJSON_AddNumberToObject(cv, "mean_per_class_error",
                                         t->leader->metrics.mean_per_class_error)
               ? 0
               : -1;
}

/* The report's "training": data, seed, cross-validation and leaderboard. */
static int add_report(cJSON *root, const artifact_training *t)
{
    cJSON *tr = cJSON_AddObjectToObject(root, "training");
    if (!tr || !cJSON_AddStringToObject(tr, "trainer", "iris-lambda build/train") ||
        add_data(tr, t) != 0 || !cJSON_AddNumberToObject(tr, "seed", (double)t->seed))
        return -1;
    if (!t->lb)
        return 0;
    cJSON *cv = cJSON_AddObjectToObject(tr, "cv");
    if (!cv || !cJSON_AddNumberToObject(cv, "repeats", (double)t->lb->repeats) ||
        !cJSON_AddNumberToObject(cv, "folds", (double)t->lb->folds) ||
        !cJSON_AddBoolToObject(cv, "stratified", 1))
        return -1;
    if (t->leader) {
        const cv_metrics *m = &t->leader->metrics;
        if (!cJSON_AddNumberToObject(cv, "mean_per_class_error", m->mean_per_class_error) ||
            !cJSON_AddNumberToObject(cv, "logloss", m->logloss) ||
            !cJSON_AddNumberToObject(cv, "rmse", m->rmse) ||
            !cJSON_AddNumberToObject(cv, "mse", m->mse) ||
            !cJSON_AddNumberToObject(cv, "mean_per_class_error_sd", m->mpce_sd) ||
            !cJSON_AddNumberToObject(cv, "mean_per_class_error_se", t->leader->mpce_se) ||
            !cJSON_AddNumberToObject(cv, "error_rate", t->leader->error_rate))
            return -1;
    }
    if (!cJSON_AddStringToObject(cv, "leader_rule", leaderboard_rule))
        return -1;
    return cJSON_AddItemToObject(tr, "leaderboard", leaderboard_json(t->lb)) ? 0 : -1;
}

/* The "monitoring" object (model/baseline.h), when the leader's
 * cross-validation is known, the model has the iris schema's 4 features (the
 * statistics' fixed size) and every class has enough rows for it. */
static int add_monitoring(cJSON *root, const artifact_training *t)
{
    baseline b;
    double cov[MODEL_MAX_CLASSES][MODEL_NFEATURES * MODEL_NFEATURES];
    char err[160];
    if (!t->leader || t->data->nfeatures != MODEL_NFEATURES ||
        baseline_fit(t->data, t->leader, &b, cov, err, sizeof err) != 0)
        return 0;
    cJSON *mon = cJSON_AddObjectToObject(root, "monitoring");
    return mon && baseline_fit_json(&b, cov, mon) == 0 ? 0 : -1;
}

cJSON *artifact_json(const learner_model *m, const artifact_training *t)
{
    const char *feat[MODEL_MAX_FEATURES];
    const char *cls[MODEL_MAX_CLASSES];
    for (size_t j = 0; j < m->nfeatures; j++)
        feat[j] = t->data->feature_names[j];
    for (size_t c = 0; c < m->nclasses; c++)
        cls[c] = t->data->class_names[c];
    cJSON *root = cJSON_CreateObject();
    cJSON *st = NULL;
    if (!root || !cJSON_AddStringToObject(root, "format", "iris-lambda-model") ||
        !cJSON_AddNumberToObject(root, "format_version", 1) ||
        !cJSON_AddStringToObject(root, "model_id", m->spec.id) ||
        !cJSON_AddStringToObject(root, "family", m->spec.family->name) ||
        !cJSON_AddItemToObject(root, "params", learner_params_json(&m->spec)) ||
        !cJSON_AddItemToObject(root, "features",
                               cJSON_CreateStringArray(feat, (int)m->nfeatures)) ||
        !cJSON_AddStringToObject(root, "label", t->data->label) ||
        !cJSON_AddItemToObject(root, "classes", cJSON_CreateStringArray(cls, (int)m->nclasses)) ||
        !(st = cJSON_AddObjectToObject(root, "standardize")) ||
        !cJSON_AddItemToObject(st, "mean", cJSON_CreateDoubleArray(m->mean, (int)m->nfeatures)) ||
        !cJSON_AddItemToObject(st, "scale", cJSON_CreateDoubleArray(m->scale, (int)m->nfeatures)) ||
        !cJSON_AddItemToObject(root, "fitted", learner_fit_json(m)) ||
        add_monitoring(root, t) != 0 || add_provenance(root, t) != 0) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

cJSON *artifact_report_json(const learner_model *m, const artifact_training *t)
{
    cJSON *root = cJSON_CreateObject();
    if (!root || !cJSON_AddStringToObject(root, "format", "iris-lambda-training-report") ||
        !cJSON_AddStringToObject(root, "model_id", m->spec.id) || add_report(root, t) != 0) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* root printed (compact or indented) with a final newline; takes root. */
static char *json_text(cJSON *root, int indent)
{
    char *text = !root ? NULL : indent ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return NULL;
    size_t len = strlen(text);
    char *out = realloc(text, len + 2);
    if (!out) {
        free(text);
        return NULL;
    }
    out[len] = '\n';
    out[len + 1] = '\0';
    return out;
}

char *artifact_text(const learner_model *m, const artifact_training *t)
{
    return json_text(artifact_json(m, t), 0);
}

char *artifact_report_text(const learner_model *m, const artifact_training *t)
{
    return json_text(artifact_report_json(m, t), 1);
}

static int put_text(FILE *f, void *text)
{
    return fputs(text, f) == EOF ? -1 : 0;
}

/* Writes text (what names it in errors) to path atomically, or to standard
 * output for "-".  Takes text; returns 0 or -1 with err. */
static int write_text(const char *path, char *text, const char *what, char *err, size_t errlen)
{
    int rc = -1;
    if (!text) {
        snprintf(err, errlen, "out of memory building the %s", what);
        goto cleanup;
    }
    if (strcmp(path, "-") == 0) {
        rc = fputs(text, stdout) == EOF ? -1 : 0;
        if (rc)
            snprintf(err, errlen, "cannot write the %s to standard output", what);
        goto cleanup;
    }
    rc = file_write_atomic(path, put_text, text, err, errlen);
cleanup:
    free(text);
    return rc;
}

int artifact_write(const char *path, const learner_model *m, const artifact_training *t, char *err,
                   size_t errlen)
{
    return write_text(path, artifact_text(m, t), "artifact", err, errlen);
}

int artifact_report_write(const char *path, const learner_model *m, const artifact_training *t,
                          char *err, size_t errlen)
{
    return write_text(path, artifact_report_text(m, t), "training report", err, errlen);
}
