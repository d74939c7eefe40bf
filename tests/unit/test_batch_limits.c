/* test_batch_limits.c: hostile events.  The grammar is strict (nothing
 * after the top-level value, nor after the JSON inside a string value); a
 * record's oddity (a lone surrogate escape anywhere, an integer beyond 2^53,
 * too many values) costs only that record; the limits (records, nesting)
 * fail the event with a message naming them; both paths (fast and cJSON
 * reference) agree on every case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "lambda/batch/batch.h"
#include "lambda/batch/batch_internal.h"
#include "lambda/evaluate.h"
#include "lambda/response.h"

#define GOOD_VALUE                                                                                 \
    "{\"sepalLength\":5.1,\"sepalWidth\":3.5,\"petalLength\":1.4,\"petalWidth\":0.2,"              \
    "\"species\":\"setosa\"}"
#define GOOD                                                                                       \
    "{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":9,\"value\":" GOOD_VALUE "}}"

/* Parses with both paths; they must agree on status, message and records. */
static int parse_both(const char *json, size_t len, batch *out, char *err, size_t errlen)
{
    batch ref;
    char eref[512] = "";
    err[0] = '\0';
    int rc = batch_parse(json, len, out, err, errlen);
    int rref = batch_parse_cjson(json, len, &ref, eref, sizeof eref);
    if (rc != rref || strcmp(err, eref) != 0)
        fail_msg("fast path %d \"%s\" vs reference %d \"%s\"", rc, err, rref, eref);
    if (rc == BATCH_OK) {
        assert_int_equal(out->count, ref.count);
        for (size_t i = 0; i < out->count; i++) {
            const char *a = out->records[i].error, *b = ref.records[i].error;
            if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
                fail_msg("record %zu: fast \"%s\" vs reference \"%s\"", i, a ? a : "(none)",
                         b ? b : "(none)");
            assert_true(out->records[i].offset == ref.records[i].offset);
            assert_true(out->records[i].timestamp_ms == ref.records[i].timestamp_ms);
        }
    }
    batch_free(&ref);
    return rc;
}

static void expect_event_error(const char *json, int status, const char *want)
{
    batch b;
    char err[512] = "";
    int rc = parse_both(json, strlen(json), &b, err, sizeof err);
    if (rc != status || strstr(err, want) == NULL)
        fail_msg("event %.80s: expected %d \"%s\", got %d \"%s\"", json, status, want, rc, err);
    assert_null(b.records);
}

/* "[GOOD, element, GOOD]": the middle record gets an error containing want
 * (or reads fine when want is NULL) and the others are still read. */
static void expect_record(const char *element, const char *want)
{
    size_t n = strlen(element) + 2 * sizeof GOOD + 8;
    char *json = malloc(n);
    snprintf(json, n, "[%s,%s,%s]", GOOD, element, GOOD);
    batch b;
    char err[512] = "";
    if (parse_both(json, strlen(json), &b, err, sizeof err) != BATCH_OK)
        fail_msg("element %.80s: expected the event to parse, got \"%s\"", element, err);
    assert_int_equal(b.count, 3);
    assert_null(b.records[0].error);
    assert_null(b.records[2].error);
    const char *got = b.records[1].error;
    if (want == NULL && got != NULL)
        fail_msg("element %.80s: expected no error, got \"%s\"", element, got);
    if (want != NULL && (got == NULL || strstr(got, want) == NULL))
        fail_msg("element %.80s: expected an error containing \"%s\", got \"%s\"", element, want,
                 got ? got : "(none)");
    batch_free(&b);
    free(json);
}

