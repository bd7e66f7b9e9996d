/*
 * Unit tests for iac/output: the text line, json counts, SARIF locations (relative and
 * absolute paths as URIs, levels, suppressions) and what a fingerprint depends on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "iac/output.h"
#include "iac/rules.h"

static const struct json_position pos = { 12, 7 };

static void fill(struct iac_report *report)
{
	struct iac_finding *f;
	iac_report_add(report, IAC_RULE_CERT_DISABLED, "./infra/my app.json", pos, "s", "app",
		       "/Microsoft.Web/sites:app", "app is off");
	iac_report_add(report, IAC_RULE_LINKED_TEMPLATE, "/abs/t.json", pos, "s", "d", "/d", "linked");
	f = iac_report_add(report, IAC_RULE_MODE_NOT_REQUIRED, "t.json", pos, "s", "x", "/x", "opt");
	f->suppression = calloc(1, sizeof(*f->suppression));
	f->suppression->kind = IAC_SUPPRESSED_FILE;
	f->suppression->owner = strdup("team");
	f->suppression->expires = strdup("2027-01-01");
	f->suppression->reason = strdup("why");
	f->suppression->where = strdup("s.json:3");
	report->files_checked = 3;
	report->sites_checked = 3;
}

static void test_text(void **state)
{
	struct iac_report report = IAC_REPORT_INIT;
	struct strbuf out = STRBUF_INIT;
	(void)state;
	fill(&report);
	iac_output_write(&out, &report, IAC_FORMAT_TEXT, "1.2.3");
	assert_non_null(strstr(out.buf, "./infra/my app.json:12:7: error PCTL001 client-cert-disabled: app is off\n"));
	assert_non_null(strstr(out.buf, "/abs/t.json:12:7: note PCTL005 "));
	assert_non_null(strstr(out.buf, "t.json:12:7: suppressed PCTL002 client-cert-mode-not-required: opt (suppressed by team until 2027-01-01, s.json:3)\n"));
	assert_non_null(strstr(out.buf, "checked 3 files, 3 apps and slots (0 out of scope): 1 error, 0 warnings, 1 note, 1 suppressed\n"));
	assert_int_equal(iac_report_failing(&report), 1);
	strbuf_release(&out);
	iac_report_release(&report);
}

static void test_json_and_sarif(void **state)
{
	struct iac_report report = IAC_REPORT_INIT;
	struct strbuf out = STRBUF_INIT;
	json_t *doc, *results, *loc;
	(void)state;
	fill(&report);
	iac_output_write(&out, &report, IAC_FORMAT_JSON, "1.2.3");
	doc = json_loads(out.buf, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary"), "errors")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary"), "notes")), 1);
	json_decref(doc);

	strbuf_reset(&out);
	iac_output_write(&out, &report, IAC_FORMAT_SARIF, "1.2.3");
	doc = json_loads(out.buf, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "version")), "2.1.0");
	results = json_object_get(json_array_get(json_object_get(doc, "runs"), 0), "results");
	assert_int_equal(json_array_size(results), 3);
	loc = json_object_get(json_array_get(json_object_get(json_array_get(results, 0), "locations"), 0),
			      "physicalLocation");
	assert_string_equal(json_string_value(json_object_get(json_object_get(loc, "artifactLocation"), "uri")),
			    "infra/my%20app.json");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(loc, "region"), "startLine")), 12);
	loc = json_object_get(json_array_get(json_object_get(json_array_get(results, 1), "locations"), 0),
			      "physicalLocation");
	assert_string_equal(json_string_value(json_object_get(json_object_get(loc, "artifactLocation"), "uri")),
			    "file:///abs/t.json");
	assert_string_equal(json_string_value(json_object_get(json_array_get(results, 1), "level")), "note");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(json_array_get(results, 2), "suppressions"), 0), "kind")), "external");
	json_decref(doc);
	strbuf_release(&out);
	iac_report_release(&report);
}

static void test_fingerprint_inputs(void **state)
{
	struct iac_finding a = { IAC_RULE_CERT_DISABLED, "t.json", { 1, 1 }, "s", "r", "m", "/id", NULL };
	struct iac_finding b = a;
	char fa[65], fb[65];
	(void)state;
	iac_output_fingerprint(&a, fa);
	assert_int_equal(strlen(fa), 64);
	b.pos.line = 99; /* lines move: same fingerprint */
	b.message = "other words";
	iac_output_fingerprint(&b, fb);
	assert_string_equal(fa, fb);
	b.rule = IAC_RULE_MODE_NOT_REQUIRED;
	iac_output_fingerprint(&b, fb);
	assert_string_not_equal(fa, fb);
	b = a;
	b.logical_id = "/id2";
	iac_output_fingerprint(&b, fb);
	assert_string_not_equal(fa, fb);
	b = a;
	b.file = "u.json";
	iac_output_fingerprint(&b, fb);
	assert_string_not_equal(fa, fb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json_and_sarif),
		cmocka_unit_test(test_fingerprint_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
