/*
 * rng — the one deterministic random source of armsim (splitmix64).
 *
 * Worlds, GUIDs, faults and jitter must come out the same for the same seed, so nothing in
 * armsim uses rand(); everything draws from these.
 */
#ifndef ARMSIM_RNG_H
#define ARMSIM_RNG_H
#include <stdint.h>

/* A well-mixed function of x (stateless). */
uint64_t rng_mix(uint64_t x);
/* The next number of the sequence kept in *state. */
uint64_t rng_next(uint64_t *state);
/* A number in [0, 1) from the sequence in *state. */
double rng_unit(uint64_t *state);
/* Formats two random words as a version-4 GUID. */
void rng_format_guid(uint64_t a, uint64_t b, char out[37]);
#endif
