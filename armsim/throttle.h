/*
 * throttle — ARM's token buckets.
 *
 * One bucket per (subscription or tenant, principal, class): reads, writes, deletes. A request
 * takes one token; a bucket refills continuously at its rate up to its burst size. With no
 * token left the request is refused and told how many whole seconds until one is back, which is
 * what ARM's 429 Retry-After says. Buckets run on real time. Thread-safe.
 */
#ifndef ARMSIM_THROTTLE_H
#define ARMSIM_THROTTLE_H

struct throttle;

struct throttle *throttle_new(void);
void throttle_free(struct throttle *t);
/* Forgets every bucket (POST /_armsim/reset). */
void throttle_reset(struct throttle *t);
/*
 * Takes a token from the bucket `key` (created full with burst tokens on first use).
 * Returns 1 when served, with *remaining the whole tokens left; 0 when refused, with
 * *retry_after_s the seconds until a token is back (>= 1).
 */
int throttle_take(struct throttle *t, const char *key, double burst, double refill_per_s,
		  long *remaining, long *retry_after_s);
#endif
