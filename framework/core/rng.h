/* Explicit random number state (xoshiro256**, seeded through splitmix64).
 * Every random draw in infoplane goes through an ip_rng passed by the caller;
 * there is no global state, so the same seed gives the same stream. */
#ifndef IP_RNG_H
#define IP_RNG_H
#include <stdint.h>

typedef struct { uint64_t s[4]; } ip_rng;

void ip_rng_seed(ip_rng *rng, uint64_t seed);
uint64_t ip_rng_u64(ip_rng *rng);
double ip_rng_uniform(ip_rng *rng);            /* [0, 1) with 53 random bits */
double ip_rng_normal(ip_rng *rng);             /* standard normal (Box-Muller, no cached pair) */
uint64_t ip_rng_below(ip_rng *rng, uint64_t n); /* uniform integer in [0, n), unbiased */
void ip_rng_shuffle_int(ip_rng *rng, int *a, int n); /* Fisher-Yates */

#endif
