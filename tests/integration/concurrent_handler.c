/* concurrent_handler.c: a small thread-safe handler for the runtime's
 * concurrency tests (tests/integration/runtime_workers_test.py), linked with
 * runtime/ and common/ only.  The event is a flat JSON object:
 *   {"id":"<tag>","kind":"ok"|"fail"|"big"|"sized","sleepMs":N}
 *   ok     answers {"id","requestId","traceId","envTraceId"} (envTraceId: what
 *          getenv("_X_AMZN_TRACE_ID") saw, or null), after sleeping sleepMs
 *   fail   fails with InvalidEvent naming the id
 *   big    streams a body of unknown size (chunked) of 7,000,000 bytes:
 *          over Lambda's 6 MB limit, so the Runtime API answers 413
 *   sized  the same body with its size announced (Content-Length)
 * It releases the event as soon as it has read it (runtime_release_payload
 * acts on the worker that received it) and keeps nothing between calls:
 * everything it shares with other threads is the read-only ctx. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "runtime/runtime.h"

#define BIG_BODY 7000000

/* The string value of "name" in a flat JSON object (no escapes), copied into
 * out; "" when absent. */
static void field(const char *json, size_t len, const char *name, char *out, size_t cap)
{
    char key[32];
    snprintf(key, sizeof key, "\"%s\":", name);
    out[0] = '\0';
    const char *p = memmem(json, len, key, strlen(key));
    if (p == NULL)
        return;
    p += strlen(key);
    const char *end = json + len;
    while (p < end && *p == ' ')
        p++;
    int quoted = p < end && *p == '"';
    p += quoted;
    size_t n = 0;
    while (p + n < end && n + 1 < cap && (quoted ? p[n] != '"' : (p[n] != ',' && p[n] != '}')))
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
}

typedef struct big_body {
    size_t left;
} big_body;

static size_t fill_big(void *ctx, char *dst, size_t cap)
{
    big_body *b = ctx;
    size_t n = b->left < cap ? b->left : cap;
    memset(dst, 'x', n);
    b->left -= n;
    return n;
}

static runtime_invocation_response handle(const runtime_invocation_request *req, void *ctx)
{
    const char *banner = ctx; /* shared, read-only */
    char id[64], kind[16], sleep_ms[16];
    field(req->payload, req->payload_len, "id", id, sizeof id);
    field(req->payload, req->payload_len, "kind", kind, sizeof kind);
    field(req->payload, req->payload_len, "sleepMs", sleep_ms, sizeof sleep_ms);
    runtime_release_payload(req);
    log_msg(LOG_INFO, "%s: %s %s", banner, kind, id);
    if (strcmp(kind, "fail") == 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "event %s is not a batch", id);
        return runtime_failure("InvalidEvent", msg);
    }
    if (strcmp(kind, "big") == 0 || strcmp(kind, "sized") == 0) {
        big_body *b = malloc(sizeof *b);
        if (b == NULL)
            return runtime_failure("Runtime.OutOfMemory", "out of memory");
        b->left = BIG_BODY;
        return runtime_success_stream(strcmp(kind, "big") == 0 ? RUNTIME_SIZE_UNKNOWN : BIG_BODY,
                                      fill_big, free, b, "application/json");
    }
    long ms = atol(sleep_ms);
    if (ms > 0) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    const char *env_trace = getenv("_X_AMZN_TRACE_ID");
    size_t cap = 256 + strlen(req->request_id) + strlen(req->xray_trace_id) +
                 (env_trace ? strlen(env_trace) : 0);
    char *body = malloc(cap);
    int n = body ? snprintf(body, cap,
                            "{\"id\":\"%s\",\"requestId\":\"%s\",\"traceId\":\"%s\","
                            "\"envTraceId\":%s%s%s}",
                            id, req->request_id, req->xray_trace_id, env_trace ? "\"" : "",
                            env_trace ? env_trace : "null", env_trace ? "\"" : "")
                 : 0;
    return runtime_success(body, (size_t)n, "application/json");
}

int main(void)
{
    static const char banner[] = "concurrent-handler";
    return runtime_run_handler(handle, (void *)banner);
}
