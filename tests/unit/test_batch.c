/* test_batch.c: every accepted event shape, and malformed records/events
 * each with its specific error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "lambda/batch/batch.h"
#include "lambda/batch/batch_internal.h"
#include "tests/lib/testfile.h"

static batch parse_ok(const char *json)
{
    batch b;
    char err[512] = "";
    int rc = batch_parse(json, strlen(json), &b, err, sizeof err);
    if (rc != BATCH_OK)
        fail_msg("expected the event to parse, got %d: %s\nevent: %s", rc, err, json);
    return b;
}

static void assert_features(const batch_record *r, double a, double b, double c, double d)
{
    if (r->error != NULL)
        fail_msg("expected a readable record, got error: %s", r->error);
    assert_true(r->features[0] == a && r->features[1] == b && r->features[2] == c &&
                r->features[3] == d);
}

static void connector_batch_with_object_values(void **state)
{
    (void)state;
    batch b =
        parse_ok("[{\"payload\":{\"timestamp\":1604302260000,\"topic\":\"iris\",\"partition\":2,"
                 "\"offset\":42,\"key\":null,\"value\":{\"sepalLength\":6.7,\"sepalWidth\":3.3,"
                 "\"petalLength\":5.7,\"petalWidth\":2.5,\"species\":\"virginica\"}}},"
                 "{\"payload\":{\"timestamp\":1604302261000,\"topic\":\"iris\",\"partition\":0,"
                 "\"offset\":7,\"key\":\"k\",\"value\":{\"sepalLength\":5.1,\"sepalWidth\":3.5,"
                 "\"petalLength\":1.4,\"petalWidth\":0.2,\"species\":\"setosa\"}}}]");
    assert_int_equal(b.count, 2);
    assert_int_equal(b.shape, BATCH_SHAPE_CONNECTOR);
    assert_string_equal(b.records[0].topic, "iris");
    assert_ptr_equal(b.records[0].topic, b.records[1].topic); /* interned */
    assert_int_equal(b.records[0].partition, 2);
    assert_int_equal(b.records[0].offset, 42);
    assert_int_equal(b.records[0].timestamp_ms, 1604302260000LL);
    assert_features(&b.records[0], 6.7, 3.3, 5.7, 2.5);
    assert_string_equal(b.records[0].species, "virginica");
    assert_null(b.records[0].key); /* "key":null */
    assert_string_equal(b.records[1].key, "\"k\"");
    assert_int_equal(b.records[1].offset, 7);
    assert_features(&b.records[1], 5.1, 3.5, 1.4, 0.2);
    assert_string_equal(b.records[1].species, "setosa");
    batch_free(&b);
}

static void escaped_string_and_base64_values(void **state)
{
    (void)state;
    /* base64 of {"sepalLength":6.7,"sepalWidth":3.3,"petalLength":5.7,"petalWidth":2.5} */
    batch b = parse_ok("[{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":1,\"value\":"
                       "\"{\\\"sepalLength\\\":6.7,\\\"sepalWidth\\\":3.3,\\\"petalLength\\\":5.7,"
                       "\\\"petalWidth\\\":2.5,\\\"species\\\":\\\"Iris-virginica\\\"}\"}},"
                       "{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":2,\"value\":"
                       "\"eyJzZXBhbExlbmd0aCI6Ni43LCJzZXBhbFdpZHRoIjozLjMsInBldGFsTGVuZ3RoIjo1LjcsI"
                       "nBldGFsV2lkdGgiOjIuNX0=\"}},"
                       "{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":3,\"value\":"
                       "\"eyJzZXBhbExlbmd0aCI6Ni43LCJzZXBhbFdpZHRoIjozLjMsInBldGFsTGVuZ3RoIjo1LjcsI"
                       "nBldGFsV2lkdGgiOjIuNX0\"}}]");
    assert_int_equal(b.count, 3);
    for (size_t i = 0; i < 3; i++)
        assert_features(&b.records[i], 6.7, 3.3, 5.7, 2.5);
    assert_string_equal(b.records[0].species, "virginica");
    assert_string_equal(b.records[1].species, ""); /* unlabelled */
    batch_free(&b);
}

/* JsonKeyValueConverter with input.data.format=JSON: the value is a string
 * holding Java's Map.toString() of the record (javamap.h). */
#define MAP_VALUE(v) "{\"payload\":{\"topic\":\"iris\",\"offset\":1,\"value\":\"" v "\"}}"

