/*
 * Unit tests for lib/arm: the api-version table, error parsing and formatting, body parsing,
 * and a client against a scripted loopback server (token endpoint included): headers, paging by
 * nextLink and @odata.nextLink, both LRO styles, errors with request ids, non-JSON bodies,
 * dry run, and that the secret and token never reach a message.
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
#include <cmocka.h>

#include "lib/arm.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "tests/unit/scripted_server.h"

static void test_api_versions(void **state)
{
	(void)state;
	assert_string_equal(arm_api_version("/subscriptions/s/providers/Microsoft.Authorization/policyDefinitions/x"), "2023-04-01");
	assert_string_equal(arm_api_version("/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/policySetDefinitions/x"), "2023-04-01");
	assert_string_equal(arm_api_version("/subscriptions/s/providers/microsoft.authorization/roleassignments/g"), "2022-04-01");
	assert_string_equal(arm_api_version("/subscriptions/s/providers/Microsoft.PolicyInsights/remediations/r/listDeployments"), "2021-10-01");
	assert_string_equal(arm_api_version("/subscriptions/s/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation"), "2019-10-01");
	assert_string_equal(arm_api_version("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a/slots/b"), "2022-03-01");
	assert_string_equal(arm_api_version("/subscriptions/s/providers/Microsoft.Authorization/policyExemptions/e"), "2022-07-01-preview");
	assert_string_equal(arm_api_version("/providers/Microsoft.Management/managementGroups/mg/descendants"), "2021-04-01");
	assert_string_equal(arm_api_version("/subscriptions"), "2022-12-01");
	assert_string_equal(arm_api_version("/subscriptions/s/resourcegroups/rg"), "2021-04-01");
	assert_null(arm_api_version("/subscriptions/s/providers/Microsoft.Compute/virtualMachines/v"));
	assert_null(arm_api_version("/nothing"));
}

static void test_error_parse_and_format(void **state)
{
	static const char body[] =
		"{\"error\":{\"code\":\"RequestDisallowedByPolicy\",\"message\":\"denied by 'p'\","
		"\"target\":\"site1\",\"details\":[{\"code\":\"x\"}],"
		"\"additionalInfo\":[{\"type\":\"PolicyViolation\",\"info\":{}}]}}";
	struct arm_error e;
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(arm_error_parse(&e, body, strlen(body)), 0);
	assert_string_equal(e.code, "RequestDisallowedByPolicy");
	assert_string_equal(e.message, "denied by 'p'");
	assert_string_equal(e.target, "site1");
	assert_int_equal(json_array_size(e.details), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(e.additional_info, 0), "type")),
			    "PolicyViolation");
	e.status = 403;
	e.method = xstrdup("PUT");
	e.url = xstrdup("https://arm/subscriptions/s/x");
	e.request_id = xstrdup("rid-1");
	e.correlation_id = xstrdup("cid-1");
	arm_error_format(&e, &sb);
	assert_string_equal(sb.buf, "PUT https://arm/subscriptions/s/x: 403 RequestDisallowedByPolicy: "
			    "denied by 'p' (target 'site1'; x-ms-request-id rid-1; "
			    "x-ms-correlation-request-id cid-1)");
	/* OData message objects, bare errors, OAuth errors */
	{
		static const char odata[] = "{\"error\":{\"code\":\"c\",\"message\":{\"lang\":\"en\",\"value\":\"v\"}}}";
		static const char oauth[] = "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215\"}";
		assert_int_equal(arm_error_parse(&e, odata, strlen(odata)), 0);
		assert_string_equal(e.message, "v");
		assert_int_equal(arm_error_parse(&e, oauth, strlen(oauth)), 0);
		assert_string_equal(e.code, "invalid_client");
	}
	assert_int_equal(arm_error_parse(&e, "{\"code\":\"Bare\",\"message\":\"m\"}", 29), 0);
	assert_string_equal(e.code, "Bare");
	{
		/* App Service answers in its own shape (recorded: terraform-provider-azurerm#24878) */
		static const char web[] = "{\"Code\":\"BadRequest\",\"Message\":\"There was a conflict.\","
					  "\"Target\":null,\"Details\":[],\"Innererror\":null}";
		assert_int_equal(arm_error_parse(&e, web, strlen(web)), 0);
		assert_string_equal(e.code, "BadRequest");
		assert_string_equal(e.message, "There was a conflict.");
	}
	assert_int_equal(arm_error_parse(&e, "<html>", 6), -1);
	assert_non_null(e.message);
	assert_string_equal(e.request_id, "rid-1"); /* parsing keeps the request ids */
	arm_error_release(&e);
	strbuf_release(&sb);
}

