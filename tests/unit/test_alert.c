/* test_alert.c: lambda/alert: the policy, the configuration parsers, the
 * Subject, the JSON Message (read back with cJSON) and truncation to the
 * size budget, on batches built by hand.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>

#include "lambda/alert.h"

static const char *const names[] = {"setosa", "versicolor", "virginica"};

typedef struct fixture {
    batch b;
    evaluation e;
    char topics[4][256];
} fixture;

/* n labelled records (class i % 3) on topic t/partition p from offset off;
 * the first k predicted as the next class.  Appends to f. */
static void add_records(fixture *f, size_t n, size_t k, int topic, int32_t p, int64_t off)
{
    size_t base = f->b.count;
    f->b.records = realloc(f->b.records, (base + n) * sizeof *f->b.records);
    assert_non_null(f->b.records);
    for (size_t i = 0; i < n; i++) {
        batch_record *r = &f->b.records[base + i];
        memset(r, 0, sizeof *r);
        r->topic = topic >= 0 ? f->topics[topic] : NULL;
        r->partition = topic >= 0 ? p : -1;
        r->offset = topic >= 0 ? off + (int64_t)i : -1;
        r->timestamp_ms = 1604302260000 + (int64_t)i;
        r->features[0] = 6.7;
        r->features[1] = 3.3;
        r->features[2] = 5.7;
        r->features[3] = 2.5;
        r->label = (int)(i % 3);
        r->predicted = i < k ? (r->label + 1) % 3 : r->label;
        r->probs[r->predicted] = 0.75;
        f->e.confusion[r->label][r->predicted]++;
        f->e.correct += r->label == r->predicted;
    }
    f->b.count += n;
    f->e.nclasses = 3;
    f->e.records = f->e.scored = f->e.labelled = f->b.count;
    f->e.accuracy = f->e.labelled ? (double)f->e.correct / (double)f->e.labelled : NAN;
    f->e.mean_per_class_error = 1.0 - f->e.accuracy; /* not recomputed here: passed through */
}

static fixture *new_fixture(void)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->topics[0], "iris");
    strcpy(f->topics[1], "iris-eu");
    return f;
}

static void free_fixture(fixture *f)
{
    free(f->b.records);
    free(f);
}

static alert_policy policy(enum alert_mode mode)
{
    alert_policy p;
    alert_policy_defaults(&p);
    p.mode = mode;
    return p;
}

static alert build(const alert_policy *p, fixture *f, size_t budget)
{
    alert_context ctx = {"iris-scorer", "req-42", names, 3};
    alert a;
    int rc = alert_build(p, &ctx, &f->b, &f->e, budget, &a);
    if (rc != 0)
        print_error("alert_build failed with budget %zu\n", budget);
    assert_int_equal(rc, 0);
    return a;
}

static void expect_subject(const alert *a, const char *want)
{
    if (strcmp(a->subject, want) != 0)
        print_error("subject: expected \"%s\"\n              got \"%s\"\n", want, a->subject);
    assert_string_equal(a->subject, want);
}

static void test_threshold_policy_needs_enough_labelled_records_below_threshold(void **state)
{
    (void)state;
    static const struct {
        size_t n, wrong;
        int due;
    } t[] = {
        {20, 11, 1},            /* 45% */
        {20, 3, 1},             /* 85% */
        {20, 2, 0},             /* exactly 90%: not below */
        {20, 0, 0},  {9, 9, 0}, /* 0% but fewer than 10 labelled */
        {10, 9, 1},             /* exactly the minimum */
        {0, 0, 0},              /* nothing labelled */
    };
    alert_policy p = policy(ALERT_MODE_THRESHOLD);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        fixture *f = new_fixture();
        add_records(f, t[i].n, t[i].wrong, 0, 0, 0);
        int got = alert_due(&p, &f->e);
        if (got != t[i].due)
            print_error("%zu records, %zu wrong: expected due=%d, got %d\n", t[i].n, t[i].wrong,
                        t[i].due, got);
        assert_int_equal(got, t[i].due);
        free_fixture(f);
    }
}

static void test_every_mode_always_and_off_never(void **state)
{
    (void)state;
    fixture *good = new_fixture(), *bad = new_fixture(), *empty = new_fixture();
    add_records(good, 20, 0, 0, 0, 0);
    add_records(bad, 20, 20, 0, 0, 0);
    alert_policy every = policy(ALERT_MODE_EVERY), off = policy(ALERT_MODE_OFF);
    assert_int_equal(alert_due(&every, &good->e), 1);
    assert_int_equal(alert_due(&every, &empty->e), 1);
    assert_int_equal(alert_due(&off, &bad->e), 0);
    free_fixture(good);
    free_fixture(bad);
    free_fixture(empty);
}

