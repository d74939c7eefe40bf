/* sender: librdkafka producer for one topic, following kcat's idiom:
 * QUEUE_FULL is retried after rd_kafka_poll (never dropped), outcomes are
 * counted in the delivery-report callback, and the queue is drained with
 * rd_kafka_flush at the end. */
#ifndef PRODUCER_SENDER_H
#define PRODUCER_SENDER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "producer/props.h"

struct sender;

struct sender_config {
    const char *brokers; /* -b; NULL: bootstrap.servers from props */
    const char *topic;
    const struct props *props;         /* applied in order over the defaults */
    int verbose;                       /* <0 quiet, 0 normal, 1 verbose, 2 debug */
    const volatile sig_atomic_t *stop; /* give up a QUEUE_FULL wait when set */
};

struct sender_msg {
    const void *value;
    size_t len;
    int stable; /* value outlives delivery: librdkafka need not copy it */
    const void *key;
    size_t key_len;
    int64_t seq; /* >= 0: add header seq=<seq> */
};

struct sender_counts {
    uint64_t sent;       /* accepted by rd_kafka_producev */
    uint64_t delivered;  /* acknowledged by the brokers */
    uint64_t failed;     /* permanently failed or purged */
    uint64_t queue_full; /* times a send waited for room in the local queue */
};

/* Creates the producer.  Returns NULL with the reason in err (for a bad
 * property: its origin, FILE:LINE or -X, and librdkafka's message).  Free
 * with sender_free(). */
struct sender *sender_new(const struct sender_config *cfg, char *err, size_t errlen);

/* Queues one message.  Returns 0; -1 when stopped while waiting for queue
 * space or after a fatal error (see sender_fatal). */
int sender_send(struct sender *s, const struct sender_msg *m);

/* Serves delivery reports and errors, waiting up to timeout_ms. */
void sender_poll(struct sender *s, int timeout_ms);

/* Waits up to timeout_ms for every queued message's outcome, returning
 * early when *abort becomes set or on a fatal error.  Returns the number of
 * messages still without an outcome. */
uint64_t sender_wait(struct sender *s, int timeout_ms, const volatile sig_atomic_t *abort);

/* Drops every message still queued or in flight, counting them as failed.
 * Returns how many were dropped. */
uint64_t sender_purge(struct sender *s);

void sender_counts(const struct sender *s, struct sender_counts *out);

/* Non-zero after an error that stops producing (fatal librdkafka error,
 * authentication failure); the reason is copied to err. */
int sender_fatal(const struct sender *s, char *err, size_t errlen);

/* True once messages timed out before any was delivered: no broker is
 * reachable (or accepts them), so a run without -n should stop. */
int sender_unreachable(const struct sender *s);

/* A user-facing explanation of why messages failed ("" when none did). */
void sender_failure_reason(const struct sender *s, char *out, size_t outlen);

/* The effective message.timeout.ms. */
int sender_message_timeout_ms(const struct sender *s);

/* Flushes nothing, destroys the producer; accepts NULL. */
void sender_free(struct sender *s);

#endif