static void map_tostring_values_any_order_ints_nulls_nesting(void **state)
{
    (void)state;
    static const char *const values[] = {
        "{sepalLength=6.7, species=virginica, petalWidth=2.5, sepalWidth=3.3, petalLength=5.7}",
        "{petalWidth=2, sepalLength=5, sepalWidth=3, petalLength=1, species=null}",
        "  {SEPAL_LENGTH=1.0E-4, meta={source=x, tags=[a, b], m={}}, SEPAL_WIDTH=2.0, note=a=b, "
        "PETAL_LENGTH=3, PETAL_WIDTH=4, SPECIES=Iris-setosa, list=[]} ",
        "{petalWidth=0.2, sepalLength=5.1, sepalWidth=3.5, petalLength=1.4}"};
    char json[2048] = "[";
    for (size_t i = 0; i < 4; i++)
        snprintf(json + strlen(json), sizeof json - strlen(json), "%s" MAP_VALUE("%s"),
                 i ? "," : "", values[i]);
    strcat(json, "]");
    batch b = parse_ok(json);
    assert_int_equal(b.count, 4);
    assert_features(&b.records[0], 6.7, 3.3, 5.7, 2.5);
    assert_string_equal(b.records[0].species, "virginica");
    assert_features(&b.records[1], 5, 3, 1, 2);
    assert_string_equal(b.records[1].species, "");
    assert_features(&b.records[2], 1e-4, 2, 3, 4);
    assert_string_equal(b.records[2].species, "setosa");
    assert_features(&b.records[3], 5.1, 3.5, 1.4, 0.2);
    assert_string_equal(b.records[3].species, "");
    assert_int_equal(b.records[3].offset, 1);
    batch_free(&b);

    /* The same form in a bare array (a direct invoke), and a "{}" string,
     * which is JSON. */
    b = parse_ok("[\"{sepalLength=1, sepalWidth=2, petalLength=3, petalWidth=4}\", \"{}\"]");
    assert_int_equal(b.shape, BATCH_SHAPE_BARE_ARRAY);
    assert_features(&b.records[0], 1, 2, 3, 4);
    assert_non_null(b.records[1].error);
    assert_string_equal(b.records[1].error,
                        "value: missing field sepalLength (also accepted: sepal_length style, "
                        "SEPAL_LENGTH style)");
    batch_free(&b);
}

static void check_against_reference(const char *json, size_t len, const char *what);

/* The key is kept as JSON text, whatever its form, on both paths. */
static void keys_are_kept_as_json_text(void **state)
{
    (void)state;
    static const struct {
        const char *key, *want;
        size_t slow; /* records the fast path leaves to cJSON */
    } cases[] = {{"\"{id=7, source=lab}\"", "\"{id=7, source=lab}\"", 0},
                 {"\"caf\\u00e9\"", "\"caf\xc3\xa9\"", 1},
                 {"\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"", 0},
                 {"{\"id\": 7, \"tags\": [1, 2.50, -0.1e1, {}], \"ok\": [true, false, null]}",
                  "{\"id\":7,\"tags\":[1,2.5,-1,{}],\"ok\":[true,false,null]}", 0},
                 {"{\"a\":\"x\\ny\"}", "{\"a\":\"x\\ny\"}", 1},
                 {"[]", "[]", 0},
                 {"42", "42", 0},
                 {"1e2", "100", 0},
                 {"true", "true", 0},
                 {"null", NULL, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "[{\"payload\":{\"offset\":1,\"key\":%s,\"value\":{\"sepalLength\":1,"
                 "\"sepalWidth\":2,\"petalLength\":3,\"petalWidth\":4}}}]",
                 cases[i].key);
        batch b = parse_ok(json);
        const char *got = b.records[0].key;
        if ((cases[i].want == NULL) != (got == NULL) ||
            (got != NULL && strcmp(got, cases[i].want) != 0))
            fail_msg("key %s: expected %s, got %s", cases[i].key,
                     cases[i].want ? cases[i].want : "NULL", got ? got : "NULL");
        if (b.slow_records != cases[i].slow)
            fail_msg("key %s: expected %zu records through cJSON, got %zu", cases[i].key,
                     cases[i].slow, b.slow_records);
        batch_free(&b);
        check_against_reference(json, strlen(json), cases[i].key);
    }
}

/* A key with more than BATCH_KEY_NOT_UTF8_MAX bytes that are not UTF-8 is
 * not echoed (each would be the three bytes of U+FFFD): the record says how
 * many instead, is scored as usual, and both paths agree.  Up to the limit
 * the key is echoed with U+FFFD. */
static void keys_mostly_not_utf8_are_counted_not_echoed(void **state)
{
    (void)state;
    static const struct {
        const char *prefix, *suffix; /* around the run of 0xFF bytes */
        int invalid;                 /* bytes of 0xFF */
        int echoed;
    } cases[] = {{"\"", "\"", BATCH_KEY_NOT_UTF8_MAX, 1},
                 {"\"", "\"", BATCH_KEY_NOT_UTF8_MAX + 1, 0},
                 {"\"a\\n", "\"", BATCH_KEY_NOT_UTF8_MAX + 1, 0}, /* an escape: cJSON's path */
                 {"{\"id\":\"", "\",\"n\":1}", 5000, 0},
                 {"[\"", "\",\"\xff\"]", BATCH_KEY_NOT_UTF8_MAX, 0}}; /* 65 in two strings */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf json = BUF_INIT;
        buf_printf(&json, "[{\"payload\":{\"offset\":1,\"key\":%s", cases[i].prefix);
        for (int k = 0; k < cases[i].invalid; k++)
            buf_putc(&json, '\xff');
        buf_printf(&json, "%s,\"value\":{\"sepalLength\":1,\"sepalWidth\":2,"
                          "\"petalLength\":3,\"petalWidth\":4}}}]",
                   cases[i].suffix);
        batch b = parse_ok(json.data);
        const batch_record *r = &b.records[0];
        assert_null(r->error);
        if (cases[i].echoed) {
            assert_non_null(r->key);
            assert_int_equal(r->key_not_utf8, 0);
            assert_int_equal(strlen(r->key), 2 + 3 * (size_t)cases[i].invalid);
        } else {
            assert_null(r->key);
            assert_int_equal(r->key_not_utf8, cases[i].invalid + (i == 4));
        }
        batch_free(&b);
        check_against_reference(json.data, json.len, cases[i].prefix);
        buf_free(&json);
    }
}

