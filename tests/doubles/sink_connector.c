/* sink-connector: a stand-in for the Confluent AWS Lambda Sink connector
 * (synchronous mode), for local runs and tests.
 *
 * Consumes a topic with librdkafka, batches each partition's records
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
 * proceeds; fail stops without committing the batch, so a restart resumes at
 * its first record.  connector_config.h lists each option and the property
 * it models.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>

#include "tests/doubles/connector_batch.h"
#include "tests/doubles/connector_config.h"
#include "tests/doubles/connector_invoke.h"
#include "tests/doubles/connector_output.h"

#define PROG "sink-connector"

struct stats {
    long records;
    long batches;
    long retries;
    long failed_batches; /* invocations that failed (after any --retries) */
};

struct connector {
    struct connector_options *opt;
    struct stats st;
    rd_kafka_t *consumer;
    connector_output out; /* the producer and what it wrote */
    connector_invoker *inv;
    connector_batch **batches; /* one per assigned topic-partition seen */
    size_t n_batches;
    int assigned;          /* partitions currently assigned */
    int64_t last_activity; /* monotonic ms of the last record or assignment */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop_signal)
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

static connector_batch *find_batch(struct connector *cx, const char *topic, int32_t partition,
                                   int create)
{
    for (size_t i = 0; i < cx->n_batches; i++) {
        connector_batch *b = cx->batches[i];
        if (b->partition == partition && strcmp(b->topic, topic) == 0)
            return b;
    }
    if (!create)
        return NULL;
    connector_batch **grown = realloc(cx->batches, (cx->n_batches + 1) * sizeof *grown);
    if (grown == NULL)
        return NULL;
    cx->batches = grown;
    connector_batch *b = connector_batch_new(topic, partition);
    if (b != NULL)
        cx->batches[cx->n_batches++] = b;
    return b;
}

/* Revoked partitions: their unsent records are dropped, not committed, so
 * the partitions' next owner re-reads them. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct connector *cx = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (cx->opt->verbose)
            fprintf(stderr, PROG ": assigned %d partition(s)\n", parts->cnt);
        rd_kafka_assign(rk, parts);
        cx->assigned = parts->cnt;
        cx->last_activity = now_ms();
        return;
    }
    for (int i = 0; i < parts->cnt; i++) {
        connector_batch *b = find_batch(cx, parts->elems[i].topic, parts->elems[i].partition, 0);
        if (b != NULL)
            connector_batch_clear(b);
    }
    rd_kafka_assign(rk, NULL);
    cx->assigned = 0;
}

static int make_clients(struct connector *cx)
{
    const struct connector_options *opt = cx->opt;
    char err[512];
    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    int bad = (opt->brokers && conf_set(cc, "bootstrap.servers", opt->brokers)) ||
              conf_set(cc, "group.id", opt->group) || conf_set(cc, "enable.auto.commit", "false") ||
              conf_set(cc, "auto.offset.reset", "earliest") ||
              conf_set(cc, "fetch.wait.max.ms", "100") || conf_user_props(cc, opt);
    if (bad) {
        rd_kafka_conf_destroy(cc);
        return -1;
    }
    rd_kafka_conf_set_opaque(cc, cx);
    rd_kafka_conf_set_rebalance_cb(cc, on_rebalance);
    cx->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
    if (cx->consumer == NULL) {
        fprintf(stderr, PROG ": cannot create the consumer: %s\n", err);
        return -1;
    }
    rd_kafka_poll_set_consumer(cx->consumer);

    if ((opt->result_topic || opt->error_topic || opt->dlq_topic)) {
        rd_kafka_conf_t *pc = rd_kafka_conf_new();
        bad = (opt->brokers && conf_set(pc, "bootstrap.servers", opt->brokers)) ||
              conf_set(pc, "enable.idempotence", "true") || conf_set(pc, "acks", "all") ||
              conf_set(pc, "linger.ms", "5") || conf_user_props(pc, opt);
        if (bad) {
            rd_kafka_conf_destroy(pc);
            return -1;
        }
        rd_kafka_conf_set_opaque(pc, &cx->out);
        rd_kafka_conf_set_dr_msg_cb(pc, connector_output_on_delivery);
        cx->out.producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
        if (cx->out.producer == NULL) {
            fprintf(stderr, PROG ": cannot create the producer: %s\n", err);
            return -1;
        }
    }

    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, opt->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(cx->consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) {
        fprintf(stderr, PROG ": cannot subscribe to %s: %s\n", opt->topic, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

static int commit_batch(struct connector *cx, const connector_batch *b)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, b->topic, b->partition)->offset =
        connector_batch_last_offset(b) + 1;
    rd_kafka_resp_err_t e = rd_kafka_commit(cx->consumer, l, 0);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        /* Not fatal: the records are re-delivered (at-least-once), never lost. */
        fprintf(stderr, PROG ": warning: committing %s/%d offset %" PRId64 " failed: %s\n",
                b->topic, b->partition, connector_batch_last_offset(b) + 1, rd_kafka_err2str(e));
    }
    return 0;
}