static void test_configuration_parsers_name_variable_and_value(void **state)
{
    (void)state;
    char err[256];
    enum alert_mode m;
    size_t n;
    double d;
    assert_int_equal(alert_parse_mode("EVERY", &m, err, sizeof err), 0);
    assert_int_equal(m, ALERT_MODE_EVERY);
    assert_int_equal(alert_parse_mode(NULL, &m, err, sizeof err), 0);
    assert_int_equal(m, ALERT_MODE_SEQUENTIAL);
    assert_int_equal(alert_parse_mode("always", &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "ALERT_MODE=\"always\""));

    assert_int_equal(alert_parse_min_records("25", &n, err, sizeof err), 0);
    assert_int_equal(n, 25);
    assert_int_equal(alert_parse_min_records("", &n, err, sizeof err), 0);
    assert_int_equal(n, 10);
    static const char *const bad_n[] = {"0", "-3", "abc", "1e3", " 5", "5.0", "99999999999"};
    for (size_t i = 0; i < sizeof bad_n / sizeof bad_n[0]; i++) {
        err[0] = '\0';
        if (alert_parse_min_records(bad_n[i], &n, err, sizeof err) != -1 ||
            strstr(err, "ALERT_MIN_RECORDS") == NULL)
            print_error("ALERT_MIN_RECORDS=%s: expected an error naming it, got \"%s\"\n", bad_n[i],
                        err);
        assert_non_null(strstr(err, "ALERT_MIN_RECORDS"));
    }

    assert_int_equal(alert_parse_threshold("0.75", &d, err, sizeof err), 0);
    assert_true(d == 0.75);
    assert_int_equal(alert_parse_threshold("1", &d, err, sizeof err), 0);
    assert_true(d == 1.0);
    static const char *const bad_t[] = {"ninety", "0.9x", "1.5",  "-0.1",
                                        "nan",    "inf",  " 0.9", "90%"};
    for (size_t i = 0; i < sizeof bad_t / sizeof bad_t[0]; i++) {
        err[0] = '\0';
        if (alert_parse_threshold(bad_t[i], &d, err, sizeof err) != -1 ||
            strstr(err, "ALERT_ACCURACY_THRESHOLD") == NULL)
            print_error("ALERT_ACCURACY_THRESHOLD=%s: expected an error naming it, got \"%s\"\n",
                        bad_t[i], err);
        assert_non_null(strstr(err, "ALERT_ACCURACY_THRESHOLD"));
    }
}

static void test_subject_for_a_drifted_batch(void **state)
{
    (void)state;
    fixture *f = new_fixture();
    add_records(f, 20, 11, 0, 0, 100);
    alert_policy p = policy(ALERT_MODE_THRESHOLD);
    alert a = build(&p, f, alert_message_budget());
    expect_subject(&a, "iris model accuracy 45% < 90% on 20 records (iris/0 100-119)");
    assert_string_equal(a.severity, "critical");
    assert_string_equal(a.accuracy, "0.45");
    alert_free(&a);
    free_fixture(f);
}

static void test_subject_variants(void **state)
{
    (void)state;
    alert_policy every = policy(ALERT_MODE_EVERY);
    /* Good batch in every mode; fractional percentages truncate to 0.1. */
    fixture *f = new_fixture();
    add_records(f, 3, 1, 0, 2, 7);
    alert a = build(&every, f, alert_message_budget());
    expect_subject(&a, "iris model accuracy 66.6% < 90% on 3 records (iris/2 7-9)");
    assert_string_equal(a.severity, "warning"); /* below threshold, too few records */
    alert_free(&a);
    free_fixture(f);

    f = new_fixture();
    add_records(f, 10, 0, 0, 0, 100);
    add_records(f, 10, 0, 1, 1, 5);
    a = build(&every, f, alert_message_budget());
    expect_subject(
        &a, "iris model accuracy 100% >= 90% on 20 records (iris/0 100-109, iris-eu/1 5-14)");
    assert_string_equal(a.severity, "info");
    alert_free(&a);
    free_fixture(f);

    f = new_fixture();
    add_records(f, 4, 0, -1, 0, 0);
    f->e.labelled = 0;
    f->e.correct = 0;
    f->e.accuracy = NAN;
    a = build(&every, f, alert_message_budget());
    expect_subject(&a, "iris batch of 4 records, none labelled (direct invoke)");
    assert_string_equal(a.accuracy, "");
    alert_free(&a);
    free_fixture(f);
}

