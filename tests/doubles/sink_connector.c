/* sink-connector: a stand-in for the Confluent AWS Lambda Sink connector
 * (synchronous mode), for local runs and tests.
 *
 * Consumes a topic with librdkafka, batches each partition's records
 * (--batch-size, default 20, like aws.lambda.batch.size) into the connector's
 * payload, invokes the function through the Invoke API, writes each element
 * of the response to the success topic, and only then commits the batch's
 * offsets (at-least-once).  A failing invocation (function error or HTTP or
 * connection error) is retried with exponential backoff; if it keeps failing
 * the program exits non-zero without committing past it, so a restart resumes
 * at the first record of that batch and no record is lost.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>

#include "tests/doubles/connector_batch.h"
#include "tests/doubles/connector_invoke.h"

#define PROG "sink-connector"
#define MAX_PROPS 64

struct options {
    const char *brokers;
    const char *topic;
    const char *group;
    const char *url;
    const char *function;
    const char *success_topic; /* NULL: do not write results */
    long batch_size;
    long batch_wait_ms;
    long retries;
    long backoff_ms;
    long backoff_max_ms;
    long timeout_ms;
    long max_records;
    long idle_exit_ms;
    long progress_ms;
    const char *props[MAX_PROPS]; /* "key=value" */
    int n_props;
    int verbose;
};

struct stats {
    long records;
    long batches;
    long retries;
    long results;
    long delivery_failed;
};

