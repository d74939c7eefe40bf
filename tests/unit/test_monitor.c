/* test_monitor.c: lambda/monitor (the sequential tests) and the alerts the
 * sequential policy builds from its events (lambda/alert_episode.c).
 *
 * Every expected value is worked out by hand from the CUSUM's definition with
 * round numbers: in-control share p0 = 0.1, tuned for p1 = 0.5 (min drop
 * 0.4), false-alarm rate e^-4 so the threshold h = 4.  A "yes" (wrong or
 * atypical) adds ln(0.5/0.1) = ln 5 = 1.6094379; a "no" adds
 * ln(0.5/0.9) = -0.5877867.
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
#include "lambda/monitor.h"

#define LN5 1.6094379124341003
#define LN59 (-0.5877866649021191) /* ln(5/9) */

static char topic[] = "iris";

/* One class at the origin with identity covariance: distance2 = |x|^2;
 * atypical beyond 1. */
static baseline make_baseline(void)
{
    baseline b;
    memset(&b, 0, sizeof b);
    b.present = 1;
    b.error_rate = 0.1;
    b.error_rate_se = 0.02;
    b.rows = 150;
    b.nclasses = 1;
    for (int i = 0; i < MODEL_NFEATURES; i++) {
        b.linv[0][i * MODEL_NFEATURES + i] = 1;
        b.feature_sd[i] = 1;
    }
    b.atypical_d2 = 1;
    b.atypical_rate = 0.1;
    return b;
}

static monitor *make_monitor(const baseline *bl)
{
    monitor_config c = {exp(-4), 0.4, NAN};
    char err[256];
    monitor *m = monitor_new(&c, bl, err, sizeof err);
    if (m == NULL)
        fail_msg("monitor_new: %s", err);
    return m;
}

/* Records from offset off: outcome string of 'w' (wrong), 'r' (right),
 * 'u' (unlabelled, typical), 'a' (unlabelled, atypical: x = (2,0,0,0)). */
static batch make_batch(const char *outcomes, int64_t off)
{
    batch b;
    memset(&b, 0, sizeof b);
    b.count = strlen(outcomes);
    b.records = calloc(b.count ? b.count : 1, sizeof *b.records);
    assert_non_null(b.records);
    for (size_t i = 0; i < b.count; i++) {
        batch_record *r = &b.records[i];
        r->topic = topic;
        r->partition = 0;
        r->offset = off + (int64_t)i;
        r->timestamp_ms = 1700000000000 + (int64_t)i;
        r->features[0] = outcomes[i] == 'a' ? 2.0 : 0.5;
        r->predicted = 0;
        r->label = outcomes[i] == 'w' ? 1 : outcomes[i] == 'r' ? 0 : -1;
        r->probs[0] = 1;
    }
    return b;
}

static void observe(monitor *m, const char *outcomes, int64_t off, monitor_verdict *v)
{
    batch b = make_batch(outcomes, off);
    monitor_observe(m, &b, v);
    free(b.records);
}

static void accuracy_alarm_when_evidence_reaches_ln_one_over_rate(void **state)
{
    (void)state;
    baseline bl = make_baseline();
    monitor *m = make_monitor(&bl);
    double p0, p1, h;
    monitor_parameters(m, MONITOR_ACCURACY, &p0, &p1, &h);
    assert_float_equal(p0, 0.1, 1e-12);
    assert_float_equal(p1, 0.5, 1e-12);
    assert_float_equal(h, 4.0, 1e-12);
    monitor_verdict v;
    /* S: ln5 = 1.609, + ln(5/9) = 1.022, + ln5 = 2.631: below 4. */
    observe(m, "wrw", 100, &v);
    assert_int_equal(v.nevents, 0);
    assert_float_equal(v.evidence[MONITOR_ACCURACY], 2 * LN5 + LN59, 1e-9);
    /* + ln5 = 4.2405 >= 4: alarm at offset 103, in the next invocation. */
    observe(m, "w", 103, &v);
    assert_int_equal(v.nevents, 1);
    const monitor_event *ev = &v.events[0];
    assert_int_equal(ev->test, MONITOR_ACCURACY);
    assert_int_equal(ev->recovery, 0);
    assert_float_equal(ev->llr, 3 * LN5 + LN59, 1e-9);
    assert_int_equal(ev->records, 4);
    assert_int_equal(ev->events, 3);
    assert_int_equal(ev->since.offset, 100);
    assert_int_equal(ev->at.offset, 103);
    assert_string_equal(ev->since.topic, "iris");
    /* P(X >= 3 | n = 4, p = 0.1) = 4 * 0.001 * 0.9 + 0.0001 = 0.0037 */
    assert_float_equal(ev->p_value, 0.0037, 1e-12);
    assert_int_equal(ev->confusion[1][0], 3);
    assert_int_equal(ev->confusion[0][0], 1);
    assert_int_equal(v.in_episode[MONITOR_ACCURACY], 1);
    monitor_free(m);
}