/* The invocation, retried only with --retries (not the connector's
 * behaviour).  0 with *body, or -1 with the error in err. */
static int invoke_batch(struct connector *cx, const connector_batch *b, const connector_payload *pl,
                        char **body, size_t *body_len, char *err, size_t errlen)
{
    const struct connector_options *opt = cx->opt;
    long delay = opt->backoff_ms;
    for (long attempt = 0;; attempt++) {
        if (connector_invoke(cx->inv, pl->json, pl->len, body, body_len, err, errlen) ==
            CONNECTOR_INVOKE_OK)
            return 0;
        if (attempt >= opt->retries || stop_signal)
            return -1;
        cx->st.retries++;
        fprintf(stderr,
                PROG ": invocation for %s/%d offsets %" PRId64 "-%" PRId64 " failed "
                     "(attempt %ld of %ld, --retries): %s; retrying in %ld ms\n",
                b->topic, b->partition, connector_batch_first_offset(b),
                connector_batch_last_offset(b), attempt + 1, opt->retries + 1, err, delay);
        sleep_ms(delay);
        delay = delay * 2 > opt->backoff_max_ms ? opt->backoff_max_ms : delay * 2;
    }
}

/* A failed invocation, as behavior.on.error says: 0 to commit and proceed,
 * -1 to stop without committing. */
static int on_invoke_error(struct connector *cx, const connector_batch *b, connector_payload *pl,
                           const char *err)
{
    int64_t first = connector_batch_first_offset(b), last = connector_batch_last_offset(b);
    enum connector_on_error mode = cx->opt->on_error;
    cx->st.failed_batches++;
    if (mode == CONNECTOR_ON_ERROR_FAIL || stop_signal) {
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
            mode == CONNECTOR_ON_ERROR_LOG && cx->opt->error_topic
                ? "records written to the error topic, proceeding"
                : "proceeding");
    return mode == CONNECTOR_ON_ERROR_LOG ? connector_output_errors(&cx->out, b, pl, err) : 0;
}

/* Convert, invoke, write the results (or handle the failure), commit.
 * Returns 0, or -1 when the connector stops: nothing of the batch is then
 * committed. */
static int process_batch(struct connector *cx, connector_batch *b)
{
    const struct connector_options *opt = cx->opt;
    connector_payload pl;
    char *body = NULL;
    size_t body_len = 0;
    int rc = -1;
    long failed_before = cx->out.delivery_failed;
    if (connector_batch_payload(b, opt->format, opt->converter, &pl) != 0) {
        fprintf(stderr, PROG ": out of memory building the payload of %s/%d\n", b->topic,
                b->partition);
        goto cleanup;
    }
    if (connector_output_dead_letters(&cx->out, b, &pl) != 0)
        goto cleanup;
    char err[512];
    if (pl.n_sent > 0 && invoke_batch(cx, b, &pl, &body, &body_len, err, sizeof err) != 0) {
        if (on_invoke_error(cx, b, &pl, err) != 0)
            goto cleanup;
    } else if (pl.n_sent > 0 && connector_output_results(&cx->out, b, &pl, body, body_len) != 0) {
        goto cleanup;
    }
    if (cx->out.producer != NULL && connector_output_flush(&cx->out, failed_before) != 0) {
        fprintf(stderr,
                PROG ": the output of %s/%d offsets %" PRId64 "-%" PRId64 " was not all "
                     "written; not committing\n",
                b->topic, b->partition, connector_batch_first_offset(b),
                connector_batch_last_offset(b));
        goto cleanup;
    }
    commit_batch(cx, b);
    cx->st.records += (long)b->n;
    cx->st.batches++;
    if (opt->verbose)
        fprintf(stderr, PROG ": %s/%d offsets %" PRId64 "-%" PRId64 ": %zu records committed\n",
                b->topic, b->partition, connector_batch_first_offset(b),
                connector_batch_last_offset(b), b->n);
    connector_batch_clear(b);
    rc = 0;
cleanup:
    connector_payload_free(&pl);
    free(body);
    return rc;
}

/* Batches that are full, or whose first record waited long enough (all of
 * them when flush_all). */
