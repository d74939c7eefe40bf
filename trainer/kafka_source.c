/* kafka_source.c: reads labelled iris records from a topic with librdkafka:
 * the properties file, the partitions and their shares, the consumer; the
 * values become a training set in trainer/kafka_record.c. */
#include "trainer/kafka_source.h"
#include "trainer/kafka_record.h"

#include "common/secrets.h"
#include "registry/client.h"
#include "registry/decode.h"

#include <ctype.h>
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define METADATA_TIMEOUT_MS 10000
#define STALL_TIMEOUT_S 30 /* give up when no record arrives for this long */

typedef struct {
    int32_t id;
    int64_t low, high; /* watermarks when reading started */
    int64_t want, got;
    int done;
} part;

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
                                                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The Schema Registry client's properties of the file (schema.registry.*,
 * basic.auth.*), kept for reading the registry's formats instead of being
 * handed to librdkafka. */
typedef struct kafka_source_registry_props {
    char *url, *source, *user_info;
} registry_props;

static void registry_props_free(registry_props *rp)
{
    free(rp->url);
    free(rp->source);
    free(rp->user_info);
}

/* Keeps key=value in rp when it is a registry property.  Returns 1 when it
 * was one, 0 when not, -1 when out of memory. */
static int keep_registry_prop(registry_props *rp, const char *k, const char *v)
{
    char **slot = NULL;
    const char *name = strncmp(k, "schema.registry.", 16) == 0 ? k + 16 : k;
    if (strcmp(k, "schema.registry.url") == 0)
        slot = &rp->url;
    else if (strcmp(name, "basic.auth.credentials.source") == 0)
        slot = &rp->source;
    else if (strcmp(name, "basic.auth.user.info") == 0)
        slot = &rp->user_info;
    if (!slot)
        return 0;
    free(*slot);
    return (*slot = strdup(v)) ? 1 : -1;
}

int kafka_source_load_props(rd_kafka_conf_t *conf, const char *path, struct secrets *hidden,
                            registry_props *rp, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL; /* whole lines, however long (a JAAS config or a token can be) */
    size_t cap = 0;
    int rc = 0;
    for (size_t n = 1; getline(&line, &cap, f) >= 0; n++) {
        char *p = line, *e = line + strlen(line);
        while (e > p && isspace((unsigned char)e[-1]))
            *--e = '\0';
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#' || *p == '!')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            set_err(err, errlen, "%s:%zu: expected key=value", path, n);
            rc = -1;
            break;
        }
        char *k = p, *ke = eq, *v = eq + 1;
        while (ke > k && isspace((unsigned char)ke[-1]))
            ke--;
        *ke = '\0';
        while (isspace((unsigned char)*v))
            v++;
        if (secrets_add_property(hidden, k, v) != 0) {
            set_err(err, errlen, "%s:%zu: out of memory", path, n);
            rc = -1;
            break;
        }
        int kept = rp ? keep_registry_prop(rp, k, v) : 0;
        if (kept != 0) {
            if (kept < 0) {
                set_err(err, errlen, "%s:%zu: out of memory", path, n);
                rc = -1;
                break;
            }
            continue;
        }
        char why[512], shown[4 * 40 + 4];
        rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, k, v, why, sizeof why);
        trainset_shown_name(k, shown, sizeof shown);
        if (r == RD_KAFKA_CONF_UNKNOWN) {
            fprintf(stderr, "train: %s:%zu: ignoring property \"%s\" (unknown to librdkafka)\n",
                    path, n, shown);
        } else if (r != RD_KAFKA_CONF_OK) {
            for (char *c = why; *c; c++) /* librdkafka quotes the value as it is */
                if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7E)
                    *c = '?';
            set_err(err, errlen, "%s:%zu: property \"%s\": %s", path, n, shown, why);
            rc = -1;
            break;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

/* Splits max records between the partitions: equal shares, capped by what
 * each has, the remainder going to the others in partition order. */
