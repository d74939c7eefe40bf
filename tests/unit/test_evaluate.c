/* test_evaluate.c: confusion counts, accuracy, mean per-class error and
 * one-minute window counts on known batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/evaluate.h"

enum { SETOSA, VERSICOLOR, VIRGINICA };

#define assert_near(got, want, eps)                                                                \
    do {                                                                                           \
        double got_ = (got), want_ = (want);                                                       \
        if (!(fabs(got_ - want_) <= (eps)))                                                        \
            fail_msg("%s: expected %.17g, got %.17g", #got, want_, got_);                          \
    } while (0)

static batch make_batch(size_t n)
{
    batch b = {0};
    b.count = n;
    b.records = calloc(n, sizeof *b.records);
    assert_non_null(b.records);
    for (size_t i = 0; i < n; i++) {
        b.records[i].partition = -1;
        b.records[i].offset = -1;
        b.records[i].timestamp_ms = -1;
        b.records[i].label = -1;
        b.records[i].predicted = -1;
    }
    return b;
}

static void set(batch_record *r, int label, int predicted, int64_t ts)
{
    r->label = label;
    r->predicted = predicted;
    r->timestamp_ms = ts;
}

/* 10 records: 4 setosa (all right), 3 versicolor (1 called virginica),
 * 2 virginica (1 called versicolor), 1 unlabelled, plus 1 unreadable. */
static void confusion_accuracy_and_mpce(void **state)
{
    (void)state;
    batch b = make_batch(11);
    for (int i = 0; i < 4; i++)
        set(&b.records[i], SETOSA, SETOSA, -1);
    set(&b.records[4], VERSICOLOR, VERSICOLOR, -1);
    set(&b.records[5], VERSICOLOR, VERSICOLOR, -1);
    set(&b.records[6], VERSICOLOR, VIRGINICA, -1);
    set(&b.records[7], VIRGINICA, VIRGINICA, -1);
    set(&b.records[8], VIRGINICA, VERSICOLOR, -1);
    set(&b.records[9], -1, SETOSA, -1);
    batch_record_fail(&b.records[10], "value: null");

    evaluation e;
    assert_int_equal(evaluate_batch(&b, 3, &e), 0);
    assert_int_equal(e.records, 11);
    assert_int_equal(e.scored, 10);
    assert_int_equal(e.invalid, 1);
    assert_int_equal(e.labelled, 9);
    assert_int_equal(e.correct, 7);
    assert_int_equal(e.confusion[SETOSA][SETOSA], 4);
    assert_int_equal(e.confusion[VERSICOLOR][VERSICOLOR], 2);
    assert_int_equal(e.confusion[VERSICOLOR][VIRGINICA], 1);
    assert_int_equal(e.confusion[VIRGINICA][VIRGINICA], 1);
    assert_int_equal(e.confusion[VIRGINICA][VERSICOLOR], 1);
    assert_int_equal(e.confusion[SETOSA][VERSICOLOR], 0);
    assert_near(e.accuracy, 7.0 / 9.0, 1e-12);
    /* per-class errors: setosa 0, versicolor 1/3, virginica 1/2 */
    assert_near(e.mean_per_class_error, (0 + 1.0 / 3 + 0.5) / 3, 1e-12);
    assert_int_equal(e.nwindows, 0); /* no timestamps */
    evaluation_free(&e);
    batch_free(&b);
}

static void no_labels_means_no_accuracy(void **state)
{
    (void)state;
    batch b = make_batch(2);
    set(&b.records[0], -1, SETOSA, -1);
    set(&b.records[1], -1, VIRGINICA, -1);
    evaluation e;
    assert_int_equal(evaluate_batch(&b, 3, &e), 0);
    assert_int_equal(e.scored, 2);
    assert_int_equal(e.labelled, 0);
    assert_true(isnan(e.accuracy));
    assert_true(isnan(e.mean_per_class_error));
    evaluation_free(&e);
    batch_free(&b);

    b = make_batch(0);
    assert_int_equal(evaluate_batch(&b, 3, &e), 0);
    assert_int_equal(e.records, 0);
    assert_true(isnan(e.accuracy));
    evaluation_free(&e);
    batch_free(&b);
}