static void text_after_the_top_level_value_is_an_invalid_event(void **state)
{
    (void)state;
    static const char *const events[] = {
        "[" GOOD "] x", "[" GOOD "]]",           "[" GOOD "],",  "[]{}",
        "[] []",        "{\"sepalLength\":1} 1", "[" GOOD "]\v", "[" GOOD "]\f",
    };
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        expect_event_error(events[i], BATCH_ERR_NOT_JSON, "text after the top-level value at byte");
    /* The position is the first byte after the value and its whitespace. */
    expect_event_error("[]  x", BATCH_ERR_NOT_JSON, "at byte 4 of 5");
    batch b;
    char err[256] = "";
    assert_int_equal(parse_both("[]\0", 3, &b, err, sizeof err), BATCH_ERR_NOT_JSON);
    assert_non_null(strstr(err, "text after the top-level value at byte 2 of 3"));
    /* Whitespace is fine: */
    assert_int_equal(
        parse_both("\n [" GOOD "] \r\n\t", strlen("\n [" GOOD "] \r\n\t"), &b, err, sizeof err),
        BATCH_OK);
    batch_free(&b);
}

static void grammar_errors_name_the_byte(void **state)
{
    (void)state;
    expect_event_error("[1,]", BATCH_ERR_NOT_JSON, "syntax error at byte 3 of 4");
    expect_event_error("[01]", BATCH_ERR_NOT_JSON, "syntax error at byte 2 of 4");
    expect_event_error("[\"a\tb\"]", BATCH_ERR_NOT_JSON, "syntax error at byte 3 of 7");
    expect_event_error("[\"\\x\"]", BATCH_ERR_NOT_JSON, "syntax error at byte 2 of 6");
    expect_event_error("[\"\\u12G4\"]", BATCH_ERR_NOT_JSON, "syntax error at byte 2 of 10");
    expect_event_error("[tru]", BATCH_ERR_NOT_JSON, "syntax error at byte 1 of 5");
    expect_event_error("[{\"a\" 1}]", BATCH_ERR_NOT_JSON, "syntax error at byte 6 of 9");
    expect_event_error("   ", BATCH_ERR_NOT_JSON, "syntax error at byte 3 of 3");
}

static void too_many_records_fail_the_event_naming_the_limit(void **state)
{
    (void)state;
    size_t n = BATCH_MAX_RECORDS + 1, len = 2 * n + 1;
    char *json = malloc(len + 1);
    json[0] = '[';
    for (size_t i = 0; i < n; i++) {
        json[1 + 2 * i] = '1';
        json[2 + 2 * i] = i + 1 < n ? ',' : ']';
    }
    json[len] = '\0';
    batch b;
    char err[512] = "";
    int rc = batch_parse(json, len, &b, err, sizeof err);
    if (rc != BATCH_ERR_LIMIT || strstr(err, "more than 60000 records") == NULL ||
        strstr(err, "aws.lambda.batch.size") == NULL)
        fail_msg("expected BATCH_ERR_LIMIT naming 100000 records, got %d \"%s\"", rc, err);
    /* Exactly the limit is served. */
    json[2 * BATCH_MAX_RECORDS] = ']';
    rc = batch_parse(json, 2 * BATCH_MAX_RECORDS + 1, &b, err, sizeof err);
    assert_int_equal(rc, BATCH_OK);
    assert_int_equal(b.count, BATCH_MAX_RECORDS);
    assert_non_null(b.records[BATCH_MAX_RECORDS - 1].error);
    batch_free(&b);
    free(json);
}

static void deep_nesting_fails_the_event_naming_the_limit(void **state)
{
    (void)state;
    size_t depth = 100000;
    char *json = malloc(2 * depth + 1);
    memset(json, '[', depth);
    memset(json + depth, ']', depth);
    json[2 * depth] = '\0';
    expect_event_error(json, BATCH_ERR_LIMIT,
                       "deeper than 512 levels (at byte 513 of 200000 of the event)");
    /* 512 levels are fine; a record nested inside is an ordinary bad record. */
    memset(json, '[', 511);
    memset(json + 511, ']', 511);
    json[1022] = '\0';
    batch b;
    char err[256];
    assert_int_equal(parse_both(json, 1022, &b, err, sizeof err), BATCH_OK);
    assert_int_equal(b.count, 1);
    assert_non_null(b.records[0].error);
    batch_free(&b);
    free(json);
}

