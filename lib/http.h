/*
 * http — the one libcurl multi engine every request to Azure goes through.
 *
 * Callers queue requests with a completion callback and pump the engine with
 * http_engine_run(); nothing ever blocks on one request. The engine owns one curl multi handle,
 * keeps at most `concurrency` transfers in flight (HTTP/2 multiplexed where the server offers
 * it, connections reused), and retries on its own: transport errors, 408, 429, 500, 502, 503,
 * 504, honouring Retry-After (seconds or HTTP-date) exactly, else exponential backoff with full
 * jitter up to a cap, bounded by a number of tries and by the request's deadline. A request
 * that is not idempotent (a POST without HTTP_IDEMPOTENT) is only resent when the server cannot
 * have acted on it (no connection, 408, 429).
 *
 * Pacing: a request may name a token bucket (e.g. one per subscription and kind). The engine
 * keeps a local bucket per key, corrects it from the rate-limit header the server returns
 * (x-ms-ratelimit-remaining-*), and after a 429 sends nothing to that bucket until its
 * Retry-After has passed. A retry or a delayed request sets a not-before time; the loop waits
 * in epoll (libcurl driven by curl_multi_socket_action), never in sleep.
 *
 * TLS verification is always on. ca_file adds trust to the system bundle (it does not replace
 * it). Plain http:// is refused unless the host is loopback (127.0.0.0/8, ::1, localhost), or
 * the metadata address 169.254.169.254 (which only speaks HTTP) for a request flagged
 * HTTP_IDENTITY_ENDPOINT. Requests to loopback and the metadata address never go through a
 * proxy (http_proxy and friends), which would otherwise see their headers in clear.
 *
 * With -v every attempt logs one line out and one line back (method, URL, status, bytes, time,
 * try); request headers (Authorization) and bodies are never logged.
 *
 * Not thread-safe: one engine is driven by one thread.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#include "lib/strbuf.h"

struct http_engine;

enum http_result {
	HTTP_OK = 0,        /* a response arrived (any status): look at status */
	HTTP_ERR_TRANSPORT, /* connect, TLS, reset or truncated body, after the retries allowed */
	HTTP_ERR_TIMEOUT,   /* the request's deadline passed (retries and waits included) */
	HTTP_ERR_TOO_LARGE, /* the response body exceeded the engine's body cap */
	HTTP_ERR_INSECURE,  /* http:// to a host that is not loopback, or a bad URL: nothing sent */
	HTTP_ERR_CANCELLED, /* the engine was freed before the request completed, or its
			     * before-send hook refused to let it leave */
	HTTP_ERR_AUTH,      /* the authorize hook failed (no token): nothing sent */
};

/* Short lowercase name of a result ("transport error", "timeout", ...); static string. */
const char *http_result_name(enum http_result result);

enum http_request_flags {
	/* Resending is safe even after the server may have acted (GET, PUT, DELETE, PATCH are
	 * assumed idempotent; set this for a POST that is, e.g. listDeployments). */
	HTTP_IDEMPOTENT = 1 << 0,
	HTTP_NO_RETRY = 1 << 1, /* one attempt only, whatever happens */
	HTTP_AUTHORIZE = 1 << 2, /* call the engine's authorize hook before each attempt; a 401
				  * invalidates the token once and retries */
	HTTP_IDENTITY_ENDPOINT = 1 << 3, /* a managed-identity token request: plain http:// to
					  * the metadata address 169.254.169.254 is allowed */
};

struct http_header {
	char *name;  /* owned; as received */
	char *value; /* owned; trimmed */
};

