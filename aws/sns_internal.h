/* sns_internal.h: the SNS client's state, shared by aws/sns.c (the client,
 * transport and retries) and aws/sns_query.c (the Query API wire format).
 * Not for use outside aws/. */
#ifndef IRIS_SNS_INTERNAL_H
#define IRIS_SNS_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <curl/curl.h>

#include "aws/retry.h"
#include "aws/sns.h"
#include "common/buf.h"

/* One connection: a CURL handle (keep-alive) and its response buffer, used
 * by one publish at a time. */
typedef struct sns_conn {
    CURL *curl;
    buf response;
    struct sns_conn *next; /* in the client's idle list */
} sns_conn;

struct sns_client {
    char *region;
    char *endpoint; /* normalised URL */
    char *host;     /* Host header value: host[:port] */
    char *path;     /* decoded path, at least "/" */
    int https;
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL when none */
    char *ca_file;       /* NULL: the bundle lookup at first use */
    long connect_timeout_ms, attempt_timeout_ms;
    long safety_margin_ms;
    retry_policy retry;
    /* What publishes share, behind mu (held for bookkeeping, never across a
     * request): */
    pthread_mutex_t mu;
    retry_quota quota; /* the standard mode's token bucket, for the client's lifetime */
    uint64_t rng;
    sns_conn *idle; /* connections not in use, kept alive between publishes */
};

/* Fills res's code, message and request id from a response body (see
 * sns_parse_response), scrubbed of the client's secrets. */
int sns_parse_response_for(const sns_client *c, const char *body, size_t len, sns_result *res);

/* Scrubs peer text (e.g. a transport error) of the client's secrets into out. */
void sns_scrub_for(const sns_client *c, char *out, size_t cap, const char *text);

#endif
