/* test_schema.c: the record schema's naming rules (model/schema.h): which
 * spellings of a field name match, the snake_case and camelCase spellings,
 * and which labels name a class.  Expected values are written by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/schema.h"

#include <string.h>

typedef int (*spelling_fn)(const char *, size_t, char[SCHEMA_NAME_MAX + 1]);

static void expect_spelling(const char *what, spelling_fn f, const char *in, const char *want)
{
    char out[SCHEMA_NAME_MAX + 1] = "";
    int n = f(in, strlen(in), out);
    if (!want) {
        if (n >= 0)
            fail_msg("%s(\"%s\"): expected -1, got %d \"%s\"", what, in, n, out);
        return;
    }
    if (n != (int)strlen(want) || strcmp(out, want) != 0)
        fail_msg("%s(\"%s\"): expected \"%s\", got %d \"%s\"", what, in, want, n,
                 n >= 0 ? out : "");
}

static void test_every_spelling_of_a_field_name_has_the_same_key(void **state)
{
    (void)state;
    static const char *const spellings[] = {"sepalLength", "sepal_length", "SEPAL_LENGTH",
                                            "SEPALLENGTH", "Sepal.Length", "sepal-length",
                                            "Sepal Length"};
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++)
        expect_spelling("schema_key", schema_key, spellings[i], "sepallength");
    expect_spelling("schema_key", schema_key, "od280/od315_of_diluted_wines",
                    "od280/od315ofdilutedwines");
    expect_spelling("schema_key", schema_key, "", NULL);
    expect_spelling("schema_key", schema_key, "_.-", NULL);
    expect_spelling("schema_key", schema_key, "tab\there", NULL);
    expect_spelling("schema_key", schema_key,
                    "a234567890123456789012345678901234567890123456789012345678901234", NULL);
}

static void test_snake_case_splits_words_at_separators_and_case_changes(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"sepalLength", "sepal_length"},
        {"Sepal.Length", "sepal_length"},
        {"SEPAL_LENGTH", "sepal_length"},
        {"sepal_length", "sepal_length"},
        {"SEPALLENGTH", "sepallength"},
        {"od280Od315", "od280_od315"},
        {"__x__y", "x_y"},
        {"malic acid", "malic_acid"},
        {"od280/od315_of_diluted_wines", "od280/od315_of_diluted_wines"},
    };
    /* SEPALLENGTH has no word boundary to find: one word. */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_spelling("schema_snake", schema_snake, cases[i][0], cases[i][1]);
}

static void test_camel_case_of_a_snake_case_name(void **state)
{
    (void)state;
    expect_spelling("schema_camel", schema_camel, "sepal_length", "sepalLength");
    expect_spelling("schema_camel", schema_camel, "od280/od315_of_diluted_wines",
                    "od280/od315OfDilutedWines");
    expect_spelling("schema_camel", schema_camel, "proline", "proline");
    expect_spelling("schema_camel", schema_camel, "_x", "x");
}

static void test_labels_name_classes_ignoring_case_and_a_prefix(void **state)
{
    (void)state;
    static const char *const classes[] = {"setosa", "versicolor", "virginica", "class_0"};
    static const struct {
        const char *label;
        int want;
    } cases[] = {
        {"setosa", 0},         {"SETOSA", 0},   {"Iris-setosa", 0}, {"iris_Versicolor", 1},
        {"IRIS virginica", 2}, {"class_0", 3},  {"CLASS_0", 3},     {"0", -1},
        {"Iris-", -1},         {"-setosa", -1}, {"a-b-setosa", -1}, {"setos", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = schema_label_index(classes, 4, cases[i].label, strlen(cases[i].label));
        if (got != cases[i].want)
            fail_msg("label \"%s\": expected class %d, got %d", cases[i].label, cases[i].want, got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_spelling_of_a_field_name_has_the_same_key),
        cmocka_unit_test(test_snake_case_splits_words_at_separators_and_case_changes),
        cmocka_unit_test(test_camel_case_of_a_snake_case_name),
        cmocka_unit_test(test_labels_name_classes_ignoring_case_and_a_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
