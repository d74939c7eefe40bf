/* sns.c: the SNS client: configuration and the Publish call, on the shared
 * AWS client core (aws/aws_client.h: endpoint, credentials, connections, the
 * AWS SDKs' standard retries).  The wire format is in aws/sns_query.c. */
#include "aws/sns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sns_internal.h"

_Static_assert((int)SNS_OK == AWS_OK && (int)SNS_ERR_INVALID == AWS_ERR_INVALID &&
                   (int)SNS_ERR_NOMEM == AWS_ERR_NOMEM && (int)SNS_ERR_SERVICE == AWS_ERR_SERVICE &&
                   (int)SNS_ERR_TRANSPORT == AWS_ERR_TRANSPORT &&
                   (int)SNS_ERR_DEADLINE == AWS_ERR_DEADLINE,
               "SNS codes are the core's");

void sns_config_defaults(sns_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_ms = 2000;
    cfg->attempt_timeout_ms = 5000;
    cfg->max_attempts = RETRY_MAX_ATTEMPTS;
    cfg->backoff_base_ms = RETRY_BASE_DELAY_MS;
    cfg->throttling_backoff_base_ms = RETRY_THROTTLING_BASE_DELAY_MS;
    cfg->backoff_cap_ms = RETRY_MAX_BACKOFF_MS;
    cfg->safety_margin_ms = 300;
}

sns_client *sns_client_new(const sns_config *cfg, char *err, size_t errlen)
{
    aws_client_config core = {
        .service = "SNS",
        .endpoint_prefix = "sns",
        AWS_CLIENT_CONFIG_FROM(cfg),
        .retry = {.max_attempts = cfg->max_attempts,
                  .base_delay_ms = cfg->backoff_base_ms,
                  .throttling_base_delay_ms = cfg->throttling_backoff_base_ms,
                  .max_backoff_ms = cfg->backoff_cap_ms},
    };
    return (sns_client *)aws_client_new(&core, sizeof(sns_client), err, errlen);
}

void sns_client_free(sns_client *c)
{
    aws_client_free(c != NULL ? &c->aws : NULL);
}

const char *sns_client_endpoint(const sns_client *c)
{
    return c->aws.endpoint;
}

/* One Publish: the message, and the request of the attempt under way. */
typedef struct publish_call {
    sns_client *client;
    const sns_message *message;
    sns_result *res;
    sns_request req;
} publish_call;

static int publish_build(void *ctx, time_t now, aws_http_request *out)
{
    publish_call *p = ctx;
    int rc = sns_build_publish(p->client, p->message, now, &p->req);
    p->res->message_id[0] = p->res->request_id[0] = '\0';
    if (rc != SNS_OK)
        return rc;
    out->url = p->req.url;
    out->body = p->req.body.data;
    out->body_len = p->req.body.len;
    out->headers = p->req.headers;
    out->nheaders = p->req.nheaders;
    return SNS_OK;
}

static void publish_release(void *ctx, aws_http_request *req)
{
    publish_call *p = ctx;
    (void)req;
    sns_request_free(&p->req);
}

/* An HTTP answer: 0 with a MessageId, else -1 with the (scrubbed) error. */
static int publish_answer(void *ctx, const char *body, size_t len, aws_status *st)
{
    publish_call *p = ctx;
    sns_result *res = p->res;
    int parsed = sns_parse_response_for(p->client, body, len, res);
    if (res->http_status >= 200 && res->http_status < 300 && res->message_id[0] != '\0')
        return 0;
    if (parsed != 0 || res->error_code[0] == '\0') {
        snprintf(st->code, st->code_cap, "HttpError");
        snprintf(st->message, st->message_cap, "HTTP %ld without an SNS %s in the body",
                 res->http_status, res->http_status < 300 ? "MessageId" : "error");
    }
    return -1;
}

int sns_publish(sns_client *c, const sns_message *m, int64_t deadline_ms, sns_result *res)
{
    memset(res, 0, sizeof *res);
    if (c == NULL || m == NULL || sns_validate_message(m, res) != 0)
        return SNS_ERR_INVALID;
    publish_call p = {.client = c, .message = m, .res = res};
    aws_call call = {.op = "Publish",
                     .ctx = &p,
                     .build = publish_build,
                     .release = publish_release,
                     .answer = publish_answer};
    aws_status st = {&res->attempts,         &res->http_status,  res->error_code,
                     sizeof res->error_code, res->error_message, sizeof res->error_message};
    return aws_client_call(&c->aws, &call, deadline_ms, &st);
}

const char *sns_strerror(int status)
{
    switch (status) {
    case SNS_OK:
        return "ok";
    case SNS_ERR_INVALID:
        return "invalid SNS request";
    case SNS_ERR_NOMEM:
        return "out of memory";
    case SNS_ERR_SERVICE:
        return "SNS returned an error";
    case SNS_ERR_TRANSPORT:
        return "could not reach SNS";
    case SNS_ERR_DEADLINE:
        return "no time left before the deadline";
    default:
        return "unknown SNS error";
    }
}
