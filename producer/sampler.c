/* sampler: seeded row sampling, label and feature drift. */
#include "producer/sampler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/record.h"
#include "producer/prng.h"

struct sampler {
    const struct rowset *ds;
    struct drift drift;
    struct prng rows;      /* which row: the same sequence with or without drift */
    struct prng drift_rng; /* relabelling and noise */
    uint64_t index;
    char **table;  /* JSON per (row, label), built on first use */
    char *scratch; /* the last noisy record */
};

struct sampler *sampler_new(const struct rowset *ds, uint64_t seed, const struct drift *drift,
                            char *err, size_t errlen)
{
    struct sampler *s = calloc(1, sizeof(*s)), *result = NULL;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    s->ds = ds;
    if (drift)
        s->drift = *drift;
    if (s->drift.labels > 0.0 && ds->n_species < 2) {
        snprintf(err, errlen,
                 "--drift labels=: the data has only one species, nothing to "
                 "relabel to");
        goto cleanup;
    }
    prng_seed(&s->rows, seed);
    prng_seed(&s->drift_rng, seed ^ 0x5deece66d2b7e151ull);
    s->table = calloc(ds->n_rows * ds->n_species, sizeof(*s->table));
    if (!s->table) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    result = s;
    s = NULL;

cleanup:
    sampler_free(s);
    return result;
}

/* The JSON of row with the given label, cached. */
static const char *table_json(struct sampler *s, size_t row, size_t label)
{
    char **slot = &s->table[row * s->ds->n_species + label];
    if (!*slot) {
        const struct rowset_row *r = &s->ds->rows[row];
        *slot = record_json((const char *const *)r->text, s->ds->species[label]);
    }
    return *slot;
}

/* The JSON of row with noise added to each feature, in the row's precision. */
static char *noisy_json(struct sampler *s, size_t row, size_t label)
{
    const struct rowset_row *r = &s->ds->rows[row];
    char text[ROWSET_FEATURES][64];
    const char *ptrs[ROWSET_FEATURES];
    for (int f = 0; f < ROWSET_FEATURES; f++) {
        double v = r->value[f] + s->drift.features * prng_normal(&s->drift_rng);
        if (!(v > 0.0))
            v = 0.0; /* lengths cannot be negative (and no "-0.0") */
        snprintf(text[f], sizeof(text[f]), "%.*f", r->decimals[f], v);
        ptrs[f] = text[f];
    }
    return record_json(ptrs, s->ds->species[label]);
}

int sampler_next(struct sampler *s, struct sample *out)
{
    const struct rowset *ds = s->ds;
    size_t row = (size_t)prng_below(&s->rows, ds->n_rows);
    size_t label = ds->rows[row].species;
    int noisy = 0;

    if (drift_applies(&s->drift, s->index)) {
        if (s->drift.labels > 0.0 && prng_unit(&s->drift_rng) < s->drift.labels) {
            size_t other = (size_t)prng_below(&s->drift_rng, ds->n_species - 1);
            label = other >= label ? other + 1 : other;
        }
        noisy = s->drift.features > 0.0;
    }
    s->index++;

    if (noisy) {
        free(s->scratch);
        s->scratch = noisy_json(s, row, label);
        out->json = s->scratch;
        out->stable = 0;
    } else {
        out->json = table_json(s, row, label);
        out->stable = 1;
    }
    if (!out->json)
        return -1;
    out->len = strlen(out->json);
    out->species = ds->species[label];
    out->row = row;
    return 0;
}

void sampler_free(struct sampler *s)
{
    if (!s)
        return;
    if (s->table)
        for (size_t i = 0; i < s->ds->n_rows * s->ds->n_species; i++)
            free(s->table[i]);
    free(s->table);
    free(s->scratch);
    free(s);
}
