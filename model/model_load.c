/* model_load.c: parses and validates a model artifact (model/README.md) and
 * reduces it to the scoring form of model_impl.h.  Every error names the
 * source, the field (a path such as fitted.means[1]) and what was wrong. */
#include "model/model_impl.h"
#include "model/model_json.h"
#include "model/numeric.h"
#include "model/schema.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NFMAX MODEL_NF_MAX
#define MAX_ARTIFACT_BYTES (256u << 20)
#define MAX_TREES 100000
#define MAX_TREE_NODES 65535
#define MAX_POINTS 10000000

/* A symmetric positive definite n x n matrix; writes its Cholesky factor. */
static int spd(model_json_ctx *c, const char *path, size_t n, const double *a, double *l)
{
    double amax = 0;
    for (size_t i = 0; i < n * n; i++)
        amax = fmax(amax, fabs(a[i]));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (fabs(a[i * n + j] - a[j * n + i]) > 1e-12 * amax) {
                model_json_fail(c, path, "not symmetric: [%zu][%zu] = %.17g but [%zu][%zu] = %.17g",
                                i, j, a[i * n + j], j, i, a[j * n + i]);
                return -1;
            }
    if (numeric_cholesky(n, a, l) != 0) {
        model_json_fail(c, path, "not positive definite");
        return -1;
    }
    return 0;
}

/* The member name of fit: nclasses rows of nf numbers, into rows of stride NFMAX. */
static int load_class_rows(model_json_ctx *c, const model *m, const cJSON *fit, const char *name,
                           double (*rows)[NFMAX])
{
    double flat[MODEL_MAX_CLASSES * NFMAX];
    size_t nf = m->nfeatures;
    if (model_json_member_matrix(c, fit, "fitted", name, flat, m->nclasses, nf) != 0)
        return -1;
    for (size_t k = 0; k < m->nclasses; k++)
        memcpy(rows[k], flat + k * nf, nf * sizeof *flat);
    return 0;
}

static int load_priors_means(model_json_ctx *c, model *m, const cJSON *fit, double *logp)
{
    double pri[MODEL_MAX_CLASSES];
    const cJSON *j = model_json_member(c, fit, "fitted", "priors");
    if (!j || !model_json_numbers(c, j, "fitted.priors", pri, m->nclasses) ||
        model_json_positive(c, "fitted.priors", pri, m->nclasses) != 0)
        return -1;
    for (size_t k = 0; k < m->nclasses; k++)
        logp[k] = log(pri[k]);
    return load_class_rows(c, m, fit, "means", m->mu);
}

/* Folds the standardisation into linear scores on z: w.z + b = w'.x + b'. */
static void fold_standardisation(model *m, const double w[][NFMAX], const double *b)
{
    for (size_t k = 0; k < m->nclasses; k++) {
        m->b[k] = b[k];
        for (size_t j = 0; j < m->nfeatures; j++) {
            m->w[k][j] = w[k][j] / m->scale[j];
            m->b[k] -= m->w[k][j] * m->mean[j];
        }
    }
    m->kind = MODEL_KIND_LINEAR;
}

static int load_glm(model_json_ctx *c, model *m, const cJSON *fit)
{
    double w[MODEL_MAX_CLASSES][NFMAX], b[MODEL_MAX_CLASSES];
    const cJSON *j = model_json_member(c, fit, "fitted", "intercepts");
    if (!j || !model_json_numbers(c, j, "fitted.intercepts", b, m->nclasses))
        return -1;
    if (load_class_rows(c, m, fit, "coefficients", w) != 0)
        return -1;
    fold_standardisation(m, w, b);
    return 0;
}

