/* monitor.c: the Bernoulli CUSUMs behind the sequential alert policy. */
#include "lambda/monitor.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shares of "yes" are kept inside [P_MIN, 1 - P_MIN] so every log is finite. */
#define P_MIN 1e-4

typedef struct cusum {
    int on;
    int shared; /* decisions are the caller's */
    double p0, p1, h;
    double up, down; /* log likelihood ratio of a "yes" and of a "no" */
    double s;        /* evidence of a change */
    double r;        /* evidence of a return to p0, during an episode */
    int episode;
    monitor_position alert_at; /* the record that raised the open episode's alert */
    /* the current run: since s last left 0 (or since the alarm, in an episode) */
    uint64_t records, yes;
    monitor_position start;
    uint64_t confusion[MODEL_MAX_CLASSES][MODEL_MAX_CLASSES];
    double sum[MODEL_NFEATURES];
} cusum;

struct monitor {
    int shared; /* episodes opened and closed by the caller (monitor_set_shared) */
    monitor_config config;
    baseline baseline;
    cusum test[MONITOR_NTESTS];
};

const char *monitor_test_name(enum monitor_test t)
{
    return t == MONITOR_ACCURACY ? "accuracy" : "inputs";
}

void monitor_config_defaults(monitor_config *c)
{
    c->false_alarm_rate = MONITOR_DEFAULT_FALSE_ALARM_RATE;
    c->min_drop = MONITOR_DEFAULT_MIN_DROP;
    c->expected_accuracy = NAN;
}

/* A number in (lo, hi] from an environment variable; unset or "" leaves *out. */
static int env_number(const char *name, double lo, double hi, const char *accepted, double *out,
                      char *err, size_t errlen)
{
    const char *value = getenv(name);
    if (value == NULL || *value == '\0')
        return 0;
    char *end = NULL;
    errno = 0;
    double v = strtod(value, &end);
    if (errno != 0 || end == value || *end != '\0' || isspace((unsigned char)value[0]) ||
        !isfinite(v) || !(v > lo) || v > hi) {
        snprintf(err, errlen, "%s=\"%.64s\" is not valid: %s", name, value, accepted);
        return -1;
    }
    *out = v;
    return 0;
}

int monitor_config_from_env(monitor_config *c, char *err, size_t errlen)
{
    monitor_config_defaults(c);
    if (env_number("ALERT_FALSE_ALARM_RATE", 0, 0.01,
                   "use the false alarms you accept per clean record, a number above 0 and at most "
                   "0.01 (default 3e-10: under one a month at 1,000 records/s)",
                   &c->false_alarm_rate, err, errlen) != 0 ||
        env_number("ALERT_MIN_DROP", 0, 0.99,
                   "use the smallest accuracy drop worth detecting, a number above 0 and at most "
                   "0.99 (default 0.3 = 30 percentage points)",
                   &c->min_drop, err, errlen) != 0 ||
        env_number("ALERT_EXPECTED_ACCURACY", 0, 1,
                   "use the accuracy of the model on a healthy stream, a number above 0 and at "
                   "most 1, or leave it empty to use the model's cross-validated accuracy",
                   &c->expected_accuracy, err, errlen) != 0)
        return -1;
    return 0;
}

static int cusum_init(cusum *t, double p0, double min_change, double rate, const char *what,
                      char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    p0 = fmax(p0, P_MIN);
    double p1 = p0 + min_change;
    if (p1 > 1 - P_MIN) {
        snprintf(err, errlen,
                 "ALERT_MIN_DROP=%g is too large for the %s test: its in-control share is %.4g, "
                 "and %.4g + %g is not below 1; use a smaller ALERT_MIN_DROP",
                 min_change, what, p0, p0, min_change);
        return -1;
    }
    t->on = 1;
    t->p0 = p0;
    t->p1 = p1;
    t->h = log(1 / rate);
    t->up = log(p1 / p0);
    t->down = log((1 - p1) / (1 - p0));
    return 0;
}

monitor *monitor_new(const monitor_config *c, const baseline *bl, char *err, size_t errlen)
{
    monitor *m = calloc(1, sizeof *m);
    if (m == NULL) {
        snprintf(err, errlen, "out of memory for the monitor");
        return NULL;
    }
    m->config = *c;
    if (bl != NULL)
        m->baseline = *bl;
    double expected_error = !isnan(c->expected_accuracy) ? 1 - c->expected_accuracy
                            : m->baseline.present        ? m->baseline.error_rate
                                                         : NAN;
    /* The monitor owns nothing but itself: a test it cannot set up frees it. */
    if ((!isnan(expected_error) &&
         cusum_init(&m->test[MONITOR_ACCURACY], expected_error, c->min_drop, c->false_alarm_rate,
                    "accuracy", err, errlen) != 0) ||
        (m->baseline.present &&
         cusum_init(&m->test[MONITOR_INPUTS], m->baseline.atypical_rate, c->min_drop,
                    c->false_alarm_rate, "input drift", err, errlen) != 0)) {
        free(m);
        return NULL;
    }
    return m;
}

void monitor_free(monitor *m)
{
    free(m);
}

