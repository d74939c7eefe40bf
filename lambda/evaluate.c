/* evaluate.c: scoring and batch aggregation. */
#include "lambda/evaluate.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

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
                snprintf(msg, sizeof msg,
                         "value.species: unknown species \"%s\" (the model knows %s%s%s%s%s%s)",
                         rec->species, model_class_name(m, 0), n > 1 ? ", " : "",
                         n > 1 ? model_class_name(m, 1) : "", n > 2 ? ", " : "",
                         n > 2 ? model_class_name(m, 2) : "", n > 3 ? ", ..." : "");
                batch_record_fail(rec, msg);
                continue;
            }
        }
        rec->predicted = model_predict(m, batch_record_features(rec), rec->probs);
    }
}

typedef struct window_key {
    int64_t start_ms;
    int actual;
    int predicted;
} window_key;

static int cmp_window(const void *a, const void *b)
{
    const eval_window *x = a, *y = b;
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

/* A process-random key, so that no event can be crafted offline whose
 * timestamps all fall in one probe chain (quadratic time).  Drawn at the
 * first batch; concurrent first batches may each draw one, and the first
 * stored wins (each batch's table uses one key throughout). */
static uint64_t hash_seed(void)
{
    static _Atomic uint64_t seed;
    uint64_t s = atomic_load_explicit(&seed, memory_order_relaxed);
    if (s != 0)
        return s;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
        s = (uint64_t)(uintptr_t)&seed ^ (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL;
    s |= 1;
    uint64_t expected = 0;
    if (!atomic_compare_exchange_strong(&seed, &expected, s))
        s = expected;
    return s;
}

/* splitmix64's finaliser: every input bit reaches every output bit. */
static uint64_t mix64(uint64_t h)
{
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
    return h ^ (h >> 31);
}

static uint64_t key_hash(const window_key *k)
{
    uint64_t h = mix64((uint64_t)k->start_ms ^ hash_seed());
    return mix64(h ^ ((uint64_t)(k->actual + 1) << 8 | (uint64_t)(k->predicted + 1)));
}

/* Counts records per (minute, species, predicted) with an open-addressing
 * table, then sorts the (few) distinct windows. */
static int count_windows(const window_key *keys, size_t nkeys, evaluation *out)
{
    size_t cap = 16;
    while (cap < nkeys * 2)
        cap *= 2;
    uint32_t *slot = malloc(cap * sizeof *slot); /* window index + 1; 0 = empty */
    window_key *uniq = malloc(nkeys * sizeof *uniq);
    uint64_t *count = malloc(nkeys * sizeof *count);
    size_t n = 0;
    int rc = -1;
    if (slot == NULL || uniq == NULL || count == NULL)
        goto cleanup;
    memset(slot, 0, cap * sizeof *slot);
    for (size_t i = 0; i < nkeys; i++) {
        size_t h = (size_t)key_hash(&keys[i]) & (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            if (slot[h] == 0) {
                uniq[n] = keys[i];
                count[n] = 1;
                slot[h] = (uint32_t)++n;
                break;
            }
            window_key *u = &uniq[slot[h] - 1];
            if (u->start_ms == keys[i].start_ms && u->actual == keys[i].actual &&
                u->predicted == keys[i].predicted) {
                count[slot[h] - 1]++;
                break;
            }
        }
    }
    out->windows = malloc((n ? n : 1) * sizeof *out->windows);
    if (out->windows == NULL)
        goto cleanup;
    for (size_t i = 0; i < n; i++)
        out->windows[i] = (eval_window){uniq[i].actual, uniq[i].predicted, uniq[i].start_ms,
                                        uniq[i].start_ms + EVAL_WINDOW_MS, count[i]};
    qsort(out->windows, n, sizeof *out->windows, cmp_window);
    out->nwindows = n;
    rc = 0;
cleanup:
    free(slot);
    free(uniq);
    free(count);
    return rc;
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
            keys[nkeys++] =
                (window_key){window_start(rec->timestamp_ms), rec->label, rec->predicted};
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

    int rc = nkeys > 0 ? count_windows(keys, nkeys, out) : 0;
    free(keys);
    if (rc != 0)
        evaluation_free(out);
    return rc;
}

int evaluate_write_json(buf *out, const evaluation *e, const char *const *class_names)
{
    buf_printf(out,
               "\"records\":%zu,\"scored\":%zu,\"invalid\":%zu,\"labelled\":%zu,"
               "\"correct\":%zu,\"accuracy\":",
               e->records, e->scored, e->invalid, e->labelled, e->correct);
    buf_json_double(out, e->accuracy);
    BUF_LIT(out, ",\"meanPerClassError\":");
    buf_json_double(out, e->mean_per_class_error);
    BUF_LIT(out, ",\"confusion\":[");
    int first = 1;
    for (size_t a = 0; a < e->nclasses && a < MODEL_MAX_CLASSES; a++) {
        for (size_t p = 0; p < e->nclasses && p < MODEL_MAX_CLASSES; p++) {
            if (e->confusion[a][p] == 0)
                continue;
            buf_puts(out, first ? "{\"species\":" : ",{\"species\":");
            first = 0;
            buf_json_cstr(out, class_names[a]);
            BUF_LIT(out, ",\"predictedSpecies\":");
            buf_json_cstr(out, class_names[p]);
            buf_printf(out, ",\"count\":%llu}", (unsigned long long)e->confusion[a][p]);
        }
    }
    buf_putc(out, ']');
    return out->failed ? -1 : 0;
}

void evaluation_free(evaluation *e)
{
    if (e == NULL)
        return;
    free(e->windows);
    e->windows = NULL;
    e->nwindows = 0;
}
