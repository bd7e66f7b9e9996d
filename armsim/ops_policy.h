/*
 * ops_policy — policy definitions, set definitions (initiatives), assignments and exemptions
 * at management-group, subscription (and, for assignments and exemptions, resource-group and
 * resource) scope, with ARM's validation and error codes.
 *
 * The policy engine plugs in through the world's hooks (world->policy): a rule check run on
 * every definition PUT (an unsupported construct is a 400 InvalidPolicyRule, never a silent
 * pass) and the alias table used to refuse unknown aliases (400 InvalidPolicyAlias).
 */
#ifndef ARMSIM_OPS_POLICY_H
#define ARMSIM_OPS_POLICY_H
#include <jansson.h>

#include "armsim/routes.h"
#include "lib/strbuf.h"

route_fn ops_policy_get, ops_policy_list, ops_policy_delete;
route_fn ops_policy_definition_put, ops_policy_set_put, ops_policy_assignment_put;
route_fn ops_policy_exemption_put;

#endif
