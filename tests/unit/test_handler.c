/* test_handler.c: the response (whole and streamed), summary and metrics
 * documents are valid JSON with the right content, whatever the input
 * strings hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lambda/handler.h"

static model *m;

static int load_model(void **state)
{
    (void)state;
    char err[512];
    m = model_load("model/iris-model.json", err, sizeof err);
    if (m == NULL)
        fail_msg("model/iris-model.json: %s", err);
    return 0;
}

static int free_model(void **state)
{
    (void)state;
    model_free(m);
    return 0;
}

static cJSON *parse_doc(const buf *b)
{
    cJSON *doc = cJSON_ParseWithLength(b->data, b->len);
    if (doc == NULL)
        fail_msg("not valid JSON: %.300s", b->data);
    return doc;
}

/* One event scored and answered: the batch, the response and the response
 * parsed.  scored_free() frees all three. */
typedef struct scored {
    batch b;
    buf out;
    cJSON *doc;
} scored;

/* Parses event (len bytes), scores it with the model and writes the response
 * into r; returns r->doc. */
static cJSON *respond(scored *r, const char *event, size_t len)
{
    char err[256];
    int rc = batch_parse(event, len, &r->b, err, sizeof err);
    if (rc != BATCH_OK)
        fail_msg("batch_parse: expected BATCH_OK, got %d (%s)", rc, err);
    evaluate_score(m, &r->b);
    buf_init(&r->out);
    assert_int_equal(response_write(&r->out, &r->b, m), 0);
    r->doc = parse_doc(&r->out);
    return r->doc;
}

static void scored_free(scored *r)
{
    cJSON_Delete(r->doc);
    buf_free(&r->out);
    batch_free(&r->b);
}

static void response_escapes_topic_and_errors(void **state)
{
    (void)state;
    const char *event =
        "[{\"payload\":{\"topic\":\"ir\\\"is\\n\\u00e9\",\"partition\":1,\"offset\":5,"
        "\"timestamp\":1,\"value\":{\"sepalLength\":5.1,\"sepalWidth\":3.5,\"petalLength\":1.4,"
        "\"petalWidth\":0.2,\"species\":\"setosa\"}}},"
        "{\"payload\":{\"topic\":\"t\",\"partition\":1,\"offset\":6,\"value\":"
        "{\"sepalLength\":\"bad \\\"quoted\\\"\\u0001\",\"sepalWidth\":3.5,\"petalLength\":1.4,"
        "\"petalWidth\":0.2}}}]";
    scored r;
    cJSON *doc = respond(&r, event, strlen(event));
    assert_int_equal(cJSON_GetArraySize(doc), 2);
    cJSON *p0 = cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 0), "payload");
    assert_string_equal(cJSON_GetObjectItem(p0, "topic")->valuestring, "ir\"is\n\xc3\xa9");
    assert_string_equal(cJSON_GetObjectItem(p0, "predictedSpecies")->valuestring, "setosa");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(p0, "correct")));
    assert_true(cJSON_GetObjectItem(p0, "sepalLength")->valuedouble == 5.1);
    cJSON *e1 = cJSON_GetArrayItem(doc, 1);
    cJSON *p1 = cJSON_GetObjectItem(e1, "payload");
    /* The connector keeps only the element's payload: the error is in it. */
    assert_int_equal(cJSON_GetArraySize(e1), 1);
    const char *msg = cJSON_GetObjectItem(p1, "error")->valuestring;
    assert_non_null(
        strstr(msg, "value.sepalLength: expected a number, got string \"bad ?quoted??\""));
    assert_int_equal(cJSON_GetObjectItem(p1, "offset")->valueint, 6);
    assert_string_equal(cJSON_GetObjectItem(p1, "topic")->valuestring, "t");
    assert_null(cJSON_GetObjectItem(p1, "predictedSpecies"));
    scored_free(&r);
}

/* Every element is {"payload":{...}} and nothing else; the key comes back
 * as it was sent (a Map.toString() string stays that string), and a null or
 * absent key is left out. */
