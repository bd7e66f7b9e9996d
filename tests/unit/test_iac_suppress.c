/*
 * Unit tests for iac/suppress: dates, inline markers (valid, expired on the day after,
 * invalid), which findings a marker reaches, and the suppressions file's entries and errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "iac/rules.h"
#include "iac/suppress.h"

static const struct json_position at = { 7, 5 };

static struct iac_site *site_with(const char *marker)
{
	struct iac_site *site = iac_site_new(IAC_SOURCE_ARM, IAC_WEBAPP, "Microsoft.Web/sites", "app",
					     "/Microsoft.Web/sites:app", at);
	if (marker)
		iac_site_add_marker(site, marker);
	return site;
}

/* Two findings of the site (PCTL001, PCTL002) and one of another site. */
static void add_findings(struct iac_report *report)
{
	iac_report_add(report, IAC_RULE_CERT_DISABLED, "t.json", at, "s", "app",
		       "/Microsoft.Web/sites:app", "m1");
	iac_report_add(report, IAC_RULE_MODE_NOT_REQUIRED, "t.json", at, "s", "app",
		       "/Microsoft.Web/sites:app", "m2");
	iac_report_add(report, IAC_RULE_CERT_DISABLED, "t.json", at, "s", "app2",
		       "/Microsoft.Web/sites:app2", "m3");
}

static void test_dates(void **state)
{
	(void)state;
	assert_true(suppress_valid_date("2028-02-29"));
	assert_false(suppress_valid_date("2027-02-29"));
	assert_false(suppress_valid_date("2100-02-29"));
	assert_true(suppress_valid_date("2000-02-29"));
	assert_false(suppress_valid_date("2027-04-31"));
	assert_false(suppress_valid_date("2027-4-01"));
	assert_false(suppress_valid_date("2027-04-01x"));
	assert_false(suppress_valid_date("2027-00-10"));
}

static void test_marker_suppresses_its_site_and_rules(void **state)
{
	struct iac_report report = IAC_REPORT_INIT;
	struct iac_site *site = site_with("PCTL002 owner=team-a expires=2027-01-31 reason=partner, see T-1");
	(void)state;
	add_findings(&report);
	suppress_apply_markers(site, "t.json", "2027-01-31", &report, 0);
	assert_int_equal(report.count, 3);
	assert_null(report.findings[0].suppression);
	assert_non_null(report.findings[1].suppression);
	assert_string_equal(report.findings[1].suppression->owner, "team-a");
	assert_string_equal(report.findings[1].suppression->reason, "partner, see T-1");
	assert_string_equal(report.findings[1].suppression->where, "t.json:7");
	assert_null(report.findings[2].suppression); /* another site's finding */
	assert_int_equal(iac_report_failing(&report), 2);
	iac_report_release(&report);
	iac_site_free(site);
}

static void test_marker_expired_the_day_after(void **state)
{
	struct iac_report report = IAC_REPORT_INIT;
	struct iac_site *site = site_with("client-cert-disabled,PCTL002 owner=team-a expires=2027-01-31");
	(void)state;
	add_findings(&report);
	suppress_apply_markers(site, "t.json", "2027-02-01", &report, 0);
	assert_int_equal(report.count, 4);
	assert_null(report.findings[0].suppression);
	assert_null(report.findings[1].suppression);
	assert_int_equal(report.findings[3].rule, IAC_RULE_SUPPRESSION_EXPIRED);
	assert_non_null(strstr(report.findings[3].message, "expired on 2027-01-31"));
	assert_int_equal(iac_report_failing(&report), 4);
	iac_report_release(&report);
	iac_site_free(site);
}

static void test_invalid_markers(void **state)
{
	static const char *const markers[] = {
		"PCTL001 expires=2027-01-01", "PCTL001 owner=x", "owner=x expires=2027-01-01",
		"PCTL001 owner=x expires=soon", "PCTL001 owner=x expires=2027-01-01 color=red",
		"PCTL001 owner=x expires=2027-01-01 junk",
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		struct iac_report report = IAC_REPORT_INIT;
		struct iac_site *site = site_with(markers[i]);
		add_findings(&report);
		suppress_apply_markers(site, "t.json", "2026-01-01", &report, 0);
		if (report.count != 4 || report.findings[3].rule != IAC_RULE_SUPPRESSION_INVALID ||
		    report.findings[0].suppression)
			fail_msg("marker '%s' was not reported invalid", markers[i]);
		iac_report_release(&report);
		iac_site_free(site);
	}
}

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/test_iac_suppress.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_file_entries(void **state)
{
	char *path = write_temp("{\"suppressions\": [\n"
				" {\"rule\": \"*\", \"resource\": \"app\", \"owner\": \"o\", \"expires\": \"2027-01-01\"},\n"
				" {\"rule\": \"PCTL001\", \"file\": \"other/*\", \"owner\": \"o\", \"expires\": \"2026-01-01\"}\n"
				"]}\n");
	struct suppress_set set = SUPPRESS_SET_INIT;
	struct iac_report report = IAC_REPORT_INIT;
	struct strbuf err = STRBUF_INIT;
	(void)state;
	assert_int_equal(suppress_set_load(&set, path, &err), SUPPRESS_OK);
	assert_int_equal(set.count, 2);
	add_findings(&report);
	suppress_apply_file(&set, "2026-06-01", &report);
	assert_non_null(report.findings[0].suppression);
	assert_non_null(report.findings[1].suppression);
	assert_null(report.findings[2].suppression); /* resource app2 */
	assert_int_equal(report.count, 4);            /* the second entry expired */
	assert_int_equal(report.findings[3].rule, IAC_RULE_SUPPRESSION_EXPIRED);
	assert_int_equal(report.findings[3].pos.line, 3);
	iac_report_release(&report);
	suppress_set_release(&set);
	unlink(path);
	free(path);
	strbuf_release(&err);
}

static void test_file_errors(void **state)
{
	static const struct { const char *text, *message; } cases[] = {
		{ "{\"suppressions\": [\n {\"rule\": \"PCTL001\", \"expires\": \"2027-01-01\"}]}", ":2:2: suppression 1: expected \"owner\"" },
		{ "{\"suppressions\": [{\"rule\": \"PCTL001\", \"owner\": \"o\"}]}", "expected \"expires\"" },
		{ "{\"suppressions\": [{\"rule\": \"nope\", \"owner\": \"o\", \"expires\": \"2027-01-01\"}]}", "expected \"rule\"" },
		{ "{\"suppressions\": [{\"rule\": 1, \"owner\": \"o\", \"expires\": \"2027-01-01\"}]}", "must be strings" },
		{ "{\"list\": []}", "\"suppressions\" array" },
		{ "{\"suppressions\": [", ":1:" },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = write_temp(cases[i].text);
		struct suppress_set set = SUPPRESS_SET_INIT;
		struct strbuf err = STRBUF_INIT;
		assert_int_equal(suppress_set_load(&set, path, &err), SUPPRESS_INVALID);
		if (!strstr(err.buf, cases[i].message) || strncmp(err.buf, path, strlen(path)))
			fail_msg("case %zu: expected '%s' in '%s'", i, cases[i].message, err.buf);
		assert_int_equal(set.count, 0);
		unlink(path);
		free(path);
		strbuf_release(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_marker_suppresses_its_site_and_rules),
		cmocka_unit_test(test_marker_expired_the_day_after),
		cmocka_unit_test(test_invalid_markers),
		cmocka_unit_test(test_file_entries),
		cmocka_unit_test(test_file_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
