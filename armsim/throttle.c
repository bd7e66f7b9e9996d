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
	int64_t last_ms; /* real time of the last refill */
};

struct throttle {
	pthread_mutex_t lock;
	struct idmap buckets; /* key → struct bucket */
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

int throttle_take(struct throttle *t, const char *key, double burst, double refill,
		  long *remaining, long *retry_after_s)
{
	int64_t now = simclock_real_ms();
	struct bucket *b;
	int served;
	pthread_mutex_lock(&t->lock);
	b = idmap_get(&t->buckets, key);
	if (!b) {
		b = xmalloc(sizeof(*b));
		b->tokens = burst;
		b->last_ms = now;
		idmap_put(&t->buckets, key, b);
	}
	b->tokens += (double)(now - b->last_ms) * refill / 1000.0;
	if (b->tokens > burst)
		b->tokens = burst;
	b->last_ms = now;
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
	pthread_mutex_unlock(&t->lock);
	return served;
}