static void test_parse_body_names_the_request(void **state)
{
	struct strbuf err = STRBUF_INIT;
	json_t *j;
	(void)state;
	j = arm_parse_body("GET", "https://arm/x", "<html>oops</html>", 17, &err);
	assert_null(j);
	assert_non_null(strstr(err.buf, "GET https://arm/x: response is not JSON"));
	strbuf_reset(&err);
	j = arm_parse_body("GET", "https://arm/x", "  \n", 3, &err);
	assert_null(j);
	assert_int_equal(err.len, 0);
	j = arm_parse_body("GET", "https://arm/x", "{\"a\":1}", 7, &err);
	assert_non_null(j);
	json_decref(j);
	strbuf_release(&err);
}

/* A nextLink becomes the next URL only while it stays on the ARM endpoint. */
static void test_page_parse_links(void **state)
{
	static const struct {
		const char *body;
		enum arm_result result;
		const char *next;
	} cases[] = {
		{ "{\"value\":[1],\"nextLink\":\"https://arm.example/subscriptions?api-version=2022-12-01&$skiptoken=a\"}",
		  ARM_OK, "https://arm.example/subscriptions?api-version=2022-12-01&$skiptoken=a" },
		{ "{\"value\":[],\"@odata.nextLink\":\"https://ARM.example/subscriptions?$skiptoken=b\"}",
		  ARM_OK, "https://ARM.example/subscriptions?$skiptoken=b&api-version=2022-12-01" },
		{ "{\"value\":[],\"nextLink\":\"https://arm.example@evil.example/x\"}", ARM_ERR_BAD_RESPONSE, NULL },
		{ "{\"value\":[],\"nextLink\":\"https://arm.example.evil.example/x\"}", ARM_ERR_BAD_RESPONSE, NULL },
		{ "{\"value\":[],\"nextLink\":\"http://arm.example/subscriptions\"}", ARM_ERR_BAD_RESPONSE, NULL },
		{ "{\"value\":[],\"nextLink\":null}", ARM_OK, NULL },
		{ "{\"value\":{}}", ARM_ERR_BAD_RESPONSE, NULL },
		{ "[]", ARM_ERR_BAD_RESPONSE, NULL },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *body = json_loads(cases[i].body, JSON_DECODE_ANY, NULL), *items = NULL;
		struct strbuf err = STRBUF_INIT;
		char *next = NULL;
		assert_int_equal(arm_page_parse(body, "https://arm.example", &items, &next, &err),
				 cases[i].result);
		if (cases[i].next)
			assert_string_equal(next, cases[i].next);
		else
			assert_null(next);
		assert_true(cases[i].result == ARM_OK ? err.len == 0 : err.len > 0 && !items);
		free(next);
		json_decref(body);
		strbuf_release(&err);
	}
}

/* ---- a scripted ARM on loopback ---- */

#define SECRET "unit-test-secret-Zq81"
#define TOKEN "unit-test-token-Kx42abcdef"

static struct MHD_Daemon *daemon_handle;
static char base_url[64];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int op_polls, loc_polls, token_requests, writes_seen, zero_polls, huge_polls;
static char last_client_id[64], last_correlation[64], last_agent[64], last_method[16];
static int token_form_ok;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body,
			     const char *h1, const char *v1)
{
	const char *corr = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-ms-correlation-request-id");
	return scripted_reply(conn, status, body, "x-ms-request-id", "rid-42",
			      "x-ms-correlation-request-id", corr ? corr : "none", h1, v1, NULL);
}

