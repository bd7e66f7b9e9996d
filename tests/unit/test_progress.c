/*
 * Unit tests for orchestrator/progress, into memory streams on a fake clock: one line per
 * state change in a pipe, a redrawn block with per-scope and total counts, elapsed and ETA on
 * a terminal, rate-limited redraws, and the ETA arithmetic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "orchestrator/progress.h"
#include "lib/msg.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

static void test_pipe_prints_one_line_per_change(void **state)
{
	struct tracker tr;
	struct progress p;
	struct tracker_action act[4];
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	(void)state;
	tracker_init(&tr, 10, 1000);
	tracker_add(&tr, "t1", "/subscriptions/aaa", NULL, 0, 0, 0, NULL);
	progress_init(&p, out, 0, 0);
	tracker_due(&tr, 0, act, 4);
	if (tracker_answer(&tr, 0, 0, "Accepted", 0, 0, 0))
		progress_task_changed(&p, &tr, 0, 0);
	tracker_due(&tr, 1000, act, 4);
	if (tracker_answer(&tr, 0, 1000, "Accepted", 0, 0, 0)) /* unchanged: no line */
		progress_task_changed(&p, &tr, 0, 1000);
	tracker_due(&tr, 2500, act, 4);
	if (tracker_answer(&tr, 0, 65000, "Running", 10, 4, 1))
		progress_task_changed(&p, &tr, 0, 65000);
	progress_tick(&p, &tr, 70000, 1); /* nothing in line mode */
	fflush(out);
	assert_int_equal(count(buf, "\n"), 2);
	assert_non_null(strstr(buf, "[0s] aaa t1: Accepted"));
	assert_non_null(strstr(buf, "[1m05s] aaa t1: Running, deployments 4 ok, 1 failed, 5 left"));
	assert_null(strstr(buf, "\033")); /* no terminal escapes in a log */
	fclose(out);
	free(buf);
	tracker_release(&tr);
}

static void test_live_block_per_scope_and_total(void **state)
{
	struct tracker tr;
	struct progress p;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	(void)state;
	tracker_init(&tr, 10, 1000);
	tracker_add(&tr, "a1", "/subscriptions/aaa", "Running", 10, 5, 1, NULL);
	tracker_add(&tr, "a2", "/subscriptions/aaa", "Succeeded", 4, 4, 0, NULL);
	tracker_add(&tr, "b1", "/subscriptions/bbb", "Running", 6, 0, 0, NULL);
	tracker_add(&tr, "b2", "/subscriptions/bbb", NULL, 0, 0, 0, NULL);
	progress_init(&p, out, 1, 0);
	progress_tick(&p, &tr, 10000, 1);
	fflush(out);
	assert_non_null(strstr(buf, "aaa"));
	assert_non_null(strstr(buf, "tasks 1/2  deployments 9 ok, 1 failed, 4 left"));
	assert_non_null(strstr(buf, "tasks 0/2  deployments 0 ok, 0 failed, 6 left  (1 queued)"));
	assert_non_null(strstr(buf, "tasks 1/4  deployments 9 ok, 1 failed, 10 left  (1 queued)"));
	assert_non_null(strstr(buf, "elapsed 10s"));
	/* 10 finished in 10 s; 10 left plus one queued task of average size (20/3) */
	assert_non_null(strstr(buf, "eta 16s"));
	/* a second redraw within 250 ms is skipped; after it, the cursor goes back up 3 lines */
	fclose(out);
	free(buf);
	buf = NULL;
	out = open_memstream(&buf, &len);
	progress_set_output(&p, out, 1);
	progress_tick(&p, &tr, 10100, 0);
	fflush(out);
	assert_int_equal(strlen(buf), 0);
	progress_tick(&p, &tr, 10300, 0);
	fflush(out);
	assert_true(strncmp(buf, "\033[3A", 4) == 0);
	fclose(out);
	free(buf);
	tracker_release(&tr);
}

static void test_line_above_live_block(void **state)
{
	struct tracker tr;
	struct progress p;
	char *buf = NULL;
	size_t len = 0, mark;
	FILE *out = open_memstream(&buf, &len);
	(void)state;
	tracker_init(&tr, 10, 1000);
	tracker_add(&tr, "a1", "/subscriptions/aaa", "Running", 10, 5, 1, NULL);
	progress_init(&p, out, 1, 0);
	progress_tick(&p, &tr, 1000, 1);
	/* a failed deployment's line: printed, and the block is redrawn below it, not over it */
	msg_add_secret("secret-in-a-message");
	progress_print_line(&p, out, "  failed deployment /x: Oops: secret-in-a-message");
	fflush(out);
	mark = len;
	assert_non_null(strstr(buf, "  failed deployment /x: Oops: [REDACTED]\n"));
	assert_null(strstr(buf, "secret-in-a-message"));
	progress_tick(&p, &tr, 2000, 1);
	fflush(out);
	assert_true(len > mark);
	/* the redraw starts where the line ended: no cursor-up over it */
	assert_true(strncmp(buf + mark, "\r\033[K", 4) == 0);
	assert_null(strstr(buf + mark, "A\r"));
	fclose(out);
	free(buf);
	tracker_release(&tr);
}

static void test_many_scopes_are_folded(void **state)
{
	struct tracker tr;
	struct progress p;
	char *buf = NULL, scope[64];
	size_t len = 0;
	int i;
	FILE *out = open_memstream(&buf, &len);
	(void)state;
	tracker_init(&tr, 100, 1000);
	for (i = 0; i < 25; i++) {
		snprintf(scope, sizeof(scope), "/subscriptions/s%02d", i);
		tracker_add(&tr, "t", scope, "Running", 2, 1, 0, NULL);
	}
	progress_init(&p, out, 1, 0);
	progress_tick(&p, &tr, 1, 1);
	fflush(out);
	assert_int_equal(count(buf, "\n"), 12); /* 10 scopes, the rest, the total */
	assert_non_null(strstr(buf, "(15 more scopes)"));
	assert_non_null(strstr(buf, "tasks 0/15  deployments 15 ok, 0 failed, 15 left"));
	fclose(out);
	free(buf);
	tracker_release(&tr);
}

static void test_eta_and_durations(void **state)
{
	struct progress_totals t = { 0 };
	char buf[32];
	(void)state;
	t.tasks = 2;
	assert_int_equal(progress_eta_ms(&t, 5000), -1); /* nothing finished: no estimate */
	t.deployments = 100;
	t.succeeded = 20;
	t.failed = 5;
	t.remaining = 75;
	assert_int_equal(progress_eta_ms(&t, 10000), 30000);
	t.tasks_done = 2;
	assert_int_equal(progress_eta_ms(&t, 10000), 0);
	progress_format_duration(3723000, buf, sizeof(buf));
	assert_string_equal(buf, "1h02m");
	progress_format_duration(185000, buf, sizeof(buf));
	assert_string_equal(buf, "3m05s");
	progress_format_duration(999, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe_prints_one_line_per_change),
		cmocka_unit_test(test_live_block_per_scope_and_total),
		cmocka_unit_test(test_many_scopes_are_folded),
		cmocka_unit_test(test_line_above_live_block),
		cmocka_unit_test(test_eta_and_durations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
