/* connector_invoke.h: a synchronous Lambda Invoke API client (the endpoint of
 * AWS's Runtime Interface Emulator and `sam local start-lambda`):
 *
 *   POST {base}/2015-03-31/functions/{name}/invocations
 *   X-Amz-Invocation-Type: RequestResponse
 *
 * One reused CURL handle (keep-alive), CURLOPT_NOSIGNAL, a connect timeout and
 * a total timeout (the connector's socket timeout is 50 s).  A function error
 * is HTTP 200 with an X-Amz-Function-Error header; any other non-2xx status is
 * an HTTP error.
 */
#ifndef IRIS_CONNECTOR_INVOKE_H
#define IRIS_CONNECTOR_INVOKE_H

#include <stddef.h>

enum connector_invoke_result {
    CONNECTOR_INVOKE_OK = 0,
    CONNECTOR_INVOKE_FUNCTION_ERROR = -1, /* X-Amz-Function-Error */
    CONNECTOR_INVOKE_HTTP_ERROR = -2,     /* status other than 2xx */
    CONNECTOR_INVOKE_TRANSPORT = -3,      /* connection, timeout */
    CONNECTOR_INVOKE_NOMEM = -4,
};

typedef struct connector_invoker connector_invoker;

/* base_url like "http://127.0.0.1:9001"; function is the name in the path.
 * NULL with a message in err on failure.  Free with connector_invoker_free(). */
connector_invoker *connector_invoker_new(const char *base_url, const char *function,
                                         long connect_timeout_ms, long timeout_ms, char *err,
                                         size_t errlen);
void connector_invoker_free(connector_invoker *inv);

/* One invocation.  On CONNECTOR_INVOKE_OK *body (malloc'd, NUL-terminated;
 * free() it) and *body_len hold the response.  Otherwise err says what failed
 * (status, X-Amz-Function-Error type and the start of the body, or the curl
 * error) and *body is NULL. */
int connector_invoke(connector_invoker *inv, const char *payload, size_t len, char **body,
                     size_t *body_len, char *err, size_t errlen);

#endif
