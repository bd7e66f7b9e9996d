/*
 * Unit tests for armsim/web_rules: App Service's refusals of a site write, in its words and
 * error shape (issue 11).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "armsim/http.h"
#include "armsim/web_rules.h"

/* Runs the rules on JSON texts; returns the answer's Message (or code) or "" when allowed. */
static const char *check(const char *existing_text, const char *request_text, int put)
{
	static char out[512];
	json_t *existing = existing_text ? json_loads(existing_text, 0, NULL) : NULL;
	json_t *request = json_loads(request_text, 0, NULL);
	struct armsim_response resp;
	const char *msg;
	assert_non_null(request);
	armsim_response_init(&resp);
	out[0] = '\0';
	if (web_rules_check(existing, request, put, &resp)) {
		assert_int_equal(resp.status, 400);
		msg = json_string_value(json_object_get(resp.body, "Message"));
		if (!msg) /* ARM's shape: the code */
			msg = json_string_value(json_object_get(json_object_get(resp.body, "error"), "code"));
		assert_non_null(msg);
		strncpy(out, msg, sizeof(out) - 1);
		out[sizeof(out) - 1] = '\0';
	}
	armsim_response_release(&resp);
	json_decref(existing);
	json_decref(request);
	return out;
}

static const char flex[] = "{\"kind\":\"functionapp,linux\",\"properties\":{\"sku\":\"FlexConsumption\"}}";

static void test_flex_consumption(void **state)
{
	(void)state;
	assert_string_equal(check(flex, "{\"properties\":{\"siteConfig\":{\"preWarmedInstanceCount\":1}}}", 1),
			    "The following site configuration property (Site.SiteConfig.PreWarmedInstanceCount) "
			    "for Flex Consumption sites is invalid. Please remove or rename it before retrying.");
	/* a null value is refused too; the list form names them in order */
	assert_string_equal(check(flex, "{\"properties\":{\"siteConfig\":{\"ftpsState\":null,"
				  "\"netFrameworkVersion\":\"v4.0\",\"http20Enabled\":true}}}", 0),
			    "The following list of 2 site configuration properties (Site.SiteConfig.FtpsState, "
			    "Site.SiteConfig.NetFrameworkVersion) for Flex Consumption sites is invalid. Please "
			    "remove or rename them before retrying.");
	/* keys Flex takes, and the same keys on a site that is not Flex */
	assert_string_equal(check(flex, "{\"properties\":{\"clientCertEnabled\":true,\"siteConfig\":{\"http20Enabled\":true}}}", 1), "");
	assert_string_equal(check("{\"properties\":{}}", "{\"properties\":{\"siteConfig\":{\"ftpsState\":\"Disabled\"}}}", 1), "");
	/* a create of a Flex site is judged by its own body */
	assert_string_equal(check(NULL, "{\"properties\":{\"sku\":\"FlexConsumption\",\"siteConfig\":{\"use32BitWorkerProcess\":false}}}", 1),
			    "The following site configuration property (Site.SiteConfig.Use32BitWorkerProcess) "
			    "for Flex Consumption sites is invalid. Please remove or rename it before retrying.");
}

static void test_site_level_conflicts(void **state)
{
	static const char vnet[] = "{\"properties\":{\"vnetRouteAllEnabled\":true}}";
	(void)state;
	assert_string_equal(check(vnet, "{\"properties\":{\"siteConfig\":{\"vnetRouteAllEnabled\":false}}}", 1),
			    "There was a conflict. SiteConfig.VnetRouteAllEnabled cannot be modified. Please "
			    "modify the Site.VnetRouteAllEnabled property.");
	assert_string_equal(check(vnet, "{\"properties\":{\"siteConfig\":{\"vnetRouteAllEnabled\":true}}}", 1), "");
	assert_string_equal(check(vnet, "{\"properties\":{\"vnetRouteAllEnabled\":false,"
				  "\"siteConfig\":{\"vnetRouteAllEnabled\":false}}}", 1), "");
	/* unset on the site is App Service's default: Enabled */
	assert_string_equal(check("{\"properties\":{}}", "{\"properties\":{\"siteConfig\":{\"publicNetworkAccess\":\"Enabled\"}}}", 1), "");
	assert_string_equal(check("{\"properties\":{}}", "{\"properties\":{\"siteConfig\":{\"publicNetworkAccess\":\"Disabled\"}}}", 1),
			    "There was a conflict. SiteConfig.PublicNetworkAccess cannot be modified. Please "
			    "modify the Site.PublicNetworkAccess property.");
}

static void test_extended_location_and_state(void **state)
{
	static const char arc[] = "{\"kind\":\"app,linux,kubernetes\",\"extendedLocation\":"
				  "{\"name\":\"/cl/1\",\"type\":\"CustomLocation\"},\"properties\":{}}";
	(void)state;
	assert_string_equal(check(arc, "{\"location\":\"x\",\"properties\":{\"clientCertEnabled\":true}}", 1), "");
	assert_non_null(strstr(check(arc, "{\"kind\":\"app,linux,kubernetes\",\"properties\":{}}", 1),
			       "extendedLocation is required"));
	assert_string_equal(check(arc, "{\"kind\":\"app\",\"properties\":{}}", 0), ""); /* PATCH */
	assert_string_equal(check(arc, "{\"kind\":\"app\",\"extendedLocation\":{\"name\":\"/cl/1\","
				  "\"type\":\"CustomLocation\"},\"properties\":{}}", 1), "");
	assert_string_equal(check(arc, "{\"extendedLocation\":{\"name\":\"/cl/1\"}}", 1), "InvalidRequestContent");
	assert_non_null(strstr(check(arc, "{\"extendedLocation\":{\"name\":\"/cl/2\",\"type\":\"CustomLocation\"}}", 1),
			       "cannot be changed"));
	assert_string_equal(check(NULL, "{\"properties\":{\"state\":\"Stopped\"}}", 1), "");
	assert_non_null(strstr(check(NULL, "{\"properties\":{\"state\":\"Paused\"}}", 1), "Running, Stopped"));
}

static void test_error_shape(void **state)
{
	struct armsim_response resp;
	(void)state;
	armsim_response_init(&resp);
	web_rules_error(&resp, 400, "BadRequest", "01020", "There was a conflict. X cannot be modified.");
	assert_string_equal(json_string_value(json_object_get(resp.body, "Code")), "BadRequest");
	assert_true(json_is_null(json_object_get(resp.body, "Target")));
	assert_true(json_is_null(json_object_get(resp.body, "Innererror")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(
		json_object_get(json_array_get(json_object_get(resp.body, "Details"), 2), "ErrorEntity"),
		"Parameters"), 0)), "X cannot be modified.");
	armsim_response_release(&resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flex_consumption),
		cmocka_unit_test(test_site_level_conflicts),
		cmocka_unit_test(test_extended_location_and_state),
		cmocka_unit_test(test_error_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