static void a_lone_surrogate_costs_only_its_record_in_every_field(void **state)
{
    (void)state;
    static const char *const elements[] = {
        "{\"payload\":{\"topic\":\"ir\\ud800is\",\"value\":" GOOD_VALUE "}}",
        "{\"payload\":{\"key\":\"\\ud800\",\"value\":" GOOD_VALUE "}}",
        "{\"payload\":{\"key\":\"\\udfff\\ud800\",\"value\":" GOOD_VALUE "}}",
        "{\"payload\":{\"value\":{\"sepalLength\":5.1,\"sepalWidth\":3.5,\"petalLength\":1.4,"
        "\"petalWidth\":0.2,\"species\":\"set\\udc00osa\"}}}",
        "{\"payload\":{\"value\":{\"\\ud800\":1,\"sepalLength\":5.1,\"sepalWidth\":3.5,"
        "\"petalLength\":1.4,\"petalWidth\":0.2}}}",
        "{\"headers\":[\"\\ud800x\"],\"payload\":{\"value\":" GOOD_VALUE "}}",
        "{\"payload\":{\"value\":\"\\ud800\"}}",
    };
    for (size_t i = 0; i < sizeof elements / sizeof elements[0]; i++)
        expect_record(elements[i], "lone UTF-16 surrogate escape");
    /* Inside escaped JSON, the error says where in the decoded content. */
    expect_record("{\"payload\":{\"value\":\"{\\\"species\\\":\\\"\\\\ud800\\\"}\"}}",
                  "value: string content has a lone UTF-16 surrogate escape at byte 12 of 20");
    /* A proper pair is fine. */
    expect_record("{\"payload\":{\"key\":\"\\ud83c\\udf38\",\"value\":" GOOD_VALUE "}}", NULL);
}

static void text_after_escaped_json_is_a_record_error(void **state)
{
    (void)state;
    expect_record("{\"payload\":{\"value\":\"{\\\"sepalLength\\\":5.1,\\\"sepalWidth\\\":3.5,"
                  "\\\"petalLength\\\":1.4,\\\"petalWidth\\\":0.2} trailing\"}}",
                  "value: string content has text after the JSON value at byte 72 of 80");
    expect_record("{\"payload\":{\"value\":\"{\\\"sepalLength\\\":5.1,\\\"sepalWidth\\\":3.5,"
                  "\\\"petalLength\\\":1.4,\\\"petalWidth\\\":0.2}}\"}}",
                  "value: string content has text after the JSON value at byte 71 of 72");
    /* base64 of {"sepalLength":1,"sepalWidth":1,"petalLength":1,"petalWidth":1}x */
    expect_record(
        "{\"payload\":{\"value\":\"eyJzZXBhbExlbmd0aCI6MSwic2VwYWxXaWR0aCI6MSwicGV0YWxMZW5"
        "ndGgiOjEsInBldGFsV2lkdGgiOjF9eA==\"}}",
        "value: base64 content has text after the JSON value at byte 63 of 64");
    /* Trailing whitespace is fine. */
    expect_record("{\"payload\":{\"value\":\"{\\\"sepalLength\\\":5.1,\\\"sepalWidth\\\":3.5,"
                  "\\\"petalLength\\\":1.4,\\\"petalWidth\\\":0.2} \\n\"}}",
                  NULL);
}