static void field_name_spellings(void **state)
{
    (void)state;
    batch b = parse_ok(
        "[{\"sepal_length\":1,\"sepal_width\":2,\"petal_length\":3,\"petal_width\":4,"
        "\"species\":\"SETOSA\"},"
        "{\"SEPAL_LENGTH\":1,\"SEPAL_WIDTH\":2,\"PETAL_LENGTH\":3,\"PETAL_WIDTH\":4,"
        "\"SPECIES\":\"IRIS-VERSICOLOR\"},"
        "{\"SEPALLENGTH\":1,\"SEPALWIDTH\":2,\"PETALLENGTH\":3,\"PETALWIDTH\":4},"
        "{\"Sepal.Length\":1,\"Sepal.Width\":2,\"Petal.Length\":3,\"Petal.Width\":4,"
        "\"species\":null},"
        "{\"sepalLength\":\"1\",\"sepalWidth\":\"2.0\",\"petalLength\":3,\"petalWidth\":4}]");
    assert_int_equal(b.shape, BATCH_SHAPE_BARE_ARRAY);
    assert_int_equal(b.count, 5);
    for (size_t i = 0; i < b.count; i++) {
        assert_features(&b.records[i], 1, 2, 3, 4);
        assert_null(b.records[i].topic);
        assert_int_equal(b.records[i].offset, -1);
    }
    assert_string_equal(b.records[0].species, "setosa");
    assert_string_equal(b.records[1].species, "versicolor");
    assert_string_equal(b.records[2].species, "");
    assert_string_equal(b.records[3].species, "");
    batch_free(&b);
}

static void bare_object_and_empty_batch(void **state)
{
    (void)state;
    batch b = parse_ok("{\"sepalLength\":6.7,\"sepalWidth\":3.3,\"petalLength\":5.7,"
                       "\"petalWidth\":2.5,\"species\":\"virginica\"}");
    assert_int_equal(b.shape, BATCH_SHAPE_BARE_OBJECT);
    assert_int_equal(b.count, 1);
    assert_features(&b.records[0], 6.7, 3.3, 5.7, 2.5);
    batch_free(&b);

    b = parse_ok("  []  ");
    assert_int_equal(b.count, 0);
    batch_free(&b);

    /* A bare object with a bad field is one bad record, not an invalid event. */
    b = parse_ok(
        "{\"sepalLength\":\"x\",\"sepalWidth\":3.3,\"petalLength\":5.7,\"petalWidth\":2.5}");
    assert_int_equal(b.count, 1);
    assert_non_null(b.records[0].error);
    batch_free(&b);
}

/* A record whose sepalWidth is the JSON string v. */
#define SW_STRING(v)                                                                               \
    "{\"payload\":{\"offset\":1,\"value\":{\"sepalLength\":5.1,\"sepalWidth\":\"" v                \
    "\",\"petalLength\":1,\"petalWidth\":1}}}"

/* One malformed record among good ones: a specific error, and the others
 * are still read. */
