/*
 * ops_policy — policy definitions, set definitions (initiatives), assignments and exemptions
 * at management-group, subscription (and, for assignments and exemptions, resource-group and
 * resource) scope, with ARM's validation and error codes.
 *
 * Part 2 plugs its evaluator in through two hooks: a rule check run on every definition PUT
 * (an unsupported construct is a 400 InvalidPolicyRule, never a silent pass) and the alias
 * table used to refuse unknown aliases (400 InvalidPolicyAlias).
 */
#ifndef ARMSIM_OPS_POLICY_H
#define ARMSIM_OPS_POLICY_H
#include <jansson.h>

#include "armsim/routes.h"
#include "lib/strbuf.h"

route_fn ops_policy_get, ops_policy_list, ops_policy_delete;
route_fn ops_policy_definition_put, ops_policy_set_put, ops_policy_assignment_put;
route_fn ops_policy_exemption_put;

/*
 * Checks a definition's properties (borrowed) before it is stored. Return 0 to accept; to
 * refuse, append the reason to err and return -1 (answered as 400 InvalidPolicyRule).
 */
typedef int policy_rule_check_fn(const json_t *properties, struct strbuf *err);
void policy_set_rule_check(policy_rule_check_fn *fn);

/* Whether `alias` (e.g. "Microsoft.Web/sites/clientCertEnabled") exists. */
typedef int policy_alias_known_fn(const char *alias);
/* Replaces the built-in App Service alias list (NULL restores it). */
void policy_set_alias_check(policy_alias_known_fn *fn);
/* The built-in check: the Microsoft.Web/sites and sites/slots aliases policyctl's rules use. */
int policy_alias_known_builtin(const char *alias);
#endif