static void batch_of_one_and_batch_of_many_decide_at_the_same_record(void **state)
{
    (void)state;
    baseline bl = make_baseline();
    monitor *whole = make_monitor(&bl), *single = make_monitor(&bl);
    const char *stream = "rrwrrrrwwrw";
    monitor_verdict v1, v2;
    observe(whole, stream, 0, &v1);
    size_t seen = 0;
    monitor_event got = {0};
    for (size_t i = 0; stream[i]; i++) {
        char one[2] = {stream[i], '\0'};
        observe(single, one, (int64_t)i, &v2);
        if (v2.nevents) {
            got = v2.events[0];
            seen++;
        }
    }
    assert_int_equal(v1.nevents, 1);
    assert_int_equal(seen, 1);
    /* By hand: r r keep S at 0; w (offset 2) starts a run: 1.609, r 1.022,
     * r 0.434, r -0.154 -> 0 (reset); w (7) 1.609, w 3.219, r 2.631, w 4.241. */
    assert_int_equal(v1.events[0].since.offset, 7);
    assert_int_equal(v1.events[0].at.offset, 10);
    assert_int_equal(got.since.offset, 7);
    assert_int_equal(got.at.offset, 10);
    assert_float_equal(got.llr, v1.events[0].llr, 1e-12);
    assert_int_equal(got.records, 4);
    assert_int_equal(got.events, 3);
    monitor_free(whole);
    monitor_free(single);
}

static void one_alert_per_episode_then_a_recovery_notice(void **state)
{
    (void)state;
    baseline bl = make_baseline();
    monitor *m = make_monitor(&bl);
    monitor_verdict v;
    observe(m, "www", 0, &v); /* 3 ln5 = 4.83: alarm at offset 2 */
    assert_int_equal(v.nevents, 1);
    observe(m, "wwwwwwwwww", 3, &v); /* still drifted: no second alert */
    assert_int_equal(v.nevents, 0);
    assert_int_equal(v.in_episode[MONITOR_ACCURACY], 1);
    /* Recovery evidence grows by 0.5878 per right record: 6 give 3.527 < 4,
     * the 7th 4.115 >= 4. */
    observe(m, "rrrrrr", 13, &v);
    assert_int_equal(v.nevents, 0);
    assert_float_equal(v.evidence[MONITOR_ACCURACY], 4 + 6 * LN59, 1e-9);
    observe(m, "r", 19, &v);
    assert_int_equal(v.nevents, 1);
    assert_int_equal(v.events[0].recovery, 1);
    assert_int_equal(v.events[0].alert_at.offset, 2);
    assert_int_equal(v.events[0].since.offset, 13); /* the clean stretch */
    assert_int_equal(v.events[0].at.offset, 19);
    assert_int_equal(v.events[0].records, 7);
    assert_int_equal(v.events[0].events, 0);
    assert_int_equal(v.in_episode[MONITOR_ACCURACY], 0);
    assert_float_equal(v.evidence[MONITOR_ACCURACY], 0, 0);
    monitor_free(m);
}

static void unlabelled_atypical_inputs_raise_input_drift(void **state)
{
    (void)state;
    baseline bl = make_baseline();
    monitor *m = make_monitor(&bl);
    monitor_verdict v;
    observe(m, "uuuaa", 0, &v);
    assert_int_equal(v.nevents, 0);
    assert_int_equal(v.judged[MONITOR_ACCURACY], 0);
    assert_int_equal(v.judged[MONITOR_INPUTS], 5);
    assert_int_equal(v.yes[MONITOR_INPUTS], 2);
    observe(m, "a", 5, &v); /* 3 ln5 = 4.83 */
    assert_int_equal(v.nevents, 1);
    const monitor_event *ev = &v.events[0];
    assert_int_equal(ev->test, MONITOR_INPUTS);
    assert_int_equal(ev->since.offset, 3);
    assert_int_equal(ev->records, 3);
    assert_int_equal(ev->events, 3);
    assert_float_equal(ev->feature_mean[0], 2.0, 1e-12);
    assert_float_equal(ev->feature_mean[1], 0.0, 1e-12);
    monitor_free(m);
}

static void a_new_process_starts_with_no_evidence(void **state)
{
    (void)state;
    baseline bl = make_baseline();
    monitor *m = make_monitor(&bl);
    monitor_verdict v;
    observe(m, "rrrrrrrrrruuuu", 0, &v);
    assert_int_equal(v.nevents, 0);
    assert_float_equal(v.evidence[MONITOR_ACCURACY], 0, 0);
    assert_float_equal(v.evidence[MONITOR_INPUTS], 0, 0);
    monitor_free(m);
}

