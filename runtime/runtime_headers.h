/* runtime_headers.h: the Lambda-Runtime-* headers of a GET /invocation/next
 * response, read one line at a time, each bounded and validated.  Nothing a
 * peer sends is trusted:
 *
 *   - Lambda-Runtime-Aws-Request-Id: at most RUNTIME_ID_MAX bytes.  It only
 *     becomes part of a URL through runtime_headers_id_path(), which refuses
 *     ids that could change the path ('/', '\', control bytes, "." and "..")
 *     and percent-encodes every other byte outside [A-Za-z0-9._~-].
 *   - Lambda-Runtime-Deadline-Ms: 1 to 15 decimal digits, greater than zero.
 *   - Lambda-Runtime-Trace-Id, Lambda-Runtime-Invoked-Function-Arn: printable
 *     ASCII, at most RUNTIME_TRACE_MAX / RUNTIME_ARN_MAX bytes.
 *   - Lambda-Runtime-Client-Context, Lambda-Runtime-Cognito-Identity: valid
 *     UTF-8 without control characters, at most RUNTIME_CONTEXT_MAX bytes.
 *   - Content-Length: decimal digits, at most RUNTIME_EVENT_MAX.
 *   - a Lambda-Runtime-* header sent twice.
 *
 * The first violation is kept in h->problem (a message that names the
 * header, the size or the offending byte, never the header's value); the
 * invocation is then failed instead of served.  Unknown headers are ignored.
 */
#ifndef RUNTIME_RUNTIME_HEADERS_H
#define RUNTIME_RUNTIME_HEADERS_H

#include <stddef.h>
#include <stdint.h>

/* Lambda's request ids are UUIDs (36 bytes); the bound leaves room. */
#define RUNTIME_ID_MAX 256
/* An X-Ray trace header (Root, Parent, Sampled, Lineage) is far shorter. */
#define RUNTIME_TRACE_MAX 1024
/* IAM's limit on an ARN. */
#define RUNTIME_ARN_MAX 2048
/* Lambda's Invoke API accepts at most 3,583 bytes of client context. */
#define RUNTIME_CONTEXT_MAX 16384
/* Lambda's largest invocation payload is 6 MB (synchronous); the bound
 * leaves room while keeping a hostile Content-Length from reserving memory. */
#define RUNTIME_EVENT_MAX (16u * 1024u * 1024u)

typedef struct runtime_headers {
    char request_id[RUNTIME_ID_MAX + 1];
    char trace_id[RUNTIME_TRACE_MAX + 1];
    char function_arn[RUNTIME_ARN_MAX + 1];
    char *client_context;   /* owned, NULL when absent */
    char *cognito_identity; /* owned, NULL when absent */
    int64_t deadline_ms;    /* 0 when absent */
    int64_t content_length; /* -1 when absent */
    unsigned seen;          /* bit per Lambda-Runtime-* header received */
    int id_too_long;        /* the request id was over RUNTIME_ID_MAX */
    char problem[256];      /* first violation, "" when none */
} runtime_headers;

/* Empties h (frees the owned strings) for the next response. */
void runtime_headers_reset(runtime_headers *h);
/* Frees the owned strings. */
void runtime_headers_free(runtime_headers *h);

/* Reads one raw header line (with or without its CRLF).  Returns 0; a
 * violation is recorded in h->problem. */
int runtime_headers_line(runtime_headers *h, const char *line, size_t len);

/* Writes "/invocation/<encoded id>/<kind>" into out.  Returns 0, or -1 with
 * the reason in why when the id cannot be used in a URL path (empty, too
 * long, "." or "..", or containing '/', '\' or a control byte). */
int runtime_headers_id_path(const char *id, const char *kind, char *out, size_t outlen, char *why,
                            size_t whylen);

#endif
