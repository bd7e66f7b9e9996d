/*
 * Unit tests for lib/http: Retry-After parsing, backoff bounds, the loopback rule, and the
 * engine against a scripted libmicrohttpd server on 127.0.0.1 (retries, Retry-After honoured,
 * POST never repeated, 429 by code, body cap, 401 refresh, concurrency cap, timers).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/http.h"
#include "lib/strbuf.h"
#include "tests/unit/scripted_server.h"

/* ---- pure functions ---- */

static void test_retry_after_seconds(void **state)
{
	long ms = -1;
	(void)state;
	assert_int_equal(http_parse_retry_after("5", 0, &ms), 0);
	assert_int_equal(ms, 5000);
	assert_int_equal(http_parse_retry_after(" 0 ", 0, &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(http_parse_retry_after("120", 0, &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(http_parse_retry_after("", 0, &ms), -1);
	assert_int_equal(http_parse_retry_after("-1", 0, &ms), -1);
	assert_int_equal(http_parse_retry_after("5s", 0, &ms), -1);
	assert_int_equal(http_parse_retry_after("1.5", 0, &ms), -1);
	assert_int_equal(http_parse_retry_after("soon", 0, &ms), -1);
}

static void test_retry_after_dates(void **state)
{
	const long long at = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
	long ms = -1;
	(void)state;
	assert_int_equal(http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at - 10, &ms), 0);
	assert_int_equal(ms, 10000);
	assert_int_equal(http_parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", at - 3, &ms), 0);
	assert_int_equal(ms, 3000);
	assert_int_equal(http_parse_retry_after("Sun Nov  6 08:49:37 1994", at - 1, &ms), 0);
	assert_int_equal(ms, 1000);
	/* a date already past means "now", not a negative wait */
	assert_int_equal(http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at + 100, &ms), 0);
	assert_int_equal(ms, 0);
}

/* The Date header as Unix seconds (the server's clock, for exemption expiries) */
static void test_parse_date(void **state)
{
	long long s = -1;
	(void)state;
	assert_int_equal(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", &s), 0);
	assert_int_equal(s, 784111777);
	assert_int_equal(http_parse_date(" Sun Nov  6 08:49:37 1994", &s), 0);
	assert_int_equal(s, 784111777);
	assert_int_equal(http_parse_date("784111777", &s), -1);
	assert_int_equal(http_parse_date("", &s), -1);
}

static void test_backoff_full_jitter_bounds(void **state)
{
	unsigned long rng = 12345;
	unsigned attempt;
	int i, saw_low = 0, saw_high = 0;
	(void)state;
	for (attempt = 1; attempt <= 12; attempt++) {
		long ceiling = 500L << (attempt - 1);
		if (ceiling > 30000)
			ceiling = 30000;
		for (i = 0; i < 200; i++) {
			long ms = http_backoff_ms(attempt, 500, 30000, &rng);
			assert_true(ms >= 0 && ms <= ceiling);
			if (attempt == 12 && ms < 10000)
				saw_low = 1;
			if (attempt == 12 && ms > 20000)
				saw_high = 1;
		}
	}
	/* full jitter spreads over the whole range, not around the ceiling */
	assert_true(saw_low && saw_high);
}

static void test_url_rules(void **state)
{
	struct strbuf err = STRBUF_INIT;
	(void)state;
	assert_int_equal(http_check_url("https://management.azure.com/x", &err), 0);
	assert_int_equal(http_check_url("http://127.0.0.1:8080/x", &err), 0);
	assert_int_equal(http_check_url("http://localhost/x", &err), 0);
	assert_int_equal(http_check_url("http://[::1]:9/x", &err), 0);
	assert_int_equal(http_check_identity_url("http://169.254.169.254/metadata", &err), 0);
	assert_int_equal(err.len, 0);
	/* the metadata address is for managed-identity token requests only */
	assert_int_equal(http_check_url("http://169.254.169.254/metadata", &err), -1);
	assert_int_equal(http_check_identity_url("http://10.0.0.1/metadata", &err), -1);
	strbuf_reset(&err);
	assert_int_equal(http_check_url("http://management.azure.com/x", &err), -1);
	assert_non_null(strstr(err.buf, "'management.azure.com'"));
	assert_non_null(strstr(err.buf, "loopback"));
	strbuf_reset(&err);
	assert_int_equal(http_check_url("http://127.example.com/x", &err), -1);
	strbuf_reset(&err);
	assert_int_equal(http_check_url("ftp://127.0.0.1/x", &err), -1);
	strbuf_reset(&err);
	assert_int_equal(http_check_url("not a url", &err), -1);
	strbuf_release(&err);
	assert_true(http_status_is_retryable(429));
	assert_true(http_status_is_retryable(503));
	assert_false(http_status_is_retryable(501));
	assert_false(http_status_is_retryable(409));
}

/* ---- a scripted server ---- */

#define MAX_IDS 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int hits[MAX_IDS];
static long long hit_time[MAX_IDS][8];
static int concurrent, peak_concurrent, proxied;
static struct MHD_Daemon *daemon_handle;
static char base_url[64];

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body,
			     const char *h1, const char *v1)
{
	return scripted_reply(conn, status, body, h1, v1, NULL);
}

static enum MHD_Result handler(struct MHD_Connection *conn, const char *url, const char *method,
			       const struct strbuf *body)
{
	const char *idp = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "id");
	int id = idp ? (int)strtol(idp, NULL, 10) % MAX_IDS : 0, n;
	(void)body;
	if (!strncmp(url, "http://", 7)) { /* an absolute URL: we are being used as a proxy */
		pthread_mutex_lock(&lock);
		proxied++;
		pthread_mutex_unlock(&lock);
		return reply(conn, 502, "{\"error\":{\"code\":\"ProxyWasUsed\"}}", NULL, NULL);
	}
	pthread_mutex_lock(&lock);
	n = hits[id]++;
	if (n < 8)
		hit_time[id][n] = wall_ms();
	pthread_mutex_unlock(&lock);

	if (!strcmp(url, "/ok"))
		return reply(conn, 200, "{\"ok\":true}", NULL, NULL);
	if (!strcmp(url, "/flaky")) /* two 503s, then fine */
		return n < 2 ? reply(conn, 503, "{\"error\":{\"code\":\"ServiceUnavailable\"}}", NULL, NULL)
			     : reply(conn, 200, "{\"ok\":true}", NULL, NULL);
	if (!strcmp(url, "/throttle")) /* one 429 with Retry-After: 1, then fine */
		return n < 1 ? reply(conn, 429, "{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"slow down\"}}",
				     "Retry-After", "1")
			     : reply(conn, 200, "{\"ok\":true}", "x-ms-ratelimit-remaining-subscription-reads", "100");
	if (!strcmp(url, "/policy429"))
		return reply(conn, 429, "{\"error\":{\"code\":\"RequestDisallowedByPolicy\",\"message\":\"no\"}}",
			     "Retry-After", "1");
	if (!strcmp(url, "/post503"))
		return reply(conn, 503, "{}", NULL, NULL);
	if (!strcmp(url, "/big")) {
		static char big[4001];
		memset(big, 'x', 4000);
		return reply(conn, 200, big, NULL, NULL);
	}
	if (!strcmp(url, "/auth")) {
		const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
		if (!auth || strcmp(auth, "Bearer good-token"))
			return reply(conn, 401, "{\"error\":{\"code\":\"InvalidAuthenticationToken\"}}",
				     "WWW-Authenticate", "Bearer");
		return reply(conn, 200, "{\"ok\":true}", NULL, NULL);
	}
	if (!strcmp(url, "/slow")) {
		enum MHD_Result ret;
		pthread_mutex_lock(&lock);
		if (++concurrent > peak_concurrent)
			peak_concurrent = concurrent;
		pthread_mutex_unlock(&lock);
		usleep(20000);
		pthread_mutex_lock(&lock);
		concurrent--;
		pthread_mutex_unlock(&lock);
		ret = reply(conn, 200, "{\"ok\":true}", NULL, NULL);
		return ret;
	}
	(void)method;
	return reply(conn, 404, "{\"error\":{\"code\":\"NotFound\"}}", NULL, NULL);
}

static int server_up(void **state)
{
	(void)state;
	daemon_handle = scripted_start(handler, base_url, sizeof(base_url));
	return daemon_handle ? 0 : -1;
}

static int server_down(void **state)
{
	(void)state;
	MHD_stop_daemon(daemon_handle);
	return 0;
}

struct result {
	int done;
	enum http_result result;
	long status;
	unsigned tries;
	char body[256];
	char error[512];
};

static void on_done(struct http_response *resp, void *data)
{
	struct result *r = data;
	r->done++;
	r->result = resp->result;
	r->status = resp->status;
	r->tries = resp->tries;
	snprintf(r->body, sizeof(r->body), "%s", resp->body.buf);
	snprintf(r->error, sizeof(r->error), "%s", resp->error ? resp->error : "");
}

static struct http_engine *new_engine(const struct http_engine_options *o)
{
	struct http_engine *e = NULL;
	struct strbuf err = STRBUF_INIT;
	struct http_engine_options defaults;
	if (!o) {
		memset(&defaults, 0, sizeof(defaults));
		defaults.backoff_base_ms = 20;
		defaults.backoff_cap_ms = 100;
		o = &defaults;
	}
	assert_int_equal(http_engine_new(o, &e, &err), 0);
	strbuf_release(&err);
	return e;
}

static void submit(struct http_engine *e, const char *method, const char *path, int id,
		   struct result *r, const char *bucket)
{
	char url[128];
	struct http_request req;
	memset(&req, 0, sizeof(req));
	snprintf(url, sizeof(url), "%s%s?id=%d", base_url, path, id);
	req.method = method;
	req.url = url;
	req.bucket = bucket;
	req.ratelimit_header = bucket ? "x-ms-ratelimit-remaining-subscription-reads" : NULL;
	http_engine_submit(e, &req, on_done, r);
}

static void test_retries_5xx_until_success(void **state)
{
	struct http_engine *e = new_engine(NULL);
	struct result r = { 0 };
	struct http_stats st;
	(void)state;
	submit(e, "GET", "/flaky", 1, &r, NULL);
	assert_int_equal(r.done, 0); /* nothing runs inside submit */
	assert_int_equal(http_engine_run(e, -1), 0);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.result, HTTP_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.tries, 3);
	http_engine_stats(e, &st);
	assert_int_equal(st.retries, 2);
	assert_int_equal(st.server_errors, 2);
	http_engine_free(e);
}

static void test_retry_after_is_honoured(void **state)
{
	struct http_engine *e = new_engine(NULL);
	struct result r = { 0 }, other = { 0 };
	(void)state;
	submit(e, "GET", "/throttle", 2, &r, "sub/x/reads");
	http_engine_run(e, -1);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.tries, 2);
	assert_int_equal(hits[2], 2);
	/* the server said 1 s: the second request came no sooner */
	assert_true(hit_time[2][1] - hit_time[2][0] >= 1000);
	/* and the bucket held back another request of the same subscription too */
	hits[3] = 0;
	hits[4] = 0;
	submit(e, "GET", "/throttle", 3, &r, "sub/y/reads");
	http_engine_run(e, 200); /* the 429 arrives; its Retry-After now blocks sub/y */
	submit(e, "GET", "/ok", 4, &other, "sub/y/reads");
	http_engine_run(e, -1);
	assert_int_equal(other.status, 200);
	assert_true(hit_time[4][0] - hit_time[3][0] >= 1000);
	http_engine_free(e);
}

