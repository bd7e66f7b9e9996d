/*
 * server — libmicrohttpd daemon and the request dispatcher (see server.h).
 *
 * Request life: libmicrohttpd calls on_access once with no data (we allocate a struct pending),
 * then with body chunks (capped), then once more with none: dispatch() runs the route and builds
 * the response. Without --latency it is queued at once; with it the connection is suspended and
 * the timer thread resumes it at its deadline, when on_access queues the stored response.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "armsim/authz.h"
#include "armsim/ops_providers.h"
#include "armsim/rng.h"
#include "armsim/routes.h"
#include "armsim/policy_engine.h"
#include "armsim/server.h"
#include "armsim/simclock.h"
#include "armsim/throttle.h"
#include "armsim/token.h"
#include "armsim/world.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define MAX_BODY (8u << 20)  /* ARM refuses request bodies over 4 MiB; we allow some slack */
#define MAX_TICKS 16
#define TOKEN_CACHE 16  /* verified tokens remembered: clients reuse one token for an hour */

struct timer_entry {
	int64_t deadline_ms;           /* real monotonic time */
	struct MHD_Connection *conn;
};

struct tick {
	armsim_tick_fn *fn;
	void *arg;
	unsigned period_ms;
	int64_t next_ms;
};

struct armsim {
	struct armsim_options opt;
	struct world *world;             /* owned */
	json_t *source;                  /* owned: the world as loaded, for reset */
	struct MHD_Daemon *daemon;
	int listen_fd;
	char url[96];
	struct token_signer *signer;     /* owned */
	struct throttle *throttle;       /* owned */
	FILE *log;

	pthread_mutex_t stats_lock;
	json_t *stats_ops;               /* {"Operation": {"200": n}} */
	uint64_t stat_requests, stat_writes, stat_throttled, stat_faults;
	uint64_t stat_fault_500, stat_fault_503, stat_fault_dropped, stat_fault_truncated; /* by kind */
	atomic_int connections;
	atomic_int peak_connections;
	atomic_uint_fast64_t request_counter;  /* request ids */
	uint64_t id_salt;                      /* start time: request ids differ between runs */
	atomic_uint_fast64_t fault_counter;    /* requests eligible for faults: decides faults */

	pthread_mutex_t token_lock;
	char *token_cache[TOKEN_CACHE];  /* tokens whose signature verified (owned) */
	json_t *token_claims[TOKEN_CACHE]; /* their claims (owned) */
	unsigned token_next;             /* round-robin replacement */

	pthread_t timer_thread;
	int timer_started;
	pthread_t tick_thread;           /* the ticks, apart: a long one delays no response */
	int tick_started;
	pthread_mutex_t timer_lock;      /* the heap, the ticks and stopping */
	pthread_cond_t timer_cond;       /* the heap changed (or stopping) */
	pthread_cond_t tick_cond;        /* a tick was added (or stopping) */
	struct timer_entry *heap;        /* min-heap on deadline */
	size_t nr_heap, alloc_heap;
	int stopping;
	struct tick ticks[MAX_TICKS];
	size_t nr_ticks;
	struct tick reset_hooks[MAX_TICKS];
	size_t nr_reset_hooks;
	struct policy_engine *engine;    /* owned (policy_engine_attach), or NULL */
};

struct pending {
	struct strbuf body;
	int too_large;
	struct MHD_Response *response; /* built, waiting for its latency to pass */
	unsigned status;
	int drop;                      /* fault: close the connection without an answer */
};

/* ---- timer thread (latency resumes) and tick thread ------------------------------------ */

/*
 * Date on simulated time: it is the simulated Azure's clock, the one that ends exemptions and
 * stamps createdOn, so a client judging expiries by Azure's Date sees armsim's time
 * (libmicrohttpd adds no Date of its own when one is set).
 */
static void add_date(struct MHD_Response *response)
{
	time_t t = (time_t)(simclock_now_ms() / 1000);
	struct tm tm;
	char buf[64];
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
					       "Aug", "Sep", "Oct", "Nov", "Dec" };
	gmtime_r(&t, &tm);
	snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
		 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	MHD_add_response_header(response, MHD_HTTP_HEADER_DATE, buf);
}

static void heap_push(struct armsim *sim, struct timer_entry e)
{
	size_t i;
	ALLOC_GROW(sim->heap, sim->nr_heap + 1, sim->alloc_heap);
	i = sim->nr_heap++;
	while (i && sim->heap[(i - 1) / 2].deadline_ms > e.deadline_ms) {
		sim->heap[i] = sim->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	sim->heap[i] = e;
}

static struct timer_entry heap_pop(struct armsim *sim)
{
	struct timer_entry top = sim->heap[0], last = sim->heap[--sim->nr_heap];
	size_t i = 0, n = sim->nr_heap;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && sim->heap[c + 1].deadline_ms < sim->heap[c].deadline_ms)
			c++;
		if (sim->heap[c].deadline_ms >= last.deadline_ms)
			break;
		sim->heap[i] = sim->heap[c];
		i = c;
	}
	if (n)
		sim->heap[i] = last;
	return top;
}

