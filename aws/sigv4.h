/* sigv4.h: AWS Signature Version 4 (header-based, AWS4-HMAC-SHA256) on
 * OpenSSL libcrypto's HMAC and SHA-256.
 *
 * Why not libcurl's CURLOPT_AWS_SIGV4: Debian's libcurl 7.88.1 signs a
 * content-type header on every POST even when none is sent, cannot leave the
 * session token unsigned, and sends X-Amz-Date twice when the caller supplies
 * one (curl issue #11738), so it fails the AWS suite's post-vanilla and
 * post-sts-header-after cases and cannot be tested with a fixed clock.  The
 * bootstrap may also meet other libcurl versions at run time, each with its
 * own signer bugs; this module behaves the same everywhere.
 *
 *   sigv4_request r = {.method = "POST", .path = "/", .headers = h, .nheaders = n,
 *                      .body = body, .body_len = len};
 *   sigv4_credentials c = {key_id, secret, token};
 *   sigv4_signature s;
 *   sigv4_sign(&r, &c, "us-east-1", "sns", time(NULL), SIGV4_TOKEN_SIGNED, &s, NULL);
 *   // send r's headers (less those sigv4_header_replaced() names) plus
 *   // s.amz_date (X-Amz-Date), the token (X-Amz-Security-Token) and
 *   // s.authorization (Authorization).
 */
#ifndef IRIS_SIGV4_H
#define IRIS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "common/buf.h"

typedef struct sigv4_header {
    const char *name;
    const char *value;
} sigv4_header;

/* The request as it will be sent.  path is the raw (unencoded) absolute path;
 * it is normalised (dot segments, duplicate slashes) and percent-encoded.
 * query is the raw query string without '?' (NULL or "" for none); its
 * parameters are percent-decoded, re-encoded per RFC 3986 and sorted.
 * headers are signed in full and must include Host; repeated names are
 * joined with commas in the given order.  Headers the signature replaces are
 * left out, as botocore's SigV4Auth deletes them before it signs: any
 * Authorization, and any X-Amz-Security-Token when the credentials carry a
 * session token (the credentials' token is the one signed and sent, never a
 * second copy).  An X-Amz-Date header, if present,
 * sets the signing time (the suite's cases); otherwise the given time does
 * and the caller sends X-Amz-Date: amz_date. */
typedef struct sigv4_request {
    const char *method;
    const char *path;
    const char *query;
    const sigv4_header *headers;
    size_t nheaders;
    const void *body;
    size_t body_len;
} sigv4_request;

typedef struct sigv4_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL or "" for long-term credentials */
} sigv4_credentials;

enum sigv4_token_mode {
    SIGV4_TOKEN_SIGNED = 0, /* X-Amz-Security-Token is a signed header (botocore, the SDKs) */
    SIGV4_TOKEN_UNSIGNED,   /* added after signing (the suite's post-sts-header-after) */
};

#define SIGV4_AMZ_DATE_LEN 16 /* YYYYMMDDTHHMMSSZ */

typedef struct sigv4_signature {
    char amz_date[SIGV4_AMZ_DATE_LEN + 1];
    char authorization[512]; /* the Authorization header value */
} sigv4_signature;

/* Optional outputs for tests and diagnostics (NULL to skip). */
typedef struct sigv4_debug {
    buf *canonical_request;
    buf *string_to_sign;
} sigv4_debug;

enum sigv4_status {
    SIGV4_OK = 0,
    SIGV4_ERR_INVALID = -1, /* missing field, bad X-Amz-Date, no Host header */
    SIGV4_ERR_NOMEM = -2,
    SIGV4_ERR_CRYPTO = -3, /* libcrypto failed */
};

/* Signs req at time now (UTC) for region/service.  With a session token and
 * SIGV4_TOKEN_SIGNED the token is part of the canonical headers, so the
 * caller must send it.  Writes *out; never keeps pointers to the inputs.
 * Secret-derived keys are wiped before returning. */
int sigv4_sign(const sigv4_request *req, const sigv4_credentials *creds, const char *region,
               const char *service, time_t now, enum sigv4_token_mode token_mode,
               sigv4_signature *out, const sigv4_debug *debug);

/* 1 when the header called name is one the signature replaces (see
 * sigv4_request): the caller sends the signer's value instead of the
 * request's.  Case-insensitive; NULL creds means no session token. */
int sigv4_header_replaced(const sigv4_credentials *creds, const char *name);

/* Appends s (len bytes) percent-encoded per RFC 3986: every byte except
 * A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case hex); '/' is kept when
 * keep_slash.  Shared with the SNS form encoder. */
int sigv4_uri_encode(buf *out, const char *s, size_t len, int keep_slash);

const char *sigv4_strerror(int status);

#endif
