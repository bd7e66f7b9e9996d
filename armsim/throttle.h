/*
 * throttle — ARM's token buckets.
 *
 * One bucket per (subscription or tenant, principal, class): reads, writes, deletes. A request
 * takes one token; a bucket refills continuously at its rate up to its burst size. With no
 * token left the request is refused and told how many whole seconds until one is back, which is
 * what ARM's 429 Retry-After says. Buckets run on real time. Thread-safe.
 *
 * Each bucket also remembers the instant its latest 429 told the caller to come back (now +
 * Retry-After, in ms). A request that reaches the bucket before that instant is an "early
 * retry": the proof that a client honours Retry-After is that their count stays 0. The
 * comparison is against the announced instant, not the moment the bucket has a token again:
 * Retry-After is rounded up to whole seconds, so a token is often back before it.
 */
#ifndef ARMSIM_THROTTLE_H
#define ARMSIM_THROTTLE_H
#include <stdint.h>

struct throttle;

struct throttle *throttle_new(void);
void throttle_free(struct throttle *t);
/* Forgets every bucket and zeroes the early-retry count (POST /_armsim/reset). */
void throttle_reset(struct throttle *t);
/*
 * Takes a token from the bucket `key` (created full with burst tokens on first use).
 * Returns 1 when served, with *remaining the whole tokens left; 0 when refused, with
 * *retry_after_s the seconds until a token is back (>= 1).
 */
int throttle_take(struct throttle *t, const char *key, double burst, double refill_per_s,
		  long *remaining, long *retry_after_s);
/* throttle_take at a given instant (real ms, non-decreasing per bucket): for tests. */
int throttle_take_at(struct throttle *t, const char *key, int64_t now_ms, double burst,
		     double refill_per_s, long *remaining, long *retry_after_s);
/* Requests that arrived at a bucket before the Retry-After it last announced, since the reset. */
uint64_t throttle_early_retries(struct throttle *t);
#endif
