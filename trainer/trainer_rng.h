/* trainer_rng.h: a small seeded pseudo-random generator (SplitMix64, Steele, Lea and
 * Flood 2014) for reproducible fold assignment: the same seed gives the same
 * sequence on every platform. */
#ifndef IRIS_TRAINER_RNG_H
#define IRIS_TRAINER_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t state;
} trainer_rng;

void trainer_rng_seed(trainer_rng *r, uint64_t seed);
uint64_t trainer_rng_next(trainer_rng *r);

/* A uniform integer in [0, n), n >= 1, without modulo bias. */
uint64_t trainer_rng_below(trainer_rng *r, uint64_t n);

/* Fisher-Yates shuffle of n ints. */
void trainer_rng_shuffle(trainer_rng *r, int *a, size_t n);

#endif