/* Waits on cond until the real-time ms `next` (CLOCK_MONOTONIC, as simclock_real_ms). */
static void wait_until(struct armsim *sim, pthread_cond_t *cond, int64_t next)
{
	struct timespec ts;
	int64_t wait = next - simclock_real_ms();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += wait / 1000;
	ts.tv_nsec += (wait % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(cond, &sim->timer_lock, &ts);
}

/*
 * Resumes the connections whose latency has passed. Only that: the ticks have their own
 * thread, so a tick that evaluates a thousand subscriptions does not hold every answer back.
 */
static void *timer_main(void *arg)
{
	struct armsim *sim = arg;
	pthread_mutex_lock(&sim->timer_lock);
	while (!sim->stopping) {
		int64_t now = simclock_real_ms(), next = now + 1000;
		while (sim->nr_heap && sim->heap[0].deadline_ms <= now)
			MHD_resume_connection(heap_pop(sim).conn);
		if (sim->nr_heap && sim->heap[0].deadline_ms < next)
			next = sim->heap[0].deadline_ms;
		if (next <= simclock_real_ms())
			continue;
		wait_until(sim, &sim->timer_cond, next);
	}
	/* let suspended connections finish so the daemon can stop */
	while (sim->nr_heap)
		MHD_resume_connection(heap_pop(sim).conn);
	pthread_mutex_unlock(&sim->timer_lock);
	return NULL;
}

/* Runs each tick function at its period (policy engine: scans, remediation, sweeps). */
static void *tick_main(void *arg)
{
	struct armsim *sim = arg;
	pthread_mutex_lock(&sim->timer_lock);
	while (!sim->stopping) {
		int64_t now = simclock_real_ms(), next = now + 1000;
		size_t i;
		for (i = 0; i < sim->nr_ticks; i++) {
			struct tick *t = &sim->ticks[i];
			if (t->next_ms <= now) {
				t->next_ms = now + t->period_ms;
				pthread_mutex_unlock(&sim->timer_lock);
				t->fn(sim, t->arg);
				pthread_mutex_lock(&sim->timer_lock);
				now = simclock_real_ms();
			}
			if (t->next_ms < next)
				next = t->next_ms;
		}
		if (sim->stopping || next <= simclock_real_ms())
			continue;
		wait_until(sim, &sim->tick_cond, next);
	}
	pthread_mutex_unlock(&sim->timer_lock);
	return NULL;
}

static void timer_add(struct armsim *sim, struct MHD_Connection *conn, int64_t deadline)
{
	struct timer_entry e = { deadline, conn };
	pthread_mutex_lock(&sim->timer_lock);
	heap_push(sim, e);
	/*
	 * The timer thread sleeps until the earliest deadline: only a new earliest one needs to
	 * wake it (with one latency for all, most answers join the back of the queue).
	 */
	if (sim->heap[0].conn == conn)
		pthread_cond_signal(&sim->timer_cond);
	pthread_mutex_unlock(&sim->timer_lock);
}

void armsim_add_tick(struct armsim *sim, unsigned period_ms, armsim_tick_fn *fn, void *arg)
{
	pthread_mutex_lock(&sim->timer_lock);
	if (sim->nr_ticks < MAX_TICKS) {
		struct tick t = { fn, arg, period_ms ? period_ms : 1, simclock_real_ms() };
		sim->ticks[sim->nr_ticks++] = t;
		pthread_cond_signal(&sim->tick_cond);
	}
	pthread_mutex_unlock(&sim->timer_lock);
}

void armsim_add_reset_hook(struct armsim *sim, armsim_tick_fn *fn, void *arg)
{
	if (sim->nr_reset_hooks < MAX_TICKS) {
		struct tick t = { fn, arg, 0, 0 };
		sim->reset_hooks[sim->nr_reset_hooks++] = t;
	}
}

/* ---- stats ------------------------------------------------------------------------------ */

static void stats_count(struct armsim *sim, const char *op, unsigned status, int write,
			int throttled)
{
	char code[8];
	json_t *per_op, *n;
	snprintf(code, sizeof(code), "%u", status);
	pthread_mutex_lock(&sim->stats_lock);
	sim->stat_requests++;
	sim->stat_writes += write && status < 400;
	sim->stat_throttled += throttled;
	per_op = json_object_get(sim->stats_ops, op);
	if (!per_op) {
		per_op = json_object();
		json_object_set_new(sim->stats_ops, op, per_op);
	}
	n = json_object_get(per_op, code);
	json_object_set_new(per_op, code, json_integer(n ? json_integer_value(n) + 1 : 1));
	pthread_mutex_unlock(&sim->stats_lock);
}

json_t *armsim_stats_json(struct armsim *sim)
{
	struct throttle_stats early;
	json_t *j;
	throttle_stats(sim->throttle, &early);
	pthread_mutex_lock(&sim->stats_lock);
	j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:i, s:i, s:O}",
		      "requests", (json_int_t)sim->stat_requests, "writes",
		      (json_int_t)sim->stat_writes, "throttled", (json_int_t)sim->stat_throttled,
		      "earlyRetries", (json_int_t)early.early_retries, "earlyRequests",
		      (json_int_t)early.early_requests, "faults",
		      (json_int_t)sim->stat_faults, "faultsByKind",
		      "status500", (json_int_t)sim->stat_fault_500,
		      "status503", (json_int_t)sim->stat_fault_503,
		      "dropped", (json_int_t)sim->stat_fault_dropped,
		      "truncated", (json_int_t)sim->stat_fault_truncated,
		      "connections", atomic_load(&sim->connections),
		      "peakConnections", atomic_load(&sim->peak_connections), "operations",
		      sim->stats_ops);
	pthread_mutex_unlock(&sim->stats_lock);
	return j;
}

