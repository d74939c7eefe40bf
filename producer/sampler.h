/* sampler: the sequence of message values: rows drawn uniformly at random
 * (with replacement) from the dataset, with the configured drift applied.
 * The same dataset, seed and drift always give the same sequence, and the
 * drift never changes which rows are drawn: a drifted run differs from a
 * clean run with the same seed only in labels and feature noise. */
#ifndef PRODUCER_SAMPLER_H
#define PRODUCER_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "producer/rowset.h"
#include "producer/drift.h"

struct sampler;

struct sample {
    const char *json; /* the message value (not NUL-counted in len) */
    size_t len;
    const char *species; /* the label written into json */
    size_t row;          /* index of the dataset row drawn */
    int stable;          /* json stays valid until sampler_free (else: until
                            the next sampler_next) */
};

/* Creates a sampler over ds (borrowed: it must outlive the sampler).  drift
 * may be NULL.  Returns NULL with a reason in err.  Free with sampler_free(). */
struct sampler *sampler_new(const struct rowset *ds, uint64_t seed, const struct drift *drift,
                            char *err, size_t errlen);

/* Draws the next record.  Returns 0, or -1 when out of memory. */
int sampler_next(struct sampler *s, struct sample *out);

/* Frees a sampler; accepts NULL. */
void sampler_free(struct sampler *s);

#endif
