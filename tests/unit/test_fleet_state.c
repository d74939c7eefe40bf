/* test_fleet_state.c: k environments, each its own monitor and fleet state, sharing
 * one in-memory store (tests/lib/fleet_memstore.h, the contract the DynamoDB
 * adapter implements), fed one simulated stream (tests/lib/monitor_sim.h)
 * dealt in batches of 20 round-robin, as the connector's tasks deal
 * partitions.  The goals with k = 3 and the template's defaults:
 *   - no false alert on 2,000 clean batches per environment, and at most one
 *     store request per 50 clean batches per environment;
 *   - one alert and one recovery notice per episode, fleet-wide;
 *   - the fleet-wide detection delay (records after the change, counted over
 *     every environment) at most 1.5x that of one environment seeing the
 *     whole stream (mean of 200 streams);
 *   - the store down: every environment alerts on its own evidence;
 *   - at a false-alarm rate of 1e-3 per record, the fleet's false alarms per
 *     clean record stay below it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lambda/fleet.h"
#include "tests/lib/fleet_memstore.h"
#include "tests/lib/monitor_sim.h"

#define K_MAX 4
#define BATCH 20

typedef struct fleet_run {
    size_t k;
    double rate; /* false-alarm rate per record (0: the default) */
    int store_down;
    sim_stream s;         /* change after s.warmup records (fleet-wide) */
    size_t recover_after; /* >0: the stream is clean again this many records after the alert */
    size_t tail;          /* records to run after the recovery (or after the change if none) */
    /* results */
    size_t alarms_before, alarms, recoveries, delay, records;
    size_t alarms_by_env[K_MAX];
    size_t requests[K_MAX], batches[K_MAX], fallbacks;
} fleet_run;

static void run(fleet_run *fr)
{
    monitor *m[K_MAX];
    fleet *f[K_MAX];
    memstore store;
    fleet_store iface;
    memstore_init(&store, &iface);
    store.failing = fr->store_down;
    monitor_config mc;
    monitor_config_defaults(&mc);
    if (fr->rate > 0)
        mc.false_alarm_rate = fr->rate;
    char err[256], env[32];
    for (size_t i = 0; i < fr->k; i++) {
        m[i] = monitor_new(&mc, model_baseline(sim_iris.model), err, sizeof err);
        assert_non_null(m[i]);
        snprintf(env, sizeof env, "env%zu", i);
        f[i] = fleet_new(&iface, "sim", env, m[i], err, sizeof err);
        assert_non_null(f[i]);
    }
    batch b;
    memset(&b, 0, sizeof b);
    b.records = calloc(BATCH, sizeof *b.records);
    assert_non_null(b.records);
    uint64_t rng = fr->s.seed;
    size_t end = fr->s.warmup + fr->s.limit, alert_at = 0, recovered_at = 0;
    for (size_t done = 0, n = 0; done < end; n++) {
        size_t e = n % fr->k;
        b.count = BATCH;
        for (size_t i = 0; i < BATCH; i++) {
            size_t at = done + i;
            int changed =
                fr->s.change != SIM_NONE && at >= fr->s.warmup &&
                !(fr->recover_after > 0 && alert_at > 0 && at >= alert_at + fr->recover_after);
            sim_draw(&sim_iris, &fr->s, changed, &rng, (int64_t)at, &b.records[i]);
        }
        done += BATCH;
        int64_t now_ms = 1700000000000LL + (int64_t)done;
        monitor_verdict v;
        fleet_plan p;
        fleet_counts c = {0};
        monitor_observe(m[e], &b, &v);
        fleet_plan_batch(f[e], m[e], now_ms, &p);
        fleet_exchange(f[e], &p, now_ms, 0, &c);
        fleet_apply(f[e], m[e], &p, &b, &v, now_ms, &c);
        fr->requests[e] += c.requests;
        fr->fallbacks += c.fallbacks;
        fr->batches[e]++;
        for (size_t i = 0; i < v.nevents; i++) {
            if (v.events[i].recovery) {
                fr->recoveries++;
                if (recovered_at == 0)
                    recovered_at = done;
                continue;
            }
            fr->alarms_by_env[e]++;
            if (fr->s.change == SIM_NONE || done <= fr->s.warmup) {
                fr->alarms_before++;
                continue;
            }
            fr->alarms++;
            if (alert_at == 0) {
                alert_at = done;
                fr->delay = done - fr->s.warmup;
                if (fr->recover_after == 0)
                    end = done + fr->tail;
            }
        }
        if (fr->s.change != SIM_NONE && recovered_at > 0 && end > recovered_at + fr->tail)
            end = recovered_at + fr->tail;
        fr->records = done;
    }
    for (size_t i = 0; i < fr->k; i++) {
        fleet_free(f[i]);
        monitor_free(m[i]);
    }
    memstore_destroy(&store);
    free(b.records);
}

static void no_false_alert_and_a_request_per_50_clean_batches_at_most(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        fleet_run fr = {.k = 3,
                        .s = sim_stream_make(SIM_NONE, 0, BATCH, 3 * 2000 * BATCH, 0, seed)};
        run(&fr);
        if (fr.alarms_before != 0)
            fail_msg("seed %llu: expected 0 false alerts on 2,000 clean batches per environment, "
                     "got %zu",
                     (unsigned long long)seed, fr.alarms_before);
        for (size_t e = 0; e < 3; e++) {
            printf("seed %llu env %zu: %zu store requests in %zu clean batches\n",
                   (unsigned long long)seed, e, fr.requests[e], fr.batches[e]);
            if (fr.requests[e] * 50 > fr.batches[e])
                fail_msg("expected at most 1 request per 50 clean batches (%zu), env %zu made %zu",
                         fr.batches[e] / 50, e, fr.requests[e]);
        }
    }
}

