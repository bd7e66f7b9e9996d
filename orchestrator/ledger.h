/*
 * ledger — the durable record of a run: a SQLite file (WAL, mode 0600) that lets `status` and
 * `report` answer without the network and lets a rerun after kill -9 continue the same run.
 *
 * What it holds: runs; every write's intent (recorded before the request is sent) and its
 * outcome (after); remediation tasks with their last state and deployment counts; compliance
 * scans; failures with the request ids to look up in the activity log. It never holds secrets
 * or tokens: every free text that comes from the network passes through the message
 * redactor before it is stored.
 *
 * One process at a time: ledger_open takes an exclusive flock on "<path>.lock" (the kernel
 * drops it when the process dies, even by SIGKILL, so a stale lock cannot outlive its owner)
 * and writes its pid there for the message a second process prints. Readers (status, report)
 * use ledger_open_readonly, which takes no lock: WAL lets them read while a run writes.
 *
 * Every write is one autocommitted statement (or a short transaction), synchronous=NORMAL in
 * WAL: a crash loses at most the statements that had not returned, never corrupts the file.
 */
#ifndef LEDGER_H
#define LEDGER_H

#include <stdint.h>

#include "lib/strbuf.h"

/*
 * Every function that returns an enum ledger_result must have it checked: a write whose
 * intent could not be recorded is never sent ("the ledger fails closed"). The compiler
 * enforces it (-Werror).
 */
#define LEDGER_MUST_CHECK __attribute__((warn_unused_result))

enum ledger_result {
	LEDGER_OK = 0,
	LEDGER_ERR_BUSY,      /* another process holds the ledger */
	LEDGER_ERR_IO,        /* cannot create, open or read the file */
	LEDGER_ERR_SQL,       /* SQLite refused a statement (corrupt file, disk full...) */
	LEDGER_ERR_NOT_FOUND, /* no such run (or task) */
	LEDGER_ERR_FORMAT,    /* a stored name this version does not know (ledger_errmsg says which) */
};

/*
 * The names below are what the ledger stores (ledger files of earlier versions hold the same
 * names). Each enum has a _name function (static string) and a _parse function that returns
 * 0 and sets *out, or -1 for a name it does not know: an unknown stored name is an error
 * (LEDGER_ERR_FORMAT), never read as some default.
 */

/* Where a run got to, in the order contain runs the phases. */
enum ledger_phase {
	LEDGER_PHASE_START,     /* "start": begun, nothing done yet */
	LEDGER_PHASE_APPLY,     /* "apply" */
	LEDGER_PHASE_SCAN,      /* "scan" */
	LEDGER_PHASE_REMEDIATE, /* "remediate" */
	LEDGER_PHASE_TRACK,     /* "track" */
	LEDGER_PHASE_VERIFY,    /* "verify" */
	LEDGER_PHASE_DONE,      /* "done" */
	LEDGER_PHASE_FIX,       /* "fix": a fix run (never a contain run's phase) */
};
#define LEDGER_PHASE_COUNT (LEDGER_PHASE_FIX + 1)

enum ledger_run_state {
	LEDGER_RUN_RUNNING,     /* "running": a process works on it (or died without saying) */
	LEDGER_RUN_OPEN,        /* "open": a step done, more to come */
	LEDGER_RUN_SUCCEEDED,   /* "succeeded" (final) */
	LEDGER_RUN_FAILED,      /* "failed" (final) */
	LEDGER_RUN_TIMEOUT,     /* "timeout": resumable */
	LEDGER_RUN_INTERRUPTED, /* "interrupted": resumable */
};
#define LEDGER_RUN_STATE_COUNT (LEDGER_RUN_INTERRUPTED + 1)

/*
 * A remediation task's state. The ledger stores policyctl's own two by name ("queued",
 * "planned") and otherwise the provisioningState text Azure reported, which ledger_task_state_of
 * classifies: Succeeded and Complete succeeded; Failed and CreateFailed failed; Canceled; any
 * other text (Accepted, Evaluating, Running, Cancelling, a state Azure adds later) is running.
 */
enum ledger_task_state {
	LEDGER_TASK_QUEUED,    /* "queued": never sent */
	LEDGER_TASK_PLANNED,   /* "planned": the create is about to be sent, the task may exist */
	LEDGER_TASK_RUNNING,   /* any non-terminal Azure state */
	LEDGER_TASK_SUCCEEDED,
	LEDGER_TASK_FAILED,
	LEDGER_TASK_CANCELED,
};