static void test_subject_stays_printable_and_under_100_characters(void **state)
{
    (void)state;
    alert_policy every = policy(ALERT_MODE_EVERY);
    fixture *f = new_fixture();
    for (int p = 0; p < 12; p++)
        add_records(f, 2, 1, 0, p, 1000000 * p);
    alert a = build(&every, f, alert_message_budget());
    expect_subject(&a, "iris model accuracy 50% < 90% on 24 records (iris/0 0-1 +11 more)");
    alert_free(&a);
    free_fixture(f);

    f = new_fixture();
    memset(f->topics[0], 'T', 200);
    f->topics[0][200] = '\0';
    f->topics[0][3] = '\n';
    f->topics[0][4] = (char)0xc3;
    add_records(f, 20, 11, 0, 0, 100);
    a = build(&every, f, alert_message_budget());
    assert_true(strlen(a.subject) <= 99);
    assert_true(strlen(a.subject) >= 90);
    for (const char *c = a.subject; *c; c++)
        assert_true(*c >= 0x20 && *c <= 0x7e);
    assert_non_null(strstr(a.subject, "(TTT??TT"));
    assert_string_equal(a.subject + strlen(a.subject) - 4, "...)");
    alert_free(&a);
    free_fixture(f);
}

static void test_message_json_has_counts_confusion_and_examples(void **state)
{
    (void)state;
    fixture *f = new_fixture();
    add_records(f, 20, 11, 0, 0, 100);
    alert_policy p = policy(ALERT_MODE_THRESHOLD);
    alert a = build(&p, f, alert_message_budget());
    cJSON *m = cJSON_ParseWithLength(a.message, a.message_len);
    assert_non_null(m);
    assert_string_equal(cJSON_GetObjectItem(m, "functionName")->valuestring, "iris-scorer");
    assert_string_equal(cJSON_GetObjectItem(m, "requestId")->valuestring, "req-42");
    assert_string_equal(cJSON_GetObjectItem(m, "severity")->valuestring, "critical");
    assert_int_equal(cJSON_GetObjectItem(m, "records")->valueint, 20);
    assert_int_equal(cJSON_GetObjectItem(m, "labelled")->valueint, 20);
    assert_int_equal(cJSON_GetObjectItem(m, "correct")->valueint, 9);
    assert_true(cJSON_GetObjectItem(m, "accuracy")->valuedouble == 0.45);
    cJSON *ranges = cJSON_GetObjectItem(m, "offsetRanges");
    assert_int_equal(cJSON_GetArraySize(ranges), 1);
    cJSON *r0 = cJSON_GetArrayItem(ranges, 0);
    assert_string_equal(cJSON_GetObjectItem(r0, "topic")->valuestring, "iris");
    assert_int_equal(cJSON_GetObjectItem(r0, "firstOffset")->valueint, 100);
    assert_int_equal(cJSON_GetObjectItem(r0, "lastOffset")->valueint, 119);
    /* 11 wrong of 20 with label i % 3, predicted (label + 1) % 3:
     * wrong i = 0..10 -> setosa 4 (0,3,6,9), versicolor 4, virginica 3. */
    static const struct {
        const char *actual, *predicted;
        int count;
    } want[] = {
        {"setosa", "setosa", 3},         {"setosa", "versicolor", 4},
        {"versicolor", "versicolor", 3}, {"versicolor", "virginica", 4},
        {"virginica", "setosa", 3},      {"virginica", "virginica", 3},
    };
    cJSON *conf = cJSON_GetObjectItem(m, "confusion");
    assert_int_equal(cJSON_GetArraySize(conf), 6);
    for (int i = 0; i < 6; i++) {
        cJSON *c = cJSON_GetArrayItem(conf, i);
        assert_string_equal(cJSON_GetObjectItem(c, "species")->valuestring, want[i].actual);
        assert_string_equal(cJSON_GetObjectItem(c, "predictedSpecies")->valuestring,
                            want[i].predicted);
        assert_int_equal(cJSON_GetObjectItem(c, "count")->valueint, want[i].count);
    }
    cJSON *ex = cJSON_GetObjectItem(m, "misclassified");
    assert_int_equal(cJSON_GetArraySize(ex), 5);
    for (int i = 0; i < 5; i++) {
        cJSON *e = cJSON_GetArrayItem(ex, i);
        assert_int_equal(cJSON_GetObjectItem(e, "offset")->valueint, 100 + i);
        assert_string_equal(cJSON_GetObjectItem(e, "species")->valuestring, names[i % 3]);
        assert_string_equal(cJSON_GetObjectItem(e, "predictedSpecies")->valuestring,
                            names[(i + 1) % 3]);
        assert_true(cJSON_GetObjectItem(e, "sepalLength")->valuedouble == 6.7);
    }
    assert_int_equal(cJSON_GetObjectItem(m, "misclassifiedTotal")->valueint, 11);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(m, "truncated")));
    assert_int_equal(a.examples, 5);
    cJSON_Delete(m);
    alert_free(&a);
    free_fixture(f);
}