int armsim_reset(struct armsim *sim, struct strbuf *err)
{
	size_t i;
	if (world_reload_json(sim->world, sim->source, err))
		return -1;
	throttle_reset(sim->throttle);
	pthread_mutex_lock(&sim->stats_lock);
	json_object_clear(sim->stats_ops);
	sim->stat_requests = sim->stat_writes = sim->stat_throttled = sim->stat_faults = 0;
	sim->stat_fault_500 = sim->stat_fault_503 = 0;
	sim->stat_fault_dropped = sim->stat_fault_truncated = 0;
	atomic_store(&sim->peak_connections, atomic_load(&sim->connections));
	pthread_mutex_unlock(&sim->stats_lock);
	for (i = 0; i < sim->nr_reset_hooks; i++)
		sim->reset_hooks[i].fn(sim, sim->reset_hooks[i].arg);
	return 0;
}

/* ---- request helpers (http.h) ------------------------------------------------------------ */

const char *armsim_request_query(const struct armsim_request *req, const char *key)
{
	if (!req->connection)
		return NULL; /* a request built in-process (unit tests) has no query */
	return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, key);
}

const char *armsim_request_header(const struct armsim_request *req, const char *name)
{
	if (!req->connection)
		return NULL;
	return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

struct query_walk {
	struct strbuf *sb;
	const char *skip;
};

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct query_walk *qw = cls;
	(void)kind;
	if (qw->skip && !strcmp(key, qw->skip))
		return MHD_YES;
	strbuf_addch(qw->sb, strchr(qw->sb->buf, '?') ? '&' : '?');
	strbuf_add_urlencoded(qw->sb, key);
	if (value) {
		strbuf_addch(qw->sb, '=');
		strbuf_add_urlencoded(qw->sb, value);
	}
	return MHD_YES;
}

void armsim_request_add_query(const struct armsim_request *req, struct strbuf *sb,
			      const char *skip)
{
	struct query_walk qw = { sb, skip };
	MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, add_query_arg, &qw);
}

/* ---- dispatch ----------------------------------------------------------------------------- */

enum fault_kind { FAULT_NONE, FAULT_500, FAULT_503_RETRY, FAULT_503, FAULT_DROP, FAULT_TRUNCATE };

static enum fault_kind pick_fault(struct armsim *sim)
{
	uint64_t n, h;
	if (sim->opt.fault_rate <= 0)
		return FAULT_NONE;
	n = atomic_fetch_add(&sim->fault_counter, 1);
	h = rng_mix(sim->opt.seed ^ rng_mix(n));
	if ((double)(h >> 11) / 9007199254740992.0 >= sim->opt.fault_rate)
		return FAULT_NONE;
	return (enum fault_kind)(1 + (rng_mix(h) % 5));
}

