/* fleet_ddb.c: the fleet's shared items in DynamoDB (see fleet_ddb.h). */
#include "lambda/fleet_ddb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"

struct fleet_ddb {
    ddb_client *client;
    char *table;
    ddb_client *own_client; /* made by fleet_ddb_from_env */
    fleet *fleet;           /* likewise */
};

static cJSON *number(double v)
{
    char text[64];
    cJSON *o = cJSON_CreateObject();
    snprintf(text, sizeof text, "%.17g", v);
    if (o != NULL && cJSON_AddStringToObject(o, "N", text) == NULL) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* {"TableName": ..., "Key": {"pk": {"S": key}}} */
static cJSON *request(const fleet_ddb *s, const char *key)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *k = cJSON_AddObjectToObject(r, "Key");
    cJSON *pk = cJSON_AddObjectToObject(k, "pk");
    if (cJSON_AddStringToObject(r, "TableName", s->table) == NULL || pk == NULL ||
        cJSON_AddStringToObject(pk, "S", key) == NULL) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

static int64_t integer(const cJSON *attr)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(attr, "N");
    return cJSON_IsString(n) ? strtoll(n->valuestring, NULL, 10) : 0;
}

static int finite_number(const cJSON *attr, double *out)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(attr, "N");
    char *end = NULL;
    if (!cJSON_IsString(n))
        return -1;
    *out = strtod(n->valuestring, &end);
    return end != n->valuestring && *end == '\0' && isfinite(*out) ? 0 : -1;
}

size_t fleet_ddb_parse_item(const cJSON *attributes, fleet_item *out)
{
    size_t skipped = 0;
    memset(out, 0, sizeof *out);
    out->phase = integer(cJSON_GetObjectItemCaseSensitive(attributes, "phase"));
    const cJSON *a;
    cJSON_ArrayForEach(a, attributes)
    {
        if (a->string == NULL || strncmp(a->string, "e_", 2) != 0)
            continue;
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(a, "M");
        fleet_entry e;
        double phase, at;
        memset(&e, 0, sizeof e);
        if (out->nentries == FLEET_MAX_ENTRIES || strlen(a->string + 2) >= sizeof e.env ||
            !cJSON_IsObject(m) || finite_number(cJSON_GetObjectItemCaseSensitive(m, "v"), &e.value) ||
            finite_number(cJSON_GetObjectItemCaseSensitive(m, "p"), &phase) ||
            finite_number(cJSON_GetObjectItemCaseSensitive(m, "t"), &at)) {
            skipped++;
            continue;
        }
        snprintf(e.env, sizeof e.env, "%s", a->string + 2);
        e.phase = (int64_t)phase;
        e.at_s = (int64_t)at;
        out->entries[out->nentries++] = e;
    }
    return skipped;
}

/* Sends r (freed here); on success the answer's `member` object goes to *out. */
static int send(fleet_ddb *s, const char *op, cJSON *r, const char *member, int64_t deadline_ms,
                fleet_item *out, char *err, size_t errlen, int *condition_failed)
{
    char *body = r != NULL ? cJSON_PrintUnformatted(r) : NULL;
    cJSON_Delete(r);
    *condition_failed = 0;
    if (body == NULL) {
        snprintf(err, errlen, "out of memory building the %s request", op);
        return FLEET_STORE_FAILED;
    }
    cJSON *answer = NULL;
    ddb_result res;
    int rc = ddb_call(s->client, op, body, strlen(body), deadline_ms, &answer, &res);
    cJSON_free(body);
    if (rc != DDB_OK) {
        *condition_failed = strcmp(res.error_code, "ConditionalCheckFailedException") == 0;
        snprintf(err, errlen, "DynamoDB %s on %s: %s%s%s (HTTP %ld, %d attempts)", op, s->table,
                 res.error_code, res.error_message[0] ? ": " : "", res.error_message,
                 res.http_status, res.attempts);
        return FLEET_STORE_FAILED;
    }
    if (member != NULL && out != NULL)
        fleet_ddb_parse_item(cJSON_GetObjectItemCaseSensitive(answer, member), out);
    cJSON_Delete(answer);
    return FLEET_STORE_OK;
}