static int load_lda(model_json_ctx *c, model *m, const cJSON *fit)
{
    size_t nf = m->nfeatures;
    double logp[MODEL_MAX_CLASSES], cov[NFMAX * NFMAX], l[NFMAX * NFMAX];
    double w[MODEL_MAX_CLASSES][NFMAX], b[MODEL_MAX_CLASSES];
    if (load_priors_means(c, m, fit, logp) != 0 ||
        model_json_member_matrix(c, fit, "fitted", "covariance", cov, nf, nf) != 0 ||
        spd(c, "fitted.covariance", nf, cov, l) != 0)
        return -1;
    for (size_t k = 0; k < m->nclasses; k++) {
        numeric_cholesky_solve(nf, l, m->mu[k], w[k]);
        double q = 0;
        for (size_t j = 0; j < nf; j++)
            q += m->mu[k][j] * w[k][j];
        b[k] = logp[k] - 0.5 * q;
    }
    fold_standardisation(m, w, b);
    return 0;
}

/* The quadratic kinds' inverse Cholesky factors, one zeroed row per class. */
static int alloc_linv(model_json_ctx *c, model *m, const char *path)
{
    if (!(m->linv = calloc(m->nclasses, sizeof *m->linv))) {
        model_json_fail(c, path, "out of memory");
        return -1;
    }
    return 0;
}

static int load_qda(model_json_ctx *c, model *m, const cJSON *fit)
{
    size_t nf = m->nfeatures;
    double logp[MODEL_MAX_CLASSES], cov[NFMAX * NFMAX], l[NFMAX * NFMAX];
    if (load_priors_means(c, m, fit, logp) != 0 || alloc_linv(c, m, "fitted.covariances") != 0)
        return -1;
    const cJSON *j = model_json_array_of(c, fit, "fitted", "covariances", m->nclasses,
                                         "matrices (one per class)");
    if (!j)
        return -1;
    size_t k = 0;
    for (const cJSON *e = j->child; e; e = e->next, k++) {
        char p[64];
        snprintf(p, sizeof p, "fitted.covariances[%zu]", k);
        if (model_json_matrix(c, e, p, cov, nf, nf) != 0 || spd(c, p, nf, cov, l))
            return -1;
        numeric_invert_lower(nf, l, m->linv[k]);
        m->c[k] = logp[k] - 0.5 * numeric_cholesky_logdet(nf, l);
    }
    m->kind = MODEL_KIND_QUADRATIC;
    return 0;
}

static int load_gnb(model_json_ctx *c, model *m, const cJSON *fit)
{
    size_t nf = m->nfeatures;
    double logp[MODEL_MAX_CLASSES], var[MODEL_MAX_CLASSES][NFMAX];
    if (load_priors_means(c, m, fit, logp) != 0 ||
        load_class_rows(c, m, fit, "variances", var) != 0 ||
        alloc_linv(c, m, "fitted.variances") != 0)
        return -1;
    for (size_t k = 0; k < m->nclasses; k++) {
        char p[64];
        snprintf(p, sizeof p, "fitted.variances[%zu]", k);
        if (model_json_positive(c, p, var[k], nf) != 0)
            return -1;
        m->c[k] = logp[k];
        for (size_t j = 0; j < nf; j++) {
            m->linv[k][j * nf + j] = 1 / sqrt(var[k][j]);
            m->c[k] -= 0.5 * log(var[k][j]);
        }
    }
    m->kind = MODEL_KIND_QUADRATIC;
    return 0;
}