static void no_baseline_turns_the_tests_off_unless_accuracy_is_given(void **state)
{
    (void)state;
    baseline none;
    memset(&none, 0, sizeof none);
    char err[256];
    monitor_config c;
    monitor_config_defaults(&c);
    monitor *m = monitor_new(&c, &none, err, sizeof err);
    assert_non_null(m);
    assert_int_equal(monitor_enabled(m, MONITOR_ACCURACY), 0);
    assert_int_equal(monitor_enabled(m, MONITOR_INPUTS), 0);
    monitor_free(m);
    c.expected_accuracy = 0.95;
    m = monitor_new(&c, &none, err, sizeof err);
    assert_non_null(m);
    assert_int_equal(monitor_enabled(m, MONITOR_ACCURACY), 1);
    double p0, p1, h;
    monitor_parameters(m, MONITOR_ACCURACY, &p0, &p1, &h);
    assert_float_equal(p0, 0.05, 1e-12);
    assert_float_equal(p1, 0.35, 1e-12);
    assert_float_equal(h, log(1 / 3e-10), 1e-9); /* 21.927 */
    monitor_free(m);
    c.min_drop = 0.96;
    assert_null(monitor_new(&c, &none, err, sizeof err));
    assert_non_null(strstr(err, "ALERT_MIN_DROP=0.96"));
}

static void configuration_errors_name_the_variable_and_value(void **state)
{
    (void)state;
    static const struct {
        const char *name, *value;
    } bad[] = {
        {"ALERT_FALSE_ALARM_RATE", "0"},
        {"ALERT_FALSE_ALARM_RATE", "0.5"},
        {"ALERT_FALSE_ALARM_RATE", "abc"},
        {"ALERT_FALSE_ALARM_RATE", " 1e-9"},
        {"ALERT_MIN_DROP", "1"},
        {"ALERT_MIN_DROP", "-0.1"},
        {"ALERT_EXPECTED_ACCURACY", "1.5"},
        {"ALERT_EXPECTED_ACCURACY", "nan"},
    };
    char err[512], want[128];
    monitor_config c;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv(bad[i].name, bad[i].value, 1);
        if (monitor_config_from_env(&c, err, sizeof err) != -1)
            fail_msg("expected %s=%s to be refused", bad[i].name, bad[i].value);
        snprintf(want, sizeof want, "%s=\"%s\"", bad[i].name, bad[i].value);
        if (strstr(err, want) == NULL)
            fail_msg("expected the error to name %s, got: %s", want, err);
        unsetenv(bad[i].name);
    }
    setenv("ALERT_FALSE_ALARM_RATE", "1e-6", 1);
    setenv("ALERT_MIN_DROP", "0.25", 1);
    setenv("ALERT_EXPECTED_ACCURACY", "", 1);
    assert_int_equal(monitor_config_from_env(&c, err, sizeof err), 0);
    assert_float_equal(c.false_alarm_rate, 1e-6, 0);
    assert_float_equal(c.min_drop, 0.25, 0);
    assert_true(isnan(c.expected_accuracy));
    unsetenv("ALERT_FALSE_ALARM_RATE");
    unsetenv("ALERT_MIN_DROP");
    unsetenv("ALERT_EXPECTED_ACCURACY");
    assert_int_equal(monitor_config_from_env(&c, err, sizeof err), 0);
    assert_float_equal(c.false_alarm_rate, 3e-10, 0);
    assert_float_equal(c.min_drop, 0.3, 0);
}

static void binomial_tail_matches_hand_values(void **state)
{
    (void)state;
    assert_float_equal(monitor_binomial_tail(4, 0, 0.1), 1, 0);
    assert_float_equal(monitor_binomial_tail(4, 3, 0.1), 0.0037, 1e-15);
    assert_float_equal(monitor_binomial_tail(10, 1, 0.5), 1 - 1.0 / 1024, 1e-14);
    assert_float_equal(monitor_binomial_tail(10, 10, 0.5), 1.0 / 1024, 1e-17);
    assert_float_equal(monitor_binomial_tail(3, 4, 0.5), 0, 0);
}

/* One batch seen by a fresh monitor, its evaluation and verdict (one event),
 * and the first alert the default (sequential) policy builds from them. */
typedef struct alerted {
    monitor *m;
    batch b;
    evaluation e;
    monitor_verdict v;
    alert_policy p;
    alert a;
} alerted;

