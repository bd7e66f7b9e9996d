/*
 * fuzz_retry_after — Retry-After and LRO header handling.
 *
 * The input is a header value: http_parse_retry_after (seconds or an HTTP-date), the LRO
 * poll delay built on it (always within its floor and ceiling), the pacing bucket's wait
 * after a 429 carrying it (saturating, never overflowing: UBSan aborts on a signed overflow),
 * and http_check_url as a Location or Azure-AsyncOperation value.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arm.h"
#include "lib/http.h"
#include "lib/ratelimit.h"
#include "lib/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long intervals[] = { 0, 10, 1000, 5000, 600000 };
	char *value = malloc(size + 1);
	struct strbuf err = STRBUF_INIT;
	long long now_s = 1733500000;
	long ms = -1;
	size_t i;

	memcpy(value, data, size);
	value[size] = '\0';
	if (http_parse_retry_after(value, now_s, &ms) == 0) {
		struct ratelimit *rl = ratelimit_new();
		struct ratelimit_bucket *b = ratelimit_bucket(rl, "sub/reads");
		long long now_ms = now_s * 1000;
		if (ms < 0)
			abort();
		if (ratelimit_acquire(b, now_ms) == 0) {
			long long next;
			ratelimit_complete(b, now_ms, -1, ms);
			next = ratelimit_acquire(b, now_ms + 1);
			if (next != 0 && next <= now_ms + 1)
				abort(); /* a wait that overflowed into the past */
		}
		ratelimit_free(rl);
		if (http_add_ms(LLONG_MAX / 2, ms) < LLONG_MAX / 2)
			abort();
	}
	for (i = 0; i < sizeof(intervals) / sizeof(intervals[0]); i++) {
		long d = arm_lro_poll_delay_ms(value, intervals[i], now_s);
		long floor_ms = intervals[i] > 0 && intervals[i] < 1000 ? intervals[i] : 1000;
		if (d < floor_ms || d > 120000)
			abort();
	}
	http_check_url(value, &err);
	strbuf_release(&err);
	free(value);
	return 0;
}
