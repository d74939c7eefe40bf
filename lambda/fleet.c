/* fleet.c: shared episodes and pooled evidence across environments (see
 * fleet.h for the design). */
#include "lambda/fleet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

typedef struct fleet_test {
    int on;
    char key[FLEET_KEY_MAX];
    double reported; /* the value of our entry in the store (0: none) */
    int64_t phase;   /* the item's phase as last seen */
    int ahead;       /* a fallback decision the store has not seen yet */
    int in_flight;   /* an exchange for this test is under way */
} fleet_test;

struct fleet {
    fleet_store store;
    char env[FLEET_ENV_ID_MAX];
    double rate, h, up_step, down_step;
    double thresholds[FLEET_MAX_ENTRIES + 2];
    int64_t down_until_ms; /* no requests before this (after a failure) */
    fleet_test test[MONITOR_NTESTS];
};

/* log(sum_{j<m} x^j / j!) - x: the log tail of a sum of m unit exponentials. */
static double log_gamma_tail(double x, size_t m)
{
    double term = 1, sum = 1;
    for (size_t j = 1; j < m; j++) {
        term *= x / (double)j;
        sum += term;
    }
    return log(sum) - x;
}

double fleet_threshold(double false_alarm_rate, size_t m)
{
    double target = log(false_alarm_rate), lo = -target, hi = lo;
    if (m <= 1)
        return lo;
    while (log_gamma_tail(hi, m) > target)
        hi += 8;
    for (int i = 0; i < 100; i++) {
        double mid = (lo + hi) / 2;
        if (log_gamma_tail(mid, m) > target)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

static void random_env_id(char *out, size_t cap)
{
    unsigned char raw[8] = {0};
    if (getentropy(raw, sizeof raw) != 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
        memcpy(raw, &x, sizeof raw);
    }
    snprintf(out, cap, "%02x%02x%02x%02x%02x%02x%02x%02x", raw[0], raw[1], raw[2], raw[3], raw[4],
             raw[5], raw[6], raw[7]);
}

fleet *fleet_new(const fleet_store *store, const char *prefix, const char *env, monitor *m,
                 char *err, size_t errlen)
{
    fleet *f = calloc(1, sizeof *f);
    if (f == NULL) {
        snprintf(err, errlen, "out of memory for the fleet state");
        return NULL;
    }
    f->store = *store;
    if (env != NULL && *env != '\0')
        snprintf(f->env, sizeof f->env, "%s", env);
    else
        random_env_id(f->env, sizeof f->env);
    f->rate = monitor_get_config(m)->false_alarm_rate;
    f->h = -log(f->rate);
    /* Material: a quarter of h up, an eighth down (a stale entry overstates
     * the fleet's evidence by less than h/8). */
    f->up_step = f->h / 4;
    f->down_step = f->h / 8;
    for (size_t k = 0; k < sizeof f->thresholds / sizeof f->thresholds[0]; k++)
        f->thresholds[k] = fleet_threshold(f->rate, k == 0 ? 1 : k);
    for (int t = 0; t < MONITOR_NTESTS; t++) {
        fleet_test *ft = &f->test[t];
        ft->on = monitor_enabled(m, (enum monitor_test)t);
        snprintf(ft->key, sizeof ft->key, "%s#%s", prefix, monitor_test_name((enum monitor_test)t));
    }
    monitor_set_shared(m, 1);
    return f;
}

void fleet_free(fleet *f)
{
    free(f);
}

const char *fleet_env_id(const fleet *f)
{
    return f->env;
}

void fleet_plan_batch(fleet *f, const monitor *m, int64_t now_ms, fleet_plan *p)
{
    memset(p, 0, sizeof *p);
    int down = now_ms < f->down_until_ms;
    for (int t = 0; t < MONITOR_NTESTS; t++) {
        fleet_test *ft = &f->test[t];
        if (!ft->on || ft->in_flight)
            continue;
        double v = monitor_local_evidence(m, (enum monitor_test)t);
        int episode = monitor_in_episode(m, (enum monitor_test)t);
        /* Due when the entry is materially off, when this environment alone
         * would decide (so a lone environment is never slower than
         * without a fleet), or when a fallback decision must be shared. */
        int due = v >= ft->reported + f->up_step || (ft->reported > 0 && v <= ft->reported -
                                                                               f->down_step) ||
                  (v >= f->h && v > ft->reported) || ft->ahead;
        if (!due)
            continue;
        p->value[t] = v;
        p->episode[t] = episode;
        p->ahead[t] = ft->ahead;
        p->phase[t] = ft->phase;
        if (down) {
            p->status[t] = FLEET_STORE_FAILED; /* decided locally, below */
            continue;
        }
        p->due[t] = 1;
        ft->in_flight = 1;
    }
}

int fleet_plan_requests(const fleet_plan *p)
{
    for (int t = 0; t < MONITOR_NTESTS; t++)
        if (p->due[t])
            return 1;
    return 0;
}

/* The fleet's evidence in item it for a test whose local evidence (of the
 * kind the item's phase calls for) is mine; *m counts the positive terms. */
static double fleet_sum(const fleet *f, const fleet_item *it, double mine, int64_t now_s,
                        size_t *m)
{
    double sum = mine;
    *m = mine > 0;
    for (size_t i = 0; i < it->nentries; i++) {
        const fleet_entry *e = &it->entries[i];
        if (strcmp(e->env, f->env) == 0 || e->phase != it->phase || e->value <= 0 ||
            e->at_s < now_s - FLEET_STALE_S)
            continue;
        sum += e->value;
        (*m)++;
    }
    return sum;
}

static double threshold_for(const fleet *f, size_t m)
{
    size_t cap = sizeof f->thresholds / sizeof f->thresholds[0] - 1;
    return f->thresholds[m == 0 ? 1 : m > cap ? cap : m];
}

/* One test's report, and the phase move it calls for. */
static int exchange_test(fleet *f, int t, fleet_plan *p, int64_t now_s, int64_t deadline_ms,
                         fleet_counts *c, fleet_item *item)
{
    fleet_test *ft = &f->test[t];
    fleet_entry mine;
    memset(&mine, 0, sizeof mine);
    snprintf(mine.env, sizeof mine.env, "%s", f->env);
    mine.value = p->value[t];
    mine.phase = p->phase[t];
    mine.at_s = now_s;
    c->requests++;
    int rc = f->store.report(f->store.ctx, ft->key, &mine, now_s + FLEET_TTL_S, deadline_ms, item,
                             p->err, sizeof p->err);
    if (rc != FLEET_STORE_OK)
        return FLEET_STORE_FAILED;
    p->new_phase[t] = item->phase;
    int kind_matches = (int)(item->phase & 1) == p->episode[t];
    if (!kind_matches) {
        if (!p->ahead[t])
            return FLEET_STORE_OK; /* the fleet moved on: follow it (fleet_apply) */
        /* This environment decided alone while the store was away: bring the
         * fleet to the same state, without a second alert. */
        int64_t from = item->phase;
        c->requests++;
        rc = f->store.advance(f->store.ctx, ft->key, from, f->env, now_s + FLEET_TTL_S,
                              deadline_ms, item, p->err, sizeof p->err);
        if (rc == FLEET_STORE_FAILED)
            return rc;
        p->new_phase[t] = rc == FLEET_STORE_OK ? from + 1 : item->phase;
        return FLEET_STORE_OK;
    }
    p->fleet_evidence[t] = fleet_sum(f, item, p->value[t], now_s, &p->contributors[t]);
    if (p->fleet_evidence[t] < threshold_for(f, p->contributors[t]))
        return FLEET_STORE_OK;
    int64_t from = item->phase;
    c->requests++;
    rc = f->store.advance(f->store.ctx, ft->key, from, f->env, now_s + FLEET_TTL_S, deadline_ms,
                          item, p->err, sizeof p->err);
    if (rc == FLEET_STORE_FAILED)
        return rc;
    p->won[t] = rc == FLEET_STORE_OK;
    p->new_phase[t] = p->won[t] ? from + 1 : item->phase;
    return FLEET_STORE_OK;
}

void fleet_exchange(fleet *f, fleet_plan *p, int64_t now_ms, int64_t deadline_ms,
                    fleet_counts *c)
{
    fleet_item *item = malloc(sizeof *item);
    for (int t = 0; t < MONITOR_NTESTS; t++) {
        if (!p->due[t])
            continue;
        if (item == NULL) {
            p->status[t] = FLEET_STORE_FAILED;
            snprintf(p->err, sizeof p->err, "out of memory for the shared item");
            continue;
        }
        memset(item, 0, sizeof *item);
        p->status[t] = exchange_test(f, t, p, now_ms / 1000, deadline_ms, c, item);
    }
    free(item);
}

/* The store failed or is being left alone: decide on local evidence with h,
 * as an environment without a fleet does. */
static void decide_locally(fleet *f, fleet_test *ft, monitor *m, enum monitor_test t,
                           const fleet_plan *p, const batch *b, monitor_verdict *v,
                           fleet_counts *c)
{
    c->fallbacks++;
    double value = monitor_local_evidence(m, t);
    log_msg(LOG_WARN,
            "alert state store unavailable for the %s test (%s): deciding on this environment's "
            "own evidence (%.2f of %.2f)",
            monitor_test_name(t), p->err[0] ? p->err : "backing off after a failure", value, f->h);
    if (value < f->h)
        return;
    if (monitor_in_episode(m, t))
        monitor_close_episode(m, t, b, value, v);
    else
        monitor_open_episode(m, t, b, value, v);
    ft->ahead = 1;
}

void fleet_apply(fleet *f, monitor *m, fleet_plan *p, const batch *b, monitor_verdict *v,
                 int64_t now_ms, fleet_counts *c)
{
    for (int i = 0; i < MONITOR_NTESTS; i++) {
        enum monitor_test t = (enum monitor_test)i;
        fleet_test *ft = &f->test[i];
        if (p->due[i])
            ft->in_flight = 0;
        if (!p->due[i] && p->status[i] != FLEET_STORE_FAILED)
            continue;
        if (p->status[i] == FLEET_STORE_FAILED) {
            if (p->due[i])
                f->down_until_ms = now_ms + FLEET_BACKOFF_MS;
            decide_locally(f, ft, m, t, p, b, v, c);
            continue;
        }
        ft->ahead = 0;
        ft->reported = p->value[i];
        int local_episode = monitor_in_episode(m, t);
        if (p->won[i] && local_episode == p->episode[i]) {
            if (local_episode)
                monitor_close_episode(m, t, b, p->fleet_evidence[i], v);
            else
                monitor_open_episode(m, t, b, p->fleet_evidence[i], v);
        } else if ((int)(p->new_phase[i] & 1) != local_episode) {
            /* Another environment alerted (or recovered): follow quietly. */
            if (local_episode)
                monitor_close_episode(m, t, b, 0, NULL);
            else
                monitor_open_episode(m, t, b, 0, NULL);
        }
        if (p->new_phase[i] != ft->phase)
            ft->reported = 0; /* our entry belongs to an earlier phase */
        ft->phase = p->new_phase[i];
    }
    for (int t = 0; v != NULL && t < MONITOR_NTESTS; t++) {
        double p0, p1, h, local = monitor_local_evidence(m, (enum monitor_test)t);
        monitor_parameters(m, (enum monitor_test)t, &p0, &p1, &h);
        v->in_episode[t] = monitor_in_episode(m, (enum monitor_test)t);
        v->evidence[t] = v->in_episode[t] ? h - local : local;
    }
}