static int is_loopback(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

static void unauthorized(struct armsim *sim, struct armsim_request *req,
			 struct armsim_response *resp, const char *code, const char *error,
			 const char *message)
{
	struct strbuf hdr = STRBUF_INIT;
	strbuf_addf(&hdr, "Bearer authorization_uri=\"%s/%s\", error=\"%s\", error_description=\"%s\"",
		    req->base_url, sim->world->tenant_id ? sim->world->tenant_id : "common", error,
		    message);
	armsim_response_error(resp, 401, code, "%s", message);
	armsim_response_header(resp, "WWW-Authenticate", hdr.buf);
	strbuf_release(&hdr);
}

/*
 * An RSA signature check costs more than the rest of a request: a token seen before is looked
 * up instead. Only the signature check is skipped; expiry, audience, tenant and principal are
 * checked on every request. Returns new claims, or NULL when the token is not cached.
 */
static json_t *token_cache_get(struct armsim *sim, const char *token)
{
	json_t *claims = NULL;
	size_t i;
	pthread_mutex_lock(&sim->token_lock);
	for (i = 0; i < TOKEN_CACHE; i++)
		if (sim->token_cache[i] && !strcmp(sim->token_cache[i], token)) {
			claims = json_incref(sim->token_claims[i]);
			break;
		}
	pthread_mutex_unlock(&sim->token_lock);
	return claims;
}

static void token_cache_put(struct armsim *sim, const char *token, json_t *claims)
{
	unsigned slot;
	pthread_mutex_lock(&sim->token_lock);
	slot = sim->token_next++ % TOKEN_CACHE;
	free(sim->token_cache[slot]);
	json_decref(sim->token_claims[slot]);
	sim->token_cache[slot] = xstrdup(token);
	sim->token_claims[slot] = json_incref(claims);
	pthread_mutex_unlock(&sim->token_lock);
}

/* Checks the bearer token; sets req->caller or fills a 401. Returns 0 when authenticated. */
static int authenticate(struct armsim *sim, struct armsim_request *req,
			struct armsim_response *resp)
{
	const char *auth = armsim_request_header(req, "Authorization");
	json_t *claims = NULL;
	const char *oid, *aud, *tid;
	json_int_t exp;
	int ret = -1;
	if (!auth || strncasecmp(auth, "Bearer ", 7)) {
		unauthorized(sim, req, resp, "AuthenticationFailed", "invalid_token",
			     "Authentication failed. The 'Authorization' header is missing.");
		goto out;
	}
	claims = token_cache_get(sim, auth + 7);
	if (!claims) {
		if (token_verify_own(sim->signer, auth + 7, &claims) != TOKEN_OK) {
			unauthorized(sim, req, resp, "InvalidAuthenticationToken", "invalid_token",
				     "The access token is invalid.");
			goto out;
		}
		token_cache_put(sim, auth + 7, claims);
	}
	if (json_unpack(claims, "{s:s, s:s, s:s, s:I}", "oid", &oid, "aud", &aud, "tid", &tid,
			"exp", &exp)) {
		unauthorized(sim, req, resp, "InvalidAuthenticationToken", "invalid_token",
			     "The access token is invalid.");
		goto out;
	}
	if ((time_t)exp <= time(NULL)) {
		char when[40], now[40];
		struct strbuf msg = STRBUF_INIT;
		simclock_format_iso((int64_t)exp * 1000, when);
		simclock_format_iso((int64_t)time(NULL) * 1000, now);
		strbuf_addf(&msg, "The access token expiry UTC time '%s' is earlier than current UTC time '%s'.",
			    when, now);
		unauthorized(sim, req, resp, "ExpiredAuthenticationToken", "invalid_token", msg.buf);
		strbuf_release(&msg);
		goto out;
	}
	if (!authz_audience_ok(aud, req->base_url)) {
		unauthorized(sim, req, resp, "InvalidAuthenticationTokenAudience", "invalid_token",
			     "The access token has been obtained for wrong audience or resource.");
		goto out;
	}
	if (strcasecmp(tid, sim->world->tenant_id)) {
		unauthorized(sim, req, resp, "InvalidAuthenticationTokenTenant", "invalid_token",
			     "The access token is from the wrong issuer.");
		goto out;
	}
	req->caller = world_principal_by_object_id(sim->world, oid);
	if (!req->caller) {
		unauthorized(sim, req, resp, "InvalidAuthenticationToken", "invalid_token",
			     "The principal of the access token no longer exists.");
		goto out;
	}
	ret = 0;
out:
	json_decref(claims);
	return ret;
}

/* ARM answers for a subscription it does not know before it looks at permissions. */
static int unknown_subscription(struct armsim_request *req, struct armsim_response *resp)
{
	char sub[128];
	size_t n;
	if (strncasecmp(req->path, "/subscriptions/", 15))
		return 0;
	n = strcspn(req->path + 15, "/");
	if (!n || n >= sizeof(sub))
		return 0;
	memcpy(sub, req->path + 15, n);
	sub[n] = '\0';
	if (world_subscription_get(req->world, sub))
		return 0;
	armsim_response_error(resp, 404, "SubscriptionNotFound",
			      "The subscription '%s' could not be found.", sub);
	return -1;
}

/* Takes a token from the caller's bucket; sets the x-ms-ratelimit-remaining-* header or a 429. */
static int throttle_request(struct armsim *sim, struct armsim_request *req,
			    struct armsim_response *resp, int *throttled)
{
	const struct world_knobs *k = &sim->world->knobs;
	enum route_class cls = route_class_of(req->method);
	static const char *const class_names[] = { "reads", "writes", "deletes" };
	char sub[64] = "", key[256], header[80], value[32];
	struct strbuf identity = STRBUF_INIT;
	const char *request_id;
	double burst, refill;
	long remaining, retry;
	int tenant, served;
	if (!strncasecmp(req->path, "/subscriptions/", 15)) {
		size_t n = strcspn(req->path + 15, "/");
		if (n && n < sizeof(sub)) {
			memcpy(sub, req->path + 15, n);
			sub[n] = '\0';
		}
	}
	tenant = !sub[0];
	switch (cls) {
	case CLASS_READ:
		burst = tenant ? k->tenant_read_burst : k->read_burst;
		refill = tenant ? k->tenant_read_refill : k->read_refill;
		break;
	case CLASS_WRITE:
		burst = tenant ? k->tenant_write_burst : k->write_burst;
		refill = tenant ? k->tenant_write_refill : k->write_refill;
		break;
	default:
		burst = tenant ? k->tenant_delete_burst : k->delete_burst;
		refill = tenant ? k->tenant_delete_refill : k->delete_refill;
		break;
	}
	snprintf(key, sizeof(key), "%s|%s|%d", tenant ? "tenant" : sub, req->caller->object_id,
		 (int)cls);
	snprintf(header, sizeof(header), "x-ms-ratelimit-remaining-%s-%s",
		 tenant ? "tenant" : "subscription", class_names[cls]);
	/*
	 * A retry repeats its x-ms-client-request-id (as Azure's SDKs and our client do); without
	 * one, the method and path stand for the request.
	 */
	request_id = armsim_request_header(req, "x-ms-client-request-id");
	if (request_id && *request_id && strlen(request_id) < 128)
		strbuf_addstr(&identity, request_id);
	else
		strbuf_addf(&identity, "%s %s", req->method, req->path);
	served = throttle_take(sim->throttle, key, identity.buf, burst, refill, &remaining, &retry);
	strbuf_release(&identity);
	if (served) {
		snprintf(value, sizeof(value), "%ld", remaining);
		armsim_response_header(resp, header, value);
		return 0;
	}
	*throttled = 1;
	armsim_response_error(resp, 429, "TooManyRequests",
			      "The request is being throttled as the limit has been reached for operation type - %s. "
			      "For more information, see - https://aka.ms/armthrottling",
			      cls == CLASS_READ ? "Read" : cls == CLASS_WRITE ? "Write" : "Delete");
	snprintf(value, sizeof(value), "%ld", retry);
	armsim_response_header(resp, "Retry-After", value);
	armsim_response_header(resp, header, "0");
	return -1;
}

struct truncated {
	char *data;
	size_t len, cut;
};

static ssize_t truncated_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct truncated *t = cls;
	size_t n;
	if (pos >= t->cut)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = t->cut - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, t->data + pos, n);
	return (ssize_t)n;
}