static void build_alert(alerted *x, const baseline *bl, const char *outcomes, int64_t off,
                        const char *request_id)
{
    static const char *const names[] = {"setosa", "versicolor", "virginica"};
    x->m = make_monitor(bl);
    x->b = make_batch(outcomes, off);
    monitor_observe(x->m, &x->b, &x->v);
    assert_int_equal(x->v.nevents, 1);
    assert_int_equal(evaluate_batch(&x->b, 3, &x->e), 0);
    alert_policy_defaults(&x->p);
    alert_context ctx = {"fn", request_id, names, 3};
    assert_int_equal(
        alert_build_nth(&x->p, &ctx, &x->b, &x->e, &x->v, 0, alert_message_budget(), &x->a), 0);
}

static void alerted_free(alerted *x)
{
    alert_free(&x->a);
    evaluation_free(&x->e);
    free(x->b.records);
    monitor_free(x->m);
}

static void accuracy_drop_alert_explains_itself(void **state)
{
    (void)state;
    baseline bl = make_baseline();
    alerted x;
    build_alert(&x, &bl, "wrww", 100, "req-1");
    const alert *a = &x.a;
    assert_int_equal(x.p.mode, ALERT_MODE_SEQUENTIAL);
    assert_int_equal(alert_count(&x.p, &x.e, &x.v), 1);
    assert_string_equal(a->subject,
                        "iris accuracy drop: 25% on 4 records (expected 90%) since iris/0 100");
    assert_string_equal(a->kind, "accuracy-drop");
    assert_string_equal(a->severity, "critical");
    assert_string_equal(a->accuracy, "0.25");
    cJSON *j = cJSON_ParseWithLength(a->message, a->message_len);
    assert_non_null(j);
    cJSON *ev = cJSON_GetObjectItem(j, "evidence");
    assert_float_equal(cJSON_GetObjectItem(ev, "binomialPValue")->valuedouble, 0.0037, 1e-12);
    assert_float_equal(cJSON_GetObjectItem(ev, "logLikelihoodRatio")->valuedouble, 3 * LN5 + LN59,
                       1e-9);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "since"), "offset")->valueint, 100);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "decidedAt"), "offset")->valueint,
                     103);
    assert_int_equal(cJSON_GetObjectItem(j, "wrong")->valueint, 3);
    cJSON *conf = cJSON_GetObjectItem(j, "confusionSinceChange");
    assert_int_equal(cJSON_GetArraySize(conf), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "misclassified")), 3);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "test"), "name")->valuestring,
                        "accuracy");
    cJSON_Delete(j);
    /* The threshold mode ignores the verdict; off publishes nothing. */
    x.p.mode = ALERT_MODE_OFF;
    assert_int_equal(alert_count(&x.p, &x.e, &x.v), 0);
    alerted_free(&x);
}

static void input_drift_alert_names_the_features_that_moved(void **state)
{
    (void)state;
    baseline bl = make_baseline();
    alerted x;
    build_alert(&x, &bl, "uaaa", 7, "req-2");
    const alert *a = &x.a;
    assert_string_equal(
        a->subject, "iris input drift: 100% atypical of 3 records (expected 10%) since iris/0 8");
    assert_string_equal(a->kind, "input-drift");
    assert_string_equal(a->accuracy, ""); /* nothing labelled */
    cJSON *j = cJSON_ParseWithLength(a->message, a->message_len);
    if (j == NULL)
        fail_msg("the message is not JSON: %.*s", (int)a->message_len, a->message);
    cJSON *f0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "featuresThatMovedMost"), 0);
    assert_string_equal(cJSON_GetObjectItem(f0, "feature")->valuestring, "sepalLength");
    assert_float_equal(cJSON_GetObjectItem(f0, "shiftInSd")->valuedouble, 2.0, 1e-12);
    assert_int_equal(cJSON_GetObjectItem(j, "atypicalTotal")->valueint, 3);
    cJSON *x0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "atypicalExamples"), 0);
    assert_float_equal(cJSON_GetObjectItem(x0, "distance2")->valuedouble, 4.0, 1e-12);
    cJSON_Delete(j);
    alerted_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accuracy_alarm_when_evidence_reaches_ln_one_over_rate),
        cmocka_unit_test(batch_of_one_and_batch_of_many_decide_at_the_same_record),
        cmocka_unit_test(one_alert_per_episode_then_a_recovery_notice),
        cmocka_unit_test(unlabelled_atypical_inputs_raise_input_drift),
        cmocka_unit_test(a_new_process_starts_with_no_evidence),
        cmocka_unit_test(no_baseline_turns_the_tests_off_unless_accuracy_is_given),
        cmocka_unit_test(configuration_errors_name_the_variable_and_value),
        cmocka_unit_test(binomial_tail_matches_hand_values),
        cmocka_unit_test(accuracy_drop_alert_explains_itself),
        cmocka_unit_test(input_drift_alert_names_the_features_that_moved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
