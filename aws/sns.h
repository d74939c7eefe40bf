/* sns.h: an Amazon SNS Publish client (Query API over libcurl, SigV4 via
 * aws/sigv4).  Knows nothing about iris or alerts.
 *
 *   sns_config cfg;  sns_config_defaults(&cfg);  cfg.region = ...; cfg.access_key_id = ...;
 *   sns_client *c = sns_client_new(&cfg, err, sizeof err);   // no network, no TLS yet
 *   sns_result r;
 *   if (sns_publish(c, &msg, deadline_ms, &r) == SNS_OK) use r.message_id;
 *   sns_client_free(c);
 *
 * Requests: POST <endpoint>/ with Action=Publish&Version=2010-03-31&TopicArn=
 * ...&Subject=...&Message=...&MessageAttributes.entry.N.{Name,Value.DataType,
 * Value.StringValue}[&MessageGroupId=...&MessageDeduplicationId=...],
 * form-encoded per RFC 3986, Content-Type
 * application/x-www-form-urlencoded; charset=utf-8, signed with SigV4
 * (service "sns"; the session token is sent and signed as
 * X-Amz-Security-Token).
 *
 * Retries follow the AWS SDKs' standard mode (aws/retry.h: 3 attempts,
 * full-jitter backoff with a 500 ms base for throttling and 100 ms otherwise,
 * capped at 20 s, and the client's retry quota).  No attempt starts later
 * than deadline minus the safety margin, each attempt's timeout is cut to
 * end by then, and a backoff that would end past it is not slept.
 *
 * Every field taken from SNS's reply (Code, Message, RequestId, MessageId)
 * and every transport error text is scrubbed (aws/scrub.h) of the secret key
 * and session token before it reaches sns_result.
 *
 * Connections (a CURL handle each) are created when a publish finds none idle
 * and kept for the next (keep-alive across warm invocations): one in a
 * single-threaded program, one per concurrent publish otherwise.  A client
 * may be shared by threads: sns_publish may run in several at once (the retry
 * quota and the jitter's generator sit behind a lock held for bookkeeping
 * only, never across a request).  TLS peer and host verification are always
 * on; the CA bundle is SSL_CERT_FILE, else the first that exists of
 * /etc/pki/tls/certs/ca-bundle.crt and /etc/ssl/certs/ca-certificates.crt.
 */
#ifndef IRIS_SNS_H
#define IRIS_SNS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"

/* SNS's limit on a message plus its attributes (256 KiB). */
#define SNS_MAX_MESSAGE_BYTES 262144
/* Subjects: printable ASCII, no line breaks, fewer than 100 characters. */
#define SNS_MAX_SUBJECT_CHARS 99

typedef struct sns_config {
    const char *region;   /* signing region, e.g. "us-east-1" (required) */
    const char *endpoint; /* NULL: https://sns.<region>.amazonaws.com (.com.cn in cn-*) */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;       /* NULL or "" for long-term credentials */
    const char *ca_file;             /* NULL: SSL_CERT_FILE, then the known bundle paths */
    long connect_timeout_ms;         /* default 2000 */
    long attempt_timeout_ms;         /* total per attempt, default 5000 */
    int max_attempts;                /* default 3 */
    long backoff_base_ms;            /* default 100 (transient and server errors) */
    long throttling_backoff_base_ms; /* default 500 */
    long backoff_cap_ms;             /* default 20000 */
    long safety_margin_ms;           /* default 300: kept free before the deadline */
} sns_config;

typedef struct sns_attribute {
    const char *name;
    const char *data_type; /* "String", "Number", ... */
    const char *value;
} sns_attribute;

typedef struct sns_message {
    const char *topic_arn;
    const char *subject; /* NULL: no Subject */
    const char *message;
    size_t message_len;
    const sns_attribute *attributes;
    size_t nattributes;
    /* FIFO topics (ARN ending in .fifo) only; NULL for standard topics.  SNS
     * requires a group id on a FIFO topic and refuses a deduplication id on a
     * standard one; both are 1-128 letters, digits or punctuation. */
    const char *message_group_id;
    const char *message_deduplication_id;
} sns_message;