static void truncated_free(void *cls)
{
	struct truncated *t = cls;
	free(t->data);
	free(t);
}

/*
 * ARM treats empty path segments as absent ("/subscriptions/s//resourceGroups/g" is the group
 * g): collapse runs of '/' so every handler sees one spelling of a path and builds the same
 * ids from it (a scope captured with a stray '/' would miss its resource: a DELETE would
 * answer 204 and leave it in place).
 */
static void normalize_path(const char *url, struct strbuf *out)
{
	const char *c;
	for (c = url; *c; c++)
		if (*c != '/' || !out->len || out->buf[out->len - 1] != '/')
			strbuf_addch(out, *c);
	if (out->len > 1 && out->buf[out->len - 1] == '/')
		strbuf_setlen(out, out->len - 1);
	if (!out->len)
		strbuf_addch(out, '/');
}

static void dispatch(struct armsim *sim, struct MHD_Connection *conn, const char *raw_url,
		     const char *method, struct pending *p)
{
	struct strbuf path = STRBUF_INIT;
	const char *url;
	struct armsim_request req;
	struct armsim_response resp;
	const struct route *route = NULL;
	const char *host, *corr, *supported;
	char request_id[37];
	struct strbuf base = STRBUF_INIT, text = STRBUF_INIT;
	enum fault_kind fault = FAULT_NONE;
	int locked = 0, throttled = 0, has_body = 0, open_route;
	enum route_match_result match;
	int64_t started = simclock_real_ms();
	size_t i;
	uint64_t n = atomic_fetch_add(&sim->request_counter, 1);

	normalize_path(raw_url, &path);
	url = path.buf;
	memset(&req, 0, sizeof(req));
	armsim_response_init(&resp);
	req.sim = sim;
	req.world = sim->world;
	req.connection = conn;
	req.method = method;
	req.path = url;
	req.raw_body = p->body.buf;
	req.raw_len = p->body.len;
	req.api_version = armsim_request_query(&req, "api-version");
	host = armsim_request_header(&req, "Host");
	strbuf_addf(&base, "%s://%s", sim->opt.tls_cert_pem ? "https" : "http",
		    host && *host && !strpbrk(host, "/\"\\ ") ? host : sim->url + (sim->opt.tls_cert_pem ? 8 : 7));
	req.base_url = base.buf;
	/* request ids are unique across runs too: the start time is mixed in, not only the seed */
	rng_format_guid(rng_mix(n ^ sim->id_salt), rng_mix(n + sim->opt.seed), request_id);

	if (p->too_large) {
		armsim_response_error(&resp, 413, "RequestEntityTooLarge",
				      "The request content size exceeds the maximum allowed size.");
		goto respond;
	}
	match = route_find(method, url, &req, &route);
	open_route = match == ROUTE_MATCHED && (route->flags & ROUTE_OPEN);
	if (match == ROUTE_MATCHED) {
		req.route_name = route->name;
		if ((route->flags & ROUTE_LOOPBACK) && !is_loopback(conn)) {
			armsim_response_error(&resp, 403, "Forbidden",
					      "introspection is served to loopback only");
			goto respond;
		}
	}
	if (req.raw_len) {
		req.body = json_loadb(req.raw_body, req.raw_len, 0, NULL);
		req.body_invalid = req.body == NULL;
	}
	if (match == ROUTE_MATCHED && (route->flags & ROUTE_WRITE))
		world_lock_write(sim->world);
	else
		world_lock_read(sim->world);
	locked = 1;
	/*
	 * Everything but the token endpoints and introspection is ARM: signed in first, then
	 * counted against the caller's bucket, so even a refused request (unknown path, bad
	 * api-version) carries the x-ms-ratelimit-remaining-* counters, as ARM's answers do.
	 */
	if (!open_route) {
		if (authenticate(sim, &req, &resp))
			goto respond;
		if (!(match == ROUTE_MATCHED && (route->flags & ROUTE_NO_THROTTLE)) &&
		    throttle_request(sim, &req, &resp, &throttled))
			goto respond;
	}
	if (match == ROUTE_NO_PATH) {
		armsim_response_error(&resp, 404, "InvalidResourceType",
				      "The resource type could not be found for path '%s'.", url);
		goto respond;
	}
	if (match == ROUTE_WRONG_METHOD) {
		armsim_response_error(&resp, 405, "MethodNotAllowed",
				      "The requested method '%s' is not allowed for path '%s'.", method, url);
		goto respond;
	}
	if (route->api != API_NONE) {
		if (!req.api_version || !*req.api_version) {
			armsim_response_error(&resp, 400, "MissingApiVersionParameter",
					      "The api-version query parameter (?api-version=) is required for all requests.");
			goto respond;
		}
		if (!route_api_version_ok(route->api, req.api_version, &supported)) {
			armsim_response_error(&resp, 400, "InvalidApiVersionParameter",
					      "The api-version '%s' is invalid. The supported versions are '%s'.",
					      req.api_version, supported);
			goto respond;
		}
	}
	if (!(route->flags & ROUTE_NO_FAULTS))
		fault = pick_fault(sim);
	if (fault == FAULT_500 || fault == FAULT_503 || fault == FAULT_503_RETRY) {
		if (fault == FAULT_500)
			armsim_response_error(&resp, 500, "InternalServerError",
					      "Encountered internal server error. Diagnostic information: timestamp '%lld', subscription id '', tracking id '%s'.",
					      (long long)time(NULL), request_id);
		else
			armsim_response_error(&resp, 503, "ServiceUnavailable",
					      "The service is temporarily unavailable. Please try again later.");
		if (fault == FAULT_503_RETRY)
			armsim_response_header(&resp, "Retry-After", "1");
		goto respond;
	}
	if (!open_route) {
		if (unknown_subscription(&req, &resp))
			goto respond;
		if (route->action && !authz_allowed(sim->world, req.caller->object_id, url, route->action)) {
			armsim_response_error(&resp, 403, "AuthorizationFailed",
					      "The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
					      req.caller->object_id, req.caller->object_id, route->action, url);
			goto respond;
		}
		if (ops_providers_guard(&req, &resp))
			goto respond;
	}
	route->handler(&req, &resp);
	if (!resp.status)
		armsim_response_error(&resp, 500, "InternalServerError", "the handler gave no answer");

respond:
	/* the body may share objects with the world: write it out before anyone may change them */
	if (resp.body)
		jsonutil_add_compact(&text, resp.body);
	else
		strbuf_addstr(&text, resp.text.buf);
	json_decref(resp.body);
	resp.body = NULL;
	has_body = text.len > 0;
	if (locked)
		world_unlock(sim->world);
	corr = armsim_request_header(&req, "x-ms-correlation-request-id");
	armsim_response_header(&resp, "x-ms-request-id", request_id);
	armsim_response_header(&resp, "x-ms-correlation-request-id",
			       corr && *corr && strlen(corr) < 128 ? corr : request_id);
	armsim_response_header(&resp, "Cache-Control", "no-cache");
	/* an empty answer has nothing to cut: it goes out whole, so no fault is counted */
	if (fault == FAULT_TRUNCATE && text.len <= 1)
		fault = FAULT_NONE;
	if (fault == FAULT_DROP) {
		p->drop = 1;
	} else if (fault == FAULT_TRUNCATE) {
		struct truncated *t = xmalloc(sizeof(*t));
		t->len = text.len;
		t->cut = text.len / 2;
		t->data = strbuf_detach(&text, NULL);
		p->response = MHD_create_response_from_callback(t->len, 4096, truncated_reader, t,
								truncated_free);
	} else {
		size_t len = text.len;
		char *data = strbuf_detach(&text, NULL);
		p->response = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	}
	if (fault != FAULT_NONE) {
		pthread_mutex_lock(&sim->stats_lock);
		sim->stat_faults++;
		sim->stat_fault_500 += fault == FAULT_500;
		sim->stat_fault_503 += fault == FAULT_503 || fault == FAULT_503_RETRY;
		sim->stat_fault_dropped += fault == FAULT_DROP;
		sim->stat_fault_truncated += fault == FAULT_TRUNCATE;
		pthread_mutex_unlock(&sim->stats_lock);
	}
	p->status = resp.status;
	if (p->response) {
		if (has_body)
			MHD_add_response_header(p->response, "Content-Type",
						resp.content_type ? resp.content_type
								  : "application/json; charset=utf-8");
		for (i = 0; i < resp.nr_headers; i++)
			MHD_add_response_header(p->response, resp.headers[i].name, resp.headers[i].value);
		add_date(p->response);
	}
	stats_count(sim, route ? route->name : "(none)", resp.status,
		    resp.is_write || (route && (route->flags & ROUTE_WRITE) && strcmp(method, "GET")),
		    throttled);
	if (sim->log) {
		pthread_mutex_lock(&sim->stats_lock);
		fprintf(sim->log, "%s %s %s %u %lldms%s\n", request_id, method, url, resp.status,
			(long long)(simclock_real_ms() - started),
			fault != FAULT_NONE ? " fault" : "");
		fflush(sim->log);
		pthread_mutex_unlock(&sim->stats_lock);
	}
	json_decref(req.body);
	armsim_request_params_release(&req);
	armsim_response_release(&resp);
	strbuf_release(&base);
	strbuf_release(&path);
	strbuf_release(&text);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version,
				 const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct armsim *sim = cls;
	struct pending *p = *con_cls;
	enum MHD_Result ret;
	(void)version;
	if (!p) {
		p = xcalloc(1, sizeof(*p));
		strbuf_init(&p->body, 0);
		*con_cls = p;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!p->too_large &&
		    strbuf_add_capped(&p->body, upload_data, *upload_data_size, MAX_BODY))
			p->too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!p->response && !p->drop) {
		dispatch(sim, conn, url, method, p);
		if (!p->drop && sim->opt.latency_ms + sim->opt.jitter_ms > 0) {
			int64_t delay = sim->opt.latency_ms;
			if (sim->opt.jitter_ms)
				delay += (int64_t)(rng_mix(sim->opt.seed ^ (uintptr_t)p ^
							 (uint64_t)simclock_real_ms()) %
						   (sim->opt.jitter_ms + 1));
			MHD_suspend_connection(conn);
			timer_add(sim, conn, simclock_real_ms() + delay);
			return MHD_YES;
		}
	}
	if (p->drop || !p->response)
		return MHD_NO;
	ret = MHD_queue_response(conn, p->status, p->response);
	MHD_destroy_response(p->response);
	p->response = NULL;
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct pending *p = *con_cls;
	(void)cls;
	(void)conn;
	(void)toe;
	if (!p)
		return;
	if (p->response)
		MHD_destroy_response(p->response);
	strbuf_release(&p->body);
	free(p);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct armsim *sim = cls;
	(void)conn;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		int now = atomic_fetch_add(&sim->connections, 1) + 1;
		int peak = atomic_load(&sim->peak_connections);
		while (now > peak && !atomic_compare_exchange_weak(&sim->peak_connections, &peak, now))
			;
	} else {
		atomic_fetch_sub(&sim->connections, 1);
	}
}

