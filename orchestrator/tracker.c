/*
 * tracker — remediation task scheduling without I/O (see tracker.h).
 *
 * The queue is the task array itself in insertion order: tracker_due walks it once, so
 * ordering is stable and a 10,000-task run costs one pass per wakeup, no allocation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "orchestrator/tracker.h"
#include "orchestrator/ledger.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

void tracker_init(struct tracker *tr, long max_active, long poll_interval_ms)
{
	memset(tr, 0, sizeof(*tr));
	tr->max_active = max_active > 0 ? max_active : 1;
	tr->poll_interval_ms = poll_interval_ms > 0 ? poll_interval_ms : 1000;
	/* A task that shows no progress is polled less often, but never less than every 2
	 * intervals: the bound on how late we notice a finished task. */
	tr->max_interval_ms = tr->poll_interval_ms * 2;
	tr->max_backoff_ms = tr->poll_interval_ms * 8 > 60000 ? tr->poll_interval_ms * 8 : 60000;
}

void tracker_release(struct tracker *tr)
{
	size_t i;
	for (i = 0; i < tr->nr; i++) {
		free(tr->tasks[i].name);
		free(tr->tasks[i].scope);
		free(tr->tasks[i].state);
	}
	free(tr->tasks);
	memset(tr, 0, sizeof(*tr));
}

int tracker_state_is_terminal(const char *state)
{
	enum ledger_task_state s = ledger_task_state_of(state);
	return s == LEDGER_TASK_SUCCEEDED || s == LEDGER_TASK_FAILED || s == LEDGER_TASK_CANCELED;
}

int tracker_state_is_success(const char *state)
{
	return ledger_task_state_of(state) == LEDGER_TASK_SUCCEEDED;
}

static int is_unsent(const char *state)
{
	enum ledger_task_state s = ledger_task_state_of(state);
	return s == LEDGER_TASK_QUEUED || s == LEDGER_TASK_PLANNED;
}

size_t tracker_add(struct tracker *tr, const char *name, const char *scope, const char *state,
		   long total, long succeeded, long failed, void *data)
{
	struct tracked_task *t;
	ALLOC_GROW(tr->tasks, tr->nr + 1, tr->alloc);
	t = &tr->tasks[tr->nr];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->scope = xstrdup(scope);
	t->total = total;
	t->succeeded = succeeded;
	t->failed = failed;
	t->data = data;
	t->interval_ms = tr->poll_interval_ms;
	if (is_unsent(state)) {
		t->phase = TRACKED_QUEUED;
		/* "planned" in the ledger means the PUT may have left before a crash. */
		t->maybe_exists = ledger_task_state_of(state) == LEDGER_TASK_PLANNED;
	} else {
		t->state = xstrdup(state);
		if (tracker_state_is_terminal(state)) {
			t->phase = TRACKED_DONE;
			tr->done++;
		} else {
			/* Known to exist and running: it holds a tenant slot, poll it right away. */
			t->phase = TRACKED_ACTIVE;
			tr->active++;
		}
	}
	return tr->nr++;
}

size_t tracker_due(struct tracker *tr, int64_t now, struct tracker_action *out, size_t max)
{
	size_t i, n = 0;
	for (i = 0; i < tr->nr && n < max; i++) {
		struct tracked_task *t = &tr->tasks[i];
		if (t->next_at > now)
			continue;
		if (t->phase == TRACKED_ACTIVE) {
			t->phase = TRACKED_POLLING;
			t->sent_at = now;
			out[n].kind = TRACKER_POLL;
			out[n++].task = i;
		} else if (t->phase == TRACKED_QUEUED && tr->active < (size_t)tr->max_active) {
			t->phase = TRACKED_CREATING;
			t->sent_at = now;
			tr->active++;
			out[n].kind = TRACKER_CREATE;
			out[n++].task = i;
		}
	}
	return n;
}

