/* stream: the produce loop.  Draws records from a sampler and hands them to
 * a sender (or prints them, for --dry-run) at the requested rate, prints
 * progress, stops after a count or on a signal, and waits for the outcome of
 * every message sent. */
#ifndef PRODUCER_STREAM_H
#define PRODUCER_STREAM_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "producer/encode.h"
#include "producer/options.h"
#include "producer/sampler.h"
#include "producer/sender.h"

struct stream_config {
    uint64_t count; /* with has_count */
    int has_count;
    double rate; /* 0: unlimited */
    enum options_key key;
    int seq_header;
    double progress_s;                  /* 0: no progress lines */
    double flush_timeout_s;             /* bound on the wait after a stop signal */
    const volatile sig_atomic_t *stop;  /* set by the first SIGINT/SIGTERM */
    const volatile sig_atomic_t *abort; /* set by the second */
    struct encoder *encoder;            /* NULL: the JSON text as it is */
};

struct stream_result {
    uint64_t sent, delivered, failed;
    uint64_t queue_full; /* waits for room in librdkafka's queue */
    uint64_t rejected;   /* records that did not match the schema: never sent */
    double elapsed_s;
    int fatal; /* stopped by an error (already reported) */
};

/* Runs the loop to the end.  sender NULL: write values to out, one per line.
 * Returns 0 when every message sent was delivered, -1 otherwise (reasons
 * reported on stderr). */
int stream_run(struct sampler *sampler, struct sender *sender, FILE *out,
               const struct stream_config *cfg, struct stream_result *res);

/* Prints the summary line: sent, delivered, failed, elapsed, msgs/s. */
void stream_print_summary(const struct stream_result *res);

#endif
