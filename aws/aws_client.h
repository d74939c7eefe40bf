/* aws_client.h: what the service clients of aws/ (aws/sns.c, aws/dynamodb.c)
 * share: the checked configuration, the endpoint split into Host and path,
 * the credentials (wiped when freed), a pool of kept-alive libcurl
 * connections, and one call loop with the AWS SDKs' standard retries
 * (aws/retry.h: attempts, backoff with jitter, the retry quota) bounded by
 * the invocation's deadline.  A service supplies how one attempt's request
 * is built and signed and how an answer is read.  Not for use outside aws/.
 *
 * Thread safety: one aws_client may be used by several threads at once; its
 * mutex guards the quota, the jitter's generator and the idle connections,
 * and is never held across a request. */
#ifndef IRIS_AWS_CLIENT_H
#define IRIS_AWS_CLIENT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aws/retry.h"

/* The results of aws_client_call; the services' own codes have the same
 * values (SNS_OK ..., DDB_OK ...). */
enum {
    AWS_OK = 0,
    AWS_ERR_INVALID = -1,
    AWS_ERR_NOMEM = -2,
    AWS_ERR_SERVICE = -3,
    AWS_ERR_TRANSPORT = -4,
    AWS_ERR_DEADLINE = -5,
};

typedef struct aws_client_config {
    const char *service;         /* for messages: "SNS", "DynamoDB" */
    const char *endpoint_prefix; /* "sns": the default endpoint's host and the user agent */
    const char *region;          /* required */
    const char *endpoint;        /* NULL or "": https://<prefix>.<region>.amazonaws.com[.cn]/ */
    const char *access_key_id, *secret_access_key; /* required */
    const char *session_token;                     /* NULL or "": none */
    const char *ca_file; /* NULL or "": SSL_CERT_FILE, then the known bundle paths */
    long connect_timeout_ms, attempt_timeout_ms, safety_margin_ms;
    retry_policy retry;
} aws_client_config;

/* Designated initializers for the fields of an aws_client_config that a
 * service's own config (sns_config, ddb_config) has under the same names. */
#define AWS_CLIENT_CONFIG_FROM(cfg)                                                                \
    .region = (cfg)->region, .endpoint = (cfg)->endpoint, .access_key_id = (cfg)->access_key_id,   \
    .secret_access_key = (cfg)->secret_access_key, .session_token = (cfg)->session_token,          \
    .ca_file = (cfg)->ca_file, .connect_timeout_ms = (cfg)->connect_timeout_ms,                    \
    .attempt_timeout_ms = (cfg)->attempt_timeout_ms, .safety_margin_ms = (cfg)->safety_margin_ms

typedef struct aws_conn aws_conn;

/* Read-only for the services once made, except through the functions below. */
typedef struct aws_client {
    const char *service, *endpoint_prefix; /* the config's (static) strings */
    char *region;
    char *endpoint; /* normalised URL */
    char *host;     /* Host header value: host[:port], the port only when not the default */
    char *path;     /* decoded path, at least "/" */
    int https;
    char *access_key_id;
    char *secret_access_key; /* wiped when freed */
    char *session_token;     /* NULL when none; wiped when freed */
    char *ca_file;           /* NULL: the bundle lookup at first use */
    long connect_timeout_ms, attempt_timeout_ms, safety_margin_ms;
    retry_policy retry;
    pthread_mutex_t mu;
    retry_quota quota; /* the standard mode's token bucket, for the client's lifetime */
    uint64_t rng;      /* xorshift64*: backoff jitter only */
    aws_conn *idle;    /* connections not in use, kept alive between calls */
} aws_client;

/* A new client, or NULL with a message in err (no secret in it).  Copies
 * every string of cfg.  size: that of the service's client struct, which
 * begins with its aws_client (so the result is the service's client too);
 * sizeof(aws_client) when there is none.  Free with aws_client_free. */
aws_client *aws_client_new(const aws_client_config *cfg, size_t size, char *err, size_t errlen);
/* Closes the connections, wipes the secrets and frees the block
 * aws_client_new allocated; accepts NULL. */
void aws_client_free(aws_client *c);

/* The secrets that peer text must never show: {secret key, session token
 * or NULL}, borrowed from c. */
void aws_client_secrets(const aws_client *c, const char *out[2]);

/* Where a call writes its outcome: pointers into the service's result. */
typedef struct aws_status {
    int *attempts;     /* incremented per request sent */
    long *http_status; /* of the last answer, 0 if none */
    char *code;        /* the service's error code, or "ConnectionError", "Timeout", ... */
    size_t code_cap;
    char *message; /* scrubbed */
    size_t message_cap;
} aws_status;

/* One attempt's request, as the service's build step made it; its parts
 * stay the service's until its release step. */
typedef struct aws_http_request {
    const char *url;
    const char *body;
    size_t body_len;
    char *const *headers; /* "Name: value" lines, signed */
    size_t nheaders;
} aws_http_request;

typedef struct aws_call {
    const char *op; /* "Publish", "UpdateItem": in log lines */
    void *ctx;      /* handed to the steps below */
    /* Builds and signs one attempt's request at time now.  Returns AWS_OK,
     * AWS_ERR_INVALID or AWS_ERR_NOMEM. */
    int (*build)(void *ctx, time_t now, aws_http_request *req);
    /* Frees what build made (also after a failed build). */
    void (*release)(void *ctx, aws_http_request *req);
    /* Reads an HTTP answer (*st->http_status already set): 0 when it is the
     * success the caller wanted, else -1 with st's code and message filled,
     * scrubbed of aws_client_secrets. */
    int (*answer)(void *ctx, const char *body, size_t len, aws_status *st);
} aws_call;

/* Sends call's request with the standard retries until it succeeds, fails
 * for good, or deadline_ms (Unix epoch ms, 0: none) less the safety margin
 * leaves no time.  Returns AWS_OK, AWS_ERR_SERVICE, AWS_ERR_TRANSPORT,
 * AWS_ERR_DEADLINE, AWS_ERR_INVALID or AWS_ERR_NOMEM, with st filled. */
int aws_client_call(aws_client *c, const aws_call *call, int64_t deadline_ms, aws_status *st);

#endif