static const struct {
    const char *element;
    const char *error;
} bad_records[] = {
    {"{\"payload\":{\"offset\":1,\"value\":{\"sepalLength\":\"abc\",\"sepalWidth\":3,"
     "\"petalLength\":1,\"petalWidth\":0.2}}}",
     "value.sepalLength: expected a number, got string \"abc\""},
    {"{\"payload\":{\"offset\":1,\"value\":{\"sepalWidth\":3,\"petalLength\":1,\"petalWidth\":0.2}}"
     "}",
     "value: missing field sepalLength"},
    {"{\"payload\":{\"offset\":1,\"value\":{\"sepal_length\":5,\"sepal_width\":3,\"petal_length\":"
     "1}}}",
     "value: missing field petalWidth"},
    {"{\"payload\":{\"offset\":1,\"value\":null}}", "value: null (a tombstone"},
    {"{\"payload\":{\"offset\":1,\"value\":42}}",
     "value: expected an iris object, a JSON string or base64, got number"},
    {"{\"payload\":{\"offset\":1,\"value\":[1,2,3,4]}}", "got array"},
    {"{\"payload\":{\"offset\":1,\"value\":\"hello world!\"}}",
     "value: string \"hello world!\" is neither a JSON object nor base64"},
    {"{\"payload\":{\"offset\":1,\"value\":\"\"}}", "value: string \"\" is neither"},
    {"{\"payload\":{\"offset\":1,\"value\":\"{\\\"sepalLength\\\": 5,\"}}",
     "value: string content is not valid JSON (error at byte"},
    {"{\"payload\":{\"offset\":1,\"value\":\"aGVsbG8=\"}}",
     "value: base64 content is not valid JSON"},
    {"{\"payload\":{\"offset\":1,\"value\":\"WzEsMl0=\"}}",
     "value: base64 content is JSON array, expected an iris object"},
    {"{\"payload\":{\"offset\":1,\"value\":{\"sepalLength\":-5.1,\"sepalWidth\":3,\"petalLength\":"
     "1,\"petalWidth\":0.2}}}",
     "value.sepalLength: -5.1 is out of range"},
    {"{\"payload\":{\"offset\":1,\"value\":{\"sepalLength\":5.1,\"sepalWidth\":3,\"petalLength\":"
     "1e6,\"petalWidth\":0.2}}}",
     "value.petalLength: 1e+06 is out of range"},
    {"{\"payload\":{\"offset\":1,\"value\":{\"sepalLength\":5.1,\"sepalWidth\":3,\"petalLength\":1,"
     "\"petalWidth\":true}}}",
     "value.petalWidth: expected a number, got boolean"},
    /* A measurement as a string is read exactly when the string is a JSON
     * number (RFC 8259 section 6): strtod's extras are errors. */
    {SW_STRING("1e999"),
     "value.sepalWidth: string \"1e999\" is beyond the range of a double (about 1.8e308)"},
    {SW_STRING("0x3"), "value.sepalWidth: expected a number, got string \"0x3\""},
    {SW_STRING("inf"), "value.sepalWidth: expected a number, got string \"inf\""},
    {SW_STRING("nan"), "value.sepalWidth: expected a number, got string \"nan\""},
    {SW_STRING(" 6.7"), "value.sepalWidth: expected a number, got string \" 6.7\""},
    {SW_STRING("6.7 "), "value.sepalWidth: expected a number, got string \"6.7 \""},
    {SW_STRING("6.7abc"), "value.sepalWidth: expected a number, got string \"6.7abc\""},
    {SW_STRING("+6.7"), "value.sepalWidth: expected a number, got string \"+6.7\""},
    {SW_STRING("06.7"), "value.sepalWidth: expected a number, got string \"06.7\""},
    {SW_STRING("6."), "value.sepalWidth: expected a number, got string \"6.\""},
    {SW_STRING(".5"), "value.sepalWidth: expected a number, got string \".5\""},
    {SW_STRING(""), "value.sepalWidth: expected a number, got string \"\""},
    /* The same inside an escaped-JSON value and a Map.toString() value. */
    {"{\"payload\":{\"offset\":1,\"value\":\"{\\\"sepalLength\\\":\\\"0x3\\\",\\\"sepalWidth\\\":3,"
     "\\\"petalLength\\\":1,\\\"petalWidth\\\":1}\"}}",
     "value.sepalLength: expected a number, got string \"0x3\""},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=Infinity, petalLength=5.7, petalWidth=2.5}"),
     "value.sepalWidth: expected a number, got \"Infinity\""},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=NaN, petalLength=5.7, petalWidth=2.5}"),
     "value.sepalWidth: expected a number, got \"NaN\""},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=1.0E999, petalLength=5.7, petalWidth=2.5}"),
     "value.sepalWidth: \"1.0E999\" is beyond the range of a double"},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=07, petalLength=5.7, petalWidth=2.5}"),
     "value.sepalWidth: expected a number, got \"07\""},
    /* A \u0000 escape anywhere in a record: an error, never a string cut
     * short where cJSON's text would end. */
    {"{\"payload\":{\"topic\":\"ir\\u0000is\",\"offset\":1,\"value\":{\"sepalLength\":5.1,"
     "\"sepalWidth\":3,\"petalLength\":1,\"petalWidth\":1}}}",
     "record: a \\u0000 escape (a NUL character) at byte 23 of the record; text fields may not "
     "contain NUL"},
    {"{\"payload\":{\"key\":\"k\\u0000x\",\"offset\":1,\"value\":{\"sepalLength\":5.1,"
     "\"sepalWidth\":3,\"petalLength\":1,\"petalWidth\":1}}}",
     "record: a \\u0000 escape (a NUL character) at byte 20 of the record"},
    {"{\"payload\":{\"offset\":1,\"value\":{\"sepalLength\":5.1,\"sepalWidth\":3,"
     "\"petalLength\":1,\"petalWidth\":1,\"species\":\"setosa\\u0000x\"}}}",
     "record: a \\u0000 escape (a NUL character) at byte"},
    {"{\"payload\":{\"offset\":1,\"headers\":[{\"key\":\"h\",\"value\":\"\\u0000\"}],"
     "\"value\":{\"sepalLength\":5.1,\"sepalWidth\":3,\"petalLength\":1,\"petalWidth\":1}}}",
     "record: a \\u0000 escape (a NUL character) at byte"},
    {"{\"payload\":{\"offset\":1,\"value\":\"{\\\"sepalLength\\\":5.1,\\\"sepalWidth\\\":3,"
     "\\\"petalLength\\\":1,\\\"petalWidth\\\":1,\\\"species\\\":\\\"a\\\\u0000\\\"}\"}}",
     "value: string content has a \\u0000 escape (a NUL character) at byte 77 of 85"},
    /* base64 of {"sepalLength":"\u0000"} */
    {"{\"payload\":{\"offset\":1,\"value\":\"eyJzZXBhbExlbmd0aCI6Ilx1MDAwMCJ9\"}}",
     "value: base64 content has a \\u0000 escape (a NUL character) at byte 16 of 24"},
    {"{\"payload\":{\"offset\":1,\"value\":{\"sepalLength\":5.1,\"sepalWidth\":3,\"petalLength\":1,"
     "\"petalWidth\":1,\"species\":7}}}",
     "value.species: expected a string or null, got number"},
    {"{\"payload\":{\"offset\":1,\"value\":{\"sepalLength\":5.1,\"sepalWidth\":3,\"petalLength\":1,"
     "\"petalWidth\":1,\"species\":\"12 monkeys\"}}}",
     "value.species: \"12 monkeys\" is not a species name"},
    /* Map.toString() values: each malformed variant with where it went wrong. */
    {MAP_VALUE("{sepalLength, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5}"),
     "value: Map.toString() form: expected '=' after key \"sepalLength\" at character 12"},
    {MAP_VALUE("{sepalLength=abc, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5}"),
     "value.sepalLength: expected a number, got \"abc\""},
    {MAP_VALUE("{sepalLength=null, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5}"),
     "value.sepalLength: expected a number, got null"},
    {MAP_VALUE("{sepalLength={cm=5}, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5}"),
     "value.sepalLength: expected a number, got a map"},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=[3, 3], petalLength=5.7, petalWidth=2.5}"),
     "value.sepalWidth: expected a number, got a list"},
    {MAP_VALUE("{sepalWidth=3.3, petalLength=5.7, petalWidth=2.5, species=setosa}"),
     "value: missing field sepalLength (also accepted"},
    {MAP_VALUE("{species=x, species=y, sepalLength=1, sepalWidth=2, petalLength=3, petalWidth=4}"),
     "value: Map.toString() form: key \"species\" again at character 12 (a string value holding "
     "\", \" and \"=\" is ambiguous in this form)"},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5, meta={a=1}"),
     "value: Map.toString() form: unclosed bracket in the value of key \"meta\" at character 76"},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5, meta={a=1]}"),
     "value: Map.toString() form: unmatched bracket in the value of key \"meta\" at character 76"},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5, meta={a=1}x}"),
     "value: Map.toString() form: expected \", \" or '}' after the value of key \"meta\" at "
     "character 77"},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5"),
     "value: Map.toString() form: expected '}' as the last character (character 64)"},
    {MAP_VALUE("{=5.1, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5}"),
     "value: Map.toString() form: expected a key at character 1"},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5,species=x}"),
     "value.petalWidth: expected a number, got \"2.5,species=x\""},
    {MAP_VALUE("{sepalLength=-5.1, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5}"),
     "value.sepalLength: -5.1 is out of range (a length in cm, 0 to 100)"},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5, "
               "species=12 monkeys}"),
     "value.species: \"12 monkeys\" is not a species name"},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=3.3, petalLength=5.7, petalWidth=2.5, "
               "species={a=b}}"),
     "value.species: expected a string or null, got a map"},
    {MAP_VALUE("{sepalLength=5.1, sepalWidth=0x10, petalLength=5.7, petalWidth=2.5}"),
     "value.sepalWidth: expected a number, got \"0x10\""},
    {"{\"offset\":1,\"value\":{}}", "record: expected an object with \"payload\", got object"},
    {"{\"payload\":\"oops\"}", "payload: expected an object, got string"},
    {"{\"payload\":{\"partition\":\"zero\",\"value\":{}}}",
     "payload.partition: expected an integer, got string"},
    {"{\"payload\":{\"offset\":-5,\"value\":{}}}", "payload.offset: -5 is not a valid offset"},
    {"{\"payload\":{\"offset\":1.5,\"value\":{}}}", "payload.offset: 1.5 is not a valid offset"},
    {"{\"payload\":{\"offset\":1}}", "payload.value: missing"},
    {"{\"payload\":{\"topic\":7,\"value\":{}}}", "payload.topic: expected a string, got number"},
    {"17", "record: expected an object with \"payload\", got number"},
};