static void elements_hold_only_payload_with_the_key_echoed(void **state)
{
    (void)state;
    const char *event =
        "[{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":1,\"timestamp\":5,"
        "\"key\":\"{id=7, source=lab}\",\"value\":\"{petalWidth=0.2, sepalLength=5.1, "
        "sepalWidth=3.5, petalLength=1.4, species=setosa}\"}},"
        "{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":2,\"key\":{\"id\":7},"
        "\"value\":\"{sepalLength=oops}\"}},"
        "{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":3,\"key\":null,"
        "\"value\":{\"sepalLength\":5.1,\"sepalWidth\":3.5,\"petalLength\":1.4,"
        "\"petalWidth\":0.2}}},"
        "{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":4,\"key\":42,"
        "\"value\":null}}]";
    scored r;
    cJSON *doc = respond(&r, event, strlen(event));
    assert_int_equal(cJSON_GetArraySize(doc), 4);
    for (int i = 0; i < 4; i++) {
        cJSON *el = cJSON_GetArrayItem(doc, i);
        if (cJSON_GetArraySize(el) != 1 || !cJSON_IsObject(cJSON_GetObjectItem(el, "payload")))
            fail_msg("element %d: expected exactly {\"payload\":{...}}, got %s", i,
                     cJSON_PrintUnformatted(el));
    }
    cJSON *p0 = cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 0), "payload");
    assert_string_equal(cJSON_GetObjectItem(p0, "key")->valuestring, "{id=7, source=lab}");
    assert_string_equal(cJSON_GetObjectItem(p0, "predictedSpecies")->valuestring, "setosa");
    assert_null(cJSON_GetObjectItem(p0, "error"));
    cJSON *p1 = cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 1), "payload");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(p1, "key"), "id")->valueint, 7);
    assert_string_equal(cJSON_GetObjectItem(p1, "error")->valuestring,
                        "value.sepalLength: expected a number, got \"oops\"");
    cJSON *p2 = cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 2), "payload");
    assert_null(cJSON_GetObjectItem(p2, "key"));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(p2, "species")));
    cJSON *p3 = cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 3), "payload");
    assert_int_equal(cJSON_GetObjectItem(p3, "key")->valueint, 42);
    assert_int_equal(cJSON_GetObjectItem(p3, "offset")->valueint, 4);
    assert_non_null(strstr(cJSON_GetObjectItem(p3, "error")->valuestring, "value: null"));
    scored_free(&r);
}

/* A key of mostly invalid UTF-8 is not echoed (three bytes of U+FFFD for
 * each would outgrow the record): its element says how many bytes were not
 * UTF-8 instead, scored or failed as the record's value decides. */
static void keys_not_utf8_are_counted_in_the_element(void **state)
{
    (void)state;
    buf ev = BUF_INIT;
    for (int i = 0; i < 2; i++) {
        buf_printf(&ev, "%s{\"payload\":{\"topic\":\"iris\",\"partition\":0,\"offset\":%d,"
                        "\"key\":\"",
                   i ? "," : "[", i);
        for (int k = 0; k < 1000; k++)
            buf_putc(&ev, '\xfe');
        buf_printf(&ev, "\",\"value\":%s}}",
                   i ? "null"
                     : "{\"sepalLength\":5.1,\"sepalWidth\":3.5,\"petalLength\":1.4,"
                       "\"petalWidth\":0.2,\"species\":\"setosa\"}");
    }
    BUF_LIT(&ev, "]");
    scored r;
    cJSON *doc = respond(&r, ev.data, ev.len);
    assert_int_equal(cJSON_GetArraySize(doc), 2);
    for (int i = 0; i < 2; i++) {
        cJSON *p = cJSON_GetObjectItem(cJSON_GetArrayItem(doc, i), "payload");
        assert_null(cJSON_GetObjectItem(p, "key"));
        assert_int_equal(cJSON_GetObjectItem(p, "keyNotUtf8Bytes")->valueint, 1000);
        assert_int_equal(cJSON_GetObjectItem(p, "offset")->valueint, i);
    }
    cJSON *p0 = cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 0), "payload");
    assert_string_equal(cJSON_GetObjectItem(p0, "predictedSpecies")->valuestring, "setosa");
    cJSON *p1 = cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 1), "payload");
    assert_non_null(strstr(cJSON_GetObjectItem(p1, "error")->valuestring, "value: null"));
    scored_free(&r);
    buf_free(&ev);
}