/* What a recorded failure is about. */
enum ledger_failure_kind {
	LEDGER_FAILURE_WRITE,      /* "write": a PUT of a definition, assignment, role assignment */
	LEDGER_FAILURE_SCOPE,      /* "scope": listing the management group's subscriptions */
	LEDGER_FAILURE_SCAN,       /* "scan": a compliance evaluation */
	LEDGER_FAILURE_TASK,       /* "task": a remediation task's create, poll or end state */
	LEDGER_FAILURE_DEPLOYMENT, /* "deployment": one failed deployment of a task */
	LEDGER_FAILURE_VERIFY,     /* "verify": a resource still non-compliant after verification */
	LEDGER_FAILURE_INVENTORY,  /* "inventory": an app open per Resource Graph (verify's second
				      opinion), or the inventory's failure */
};
#define LEDGER_FAILURE_KIND_COUNT (LEDGER_FAILURE_INVENTORY + 1)

const char *ledger_phase_name(enum ledger_phase phase);
int ledger_phase_parse(const char *name, enum ledger_phase *out);
const char *ledger_run_state_name(enum ledger_run_state state);
int ledger_run_state_parse(const char *name, enum ledger_run_state *out);
const char *ledger_failure_kind_name(enum ledger_failure_kind kind);
int ledger_failure_kind_parse(const char *name, enum ledger_failure_kind *out);
/* "queued", "planned", "Running", "Succeeded", "Failed", "Canceled". */
const char *ledger_task_state_name(enum ledger_task_state state);
/* Classifies a stored task state (NULL or "" is queued: nothing was sent). */
enum ledger_task_state ledger_task_state_of(const char *text);

struct ledger;

/* A run as stored. Strings are owned by the struct; free with ledger_run_release. */
struct ledger_run {
	int64_t id;
	char *uid;          /* 16 hex chars, random at creation; part of every task name */
	char *command;      /* the command that began it: contain, apply, remediate... */
	char *scope;        /* "mg:<id>" or "subs:<id>,<id>..." */
	enum ledger_phase phase;     /* where it got to: the next phase to do */
	enum ledger_run_state state;
	int64_t started_ms; /* wall clock, ms since the epoch */
	int64_t updated_ms;
	int64_t finished_ms; /* 0 while not finished */
	int pid;             /* process that last worked on it */
};

/* A remediation task. Strings owned; free with ledger_task_release. */
struct ledger_task {
	char *name;          /* deterministic for the run: see ledger_task_name */
	char *scope;         /* /subscriptions/<id> or /providers/Microsoft.Management/... */
	char *assignment_id; /* the policy assignment it remediates */
	char *reference_id;  /* policyDefinitionReferenceId */
	char *discovery;     /* ExistingNonCompliant or ReEvaluateCompliance */
	char *state;         /* "queued", "planned", then the provisioningState Azure reported
			      * (see enum ledger_task_state; ledger_task_state_of classifies) */
	long total, succeeded, failed; /* deploymentStatus */
	int64_t updated_ms;
};

struct ledger_scan {
	char *subscription; /* subscription id */
	char *state;        /* triggered, Succeeded, Failed, timeout */
	char *location;     /* LRO URL to poll (no secrets: an ARM URL) */
	int64_t updated_ms;
};

struct ledger_failure {
	enum ledger_failure_kind kind;
	char *subject;     /* resource id */
	char *code;        /* ARM error code */
	char *message;     /* redacted */
	char *request_id;  /* x-ms-request-id, may be empty */
	char *correlation_id;
	int64_t at_ms;
};

struct ledger_write_stats {
	long intents;   /* writes recorded as about to be sent */
	long succeeded; /* answered 2xx (or an equivalent such as RoleAssignmentExists) */
	long failed;
	long pending;   /* intent recorded, no outcome: sent or not when the process stopped */
};

/*
 * Opens (creating when absent, mode 0600) the ledger at path and takes its exclusive lock.
 * On LEDGER_ERR_BUSY err says which pid holds it. *out is new; close with ledger_close.
 */
LEDGER_MUST_CHECK
enum ledger_result ledger_open(const char *path, struct ledger **out, struct strbuf *err);
/* Opens an existing ledger for reading without the lock (status, report). */
LEDGER_MUST_CHECK
enum ledger_result ledger_open_readonly(const char *path, struct ledger **out, struct strbuf *err);
/* Closes and releases the lock; NULL is a no-op. */
void ledger_close(struct ledger *l);

/*
 * Batched commits. After ledger_batch_start the writes are no longer committed one by one:
 * the first opens a transaction and ledger_batch_flush commits it (a no-op when nothing is
 * open). What must be on disk before something else happens (a write's intent before its
 * request leaves) is flushed first: the orchestrator flushes from the HTTP engine's
 * before-send hook and before the engine waits. A failed commit is rolled back (those rows
 * are lost, and whatever they announced must not happen). ledger_close flushes.
 */
