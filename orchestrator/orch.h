/*
 * orch — the orchestrator's phases over one ARM client and one ledger: plan, apply, scan,
 * remediate, track, verify, cancel, and `contain`, which runs them in order.
 *
 * The orchestrator never includes generator/ headers: what to deploy comes in as a
 * struct deploy_set (resource ids and exact PUT bodies, role definition ids, the
 * DeployIfNotExists reference ids), which cli/ builds from the generator's rendering. Every
 * phase queues its requests on the ARM client's event loop and pumps it, so hundreds of
 * subscriptions progress at once within the client's concurrency cap and pacing; no phase
 * waits on one request at a time.
 *
 * Results map one to one onto the exit codes: 0 all done and compliant, 1 something failed,
 * 2 usage or configuration, 3 a deadline passed, 4 interrupted (the ledger lets a rerun
 * continue). A SIGINT or SIGTERM sets orch_interrupted; each pump returns within ~100 ms,
 * records the run as interrupted and the phase returns ORCH_INTERRUPTED.
 */
#ifndef ORCH_H
#define ORCH_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/arm.h"
#include "lib/config.h"
#include "orchestrator/ledger.h"

enum orch_result {
	ORCH_OK = 0,
	ORCH_FAILED = 1,      /* some write, task, deployment or verification failed */
	ORCH_USAGE = 2,       /* configuration or usage problem found while running */
	ORCH_TIMEOUT = 3,
	ORCH_INTERRUPTED = 4,
};

enum deploy_kind {
	DEPLOY_POLICY_DEFINITION,
	DEPLOY_POLICY_SET_DEFINITION,
	DEPLOY_POLICY_ASSIGNMENT,
};

struct deploy_resource {
	enum deploy_kind kind;
	char *scope; /* owned: "/providers/Microsoft.Management/managementGroups/x" or "/subscriptions/x" */
	char *id;    /* owned: full resource id */
	json_t *body; /* owned reference: the exact PUT body */
};

/* What to deploy, in creation order (definitions, set definitions, assignments). */
struct deploy_set {
	struct deploy_resource *resources; /* owned */
	size_t nr, alloc;
	struct string_list role_definition_ids; /* "/providers/Microsoft.Authorization/roleDefinitions/<guid>" */
	struct string_list reference_ids;       /* DeployIfNotExists policyDefinitionReferenceIds */
};

#define DEPLOY_SET_INIT { NULL, 0, 0, { NULL, 0, 0 }, { NULL, 0, 0 } }

/* Appends a resource (scope, id copied; body stolen). */
void deploy_set_add(struct deploy_set *set, enum deploy_kind kind, const char *scope,
		    const char *id, json_t *body);
/* Frees the resources (ids and bodies) and keeps the reference and role ids. */
void deploy_set_drop_resources(struct deploy_set *set);
void deploy_set_release(struct deploy_set *set);

/* Set by the signal handler that orch_install_signals installs. */
extern volatile sig_atomic_t orch_interrupted;
/* SIGINT and SIGTERM set orch_interrupted instead of killing the process. */
void orch_install_signals(void);

struct orch {
	const struct config *cfg;     /* borrowed */
	struct arm_client *arm;       /* borrowed */
	struct ledger *ledger;        /* borrowed; NULL in dry run (nothing is recorded) */
	struct ledger_run run;        /* owned; valid when ledger is set */
	struct deploy_set *set;       /* borrowed; NULL for phases that do not need it; contain
				       * drops its resources once applied (memory while tracking) */
	int dry_run;
	FILE *out;                    /* progress and plan output (borrowed) */
	int live;                     /* redraw progress in place (a terminal) */
	int json;                     /* --output json: reports as JSON */
	struct string_list subscriptions;   /* subscriptions in scope, resolved by orch_scope */
	struct string_list assignment_ids;  /* one per assignment scope */
	struct string_list assignment_scopes;
	char *scope_key;              /* "mg:<id>" or "subs:<id>,..." (owned) */
	int64_t deadline_ms;          /* monotonic; 0 = none (track, verify) */
	long principal_timeout_ms;
	long task_slots;              /* remediation tasks this run may hold at once, from the
				       * preflight's count of others' active tasks; 0: the
				       * configured max_concurrent_tasks */
};

