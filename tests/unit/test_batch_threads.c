/* test_batch_threads.c: the batch parser and the response writer run from
 * 8 threads at once on different batches (Lambda Managed Instances: one
 * invocation per worker), and each thread's answer is byte for byte the
 * one the same event gets on one thread.
 *
 * The events: the sample events, and generated batches with many distinct
 * topics (each batch interns its own), keys of every form, failed records
 * echoing their metadata, a record nested past the depth limit, escaped,
 * Map.toString() and base64 values.  Each thread reads them in its own
 * order, on both paths (fast and cJSON reference), and drains the response
 * stream in pieces of a size of its own.  Built with ThreadSanitizer it
 * also checks that nothing is shared but the read-only model and layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "lambda/batch/batch.h"
#include "lambda/batch/batch_internal.h"
#include "lambda/evaluate.h"
#include "lambda/response.h"
#include "model/model.h"
#include "tests/lib/testfile.h"

#define THREADS 8
#define ROUNDS 3
#define MAX_EVENTS 24

typedef struct event {
    char *json;
    size_t len;
    char *want[2]; /* the single-threaded answer: [0] fast path, [1] cJSON path */
} event;

static event events[MAX_EVENTS];
static size_t nevents;
static model *iris;

static void add_event(char *json, size_t len)
{
    assert_true(nevents < MAX_EVENTS);
    events[nevents].json = json;
    events[nevents].len = len;
    nevents++;
}

static void add_file(const char *path)
{
    size_t n;
    char *json = testfile_read(path, &n);
    if (json == NULL)
        fail_msg("cannot read %s", path);
    add_event(json, n);
}

/* A batch of n records, record i shaped by i: its own topic (seed names
 * it), a key of one of five forms, every seventh record failed in one of its
 * metadata members or value, and one record nested 3,000 deep. */
static void add_generated(unsigned seed, size_t n)
{
    static const char *const keys[] = {"null", "\"k\"", "{\"id\":7,\"t\":[1,2.5]}", "42",
                                       "\"caf\\u00e9\""};
    static const char *const values[] = {
        "{\"sepalLength\":5.1,\"sepalWidth\":3.5,\"petalLength\":1.4,\"petalWidth\":0.2,"
        "\"species\":\"setosa\"}",
        "\"{\\\"sepal_length\\\":6.7,\\\"sepal_width\\\":3.3,\\\"petal_length\\\":5.7,"
        "\\\"petal_width\\\":2.5,\\\"species\\\":\\\"Iris-virginica\\\"}\"",
        "\"{sepalLength=5.9, sepalWidth=3.0, petalLength=5.1, petalWidth=1.8, species=null}\"",
        "\"eyJzZXBhbExlbmd0aCI6Ni43LCJzZXBhbFdpZHRoIjozLjMsInBldGFsTGVuZ3RoIjo1LjcsInBldGFsV2lk"
        "dGgiOjIuNX0=\"",
        "{\"sepalLength\":6.3,\"sepalWidth\":2.5,\"petalLength\":4.9,\"petalWidth\":1.5,"
        "\"species\":\"versicolor\"}"};
    static const char *const spoilt[] = {"\"offset\":-1,", "\"topic\":7,", "\"partition\":\"x\",",
                                         "\"topic\":\"a\\u0000b\",", "\"value\":null,"};
    buf b = BUF_INIT;
    buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        char head[256];
        snprintf(head, sizeof head,
                 "%s{\"payload\":{%s\"timestamp\":%zu,\"topic\":\"t-%u-%zu\",\"partition\":%zu,"
                 "\"offset\":%zu,\"key\":%s,",
                 i ? "," : "", i % 7 == 3 ? spoilt[(i / 7) % 5] : "", 1604302260000 + i, seed,
                 i % 13, i % 6, 1000 * seed + i, keys[(i + seed) % 5]);
        buf_puts(&b, head);
        if (i == n / 2) {
            buf_puts(&b, "\"x\":");
            for (int d = 0; d < 3000; d++)
                buf_putc(&b, '[');
            for (int d = 0; d < 3000; d++)
                buf_putc(&b, ']');
            buf_putc(&b, ',');
        }
        buf_puts(&b, "\"value\":");
        buf_puts(&b, values[(i * 3 + seed) % 5]);
        buf_puts(&b, "}}");
    }
    buf_putc(&b, ']');
    assert_false(b.failed);
    size_t len;
    char *json = buf_detach(&b, &len);
    add_event(json, len);
}

/* The answer to one event on one path: the response document, streamed in
 * pieces of piece bytes, or "error N: message" (malloc'd). */