struct http_request {
	const char *method;          /* "GET", "PUT", "PATCH", "DELETE", "POST" (copied) */
	const char *url;             /* absolute URL (copied) */
	const char *const *headers;  /* NULL-terminated "Name: value" lines, or NULL (copied) */
	const char *body;            /* request body or NULL (copied) */
	size_t body_len;
	unsigned flags;              /* enum http_request_flags */
	long timeout_ms;             /* deadline for the whole request, retries and waits
				      * included; 0 = the engine's default */
	long delay_ms;               /* do not send before now + delay_ms (polling intervals) */
	const char *bucket;          /* pacing bucket key (copied), NULL = not paced */
	const char *ratelimit_header; /* response header reporting that bucket's remaining
				       * requests, e.g. "x-ms-ratelimit-remaining-subscription-reads" */
};

struct http_response {
	enum http_result result;
	long status;                 /* status of the final attempt; 0 when none arrived */
	struct strbuf body;          /* body of the final attempt (capped); the callback may
				      * strbuf_detach() it to keep it */
	struct http_header *headers; /* headers of the final attempt (owned by the engine) */
	size_t headers_nr;
	const char *error;           /* what went wrong when result != HTTP_OK (engine-owned) */
	const char *method;          /* of the request (engine-owned) */
	const char *url;             /* of the request (engine-owned) */
	unsigned tries;              /* attempts sent (1 = no retry) */
	long elapsed_ms;             /* from submit to completion, waits included */
};

/* A response header by name, case-insensitively; borrowed, NULL when absent. */
const char *http_response_header(const struct http_response *resp, const char *name);

/*
 * Completion callback. resp is borrowed and valid only during the call (take the body with
 * strbuf_detach). It runs from http_engine_run(), never from inside http_engine_submit(), and
 * may submit new requests.
 */
typedef void http_done_fn(struct http_response *resp, void *data);

/*
 * Authorize hook: appends a whole header line ("Authorization: Bearer ...") to header for a
 * request to url. Returns 0, or -1 with err set (the request then fails with HTTP_ERR_AUTH).
 * invalidate tells the hook its last token was refused (401) so the next call refreshes.
 * Called from inside http_engine_run(); it may block briefly (a token request).
 */
typedef int http_authorize_fn(void *data, const char *url, struct strbuf *header,
			      struct strbuf *err);
typedef void http_invalidate_fn(void *data);

struct http_engine_options {
	int concurrency;          /* transfers in flight; 0 = 32 */
	long request_timeout_ms;  /* default deadline per request incl. retries; 0 = 10 min */
	long attempt_timeout_ms;  /* one attempt; 0 = 100 s */
	long connect_timeout_ms;  /* 0 = 10 s */
	unsigned max_tries;       /* attempts per request; 0 = 10 */
	long backoff_base_ms;     /* first backoff ceiling; 0 = 500 ms */
	long backoff_cap_ms;      /* backoff ceiling cap; 0 = 30 s */
	long retry_after_cap_ms;  /* a Retry-After longer than this fails the request instead
				   * of waiting; 0 = 10 min */
	size_t body_cap;          /* response body cap; 0 = 64 MiB */
	const char *ca_file;      /* extra PEM trust added to the system bundle (borrowed,
				   * read at http_engine_new) */
	const char *user_agent;   /* borrowed, copied; NULL = "policyctl/<version>" */
	unsigned long seed;       /* jitter seed; 0 = from the clock */
	http_authorize_fn *authorize;   /* for HTTP_AUTHORIZE requests; may be NULL */
	http_invalidate_fn *invalidate; /* may be NULL */
	void *auth_data;                /* borrowed, passed to both */
};

/*
 * Creates an engine. opts (borrowed) may be NULL for all defaults. Returns 0 and *out (new,
 * free with http_engine_free), or -1 with err set (unreadable ca_file, curl init failure).
 */
int http_engine_new(const struct http_engine_options *opts, struct http_engine **out,
		    struct strbuf *err);

/*
 * Completes every pending request with HTTP_ERR_CANCELLED (callbacks run, so their data can be
 * freed there), then frees the engine. NULL is a no-op.
 */
void http_engine_free(struct http_engine *engine);

/*
 * Queues a request; everything in req is copied. done(resp, data) runs exactly once, from
 * http_engine_run() (a refused URL completes with HTTP_ERR_INSECURE there too).
 */
