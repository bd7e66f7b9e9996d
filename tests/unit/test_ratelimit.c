/*
 * Unit tests for lib/ratelimit: probing, pacing from the remaining header, Retry-After
 * blocking a bucket, and the refill rate being learnt.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>

#include "lib/http.h"
#include "lib/ratelimit.h"

static void test_unknown_bucket_probes_one_at_a_time(void **state)
{
	struct ratelimit *rl = ratelimit_new();
	struct ratelimit_bucket *b = ratelimit_bucket(rl, "sub/1/reads");
	(void)state;
	assert_int_equal(ratelimit_acquire(b, 1000), 0);
	/* the probe is out: the second waits for its answer */
	assert_true(ratelimit_acquire(b, 1000) > 1000);
	ratelimit_complete(b, 1010, 5, -1);
	/* the header said 5 left: four go, one stays in reserve against arrival jitter */
	assert_int_equal(ratelimit_acquire(b, 1010), 0);
	assert_int_equal(ratelimit_acquire(b, 1010), 0);
	assert_int_equal(ratelimit_acquire(b, 1010), 0);
	assert_int_equal(ratelimit_acquire(b, 1010), 0);
	assert_true(ratelimit_acquire(b, 1010) > 1010);
	ratelimit_free(rl);
}

static void test_bucket_without_header_is_unpaced(void **state)
{
	struct ratelimit *rl = ratelimit_new();
	struct ratelimit_bucket *b = ratelimit_bucket(rl, "tenant/writes");
	int i;
	(void)state;
	assert_int_equal(ratelimit_acquire(b, 0), 0);
	ratelimit_complete(b, 5, -1, -1);
	for (i = 0; i < 1000; i++)
		assert_int_equal(ratelimit_acquire(b, 6), 0);
	ratelimit_free(rl);
}

static void test_retry_after_blocks_the_bucket(void **state)
{
	struct ratelimit *rl = ratelimit_new();
	struct ratelimit_bucket *b = ratelimit_bucket(rl, "sub/2/writes");
	(void)state;
	assert_int_equal(ratelimit_acquire(b, 0), 0);
	ratelimit_complete(b, 10, 100, -1);
	assert_int_equal(ratelimit_acquire(b, 20), 0);
	/* a 429 with Retry-After 3 s: nothing before t = 3020, whatever tokens we thought */
	ratelimit_complete(b, 20, 0, 3000);
	assert_int_equal(ratelimit_acquire(b, 25), 3020);
	assert_int_equal(ratelimit_acquire(b, 3019), 3020);
	assert_int_equal(ratelimit_acquire(b, 3020), 0);
	assert_int_equal(ratelimit_not_before(b), 3020);
	ratelimit_free(rl);
}

/* A Retry-After of 10^17 s saturates instead of overflowing into the past (UBSan aborts). */
static void test_huge_retry_after_does_not_overflow(void **state)
{
	struct ratelimit *rl = ratelimit_new();
	struct ratelimit_bucket *b = ratelimit_bucket(rl, "sub/reads");
	long long now = 1733500000000LL;
	(void)state;
	assert_int_equal(ratelimit_acquire(b, now), 0);
	ratelimit_complete(b, now, -1, LONG_MAX);
	assert_true(ratelimit_not_before(b) > now);
	assert_true(ratelimit_acquire(b, now + 1000) > now + 1000);
	assert_int_equal(http_add_ms(LLONG_MAX - 5, 100), LLONG_MAX);
	assert_int_equal(http_add_ms(now, 100), now + 100);
	ratelimit_free(rl);
}

static void test_same_key_same_bucket(void **state)
{
	struct ratelimit *rl = ratelimit_new();
	(void)state;
	assert_ptr_equal(ratelimit_bucket(rl, "a"), ratelimit_bucket(rl, "a"));
	assert_ptr_not_equal(ratelimit_bucket(rl, "a"), ratelimit_bucket(rl, "b"));
	ratelimit_free(rl);
}

static void test_rate_is_learnt_from_headers(void **state)
{
	struct ratelimit *rl = ratelimit_new();
	struct ratelimit_bucket *b = ratelimit_bucket(rl, "sub/3/reads");
	double server = 100.0; /* a server bucket of 100 refilling 20/s */
	long long t;
	int throttled = 0, sent = 0;
	(void)state;
	for (t = 0; t < 20000; t += 5) {
		server += 20.0 * 5 / 1000.0;
		if (server > 100.0)
			server = 100.0;
		if (ratelimit_acquire(b, t) != 0)
			continue;
		sent++;
		if (server >= 1.0) {
			server -= 1.0;
			ratelimit_complete(b, t, (long)server, -1);
		} else {
			throttled++;
			ratelimit_complete(b, t, 0, 1000);
		}
	}
	/* started at capacity/10 = 10/s; the samples show 20/s */
	assert_true(ratelimit_rate(b) > 14.0);
	assert_true(ratelimit_rate(b) < 30.0);
	/* and pacing kept the client almost always under the server's limit */
	assert_true(sent > 300);
	assert_true(throttled * 50 < sent);
	ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_bucket_probes_one_at_a_time),
		cmocka_unit_test(test_bucket_without_header_is_unpaced),
		cmocka_unit_test(test_retry_after_blocks_the_bucket),
		cmocka_unit_test(test_huge_retry_after_does_not_overflow),
		cmocka_unit_test(test_same_key_same_bucket),
		cmocka_unit_test(test_rate_is_learnt_from_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