static int load_knn(model_json_ctx *c, model *m, const cJSON *fit)
{
    const cJSON *pts = model_json_member(c, fit, "fitted", "points");
    const cJSON *lab = model_json_member(c, fit, "fitted", "labels");
    const cJSON *kj = model_json_member(c, fit, "fitted", "k");
    if (!pts || !lab || !kj)
        return -1;
    if (!cJSON_IsArray(pts) || cJSON_GetArraySize(pts) < 1 ||
        cJSON_GetArraySize(pts) > MAX_POINTS) {
        model_json_fail(c, "fitted.points", "expected an array of 1 to %d points", MAX_POINTS);
        return -1;
    }
    m->npoints = (size_t)cJSON_GetArraySize(pts);
    long k;
    long kmax = m->npoints < MODEL_KNN_MAX_K ? (long)m->npoints : MODEL_KNN_MAX_K;
    if (model_json_integer(c, kj, "fitted.k", 1, kmax, &k) != 0)
        return -1;
    m->k = (size_t)k;
    m->points = malloc(m->npoints * m->nfeatures * sizeof *m->points);
    m->labels = malloc(m->npoints);
    if (!m->points || !m->labels) {
        model_json_fail(c, "fitted.points", "out of memory for %zu points", m->npoints);
        return -1;
    }
    if (model_json_matrix(c, pts, "fitted.points", m->points, m->npoints, m->nfeatures) != 0)
        return -1;
    lab = model_json_array_of(c, fit, "fitted", "labels", m->npoints,
                              "class indices (one per point)");
    if (!lab)
        return -1;
    size_t i = 0;
    for (const cJSON *e = lab->child; e; e = e->next, i++) {
        char p[64];
        long v;
        snprintf(p, sizeof p, "fitted.labels[%zu]", i);
        if (model_json_integer(c, e, p, 0, (long)m->nclasses - 1, &v) != 0)
            return -1;
        m->labels[i] = (uint8_t)v;
    }
    m->kind = MODEL_KIND_KNN;
    return 0;
}

/* One tree: parallel arrays feature, threshold, left, right, value; node 0 is
 * the root and every child index is greater than its parent's, so scoring
 * always ends at a leaf. */
static int load_tree(model_json_ctx *c, model *m, const cJSON *t, size_t ti, size_t base)
{
    static const char *const names[] = {"feature", "threshold", "left", "right", "value"};
    char path[64], p[96];
    snprintf(path, sizeof path, "fitted.trees[%zu]", ti);
    if (!cJSON_IsObject(t)) {
        model_json_fail(c, path, "expected an object, got %s", model_json_type_name(t));
        return -1;
    }
    long cls;
    const cJSON *cj = model_json_member(c, t, path, "class");
    model_json_join(p, sizeof p, path, "class");
    if (!cj || model_json_integer(c, cj, p, 0, (long)m->nclasses - 1, &cls) != 0)
        return -1;
    const cJSON *arr[5];
    size_t n = 0;
    for (size_t a = 0; a < 5; a++) {
        model_json_join(p, sizeof p, path, names[a]);
        if (!(arr[a] = model_json_member(c, t, path, names[a])))
            return -1;
        if (!cJSON_IsArray(arr[a])) {
            model_json_fail(c, p, "expected an array, got %s", model_json_type_name(arr[a]));
            return -1;
        }
        size_t len = (size_t)cJSON_GetArraySize(arr[a]);
        if (a == 0 && (len < 1 || len > MAX_TREE_NODES)) {
            model_json_fail(c, p, "expected 1 to %d nodes, got %zu", MAX_TREE_NODES, len);
            return -1;
        }
        if (a == 0)
            n = len;
        else if (len != n) {
            model_json_fail(c, p, "expected %zu elements (one per node, as in feature), got %zu", n,
                            len);
            return -1;
        }
    }
    const cJSON *e[5];
    for (size_t a = 0; a < 5; a++)
        e[a] = arr[a]->child;
    for (size_t i = 0; i < n; i++) {
        model_node *nd = m->nodes + base + i;
        long f, l = -1, r = -1;
        snprintf(p, sizeof p, "%s.feature[%zu]", path, i);
        if (model_json_integer(c, e[0], p, -1, (long)m->nfeatures - 1, &f) != 0)
            return -1;
        for (size_t a = 1; a < 5; a += 3) {
            snprintf(p, sizeof p, "%s.%s[%zu]", path, names[a], i);
            if (!cJSON_IsNumber(e[a]) || !isfinite(e[a]->valuedouble)) {
                model_json_fail(c, p, "expected a finite number, got %s",
                                model_json_type_name(e[a]));
                return -1;
            }
        }
        if (f >= 0) {
            snprintf(p, sizeof p, "%s.left[%zu]", path, i);
            if (model_json_integer(c, e[2], p, (long)i + 1, (long)n - 1, &l) != 0)
                return -1;
            snprintf(p, sizeof p, "%s.right[%zu]", path, i);
            if (model_json_integer(c, e[3], p, (long)i + 1, (long)n - 1, &r) != 0)
                return -1;
        }
        nd->feature = (int32_t)f;
        nd->threshold = e[1]->valuedouble;
        nd->left = (uint32_t)(base + (size_t)(l < 0 ? 0 : l));
        nd->right = (uint32_t)(base + (size_t)(r < 0 ? 0 : r));
        nd->value = e[4]->valuedouble;
        for (size_t a = 0; a < 5; a++)
            e[a] = e[a]->next;
    }
    m->roots[ti].root = (uint32_t)base;
    m->roots[ti].cls = (uint32_t)cls;
    return 0;
}

