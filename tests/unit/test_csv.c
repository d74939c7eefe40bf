/* test_csv.c: the exact CSV reader (trainer/csv.h) and the training set it
 * loads (trainer/trainset.h): every malformed input gets its FILE:LINE:COL
 * error; quoted fields, CRLF, a byte-order mark and R's names are read; the
 * label column, the features and the classes come from the file.  Expected
 * values are written by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "trainer/csv.h"
#include "trainer/trainset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes len bytes to a temporary file; the caller unlinks path. */
static void write_file(char *path, const char *text, size_t len)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* The fields of every record of text, joined as "a|b;c|d;" (records end with ';'). */
static int read_all(const char *text, size_t len, char *out, size_t outlen, char *err,
                    size_t errlen)
{
    char path[] = "/tmp/test_csv_XXXXXX";
    csv_reader r;
    const char *bytes;
    size_t nbytes, o = 0;
    int rc = -1;
    write_file(path, text, len);
    if (csv_open(&r, path, &bytes, &nbytes, err, errlen) != 0)
        goto cleanup;
    out[0] = '\0';
    for (;;) {
        csv_field f[8];
        long n = csv_next(&r, f, 8, err, errlen);
        if (n < 0)
            goto cleanup;
        if (n == 0)
            break;
        for (long i = 0; i < n && i < 8; i++)
            o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? "|" : "", f[i].s);
        o += (size_t)snprintf(out + o, outlen - o, ";");
    }
    rc = 0;
cleanup:
    csv_close(&r);
    /* Errors name the temporary file: replace it with "F" for comparison. */
    char *at = strstr(err, path);
    if (rc != 0 && at)
        memmove(at + 1, at + strlen(path), strlen(at + strlen(path)) + 1), *at = 'F';
    unlink(path);
    return rc;
}

static void test_reader_reads_rfc4180_quoting_crlf_and_a_bom(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"a,b\nc,d\n", "a|b;c|d;"},
        {"a,b\r\nc,d", "a|b;c|d;"},
        {"\xef\xbb\xbf"
         "a,b\n1,2\n",
         "a|b;1|2;"},
        {"\"a,b\",\"say \"\"hi\"\"\"\n", "a,b|say \"hi\";"},
        {"\"two\nlines\",x\n", "two\nlines|x;"},
        {" a , b \n\n  \nc,\"\"\n", "a|b;c|;"},
        {",\n", "|;"},
        {"\"q\" ,x\n", "q|x;"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256], err[512] = "";
        if (read_all(cases[i].text, strlen(cases[i].text), out, sizeof out, err, sizeof err) != 0)
            fail_msg("case %zu: expected \"%s\", got error \"%s\"", i, cases[i].want, err);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: expected \"%s\", got \"%s\"", i, cases[i].want, out);
    }
}

static void test_reader_refuses_malformed_csv_with_line_and_column(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len;
        const char *want;
    } cases[] = {
        {"a,b\n1,x\0y\n", 10, "F:2:4: NUL byte in a field"},
        {"a,b\n1,\"x\0\"\n", 11, "F:2:5: NUL byte inside a quoted field"},
        {"a,b\r1,2\n", 8, "F:1:4: carriage return without a line feed"},
        {"a,b\n1,x\"y\n", 10, "F:2:4: quote inside an unquoted field"},
        {"a,b\n1,\"x\"y\n", 11, "F:2:6: text after the closing quote"},
        {"a,b\n1,\"xy\n\n", 11, "F:2:3: quoted field never closed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256], err[512] = "";
        if (read_all(cases[i].text, cases[i].len, out, sizeof out, err, sizeof err) == 0)
            fail_msg("case %zu: expected \"%s\", got the records \"%s\"", i, cases[i].want, out);
        if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: expected \"%s...\", got \"%s\"", i, cases[i].want, err);
    }
}

static void test_numbers_are_decimal_and_nothing_else(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        double v;
    } cases[] = {
        {"5.1", 0, 5.1},  {"-0.5", 0, -0.5}, {"+3", 0, 3},         {".5", 0, 0.5},
        {"5.", 0, 5},     {"1e3", 0, 1000},  {"2.5E-1", 0, 0.25},  {"0x3", -1, 0},
        {"0x1p3", -1, 0}, {"inf", -1, 0},    {"-Infinity", -1, 0}, {"nan", -1, 0},
        {"", -1, 0},      {".", -1, 0},      {"1e", -1, 0},        {"1e+", -1, 0},
        {"--1", -1, 0},   {" 1", -1, 0},     {"1 ", -1, 0},        {"1,5", -1, 0},
        {"1e999", -2, 0}, {"-1e400", -2, 0}, {"1e-400", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -42;
        int rc = csv_decimal(cases[i].s, strlen(cases[i].s), &v);
        if (rc != cases[i].rc || (rc == 0 && v != cases[i].v))
            fail_msg("\"%s\": expected %d (%g), got %d (%g)", cases[i].s, cases[i].rc, cases[i].v,
                     rc, v);
    }
}

