/*
 * rbac — Azure RBAC as a client sees it: whether the permission entries Azure returns for a
 * scope (Microsoft.Authorization/permissions) allow an action, and which built-in roles grant
 * an action, to name them in a fix. No I/O.
 *
 * An action is allowed when one entry's actions match it and that same entry's notActions do
 * not (an entry's notActions never take from another entry). Patterns match as Azure matches
 * them: '*' any run of characters, ASCII case folded. The built-in roles are Owner,
 * Contributor, Resource Policy Contributor, User Access Administrator, Role Based Access
 * Control Administrator, Website Contributor and Reader, their permission patterns trimmed
 * to the namespaces policyctl uses.
 */
#ifndef RBAC_H
#define RBAC_H

#include <jansson.h>

#include "lib/strbuf.h"

/* Whether pattern (an actions or notActions entry) matches action. */
int rbac_action_matches(const char *pattern, const char *action);

/* Whether entries (a JSON array of {actions, notActions}, borrowed; NULL: none) allow action. */
int rbac_permissions_allow(const json_t *entries, const char *action);

/* Appends the built-in roles that grant action to out, comma-separated, in the order above. */
void rbac_roles_granting(const char *action, struct strbuf *out);

#endif
