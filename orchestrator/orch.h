/*
 * orch — the orchestrator's phases over one ARM client and one ledger: plan, apply, scan,
 * remediate, track, verify, cancel, and `contain`, which runs them in order.
 *
 * The orchestrator never includes generator/ headers: what to deploy comes in as a
 * struct deploy_set (lib/deploy_set.h: resource ids and exact PUT bodies, role definition
 * ids, the DeployIfNotExists reference ids, the assignments' scopes and ids), which the
 * generator renders and cli/ hands over. Every
 * phase queues its requests on the ARM client's event loop and pumps it, so hundreds of
 * subscriptions progress at once within the client's concurrency cap and pacing; no phase
 * waits on one request at a time.
 *
 * Results map one to one onto the exit codes: 0 all done and compliant, 1 something failed,
 * 2 usage or configuration, 3 a deadline passed, 4 interrupted (the ledger lets a rerun
 * continue), 5 the ledger could not record (or read) the run: the command stopped there and
 * sent nothing it had not recorded first. A SIGINT or SIGTERM sets orch_interrupted; each pump returns within ~100 ms,
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
#include "lib/deploy_set.h"
#include "lib/idmap.h"
#include "orchestrator/ledger.h"

struct exemption_file; /* orchestrator/exemptions.h */

enum orch_result {
	ORCH_OK = 0,
	ORCH_FAILED = 1,      /* some write, task, deployment or verification failed */
	ORCH_USAGE = 2,       /* configuration or usage problem found while running */
	ORCH_TIMEOUT = 3,
	ORCH_INTERRUPTED = 4,
	ORCH_LEDGER = 5,      /* the ledger refused a write or a read: stopped, nothing unrecorded sent */
};

/* Set by the signal handler that orch_install_signals installs. */
extern volatile sig_atomic_t orch_interrupted;
/* SIGINT and SIGTERM set orch_interrupted instead of killing the process. */
void orch_install_signals(void);

/* What orch_attach_run does when the config renders differently from the run it would continue. */
enum orch_desired_policy {
	ORCH_DESIRED_IGNORE,    /* no check (scan, cancel: they act on no desired state) */
	ORCH_DESIRED_NEW_RUN,   /* close that run, begin a new attempt from apply (contain, apply) */
	ORCH_DESIRED_REFUSE,    /* refuse, ORCH_USAGE, saying the way forward (remediate, track) */
};

struct early_scan_state;

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
	const struct string_list *assignment_ids;    /* one per assignment scope: set's, or empty */
	const struct string_list *assignment_scopes; /* borrowed, index for index with the ids */
	char *scope_key;              /* "mg:<id>" or "subs:<id>,..." (owned) */
	int64_t deadline_ms;          /* monotonic; 0 = none (track, verify) */
	long principal_timeout_ms;
	const char *desired;          /* borrowed: desired_digest_format text of the rendered
				       * state, recorded with the run; NULL: not rendered */
	enum orch_desired_policy desired_policy;
	int run_finished;             /* attached to a finished run (track, cancel): its state
				       * is left as it is */
	int ledger_failed;            /* a ledger call failed: every phase stops, nothing more is
				       * sent (set by orch_ledger_check) */
	long task_slots;              /* remediation tasks this run may hold at once, from the
				       * preflight's count of others' active tasks; 0: the
				       * configured max_concurrent_tasks */
	const struct exemption_file *exemptions; /* borrowed: the checked [exemptions] file that
				       * plan and apply bring Azure to; NULL: none managed */
	struct idmap found_absent;    /* resource ids the preflight of this run read and found
				       * absent (404): apply creates them without reading them
				       * again (values unused) */
	int early_scans;              /* contain's track: trigger a subscription's verify scan as
				       * soon as its own tasks are all done (orch_scan_early) */
	struct idmap early_scan_urls; /* subscription -> the Location of its early scan (owned
				       * strings; "" while the trigger is in flight) */
	struct early_scan_state *early_scan_state; /* their calls in flight (scan.c) */
};



/*
 * Prepares o for cfg: the scope key, and the assignment scopes and ids of set (borrowed; NULL
 * for the phases that deploy nothing and create no task: none then). Returns ORCH_OK or
 * ORCH_USAGE (message printed).
 */
enum orch_result orch_init(struct orch *o, const struct config *cfg, struct arm_client *arm,
			   struct deploy_set *set);
void orch_release(struct orch *o);

/*
 * Opens the ledger (o->cfg->run_ledger) and attaches to the run to continue for this scope,
 * or begins one for command (resume_only: never begins; the scope's newest run, a finished
 * one left as it is). A run whose recorded desired state differs from o->desired is handled
 * per o->desired_policy, saying which parts changed. Returns ORCH_OK, ORCH_USAGE (ledger
 * busy, no run, changed config refused) or ORCH_LEDGER. The ledger is closed by orch_release.
 */
enum orch_result orch_attach_run(struct orch *o, const char *command, int resume_only);


/*
 * Records where the command left the run. final (contain, track, cancel): succeeded or
 * failed end it. Otherwise (apply, scan, remediate) it stays "open", so the next command of
 * the same scope continues it. Timeout and interrupted always leave it resumable. Called once
 * per command, after its phase (cli/run_setup.c does), and before a report reads the run.
 * A run that was already finished when the command attached to it (track, cancel of a
 * succeeded or failed run) keeps its state: nothing reopens a finished run. Returns result,
 * or ORCH_LEDGER when the state could not be recorded.
 */
