/*
 * arm — Resource Manager calls on top of the http engine (see arm.h).
 *
 * A call (struct arm_call) is one logical operation: a single request, a list that walks its
 * pages, or a write followed through its long-running operation. Each step is one engine
 * request whose completion (on_http_done) decides the next step or completes the call, so a
 * thousand calls interleave on one engine without any of them blocking. Dry-run writes and
 * immediate failures complete from the client's deferred list, never inside arm_submit.
 */
#include <ctype.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/arm.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define DEFAULT_LRO_INTERVAL_MS 5000
/* LRO polls are never closer than this (unless the caller's interval is shorter) ... */
#define LRO_POLL_FLOOR_MS 1000
/* ... nor further apart than this, whatever Retry-After says (the deadline still applies) */
#define LRO_POLL_CEILING_MS 120000
#define DEFAULT_MAX_PAGES 100000

/* One api-version per resource type: the newest each of our targets (and armsim) serves. */
static const struct {
	const char *type; /* lowercase "namespace/type" */
	const char *version;
} api_versions[] = {
	{ "microsoft.authorization/policydefinitions", "2023-04-01" },
	{ "microsoft.authorization/policysetdefinitions", "2023-04-01" },
	{ "microsoft.authorization/policyassignments", "2023-04-01" },
	{ "microsoft.authorization/policyexemptions", "2022-07-01-preview" },
	{ "microsoft.authorization/roleassignments", "2022-04-01" },
	{ "microsoft.authorization/roledefinitions", "2022-04-01" },
	{ "microsoft.policyinsights/remediations", "2021-10-01" },
	{ "microsoft.policyinsights/policystates", "2019-10-01" },
	{ "microsoft.policyinsights/asyncoperationresults", "2019-10-01" },
	{ "microsoft.web/sites", "2022-03-01" },
	{ "microsoft.management/managementgroups", "2021-04-01" },
	{ "microsoft.management/getentities", "2021-04-01" },
	{ "microsoft.resources/subscriptions", "2022-12-01" },
	{ "microsoft.resources/resourcegroups", "2021-04-01" },
};

enum call_phase {
	PHASE_REQUEST,   /* the call's own request (or the current page of a list) */
	PHASE_ASYNC_OP,  /* polling an Azure-AsyncOperation status URL */
	PHASE_LOCATION,  /* polling a Location URL: 202 while running */
	PHASE_FINAL_GET, /* fetching the resource after the operation succeeded */
};

struct arm_call {
	struct arm_client *client;
	char *method;               /* of the call */
	char *url;                  /* of the first request */
	char *body;                 /* serialized request body, or NULL */
	size_t body_len;
	struct arm_call_options opts;
	char *api_version;          /* opts.api_version, copied */
	char *query;                /* opts.query, copied */
	char *bucket;
	char *ratelimit_header;
	long long deadline;
	enum call_phase phase;
	char *final_url;            /* resource to GET after an async operation */
	int is_list;
	arm_page_fn *page;
	json_t *items;              /* accumulated list items */
	arm_done_fn *done;
	void *data;
	struct arm_response resp;   /* filled as the call goes */
	long long started;
	struct arm_call *next;      /* deferred list link */
};

