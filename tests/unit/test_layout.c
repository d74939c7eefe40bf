/* test_layout.c: the batch parser reads the record layout of the model it
 * serves (lambda/batch/layout.c, batch_use_model): another model's fields in
 * every spelling of model/schema.h, its label field, values beyond the iris
 * centimetres, more features than the iris four; and the iris layout again
 * once an iris model is used.  Expected values are written by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lambda/batch/batch.h"
#include "model/model.h"

#include <stdio.h>
#include <string.h>

/* A glm over nf features named f0..f{nf-1} ("feat_0" style), label "kind". */
static model *model_with(size_t nf, const char *label)
{
    char text[8192], feats[1024] = "", zeros[512] = "", ones[512] = "";
    for (size_t j = 0; j < nf; j++) {
        char one[32];
        snprintf(one, sizeof one, "%s\"feat_%zu\"", j ? "," : "", j);
        strcat(feats, one);
        strcat(zeros, j ? ",0" : "0");
        strcat(ones, j ? ",1" : "1");
    }
    snprintf(text, sizeof text,
             "{\"format\":\"iris-lambda-model\",\"format_version\":1,\"model_id\":\"t\","
             "\"features\":[%s],\"label\":\"%s\",\"classes\":[\"class_0\",\"class_1\"],"
             "\"standardize\":{\"mean\":[%s],\"scale\":[%s]},\"family\":\"glm\","
             "\"fitted\":{\"intercepts\":[0,0],\"coefficients\":[[%s],[%s]]}}",
             feats, label, zeros, ones, zeros, ones);
    char err[512];
    model *m = model_from_json(text, strlen(text), err, sizeof err);
    if (!m)
        fail_msg("test model: %s", err);
    return m;
}

static void use(const model *m)
{
    char err[256];
    if (batch_use_model(m, err, sizeof err) != 0)
        fail_msg("batch_use_model: %s", err);
}

static void parse(const char *json, batch *b)
{
    char err[512];
    int rc = batch_parse(json, strlen(json), b, err, sizeof err);
    if (rc != BATCH_OK)
        fail_msg("batch_parse: %d %s", rc, err);
}

static void test_another_model_s_fields_and_label_are_read_in_every_spelling(void **state)
{
    (void)state;
    model *m = model_with(6, "kind_of_thing");
    use(m);
    assert_int_equal(batch_num_features(), 6);
    assert_string_equal(batch_feature_name(2), "feat2");
    assert_string_equal(batch_label_name(), "kindOfThing");
    assert_string_equal(batch_predicted_name(), "predictedKindOfThing");
    assert_int_equal(batch_layout_is_iris(), 0);
    batch b;
    parse("[{\"payload\":{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"value\":"
          "{\"feat0\":1000,\"FEAT_1\":\"-2.5\",\"feat.2\":3,\"Feat_3\":4,\"feat4\":5,\"FEAT5\":6,"
          "\"KIND_OF_THING\":\"Class_1\"}}},"
          "{\"payload\":{\"topic\":\"t\",\"partition\":0,\"offset\":2,\"value\":"
          "{\"feat0\":1,\"feat1\":2,\"feat2\":3,\"feat3\":4,\"feat4\":5}}}]",
          &b);
    assert_int_equal(b.count, 2);
    const batch_record *r = &b.records[0];
    if (r->error)
        fail_msg("record 0: %s", r->error);
    static const double want[6] = {1000, -2.5, 3, 4, 5, 6};
    assert_memory_equal(batch_record_features(r), want, sizeof want);
    assert_string_equal(r->species, "class_1");
    assert_non_null(b.records[1].error);
    assert_string_equal(b.records[1].error,
                        "value: missing field feat5 (also accepted: feat_5 style, "
                        "FEAT_5 style)");
    batch_free(&b);
    /* A label value that cannot be a class name is named by the label field. */
    parse("[{\"payload\":{\"offset\":3,\"value\":{\"feat0\":1,\"feat1\":2,\"feat2\":3,"
          "\"feat3\":4,\"feat4\":5,\"feat5\":6,\"kindOfThing\":\"bad!\"}}}]",
          &b);
    assert_non_null(b.records[0].error);
    assert_string_equal(b.records[0].error,
                        "value.kindOfThing: \"bad!\" is not a kindOfThing name");
    batch_free(&b);
    model_free(m);
}

static void test_an_iris_model_brings_back_the_iris_layout(void **state)
{
    (void)state;
    char err[512];
    model *other = model_with(2, "species");
    use(other);
    model *iris = model_load("model/iris-model.json", err, sizeof err);
    if (!iris)
        fail_msg("%s", err);
    use(iris);
    assert_int_equal(batch_layout_is_iris(), 1);
    assert_int_equal(batch_num_features(), 4);
    assert_string_equal(batch_feature_name(0), "sepalLength");
    assert_string_equal(batch_predicted_name(), "predictedSpecies");
    batch b;
    parse("[{\"payload\":{\"value\":{\"sepalLength\":500,\"sepalWidth\":3,\"petalLength\":1,"
          "\"petalWidth\":0.2,\"species\":\"setosa\"}}}]",
          &b);
    assert_non_null(b.records[0].error);
    if (!strstr(b.records[0].error, "out of range (a length in cm, 0 to 100)"))
        fail_msg("expected the iris range error, got \"%s\"", b.records[0].error);
    batch_free(&b);
    model_free(iris);
    model_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_another_model_s_fields_and_label_are_read_in_every_spelling),
        cmocka_unit_test(test_an_iris_model_brings_back_the_iris_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
