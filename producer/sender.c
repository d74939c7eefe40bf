/* sender: the librdkafka side of the producer. */
#include "producer/sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "producer/console.h"
#include "common/secrets.h"

#define POLL_EVERY 64
#define ERROR_REPEAT_S 10
#define MAX_TRACKED_ERRORS 16

struct sender {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    const volatile sig_atomic_t *stop;
    int verbose;
    char bootstrap[1024];
    int message_timeout_ms;
    struct sender_counts counts;
    unsigned since_poll;
    /* the first delivery failure */
    rd_kafka_resp_err_t first_failure;
    char first_failure_text[512];
    int all_brokers_down;
    int fatal;
    char fatal_text[512];
    /* error_cb rate limiting: last time each error code was printed */
    struct {
        rd_kafka_resp_err_t err;
        time_t at;
    } printed[MAX_TRACKED_ERRORS];
};

static const struct {
    const char *key, *value;
} defaults[] = {
    {"enable.idempotence", "true"},
    {"acks", "all"},
    {"client.id", "iris-producer"},
};

static int should_print(struct sender *s, rd_kafka_resp_err_t err)
{
    time_t now = time(NULL);
    if (s->verbose > 0)
        return 1;
    for (int i = 0; i < MAX_TRACKED_ERRORS; i++) {
        if (s->printed[i].at && s->printed[i].err == err) {
            if (now - s->printed[i].at < ERROR_REPEAT_S)
                return 0;
            s->printed[i].at = now;
            return 1;
        }
    }
    for (int i = 0; i < MAX_TRACKED_ERRORS; i++) {
        if (!s->printed[i].at) {
            s->printed[i].err = err;
            s->printed[i].at = now;
            break;
        }
    }
    return 1;
}

static void set_fatal(struct sender *s, const char *text)
{
    if (s->fatal)
        return;
    s->fatal = 1;
    size_t len = strnlen(text, sizeof(s->fatal_text) - 1);
    memcpy(s->fatal_text, text, len);
    s->fatal_text[len] = '\0';
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct sender *s = opaque;
    char text[1024];
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof(why));
        snprintf(text, sizeof(text), "fatal error: %s: %s", rd_kafka_err2name(orig), why);
        set_fatal(s, text);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
        snprintf(text, sizeof(text),
                 "authentication failed: %s (check sasl.username, sasl.password and "
                 "sasl.mechanisms)",
                 reason);
        set_fatal(s, text);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        s->all_brokers_down = 1;
        if (should_print(s, err))
            console_error("all brokers are down or unreachable (bootstrap.servers=%s); "
                          "retrying until message.timeout.ms=%d",
                          s->bootstrap, s->message_timeout_ms);
        return;
    }
    if (should_print(s, err))
        console_error("kafka: %s: %s", rd_kafka_err2name(err), reason);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct sender *s = opaque;
    (void)rk;
    if (!m->err) {
        s->counts.delivered++;
        return;
    }
    if (s->counts.failed++ == 0) {
        s->first_failure = m->err;
        snprintf(s->first_failure_text, sizeof(s->first_failure_text), "%s [%d]: %s",
                 rd_kafka_topic_name(m->rkt), (int)m->partition, rd_kafka_err2str(m->err));
    }
    if (s->verbose > 0)
        console_verbose("delivery failed: %s [%d]: %s", rd_kafka_topic_name(m->rkt),
                        (int)m->partition, rd_kafka_err2str(m->err));
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    struct sender *s = rd_kafka_opaque(rk);
    int show;
    if (!s)
        return;
    if (s->verbose >= 2)
        show = 1;
    else if (s->verbose == 1)
        show = level <= 6;
    else
        /* connection failures also reach on_error, which rate-limits them */
        show = s->verbose == 0 && level <= 4 && strcmp(fac, "FAIL") != 0;
    if (show)
        console_error("librdkafka: %s: %s", fac, buf);
}

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, const char *origin,
                    char *err, size_t errlen)
{
    char why[512];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "%s: %s", origin, why);
        return -1;
    }
    if (secrets_key_is_secret(key))
        console_verbose("config: %s=[redacted] (%s)", key, origin);
    else
        console_verbose("config: %s=%s (%s)", key, value, origin);
    return 0;
}