static void test_post_is_never_repeated(void **state)
{
	struct http_engine *e = new_engine(NULL);
	struct result r = { 0 };
	(void)state;
	submit(e, "POST", "/post503", 5, &r, NULL);
	http_engine_run(e, -1);
	assert_int_equal(r.result, HTTP_OK);
	assert_int_equal(r.status, 503);
	assert_int_equal(r.tries, 1);
	assert_int_equal(hits[5], 1);
	http_engine_free(e);
}

static void test_429_with_other_code_is_not_retried(void **state)
{
	struct http_engine *e = new_engine(NULL);
	struct result r = { 0 };
	(void)state;
	submit(e, "GET", "/policy429", 6, &r, NULL);
	http_engine_run(e, -1);
	assert_int_equal(r.status, 429);
	assert_int_equal(r.tries, 1);
	assert_non_null(strstr(r.body, "RequestDisallowedByPolicy"));
	http_engine_free(e);
}

static void test_body_cap(void **state)
{
	struct http_engine_options o;
	struct http_engine *e;
	struct result r = { 0 };
	(void)state;
	memset(&o, 0, sizeof(o));
	o.body_cap = 1000;
	e = new_engine(&o);
	submit(e, "GET", "/big", 7, &r, NULL);
	http_engine_run(e, -1);
	assert_int_equal(r.result, HTTP_ERR_TOO_LARGE);
	assert_non_null(strstr(r.error, "/big"));
	http_engine_free(e);
}