void http_engine_submit(struct http_engine *engine, const struct http_request *req,
			http_done_fn *done, void *data);

/* Runs fn(data) once, from http_engine_run(), no sooner than delay_ms from now. */
void http_engine_add_timer(struct http_engine *engine, long delay_ms,
			   void (*fn)(void *data), void *data);

/*
 * Pumps transfers, retries, timers and callbacks. timeout_ms < 0: until nothing is pending;
 * 0: one non-blocking pass; > 0: until idle or that much time has passed. Returns the number
 * of requests and timers still pending. Must not be called from inside a callback.
 */
size_t http_engine_run(struct http_engine *engine, long timeout_ms);
/*
 * Called before each request is handed to libcurl and before the engine waits, so that what
 * the caller recorded about its requests is on disk before they leave (the orchestrator
 * commits its ledger here). Returns 0 to go on; non-zero: the request is not sent and
 * completes HTTP_ERR_CANCELLED ("not sent").
 */
typedef int http_before_send_fn(void *data);
void http_engine_set_before_send(struct http_engine *engine, http_before_send_fn *fn, void *data);

/*
 * From inside a callback: the http_engine_run in progress returns once this turn's callbacks
 * have run, before its timeout (the caller has something to do sooner than it said).
 */
void http_engine_return_soon(struct http_engine *engine);

/* Requests and timers queued, waiting or in flight. */
size_t http_engine_pending(const struct http_engine *engine);

struct http_stats {
	unsigned long requests;     /* submitted */
	unsigned long completed;    /* callbacks run */
	unsigned long attempts;     /* transfers sent */
	unsigned long retries;      /* attempts beyond the first */
	unsigned long throttled;    /* 429 responses received */
	unsigned long server_errors; /* 408/5xx responses received */
	unsigned long transport_errors; /* attempts that failed below HTTP */
	unsigned long paced;        /* times a request waited for its bucket */
	unsigned long failed;       /* completed with result != HTTP_OK */
	int peak_in_flight;
};
void http_engine_stats(const struct http_engine *engine, struct http_stats *out);

/*
 * Parses a Retry-After value (delta seconds, or an IMF-fixdate/RFC 850/asctime HTTP-date
 * relative to now_s, a Unix time) into milliseconds from now (0 for a date in the past).
 * Returns 0, or -1 when value is not valid.
 */
int http_parse_retry_after(const char *value, long long now_s, long *ms);

/* Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime) into Unix seconds: 0, or -1. */
int http_parse_date(const char *value, long long *unix_s);

/*
 * now + delta_ms, saturating at LLONG_MAX/LLONG_MIN instead of overflowing: a server's
 * Retry-After of 10^17 s must give "far away", never a time in the past.
 */
long long http_add_ms(long long now, long long delta_ms);

/* 0 when url may be used (https://, or http:// to loopback), else -1 with err set. */
int http_check_url(const char *url, struct strbuf *err);
/* The same for a managed-identity endpoint: http:// to 169.254.169.254 is allowed too. */
int http_check_identity_url(const char *url, struct strbuf *err);

/* Whether a status is retried (408, 429, 500, 502, 503, 504). */
int http_status_is_retryable(long status);
/*
 * Whether an ARM error code (borrowed; NULL or "" is no) says "slow down": it names throttling,
 * too many requests, a limit or a quota ("SubscriptionRequestsThrottled", "TooManyRequests",
 * "RateLimitExceeded", "QuotaExceeded"...), compared ignoring case. The one word list for a
 * 429 that is retried (another code on a 429 is a real error) and a remediation create that
 * goes back to the queue.
 */
int http_code_is_throttling(const char *code);

/*
 * Full-jitter backoff: a uniform value in [0, min(cap, base * 2^(attempt-1))] (attempt >= 1),
 * drawn from *state (a xorshift seed, advanced).
 */
long http_backoff_ms(unsigned attempt, long base_ms, long cap_ms, unsigned long *state);

#endif