/* The effective message timeout: the last of message.timeout.ms and its
 * alias delivery.timeout.ms, else librdkafka's default. */
static int message_timeout(const struct props *p)
{
    int ms = 300000;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->items[i].key, "message.timeout.ms") == 0 ||
            strcmp(p->items[i].key, "delivery.timeout.ms") == 0)
            ms = atoi(p->items[i].value);
    return ms;
}

struct sender *sender_new(const struct sender_config *cfg, char *err, size_t errlen)
{
    char why[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct sender *s = calloc(1, sizeof(*s)), *result = NULL;
    if (!s || !conf) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    s->stop = cfg->stop;
    s->verbose = cfg->verbose;
    s->message_timeout_ms = message_timeout(cfg->props);

    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        if (conf_set(conf, defaults[i].key, defaults[i].value, "default", err, errlen) != 0)
            goto cleanup;
    if (cfg->verbose >= 2 &&
        conf_set(conf, "debug", "broker,topic,msg,security", "-vv", err, errlen) != 0)
        goto cleanup;
    for (size_t i = 0; i < cfg->props->n; i++) {
        const struct prop *p = &cfg->props->items[i];
        if (props_is_registry(p->key)) {
            console_verbose("%s: %s is for the Schema Registry, not librdkafka", p->origin,
                            p->key);
            continue;
        }
        if (props_is_java_only(p->key)) {
            console_info("%s: ignoring %s: a Java client property that librdkafka does not use%s",
                         p->origin, p->key,
                         strcmp(p->key, "sasl.jaas.config") == 0
                             ? " (set sasl.username and sasl.password instead)"
                             : "");
            continue;
        }
        if (conf_set(conf, p->key, p->value, p->origin, err, errlen) != 0)
            goto cleanup;
    }
    if (cfg->brokers && conf_set(conf, "bootstrap.servers", cfg->brokers, "-b", err, errlen) != 0)
        goto cleanup;

    size_t size = sizeof(s->bootstrap);
    if (rd_kafka_conf_get(conf, "bootstrap.servers", s->bootstrap, &size) != RD_KAFKA_CONF_OK ||
        !*s->bootstrap) {
        snprintf(err, errlen,
                 "no brokers: give -b HOST:PORT or bootstrap.servers in a -F "
                 "properties file");
        goto cleanup;
    }

    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);

    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!s->rk) {
        snprintf(err, errlen, "cannot create the Kafka producer: %s", why);
        goto cleanup;
    }
    conf = NULL; /* owned by rk now */
    s->rkt = rd_kafka_topic_new(s->rk, cfg->topic, NULL);
    if (!s->rkt) {
        snprintf(err, errlen, "topic %s: %s", cfg->topic, rd_kafka_err2str(rd_kafka_last_error()));
        goto cleanup;
    }
    console_verbose("producing to topic %s at %s (librdkafka %s)", cfg->topic, s->bootstrap,
                    rd_kafka_version_str());
    result = s;
    s = NULL;

cleanup:
    if (conf)
        rd_kafka_conf_destroy(conf);
    sender_free(s);
    return result;
}

