/*
 * Unit tests for iac/rules: the rule table, the generator's kind scope, and a table of site
 * values (absent / known / unknown) with the rules each must raise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "iac/rules.h"

static const struct iac_attr_names attrs = { "enabled", "mode", "paths", "http2", "tls",
					     "set it to true" };

/* A value spec: NULL absent, "?" unknown, otherwise JSON text. */
struct row {
	const char *enabled, *mode, *paths, *http2, *tls;
	const char *expected; /* rule ids raised, in order, space-separated */
};

static const struct row rows[] = {
	{ "true", "\"Required\"", NULL, NULL, NULL, "" },
	{ "\"True\"", "\"required\"", NULL, NULL, NULL, "" },
	{ NULL, NULL, NULL, NULL, NULL, "PCTL001 PCTL002" },
	{ "false", "\"Required\"", NULL, NULL, NULL, "PCTL001" },
	{ "1", "\"Required\"", NULL, NULL, NULL, "PCTL001" },
	{ "true", "\"Optional\"", NULL, NULL, NULL, "PCTL002" },
	{ "true", "\"OptionalInteractiveUser\"", NULL, NULL, NULL, "PCTL002" },
	{ "true", "null", NULL, NULL, NULL, "PCTL002" },
	{ "?", "?", NULL, NULL, NULL, "PCTL004 PCTL004" },
	{ "true", "\"Required\"", "\"/a\"", "true", "\"1.2\"", "PCTL003" },
	{ "true", "\"Required\"", "\"/a\"", "false", "\"1.3\"", "PCTL003" },
	{ "true", "\"Required\"", "\"/a\"", "false", "\"1.2\"", "" },
	{ "true", "\"Required\"", "\"/a\"", NULL, NULL, "" },
	{ "true", "\"Required\"", "\"\"", "true", "\"1.3\"", "" },
	{ "false", "\"Required\"", "\"/a\"", "true", NULL, "PCTL001" }, /* exclusions moot when off */
	{ "true", "\"Required\"", "?", "true", NULL, "PCTL004" },
	{ "true", "\"Required\"", "?", "false", "\"1.2\"", "" },
	{ "true", "\"Required\"", "\"/a\"", "?", "\"1.2\"", "PCTL004" },
	{ "true", "\"Required\"", "\"/a\"", "true", "?", "PCTL003" },
};

static void set(struct iac_value *v, const char *spec)
{
	if (!spec)
		return;
	if (!strcmp(spec, "?"))
		iac_value_set_unknown(v, "reference() is known only at deployment");
	else
		iac_value_set_known(v, json_loads(spec, JSON_DECODE_ANY, NULL));
}

static void test_site_table(void **state)
{
	static const struct json_position pos = { 3, 5 };
	size_t i, j;
	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct iac_site *site = iac_site_new(IAC_SOURCE_ARM, IAC_WEBAPP, "Microsoft.Web/sites",
						     "app", "id", pos);
		struct iac_report report = IAC_REPORT_INIT;
		struct strbuf got = STRBUF_INIT;
		site->attrs = &attrs;
		set(&site->enabled, rows[i].enabled);
		set(&site->mode, rows[i].mode);
		set(&site->exclusion_paths, rows[i].paths);
		set(&site->http2, rows[i].http2);
		set(&site->min_tls, rows[i].tls);
		iac_rules_check_site(site, "t.json", &report);
		for (j = 0; j < report.count; j++) {
			strbuf_addf(&got, "%s%s", j ? " " : "", iac_rule_info(report.findings[j].rule)->id);
			assert_int_equal(report.findings[j].pos.line, 3);
			assert_non_null(strstr(report.findings[j].message, "Microsoft.Web/sites 'app'"));
		}
		if (strcmp(got.buf, rows[i].expected))
			fail_msg("row %zu: expected '%s', got '%s'", i, rows[i].expected, got.buf);
		strbuf_release(&got);
		iac_report_release(&report);
		iac_site_free(site);
	}
}

static void test_table_and_scope(void **state)
{
	int i, j;
	(void)state;
	for (i = 0; i < IAC_RULE_COUNT; i++) {
		const struct iac_rule_info *r = iac_rule_info((enum iac_rule)i);
		assert_non_null(strstr(r->help, "Fix:"));
		assert_int_equal(iac_rule_by_id(r->id), i);
		assert_int_equal(iac_rule_by_id(r->name), i);
		for (j = 0; j < i; j++)
			assert_string_not_equal(r->id, iac_rule_info((enum iac_rule)j)->id);
	}
	assert_int_equal(iac_rule_by_id("pctl002"), IAC_RULE_MODE_NOT_REQUIRED);
	assert_int_equal(iac_rule_by_id("PCTL999"), -1);
	/* the generator's kinds (templates/targets.json) */
	assert_true(iac_kind_out_of_scope("functionapp,workflowapp"));
	assert_true(iac_kind_out_of_scope("functionapp,linux,container,AzureContainerApps"));
	assert_false(iac_kind_out_of_scope("functionapp,linux"));
	assert_false(iac_kind_out_of_scope("app"));
	assert_false(iac_kind_out_of_scope(NULL));
	assert_true(iac_kind_is_function("FunctionApp"));
	assert_false(iac_kind_is_function("app,linux"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_site_table),
		cmocka_unit_test(test_table_and_scope),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
