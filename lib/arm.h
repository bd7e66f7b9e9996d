/*
 * arm — Azure Resource Manager on top of the http engine: resource ids in, JSON out.
 *
 * A struct arm_client owns an http engine, the cloud endpoints and the credential. Callers
 * either queue calls (arm_submit, arm_submit_list) with a completion callback and pump
 * arm_client_run() from their event loop, or use the synchronous wrappers (arm_get, arm_put,
 * arm_patch, arm_delete, arm_post, arm_list) for simple cases; both kinds share the same engine,
 * concurrency cap, retries and pacing.
 *
 * What the layer adds to the engine:
 * - api-version from one table per resource type (arm_api_version), unless the URL has one or
 *   the caller passes one;
 * - headers: Authorization, x-ms-client-request-id (new per call), x-ms-correlation-request-id
 *   (one per client run), User-Agent policyctl/<version>, Content-Type for bodies;
 * - pacing buckets per subscription (or tenant, for other scopes) and kind (reads, writes,
 *   deletes), fed by the x-ms-ratelimit-remaining-* headers;
 * - errors parsed into struct arm_error (code, message, target, details, status, request ids);
 * - paging (nextLink by GET, @odata.nextLink by POST with the same body, empty pages that still
 *   carry a link, a cap on pages);
 * - long-running operations (ARM_FOLLOW_LRO): Azure-AsyncOperation or Location polling with
 *   Retry-After or a default interval, terminal states Succeeded/Failed/Canceled, a deadline;
 * - dry run: writes (PUT, PATCH, DELETE, and POST without ARM_READ) are printed with msg_out as
 *   "dry-run: METHOD URL" plus the body, and never sent; reads still go out.
 *
 * Not thread-safe: one client is driven by one thread.
 */
#ifndef ARM_H
#define ARM_H

#include <jansson.h>
#include <stddef.h>

#include "lib/config.h"
#include "lib/credential.h"
#include "lib/http.h"
#include "lib/strbuf.h"

struct arm_client;

enum arm_result {
	ARM_OK = 0,
	ARM_ERR_HTTP,         /* ARM answered with an error status: see resp->error */
	ARM_ERR_TRANSPORT,    /* no usable answer after the retries allowed */
	ARM_ERR_TIMEOUT,      /* the call's deadline passed (retries, pages, LRO polls included) */
	ARM_ERR_AUTH,         /* no token: the credential failed (error.message says why) */
	ARM_ERR_BAD_RESPONSE, /* a body that is not the JSON promised, or too large */
	ARM_ERR_LRO_FAILED,   /* the long-running operation ended Failed or Canceled */
	ARM_ERR_PAGE_CAP,     /* more pages than max_pages (items so far are in resp->body) */
	ARM_ERR_INVALID,      /* bad argument: no api-version known, insecure URL, ... */
	ARM_ERR_CANCELLED,    /* the client was freed before the call completed */
};

/* Short lowercase name of a result ("http error", "timeout", ...); static string. */
const char *arm_result_name(enum arm_result result);

/*
 * Everything known about a failure. All strings are owned by the struct and NULL when absent;
 * details and additional_info are owned references (arrays) or NULL.
 */
struct arm_error {
	long status;             /* HTTP status, 0 when none arrived */
	char *code;              /* error.code, e.g. "AuthorizationFailed" */
	char *message;           /* error.message, or the transport/parse failure text */
	char *target;            /* error.target */
	json_t *details;         /* error.details */
	json_t *additional_info; /* error.additionalInfo (PolicyViolation lives here) */
	char *request_id;        /* x-ms-request-id of the failing response */
	char *correlation_id;    /* x-ms-correlation-request-id */
	char *client_request_id; /* x-ms-client-request-id we sent */
	char *method;            /* of the failing request */
	char *url;               /* of the failing request, without query string */
};

/*
 * Parses an ARM error body (text, len) into err (released first, then filled; status and the
 * request ids are not touched). Accepts {"error":{...}}, a bare {"code","message"} and
 * OData-style {"error":{"message":{"value":...}}}. Returns 0, or -1 when text is not such
 * JSON (err->message then says so).
 */
int arm_error_parse(struct arm_error *err, const char *text, size_t len);

/*
 * One line for a user: 'PUT /subscriptions/..../policyAssignments/x: 403 AuthorizationFailed:
 * The client ... (target 'x'; x-ms-request-id ...; x-ms-correlation-request-id ...)'.
 */
void arm_error_format(const struct arm_error *err, struct strbuf *out);
void arm_error_release(struct arm_error *err);

