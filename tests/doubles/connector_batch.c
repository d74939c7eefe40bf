/* connector_batch.c: Kafka records -> the Lambda sink connector's payload. */
#include "tests/doubles/connector_batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

connector_batch *connector_batch_new(const char *topic, int32_t partition)
{
    connector_batch *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->topic = strdup(topic);
    if (b->topic == NULL) {
        free(b);
        return NULL;
    }
    b->partition = partition;
    return b;
}

void connector_batch_clear(connector_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        rd_kafka_message_destroy(b->msgs[i]);
    b->n = 0;
    b->started_ms = 0;
}

void connector_batch_free(connector_batch *b)
{
    if (b == NULL)
        return;
    connector_batch_clear(b);
    free(b->msgs);
    free(b->topic);
    free(b);
}

int connector_batch_add(connector_batch *b, rd_kafka_message_t *msg, int64_t now_ms)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        rd_kafka_message_t **m = realloc(b->msgs, cap * sizeof *m);
        if (m == NULL)
            return -1;
        b->msgs = m;
        b->cap = cap;
    }
    if (b->n == 0)
        b->started_ms = now_ms;
    b->msgs[b->n++] = msg;
    return 0;
}

int64_t connector_batch_first_offset(const connector_batch *b)
{
    return b->n ? b->msgs[0]->offset : -1;
}

int64_t connector_batch_last_offset(const connector_batch *b)
{
    return b->n ? b->msgs[b->n - 1]->offset : -1;
}

/* An exact integer (cJSON numbers are doubles). */
static cJSON *json_int(int64_t v)
{
    char s[32];
    snprintf(s, sizeof s, "%" PRId64, v);
    return cJSON_CreateRaw(s);
}

/* The key: converted like the value when the converter can read it, else
 * the key's bytes as a string (the stand-in's leniency: it models a string
 * key converter for keys that are not JSON). */
static cJSON *key_json(enum connector_format f, enum connector_converter c,
                       const rd_kafka_message_t *m)
{
    char err[256];
    cJSON *k = connector_convert(f, c, m->key, m->key_len, err, sizeof err);
    if (k != NULL || m->key == NULL)
        return k;
    char *s = strndup(m->key, m->key_len);
    k = s ? cJSON_CreateString(s) : NULL;
    free(s);
    return k;
}

/* One element; NULL with err set when the value cannot be converted (err
 * empty: out of memory). */
static cJSON *record_json(const char *topic, const rd_kafka_message_t *m, enum connector_format f,
                          enum connector_converter c, char *err, size_t errlen)
{
    cJSON *value = connector_convert(f, c, m->payload, m->len, err, errlen);
    if (value == NULL)
        return NULL;
    cJSON *elem = cJSON_CreateObject();
    cJSON *payload = cJSON_CreateObject();
    if (elem == NULL || payload == NULL) {
        cJSON_Delete(elem);
        cJSON_Delete(payload);
        cJSON_Delete(value);
        err[0] = '\0';
        return NULL;
    }
    cJSON_AddItemToObject(elem, "payload", payload);
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    cJSON_AddItemToObject(payload, "timestamp", ts >= 0 ? json_int(ts) : cJSON_CreateNull());
    cJSON_AddItemToObject(payload, "topic", cJSON_CreateString(topic));
    cJSON_AddItemToObject(payload, "partition", json_int(m->partition));
    cJSON_AddItemToObject(payload, "offset", json_int(m->offset));
    cJSON_AddItemToObject(payload, "key", key_json(f, c, m));
    cJSON_AddItemToObject(payload, "value", value);
    /* A failed create leaves a member missing: check all six are there. */
    if (cJSON_GetArraySize(payload) != 6) {
        cJSON_Delete(elem);
        err[0] = '\0';
        return NULL;
    }
    return elem;
}

int connector_batch_payload(const connector_batch *b, enum connector_format f,
                            enum connector_converter c, connector_payload *out)
{
    *out = (connector_payload){0};
    out->elements = cJSON_CreateArray();
    out->errors = calloc(b->n ? b->n : 1, sizeof *out->errors);
    if (out->elements == NULL || out->errors == NULL)
        return -1;
    out->n_records = b->n;
    for (size_t i = 0; i < b->n; i++) {
        char err[512] = "";
        cJSON *elem = record_json(b->topic, b->msgs[i], f, c, err, sizeof err);
        if (elem == NULL && err[0] == '\0')
            return -1;
        if (elem == NULL) {
            out->errors[i] = strdup(err);
            if (out->errors[i] == NULL)
                return -1;
            continue;
        }
        cJSON_AddItemToArray(out->elements, elem);
        out->n_sent++;
    }
    out->json = cJSON_PrintUnformatted(out->elements);
    if (out->json == NULL)
        return -1;
    out->len = strlen(out->json);
    return 0;
}

void connector_payload_free(connector_payload *p)
{
    if (p == NULL)
        return;
    cJSON_Delete(p->elements);
    free(p->json);
    for (size_t i = 0; p->errors != NULL && i < p->n_records; i++)
        free(p->errors[i]);
    free(p->errors);
    *p = (connector_payload){0};
}