static void test_message_truncates_examples_first_then_ranges(void **state)
{
    (void)state;
    alert_policy p = policy(ALERT_MODE_THRESHOLD);
    fixture *f = new_fixture();
    for (int part = 0; part < 200; part++)
        add_records(f, 2, 2, 0, part, 10);
    alert full = build(&p, f, alert_message_budget());
    assert_int_equal(full.examples, 5);
    assert_int_equal(full.truncated, 0);

    /* One byte short: one example goes, nothing else. */
    alert a = build(&p, f, full.message_len - 1);
    assert_true(a.message_len <= full.message_len - 1);
    assert_int_equal(a.examples, 4);
    assert_int_equal(a.truncated, 1);
    cJSON *m = cJSON_ParseWithLength(a.message, a.message_len);
    assert_non_null(m);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(m, "offsetRanges")), 200);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(m, "truncated")));
    cJSON_Delete(m);
    alert_free(&a);

    /* Half the size: every example goes, then offset ranges are halved. */
    size_t budget = full.message_len / 2;
    a = build(&p, f, budget);
    assert_true(a.message_len <= budget);
    assert_int_equal(a.examples, 0);
    m = cJSON_ParseWithLength(a.message, a.message_len);
    assert_non_null(m);
    int shown = cJSON_GetArraySize(cJSON_GetObjectItem(m, "offsetRanges"));
    assert_true(shown > 0 && shown < 200);
    assert_int_equal(cJSON_GetObjectItem(m, "offsetRangesOmitted")->valueint, 200 - shown);
    assert_int_equal(cJSON_GetObjectItem(m, "misclassifiedTotal")->valueint, 400);
    cJSON_Delete(m);
    alert_free(&a);

    /* Too small for even the bare summary. */
    alert_context ctx = {"iris-scorer", "req-42", names, 3};
    assert_int_equal(alert_build(&p, &ctx, &f->b, &f->e, 100, &a), -1);
    alert_free(&full);
    free_fixture(f);
}

static void test_message_escapes_json_in_names(void **state)
{
    (void)state;
    alert_policy p = policy(ALERT_MODE_EVERY);
    fixture *f = new_fixture();
    strcpy(f->topics[0], "ir\"is\\\n");
    add_records(f, 3, 1, 0, 0, 0);
    alert_context ctx = {"fn\"name", "id\n1", names, 3};
    alert a;
    assert_int_equal(alert_build(&p, &ctx, &f->b, &f->e, alert_message_budget(), &a), 0);
    cJSON *m = cJSON_ParseWithLength(a.message, a.message_len);
    assert_non_null(m);
    assert_string_equal(cJSON_GetObjectItem(m, "functionName")->valuestring, "fn\"name");
    assert_string_equal(cJSON_GetObjectItem(m, "requestId")->valuestring, "id\n1");
    cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "offsetRanges"), 0);
    assert_string_equal(cJSON_GetObjectItem(r0, "topic")->valuestring, "ir\"is\\\n");
    cJSON_Delete(m);
    alert_free(&a);
    free_fixture(f);
}

/* RFC 3629 (section 4's syntax): shortest forms only, no surrogates, at
 * most U+10FFFF.  Written for this test, independent of common/buf.c. */
static int valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], need, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            need = 1, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
            need = 2, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 3, min = 0x10000;
        else
            return 0;
        unsigned cp = c & (0x3f >> need);
        for (unsigned k = 1; k <= need; k++) {
            if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += need + 1;
    }
    return 1;
}

/* What SNS Publish requires (API reference, Publish: Subject "must be ASCII
 * text that begins with a letter, number, or punctuation mark; must not
 * include line breaks or control characters; and must be less than 100
 * characters long"; Message "must be UTF-8 encoded strings and at most 256
 * KB in size"). */
static void expect_sns_safe(const alert *a)
{
    size_t n = strlen(a->subject);
    if (n == 0 || n > 99)
        fail_msg("subject: expected 1 to 99 characters, got %zu", n);
    for (size_t i = 0; i < n; i++)
        if (a->subject[i] < 0x21 - (i > 0) || a->subject[i] > 0x7e)
            fail_msg("subject: byte %zu is 0x%02x, expected printable ASCII", i,
                     (unsigned char)a->subject[i]);
    if (a->message_len > 262144)
        fail_msg("message: expected at most 262144 bytes, got %zu", a->message_len);
    if (!valid_utf8((const unsigned char *)a->message, a->message_len))
        fail_msg("message: expected valid UTF-8, got %.*s", (int)a->message_len, a->message);
}