/* Strings holding JSON numbers are read as the number they write, however
 * many digits (above 64 they take strtod's allocated path). */
static void numeric_strings_read_as_json_numbers(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double want;
    } ok[] = {
        {"3.3", 3.3},
        {"-0", 0.0},
        {"1E0", 1.0},
        {"2.50e-1", 0.25},
        {"0.5", 0.5},
        {"3.30000000000000000000000000000000000000000000000000000000000000000000001", 3.3},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "[{\"payload\":{\"offset\":1,\"value\":{\"sepalLength\":5.1,\"sepalWidth\":"
                 "\"%s\",\"petalLength\":1,\"petalWidth\":1}}},"
                 "{\"payload\":{\"offset\":2,\"value\":\"{sepalLength=5.1, sepalWidth=%s, "
                 "petalLength=1, petalWidth=1}\"}}]",
                 ok[i].text, ok[i].text);
        batch b = parse_ok(json);
        for (size_t r = 0; r < 2; r++) {
            if (b.records[r].error != NULL || b.records[r].features[1] != ok[i].want)
                fail_msg("\"%s\" (record %zu): expected %g, got %g (error %s)", ok[i].text, r,
                         ok[i].want, b.records[r].features[1],
                         b.records[r].error ? b.records[r].error : "none");
        }
        batch_free(&b);
        check_against_reference(json, strlen(json), ok[i].text);
    }
}