int sender_send(struct sender *s, const struct sender_msg *m)
{
    char seq[24];
    int seq_len = m->seq >= 0 ? snprintf(seq, sizeof(seq), "%lld", (long long)m->seq) : 0;
    int flags = m->stable ? 0 : RD_KAFKA_MSG_F_COPY;
    for (;;) {
        rd_kafka_resp_err_t err;
        if (s->fatal)
            return -1;
        if (m->seq >= 0)
            err = rd_kafka_producev(s->rk, RD_KAFKA_V_RKT(s->rkt), RD_KAFKA_V_MSGFLAGS(flags),
                                    RD_KAFKA_V_VALUE((void *)m->value, m->len),
                                    RD_KAFKA_V_KEY(m->key, m->key_len),
                                    RD_KAFKA_V_HEADER("seq", seq, seq_len), RD_KAFKA_V_END);
        else
            err = rd_kafka_producev(s->rk, RD_KAFKA_V_RKT(s->rkt), RD_KAFKA_V_MSGFLAGS(flags),
                                    RD_KAFKA_V_VALUE((void *)m->value, m->len),
                                    RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_END);
        if (!err) {
            s->counts.sent++;
            if (++s->since_poll >= POLL_EVERY) {
                s->since_poll = 0;
                rd_kafka_poll(s->rk, 0);
            }
            return 0;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            char text[512];
            snprintf(text, sizeof(text), "cannot produce to %s: %s", rd_kafka_topic_name(s->rkt),
                     rd_kafka_err2str(err));
            set_fatal(s, text);
            return -1;
        }
        /* The local queue is full: serve delivery reports to make room,
         * then retry the same message. */
        if (s->stop && *s->stop)
            return -1;
        s->counts.queue_full++;
        rd_kafka_poll(s->rk, 100);
    }
}

void sender_poll(struct sender *s, int timeout_ms)
{
    rd_kafka_poll(s->rk, timeout_ms);
}

static uint64_t outstanding(const struct sender *s)
{
    return s->counts.sent - s->counts.delivered - s->counts.failed;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t sender_wait(struct sender *s, int timeout_ms, const volatile sig_atomic_t *abort)
{
    double deadline = now_s() + timeout_ms / 1000.0;
    while (outstanding(s) > 0 && !(abort && *abort) && !s->fatal) {
        double left = deadline - now_s();
        if (left <= 0)
            break;
        rd_kafka_flush(s->rk, left < 0.1 ? (int)(left * 1000) + 1 : 100);
    }
    return outstanding(s);
}

uint64_t sender_purge(struct sender *s)
{
    uint64_t left = outstanding(s);
    if (left == 0)
        return 0;
    rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    /* Purged messages get delivery reports with _PURGE_QUEUE/_PURGE_INFLIGHT. */
    for (int i = 0; i < 20 && outstanding(s) > 0; i++)
        rd_kafka_poll(s->rk, 50);
    s->counts.failed += outstanding(s); /* never reported: count as failed */
    return left;
}

void sender_counts(const struct sender *s, struct sender_counts *out)
{
    *out = s->counts;
}

int sender_fatal(const struct sender *s, char *err, size_t errlen)
{
    if (s->fatal && err)
        snprintf(err, errlen, "%s", s->fatal_text);
    return s->fatal;
}

int sender_unreachable(const struct sender *s)
{
    return s->counts.delivered == 0 && s->counts.failed > 0 &&
           s->first_failure == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT;
}

void sender_failure_reason(const struct sender *s, char *out, size_t outlen)
{
    uint64_t failed = s->counts.failed;
    if (failed == 0) {
        *out = '\0';
        return;
    }
    if (sender_unreachable(s))
        snprintf(out, outlen,
                 "%llu message(s) not delivered: no broker reachable at %s within "
                 "message.timeout.ms=%d (check -b / bootstrap.servers, the network and "
                 "security.protocol)",
                 (unsigned long long)failed, s->bootstrap, s->message_timeout_ms);
    else
        snprintf(out, outlen, "%llu message(s) not delivered; first failure: %s",
                 (unsigned long long)failed, s->first_failure_text);
}

int sender_message_timeout_ms(const struct sender *s)
{
    return s->message_timeout_ms;
}

void sender_free(struct sender *s)
{
    if (!s)
        return;
    if (s->rkt)
        rd_kafka_topic_destroy(s->rkt);
    if (s->rk)
        rd_kafka_destroy(s->rk);
    free(s);
}
