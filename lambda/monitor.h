/* monitor.h: sequential tests on the stream of scored records, kept across
 * the invocations of a warm process (see lambda/ALERTS.md, "How the
 * sequential tests work").
 *
 * Two tests, each a Bernoulli CUSUM (Page's cumulative sum of log likelihood
 * ratios) on a stream of yes/no outcomes, one record at a time, so a batch of
 * 1 and a batch of 10,000 are judged the same way:
 *   accuracy  labelled records: was the prediction wrong?
 *   inputs    every scored record: is it atypical of the training data
 *             (model/baseline.h)?  Needs no label.
 * In control the share of "yes" is p0 (from the artifact); the test is tuned
 * for p1 = p0 + the smallest change worth detecting.  It alarms when the
 * evidence S reaches h = ln(1 / false-alarm rate per record), which keeps
 * the mean number of clean records between false alarms above 1 / rate.
 * After an alarm the episode stays open (no further alerts) until a mirror
 * CUSUM finds the same strength of evidence that the stream is back to p0.
 *
 * A new process starts with no evidence, so a restart never alerts.
 * Knows nothing about HTTP or SNS.
 */
#ifndef IRIS_MONITOR_H
#define IRIS_MONITOR_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "lambda/batch/batch.h"
#include "model/baseline.h"
#include "model/model.h"

#define MONITOR_DEFAULT_FALSE_ALARM_RATE 3e-10
#define MONITOR_DEFAULT_MIN_DROP 0.3
#define MONITOR_MAX_EVENTS 8
#define MONITOR_TOPIC_MAX 128

enum monitor_test { MONITOR_ACCURACY = 0, MONITOR_INPUTS = 1, MONITOR_NTESTS = 2 };

typedef struct monitor_config {
    double false_alarm_rate;  /* per clean record, in (0, 0.01] */
    double min_drop;          /* accuracy drop (and rise in the atypical share) to tune for */
    double expected_accuracy; /* NaN: 1 - the artifact's cross-validated error rate */
} monitor_config;

/* Where in the stream: a record's coordinates (known = 0 for a direct
 * invoke without them). */
typedef struct monitor_position {
    int known;
    char topic[MONITOR_TOPIC_MAX];
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms;
} monitor_position;

/* An alarm (recovery = 0) or the end of an episode (recovery = 1). */
typedef struct monitor_event {
    enum monitor_test test;
    int recovery;
    double llr;                /* evidence at the decision (natural log likelihood ratio) */
    double threshold;          /* h */
    double p0, p1;             /* in-control and tuned-for shares of "yes" */
    uint64_t records;          /* records judged since `since` */
    uint64_t events;           /* of which "yes" (wrong / atypical) */
    double p_value;            /* exact binomial P(X >= events | records, p0); alarms only */
    monitor_position since;    /* first record of the change (alarm) or of the clean stretch that
                                  ended it (recovery) */
    monitor_position at;       /* the record that decided */
    monitor_position alert_at; /* recovery: the record that raised the episode's alert */
    /* accuracy: [actual][predicted] counts since the change began */
    uint64_t confusion[MODEL_MAX_CLASSES][MODEL_MAX_CLASSES];
    /* inputs: mean of each feature over the records since the change began */
    double feature_mean[MODEL_NFEATURES];
} monitor_event;

/* What one batch did to the tests. */
typedef struct monitor_verdict {
    monitor_event events[MONITOR_MAX_EVENTS];
    size_t nevents;
    size_t dropped; /* events beyond MONITOR_MAX_EVENTS (not alerted) */
    /* After the batch: the evidence of a change S, or during an episode h
     * minus the evidence of recovery (h at the alarm, 0 at the recovery). */
    double evidence[MONITOR_NTESTS];
    int in_episode[MONITOR_NTESTS];
    size_t judged[MONITOR_NTESTS]; /* records of the batch each test judged */
    size_t yes[MONITOR_NTESTS];    /* of which wrong / atypical */
    const monitor_config *config;  /* the monitor's, for the alert text */
    const baseline *baseline;
} monitor_verdict;

typedef struct monitor monitor;

/* Reads ALERT_FALSE_ALARM_RATE, ALERT_MIN_DROP and ALERT_EXPECTED_ACCURACY
 * (unset or "": the defaults).  On error returns -1 with a message naming the
 * variable, the value and what is accepted. */
int monitor_config_from_env(monitor_config *c, char *err, size_t errlen);
void monitor_config_defaults(monitor_config *c);

/* A monitor for a model with baseline bl (a test whose baseline is missing
 * is off; monitor_enabled says which are on).  Returns NULL with err on an
 * impossible configuration (p0 + min_drop >= 1).  Free with monitor_free. */
monitor *monitor_new(const monitor_config *c, const baseline *bl, char *err, size_t errlen);
void monitor_free(monitor *m); /* accepts NULL */

int monitor_enabled(const monitor *m, enum monitor_test t);
/* The test's p0, p1 and threshold h (0 when the test is off). */
void monitor_parameters(const monitor *m, enum monitor_test t, double *p0, double *p1, double *h);
const monitor_config *monitor_get_config(const monitor *m);
const baseline *monitor_baseline(const monitor *m);

/* Feeds the scored records of b, in order, to both tests and fills *v. */
void monitor_observe(monitor *m, const batch *b, monitor_verdict *v);

/* Shared decisions (lambda/fleet.h): with shared = 1 the tests keep
 * collecting evidence but never open or close an episode on their own; the
 * caller decides after each batch from the evidence of every environment
 * and calls monitor_open_episode / monitor_close_episode. */
void monitor_set_shared(monitor *m, int shared);
/* The local evidence of test t: of a change (no episode open) or of the
 * return to p0 (during an episode), >= 0; may exceed h in shared mode. */
double monitor_local_evidence(const monitor *m, enum monitor_test t);
int monitor_in_episode(const monitor *m, enum monitor_test t);
/* Opens test t's episode.  With v, an alarm event on the run so far goes to v
 * (llr: the evidence the decision was made on; at: the last record of b the
 * test judged); with v NULL the episode is joined quietly (another
 * environment alerted).  No-op when already open. */
void monitor_open_episode(monitor *m, enum monitor_test t, const batch *b, double llr,
                          monitor_verdict *v);
/* Closes it, with a recovery event in v (or quietly with v NULL). */
void monitor_close_episode(monitor *m, enum monitor_test t, const batch *b, double llr,
                           monitor_verdict *v);

/* "accuracy" or "inputs". */
const char *monitor_test_name(enum monitor_test t);

/* P(X >= k) for X ~ Binomial(n, p). */
double monitor_binomial_tail(uint64_t n, uint64_t k, double p);

/* For a CloudWatch Embedded Metric Format document: the metric
 * declarations (each preceded by a comma) AccuracyEvidence,
 * InputDriftEvidence, AtypicalRecords, AccuracyDropAlerts, InputDriftAlerts,
 * and then their values (members, each preceded by a comma). */
void monitor_write_emf_names(buf *out);
void monitor_write_emf_values(buf *out, const monitor_verdict *v);

#endif
