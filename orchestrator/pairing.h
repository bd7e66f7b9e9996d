/*
 * pairing — which (scope, DeployIfNotExists member) pairs get a remediation task; no I/O.
 *
 * A task with resourceDiscoveryMode ExistingNonCompliant remediates exactly the resources the
 * policy states list as non-compliant for its assignment and member. When a summary of those
 * states (policyStates/latest/summarize at the assignment's scope, filtered to the assignment)
 * says a member has none, its task would deploy nothing; on Azure it would still run for
 * minutes and hold one of the tenant's 100 task slots. Such pairs are skipped. A task that
 * re-evaluates (ReEvaluateCompliance) finds its own work, so it is always created, and so is
 * every pair whose count is unknown (the summary could not be read).
 */
#ifndef PAIRING_H
#define PAIRING_H

#include <jansson.h>

#include "lib/string_list.h"

/* A member's count when the summary did not say (no summary read): create the task. */
#define PAIRING_UNKNOWN (-1L)

enum pairing_decision {
	PAIRING_TASK = 0,             /* create the task */
	PAIRING_SKIP_NOTHING_TO_FIX,  /* ExistingNonCompliant and no non-compliant resource */
};

/*
 * Reads a summarize answer (body borrowed: {"value": [{"policyAssignments": [...]}]}): for
 * refs->items[i], the nonCompliantResources of assignment_id's member with that
 * policyDefinitionReferenceId (ids compared case-insensitively, as Azure lower-cases them)
 * into counts[i]. A member or assignment the summary does not list has no record of a
 * non-compliant resource: 0. Returns 0, or -1 when body is not a summary (counts then all
 * PAIRING_UNKNOWN).
 */
int pairing_read_summary(const json_t *body, const char *assignment_id,
			 const struct string_list *refs, long *counts);

/* Whether a pair gets a task: discovery is the task's resourceDiscoveryMode. */
enum pairing_decision pairing_decide(const char *discovery, long noncompliant);

/* True when discovery makes a summary worth reading (ExistingNonCompliant). */
int pairing_needs_summary(const char *discovery);

/* "nothing non-compliant in the policy states of this run's scan" etc. */
const char *pairing_decision_reason(enum pairing_decision d);

#endif
