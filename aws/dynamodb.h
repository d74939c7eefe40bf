/* dynamodb.h: an Amazon DynamoDB client for its JSON API (libcurl, SigV4 via
 * aws/sigv4).  Knows nothing about iris or alerts: it sends one operation's
 * JSON request and hands back the JSON answer.
 *
 *   ddb_config cfg;  ddb_config_defaults(&cfg);  cfg.region = ...; ...
 *   ddb_client *c = ddb_client_new(&cfg, err, sizeof err);   // no network yet
 *   cJSON *answer = NULL;  ddb_result r;
 *   if (ddb_call(c, "UpdateItem", body, len, deadline_ms, &answer, &r) == DDB_OK) ...
 *   cJSON_Delete(answer);  ddb_client_free(c);
 *
 * Requests (DynamoDB API reference, "Making requests" / low-level API):
 * POST <endpoint>/ with X-Amz-Target: DynamoDB_20120810.<Operation>,
 * Content-Type: application/x-amz-json-1.0 and the operation's JSON body,
 * signed with SigV4 for service "dynamodb" (the session token signed as
 * X-Amz-Security-Token).  Errors come back as HTTP 4xx/5xx with a body
 * {"__type":"com.amazonaws.dynamodb.v20120810#<Code>","message":"..."}
 * (also "Message"); the code is the part after '#'.
 *
 * Retries follow the AWS SDKs' standard mode (aws/retry.h): 3 attempts,
 * throttling (ProvisionedThroughputExceededException, ThrottlingException,
 * RequestLimitExceeded, HTTP 429 ...) backs off from 500 ms, transient and
 * 5xx errors from 100 ms; never past deadline minus the safety margin.
 * ConditionalCheckFailedException and other client errors are not retried.
 *
 * Every text taken from the answer or the transport is scrubbed
 * (aws/scrub.h) of the secret key and the session token.  A client may be
 * shared by threads: each call takes an idle connection (CURL handle, kept
 * alive) or makes one; the retry quota and the jitter sit behind a lock held
 * for bookkeeping only.
 */
#ifndef IRIS_DYNAMODB_H
#define IRIS_DYNAMODB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

typedef struct ddb_config {
    const char *region;   /* signing region (required) */
    const char *endpoint; /* NULL: https://dynamodb.<region>.amazonaws.com (.com.cn in cn-*) */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL or "" for long-term credentials */
    const char *ca_file;       /* NULL: SSL_CERT_FILE, then the known bundle paths */
    long connect_timeout_ms;   /* default 1000 */
    long attempt_timeout_ms;   /* default 2000 */
    int max_attempts;          /* default 3 */
    long safety_margin_ms;     /* default 300 */
} ddb_config;

enum ddb_status {
    DDB_OK = 0,
    DDB_ERR_INVALID = -1, /* bad configuration or request (nothing sent) */
    DDB_ERR_NOMEM = -2,
    DDB_ERR_SERVICE = -3,   /* DynamoDB answered with an error (code in the result) */
    DDB_ERR_TRANSPORT = -4, /* connection, TLS or timeout failure */
    DDB_ERR_DEADLINE = -5,  /* no time left for an attempt */
};

/* What happened; peer text scrubbed, printable ASCII, bounded. */
typedef struct ddb_result {
    int attempts;
    long http_status;
    char error_code[64]; /* "ConditionalCheckFailedException", "ConnectionError", ... */
    char error_message[384];
} ddb_result;

typedef struct ddb_client ddb_client;

void ddb_config_defaults(ddb_config *cfg);

/* Copies cfg into a new client (secrets wiped by ddb_client_free).  Opens
 * nothing.  NULL with a message in err on a bad configuration. */
ddb_client *ddb_client_new(const ddb_config *cfg, char *err, size_t errlen);
void ddb_client_free(ddb_client *c); /* accepts NULL */
const char *ddb_client_endpoint(const ddb_client *c);

/* Sends operation op (e.g. "GetItem") with the JSON body, retrying as above.
 * deadline_ms: Unix epoch ms (0: none).  On DDB_OK *answer is the parsed
 * answer (the caller frees it with cJSON_Delete); otherwise *answer is NULL
 * and res says why.  Fills *res in every case. */
int ddb_call(ddb_client *c, const char *op, const char *body, size_t len, int64_t deadline_ms,
             cJSON **answer, ddb_result *res);

/* Builds the signed request headers of one call at time now ("Name: value"
 * lines appended to *headers, n of them; free each and the array).  For tests. */
int ddb_build_headers(const ddb_client *c, const char *op, const char *body, size_t len, time_t now,
                      char ***headers, size_t *n);

/* Reads an answer body with its HTTP status: on 2xx a JSON object goes to
 * *answer (0); otherwise the error's code and message go to res, bounded and
 * printable, secrets scrubbed (nsecrets entries of secrets), and -1 is
 * returned (code "HttpError" when the body is not a DynamoDB error). */
int ddb_parse_answer(const char *body, size_t len, long http_status, const char *const *secrets,
                     size_t nsecrets, cJSON **answer, ddb_result *res);

const char *ddb_strerror(int status);

#endif
