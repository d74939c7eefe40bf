/* prng: a small seedable pseudo-random generator (xoshiro256**, seeded with
 * splitmix64), so a --seed gives the same record sequence on every machine. */
#ifndef PRODUCER_PRNG_H
#define PRODUCER_PRNG_H

#include <stdint.h>

struct prng {
    uint64_t s[4];
};

/* Seeds the generator; every seed (including 0) is valid. */
void prng_seed(struct prng *r, uint64_t seed);

/* Next 64 random bits. */
uint64_t prng_next(struct prng *r);

/* Uniform integer in [0, n), without modulo bias; n must be > 0. */
uint64_t prng_below(struct prng *r, uint64_t n);

/* Uniform double in [0, 1). */
double prng_unit(struct prng *r);

/* Standard normal deviate (mean 0, standard deviation 1). */
double prng_normal(struct prng *r);

#endif