static int tokens_issued, invalidations;

static int fake_authorize(void *data, const char *url, struct strbuf *header, struct strbuf *err)
{
	(void)data; (void)url; (void)err;
	strbuf_addf(header, "Authorization: Bearer %s", tokens_issued++ ? "good-token" : "stale-token");
	return 0;
}

static void fake_invalidate(void *data)
{
	(void)data;
	invalidations++;
}

static void test_401_refreshes_once(void **state)
{
	struct http_engine_options o;
	struct http_engine *e;
	struct http_request req;
	struct result r = { 0 };
	char url[128];
	(void)state;
	memset(&o, 0, sizeof(o));
	o.authorize = fake_authorize;
	o.invalidate = fake_invalidate;
	e = new_engine(&o);
	memset(&req, 0, sizeof(req));
	snprintf(url, sizeof(url), "%s/auth?id=8", base_url);
	req.method = "GET";
	req.url = url;
	req.flags = HTTP_AUTHORIZE;
	http_engine_submit(e, &req, on_done, &r);
	http_engine_run(e, -1);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.tries, 2);
	assert_int_equal(invalidations, 1);
	http_engine_free(e);
}

static void test_concurrency_cap(void **state)
{
	struct http_engine_options o;
	struct http_engine *e;
	struct result r[40];
	struct http_stats st;
	int i;
	(void)state;
	memset(&o, 0, sizeof(o));
	memset(r, 0, sizeof(r));
	o.concurrency = 4;
	e = new_engine(&o);
	for (i = 0; i < 40; i++)
		submit(e, "GET", "/slow", 9, &r[i], NULL);
	http_engine_run(e, -1);
	for (i = 0; i < 40; i++)
		assert_int_equal(r[i].status, 200);
	http_engine_stats(e, &st);
	assert_true(st.peak_in_flight <= 4);
	assert_true(peak_concurrent <= 4);
	assert_true(peak_concurrent >= 2); /* they did overlap */
	http_engine_free(e);
}