struct arm_client {
	const struct config *cfg;
	struct cloud cloud;
	struct credential *credential;
	int owns_credential;
	struct http_engine *engine;
	int dry_run;
	int read_only;                  /* refuse writes (arm_client_options.read_only) */
	char *correlation_id;
	char *arm_origin;           /* scheme://host[:port] of the ARM endpoint */
	long call_timeout_ms;
	long lro_timeout_ms;
	struct arm_call *deferred_head, *deferred_tail;
	size_t deferred_nr;
	int return_soon;            /* arm_client_return_soon: end the arm_client_run in progress */
	struct arm_stats stats;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *arm_result_name(enum arm_result result)
{
	switch (result) {
	case ARM_OK: return "ok";
	case ARM_ERR_HTTP: return "http error";
	case ARM_ERR_TRANSPORT: return "transport error";
	case ARM_ERR_TIMEOUT: return "timeout";
	case ARM_ERR_AUTH: return "authentication failed";
	case ARM_ERR_BAD_RESPONSE: return "bad response";
	case ARM_ERR_LRO_FAILED: return "operation failed";
	case ARM_ERR_PAGE_CAP: return "too many pages";
	case ARM_ERR_INVALID: return "invalid request";
	case ARM_ERR_CANCELLED: return "cancelled";
	}
	return "unknown";
}

static void new_uuid(char out[37])
{
	unsigned char b[16];
	if (RAND_bytes(b, sizeof(b)) != 1) {
		size_t i;
		unsigned long x = (unsigned long)now_ms() ^ (unsigned long)(size_t)out;
		for (i = 0; i < sizeof(b); i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			b[i] = (unsigned char)(x >> 33);
		}
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* ---- errors ---- */

static char *dup_string(const json_t *j)
{
	return json_is_string(j) ? xstrdup(json_string_value(j)) : NULL;
}

void arm_error_release(struct arm_error *err)
{
	free(err->code);
	free(err->message);
	free(err->target);
	json_decref(err->details);
	json_decref(err->additional_info);
	free(err->request_id);
	free(err->correlation_id);
	free(err->client_request_id);
	free(err->method);
	free(err->url);
	memset(err, 0, sizeof(*err));
}

static void clear_error_body(struct arm_error *err)
{
	free(err->code);
	free(err->message);
	free(err->target);
	json_decref(err->details);
	json_decref(err->additional_info);
	err->code = err->message = err->target = NULL;
	err->details = err->additional_info = NULL;
}

int arm_error_parse(struct arm_error *err, const char *text, size_t len)
{
	json_t *root, *e, *message;
	int ret = -1;

	clear_error_body(err);
	root = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	if (!json_is_object(root)) {
		err->message = xstrdup(len ? "the error response is not ARM's JSON error (is the "
				       "endpoint Azure Resource Manager?)" : "the error response has no body");
		goto out;
	}
	e = json_object_get(root, "error");
	if (json_is_string(e)) {
		/* OAuth2 (Entra ID): {"error":"invalid_client","error_description":"AADSTS..."} */
		err->code = dup_string(e);
		err->message = dup_string(json_object_get(root, "error_description"));
		ret = 0;
		goto out;
	}
	if (!json_is_object(e))
		e = root; /* some providers return the error object bare */
	err->code = dup_string(json_object_get(e, "code"));
	message = json_object_get(e, "message");
	if (!err->code && !message && e == root) {
		/* App Service's own shape: {"Code","Message","Target","Details","Innererror"} */
		err->code = dup_string(json_object_get(e, "Code"));
		message = json_object_get(e, "Message");
	}
	if (json_is_object(message)) /* OData: "message": {"lang": "en-US", "value": "..."} */
		message = json_object_get(message, "value");
	err->message = dup_string(message);
	err->target = dup_string(json_object_get(e, "target"));
	if (json_is_array(json_object_get(e, "details")))
		err->details = json_incref(json_object_get(e, "details"));
	if (json_is_array(json_object_get(e, "additionalInfo")))
		err->additional_info = json_incref(json_object_get(e, "additionalInfo"));
	if (err->code || err->message)
		ret = 0;
	else
		err->message = xstrdup("the error response carries no error code or message (is the "
				       "endpoint Azure Resource Manager?)");
out:
	json_decref(root);
	return ret;
}

/* Text that came from a server, with its control characters made visible. */
static void add_server_text(struct strbuf *out, const char *s)
{
	msg_escape_into(out, s);
}

void arm_error_format(const struct arm_error *err, struct strbuf *out)
{
	const char *sep = " (";
	if (err->method && err->url) {
		strbuf_addf(out, "%s ", err->method);
		add_server_text(out, err->url);
		strbuf_addstr(out, ": ");
	}
	/* a success status is no error: the message says what was wrong with the response */
	if (err->status && (err->status < 200 || err->status > 299))
		strbuf_addf(out, "%ld ", err->status);
	if (err->code) {
		add_server_text(out, err->code);
		strbuf_addstr(out, ": ");
	}
	add_server_text(out, err->message ? err->message : "failed");
	if (err->target) {
		strbuf_addf(out, "%starget '", sep);
		add_server_text(out, err->target);
		strbuf_addch(out, '\'');
		sep = "; ";
	}
	if (err->request_id) {
		strbuf_addf(out, "%sx-ms-request-id ", sep);
		add_server_text(out, err->request_id);
		sep = "; ";
	}
	if (err->correlation_id) {
		strbuf_addf(out, "%sx-ms-correlation-request-id ", sep);
		add_server_text(out, err->correlation_id);
		sep = "; ";
	}
	if (strcmp(sep, " ("))
		strbuf_addch(out, ')');
}

void arm_response_release(struct arm_response *resp)
{
	json_decref(resp->body);
	arm_error_release(&resp->error);
	free(resp->request_id);
	free(resp->location);
	free(resp->user_quota_remaining);
	free(resp->user_quota_resets_after);
	memset(resp, 0, sizeof(*resp));
}

json_t *arm_parse_body(const char *method, const char *url, const char *text, size_t len,
		       struct strbuf *err)
{
	json_error_t jerr;
	json_t *json;
	size_t i;

	for (i = 0; i < len && isspace((unsigned char)text[i]); i++)
		;
	if (i == len)
		return NULL;
	json = json_loadb(text, len, 0, &jerr);
	if (!json) {
		strbuf_addf(err, "%s %s: response is not JSON: %s (line %d, column %d)", method, url,
			    jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	return json;
}

/* ---- api-versions and URLs ---- */

const char *arm_api_version(const char *path)
{
	char type[160];
	const char *p, *last = NULL, *q, *end;
	size_t i, n;

	end = strchr(path, '?');
	if (!end)
		end = path + strlen(path);
	/* the last /providers/NS/TYPE names the resource type */
	for (p = path; p < end; p++)
		if (*p == '/' && (size_t)(end - p) > 11 && !strncasecmp(p, "/providers/", 11))
			last = p + 11;
	if (last) {
		q = memchr(last, '/', (size_t)(end - last));
		if (!q)
			return NULL;
		q++;
		while (q < end && *q != '/')
			q++;
		n = (size_t)(q - last);
	} else {
		/* /subscriptions, /subscriptions/{id}, /subscriptions/{id}/resourceGroups[/{rg}] */
		const char *rg = NULL;
		for (p = path; p < end; p++)
			if (!strncasecmp(p, "/resourcegroups", 15))
				rg = p;
		if (rg)
			last = "microsoft.resources/resourcegroups";
		else if (!strncasecmp(path, "/subscriptions", 14))
			last = "microsoft.resources/subscriptions";
		else
			return NULL;
		n = strlen(last);
	}
	if (n >= sizeof(type))
		return NULL;
	for (i = 0; i < n; i++)
		type[i] = (char)tolower((unsigned char)last[i]);
	type[n] = '\0';
	for (i = 0; i < ARRAY_SIZE(api_versions); i++)
		if (!strcmp(api_versions[i].type, type))
			return api_versions[i].version;
	return NULL;
}

/* scheme://host[:port] of url, new. */
static char *origin_of(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return xstrdup("");
	p += 3;
	while (*p && *p != '/' && *p != '?')
		p++;
	return xstrndup(url, (size_t)(p - url));
}

/* A link from a response may only take our token back to the same ARM endpoint. */
static int same_origin(const char *arm_origin, const char *url)
{
	size_t n = strlen(arm_origin);
	return !strncasecmp(url, arm_origin, n) && (url[n] == '/' || url[n] == '?' || !url[n]);
}

/*
 * The URL for path (relative to arm_endpoint, or absolute on arm_origin) with api-version and
 * the extra query; -1 with err when none is known or the path leaves the ARM endpoint.
 */
static int build_url_at(const char *arm_origin, const char *arm_endpoint, const char *path,
			const char *api_version, const char *query, struct strbuf *url,
			struct strbuf *err)
{
	const char *rel = path;
	if (!strncasecmp(path, "https://", 8) || !strncasecmp(path, "http://", 7)) {
		if (!same_origin(arm_origin, path)) {
			strbuf_addf(err, "the server pointed to '%s', which is not the ARM endpoint "
				    "'%s': policyctl sends its token only there, so it stopped (check "
				    "that [cloud] arm_endpoint names the server that answered)",
				    path, arm_origin);
			return -1;
		}
		strbuf_addstr(url, path);
		rel = path + strlen(arm_origin);
	} else {
		strbuf_addstr(url, arm_endpoint);
		if (*path != '/')
			strbuf_addch(url, '/');
		strbuf_addstr(url, path);
	}
	if (!strstr(url->buf, "api-version=")) {
		if (!api_version)
			api_version = arm_api_version(rel);
		if (!api_version) {
			strbuf_addf(err, "no api-version known for '%s': pass one", rel);
			return -1;
		}
		strbuf_addf(url, "%capi-version=%s", strchr(url->buf, '?') ? '&' : '?', api_version);
	}
	if (query && *query)
		strbuf_addf(url, "&%s", query);
	return 0;
}

static int build_url(const struct arm_client *c, const char *path, const char *api_version,
		     const char *query, struct strbuf *url, struct strbuf *err)
{
	return build_url_at(c->arm_origin, c->cloud.arm_endpoint, path, api_version, query, url, err);
}

enum arm_result arm_page_parse(const json_t *body, const char *arm_endpoint, json_t **items,
			       char **next_url, struct strbuf *err)
{
	json_t *value = json_object_get(body, "value");
	const char *next;
	char *origin;
	struct strbuf url = STRBUF_INIT;
	enum arm_result ret = ARM_OK;

	*items = NULL;
	*next_url = NULL;
	if (!json_is_object(body) || (value && !json_is_array(value))) {
		strbuf_addstr(err, "a list response must be an object with a 'value' array");
		return ARM_ERR_BAD_RESPONSE;
	}
	*items = value;
	next = json_string_value(json_object_get(body, "nextLink"));
	if (!next || !*next)
		next = json_string_value(json_object_get(body, "@odata.nextLink"));
	if (!next || !*next)
		return ARM_OK;
	origin = origin_of(arm_endpoint);
	if (build_url_at(origin, arm_endpoint, next, NULL, NULL, &url, err) < 0) {
		*items = NULL;
		ret = ARM_ERR_BAD_RESPONSE;
	} else {
		*next_url = strbuf_detach(&url, NULL);
	}
	free(origin);
	strbuf_release(&url);
	return ret;
}

/* ---- calls ---- */

static int is_write(const struct arm_call *call)
{
	if (!strcmp(call->method, "GET") || !strcmp(call->method, "HEAD"))
		return 0;
	if (!strcmp(call->method, "POST") && (call->opts.flags & ARM_READ))
		return 0;
	return 1;
}

/*
 * Pacing bucket of one request: per subscription, else the tenant; per kind of request, as
 * ARM counts them (an LRO poll is a read even when the call was a write).
 */
static void choose_bucket(struct arm_call *call, const char *method, const char *url)
{
	const char *kind = !strcmp(method, "GET") || !strcmp(method, "HEAD") ||
			   (!strcmp(method, "POST") && (call->opts.flags & ARM_READ)) ? "reads" :
			   !strcmp(method, "DELETE") ? "deletes" : "writes";
	const char *path = strstr(url, "://");
	struct strbuf sb = STRBUF_INIT;

	free(call->bucket);
	free(call->ratelimit_header);
	path = path ? strchr(path + 3, '/') : url;
	call->ratelimit_header = xmalloc(64);
	if (path && !strncasecmp(path, "/subscriptions/", 15) && path[15] && path[15] != '/') {
		const char *id = path + 15;
		size_t n = strcspn(id, "/?"), i;
		strbuf_addstr(&sb, "sub/");
		for (i = 0; i < n; i++)
			strbuf_addch(&sb, (char)tolower((unsigned char)id[i]));
		strbuf_addf(&sb, "/%s", kind);
		snprintf(call->ratelimit_header, 64, "x-ms-ratelimit-remaining-subscription-%s", kind);
	} else {
		strbuf_addf(&sb, "tenant/%s", kind);
		snprintf(call->ratelimit_header, 64, "x-ms-ratelimit-remaining-tenant-%s", kind);
	}
	call->bucket = strbuf_detach(&sb, NULL);
}

static void call_free(struct arm_call *call)
{
	free(call->method);
	free(call->url);
	free(call->body);
	free(call->api_version);
	free(call->query);
	free(call->bucket);
	free(call->ratelimit_header);
	free(call->final_url);
	json_decref(call->items);
	arm_response_release(&call->resp);
	free(call);
}

static void defer(struct arm_client *c, struct arm_call *call)
{
	call->next = NULL;
	if (c->deferred_tail)
		c->deferred_tail->next = call;
	else
		c->deferred_head = call;
	c->deferred_tail = call;
	c->deferred_nr++;
}

/* Runs the callback and frees the call. */
static void finish(struct arm_call *call, enum arm_result result)
{
	struct arm_client *c = call->client;
	call->resp.result = result;
	call->resp.elapsed_ms = (long)(now_ms() - call->started);
	if (call->is_list && !call->page && result != ARM_ERR_CANCELLED) {
		json_decref(call->resp.body);
		call->resp.body = call->items;
		call->items = NULL;
	}
	if (result != ARM_OK) {
		if (!call->resp.error.method)
			call->resp.error.method = xstrdup(call->method);
		if (!call->resp.error.url)
			call->resp.error.url = xstrndup(call->url, strcspn(call->url, "?"));
		c->stats.failed++;
	}
	c->stats.calls++;
	if (call->done)
		call->done(c, &call->resp, call->data);
	call_free(call);
}

static void fail_with(struct arm_call *call, enum arm_result result, const char *message)
{
	clear_error_body(&call->resp.error);
	call->resp.error.message = xstrdup(message);
	finish(call, result);
}

static void on_http_done(struct http_response *hr, void *data);

/* Sends the call's next request: method on url (absolute), after delay_ms. */
static void send_step(struct arm_call *call, const char *method, const char *url,
		      const char *body, size_t body_len, long delay_ms)
{
	struct arm_client *c = call->client;
	char client_request_id[37], idline[80], corrline[128];
	const char *headers[6];
	struct http_request req;
	size_t n = 0;
	long long left = call->deadline - now_ms();

	new_uuid(client_request_id);
	snprintf(idline, sizeof(idline), "x-ms-client-request-id: %s", client_request_id);
	snprintf(corrline, sizeof(corrline), "x-ms-correlation-request-id: %s", c->correlation_id);
	headers[n++] = "Accept: application/json";
	headers[n++] = idline;
	headers[n++] = corrline;
	if (body)
		headers[n++] = "Content-Type: application/json";
	headers[n] = NULL;
	free(call->resp.error.client_request_id);
	call->resp.error.client_request_id = xstrdup(client_request_id);

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.body = body;
	req.body_len = body_len;
	req.flags = HTTP_AUTHORIZE;
	if (call->opts.flags & (ARM_IDEMPOTENT | ARM_READ))
		req.flags |= HTTP_IDEMPOTENT;
	if (call->opts.flags & ARM_NO_RETRY)
		req.flags |= HTTP_NO_RETRY;
	req.timeout_ms = left > 1 ? (long)left : 1;
	req.delay_ms = delay_ms;
	choose_bucket(call, method, url);
	req.bucket = call->bucket;
	req.ratelimit_header = call->ratelimit_header;
	http_engine_submit(c->engine, &req, on_http_done, call);
}

static enum arm_result map_http_result(enum http_result r)
{
	switch (r) {
	case HTTP_OK: return ARM_OK;
	case HTTP_ERR_TRANSPORT: return ARM_ERR_TRANSPORT;
	case HTTP_ERR_TIMEOUT: return ARM_ERR_TIMEOUT;
	case HTTP_ERR_TOO_LARGE: return ARM_ERR_BAD_RESPONSE;
	case HTTP_ERR_INSECURE: return ARM_ERR_INVALID;
	case HTTP_ERR_CANCELLED: return ARM_ERR_CANCELLED;
	case HTTP_ERR_AUTH: return ARM_ERR_AUTH;
	}
	return ARM_ERR_TRANSPORT;
}

long arm_lro_poll_delay_ms(const char *retry_after, long interval_ms, long long now_s)
{
	long floor_ms = LRO_POLL_FLOOR_MS, ms;
	if (interval_ms <= 0)
		interval_ms = DEFAULT_LRO_INTERVAL_MS;
	/* a caller that polls faster on purpose (armsim's scaled time) keeps its interval */
	if (interval_ms < floor_ms)
		floor_ms = interval_ms;
	if (!retry_after || http_parse_retry_after(retry_after, now_s, &ms) < 0)
		ms = interval_ms;
	if (ms < floor_ms)
		ms = floor_ms;
	if (ms > LRO_POLL_CEILING_MS)
		ms = LRO_POLL_CEILING_MS;
	return ms;
}

static long poll_delay(const struct arm_call *call, const struct http_response *hr)
{
	return arm_lro_poll_delay_ms(http_response_header(hr, "Retry-After"),
				     call->opts.lro_interval_ms, (long long)time(NULL));
}

static void set_header_copy(char **dst, const struct http_response *hr, const char *name)
{
	const char *v = http_response_header(hr, name);
	free(*dst);
	*dst = v ? xstrdup(v) : NULL;
}

/* The response's Date as Unix seconds, 0 when absent or unreadable. */
static long long server_time_of(const struct http_response *hr)
{
	const char *date = http_response_header(hr, "Date");
	long long s;
	return date && !http_parse_date(date, &s) ? s : 0;
}

/* A list page arrived: hand its items over and go on to the next link. */
static void on_page(struct arm_call *call, json_t *body)
{
	struct arm_client *c = call->client;
	json_t *value;
	char *next = NULL;
	struct strbuf err = STRBUF_INIT;

	/* a page whose link leaves the endpoint is refused whole, before its items are used */
	if (arm_page_parse(body, c->cloud.arm_endpoint, &value, &next, &err) != ARM_OK) {
		struct strbuf msg = STRBUF_INIT;
		strbuf_addf(&msg, "%s %s: %s", call->method, call->url, err.buf);
		fail_with(call, ARM_ERR_BAD_RESPONSE, msg.buf);
		strbuf_release(&msg);
		strbuf_release(&err);
		return;
	}
	call->resp.pages++;
	c->stats.pages++;
	if (value) {
		if (call->page) {
			if (call->page(c, value, call->data)) {
				finish(call, ARM_OK);
				goto out;
			}
		} else {
			json_array_extend(call->items, value);
		}
	}
	if (!next) {
		finish(call, ARM_OK);
		return;
	}
	if (call->resp.pages >= (call->opts.max_pages ? call->opts.max_pages : DEFAULT_MAX_PAGES)) {
		strbuf_addf(&err, "%s %s: stopped after %u pages (the cap)", call->method, call->url,
			    call->resp.pages);
		fail_with(call, ARM_ERR_PAGE_CAP, err.buf);
		goto out;
	}
	/* POST lists (policyStates, listDeployments) fetch every page with POST and the body */
	send_step(call, call->method, next, call->body, call->body_len, 0);
out:
	free(next);
	strbuf_release(&err);
}

/* A 201/202 of a followed write: start polling. Returns 1 when polling started. */
static int start_lro(struct arm_call *call, const struct http_response *hr)
{
	struct arm_client *c = call->client;
	const char *async = http_response_header(hr, "Azure-AsyncOperation");
	const char *location = http_response_header(hr, "Location");
	const char *poll = async ? async : location;
	struct strbuf url = STRBUF_INIT, err = STRBUF_INIT;

	if (!(call->opts.flags & ARM_FOLLOW_LRO) || (hr->status != 201 && hr->status != 202) || !poll)
		return 0;
	if (build_url(c, poll, NULL, NULL, &url, &err) < 0) {
		fail_with(call, ARM_ERR_BAD_RESPONSE, err.buf);
		goto out;
	}
	call->phase = async ? PHASE_ASYNC_OP : PHASE_LOCATION;
	if (async) {
		/* after success: PUT/PATCH read the resource back; others the Location, if any */
		if (location)
			call->final_url = xstrdup(location);
		else if (!strcmp(call->method, "PUT") || !strcmp(call->method, "PATCH"))
			call->final_url = xstrdup(call->url);
	}
	call->deadline = now_ms() + (call->opts.timeout_ms > 0 ? call->opts.timeout_ms : c->lro_timeout_ms);
	c->stats.lro_polls++;
	call->resp.pages++;
	send_step(call, "GET", url.buf, NULL, 0, poll_delay(call, hr));
out:
	strbuf_release(&url);
	strbuf_release(&err);
	return 1;
}

static void on_async_status(struct arm_call *call, const struct http_response *hr, json_t *body)
{
	struct arm_client *c = call->client;
	const char *status = json_string_value(json_object_get(body, "status"));
	struct strbuf url = STRBUF_INIT, err = STRBUF_INIT;

	if (!status) {
		strbuf_addf(&err, "GET %s: operation status has no 'status'", hr->url);
		fail_with(call, ARM_ERR_BAD_RESPONSE, err.buf);
		goto out;
	}
	if (!strcasecmp(status, "Succeeded")) {
		if (!call->final_url) {
			finish(call, ARM_OK);
		} else if (build_url(c, call->final_url, call->api_version, NULL, &url, &err) == 0) {
			call->phase = PHASE_FINAL_GET;
			send_step(call, "GET", url.buf, NULL, 0, 0);
		} else {
			/* the result lives elsewhere: we cannot say the write took effect */
			struct strbuf msg = STRBUF_INIT;
			strbuf_addf(&msg, "the operation succeeded but its result cannot be read: %s",
				    err.buf);
			fail_with(call, ARM_ERR_BAD_RESPONSE, msg.buf);
			strbuf_release(&msg);
		}
	} else if (!strcasecmp(status, "Failed") || !strcasecmp(status, "Canceled")) {
		json_t *e = json_object_get(body, "error");
		clear_error_body(&call->resp.error);
		if (json_is_object(e)) {
			call->resp.error.code = dup_string(json_object_get(e, "code"));
			call->resp.error.message = dup_string(json_object_get(e, "message"));
		}
		if (!call->resp.error.message) {
			strbuf_addf(&err, "the operation ended %s", status);
			call->resp.error.message = strbuf_detach(&err, NULL);
		}
		finish(call, ARM_ERR_LRO_FAILED);
	} else {
		c->stats.lro_polls++;
		call->resp.pages++;
		send_step(call, "GET", hr->url, NULL, 0, poll_delay(call, hr));
	}
out:
	strbuf_release(&url);
	strbuf_release(&err);
}

static void on_http_done(struct http_response *hr, void *data)
{
	struct arm_call *call = data;
	struct arm_client *c = call->client;
	struct strbuf err = STRBUF_INIT;
	json_t *body = NULL;

	call->resp.tries += hr->tries;
	call->resp.status = hr->status;
	set_header_copy(&call->resp.request_id, hr, "x-ms-request-id");
	set_header_copy(&call->resp.location, hr, "Location");
	call->resp.server_time_s = server_time_of(hr);
	set_header_copy(&call->resp.user_quota_remaining, hr, "x-ms-user-quota-remaining");
	set_header_copy(&call->resp.user_quota_resets_after, hr, "x-ms-user-quota-resets-after");
	free(call->resp.error.request_id);
	call->resp.error.request_id = call->resp.request_id ? xstrdup(call->resp.request_id) : NULL;
	set_header_copy(&call->resp.error.correlation_id, hr, "x-ms-correlation-request-id");
	free(call->resp.error.method);
	call->resp.error.method = xstrdup(hr->method);
	free(call->resp.error.url);
	call->resp.error.url = xstrndup(hr->url, strcspn(hr->url, "?"));
	call->resp.error.status = hr->status;

	if (hr->result != HTTP_OK) {
		fail_with(call, map_http_result(hr->result), hr->error ? hr->error : "request failed");
		goto out;
	}
	if (hr->status < 200 || hr->status > 299) {
		arm_error_parse(&call->resp.error, hr->body.buf, hr->body.len);
		if (hr->status >= 300 && hr->status <= 399 && !call->resp.error.code) {
			const char *to = http_response_header(hr, "Location");
			free(call->resp.error.message);
			strbuf_addf(&err, "the server answered with a redirect to '%s', which policyctl "
				    "does not follow (Azure Resource Manager never redirects): check "
				    "that [cloud] arm_endpoint is the Resource Manager URL itself",
				    to ? to : "(no Location)");
			call->resp.error.message = strbuf_detach(&err, NULL);
		}
		finish(call, ARM_ERR_HTTP);
		goto out;
	}
	if ((call->opts.flags & ARM_DISCARD_BODY) && call->phase == PHASE_REQUEST && !call->is_list &&
	    !(call->opts.flags & ARM_FOLLOW_LRO)) {
		finish(call, ARM_OK); /* parsing 5 KB of echoed definition to drop it costs more
				       * than the request itself */
		goto out;
	}
	body = arm_parse_body(hr->method, hr->url, hr->body.buf, hr->body.len, &err);
	if (err.len) {
		fail_with(call, ARM_ERR_BAD_RESPONSE, err.buf);
		goto out;
	}
	switch (call->phase) {
	case PHASE_REQUEST:
		if (call->is_list) {
			on_page(call, body);
			break;
		}
		json_decref(call->resp.body);
		call->resp.body = json_incref(body);
		if (!start_lro(call, hr))
			finish(call, ARM_OK);
		break;
	case PHASE_ASYNC_OP:
		json_decref(call->resp.body);
		call->resp.body = json_incref(body);
		on_async_status(call, hr, body);
		break;
	case PHASE_LOCATION:
	case PHASE_FINAL_GET:
		if (call->phase == PHASE_LOCATION && hr->status == 202) {
			c->stats.lro_polls++;
			call->resp.pages++;
			send_step(call, "GET", hr->url, NULL, 0, poll_delay(call, hr));
			break;
		}
		json_decref(call->resp.body);
		call->resp.body = json_incref(body);
		finish(call, ARM_OK);
		break;
	}
out:
	json_decref(body);
	strbuf_release(&err);
}

static struct arm_call *call_new(struct arm_client *c, const char *method, const char *path,
				 const json_t *body, const struct arm_call_options *opts,
				 arm_done_fn *done, void *data)
{
	struct arm_call *call = xcalloc(1, sizeof(*call));
	struct strbuf url = STRBUF_INIT, err = STRBUF_INIT;
	int ok;

	call->client = c;
	call->started = now_ms();
	call->method = xstrdup(method);
	if (opts)
		call->opts = *opts;
	call->api_version = opts && opts->api_version ? xstrdup(opts->api_version) : NULL;
	call->query = opts && opts->query ? xstrdup(opts->query) : NULL;
	call->opts.api_version = call->api_version;
	call->opts.query = call->query;
	call->done = done;
	call->data = data;
	call->deadline = call->started + (call->opts.timeout_ms > 0 ? call->opts.timeout_ms : c->call_timeout_ms);
	if (body) {
		struct strbuf sb = STRBUF_INIT;
		jsonutil_add_compact(&sb, body);
		call->body = strbuf_detach(&sb, &call->body_len);
	} else if (opts && opts->body_text) {
		call->body = xstrndup(opts->body_text, opts->body_len);
		call->body_len = opts->body_len;
	}
	call->opts.body_text = NULL; /* the caller's: copied above */
	call->opts.body_len = 0;
	ok = build_url(c, path, call->api_version, call->query, &url, &err) == 0;
	call->url = strbuf_detach(&url, NULL);
	if (!ok) {
		call->resp.error.message = strbuf_detach(&err, NULL);
		call->resp.result = ARM_ERR_INVALID;
	}
	strbuf_release(&err);
	return call;
}

/* Starts a call: a refused one or a dry-run write completes from the deferred list. */
static void call_start(struct arm_call *call)
{
	struct arm_client *c = call->client;
	if (call->resp.result != ARM_OK) {
		defer(c, call);
		return;
	}
	if (c->read_only && is_write(call)) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "refusing to send %s %s: this client is read-only", call->method,
			    call->url);
		call->resp.error.message = strbuf_detach(&sb, NULL);
		call->resp.result = ARM_ERR_INVALID;
		defer(c, call);
		return;
	}
	if (c->dry_run && is_write(call)) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "dry-run: %s %s", call->method, call->url);
		if (call->body) {
			json_t *j = json_loadb(call->body, call->body_len, 0, NULL);
			strbuf_addch(&sb, '\n');
			if (j)
				jsonutil_add_pretty(&sb, j);
			else
				strbuf_addstr(&sb, call->body);
			call->resp.body = j;
			strbuf_trim(&sb);
		}
		msg_out("%s\n", sb.buf);
		strbuf_release(&sb);
		call->resp.dry_run = 1;
		c->stats.dry_run_writes++;
		defer(c, call);
		return;
	}
	send_step(call, call->method, call->url, call->body, call->body_len,
		  call->opts.delay_ms);
}

void arm_submit(struct arm_client *c, const char *method, const char *path, const json_t *body,
		const struct arm_call_options *opts, arm_done_fn *done, void *data)
{
	call_start(call_new(c, method, path, body, opts, done, data));
}

void arm_submit_list(struct arm_client *c, const char *method, const char *path,
		     const json_t *body, const struct arm_call_options *opts, arm_page_fn *page,
		     arm_done_fn *done, void *data)
{
	struct arm_call *call = call_new(c, method, path, body, opts, done, data);
	call->is_list = 1;
	call->page = page;
	call->items = json_array();
	if (!strcmp(method, "POST"))
		call->opts.flags |= ARM_READ | ARM_IDEMPOTENT; /* a list only reads */
	call_start(call);
}

/* ---- the client ---- */

static int authorize(void *data, const char *url, struct strbuf *header, struct strbuf *err)
{
	struct arm_client *c = data;
	const char *token = NULL;
	(void)url;
	if (credential_get_token(c->credential, c->cloud.arm_resource, &token, err) != CREDENTIAL_OK)
		return -1;
	strbuf_addf(header, "Authorization: Bearer %s", token);
	return 0;
}

static void invalidate(void *data)
{
	struct arm_client *c = data;
	credential_invalidate(c->credential);
}

enum arm_result arm_client_new(const struct config *cfg, const struct arm_client_options *opts,
			       struct arm_client **out, struct strbuf *err)
{
	static const struct arm_client_options defaults;
	struct arm_client *c = xcalloc(1, sizeof(*c));
	struct http_engine_options hopts;
	enum arm_result ret = ARM_ERR_INVALID;
	char uuid[37];

