/*
 * ratelimit — client-side token buckets that track ARM's own (see ratelimit.h).
 *
 * Until a bucket's first response we know nothing about it, so one request probes it; its
 * x-ms-ratelimit-remaining-* header then sets the count. A bucket whose responses carry no
 * such header is left unpaced. The refill rate starts at a tenth of the largest count seen
 * (ARM's documented ratio: 250 burst, 25/s) and is then learnt from consecutive headers:
 * (remaining now - remaining then + requests served between) / time between, measured only
 * while the bucket is below its cap (a full bucket hides its refill).
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ratelimit.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define NR_SLOTS 1024
/* Spend under the learnt rate: overshooting costs a 429 and a Retry-After wait. */
#define RATE_MARGIN 0.85
/*
 * Tokens left unspent, as a fraction of the bucket (at least one): requests reach the server
 * with jitter, and a bunch arriving together must not find the bucket empty.
 */
#define RESERVE_FRACTION 0.1
#define MIN_RATE 0.2
/* Rate samples span at least this long, so that late-processed responses average out. */
#define LEARN_WINDOW_MS 1000

enum bucket_state {
	BUCKET_UNKNOWN,  /* no response yet: one probe at a time */
	BUCKET_PACED,    /* the server reports this bucket */
	BUCKET_UNPACED,  /* the server does not: never hold requests back */
};

struct ratelimit_bucket {
	char *key;
	struct ratelimit_bucket *next; /* hash chain */
	enum bucket_state state;
	double tokens;          /* estimated requests the server would still accept, at updated */
	double capacity;        /* largest remaining count seen */
	double rate;            /* estimated refill per second */
	long long updated;      /* when tokens was last brought up to date */
	long long not_before;   /* a 429's Retry-After: nothing released before this */
	unsigned in_flight;     /* acquired and not yet completed */
	unsigned long served;   /* completed requests, for rate learning */
	long long sample_time;  /* last header sample (0 = none) */
	long sample_remaining;
	unsigned long sample_served;
	long long last_throttle_until; /* end of the last 429's wait */
	void *data;             /* the caller's (borrowed) */
};

struct ratelimit {
	struct ratelimit_bucket *slots[NR_SLOTS];
};

struct ratelimit *ratelimit_new(void)
{
	return xcalloc(1, sizeof(struct ratelimit));
}

void ratelimit_free(struct ratelimit *rl)
{
	size_t i;
	if (!rl)
		return;
	for (i = 0; i < NR_SLOTS; i++) {
		struct ratelimit_bucket *b = rl->slots[i], *next;
		for (; b; b = next) {
			next = b->next;
			free(b->key);
			free(b);
		}
	}
	free(rl);
}

