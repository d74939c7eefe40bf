/* test_baseline.c: model/baseline: the artifact's "monitoring" object is
 * read and checked field by field, and the atypical distance is the
 * Mahalanobis distance to the nearest class (values worked out by hand). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>

#include "tests/lib/testfile.h"
#include "model/baseline.h"
#include "model/model.h"

static cJSON *shipped(void)
{
    size_t len = 0;
    char *text = testfile_read("model/iris-model.json", &len);
    assert_non_null(text);
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    assert_non_null(root);
    return root;
}

/* Loads root (consumed); returns the model or NULL with err. */
static model *load(cJSON *root, char *err, size_t errlen)
{
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    assert_non_null(text);
    model *m = model_from_json(text, strlen(text), err, errlen);
    free(text);
    return m;
}

static void shipped_artifact_carries_its_monitoring_statistics(void **state)
{
    (void)state;
    cJSON *root = shipped();
    cJSON *mon = cJSON_GetObjectItem(root, "monitoring");
    assert_non_null(mon);
    double rate = cJSON_GetObjectItem(mon, "error_rate")->valuedouble;
    double atyp =
        cJSON_GetObjectItem(cJSON_GetObjectItem(mon, "inputs"), "atypical_rate")->valuedouble;
    char err[512];
    model *m = load(root, err, sizeof err);
    if (!m)
        fail_msg("%s", err);
    const baseline *b = model_baseline(m);
    assert_int_equal(b->present, 1);
    assert_float_equal(b->error_rate, rate, 0);
    assert_float_equal(b->atypical_rate, atyp, 0);
    assert_int_equal(b->rows, 150);
    /* A setosa at its class mean is typical; a 20 cm flower is not. */
    double setosa[4] = {5.006, 3.428, 1.462, 0.246}, giant[4] = {20, 20, 20, 20};
    assert_true(baseline_distance2(b, setosa) < 1e-6);
    assert_int_equal(baseline_atypical(b, setosa), 0);
    assert_int_equal(baseline_atypical(b, giant), 1);
    model_free(m);
}

static void artifact_without_monitoring_loads_with_no_baseline(void **state)
{
    (void)state;
    cJSON *root = shipped();
    cJSON_DeleteItemFromObject(root, "monitoring");
    char err[512];
    model *m = load(root, err, sizeof err);
    if (!m)
        fail_msg("%s", err);
    assert_int_equal(model_baseline(m)->present, 0);
    model_free(m);
}

/* Replaces the member at path (a.b.c) of the shipped artifact with value. */
static void expect_error(const char *obj, const char *member, const char *value_json,
                         const char *want)
{
    cJSON *root = shipped();
    cJSON *parent = root;
    char path[128];
    snprintf(path, sizeof path, "%s", obj);
    for (char *tok = strtok(path, "."); tok; tok = strtok(NULL, "."))
        parent = cJSON_GetObjectItem(parent, tok);
    assert_non_null(parent);
    cJSON *v = cJSON_Parse(value_json);
    assert_non_null(v);
    cJSON_ReplaceItemInObject(parent, member, v);
    char err[512];
    model *m = load(root, err, sizeof err);
    if (m != NULL)
        fail_msg("expected %s.%s = %s to be refused", obj, member, value_json);
    if (strstr(err, want) == NULL)
        fail_msg("expected the error to contain [%s], got [%s]", want, err);
}

static void bad_monitoring_fields_are_refused_with_their_path(void **state)
{
    (void)state;
    expect_error("monitoring", "error_rate", "1.5",
                 "field \"monitoring.error_rate\": expected a number from 0 to 0.999");
    expect_error("monitoring", "rows", "\"many\"",
                 "field \"monitoring.rows\": expected a number from 1 to 1e+12, got a string");
    expect_error("monitoring.inputs", "class_covariances",
                 "[[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]],[[0,0,0,0],[0,0,0,0],[0,0,0,0],[0,0,"
                 "0,0]],[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]]",
                 "field \"monitoring.inputs.class_covariances[1]\": not positive definite");
    expect_error("monitoring.inputs", "class_covariances",
                 "[[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]]", "one per class");
    expect_error("monitoring.inputs", "feature_sds", "[1,1,0,1]",
                 "field \"monitoring.inputs.feature_sds[2]\": must be positive");
    expect_error("monitoring.inputs", "atypical_rate", "-0.1",
                 "field \"monitoring.inputs.atypical_rate\"");
    cJSON *root = shipped();
    cJSON_ReplaceItemInObject(root, "monitoring", cJSON_CreateNumber(3));
    char err[512];
    assert_null(load(root, err, sizeof err));
    assert_non_null(strstr(err, "field \"monitoring\": expected an object, got a number"));
}

static void distance_is_to_the_nearest_class_in_its_own_metric(void **state)
{
    (void)state;
    baseline b;
    memset(&b, 0, sizeof b);
    b.present = 1;
    b.nclasses = 2;
    /* Class 0 at the origin with variance 4 on the first feature (inverse
     * Cholesky factor 1/2 there), class 1 at (10,0,0,0) with identity. */
    for (int i = 0; i < 4; i++) {
        b.linv[0][i * 4 + i] = i == 0 ? 0.5 : 1;
        b.linv[1][i * 4 + i] = 1;
    }
    b.mean[1][0] = 10;
    b.atypical_d2 = 2;
    double x[4] = {2, 0, 0, 0}; /* (2/2)^2 = 1 to class 0; 8^2 = 64 to class 1 */
    assert_float_equal(baseline_distance2(&b, x), 1.0, 1e-12);
    assert_int_equal(baseline_atypical(&b, x), 0);
    double y[4] = {8, 1, 1, 0}; /* class 1: 4 + 1 + 1 = 6; class 0: 16 + 2 = 18 */
    assert_float_equal(baseline_distance2(&b, y), 6.0, 1e-12);
    assert_int_equal(baseline_atypical(&b, y), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped_artifact_carries_its_monitoring_statistics),
        cmocka_unit_test(artifact_without_monitoring_loads_with_no_baseline),
        cmocka_unit_test(bad_monitoring_fields_are_refused_with_their_path),
        cmocka_unit_test(distance_is_to_the_nearest_class_in_its_own_metric),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