static enum MHD_Result page_reply(struct MHD_Connection *conn, const char *path, int odata)
{
	const char *p = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "page");
	int page = p ? (int)strtol(p, NULL, 10) : 0, i, start, end;
	struct strbuf sb = STRBUF_INIT;
	enum MHD_Result ret;
	/* 100 items, 7 a page, with page 3 empty but linked */
	strbuf_addstr(&sb, "{\"value\":[");
	start = page < 3 ? page * 7 : (page - 1) * 7;
	end = page == 3 ? start : start + 7;
	if (end > 100)
		end = 100;
	for (i = start; i < end; i++)
		strbuf_addf(&sb, "%s{\"id\":\"item-%d\"}", i > start ? "," : "", i);
	strbuf_addstr(&sb, "]");
	if (end < 100 || page == 3)
		strbuf_addf(&sb, ",\"%s\":\"%s%s?api-version=2019-10-01&page=%d\"",
			    odata ? "@odata.nextLink" : "nextLink", base_url, path, page + 1);
	else
		strbuf_addf(&sb, ",\"%s\":null", odata ? "@odata.nextLink" : "nextLink");
	strbuf_addstr(&sb, "}");
	ret = reply(conn, 200, sb.buf, NULL, NULL);
	strbuf_release(&sb);
	return ret;
}