struct arm_response {
	enum arm_result result;
	long status;             /* final HTTP status (of the LRO's last poll when followed) */
	json_t *body;            /* parsed body (owned by the response; json_incref to keep it),
				  * NULL when empty. arm_list/arm_submit_list without a page
				  * callback: a JSON array of all items. LRO: the final resource
				  * or status body. Dry-run write: a copy of the body not sent. */
	struct arm_error error;  /* filled when result != ARM_OK */
	char *request_id;        /* x-ms-request-id of the final response (owned) */
	char *location;          /* Location header of the final response (owned) */
	long long server_time_s; /* the final response's Date header as Unix seconds (the
				  * server's clock: Azure judges expiries by it); 0 when absent */
	char *user_quota_remaining;   /* Resource Graph's x-ms-user-quota-remaining (owned) */
	char *user_quota_resets_after; /* and x-ms-user-quota-resets-after, "hh:mm:ss" (owned) */
	unsigned tries;          /* HTTP attempts spent, all pages and polls included */
	unsigned pages;          /* pages fetched (lists) or polls made (LROs) */
	long elapsed_ms;
	int dry_run;             /* the write was printed, not sent */
};

/* Frees what a response owns and zeroes it. */
void arm_response_release(struct arm_response *resp);

enum arm_call_flags {
	ARM_FOLLOW_LRO = 1 << 0,  /* on 201/202 with Azure-AsyncOperation or Location, poll to a
				   * terminal state before completing */
	ARM_READ = 1 << 1,        /* a POST that only reads (queryResults, listDeployments,
				   * summarize): paced as a read, sent in dry run, retried */
	ARM_IDEMPOTENT = 1 << 2,  /* a POST that may safely be resent (e.g. triggerEvaluation) */
	ARM_NO_RETRY = 1 << 3,    /* one attempt only */
	ARM_DISCARD_BODY = 1 << 4, /* the caller never reads a 2xx answer's body (a PUT's echo of
				   * what it sent): it is not parsed and resp.body stays NULL. Not
				   * with ARM_FOLLOW_LRO or lists; error bodies are parsed as always */
};

struct arm_call_options {
	const char *api_version;  /* NULL: from the table (or the URL's own) */
	const char *query;        /* extra query, already encoded ("$filter=..."), or NULL */
	unsigned flags;           /* enum arm_call_flags */
	long timeout_ms;          /* whole call incl. retries, pages, polls; 0 = default */
	long delay_ms;            /* send no sooner than this from now (polling) */
	long lro_interval_ms;     /* LRO poll interval without Retry-After; 0 = 5 s */
	unsigned max_pages;       /* 0 = 100000 */
	const char *body_text;    /* with a NULL body argument: the body already serialized, sent */
	size_t body_len;          /* as is (a caller that also digests it serializes it once) */
};

/*
 * Completion callback: resp is borrowed for the call (json_incref resp->body to keep it).
 * Runs from arm_client_run() or a synchronous wrapper's pump, never inside arm_submit();
 * it may submit more calls but must not call the synchronous wrappers or arm_client_run().
 */
typedef void arm_done_fn(struct arm_client *client, struct arm_response *resp, void *data);

/*
 * Page callback for lists: items is the page's "value" array (borrowed; may be empty). Return
 * 0 to go on, non-zero to stop (the call then completes ARM_OK with what was seen).
 */
typedef int arm_page_fn(struct arm_client *client, json_t *items, void *data);

struct arm_client_options {
	int dry_run;                   /* print writes instead of sending them */
	int read_only;                 /* refuse writes: they complete ARM_ERR_INVALID unsent */
	struct credential *credential; /* borrowed; NULL: built from the config */
	const char *correlation_id;    /* NULL: a new UUID for this client's lifetime */
	long call_timeout_ms;          /* default deadline per call; 0 = 10 min */
	long lro_timeout_ms;           /* default deadline for a followed LRO; 0 = 1 h */
	struct http_engine_options http; /* engine tuning; zeros = defaults, concurrency from
					  * cfg->run_concurrency, ca_file from the cloud */
};

/*
 * Creates a client for cfg (borrowed; must outlive the client). opts may be NULL. Resolves the
 * cloud, builds the credential (its configuration errors surface here, naming the credential
 * and the fix) and the engine. Returns ARM_OK and *out (new, arm_client_free), or an error
 * with err set to one line.
 */
enum arm_result arm_client_new(const struct config *cfg, const struct arm_client_options *opts,
			       struct arm_client **out, struct strbuf *err);

/*
 * Gets the first token now, before any resource request: ARM_OK, or ARM_ERR_AUTH with err
 * holding the credential chain's report (credential_check) — one message for a run, not one
 * per resource.
 */
enum arm_result arm_client_authenticate(struct arm_client *client, struct strbuf *err);

/* The access token the client sends (borrowed, valid until the next client call), or
 * ARM_ERR_AUTH with err naming the credential. For diagnostics (doctor reads its claims). */
enum arm_result arm_client_token(struct arm_client *client, const char **token,
				 struct strbuf *err);

/*
 * Completes every pending call with ARM_ERR_CANCELLED (callbacks run), then frees the client,
 * its engine and the credential it built. NULL is a no-op.
 */
void arm_client_free(struct arm_client *client);

/*
 * Queues method on path: a resource id ("/subscriptions/.../x", relative to the ARM endpoint)
 * or an absolute URL on the ARM endpoint (nextLink, Location). body (borrowed, may be NULL) is
 * serialized now; opts (borrowed, may be NULL) is copied. done(client, resp, data) runs
 * exactly once.
 */