static unsigned hash_key(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct ratelimit_bucket *ratelimit_bucket(struct ratelimit *rl, const char *key)
{
	unsigned slot = hash_key(key) % NR_SLOTS;
	struct ratelimit_bucket *b;
	for (b = rl->slots[slot]; b; b = b->next)
		if (!strcmp(b->key, key))
			return b;
	b = xcalloc(1, sizeof(*b));
	b->key = xstrdup(key);
	b->state = BUCKET_UNKNOWN;
	b->next = rl->slots[slot];
	rl->slots[slot] = b;
	return b;
}

static double reserve_of(const struct ratelimit_bucket *b)
{
	double reserve = b->capacity * RESERVE_FRACTION;
	if (reserve < 1.0)
		reserve = 1.0;
	if (reserve > b->capacity - 1.0)
		reserve = b->capacity > 1.0 ? b->capacity - 1.0 : 0.0;
	return reserve;
}

static void refill(struct ratelimit_bucket *b, long long now_ms)
{
	if (now_ms <= b->updated)
		return;
	b->tokens += b->rate * RATE_MARGIN * (double)(now_ms - b->updated) / 1000.0;
	if (b->tokens > b->capacity)
		b->tokens = b->capacity;
	b->updated = now_ms;
}

long long ratelimit_acquire(struct ratelimit_bucket *b, long long now_ms)
{
	double wait, reserve;
	if (now_ms < b->not_before)
		return b->not_before;
	switch (b->state) {
	case BUCKET_UNPACED:
		b->in_flight++;
		return 0;
	case BUCKET_UNKNOWN:
		if (b->in_flight)
			return now_ms + 5; /* the probe is out; its answer comes soon */
		b->in_flight++;
		return 0;
	case BUCKET_PACED:
		break;
	}
	refill(b, now_ms);
	reserve = reserve_of(b);
	if (b->tokens >= 1.0 + reserve) {
		b->tokens -= 1.0;
		b->in_flight++;
		return 0;
	}
	wait = (1.0 + reserve - b->tokens) / (b->rate * RATE_MARGIN) * 1000.0;
	return now_ms + (long long)ceil(wait < 1.0 ? 1.0 : wait);
}

static void learn_rate(struct ratelimit_bucket *b, long long now_ms, long remaining)
{
	if (b->sample_time && now_ms - b->sample_time >= LEARN_WINDOW_MS) {
		double served = (double)(b->served - b->sample_served);
		double observed = ((double)remaining - (double)b->sample_remaining + served) * 1000.0 /
				  (double)(now_ms - b->sample_time);
		if ((double)remaining < b->capacity * 0.9) {
			/* below the cap the count moves by refill minus use: average it in, but
			 * damp a spike (responses handled in a bunch make a window look short) */
			if (observed > b->rate * 2.0)
				observed = b->rate * 2.0;
			if (observed > 0)
				b->rate = 0.5 * b->rate + 0.5 * observed;
		} else {
			/* back at the cap: refill is hidden, and we waited longer than we needed */
			b->rate = observed > b->rate * 2.0 ? observed : b->rate * 2.0;
		}
	}
	if (!b->sample_time || now_ms - b->sample_time >= LEARN_WINDOW_MS) {
		b->sample_time = now_ms;
		b->sample_remaining = remaining;
		b->sample_served = b->served;
	}
}

void ratelimit_complete(struct ratelimit_bucket *b, long long now_ms, long remaining,
			long retry_after_ms)
{
	if (b->in_flight)
		b->in_flight--;
	if (retry_after_ms >= 0) {
		/* a 429 took no token and its header says nothing about refill: no learning */
		long long until = retry_after_ms > LLONG_MAX - now_ms ? LLONG_MAX
							: now_ms + retry_after_ms;
		if (until > b->not_before)
			b->not_before = until;
		if (b->state == BUCKET_PACED) {
			/* we overran: slow down once per episode (the other requests that were out
			 * at the time come back 429 too), and restart from one token at the boundary */
			if (now_ms >= b->last_throttle_until)
				b->rate *= 0.8;
			b->last_throttle_until = until;
			if (b->rate < MIN_RATE)
				b->rate = MIN_RATE;
			/* after the wait the server has a token: one request goes and resyncs */
			b->tokens = 1.0 + reserve_of(b) - (double)b->in_flight;
			b->updated = b->not_before;
			b->sample_time = 0; /* the next window starts after the wait */
		} else if (b->state == BUCKET_UNKNOWN) {
			b->state = BUCKET_UNPACED;
		}
		return;
	}
	b->served++;
	if (remaining >= 0) {
		if (b->state != BUCKET_PACED) {
			b->state = BUCKET_PACED;
			b->capacity = (double)remaining + 1.0;
			b->rate = b->capacity / 10.0;
			if (b->rate < MIN_RATE)
				b->rate = MIN_RATE;
		}
		if ((double)remaining > b->capacity)
			b->capacity = (double)remaining;
		learn_rate(b, now_ms, remaining);
		/* the server's count is the truth; requests still out will each take one */
		b->tokens = (double)remaining - (double)b->in_flight;
		b->updated = now_ms;
	} else if (b->state == BUCKET_UNKNOWN) {
		b->state = BUCKET_UNPACED;
	}
}

void ratelimit_abandon(struct ratelimit_bucket *b)
{
	if (b->in_flight)
		b->in_flight--;
	if (b->state == BUCKET_PACED)
		b->tokens += 1.0;
}

double ratelimit_tokens(const struct ratelimit_bucket *b)
{
	return b->tokens;
}

double ratelimit_rate(const struct ratelimit_bucket *b)
{
	return b->rate;
}

long long ratelimit_not_before(const struct ratelimit_bucket *b)
{
	return b->not_before;
}

void ratelimit_set_data(struct ratelimit_bucket *b, void *data)
{
	b->data = data;
}

void *ratelimit_data(const struct ratelimit_bucket *b)
{
	return b->data;
}