static int report(void *ctx, const char *key, const fleet_entry *mine, int64_t expires_s,
                  int64_t deadline_ms, fleet_item *out, char *err, size_t errlen)
{
    fleet_ddb *s = ctx;
    char name[FLEET_ENV_ID_MAX + 2];
    int failed;
    snprintf(name, sizeof name, "e_%s", mine->env);
    cJSON *r = request(s, key);
    cJSON *names = cJSON_AddObjectToObject(r, "ExpressionAttributeNames");
    cJSON *values = cJSON_AddObjectToObject(r, "ExpressionAttributeValues");
    cJSON_AddStringToObject(names, "#e", name);
    cJSON_AddStringToObject(names, "#p", "phase");
    cJSON_AddStringToObject(names, "#x", "expires");
    cJSON_AddItemToObject(values, ":x", number((double)expires_s));
    cJSON_AddItemToObject(values, ":zero", number(0));
    if (mine->value > 0) {
        cJSON *e = cJSON_CreateObject(), *m = cJSON_AddObjectToObject(e, "M");
        cJSON_AddItemToObject(m, "v", number(mine->value));
        cJSON_AddItemToObject(m, "p", number((double)mine->phase));
        cJSON_AddItemToObject(m, "t", number((double)mine->at_s));
        cJSON_AddItemToObject(values, ":e", e);
        cJSON_AddStringToObject(r, "UpdateExpression",
                                "SET #e = :e, #x = :x, #p = if_not_exists(#p, :zero)");
    } else {
        cJSON_AddStringToObject(r, "UpdateExpression",
                                "REMOVE #e SET #x = :x, #p = if_not_exists(#p, :zero)");
    }
    cJSON_AddStringToObject(r, "ReturnValues", "ALL_NEW");
    return send(s, "UpdateItem", r, "Attributes", deadline_ms, out, err, errlen, &failed);
}

static int advance(void *ctx, const char *key, int64_t from, const char *env, int64_t expires_s,
                   int64_t deadline_ms, fleet_item *out, char *err, size_t errlen)
{
    fleet_ddb *s = ctx;
    int condition_failed;
    cJSON *r = request(s, key);
    cJSON *names = cJSON_AddObjectToObject(r, "ExpressionAttributeNames");
    cJSON *values = cJSON_AddObjectToObject(r, "ExpressionAttributeValues");
    cJSON_AddStringToObject(names, "#p", "phase");
    cJSON_AddStringToObject(names, "#x", "expires");
    cJSON_AddStringToObject(names, "#by", "by");
    cJSON_AddStringToObject(names, "#at", "at");
    cJSON_AddItemToObject(values, ":from", number((double)from));
    cJSON_AddItemToObject(values, ":next", number((double)(from + 1)));
    cJSON_AddItemToObject(values, ":x", number((double)expires_s));
    cJSON_AddItemToObject(values, ":at", number((double)(expires_s - FLEET_TTL_S)));
    cJSON *by = cJSON_AddObjectToObject(values, ":by");
    cJSON_AddStringToObject(by, "S", env);
    cJSON_AddStringToObject(r, "UpdateExpression", "SET #p = :next, #x = :x, #by = :by, #at = :at");
    cJSON_AddStringToObject(r, "ConditionExpression",
                            from == 0 ? "attribute_not_exists(#p) OR #p = :from" : "#p = :from");
    int rc = send(s, "UpdateItem", r, NULL, deadline_ms, NULL, err, errlen, &condition_failed);
    if (rc == FLEET_STORE_OK || !condition_failed)
        return rc;
    /* Another environment moved it first: read where it is now. */
    r = request(s, key);
    cJSON_AddBoolToObject(r, "ConsistentRead", 1);
    rc = send(s, "GetItem", r, "Item", deadline_ms, out, err, errlen, &condition_failed);
    return rc == FLEET_STORE_OK ? FLEET_STORE_LOST : rc;
}