	if (!opts)
		opts = &defaults;
	c->cfg = cfg;
	c->dry_run = opts->dry_run;
	c->read_only = opts->read_only;
	c->call_timeout_ms = opts->call_timeout_ms > 0 ? opts->call_timeout_ms : 600000;
	c->lro_timeout_ms = opts->lro_timeout_ms > 0 ? opts->lro_timeout_ms : 3600000;
	if (opts->correlation_id) {
		c->correlation_id = xstrdup(opts->correlation_id);
	} else {
		new_uuid(uuid);
		c->correlation_id = xstrdup(uuid);
	}
	if (cloud_init(&c->cloud, cfg, err) < 0)
		goto fail;
	c->arm_origin = origin_of(c->cloud.arm_endpoint);
	if (opts->credential) {
		c->credential = opts->credential;
	} else {
		if (credential_new(cfg, &c->cloud, &c->credential, err) != CREDENTIAL_OK) {
			ret = ARM_ERR_AUTH;
			goto fail;
		}
		c->owns_credential = 1;
	}
	hopts = opts->http;
	if (!hopts.concurrency)
		hopts.concurrency = cfg->run_concurrency > 0 ? (int)cfg->run_concurrency : 32;
	if (!hopts.ca_file)
		hopts.ca_file = c->cloud.ca_file;
	hopts.authorize = authorize;
	hopts.invalidate = invalidate;
	hopts.auth_data = c;
	if (http_engine_new(&hopts, &c->engine, err) < 0)
		goto fail;
	*out = c;
	return ARM_OK;
fail:
	arm_client_free(c);
	return ret;
}

enum arm_result arm_client_token(struct arm_client *c, const char **token, struct strbuf *err)
{
	return credential_get_token(c->credential, c->cloud.arm_resource, token, err) == CREDENTIAL_OK
		? ARM_OK : ARM_ERR_AUTH;
}

enum arm_result arm_client_authenticate(struct arm_client *c, struct strbuf *err)
{
	return credential_check(c->credential, c->cloud.arm_resource, err) == CREDENTIAL_OK
		? ARM_OK : ARM_ERR_AUTH;
}

static void run_deferred(struct arm_client *c)
{
	while (c->deferred_head) {
		struct arm_call *call = c->deferred_head;
		c->deferred_head = call->next;
		if (!c->deferred_head)
			c->deferred_tail = NULL;
		c->deferred_nr--;
		finish(call, call->resp.result);
	}
}

void arm_client_free(struct arm_client *c)
{
	if (!c)
		return;
	while (c->deferred_head) {
		struct arm_call *call = c->deferred_head;
		c->deferred_head = call->next;
		c->deferred_nr--;
		if (call->resp.result == ARM_OK) {
			call->resp.dry_run = 0;
			fail_with(call, ARM_ERR_CANCELLED, "cancelled: the client was shut down");
		} else {
			finish(call, call->resp.result);
		}
	}
	c->deferred_tail = NULL;
	http_engine_free(c->engine);
	if (c->owns_credential)
		credential_free(c->credential);
	cloud_release(&c->cloud);
	free(c->correlation_id);
	free(c->arm_origin);
	free(c);
}

struct timer_call {
	struct arm_client *client;
	void (*fn)(struct arm_client *client, void *data);
	void *data;
};

static void on_timer(void *data)
{
	struct timer_call *tc = data;
	tc->fn(tc->client, tc->data);
	free(tc);
}

void arm_client_add_timer(struct arm_client *c, long delay_ms,
			  void (*fn)(struct arm_client *client, void *data), void *data)
{
	struct timer_call *tc = xmalloc(sizeof(*tc));
	tc->client = c;
	tc->fn = fn;
	tc->data = data;
	http_engine_add_timer(c->engine, delay_ms, on_timer, tc);
}

size_t arm_client_pending(const struct arm_client *c)
{
	return http_engine_pending(c->engine) + c->deferred_nr;
}

void arm_client_set_before_send(struct arm_client *c, int (*fn)(void *data), void *data)
{
	http_engine_set_before_send(c->engine, fn, data);
}

void arm_client_return_soon(struct arm_client *c)
{
	c->return_soon = 1;
	http_engine_return_soon(c->engine);
}

size_t arm_client_run(struct arm_client *c, long timeout_ms)
{
	long long end = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	for (;;) {
		long long left;
		run_deferred(c);
		left = end < 0 ? -1 : end - now_ms();
		if (left < -1 || (end >= 0 && left < 0))
			left = 0;
		http_engine_run(c->engine, c->deferred_head ? 0 : (long)left);
		if (!arm_client_pending(c) || c->return_soon)
			break;
		if (c->deferred_head)
			continue;
		if (end >= 0 && now_ms() >= end)
			break;
	}
	c->return_soon = 0;
	return arm_client_pending(c);
}

struct sync_wait {
	int done;
	struct arm_response *out;
};

static void on_sync_done(struct arm_client *c, struct arm_response *resp, void *data)
{
	struct sync_wait *w = data;
	*w->out = *resp;
	memset(resp, 0, sizeof(*resp)); /* ownership moves to the caller's struct */
	w->done = 1;
	/* the pump's slice ends now, not when other calls in flight let it (a Resource Graph
	 * page read beside a thousand scan polls waited out each 100 ms slice) */
	http_engine_return_soon(c->engine);
}

static enum arm_result sync_pump(struct arm_client *c, struct sync_wait *w)
{
	while (!w->done) {
		run_deferred(c);
		if (w->done)
			break;
		http_engine_run(c->engine, 100);
	}
	return w->out->result;
}

static enum arm_result sync_call(struct arm_client *c, const char *method, const char *path,
				 const json_t *body, const struct arm_call_options *opts,
				 struct arm_response *resp)
{
	struct sync_wait w = { 0, resp };
	memset(resp, 0, sizeof(*resp));
	arm_submit(c, method, path, body, opts, on_sync_done, &w);
	return sync_pump(c, &w);
}

enum arm_result arm_get(struct arm_client *c, const char *path,
			const struct arm_call_options *opts, struct arm_response *resp)
{
	return sync_call(c, "GET", path, NULL, opts, resp);
}

enum arm_result arm_put(struct arm_client *c, const char *path, const json_t *body,
			const struct arm_call_options *opts, struct arm_response *resp)
{
	return sync_call(c, "PUT", path, body, opts, resp);
}

enum arm_result arm_patch(struct arm_client *c, const char *path, const json_t *body,
			  const struct arm_call_options *opts, struct arm_response *resp)
{
	return sync_call(c, "PATCH", path, body, opts, resp);
}

enum arm_result arm_delete(struct arm_client *c, const char *path,
			   const struct arm_call_options *opts, struct arm_response *resp)
{
	return sync_call(c, "DELETE", path, NULL, opts, resp);
}

enum arm_result arm_post(struct arm_client *c, const char *path, const json_t *body,
			 const struct arm_call_options *opts, struct arm_response *resp)
{
	return sync_call(c, "POST", path, body, opts, resp);
}

enum arm_result arm_list(struct arm_client *c, const char *method, const char *path,
			 const json_t *body, const struct arm_call_options *opts,
			 struct arm_response *resp)
{
	struct sync_wait w = { 0, resp };
	memset(resp, 0, sizeof(*resp));
	arm_submit_list(c, method, path, body, opts, NULL, on_sync_done, &w);
	return sync_pump(c, &w);
}

const char *arm_client_correlation_id(const struct arm_client *c)
{
	return c->correlation_id;
}

struct credential *arm_client_credential(struct arm_client *c)
{
	return c->credential;
}

void arm_client_stats(const struct arm_client *c, struct arm_stats *out)
{
	*out = c->stats;
	http_engine_stats(c->engine, &out->http);
}