enum orch_result orch_finish(struct orch *o, enum orch_result result, int final);

/*
 * Checks the result of a ledger call made for o (what: "the intent of PUT <id>", for the
 * message). LEDGER_OK returns 1. Anything else prints the error (once per command), sets
 * o->ledger_failed so the pump and every phase stop with ORCH_LEDGER, and returns 0: the
 * caller must then not send the request the record was for.
 */
int orch_ledger_check(struct orch *o, enum ledger_result lr, const char *what);

/* The phases. */
enum orch_result orch_plan(struct orch *o);
enum orch_result orch_apply(struct orch *o);
/* orch_apply without recording the exemptions at its end: contain records them after verify's
 * fresh scan, when they mean something (at 1,000 subscriptions the record is 2,000 reads). */
enum orch_result orch_apply_policy(struct orch *o);
enum orch_result orch_scan(struct orch *o, int wait);
/*
 * orch_scan in two halves, so that other reads can run while the scans do (verify runs the
 * Resource Graph inventory in the scan's wait): orch_scan_begin sends the triggers and sets
 * *out to the scan in flight (NULL when it returns an error: nothing was sent); the client's
 * loop, whoever runs it, moves the scan on; orch_scan_end pumps it to its end and reports as
 * orch_scan does. A begun scan must be ended.
 */
struct orch_scan_run;
enum orch_result orch_scan_begin(struct orch *o, int wait, struct orch_scan_run **out);
enum orch_result orch_scan_end(struct orch_scan_run *run);
/* With wait: fn(o, subscription, data) runs as each subscription's scan succeeds, while the
 * others still run (verify reads a subscription's results as soon as they are fresh). */
void orch_scan_on_scanned(struct orch_scan_run *run,
			  void (*fn)(struct orch *o, const char *subscription, void *data),
			  void *data);
enum orch_result orch_remediate(struct orch *o);
enum orch_result orch_track(struct orch *o, long timeout_ms);
enum orch_result orch_verify(struct orch *o);
enum orch_result orch_cancel(struct orch *o);
/* apply → scan → remediate → track → verify; resumes the phases a killed run had not done. */
enum orch_result orch_contain(struct orch *o, long timeout_ms);

/*
 * Exemptions (orchestrator/exempt_sync.c). orch_exemptions_sync brings the assignments'
 * exemptions to o->exemptions (plan_only: prints create / update with PUT or PATCH and the
 * differing fields / delete / unchanged / unmanaged and writes nothing); orch_plan and
 * orch_apply call it after the policy resources. Exemptions without policyctl's marker are
 * never written. Returns ORCH_OK, ORCH_FAILED (a list or write failed, or a conflict with an
 * unmanaged exemption of the same id), ORCH_USAGE (a scope outside a management group's
 * subscriptions), ORCH_INTERRUPTED, ORCH_TIMEOUT, ORCH_LEDGER.
 */
enum orch_result orch_exemptions_sync(struct orch *o, int plan_only);
/*
 * The file's scopes under a management group assignment, checked against the group's
 * subscriptions (listed once): orch_plan and orch_apply call it before anything else, so a
 * bad scope stops apply before its first write. ORCH_OK, ORCH_USAGE (printed as
 * FILE:ENTRY: ...), or the listing's failure.
 */
enum orch_result orch_exemptions_check(struct orch *o);
/*
 * Every exemption of o's assignments, managed or not, as a new JSON array in *out (NULL on
 * failure): objects with name, id, scope, assignmentId, managed, owner, expiresOn, status
 * ("active", "expiring" within within_ms, "expired", "no expiry", "no owner": judged by the
 * server's clock, its responses' Date, else this machine's),
 * category, reason, ticket, entry, members and resources (the ids the last evaluation found
 * exempt under it). For `exemptions`, and for `inventory` and `report` to show exempt
 * resources apart from non-compliant ones. Returns ORCH_OK or ORCH_FAILED (message printed),
 * ORCH_INTERRUPTED, ORCH_TIMEOUT.
 */
enum orch_result orch_exemptions_list(struct orch *o, int64_t within_ms, json_t **out);
/*
 * Records orch_exemptions_list's view (name, scope, owner, expiresOn, status, managed,
 * resources) in the run as note "exemptions", for `report`: after apply and after verify.
 * Nothing without a ledger or in a dry run. Returns ORCH_OK, ORCH_FAILED (the list could
 * not be read), ORCH_LEDGER, ORCH_INTERRUPTED, ORCH_TIMEOUT.
 */
enum orch_result orch_exemptions_record(struct orch *o);
/*
 * orch_exemptions_record in two halves, for verify: begin reads the exemption lists (they do
 * not change with a scan, so they are read while its scans run); end reads the Exempt states
 * the fresh scan left and records (and releases r). begin sets *out to NULL when it fails or
 * there is nothing to record; end(o, NULL) is ORCH_OK.
 */
struct orch_exemptions_read;
enum orch_result orch_exemptions_record_begin(struct orch *o, struct orch_exemptions_read **out);
enum orch_result orch_exemptions_record_end(struct orch *o, struct orch_exemptions_read *r);
/* Releases r unrecorded (the scan failed); NULL is a no-op. */
void orch_exemptions_record_abandon(struct orch_exemptions_read *r);
/* Wall-clock Unix milliseconds (UTC), what expiries are judged against. */
int64_t orch_wall_ms(void);


#endif
