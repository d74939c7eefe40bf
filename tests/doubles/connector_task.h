/* connector_task.h: one task of the connector stand-in, as Kafka Connect runs
 * a sink connector's tasks.
 *
 * Kafka Connect starts up to tasks.max tasks for a sink connector (default 1:
 * Apache Kafka's sink connector configuration reference, "tasks.max").  Each
 * task is a consumer in the connector's group, connect-${connector}, so the
 * group's assignor splits the topic's partitions among the tasks and a
 * partition is never processed by more than one task at a time (Amazon MSK
 * Connect's troubleshooting guide: "a single partition is never processed by
 * more than a single task at a time"; the parallelism of a sink is at most
 * its number of partitions).  The assignor is Kafka's RangeAssignor, the
 * Java consumer's first default (MSK Connect names it the Kafka Connect
 * default), so 6 partitions over 3 tasks give each task 2 neighbours.
 *
 * The connector's overview: "In synchronous mode, records within a topic and
 * partition are processed sequentially.  Records within different topic
 * partitions, though, can be processed in parallel."  The stand-in's tasks run
 * in parallel, each on its own thread with its own consumer, Invoke API
 * client (one CURL handle) and result producer; within a task one batch is
 * invoked at a time, its partitions served in turn (the connector documents
 * no concurrency inside a task, so none is assumed).  Each partition's
 * records are batched on their own (aws.lambda.batch.size) and a batch is
 * committed only after its results are written, so order within a partition
 * is the log's order and delivery is at-least-once.
 *
 * The group's timing is left at librdkafka's defaults, which are the Java
 * consumer's since Kafka 3.0, and so a Kafka Connect task consumer's unless
 * the worker overrides them (librdkafka's CONFIGURATION.md; Kafka's consumer
 * configuration reference):
 * session.timeout.ms 45000, heartbeat.interval.ms 3000, max.poll.interval.ms
 * 300000.  Heartbeats go from librdkafka's own thread, so a task waiting on a
 * slow invocation keeps its session; only one that does not poll for five
 * minutes leaves the group.
 *
 * What tasks share (connector_shared) is guarded by its lock: the count of
 * committed records (--max-records, each record once however often it is
 * delivered), the order to stop (a task that stops
 * under behavior.on.error=fail "stops the connector completely") and what
 * --idle-exit-ms decides on (the connector's last record or assignment, the
 * tasks that joined and those in a rebalance); the signal
 * flag is a lock-free atomic, which a signal handler may set.  Nothing else is
 * shared: each task has its own librdkafka handles, CURL handle and batches.
 */
#ifndef IRIS_CONNECTOR_TASK_H
#define IRIS_CONNECTOR_TASK_H

#include <pthread.h>
#include <stdatomic.h>

#include "tests/doubles/connector_config.h"

/* Partitions of the topic whose committed position the tasks track together
 * (a higher partition's records all count toward --max-records). */
#define CONNECTOR_TRACKED_PARTITIONS 1024

typedef struct connector_shared {
    pthread_mutex_t lock;
    long records; /* committed by all tasks, each record once */
    /* Per partition: one past the highest offset committed, 0 before the first
     * commit.  A record below it was committed before and is being delivered
     * again (a rebalance moved its partition before its task committed, or a
     * commit failed): at least once, so --max-records does not count it twice. */
    int64_t committed_end[CONNECTOR_TRACKED_PARTITIONS];
    int stop;     /* set once: every task stops at its next batch boundary */
    /* --idle-exit-ms is the connector's, not a task's: it stops once every
     * task joined the group, none is between a revocation and its next
     * assignment, and no task took a record or an assignment for that long.
     * A task alone would stop while records for its partitions are on their
     * way, or while a rebalance it waits on runs. */
    int64_t last_activity; /* monotonic ms of any task's last record or assignment */
    int joined;            /* tasks the group gave an assignment (maybe empty) */
    int rebalancing;       /* tasks whose partitions were revoked, not yet reassigned */
    int idle_stop;         /* set once: the connector was idle for --idle-exit-ms */
    atomic_int *signal; /* the process's SIGINT/SIGTERM flag (set by its handler) */
} connector_shared;

/* What one task did, for the closing summary. */
typedef struct connector_task_stats {
    long records;
    long batches;
    long retries;
    long failed_batches; /* invocations that failed (after any --retries) */
    long results;        /* records written to the result topic */
    long errors_written; /* records written to the error topic */
    long dead_letters;   /* records written to the dead letter queue */
    long pending;        /* consumed, not invoked when the task ended */
} connector_task_stats;

typedef struct connector_task connector_task;

/* Task number id (0-based) of the connector that opt describes, with its own
 * consumer (client.id connector-consumer-${connector}-${id}, as Kafka
 * Connect names a task's consumer), Invoke API client and producer.
 * curl_global_init() must have run.  NULL after printing why to stderr.
 * opt and shared must outlive the task; free with connector_task_free(). */
connector_task *connector_task_new(const struct connector_options *opt, connector_shared *shared,
                                   int id);
/* Closes the consumer (leaving the group) and frees; accepts NULL. */
void connector_task_free(connector_task *t);

/* The task's loop, for pthread_create: returns NULL, and the task's exit
 * status (0 or 1) through connector_task_status(). */
void *connector_task_run(void *task);
int connector_task_status(const connector_task *t);
void connector_task_get_stats(const connector_task *t, connector_task_stats *out);

#endif