/* Descriptors: 1,000 held connections need more than the usual soft limit of 1,024. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int open_listener(const struct armsim_options *opt, unsigned *port, struct strbuf *err)
{
	const char *host = strcmp(opt->listen_host, "localhost") ? opt->listen_host : "127.0.0.1";
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, one = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)opt->port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
	    (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		strbuf_addf(err, "cannot listen on '%s': armsim serves IPv4 loopback addresses only "
			    "(127.x.x.x or localhost)", opt->listen_host);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		strbuf_addf(err, "cannot listen on '%s:%u': %s", opt->listen_host, opt->port,
			    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

enum armsim_result armsim_start(const struct armsim_options *opt, struct world *world,
				json_t *source, struct armsim **out, struct strbuf *err)
{
	struct armsim *sim = xcalloc(1, sizeof(*sim));
	unsigned port = 0, flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
	enum armsim_result res = ARMSIM_LISTEN_FAILED;
	pthread_condattr_t ca;

	sim->opt = *opt;
	sim->signer = opt->signer; /* stolen whatever happens next */
	sim->opt.signer = NULL;
	sim->world = world;
	sim->source = source;
	sim->listen_fd = -1;
	sim->id_salt = rng_mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
	sim->stats_ops = json_object();
	sim->throttle = throttle_new();
	pthread_mutex_init(&sim->stats_lock, NULL);
	pthread_mutex_init(&sim->token_lock, NULL);
	pthread_mutex_init(&sim->timer_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sim->timer_cond, &ca);
	pthread_cond_init(&sim->tick_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (opt->log_path && !(sim->log = fopen(opt->log_path, "a"))) {
		strbuf_addf(err, "cannot open '%s': %s", opt->log_path, strerror(errno));
		goto fail;
	}
	if (opt->tls_cert_pem) {
		res = ARMSIM_TLS_FAILED;
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			strbuf_addstr(err, "this libmicrohttpd was built without TLS support");
			goto fail;
		}
		flags |= MHD_USE_TLS;
	}
	if (!sim->signer)
		sim->signer = token_signer_new(opt->tls_key_pem, err);
	if (!sim->signer)
		goto fail;
	res = ARMSIM_LISTEN_FAILED;
	raise_fd_limit();
	sim->listen_fd = open_listener(opt, &port, err);
	if (sim->listen_fd < 0)
		goto fail;
	snprintf(sim->url, sizeof(sim->url), "%s://%s:%u", opt->tls_cert_pem ? "https" : "http",
		 opt->listen_host, port);
	if (pthread_create(&sim->timer_thread, NULL, timer_main, sim)) {
		strbuf_addstr(err, "cannot start the timer thread");
		goto fail;
	}
	sim->timer_started = 1;
	if (pthread_create(&sim->tick_thread, NULL, tick_main, sim)) {
		strbuf_addstr(err, "cannot start the tick thread");
		goto fail;
	}
	sim->tick_started = 1;
	if (opt->tls_cert_pem)
		sim->daemon = MHD_start_daemon(
			flags, 0, NULL, NULL, on_access, sim, MHD_OPTION_LISTEN_SOCKET, sim->listen_fd,
			MHD_OPTION_THREAD_POOL_SIZE, opt->threads ? opt->threads : 1,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)20000, MHD_OPTION_CONNECTION_TIMEOUT,
			(unsigned)120, MHD_OPTION_NOTIFY_COMPLETED, on_completed, sim,
			MHD_OPTION_NOTIFY_CONNECTION, on_connection, sim, MHD_OPTION_HTTPS_MEM_KEY,
			opt->tls_key_pem, MHD_OPTION_HTTPS_MEM_CERT, opt->tls_cert_pem, MHD_OPTION_END);
	else
		sim->daemon = MHD_start_daemon(
			flags, 0, NULL, NULL, on_access, sim, MHD_OPTION_LISTEN_SOCKET, sim->listen_fd,
			MHD_OPTION_THREAD_POOL_SIZE, opt->threads ? opt->threads : 1,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)20000, MHD_OPTION_CONNECTION_TIMEOUT,
			(unsigned)120, MHD_OPTION_NOTIFY_COMPLETED, on_completed, sim,
			MHD_OPTION_NOTIFY_CONNECTION, on_connection, sim, MHD_OPTION_END);
	if (!sim->daemon) {
		strbuf_addf(err, "cannot start the HTTP%s server on '%s'",
			    opt->tls_cert_pem ? "S" : "", sim->url);
		if (opt->tls_cert_pem)
			res = ARMSIM_TLS_FAILED;
		goto fail;
	}
	*out = sim;
	return ARMSIM_OK;
