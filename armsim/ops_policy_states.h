/*
 * ops_policy_states — policyStates queryResults and summarize, and GET /_armsim/policy, read
 * from the policy engine's records (see ops_policy_states.c).
 */
#ifndef ARMSIM_OPS_POLICY_STATES_H
#define ARMSIM_OPS_POLICY_STATES_H

#include "armsim/routes.h"

/* POST .../policyStates/{latest|default}/queryResults at any scope or under an assignment. */
route_fn ops_policy_states_query;
/* POST .../policyStates/latest/summarize. */
route_fn ops_policy_states_summarize;
/* GET /_armsim/policy: the engine's counters (resources evaluated, real time spent). */
route_fn ops_policy_engine_stats;
#endif
