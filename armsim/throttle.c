/*
 * throttle — token buckets (see throttle.h).
 *
 * Buckets are created on demand; a busy test against a large world touches at most a few
 * thousand, so one mutex around one map is plenty.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/idmap.h"
#include "armsim/simclock.h"
#include "armsim/throttle.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct bucket {
	double tokens;
	int64_t last_ms;     /* real time of the last refill */
	int64_t retry_at_ms; /* latest instant a 429 told callers to come back at (0: none) */
};

struct throttle {
	pthread_mutex_t lock;
	struct idmap buckets;    /* key → struct bucket */
	struct idmap refused;    /* "key|request id" → int64_t announced retry instant (ms) */
	struct throttle_stats stats;
};

struct throttle *throttle_new(void)
{
	struct throttle *t = xcalloc(1, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

/* Frees a map value (a bucket or a refused request's instant). */
static void free_bucket(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
}

void throttle_reset(struct throttle *t)
{
	pthread_mutex_lock(&t->lock);
	idmap_for_each(&t->buckets, free_bucket, NULL);
	idmap_clear(&t->buckets);
	idmap_for_each(&t->refused, free_bucket, NULL);
	idmap_clear(&t->refused);
	memset(&t->stats, 0, sizeof(t->stats));
	pthread_mutex_unlock(&t->lock);
}

void throttle_free(struct throttle *t)
{
	if (!t)
		return;
	throttle_reset(t);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void throttle_stats(struct throttle *t, struct throttle_stats *out)
{
	pthread_mutex_lock(&t->lock);
	*out = t->stats;
	pthread_mutex_unlock(&t->lock);
}

/* A retry of a refused request is early when before the instant its own 429 announced. */
static void check_retry(struct throttle *t, const char *refused_key, int64_t now)
{
	int64_t *at = idmap_get(&t->refused, refused_key);
	if (at && now < *at)
		t->stats.early_retries++;
}

/*
 * A refused request is remembered with its instant until it is served, so the map holds only
 * 429s whose retry has not succeeded (yet).
 */
static void remember_refused(struct throttle *t, const char *refused_key, int served,
			     int64_t retry_at)
{
	int64_t *at = idmap_get(&t->refused, refused_key);
	if (served) {
		if (at)
			free(idmap_remove(&t->refused, refused_key));
		return;
	}
	if (!at) {
		at = xmalloc(sizeof(*at));
		idmap_put(&t->refused, refused_key, at);
	}
	*at = retry_at;
}

/*
 * The bucket arithmetic, under t->lock. throttle_take reads the clock under the lock too, so
 * that of two requests racing for one bucket the one served second never sees an earlier time.
 */
static int take_locked(struct throttle *t, const char *key, const char *request_id, int64_t now,
		       double burst, double refill, long *remaining, long *retry_after_s)
{
	struct bucket *b = idmap_get(&t->buckets, key);
	struct strbuf refused_key = STRBUF_INIT;
	int served;
	if (!b) {
		b = xmalloc(sizeof(*b));
		b->tokens = burst;
		b->last_ms = now;
		b->retry_at_ms = 0;
		idmap_put(&t->buckets, key, b);
	}
	if (now < b->retry_at_ms)
		t->stats.early_requests++;
	/* no 429 outstanding (the usual case): no key to make, nothing to look up */
	if (request_id && t->refused.nr) {
		strbuf_addf(&refused_key, "%s|%s", key, request_id);
		check_retry(t, refused_key.buf, now);
	}
	if (now > b->last_ms) {
		b->tokens += (double)(now - b->last_ms) * refill / 1000.0;
		b->last_ms = now;
	}
	if (b->tokens > burst)
		b->tokens = burst;
	served = b->tokens >= 1.0;
	if (served)
		b->tokens -= 1.0;
	*remaining = (long)floor(b->tokens);
	if (served || refill <= 0)
		*retry_after_s = served ? 0 : 3600;
	else
		*retry_after_s = (long)ceil((1.0 - b->tokens) / refill);
	if (!served && *retry_after_s < 1)
		*retry_after_s = 1;
	/*
	 * Several 429s of one bucket may be out at once; the bucket is off limits until the latest
	 * instant any of them announced, which is what a client keeping one not-before per bucket
	 * will honour.
	 */
	if (!served && now + *retry_after_s * 1000 > b->retry_at_ms)
		b->retry_at_ms = now + *retry_after_s * 1000;
	if (request_id && (t->refused.nr || !served)) {
		if (!refused_key.len)
			strbuf_addf(&refused_key, "%s|%s", key, request_id);
		remember_refused(t, refused_key.buf, served, now + *retry_after_s * 1000);
	}
	strbuf_release(&refused_key);
	return served;
}

int throttle_take(struct throttle *t, const char *key, const char *request_id, double burst,
		  double refill, long *remaining, long *retry_after_s)
{
	int served;
	pthread_mutex_lock(&t->lock);
	served = take_locked(t, key, request_id, simclock_real_ms(), burst, refill, remaining,
			     retry_after_s);
	pthread_mutex_unlock(&t->lock);
	return served;
}

int throttle_take_at(struct throttle *t, const char *key, const char *request_id, int64_t now,
		     double burst, double refill, long *remaining, long *retry_after_s)
{
	int served;
	pthread_mutex_lock(&t->lock);
	served = take_locked(t, key, request_id, now, burst, refill, remaining, retry_after_s);
	pthread_mutex_unlock(&t->lock);
	return served;
}