fail:
	sim->world = NULL; /* the caller keeps it on failure */
	sim->source = NULL;
	armsim_stop(sim);
	return res;
}

void armsim_stop(struct armsim *sim)
{
	size_t i;
	if (!sim)
		return;
	if (sim->timer_started || sim->tick_started) {
		pthread_mutex_lock(&sim->timer_lock);
		sim->stopping = 1;
		pthread_cond_signal(&sim->timer_cond);
		pthread_cond_signal(&sim->tick_cond);
		pthread_mutex_unlock(&sim->timer_lock);
	}
	if (sim->tick_started)
		pthread_join(sim->tick_thread, NULL);
	if (sim->timer_started)
		pthread_join(sim->timer_thread, NULL);
	if (sim->daemon)
		MHD_stop_daemon(sim->daemon);
	if (sim->listen_fd >= 0)
		close(sim->listen_fd);
	if (sim->log)
		fclose(sim->log);
	token_signer_free(sim->signer);
	throttle_free(sim->throttle);
	policy_engine_free(sim->engine);
	world_free(sim->world);
	json_decref(sim->source);
	json_decref(sim->stats_ops);
	free(sim->heap);
	for (i = 0; i < TOKEN_CACHE; i++) {
		free(sim->token_cache[i]);
		json_decref(sim->token_claims[i]);
	}
	pthread_mutex_destroy(&sim->token_lock);
	pthread_mutex_destroy(&sim->stats_lock);
	pthread_mutex_destroy(&sim->timer_lock);
	pthread_cond_destroy(&sim->timer_cond);
	pthread_cond_destroy(&sim->tick_cond);
	free(sim);
}

const char *armsim_url(const struct armsim *sim)
{
	return sim->url;
}

struct world *armsim_world(struct armsim *sim)
{
	return sim->world;
}

void armsim_set_policy_engine(struct armsim *sim, struct policy_engine *engine)
{
	policy_engine_free(sim->engine);
	sim->engine = engine;
}

struct token_signer *armsim_signer(struct armsim *sim)
{
	return sim->signer;
}

const struct armsim_options *armsim_options(const struct armsim *sim)
{
	return &sim->opt;
}
