/* kafka_source.c: reads labelled iris records from a topic with librdkafka. */
#include "trainer/kafka_source.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define METADATA_TIMEOUT_MS 10000
#define STALL_TIMEOUT_S 30 /* give up when no record arrives for this long */

typedef struct {
    int32_t partition;
    int64_t offset;
    double x[MODEL_NFEATURES];
    int y;
    char *value;
    size_t len;
} record;

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

/* Applies a properties file to conf. */
static int load_props(rd_kafka_conf_t *conf, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int rc = 0;
    for (size_t n = 1; fgets(line, sizeof line, f); n++) {
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
        char why[512];
        rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, k, v, why, sizeof why);
        if (r == RD_KAFKA_CONF_UNKNOWN) {
            fprintf(stderr, "train: %s:%zu: ignoring property \"%s\" (unknown to librdkafka)\n",
                    path, n, k);
        } else if (r != RD_KAFKA_CONF_OK) {
            set_err(err, errlen, "%s:%zu: property \"%s\": %s", path, n, k, why);
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

static const char *const field_names[2][MODEL_NFEATURES + 1] = {
    {"sepalLength", "sepalWidth", "petalLength", "petalWidth", "species"},
    {"sepal_length", "sepal_width", "petal_length", "petal_width", "species"},
};

/* Parses one record value into r; -1 with err naming the record. */
static int parse_record(const char *topic, record *r, char *err, size_t errlen)
{
    char where[300];
    snprintf(where, sizeof where, "kafka topic %s partition %d offset %lld", topic,
             (int)r->partition, (long long)r->offset);
    cJSON *j = cJSON_ParseWithLength(r->value, r->len);
    int rc = -1;
    if (!cJSON_IsObject(j)) {
        set_err(err, errlen, "%s: value is not a JSON object", where);
        goto cleanup;
    }
    for (size_t c = 0; c <= MODEL_NFEATURES; c++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, field_names[0][c]);
        if (!v)
            v = cJSON_GetObjectItemCaseSensitive(j, field_names[1][c]);
        if (!v) {
            set_err(err, errlen, "%s: field \"%s\": missing%s", where, field_names[0][c],
                    c == MODEL_NFEATURES ? " (training needs labelled records)" : "");
            goto cleanup;
        }
        if (c == MODEL_NFEATURES) {
            const char *s = cJSON_GetStringValue(v);
            r->y = s ? dataset_species_index(s, strlen(s)) : -1;
            if (r->y < 0) {
                char *txt = cJSON_PrintUnformatted(v);
                set_err(err, errlen,
                        "%s: field \"species\": unknown species %.60s (expected setosa, "
                        "versicolor or virginica)",
                        where, txt ? txt : "?");
                free(txt);
                goto cleanup;
            }
        } else if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
            set_err(err, errlen, "%s: field \"%s\": expected a number", where, field_names[0][c]);
            goto cleanup;
        } else {
            r->x[c] = v->valuedouble;
        }
    }
    rc = 0;
cleanup:
    cJSON_Delete(j);
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

static int by_position(const void *a, const void *b)
{
    const record *x = a, *y = b;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

dataset *kafka_source_read(const char *brokers, const char *topic, const char *props, size_t max,
                           size_t min_per_class, char *err, size_t errlen)
{
    dataset *d = NULL, *result = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_partition_list_t *assign = NULL;
    part *parts = NULL;
    record *recs = NULL;
    size_t np = 0, nrec = 0, cap = 0;
    EVP_MD_CTX *sha = NULL;
    char why[512];

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (props && load_props(conf, props, err, errlen) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    static const char *const settings[][2] = {
        {"group.id", "iris-train"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {"auto.offset.reset", "earliest"},
    };
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        rd_kafka_conf_set(conf, settings[i][0], settings[i][1], why, sizeof why);
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, why, sizeof why) !=
        RD_KAFKA_CONF_OK) {
        set_err(err, errlen, "-b %s: %s", brokers, why);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why))) {
        set_err(err, errlen, "cannot create a Kafka consumer: %s", why);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rkt = rd_kafka_topic_new(rk, topic, NULL);
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
    np = (size_t)md->topics[0].partition_cnt;
    parts = calloc(np, sizeof *parts);
    assign = rd_kafka_topic_partition_list_new((int)np);
    if (!parts) {
        set_err(err, errlen, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < np; i++)
        parts[i].id = md->topics[0].partitions[i].id;
    qsort(parts, np, sizeof *parts, by_id);
    for (size_t i = 0; i < np; i++) {
        e = rd_kafka_query_watermark_offsets(rk, topic, parts[i].id, &parts[i].low, &parts[i].high,
                                             METADATA_TIMEOUT_MS);
        if (e) {
            set_err(err, errlen, "kafka topic %s partition %d: cannot read its offsets: %s", topic,
                    (int)parts[i].id, rd_kafka_err2str(e));
            goto cleanup;
        }
    }
    share(parts, np, max);
    for (size_t i = 0; i < np; i++) {
        parts[i].done = parts[i].want == 0;
        if (!parts[i].done)
            rd_kafka_topic_partition_list_add(assign, topic, parts[i].id)->offset = parts[i].low;
    }
    if ((e = rd_kafka_assign(rk, assign))) {
        set_err(err, errlen, "kafka topic %s: cannot assign partitions: %s", topic,
                rd_kafka_err2str(e));
        goto cleanup;
    }
    time_t last = time(NULL);
    for (;;) {
        size_t open = 0;
        for (size_t i = 0; i < np; i++)
            open += !parts[i].done;
        if (!open)
            break;
        if (time(NULL) - last > STALL_TIMEOUT_S) {
            set_err(err, errlen, "kafka topic %s: no record for %d s after %zu records", topic,
                    STALL_TIMEOUT_S, nrec);
            goto cleanup;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        last = time(NULL);
        part *p = NULL;
        for (size_t i = 0; i < np; i++)
            if (parts[i].id == m->partition)
                p = &parts[i];
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p)
                p->done = 1;
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err) {
            set_err(err, errlen, "kafka topic %s partition %d: %s", topic, (int)m->partition,
                    rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            goto cleanup;
        }
        if (p && !p->done && m->offset < p->high) {
            if (nrec == cap) {
                size_t nc = cap ? cap * 2 : 1024;
                record *nr = realloc(recs, nc * sizeof *nr);
                if (!nr) {
                    rd_kafka_message_destroy(m);
                    set_err(err, errlen, "out of memory after %zu records", nrec);
                    goto cleanup;
                }
                recs = nr;
                cap = nc;
            }
            record *r = &recs[nrec];
            r->partition = m->partition;
            r->offset = m->offset;
            r->len = m->len;
            r->value = malloc(m->len ? m->len : 1);
            if (!r->value) {
                rd_kafka_message_destroy(m);
                set_err(err, errlen, "out of memory after %zu records", nrec);
                goto cleanup;
            }
            if (m->len)
                memcpy(r->value, m->payload, m->len);
            nrec++;
            if (++p->got >= p->want || m->offset + 1 >= p->high)
                p->done = 1;
        }
        rd_kafka_message_destroy(m);
    }
    qsort(recs, nrec, sizeof *recs, by_position);
    char source[300];
    snprintf(source, sizeof source, "kafka:%s", topic);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!(d = dataset_new(source)) || !(sha = EVP_MD_CTX_new()) ||
        EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
        set_err(err, errlen, "out of memory");
        goto cleanup;
    }
    int64_t last_of[DATASET_NCLASSES][2];
    for (size_t i = 0; i < nrec; i++) {
        if (parse_record(topic, &recs[i], err, errlen) != 0)
            goto cleanup;
        if (dataset_add(d, recs[i].x, recs[i].y) != 0 ||
            EVP_DigestUpdate(sha, recs[i].value, recs[i].len) != 1 ||
            EVP_DigestUpdate(sha, "\n", 1) != 1) {
            set_err(err, errlen, "out of memory");
            goto cleanup;
        }
        last_of[recs[i].y][0] = recs[i].partition;
        last_of[recs[i].y][1] = recs[i].offset;
    }
    if (EVP_DigestFinal_ex(sha, digest, &mdlen) != 1) {
        set_err(err, errlen, "SHA-256 failed");
        goto cleanup;
    }
    for (unsigned int i = 0; i < mdlen && i < 32; i++)
        snprintf(d->sha256 + 2 * i, 3, "%02x", digest[i]);
    for (size_t c = 0; c < DATASET_NCLASSES; c++) {
        if (d->count[c] >= min_per_class)
            continue;
        if (d->count[c] == 0)
            set_err(err, errlen,
                    "kafka topic %s: no records of class \"%s\" in %zu records; each class needs "
                    "at least %zu (one per cross-validation fold)",
                    topic, dataset_class_names[c], nrec, min_per_class);
        else
            set_err(err, errlen,
                    "kafka topic %s: class \"%s\" has only %zu records (the last at partition "
                    "%lld offset %lld), fewer than the %zu cross-validation folds",
                    topic, dataset_class_names[c], d->count[c], (long long)last_of[c][0],
                    (long long)last_of[c][1], min_per_class);
        goto cleanup;
    }
    result = d;
    d = NULL;
cleanup:
    EVP_MD_CTX_free(sha);
    dataset_free(d);
    for (size_t i = 0; i < nrec; i++)
        free(recs[i].value);
    free(recs);
    free(parts);
    if (assign)
        rd_kafka_topic_partition_list_destroy(assign);
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    return result;
}
