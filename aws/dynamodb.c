/* dynamodb.c: the DynamoDB JSON API client: configuration, signing and the
 * reading of answers, on the shared AWS client core (aws/aws_client.h:
 * endpoint, credentials, connections, the AWS SDKs' standard retries). */
#include "aws/dynamodb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws_client.h"
#include "aws/scrub.h"
#include "aws/sigv4.h"

#define CONTENT_TYPE "application/x-amz-json-1.0"
#define TARGET_PREFIX "DynamoDB_20120810."

_Static_assert((int)DDB_OK == AWS_OK && (int)DDB_ERR_INVALID == AWS_ERR_INVALID &&
                   (int)DDB_ERR_NOMEM == AWS_ERR_NOMEM && (int)DDB_ERR_SERVICE == AWS_ERR_SERVICE &&
                   (int)DDB_ERR_TRANSPORT == AWS_ERR_TRANSPORT &&
                   (int)DDB_ERR_DEADLINE == AWS_ERR_DEADLINE,
               "DynamoDB codes are the core's");

/* A DynamoDB client: the shared AWS client core, owned. */
struct ddb_client {
    aws_client aws; /* first: aws_client_new allocates the whole */
};

void ddb_config_defaults(ddb_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_ms = 1000;
    cfg->attempt_timeout_ms = 2000;
    cfg->max_attempts = RETRY_MAX_ATTEMPTS;
    cfg->safety_margin_ms = 300;
}

ddb_client *ddb_client_new(const ddb_config *cfg, char *err, size_t errlen)
{
    aws_client_config core = {
        .service = "DynamoDB",
        .endpoint_prefix = "dynamodb",
        AWS_CLIENT_CONFIG_FROM(cfg),
    };
    retry_policy_defaults(&core.retry);
    core.retry.max_attempts = cfg->max_attempts;
    return (ddb_client *)aws_client_new(&core, sizeof(ddb_client), err, errlen);
}

void ddb_client_free(ddb_client *c)
{
    aws_client_free(c != NULL ? &c->aws : NULL);
}

const char *ddb_client_endpoint(const ddb_client *c)
{
    return c->aws.endpoint;
}

static int add_header(char ***headers, size_t *n, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 3;
    char *line = malloc(len);
    char **grown = realloc(*headers, (*n + 1) * sizeof **headers);
    if (line == NULL || grown == NULL) {
        free(line);
        if (grown != NULL)
            *headers = grown;
        return -1;
    }
    *headers = grown;
    snprintf(line, len, "%s: %s", name, value);
    (*headers)[(*n)++] = line;
    return 0;
}

int ddb_build_headers(const ddb_client *client, const char *op, const char *body, size_t len,
                      time_t now, char ***headers, size_t *n)
{
    const aws_client *c = &client->aws;
    char target[128];
    *headers = NULL;
    *n = 0;
    if (snprintf(target, sizeof target, "%s%s", TARGET_PREFIX, op) >= (int)sizeof target)
        return DDB_ERR_INVALID;
    sigv4_header signed_headers[] = {
        {"Host", c->host}, {"Content-Type", CONTENT_TYPE}, {"X-Amz-Target", target}};
    sigv4_request req = {.method = "POST",
                         .path = c->path,
                         .headers = signed_headers,
                         .nheaders = 3,
                         .body = body,
                         .body_len = len};
    sigv4_credentials creds = {c->access_key_id, c->secret_access_key, c->session_token};
    sigv4_signature sig;
    int src = sigv4_sign(&req, &creds, c->region, "dynamodb", now, SIGV4_TOKEN_SIGNED, &sig, NULL);
    if (src != SIGV4_OK)
        return src == SIGV4_ERR_NOMEM ? DDB_ERR_NOMEM : DDB_ERR_INVALID;
    if (add_header(headers, n, "Host", c->host) != 0 ||
        add_header(headers, n, "Content-Type", CONTENT_TYPE) != 0 ||
        add_header(headers, n, "X-Amz-Target", target) != 0 ||
        add_header(headers, n, "X-Amz-Date", sig.amz_date) != 0 ||
        (c->session_token != NULL &&
         add_header(headers, n, "X-Amz-Security-Token", c->session_token) != 0) ||
        add_header(headers, n, "Authorization", sig.authorization) != 0 ||
        add_header(headers, n, "Expect", "") != 0) {
        for (size_t i = 0; i < *n; i++)
            free((*headers)[i]);
        free(*headers);
        *headers = NULL;
        *n = 0;
        return DDB_ERR_NOMEM;
    }
    return DDB_OK;
}

