/*
 * throttle — ARM's token buckets.
 *
 * One bucket per (subscription or tenant, principal, class): reads, writes, deletes. A request
 * takes one token; a bucket refills continuously at its rate up to its burst size. With no
 * token left the request is refused and told how many whole seconds until one is back, which is
 * what ARM's 429 Retry-After says. Buckets run on real time. Thread-safe.
 *
 * Proof that clients honour Retry-After: each 429 is remembered with the instant (ms) it
 * announced (now + Retry-After) under the bucket and the refused request's identity (its
 * x-ms-client-request-id, which a retry repeats). A request with that identity reaching the
 * bucket before that instant is an "early retry". Other requests reaching the bucket before the
 * latest instant it announced are counted apart as "early requests": some of those were already
 * on their way when the 429 left, which a concurrent client cannot help. Comparisons are against
 * the announced instant, not the moment a token is back: Retry-After is rounded up to whole
 * seconds, so a token is often back before it.
 */
#ifndef ARMSIM_THROTTLE_H
#define ARMSIM_THROTTLE_H
#include <stdint.h>

struct throttle;

struct throttle *throttle_new(void);
void throttle_free(struct throttle *t);
/* Forgets every bucket and refused request and zeroes the counts (POST /_armsim/reset). */
void throttle_reset(struct throttle *t);
/*
 * Takes a token from the bucket `key` (created full with burst tokens on first use) for the
 * request `request_id` (borrowed; NULL when it has no identity: then it is never an early
 * retry). Returns 1 when served, with *remaining the whole tokens left; 0 when refused, with
 * *retry_after_s the seconds until a token is back (>= 1).
 */
int throttle_take(struct throttle *t, const char *key, const char *request_id, double burst,
		  double refill_per_s, long *remaining, long *retry_after_s);
/* throttle_take at a given instant (real ms, non-decreasing per bucket): for tests. */
int throttle_take_at(struct throttle *t, const char *key, const char *request_id, int64_t now_ms,
		     double burst, double refill_per_s, long *remaining, long *retry_after_s);

struct throttle_stats {
	uint64_t early_retries;  /* refused requests sent again before their Retry-After */
	uint64_t early_requests; /* any request at a bucket before the latest instant it announced */
};
/* The counts since the last reset into *out. */
void throttle_stats(struct throttle *t, struct throttle_stats *out);
#endif
