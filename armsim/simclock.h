/*
 * simclock — armsim's simulated time.
 *
 * Everything in the simulated Azure that takes time (principal replication, compliance scans,
 * remediation deployments) is measured on this clock, so a test can compress a ten-minute scan
 * into 100 ms with --time-scale 6000 and still see the same sequence of states. Simulated time
 * starts at the wall-clock time armsim started and runs `scale` times faster than real time.
 * Thread-safe once initialised; token expiry and throttling stay on real time, as clients see it.
 */
#ifndef ARMSIM_SIMCLOCK_H
#define ARMSIM_SIMCLOCK_H
#include <stdint.h>

/* Starts the clock now with the given speed-up (>0; 1 = real time). Call once before use. */
void simclock_init(double scale);
/* The speed-up factor given to simclock_init. */
double simclock_scale(void);
/* Simulated milliseconds since the Unix epoch. */
int64_t simclock_now_ms(void);
/* Real milliseconds on a monotonic clock (for throttling and latency, never simulated). */
int64_t simclock_real_ms(void);
/* Real milliseconds that pass while `sim_ms` simulated milliseconds pass (rounded up, >= 0). */
int64_t simclock_real_from_sim(int64_t sim_ms);
/* Writes ms (simulated epoch ms) as ISO 8601 UTC with 7 fractional digits, as ARM does. */
void simclock_format_iso(int64_t ms, char out[40]);
/*
 * Parses ISO 8601 UTC ("2025-01-01", "2025-01-01T00:00:00Z", fractions allowed) to epoch ms.
 * Returns -1 when s is NULL or not such a time.
 */
int64_t simclock_parse_iso(const char *s);
/*
 * Test hook: from now on the clock stands at now_ms and moves only by simclock_advance
 * (the scale still converts durations). For unit tests that drive the engine step by step.
 */
void simclock_set_manual(int64_t now_ms);
void simclock_advance(int64_t ms);
#endif