static int load_gbm(model_json_ctx *c, model *m, const cJSON *fit)
{
    const cJSON *init = model_json_member(c, fit, "fitted", "init");
    const cJSON *trees = model_json_member(c, fit, "fitted", "trees");
    if (!init || !trees || !model_json_numbers(c, init, "fitted.init", m->b, m->nclasses))
        return -1;
    if (!cJSON_IsArray(trees) || cJSON_GetArraySize(trees) > MAX_TREES) {
        model_json_fail(c, "fitted.trees", "expected an array of at most %d trees", MAX_TREES);
        return -1;
    }
    m->ntrees = (size_t)cJSON_GetArraySize(trees);
    for (const cJSON *t = trees->child; t; t = t->next) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(t, "feature");
        if (cJSON_IsArray(f))
            m->nnodes += (size_t)cJSON_GetArraySize(f);
    }
    m->roots = calloc(m->ntrees ? m->ntrees : 1, sizeof *m->roots);
    m->nodes = calloc(m->nnodes ? m->nnodes : 1, sizeof *m->nodes);
    if (!m->roots || !m->nodes) {
        model_json_fail(c, "fitted.trees", "out of memory for %zu nodes", m->nnodes);
        return -1;
    }
    size_t ti = 0, base = 0;
    for (const cJSON *t = trees->child; t; t = t->next, ti++) {
        if (load_tree(c, m, t, ti, base) != 0)
            return -1;
        base += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(t, "feature"));
    }
    m->kind = MODEL_KIND_TREES;
    return 0;
}

static const struct {
    const char *name;
    int (*load)(model_json_ctx *, model *, const cJSON *);
} families[] = {
    {"glm", load_glm}, {"lda", load_lda}, {"qda", load_qda},
    {"gnb", load_gnb}, {"knn", load_knn}, {"gbm", load_gbm},
};

/* "label": the label field's name, optional ("species"), not a feature's. */
static int load_label(model_json_ctx *c, model *m, const cJSON *root)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, "label");
    const char *name = j ? cJSON_GetStringValue(j) : "species";
    char key[SCHEMA_NAME_MAX + 1];
    if (!name || schema_key(name, strlen(name), key) < 0) {
        model_json_fail(c, "label",
                        "expected the label field's name, 1 to %d printable characters, not only "
                        "'_', '-', '.' or ' '",
                        SCHEMA_NAME_MAX);
        return -1;
    }
    if (model_feature_index(m, name, strlen(name)) >= 0) {
        model_json_fail(c, "label", "\"%s\" names a feature too", name);
        return -1;
    }
    strcpy(m->label, name);
    return 0;
}

/* A feature name: valid by the schema's rule and not the same field as an
 * earlier one.  Returns 0, or -1 after failing at path. */
static int check_feature(model_json_ctx *c, const model *m, const char *path, const cJSON *e)
{
    char key[SCHEMA_NAME_MAX + 1];
    if (!cJSON_IsString(e) || schema_key(e->valuestring, strlen(e->valuestring), key) < 0) {
        model_json_fail(c, path,
                        "expected a feature name of 1 to %d printable characters, not only "
                        "'_', '-', '.' or ' '",
                        SCHEMA_NAME_MAX);
        return -1;
    }
    int dup = model_feature_index(m, e->valuestring, strlen(e->valuestring));
    if (dup >= 0) {
        model_json_fail(c, path,
                        "\"%s\" names the same field as features[%d] \"%s\" (names match "
                        "ignoring case, '_', '-', '.' and ' ')",
                        e->valuestring, dup, m->feature_names[dup]);
        return -1;
    }
    return 0;
}

