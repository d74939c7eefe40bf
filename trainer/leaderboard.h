/* leaderboard.h: cross-validates candidate models on the same folds, ranks
 * them as H2O's AutoML leaderboard does (mean per-class error, then log loss),
 * says which differences are within the noise of the fold assignment, and
 * chooses the leader by a stated rule (leaderboard_rule). */
#ifndef IRIS_LEADERBOARD_H
#define IRIS_LEADERBOARD_H

#include "trainer/cv.h"
#include "trainer/trainset.h"
#include "trainer/learner.h"

#include <cjson/cJSON.h>
#include <stdio.h>

typedef struct {
    learner_spec spec;
    cv_metrics metrics;
    int failed; /* a fold's fit failed: error says why; ranked last */
    char error[320];
    size_t order; /* position in the candidate list (the last tie-breaker) */
    /* Spread across the repeats (each repeat is a different fold assignment). */
    double mpce_se;       /* standard error of mean_per_class_error: sd / sqrt(repeats) */
    double error_rate;    /* share of wrong out-of-fold predictions, pooled over repeats */
    double error_rate_sd; /* standard deviation of the per-repeat error rate */
    /* Against the best row, repeat by repeat (the same folds): the mean
     * difference of mean per-class error and its standard error. */
    double diff_best, diff_best_se;
    int within_noise; /* diff_best < 2 diff_best_se: not distinguishable from the best */
} leaderboard_row;

/* The leader rule, printed with the leaderboard and recorded in the artifact. */
extern const char leaderboard_rule[];

typedef struct {
    leaderboard_row *rows; /* sorted, best first */
    size_t nrows;
    size_t repeats, folds;
    size_t leader;  /* index into rows of the model the rule chooses */
    double seconds; /* wall time of the cross-validation */
} leaderboard;

/* Every point of every family's grid, in family order, restricted to the
 * families named in the comma-separated list only (NULL: all).  Returns the
 * number written to specs (at most max), or 0 with err for an unknown family. */
size_t leaderboard_candidates(learner_spec *specs, size_t max, const char *only, char *err,
                              size_t errlen);

/* Cross-validates each spec on d with the folds of plan, using threads worker
 * threads (results do not depend on it), and sorts the rows.  Returns 0, or
 * -1 with err when out of memory or every candidate failed.  Free with
 * leaderboard_clear. */
int leaderboard_run(leaderboard *lb, const learner_spec *specs, size_t nspecs, const trainset *d,
                    const cv_plan *plan, size_t threads, char *err, size_t errlen);
void leaderboard_clear(leaderboard *lb);

/* After the rows are sorted (rows[0] is the best): fills each row's mpce_se,
 * diff_best, diff_best_se and within_noise from rep, the per-repeat mean
 * per-class errors (row.order x repeats, row-major), and sets lb->leader by
 * leaderboard_rule.  diff is scratch space for repeats doubles.  Used by
 * leaderboard_run; public for tests. */
void leaderboard_judge(leaderboard *lb, const double *rep, double *diff);

/* The row the leader rule chose (never a failed row after a successful run). */
const leaderboard_row *leaderboard_leader(const leaderboard *lb);

/* The H2O-style table with each score's standard error, a "~" on the rows
 * within noise of the best, a "*" on the leader, and the rule. */
void leaderboard_print(const leaderboard *lb, FILE *out);

/* The rows as a JSON array of {model_id, family, params, mean_per_class_error,
 * logloss, rmse, mse, mean_per_class_error_sd, mean_per_class_error_se,
 * error_rate, error_rate_sd, difference_to_best, difference_to_best_se,
 * within_noise_of_best, leader}; NULL when out of memory. */
cJSON *leaderboard_json(const leaderboard *lb);

#endif
