/*
 * rng — splitmix64 (see rng.h).
 */
#include <stdio.h>

#include "armsim/rng.h"
#include "lib/banned.h"

#define GOLDEN 0x9e3779b97f4a7c15ULL

static uint64_t finalize(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t rng_mix(uint64_t z)
{
	return finalize(z + GOLDEN);
}

uint64_t rng_next(uint64_t *state)
{
	*state += GOLDEN;
	return finalize(*state);
}

double rng_unit(uint64_t *state)
{
	return (double)(rng_next(state) >> 11) / 9007199254740992.0;
}

void rng_format_guid(uint64_t a, uint64_t b, char out[37])
{
	snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
		 (unsigned)(0x8000 | ((b >> 48) & 0x3fff)), (unsigned long long)(b & 0xffffffffffffULL));
}
