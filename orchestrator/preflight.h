/*
 * preflight — what must hold before policyctl writes anything to a tenant, checked read-only
 * and in parallel on the ARM client's event loop. `policyctl doctor` prints every check;
 * `contain` and `apply` run the same checks first and stop before their first write when a
 * blocking one fails (unless --skip-preflight).
 *
 * The checks, in the order they are reported:
 *   credential   which method signed in, the principal (object id, app id, tenant) from the
 *                token's claims, its lifetime, and the clock against the token's iat
 *   endpoints    Resource Manager answers (GET /subscriptions)
 *   scope        the management group and its subscriptions, or each listed subscription,
 *                exist and the principal can see them
 *   permissions  Microsoft.Authorization/permissions at every scope policyctl writes to cover
 *                the actions apply, scan and remediate need (blocking), and those of fix,
 *                exemptions and Resource Graph reads (warnings); each missing action is named
 *                with the built-in roles that grant it
 *   providers    Microsoft.PolicyInsights registered in every subscription in scope (blocking),
 *                Microsoft.Web too (a warning: fix needs it); with fix, registers them
 *                (POST .../register) and waits until Registered
 *   tasks        remediation tasks already active in scope, against max_concurrent_tasks and
 *                Azure's 100 per tenant: the slots left become the run's cap (a warning when
 *                fewer than configured, blocking when none)
 *   names        the assignment name's length at management-group scope (24)
 *   definitions  definitions, initiative and assignments already present: policyctl's
 *                (metadata.generatedBy) or someone else's with the same name (blocking)
 *   ledger       the ledger file is writable and no other policyctl holds it (doctor only)
 * A check whose prerequisite failed (no token, scope not found) is not run.
 */
#ifndef PREFLIGHT_H
#define PREFLIGHT_H

#include "orchestrator/orch.h"

/* Azure runs at most this many remediation tasks at once in a tenant. */
#define PREFLIGHT_AZURE_TASK_LIMIT 100

enum preflight_status {
	PREFLIGHT_PASS = 0, /* ✓ */
	PREFLIGHT_WARN,     /* !  works, with a caveat (or only fix/exemptions are affected) */
	PREFLIGHT_FAIL,     /* ✗  contain and apply would fail: blocking */
};

struct preflight_check {
	const char *name;              /* "credential", "permissions", ... (static) */
	enum preflight_status status;
	char *summary;                 /* one line, owned */
	char *fix;                     /* what to do, owned; NULL when nothing */
};

struct preflight {
	struct preflight_check *checks; /* owned, in report order */
	size_t nr, alloc;
	long task_slots;                /* remediation tasks this run may hold at once:
					 * min(max_concurrent_tasks, 100 - active others);
					 * -1 when unknown */
};

#define PREFLIGHT_INIT { NULL, 0, 0, -1 }

struct preflight_options {
	int fix;                     /* register missing providers and wait (doctor --fix) */
	int check_ledger;            /* doctor: the ledger path is usable (contain holds it) */
	const char *own_task_prefix; /* tasks named so are this run's, not others' (borrowed;
				      * NULL: every active task counts as someone else's) */
	long fix_timeout_ms;         /* how long --fix waits for registrations; 0 = 5 min */
};

/*
 * Runs every check for o (its cfg, client, set; borrowed) into pf (PREFLIGHT_INIT or
 * released). Sends only reads, except with opts->fix. Returns ORCH_OK when the checks ran
 * (look at pf for their outcome), ORCH_INTERRUPTED on a signal.
 */
enum orch_result preflight_run(struct orch *o, const struct preflight_options *opts,
			       struct preflight *pf);

/* How many checks failed (blocking). */
size_t preflight_failures(const struct preflight *pf);

/*
 * Prints the checks through msg_out, one line each ("✓ name  summary") with an indented
 * "fix:" line under a ✗ or !; problems_only leaves out the ✓ lines.
 */
void preflight_print(const struct preflight *pf, int problems_only);

/* The checks as a JSON array of {check, status: ok|warning|failed, summary, fix} (new). */
json_t *preflight_to_json(const struct preflight *pf);

void preflight_release(struct preflight *pf);

/*
 * What contain and apply run before their first write: the checks (no ledger check; this
 * run's tasks are its own), problems printed through msg_warning / msg_error, o->task_slots
 * set from the tasks check. Returns ORCH_OK to go on, ORCH_USAGE when a blocking check failed
 * (nothing was written; the message names the problems and --skip-preflight), or
 * ORCH_INTERRUPTED.
 */
enum orch_result preflight_gate(struct orch *o);

#endif
