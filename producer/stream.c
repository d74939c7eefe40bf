/* stream: pacing, keys, progress and the final wait. */
#include "producer/stream.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "producer/console.h"
#include "producer/prng.h"

#define UUID_LEN 36

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        return; /* a signal: let the loop look at the stop flag */
}

/* A random (version 4) UUID in out[37].  Keys come from their own generator
 * so the record sequence depends on --seed alone. */
static void make_uuid(struct prng *r, char *out)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t hi = prng_next(r), lo = prng_next(r);
    unsigned char b[16];
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(hi >> (8 * i));
        b[8 + i] = (unsigned char)(lo >> (8 * i));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
}

static void collect(struct sender *sender, struct stream_result *res)
{
    struct sender_counts c;
    if (!sender)
        return;
    sender_counts(sender, &c);
    res->sent = c.sent;
    res->delivered = c.delivered;
    res->failed = c.failed;
    res->queue_full = c.queue_full;
}

static void print_progress(struct sender *sender, struct stream_result *res, uint64_t *last_sent,
                           double *last_at, double now)
{
    collect(sender, res);
    double rate = (double)(res->sent - *last_sent) / (now - *last_at);
    console_info("progress: sent %llu, delivered %llu, in flight %llu, failed %llu, "
                 "%.0f msgs/s",
                 (unsigned long long)res->sent, (unsigned long long)res->delivered,
                 (unsigned long long)(res->sent - res->delivered - res->failed),
                 (unsigned long long)res->failed, rate);
    *last_sent = res->sent;
    *last_at = now;
}

/* After a stop signal: waits up to --flush-timeout (or a second signal) for
 * the messages in flight; returns how many are still in flight. */
static uint64_t flush_on_stop(struct sender *sender, const struct stream_config *cfg)
{
    uint64_t left = sender_wait(sender, 0, NULL);
    console_info("stopping: waiting up to %g s for %llu message(s) in flight (signal again to "
                 "give up)",
                 cfg->flush_timeout_s, (unsigned long long)left);
    return sender_wait(sender, (int)(cfg->flush_timeout_s * 1000), cfg->abort);
}

/* Waits for the outcome of every message sent: up to the message timeout
 * after -n, or --flush-timeout after a stop signal; then drops the rest. */
static void finish(struct sender *sender, const struct stream_config *cfg)
{
    uint64_t left;
    if (sender_unreachable(sender)) {
        sender_purge(sender); /* no point waiting; the reason follows */
        return;
    }
    if (*cfg->stop) {
        left = flush_on_stop(sender, cfg);
    } else {
        /* message.timeout.ms=0 means no timeout: wait until a signal */
        int timeout = sender_message_timeout_ms(sender);
        left = sender_wait(sender, timeout > 0 ? timeout + 5000 : INT_MAX, cfg->stop);
        if (left != 0 && *cfg->stop)
            left = flush_on_stop(sender, cfg);
    }
    if (left && !sender_fatal(sender, NULL, 0) && sender_purge(sender))
        console_error("gave up on %llu message(s) still in flight", (unsigned long long)left);
}

/* The loop's state between messages. */
struct run_state {
    struct prng key_rng; /* --key uuid */
    char uuid[UUID_LEN + 1];
    uint64_t last_sent;
    double start, last_progress, due;
};

static void run_state_init(struct run_state *st, const struct stream_config *cfg)
{
    memset(st, 0, sizeof(*st));
    st->start = st->last_progress = st->due = now_s();
    if (cfg->key == KEY_UUID) {
        uint64_t key_seed = 0;
        if (getrandom(&key_seed, sizeof(key_seed), 0) != (ssize_t)sizeof(key_seed))
            key_seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&key_seed;
        prng_seed(&st->key_rng, key_seed);
    }
}

/* With -r, waits until the next message is due (serving delivery reports
 * meanwhile).  Returns 0 to send, -1 when stopped. */
static int pace(struct run_state *st, struct sender *sender, const struct stream_config *cfg)
{
    if (cfg->rate <= 0)
        return 0;
    double now = now_s();
    /* After a stall (a full queue, a slow broker) catch up with at most one
     * second's worth of messages at full speed. */
    if (now - st->due > 1.0)
        st->due = now - 1.0;
    while (!*cfg->stop && (now = now_s()) < st->due) {
        double wait = st->due - now;
        if (sender)
            sender_poll(sender, wait > 0.1 ? 100 : (int)(wait * 1000) + 1);
        else
            sleep_s(wait > 0.1 ? 0.1 : wait);
    }
    if (*cfg->stop)
        return -1;
    st->due += 1.0 / cfg->rate;
    return 0;
}

/* --dry-run: one JSON line on out.  Returns 0, or -1 to end the run (a
 * closed pipe ends it quietly, any other error is fatal). */
#define MAX_REJECT_LINES 5 /* records named one by one when they do not match the schema */

