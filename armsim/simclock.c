/*
 * simclock — simulated time (see simclock.h).
 *
 * The clock is a pure function of the real monotonic clock: no background thread advances it,
 * so reading it costs one clock_gettime and it can never drift from the scale.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "armsim/simclock.h"
#include "lib/banned.h"

static double clock_scale = 1.0;
static int64_t start_epoch_ms;  /* wall-clock time at simclock_init */
static int64_t start_mono_ms;   /* monotonic time at simclock_init */

static int64_t ms_of(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void simclock_init(double scale)
{
	clock_scale = scale > 0 ? scale : 1.0;
	start_epoch_ms = ms_of(CLOCK_REALTIME);
	start_mono_ms = ms_of(CLOCK_MONOTONIC);
}

double simclock_scale(void)
{
	return clock_scale;
}

int64_t simclock_real_ms(void)
{
	return ms_of(CLOCK_MONOTONIC);
}

int64_t simclock_now_ms(void)
{
	int64_t elapsed = ms_of(CLOCK_MONOTONIC) - start_mono_ms;
	return start_epoch_ms + (int64_t)((double)elapsed * clock_scale);
}

int64_t simclock_real_from_sim(int64_t sim_ms)
{
	if (sim_ms <= 0)
		return 0;
	return (int64_t)ceil((double)sim_ms / clock_scale);
}

void simclock_format_iso(int64_t ms, char out[40])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%03u0000Z", (unsigned)(ms % 1000) % 1000u);
}
