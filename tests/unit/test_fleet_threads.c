/* test_fleet_threads.c: the fleet state under threads, as Lambda Managed
 * Instances run it (also under make test-tsan, where a data race fails).
 * Two environments, each one monitor and one fleet shared by 3 worker
 * threads that do what lambda/handler.c's observe_and_notify does: feed the
 * monitor and plan under the environment's lock, talk to the store without
 * it, apply under it.  Both environments share one in-memory store.  A clean
 * stretch then labels going wrong on every thread: exactly one alert across
 * both environments, no recovery, and both end in the episode. */
#include <pthread.h>
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

#define ENVS 2
#define WORKERS 3
#define BATCH 20
#define CLEAN_BATCHES 60
#define DRIFT_BATCHES 20

static sim_data data;
/* Every worker ends its clean stretch before any drifts: the stream is then
 * drifted everywhere (a clean worker still running would be a real return to
 * normal, and a recovery notice would be right). */
static pthread_barrier_t drift_starts;

typedef struct environment {
    pthread_mutex_t mu;
    monitor *m;
    fleet *f;
    size_t alarms;
} environment;

typedef struct worker {
    environment *env;
    uint64_t seed;
} worker;

static void one_batch(environment *e, batch *b)
{
    monitor_verdict v;
    fleet_plan p;
    fleet_counts c = {0};
    int64_t now = 1700000000000LL;
    pthread_mutex_lock(&e->mu);
    monitor_observe(e->m, b, &v);
    fleet_plan_batch(e->f, e->m, now, &p);
    if (fleet_plan_requests(&p)) {
        pthread_mutex_unlock(&e->mu);
        fleet_exchange(e->f, &p, now, 0, &c);
        pthread_mutex_lock(&e->mu);
    }
    fleet_apply(e->f, e->m, &p, b, &v, now, &c);
    for (size_t i = 0; i < v.nevents; i++)
        e->alarms += !v.events[i].recovery;
    pthread_mutex_unlock(&e->mu);
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    sim_stream s = {.change = SIM_ACCURACY, .target_accuracy = 0.5, .batch = BATCH};
    batch b;
    memset(&b, 0, sizeof b);
    b.records = calloc(BATCH, sizeof *b.records);
    if (b.records == NULL)
        return NULL;
    uint64_t rng = w->seed;
    for (size_t n = 0; n < CLEAN_BATCHES + DRIFT_BATCHES; n++) {
        if (n == CLEAN_BATCHES)
            pthread_barrier_wait(&drift_starts);
        b.count = BATCH;
        for (size_t i = 0; i < BATCH; i++)
            sim_draw(&data, &s, n >= CLEAN_BATCHES, &rng, (int64_t)(n * BATCH + i), &b.records[i]);
        one_batch(w->env, &b);
    }
    free(b.records);
    return NULL;
}

static void one_alert_across_environments_of_concurrent_workers(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(sim_load(&data, "model/iris-model.json", "model/iris.csv", err, sizeof err),
                     0);
    memstore store;
    fleet_store iface;
    memstore_init(&store, &iface);
    pthread_barrier_init(&drift_starts, NULL, ENVS * WORKERS);
    monitor_config mc;
    monitor_config_defaults(&mc);
    environment envs[ENVS];
    worker workers[ENVS * WORKERS];
    pthread_t threads[ENVS * WORKERS];
    for (size_t e = 0; e < ENVS; e++) {
        char id[16];
        snprintf(id, sizeof id, "env%zu", e);
        pthread_mutex_init(&envs[e].mu, NULL);
        envs[e].alarms = 0;
        envs[e].m = monitor_new(&mc, model_baseline(data.model), err, sizeof err);
        assert_non_null(envs[e].m);
        envs[e].f = fleet_new(&iface, "threads", id, envs[e].m, err, sizeof err);
        assert_non_null(envs[e].f);
    }
    for (size_t i = 0; i < ENVS * WORKERS; i++) {
        workers[i].env = &envs[i / WORKERS];
        workers[i].seed = 1000 + i;
        assert_int_equal(pthread_create(&threads[i], NULL, run_worker, &workers[i]), 0);
    }
    for (size_t i = 0; i < ENVS * WORKERS; i++)
        pthread_join(threads[i], NULL);
    size_t alarms = envs[0].alarms + envs[1].alarms;
    int open0 = monitor_in_episode(envs[0].m, MONITOR_ACCURACY);
    int open1 = monitor_in_episode(envs[1].m, MONITOR_ACCURACY);
    for (size_t e = 0; e < ENVS; e++) {
        fleet_free(envs[e].f);
        monitor_free(envs[e].m);
        pthread_mutex_destroy(&envs[e].mu);
    }
    memstore_destroy(&store);
    pthread_barrier_destroy(&drift_starts);
    sim_free(&data);
    if (alarms != 1 || !open0 || !open1)
        fail_msg("expected 1 alert across both environments, both in the episode; got %zu "
                 "alerts, episode open %d and %d",
                 alarms, open0, open1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_alert_across_environments_of_concurrent_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
