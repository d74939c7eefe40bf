/* test_batch_release.c: batch_parse_releasing() never reads a byte it has
 * released.  Every released prefix is overwritten at once with '#'; the
 * result (status, message, every record) must still be exactly
 * batch_parse()'s on an intact copy of the same event, for events the one
 * pass reads whole and for events it hands over part way (a record the
 * fast path leaves to cJSON, a record over the size the values limit is
 * checked at, a syntax error, text after the array, a bare array). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "lambda/batch/batch.h"

#define RECORDS 12000 /* about 2 MB: several release steps */

typedef struct scribbler {
    char *event;
    size_t len;
    size_t released; /* the largest prefix released so far */
    int calls;
} scribbler;

/* The release callback: the prefix must only grow, stay inside the event,
 * and is destroyed at once. */
static void scribble(void *ctx, size_t n)
{
    scribbler *sc = ctx;
    if (n < sc->released || n > sc->len)
        fail_msg("released %zu bytes after %zu, of an event of %zu", n, sc->released, sc->len);
    memset(sc->event, '#', n);
    sc->released = n;
    sc->calls++;
}

static int same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int same_double(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

static void expect_same_batch(const batch *want, const batch *got)
{
    assert_int_equal(got->count, want->count);
    assert_int_equal(got->shape, want->shape);
    for (size_t i = 0; i < want->count; i++) {
        const batch_record *x = &want->records[i], *y = &got->records[i];
        int same = same_text(x->topic, y->topic) && x->partition == y->partition &&
                   x->offset == y->offset && x->timestamp_ms == y->timestamp_ms &&
                   same_text(x->key, y->key) && same_text(x->error, y->error) &&
                   strcmp(x->species, y->species) == 0;
        for (int j = 0; j < MODEL_NFEATURES; j++)
            same = same && same_double(x->features[j], y->features[j]);
        if (!same)
            fail_msg("record %zu differs: want topic %s offset %lld error %s, got topic %s "
                     "offset %lld error %s",
                     i, x->topic ? x->topic : "(null)", (long long)x->offset,
                     x->error ? x->error : "(none)", y->topic ? y->topic : "(null)",
                     (long long)y->offset, y->error ? y->error : "(none)");
    }
}

/* Parses text both ways and compares; returns how many releases there were. */
static int check_event(const char *text, size_t len)
{
    char *intact = malloc(len + 1), *doomed = malloc(len + 1);
    assert_non_null(intact);
    assert_non_null(doomed);
    memcpy(intact, text, len + 1);
    memcpy(doomed, text, len + 1);
    batch want, got;
    char ewant[512] = "", egot[512] = "";
    scribbler sc = {doomed, len, 0, 0};
    int rwant = batch_parse(intact, len, &want, ewant, sizeof ewant);
    int rgot = batch_parse_releasing(doomed, len, &got, egot, sizeof egot, scribble, &sc);
    if (rwant != rgot || strcmp(ewant, egot) != 0)
        fail_msg("batch_parse: %d \"%s\"; releasing: %d \"%s\"", rwant, ewant, rgot, egot);
    if (rwant == BATCH_OK)
        expect_same_batch(&want, &got);
    batch_free(&want);
    batch_free(&got);
    free(intact);
    free(doomed);
    return sc.calls;
}

/* Record i as the connector sends it. */
static void connector_record(buf *b, size_t i)
{
    buf_printf(b,
               "{\"payload\":{\"timestamp\":%zu,\"topic\":\"iris-%zu\",\"partition\":%zu,"
               "\"offset\":%zu,\"key\":null,\"value\":{\"sepalLength\":5.%zu,"
               "\"sepalWidth\":3.5,\"petalLength\":1.4,\"petalWidth\":0.2,\"species\":"
               "\"setosa\"}}}",
               1604302260000 + i, i % 3, i % 6, 10000000 + i, i % 10);
}

/* Record i of a bare array: the rows object alone, with a field of its own. */
static void bare_record(buf *b, size_t i)
{
    buf_printf(b,
               "{\"sepalLength\":6.%zu,\"sepalWidth\":3.0,\"petalLength\":4.%zu,"
               "\"petalWidth\":1.3,\"species\":\"Iris-versicolor\",\"note\":\"%zu\"}",
               i % 10, i % 7, i);
}

/* An array of RECORDS records written by record(); record `odd` (if below
 * RECORDS) is replaced by odd_text, and tail is appended after the closing
 * bracket. */
static char *make_event(void (*record)(buf *, size_t), size_t odd, const char *odd_text,
                        const char *tail, size_t *len)
{
    buf b = BUF_INIT;
    buf_putc(&b, '[');
    for (size_t i = 0; i < RECORDS; i++) {
        if (i > 0)
            buf_putc(&b, ',');
        if (i == odd)
            buf_puts(&b, odd_text);
        else
            record(&b, i);
    }
    buf_putc(&b, ']');
    buf_puts(&b, tail);
    assert_false(b.failed);
    return buf_detach(&b, len);
}

static void a_batch_read_in_one_pass_is_released_as_it_goes(void **state)
{
    (void)state;
    size_t len;
    char *ev = make_event(connector_record, RECORDS, "", "", &len);
    assert_true(check_event(ev, len) >= 2);
    free(ev);
}

static void a_record_left_to_cjson_late_in_the_batch_reads_the_same(void **state)
{
    (void)state;
    /* A \u escape: the fast path leaves the record to the cJSON path. */
    const char *odd = "{\"payload\":{\"topic\":\"iris\",\"offset\":1,\"value\":{\"sepalLength\":5,"
                      "\"sepalWidth\":3,\"petalLength\":1,\"petalWidth\":0.2,\"species\":"
                      "\"\\u0073etosa\"}}}";
    size_t len;
    char *ev = make_event(connector_record, RECORDS * 4 / 5, odd, "", &len);
    assert_true(check_event(ev, len) >= 1);
    free(ev);
}

static void a_large_record_late_in_the_batch_reads_the_same(void **state)
{
    (void)state;
    buf odd = BUF_INIT;
    buf_puts(&odd, "{\"payload\":{\"topic\":\"iris\",\"value\":{\"sepalLength\":5,\"sepalWidth\":3,"
                   "\"petalLength\":1,\"petalWidth\":0.2,\"note\":[");
    for (int i = 0; i < 12000; i++)
        buf_puts(&odd, i ? ",1" : "1");
    buf_puts(&odd, "]}}}");
    size_t len;
    char *ev = make_event(connector_record, RECORDS * 3 / 4, odd.data, "", &len);
    assert_true(check_event(ev, len) >= 1);
    free(ev);
    buf_free(&odd);
}

static void a_syntax_error_late_in_the_event_is_worded_the_same(void **state)
{
    (void)state;
    size_t len;
    char *ev =
        make_event(connector_record, RECORDS * 9 / 10, "{\"payload\":{\"value\":{]}}", "", &len);
    check_event(ev, len);
    free(ev);
}

static void text_after_the_array_is_worded_the_same(void **state)
{
    (void)state;
    size_t len;
    char *ev = make_event(connector_record, RECORDS, "", " x", &len);
    check_event(ev, len);
    free(ev);
    ev = make_event(connector_record, RECORDS, "", "]", &len);
    check_event(ev, len);
    free(ev);
}

static void a_bare_array_reads_the_same(void **state)
{
    (void)state;
    size_t len;
    char *ev = make_event(bare_record, RECORDS, "", "", &len);
    assert_true(check_event(ev, len) >= 1);
    free(ev);
}

static void small_and_odd_events_read_the_same(void **state)
{
    (void)state;
    const char *events[] = {
        "[]",
        "{}",
        "[1,2]",
        "[{\"payload\":{}}]",
        "{\"sepalLength\":1,\"sepalWidth\":1,"
        "\"petalLength\":1,\"petalWidth\":1}",
        "[{\"payload\":{\"value\":{\"sepalLength\":1,\"sepalWidth\":1,\"petalLength\":1,"
        "\"petalWidth\":1}}},]",
        "[{\"payload\":{\"value\":{\"sepalLength\":1,\"sepalWidth\":1,\"petalLength\":1,"
        "\"petalWidth\":1}}} {}]",
        "",
        "[",
        "[{\"payload\":{\"value\":\"{sepalLength=1, sepalWidth=1, petalLength=1, "
        "petalWidth=1, species=setosa}\"}}]"};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        check_event(events[i], strlen(events[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_batch_read_in_one_pass_is_released_as_it_goes),
        cmocka_unit_test(a_record_left_to_cjson_late_in_the_batch_reads_the_same),
        cmocka_unit_test(a_large_record_late_in_the_batch_reads_the_same),
        cmocka_unit_test(a_syntax_error_late_in_the_event_is_worded_the_same),
        cmocka_unit_test(text_after_the_array_is_worded_the_same),
        cmocka_unit_test(a_bare_array_reads_the_same),
        cmocka_unit_test(small_and_odd_events_read_the_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
