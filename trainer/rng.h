/* rng.h: a small seeded pseudo-random generator (SplitMix64, Steele, Lea and
 * Flood 2014) for reproducible fold assignment: the same seed gives the same
 * sequence on every platform. */
#ifndef IRIS_RNG_H
#define IRIS_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t state;
} rng;

void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);

/* A uniform integer in [0, n), n >= 1, without modulo bias. */
uint64_t rng_below(rng *r, uint64_t n);

/* Fisher-Yates shuffle of n ints. */
void rng_shuffle(rng *r, int *a, size_t n);

#endif
