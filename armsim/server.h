/*
 * server — armsim's HTTP(S) server on libmicrohttpd.
 *
 * One daemon with an epoll thread pool; every request goes through one dispatcher: request and
 * correlation ids, route lookup, api-version check, fault injection, bearer-token check, world
 * lock, throttling, RBAC check, handler, response headers, stats. A delayed response (--latency)
 * suspends its connection and a timer thread resumes it, so a slow answer never holds a thread
 * and 1,000 connections can wait at once. A tick thread of its own runs registered tick
 * functions (the policy engine's scans and remediation deployments) at a fixed real-time
 * period, so a long tick holds no finished answer past its latency.
 */
#ifndef ARMSIM_SERVER_H
#define ARMSIM_SERVER_H
#include <jansson.h>
#include <stdint.h>

#include "lib/strbuf.h"

struct world;
struct token_signer;
struct armsim;

struct armsim_options {
	const char *listen_host;   /* "127.0.0.1" (loopback only) */
	unsigned port;             /* 0 = any free port */
	char *tls_cert_pem;        /* PEM text (owned by the caller) or NULL for plain HTTP */
	char *tls_key_pem;
	double time_scale;         /* simulated-time speed-up */
	unsigned latency_ms;       /* added to every response */
	unsigned jitter_ms;        /* plus 0..jitter (deterministic from the seed) */
	double fault_rate;         /* probability of an injected fault per ARM request */
	uint64_t seed;             /* faults and jitter */
	unsigned threads;          /* libmicrohttpd thread pool size */
	const char *log_path;      /* request log, or NULL */
	struct token_signer *signer; /* stolen by armsim_start; NULL = the TLS key or a new key */
};

enum armsim_result {
	ARMSIM_OK = 0,
	ARMSIM_LISTEN_FAILED,   /* bind/listen or daemon start failed; err says why */
	ARMSIM_TLS_FAILED,      /* TLS requested but unusable */
};

/*
 * Starts serving world (stolen) as loaded from source (stolen; what /_armsim/reset restores).
 * On success *out is the server; armsim_url gives the address it listens on.
 */
enum armsim_result armsim_start(const struct armsim_options *opt, struct world *world,
				json_t *source, struct armsim **out, struct strbuf *err);
/* Stops the daemon and frees everything (including the world). NULL is fine. */
void armsim_stop(struct armsim *sim);
/* "https://127.0.0.1:PORT" (borrowed). */
const char *armsim_url(const struct armsim *sim);

/* The served world (borrowed; lock it with world_lock_* outside handlers). */
struct world *armsim_world(struct armsim *sim);
/* Gives the server its policy engine (stolen; freed by armsim_stop before the world). */
struct policy_engine;
void armsim_set_policy_engine(struct armsim *sim, struct policy_engine *engine);
/* The token signer (borrowed). */
struct token_signer *armsim_signer(struct armsim *sim);
/* The options the server runs with (borrowed). */
const struct armsim_options *armsim_options(const struct armsim *sim);

/*
 * Registers fn to run every period_ms of real time on the tick thread, with no lock held
 * (fn takes the world lock itself). Register before armsim_start's caller serves requests;
 * at most 16 tick functions.
 */
typedef void armsim_tick_fn(struct armsim *sim, void *arg);
void armsim_add_tick(struct armsim *sim, unsigned period_ms, armsim_tick_fn *fn, void *arg);
/* Registers fn to run (world write lock held) after POST /_armsim/reset reloads the world. */
void armsim_add_reset_hook(struct armsim *sim, armsim_tick_fn *fn, void *arg);

/* Counters for GET /_armsim/stats (new reference). */
json_t *armsim_stats_json(struct armsim *sim);
/* Restores the world as it was loaded, forgets throttle buckets. Caller holds the write lock. */
int armsim_reset(struct armsim *sim, struct strbuf *err);
#endif