/* A class name: 1 to 63 characters, different from every earlier one in more
 * than case (labels match class names ignoring case). */
static int check_class(model_json_ctx *c, const model *m, const char *path, const cJSON *e)
{
    if (!cJSON_IsString(e) || !e->valuestring[0] || strlen(e->valuestring) > 63) {
        model_json_fail(c, path, "expected a class name of 1 to 63 characters");
        return -1;
    }
    for (size_t k = 0; k < m->nclasses; k++)
        if (strcasecmp(m->class_names[k], e->valuestring) == 0) {
            model_json_fail(c, path,
                            "duplicate class name \"%s\" (labels match class names ignoring "
                            "case, so names must differ in more than case)",
                            e->valuestring);
            return -1;
        }
    return 0;
}

/* Copies the names of arr (field "features" or "classes") into names,
 * counting them in *count as it goes, each accepted by check first. */
static int load_names(model_json_ctx *c, model *m, const cJSON *arr, const char *field,
                      int (*check)(model_json_ctx *, const model *, const char *, const cJSON *),
                      char **names, size_t *count)
{
    for (const cJSON *e = arr->child; e; e = e->next) {
        char p[32];
        snprintf(p, sizeof p, "%s[%zu]", field, *count);
        if (check(c, m, p, e) != 0)
            return -1;
        if (!(names[*count] = strdup(e->valuestring))) {
            model_json_fail(c, p, "out of memory");
            return -1;
        }
        (*count)++;
    }
    return 0;
}

/* "features": 1 to MODEL_MAX_FEATURES names (schema.h), unique by key. */
static int load_features(model_json_ctx *c, model *m, const cJSON *root)
{
    const cJSON *feat = model_json_member(c, root, "", "features");
    if (!feat)
        return -1;
    int n = cJSON_IsArray(feat) ? cJSON_GetArraySize(feat) : -1;
    if (n < 1 || n > MODEL_MAX_FEATURES) {
        model_json_fail(c, "features", "expected an array of 1 to %d feature names, got %s",
                        MODEL_MAX_FEATURES, model_json_type_name(feat));
        return -1;
    }
    return load_names(c, m, feat, "features", check_feature, m->feature_names, &m->nfeatures);
}

/* "classes": 2 to MODEL_MAX_CLASSES names, different in more than case. */
static int load_classes(model_json_ctx *c, model *m, const cJSON *root)
{
    const cJSON *cl = model_json_member(c, root, "", "classes");
    if (!cl)
        return -1;
    if (!cJSON_IsArray(cl)) {
        model_json_fail(c, "classes", "expected an array of class names, got %s",
                        model_json_type_name(cl));
        return -1;
    }
    int n = cJSON_GetArraySize(cl);
    if (n < 2 || n > MODEL_MAX_CLASSES) {
        model_json_fail(c, "classes", "expected 2 to %d class names, got %d", MODEL_MAX_CLASSES, n);
        return -1;
    }
    return load_names(c, m, cl, "classes", check_class, m->class_names, &m->nclasses);
}

