/* connector_task.c: one task of the connector stand-in (connector_task.h):
 * consume the partitions the group gives it, batch each partition, invoke,
 * write the results, commit. */
#include "tests/doubles/connector_task.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "tests/doubles/connector_batch.h"
#include "tests/doubles/connector_invoke.h"
#include "tests/doubles/connector_output.h"

#define PROG "sink-connector"

struct connector_task {
    int id;
    const struct connector_options *opt;
    connector_shared *shared;
    connector_task_stats st;
    rd_kafka_t *consumer;
    connector_output out; /* the producer and what it wrote */
    connector_invoker *inv;
    connector_batch **batches; /* one per assigned topic-partition seen */
    size_t n_batches;
    int assigned;          /* partitions currently assigned */
    int joined;            /* the group gave this task an assignment (maybe empty) */
    int revoked;           /* partitions revoked, the next assignment not yet given */
    int status;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Stop for a signal, or because another task stopped the connector. */
static int stopping(connector_task *t)
{
    if (atomic_load(t->shared->signal))
        return 1;
    pthread_mutex_lock(&t->shared->lock);
    int stop = t->shared->stop;
    pthread_mutex_unlock(&t->shared->lock);
    return stop;
}

/* A record taken or an assignment given: the connector is not idle. */
static void note_activity(connector_task *t)
{
    pthread_mutex_lock(&t->shared->lock);
    t->shared->last_activity = now_ms();
    pthread_mutex_unlock(&t->shared->lock);
}

/* 1 once the connector has been idle for --idle-exit-ms (connector_shared
 * says when); then every task flushes what it holds and ends. */
static int connector_idle(connector_task *t)
{
    if (t->opt->idle_exit_ms <= 0)
        return 0;
    pthread_mutex_lock(&t->shared->lock);
    connector_shared *s = t->shared;
    if (!s->idle_stop && s->joined == (int)t->opt->tasks_max && s->rebalancing == 0 &&
        now_ms() - s->last_activity >= t->opt->idle_exit_ms)
        s->idle_stop = 1;
    int idle = s->idle_stop;
    pthread_mutex_unlock(&t->shared->lock);
    return idle;
}

static void stop_all(connector_task *t)
{
    pthread_mutex_lock(&t->shared->lock);
    t->shared->stop = 1;
    pthread_mutex_unlock(&t->shared->lock);
}

/* Counts a committed batch's records toward --max-records, those delivered
 * again (below the partition's committed end) not a second time; 1 once all
 * tasks together reached --max-records. */
static int count_committed(connector_task *t, const connector_batch *b)
{
    pthread_mutex_lock(&t->shared->lock);
    long n = (long)b->n;
    if (b->partition >= 0 && b->partition < CONNECTOR_TRACKED_PARTITIONS) {
        int64_t *end = &t->shared->committed_end[b->partition];
        n = 0;
        for (size_t i = 0; i < b->n; i++)
            n += b->msgs[i]->offset >= *end;
        if (connector_batch_last_offset(b) + 1 > *end)
            *end = connector_batch_last_offset(b) + 1;
    }
    t->shared->records += n;
    int reached = t->opt->max_records > 0 && t->shared->records >= t->opt->max_records;
    if (reached)
        t->shared->stop = 1;
    pthread_mutex_unlock(&t->shared->lock);
    return reached;
}

static void sleep_ms(connector_task *t, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stopping(t))
        ;
}

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value)
{
    char err[512];
    if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, PROG ": property %s: %s\n", key, err);
        return -1;
    }
    return 0;
}

/* Applies the -X properties after the defaults, so they win. */
static int conf_user_props(rd_kafka_conf_t *conf, const struct connector_options *opt)
{
    for (int i = 0; i < opt->n_props; i++) {
        char key[256];
        const char *eq = strchr(opt->props[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - opt->props[i]), opt->props[i]);
        if (conf_set(conf, key, eq + 1) != 0)
            return -1;
    }
    return 0;
}

static connector_batch *find_batch(connector_task *t, const char *topic, int32_t partition,
                                   int create)
{
    for (size_t i = 0; i < t->n_batches; i++) {
        connector_batch *b = t->batches[i];
        if (b->partition == partition && strcmp(b->topic, topic) == 0)
            return b;
    }
    if (!create)
        return NULL;
    connector_batch **grown = realloc(t->batches, (t->n_batches + 1) * sizeof *grown);
    if (grown == NULL)
        return NULL;
    t->batches = grown;
    connector_batch *b = connector_batch_new(topic, partition);
    if (b != NULL)
        t->batches[t->n_batches++] = b;
    return b;
}

