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

/* bytes as a JSON string (NULL -> null). */
static cJSON *json_bytes_string(const void *p, size_t len)
{
    if (p == NULL)
        return cJSON_CreateNull();
    char *s = malloc(len + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, p, len);
    s[len] = '\0';
    cJSON *j = cJSON_CreateString(s);
    free(s);
    return j;
}

/* JsonConverter, schemaless: JSON bytes become that JSON, others a string. */
static cJSON *json_value(const void *p, size_t len)
{
    if (p == NULL)
        return cJSON_CreateNull();
    cJSON *parsed = cJSON_ParseWithLength(p, len);
    return parsed != NULL ? parsed : json_bytes_string(p, len);
}

static cJSON *record_json(const char *topic, const rd_kafka_message_t *m)
{
    cJSON *elem = cJSON_CreateObject();
    cJSON *payload = cJSON_CreateObject();
    if (elem == NULL || payload == NULL) {
        cJSON_Delete(elem);
        cJSON_Delete(payload);
        return NULL;
    }
    cJSON_AddItemToObject(elem, "payload", payload);
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    cJSON_AddItemToObject(payload, "timestamp", ts >= 0 ? json_int(ts) : cJSON_CreateNull());
    cJSON_AddItemToObject(payload, "topic", cJSON_CreateString(topic));
    cJSON_AddItemToObject(payload, "partition", json_int(m->partition));
    cJSON_AddItemToObject(payload, "offset", json_int(m->offset));
    cJSON_AddItemToObject(payload, "key", json_bytes_string(m->key, m->key_len));
    cJSON_AddItemToObject(payload, "value", json_value(m->payload, m->len));
    /* A failed create leaves a member missing: check all six are there. */
    if (cJSON_GetArraySize(payload) != 6) {
        cJSON_Delete(elem);
        return NULL;
    }
    return elem;
}

char *connector_batch_payload(const connector_batch *b, size_t *len)
{
    char *out = NULL;
    cJSON *arr = cJSON_CreateArray();
    if (arr == NULL)
        goto cleanup;
    for (size_t i = 0; i < b->n; i++) {
        cJSON *elem = record_json(b->topic, b->msgs[i]);
        if (elem == NULL)
            goto cleanup;
        cJSON_AddItemToArray(arr, elem);
    }
    out = cJSON_PrintUnformatted(arr);
    if (out != NULL && len != NULL)
        *len = strlen(out);
cleanup:
    cJSON_Delete(arr);
    return out;
}