static void test_refused_url_and_cancel(void **state)
{
	struct http_engine *e = new_engine(NULL);
	struct http_request req;
	struct result r = { 0 }, pending = { 0 };
	(void)state;
	memset(&req, 0, sizeof(req));
	req.url = "http://example.com/x";
	http_engine_submit(e, &req, on_done, &r);
	assert_int_equal(r.done, 0);
	/* a request far in the future is cancelled when the engine goes */
	req.url = base_url;
	req.delay_ms = 60000;
	http_engine_submit(e, &req, on_done, &pending);
	assert_int_equal(http_engine_run(e, 0), 1);
	assert_int_equal(r.result, HTTP_ERR_INSECURE);
	assert_non_null(strstr(r.error, "example.com"));
	http_engine_free(e);
	assert_int_equal(pending.done, 1);
	assert_int_equal(pending.result, HTTP_ERR_CANCELLED);
}

/* Loopback traffic (plain HTTP, tokens in clear) never goes through http_proxy. */
static void test_loopback_bypasses_proxy(void **state)
{
	struct http_engine *e;
	struct result r = { 0 };
	(void)state;
	setenv("http_proxy", base_url, 1);
	setenv("HTTPS_PROXY", base_url, 1);
	setenv("ALL_PROXY", base_url, 1);
	e = new_engine(NULL);
	submit(e, "GET", "/ok", 41, &r, NULL);
	http_engine_run(e, -1);
	unsetenv("http_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY");
	assert_int_equal(proxied, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(hits[41], 1);
	http_engine_free(e);
}

static int timer_fired;
static void on_timer(void *data)
{
	(void)data;
	timer_fired++;
}

static void test_timer_runs_from_the_loop(void **state)
{
	struct http_engine *e = new_engine(NULL);
	long long start = wall_ms();
	(void)state;
	http_engine_add_timer(e, 100, on_timer, NULL);
	assert_int_equal(http_engine_pending(e), 1);
	assert_int_equal(http_engine_run(e, -1), 0);
	assert_int_equal(timer_fired, 1);
	assert_true(wall_ms() - start >= 100);
	http_engine_free(e);
}

static int refuse_to_send(void *data)
{
	int *calls = data;
	(*calls)++;
	return -1;
}

/* A request the before-send hook refuses never reaches the server: it completes cancelled. */
static void test_before_send_hook_refuses(void **state)
{
	struct http_engine *e = new_engine(NULL);
	struct result r;
	int calls = 0;
	(void)state;
	memset(&r, 0, sizeof(r));
	hits[11] = 0;
	http_engine_set_before_send(e, refuse_to_send, &calls);
	submit(e, "PUT", "/ok", 11, &r, NULL);
	assert_int_equal(http_engine_run(e, -1), 0);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.result, HTTP_ERR_CANCELLED);
	assert_non_null(strstr(r.error, "not sent"));
	assert_true(calls >= 1);
	assert_int_equal(hits[11], 0);
	http_engine_free(e);
}