fleet_ddb *fleet_ddb_new(ddb_client *c, const char *table, fleet_store *iface, char *err,
                         size_t errlen)
{
    fleet_ddb *s = calloc(1, sizeof *s);
    if (s == NULL || (s->table = strdup(table)) == NULL) {
        free(s);
        snprintf(err, errlen, "out of memory for the alert state store");
        return NULL;
    }
    s->client = c;
    iface->ctx = s;
    iface->report = report;
    iface->advance = advance;
    return s;
}

void fleet_ddb_free(fleet_ddb *s)
{
    if (s == NULL)
        return;
    fleet_free(s->fleet);
    ddb_client_free(s->own_client);
    free(s->table);
    free(s);
}

fleet *fleet_ddb_fleet(const fleet_ddb *s)
{
    return s->fleet;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : NULL;
}

/* DynamoDB table names: 3-255 of A-Z a-z 0-9 _ - . (API reference, TableName). */
static int valid_table_name(const char *t)
{
    size_t n = strlen(t);
    if (n < 3 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

int fleet_ddb_from_env(monitor *m, const char *function_name, fleet_ddb **out, char *err,
                       size_t errlen)
{
    int rc = -1;
    const char *table = env("ALERT_STATE_TABLE"), *ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    ddb_client *c = NULL;
    fleet_ddb *s = NULL;
    fleet_store iface;
    *out = NULL;
    if (table == NULL)
        return 0;
    if (!valid_table_name(table)) {
        snprintf(err, errlen,
                 "ALERT_STATE_TABLE=\"%.64s\" is not a DynamoDB table name (3-255 letters, "
                 "digits, '_', '-' or '.'); leave it empty to keep each environment's own state",
                 table);
        return -1;
    }
    ddb_config cfg;
    ddb_config_defaults(&cfg);
    cfg.region = env("AWS_REGION");
    cfg.access_key_id = env("AWS_ACCESS_KEY_ID");
    cfg.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    cfg.session_token = env("AWS_SESSION_TOKEN");
    if (ignore == NULL || strcasecmp(ignore, "true") != 0)
        cfg.endpoint = env("AWS_ENDPOINT_URL_DYNAMODB") ? env("AWS_ENDPOINT_URL_DYNAMODB")
                                                        : env("AWS_ENDPOINT_URL");
    if (cfg.region == NULL || cfg.access_key_id == NULL || cfg.secret_access_key == NULL) {
        snprintf(err, errlen,
                 "ALERT_STATE_TABLE is set but %s is not: Lambda sets it; elsewhere export "
                 "AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                 cfg.region == NULL ? "AWS_REGION"
                 : cfg.access_key_id == NULL ? "AWS_ACCESS_KEY_ID"
                                             : "AWS_SECRET_ACCESS_KEY");
        return -1;
    }
    char cerr[384];
    if ((c = ddb_client_new(&cfg, cerr, sizeof cerr)) == NULL) {
        snprintf(err, errlen, "ALERT_STATE_TABLE: %s", cerr);
        goto cleanup;
    }
    if ((s = fleet_ddb_new(c, table, &iface, err, errlen)) == NULL)
        goto cleanup;
    s->own_client = c;
    c = NULL;
    if ((s->fleet = fleet_new(&iface, function_name, NULL, m, err, errlen)) == NULL)
        goto cleanup;
    log_msg(LOG_INFO, "shared alert state: DynamoDB table %s at %s, environment %s", table,
            ddb_client_endpoint(s->own_client), fleet_env_id(s->fleet));
    *out = s;
    s = NULL;
    rc = 0;
cleanup:
    fleet_ddb_free(s);
    ddb_client_free(c);
    return rc;
}
