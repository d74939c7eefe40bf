/* test_connector_convert.c: the connector stand-in's value forms: Java's
 * Double.toString, String.hashCode, HashMap order in Map.toString(), the
 * escaped-JSON and base64 forms.  Expected strings are written by hand (Java
 * outputs from the JDK's documented rules; hash codes computed by hand as
 * s[0]*31^(n-1) + ... + s[n-1] in 32-bit arithmetic). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tests/doubles/connector_convert.h"

static void java_double_prints_like_double_tostring(void **state)
{
    (void)state;
    static const struct {
        double d;
        const char *want;
    } cases[] = {
        {6.7, "6.7"},
        {5.0, "5.0"},
        {100.0, "100.0"},
        {0.001, "0.001"},
        {1e-4, "1.0E-4"},
        {1e7, "1.0E7"},
        {9999999.0, "9999999.0"},
        {-2.5, "-2.5"},
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {123456.789, "123456.789"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1.5e300, "1.5E300"},
        {4.9e-324, "4.9E-324"},
        {0.0123, "0.0123"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char got[48];
        connector_java_double(cases[i].d, got, sizeof got);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("Double.toString(%.17g): expected %s, got %s", cases[i].d, cases[i].want, got);
    }
}

static void string_hash_is_javas(void **state)
{
    (void)state;
    /* "a" = 97; "ab" = 97*31 + 98 = 3105; "" = 0. */
    assert_int_equal(connector_java_string_hash("a", 1), 97);
    assert_int_equal(connector_java_string_hash("ab", 2), 3105);
    assert_int_equal(connector_java_string_hash("", 0), 0);
    /* "é" is one UTF-16 unit, 0xE9 = 233. */
    assert_int_equal(connector_java_string_hash("\xc3\xa9", 2), 233);
}

static void expect_java(const char *json, int json_style, const char *want)
{
    buf b = BUF_INIT;
    char err[256] = "";
    int rc = connector_java_string(json, strlen(json), json_style, &b, err, sizeof err);
    if (rc != 0 || b.data == NULL || strcmp(b.data, want) != 0)
        fail_msg("%s\n    expected: %s\n    got:      %s (rc %d, %s)", json, want,
                 b.data ? b.data : "", rc, err);
    buf_free(&b);
}

static void map_tostring_follows_hashmap_order(void **state)
{
    (void)state;
    /* Buckets (16): petalLength 0, petalWidth 0, sepalLength 3, species 5,
     * sepalWidth 9; ties keep insertion order. */
    expect_java("{\"sepalLength\":6.7,\"sepalWidth\":3.3,\"petalLength\":5.7,"
                "\"petalWidth\":2.5,\"species\":\"virginica\"}",
                0,
                "{petalLength=5.7, petalWidth=2.5, sepalLength=6.7, species=virginica, "
                "sepalWidth=3.3}");
    /* The same keys in another order: petalWidth now comes first in bucket 0. */
    expect_java("{\"petalWidth\":2.5,\"petalLength\":5.7,\"species\":null,\"sepalWidth\":3,"
                "\"sepalLength\":6.7}",
                0,
                "{petalWidth=2.5, petalLength=5.7, sepalLength=6.7, species=null, sepalWidth=3}");
}

static void values_print_as_java_objects(void **state)
{
    (void)state;
    expect_java("[1, 2.0, \"a b\", true, null, -0, 1e2]", 0, "[1, 2.0, a b, true, null, 0, 100.0]");
    expect_java("{}", 0, "{}");
    expect_java("\"plain\"", 0, "plain");
    expect_java("{\"a\":{\"b\":[1]}}", 0, "{a={b=[1]}}");
    /* A repeated key keeps its first place and takes the last value. */
    expect_java("{\"b\":1,\"a\":2,\"b\":3}", 0, "{a=2, b=3}");
}

static void escaped_json_uses_the_same_order(void **state)
{
    (void)state;
    expect_java("{\"sepalLength\":6.7,\"species\":\"vir\\\"ginica\",\"petalLength\":5}", 1,
                "{\"petalLength\":5,\"sepalLength\":6.7,\"species\":\"vir\\\"ginica\"}");
}

static void not_json_is_a_converter_error(void **state)
{
    (void)state;
    char err[256] = "";
    cJSON *v = connector_convert(CONNECTOR_FORMAT_JSON, CONNECTOR_CONVERTER_JSON_KV, "abc", 3, err,
                                 sizeof err);
    assert_null(v);
    assert_non_null(strstr(err, "Converting byte[] to Kafka Connect data failed"));
    v = connector_convert(CONNECTOR_FORMAT_JSON, CONNECTOR_CONVERTER_JSON_KV, "{} x", 4, err,
                          sizeof err);
    assert_null(v);
}

static void bytes_are_base64(void **state)
{
    (void)state;
    char err[64];
    static const struct {
        const char *in, *want;
    } cases[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cJSON *v = connector_convert(CONNECTOR_FORMAT_BYTES, CONNECTOR_CONVERTER_JSON_KV,
                                     cases[i].in, strlen(cases[i].in), err, sizeof err);
        assert_non_null(v);
        assert_string_equal(cJSON_GetStringValue(v), cases[i].want);
        cJSON_Delete(v);
    }
}

static void schema_formats_send_objects(void **state)
{
    (void)state;
    char err[64];
    const char *rec = "{\"b\":1,\"a\":2.5}";
    cJSON *v = connector_convert(CONNECTOR_FORMAT_AVRO, CONNECTOR_CONVERTER_JSON_KV, rec,
                                 strlen(rec), err, sizeof err);
    assert_true(cJSON_IsObject(v));
    assert_string_equal(v->child->string, "b"); /* the schema's (record's) field order */
    cJSON_Delete(v);
    /* The escaping applies only without a schema. */
    v = connector_convert(CONNECTOR_FORMAT_PROTOBUF, CONNECTOR_CONVERTER_ESCAPED_JSON_KV, rec,
                          strlen(rec), err, sizeof err);
    assert_true(cJSON_IsObject(v));
    cJSON_Delete(v);
    v = connector_convert(CONNECTOR_FORMAT_JSON, CONNECTOR_CONVERTER_JSON_KV, NULL, 0, err,
                          sizeof err);
    assert_true(cJSON_IsNull(v));
    cJSON_Delete(v);
}

static void names_parse(void **state)
{
    (void)state;
    enum connector_format f;
    enum connector_converter c;
    assert_int_equal(connector_format_parse("JSON_SR", &f), 0);
    assert_int_equal(f, CONNECTOR_FORMAT_JSON_SR);
    assert_int_equal(connector_format_parse("json", &f), -1);
    assert_int_equal(
        connector_converter_parse(
            "io.confluent.connect.aws.lambda.converter.EscapedJsonKeyValueConverter", &c),
        0);
    assert_int_equal(c, CONNECTOR_CONVERTER_ESCAPED_JSON_KV);
    assert_int_equal(connector_converter_parse("org.example.JsonKeyValueConverter", &c), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(java_double_prints_like_double_tostring),
        cmocka_unit_test(string_hash_is_javas),
        cmocka_unit_test(map_tostring_follows_hashmap_order),
        cmocka_unit_test(values_print_as_java_objects),
        cmocka_unit_test(escaped_json_uses_the_same_order),
        cmocka_unit_test(not_json_is_a_converter_error),
        cmocka_unit_test(bytes_are_base64),
        cmocka_unit_test(schema_formats_send_objects),
        cmocka_unit_test(names_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