int tracker_answer(struct tracker *tr, size_t task, int64_t now, const char *state, long total,
		   long succeeded, long failed)
{
	struct tracked_task *t = &tr->tasks[task];
	int changed;
	changed = !t->state || !state || strcmp(t->state, state) || t->total != total ||
		  t->succeeded != succeeded || t->failed != failed;
	if (state && (!t->state || strcmp(t->state, state))) {
		free(t->state);
		t->state = xstrdup(state);
	}
	t->total = total;
	t->succeeded = succeeded;
	t->failed = failed;
	t->errors = 0;
	t->maybe_exists = 0;
	if (tracker_state_is_terminal(t->state)) {
		if (t->phase != TRACKED_DONE) {
			tr->active--;
			tr->done++;
		}
		t->phase = TRACKED_DONE;
		return changed;
	}
	/* Progress resets the interval; a quiet task is polled gradually less often. */
	if (changed)
		t->interval_ms = tr->poll_interval_ms;
	else if (t->interval_ms < tr->max_interval_ms)
		t->interval_ms = t->interval_ms + t->interval_ms / 2 > tr->max_interval_ms
				 ? tr->max_interval_ms : t->interval_ms + t->interval_ms / 2;
	t->phase = TRACKED_ACTIVE;
	t->next_at = t->sent_at + t->interval_ms;
	if (t->next_at < now + t->interval_ms / 2)
		t->next_at = now + t->interval_ms / 2; /* a slow answer: no poll right behind it */
	return changed;
}

void tracker_retry(struct tracker *tr, size_t task, int64_t now, long retry_after_ms)
{
	struct tracked_task *t = &tr->tasks[task];
	long backoff = tr->poll_interval_ms;
	unsigned i;
	for (i = 0; i < t->errors && backoff < tr->max_backoff_ms; i++)
		backoff *= 2;
	if (backoff > tr->max_backoff_ms)
		backoff = tr->max_backoff_ms;
	/* Full jitter would spread a herd, but the HTTP engine already jitters its own retries;
	 * here a deterministic half-to-full backoff keeps tests exact. */
	backoff = backoff / 2 + (long)(((uint64_t)task * 2654435761u) % (uint64_t)(backoff / 2 + 1));
	if (retry_after_ms > backoff)
		backoff = retry_after_ms;
	t->errors++;
	t->next_at = now + backoff;
	if (t->phase == TRACKED_CREATING) {
		t->phase = TRACKED_QUEUED;
		tr->active--;
	} else if (t->phase == TRACKED_POLLING) {
		t->phase = TRACKED_ACTIVE;
	}
}

void tracker_give_up(struct tracker *tr, size_t task, const char *state)
{
	struct tracked_task *t = &tr->tasks[task];
	if (t->phase == TRACKED_DONE)
		return;
	if (t->phase != TRACKED_QUEUED)
		tr->active--;
	free(t->state);
	t->state = xstrdup(state);
	t->phase = TRACKED_DONE;
	tr->done++;
}

void tracker_not_found(struct tracker *tr, size_t task, int64_t now)
{
	struct tracked_task *t = &tr->tasks[task];
	t->maybe_exists = 0;
	t->next_at = now;
	if (t->phase == TRACKED_CREATING) {
		t->phase = TRACKED_QUEUED;
		tr->active--;
	} else if (t->phase == TRACKED_POLLING) {
		/* A task we were polling vanished (deleted by someone): create it again. */
		t->phase = TRACKED_QUEUED;
		tr->active--;
	}
}

int64_t tracker_next_wakeup(const struct tracker *tr)
{
	int64_t best = INT64_MAX;
	size_t i;
	for (i = 0; i < tr->nr; i++) {
		const struct tracked_task *t = &tr->tasks[i];
		if (t->phase == TRACKED_ACTIVE ||
		    (t->phase == TRACKED_QUEUED && tr->active < (size_t)tr->max_active))
			if (t->next_at < best)
				best = t->next_at;
	}
	return best;
}

int tracker_finished(const struct tracker *tr)
{
	return tr->done == tr->nr;
}
