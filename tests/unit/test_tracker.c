/*
 * Unit tests for orchestrator/tracker, on a fake clock with fake responses: the tenant cap
 * queues tasks, polls come at poll_interval and stretch while nothing moves, errors back
 * off (honouring Retry-After), unknown states count as running, resumed tasks keep their
 * slot, and a 10,000-task run finishes with every create and poll accounted for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "orchestrator/tracker.h"

static void add_n(struct tracker *tr, size_t n, const char *state)
{
	size_t i;
	char name[32];
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "task-%zu", i);
		tracker_add(tr, name, "/subscriptions/s", state, 0, 0, 0, NULL);
	}
}

static void test_terminal_states(void **state)
{
	(void)state;
	assert_true(tracker_state_is_terminal("Succeeded"));
	assert_true(tracker_state_is_terminal("failed"));
	assert_true(tracker_state_is_terminal("Canceled"));
	assert_true(tracker_state_is_terminal("Complete"));
	assert_false(tracker_state_is_terminal("Cancelling"));
	assert_false(tracker_state_is_terminal("Evaluating"));
	assert_false(tracker_state_is_terminal("SomethingNew"));
	assert_false(tracker_state_is_terminal(NULL));
	assert_true(tracker_state_is_success("Complete"));
	assert_false(tracker_state_is_success("Canceled"));
}

static void test_cap_queues_the_rest(void **state)
{
	struct tracker tr;
	struct tracker_action act[16];
	size_t n, i;
	(void)state;
	tracker_init(&tr, 3, 1000);
	add_n(&tr, 5, NULL);
	n = tracker_due(&tr, 0, act, 16);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_int_equal(act[i].kind, TRACKER_CREATE);
		assert_int_equal(act[i].task, i);
	}
	assert_int_equal(tracker_due(&tr, 0, act, 16), 0); /* all three slots in flight */
	tracker_answer(&tr, 0, 10, "Accepted", 0, 0, 0);
	tracker_answer(&tr, 1, 10, "Running", 4, 0, 0);
	tracker_answer(&tr, 2, 10, "Succeeded", 0, 0, 0); /* nothing to fix: done on the 201 */
	assert_int_equal(tr.active, 2);
	n = tracker_due(&tr, 10, act, 16);
	assert_int_equal(n, 1); /* one freed slot, polls not yet due */
	assert_int_equal(act[0].kind, TRACKER_CREATE);
	assert_int_equal(act[0].task, 3);
	/* created at 0, answered at 10: polled an interval after the create left */
	assert_int_equal(tracker_next_wakeup(&tr), 1000);
	tracker_release(&tr);
}

/* The interval is a period from when a poll left, whatever its round trip; a very slow answer
 * is followed by the next poll half an interval later, not at once. */
static void test_poll_period_runs_from_the_send(void **state)
{
	struct tracker tr;
	struct tracker_action act[4];
	(void)state;
	tracker_init(&tr, 10, 1000);
	add_n(&tr, 1, NULL);
	assert_int_equal(tracker_due(&tr, 0, act, 4), 1);
	tracker_answer(&tr, 0, 300, "Accepted", 0, 0, 0);
	assert_int_equal(tracker_next_wakeup(&tr), 1000);
	assert_int_equal(tracker_due(&tr, 1000, act, 4), 1);
	tracker_answer(&tr, 0, 1900, "Running", 1, 0, 0);
	assert_int_equal(tracker_next_wakeup(&tr), 2400);
	tracker_release(&tr);
}

static void test_poll_interval_stretches_then_resets(void **state)
{
	struct tracker tr;
	struct tracker_action act[4];
	int64_t now = 0;
	(void)state;
	tracker_init(&tr, 10, 1000);
	add_n(&tr, 1, NULL);
	assert_int_equal(tracker_due(&tr, now, act, 4), 1);
	assert_true(tracker_answer(&tr, 0, now, "Running", 10, 0, 0));
	assert_int_equal(tracker_next_wakeup(&tr), 1000);
	assert_int_equal(tracker_due(&tr, 999, act, 4), 0);
	now = 1000;
	assert_int_equal(tracker_due(&tr, now, act, 4), 1);
	assert_int_equal(act[0].kind, TRACKER_POLL);
	assert_false(tracker_answer(&tr, 0, now, "Running", 10, 0, 0)); /* no change */
	assert_int_equal(tracker_next_wakeup(&tr), now + 1500);
	now += 1500;
	tracker_due(&tr, now, act, 4);
	tracker_answer(&tr, 0, now, "Running", 10, 0, 0);
	assert_int_equal(tracker_next_wakeup(&tr), now + 2000); /* capped at 2 intervals */
	now += 2000;
	tracker_due(&tr, now, act, 4);
	tracker_answer(&tr, 0, now, "Running", 10, 0, 0);
	assert_int_equal(tracker_next_wakeup(&tr), now + 2000);
	now += 2000;
	tracker_due(&tr, now, act, 4);
	assert_true(tracker_answer(&tr, 0, now, "Running", 10, 2, 0)); /* progress */
	assert_int_equal(tracker_next_wakeup(&tr), now + 1000);
	tracker_release(&tr);
}

static void test_unknown_state_keeps_polling(void **state)
{
	struct tracker tr;
	struct tracker_action act[4];
	(void)state;
	tracker_init(&tr, 10, 100);
	add_n(&tr, 1, NULL);
	tracker_due(&tr, 0, act, 4);
	tracker_answer(&tr, 0, 0, "Quantum", 1, 0, 0);
	assert_false(tracker_finished(&tr));
	assert_int_equal(tracker_due(&tr, 100, act, 4), 1);
	assert_int_equal(act[0].kind, TRACKER_POLL);
	tracker_answer(&tr, 0, 100, "Complete", 1, 1, 0);
	assert_true(tracker_finished(&tr));
	assert_int_equal(tracker_next_wakeup(&tr), INT64_MAX);
	tracker_release(&tr);
}

