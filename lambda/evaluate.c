/* evaluate.c: scoring and batch aggregation. */
#include "lambda/evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void evaluate_score(const model *m, batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        batch_record *rec = &b->records[i];
        rec->label = -1;
        rec->predicted = -1;
        if (rec->error != NULL)
            continue;
        if (rec->species[0] != '\0') {
            rec->label = model_class_index(m, rec->species);
            if (rec->label < 0) {
                char msg[200];
                size_t n = model_num_classes(m);
                snprintf(msg, sizeof msg, "value.species: unknown species \"%s\" (the model knows %s%s%s%s%s%s)",
                         rec->species, model_class_name(m, 0), n > 1 ? ", " : "",
                         n > 1 ? model_class_name(m, 1) : "", n > 2 ? ", " : "",
                         n > 2 ? model_class_name(m, 2) : "", n > 3 ? ", ..." : "");
                batch_record_fail(rec, msg);
                continue;
            }
        }
        rec->predicted = model_predict(m, rec->features, rec->probs);
    }
}

typedef struct window_key {
    int64_t start_ms;
    int actual;
    int predicted;
} window_key;

static int cmp_window_key(const void *a, const void *b)
{
    const window_key *x = a, *y = b;
    if (x->start_ms != y->start_ms)
        return x->start_ms < y->start_ms ? -1 : 1;
    if (x->actual != y->actual)
        return x->actual < y->actual ? -1 : 1;
    return (x->predicted > y->predicted) - (x->predicted < y->predicted);
}

/* Floor to the one-minute window, also for timestamps before 1970. */
static int64_t window_start(int64_t ts)
{
    int64_t r = ts % EVAL_WINDOW_MS;
    return ts - (r < 0 ? r + EVAL_WINDOW_MS : r);
}

int evaluate_batch(const batch *b, size_t nclasses, evaluation *out)
{
    memset(out, 0, sizeof *out);
    out->nclasses = nclasses;
    out->records = b->count;
    window_key *keys = NULL;
    size_t nkeys = 0;
    if (b->count > 0 && (keys = malloc(b->count * sizeof *keys)) == NULL)
        return -1;
    for (size_t i = 0; i < b->count; i++) {
        const batch_record *rec = &b->records[i];
        if (rec->error != NULL || rec->predicted < 0) {
            out->invalid += rec->error != NULL;
            continue;
        }
        out->scored++;
        if (rec->label >= 0) {
            out->labelled++;
            out->correct += rec->label == rec->predicted;
            out->confusion[rec->label][rec->predicted]++;
        }
        if (rec->timestamp_ms >= 0)
            keys[nkeys++] = (window_key){window_start(rec->timestamp_ms), rec->label,
                                         rec->predicted};
    }
    out->accuracy = out->labelled ? (double)out->correct / (double)out->labelled : NAN;

    double err_sum = 0;
    size_t present = 0;
    for (size_t k = 0; k < nclasses; k++) {
        uint64_t total = 0;
        for (size_t p = 0; p < nclasses; p++)
            total += out->confusion[k][p];
        if (total == 0)
            continue;
        present++;
        err_sum += 1.0 - (double)out->confusion[k][k] / (double)total;
    }
    out->mean_per_class_error = present ? err_sum / (double)present : NAN;

    if (nkeys > 0) {
        qsort(keys, nkeys, sizeof *keys, cmp_window_key);
        out->windows = malloc(nkeys * sizeof *out->windows);
        if (out->windows == NULL) {
            free(keys);
            return -1;
        }
        for (size_t i = 0; i < nkeys; i++) {
            eval_window *w = out->nwindows ? &out->windows[out->nwindows - 1] : NULL;
            if (w && w->start_ms == keys[i].start_ms && w->actual == keys[i].actual &&
                w->predicted == keys[i].predicted) {
                w->count++;
                continue;
            }
            out->windows[out->nwindows++] = (eval_window){keys[i].actual, keys[i].predicted,
                                                          keys[i].start_ms,
                                                          keys[i].start_ms + EVAL_WINDOW_MS, 1};
        }
    }
    free(keys);
    return 0;
}

void evaluation_free(evaluation *e)
{
    if (e == NULL)
        return;
    free(e->windows);
    e->windows = NULL;
    e->nwindows = 0;
}
