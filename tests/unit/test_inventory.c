/*
 * Unit tests for orchestrator/inventory: classification of Resource Graph rows by the
 * [inventory] rules (a table of rows and the class each must get), the tier names, and the
 * output formats' columns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/config.h"
#include "orchestrator/inventory.h"

#define ID "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers/Microsoft.Web/sites/"
#define ASE "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers/Microsoft.Web/hostingEnvironments/ase1"

struct class_case {
	const char *what;
	const char *row;      /* the row, without id/type (added) */
	int slot;
	int compliant, exposed, production, at_risk;
	enum inventory_tier tier;
};

static const struct class_case cases[] = {
	{ "public, tagged prod, compliant",
	  "\"publicNetworkAccess\":\"Enabled\",\"tags\":{\"env\":\"prod\"},\"clientCertEnabled\":true,\"clientCertMode\":\"Required\"",
	  0, 1, 1, 1, 0, TIER_EXPOSED_PRODUCTION },
	{ "tag keys and values in any case",
	  "\"tags\":{\"Environment\":\"PRODUCTION\"},\"clientCertEnabled\":true,\"clientCertMode\":\"Optional\"",
	  0, 0, 1, 1, 0, TIER_EXPOSED_PRODUCTION },
	{ "a tag key not in the list does not count",
	  "\"tags\":{\"stage\":\"prod\"},\"clientCertEnabled\":false", 0, 0, 1, 0, 0, TIER_EXPOSED },
	{ "unset clientCertEnabled is not compliant",
	  "\"clientCertMode\":\"Required\"", 0, 0, 1, 0, 0, TIER_EXPOSED },
	{ "public access disabled",
	  "\"publicNetworkAccess\":\"Disabled\",\"tags\":{\"env\":\"prod\"}", 0, 0, 0, 1, 0, TIER_PRODUCTION },
	{ "private endpoint only",
	  "\"publicNetworkAccess\":\"\",\"privateEndpoints\":1", 0, 0, 0, 0, 0, TIER_REST },
	{ "private endpoint but public access enabled",
	  "\"publicNetworkAccess\":\"Enabled\",\"privateEndpoints\":1", 0, 0, 1, 0, 0, TIER_EXPOSED },
	{ "access restrictions deny by default",
	  "\"ipDefaultAction\":\"Deny\"", 0, 0, 0, 0, 0, TIER_REST },
	{ "internal ASE",
	  "\"aseId\":\"" ASE "\"", 0, 0, 0, 0, 0, TIER_REST },
	{ "external ASE",
	  "\"aseId\":\"/subscriptions/x/resourceGroups/rg/providers/Microsoft.Web/hostingEnvironments/public\"",
	  0, 0, 1, 0, 0, TIER_EXPOSED },
	{ "production subscription, the site itself",
	  "\"subscriptionId\":\"00000000-0000-0000-0000-00000000000B\"", 0, 0, 1, 1, 0, TIER_EXPOSED_PRODUCTION },
	{ "production subscription, a slot does not inherit it",
	  "\"subscriptionId\":\"00000000-0000-0000-0000-00000000000b\"", 1, 0, 1, 0, 0, TIER_EXPOSED },
	{ "a slot with its own production tag",
	  "\"tags\":{\"env\":\"prod\"}", 1, 0, 1, 1, 0, TIER_EXPOSED_PRODUCTION },
	{ "exclusion paths with HTTP/2",
	  "\"exclusionPaths\":\"/health\",\"http20Enabled\":true", 0, 0, 1, 0, 1, TIER_EXPOSED },
	{ "exclusion paths with TLS 1.3",
	  "\"exclusionPaths\":\"/health\",\"minTlsVersion\":\"1.3\"", 0, 0, 1, 0, 1, TIER_EXPOSED },
	{ "HTTP/2 without exclusion paths",
	  "\"exclusionPaths\":\"\",\"http20Enabled\":true", 0, 0, 1, 0, 0, TIER_EXPOSED },
};