static int process_due(struct connector *cx, int flush_all)
{
    int64_t now = now_ms();
    for (size_t i = 0; i < cx->n_batches; i++) {
        connector_batch *b = cx->batches[i];
        int due = b->n > 0 && (flush_all || (long)b->n >= cx->opt->batch_size ||
                               now - b->started_ms >= cx->opt->batch_wait_ms);
        if (due && process_batch(cx, b) != 0)
            return -1;
    }
    return 0;
}

static long pending_records(const struct connector *cx)
{
    long n = 0;
    for (size_t i = 0; i < cx->n_batches; i++)
        n += (long)cx->batches[i]->n;
    return n;
}

static void print_progress(const struct connector *cx, const char *label)
{
    fprintf(stderr,
            PROG ": %s records=%ld batches=%ld retries=%ld results=%ld pending=%ld "
                 "failed_batches=%ld errors=%ld dead_letters=%ld\n",
            label, cx->st.records, cx->st.batches, cx->st.retries, cx->out.results,
            pending_records(cx), cx->st.failed_batches, cx->out.errors_written,
            cx->out.dead_letters);
}

/* Adds a consumed record to its partition's batch (or reports its error). */
static int take_message(struct connector *cx, rd_kafka_message_t *m)
{
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fprintf(stderr, PROG ": consumer: %s\n", rd_kafka_message_errstr(m));
        int fatal = m->err == RD_KAFKA_RESP_ERR__FATAL;
        rd_kafka_message_destroy(m);
        return fatal ? -1 : 0;
    }
    connector_batch *b = find_batch(cx, rd_kafka_topic_name(m->rkt), m->partition, 1);
    if (b == NULL || connector_batch_add(b, m, now_ms()) != 0) {
        fprintf(stderr, PROG ": out of memory\n");
        rd_kafka_message_destroy(m);
        return -1;
    }
    return 0;
}

static int run(struct connector *cx)
{
    const struct connector_options *opt = cx->opt;
    int64_t last_progress = now_ms();
    while (!stop_signal) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(cx->consumer, 50);
        if (m != NULL) {
            if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
                cx->last_activity = now_ms();
            if (take_message(cx, m) != 0)
                return 1;
        }
        int64_t now = now_ms();
        /* Idle time counts from the assignment: joining the group takes a while. */
        int idle = opt->idle_exit_ms > 0 && cx->assigned > 0 &&
                   now - cx->last_activity >= opt->idle_exit_ms;
        if (process_due(cx, idle) != 0)
            return stop_signal ? 0 : 1; /* stopped mid-retry: uncommitted, not an error */
        if (cx->out.producer != NULL)
            rd_kafka_poll(cx->out.producer, 0);
        if (opt->progress_ms > 0 && now - last_progress >= opt->progress_ms) {
            print_progress(cx, "progress");
            last_progress = now;
        }
        if (opt->max_records > 0 && cx->st.records >= opt->max_records)
            break;
        if (idle && pending_records(cx) == 0)
            break;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct connector_options opt;
    int prc = connector_options_parse(argc, argv, &opt);
    if (prc != 0)
        return prc > 0 ? 0 : 2;

    struct connector cx = {.opt = &opt, .out = {.opt = &opt}};
    int status = 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, PROG ": curl_global_init failed\n");
        return 1;
    }
    char err[512];
    cx.inv = connector_invoker_new(opt.url, opt.function, 5000, opt.timeout_ms, err, sizeof err);
    if (cx.inv == NULL) {
        fprintf(stderr, PROG ": %s\n", err);
        goto cleanup;
    }
    if (make_clients(&cx) != 0)
        goto cleanup;
    int64_t t0 = now_ms();
    status = run(&cx);
    if (stop_signal && pending_records(&cx) > 0)
        fprintf(stderr,
                PROG ": stopping: %ld consumed record(s) not yet invoked stay uncommitted\n",
                pending_records(&cx));
    fprintf(stderr,
            PROG ": done: %ld records in %ld batches, %ld retries, %ld results written, "
                 "%ld failed batches (%ld records to the error topic), %ld dead letters, "
                 "%.1f s\n",
            cx.st.records, cx.st.batches, cx.st.retries, cx.out.results, cx.st.failed_batches,
            cx.out.errors_written, cx.out.dead_letters, (double)(now_ms() - t0) / 1000.0);
cleanup:
    if (cx.consumer != NULL) {
        rd_kafka_consumer_close(cx.consumer);
        rd_kafka_destroy(cx.consumer);
    }
    if (cx.out.producer != NULL) {
        rd_kafka_flush(cx.out.producer, 10000);
        rd_kafka_destroy(cx.out.producer);
    }
    for (size_t i = 0; i < cx.n_batches; i++)
        connector_batch_free(cx.batches[i]);
    free(cx.batches);
    connector_invoker_free(cx.inv);
    curl_global_cleanup();
    return status;
}