void ledger_batch_start(struct ledger *l);
enum ledger_result ledger_batch_flush(struct ledger *l);
/* The last SQLite error text (borrowed, valid until the next call). */
const char *ledger_errmsg(struct ledger *l);

/* Milliseconds since the epoch (wall clock), as the ledger stores times. */
int64_t ledger_now_ms(void);

/*
 * The run to continue: the newest run whose state is running, open, interrupted or timeout and
 * whose scope equals scope. LEDGER_ERR_NOT_FOUND when there is none. run is filled (owned).
 */
LEDGER_MUST_CHECK
enum ledger_result ledger_run_resumable(struct ledger *l, const char *scope, struct ledger_run *run);
/* The newest run of scope, whatever its state (track and cancel); LEDGER_ERR_NOT_FOUND when none. */
LEDGER_MUST_CHECK
enum ledger_result ledger_run_latest_of_scope(struct ledger *l, const char *scope,
					      struct ledger_run *run);
/* The newest run of any state and scope (for status and report). */
LEDGER_MUST_CHECK
enum ledger_result ledger_run_latest(struct ledger *l, struct ledger_run *run);
LEDGER_MUST_CHECK
enum ledger_result ledger_run_get(struct ledger *l, int64_t id, struct ledger_run *run);
/* Begins a new run (state running, phase "start"). */
LEDGER_MUST_CHECK
enum ledger_result ledger_run_begin(struct ledger *l, const char *command, const char *scope,
				    struct ledger_run *run);
/* Marks the run as worked on by this process again (state running). */
LEDGER_MUST_CHECK
enum ledger_result ledger_run_resume(struct ledger *l, int64_t run_id);
LEDGER_MUST_CHECK
enum ledger_result ledger_run_set_phase(struct ledger *l, int64_t run_id, enum ledger_phase phase);
/* Sets the state; succeeded and failed also set finished_ms. */
LEDGER_MUST_CHECK
enum ledger_result ledger_run_set_state(struct ledger *l, int64_t run_id,
					enum ledger_run_state state);
void ledger_run_release(struct ledger_run *run);

/*
 * Records that method is about to be sent to resource_id (body_digest: hex SHA-256 of the
 * body, or ""). *write_id identifies the record for ledger_write_outcome.
 */
LEDGER_MUST_CHECK
enum ledger_result ledger_write_intent(struct ledger *l, int64_t run_id, const char *method,
				       const char *resource_id, const char *body_digest,
				       int64_t *write_id);
/* Records the answer: HTTP status (0 for none), request id, and on failure code + message. */
LEDGER_MUST_CHECK
enum ledger_result ledger_write_outcome(struct ledger *l, int64_t write_id, int ok, int status,
					const char *request_id, const char *code,
					const char *message);
LEDGER_MUST_CHECK
enum ledger_result ledger_write_stats(struct ledger *l, int64_t run_id,
				      struct ledger_write_stats *stats);

/*
 * The deterministic name of the task for (scope, reference_id) in the run with uid
 * run_uid: "policyctl-<uid>-<12 hex of SHA-256(lowercase scope \n reference_id)>".
 * Returns a new string.
 */
char *ledger_task_name(const char *run_uid, const char *scope, const char *reference_id);
/*
 * Records a task (state "queued") so its name is fixed before any PUT. When the run already
 * has a task of that name nothing changes: rerunning remediate never plans a second one.
 */
LEDGER_MUST_CHECK
enum ledger_result ledger_task_plan(struct ledger *l, int64_t run_id, const struct ledger_task *task);
/* Updates the last state and counts of a task. */
LEDGER_MUST_CHECK
enum ledger_result ledger_task_update(struct ledger *l, int64_t run_id, const char *name,
				      const char *state, long total, long succeeded, long failed);
/*
 * Every task of the run, ordered by scope then name. *tasks is a new array of *nr entries;
 * free with ledger_tasks_free.
 */
LEDGER_MUST_CHECK
enum ledger_result ledger_task_list(struct ledger *l, int64_t run_id, struct ledger_task **tasks,
				    size_t *nr);
void ledger_task_release(struct ledger_task *task);
void ledger_tasks_free(struct ledger_task *tasks, size_t nr);

/* Creates or updates the scan of a subscription (location may be NULL to keep the old one). */
LEDGER_MUST_CHECK
enum ledger_result ledger_scan_set(struct ledger *l, int64_t run_id, const char *subscription,
				   const char *state, const char *location);
