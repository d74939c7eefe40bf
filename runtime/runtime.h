/* runtime.h: a reusable AWS Lambda Runtime API client for any C handler (the
 * role aws-lambda-cpp plays for C++).  See runtime/README.md.
 *
 *   runtime_global_init();
 *   runtime *rt = runtime_new(err, sizeof err);   // reads AWS_LAMBDA_RUNTIME_API
 *   if (init fails) { runtime_init_error(rt, "Runtime.X", msg); exit(1); }
 *   return runtime_run(rt, handler, ctx);          // loops until SIGTERM / fatal
 *
 * The loop: GET /2018-06-01/runtime/invocation/next (no overall timeout: the
 * sandbox may be frozen between invocations), call the handler, then POST
 * .../{id}/response or .../{id}/error, over one keep-alive connection spoken
 * by runtime/runtime_http.h (plain HTTP/1.1, no library beyond libc, so a
 * fresh process sets nothing up before its first GET /next; SIGPIPE is never
 * raised).  _X_AMZN_TRACE_ID is set from Lambda-Runtime-Trace-Id for
 * each invocation.  Errors go to /init/error and /invocation/{id}/error with
 * Content-Type application/vnd.aws.lambda.error+json and the type in
 * Lambda-Runtime-Function-Error-Type.  After a 413 on /response Lambda fails
 * the invocation itself (Function.ResponseSizeTooLarge): it is logged, not
 * reported again.  A 500 from the Runtime API ends the loop; connection
 * failures on /next are retried a bounded number of times with backoff.
 * SIGTERM: the current invocation finishes, then runtime_run returns 0.
 *
 * Two modes, chosen by AWS_LAMBDA_MAX_CONCURRENCY (Lambda Managed Instances
 * set it to the function's PerExecutionEnvironmentMaxConcurrency):
 *   - unset (classic Lambda) or 1: the single loop above on the calling
 *     thread; no thread is created and no lock taken; _X_AMZN_TRACE_ID is
 *     set from Lambda-Runtime-Trace-Id for each invocation, as AWS's
 *     custom-runtime guide asks.
 *   - N from 2 to 1600: N workers, each a thread with its own connection,
 *     buffers and headers, each polling /next and posting its own answers.
 *     The handler runs on N threads at once with the same ctx (see
 *     runtime/README.md, "The handler contract"); the trace id is in the
 *     request only (the environment is never written).  SIGTERM: every
 *     worker stops polling, those serving finish and post, then runtime_run
 *     returns 0.  A fatal condition in one worker stops the others the same
 *     way, then runtime_run returns 1: no invocation in flight is cut.
 * Any other value is an initialisation error (runtime_new).
 *
 * Nothing the Runtime API sends is trusted (runtime/runtime_headers.h): every
 * header is bounded and validated, the request id is percent-encoded into
 * the URL and never chooses its path, and an invocation that arrives damaged
 * (a malformed or oversized header, a bad deadline, an event over 16 MiB) is
 * failed with Runtime.InvalidInvocation instead of being served or lost.  An
 * id that cannot be put in a path ("..", '/') is logged, never answered.
 */
#ifndef RUNTIME_RUNTIME_H
#define RUNTIME_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

typedef struct runtime runtime;

/* One invocation, valid only during the handler call (and only on the thread
 * that called the handler).  Strings are never NULL
 * ("" when the Runtime API did not send the header) and already validated:
 * request_id has no NUL (other bytes are possible), xray_trace_id and
 * function_arn are printable ASCII, client_context and cognito_identity are
 * UTF-8 text of at most 16 KB. */
typedef struct runtime_invocation_request {
    const char *payload; /* not NUL-terminated in general: use payload_len */
    size_t payload_len;
    const char *request_id;
    const char *xray_trace_id;
    const char *client_context;
    const char *cognito_identity;
    const char *function_arn;
    int64_t deadline_ms; /* Unix epoch milliseconds; 0 if unknown */
    runtime *owner;      /* the client that received it (NULL when built by hand) */
} runtime_invocation_request;

/* Frees the event buffer early, for a handler that has copied out what it
 * needs: a 6 MB batch then need not stay in memory beside the response.
 * After the call req->payload must not be read.  Acts on the worker that
 * received the request (req->owner); no-op without an owner. */
void runtime_release_payload(const runtime_invocation_request *req);
/* Gives back to the system the memory of the event's first n bytes, which
 * the handler will not read again (their content is then gone): a handler
 * reading the event from its start need not hold it whole beside what it
 * builds.  Whole pages only; no-op without an owner. */
