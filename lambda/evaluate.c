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

/* The distinct (minute, species, predicted) windows of a batch and their
 * counts: an open-addressing table of indexes into the windows, both grown
 * as windows appear.  A batch has few windows (a connector batch spans
 * seconds), so the table starts inside the struct and reaches the heap only
 * for a batch of many minutes, where a key per record took about 1 MB on the
 * largest batch, every page of it touched anew in a fresh process. */
#define WINDOWS_INLINE 32

typedef struct window_table {
    uint32_t *slot; /* window index + 1; 0 = empty */
    size_t cap;     /* slots, a power of two, twice wcap */
    eval_window *w;
    size_t n, wcap;
    uint32_t slot0[2 * WINDOWS_INLINE];
    eval_window w0[WINDOWS_INLINE];
} window_table;

static void window_table_init(window_table *t)
{
    memset(t->slot0, 0, sizeof t->slot0);
    t->slot = t->slot0;
    t->cap = 2 * WINDOWS_INLINE;
    t->w = t->w0;
    t->wcap = WINDOWS_INLINE;
    t->n = 0;
}

static void window_table_free(window_table *t)
{
    if (t->slot != t->slot0)
        free(t->slot);
    if (t->w != t->w0)
        free(t->w);
}

static int window_table_grow(window_table *t)
{
    size_t cap = t->cap * 2;
    uint32_t *slot = calloc(cap, sizeof *slot);
    eval_window *w = malloc(cap / 2 * sizeof *w);
    if (slot == NULL || w == NULL) {
        free(slot);
        free(w);
        return -1;
    }
    memcpy(w, t->w, t->n * sizeof *w);
    for (size_t i = 0; i < t->n; i++) {
        window_key k = {w[i].start_ms, w[i].actual, w[i].predicted};
        size_t h = (size_t)key_hash(&k) & (cap - 1);
        while (slot[h] != 0)
            h = (h + 1) & (cap - 1);
        slot[h] = (uint32_t)i + 1;
    }
    window_table_free(t);
    t->slot = slot;
    t->cap = cap;
    t->w = w;
    t->wcap = cap / 2;
    return 0;
}

static int window_count(window_table *t, const window_key *k)
{
    if (t->n >= t->wcap && window_table_grow(t) != 0)
        return -1;
    for (size_t h = (size_t)key_hash(k) & (t->cap - 1);; h = (h + 1) & (t->cap - 1)) {
        if (t->slot[h] == 0) {
            t->w[t->n] = (eval_window){k->actual, k->predicted, k->start_ms,
                                       k->start_ms + EVAL_WINDOW_MS, 1};
            t->slot[h] = (uint32_t)++t->n;
            return 0;
        }
        eval_window *u = &t->w[t->slot[h] - 1];
        if (u->start_ms == k->start_ms && u->actual == k->actual && u->predicted == k->predicted) {
            u->count++;
            return 0;
        }
    }
}

/* The windows, sorted, into out (which owns them). */
static int windows_out(const window_table *t, evaluation *out)
{
    if (t->n == 0)
        return 0;
    if ((out->windows = malloc(t->n * sizeof *out->windows)) == NULL)
        return -1;
    memcpy(out->windows, t->w, t->n * sizeof *out->windows);
    qsort(out->windows, t->n, sizeof *out->windows, cmp_window);
    out->nwindows = t->n;
    return 0;
}

int evaluate_batch(const batch *b, size_t nclasses, evaluation *out)
{
    memset(out, 0, sizeof *out);
    out->nclasses = nclasses;
    out->records = b->count;
    window_table t;
    window_table_init(&t);
    int rc = 0;
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
        if (rec->timestamp_ms >= 0 && rc == 0)
            rc = window_count(&t, &(window_key){window_start(rec->timestamp_ms), rec->label,
                                                rec->predicted});
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

    if (rc == 0)
        rc = windows_out(&t, out);
    window_table_free(&t);
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