/* One line naming the partitions, e.g. "iris/0,iris/1" (one write). */
static void print_assignment(const connector_task *t, const rd_kafka_topic_partition_list_t *parts)
{
    char list[1024] = "";
    size_t n = 0;
    for (int i = 0; i < parts->cnt && n < sizeof list - 1; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s/%d", i ? "," : "",
                              parts->elems[i].topic, (int)parts->elems[i].partition);
    fprintf(stderr, PROG ": task %d: assigned %d partition(s): %s\n", t->id, parts->cnt, list);
}

/* Revoked partitions: their unsent records are dropped, not committed, so
 * the partitions' next owner re-reads them. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    connector_task *t = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (t->opt->verbose)
            print_assignment(t, parts);
        rd_kafka_assign(rk, parts);
        t->assigned = parts->cnt;
        pthread_mutex_lock(&t->shared->lock);
        t->shared->joined += !t->joined;
        t->shared->rebalancing -= t->revoked;
        t->shared->last_activity = now_ms();
        pthread_mutex_unlock(&t->shared->lock);
        t->joined = 1;
        t->revoked = 0;
        return;
    }
    pthread_mutex_lock(&t->shared->lock);
    t->shared->rebalancing += !t->revoked;
    t->shared->last_activity = now_ms();
    pthread_mutex_unlock(&t->shared->lock);
    t->revoked = 1;
    for (int i = 0; i < parts->cnt; i++) {
        connector_batch *b = find_batch(t, parts->elems[i].topic, parts->elems[i].partition, 0);
        if (b != NULL)
            connector_batch_clear(b);
    }
    rd_kafka_assign(rk, NULL);
    t->assigned = 0;
}

static rd_kafka_t *make_consumer(connector_task *t)
{
    const struct connector_options *opt = t->opt;
    char err[512], client_id[300];
    snprintf(client_id, sizeof client_id, "connector-consumer-%s-%d", opt->name, t->id);
    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    /* range: the assignor Kafka Connect's consumers use by default (see the header). */
    int bad = (opt->brokers && conf_set(cc, "bootstrap.servers", opt->brokers)) ||
              conf_set(cc, "group.id", opt->group) || conf_set(cc, "client.id", client_id) ||
              conf_set(cc, "partition.assignment.strategy", "range") ||
              conf_set(cc, "enable.auto.commit", "false") ||
              conf_set(cc, "auto.offset.reset", "earliest") ||
              conf_set(cc, "fetch.wait.max.ms", "100") || conf_user_props(cc, opt);
    if (bad) {
        rd_kafka_conf_destroy(cc);
        return NULL;
    }
    rd_kafka_conf_set_opaque(cc, t);
    rd_kafka_conf_set_rebalance_cb(cc, on_rebalance);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
    if (rk == NULL)
        fprintf(stderr, PROG ": cannot create the consumer: %s\n", err);
    return rk;
}

