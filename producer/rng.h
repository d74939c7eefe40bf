/* rng: a small seedable pseudo-random generator (xoshiro256**, seeded with
 * splitmix64), so a --seed gives the same record sequence on every machine. */
#ifndef PRODUCER_RNG_H
#define PRODUCER_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* Seeds the generator; every seed (including 0) is valid. */
void rng_seed(struct rng *r, uint64_t seed);

/* Next 64 random bits. */
uint64_t rng_next(struct rng *r);

/* Uniform integer in [0, n), without modulo bias; n must be > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);

/* Uniform double in [0, 1). */
double rng_unit(struct rng *r);

/* Standard normal deviate (mean 0, standard deviation 1). */
double rng_normal(struct rng *r);

#endif
