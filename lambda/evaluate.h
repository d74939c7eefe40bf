/* evaluate.h: score a parsed batch with the model, then judge it.
 *
 * Correctness per record: predicted class vs labelled species.  For the batch:
 * confusion counts per (species, predictedSpecies), accuracy, mean per-class
 * error and one-minute tumbling window counts keyed by the record timestamp
 * (the shape of the original demo's iris-classified-window-counts).
 */
#ifndef IRIS_EVALUATE_H
#define IRIS_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include "lambda/batch/batch.h"
#include "common/buf.h"
#include "model/model.h"

#define EVAL_WINDOW_MS 60000

typedef struct eval_window {
    int actual;    /* class index, -1 for unlabelled records */
    int predicted; /* class index */
    int64_t start_ms;
    int64_t end_ms; /* start_ms + EVAL_WINDOW_MS */
    uint64_t count;
} eval_window;

typedef struct evaluation {
    size_t nclasses;
    size_t records;  /* every record in the batch */
    size_t scored;   /* read and scored */
    size_t invalid;  /* could not be read (have an error) */
    size_t labelled; /* scored with a known species */
    size_t correct;  /* labelled and predicted right */
    uint64_t confusion[MODEL_MAX_CLASSES][MODEL_MAX_CLASSES]; /* [actual][predicted] */
    double accuracy;             /* correct / labelled; NaN when labelled == 0 */
    double mean_per_class_error; /* mean of (1 - recall) over the classes present; NaN if none */
    eval_window *windows;        /* sorted by start_ms, actual, predicted; owned */
    size_t nwindows;
} evaluation;

/* Scores every readable record of b: sets label (a species the model does not
 * know becomes a record error), predicted and probs. */
void evaluate_score(const model *m, batch *b);

/* Aggregates a scored batch into *out (caller frees with evaluation_free()).
 * Returns 0, or -1 on allocation failure. */
int evaluate_batch(const batch *b, size_t nclasses, evaluation *out);

/* Appends the evaluation as JSON object members, without braces:
 *   "records":..,"scored":..,"invalid":..,"labelled":..,"correct":..,
 *   "accuracy":..,"meanPerClassError":..,
 *   "confusion":[{"species":..,"predictedSpecies":..,"count":..},...]
 * class_names has e->nclasses entries.  Returns 0, or -1 when out of memory. */
int evaluate_write_json(buf *out, const evaluation *e, const char *const *class_names);

/* Frees what the evaluation owns; accepts NULL. */
void evaluation_free(evaluation *e);

#endif
