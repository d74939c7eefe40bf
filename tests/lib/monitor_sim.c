/* monitor_sim.c: simulated streams through the real alert policies. */
#include "tests/lib/monitor_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/evaluate.h"
#include "model/baseline.h"

int sim_load(sim_data *d, const char *model_path, const char *csv_path, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->model = model_load(model_path, err, errlen);
    if (d->model == NULL)
        return -1;
    FILE *f = fopen(csv_path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open", csv_path);
        return -1;
    }
    char line[256], species[64];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        double v[MODEL_NFEATURES];
        if (sscanf(line, "%lf,%lf,%lf,%lf,%63s", &v[0], &v[1], &v[2], &v[3], species) != 5)
            continue; /* the header */
        int k = model_class_index(d->model, species);
        if (k < 0)
            continue;
        if (d->n == cap) {
            cap = cap ? 2 * cap : 256;
            d->x = realloc(d->x, cap * sizeof *d->x);
            d->y = realloc(d->y, cap * sizeof *d->y);
            if (!d->x || !d->y) {
                fclose(f);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
        memcpy(d->x[d->n], v, sizeof v);
        d->y[d->n++] = k;
    }
    fclose(f);
    size_t right = 0;
    double probs[MODEL_MAX_CLASSES];
    for (size_t i = 0; i < d->n; i++)
        right += model_predict(d->model, d->x[i], probs) == d->y[i];
    d->clean_accuracy = d->n ? (double)right / (double)d->n : 0;
    if (d->n == 0) {
        snprintf(err, errlen, "%s: no rows", csv_path);
        return -1;
    }
    return 0;
}

void sim_free(sim_data *d)
{
    model_free(d->model);
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

sim_data sim_iris;

int sim_iris_setup(void **state)
{
    char err[512];
    (void)state;
    if (sim_load(&sim_iris, "model/iris-model.json", "model/iris.csv", err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

int sim_iris_teardown(void **state)
{
    (void)state;
    sim_free(&sim_iris);
    return 0;
}

/* splitmix64: a small, well-mixed seeded generator. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double next_unit(uint64_t *s)
{
    return (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* One record, clean or changed. */
sim_stream sim_stream_make(enum sim_change change, double value, size_t batch_size, size_t warmup,
                           size_t limit, uint64_t seed)
{
    sim_stream s = {.change = change,
                    .target_accuracy = value,
                    .shift_cm = value,
                    .batch = batch_size,
                    .warmup = warmup,
                    .limit = limit,
                    .seed = seed};
    return s;
}

void sim_draw(const sim_data *d, const sim_stream *s, int changed, uint64_t *rng, int64_t off,
              batch_record *r)
{
    size_t i = (size_t)(next_unit(rng) * (double)d->n);
    memset(r, 0, sizeof *r);
    r->topic = "iris";
    r->partition = 0;
    r->offset = off;
    r->timestamp_ms = 1700000000000 + off;
    memcpy(r->features, d->x[i], sizeof r->features);
    r->label = d->y[i];
    if (changed && s->change == SIM_INPUTS) {
        r->features[2] += s->shift_cm;
        r->label = -1;
    }
    r->predicted = model_predict(d->model, r->features, r->probs);
    if (changed && s->change == SIM_ACCURACY) {
        double q = 1 - s->target_accuracy / d->clean_accuracy;
        if (next_unit(rng) < q) {
            size_t k = model_num_classes(d->model);
            r->label = (r->predicted + 1 + (int)(next_unit(rng) * (double)(k - 1))) % (int)k;
        }
    }
}

/* The policy's alarms for one batch (recoveries are not counted). */
static size_t alarms(enum sim_policy p, monitor *m, const alert_policy *ap, batch *b, size_t k)
{
    if (p == SIM_THRESHOLD) {
        evaluation e;
        if (evaluate_batch(b, k, &e) != 0)
            return 0;
        int due = alert_due(ap, &e);
        evaluation_free(&e);
        return (size_t)due;
    }
    monitor_verdict v;
    monitor_observe(m, b, &v);
    size_t n = 0;
    for (size_t i = 0; i < v.nevents; i++)
        n += !v.events[i].recovery;
    return n;
}

int sim_run(const sim_data *d, enum sim_policy p, const sim_stream *s, sim_result *r)
{
    memset(r, 0, sizeof *r);
    monitor_config mc;
    monitor_config_defaults(&mc);
    char err[256];
    monitor *m = monitor_new(&mc, model_baseline(d->model), err, sizeof err);
    alert_policy ap;
    alert_policy_defaults(&ap);
    ap.mode = ALERT_MODE_THRESHOLD;
    batch b;
    memset(&b, 0, sizeof b);
    b.records = calloc(s->batch, sizeof *b.records);
    if (m == NULL || b.records == NULL) {
        monitor_free(m);
        free(b.records);
        return -1;
    }
    uint64_t rng = s->seed;
    size_t total = s->warmup + (s->change == SIM_NONE ? 0 : s->limit);
    size_t k = model_num_classes(d->model);
    for (size_t done = 0; done < total && !r->detected;) {
        b.count = s->batch;
        for (size_t i = 0; i < b.count; i++)
            sim_draw(d, s, done + i >= s->warmup, &rng, (int64_t)(done + i), &b.records[i]);
        done += b.count;
        size_t a = alarms(p, m, &ap, &b, k);
        if (done <= s->warmup) {
            r->alerts_before += a;
        } else if (a > 0) {
            r->detected = 1;
            r->delay = done - s->warmup;
        }
        r->records = done;
    }
    monitor_free(m);
    free(b.records);
    return 0;
}
