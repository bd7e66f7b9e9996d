/*
 * Unit tests for lib/http when libcurl itself fails: curl_easy_init returning NULL,
 * curl_multi_add_handle refusing a transfer, curl_multi_socket_action failing as a whole. The test
 * binary is linked with -Wl,--wrap for those three (see the Makefile), so each failure is
 * switched on here; http.c is the unchanged library code. Every request must complete (no
 * hang, no crash) with HTTP_ERR_TRANSPORT and a message that names libcurl.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/http.h"
#include "lib/strbuf.h"

static int fail_easy_init, fail_add_handle, fail_perform;
static unsigned long performs;

CURL *__real_curl_easy_init(void);
CURLMcode __real_curl_multi_add_handle(CURLM *multi, CURL *easy);
CURLMcode __real_curl_multi_socket_action(CURLM *multi, curl_socket_t s, int ev_bitmask,
					 int *running);
CURL *__wrap_curl_easy_init(void);
CURLMcode __wrap_curl_multi_add_handle(CURLM *multi, CURL *easy);
CURLMcode __wrap_curl_multi_socket_action(CURLM *multi, curl_socket_t s, int ev_bitmask,
					 int *running);

CURL *__wrap_curl_easy_init(void)
{
	return fail_easy_init ? NULL : __real_curl_easy_init();
}

CURLMcode __wrap_curl_multi_add_handle(CURLM *multi, CURL *easy)
{
	return fail_add_handle ? CURLM_OUT_OF_MEMORY : __real_curl_multi_add_handle(multi, easy);
}

CURLMcode __wrap_curl_multi_socket_action(CURLM *multi, curl_socket_t s, int ev_bitmask,
					 int *running)
{
	performs++;
	if (fail_perform) {
		*running = 0;
		return CURLM_OUT_OF_MEMORY;
	}
	return __real_curl_multi_socket_action(multi, s, ev_bitmask, running);
}

struct outcome {
	int done;
	enum http_result result;
	char error[256];
	unsigned tries;
};

static void on_done(struct http_response *resp, void *data)
{
	struct outcome *o = data;
	o->done++;
	o->result = resp->result;
	o->tries = resp->tries;
	snprintf(o->error, sizeof(o->error), "%s", resp->error ? resp->error : "");
}

/* One GET to a loopback port nothing listens on; the engine pumped for at most 5 s. */
static void run_one(struct outcome *o)
{
	struct http_engine_options opts;
	struct http_engine *e = NULL;
	struct strbuf err = STRBUF_INIT;
	struct http_request req;

	memset(&opts, 0, sizeof(opts));
	opts.max_tries = 2;
	opts.backoff_base_ms = 10;
	opts.backoff_cap_ms = 20;
	opts.request_timeout_ms = 30000;
	assert_int_equal(http_engine_new(&opts, &e, &err), 0);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = "http://127.0.0.1:9/never";
	memset(o, 0, sizeof(*o));
	http_engine_submit(e, &req, on_done, o);
	/* before the checks, this waited for progress that never came (or crashed) */
	assert_int_equal(http_engine_run(e, 5000), 0);
	http_engine_free(e);
	strbuf_release(&err);
	assert_int_equal(o->done, 1);
}

static void test_easy_init_null(void **state)
{
	struct outcome o;
	(void)state;
	fail_easy_init = 1;
	run_one(&o);
	fail_easy_init = 0;
	assert_int_equal(o.result, HTTP_ERR_TRANSPORT);
	assert_non_null(strstr(o.error, "cannot create a libcurl handle"));
}

static void test_add_handle_refused(void **state)
{
	struct outcome o;
	(void)state;
	fail_add_handle = 1;
	run_one(&o);
	fail_add_handle = 0;
	assert_int_equal(o.result, HTTP_ERR_TRANSPORT);
	assert_non_null(strstr(o.error, "libcurl refused the transfer"));
}

static void test_multi_perform_fails(void **state)
{
	struct outcome o;
	(void)state;
	fail_perform = 1;
	performs = 0;
	run_one(&o);
	fail_perform = 0;
	assert_true(performs > 0);
	assert_int_equal(o.result, HTTP_ERR_TRANSPORT);
	assert_non_null(strstr(o.error, "libcurl: "));
	assert_int_equal(o.tries, 2); /* failed like a transport error: retried, then given up */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_easy_init_null),
		cmocka_unit_test(test_add_handle_refused),
		cmocka_unit_test(test_multi_perform_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