static void probabilities_are_printed_to_six_places_and_sum_to_one(void **state)
{
    (void)state;
    const char *event = "[{\"sepalLength\":6.0,\"sepalWidth\":2.7,\"petalLength\":5.1,"
                        "\"petalWidth\":1.6,\"species\":\"versicolor\"}]";
    scored r;
    cJSON *doc = respond(&r, event, strlen(event));
    cJSON *probs = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 0), "payload"),
                                       "probabilities");
    double sum = 0;
    size_t k = 0;
    for (cJSON *p = probs->child; p != NULL; p = p->next, k++) {
        assert_string_equal(p->string, model_class_name(m, k));
        assert_true(fabs(p->valuedouble - r.b.records[0].probs[k]) <= 5e-7);
        sum += p->valuedouble;
    }
    assert_int_equal(k, model_num_classes(m));
    assert_true(fabs(sum - 1) < 1e-5);
    scored_free(&r);
}

/* Streamed in pieces of any size, the response is byte for byte the whole
 * document, and its announced size is exact. */
static void streamed_response_equals_whole_document(void **state)
{
    (void)state;
    FILE *f = fopen("events/batch-mixed.json", "rb");
    assert_non_null(f);
    char event[65536];
    size_t len = fread(event, 1, sizeof event, f);
    fclose(f);
    scored r;
    respond(&r, event, len);
    const buf *whole = &r.out;
    const size_t caps[] = {1, 7, 100, 4096, 1 << 20};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        response_stream s;
        assert_int_equal(response_stream_init(&s, &r.b, m), 0);
        long long size = response_stream_size(&s);
        assert_int_equal(size, (long long)whole->len);
        buf got = BUF_INIT;
        char piece[1 << 20];
        size_t n;
        while ((n = response_stream_fill(&s, piece, caps[c])) > 0) {
            assert_true(n <= caps[c]);
            buf_append(&got, piece, n);
        }
        if (got.len != whole->len || memcmp(got.data, whole->data, got.len) != 0)
            fail_msg("cap %zu: streamed %zu bytes differ from the whole %zu", caps[c], got.len,
                     whole->len);
        buf_free(&got);
        response_stream_free(&s);
    }
    assert_int_equal(cJSON_GetArraySize(r.doc), (int)r.b.count);
    scored_free(&r);
}

/* docs/function.md "Batch size and Lambda's payload limits": at the recommended
 * aws.lambda.batch.size, 18,000, a batch of iris records as the connector
 * sends them with the default converter, with UUID keys (the producer's
 * --key uuid), fits Lambda's synchronous request cap (6,291,456 bytes) and
 * its response fits the response cap (6,291,556 bytes; Lambda quotas). */