static enum MHD_Result handler(struct MHD_Connection *conn, const char *url, const char *method,
			       const struct strbuf *body)
{
	const char *auth, *v;
	enum MHD_Result ret;
	pthread_mutex_lock(&lock);
	if ((v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-ms-client-request-id")))
		snprintf(last_client_id, sizeof(last_client_id), "%s", v);
	if ((v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-ms-correlation-request-id")))
		snprintf(last_correlation, sizeof(last_correlation), "%s", v);
	if ((v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent")))
		snprintf(last_agent, sizeof(last_agent), "%s", v);
	snprintf(last_method, sizeof(last_method), "%s", method);
	if (strcmp(method, "GET"))
		writes_seen++;
	pthread_mutex_unlock(&lock);

	if (!strcmp(url, "/tenant-1/oauth2/v2.0/token")) {
		token_requests++;
		token_form_ok = strstr(body->buf, "client_secret=" SECRET) &&
				strstr(body->buf, "grant_type=client_credentials") &&
				strstr(body->buf, "scope=");
		ret = reply(conn, 200, "{\"token_type\":\"Bearer\",\"access_token\":\"" TOKEN "\",\"expires_in\":3600}",
			    NULL, NULL);
		goto out;
	}
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	if (!auth || strcmp(auth, "Bearer " TOKEN)) {
		ret = reply(conn, 401, "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"no\"}}", NULL, NULL);
		goto out;
	}
	if (!strcmp(url, "/subscriptions/s1/providers/Microsoft.Web/sites")) {
		ret = page_reply(conn, url, 0);
	} else if (!strcmp(url, "/subscriptions/big/providers/Microsoft.Web/sites")) {
		/* 10,000 items, 7 a page, by $skipToken */
		const char *skip = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "$skipToken");
		long start = skip ? strtol(skip, NULL, 10) : 0, i;
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, "{\"value\":[");
		for (i = start; i < start + 7 && i < 10000; i++)
			strbuf_addf(&sb, "%s{\"id\":\"/subscriptions/big/x/site-%ld\"}", i > start ? "," : "", i);
		strbuf_addstr(&sb, "]");
		if (start + 7 < 10000)
			strbuf_addf(&sb, ",\"nextLink\":\"%s%s?api-version=2022-03-01&$skipToken=%ld\"", base_url, url, start + 7);
		strbuf_addstr(&sb, "}");
		ret = reply(conn, 200, sb.buf, NULL, NULL);
		strbuf_release(&sb);
	} else if (!strcmp(url, "/subscriptions/s1/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults")) {
		ret = strcmp(method, "POST") ? reply(conn, 405, "{}", NULL, NULL) : page_reply(conn, url, 1);
	} else if (!strcmp(url, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app")) {
		if (!strcmp(method, "PATCH")) {
			char loc[256];
			snprintf(loc, sizeof(loc), "%s/op/1?api-version=2022-03-01", base_url);
			ret = reply(conn, 202, "", "Azure-AsyncOperation", loc);
		} else {
			ret = reply(conn, 200, "{\"name\":\"app\",\"properties\":{\"clientCertEnabled\":true}}", NULL, NULL);
		}
	} else if (!strncmp(url, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/", 66)) {
		/* hostile LROs: sites/zero and sites/huge poll /op/<name>; sites/moved ends on a
		 * Location at another host */
		const char *name = url + 66;
		char loc[256];
		snprintf(loc, sizeof(loc), "%s/op/%s?api-version=2022-03-01", base_url,
			 !strcmp(name, "moved") ? "1" : name);
		ret = !strcmp(name, "moved")
			? scripted_reply(conn, 202, "", "Azure-AsyncOperation", loc,
					 "Location", "https://evil.example/result", NULL)
			: reply(conn, 202, "", "Azure-AsyncOperation", loc);
	} else if (!strcmp(url, "/op/zero")) {
		pthread_mutex_lock(&lock);
		zero_polls++;
		pthread_mutex_unlock(&lock);
		ret = reply(conn, 200, "{\"status\":\"InProgress\"}", "Retry-After", "0");
	} else if (!strcmp(url, "/op/huge")) {
		pthread_mutex_lock(&lock);
		huge_polls++;
		pthread_mutex_unlock(&lock);
		ret = reply(conn, 200, "{\"status\":\"InProgress\"}", "Retry-After", "100000000000000000");
	} else if (!strcmp(url, "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/redirect")) {
		ret = reply(conn, 307, "", "Location", "https://login.example/elsewhere");
	} else if (!strcmp(url, "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/escape")) {
		ret = reply(conn, 400, "{\"error\":{\"code\":\"Bad\\u001b[2J\",\"message\":\"line one\\nfake: line\\u0007\"}}", NULL, NULL);
	} else if (!strcmp(url, "/op/1")) {
		ret = reply(conn, 200, op_polls++ < 2 ? "{\"status\":\"InProgress\"}" : "{\"status\":\"Succeeded\"}",
			    "Retry-After", "0");
	} else if (!strcmp(url, "/subscriptions/s1/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation")) {
		char loc[256];
		snprintf(loc, sizeof(loc), "%s/subscriptions/s1/providers/Microsoft.PolicyInsights/asyncOperationResults/tok?api-version=2019-10-01", base_url);
		ret = reply(conn, 202, "", "Location", loc);
	} else if (!strcmp(url, "/subscriptions/s1/providers/Microsoft.PolicyInsights/asyncOperationResults/tok")) {
		ret = loc_polls++ < 2 ? reply(conn, 202, "", NULL, NULL)
				      : reply(conn, 200, "{\"status\":\"Succeeded\"}", NULL, NULL);
	} else if (!strcmp(url, "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/denied")) {
		ret = reply(conn, 403, "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"The client has no access\",\"target\":\"denied\"}}", NULL, NULL);
	} else if (!strcmp(url, "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/html")) {
		ret = reply(conn, 200, "<html>proxy page</html>", NULL, NULL);
	} else if (!strcmp(url, "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/leak")) {
		char link[160];
		snprintf(link, sizeof(link), "{\"value\":[],\"nextLink\":\"https://evil.example/steal\"}");
		ret = reply(conn, 200, link, NULL, NULL);
	} else {
		ret = reply(conn, 404, "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"nope\"}}", NULL, NULL);
	}
out:
	return ret;
}

static struct config cfg;

static int server_up(void **state)
{
	(void)state;
	daemon_handle = scripted_start(handler, base_url, sizeof(base_url));
	if (!daemon_handle)
		return -1;
	config_init_defaults(&cfg);
	free(cfg.cloud_name);
	cfg.cloud_name = xstrdup("custom");
	cfg.cloud_arm_endpoint = xstrdup(base_url);
	cfg.cloud_tenant_id = xstrdup("tenant-1");
	free(cfg.auth_method);
	cfg.auth_method = xstrdup("client-secret");
	cfg.auth_client_id = xstrdup("client-1");
	setenv("AZURE_CLIENT_SECRET", SECRET, 1);
	return 0;
}

static int server_down(void **state)
{
	(void)state;
	MHD_stop_daemon(daemon_handle);
	config_release(&cfg);
	return 0;
}

static struct arm_client *new_client(int dry_run)
{
	struct arm_client_options o;
	struct arm_client *c = NULL;
	struct strbuf err = STRBUF_INIT;
	memset(&o, 0, sizeof(o));
	o.dry_run = dry_run;
	o.http.backoff_base_ms = 10;
	if (arm_client_new(&cfg, &o, &c, &err) != ARM_OK)
		fail_msg("arm_client_new: %s", err.buf);
	strbuf_release(&err);
	return c;
}

static void test_get_list_pages(void **state)
{
	struct arm_client *c = new_client(0);
	struct arm_response resp;
	size_t i;
	(void)state;
	assert_int_equal(arm_list(c, "GET", "/subscriptions/s1/providers/Microsoft.Web/sites", NULL, NULL, &resp), ARM_OK);
	assert_int_equal(json_array_size(resp.body), 100);
	for (i = 0; i < 100; i++) {
		char want[32];
		snprintf(want, sizeof(want), "item-%zu", i);
		assert_string_equal(json_string_value(json_object_get(json_array_get(resp.body, i), "id")), want);
	}
	assert_int_equal(resp.pages, 16); /* 15 pages of items and one empty page with a link */
	assert_int_equal(token_requests, 1);
	assert_true(token_form_ok);
	/* headers on every request */
	assert_int_equal(strlen(last_client_id), 36);
	assert_string_equal(last_correlation, arm_client_correlation_id(c));
	assert_string_equal(last_agent, "policyctl/" POLICYCTL_VERSION);
	arm_response_release(&resp);
	/* the page cap */
	{
		struct arm_call_options o = { 0 };
		o.max_pages = 3;
		assert_int_equal(arm_list(c, "GET", "/subscriptions/s1/providers/Microsoft.Web/sites", NULL, &o, &resp),
				 ARM_ERR_PAGE_CAP);
		assert_int_equal(json_array_size(resp.body), 21); /* the items of the pages fetched */
		arm_response_release(&resp);
	}
	arm_client_free(c);
}

struct page_count {
	int done, ok; /* as struct async_count: the same data goes to the done callback */
	size_t items, pages;
	json_t *seen;
};

static int count_page(struct arm_client *c, json_t *items, void *data)
{
	struct page_count *pc = data;
	size_t i;
	json_t *item;
	(void)c;
	pc->pages++;
	json_array_foreach(items, i, item) {
		pc->items++;
		json_object_set_new(pc->seen, json_string_value(json_object_get(item, "id")), json_true());
	}
	return 0;
}

static void count_done(struct arm_client *c, struct arm_response *resp, void *data);

/* 10,000 items in pages of 7, each seen once, through the page callback */
static void test_ten_thousand_in_sevens(void **state)
{
	struct arm_client *c = new_client(0);
	struct page_count pc = { 0, 0, 0, 0, json_object() };
	(void)state;
	arm_submit_list(c, "GET", "/subscriptions/big/providers/Microsoft.Web/sites", NULL, NULL,
			count_page, count_done, &pc);
	assert_int_equal(arm_client_run(c, -1), 0);
	assert_int_equal(pc.done, 1);
	assert_int_equal(pc.ok, 1);
	assert_int_equal(pc.pages, 1429);
	assert_int_equal(pc.items, 10000);
	assert_int_equal(json_object_size(pc.seen), 10000);
	json_decref(pc.seen);
	arm_client_free(c);
}

static void test_post_list_odata(void **state)
{
	struct arm_client *c = new_client(0);
	struct arm_response resp;
	(void)state;
	assert_int_equal(arm_list(c, "POST", "/subscriptions/s1/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults",
				  NULL, NULL, &resp), ARM_OK);
	assert_int_equal(json_array_size(resp.body), 100);
	assert_string_equal(last_method, "POST");
	arm_response_release(&resp);
	arm_client_free(c);
}

static void test_lro_async_operation_and_location(void **state)
{
	struct arm_client *c = new_client(0);
	struct arm_call_options o = { 0 };
	struct arm_response resp;
	json_t *body = json_pack("{s:{s:b}}", "properties", "clientCertEnabled", 1);
	(void)state;
	o.flags = ARM_FOLLOW_LRO;
	o.lro_interval_ms = 10;
	assert_int_equal(arm_patch(c, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app", body, &o, &resp), ARM_OK);
	assert_int_equal(op_polls, 3);
	/* after Succeeded the resource is read back */
	assert_string_equal(jsonutil_path_string(resp.body, "name"), "app");
	arm_response_release(&resp);
	o.flags = ARM_FOLLOW_LRO | ARM_IDEMPOTENT;
	assert_int_equal(arm_post(c, "/subscriptions/s1/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation",
				  NULL, &o, &resp), ARM_OK);
	assert_int_equal(loc_polls, 3);
	assert_int_equal(resp.status, 200);
	assert_string_equal(jsonutil_path_string(resp.body, "status"), "Succeeded");
	arm_response_release(&resp);
	json_decref(body);
	arm_client_free(c);
}

/*
 * A Retry-After of 0 must not make the poll loop spin, one of 10^17 s must not overflow into
 * "now": both are clamped (floor: 1 s or the caller's shorter interval; ceiling: 2 min).
 */
static void test_lro_hostile_retry_after(void **state)
{
	struct arm_client *c = new_client(0);
	struct arm_call_options o = { 0 };
	struct arm_response resp;
	json_t *body = json_pack("{s:{s:b}}", "properties", "clientCertEnabled", 1);
	(void)state;
	o.flags = ARM_FOLLOW_LRO;
	o.lro_interval_ms = 250;
	o.timeout_ms = 1500;
	assert_int_equal(arm_put(c, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/zero", body, &o, &resp),
			 ARM_ERR_TIMEOUT);
	/* 1.5 s at one poll per 250 ms at most: 7; unclamped this was thousands */
	assert_in_range(zero_polls, 1, 8);
	arm_response_release(&resp);

	o.timeout_ms = 1000;
	assert_int_equal(arm_put(c, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/huge", body, &o, &resp),
			 ARM_ERR_TIMEOUT);
	assert_int_equal(huge_polls, 1);
	arm_response_release(&resp);

	assert_int_equal(arm_lro_poll_delay_ms("0", 0, 1000), 1000);
	assert_int_equal(arm_lro_poll_delay_ms("0", 10, 1000), 10);
	assert_int_equal(arm_lro_poll_delay_ms("100000000000000000", 0, 1000), 120000);
	assert_int_equal(arm_lro_poll_delay_ms("Sun, 06 Nov 1994 08:49:37 GMT", 0, 2000000000), 1000);
	assert_int_equal(arm_lro_poll_delay_ms("7", 0, 1000), 7000);
	assert_int_equal(arm_lro_poll_delay_ms(NULL, 0, 1000), 5000);
	assert_int_equal(arm_lro_poll_delay_ms("soon", 3000, 1000), 3000);
	json_decref(body);
	arm_client_free(c);
}

/* An operation that succeeded but whose result lives on another host is not a success. */
static void test_lro_final_location_elsewhere(void **state)
{
	struct arm_client *c = new_client(0);
	struct arm_call_options o = { 0 };
	struct arm_response resp;
	json_t *body = json_pack("{s:{s:b}}", "properties", "clientCertEnabled", 1);
	(void)state;
	op_polls = 5; /* /op/1 answers Succeeded at once */
	o.flags = ARM_FOLLOW_LRO;
	o.lro_interval_ms = 10;
	assert_int_equal(arm_put(c, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/moved", body, &o, &resp),
			 ARM_ERR_BAD_RESPONSE);
	assert_non_null(strstr(resp.error.message, "evil.example"));
	assert_non_null(strstr(resp.error.message, "arm_endpoint"));
	arm_response_release(&resp);
	json_decref(body);
	arm_client_free(c);
}

/* A redirect says what happened and what to do; server text reaches a user escaped. */
static void test_unclear_and_hostile_errors(void **state)
{
	struct arm_client *c = new_client(0);
	struct arm_response resp;
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	assert_int_equal(arm_get(c, "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/redirect", NULL, &resp),
			 ARM_ERR_HTTP);
	assert_non_null(strstr(resp.error.message, "redirect to 'https://login.example/elsewhere'"));
	assert_non_null(strstr(resp.error.message, "[cloud] arm_endpoint"));
	arm_error_format(&resp.error, &sb);
	assert_non_null(strstr(sb.buf, ": 307 the server answered with a redirect"));
	assert_null(strstr(sb.buf, "neither"));
	arm_response_release(&resp);
	strbuf_reset(&sb);

	assert_int_equal(arm_get(c, "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/escape", NULL, &resp),
			 ARM_ERR_HTTP);
	arm_error_format(&resp.error, &sb);
	assert_null(strchr(sb.buf, 0x1b));
	assert_null(strchr(sb.buf, '\n'));
	assert_null(strchr(sb.buf, 0x07));
	assert_non_null(strstr(sb.buf, "400 Bad\\x1b[2J: line one\\x0afake: line\\x07"));
	arm_response_release(&resp);
	strbuf_reset(&sb);

	/* a failure on a 200 does not read as "200 <message>" */
	assert_int_equal(arm_list(c, "GET", "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/leak", NULL, NULL, &resp),
			 ARM_ERR_BAD_RESPONSE);
	arm_error_format(&resp.error, &sb);
	assert_null(strstr(sb.buf, ": 200 "));
	assert_non_null(strstr(sb.buf, "not the ARM endpoint"));
	arm_response_release(&resp);
	strbuf_release(&sb);
	arm_client_free(c);
}

static void test_errors_name_the_request(void **state)
{
	struct arm_client *c = new_client(0);
	struct arm_response resp;
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	assert_int_equal(arm_get(c, "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/denied", NULL, &resp),
			 ARM_ERR_HTTP);
	assert_int_equal(resp.error.status, 403);
	assert_string_equal(resp.error.code, "AuthorizationFailed");
	assert_string_equal(resp.error.target, "denied");
	assert_string_equal(resp.error.request_id, "rid-42");
	assert_string_equal(resp.error.correlation_id, arm_client_correlation_id(c));
	assert_non_null(resp.error.client_request_id);
	arm_error_format(&resp.error, &sb);
	assert_non_null(strstr(sb.buf, "GET "));
	assert_non_null(strstr(sb.buf, "/policyAssignments/denied: 403 AuthorizationFailed: The client has no access"));
	assert_non_null(strstr(sb.buf, "x-ms-request-id rid-42"));
	arm_response_release(&resp);

	assert_int_equal(arm_get(c, "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/html", NULL, &resp),
			 ARM_ERR_BAD_RESPONSE);
	assert_non_null(strstr(resp.error.message, "/policyAssignments/html"));
	assert_non_null(strstr(resp.error.message, "not JSON"));
	arm_response_release(&resp);

	/* a nextLink to another host would carry our token there: refused */
	assert_int_equal(arm_list(c, "GET", "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/leak", NULL, NULL, &resp),
			 ARM_ERR_BAD_RESPONSE);
	assert_non_null(strstr(resp.error.message, "evil.example"));
	arm_response_release(&resp);

	/* no api-version known */
	assert_int_equal(arm_get(c, "/subscriptions/s1/providers/Microsoft.Compute/virtualMachines/v", NULL, &resp),
			 ARM_ERR_INVALID);
	assert_non_null(strstr(resp.error.message, "no api-version"));
	arm_response_release(&resp);
	strbuf_release(&sb);
	arm_client_free(c);
}

/* ARM_DISCARD_BODY: a 2xx answer's body is not parsed (even one that is not JSON); an error's
 * body still is. */
static void test_discard_body(void **state)
{
	struct arm_client *c = new_client(0);
	struct arm_call_options o = { 0 };
	struct arm_response resp;
	json_t *body = json_pack("{s:{s:s}}", "properties", "displayName", "x");
	const char *html = "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/html";
	(void)state;
	assert_int_equal(arm_put(c, html, body, NULL, &resp), ARM_ERR_BAD_RESPONSE);
	arm_response_release(&resp);
	o.flags = ARM_DISCARD_BODY;
	assert_int_equal(arm_put(c, html, body, &o, &resp), ARM_OK);
	assert_int_equal(resp.status, 200);
	assert_null(resp.body);
	arm_response_release(&resp);
	assert_int_equal(arm_put(c, "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/denied",
				 body, &o, &resp), ARM_ERR_HTTP);
	assert_string_equal(resp.error.code, "AuthorizationFailed");
	arm_response_release(&resp);
	json_decref(body);
	arm_client_free(c);
}

static void test_dry_run_sends_no_writes(void **state)
{
	struct arm_client *c = new_client(1);
	struct arm_response resp;
	json_t *body = json_pack("{s:{s:s}}", "properties", "displayName", "x");
	int before;
	struct arm_stats st;
	(void)state;
	/* reads still go out */
	assert_int_equal(arm_get(c, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app", NULL, &resp), ARM_OK);
	arm_response_release(&resp);
	before = writes_seen;
	assert_int_equal(arm_put(c, "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/a", body, NULL, &resp), ARM_OK);
	assert_true(resp.dry_run);
	arm_response_release(&resp);
	assert_int_equal(arm_delete(c, "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/a", NULL, &resp), ARM_OK);
	arm_response_release(&resp);
	assert_int_equal(writes_seen, before);
	arm_client_stats(c, &st);
	assert_int_equal(st.dry_run_writes, 2);
	json_decref(body);
	arm_client_free(c);
}

struct async_count {
	int done, ok;
};

static void count_done(struct arm_client *c, struct arm_response *resp, void *data)
{
	struct async_count *n = data;
	(void)c;
	n->done++;
	if (resp->result == ARM_OK)
		n->ok++;
}

static void test_async_many_and_cancel(void **state)
{
	struct arm_client *c = new_client(0);
	struct async_count n = { 0, 0 }, late = { 0, 0 };
	struct arm_call_options o = { 0 };
	int i;
	(void)state;
	for (i = 0; i < 50; i++)
		arm_submit(c, "GET", "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app",
			   NULL, NULL, count_done, &n);
	assert_int_equal(n.done, 0);
	assert_int_equal(arm_client_run(c, -1), 0);
	assert_int_equal(n.done, 50);
	assert_int_equal(n.ok, 50);
	/* calls still waiting when the client goes are completed as cancelled */
	o.delay_ms = 60000;
	arm_submit(c, "GET", "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app",
		   NULL, &o, count_done, &late);
	assert_int_equal(arm_client_run(c, 0), 1);
	arm_client_free(c);
	assert_int_equal(late.done, 1);
	assert_int_equal(late.ok, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_versions),
		cmocka_unit_test(test_error_parse_and_format),
		cmocka_unit_test(test_parse_body_names_the_request),
		cmocka_unit_test(test_page_parse_links),
		cmocka_unit_test(test_get_list_pages),
		cmocka_unit_test(test_ten_thousand_in_sevens),
		cmocka_unit_test(test_post_list_odata),
		cmocka_unit_test(test_lro_async_operation_and_location),
		cmocka_unit_test(test_lro_hostile_retry_after),
		cmocka_unit_test(test_lro_final_location_elsewhere),
		cmocka_unit_test(test_unclear_and_hostile_errors),
		cmocka_unit_test(test_errors_name_the_request),
		cmocka_unit_test(test_discard_body),
		cmocka_unit_test(test_dry_run_sends_no_writes),
		cmocka_unit_test(test_async_many_and_cancel),
	};
	msg_set_program("test_arm");
	return cmocka_run_group_tests(tests, server_up, server_down);
}