static void malformed_records_get_specific_errors(void **state)
{
    (void)state;
    const char *good = "{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":9,\"value\":"
                       "{\"sepalLength\":5.1,\"sepalWidth\":3.5,\"petalLength\":1.4,"
                       "\"petalWidth\":0.2,\"species\":\"setosa\"}}}";
    size_t n = sizeof bad_records / sizeof bad_records[0];
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        char json[2048];
        snprintf(json, sizeof json, "[%s,%s,%s]", good, bad_records[i].element, good);
        batch b = parse_ok(json);
        assert_int_equal(b.count, 3);
        assert_features(&b.records[0], 5.1, 3.5, 1.4, 0.2);
        assert_features(&b.records[2], 5.1, 3.5, 1.4, 0.2);
        const char *got = b.records[1].error;
        if (got == NULL || strstr(got, bad_records[i].error) == NULL)
            fail_msg("case %zu: expected error containing\n  %s\ngot\n  %s", i,
                     bad_records[i].error, got ? got : "(no error)");
        batch_free(&b);
    }
}

/* Events that are not a batch at all. */
static const struct {
    const char *event;
    int status;
    const char *error;
} bad_events[] = {
    {"not json", BATCH_ERR_NOT_JSON, "not valid JSON: syntax error at byte 0 of 8"},
    {"", BATCH_ERR_NOT_JSON, "the event is empty"},
    {"[{\"payload\":{}}", BATCH_ERR_NOT_JSON, "not valid JSON"},
    {"42", BATCH_ERR_SHAPE, "the event is a JSON number"},
    {"\"text\"", BATCH_ERR_SHAPE, "the event is a JSON string"},
    {"null", BATCH_ERR_SHAPE, "the event is a JSON null"},
    {"{\"foo\":1}", BATCH_ERR_SHAPE, "JSON object without iris fields"},
};

static void invalid_events_fail_with_reason(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_events / sizeof bad_events[0]; i++) {
        batch b;
        char err[512] = "";
        int rc = batch_parse(bad_events[i].event, strlen(bad_events[i].event), &b, err, sizeof err);
        if (rc != bad_events[i].status || strstr(err, bad_events[i].error) == NULL)
            fail_msg("event %s: expected %d \"%s\", got %d \"%s\"", bad_events[i].event,
                     bad_events[i].status, bad_events[i].error, rc, err);
        assert_int_equal(b.count, 0);
        assert_null(b.records);
    }
}

/* cJSON_ParseWithLength: the event need not be NUL-terminated. */
static void unterminated_buffer(void **state)
{
    (void)state;
    const char text[] =
        "[{\"sepalLength\":1,\"sepalWidth\":2,\"petalLength\":3,\"petalWidth\":4}]XXXX";
    batch b;
    char err[256];
    assert_int_equal(batch_parse(text, sizeof text - 5, &b, err, sizeof err), BATCH_OK);
    assert_features(&b.records[0], 1, 2, 3, 4);
    batch_free(&b);
}

