/*
 * Unit tests for armsim/throttle (token buckets) and armsim/idmap (case-insensitive map).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/idmap.h"
#include "armsim/throttle.h"

static void test_bucket_burst_then_refuse(void **state)
{
	struct throttle *t = throttle_new();
	long remaining, retry;
	int i;
	(void)state;
	/* refill so slow that no token comes back during the test */
	for (i = 0; i < 3; i++) {
		assert_true(throttle_take(t, "sub|p|0", NULL, 3, 0.001, &remaining, &retry));
		assert_int_equal(remaining, 2 - i);
	}
	assert_false(throttle_take(t, "sub|p|0", NULL, 3, 0.001, &remaining, &retry));
	assert_int_equal(remaining, 0);
	assert_in_range(retry, 999, 1000);
	/* other keys are other buckets */
	assert_true(throttle_take(t, "sub|q|0", NULL, 3, 0.001, &remaining, &retry));
	assert_true(throttle_take(t, "sub|p|1", NULL, 3, 0.001, &remaining, &retry));
	throttle_reset(t);
	assert_true(throttle_take(t, "sub|p|0", NULL, 3, 0.001, &remaining, &retry));
	throttle_free(t);
}

static void test_fast_refill_retry_after_is_at_least_one(void **state)
{
	struct throttle *t = throttle_new();
	long remaining, retry;
	(void)state;
	assert_true(throttle_take(t, "k", NULL, 1, 1000, &remaining, &retry));
	/* with a high rate a token may be back already; when not, Retry-After is still >= 1 s */
	if (!throttle_take(t, "k", NULL, 1, 1000, &remaining, &retry))
		assert_int_equal(retry, 1);
	assert_false(throttle_take(t, "zero", NULL, 0, 0, &remaining, &retry));
	assert_true(retry >= 1);
	throttle_free(t);
}

static uint64_t early_retries(struct throttle *t)
{
	struct throttle_stats st;
	throttle_stats(t, &st);
	return st.early_retries;
}

static uint64_t early_requests(struct throttle *t)
{
	struct throttle_stats st;
	throttle_stats(t, &st);
	return st.early_requests;
}

/* Bucket "b" (burst 2, 0.4 a second) emptied at 1000 by r1, r2; r3 refused, told 3 s: 4000. */
static struct throttle *new_refused_r3(void)
{
	struct throttle *t = throttle_new();
	long remaining, retry;
	assert_true(throttle_take_at(t, "b", "r1", 1000, 2, 0.4, &remaining, &retry));
	assert_true(throttle_take_at(t, "b", "r2", 1000, 2, 0.4, &remaining, &retry));
	assert_false(throttle_take_at(t, "b", "r3", 1000, 2, 0.4, &remaining, &retry));
	assert_int_equal(retry, 3);
	return t;
}

/*
 * One token per 2.5 s, so a 429 announces Retry-After 3 s while a token is back after 2.5 s:
 * a retry in between is early (it did not wait as told) although it is served.
 */
static void test_early_retry_against_announced_instant(void **state)
{
	struct throttle *t = new_refused_r3();
	long remaining, retry;
	(void)state;
	/* a token is back at 3500, but 3600 is before the announced 4000 */
	assert_true(throttle_take_at(t, "b", "r3", 3600, 2, 0.4, &remaining, &retry));
	assert_int_equal(early_retries(t), 1);
	/* served: r3 is no longer a refused request, so its next request is not a retry */
	assert_false(throttle_take_at(t, "b", "r3", 3700, 2, 0.4, &remaining, &retry));
	assert_int_equal(early_retries(t), 1);
	throttle_reset(t);
	assert_int_equal(early_retries(t), 0);
	assert_int_equal(early_requests(t), 0);
	throttle_free(t);
}

/*
 * Each retry is held to its own 429; other requests at the bucket before the latest announced
 * instant (as those already in flight when a 429 left) are early requests, not early retries.
 */
static void test_early_retry_per_request_and_bucket(void **state)
{
	struct throttle *t = new_refused_r3();
	long remaining, retry;
	(void)state;
	/* r4 was in flight: refused at the same instant, told 3 s too */
	assert_false(throttle_take_at(t, "b", "r4", 1000, 2, 0.4, &remaining, &retry));
	assert_int_equal(early_requests(t), 1);
	assert_int_equal(early_retries(t), 0);
	/* another bucket and requests without identity are not bound by b's 429s */
	assert_true(throttle_take_at(t, "other", "r3", 1001, 2, 0.4, &remaining, &retry));
	assert_false(throttle_take_at(t, "b", NULL, 1002, 2, 0.4, &remaining, &retry));
	assert_int_equal(early_retries(t), 0);
	assert_int_equal(early_requests(t), 2);
	/* the bucket said 4002 last (to the NULL request); r3 on time at 4000 is served */
	assert_true(throttle_take_at(t, "b", "r3", 4000, 2, 0.4, &remaining, &retry));
	assert_int_equal(early_retries(t), 0);
	assert_int_equal(early_requests(t), 3);
	/* r4 is held to its own 4000, not the bucket's 4002; refused, told 2 s: 6001 */
	assert_false(throttle_take_at(t, "b", "r4", 4001, 2, 0.4, &remaining, &retry));
	assert_int_equal(retry, 2);
	assert_int_equal(early_retries(t), 0);
	assert_int_equal(early_requests(t), 4);
	/* r4 a millisecond early */
	throttle_take_at(t, "b", "r4", 6000, 2, 0.4, &remaining, &retry);
	assert_int_equal(early_retries(t), 1);
	throttle_free(t);
}

static void test_idmap_case_and_growth(void **state)
{
	struct idmap map = IDMAP_INIT;
	char key[64];
	int values[2000], i;
	(void)state;
	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "/Subscriptions/S%d", i);
		values[i] = i;
		assert_null(idmap_put(&map, key, &values[i]));
	}
	assert_int_equal(map.nr, 2000);
	for (i = 0; i < 2000; i += 97) {
		snprintf(key, sizeof(key), "/subscriptions/s%d", i);
		assert_ptr_equal(idmap_get(&map, key), &values[i]);
	}
	assert_ptr_equal(idmap_put(&map, "/SUBSCRIPTIONS/S5", &values[6]), &values[5]);
	assert_int_equal(map.nr, 2000);
	assert_ptr_equal(idmap_remove(&map, "/subscriptions/s6"), &values[6]);
	assert_null(idmap_get(&map, "/subscriptions/S6"));
	assert_null(idmap_remove(&map, "/nope"));
	idmap_clear(&map);
	assert_null(idmap_get(&map, "/subscriptions/S7"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_burst_then_refuse),
		cmocka_unit_test(test_fast_refill_retry_after_is_at_least_one),
		cmocka_unit_test(test_early_retry_against_announced_instant),
		cmocka_unit_test(test_early_retry_per_request_and_bucket),
		cmocka_unit_test(test_idmap_case_and_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
