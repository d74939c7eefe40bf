/* runtime_response.c: what a handler returns, and the request's deadline. */
#include "runtime/runtime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/runtime_internal.h"

runtime_invocation_response runtime_success(char *payload, size_t len, const char *content_type)
{
    if (payload == NULL)
        return runtime_failure("Runtime.OutOfMemory", "could not allocate the response");
    runtime_invocation_response r = {0};
    r.success = 1;
    r.payload = payload;
    r.payload_len = len;
    r.content_type = content_type ? content_type : "application/json";
    return r;
}

runtime_invocation_response runtime_failure(const char *error_type, const char *message)
{
    runtime_invocation_response r = {0};
    r.success = 0;
    r.error_type = strdup(error_type ? error_type : "Runtime.Unknown");
    r.error_message = strdup(message ? message : "");
    return r;
}

runtime_invocation_response runtime_success_stream(size_t size, runtime_body_fill fill,
                                                   void (*release)(void *ctx), void *ctx,
                                                   const char *content_type)
{
    runtime_invocation_response r = {0};
    r.success = 1;
    r.payload_len = size;
    r.fill = fill;
    r.release = release;
    r.ctx = ctx;
    r.content_type = content_type ? content_type : "application/json";
    return r;
}

void runtime_response_free(runtime_invocation_response *r)
{
    if (r->release != NULL)
        r->release(r->ctx);
    free(r->payload);
    free(r->error_message);
    free(r->error_type);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t runtime_remaining_ms(const runtime_invocation_request *req)
{
    if (req->deadline_ms <= 0)
        return INT64_MAX;
    return req->deadline_ms - now_ms();
}