static int write_sample(FILE *out, const struct sample *smp, struct stream_result *res)
{
    if (fwrite(smp->json, 1, smp->len, out) == smp->len && putc('\n', out) != EOF)
        return 0;
    if (errno != EPIPE) {
        console_error("writing to stdout: %s", strerror(errno));
        res->fatal = 1;
    }
    return -1;
}

/* Hands message number i to librdkafka with its key and seq header.
 * Returns 0, or -1 to end the run (fatal error, no broker reachable). */
static int send_sample(struct sender *sender, const struct sample *smp, uint64_t i,
                       struct run_state *st, const struct stream_config *cfg,
                       struct stream_result *res)
{
    struct sender_msg m = {
        .value = smp->json,
        .len = smp->len,
        .stable = smp->stable,
        .seq = cfg->seq_header ? (int64_t)i : -1,
    };
    if (cfg->encoder) {
        char why[512];
        if (encoder_encode(cfg->encoder, smp->json, smp->len, &m.value, &m.len, why,
                           sizeof(why)) != 0) {
            /* one bad record is not sent and costs the others nothing */
            if (res->rejected++ < MAX_REJECT_LINES)
                console_error("record %llu does not match the schema of subject %s (id %d), "
                              "not produced: %s",
                              (unsigned long long)i, encoder_subject(cfg->encoder),
                              (int)encoder_schema_id(cfg->encoder), why);
            return 0;
        }
        m.stable = 0;
    }
    if (cfg->key == KEY_SPECIES) {
        m.key = smp->species;
        m.key_len = strlen(smp->species);
    } else if (cfg->key == KEY_UUID) {
        make_uuid(&st->key_rng, st->uuid);
        m.key = st->uuid;
        m.key_len = UUID_LEN;
    }
    return sender_send(sender, &m) != 0 || sender_unreachable(sender) ? -1 : 0;
}

/* After the loop: flush (or purge) what is in flight, collect the counts and
 * report the reason of any failure. */
static void end_run(struct sender *sender, FILE *out, const struct stream_config *cfg,
                    struct stream_result *res, double start)
{
    char err[512];
    if (sender) {
        if (!sender_fatal(sender, NULL, 0))
            finish(sender, cfg);
        if (sender_fatal(sender, err, sizeof(err))) {
            console_error("%s", err);
            sender_purge(sender);
            res->fatal = 1;
        }
        collect(sender, res);
    } else if (fflush(out) != 0 && errno != EPIPE) {
        console_error("writing to stdout: %s", strerror(errno));
        res->fatal = 1;
    }
    res->elapsed_s = now_s() - start;
    if (sender && res->failed && !res->fatal) {
        char why[1024];
        sender_failure_reason(sender, why, sizeof(why));
        console_error("%s", why);
    }
}

int stream_run(struct sampler *sampler, struct sender *sender, FILE *out,
               const struct stream_config *cfg, struct stream_result *res)
{
    struct run_state st;
    uint64_t i = 0;
    memset(res, 0, sizeof(*res));
    run_state_init(&st, cfg);
    while (!*cfg->stop && (!cfg->has_count || i < cfg->count)) {
        struct sample smp;
        if (pace(&st, sender, cfg) != 0)
            break;
        if (sampler_next(sampler, &smp) != 0) {
            console_error("out of memory building record %llu", (unsigned long long)i);
            res->fatal = 1;
            break;
        }
        if (!sender) {
            if (write_sample(out, &smp, res) != 0)
                break;
            res->sent = res->delivered = i + 1;
        } else if (send_sample(sender, &smp, i, &st, cfg, res) != 0) {
            break;
        }
        i++;
        if (cfg->progress_s > 0 && sender && (cfg->rate > 0 || (i & 1023) == 0)) {
            double now = now_s();
            if (now - st.last_progress >= cfg->progress_s)
                print_progress(sender, res, &st.last_sent, &st.last_progress, now);
        }
    }
    end_run(sender, out, cfg, res, st.start);
    if (res->rejected > MAX_REJECT_LINES)
        console_error("%llu records did not match the schema of subject %s, none of them "
                      "produced (the first %d are named above)",
                      (unsigned long long)res->rejected, encoder_subject(cfg->encoder),
                      MAX_REJECT_LINES);
    return res->fatal || res->failed || res->rejected || res->delivered != res->sent ? -1 : 0;
}

void stream_print_summary(const struct stream_result *res)
{
    double rate = res->elapsed_s > 0 ? (double)res->delivered / res->elapsed_s : 0.0;
    char rejected[64] = "";
    if (res->rejected)
        snprintf(rejected, sizeof(rejected), ", rejected by the schema %llu",
                 (unsigned long long)res->rejected);
    console_info("sent %llu, delivered %llu, failed %llu%s, elapsed %.3f s, %.0f msgs/s",
                 (unsigned long long)res->sent, (unsigned long long)res->delivered,
                 (unsigned long long)res->failed, rejected, res->elapsed_s, rate);
    if (res->queue_full)
        console_verbose("the local queue was full %llu time(s): sending waited for delivery "
                        "reports (raise queue.buffering.max.messages to queue more)",
                        (unsigned long long)res->queue_full);
}
