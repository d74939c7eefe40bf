/* bench_handler.c: warm handler time of the real handler_invoke() on one
 * event, in process (no HTTP).  Prints one JSON line on stderr:
 *   {"records":N,"response_bytes":B,"iterations":I,"median_ms":..,"min_ms":..,
 *    "median_cpu_ms":..,"records_per_s":..}
 * (median_cpu_ms: the thread's CPU time per call)
 * Usage: bench_handler EVENT_FILE ITERATIONS  (MODEL_PATH etc. from the env;
 * the handler's log lines go to stdout as in Lambda). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/handler.h"
#include "common/log.h"
#include "tests/lib/testfile.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s EVENT_FILE ITERATIONS\n", argv[0]);
        return 2;
    }
    size_t ev_len;
    char *ev = testfile_read(argv[1], &ev_len);
    if (ev == NULL) {
        perror(argv[1]);
        return 1;
    }
    int iters = atoi(argv[2]);
    if (iters < 1)
        return 2;

    static handler_ctx h;
    const char *type;
    char err[1024];
    if (handler_init(&h, NULL, &type, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", type, err);
        return 1;
    }
    double *t = calloc((size_t)iters, sizeof *t), *cpu = calloc((size_t)iters, sizeof *cpu);
    size_t records = 0, response_bytes = 0;
    {
        batch counted;
        if (batch_parse(ev, ev_len, &counted, err, sizeof err) == BATCH_OK)
            records = counted.count;
        batch_free(&counted);
    }
    for (int i = 0; i < iters; i++) {
        runtime_invocation_request req = {.payload = ev,
                                          .payload_len = ev_len,
                                          .request_id = "bench",
                                          .xray_trace_id = "",
                                          .client_context = "",
                                          .cognito_identity = "",
                                          .function_arn = "",
                                          .deadline_ms = 0};
        double t0 = now_ms(), c0 = cpu_ms();
        runtime_invocation_response res = handler_invoke(&req, &h);
        if (!res.success) {
            fprintf(stderr, "handler failed: %s: %s\n", res.error_type, res.error_message);
            return 1;
        }
        /* Drain the streamed body as the runtime would (curl asks for up to
         * 64 KB at a time). */
        size_t total = res.payload_len;
        if (res.fill != NULL) {
            static char piece[65536];
            size_t got;
            total = 0;
            while ((got = res.fill(res.ctx, piece, sizeof piece)) > 0)
                total += got;
            if (res.payload_len != RUNTIME_SIZE_UNKNOWN && total != res.payload_len) {
                fprintf(stderr, "streamed %zu bytes, announced %zu\n", total, res.payload_len);
                return 1;
            }
        }
        t[i] = now_ms() - t0;
        cpu[i] = cpu_ms() - c0;
        response_bytes = total;
        if (res.release != NULL)
            res.release(res.ctx);
        free(res.payload);
    }
    qsort(t, (size_t)iters, sizeof *t, cmp_double);
    qsort(cpu, (size_t)iters, sizeof *cpu, cmp_double);
    double median = t[iters / 2];
    fprintf(stderr,
            "{\"records\":%zu,\"response_bytes\":%zu,\"iterations\":%d,\"median_ms\":%.4f,"
            "\"min_ms\":%.4f,\"median_cpu_ms\":%.4f,\"records_per_s\":%.0f}\n",
            records, response_bytes, iters, median, t[0], cpu[iters / 2],
            (double)records / (median / 1e3));
    free(cpu);
    free(t);
    handler_free(&h);
    free(ev);
    return 0;
}
