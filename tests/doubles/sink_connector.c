/* sink-connector: a stand-in for the Confluent AWS Lambda Sink connector
 * (synchronous mode), for local runs and tests.
 *
 * Runs tasks.max tasks (default 1), each a consumer in the connector's group
 * on its own thread (connector_task.h: how partitions are shared and what
 * runs in parallel).  A task batches each partition's records
 * (aws.lambda.batch.size, default 20) into the connector's payload with the
 * key and value forms of input.data.format and record.converter.class
 * (connector_convert.h), invokes the function through the Invoke API, writes
 * each element of the response to the result topic
 * (reporter.result.topic.name, success-${connector}), and only then commits
 * the batch's offsets (at-least-once).  A failed invocation is not retried
 * (the connector never retries; --retries is the stand-in's own, off by
 * default) and is handled as behavior.on.error says: log (the default) writes
 * the batch's records with the error to the error topic
 * (reporter.error.topic.name, error-${connector}) and proceeds; ignore
 * proceeds; fail stops the connector (every task) without committing the
 * batch, so a restart resumes at its first record.  connector_config.h lists
 * each option and the property it models.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <curl/curl.h>

#include "registry/client.h"
#include "tests/doubles/connector_config.h"
#include "tests/doubles/connector_convert.h"
#include "tests/doubles/connector_task.h"

#define PROG "sink-connector"

/* Lock-free (checked below), so the handler may store to it. */
static atomic_int stop_signal;

static void on_signal(int sig)
{
    atomic_store(&stop_signal, sig);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts n tasks and waits for all; the consumers stay in the group until
 * every task is done, so a task that finishes early causes no rebalance
 * under the others' feet.  Returns the exit status. */
static int run_tasks(connector_task **tasks, int n)
{
    pthread_t threads[CONNECTOR_MAX_TASKS];
    int started = 0, status = 0;
    for (; started < n; started++) {
        if (pthread_create(&threads[started], NULL, connector_task_run, tasks[started]) != 0) {
            fprintf(stderr, PROG ": cannot start task %d\n", started);
            status = 1;
            atomic_store(&stop_signal, SIGTERM);
            break;
        }
    }
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        status |= connector_task_status(tasks[i]);
    }
    return status;
}

static void print_summary(connector_task **tasks, int n, double seconds)
{
    connector_task_stats sum = {0};
    for (int i = 0; i < n; i++) {
        connector_task_stats s;
        connector_task_get_stats(tasks[i], &s);
        sum.records += s.records;
        sum.batches += s.batches;
        sum.retries += s.retries;
        sum.failed_batches += s.failed_batches;
        sum.results += s.results;
        sum.errors_written += s.errors_written;
        sum.dead_letters += s.dead_letters;
        sum.pending += s.pending;
    }
    if (atomic_load(&stop_signal) && sum.pending > 0)
        fprintf(stderr,
                PROG ": stopping: %ld consumed record(s) not yet invoked stay uncommitted\n",
                sum.pending);
    fprintf(stderr,
            PROG ": done: %ld records in %ld batches, %ld retries, %ld results written, "
                 "%ld failed batches (%ld records to the error topic), %ld dead letters, "
                 "%d task(s), %.1f s\n",
            sum.records, sum.batches, sum.retries, sum.results, sum.failed_batches,
            sum.errors_written, sum.dead_letters, n, seconds);
}

int main(int argc, char **argv)
{
    struct connector_options opt;
    int prc = connector_options_parse(argc, argv, &opt);
    if (prc != 0)
        return prc > 0 ? 0 : 2;
    if (opt.print_properties) {
        connector_options_print(stdout, &opt);
        return 0;
    }

    _Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal flag must be lock-free");
    connector_shared shared = {.lock = PTHREAD_MUTEX_INITIALIZER, .signal = &stop_signal};
    connector_task *tasks[CONNECTOR_MAX_TASKS] = {0};
    int n = (int)opt.tasks_max, status = 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, PROG ": curl_global_init failed\n");
        return 1;
    }
    struct registry *reg = NULL;
    if (opt.schema_registry) {
        char err[512];
        struct registry_config rc = {.url = opt.schema_registry};
        if ((reg = registry_new(&rc, err, sizeof err)) == NULL) {
            fprintf(stderr, PROG ": --schema-registry: %s\n", err);
            goto cleanup;
        }
        connector_convert_use_registry(reg);
    }
    for (int i = 0; i < n; i++) {
        tasks[i] = connector_task_new(&opt, &shared, i);
        if (tasks[i] == NULL)
            goto cleanup;
    }
    double t0 = now_s();
    status = run_tasks(tasks, n);
    print_summary(tasks, n, now_s() - t0);
cleanup:
    for (int i = 0; i < n; i++)
        connector_task_free(tasks[i]);
    registry_free(reg);
    curl_global_cleanup();
    return status;
}
