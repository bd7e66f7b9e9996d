/*
 * Unit tests for orchestrator/report_html and the ledger's progress points: points are
 * recorded only when the task sums change; the page carries the headline figures, one chart
 * point per progress point and series (sampled down to REPORT_HTML_MAX_POINTS, last kept),
 * a bar per subscription worst first, failures grouped by code; every hostile string is
 * escaped (no '<' from data survives); the page has no script and refers to nothing outside.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "orchestrator/report.h"
#include "orchestrator/report_html.h"
#include "lib/strbuf.h"

#include "tests/unit/ledger_fixture.h"

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_progress_points_only_on_change(void **state)
{
	struct ledger *l = NULL;
	struct ledger_run run;
	struct ledger_task t = { 0 };
	struct ledger_progress_point *points = NULL;
	struct strbuf err = STRBUF_INIT;
	size_t nr = 0;
	(void)state;

	assert_int_equal(ledger_open(path, &l, &err), LEDGER_OK);
	assert_int_equal(ledger_run_begin(l, "contain", "mg:m", &run), LEDGER_OK);
	t.name = "task-1";
	t.scope = "/subscriptions/s1";
	t.assignment_id = "/a";
	t.reference_id = "webApps";
	t.discovery = "ReEvaluateCompliance";
	assert_int_equal(ledger_task_plan(l, run.id, &t), LEDGER_OK);
	assert_int_equal(ledger_progress_record(l, run.id), LEDGER_OK); /* 1 task, nothing counted */
	assert_int_equal(ledger_progress_record(l, run.id), LEDGER_OK); /* same: no point */
	assert_int_equal(ledger_task_update(l, run.id, "task-1", "Running", 10, 2, 0), LEDGER_OK);
	assert_int_equal(ledger_progress_record(l, run.id), LEDGER_OK);
	assert_int_equal(ledger_progress_record(l, run.id), LEDGER_OK); /* same: no point */
	assert_int_equal(ledger_task_update(l, run.id, "task-1", "Failed", 10, 9, 1), LEDGER_OK);
	assert_int_equal(ledger_progress_record(l, run.id), LEDGER_OK);
	assert_int_equal(ledger_progress_list(l, run.id, &points, &nr), LEDGER_OK);
	assert_int_equal(nr, 3);
	assert_int_equal(points[0].tasks, 1);
	assert_int_equal(points[0].total, 0);
	assert_int_equal(points[1].total, 10);
	assert_int_equal(points[1].succeeded, 2);
	assert_int_equal(points[2].succeeded, 9);
	assert_int_equal(points[2].failed, 1);
	assert_true(points[0].at_ms <= points[2].at_ms);
	free(points);
	/* another run's points are its own */
	ledger_run_release(&run);
	assert_int_equal(ledger_run_begin(l, "contain", "mg:m", &run), LEDGER_OK);
	assert_int_equal(ledger_progress_list(l, run.id, &points, &nr), LEDGER_OK);
	assert_int_equal(nr, 0);
	free(points);
	ledger_run_release(&run);
	ledger_close(l);
	strbuf_release(&err);
}

#define HOSTILE "<script>alert('x')</script>\"&<img src=x onerror=y>"

static json_t *hostile_report(void)
{
	json_t *report = json_pack(
		"{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I},"
		" s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b},"
		" s:[{s:s, s:I, s:I, s:I, s:I, s:I}, {s:s, s:I, s:I, s:I, s:I, s:I},"
		"    {s:s, s:I, s:I, s:I, s:I, s:I}],"
		" s:[{s:s, s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s, s:s},"
		"    {s:s, s:s, s:s, s:s, s:s, s:s}]}",
		"run", "uid", "u1" HOSTILE, "command", "contain", "scope", "mg:" HOSTILE,
		"state", "failed", "phase", "done", "started", "2026-01-01T00:00:00Z",
		"finished", "2026-01-01T00:10:00Z", "elapsed_seconds", (json_int_t)600,
		"totals", "tasks", (json_int_t)3, "tasks_succeeded", (json_int_t)2,
		"tasks_failed", (json_int_t)1, "tasks_active", (json_int_t)0,
		"deployments", (json_int_t)40, "deployments_succeeded", (json_int_t)35,
		"deployments_failed", (json_int_t)2, "noncompliant_remaining", (json_int_t)3,
		"verified", 1,
		"subscriptions",
		"subscription", "s-clean", "tasks", (json_int_t)1, "deployments_succeeded", (json_int_t)20,
		"deployments_failed", (json_int_t)0, "noncompliant_remaining", (json_int_t)0,
		"failures", (json_int_t)0,
		"subscription", "s-" HOSTILE, "tasks", (json_int_t)1, "deployments_succeeded", (json_int_t)10,
		"deployments_failed", (json_int_t)2, "noncompliant_remaining", (json_int_t)3,
		"failures", (json_int_t)5,
		"subscription", "s-middle", "tasks", (json_int_t)1, "deployments_succeeded", (json_int_t)5,
		"deployments_failed", (json_int_t)0, "noncompliant_remaining", (json_int_t)0,
		"failures", (json_int_t)1,
		"failures",
		"kind", "deployment", "resource", "/subscriptions/s-" HOSTILE "/x", "code", "ScopeLocked",
		"message", "locked " HOSTILE, "requestId", "req-" HOSTILE, "correlationId", "c1",
		"kind", "verify", "resource", "/subscriptions/s-middle/y", "code", "NonCompliant",
		"message", "still", "requestId", "", "correlationId", "",
		"kind", "deployment", "resource", "/subscriptions/s-" HOSTILE "/z", "code", "ScopeLocked",
		"message", "locked", "requestId", "req-2", "correlationId", "c2");
	assert_non_null(report);
	return report;
}

