/*
 * tracker — which remediation task to create or poll next, and when; no I/O.
 *
 * The tracker is the scheduling half of `remediate` and `track`: it keeps at most
 * max_active tasks active in the tenant (Azure refuses more than 100), queues the rest in the
 * order they were added, and decides when each active task is next polled: at poll_interval,
 * stretched while a task shows no progress, backed off exponentially after a failed request.
 * It never sleeps and never reads a clock: the caller passes `now` (ms, any monotonic origin)
 * and asks tracker_next_wakeup when to come back, so tests drive it with a fake clock and
 * fake responses.
 *
 * Terminal provisioning states are Succeeded, Failed, Canceled and Complete (any case); any
 * other value, including ones Azure may add later, counts as still running.
 */
#ifndef TRACKER_H
#define TRACKER_H

#include <stddef.h>
#include <stdint.h>

enum tracked_phase {
	TRACKED_QUEUED = 0, /* waiting for a slot; not yet created */
	TRACKED_CREATING,   /* create request in flight */
	TRACKED_ACTIVE,     /* created, not terminal; polled when due */
	TRACKED_POLLING,    /* poll request in flight */
	TRACKED_DONE,       /* terminal state seen */
};

struct tracked_task {
	char *name;         /* owned */
	char *scope;        /* owned */
	char *state;        /* owned; last provisioningState, NULL before creation */
	long total, succeeded, failed; /* deploymentStatus */
	enum tracked_phase phase;
	int maybe_exists;   /* a previous process may have sent its create: look before creating */
	int64_t next_at;    /* when it is next due (create retry or poll) */
	int64_t sent_at;    /* when its last create or poll was handed out (tracker_due) */
	long interval_ms;   /* current poll interval */
	unsigned errors;    /* consecutive failed requests */
	void *data;         /* the caller's, borrowed */
};

struct tracker {
	struct tracked_task *tasks; /* owned array */
	size_t nr, alloc;
	long max_active;       /* tasks active at once (created and not terminal) */
	long poll_interval_ms; /* first poll interval after a change */
	long max_interval_ms;  /* cap of the stretched poll interval */
	long max_backoff_ms;   /* cap of the error backoff */
	size_t active;         /* tasks CREATING, ACTIVE or POLLING */
	size_t done;
};

enum tracker_action_kind {
	TRACKER_CREATE, /* send the task's create (or first look whether it exists: maybe_exists) */
	TRACKER_POLL,   /* GET the task */
};

struct tracker_action {
	enum tracker_action_kind kind;
	size_t task; /* index into tracker.tasks */
};

void tracker_init(struct tracker *tr, long max_active, long poll_interval_ms);
void tracker_release(struct tracker *tr);

/*
 * Adds a task. state is the last known provisioningState; NULL or "queued" when it was never
 * sent, "planned" when its create may have been sent by a process that died (maybe_exists:
 * look before creating). Returns its index.
 */
size_t tracker_add(struct tracker *tr, const char *name, const char *scope, const char *state,
		   long total, long succeeded, long failed, void *data);

/*
 * Fills out with up to max actions due at now and marks their tasks in flight; returns how
 * many. Creates come only while fewer than max_active tasks are active.
 */
size_t tracker_due(struct tracker *tr, int64_t now, struct tracker_action *out, size_t max);

/*
 * The answer to a create or a poll: the task's provisioningState (borrowed) and counts.
 * Returns 1 when the state or counts changed (something to show), 0 otherwise.
 */
int tracker_answer(struct tracker *tr, size_t task, int64_t now, const char *state, long total,
		   long succeeded, long failed);
/*
 * A create or poll failed transiently (or Azure's tenant task limit refused the create): the
 * task is retried after an exponential backoff (at least retry_after_ms when > 0).
 * A create goes back to the queue, freeing its slot.
 */
void tracker_retry(struct tracker *tr, size_t task, int64_t now, long retry_after_ms);
/* A create failed for good (e.g. a 400): the task is done with state "CreateFailed". */
void tracker_give_up(struct tracker *tr, size_t task, const char *state);
/* The create found no task (maybe_exists was set and a GET said 404): create it for real now. */
void tracker_not_found(struct tracker *tr, size_t task, int64_t now);

/* The earliest time something is due; INT64_MAX when nothing is waiting on time. */
int64_t tracker_next_wakeup(const struct tracker *tr);
/* True when every task is terminal. */
int tracker_finished(const struct tracker *tr);
/* True for Succeeded, Failed, Canceled, Complete (case-insensitive). */
int tracker_state_is_terminal(const char *state);
/* True for the terminal states that mean the task did its work (Succeeded, Complete). */
int tracker_state_is_success(const char *state);

#endif