struct connector {
    struct options *opt;
    struct stats st;
    rd_kafka_t *consumer;
    rd_kafka_t *producer;
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

static void usage(FILE *f)
{
    fprintf(f, "Usage: " PROG " -b BROKERS -u URL [options]\n"
               "\n"
               "A stand-in for the Confluent AWS Lambda Sink connector (sync mode): consumes\n"
               "TOPIC, invokes the function with batches in the connector's payload format\n"
               "through the Invoke API (POST URL/2015-03-31/functions/NAME/invocations),\n"
               "writes each element of the response to the success topic, and commits\n"
               "offsets only after a successful invocation (at-least-once).\n"
               "\n"
               "  -b, --brokers LIST        Kafka bootstrap servers (HOST:PORT,...)\n"
               "  -u, --url URL             Invoke API base URL, e.g. http://127.0.0.1:9001\n"
               "  -f, --function NAME       function name in the path (default: function)\n"
               "  -t, --topic TOPIC         topic to consume (default: iris)\n"
               "  -g, --group ID            consumer group (default: iris-lambda-sink)\n"
               "  -s, --success-topic T     where results go (default: iris-classified;\n"
               "                            '-' writes none)\n"
               "      --batch-size N        records per invocation (default: 20)\n"
               "      --batch-wait-ms MS    longest a partial batch waits (default: 500)\n"
               "      --retries N           retries of a failing invocation (default: 8)\n"
               "      --backoff-ms MS       first retry delay, doubled each time (default: 100)\n"
               "      --backoff-max-ms MS   longest retry delay (default: 5000)\n"
               "      --timeout-ms MS       invocation timeout (default: 50000, the\n"
               "                            connector's socket timeout)\n"
               "      --max-records N       exit 0 once N records are committed\n"
               "      --idle-exit-ms MS     exit 0 after MS without a new record (counted\n"
               "                            from the partition assignment)\n"
               "      --progress-ms MS      print a progress line every MS (stderr)\n"
               "  -X KEY=VALUE              librdkafka property for both clients (repeatable)\n"
               "  -v, --verbose             one line per batch\n"
               "  -h, --help                this help\n"
               "\n"
               "Exit status: 0 after SIGINT/SIGTERM, --max-records or --idle-exit-ms; 1 when\n"
               "an invocation still fails after the retries (its offsets are not committed);\n"
               "2 on a usage error.\n");
}

static int parse_long(const char *name, const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        fprintf(stderr, PROG ": %s: '%s' is not a number from %ld to %ld\n", name, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Fills opt from argv; returns 0, 1 for --help, or -1 on a usage error. */
static int parse_options(int argc, char **argv, struct options *opt)
{
    enum {
        O_BATCH = 256,
        O_WAIT,
        O_RETRIES,
        O_BACKOFF,
        O_BACKOFF_MAX,
        O_TIMEOUT,
        O_MAX,
        O_IDLE,
        O_PROGRESS
    };
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"url", required_argument, NULL, 'u'},
        {"function", required_argument, NULL, 'f'},
        {"topic", required_argument, NULL, 't'},
        {"group", required_argument, NULL, 'g'},
        {"success-topic", required_argument, NULL, 's'},
        {"batch-size", required_argument, NULL, O_BATCH},
        {"batch-wait-ms", required_argument, NULL, O_WAIT},
        {"retries", required_argument, NULL, O_RETRIES},
        {"backoff-ms", required_argument, NULL, O_BACKOFF},
        {"backoff-max-ms", required_argument, NULL, O_BACKOFF_MAX},
        {"timeout-ms", required_argument, NULL, O_TIMEOUT},
        {"max-records", required_argument, NULL, O_MAX},
        {"idle-exit-ms", required_argument, NULL, O_IDLE},
        {"progress-ms", required_argument, NULL, O_PROGRESS},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *opt = (struct options){.topic = "iris",
                            .group = "iris-lambda-sink",
                            .function = "function",
                            .success_topic = "iris-classified",
                            .batch_size = 20,
                            .batch_wait_ms = 500,
                            .retries = 8,
                            .backoff_ms = 100,
                            .backoff_max_ms = 5000,
                            .timeout_ms = 50000};
    int c;
    while ((c = getopt_long(argc, argv, "b:u:f:t:g:s:X:vh", longopts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'b':
            opt->brokers = optarg;
            break;
        case 'u':
            opt->url = optarg;
            break;
        case 'f':
            opt->function = optarg;
            break;
        case 't':
            opt->topic = optarg;
            break;
        case 'g':
            opt->group = optarg;
            break;
        case 's':
            opt->success_topic = strcmp(optarg, "-") == 0 ? NULL : optarg;
            break;
        case O_BATCH:
            rc = parse_long("--batch-size", optarg, 1, 100000, &opt->batch_size);
            break;
        case O_WAIT:
            rc = parse_long("--batch-wait-ms", optarg, 0, 3600000, &opt->batch_wait_ms);
            break;
        case O_RETRIES:
            rc = parse_long("--retries", optarg, 0, 1000000, &opt->retries);
            break;
        case O_BACKOFF:
            rc = parse_long("--backoff-ms", optarg, 0, 3600000, &opt->backoff_ms);
            break;
        case O_BACKOFF_MAX:
            rc = parse_long("--backoff-max-ms", optarg, 0, 3600000, &opt->backoff_max_ms);
            break;
        case O_TIMEOUT:
            rc = parse_long("--timeout-ms", optarg, 1, 900000, &opt->timeout_ms);
            break;
        case O_MAX:
            rc = parse_long("--max-records", optarg, 1, LONG_MAX, &opt->max_records);
            break;
        case O_IDLE:
            rc = parse_long("--idle-exit-ms", optarg, 1, LONG_MAX, &opt->idle_exit_ms);
            break;
        case O_PROGRESS:
            rc = parse_long("--progress-ms", optarg, 1, LONG_MAX, &opt->progress_ms);
            break;
        case 'X':
            if (strchr(optarg, '=') == NULL) {
                fprintf(stderr, PROG ": -X %s: expected KEY=VALUE\n", optarg);
                return -1;
            }
            if (opt->n_props == MAX_PROPS) {
                fprintf(stderr, PROG ": too many -X options (at most %d)\n", MAX_PROPS);
                return -1;
            }
            opt->props[opt->n_props++] = optarg;
            break;
        case 'v':
            opt->verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            fprintf(stderr, "Try '" PROG " --help'.\n");
            return -1;
        }
        if (rc != 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument '%s'; try '" PROG " --help'\n", argv[optind]);
        return -1;
    }
    int has_bootstrap = opt->brokers != NULL;
    for (int i = 0; i < opt->n_props; i++)
        has_bootstrap |= strncmp(opt->props[i], "bootstrap.servers=", 18) == 0;
    if (!has_bootstrap) {
        fprintf(stderr, PROG ": no brokers: pass -b HOST:PORT (or -X bootstrap.servers=...)\n");
        return -1;
    }
    if (opt->url == NULL) {
        fprintf(stderr, PROG ": no function endpoint: pass -u http://HOST:PORT (the Invoke API, "
                             "e.g. the Runtime Interface Emulator or sam local start-lambda)\n");
        return -1;
    }
    return 0;
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
static int conf_user_props(rd_kafka_conf_t *conf, const struct options *opt)
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

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct connector *cx = opaque;
    if (m->err) {
        cx->st.delivery_failed++;
        fprintf(stderr, PROG ": writing a result to %s failed: %s\n", rd_kafka_topic_name(m->rkt),
                rd_kafka_err2str(m->err));
    }
}

static int make_clients(struct connector *cx)
{
    const struct options *opt = cx->opt;
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

    if (opt->success_topic != NULL) {
        rd_kafka_conf_t *pc = rd_kafka_conf_new();
        bad = (opt->brokers && conf_set(pc, "bootstrap.servers", opt->brokers)) ||
              conf_set(pc, "enable.idempotence", "true") || conf_set(pc, "acks", "all") ||
              conf_set(pc, "linger.ms", "5") || conf_user_props(pc, opt);
        if (bad) {
            rd_kafka_conf_destroy(pc);
            return -1;
        }
        rd_kafka_conf_set_opaque(pc, cx);
        rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
        cx->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
        if (cx->producer == NULL) {
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

/* Writes one result, waiting for queue space rather than dropping it. */
static int produce_result(struct connector *cx, const char *json, const rd_kafka_message_t *src)
{
    for (;;) {
        rd_kafka_resp_err_t e =
            rd_kafka_producev(cx->producer, RD_KAFKA_V_TOPIC(cx->opt->success_topic),
                              RD_KAFKA_V_VALUE((void *)json, strlen(json)),
                              RD_KAFKA_V_KEY(src ? src->key : NULL, src ? src->key_len : 0),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            return 0;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, PROG ": cannot write to %s: %s\n", cx->opt->success_topic,
                    rd_kafka_err2str(e));
            return -1;
        }
        rd_kafka_poll(cx->producer, 100);
    }
}

/* Each element of the response array to the success topic (the whole body
 * if it is not an array), then waits until all are acknowledged. */
static int write_results(struct connector *cx, const connector_batch *b, const char *body,
                         size_t len)
{
    if (cx->producer == NULL)
        return 0;
    int rc = -1;
    long failed_before = cx->st.delivery_failed;
    cJSON *resp = cJSON_ParseWithLength(body, len);
    if (cJSON_IsArray(resp)) {
        int n = cJSON_GetArraySize(resp);
        if ((size_t)n != b->n)
            fprintf(stderr,
                    PROG ": warning: %s/%d %" PRId64 "-%" PRId64 ": %zu records sent, %d "
                         "results returned\n",
                    b->topic, b->partition, connector_batch_first_offset(b),
                    connector_batch_last_offset(b), b->n, n);
        int i = 0;
        for (cJSON *e = resp->child; e != NULL; e = e->next, i++) {
            char *s = cJSON_PrintUnformatted(e);
            int prc = s ? produce_result(cx, s, (size_t)i < b->n ? b->msgs[i] : NULL) : -1;
            free(s);
            if (prc != 0)
                goto cleanup;
            cx->st.results++;
        }
    } else {
        fprintf(stderr,
                PROG ": warning: %s/%d: the response is not a JSON array; writing it "
                     "as one record\n",
                b->topic, b->partition);
        char *copy = strndup(body, len);
        int prc = copy ? produce_result(cx, copy, NULL) : -1;
        free(copy);
        if (prc != 0)
            goto cleanup;
        cx->st.results++;
    }
    rd_kafka_resp_err_t e = rd_kafka_flush(cx->producer, 30000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, PROG ": results not acknowledged within 30 s: %s\n", rd_kafka_err2str(e));
        goto cleanup;
    }
    rc = cx->st.delivery_failed == failed_before ? 0 : -1;
cleanup:
    cJSON_Delete(resp);
    return rc;
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

/* Invoke (with retries), write the results, commit.  Returns 0, or -1 when the
 * batch could not be processed: then nothing of it has been committed. */
static int process_batch(struct connector *cx, connector_batch *b)
{
    const struct options *opt = cx->opt;
    int64_t first = connector_batch_first_offset(b), last = connector_batch_last_offset(b);
    size_t len = 0;
    char *payload = connector_batch_payload(b, &len);
    char *body = NULL;
    size_t body_len = 0;
    int rc = -1;
    if (payload == NULL) {
        fprintf(stderr, PROG ": out of memory building the payload of %s/%d\n", b->topic,
                b->partition);
        goto cleanup;
    }
    long delay = opt->backoff_ms;
    for (long attempt = 0;; attempt++) {
        char err[512];
        int r = connector_invoke(cx->inv, payload, len, &body, &body_len, err, sizeof err);
        if (r == CONNECTOR_INVOKE_OK)
            break;
        if (attempt >= opt->retries || stop_signal) {
            fprintf(stderr,
                    PROG ": giving up on %s/%d offsets %" PRId64 "-%" PRId64 " after %ld "
                         "attempt(s): %s; its offsets are not committed (a restart resumes "
                         "at offset %" PRId64 ")\n",
                    b->topic, b->partition, first, last, attempt + 1, err, first);
            goto cleanup;
        }
        cx->st.retries++;
        fprintf(stderr,
                PROG ": invocation for %s/%d offsets %" PRId64 "-%" PRId64 " failed "
                     "(attempt %ld of %ld): %s; retrying in %ld ms\n",
                b->topic, b->partition, first, last, attempt + 1, opt->retries + 1, err, delay);
        sleep_ms(delay);
        delay = delay * 2 > opt->backoff_max_ms ? opt->backoff_max_ms : delay * 2;
    }
    if (write_results(cx, b, body, body_len) != 0) {
        fprintf(stderr,
                PROG ": the results of %s/%d offsets %" PRId64 "-%" PRId64 " were not all "
                     "written to %s; not committing\n",
                b->topic, b->partition, first, last, opt->success_topic);
        goto cleanup;
    }
    commit_batch(cx, b);
    cx->st.records += (long)b->n;
    cx->st.batches++;
    if (opt->verbose)
        fprintf(stderr,
                PROG ": %s/%d offsets %" PRId64 "-%" PRId64 ": %zu records scored and "
                     "committed\n",
                b->topic, b->partition, first, last, b->n);
    connector_batch_clear(b);
    rc = 0;
cleanup:
    free(payload);
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
    fprintf(stderr, PROG ": %s records=%ld batches=%ld retries=%ld results=%ld pending=%ld\n",
            label, cx->st.records, cx->st.batches, cx->st.retries, cx->st.results,
            pending_records(cx));
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
    const struct options *opt = cx->opt;
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
        if (cx->producer != NULL)
            rd_kafka_poll(cx->producer, 0);
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
    struct options opt;
    int prc = parse_options(argc, argv, &opt);
    if (prc != 0)
        return prc > 0 ? 0 : 2;

    struct connector cx = {.opt = &opt};
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
                 "%.1f s\n",
            cx.st.records, cx.st.batches, cx.st.retries, cx.st.results,
            (double)(now_ms() - t0) / 1000.0);
cleanup:
    if (cx.consumer != NULL) {
        rd_kafka_consumer_close(cx.consumer);
        rd_kafka_destroy(cx.consumer);
    }
    if (cx.producer != NULL) {
        rd_kafka_flush(cx.producer, 10000);
        rd_kafka_destroy(cx.producer);
    }
    for (size_t i = 0; i < cx.n_batches; i++)
        connector_batch_free(cx.batches[i]);
    free(cx.batches);
    connector_invoker_free(cx.inv);
    curl_global_cleanup();
    return status;
}