/* Loads text as a training set; on failure err has the path replaced by "F". */
static trainset *load(const char *text, const char *label, size_t min_per_class, char *err,
                      size_t errlen)
{
    char path[] = "/tmp/test_csv_set_XXXXXX";
    write_file(path, text, strlen(text));
    trainset *d = trainset_load_csv(path, label, min_per_class, err, errlen);
    char *at = d ? NULL : strstr(err, path);
    if (at)
        memmove(at + 1, at + strlen(path), strlen(at + strlen(path)) + 1), *at = 'F';
    unlink(path);
    return d;
}

#define HDR "sepal_length,sepal_width,petal_length,petal_width,species\n"
#define ROWS                                                                                       \
    "5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4,0.2,setosa\n7.0,3.2,4.7,1.4,versicolor\n"                 \
    "6.4,3.2,4.5,1.5,versicolor\n"

static void test_training_set_errors_name_file_line_and_column(void **state)
{
    (void)state;
    static const struct {
        const char *text, *label, *want;
    } cases[] = {
        {HDR "5.1,0x3,1.4,0.2,setosa\n" ROWS, "species",
         "F:2:5: field 2 (sepal_width): expected a decimal number, got \"0x3\""},
        {HDR "5.1,3.5,inf,0.2,setosa\n" ROWS, "species",
         "F:2:9: field 3 (petal_length): expected a decimal number, got \"inf\""},
        {HDR "5.1,3.5,1e999,0.2,setosa\n" ROWS, "species",
         "F:2:9: field 3 (petal_length): 1e999 is beyond the range of a double"},
        {HDR "5.1,3.5,1.4,0.2,setosa,9\n" ROWS, "species",
         "F:2:24: 6 fields, but the header (line 1) has 5 (this is the first extra field)"},
        {HDR "5.1,3.5,1.4,setosa\n" ROWS, "species",
         "F:2:13: 4 fields, but the header (line 1) has 5"},
        {HDR "5.1,3.5,,0.2,setosa\n" ROWS, "species",
         "F:2:9: field 3 (petal_length): expected a decimal number, got \"\""},
        {HDR "5.1,3.5,1.4,0.2,\n" ROWS, "species",
         "F:2:17: field 5 (species): \"\" is not a usable label"},
        {"sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n", "species",
         "F:1: the header has no column \"species\" (the label; choose another with --label "
         "COLUMN)"},
        {"a,A,species\n1,2,x\n", "species", "F:1: header: \"A\" names the same feature as \"a\""},
        {"x,species\n1,a\n2,b\n3,c\n4,d\n5,e\n6,f\n7,g\n8,h\n9,i\n", "species",
         "F:10:3: field 2 (species): \"i\" would be a class beyond the 8 a model can have"},
        {"x,species\n1,a\n2,a\n", "species",
         "F: column 2 (species): 1 distinct label in 2 rows; a classifier needs at least 2"},
        {HDR ROWS "6.3,3.3,6.0,2.5,virginica\n", "species",
         "F:6: column 5 (species): class \"virginica\" has only 1 rows (its last here), fewer "
         "than the 2 cross-validation folds"},
        {"", "species", "F:1: empty file"},
        /* Found by fuzz-trainer-kafka (the same checks serve the CSV reader):
         * a name or label was quoted raw, control bytes and all, and a label
         * that is not UTF-8 became a class (a JSON string of the artifact). */
        {"a\x01"
         "b,c,species\n1,2,x\n",
         "species", "F:1:1: column 1: \"a\\x01b\" is not a usable column name"},
        {"caf\xc3,c,species\n1,2,x\n", "species",
         "F:1: header: \"caf\\xC3\" is not a usable feature name"},
        {HDR "5.1,3.5,1.4,0.2,set\x01osa\n" ROWS, "species",
         "F:2:17: field 5 (species): \"set\\x01osa\" is not a usable label"},
        {HDR "5.1,3.5,1.4,0.2,set\xffosa\n" ROWS, "species",
         "F:2:17: field 5 (species): \"set\\xFFosa\" is not a usable label"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        trainset *d = load(cases[i].text, cases[i].label, 2, err, sizeof err);
        if (d) {
            trainset_free(d);
            fail_msg("case %zu: expected \"%s\", got a training set", i, cases[i].want);
        }
        if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: expected \"%s...\", got \"%s\"", i, cases[i].want, err);
    }
}