int monitor_enabled(const monitor *m, enum monitor_test t)
{
    return m->test[t].on;
}

void monitor_parameters(const monitor *m, enum monitor_test t, double *p0, double *p1, double *h)
{
    *p0 = m->test[t].p0;
    *p1 = m->test[t].p1;
    *h = m->test[t].h;
}

const monitor_config *monitor_get_config(const monitor *m)
{
    return &m->config;
}

const baseline *monitor_baseline(const monitor *m)
{
    return &m->baseline;
}

double monitor_binomial_tail(uint64_t n, uint64_t k, double p)
{
    if (k == 0)
        return 1;
    if (k > n)
        return 0;
    /* lgamma_r: lgamma sets the global signgam, a data race between two
     * monitors on two threads. */
    int sign;
    double lp = log(p), lq = log1p(-p), lnf = lgamma_r((double)n + 1, &sign), sum = 0;
    for (uint64_t j = k; j <= n; j++) {
        double term = exp(lnf - lgamma_r((double)j + 1, &sign) -
                          lgamma_r((double)(n - j) + 1, &sign) + (double)j * lp +
                          (double)(n - j) * lq);
        sum += term;
        if (term < sum * 1e-17 && (double)j > (double)n * p)
            break;
    }
    return sum < 1 ? sum : 1;
}

static void position_of(const batch_record *r, monitor_position *p)
{
    memset(p, 0, sizeof *p);
    p->known = r->topic != NULL && r->partition >= 0 && r->offset >= 0;
    if (r->topic != NULL)
        snprintf(p->topic, sizeof p->topic, "%s", r->topic);
    p->partition = r->partition;
    p->offset = r->offset;
    p->timestamp_ms = r->timestamp_ms;
}

/* An empty run (records == 0) has its counts and sums at 0 already: run_add()
 * is the only writer, so most records of a clean stream, which keep the
 * evidence at 0, cost no clearing. */
static void run_reset(cusum *t)
{
    if (t->records == 0)
        return;
    t->records = t->yes = 0;
    memset(t->confusion, 0, sizeof t->confusion);
    memset(t->sum, 0, sizeof t->sum);
}

static void run_add(cusum *t, const batch_record *r, int yes)
{
    t->records++;
    t->yes += (uint64_t)yes;
    if (r->label >= 0 && r->predicted >= 0 && r->label < MODEL_MAX_CLASSES &&
        r->predicted < MODEL_MAX_CLASSES)
        t->confusion[r->label][r->predicted]++;
    for (int f = 0; f < MODEL_NFEATURES; f++)
        t->sum[f] += r->features[f];
}

static monitor_event *new_event(cusum *t, enum monitor_test which, const batch_record *r,
                                monitor_verdict *v, int recovery, double llr)
{
    if (v->nevents == MONITOR_MAX_EVENTS) {
        v->dropped++;
        return NULL;
    }
    monitor_event *ev = &v->events[v->nevents++];
    memset(ev, 0, sizeof *ev);
    ev->test = which;
    ev->recovery = recovery;
    ev->llr = llr;
    ev->threshold = t->h;
    ev->p0 = t->p0;
    ev->p1 = t->p1;
    ev->records = t->records;
    ev->events = t->yes;
    ev->since = t->start;
    position_of(r, &ev->at);
    return ev;
}

static void open_episode(cusum *t, enum monitor_test which, const batch_record *r,
                         monitor_verdict *v, double llr);

/* One outcome: yes = wrong (accuracy) or atypical (inputs). */
static void step(cusum *t, enum monitor_test which, const batch_record *r, int yes,
                 monitor_verdict *v)
{
    double inc = yes ? t->up : t->down;
    v->judged[which]++;
    v->yes[which] += (size_t)yes;
    if (t->episode) {
        /* The mirror CUSUM: evidence that the stream is back to p0, counted
         * over the clean stretch since it last left 0. */
        if (t->r - inc <= 0) {
            t->r = 0;
            run_reset(t);
            return;
        }
        if (t->r == 0) {
            run_reset(t);
            position_of(r, &t->start);
        }
        t->r -= inc;
        run_add(t, r, yes);
        if (t->r >= t->h && !t->shared) {
            monitor_event *ev = new_event(t, which, r, v, 1, t->r);
            if (ev != NULL)
                ev->alert_at = t->alert_at;
            t->episode = 0;
            t->s = t->r = 0;
            run_reset(t);
        }
        return;
    }
    if (t->s + inc <= 0) {
        t->s = 0;
        run_reset(t);
        return;
    }
    if (t->s == 0) {
        run_reset(t);
        position_of(r, &t->start);
    }
    t->s += inc;
    run_add(t, r, yes);
    if (t->s < t->h || t->shared)
        return;
    open_episode(t, which, r, v, t->s);
}