static void test_page_content_and_escaping(void **state)
{
	struct ledger_progress_point points[5];
	json_t *report = hostile_report();
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	const char *clean, *middle, *bad;
	(void)state;

	for (i = 0; i < 5; i++) {
		points[i].at_ms = 1000 * (int64_t)i;
		points[i].tasks = 3;
		points[i].total = 40;
		points[i].succeeded = (long)(i * 8);
		points[i].failed = i == 4 ? 2 : 0;
	}
	report_html_render(report, points, 5, &sb);
	/* headline: verified, so non-compliant now is what verification found */
	assert_non_null(strstr(sb.buf, "id=\"v-noncompliant\">3<"));
	assert_non_null(strstr(sb.buf, "id=\"v-compliant\">35<"));
	assert_non_null(strstr(sb.buf, "id=\"v-atrisk\">3<"));
	assert_non_null(strstr(sb.buf, "was 40 when the run started (&minus;37)"));
	/* charts */
	assert_int_equal(count(sb.buf, "<circle class=\"pt\""), 3 * 5);
	assert_int_equal(count(sb.buf, "<g class=\"bar\""), 3);
	/* worst first: the hostile row (2 failed + 3 non-compliant + 5 failures), then middle, then clean */
	bad = strstr(sb.buf, "data-scope=\"s-&lt;script&gt;");
	middle = strstr(sb.buf, "data-scope=\"s-middle\"");
	clean = strstr(sb.buf, "data-scope=\"s-clean\"");
	assert_non_null(bad);
	assert_non_null(middle);
	assert_non_null(clean);
	assert_true(bad < middle && middle < clean);
	/* failures grouped: ScopeLocked (2) before NonCompliant (1) */
	assert_int_equal(count(sb.buf, "<h3 class=\"code\">"), 2);
	assert_true(strstr(sb.buf, "<code>ScopeLocked</code> <span class=\"count\">2</span>") <
		    strstr(sb.buf, "<code>NonCompliant</code> <span class=\"count\">1</span>"));
	/* nothing from the data is markup */
	assert_null(strstr(sb.buf, "<script"));
	assert_null(strstr(sb.buf, "<img"));
	assert_null(strstr(sb.buf, "'x'"));
	assert_non_null(strstr(sb.buf, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;"
				       "&lt;img src=x onerror=y&gt;"));
	assert_int_equal(count(sb.buf, "<body>"), 1);
	assert_int_equal(count(sb.buf, "</html>"), 1);
	json_decref(report);
	strbuf_release(&sb);
}

static void test_many_points_are_sampled(void **state)
{
	size_t nr = 1000, i;
	struct ledger_progress_point *points = calloc(nr, sizeof(*points));
	json_t *report = hostile_report();
	struct strbuf sb = STRBUF_INIT;
	char last[64];
	(void)state;

	for (i = 0; i < nr; i++) {
		points[i].at_ms = (int64_t)i * 500;
		points[i].total = 2000;
		points[i].succeeded = (long)i * 2;
	}
	report_html_render(report, points, nr, &sb);
	assert_int_equal(count(sb.buf, "<circle class=\"pt\""), 3 * REPORT_HTML_MAX_POINTS);
	/* the last point is drawn: its value is in the last circle's title */
	snprintf(last, sizeof(last), "succeeded %ld at +8:19<", points[nr - 1].succeeded);
	assert_non_null(strstr(sb.buf, last));
	assert_non_null(strstr(sb.buf, "1000 points recorded as tasks were polled, evenly sampled"));
	json_decref(report);
	strbuf_release(&sb);
	free(points);
}

static void test_no_points_no_chart(void **state)
{
	json_t *report = hostile_report();
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	report_html_render(report, NULL, 0, &sb);
	assert_int_equal(count(sb.buf, "<circle"), 0);
	assert_non_null(strstr(sb.buf, "No progress recorded"));
	json_decref(report);
	strbuf_release(&sb);
}

static void test_escape(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	report_html_escape(&sb, "a<b>&\"'\n\x01z ü");
	assert_string_equal(sb.buf, "a&lt;b&gt;&amp;&quot;&#39;  z ü");
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_progress_points_only_on_change, setup, teardown),
		cmocka_unit_test(test_page_content_and_escaping),
		cmocka_unit_test(test_many_points_are_sampled),
		cmocka_unit_test(test_no_points_no_chart),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