static rd_kafka_t *make_producer(connector_task *t)
{
    const struct connector_options *opt = t->opt;
    char err[512];
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    int bad = (opt->brokers && conf_set(pc, "bootstrap.servers", opt->brokers)) ||
              conf_set(pc, "enable.idempotence", "true") || conf_set(pc, "acks", "all") ||
              conf_set(pc, "linger.ms", "5") || conf_user_props(pc, opt);
    if (bad) {
        rd_kafka_conf_destroy(pc);
        return NULL;
    }
    rd_kafka_conf_set_opaque(pc, &t->out);
    rd_kafka_conf_set_dr_msg_cb(pc, connector_output_on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
    if (rk == NULL)
        fprintf(stderr, PROG ": cannot create the producer: %s\n", err);
    return rk;
}

static int subscribe(connector_task *t)
{
    rd_kafka_poll_set_consumer(t->consumer);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, t->opt->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(t->consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) {
        fprintf(stderr, PROG ": cannot subscribe to %s: %s\n", t->opt->topic, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

connector_task *connector_task_new(const struct connector_options *opt, connector_shared *shared,
                                   int id)
{
    connector_task *t = calloc(1, sizeof *t), *result = NULL;
    if (t == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        return NULL;
    }
    t->id = id;
    t->opt = opt;
    t->shared = shared;
    t->out.opt = opt;
    t->status = 1;
    char err[512];
    t->inv = connector_invoker_new(opt->url, opt->function, 5000, opt->timeout_ms, err, sizeof err);
    if (t->inv == NULL) {
        fprintf(stderr, PROG ": %s\n", err);
        goto cleanup;
    }
    t->consumer = make_consumer(t);
    if (t->consumer == NULL)
        goto cleanup;
    if (opt->result_topic || opt->error_topic || opt->dlq_topic) {
        t->out.producer = make_producer(t);
        if (t->out.producer == NULL)
            goto cleanup;
    }
    if (subscribe(t) != 0)
        goto cleanup;
    result = t;
    t = NULL;
cleanup:
    connector_task_free(t);
    return result;
}

void connector_task_free(connector_task *t)
{
    if (t == NULL)
        return;
    if (t->consumer != NULL) {
        rd_kafka_consumer_close(t->consumer);
        rd_kafka_destroy(t->consumer);
    }
    if (t->out.producer != NULL) {
        rd_kafka_flush(t->out.producer, 10000);
        rd_kafka_destroy(t->out.producer);
    }
    for (size_t i = 0; i < t->n_batches; i++)
        connector_batch_free(t->batches[i]);
    free(t->batches);
    connector_invoker_free(t->inv);
    free(t);
}

static void commit_batch(connector_task *t, const connector_batch *b)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, b->topic, b->partition)->offset =
        connector_batch_last_offset(b) + 1;
    rd_kafka_resp_err_t e = rd_kafka_commit(t->consumer, l, 0);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        /* Not fatal: the records are re-delivered (at-least-once), never lost. */
        fprintf(stderr, PROG ": warning: committing %s/%d offset %" PRId64 " failed: %s\n",
                b->topic, b->partition, connector_batch_last_offset(b) + 1, rd_kafka_err2str(e));
    }
}

/* The invocation, retried only with --retries (not the connector's
 * behaviour).  0 with *body, or -1 with the error in err. */
static int invoke_batch(connector_task *t, const connector_batch *b, const connector_payload *pl,
                        char **body, size_t *body_len, char *err, size_t errlen)
{
    const struct connector_options *opt = t->opt;
    long delay = opt->backoff_ms;
    for (long attempt = 0;; attempt++) {
        if (connector_invoke(t->inv, pl->json, pl->len, body, body_len, err, errlen) ==
            CONNECTOR_INVOKE_OK)
            return 0;
        if (attempt >= opt->retries || stopping(t))
            return -1;
        t->st.retries++;
        fprintf(stderr,
                PROG ": invocation for %s/%d offsets %" PRId64 "-%" PRId64 " failed "
                     "(attempt %ld of %ld, --retries): %s; retrying in %ld ms\n",
                b->topic, b->partition, connector_batch_first_offset(b),
                connector_batch_last_offset(b), attempt + 1, opt->retries + 1, err, delay);
        sleep_ms(t, delay);
        delay = delay * 2 > opt->backoff_max_ms ? opt->backoff_max_ms : delay * 2;
    }
}

/* A failed invocation, as behavior.on.error says: 0 to commit and proceed,
 * -1 to stop without committing (fail stops the whole connector). */
static int on_invoke_error(connector_task *t, const connector_batch *b, connector_payload *pl,
                           const char *err)
{
    int64_t first = connector_batch_first_offset(b), last = connector_batch_last_offset(b);
    enum connector_on_error mode = t->opt->on_error;
    t->st.failed_batches++;
    if (mode == CONNECTOR_ON_ERROR_FAIL || atomic_load(t->shared->signal)) {
        if (mode == CONNECTOR_ON_ERROR_FAIL)
            stop_all(t);
        fprintf(stderr,
                PROG ": stopping (behavior.on.error=%s): %s/%d offsets %" PRId64 "-%" PRId64
                     " failed: %s; its offsets are not committed (a restart resumes at offset "
                     "%" PRId64 ")\n",
                connector_on_error_name(mode), b->topic, b->partition, first, last, err, first);
        return -1;
    }
    fprintf(stderr,
            PROG ": %s/%d offsets %" PRId64 "-%" PRId64 " failed: %s; behavior.on.error=%s: %s\n",
            b->topic, b->partition, first, last, err, connector_on_error_name(mode),
            mode == CONNECTOR_ON_ERROR_LOG && t->opt->error_topic
                ? "records written to the error topic, proceeding"
                : "proceeding");
    return mode == CONNECTOR_ON_ERROR_LOG ? connector_output_errors(&t->out, b, pl, err) : 0;
}

/* Convert, invoke, write the results (or handle the failure), commit.
 * Returns 0, or -1 when the connector stops: nothing of the batch is then
 * committed. */
static int process_batch(connector_task *t, connector_batch *b)
{
    const struct connector_options *opt = t->opt;
    connector_payload pl;
    char *body = NULL;
    size_t body_len = 0;
    int rc = -1;
    long failed_before = t->out.delivery_failed;
    if (connector_batch_payload(b, opt->format, opt->converter, &pl) != 0) {
        fprintf(stderr, PROG ": out of memory building the payload of %s/%d\n", b->topic,
                b->partition);
        goto cleanup;
    }
    if (connector_output_dead_letters(&t->out, b, &pl) != 0)
        goto cleanup;
    char err[512];
    if (pl.n_sent > 0 && invoke_batch(t, b, &pl, &body, &body_len, err, sizeof err) != 0) {
        if (on_invoke_error(t, b, &pl, err) != 0)
            goto cleanup;
    } else if (pl.n_sent > 0 && connector_output_results(&t->out, b, &pl, body, body_len) != 0) {
        goto cleanup;
    }
    if (t->out.producer != NULL && connector_output_flush(&t->out, failed_before) != 0) {
        fprintf(stderr,
                PROG ": the output of %s/%d offsets %" PRId64 "-%" PRId64 " was not all "
                     "written; not committing\n",
                b->topic, b->partition, connector_batch_first_offset(b),
                connector_batch_last_offset(b));
        goto cleanup;
    }
    commit_batch(t, b);
    t->st.records += (long)b->n;
    t->st.batches++;
    if (opt->verbose)
        fprintf(stderr,
                PROG ": task %d: %s/%d offsets %" PRId64 "-%" PRId64 ": %zu records committed\n",
                t->id, b->topic, b->partition, connector_batch_first_offset(b),
                connector_batch_last_offset(b), b->n);
    count_committed(t, b);
    connector_batch_clear(b);
    rc = 0;
cleanup:
    connector_payload_free(&pl);
    free(body);
    return rc;
}

/* Batches that are full, or whose first record waited long enough (all of
 * them when flush_all); stops early when the connector stops. */
static int process_due(connector_task *t, int flush_all)
{
    for (size_t i = 0; i < t->n_batches && !stopping(t); i++) {
        connector_batch *b = t->batches[i];
        int due = b->n > 0 && (flush_all || (long)b->n >= t->opt->batch_size ||
                               now_ms() - b->started_ms >= t->opt->batch_wait_ms);
        if (due && process_batch(t, b) != 0)
            return -1;
    }
    return 0;
}

static long pending_records(const connector_task *t)
{
    long n = 0;
    for (size_t i = 0; i < t->n_batches; i++)
        n += (long)t->batches[i]->n;
    return n;
}

static void print_progress(const connector_task *t, const char *label)
{
    fprintf(stderr,
            PROG ": task %d: %s records=%ld batches=%ld retries=%ld results=%ld pending=%ld "
                 "failed_batches=%ld errors=%ld dead_letters=%ld\n",
            t->id, label, t->st.records, t->st.batches, t->st.retries, t->out.results,
            pending_records(t), t->st.failed_batches, t->out.errors_written, t->out.dead_letters);
}

/* Adds a consumed record to its partition's batch (or reports its error). */
static int take_message(connector_task *t, rd_kafka_message_t *m)
{
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fprintf(stderr, PROG ": consumer: %s\n", rd_kafka_message_errstr(m));
        int fatal = m->err == RD_KAFKA_RESP_ERR__FATAL;
        rd_kafka_message_destroy(m);
        return fatal ? -1 : 0;
    }
    note_activity(t);
    connector_batch *b = find_batch(t, rd_kafka_topic_name(m->rkt), m->partition, 1);
    if (b == NULL || connector_batch_add(b, m, now_ms()) != 0) {
        fprintf(stderr, PROG ": out of memory\n");
        rd_kafka_message_destroy(m);
        return -1;
    }
    return 0;
}

