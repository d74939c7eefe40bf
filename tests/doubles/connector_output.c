/* connector_output.c: what the connector stand-in writes to Kafka. */
#include "tests/doubles/connector_output.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "sink-connector"

void connector_output_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    connector_output *o = opaque;
    if (m->err) {
        o->delivery_failed++;
        fprintf(stderr, PROG ": writing to %s failed: %s\n", rd_kafka_topic_name(m->rkt),
                rd_kafka_err2str(m->err));
    }
}

/* Writes one record to topic, waiting for queue space rather than dropping
 * it; hdrs (may be NULL) is handed over to librdkafka or destroyed. */
static int produce(connector_output *o, const char *topic, const void *value, size_t len,
                   const rd_kafka_message_t *src, rd_kafka_headers_t *hdrs)
{
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            o->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE((void *)value, len),
            RD_KAFKA_V_KEY(src ? src->key : NULL, src ? src->key_len : 0), RD_KAFKA_V_HEADERS(hdrs),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            return 0;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, PROG ": cannot write to %s: %s\n", topic, rd_kafka_err2str(e));
            if (hdrs != NULL)
                rd_kafka_headers_destroy(hdrs);
            return -1;
        }
        rd_kafka_poll(o->producer, 100);
    }
}

/* Waits until everything written so far is acknowledged; -1 if any failed. */
int connector_output_flush(connector_output *o, long failed_before)
{
    rd_kafka_resp_err_t e = rd_kafka_flush(o->producer, 30000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, PROG ": writes not acknowledged within 30 s: %s\n", rd_kafka_err2str(e));
        return -1;
    }
    return o->delivery_failed == failed_before ? 0 : -1;
}

/* Each element of the response array to the result topic (the whole body if
 * it is not an array): what the connector does with a sync response. */
int connector_output_results(connector_output *o, const connector_batch *b,
                             const connector_payload *pl, const char *body, size_t len)
{
    const char *topic = o->opt->result_topic;
    if (topic == NULL)
        return 0;
    int rc = -1;
    cJSON *resp = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsArray(resp)) {
        fprintf(stderr,
                PROG ": warning: %s/%d: the response is not a JSON array; writing it "
                     "as one record\n",
                b->topic, b->partition);
        rc = produce(o, topic, body, len, NULL, NULL);
        o->results += rc == 0;
        goto cleanup;
    }
    if ((size_t)cJSON_GetArraySize(resp) != pl->n_sent)
        fprintf(stderr,
                PROG ": warning: %s/%d %" PRId64 "-%" PRId64 ": %zu records sent, %d "
                     "results returned\n",
                b->topic, b->partition, connector_batch_first_offset(b),
                connector_batch_last_offset(b), pl->n_sent, cJSON_GetArraySize(resp));
    /* The i-th element answers the i-th record sent (its key goes along). */
    size_t rec = 0;
    for (cJSON *e = resp->child; e != NULL; e = e->next) {
        while (rec < b->n && pl->errors[rec] != NULL)
            rec++;
        char *s = cJSON_PrintUnformatted(e);
        int prc = s ? produce(o, topic, s, strlen(s), rec < b->n ? b->msgs[rec] : NULL, NULL) : -1;
        free(s);
        if (prc != 0)
            goto cleanup;
        o->results++;
        rec++;
    }
    rc = 0;
cleanup:
    cJSON_Delete(resp);
    return rc;
}

/* behavior.on.error=log: each record of the failed batch, as it was sent, with
 * the error beside its payload, to the error topic.  (The connector documents
 * only that the error goes to error-${connector}; this layout is the
 * stand-in's.) */
int connector_output_errors(connector_output *o, const connector_batch *b, connector_payload *pl,
                            const char *error)
{
    const char *topic = o->opt->error_topic;
    if (topic == NULL)
        return 0;
    size_t rec = 0;
    for (cJSON *e = pl->elements->child; e != NULL; e = e->next, rec++) {
        while (rec < b->n && pl->errors[rec] != NULL)
            rec++;
        cJSON_DeleteItemFromObject(e, "error");
        cJSON_AddItemToObject(e, "error", cJSON_CreateString(error));
        char *s = cJSON_PrintUnformatted(e);
        int prc = s ? produce(o, topic, s, strlen(s), rec < b->n ? b->msgs[rec] : NULL, NULL) : -1;
        free(s);
        if (prc != 0)
            return -1;
        o->errors_written++;
    }
    return 0;
}

/* Records the converter could not read: the original bytes to the dead letter
 * queue with Kafka Connect's error context headers (__connect.errors.*). */
int connector_output_dead_letters(connector_output *o, const connector_batch *b,
                                  const connector_payload *pl)
{
    for (size_t i = 0; i < b->n; i++) {
        if (pl->errors[i] == NULL)
            continue;
        const rd_kafka_message_t *m = b->msgs[i];
        fprintf(stderr, PROG ": %s/%d offset %" PRId64 ": %s%s\n", b->topic, b->partition,
                m->offset, pl->errors[i],
                o->opt->dlq_topic ? "; written to the dead letter queue" : "");
        if (o->opt->dlq_topic == NULL)
            return -1;
        char part[16], off[32];
        snprintf(part, sizeof part, "%d", (int)m->partition);
        snprintf(off, sizeof off, "%" PRId64, m->offset);
        rd_kafka_headers_t *h = rd_kafka_headers_new(4);
        rd_kafka_header_add(h, "__connect.errors.topic", -1, b->topic, -1);
        rd_kafka_header_add(h, "__connect.errors.partition", -1, part, -1);
        rd_kafka_header_add(h, "__connect.errors.offset", -1, off, -1);
        rd_kafka_header_add(h, "__connect.errors.exception.message", -1, pl->errors[i], -1);
        if (produce(o, o->opt->dlq_topic, m->payload, m->len, m, h) != 0)
            return -1;
        o->dead_letters++;
    }
    return 0;
}