int ddb_parse_answer(const char *body, size_t len, long http_status, const char *const *secrets,
                     size_t nsecrets, cJSON **answer, ddb_result *res)
{
    *answer = NULL;
    cJSON *doc = body != NULL && len > 0 ? cJSON_ParseWithLength(body, len) : NULL;
    if (http_status >= 200 && http_status < 300 && cJSON_IsObject(doc)) {
        *answer = doc;
        return 0;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "__type");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(doc, "message");
    if (!cJSON_IsString(msg))
        msg = cJSON_GetObjectItemCaseSensitive(doc, "Message");
    if (cJSON_IsObject(doc) && cJSON_IsString(type) && type->valuestring[0] != '\0') {
        const char *code = strrchr(type->valuestring, '#');
        code = code != NULL ? code + 1 : type->valuestring;
        scrub_peer_text(res->error_code, sizeof res->error_code, code, strlen(code), secrets,
                        nsecrets);
        if (cJSON_IsString(msg))
            scrub_peer_text(res->error_message, sizeof res->error_message, msg->valuestring,
                            strlen(msg->valuestring), secrets, nsecrets);
        else
            res->error_message[0] = '\0';
    } else {
        snprintf(res->error_code, sizeof res->error_code, "HttpError");
        snprintf(res->error_message, sizeof res->error_message, "HTTP %ld without %s in the body",
                 http_status,
                 http_status >= 200 && http_status < 300 ? "a JSON object" : "a DynamoDB error");
    }
    cJSON_Delete(doc);
    return -1;
}

/* One call: the operation, its body, and the header lines of the attempt
 * under way. */
typedef struct ddb_op_call {
    ddb_client *client;
    const char *op, *body;
    size_t len;
    cJSON **answer;
    ddb_result *res;
    char **lines;
    size_t nlines;
} ddb_op_call;

static int op_build(void *ctx, time_t now, aws_http_request *out)
{
    ddb_op_call *p = ctx;
    int rc = ddb_build_headers(p->client, p->op, p->body, p->len, now, &p->lines, &p->nlines);
    if (rc != DDB_OK)
        return rc;
    out->url = p->client->aws.endpoint;
    out->body = p->body;
    out->body_len = p->len;
    out->headers = p->lines;
    out->nheaders = p->nlines;
    return DDB_OK;
}

static void op_release(void *ctx, aws_http_request *req)
{
    ddb_op_call *p = ctx;
    (void)req;
    for (size_t i = 0; i < p->nlines; i++)
        free(p->lines[i]);
    free(p->lines);
    p->lines = NULL;
    p->nlines = 0;
}

static int op_answer(void *ctx, const char *body, size_t len, aws_status *st)
{
    ddb_op_call *p = ctx;
    const char *secrets[2];
    (void)st; /* ddb_parse_answer writes the same fields of p->res */
    aws_client_secrets(&p->client->aws, secrets);
    return ddb_parse_answer(body, len, p->res->http_status, secrets, 2, p->answer, p->res);
}

int ddb_call(ddb_client *c, const char *op, const char *body, size_t len, int64_t deadline_ms,
             cJSON **answer, ddb_result *res)
{
    memset(res, 0, sizeof *res);
    *answer = NULL;
    if (c == NULL || op == NULL || body == NULL)
        return DDB_ERR_INVALID;
    ddb_op_call p = {.client = c, .op = op, .body = body, .len = len, .answer = answer, .res = res};
    aws_call call = {
        .op = op, .ctx = &p, .build = op_build, .release = op_release, .answer = op_answer};
    aws_status st = {&res->attempts,         &res->http_status,  res->error_code,
                     sizeof res->error_code, res->error_message, sizeof res->error_message};
    return aws_client_call(&c->aws, &call, deadline_ms, &st);
}

const char *ddb_strerror(int status)
{
    switch (status) {
    case DDB_OK:
        return "ok";
    case DDB_ERR_INVALID:
        return "invalid DynamoDB request";
    case DDB_ERR_NOMEM:
        return "out of memory";
    case DDB_ERR_SERVICE:
        return "DynamoDB returned an error";
    case DDB_ERR_TRANSPORT:
        return "could not reach DynamoDB";
    case DDB_ERR_DEADLINE:
        return "no time left before the deadline";
    default:
        return "unknown DynamoDB error";
    }
}