static void one_alert_and_one_recovery_per_episode_fleet_wide(void **state)
{
    (void)state;
    for (uint64_t seed = 11; seed <= 30; seed++) {
        fleet_run fr = {.k = 3,
                        .s = sim_stream_make(SIM_ACCURACY, 0.5, BATCH, 3000, 40000, seed),
                        .recover_after = 2000,
                        .tail = 6000};
        run(&fr);
        if (fr.alarms_before != 0 || fr.alarms != 1 || fr.recoveries != 1)
            fail_msg("seed %llu: expected 0 alerts before the change, 1 alert and 1 recovery "
                     "notice; got %zu, %zu and %zu",
                     (unsigned long long)seed, fr.alarms_before, fr.alarms, fr.recoveries);
    }
}

static double mean_delay(size_t k, enum sim_change c, double value, size_t *max)
{
    double sum = 0;
    *max = 0;
    for (uint64_t t = 0; t < 200; t++) {
        sim_stream s = sim_stream_make(c, value, BATCH, 3000, 20000, 101 + t);
        size_t delay;
        if (k == 1) {
            sim_result r;
            assert_int_equal(sim_run(&sim_iris, SIM_SEQUENTIAL, &s, &r), 0);
            if (!r.detected || r.alerts_before)
                fail_msg("single environment, stream %llu: not detected", (unsigned long long)t);
            delay = r.delay;
        } else {
            fleet_run fr = {.k = k, .s = s, .tail = 0};
            run(&fr);
            if (fr.alarms != 1 || fr.alarms_before)
                fail_msg("k=%zu, stream %llu: expected one alert after the change, got %zu (%zu "
                         "before)",
                         k, (unsigned long long)t, fr.alarms, fr.alarms_before);
            delay = fr.delay;
        }
        sum += (double)delay;
        if (delay > *max)
            *max = delay;
    }
    return sum / 200;
}

static void fleet_detects_within_one_and_a_half_times_one_environment(void **state)
{
    (void)state;
    static const struct {
        enum sim_change c;
        double value;
        const char *what;
    } cases[] = {{SIM_ACCURACY, 0.5, "accuracy down to 50%"},
                 {SIM_ACCURACY, 0.7, "accuracy down to 70%"},
                 {SIM_INPUTS, 1.0, "petal length +1 cm"},
                 {SIM_INPUTS, 0.6, "petal length +0.6 cm"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t max1, max3;
        double one = mean_delay(1, cases[i].c, cases[i].value, &max1);
        double three = mean_delay(3, cases[i].c, cases[i].value, &max3);
        printf("%s: mean delay %.1f records for one environment (max %zu), %.1f for 3 (max %zu), "
               "ratio %.2f\n",
               cases[i].what, one, max1, three, max3, three / one);
        if (three > 1.5 * one)
            fail_msg("%s: expected the fleet's mean delay within 1.5x of %.1f, got %.1f",
                     cases[i].what, one, three);
    }
}

static void store_down_every_environment_alerts_on_its_own(void **state)
{
    (void)state;
    fleet_run fr = {.k = 3,
                    .store_down = 1,
                    .s = sim_stream_make(SIM_ACCURACY, 0.5, BATCH, 3000, 3000, 7),
                    .tail = 600}; /* after the first alert, each environment reaches its own */
    run(&fr);
    for (size_t e = 0; e < 3; e++)
        if (fr.alarms_by_env[e] != 1)
            fail_msg("store down: expected environment %zu to alert once on its own evidence, "
                     "got %zu",
                     e, fr.alarms_by_env[e]);
    if (fr.fallbacks == 0)
        fail_msg("expected the fallbacks to be counted, got 0");
}

static void false_alarms_per_clean_record_stay_below_the_rate(void **state)
{
    (void)state;
    const double rate = 1e-3;
    fleet_run fr = {.k = 3, .rate = rate, .s = sim_stream_make(SIM_NONE, 0, BATCH, 300000, 0, 5)};
    run(&fr);
    double got = (double)fr.alarms_before / (double)fr.records;
    printf("rate %g: %zu false alarms in %zu clean records (%.2g per record)\n", rate,
           fr.alarms_before, fr.records, got);
    if (got > rate)
        fail_msg("expected at most %g false alarms per clean record, got %.3g", rate, got);
}

static void fleet_threshold_keeps_the_tail_of_a_sum_at_the_rate(void **state)
{
    (void)state;
    double h1 = fleet_threshold(3e-10, 1), h3 = fleet_threshold(3e-10, 3);
    assert_true(fabs(h1 - log(1 / 3e-10)) < 1e-9);
    /* P(Gamma(3, 1) >= h3) = exp(-h3) (1 + h3 + h3^2 / 2) */
    double tail = exp(-h3) * (1 + h3 + h3 * h3 / 2);
    if (fabs(tail / 3e-10 - 1) > 1e-6)
        fail_msg("expected the Gamma(3) tail at h3 = %.4f to be 3e-10, got %.4g", h3, tail);
    assert_true(h3 > h1 && h3 < h1 + 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fleet_threshold_keeps_the_tail_of_a_sum_at_the_rate),
        cmocka_unit_test(no_false_alert_and_a_request_per_50_clean_batches_at_most),
        cmocka_unit_test(one_alert_and_one_recovery_per_episode_fleet_wide),
        cmocka_unit_test(fleet_detects_within_one_and_a_half_times_one_environment),
        cmocka_unit_test(store_down_every_environment_alerts_on_its_own),
        cmocka_unit_test(false_alarms_per_clean_record_stay_below_the_rate),
    };
    return cmocka_run_group_tests(tests, sim_iris_setup, sim_iris_teardown);
}