/* Tumbling one-minute windows keyed by record timestamp, grouped by
 * (species, predictedSpecies), sorted by start. */
static void window_counts(void **state)
{
    (void)state;
    const int64_t m0 = 1604302260000LL; /* a minute boundary */
    batch b = make_batch(7);
    set(&b.records[0], SETOSA, SETOSA, m0 + 59999);
    set(&b.records[1], SETOSA, SETOSA, m0);
    set(&b.records[2], VIRGINICA, VERSICOLOR, m0 + 30000);
    set(&b.records[3], SETOSA, SETOSA, m0 + 60000);    /* next minute */
    set(&b.records[4], -1, VIRGINICA, m0 + 61000);     /* unlabelled */
    set(&b.records[5], SETOSA, SETOSA, -1);            /* no timestamp: no window */
    set(&b.records[6], VIRGINICA, VERSICOLOR, m0 - 1); /* previous minute */
    evaluation e;
    assert_int_equal(evaluate_batch(&b, 3, &e), 0);
    assert_int_equal(e.nwindows, 5);
    struct {
        int64_t start;
        int actual, predicted;
        uint64_t count;
    } want[] = {{m0 - 60000, VIRGINICA, VERSICOLOR, 1},
                {m0, SETOSA, SETOSA, 2},
                {m0, VIRGINICA, VERSICOLOR, 1},
                {m0 + 60000, -1, VIRGINICA, 1},
                {m0 + 60000, SETOSA, SETOSA, 1}};
    for (size_t i = 0; i < 5; i++) {
        const eval_window *w = &e.windows[i];
        if (w->start_ms != want[i].start || w->actual != want[i].actual ||
            w->predicted != want[i].predicted || w->count != want[i].count ||
            w->end_ms != w->start_ms + 60000)
            fail_msg("window %zu: expected start %lld %d->%d x%llu, got start %lld %d->%d x%llu", i,
                     (long long)want[i].start, want[i].actual, want[i].predicted,
                     (unsigned long long)want[i].count, (long long)w->start_ms, w->actual,
                     w->predicted, (unsigned long long)w->count);
    }
    evaluation_free(&e);
    batch_free(&b);
}

/* The JSON members shared by the summary log and the alert message. */
static void evaluation_as_json(void **state)
{
    (void)state;
    batch b = make_batch(3);
    set(&b.records[0], SETOSA, SETOSA, -1);
    set(&b.records[1], VIRGINICA, VERSICOLOR, -1);
    set(&b.records[2], VIRGINICA, VERSICOLOR, -1);
    evaluation e;
    assert_int_equal(evaluate_batch(&b, 3, &e), 0);
    const char *names[] = {"setosa", "versi\"color", "virginica"};
    buf out = BUF_INIT;
    buf_putc(&out, '{');
    assert_int_equal(evaluate_write_json(&out, &e, names), 0);
    buf_putc(&out, '}');
    cJSON *doc = cJSON_Parse(out.data);
    if (doc == NULL)
        fail_msg("not JSON: %s", out.data);
    assert_int_equal(cJSON_GetObjectItem(doc, "records")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(doc, "correct")->valueint, 1);
    assert_near(cJSON_GetObjectItem(doc, "accuracy")->valuedouble, 1.0 / 3, 1e-12);
    assert_near(cJSON_GetObjectItem(doc, "meanPerClassError")->valuedouble, 0.5, 1e-12);
    cJSON *conf = cJSON_GetObjectItem(doc, "confusion");
    assert_int_equal(cJSON_GetArraySize(conf), 2);
    cJSON *second = cJSON_GetArrayItem(conf, 1);
    assert_string_equal(cJSON_GetObjectItem(second, "species")->valuestring, "virginica");
    assert_string_equal(cJSON_GetObjectItem(second, "predictedSpecies")->valuestring,
                        "versi\"color");
    assert_int_equal(cJSON_GetObjectItem(second, "count")->valueint, 2);
    cJSON_Delete(doc);
    buf_free(&out);
    evaluation_free(&e);
    batch_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(confusion_accuracy_and_mpce),
        cmocka_unit_test(no_labels_means_no_accuracy),
        cmocka_unit_test(window_counts),
        cmocka_unit_test(evaluation_as_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