/* The poll loop: 0 when stopped or done, 1 when the connector fails. */
static int run_loop(connector_task *t)
{
    const struct connector_options *opt = t->opt;
    int64_t last_progress = now_ms();
    while (!stopping(t)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(t->consumer, 50);
        if (m != NULL && take_message(t, m) != 0) {
            stop_all(t);
            return 1;
        }
        int64_t now = now_ms();
        int idle = connector_idle(t);
        if (process_due(t, idle) != 0) {
            if (atomic_load(t->shared->signal))
                return 0; /* stopped mid-retry: uncommitted, not an error */
            stop_all(t);
            return 1;
        }
        if (t->out.producer != NULL)
            rd_kafka_poll(t->out.producer, 0);
        if (opt->progress_ms > 0 && now - last_progress >= opt->progress_ms) {
            print_progress(t, "progress");
            last_progress = now;
        }
        if (idle && pending_records(t) == 0)
            break;
    }
    return 0;
}

void *connector_task_run(void *task)
{
    connector_task *t = task;
    t->status = run_loop(t);
    t->st.pending = pending_records(t);
    return NULL;
}

int connector_task_status(const connector_task *t)
{
    return t->status;
}

void connector_task_get_stats(const connector_task *t, connector_task_stats *out)
{
    *out = t->st;
    out->results = t->out.results;
    out->errors_written = t->out.errors_written;
    out->dead_letters = t->out.dead_letters;
}