static void test_training_set_takes_r_names_crlf_a_bom_and_iris_prefixes(void **state)
{
    (void)state;
    char err[512];
    trainset *d = load("\xef\xbb\xbf\"Species\",\"Petal.Width\",\"Sepal.Length\",\"Sepal.Width\","
                       "\"Petal.Length\"\r\n\"Iris-virginica\",2.5,6.7,3.3,5.7\r\n\r\n"
                       "Iris-Setosa, 0.2 ,5.1,3.5,1.4\r\n",
                       "species", 0, err, sizeof err);
    if (!d)
        fail_msg("expected a training set, got \"%s\"", err);
    assert_int_equal(d->n, 2);
    assert_int_equal(d->nfeatures, 4);
    static const char *const names[] = {"petal_width", "sepal_length", "sepal_width",
                                        "petal_length"};
    for (int j = 0; j < 4; j++)
        assert_string_equal(d->feature_names[j], names[j]);
    const double want[2][4] = {{2.5, 6.7, 3.3, 5.7}, {0.2, 5.1, 3.5, 1.4}};
    assert_memory_equal(d->x, want, sizeof want);
    /* Classes sorted and lower-cased, the "iris-" every label shares dropped. */
    assert_int_equal(d->nclasses, 2);
    assert_string_equal(d->class_names[0], "setosa");
    assert_string_equal(d->class_names[1], "virginica");
    assert_int_equal(d->y[0], 1);
    assert_int_equal(d->y[1], 0);
    trainset_free(d);
    /* Iris-virginica is virginica when virginica is a label too. */
    d = load("x,species\n1,virginica\n2,Iris-virginica\n3,setosa\n", "species", 0, err, sizeof err);
    if (!d)
        fail_msg("expected a training set, got \"%s\"", err);
    assert_int_equal(d->nclasses, 2);
    assert_string_equal(d->class_names[0], "setosa");
    assert_string_equal(d->class_names[1], "virginica");
    assert_int_equal(d->count[1], 2);
    assert_int_equal(d->y[1], 1);
    trainset_free(d);
}

static void test_any_column_can_be_the_label(void **state)
{
    (void)state;
    char err[512];
    trainset *d = load("colour,weight,kind,height\n1,2.5,B,3\n4,5,a,6\n7,8,b,9\n", "KIND", 1, err,
                       sizeof err);
    if (!d)
        fail_msg("expected a training set, got \"%s\"", err);
    assert_int_equal(d->nfeatures, 3);
    assert_string_equal(d->feature_names[0], "colour");
    assert_string_equal(d->feature_names[1], "weight");
    assert_string_equal(d->feature_names[2], "height");
    const double want[3][3] = {{1, 2.5, 3}, {4, 5, 6}, {7, 8, 9}};
    assert_memory_equal(d->x, want, sizeof want);
    assert_int_equal(d->nclasses, 2); /* B and b are one class */
    assert_int_equal(d->count[0], 1);
    assert_int_equal(d->count[1], 2);
    trainset_free(d);
    /* non-smoker is its own class: no label "smoker" to merge it into. */
    d = load("x,status\n1,non-smoker\n2,ex-smoker\n3,non-smoker\n", "status", 1, err, sizeof err);
    if (!d)
        fail_msg("expected a training set, got \"%s\"", err);
    assert_int_equal(d->nclasses, 2);
    assert_string_equal(d->class_names[0], "ex-smoker");
    assert_string_equal(d->class_names[1], "non-smoker");
    trainset_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_reads_rfc4180_quoting_crlf_and_a_bom),
        cmocka_unit_test(test_reader_refuses_malformed_csv_with_line_and_column),
        cmocka_unit_test(test_numbers_are_decimal_and_nothing_else),
        cmocka_unit_test(test_training_set_errors_name_file_line_and_column),
        cmocka_unit_test(test_training_set_takes_r_names_crlf_a_bom_and_iris_prefixes),
        cmocka_unit_test(test_any_column_can_be_the_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
