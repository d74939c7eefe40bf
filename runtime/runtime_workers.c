/* runtime_workers.c: runtime_run, on top of the client loop (runtime.c):
 * classic Lambda's single loop on the calling thread, or for Lambda Managed
 * Instances AWS_LAMBDA_MAX_CONCURRENCY client loops on as many threads, each
 * with its own Runtime API connection.
 *
 * Lambda sends up to AWS_LAMBDA_MAX_CONCURRENCY invocations at once to one
 * execution environment, each to a runtime worker waiting on /next, and
 * refuses an invoke that finds none waiting ("Understanding the Lambda
 * Managed Instances execution environment", Lambda developer guide).  So
 * every worker polls on its own: a slow handler in one never keeps the
 * others from polling.  Nothing here is shared between the workers but the
 * handler's ctx and the stop flags of runtime.c. */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bigmem.h"
#include "common/log.h"
#include "runtime/runtime.h"
#include "runtime/runtime_internal.h"

typedef struct worker {
    pthread_t thread;
    runtime *rt; /* its own client (the first worker's is the caller's) */
    runtime_handler handler;
    void *ctx;
    int index;
    int rc; /* the loop's result, read after the join */
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    w->rc = runtime_client_loop(w->rt, w->handler, w->ctx, 0);
    if (w->rc != 0) {
        /* Fatal for the process: the others stop polling and finish what
         * they are serving, then runtime_run returns 1. */
        log_msg(LOG_ERROR, "worker %d stopped on a fatal Runtime API condition; the other workers "
                           "finish their invocations and stop",
                w->index);
        runtime_drain();
    }
    return NULL;
}

/* glibc gives each thread that allocates while others do a malloc arena of
 * its own (up to 8 per core), and an arena keeps what is freed in it (the
 * process keeps freed memory for the next invocation: runtime_process.c).
 * With several arenas, memory one worker freed is not what another worker
 * on another arena takes next, so that the process holds more than the
 * invocations in flight need.  One arena for all the workers: measured
 * with make bench-concurrency's load on the largest batch (2-core VM),
 * 8 workers one invocation at a time peaked at 29.6 MB against 39.8 MB with
 * 2 arenas (50 MB with glibc's default), 8 at a time at 95 MB against
 * 107 MB, and 2 workers served as many invocations a second either way
 * (104-108 against 103-105: the handler's allocations are few and large).
 * Those figures predate common/bigmem, which now holds the large blocks
 * outside the heap; the heap keeps the small ones. */
static void limit_arenas(void)
{
    mallopt(M_ARENA_MAX, 1);
}

/* Runs n client loops on n threads, the first on rt itself; returns once
 * all have stopped: 0 after SIGTERM, 1 when any of them met a fatal
 * condition (the others were drained). */
static int workers_run(runtime *rt, int n, runtime_handler handler, void *ctx)
{
    char err[256];
    int started = 0, fatal = 0;
    worker *ws = calloc((size_t)n, sizeof *ws);
    if (ws == NULL) {
        log_msg(LOG_FATAL, "out of memory for %d workers", n);
        return 1;
    }
    log_set_threaded();
    limit_arenas();
    /* With N invocations in flight the half-used last huge page of each
     * large block would be paid N times over (common/bigmem.h). */
    bigmem_huge_tails(0);
    for (int i = 0; i < n; i++) {
        ws[i] = (worker){.rt = i == 0 ? rt : runtime_client_like(rt, err, sizeof err),
                         .handler = handler,
                         .ctx = ctx,
                         .index = i};
        if (ws[i].rt == NULL) {
            log_msg(LOG_ERROR, "worker %d of %d not started: %s", i, n, err);
            break;
        }
        int rc = pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);
        if (rc != 0) {
            log_msg(LOG_ERROR, "worker %d of %d not started: %s", i, n, strerror(rc));
            if (i > 0)
                runtime_free(ws[i].rt);
            break;
        }
        started++;
    }
    if (started == 0) {
        log_msg(LOG_FATAL, "no worker could be started");
        fatal = 1;
    } else if (started < n) {
        log_msg(LOG_WARN, "serving with %d workers instead of %d: Lambda refuses invocations "
                          "beyond them",
                started, n);
    }
    for (int i = 0; i < started; i++) {
        pthread_join(ws[i].thread, NULL);
        fatal |= ws[i].rc != 0;
        if (i > 0)
            runtime_free(ws[i].rt);
    }
    free(ws);
    if (!fatal)
        log_msg(LOG_INFO, "SIGTERM: %d workers finished their invocations; exiting", started);
    return fatal;
}

int runtime_run(runtime *rt, runtime_handler handler, void *ctx)
{
    if (runtime_max_concurrency(rt) > 1)
        return workers_run(rt, runtime_max_concurrency(rt), handler, ctx);
    /* Classic Lambda (and Managed Instances with one at a time): the single
     * loop on this thread, no other thread, no lock. */
    int rc = runtime_client_loop(rt, handler, ctx, 1);
    if (rc == 0)
        log_msg(LOG_INFO, "SIGTERM: exiting");
    return rc;
}

int runtime_run_handler(runtime_handler handler, void *ctx)
{
    char err[256];
    runtime *rt = runtime_new(err, sizeof err);
    if (rt == NULL) {
        log_msg(LOG_FATAL, "%s", err);
        return 1;
    }
    int rc = runtime_run(rt, handler, ctx);
    runtime_free(rt);
    return rc;
}
