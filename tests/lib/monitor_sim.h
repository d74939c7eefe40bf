/* monitor_sim.h: simulated record streams for the alert policies, shared by
 * make bench-monitor (tests/bench/monitor_bench.c) and the goal tests
 * (tests/unit/test_monitor_sim.c).
 *
 * A stream draws flowers uniformly from model/iris.csv with a seeded PRNG
 * and scores them with the real model, so a clean stream has the model's
 * real error rate on iris (about 2%).  After the change point:
 *   SIM_ACCURACY  labels go wrong: each record's label is replaced, with
 *                 probability q, by a class other than the prediction, so the
 *                 expected accuracy is (1 - q) x the clean accuracy = target;
 *   SIM_INPUTS    the records carry no label and petal length reads
 *                 shift_cm more (a recalibrated sensor).
 * Records go to a policy in batches of a fixed size, as the connector sends
 * them; an alert can only go out at the end of a batch.
 */
#ifndef IRIS_MONITOR_SIM_H
#define IRIS_MONITOR_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "lambda/alert.h"
#include "lambda/monitor.h"
#include "model/model.h"

enum sim_change { SIM_NONE, SIM_ACCURACY, SIM_INPUTS };
enum sim_policy { SIM_SEQUENTIAL, SIM_THRESHOLD };

typedef struct sim_data {
    model *model;
    double (*x)[MODEL_NFEATURES];
    int *y;
    size_t n;
    double clean_accuracy; /* of the model on the rows */
} sim_data;

/* Loads the model and the CSV; returns 0, or -1 with err. */
int sim_load(sim_data *d, const char *model_path, const char *csv_path, char *err, size_t errlen);
void sim_free(sim_data *d);

/* The iris model and rows (model/iris-model.json, model/iris.csv) as a
 * cmocka group fixture: sim_iris_setup loads them into sim_iris (printing
 * why when it cannot), sim_iris_teardown frees them. */
extern sim_data sim_iris;
int sim_iris_setup(void **state);
int sim_iris_teardown(void **state);

typedef struct sim_stream {
    enum sim_change change;
    double target_accuracy; /* SIM_ACCURACY */
    double shift_cm;        /* SIM_INPUTS: added to petal length */
    size_t batch;           /* records per batch */
    size_t warmup;          /* clean records before the change (a multiple of batch) */
    size_t limit;           /* records after the change before giving up */
    uint64_t seed;
} sim_stream;

/* A stream in batches of batch_size: warmup clean records (a multiple of
 * batch_size), then changed by change (value: the accuracy it falls to, or
 * the cm petal length gains) for at most limit records; drawn with seed. */
sim_stream sim_stream_make(enum sim_change change, double value, size_t batch_size, size_t warmup,
                           size_t limit, uint64_t seed);

typedef struct sim_result {
    size_t alerts_before; /* alerts (alarms, not recoveries) before the change point */
    int detected;         /* an alert after the change point */
    size_t delay;         /* records from the change point to the end of the alerting batch */
    size_t records;       /* records streamed */
} sim_result;

/* One record at offset off into *r: clean, or changed as s says.  Used by
 * the fleet simulation (tests/unit/test_fleet.c) to deal one stream to
 * several environments. */
void sim_draw(const sim_data *d, const sim_stream *s, int changed, uint64_t *rng, int64_t off,
              batch_record *r);

/* Runs one stream through a fresh policy (the template's defaults for
 * SIM_SEQUENTIAL; ALERT_MODE=threshold with its defaults, 90% on at least
 * 10 labelled records, for SIM_THRESHOLD).  With change == SIM_NONE the
 * whole warmup is clean and alerts_before counts its false alerts. */
int sim_run(const sim_data *d, enum sim_policy p, const sim_stream *s, sim_result *r);

#endif