static char *answer(const event *e, int reference, size_t piece)
{
    batch b;
    char err[512];
    int rc = reference ? batch_parse_cjson(e->json, e->len, &b, err, sizeof err)
                       : batch_parse(e->json, e->len, &b, err, sizeof err);
    buf out = BUF_INIT;
    if (rc != BATCH_OK) {
        char line[600];
        snprintf(line, sizeof line, "error %d: %s", rc, err);
        buf_puts(&out, line);
    } else {
        evaluate_score(iris, &b);
        response_stream s;
        if (response_stream_init(&s, &b, iris) != 0) {
            buf_puts(&out, "response_stream_init failed");
        } else {
            char *chunk = malloc(piece);
            size_t n;
            while ((n = response_stream_fill(&s, chunk, piece)) > 0)
                buf_append(&out, chunk, n);
            free(chunk);
            response_stream_free(&s);
        }
        batch_free(&b);
    }
    size_t len;
    return buf_detach(&out, &len);
}

typedef struct worker {
    int id;
    pthread_barrier_t *start;
    char failure[512];
    size_t answers;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(w->start);
    for (int round = 0; round < ROUNDS && w->failure[0] == '\0'; round++) {
        for (size_t k = 0; k < nevents; k++) {
            size_t i = (k * 5 + (size_t)w->id * 3 + (size_t)round) % nevents;
            int reference = (int)((k + (size_t)w->id + (size_t)round) % 2);
            char *got = answer(&events[i], reference, 1000 + 977 * (size_t)w->id);
            const char *want = events[i].want[reference];
            if (strcmp(got, want) != 0) {
                size_t at = 0;
                while (got[at] == want[at])
                    at++;
                snprintf(w->failure, sizeof w->failure,
                         "thread %d, event %zu (%s path): differs at byte %zu: expected "
                         "\"%.80s\", got \"%.80s\"",
                         w->id, i, reference ? "cJSON" : "fast", at, want + at, got + at);
            }
            free(got);
            w->answers++;
        }
    }
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    iris = model_load("model/iris-model.json", err, sizeof err);
    if (iris == NULL || batch_use_model(iris, err, sizeof err) != 0)
        fail_msg("model: %s", err);
    for (size_t i = 0; i < testfile_nsample_events; i++)
        add_file(testfile_sample_events[i]);
    for (unsigned seed = 1; seed <= 6; seed++)
        add_generated(seed, 40 + 30 * seed);
    /* What one thread answers, before any other runs. */
    for (size_t i = 0; i < nevents; i++)
        for (int reference = 0; reference < 2; reference++)
            events[i].want[reference] = answer(&events[i], reference, 65536);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < nevents; i++) {
        free(events[i].json);
        free(events[i].want[0]);
        free(events[i].want[1]);
    }
    model_free(iris);
    return 0;
}

/* The single-threaded answers are what they should be: every event's, on
 * both paths, the same, and the generated ones a document of their
 * records with the failed ones' metadata echoed. */
static void the_single_threaded_answers_agree(void **state)
{
    (void)state;
    for (size_t i = 0; i < nevents; i++)
        if (strcmp(events[i].want[0], events[i].want[1]) != 0)
            fail_msg("event %zu: the fast path answers \"%.120s\", the cJSON path \"%.120s\"", i,
                     events[i].want[0], events[i].want[1]);
    const char *gen = events[testfile_nsample_events].want[0];
    static const char first[] =
        "[{\"payload\":{\"topic\":\"t-1-0\",\"partition\":0,\"offset\":1000,";
    if (strncmp(gen, first, sizeof first - 1) != 0 ||
        strstr(
            gen,
            "{\"payload\":{\"topic\":\"t-1-3\",\"partition\":3,\"offset\":null,"
            "\"timestamp\":1604302260003,\"key\":\"caf\xc3\xa9\",\"error\":\"payload.offset: -1 is "
            "not a valid offset\"}}") == NULL ||
        strstr(gen, "\"error\":\"record: arrays and objects nested deeper than 512 levels") == NULL)
        fail_msg("generated event: expected its first record, the failed fourth with its "
                 "metadata, and the deep one; got \"%.120s\" ... \"%.300s\"",
                 gen, strstr(gen, "t-1-3") ? strstr(gen, "t-1-3") - 22 : "(no t-1-3)");
}

static void eight_threads_answer_as_one_does(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    worker w[THREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.id = i, .start = &start};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < THREADS; i++) {
        if (w[i].failure[0] != '\0')
            fail_msg("%s", w[i].failure);
        assert_int_equal(w[i].answers, ROUNDS * nevents);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_single_threaded_answers_agree),
        cmocka_unit_test(eight_threads_answer_as_one_does),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
