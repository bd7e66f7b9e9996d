/*
 * simclock — simulated time (see simclock.h).
 *
 * The clock is a pure function of the real monotonic clock: no background thread advances it,
 * so reading it costs one clock_gettime and it can never drift from the scale.
 */
#include <ctype.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "armsim/simclock.h"
#include "lib/banned.h"

static double clock_scale = 1.0;
static int64_t start_epoch_ms;  /* wall-clock time at simclock_init */
static int64_t start_mono_ms;   /* monotonic time at simclock_init */
static atomic_int manual;       /* simclock_set_manual was called: time moves only by hand */
static _Atomic int64_t manual_ms;

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

void simclock_set_manual(int64_t now_ms)
{
	atomic_store(&manual_ms, now_ms);
	atomic_store(&manual, 1);
}

void simclock_advance(int64_t ms)
{
	atomic_fetch_add(&manual_ms, ms);
}

int64_t simclock_now_ms(void)
{
	if (atomic_load(&manual))
		return atomic_load(&manual_ms);
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

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t simclock_parse_iso(const char *s)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	int64_t ms;
	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -1;
	s += n;
	if (*s == 'T' || *s == ' ') {
		if (sscanf(s + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3)
			return -1;
		s += 1 + n;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	ms = (days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) * 1000;
	if (*s == '.') {
		int64_t scale = 100;
		for (s++; isdigit((unsigned char)*s); s++, scale /= 10)
			ms += scale > 0 ? (*s - '0') * scale : 0;
	}
	return ms;
}
