/* Unit tests for producer/rowset: CSV loading and its error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "producer/rowset.h"

#define HEADER "sepal_length,sepal_width,petal_length,petal_width,species\n"

static void keeps_number_text_and_collects_species(void **state)
{
    (void)state;
    char err[256];
    const char csv[] = HEADER "5.1,3.5,1.4,0.2,setosa\r\n"
                              "\n"
                              " 7.0 , 3.20 ,4.7,1.4,\"versicolor\"\n"
                              "6.3,3.3,6.0,2.5,virginica\n"
                              "4.9,3.0,1.4,0.2,setosa";
    struct rowset *ds = rowset_parse(csv, strlen(csv), "t.csv", err, sizeof(err));
    assert_non_null(ds);
    assert_int_equal(ds->n_rows, 4);
    assert_int_equal(ds->n_species, 3);
    assert_string_equal(ds->species[0], "setosa");
    assert_string_equal(ds->species[1], "versicolor");
    assert_string_equal(ds->rows[1].text[1], "3.20"); /* not reformatted to 3.2 */
    assert_int_equal(ds->rows[1].decimals[1], 2);
    assert_int_equal(ds->rows[1].species, 1);
    assert_int_equal(ds->rows[1].line, 4);
    assert_true(ds->rows[3].value[0] == 4.9);
    assert_int_equal(ds->rows[3].species, 0);
    rowset_free(ds);
}

static const struct {
    const char *csv;
    const char *error;
} bad_files[] = {
    {"", "t.csv:1: expected the header"},
    {"sepal_length,sepal_width\n1,2\n", "t.csv:1: expected the header"},
    {HEADER, "t.csv: no data rows after the header"},
    {HEADER "5.1,3.5,1.4,0.2\n", "t.csv:2: expected 5 comma-separated fields, got 4"},
    {HEADER "5.1,3.5,1.4,0.2,setosa,x\n", "t.csv:2: expected 5 comma-separated fields, got 6"},
    {HEADER "5.1,3.5,1.4,0.2,setosa\nx,3.5,1.4,0.2,setosa\n",
     "t.csv:3: sepal_length: 'x' is not a number"},
    {HEADER "5.1,3.5,,0.2,setosa\n", "t.csv:2: petal_length: '' is not a number"},
    {HEADER "5.1,3.5,1.4,.2,setosa\n", "t.csv:2: petal_width: '.2' is not a number"},
    {HEADER "5.1,3.5,1.4,1.,setosa\n", "t.csv:2: petal_width: '1.' is not a number"},
    {HEADER "5.1,3.5,1.4,+1,setosa\n", "t.csv:2: petal_width: '+1' is not a number"},
    {HEADER "5.1,3.5,1.4,nan,setosa\n", "t.csv:2: petal_width: 'nan' is not a number"},
    {HEADER "5.1,3.5,1.4,01,setosa\n", "t.csv:2: petal_width: '01' is not a number"},
    {HEADER "5.1,3.5,1.4,1e999,setosa\n", "t.csv:2: petal_width: '1e999' is not a number"},
    {HEADER "5.1,3.5,1.4,0.2,\n", "t.csv:2: species is empty"},
    /* Found by fuzz-producer-rowset: the field was quoted raw with %.40s,
     * which could cut a UTF-8 sequence or pass a tab on to the terminal. */
    {HEADER "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9,3.5,1.4,0.2,setosa\n",
     "t.csv:2: sepal_length: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\xC3...' is not a number"},
    {HEADER "1\t2\\,3.5,1.4,0.2,setosa\n", "t.csv:2: sepal_length: '1\\x092\\x5C' is not a number"},
    {HEADER "x2345678901234567890123456789012345678901234567890,3.5,1.4,0.2,setosa\n",
     "t.csv:2: sepal_length: 'x234567890123456789012345678901234567890...' is not a number"},
};

static void rejects_bad_files_with_file_and_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
        char err[256] = "";
        struct rowset *ds =
            rowset_parse(bad_files[i].csv, strlen(bad_files[i].csv), "t.csv", err, sizeof(err));
        if (ds || strncmp(err, bad_files[i].error, strlen(bad_files[i].error)) != 0)
            fail_msg("case %zu: expected error '%s', got '%s'", i, bad_files[i].error,
                     ds ? "(accepted)" : err);
    }
}

static void accepts_json_number_forms(void **state)
{
    (void)state;
    char err[256];
    const char csv[] = HEADER "0,-1.5,2e3,1.25E-2,x\n";
    struct rowset *ds = rowset_parse(csv, strlen(csv), "t.csv", err, sizeof(err));
    assert_non_null(ds);
    assert_string_equal(ds->rows[0].text[2], "2e3");
    assert_true(ds->rows[0].value[3] == 0.0125);
    rowset_free(ds);
}

static void rejects_bytes_that_are_not_text_with_line_and_column(void **state)
{
    (void)state;
    static const struct {
        const char *csv;
        size_t len;
        const char *error;
    } cases[] = {
        {HEADER "5.1,3.5,1.4,0.2,se\0tosa\n", sizeof(HEADER) + 23 - 1,
         "t.csv:2:19: a NUL byte (0x00): the data file must be CSV text (UTF-8)"},
        {HEADER "5.1,3.5,1.4,0.2,set\xffosa\n", sizeof(HEADER) + 24 - 1,
         "t.csv:2:20: a byte that is not UTF-8 (0xFF): the data file must be CSV text (UTF-8)"},
        {HEADER "5.1,3.5,1.4,0.2,setosa\n\x1b[31m\n", sizeof(HEADER) + 29 - 1,
         "t.csv:3:1: a control byte (0x1B): the data file must be CSV text (UTF-8)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        struct rowset *ds = rowset_parse(cases[i].csv, cases[i].len, "t.csv", err, sizeof(err));
        if (ds != NULL || strcmp(err, cases[i].error) != 0)
            fail_msg("case %zu: expected \"%s\", got \"%s\"", i, cases[i].error, err);
    }
}

static void accepts_a_utf8_byte_order_mark(void **state)
{
    (void)state;
    char err[256];
    const char csv[] = "\xEF\xBB\xBF" HEADER "5.1,3.5,1.4,0.2,setosa\n";
    struct rowset *ds = rowset_parse(csv, sizeof(csv) - 1, "t.csv", err, sizeof(err));
    if (ds == NULL)
        fail_msg("expected the file to load, got \"%s\"", err);
    assert_int_equal(ds->n_rows, 1);
    rowset_free(ds);
}

static void loads_the_shipped_iris_file(void **state)
{
    (void)state;
    char err[256];
    struct rowset *ds = rowset_load("model/iris.csv", err, sizeof(err));
    if (!ds)
        fail_msg("%s", err);
    assert_int_equal(ds->n_rows, 150);
    assert_int_equal(ds->n_species, 3);
    rowset_free(ds);
    assert_null(rowset_load("no/such/file.csv", err, sizeof(err)));
    assert_string_equal(err, "no/such/file.csv: cannot open: No such file or directory");
    rowset_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_number_text_and_collects_species),
        cmocka_unit_test(rejects_bad_files_with_file_and_line),
        cmocka_unit_test(accepts_json_number_forms),
        cmocka_unit_test(rejects_bytes_that_are_not_text_with_line_and_column),
        cmocka_unit_test(accepts_a_utf8_byte_order_mark),
        cmocka_unit_test(loads_the_shipped_iris_file),
    };
    return cmocka_run_group_tests_name("producer_rowset", tests, NULL, NULL);
}
