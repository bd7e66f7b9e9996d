/*
 * ratelimit — client-side token buckets that track ARM's own.
 *
 * ARM throttles per subscription (and per tenant) with token buckets whose sizes we do not
 * know in advance, and reports what is left in x-ms-ratelimit-remaining-* headers. A
 * struct ratelimit keeps one estimate per bucket key: the remaining count (corrected from every
 * header, minus requests still in flight), the refill rate (learnt from how the count moves),
 * and a not-before time set by a 429's Retry-After, before which nothing is released. A large
 * run therefore slows down before ARM has to throttle it.
 *
 * Times are milliseconds on any monotonic clock the caller chooses. Not thread-safe.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

struct ratelimit;
struct ratelimit_bucket;

/* New, empty set of buckets (ratelimit_free). */
struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *rl);

/* The bucket for key (copied), created on first use; borrowed, lives as long as rl. */
struct ratelimit_bucket *ratelimit_bucket(struct ratelimit *rl, const char *key);

/*
 * Asks to send one request at now_ms. Returns 0 and takes a token (and counts the request in
 * flight), or returns the earliest time (> now_ms) worth asking again.
 */
long long ratelimit_acquire(struct ratelimit_bucket *b, long long now_ms);

/*
 * Reports the outcome of a request that acquire let through. remaining is the header's value,
 * or -1 when absent. retry_after_ms >= 0 marks a 429: nothing is released before
 * now_ms + retry_after_ms.
 */
void ratelimit_complete(struct ratelimit_bucket *b, long long now_ms, long remaining,
			long retry_after_ms);
/* A request that acquire let through was not sent after all (or failed below HTTP). */
void ratelimit_abandon(struct ratelimit_bucket *b);

/* One pointer the caller may hang on a bucket (the engine's queue of waiting requests). */
void ratelimit_set_data(struct ratelimit_bucket *b, void *data);
void *ratelimit_data(const struct ratelimit_bucket *b);

/* Current estimates, for tests and -v: tokens, refill per second, not-before time. */
double ratelimit_tokens(const struct ratelimit_bucket *b);
double ratelimit_rate(const struct ratelimit_bucket *b);
long long ratelimit_not_before(const struct ratelimit_bucket *b);

#endif
