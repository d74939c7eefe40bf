/* runtime_process.c: what belongs to the process rather than to one Runtime
 * API client, set or read by every client loop: the SIGTERM and drain flags,
 * the heap policy, AWS_LAMBDA_MAX_CONCURRENCY and the classic loop's
 * _X_AMZN_TRACE_ID. */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"
#include "runtime/runtime_headers.h"
#include "runtime/runtime_internal.h"
#include "runtime/runtime_text.h"

/* Set by the SIGTERM handler (in whichever thread it runs) and read by every
 * client loop: lock-free atomics, safe in a signal handler. */
static atomic_int stopping;
/* Set when one worker met a fatal condition: the others stop polling. */
static atomic_int draining;

static void on_sigterm(int sig)
{
    (void)sig;
    atomic_store_explicit(&stopping, 1, memory_order_relaxed);
}

int runtime_stopping(void)
{
    return atomic_load_explicit(&stopping, memory_order_relaxed) != 0;
}

void runtime_drain(void)
{
    atomic_store_explicit(&draining, 1, memory_order_relaxed);
}

/* No more polling: SIGTERM arrived, or another worker failed. */
int runtime_should_stop(void)
{
    return runtime_stopping() || atomic_load_explicit(&draining, memory_order_relaxed) != 0;
}

static void heap_setup(void)
{
    /* Memory a handler frees stays in the process for the next invocation:
     * no block is given back to the kernel (mmap'd and unmapped, or trimmed
     * from the heap top) only to be faulted in again, page by page, by the
     * next invocation (glibc raises its dynamic mmap threshold only after
     * the first free).  Blocks of a megabyte or more (the event, its
     * records, long outputs) are not the heap's at all: common/bigmem.h
     * keeps them in regions of huge pages, which a fresh process's first
     * invocation faults in 2 MiB at a time (on the largest batch: 25 minor
     * faults where the heap took 2,104, at about 16 us each on this VM). */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
}

static void process_setup(void)
{
    heap_setup();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigterm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
}

void runtime_process_setup(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, process_setup);
}

/* AWS_LAMBDA_MAX_CONCURRENCY's range: the Lambda API's
 * PerExecutionEnvironmentMaxConcurrency, 1 to 1600 (its service model). */
#define CONCURRENCY_MAX 1600

/* AWS_LAMBDA_MAX_CONCURRENCY: 1 when unset or empty (classic Lambda), the
 * number when it is a decimal integer from 1 to CONCURRENCY_MAX, else -1
 * with the reason in err. */
int runtime_concurrency_from_env(char *err, size_t errlen)
{
    const char *v = getenv("AWS_LAMBDA_MAX_CONCURRENCY");
    if (v == NULL || *v == '\0')
        return 1;
    long n = 0;
    size_t i = 0;
    for (; v[i] >= '0' && v[i] <= '9' && n <= CONCURRENCY_MAX; i++)
        n = n * 10 + (v[i] - '0');
    if (v[i] == '\0' && n >= 1 && n <= CONCURRENCY_MAX)
        return (int)n;
    char shown[64];
    runtime_text_printable(v, strlen(v), 40, shown, sizeof shown);
    snprintf(err, errlen,
             "AWS_LAMBDA_MAX_CONCURRENCY=\"%s\" is not a whole number from 1 to %d (Lambda sets "
             "it to the function's PerExecutionEnvironmentMaxConcurrency on Managed Instances; "
             "leave it unset for one invocation at a time)",
             shown, CONCURRENCY_MAX);
    return -1;
}

/* _X_AMZN_TRACE_ID for the classic loop (one thread).  setenv() would keep
 * every distinct value it is given for the life of the process (glibc never
 * frees one: a caller of getenv may still hold it), and Lambda gives each
 * invocation its own trace id: about 100 bytes an invocation, without end.
 * The variable points at this buffer instead, rewritten in place. */
static char trace_env_var[sizeof "_X_AMZN_TRACE_ID=" + RUNTIME_TRACE_MAX];

void runtime_export_trace_id(const char *trace_id)
{
    static int exported;
    if (trace_id[0] == '\0') {
        unsetenv("_X_AMZN_TRACE_ID"); /* frees nothing, allocates nothing */
        exported = 0;
        return;
    }
    snprintf(trace_env_var, sizeof trace_env_var, "_X_AMZN_TRACE_ID=%s", trace_id);
    if (!exported && putenv(trace_env_var) == 0)
        exported = 1;
}