/*
 * The state of a phase's asynchronous calls. A phase that returns early (signal, deadline)
 * leaves calls queued on the client; their callbacks still run later (at the latest with
 * ARM_ERR_CANCELLED when the client is freed). So phase state lives on the heap, embeds this
 * as its first member, and every callback starts with `if (!orch_phase_arrive(ph)) return;`:
 * once the phase has left, callbacks only count down, and the last one frees the state.
 */
struct orch_phase {
	size_t pending; /* calls and timers queued whose callbacks have not yet run */
	int abandoned;  /* the phase has returned */
	void (*free_fn)(struct orch_phase *ph);
};
/* Counts a callback in: 1 to go on, 0 when the phase has left (state may be freed). */
int orch_phase_arrive(struct orch_phase *ph);
/* The phase returns: frees now when nothing is pending, else when the last callback arrives. */
void orch_phase_leave(struct orch_phase *ph);

/* Monotonic milliseconds. */
int64_t orch_now_ms(void);

/*
 * Prepares o for cfg: the scope key and the assignment scopes and ids (from set's assignments
 * when it holds resources, else from the config, as the generator names them). Returns ORCH_OK or ORCH_USAGE (message printed).
 */
enum orch_result orch_init(struct orch *o, const struct config *cfg, struct arm_client *arm,
			   struct deploy_set *set);
void orch_release(struct orch *o);

/*
 * Opens the ledger (o->cfg->run_ledger) and attaches to the run to continue for this scope,
 * or begins one for command. Returns ORCH_OK, ORCH_USAGE when the ledger is busy or unusable.
 * The ledger is closed by orch_release.
 */
enum orch_result orch_attach_run(struct orch *o, const char *command, int resume_only);

/* Resolves the subscriptions in scope (listing the management group's descendants). */
enum orch_result orch_resolve_subscriptions(struct orch *o);

/*
 * Records where the command left the run. final (contain, track, cancel): succeeded or
 * failed end it. Otherwise (apply, scan, remediate) it stays "open", so the next command of
 * the same scope continues it. Timeout and interrupted always leave it resumable.
 */
void orch_finish(struct orch *o, enum orch_result result, int final);

/* The phases. */
enum orch_result orch_plan(struct orch *o);
enum orch_result orch_apply(struct orch *o);
enum orch_result orch_scan(struct orch *o, int wait);
enum orch_result orch_remediate(struct orch *o);
enum orch_result orch_track(struct orch *o, long timeout_ms);
enum orch_result orch_verify(struct orch *o);
enum orch_result orch_cancel(struct orch *o);
/* apply → scan → remediate → track → verify; resumes the phases a killed run had not done. */
enum orch_result orch_contain(struct orch *o, long timeout_ms);

/*
 * Pumps the ARM client until *pending reaches 0, the deadline passes or a signal arrives.
 * Returns ORCH_OK, ORCH_TIMEOUT or ORCH_INTERRUPTED.
 */
enum orch_result orch_pump(struct orch *o, const size_t *pending, int64_t deadline_ms);

/* Records a failed ARM call in the ledger (kind, subject) and prints it. */
void orch_record_failure(struct orch *o, const char *kind, const char *subject,
			 const struct arm_error *err);

/* Compares desired (borrowed) against live (borrowed): 1 when live already holds every
 * value of desired (ids compared case-insensitively, [] and {} equal to absent), else 0;
 * the first few differing paths are appended to diff (comma separated) when not NULL. */
int orch_json_contains(const json_t *desired, const json_t *live, struct strbuf *diff);

/* The deterministic role assignment name (a UUID) for scope, principal and role (new). */
char *orch_role_assignment_name(const char *scope, const char *principal_id, const char *role_id);

#endif