static void share(part *p, size_t np, size_t max)
{
    int64_t left = max ? (int64_t)max : INT64_MAX;
    for (size_t i = 0; i < np; i++)
        p[i].want = 0;
    for (;;) {
        size_t open = 0;
        for (size_t i = 0; i < np; i++)
            open += p[i].want < p[i].high - p[i].low;
        if (!open || left <= 0)
            return;
        int64_t each = left / (int64_t)open;
        if (each == 0)
            each = 1;
        for (size_t i = 0; i < np && left > 0; i++) {
            int64_t room = p[i].high - p[i].low - p[i].want;
            int64_t add = room < each ? room : each;
            if (add > left)
                add = left;
            p[i].want += add;
            left -= add;
        }
    }
}

static int by_id(const void *a, const void *b)
{
    const part *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* librdkafka's log lines, printed as its default logger prints them but
 * with every secret masked (an address's userinfo shows in "Failed to
 * resolve" lines); one write per line. */
static void log_masked(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const struct secrets *hidden = rd_kafka_opaque(rk);
    char *line = NULL;
    if (asprintf(&line, "%%%d|%s|%s| %s\n", level, fac, rd_kafka_name(rk), buf) < 0)
        return;
    char *clean = secrets_redact(hidden, line);
    if (clean)
        fputs(clean, stderr);
    free(clean);
    free(line);
}

/* A consumer configured from the properties file and the reading settings;
 * the secrets of both and of brokers go into hidden, which must outlive the
 * consumer (its log lines are masked with it). */
static rd_kafka_t *consumer_open(const char *brokers, const char *props, struct secrets *hidden,
                                 registry_props *rp, char *err, size_t errlen)
{
    static const char *const settings[][2] = {
        {"group.id", "iris-train"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {"auto.offset.reset", "earliest"},
    };
    char why[512];
    rd_kafka_t *rk = NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (secrets_add_property(hidden, "bootstrap.servers", brokers) != 0) {
        set_err(err, errlen, "out of memory");
        goto cleanup;
    }
    if (props && kafka_source_load_props(conf, props, hidden, rp, err, errlen) != 0)
        goto cleanup;
    rd_kafka_conf_set_opaque(conf, hidden);
    rd_kafka_conf_set_log_cb(conf, log_masked);
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        rd_kafka_conf_set(conf, settings[i][0], settings[i][1], why, sizeof why);
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, why, sizeof why) !=
        RD_KAFKA_CONF_OK) {
        set_err(err, errlen, "-b %s: %s", brokers, why);
        goto cleanup;
    }
    if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why)))
        set_err(err, errlen, "cannot create a Kafka consumer: %s", why);
    else
        conf = NULL; /* owned by rk */
cleanup:
    if (conf)
        rd_kafka_conf_destroy(conf);
    return rk;
}

