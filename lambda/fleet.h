/* fleet.h: one episode per drift across every execution environment of the
 * function (see lambda/ALERTS.md, "Fleet").
 *
 * Each environment keeps its own sequential tests (lambda/monitor.h, in
 * shared mode) and writes its evidence to one shared item per test when it
 * has changed materially (by a quarter of the threshold h up, or an eighth
 * down); the answer to that write carries every environment's evidence.
 * The fleet's evidence is the sum of the environments' evidence in the
 * item's current phase (stale entries, older than FLEET_STALE_S, left out).
 * Summing m CUSUMs needs a higher threshold for the same false-alarm rate
 * per record: h_m solves exp(-h) * sum_{j<m} h^j / j! = rate (the tail of
 * a sum of m CUSUMs, each with tail exp(-x)); h_1 = h.
 *
 * The item's phase counts the episodes: even = none open, odd = one open.
 * An environment whose fleet evidence reaches h_m moves the phase on with a
 * conditional write ("still at phase p"): exactly one wins and publishes
 * the alert (or the recovery notice); the others learn the new phase from
 * their next answer and follow it quietly.
 *
 * When the store fails (unreachable, throttled after the standard retries)
 * the environment decides on its own evidence with h, as without a fleet,
 * counts a fallback and leaves the store alone for FLEET_BACKOFF_MS.
 *
 * No HTTP here: the store is an interface (fleet_store) that the DynamoDB
 * adapter (lambda/fleet_ddb.h) and the tests' in-memory store implement.
 * Thread use: fleet_plan and fleet_apply under the handler's lock,
 * fleet_exchange outside it; one exchange per test in flight at a time.
 */
#ifndef IRIS_FLEET_H
#define IRIS_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "lambda/batch/batch.h"
#include "lambda/monitor.h"

#define FLEET_MAX_ENTRIES 64
#define FLEET_ENV_ID_MAX 24
#define FLEET_KEY_MAX 320
#define FLEET_STALE_S 900        /* an entry not refreshed for 15 minutes is left out */
#define FLEET_TTL_S (7 * 86400)  /* the item's expiry, refreshed by every write */
#define FLEET_BACKOFF_MS 30000   /* no store requests for this long after a failure */

/* One environment's evidence as stored. */
typedef struct fleet_entry {
    char env[FLEET_ENV_ID_MAX];
    double value;
    int64_t phase; /* the phase the evidence belongs to */
    int64_t at_s;  /* when it was written (Unix seconds) */
} fleet_entry;

/* The shared item of one test. */
typedef struct fleet_item {
    int64_t phase;
    size_t nentries;
    fleet_entry entries[FLEET_MAX_ENTRIES];
} fleet_item;

enum fleet_store_status {
    FLEET_STORE_OK = 0,
    FLEET_STORE_LOST = 1,    /* advance: the phase had already moved on */
    FLEET_STORE_FAILED = -1, /* unreachable, throttled, refused: err says why */
};

/* What a store implements (DynamoDB, or memory in the tests). */
typedef struct fleet_store {
    void *ctx;
    /* Writes mine (value 0: removes the entry) into item key, creating it at
     * phase 0, refreshes its expiry to expires_s, and returns the item as it is
     * after the write in *out. */
    int (*report)(void *ctx, const char *key, const fleet_entry *mine, int64_t expires_s,
                  int64_t deadline_ms, fleet_item *out, char *err, size_t errlen);
    /* Moves item key from phase `from` to from + 1 only if it is still at
     * `from` (a missing item is at phase 0); OK, or LOST with the item as it
     * is in *out (on OK *out may be left as it was). */
    int (*advance)(void *ctx, const char *key, int64_t from, const char *env, int64_t expires_s,
                   int64_t deadline_ms, fleet_item *out, char *err, size_t errlen);
} fleet_store;

typedef struct fleet fleet;

/* A fleet for monitor m's tests; keys are "<prefix>#accuracy" and
 * "<prefix>#inputs"; env is this environment's id (NULL: a random one).
 * Puts m in shared mode.  store is copied; its ctx stays the caller's.
 * NULL with err on failure.  Free with fleet_free. */
fleet *fleet_new(const fleet_store *store, const char *prefix, const char *env, monitor *m,
                 char *err, size_t errlen);
void fleet_free(fleet *f); /* accepts NULL */
const char *fleet_env_id(const fleet *f);

/* The fleet threshold for m environments with evidence (h_1 = h). */
double fleet_threshold(double false_alarm_rate, size_t m);

/* One batch's exchange with the store, planned, done, applied. */
typedef struct fleet_plan {
    int due[MONITOR_NTESTS];   /* a request to make for this test */
    double value[MONITOR_NTESTS];
    int episode[MONITOR_NTESTS]; /* the local monitor's state when planned */
    int ahead[MONITOR_NTESTS];   /* a fallback moved the local state past the fleet's */
    int64_t phase[MONITOR_NTESTS];
    /* results */
    int status[MONITOR_NTESTS]; /* enum fleet_store_status of the last request */
    int won[MONITOR_NTESTS];    /* this environment moved the phase on */
    int64_t new_phase[MONITOR_NTESTS];
    double fleet_evidence[MONITOR_NTESTS];
    size_t contributors[MONITOR_NTESTS];
    char err[256];
} fleet_plan;

/* What a batch's exchange cost and how it ended, for the metrics. */
typedef struct fleet_counts {
    size_t requests;  /* store requests made */
    size_t fallbacks; /* tests decided on local evidence because the store failed */
} fleet_counts;

/* Under the lock, after monitor_observe: which tests need a request. */
void fleet_plan_batch(fleet *f, const monitor *m, int64_t now_ms, fleet_plan *p);
/* 1 when the plan has requests to make (fleet_exchange has work). */
int fleet_plan_requests(const fleet_plan *p);
/* Without the lock: the requests. */
void fleet_exchange(fleet *f, fleet_plan *p, int64_t now_ms, int64_t deadline_ms,
                    fleet_counts *c);
/* Under the lock: opens or closes episodes in m (events in v for the ones this
 * environment decides), b the batch just observed. */
void fleet_apply(fleet *f, monitor *m, fleet_plan *p, const batch *b, monitor_verdict *v,
                 int64_t now_ms, fleet_counts *c);

#endif
