/* runtime_internal.h: what runtime.c (one Runtime API client and its loop)
 * offers runtime_workers.c (runtime_run: that loop, or N of them on N
 * threads), which sits above it.  Not for
 * handlers: their interface is runtime/runtime.h. */
#ifndef RUNTIME_RUNTIME_INTERNAL_H
#define RUNTIME_RUNTIME_INTERNAL_H

#include <stddef.h>

#include "runtime/runtime.h"

/* AWS_LAMBDA_MAX_CONCURRENCY: 1 when unset or empty (classic Lambda), the
 * number when it is a decimal integer from 1 to 1600, else -1 with the
 * reason in err. */
int runtime_concurrency_from_env(char *err, size_t errlen);

/* The process's set-up, once however many clients exist (later calls do
 * nothing): its heap policy (freed memory kept for the next invocation) and
 * the SIGTERM handler (runtime_process.c). */
void runtime_process_setup(void);

/* No more polling: SIGTERM arrived, or a worker met a fatal condition
 * (runtime_drain).  Thread-safe. */
int runtime_should_stop(void);

/* The classic loop's _X_AMZN_TRACE_ID: trace_id, or unset when it is empty.
 * One thread only (the environment is the process's). */
void runtime_export_trace_id(const char *trace_id);

/* Frees what a handler's response holds (calls its release). */
void runtime_response_free(runtime_invocation_response *r);

/* A new client of the same Runtime API as proto, with its own connection,
 * buffers and header state, for a worker thread.  NULL with a message in
 * err.  Free with runtime_free(). */
runtime *runtime_client_like(const runtime *proto, char *err, size_t errlen);

/* The loop of one client: GET /next, the handler, /response or /error,
 * until SIGTERM or a drain (returns 0) or a fatal Runtime API condition
 * (returns 1, logged).  trace_env: export _X_AMZN_TRACE_ID per invocation
 * (the classic single loop only: setenv is not thread-safe). */
int runtime_client_loop(runtime *rt, runtime_handler handler, void *ctx, int trace_env);

/* Asks every client loop to stop polling: those waiting on /next return
 * within about 200 ms, those serving an invocation finish and post it
 * first.  Thread-safe (an atomic flag). */
void runtime_drain(void);


#endif