/* The topic's partitions, sorted by id, with their watermarks. */
static part *topic_partitions(rd_kafka_t *rk, const char *brokers, const char *topic, size_t *np,
                              char *err, size_t errlen)
{
    part *parts = NULL, *result = NULL;
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, METADATA_TIMEOUT_MS);
    if (e || md->topic_cnt != 1) {
        set_err(err, errlen, "kafka %s: cannot read the metadata of topic %s: %s", brokers, topic,
                rd_kafka_err2str(e ? e : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
        goto cleanup;
    }
    if (md->topics[0].err || md->topics[0].partition_cnt < 1) {
        set_err(err, errlen, "kafka %s: topic %s: %s", brokers, topic,
                rd_kafka_err2str(md->topics[0].err ? md->topics[0].err
                                                   : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
        goto cleanup;
    }
    *np = (size_t)md->topics[0].partition_cnt;
    if (!(parts = calloc(*np, sizeof *parts))) {
        set_err(err, errlen, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < *np; i++)
        parts[i].id = md->topics[0].partitions[i].id;
    qsort(parts, *np, sizeof *parts, by_id);
    for (size_t i = 0; i < *np; i++) {
        e = rd_kafka_query_watermark_offsets(rk, topic, parts[i].id, &parts[i].low, &parts[i].high,
                                             METADATA_TIMEOUT_MS);
        if (e) {
            set_err(err, errlen, "kafka topic %s partition %d: cannot read its offsets: %s", topic,
                    (int)parts[i].id, rd_kafka_err2str(e));
            goto cleanup;
        }
    }
    result = parts;
    parts = NULL;
cleanup:
    free(parts);
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return result;
}

/* Assigns the partitions that have records to read, from their first offset. */
static int assign_partitions(rd_kafka_t *rk, const char *topic, part *parts, size_t np, size_t max,
                             char *err, size_t errlen)
{
    share(parts, np, max);
    rd_kafka_topic_partition_list_t *assign = rd_kafka_topic_partition_list_new((int)np);
    for (size_t i = 0; i < np; i++) {
        parts[i].done = parts[i].want == 0;
        if (!parts[i].done)
            rd_kafka_topic_partition_list_add(assign, topic, parts[i].id)->offset = parts[i].low;
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(rk, assign);
    rd_kafka_topic_partition_list_destroy(assign);
    if (e)
        set_err(err, errlen, "kafka topic %s: cannot assign partitions: %s", topic,
                rd_kafka_err2str(e));
    return e ? -1 : 0;
}

static part *part_of(part *parts, size_t np, int32_t id)
{
    for (size_t i = 0; i < np; i++)
        if (parts[i].id == id)
            return &parts[i];
    return NULL;
}

/* Polls until every assigned partition has given its share (or its end). */
static int consume(rd_kafka_t *rk, const char *topic, part *parts, size_t np, kafka_record_list *l,
                   char *err, size_t errlen)
{
    time_t last = time(NULL);
    for (;;) {
        size_t open = 0;
        for (size_t i = 0; i < np; i++)
            open += !parts[i].done;
        if (!open)
            return 0;
        if (time(NULL) - last > STALL_TIMEOUT_S) {
            set_err(err, errlen, "kafka topic %s: no record for %d s after %zu records", topic,
                    STALL_TIMEOUT_S, l->n);
            return -1;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        last = time(NULL);
        part *p = part_of(parts, np, m->partition);
        int rc = 0;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p)
                p->done = 1;
        } else if (m->err) {
            set_err(err, errlen, "kafka topic %s partition %d: %s", topic, (int)m->partition,
                    rd_kafka_message_errstr(m));
            rc = -1;
        } else if (p && !p->done && m->offset < p->high) {
            if (kafka_record_list_add(l, m->partition, m->offset, m->payload, m->len) != 0) {
                set_err(err, errlen, "out of memory after %zu records", l->n);
                rc = -1;
            } else if (++p->got >= p->want || m->offset + 1 >= p->high) {
                p->done = 1;
            }
        }
        rd_kafka_message_destroy(m);
        if (rc)
            return -1;
    }
}

/* Masks every secret in err, in place (an address's userinfo, a quoted
 * property value); err is emptied rather than printed unmasked. */
static void mask_err(const struct secrets *hidden, char *err, size_t errlen)
{
    if (!errlen)
        return;
    char *clean = secrets_redact(hidden, err);
    snprintf(err, errlen, "%s", clean ? clean : "(error text withheld: out of memory)");
    free(clean);
}

trainset *kafka_source_read(const char *brokers, const char *topic, const char *props,
                            const char *label, size_t max, size_t min_per_class, char *err,
                            size_t errlen)
{
    trainset *d = NULL;
    part *parts = NULL;
    kafka_record_list l = {0};
    size_t np = 0;
    registry_props rp = {0};
    struct registry *reg = NULL;
    struct secrets *hidden = secrets_new();
    rd_kafka_t *rk = hidden ? consumer_open(brokers, props, hidden, &rp, err, errlen) : NULL;
    if (!hidden)
        set_err(err, errlen, "out of memory");
    if (!rk)
        goto cleanup;
    if (rp.url) {
        struct registry_config rc = {
            .url = rp.url, .credentials_source = rp.source, .user_info = rp.user_info};
        if (!(reg = registry_new(&rc, err, errlen)))
            goto cleanup;
    }
    if (!(parts = topic_partitions(rk, brokers, topic, &np, err, errlen)) ||
        assign_partitions(rk, topic, parts, np, max, err, errlen) != 0 ||
        consume(rk, topic, parts, np, &l, err, errlen) != 0)
        goto cleanup;
    if (l.n == 0) {
        set_err(err, errlen, "kafka topic %s: no records to train on", topic);
        goto cleanup;
    }
    d = kafka_record_trainset(topic, &l, label, min_per_class, reg, err, errlen);
cleanup:
    registry_free(reg);
    registry_props_free(&rp);
    kafka_record_list_clear(&l);
    free(parts);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    if (!d)
        mask_err(hidden, err, errlen);
    secrets_free(hidden);
    return d;
}
