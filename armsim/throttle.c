/*
 * throttle — token buckets (see throttle.h).
 *
 * Buckets are created on demand; a busy test against a large world touches at most a few
 * thousand, so one mutex around one map is plenty.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "armsim/idmap.h"
#include "armsim/simclock.h"
#include "armsim/throttle.h"
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
	uint64_t early_retries;  /* requests that came before their bucket's retry_at_ms */
};

struct throttle *throttle_new(void)
{
	struct throttle *t = xcalloc(1, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

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
	t->early_retries = 0;
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

uint64_t throttle_early_retries(struct throttle *t)
{
	uint64_t n;
	pthread_mutex_lock(&t->lock);
	n = t->early_retries;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/*
 * The bucket arithmetic, under t->lock. throttle_take reads the clock under the lock too, so
 * that of two requests racing for one bucket the one served second never sees an earlier time.
 */
static int take_locked(struct throttle *t, const char *key, int64_t now, double burst,
		       double refill, long *remaining, long *retry_after_s)
{
	struct bucket *b = idmap_get(&t->buckets, key);
	int served;
	if (!b) {
		b = xmalloc(sizeof(*b));
		b->tokens = burst;
		b->last_ms = now;
		b->retry_at_ms = 0;
		idmap_put(&t->buckets, key, b);
	}
	if (now < b->retry_at_ms)
		t->early_retries++;
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
	return served;
}

int throttle_take(struct throttle *t, const char *key, double burst, double refill,
		  long *remaining, long *retry_after_s)
{
	int served;
	pthread_mutex_lock(&t->lock);
	served = take_locked(t, key, simclock_real_ms(), burst, refill, remaining, retry_after_s);
	pthread_mutex_unlock(&t->lock);
	return served;
}

int throttle_take_at(struct throttle *t, const char *key, int64_t now, double burst,
		     double refill, long *remaining, long *retry_after_s)
{
	int served;
	pthread_mutex_lock(&t->lock);
	served = take_locked(t, key, now, burst, refill, remaining, retry_after_s);
	pthread_mutex_unlock(&t->lock);
	return served;
}