static void test_errors_back_off_and_honour_retry_after(void **state)
{
	struct tracker tr;
	struct tracker_action act[4];
	int64_t prev_delay = 0, delay;
	int i;
	(void)state;
	tracker_init(&tr, 1, 1000);
	add_n(&tr, 2, NULL);
	assert_int_equal(tracker_due(&tr, 0, act, 4), 1);
	/* a create refused (e.g. tenant limit) frees the slot and goes back to the queue */
	tracker_retry(&tr, 0, 0, 0);
	assert_int_equal(tr.active, 0);
	assert_int_equal(tracker_due(&tr, 0, act, 4), 1);
	assert_int_equal(act[0].task, 1); /* the other one may go meanwhile */
	tracker_answer(&tr, 1, 0, "Running", 1, 0, 0);
	/* polls that fail back off growing, up to the cap */
	for (i = 0; i < 12; i++) {
		int64_t now = tracker_next_wakeup(&tr);
		size_t n = tracker_due(&tr, now, act, 4);
		assert_int_equal(n, 1);
		assert_int_equal(act[0].kind, TRACKER_POLL);
		tracker_retry(&tr, 1, now, 0);
		delay = tr.tasks[1].next_at - now;
		assert_true(delay >= 500);
		assert_true(delay <= tr.max_backoff_ms);
		if (i < 4)
			assert_true(delay >= prev_delay);
		prev_delay = delay;
	}
	/* Retry-After wins when it is longer */
	tracker_due(&tr, tracker_next_wakeup(&tr), act, 4);
	tracker_retry(&tr, 1, 5000000, 120000);
	assert_int_equal(tr.tasks[1].next_at, 5000000 + 120000);
	tracker_release(&tr);
}

static void test_resumed_tasks(void **state)
{
	struct tracker tr;
	struct tracker_action act[8];
	size_t n;
	(void)state;
	tracker_init(&tr, 2, 1000);
	tracker_add(&tr, "a", "/s", "Succeeded", 3, 3, 0, NULL);
	tracker_add(&tr, "b", "/s", "Running", 3, 1, 0, NULL);
	tracker_add(&tr, "c", "/s", "planned", 0, 0, 0, NULL);
	tracker_add(&tr, "d", "/s", NULL, 0, 0, 0, NULL);
	assert_int_equal(tr.done, 1);
	assert_int_equal(tr.active, 1);
	assert_true(tr.tasks[2].maybe_exists);
	assert_false(tr.tasks[3].maybe_exists);
	n = tracker_due(&tr, 0, act, 8);
	assert_int_equal(n, 2); /* poll b, create c; d waits for a slot */
	assert_int_equal(act[0].kind, TRACKER_POLL);
	assert_int_equal(act[0].task, 1);
	assert_int_equal(act[1].kind, TRACKER_CREATE);
	assert_int_equal(act[1].task, 2);
	/* c's lookup found nothing: it is created for real, first in line again */
	tracker_not_found(&tr, 2, 5);
	assert_false(tr.tasks[2].maybe_exists);
	n = tracker_due(&tr, 5, act, 8);
	assert_int_equal(n, 1);
	assert_int_equal(act[0].task, 2);
	tracker_give_up(&tr, 2, "CreateFailed");
	assert_int_equal(tr.active, 1);
	assert_true(tracker_state_is_terminal(tr.tasks[2].state));
	tracker_release(&tr);
}

/* 10,000 tasks, cap 100: each is created once, the cap is never exceeded, all finish. */
static void test_ten_thousand_tasks(void **state)
{
	struct tracker tr;
	struct tracker_action act[256];
	unsigned *creates, *polls;
	int64_t now = 0;
	size_t i, n, max_active = 0, total_polls = 0;
	(void)state;
	tracker_init(&tr, 100, 1000);
	add_n(&tr, 10000, NULL);
	creates = calloc(tr.nr, sizeof(*creates));
	polls = calloc(tr.nr, sizeof(*polls));
	while (!tracker_finished(&tr)) {
		n = tracker_due(&tr, now, act, 256);
		for (i = 0; i < n; i++) {
			size_t t = act[i].task;
			if (act[i].kind == TRACKER_CREATE) {
				creates[t]++;
				tracker_answer(&tr, t, now, "Accepted", 0, 0, 0);
			} else {
				polls[t]++;
				/* each task runs three polls then succeeds */
				tracker_answer(&tr, t, now, polls[t] >= 3 ? "Succeeded" : "Running",
					       5, polls[t] >= 3 ? 5 : polls[t], 0);
			}
		}
		if (tr.active > max_active)
			max_active = tr.active;
		now = tracker_next_wakeup(&tr);
		if (now == INT64_MAX)
			break;
	}
	assert_true(tracker_finished(&tr));
	assert_true(max_active <= 100);
	for (i = 0; i < tr.nr; i++) {
		assert_int_equal(creates[i], 1);
		assert_int_equal(polls[i], 3);
		total_polls += polls[i];
	}
	assert_int_equal(total_polls, 30000);
	free(creates);
	free(polls);
	tracker_release(&tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terminal_states),
		cmocka_unit_test(test_cap_queues_the_rest),
		cmocka_unit_test(test_poll_period_runs_from_the_send),
		cmocka_unit_test(test_poll_interval_stretches_then_resets),
		cmocka_unit_test(test_unknown_state_keeps_polling),
		cmocka_unit_test(test_errors_back_off_and_honour_retry_after),
		cmocka_unit_test(test_resumed_tasks),
		cmocka_unit_test(test_ten_thousand_tasks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