static void test_classify(void **state)
{
	struct string_list keys = { 0 }, values = { 0 };
	struct inventory_rules rules = { &keys, &values, NULL, 0, 1, 1, 1, 1 };
	json_t *ases = json_pack("{s:b}", "/subscriptions/00000000-0000-0000-0000-00000000000a/resourcegroups/rg/providers/microsoft.web/hostingenvironments/ase1", 1);
	json_t *prod_subs = json_pack("{s:b}", "00000000-0000-0000-0000-00000000000b", 1);
	size_t i;
	(void)state;
	string_list_append(&keys, "environment");
	string_list_append(&keys, "env");
	string_list_append(&values, "prod");
	string_list_append(&values, "production");
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct class_case *c = &cases[i];
		struct inventory_item it;
		char text[1024];
		json_t *row;
		snprintf(text, sizeof(text), "{\"id\":\"" ID "a%s\",\"type\":\"%s\",\"name\":\"a\",%s}",
			 c->slot ? "/slots/s" : "", c->slot ? "microsoft.web/sites/slots" : "microsoft.web/sites",
			 c->row);
		row = json_loads(text, 0, NULL);
		if (!row)
			fail_msg("%s: bad row JSON %s", c->what, text);
		assert_int_equal(inventory_classify(row, &rules, ases, prod_subs, &it), 0);
		if (it.compliant != c->compliant || it.exposed != c->exposed ||
		    it.production != c->production || it.at_risk != c->at_risk || it.tier != c->tier)
			fail_msg("%s: got compliant %d exposed %d production %d at_risk %d tier %s (%s)",
				 c->what, it.compliant, it.exposed, it.production, it.at_risk,
				 inventory_tier_name(it.tier), it.why);
		inventory_item_release(&it);
		json_decref(row);
	}
	string_list_clear(&keys);
	string_list_clear(&values);
	json_decref(ases);
	json_decref(prod_subs);
}

/* The rules' switches turn their rule off. */
static void test_rules_off(void **state)
{
	struct string_list keys = { 0 }, values = { 0 };
	struct inventory_rules rules = { &keys, &values, NULL, 0, 0, 0, 0, 0 };
	json_t *ases = json_pack("{s:b}", "/subscriptions/00000000-0000-0000-0000-00000000000a/resourcegroups/rg/providers/microsoft.web/hostingenvironments/ase1", 1);
	struct inventory_item a, b;
	json_t *deny = json_loads("{\"id\":\"" ID "x\",\"type\":\"microsoft.web/sites\",\"ipDefaultAction\":\"Deny\","
				  "\"exclusionPaths\":\"/p\",\"http20Enabled\":true}", 0, NULL);
	json_t *ase = json_loads("{\"id\":\"" ID "y\",\"type\":\"microsoft.web/sites\",\"aseId\":\"" ASE "\","
				 "\"exclusionPaths\":\"/p\",\"minTlsVersion\":\"1.3\"}", 0, NULL);
	(void)state;
	assert_int_equal(inventory_classify(deny, &rules, ases, NULL, &a), 0);
	assert_int_equal(inventory_classify(ase, &rules, ases, NULL, &b), 0);
	assert_true(a.exposed && !a.at_risk);
	assert_true(b.exposed && !b.at_risk);
	inventory_item_release(&a);
	inventory_item_release(&b);
	json_decref(deny);
	json_decref(ase);
	json_decref(ases);
}

static void test_tiers(void **state)
{
	(void)state;
	assert_string_equal(inventory_tier_name(TIER_EXPOSED_PRODUCTION), "exposed+production");
	assert_int_equal(inventory_tier_parse("Exposed"), TIER_EXPOSED);
	assert_int_equal(inventory_tier_parse("rest"), TIER_REST);
	assert_int_equal(inventory_tier_parse("prod"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_rules_off),
		cmocka_unit_test(test_tiers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