/* A topic with invalid UTF-8 (a lone 0xff, a cut 0xc3, an overlong '/', a
 * UTF-16 surrogate encoded as UTF-8), control characters and DEL, and
 * Kafka's longest name (249): the Subject stays printable ASCII under 100,
 * the Message valid UTF-8 JSON that gives each bad byte back as U+FFFD. */
static const char hostile_head[] = "a\xff"
                                   "b\xc3"
                                   "\x01\x1b\r\n\t\x7f"
                                   "\xc0\xaf"
                                   "\xed\xa0\x80"
                                   "c";
static const char hostile_json[] = "a\xef\xbf\xbd"
                                   "b\xef\xbf\xbd"
                                   "\x01\x1b\r\n\t\x7f"
                                   "\xef\xbf\xbd\xef\xbf\xbd"
                                   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                                   "c";

static void test_alerts_from_hostile_topics_meet_sns_rules(void **state)
{
    (void)state;
    for (int longname = 0; longname < 2; longname++) {
        fixture *f = new_fixture();
        char want[600];
        strcpy(f->topics[0], hostile_head);
        strcpy(want, hostile_json);
        if (longname) {
            size_t h = strlen(hostile_head);
            memset(f->topics[0] + h, 'L', 249 - h);
            f->topics[0][249] = '\0';
            memset(want + strlen(hostile_json), 'L', 249 - h);
            want[strlen(hostile_json) + 249 - h] = '\0';
        }
        add_records(f, 20, 11, 0, 0, 100);
        add_records(f, 4, 4, 1, 3, 7);
        for (int mode = 0; mode < 2; mode++) {
            alert_policy p = policy(mode ? ALERT_MODE_THRESHOLD : ALERT_MODE_EVERY);
            alert a = build(&p, f, alert_message_budget());
            expect_sns_safe(&a);
            cJSON *m = cJSON_ParseWithLength(a.message, a.message_len);
            assert_non_null(m);
            cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "offsetRanges"), 0);
            const char *got = cJSON_GetObjectItem(r0, "topic")->valuestring;
            if (strcmp(got, want) != 0)
                fail_msg("message topic: expected \"%s\", got \"%s\"", want, got);
            cJSON_Delete(m);
            alert_free(&a);
        }
        /* The sequential monitor's alarm names the topic where it began. */
        alert_policy seq = policy(ALERT_MODE_SEQUENTIAL);
        monitor_verdict v;
        memset(&v, 0, sizeof v);
        v.nevents = 1;
        monitor_event *ev = &v.events[0];
        ev->test = MONITOR_ACCURACY;
        ev->records = 40;
        ev->events = 20;
        ev->p0 = 0.05;
        ev->p1 = 0.2;
        ev->since.known = ev->at.known = 1;
        memcpy(ev->since.topic, f->topics[0],
               sizeof ev->since.topic - 1); /* as the monitor keeps it */
        memcpy(ev->at.topic, f->topics[0], sizeof ev->at.topic - 1);
        alert_context ctx = {"iris-scorer", "req-42", names, 3};
        alert a;
        assert_int_equal(
            alert_build_nth(&seq, &ctx, &f->b, &f->e, &v, 0, alert_message_budget(), &a), 0);
        expect_sns_safe(&a);
        assert_non_null(strstr(a.subject, "since a?b????????????c"));
        cJSON *m = cJSON_ParseWithLength(a.message, a.message_len);
        assert_non_null(m);
        cJSON_Delete(m);
        alert_free(&a);
        free_fixture(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold_policy_needs_enough_labelled_records_below_threshold),
        cmocka_unit_test(test_every_mode_always_and_off_never),
        cmocka_unit_test(test_configuration_parsers_name_variable_and_value),
        cmocka_unit_test(test_subject_for_a_drifted_batch),
        cmocka_unit_test(test_subject_variants),
        cmocka_unit_test(test_subject_stays_printable_and_under_100_characters),
        cmocka_unit_test(test_message_json_has_counts_confusion_and_examples),
        cmocka_unit_test(test_message_truncates_examples_first_then_ranges),
        cmocka_unit_test(test_message_escapes_json_in_names),
        cmocka_unit_test(test_alerts_from_hostile_topics_meet_sns_rules),
    };
    return cmocka_run_group_tests_name("alert", tests, NULL, NULL);
}