static void return_soon(void *data)
{
	http_engine_return_soon(data);
}

/* A callback that has work due sooner ends the run in progress, with the rest still pending. */
static void test_return_soon_ends_the_run(void **state)
{
	struct http_engine *e = new_engine(NULL);
	long long start = wall_ms();
	(void)state;
	timer_fired = 0;
	http_engine_add_timer(e, 20, return_soon, e);
	http_engine_add_timer(e, 3000, on_timer, NULL);
	assert_int_equal(http_engine_run(e, 2000), 1);
	assert_true(wall_ms() - start < 1000);
	assert_int_equal(timer_fired, 0);
	/* the flag is spent: the next run goes on to its own timeout or end */
	assert_int_equal(http_engine_run(e, -1), 0);
	assert_int_equal(timer_fired, 1);
	http_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after_seconds),
		cmocka_unit_test(test_retry_after_dates),
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_backoff_full_jitter_bounds),
		cmocka_unit_test(test_url_rules),
		cmocka_unit_test(test_retries_5xx_until_success),
		cmocka_unit_test(test_retry_after_is_honoured),
		cmocka_unit_test(test_post_is_never_repeated),
		cmocka_unit_test(test_429_with_other_code_is_not_retried),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_401_refreshes_once),
		cmocka_unit_test(test_concurrency_cap),
		cmocka_unit_test(test_refused_url_and_cancel),
		cmocka_unit_test(test_timer_runs_from_the_loop),
		cmocka_unit_test(test_return_soon_ends_the_run),
		cmocka_unit_test(test_before_send_hook_refuses),
		cmocka_unit_test(test_loopback_bypasses_proxy),
	};
	return cmocka_run_group_tests(tests, server_up, server_down);
}