void runtime_release_payload_prefix(const runtime_invocation_request *req, size_t n);

/* A response body produced in pieces while it is posted, so that a large
 * response need not sit in memory whole: fill writes up to cap bytes into
 * dst and returns how many (0 only at the end); the pieces must add up to
 * exactly the size given to runtime_success_stream(). */
typedef size_t (*runtime_body_fill)(void *ctx, char *dst, size_t cap);

/* What a handler returns.  Build it with runtime_success(),
 * runtime_success_stream() or runtime_failure(); the runtime frees the
 * payload (with free()) or calls release(ctx) after posting it. */
typedef struct runtime_invocation_response {
    int success;
    char *payload; /* success: body; failure: unused */
    size_t payload_len;
    runtime_body_fill fill; /* streamed body instead of payload */
    void (*release)(void *ctx);
    void *ctx;
    const char *content_type; /* static string */
    char *error_message;      /* failure only, owned */
    char *error_type;         /* failure only, owned */
} runtime_invocation_response;

/* Takes ownership of payload (malloc'd).  A NULL payload (allocation failed)
 * turns into a failure response. */
runtime_invocation_response runtime_success(char *payload, size_t len, const char *content_type);
/* A streamed success body of exactly size bytes (see runtime_body_fill), or
 * of RUNTIME_SIZE_UNKNOWN: then it is posted with chunked transfer encoding
 * and the handler need not count it first (the Runtime API reads the body to
 * its end and applies the size limit to what it read).  release (may be
 * NULL) is called with ctx when the runtime is done. */
#define RUNTIME_SIZE_UNKNOWN SIZE_MAX
runtime_invocation_response runtime_success_stream(size_t size, runtime_body_fill fill,
                                                   void (*release)(void *ctx), void *ctx,
                                                   const char *content_type);
/* Copies message and type. */
runtime_invocation_response runtime_failure(const char *error_type, const char *message);

/* Milliseconds left before the invocation's deadline (may be negative);
 * INT64_MAX when the deadline is unknown. */
int64_t runtime_remaining_ms(const runtime_invocation_request *req);

typedef runtime_invocation_response (*runtime_handler)(const runtime_invocation_request *req,
                                                       void *ctx);

/* Nothing to set up any more (the runtime no longer uses libcurl: an SNS or
 * other libcurl client in the process initialises libcurl itself when it is
 * first used); kept so that programs written for the earlier client build.
 * Formerly: process-wide set-up and tear-down of the HTTP library for the
 * runtime and any other client in the process (the SNS client shares it).
 * Call once at the start of main, before any thread, and once at the end. */
int runtime_global_init(void);
void runtime_global_cleanup(void);

/* Creates the client from AWS_LAMBDA_RUNTIME_API (host:port) and reads
 * AWS_LAMBDA_MAX_CONCURRENCY; installs the SIGTERM handler and the
 * allocator settings once per process.  NULL with a message in err when
 * AWS_LAMBDA_RUNTIME_API is missing or names no host:port that resolves, or
 * when AWS_LAMBDA_MAX_CONCURRENCY is set to anything but a whole number from
 * 1 to 1600 (then also posted to /init/error as
 * Runtime.InvalidConfiguration).  Call it before starting any thread.  Free
 * with runtime_free(). */
runtime *runtime_new(char *err, size_t errlen);
void runtime_free(runtime *rt);

/* The number of invocations runtime_run serves at once: 1 in the classic
 * single loop, else AWS_LAMBDA_MAX_CONCURRENCY (one worker thread each). */
int runtime_max_concurrency(const runtime *rt);

/* POST /2018-06-01/runtime/init/error.  Returns 0 when the Runtime API
 * accepted it. */
int runtime_init_error(runtime *rt, const char *error_type, const char *message);

/* Serves invocations until SIGTERM (returns 0) or a fatal Runtime API
 * condition (returns 1, after a log line saying why), on the calling thread
 * or on runtime_max_concurrency(rt) worker threads (see the top of this
 * file); call it once. */
int runtime_run(runtime *rt, runtime_handler handler, void *ctx);

/* aws-lambda-cpp's run_handler shape: runtime_new + runtime_run +
 * runtime_free.  Call runtime_global_init() first. */
int runtime_run_handler(runtime_handler handler, void *ctx);

/* Set by the SIGTERM handler; exposed for handlers that want to know.
 * Thread-safe. */
int runtime_stopping(void);

#endif