/* The fast path and the cJSON reference path give identical results. */
static void assert_same_records(const batch *a, const batch *b, const char *what)
{
    if (a->count != b->count || a->shape != b->shape)
        fail_msg("%s: count/shape %zu/%d vs %zu/%d", what, a->count, a->shape, b->count, b->shape);
    for (size_t i = 0; i < a->count; i++) {
        const batch_record *x = &a->records[i], *y = &b->records[i];
        int same_err = (x->error == NULL) == (y->error == NULL) &&
                       (x->error == NULL || strcmp(x->error, y->error) == 0);
        if (!same_err)
            fail_msg("%s: record %zu error \"%s\" vs reference \"%s\"", what, i,
                     x->error ? x->error : "(none)", y->error ? y->error : "(none)");
        /* The metadata, echoed also beside an error. */
        int same_meta = x->partition == y->partition && x->offset == y->offset &&
                        x->timestamp_ms == y->timestamp_ms && x->key_not_utf8 == y->key_not_utf8 &&
                        ((x->key == NULL && y->key == NULL) ||
                         (x->key && y->key && strcmp(x->key, y->key) == 0)) &&
                        ((x->topic == NULL && y->topic == NULL) ||
                         (x->topic && y->topic && strcmp(x->topic, y->topic) == 0));
        if (!same_meta)
            fail_msg("%s: record %zu's metadata differs from the reference", what, i);
        if (x->error != NULL)
            continue;
        int same = strcmp(x->species, y->species) == 0 &&
                   memcmp(x->features, y->features, sizeof x->features) == 0;
        if (!same)
            fail_msg("%s: record %zu differs from the reference", what, i);
    }
}

static void check_against_reference(const char *json, size_t len, const char *what)
{
    batch a, b;
    char ea[512] = "", eb[512] = "";
    int ra = batch_parse(json, len, &a, ea, sizeof ea);
    int rb = batch_parse_cjson(json, len, &b, eb, sizeof eb);
    if (ra != rb || strcmp(ea, eb) != 0)
        fail_msg("%s: status %d \"%s\" vs reference %d \"%s\"", what, ra, ea, rb, eb);
    if (ra == BATCH_OK)
        assert_same_records(&a, &b, what);
    batch_free(&a);
    batch_free(&b);
}

/* Object, escaped-JSON and base64 values, and ksqlDB names, are all read
 * without the cJSON fallback; a malformed record is left to it. */
static char *read_file(const char *path, size_t *len)
{
    char *data = testfile_read(path, len);
    if (data == NULL)
        fail_msg("cannot read %s", path);
    return data;
}

