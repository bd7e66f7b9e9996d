/*
 * compliance — armsim's policy engine: which assignments apply where, compliance scans,
 * the policy states they leave, and Deny on writes.
 *
 * Every world has one engine (created on first use). It keeps compiled definitions (keyed by
 * the definition body they were compiled from, so a PUT recompiles), the compliance records
 * of the last evaluation of each resource, the scans in flight and — through remediation.c —
 * the remediation tasks. Engine state has its own mutex, because GET handlers run under the
 * world's read lock and still finish scans that are due; anything that writes the world
 * (deployments) runs in the tick, under the world's write lock.
 *
 * Time is simulated (simclock): a scan started at T ends at T + the world's scanDuration;
 * a resource written at T is evaluated again at T + evaluationDelay (and, for IfNotExists
 * members, no sooner than the definition's own evaluationDelay).
 */
#ifndef ARMSIM_COMPLIANCE_H
#define ARMSIM_COMPLIANCE_H

#include <jansson.h>
#include <stdint.h>

#include "armsim/http.h"
#include "armsim/policy_eval.h"
#include "lib/strbuf.h"

struct armsim;
struct world;
struct world_resource;
struct policy_engine;

/* The engine of world w (created on first use, owned by the registry). Thread-safe. */
struct policy_engine *policy_engine_get(struct world *w);
/* Registers the engine's tick and reset hook with a started server. */
void policy_engine_attach(struct armsim *sim);
/* Forgets everything the engine knows about w (a reset); the caller holds the world lock. */
void policy_engine_reset(struct world *w);

void policy_engine_lock(struct policy_engine *engine);
void policy_engine_unlock(struct policy_engine *engine);
/* Slot for remediation.c's state (owned by remediation.c). */
void **policy_engine_remediation_slot(struct policy_engine *engine);

/*
 * Checks a policy definition body as a PUT carries it: 0 when armsim can evaluate it, -1 with
 * err naming the unsupported construct (armsim answers 400 InvalidPolicyRule).
 */
int policy_engine_check_definition(const json_t *body, struct strbuf *err);

/* One member of an assignment: the assignment's definition, or one of its initiative's. */
struct engine_member {
	const char *reference_id;          /* policyDefinitionReferenceId; NULL for a definition */
	const char *definition_id;         /* as the assignment or initiative names it */
	const struct policy_definition *def; /* compiled, owned by the engine's cache */
	const json_t *definition_body;     /* borrowed from the world */
	json_t *params;                    /* resolved parameters (owned) */
	enum policy_effect effect;
	const json_t *group_names;         /* borrowed, may be NULL */
};

struct engine_assignment {
	const struct world_resource *resource; /* borrowed */
	const char *id;                    /* interned by the engine (valid until a reset) */
	const char *name;
	const char *scope;                 /* where it is assigned */
	const json_t *not_scopes;          /* borrowed, may be NULL */
	int do_not_enforce;                /* enforcementMode DoNotEnforce */
	const char *principal_id;          /* identity.principalId or NULL (borrowed) */
	const char *set_id;                /* the initiative's id, NULL for a definition */
	struct engine_member *members;
	size_t nr_members;
};

/*
 * Resolves an assignment (world resource, borrowed) into its compiled members. Returns 0, or
 * -1 with err saying which definition is missing or cannot be evaluated. Engine locked.
 */
int engine_assignment_resolve(struct policy_engine *engine, struct world *w,
			      const struct world_resource *assignment,
			      struct engine_assignment *out, struct strbuf *err);
void engine_assignment_release(struct engine_assignment *a);

/* Whether resource_id is inside the assignment's scope and outside its notScopes. */
int engine_assignment_covers(struct world *w, const struct engine_assignment *a,
			     const char *resource_id);
/* Whether an unexpired exemption exempts resource_id from a member (reference may be NULL). */
int engine_exempt(struct world *w, const char *assignment_id, const char *reference_id,
		  const char *resource_id, int64_t now_ms);

/*
 * Evaluates one member on one resource, with the world as the source of related resources.
 * Fills *out; returns the policy_evaluate result (err set on failure).
 */
enum policy_result engine_evaluate(struct world *w, const struct engine_member *m,
				   const json_t *resource, struct policy_outcome *out,
				   struct strbuf *err);

/* A compliance record's state. */
enum record_state { RECORD_COMPLIANT, RECORD_NON_COMPLIANT, RECORD_EXEMPT };

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

/* Re-evaluates the resources of scope now (ReEvaluateCompliance). Engine locked. */
void engine_evaluate_scope(struct policy_engine *engine, struct world *w, const char *scope);

/*
 * Deny on writes: resource_id is about to become new_body (borrowed). Returns 1 and fills
 * resp with 403 RequestDisallowedByPolicy when an enforced Deny assignment refuses it, else 0.
 * Called by the site and slot PUT/PATCH handlers with the world locked.
 */
int compliance_check_deny(struct world *w, const char *resource_id, const json_t *new_body,
			  struct armsim_response *resp);

/* The same as a web_write_check_fn (installed by policy_engine_attach). */
int compliance_write_check(struct world *w, const char *id, const json_t *before,
			   const json_t *after, struct armsim_response *resp, void *arg);

/* Route handlers (routes.c). */
void compliance_trigger_evaluation(struct armsim_request *req, struct armsim_response *resp);
void compliance_operation_result(struct armsim_request *req, struct armsim_response *resp);
void compliance_query_results(struct armsim_request *req, struct armsim_response *resp);
void compliance_summarize(struct armsim_request *req, struct armsim_response *resp);
/* GET /_armsim/policy: the engine's counters (resources evaluated, real time spent). */
void compliance_stats(struct armsim_request *req, struct armsim_response *resp);

/* Parses an ISO 8601 UTC time ("2025-01-01T00:00:00Z", fractions allowed) to epoch ms; -1 if bad. */
int64_t compliance_parse_iso(const char *s);

#endif
