/* drift: a simulated model failure, applied to the records after a threshold.
 *
 * Spec: comma-separated key=value pairs, e.g. "after=1000,labels=0.5":
 *   after=N       records 0..N-1 are untouched (default 0)
 *   labels=P      each later record gets, with probability P (0..1), a species
 *                 other than its row's true one
 *   features=SD   add Gaussian noise with standard deviation SD (in the CSV's
 *                 units, cm) to each feature of each later record
 */
#ifndef PRODUCER_DRIFT_H
#define PRODUCER_DRIFT_H

#include <stddef.h>
#include <stdint.h>

struct drift {
    uint64_t after;
    double labels;
    double features;
};

/* Parses spec into d.  Returns 0, or -1 with the reason in err. */
int drift_parse(const char *spec, struct drift *d, char *err, size_t errlen);

/* True when the record with this 0-based index is drifted. */
int drift_applies(const struct drift *d, uint64_t index);

#endif
