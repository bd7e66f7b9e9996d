/*
 * remediation — Microsoft.PolicyInsights remediation tasks on armsim's simulated time.
 *
 * A task is created by PUT at a management group, subscription, resource group or resource
 * scope, validated as Azure validates it, and then driven by the policy engine's tick:
 *
 *   Accepted (REMEDIATION_ACCEPTED_MS) → [Evaluating (scanDuration), ReEvaluateCompliance only]
 *   → Running (deployments, parallelDeployments at a time, each deploymentDuration long)
 *   → Succeeded | Failed;  cancel: Cancelling (running deployments finish) → Canceled.
 *
 * With nothing to remediate a task is Succeeded on the 201 itself, as Azure answers. Each
 * deployment runs the member's DeployIfNotExists template (or Modify operations) as the
 * assignment's identity through web_site_write, so RBAC (AuthorizationFailed), locks
 * (ScopeLocked), Deny assignments and PUT's drop-what-you-omit semantics all apply; the
 * world's deployment failure probability fails the rest with DeploymentFailed.
 */
#ifndef ARMSIM_REMEDIATION_H
#define ARMSIM_REMEDIATION_H

#include "armsim/http.h"

struct policy_engine;
struct world;
/* The tasks of one policy engine (engine->remediations). */
struct remediation_set;

/* How long a new task stays Accepted, in simulated ms (real traffic: four polls, 17 s). */
#define REMEDIATION_ACCEPTED_MS 15000

/* A new empty set (owned by the caller: remediation_set_free). */
struct remediation_set *remediation_set_new(void);
/* Forgets every task (engine reset). Engine lock held. NULL is fine. */
void remediation_set_clear(struct remediation_set *tasks);
/* Frees the set and its tasks. NULL is fine. */
void remediation_set_free(struct remediation_set *tasks);
/*
 * Advances every task of tasks (the engine's set) to the current simulated time. World write
 * lock and engine lock held.
 */
void remediation_tick(struct remediation_set *tasks, struct policy_engine *engine,
		      struct world *w);

/* Route handlers (routes.c). */
void remediation_put(struct armsim_request *req, struct armsim_response *resp);
void remediation_get(struct armsim_request *req, struct armsim_response *resp);
void remediation_list(struct armsim_request *req, struct armsim_response *resp);
void remediation_delete(struct armsim_request *req, struct armsim_response *resp);
void remediation_cancel(struct armsim_request *req, struct armsim_response *resp);
void remediation_list_deployments(struct armsim_request *req, struct armsim_response *resp);

#endif