#define SNS_MAX_FIFO_ID_CHARS 128

enum sns_status {
    SNS_OK = 0,
    SNS_ERR_INVALID = -1,   /* bad configuration or message (nothing sent) */
    SNS_ERR_NOMEM = -2,     /* allocation failed */
    SNS_ERR_SERVICE = -3,   /* SNS answered with an error (code in the result) */
    SNS_ERR_TRANSPORT = -4, /* connection, TLS or timeout failure */
    SNS_ERR_DEADLINE = -5,  /* no time left before the deadline for an attempt */
};

/* What happened, for logs and error messages.  Secrets never appear here:
 * every text from the peer is scrubbed of the secret key and the session
 * token, whole, in pieces or escaped (AWS echoes the canonical request, token
 * included, in SignatureDoesNotMatch; a hostile endpoint may echo anything),
 * bounded to its field and printable ASCII only. */
typedef struct sns_result {
    int attempts;     /* requests sent */
    long http_status; /* of the last response, 0 if none */
    char message_id[128];
    char request_id[128];
    char error_code[64];     /* SNS code ("Throttling"), or "ConnectionError", "HttpError", ... */
    char error_message[384]; /* SNS message or the transport error */
} sns_result;

/* A built request: what sns_publish sends for one attempt. */
typedef struct sns_request {
    char *url;      /* owned */
    buf body;       /* form body */
    char **headers; /* "Name: value" lines, owned */
    size_t nheaders;
} sns_request;

typedef struct sns_client sns_client;

void sns_config_defaults(sns_config *cfg);

/* Copies cfg (strings included) into a new client; validates the endpoint URL
 * (http or https with a host).  Opens no connection and creates no CURL
 * handle.  NULL plus a message in err on failure.  Free with
 * sns_client_free(), which wipes the copied secrets. */
sns_client *sns_client_new(const sns_config *cfg, char *err, size_t errlen);
void sns_client_free(sns_client *c); /* accepts NULL */

/* The endpoint URL requests go to (owned by the client). */
const char *sns_client_endpoint(const sns_client *c);

/* Publishes m, retrying as described above.  deadline_ms is Unix epoch ms
 * (0: none).  Fills *res in every case.  Returns SNS_OK (res->message_id
 * set) or a negative enum sns_status. */
int sns_publish(sns_client *c, const sns_message *m, int64_t deadline_ms, sns_result *res);

/* Builds and signs one Publish request at time now into *out (caller frees
 * with sns_request_free).  Exposed for tests and the benchmark. */
int sns_build_publish(const sns_client *c, const sns_message *m, time_t now, sns_request *out);
void sns_request_free(sns_request *r); /* accepts NULL */

/* Appends the form encoding of m (Action=Publish&...) to body. */
int sns_form_publish(buf *body, const sns_message *m);

/* Parses an SNS Query API response body: PublishResponse's MessageId, or
 * ErrorResponse's Code and Message (XML entities decoded), and RequestId,
 * each made printable ASCII and bounded (the client also scrubs its secrets).
 * Returns 0 when something was recognised, -1 otherwise. */
int sns_parse_response(const char *body, size_t len, sns_result *res);

/* Checks m as SNS would before sending anything: 0, or -1 with
 * res->error_code "InvalidMessage" and the reason in res->error_message. */
int sns_validate_message(const sns_message *m, sns_result *res);

/* 1 when the ARN names a FIFO topic (its name ends in ".fifo"). */
int sns_is_fifo_topic(const char *topic_arn);
/* 1 when id is a valid MessageGroupId / MessageDeduplicationId. */
int sns_valid_fifo_id(const char *id);
/* A valid FIFO id for key: key itself when it is one, else the lower-case
 * hex SHA-256 of key (64 characters).  Returns 0, or -1 (out = ""). */
int sns_fifo_id(const char *key, char out[SNS_MAX_FIFO_ID_CHARS + 1]);

const char *sns_strerror(int status);

#endif