LEDGER_MUST_CHECK
enum ledger_result ledger_scan_list(struct ledger *l, int64_t run_id, struct ledger_scan **scans,
				    size_t *nr);
void ledger_scans_free(struct ledger_scan *scans, size_t nr);
/* Forgets the run's scans (a verify pass starts a fresh set). */
LEDGER_MUST_CHECK
enum ledger_result ledger_scan_clear(struct ledger *l, int64_t run_id);

/* Records a failure; message is redacted before it is stored. Strings may be NULL. A stored
 * kind this version does not know makes ledger_failure_list fail with LEDGER_ERR_FORMAT. */
LEDGER_MUST_CHECK
enum ledger_result ledger_failure_add(struct ledger *l, int64_t run_id,
				      enum ledger_failure_kind kind,
				      const char *subject, const char *code, const char *message,
				      const char *request_id, const char *correlation_id);
/* Forgets failures of one kind (e.g. "verify" before a new verification). */
LEDGER_MUST_CHECK
enum ledger_result ledger_failure_clear(struct ledger *l, int64_t run_id,
					enum ledger_failure_kind kind);
LEDGER_MUST_CHECK
enum ledger_result ledger_failure_list(struct ledger *l, int64_t run_id,
				       struct ledger_failure **failures, size_t *nr);
void ledger_failures_free(struct ledger_failure *failures, size_t nr);

/* Deployments of management-group tasks, summed per subscription (from listDeployments). */
struct ledger_sub_counts {
	char *subscription;
	long succeeded, failed;
};
/* Records the deployment counts of one task in one subscription (replacing earlier ones). */
LEDGER_MUST_CHECK
enum ledger_result ledger_task_sub_counts_set(struct ledger *l, int64_t run_id, const char *task,
					      const char *subscription, long succeeded, long failed);
/* The run's counts summed per subscription over its tasks; *out new, free with the function below. */
LEDGER_MUST_CHECK
enum ledger_result ledger_sub_counts_list(struct ledger *l, int64_t run_id,
					  struct ledger_sub_counts **out, size_t *nr);
void ledger_sub_counts_free(struct ledger_sub_counts *counts, size_t nr);

/* A small key/value store per run (e.g. the assignment's principal id). value new or NULL. */
LEDGER_MUST_CHECK
enum ledger_result ledger_note_set(struct ledger *l, int64_t run_id, const char *key, const char *value);
LEDGER_MUST_CHECK
enum ledger_result ledger_note_get(struct ledger *l, int64_t run_id, const char *key, char **value);


/* An app a fix run planned, patched, skipped or verified. Strings owned. */
struct ledger_fix {
	char *resource_id;
	char *tier;          /* exposed+production, exposed, production, rest */
	long batch;          /* 1-based batch number */
	char *state;         /* planned, sent (PATCH may be out), fixed, verified, lagging,
				failed, skipped */
	char *reason;        /* why skipped or failed (redacted), "" otherwise */
	int64_t updated_ms;
};
/* Creates or updates the fix row of resource_id (reason may be NULL; it is redacted). */
LEDGER_MUST_CHECK
enum ledger_result ledger_fix_set(struct ledger *l, int64_t run_id, const char *resource_id,
				  const char *tier, long batch, const char *state, const char *reason);
/* The run's fix rows by batch then id; *fixes new (ledger_fixes_free). No table: none. */
LEDGER_MUST_CHECK
enum ledger_result ledger_fix_list(struct ledger *l, int64_t run_id, struct ledger_fix **fixes,
				   size_t *nr);
void ledger_fixes_free(struct ledger_fix *fixes, size_t nr);
/*
 * Progress over time, for the HTML report's chart: one point per change of the sums over the
 * run's tasks (tasks, deployments total, succeeded, failed), recorded as tasks are polled.
 * "Remaining" at a point is total - succeeded - failed (deployments Azure has counted and not
 * yet finished; tasks that have not reported yet count nothing).
 */
struct ledger_progress_point {
	int64_t at_ms; /* wall clock when recorded */
	long tasks, total, succeeded, failed;
};
/* Records the run's current sums as a point, unless they equal the last point's. */
LEDGER_MUST_CHECK
enum ledger_result ledger_progress_record(struct ledger *l, int64_t run_id);
/* Every point of the run, oldest first. *points new (free()), *nr entries; none on an old ledger. */
LEDGER_MUST_CHECK
enum ledger_result ledger_progress_list(struct ledger *l, int64_t run_id,
					struct ledger_progress_point **points, size_t *nr);

#endif
