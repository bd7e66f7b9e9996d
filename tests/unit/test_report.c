/*
 * Unit tests for orchestrator/report: a run recorded in a ledger comes out per subscription
 * and in total, with every failure and its request ids, the same in table, JSON and markdown;
 * status reads the same ledger without the lock.
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

#include "orchestrator/report.h"
#include "lib/strbuf.h"

#include "tests/unit/ledger_fixture.h"

static void plan(struct ledger *l, struct ledger_run *run, const char *sub, const char *ref,
		 const char *state, long total, long ok, long failed)
{
	struct ledger_task t = { 0 };
	char scope[128];
	snprintf(scope, sizeof(scope), "/subscriptions/%s", sub);
	t.name = ledger_task_name(run->uid, scope, ref);
	t.scope = scope;
	t.assignment_id = "/a";
	t.reference_id = (char *)ref;
	t.discovery = "ReEvaluateCompliance";
	assert_int_equal(ledger_task_plan(l, run->id, &t), LEDGER_OK);
	assert_int_equal(ledger_task_update(l, run->id, t.name, state, total, ok, failed), LEDGER_OK);
	free(t.name);
}

static struct ledger *fill(struct ledger_run *run)
{
	struct ledger *l = NULL;
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(ledger_open(path, &l, &err), LEDGER_OK);
	assert_int_equal(ledger_run_begin(l, "contain", "subs:s1,s2", run), LEDGER_OK);
	plan(l, run, "s1", "webApps", "Succeeded", 5, 5, 0);
	plan(l, run, "s1", "functionApps", "Succeeded", 2, 2, 0);
	plan(l, run, "s2", "webApps", "Failed", 4, 3, 1);
	assert_int_equal(ledger_failure_add(l, run->id, LEDGER_FAILURE_DEPLOYMENT,
					    "/subscriptions/s2/resourceGroups/rg/providers/"
					    "Microsoft.Web/sites/locked1", "ScopeLocked",
					    "the scope | is locked", "req-77", "corr-1"), LEDGER_OK);
	assert_int_equal(ledger_failure_add(l, run->id, LEDGER_FAILURE_VERIFY,
					    "/subscriptions/s2/resourceGroups/rg/providers/"
					    "Microsoft.Web/sites/locked1", "NonCompliant",
					    "still non-compliant", "", ""), LEDGER_OK);
	assert_int_equal(ledger_note_set(l, run->id, "verified", "yes"), LEDGER_OK);
	assert_int_equal(ledger_run_set_phase(l, run->id, LEDGER_PHASE_DONE), LEDGER_OK);
	assert_int_equal(ledger_run_set_state(l, run->id, LEDGER_RUN_FAILED), LEDGER_OK);
	strbuf_release(&err);
	return l;
}

static void test_report_json_totals(void **state)
{
	struct ledger_run run;
	struct ledger *l = fill(&run);
	struct strbuf err = STRBUF_INIT;
	json_t *r, *subs, *s2;
	(void)state;
	r = report_build(l, run.id, &err);
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "totals"), "tasks")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "totals"),
							    "deployments_succeeded")), 10);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "totals"),
							    "deployments_failed")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "totals"),
							    "noncompliant_remaining")), 1);
	subs = json_object_get(r, "subscriptions");
	assert_int_equal(json_array_size(subs), 2);
	s2 = json_array_get(subs, 1);
	assert_string_equal(json_string_value(json_object_get(s2, "subscription")), "s2");
	assert_int_equal(json_integer_value(json_object_get(s2, "failures")), 2);
	assert_int_equal(json_integer_value(json_object_get(s2, "noncompliant_remaining")), 1);
	assert_int_equal(report_failed(r), 1);
	json_decref(r);
	ledger_run_release(&run);
	ledger_close(l);
	strbuf_release(&err);
}

static void test_report_formats_agree(void **state)
{
	struct ledger_run run;
	struct ledger *l = fill(&run);
	struct strbuf err = STRBUF_INIT, table = STRBUF_INIT, md = STRBUF_INIT, js = STRBUF_INIT;
	enum report_format f;
	json_t *r;
	(void)state;
	r = report_build(l, run.id, &err);
	report_render(r, REPORT_TABLE, &table);
	report_render(r, REPORT_MARKDOWN, &md);
	report_render(r, REPORT_JSON, &js);
	assert_non_null(strstr(table.buf, "ScopeLocked: the scope | is locked"));
	assert_non_null(strstr(table.buf, "request id req-77, correlation id corr-1"));
	assert_non_null(strstr(md.buf, "| ScopeLocked | the scope \\| is locked | req-77 | corr-1 |"));
	assert_non_null(strstr(md.buf, "| s2 | 1 | 3 | 1 | 1 | 2 |"));
	assert_non_null(strstr(js.buf, "\"requestId\": \"req-77\""));
	assert_int_equal(report_parse_format("markdown", &f), 0);
	assert_int_equal(f, REPORT_MARKDOWN);
	assert_int_equal(report_parse_format("yaml", &f), -1);
	json_decref(r);
	ledger_run_release(&run);
	ledger_close(l);
	strbuf_release(&err);
	strbuf_release(&table);
	strbuf_release(&md);
	strbuf_release(&js);
}

static void test_status_reads_while_locked(void **state)
{
	struct ledger_run run;
	struct ledger *l = fill(&run), *ro = NULL;
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT;
	(void)state;
	assert_int_equal(ledger_open_readonly(path, &ro, &err), LEDGER_OK);
	assert_int_equal(report_status(ro, run.id, 0, &sb, &err), 0);
	assert_non_null(strstr(sb.buf, "state failed, phase done"));
	assert_non_null(strstr(sb.buf, "tasks: 3, Succeeded 2, Failed 1"));
	ledger_close(ro);
	ledger_run_release(&run);
	ledger_close(l);
	strbuf_release(&err);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report_json_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_formats_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_reads_while_locked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