static void open_episode(cusum *t, enum monitor_test which, const batch_record *r,
                         monitor_verdict *v, double llr)
{
    monitor_event *ev = v != NULL ? new_event(t, which, r, v, 0, llr) : NULL;
    if (ev != NULL && t->records > 0) {
        ev->p_value = monitor_binomial_tail(t->records, t->yes, t->p0);
        memcpy(ev->confusion, t->confusion, sizeof ev->confusion);
        for (int f = 0; f < MODEL_NFEATURES; f++)
            ev->feature_mean[f] = t->sum[f] / (double)t->records;
    }
    /* The episode is open; the recovery test starts from here. */
    t->episode = 1;
    t->s = t->r = 0;
    run_reset(t);
    position_of(r, &t->alert_at);
}

void monitor_observe(monitor *m, const batch *b, monitor_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->config = &m->config;
    v->baseline = &m->baseline;
    cusum *acc = &m->test[MONITOR_ACCURACY], *in = &m->test[MONITOR_INPUTS];
    for (size_t i = 0; i < b->count; i++) {
        const batch_record *r = &b->records[i];
        if (r->error != NULL || r->predicted < 0)
            continue;
        if (acc->on && r->label >= 0)
            step(acc, MONITOR_ACCURACY, r, r->label != r->predicted, v);
        if (in->on)
            step(in, MONITOR_INPUTS, r, baseline_atypical(&m->baseline, r->features), v);
    }
    for (int t = 0; t < MONITOR_NTESTS; t++) {
        const cusum *c = &m->test[t];
        v->evidence[t] = c->episode ? c->h - c->r : c->s;
        v->in_episode[t] = c->episode;
    }
}

void monitor_set_shared(monitor *m, int shared)
{
    m->shared = shared;
    for (int t = 0; t < MONITOR_NTESTS; t++)
        m->test[t].shared = shared;
}

double monitor_local_evidence(const monitor *m, enum monitor_test t)
{
    return m->test[t].episode ? m->test[t].r : m->test[t].s;
}

int monitor_in_episode(const monitor *m, enum monitor_test t)
{
    return m->test[t].episode;
}

/* The last record of b that test t judged (the batch's last record when none). */
static const batch_record *last_judged(const batch *b, enum monitor_test t)
{
    for (size_t i = b->count; i > 0; i--) {
        const batch_record *r = &b->records[i - 1];
        if (r->error == NULL && r->predicted >= 0 && (t == MONITOR_INPUTS || r->label >= 0))
            return r;
    }
    return b->count > 0 ? &b->records[b->count - 1] : NULL;
}

static void refresh_verdict(const monitor *m, monitor_verdict *v)
{
    for (int t = 0; t < MONITOR_NTESTS; t++) {
        const cusum *c = &m->test[t];
        v->evidence[t] = c->episode ? c->h - c->r : c->s;
        v->in_episode[t] = c->episode;
    }
}

void monitor_open_episode(monitor *m, enum monitor_test t, const batch *b, double llr,
                          monitor_verdict *v)
{
    cusum *c = &m->test[t];
    const batch_record *r = last_judged(b, t);
    if (!c->on || c->episode)
        return;
    batch_record none;
    if (r == NULL) {
        memset(&none, 0, sizeof none);
        none.partition = -1;
        none.offset = -1;
        r = &none;
    }
    open_episode(c, t, r, v, llr);
    if (v != NULL)
        refresh_verdict(m, v);
}

void monitor_close_episode(monitor *m, enum monitor_test t, const batch *b, double llr,
                           monitor_verdict *v)
{
    cusum *c = &m->test[t];
    const batch_record *r = last_judged(b, t);
    if (!c->on || !c->episode)
        return;
    if (v != NULL && r != NULL) {
        monitor_event *ev = new_event(c, t, r, v, 1, llr);
        if (ev != NULL)
            ev->alert_at = c->alert_at;
    }
    c->episode = 0;
    c->s = c->r = 0;
    run_reset(c);
    if (v != NULL)
        refresh_verdict(m, v);
}

void monitor_write_emf_names(buf *out)
{
    buf_puts(out, ",{\"Name\":\"AccuracyEvidence\",\"Unit\":\"None\"},"
                  "{\"Name\":\"InputDriftEvidence\",\"Unit\":\"None\"},"
                  "{\"Name\":\"AtypicalRecords\",\"Unit\":\"Count\"},"
                  "{\"Name\":\"AccuracyDropAlerts\",\"Unit\":\"Count\"},"
                  "{\"Name\":\"InputDriftAlerts\",\"Unit\":\"Count\"}");
}

void monitor_write_emf_values(buf *out, const monitor_verdict *v)
{
    size_t alarms[MONITOR_NTESTS] = {0};
    for (size_t i = 0; i < v->nevents; i++)
        alarms[v->events[i].test] += !v->events[i].recovery;
    buf_puts(out, ",\"AccuracyEvidence\":");
    buf_json_double(out, v->evidence[MONITOR_ACCURACY]);
    buf_puts(out, ",\"InputDriftEvidence\":");
    buf_json_double(out, v->evidence[MONITOR_INPUTS]);
    buf_printf(out, ",\"AtypicalRecords\":%zu,\"AccuracyDropAlerts\":%zu,\"InputDriftAlerts\":%zu",
               v->yes[MONITOR_INPUTS], alarms[MONITOR_ACCURACY], alarms[MONITOR_INPUTS]);
}
