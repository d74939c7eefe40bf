/* trainer_rng.c: SplitMix64 and unbiased bounded integers by rejection. */
#include "trainer/trainer_rng.h"

void trainer_rng_seed(trainer_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t trainer_rng_next(trainer_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t trainer_rng_below(trainer_rng *r, uint64_t n)
{
    /* Reject the top partial block so every residue is equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do
        v = trainer_rng_next(r);
    while (v >= limit);
    return v % n;
}

void trainer_rng_shuffle(trainer_rng *r, int *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)trainer_rng_below(r, i);
        int t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