static void fast_path_takes_connector_batches(void **state)
{
    (void)state;
    const struct {
        const char *file;
        size_t count, slow;
    } cases[] = {{"events/batch-correct.json", 20, 0},
                 {"events/batch-escaped-strings.json", 10, 0},
                 {"events/batch-map-strings.json", 10, 0},
                 {"events/batch-keys.json", 5, 0},
                 {"events/batch-base64.json", 10, 0},
                 {"events/batch-ksqldb-uppercase.json", 10, 0},
                 /* 6 bad records; "rose" is well-formed, found unknown when scored;
                  * the fast path words 3 of the 5 errors (a missing field, one out
                  * of range, a tombstone); the two string ones go to cJSON */
                 {"events/batch-mixed.json", 13, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        char *json = read_file(cases[i].file, &len);
        batch b;
        assert_int_equal(batch_parse_fast(json, len, &b), BATCH_OK);
        if (b.count != cases[i].count || b.slow_records != cases[i].slow)
            fail_msg("%s: expected %zu records, %zu through cJSON; got %zu, %zu", cases[i].file,
                     cases[i].count, cases[i].slow, b.count, b.slow_records);
        batch_free(&b);
        free(json);
    }
}

/* The Map.toString() sample reads as the same flowers as the JSON objects it
 * was written from. */
static void map_string_sample_matches_object_sample(void **state)
{
    (void)state;
    size_t la, lb;
    char *ja = read_file("events/batch-map-strings.json", &la);
    char *jb = read_file("events/batch-correct.json", &lb);
    batch a, b;
    char err[256];
    assert_int_equal(batch_parse(ja, la, &a, err, sizeof err), BATCH_OK);
    assert_int_equal(batch_parse(jb, lb, &b, err, sizeof err), BATCH_OK);
    assert_int_equal(a.count, 10);
    for (size_t i = 0; i < a.count; i++) {
        const batch_record *x = &a.records[i], *y = &b.records[i];
        assert_null(x->error);
        if (memcmp(x->features, y->features, sizeof x->features) != 0 ||
            strcmp(x->species, y->species) != 0)
            fail_msg("record %zu: Map.toString() gave %g %g %g %g %s, the object %g %g %g %g %s", i,
                     x->features[0], x->features[1], x->features[2], x->features[3], x->species,
                     y->features[0], y->features[1], y->features[2], y->features[3], y->species);
    }
    batch_free(&a);
    batch_free(&b);
    free(ja);
    free(jb);
}

/* Every single-byte mutation at a sample of positions, and every
 * truncation: the two paths must still agree, errors included. */
static void check_against_mutations(const char *json, size_t len, const char *name, unsigned seed)
{
    static const char subst[] = "0-.e\"{}[],:nx \\9";
    srand(seed);
    char *copy = malloc(len);
    for (int m = 0; m < 3000; m++) {
        memcpy(copy, json, len);
        size_t at = (size_t)rand() % len;
        copy[at] = subst[rand() % (int)(sizeof subst - 1)];
        char what[128];
        snprintf(what, sizeof what, "%s with byte %zu = '%c'", name, at, copy[at]);
        check_against_reference(copy, len, what);
    }
    for (size_t cut = 0; cut < len; cut += 1 + len / 200)
        check_against_reference(json, cut, "truncated sample");
    free(copy);
}

static void fast_path_matches_reference_on_samples_and_mutations(void **state)
{
    (void)state;
    for (size_t e = 0; e < testfile_nsample_events; e++) {
        size_t len;
        char *json = read_file(testfile_sample_events[e], &len);
        check_against_mutations(json, len, testfile_sample_events[e], 42 + (unsigned)e);
        free(json);
    }
    for (size_t i = 0; i < sizeof bad_records / sizeof bad_records[0]; i++) {
        char json[1024];
        snprintf(json, sizeof json, "[%s]", bad_records[i].element);
        check_against_reference(json, strlen(json), bad_records[i].element);
    }
}

/* Compact batches (the connector's own form), where the fast path predicts
 * each key from the order the connector and the producer send them
 * (lambda/batch/keys.h): the predicted order, other orders, a repeated key,
 * whitespace around a colon, longer keys starting with a predicted one, an
 * escaped key, and a bare record; the same records and errors as cJSON. */
static void fast_path_matches_reference_on_compact_batches(void **state)
{
    (void)state;
    static const char json[] =
        "[{\"payload\":{\"timestamp\":1,\"topic\":\"iris\",\"partition\":0,\"offset\":7,"
        "\"key\":null,\"value\":{\"sepalLength\":5.1,\"sepalWidth\":3.5,\"petalLength\":1.4,"
        "\"petalWidth\":0.2,\"species\":\"setosa\"}}},"
        "{\"payload\":{\"value\":{\"species\":\"virginica\",\"petalWidth\":2.3,"
        "\"petalLength\":5.7,\"sepalWidth\":3.2,\"sepalLength\":6.9},\"key\":\"k\",\"offset\":8,"
        "\"partition\":1,\"topic\":\"iris\",\"timestamp\":2}},"
        "{\"payload\":{\"timestamp\":3,\"timestamp\":4,\"topic\" :\"iris\",\"partition\":2,"
        "\"offset\":9,\"key\":null,\"value\":{\"sepalLength\":5.0,\"sepalLength\":99,"
        "\"sepalWidth\" : 3.3,\"petalLengthX\":1,\"petalLength\":1.4,\"petalWidth\":0.2,"
        "\"species\":\"setosa\"}}},"
        "{\"payload\":{\"timestampX\":5,\"topics\":\"x\",\"partition\":3,\"offset\":10,"
        "\"value\":{\"sepal\\u004cength\":6.3,\"sepalWidth\":2.5,\"petalLength\":4.9,"
        "\"petalWidth\":1.5,\"species\":\"versicolor\"}},\"payload\":{}},"
        "{\"payloadX\":1,\"payload\":{\"timestamp\":6,\"topic\":\"iris\",\"partition\":4,"
        "\"offset\":11,\"key\":null,\"value\":\"{\\\"sepalLength\\\":5.9,\\\"sepalWidth\\\":3.0,"
        "\\\"petalLength\\\":5.1,\\\"petalWidth\\\":1.8,\\\"species\\\":\\\"virginica\\\"}\"}}]";
    static const char bare[] = "[{\"sepalLength\":5.1,\"sepalWidth\":3.5,\"petalLength\":1.4,"
                               "\"petalWidth\":0.2,\"species\":\"setosa\"}]";
    batch b;
    char err[256];
    assert_int_equal(batch_parse(json, sizeof json - 1, &b, err, sizeof err), BATCH_OK);
    assert_int_equal(b.count, 5);
    batch_free(&b);
    check_against_mutations(json, sizeof json - 1, "compact batch", 7);
    check_against_mutations(bare, sizeof bare - 1, "compact bare record", 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connector_batch_with_object_values),
        cmocka_unit_test(escaped_string_and_base64_values),
        cmocka_unit_test(map_tostring_values_any_order_ints_nulls_nesting),
        cmocka_unit_test(keys_are_kept_as_json_text),
        cmocka_unit_test(keys_mostly_not_utf8_are_counted_not_echoed),
        cmocka_unit_test(field_name_spellings),
        cmocka_unit_test(bare_object_and_empty_batch),
        cmocka_unit_test(numeric_strings_read_as_json_numbers),
        cmocka_unit_test(malformed_records_get_specific_errors),
        cmocka_unit_test(invalid_events_fail_with_reason),
        cmocka_unit_test(unterminated_buffer),
        cmocka_unit_test(fast_path_takes_connector_batches),
        cmocka_unit_test(map_string_sample_matches_object_sample),
        cmocka_unit_test(fast_path_matches_reference_on_samples_and_mutations),
        cmocka_unit_test(fast_path_matches_reference_on_compact_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
