/*
 * phase — the toolkit the phases share (internal to orchestrator/: deploy.c, scan.c,
 * remediate.c, verify.c, contain.c and their unit tests include it; cli/ uses orch.h).
 *
 * Heap phase state that outlives an early return, the pump over the ARM client's event loop,
 * failures recorded in the ledger and printed, the subscriptions in scope, the live-vs-desired
 * comparison and the deterministic role assignment names. A new phase is a new file that
 * includes this header and adds its orch_* function to orch.h.
 */
#ifndef ORCH_PHASE_H
#define ORCH_PHASE_H

#include "orchestrator/orch.h"

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

/*
 * contain's track, where every assignment is at a subscription: the subscription's tasks are
 * all done, so its verify scan may start now, while other subscriptions' tasks still run
 * (verify then follows that scan instead of starting one). Its trigger is a write like any
 * other (intent first); a failed one leaves verify to trigger it.
 */
void orch_scan_early(struct orch *o, const char *subscription);
/* Ends the early scans' state (orch_release). */
void orch_scan_early_release(struct orch *o);

/* Monotonic milliseconds. */
int64_t orch_now_ms(void);

/* Resolves the subscriptions in scope (listing the management group's descendants). */
enum orch_result orch_resolve_subscriptions(struct orch *o);

/*
 * Pumps the ARM client until *pending reaches 0, the deadline passes or a signal arrives.
 * Returns ORCH_OK, ORCH_TIMEOUT or ORCH_INTERRUPTED.
 */
enum orch_result orch_pump(struct orch *o, const size_t *pending, int64_t deadline_ms);

/* Records the answer to a write whose intent is write_id (0: none, nothing recorded): ok when
 * the call succeeded, its request id, and the error's code and message when it did not. */
void orch_record_answer(struct orch *o, int64_t write_id, const struct arm_response *resp,
			const char *what);

/*
 * Queues the policy states of assignment_id at scope in compliance_state ("NonCompliant",
 * "Exempt"): one queryResults list call, counted in ph->pending; fn gets the records.
 */
void orch_query_states(struct orch *o, struct orch_phase *ph, const char *scope,
		       const char *assignment_id, const char *compliance_state, arm_done_fn *fn);

/* Records a failed ARM call in the ledger (kind, subject) and prints it. */
void orch_record_failure(struct orch *o, enum ledger_failure_kind kind, const char *subject,
			 const struct arm_error *err);

/* Compares desired (borrowed) against live (borrowed): 1 when live already holds every
 * value of desired (ids compared case-insensitively, [] and {} equal to absent), else 0;
 * the first few differing paths are appended to diff (comma separated) when not NULL. */
int orch_json_contains(const json_t *desired, const json_t *live, struct strbuf *diff);

/* The deterministic role assignment name (a UUID) for scope, principal and role (new). */
char *orch_role_assignment_name(const char *scope, const char *principal_id, const char *role_id);

#endif
