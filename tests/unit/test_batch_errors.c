/* test_batch_errors.c: a record that fails still says where it came from,
 * and a deeply nested record costs only itself.
 *
 * Each case is one connector element; on both paths (the fast path,
 * batch_parse, and the cJSON reference, batch_parse_cjson) its response
 * element must be exactly the one written here by hand: every metadata
 * member that was valid echoed (topic, partition, offset, timestamp, key),
 * the invalid ones null, and the specific error.  The same element between
 * two good records leaves them read. */
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
#include "lambda/response.h"
#include "model/model.h"

#define GOOD_VALUE                                                                                 \
    "{\"sepalLength\":5.1,\"sepalWidth\":3.5,\"petalLength\":1.4,\"petalWidth\":0.2,"              \
    "\"species\":\"setosa\"}"
#define GOOD                                                                                       \
    "{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":9,\"value\":" GOOD_VALUE "}}"
/* The metadata every case carries, valid unless the case spoils one. */
#define META_HEAD "{\"payload\":{\"timestamp\":1604302260000,"
#define WANT_HEAD "{\"payload\":{"

static model *iris;

static int setup(void **state)
{
    (void)state;
    char err[256];
    iris = model_load("model/iris-model.json", err, sizeof err);
    if (iris == NULL)
        fail_msg("model: %s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    model_free(iris);
    return 0;
}

/* The response to [el] on one path, as a string (free it). */
static char *answer(const char *event, size_t len, int reference, const char *what)
{
    batch b;
    char err[512] = "";
    int rc = reference ? batch_parse_cjson(event, len, &b, err, sizeof err)
                       : batch_parse(event, len, &b, err, sizeof err);
    if (rc != BATCH_OK)
        fail_msg("%s (%s path): expected the event to parse, got %d: %s", what,
                 reference ? "cJSON" : "fast", rc, err);
    buf out = BUF_INIT;
    assert_int_equal(response_write(&out, &b, iris), 0);
    batch_free(&b);
    size_t n;
    return buf_detach(&out, &n);
}

/* el's response element is want on both paths, and el between two good
 * records leaves them read. */
static void expect_element(const char *what, const char *el, const char *want)
{
    size_t n = strlen(el);
    char *event = malloc(n + 2 * sizeof GOOD + 8), *expected = malloc(strlen(want) + 3);
    sprintf(event, "[%s]", el);
    sprintf(expected, "[%s]", want);
    for (int reference = 0; reference < 2; reference++) {
        char *got = answer(event, n + 2, reference, what);
        if (strcmp(got, expected) != 0)
            fail_msg("%s (%s path):\nexpected %.600s\n     got %.600s", what,
                     reference ? "cJSON" : "fast", expected, got);
        free(got);
    }
    sprintf(event, "[" GOOD ",%s," GOOD "]", el);
    for (int reference = 0; reference < 2; reference++) {
        batch b;
        char err[512];
        int rc = reference ? batch_parse_cjson(event, strlen(event), &b, err, sizeof err)
                           : batch_parse(event, strlen(event), &b, err, sizeof err);
        assert_int_equal(rc, BATCH_OK);
        assert_int_equal(b.count, 3);
        if (b.records[0].error != NULL || b.records[2].error != NULL || b.records[1].error == NULL)
            fail_msg("%s between good records: expected errors none/some/none, got %s/%s/%s", what,
                     b.records[0].error ? b.records[0].error : "none",
                     b.records[1].error ? "some" : "none",
                     b.records[2].error ? b.records[2].error : "none");
        batch_free(&b);
    }
    free(event);
    free(expected);
}

/* before, open repeated depth times, the innermost value (an object's
 * member needs one), close repeated depth times, after. */
static char *nested(const char *before, const char *open, const char *close, size_t depth,
                    const char *after)
{
    size_t lb = strlen(before), lo = strlen(open), lc = strlen(close);
    const char *inner = open[0] == '{' ? "1" : "";
    char *s = malloc(lb + depth * (lo + lc) + strlen(after) + 2), *o = s;
    memcpy(o, before, lb);
    o += lb;
    for (size_t i = 0; i < depth; i++, o += lo)
        memcpy(o, open, lo);
    o = stpcpy(o, inner);
    for (size_t i = 0; i < depth; i++, o += lc)
        memcpy(o, close, lc);
    strcpy(o, after);
    return s;
}

/* Metadata members that are wrong, or that cJSON cannot read, null only
 * themselves. */
static void failed_records_echo_every_valid_metadata_member(void **state)
{
    (void)state;
    char topic250[251], el[1024], want[1024];
    memset(topic250, 't', 250);
    topic250[250] = '\0';
    static const struct {
        const char *what, *el, *want;
    } cases[] = {
        {"a NUL escape in the topic",
         META_HEAD "\"topic\":\"ir\\u0000is\",\"partition\":1,\"offset\":0,\"key\":\"k\","
                   "\"value\":" GOOD_VALUE "}}",
         WANT_HEAD "\"topic\":null,\"partition\":1,\"offset\":0,\"timestamp\":1604302260000,"
                   "\"key\":\"k\",\"error\":\"record: a \\\\u0000 escape (a NUL character) at "
                   "byte 49 of the record; text fields may not contain NUL\"}}"},
        {"a lone surrogate in the topic",
         META_HEAD "\"topic\":\"ir\\ud800is\",\"partition\":1,\"offset\":0,\"key\":{\"id\":7},"
                   "\"value\":" GOOD_VALUE "}}",
         WANT_HEAD "\"topic\":null,\"partition\":1,\"offset\":0,\"timestamp\":1604302260000,"
                   "\"key\":{\"id\":7},\"error\":\"record: a lone UTF-16 surrogate escape "
                   "(\\\\ud800 to \\\\udfff without its pair) at byte 49 of the record; JSON "
                   "strings must be Unicode\"}}"},
        {"a NUL escape in the key",
         META_HEAD "\"topic\":\"iris\",\"partition\":1,\"offset\":0,\"key\":\"k\\u0000\","
                   "\"value\":" GOOD_VALUE "}}",
         WANT_HEAD "\"topic\":\"iris\",\"partition\":1,\"offset\":0,\"timestamp\":1604302260000,"
                   "\"error\":\"record: a \\\\u0000 escape (a NUL character) at byte 86 of the "
                   "record; text fields may not contain NUL\"}}"},
        {"a NUL escape in the species",
         META_HEAD
         "\"topic\":\"iris\",\"partition\":1,\"offset\":3,\"value\":{\"sepalLength\":1,"
         "\"sepalWidth\":1,\"petalLength\":1,\"petalWidth\":1,\"species\":\"a\\u0000\"}}}",
         WANT_HEAD "\"topic\":\"iris\",\"partition\":1,\"offset\":3,\"timestamp\":1604302260000,"
                   "\"error\":\"record: a \\\\u0000 escape (a NUL character) at byte 161 of the "
                   "record; text fields may not contain NUL\"}}"},
        {"a bad offset beside a valid partition",
         META_HEAD
         "\"topic\":\"iris\",\"partition\":2,\"offset\":-5,\"key\":\"k\",\"value\":" GOOD_VALUE
         "}}",
         WANT_HEAD "\"topic\":\"iris\",\"partition\":2,\"offset\":null,\"timestamp\":"
                   "1604302260000,\"key\":\"k\",\"error\":\"payload.offset: -5 is not a valid "
                   "offset\"}}"},
        {"an offset of the wrong type",
         META_HEAD "\"topic\":\"iris\",\"partition\":2,\"offset\":\"7\",\"value\":" GOOD_VALUE "}}",
         WANT_HEAD "\"topic\":\"iris\",\"partition\":2,\"offset\":null,\"timestamp\":"
                   "1604302260000,\"error\":\"payload.offset: expected an integer, got "
                   "string\"}}"},
        {"a bad partition beside a valid offset",
         META_HEAD "\"topic\":\"iris\",\"partition\":1.5,\"offset\":0,\"value\":" GOOD_VALUE "}}",
         WANT_HEAD "\"topic\":\"iris\",\"partition\":null,\"offset\":0,\"timestamp\":"
                   "1604302260000,\"error\":\"payload.partition: 1.5 is not a valid "
                   "partition\"}}"},
        {"a topic of the wrong type",
         META_HEAD "\"topic\":7,\"partition\":1,\"offset\":0,\"key\":\"k\",\"value\":" GOOD_VALUE
                   "}}",
         WANT_HEAD "\"topic\":null,\"partition\":1,\"offset\":0,\"timestamp\":1604302260000,"
                   "\"key\":\"k\",\"error\":\"payload.topic: expected a string, got number\"}}"},
        {"an offset beyond 2^53 and a bad timestamp",
         "{\"payload\":{\"timestamp\":true,\"topic\":\"iris\",\"partition\":1,"
         "\"offset\":9007199254740993,\"value\":" GOOD_VALUE "}}",
         WANT_HEAD "\"topic\":\"iris\",\"partition\":1,\"offset\":null,\"timestamp\":null,"
                   "\"error\":\"payload.offset: an integer of magnitude 2^53 (9007199254740992) "
                   "or more cannot be echoed exactly\"}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_element(cases[i].what, cases[i].el, cases[i].want);

    snprintf(el, sizeof el,
             META_HEAD "\"topic\":\"%s\",\"partition\":4,\"offset\":0,\"key\":null,"
                       "\"value\":" GOOD_VALUE "}}",
             topic250);
    snprintf(want, sizeof want,
             WANT_HEAD "\"topic\":null,\"partition\":4,\"offset\":0,\"timestamp\":1604302260000,"
                       "\"error\":\"payload.topic: 250 bytes, longer than a Kafka topic name may "
                       "be (249 characters)\"}}");
    expect_element("a topic of 250 bytes", el, want);
}

/* An extra member nested 100,000 deep (arrays, objects, in the value, in
 * the key, before the payload) costs only its record, whose metadata is
 * still echoed; the position is of the first bracket past the limit (the
 * element itself counts as the first of 512 levels). */
static void a_deeply_nested_record_costs_only_itself(void **state)
{
    (void)state;
    static const struct {
        const char *what, *before, *open, *close, *after, *want_head;
        size_t first_level; /* the nesting level of the first open */
    } cases[] = {
        {"an extra payload member of nested arrays",
         META_HEAD "\"topic\":\"iris\",\"partition\":1,\"offset\":0,\"key\":\"k\",\"x\":", "[", "]",
         ",\"value\":" GOOD_VALUE "}}",
         WANT_HEAD "\"topic\":\"iris\",\"partition\":1,\"offset\":0,\"timestamp\":1604302260000,"
                   "\"key\":\"k\"",
         2},
        {"nested objects inside the value",
         META_HEAD "\"topic\":\"iris\",\"partition\":1,\"offset\":0,\"value\":{\"sepalLength\":5.1,"
                   "\"sepalWidth\":3.5,\"petalLength\":1.4,\"petalWidth\":0.2,\"x\":",
         "{\"a\":", "}", "}}}",
         WANT_HEAD "\"topic\":\"iris\",\"partition\":1,\"offset\":0,\"timestamp\":1604302260000",
         3},
        {"nested arrays in the key",
         META_HEAD "\"topic\":\"iris\",\"partition\":1,\"offset\":0,\"key\":", "[", "]",
         ",\"value\":" GOOD_VALUE "}}",
         WANT_HEAD "\"topic\":\"iris\",\"partition\":1,\"offset\":0,\"timestamp\":1604302260000",
         2},
        {"nested objects before the payload", "{\"headers\":", "{\"h\":", "}",
         ",\"payload\":{\"topic\":\"iris\",\"partition\":5,\"offset\":6,\"key\":[1],"
         "\"value\":" GOOD_VALUE "}}",
         WANT_HEAD "\"topic\":\"iris\",\"partition\":5,\"offset\":6,\"timestamp\":null,"
                   "\"key\":[1]",
         1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *el = nested(cases[i].before, cases[i].open, cases[i].close, 100000, cases[i].after);
        /* Level 512 is reached by the (512 - first_level)th open from the first. */
        size_t at = strlen(cases[i].before) + (512 - cases[i].first_level) * strlen(cases[i].open);
        char want[1024];
        snprintf(want, sizeof want,
                 "%s,\"error\":\"record: arrays and objects nested deeper than 512 levels (at "
                 "byte %zu of the record); a connector record needs 3\"}}",
                 cases[i].want_head, at);
        expect_element(cases[i].what, el, want);
        free(el);
    }
}

/* Nesting that is the event's own (its elements' arrays), or a bare object
 * event nested too deep, still fails the event, naming the limit. */
static void nesting_at_the_event_level_still_fails_the_event(void **state)
{
    (void)state;
    char *events[] = {nested("[" GOOD ",", "[", "]", 100000, "]"),
                      nested("{\"sepalLength\":1,\"x\":", "[", "]", 100000, "}"),
                      nested("", "[", "]", 100000, "")};
    for (size_t i = 0; i < 3; i++) {
        for (int reference = 0; reference < 2; reference++) {
            batch b;
            char err[512] = "";
            size_t len = strlen(events[i]);
            int rc = reference ? batch_parse_cjson(events[i], len, &b, err, sizeof err)
                               : batch_parse(events[i], len, &b, err, sizeof err);
            if (rc != BATCH_ERR_LIMIT || strstr(err, "deeper than 512 levels") == NULL)
                fail_msg("event %zu (%s path): expected BATCH_ERR_LIMIT \"deeper than 512 "
                         "levels\", got %d \"%s\"",
                         i, reference ? "cJSON" : "fast", rc, err);
        }
        free(events[i]);
    }
    /* Deep but not valid JSON: still an invalid event, not a record error. */
    char *bad = nested("[" GOOD ",{\"payload\":{\"x\":", "[", "}", 1000, "}}]");
    batch b;
    char err[512];
    assert_int_equal(batch_parse(bad, strlen(bad), &b, err, sizeof err), BATCH_ERR_NOT_JSON);
    assert_int_equal(batch_parse_cjson(bad, strlen(bad), &b, err, sizeof err), BATCH_ERR_NOT_JSON);
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(failed_records_echo_every_valid_metadata_member),
        cmocka_unit_test(a_deeply_nested_record_costs_only_itself),
        cmocka_unit_test(nesting_at_the_event_level_still_fails_the_event),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