void arm_submit(struct arm_client *client, const char *method, const char *path,
		const json_t *body, const struct arm_call_options *opts,
		arm_done_fn *done, void *data);

/*
 * Queues a list: method is "GET" (pages by nextLink) or "POST" (queryResults, listDeployments:
 * pages by nextLink or @odata.nextLink, each fetched with POST and the same body). With page
 * set, each page's items go to page(); else the items accumulate into resp->body (an array).
 * The same data pointer goes to page() and to done().
 */
void arm_submit_list(struct arm_client *client, const char *method, const char *path,
		     const json_t *body, const struct arm_call_options *opts,
		     arm_page_fn *page, arm_done_fn *done, void *data);

/* Runs fn(client, data) once from arm_client_run(), no sooner than delay_ms from now. */
void arm_client_add_timer(struct arm_client *client, long delay_ms,
			  void (*fn)(struct arm_client *client, void *data), void *data);

/*
 * Pumps the engine: timeout_ms < 0 until no call or timer is pending, 0 one non-blocking pass,
 * > 0 until idle or that long. Returns the number of calls and timers still pending.
 */
size_t arm_client_run(struct arm_client *client, long timeout_ms);
size_t arm_client_pending(const struct arm_client *client);
/* The engine's before-send hook (http_engine_set_before_send); fn NULL removes it. */
void arm_client_set_before_send(struct arm_client *client, int (*fn)(void *data), void *data);
/* From inside a callback: the arm_client_run in progress returns once this turn's callbacks
 * have run (the caller has work due before the timeout it gave). */
void arm_client_return_soon(struct arm_client *client);

/*
 * Synchronous wrappers: submit, pump until this call completes (other queued calls progress
 * too), and fill *resp (released first by the caller's responsibility: pass a zeroed or
 * released struct; release it with arm_response_release). Return resp->result.
 */
enum arm_result arm_get(struct arm_client *client, const char *path,
			const struct arm_call_options *opts, struct arm_response *resp);
enum arm_result arm_put(struct arm_client *client, const char *path, const json_t *body,
			const struct arm_call_options *opts, struct arm_response *resp);
enum arm_result arm_patch(struct arm_client *client, const char *path, const json_t *body,
			  const struct arm_call_options *opts, struct arm_response *resp);
enum arm_result arm_delete(struct arm_client *client, const char *path,
			   const struct arm_call_options *opts, struct arm_response *resp);
enum arm_result arm_post(struct arm_client *client, const char *path, const json_t *body,
			 const struct arm_call_options *opts, struct arm_response *resp);
/* All pages; resp->body is the array of every item. */
enum arm_result arm_list(struct arm_client *client, const char *method, const char *path,
			 const json_t *body, const struct arm_call_options *opts,
			 struct arm_response *resp);

/*
 * Reads one page of a list response (body borrowed): *items is its "value" array (borrowed
 * from body; NULL when absent), *next_url the nextLink (or @odata.nextLink) made into the URL
 * to fetch next (new; NULL on the last page). A link that leaves arm_endpoint's origin would
 * carry the token elsewhere: ARM_ERR_BAD_RESPONSE with err set (and *items NULL), as for a
 * body that is not an object with a 'value' array. Exposed for tests and fuzzing.
 */
enum arm_result arm_page_parse(const json_t *body, const char *arm_endpoint, json_t **items,
			       char **next_url, struct strbuf *err);

/*
 * The wait before the next poll of a long-running operation: the Retry-After value (borrowed,
 * may be NULL; seconds or an HTTP-date relative to now_s), else interval_ms (0 = 5 s),
 * clamped to at least 1 s (or interval_ms when that is shorter) and at most 2 minutes. A
 * Retry-After of 0, a date in the past or 10^17 seconds therefore never makes the loop spin
 * or overflow.
 */
long arm_lro_poll_delay_ms(const char *retry_after, long interval_ms, long long now_s);

/* The api-version for the resource type path names (case-insensitive); static string or NULL. */
const char *arm_api_version(const char *path);

/* The correlation id every request of this client carries (borrowed). */
const char *arm_client_correlation_id(const struct arm_client *client);
/* The credential in use (borrowed). */
struct credential *arm_client_credential(struct arm_client *client);

struct arm_stats {
	struct http_stats http;   /* engine counters: attempts, retries, 429s, ... */
	unsigned long calls;      /* arm calls completed */
	unsigned long failed;     /* completed with result != ARM_OK */
	unsigned long pages;      /* list pages fetched */
	unsigned long lro_polls;  /* LRO polls sent */
	unsigned long dry_run_writes;
};
void arm_client_stats(const struct arm_client *client, struct arm_stats *out);

/*
 * Parses the body of a successful ARM response as the JSON object or array a caller expects.
 * Returns a new reference, or NULL with err naming the request ("GET URL: response is not
 * JSON: ..."). Empty text gives NULL with err empty. Exposed for tests and callers that hold
 * raw bodies.
 */
json_t *arm_parse_body(const char *method, const char *url, const char *text, size_t len,
		       struct strbuf *err);

#endif
