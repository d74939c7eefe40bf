/* test_monitor_sim.c: the goals of the sequential alert policy with the
 * template's defaults, on simulated streams of real iris flowers scored by
 * the shipped model (tests/lib/monitor_sim.h; fixed seeds, so every run
 * sees the same streams):
 *   - no false alert on 2,000 clean batches of 20, nor of 1 (five streams each);
 *   - accuracy down to 50%: an alert within 2 batches of 20 (at least 99% of
 *     200 streams; their median within 1 batch), and at batch size 1 a median
 *     delay within 20 records;
 *   - unlabelled records whose petal length reads 1 cm more: an alert within
 *     5 batches of 20 on every one of 200 streams;
 *   - the old threshold policy, same streams: false alerts on clean batches of
 *     20 and never an alert at batch size 1 (why the default changed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/lib/monitor_sim.h"

/* One stream (sim_stream_make's) under policy p. */
static sim_result run_stream(enum sim_policy p, enum sim_change change, double value,
                             size_t batch_size, size_t warmup, size_t limit, uint64_t seed)
{
    sim_stream s = sim_stream_make(change, value, batch_size, warmup, limit, seed);
    sim_result r;
    assert_int_equal(sim_run(&sim_iris, p, &s, &r), 0);
    return r;
}

static size_t clean_alerts(enum sim_policy p, size_t batch_size, uint64_t seed)
{
    sim_result r = run_stream(p, SIM_NONE, 0, batch_size, 2000 * batch_size, 0, seed);
    assert_int_equal(r.records, 2000 * batch_size);
    return r.alerts_before;
}

static void no_false_alert_on_2000_clean_batches_of_20_or_of_1(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        size_t a20 = clean_alerts(SIM_SEQUENTIAL, 20, seed);
        size_t a1 = clean_alerts(SIM_SEQUENTIAL, 1, seed);
        if (a20 != 0 || a1 != 0)
            fail_msg("seed %llu: expected 0 false alerts, got %zu (batches of 20) and %zu (of 1)",
                     (unsigned long long)seed, a20, a1);
    }
}

static void old_threshold_policy_false_alarms_at_20_and_is_blind_at_1(void **state)
{
    (void)state;
    /* P(3 or more wrong of 20 | 2% wrong) = 0.0071: about 14 in 2,000 batches. */
    size_t a20 = clean_alerts(SIM_THRESHOLD, 20, 1);
    if (a20 < 3)
        fail_msg("expected the old policy to raise false alerts on 2,000 clean batches of 20, "
                 "got %zu",
                 a20);
    sim_result r = run_stream(SIM_THRESHOLD, SIM_ACCURACY, 0.5, 1, 100, 2000, 3);
    assert_int_equal(r.detected, 0);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Delays of 200 streams (change after 1,000 clean records); fails on a miss. */
static void delays(enum sim_change c, double value, size_t batch_size, size_t *out)
{
    for (size_t t = 0; t < 200; t++) {
        sim_result r = run_stream(SIM_SEQUENTIAL, c, value, batch_size, 1000, 5000, 101 + t);
        if (r.alerts_before != 0 || !r.detected)
            fail_msg("stream %zu: expected no alert before the change and one after, got %zu "
                     "before, detected %d",
                     t, r.alerts_before, r.detected);
        out[t] = r.delay;
    }
    qsort(out, 200, sizeof *out, cmp_size);
}

static void accuracy_down_to_50_percent_alerts_within_two_batches_of_20(void **state)
{
    (void)state;
    size_t d[200];
    delays(SIM_ACCURACY, 0.5, 20, d);
    size_t late = 0;
    for (size_t i = 0; i < 200; i++)
        late += d[i] > 40;
    if (late > 2 || d[99] > 20)
        fail_msg("expected at least 198 of 200 streams to alert within 40 records and the median "
                 "within 20; %zu were later, median %zu, slowest %zu",
                 late, d[99], d[199]);
}

static void accuracy_down_to_50_percent_at_batch_size_1_median_within_20_records(void **state)
{
    (void)state;
    size_t d[200];
    delays(SIM_ACCURACY, 0.5, 1, d);
    if (d[99] > 20)
        fail_msg("expected a median delay of at most 20 records, got %zu (95th percentile %zu)",
                 d[99], d[189]);
}

static void unlabelled_input_shift_alerts_within_five_batches_of_20(void **state)
{
    (void)state;
    size_t d[200];
    delays(SIM_INPUTS, 1.0, 20, d);
    if (d[199] > 100)
        fail_msg("expected every stream to alert within 100 records, slowest %zu (median %zu)",
                 d[199], d[99]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_false_alert_on_2000_clean_batches_of_20_or_of_1),
        cmocka_unit_test(old_threshold_policy_false_alarms_at_20_and_is_blind_at_1),
        cmocka_unit_test(accuracy_down_to_50_percent_alerts_within_two_batches_of_20),
        cmocka_unit_test(accuracy_down_to_50_percent_at_batch_size_1_median_within_20_records),
        cmocka_unit_test(unlabelled_input_shift_alerts_within_five_batches_of_20),
    };
    return cmocka_run_group_tests(tests, sim_iris_setup, sim_iris_teardown);
}