static void integers_beyond_2_53_are_record_errors_never_rounded(void **state)
{
    (void)state;
    static const struct {
        const char *field, *number;
    } cases[] = {
        {"offset", "9007199254740992"},     {"offset", "9007199254740993"},
        {"offset", "4611686018427387903"},  {"timestamp", "9007199254740993"},
        {"timestamp", "-9007199254740993"}, {"timestamp", "-4611686018427387904"},
        {"offset", "9007199254740993.0"},   {"timestamp", "9.007199254740993e15"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char el[512];
        snprintf(el, sizeof el, "{\"payload\":{\"%s\":%s,\"value\":%s}}", cases[i].field,
                 cases[i].number, GOOD_VALUE);
        char want[64];
        snprintf(want, sizeof want, "payload.%s: an integer of magnitude 2^53", cases[i].field);
        expect_record(el, want);
    }
    /* Just below 2^53: echoed exactly. */
    const char *json = "[{\"payload\":{\"offset\":9007199254740991,\"timestamp\":-9007199254740991,"
                       "\"value\":" GOOD_VALUE "}}]";
    batch b;
    char err[256];
    assert_int_equal(parse_both(json, strlen(json), &b, err, sizeof err), BATCH_OK);
    assert_null(b.records[0].error);
    assert_true(b.records[0].offset == 9007199254740991LL);
    assert_true(b.records[0].timestamp_ms == -9007199254740991LL);
    batch_free(&b);
}

static void negative_timestamps_are_kept_and_absent_is_distinct(void **state)
{
    (void)state;
    const char *json = "[{\"payload\":{\"timestamp\":-1,\"value\":" GOOD_VALUE "}},"
                       "{\"payload\":{\"timestamp\":-86400000,\"value\":" GOOD_VALUE "}},"
                       "{\"payload\":{\"timestamp\":null,\"value\":" GOOD_VALUE "}},"
                       "{\"payload\":{\"value\":" GOOD_VALUE "}}]";
    batch b;
    char err[256];
    assert_int_equal(parse_both(json, strlen(json), &b, err, sizeof err), BATCH_OK);
    assert_true(b.records[0].timestamp_ms == -1);
    assert_true(b.records[1].timestamp_ms == -86400000LL);
    assert_true(b.records[2].timestamp_ms == BATCH_NO_TIMESTAMP);
    assert_true(b.records[3].timestamp_ms == BATCH_NO_TIMESTAMP);
    batch_free(&b);
}

static void a_record_with_too_many_values_is_a_record_error(void **state)
{
    (void)state;
    size_t n = BATCH_RECORD_MAX_VALUES + 10;
    char *el = malloc(2 * n + 256);
    int off = sprintf(el, "{\"payload\":{\"value\":{\"sepalLength\":\"x\",\"extra\":[");
    for (size_t i = 0; i < n; i++)
        off += sprintf(el + off, i ? ",1" : "1");
    strcpy(el + off, "]}}}");
    expect_record(el, "record: more than 10000 JSON values");
    /* The same inside an escaped-JSON value. */
    off = sprintf(el, "{\"payload\":{\"value\":\"{\\\"x\\\":[");
    for (size_t i = 0; i < n; i++)
        off += sprintf(el + off, i ? ",1" : "1");
    strcpy(el + off, "]}\"}}");
    expect_record(el, "value: string content holds more than 10000 JSON values");
    free(el);
}

/* A record of more bytes than 2 x BATCH_RECORD_MAX_VALUES but few values (a
 * long key, valid or not UTF-8) is read whole by the fast path, in its first
 * pass: it and the records around it agree with the cJSON path's, keys
 * (echoed or counted) included. */
static void a_long_record_of_few_values_agrees_with_the_reference(void **state)
{
    (void)state;
    size_t klen = 3 * BATCH_RECORD_MAX_VALUES;
    char *ev = malloc(2 * klen + 4096);
    char *o = ev;
    o += sprintf(o, "[%s,{\"payload\":{\"topic\":\"iris\",\"partition\":1,\"offset\":7,"
                    "\"key\":\"", GOOD);
    for (size_t i = 0; i < klen; i++)
        *o++ = i % 3 == 0 ? (char)0xff : 'k';
    o += sprintf(o, "\",\"value\":%s}},{\"payload\":{\"topic\":\"iris\",\"partition\":1,"
                    "\"offset\":8,\"key\":\"", GOOD_VALUE);
    for (size_t i = 0; i < klen; i++)
        *o++ = 'v';
    o += sprintf(o, "\",\"value\":%s}},%s]", GOOD_VALUE, GOOD);
    batch b, ref;
    char err[512], eref[512];
    assert_int_equal(parse_both(ev, (size_t)(o - ev), &b, err, sizeof err), BATCH_OK);
    assert_int_equal(batch_parse_cjson(ev, (size_t)(o - ev), &ref, eref, sizeof eref), BATCH_OK);
    assert_int_equal(b.count, 4);
    for (size_t i = 0; i < b.count; i++) {
        assert_null(b.records[i].error);
        if ((b.records[i].key == NULL) != (ref.records[i].key == NULL) ||
            (b.records[i].key != NULL && strcmp(b.records[i].key, ref.records[i].key) != 0) ||
            b.records[i].key_not_utf8 != ref.records[i].key_not_utf8)
            fail_msg("record %zu: the fast path's key differs from the reference's", i);
    }
    /* A third of the key's bytes are not UTF-8, far past BATCH_KEY_NOT_UTF8_MAX:
     * counted, not echoed. */
    assert_null(b.records[1].key);
    assert_int_equal(b.records[1].key_not_utf8, klen / 3);
    assert_int_equal(strlen(b.records[2].key), klen + 2);
    assert_true(b.records[2].offset == 8);
    batch_free(&ref);
    batch_free(&b);
    free(ev);
}

static void many_distinct_topics_are_interned_once_each(void **state)
{
    (void)state;
    size_t n = 20000;
    char *json = malloc(n * 200 + 8);
    size_t off = 0;
    json[off++] = '[';
    for (size_t i = 0; i < n; i++)
        off += (size_t)sprintf(json + off, "%s{\"payload\":{\"topic\":\"t%zu\",\"value\":%s}}",
                               i ? "," : "", i % (n / 2), GOOD_VALUE);
    json[off++] = ']';
    batch b;
    char err[256];
    assert_int_equal(batch_parse(json, off, &b, err, sizeof err), BATCH_OK);
    assert_int_equal(b.count, n);
    assert_int_equal(b.ntopics, n / 2);
    assert_string_equal(b.records[n - 1].topic, "t9999");
    assert_ptr_equal(b.records[3].topic, b.records[n / 2 + 3].topic);
    batch_free(&b);
    free(json);
}

static void shape_is_decided_by_the_decoded_payload_key(void **state)
{
    (void)state;
    const char *json = "[{\"p\\u0061yload\":{\"value\":" GOOD_VALUE "}}]";
    batch b;
    char err[256];
    assert_int_equal(parse_both(json, strlen(json), &b, err, sizeof err), BATCH_OK);
    assert_int_equal(b.shape, BATCH_SHAPE_CONNECTOR);
    assert_null(b.records[0].error);
    batch_free(&b);
    json = "[" GOOD_VALUE "]";
    assert_int_equal(parse_both(json, strlen(json), &b, err, sizeof err), BATCH_OK);
    assert_int_equal(b.shape, BATCH_SHAPE_BARE_ARRAY);
    batch_free(&b);
}

/* Bad records worded by the fast path: the same words, the same order of
 * checks (topic, partition, offset, timestamp, value; each measurement, then
 * the species) and the same metadata as the cJSON path (parse_both), and
 * none of them left to cJSON. */
static void common_record_errors_are_worded_without_cjson(void **state)
{
    (void)state;
    static const struct {
        const char *element, *error;
    } cases[] = {
        {"{\"payload\":{\"value\":null}}", "value: null (a tombstone"},
        {"{\"payload\":{\"value\":[1]}}", "got array"},
        {"{\"payload\":{\"value\":true}}", "got boolean"},
        {"{\"payload\":{\"value\":7}}", "base64, got number"},
        {"{\"payload\":{\"offset\":1}}", "payload.value: missing"},
        {"{\"payload\":{}}", "payload.value: missing"},
        {"{\"payload\":{\"topic\":7,\"value\":null}}",
         "payload.topic: expected a string, got number"},
        {"{\"payload\":{\"value\":null,\"partition\":-1}}", "payload.partition: -1 is not a valid"},
        {"{\"payload\":{\"partition\":2147483648,\"value\":{}}}", "2.14748e+09 is not a valid"},
        {"{\"payload\":{\"offset\":\"9\",\"value\":{}}}",
         "payload.offset: expected an integer, got string"},
        {"{\"payload\":{\"timestamp\":{},\"offset\":3,\"value\":{}}}",
         "payload.timestamp: expected an integer, got object"},
        {"{\"payload\":{\"timestamp\":9007199254740992,\"value\":{}}}",
         "payload.timestamp: an integer of magnitude"},
        {"{\"payload\":{\"offset\":1.5,\"value\":{}}}",
         "payload.offset: 1.5 is not a valid offset"},
        {"{\"payload\":{\"offset\":90071992547409931000,\"value\":{}}}",
         "9.0072e+19 is not a valid"},
        {"{\"payload\":{\"offset\":1e3,\"value\":{}}}", "value: missing field sepalLength"},
        {"{\"payload\":{\"value\":{}}}", "value: missing field sepalLength"},
        {"{\"payload\":{\"value\":{\"sepal_length\":1,\"sepalWidth\":1,\"petalLength\":1}}}",
         "value: missing field petalWidth"},
        {"{\"payload\":{\"value\":{\"petalWidth\":-1,\"sepalLength\":200,\"sepalWidth\":1,"
         "\"petalLength\":1}}}",
         "value.sepalLength: 200 is out of range"},
        {"{\"payload\":{\"value\":{\"SEPAL_LENGTH\":null,\"sepalWidth\":1,\"petalLength\":1,"
         "\"petalWidth\":1}}}",
         "value.SEPAL_LENGTH: expected a number, got null"},
        {"{\"payload\":{\"value\":{\"sepalLength\":1,\"sepalWidth\":1,\"petalLength\":1,"
         "\"petalWidth\":1,\"species\":\"rose!\"}}}",
         "value.species: \"rose!\" is not a species name"},
        {"{\"payload\":{\"value\":{\"sepalLength\":1,\"sepalWidth\":1,\"petalLength\":1,"
         "\"petalWidth\":1,\"Species\":[]}}}",
         "value.Species: expected a string or null, got array"},
        {"{\"payload\":{\"value\":\"{\\\"sepalLength\\\":1}\"}}",
         "value: missing field sepalWidth"},
        {"{\"offset\":1}", "record: expected an object with \"payload\", got object"},
        {"{}", "record: expected an object with \"payload\", got object"},
        {"[{}]", "record: expected an object with \"payload\", got array"},
        {"null", "got null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_record(cases[i].element, cases[i].error);
        char ev[1024];
        snprintf(ev, sizeof ev, "[" GOOD ",%s]", cases[i].element);
        batch b;
        assert_int_equal(batch_parse_fast(ev, strlen(ev), &b), BATCH_OK);
        if (b.slow_records != 0)
            fail_msg("case %zu (%s): expected no record left to cJSON, got %zu", i,
                     cases[i].element, b.slow_records);
        batch_free(&b);
    }
    /* A topic name as long as Kafka allows is kept; one byte more is an error. */
    char el[512], topic[251];
    memset(topic, 'a', 250);
    topic[250] = '\0';
    snprintf(el, sizeof el, "{\"payload\":{\"topic\":\"%s\",\"value\":" GOOD_VALUE "}}", topic);
    expect_record(el, "payload.topic: 250 bytes, longer than a Kafka topic name may be (249 "
                      "characters)");
    topic[249] = '\0';
    snprintf(el, sizeof el, "{\"payload\":{\"topic\":\"%s\",\"value\":" GOOD_VALUE "}}", topic);
    expect_record(el, NULL);
    /* The first check in the cJSON path's order wins, whatever the order of
     * the members: a bad partition before a bad value; and every valid
     * member (offset, partition, topic) is echoed beside a bad timestamp. */
    const char *json = "[{\"payload\":{\"value\":null,\"timestamp\":true,\"offset\":5,"
                       "\"partition\":1,\"topic\":\"t\"}}]";
    batch b;
    char err[256];
    assert_int_equal(parse_both(json, strlen(json), &b, err, sizeof err), BATCH_OK);
    assert_string_equal(b.records[0].error, "payload.timestamp: expected an integer, got boolean");
    assert_true(b.records[0].offset == 5 && b.records[0].partition == 1);
    assert_string_equal(b.records[0].topic, "t");
    assert_int_equal(b.slow_records, 0);
    batch_free(&b);
}

/* Every JSON string the function writes (responses, logs, errors) goes
 * through buf_json_str: invalid UTF-8 comes out as U+FFFD, one per byte. */
static void invalid_utf8_is_written_as_replacement_characters(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"t\xff", "\"t\xef\xbf\xbd\""},
        {"\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\""},               /* valid 2-byte */
        {"\xe2\x82\xac", "\"\xe2\x82\xac\""},                         /* valid 3-byte */
        {"\xf0\x9f\x8c\xb8", "\"\xf0\x9f\x8c\xb8\""},                 /* valid 4-byte */
        {"\xc3", "\"\xef\xbf\xbd\""},                                 /* truncated */
        {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},                 /* overlong '/' */
        {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* CESU surrogate */
        {"\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
        {"\x80"
         "a",
         "\"\xef\xbf\xbd"
         "a\""}, /* lone continuation */
        {"a\"\\\x01", "\"a\\\"\\\\\\u0001\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf b = BUF_INIT;
        assert_int_equal(buf_json_cstr(&b, cases[i].in), 0);
        if (strcmp(b.data, cases[i].out) != 0)
            fail_msg("case %zu: expected %s, got %s", i, cases[i].out, b.data);
        buf_free(&b);
    }
}

/* What reaches the response: a negative timestamp as it was, an absent one
 * as null, and a topic's invalid UTF-8 as U+FFFD. */
static void the_response_echoes_what_was_read(void **state)
{
    (void)state;
    const char *json = "[{\"payload\":{\"topic\":\"t\xff\",\"timestamp\":-5,\"value\":" GOOD_VALUE
                       "}},{\"payload\":{\"timestamp\":null,\"value\":null}}]";
    batch b;
    char err[256];
    assert_int_equal(parse_both(json, strlen(json), &b, err, sizeof err), BATCH_OK);
    model *m = model_load("model/iris-model.json", err, sizeof err);
    if (m == NULL)
        fail_msg("cannot load model/iris-model.json: %s", err);
    evaluate_score(m, &b);
    buf out = BUF_INIT;
    assert_int_equal(response_write(&out, &b, m), 0);
    if (strstr(out.data, "{\"payload\":{\"topic\":\"t\xef\xbf\xbd\",\"partition\":null,"
                         "\"offset\":null,\"timestamp\":-5,") == NULL ||
        strstr(out.data, "{\"payload\":{\"topic\":null,\"partition\":null,\"offset\":null,"
                         "\"timestamp\":null,\"error\":") == NULL)
        fail_msg("expected the topic with U+FFFD, timestamp -5, then a null timestamp; got %s",
                 out.data);
    buf_free(&out);
    model_free(m);
    batch_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_after_the_top_level_value_is_an_invalid_event),
        cmocka_unit_test(grammar_errors_name_the_byte),
        cmocka_unit_test(too_many_records_fail_the_event_naming_the_limit),
        cmocka_unit_test(deep_nesting_fails_the_event_naming_the_limit),
        cmocka_unit_test(a_lone_surrogate_costs_only_its_record_in_every_field),
        cmocka_unit_test(text_after_escaped_json_is_a_record_error),
        cmocka_unit_test(integers_beyond_2_53_are_record_errors_never_rounded),
        cmocka_unit_test(negative_timestamps_are_kept_and_absent_is_distinct),
        cmocka_unit_test(a_record_with_too_many_values_is_a_record_error),
        cmocka_unit_test(a_long_record_of_few_values_agrees_with_the_reference),
        cmocka_unit_test(many_distinct_topics_are_interned_once_each),
        cmocka_unit_test(shape_is_decided_by_the_decoded_payload_key),
        cmocka_unit_test(invalid_utf8_is_written_as_replacement_characters),
        cmocka_unit_test(common_record_errors_are_worded_without_cjson),
        cmocka_unit_test(the_response_echoes_what_was_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