static void recommended_batch_size_fits_lambda_sync_limits(void **state)
{
    (void)state;
    static const char *const values[] = {
        "{petalWidth=0.2, sepalLength=5.1, species=setosa, sepalWidth=3.5, petalLength=1.4}",
        "{sepalWidth=2.7, species=versicolor, petalLength=5.1, sepalLength=6.0, petalWidth=1.6}",
        "{species=virginica, sepalLength=6.3, petalWidth=1.5, sepalWidth=2.8, petalLength=5.1}",
        "{petalLength=4.5, sepalWidth=2.2, petalWidth=1.5, sepalLength=6.2, species=versicolor}",
        "{sepalLength=7.7, petalLength=6.7, species=virginica, sepalWidth=3.8, petalWidth=2.2}",
        "{sepalWidth=3.0, petalWidth=1.8, species=virginica, petalLength=4.8, sepalLength=6.0}"};
    const size_t n = 18000;
    buf ev = BUF_INIT;
    buf_putc(&ev, '[');
    for (size_t i = 0; i < n; i++)
        buf_printf(&ev,
                   "%s{\"payload\":{\"timestamp\":%lld,\"topic\":\"iris\",\"partition\":%zu,"
                   "\"offset\":%zu,\"key\":\"%08zx-4a1b-4c2d-8e3f-%012zx\",\"value\":\"%s\"}}",
                   i ? "," : "", 1764547200000LL + (long long)i * 10, i % 6, 10000000 + i / 6,
                   (i * 2654435761u) & 0xffffffffu, (i * 40503u) & 0xffffffffffffu, values[i % 6]);
    buf_putc(&ev, ']');
    assert_false(ev.failed);
    if (ev.len > 6291456)
        fail_msg("request: expected at most 6291456 bytes, got %zu", ev.len);
    scored r;
    respond(&r, ev.data, ev.len);
    assert_int_equal(r.b.count, n);
    for (size_t i = 0; i < n; i++)
        if (r.b.records[i].error != NULL)
            fail_msg("record %zu: %s", i, r.b.records[i].error);
    if (r.out.len > 6291556)
        fail_msg("response of %zu records: expected at most 6291556 bytes, got %zu", n, r.out.len);
    scored_free(&r);
    buf_free(&ev);
}

static void emf_omits_accuracy_when_nothing_is_labelled(void **state)
{
    (void)state;
    evaluation e = {0};
    e.records = 3;
    e.invalid = 1;
    e.accuracy = NAN;
    buf out = BUF_INIT;
    assert_int_equal(handler_write_emf(&out, &e, NULL, "Ns\"x", "fn", 1700000000000LL, 2, 1, NULL), 0);
    cJSON *doc = parse_doc(&out);
    assert_null(cJSON_GetObjectItem(doc, "Accuracy"));
    assert_int_equal(cJSON_GetObjectItem(doc, "Records")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(doc, "InvalidRecords")->valueint, 1);
    cJSON *cwm = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "_aws"), "CloudWatchMetrics"), 0);
    assert_string_equal(cJSON_GetObjectItem(cwm, "Namespace")->valuestring, "Ns\"x");
    assert_int_equal(cJSON_GetObjectItem(doc, "AlertsPublished")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(doc, "AlertPublishFailures")->valueint, 1);
    assert_null(cJSON_GetObjectItem(doc, "AlertStateRequests")); /* no shared state */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cwm, "Metrics")), 4);
    cJSON_Delete(doc);
    buf_free(&out);
    /* With a shared alert state: its requests and fallbacks. */
    fleet_counts fc = {.requests = 5, .fallbacks = 3};
    assert_int_equal(handler_write_emf(&out, &e, NULL, "Ns", "fn", 1700000000000LL, 0, 0, &fc), 0);
    doc = parse_doc(&out);
    cwm = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "_aws"), "CloudWatchMetrics"), 0);
    assert_int_equal(cJSON_GetObjectItem(doc, "AlertStateRequests")->valueint, 5);
    assert_int_equal(cJSON_GetObjectItem(doc, "AlertStateFallbacks")->valueint, 3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cwm, "Metrics")), 6);
    cJSON_Delete(doc);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(response_escapes_topic_and_errors),
        cmocka_unit_test(elements_hold_only_payload_with_the_key_echoed),
        cmocka_unit_test(keys_not_utf8_are_counted_in_the_element),
        cmocka_unit_test(probabilities_are_printed_to_six_places_and_sum_to_one),
        cmocka_unit_test(streamed_response_equals_whole_document),
        cmocka_unit_test(recommended_batch_size_fits_lambda_sync_limits),
        cmocka_unit_test(emf_omits_accuracy_when_nothing_is_labelled),
    };
    return cmocka_run_group_tests(tests, load_model, free_model);
}
