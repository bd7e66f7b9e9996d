/*
 * compliance — what armsim's policy engine does with its state: evaluation passes over the
 * resources of a scope, change sweeps (a resource written at T is evaluated again at
 * T + evaluationDelay), compliance scans (POST triggerEvaluation and its async operation),
 * the walk over the records policyStates and remediation read, and Deny on writes.
 * The engine itself (state, locks, assignment resolution) is policy_engine.h.
 */
#ifndef ARMSIM_COMPLIANCE_H
#define ARMSIM_COMPLIANCE_H

#include <jansson.h>

#include "armsim/http.h"
#include "armsim/policy_engine.h"

struct world;

/*
 * Calls fn for every record of the last evaluation of resources inside scope (an ARM scope:
 * management group, subscription, resource group) for assignment_id (NULL = any) and
 * reference_id (NULL = any). Engine locked.
 */
typedef void engine_record_fn(const char *resource_id, const char *location,
			      enum record_state state, void *arg);
void engine_for_each_record(struct policy_engine *engine, struct world *w, const char *scope,
			    const char *assignment_id, const char *reference_id,
			    engine_record_fn *fn, void *arg);

/*
 * Calls fn for the records of every evaluated resource inside scope (borrowed, valid during
 * the call); fn returns nonzero to stop the walk. Engine locked.
 */
typedef int compliance_states_fn(const struct resource_states *s, void *arg);
void compliance_walk(struct policy_engine *engine, struct world *w, const char *scope,
		     compliance_states_fn *fn, void *arg);

/*
 * Forgets the applicable assignments cached per subscription (policy_engine.c, with the
 * resolved assignments they borrow: engine_cache_sync, a reset). Engine locked.
 */
void compliance_cache_clear(struct policy_engine *engine);

/* Re-evaluates the resources of scope now (ReEvaluateCompliance). Engine locked. */
void engine_evaluate_scope(struct policy_engine *engine, struct world *w, const char *scope);
/*
 * Evaluates the resources of running scans not yet evaluated, in the map's order, until
 * budget_ms of real time is spent (tick; world read-locked, engine locked). A scan's results are the state of
 * its resources at some point during its run, as Azure's are; spreading the work over the
 * run keeps a thousand scans that end together from stopping every request while they are
 * evaluated at once.
 */
void compliance_evaluate_scans(struct policy_engine *engine, struct world *w, int64_t budget_ms);
/* Finishes the scans whose simulated end has passed (tick). Engine locked. */
void compliance_finish_scans(struct policy_engine *engine, struct world *w);
/* Evaluates the resources written since the last sweep once their delay is due (tick). */
void compliance_sweep_changes(struct policy_engine *engine, struct world *w);

/*
 * Deny on writes: resource_id is about to become new_body (borrowed). Returns 1 and fills
 * resp with 403 RequestDisallowedByPolicy when an enforced Deny assignment refuses it, else 0.
 * Called with the world locked.
 */
int compliance_check_deny(struct policy_engine *engine, struct world *w, const char *resource_id,
			  const json_t *new_body, struct armsim_response *resp);
/* The same as a world_write_check_fn, arg the engine (installed by policy_engine_new). */
int compliance_write_check(struct world *w, const char *id, const json_t *before,
			   const json_t *after, struct armsim_response *resp, void *arg);

/* Route handlers (routes.c): POST triggerEvaluation and its asyncOperationResults. */
void compliance_trigger_evaluation(struct armsim_request *req, struct armsim_response *resp);
void compliance_operation_result(struct armsim_request *req, struct armsim_response *resp);
#endif