static int load_header(model_json_ctx *c, model *m, const cJSON *root)
{
    const char *fmt = model_json_string(c, root, "", "format");
    if (!fmt)
        return -1;
    if (strcmp(fmt, "iris-lambda-model") != 0) {
        model_json_fail(c, "format", "expected \"iris-lambda-model\", got \"%s\"", fmt);
        return -1;
    }
    long version;
    const cJSON *v = model_json_member(c, root, "", "format_version");
    if (!v || model_json_integer(c, v, "format_version", 1, 1, &version) != 0)
        return -1;
    const char *id = model_json_string(c, root, "", "model_id");
    if (!id)
        return -1;
    if (strlen(id) >= sizeof m->id) {
        model_json_fail(c, "model_id", "longer than %zu characters", sizeof m->id - 1);
        return -1;
    }
    strcpy(m->id, id);
    if (load_features(c, m, root) != 0 || load_label(c, m, root) != 0 ||
        load_classes(c, m, root) != 0)
        return -1;
    const cJSON *st = model_json_object(c, root, "", "standardize");
    const cJSON *mean = st ? model_json_member(c, st, "standardize", "mean") : NULL;
    const cJSON *scale = st ? model_json_member(c, st, "standardize", "scale") : NULL;
    size_t nf = m->nfeatures;
    if (!mean || !scale || !model_json_numbers(c, mean, "standardize.mean", m->mean, nf) ||
        !model_json_numbers(c, scale, "standardize.scale", m->scale, nf) ||
        model_json_positive(c, "standardize.scale", m->scale, nf) != 0)
        return -1;
    return 0;
}

static model *parse(model_json_ctx *c, const char *text, size_t len)
{
    model *m = NULL, *result = NULL;
    char why[384];
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= text && at <= text + len ? (size_t)(at - text) : len;
        size_t line = 1;
        for (size_t i = 0; i < off; i++)
            line += text[i] == '\n';
        model_json_fail(c, NULL, "not valid JSON (error near byte %zu, line %zu)", off, line);
        goto cleanup;
    }
    if (!cJSON_IsObject(root)) {
        model_json_fail(c, NULL, "expected a JSON object at the top level, got %s",
                        model_json_type_name(root));
        goto cleanup;
    }
    if (!(m = calloc(1, sizeof *m))) {
        model_json_fail(c, NULL, "out of memory");
        goto cleanup;
    }
    if (load_header(c, m, root) != 0)
        goto cleanup;
    const char *family = model_json_string(c, root, "", "family");
    const cJSON *fit = model_json_object(c, root, "", "fitted");
    if (!family || !fit)
        goto cleanup;
    size_t f = 0;
    while (f < sizeof families / sizeof families[0] && strcmp(families[f].name, family) != 0)
        f++;
    if (f == sizeof families / sizeof families[0]) {
        model_json_fail(c, "family", "unknown family \"%s\" (known: glm, lda, qda, gnb, knn, gbm)",
                        family);
        goto cleanup;
    }
    strcpy(m->family, families[f].name);
    if (families[f].load(c, m, fit) != 0)
        goto cleanup;
    if (baseline_read(root, c->src, m->nclasses, &m->baseline, c->err, c->errlen) != 0)
        goto cleanup;
    if (model_check_probes(m, why, sizeof why) != 0) {
        model_json_fail(c, NULL, "%s", why);
        goto cleanup;
    }
    result = m;
    m = NULL;
cleanup:
    model_free(m);
    cJSON_Delete(root);
    return result;
}

model *model_from_json(const char *text, size_t len, char *err, size_t errlen)
{
    model_json_ctx c = {"model JSON", err, errlen};
    if (errlen)
        err[0] = '\0';
    return parse(&c, text, len);
}

model *model_load(const char *path, char *err, size_t errlen)
{
    model_json_ctx c = {path, err, errlen};
    model *m = NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    if (errlen)
        err[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) {
        model_json_fail(&c, NULL, "cannot open model file: %s", strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            char *t = cap <= MAX_ARTIFACT_BYTES ? realloc(text, cap) : NULL;
            if (!t) {
                model_json_fail(&c, NULL, "model file larger than %u bytes or out of memory",
                                MAX_ARTIFACT_BYTES);
                goto cleanup;
            }
            text = t;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        model_json_fail(&c, NULL, "cannot read model file: %s", strerror(errno));
        goto cleanup;
    }
    if (len == 0) {
        model_json_fail(&c, NULL, "model file is empty");
        goto cleanup;
    }
    m = parse(&c, text, len);
cleanup:
    free(text);
    fclose(f);
    return m;
}
