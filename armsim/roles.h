/*
 * roles — the built-in Azure role definitions armsim knows, and RBAC action matching.
 *
 * Only built-in roles exist in armsim (no custom role definitions): the ones policyctl and
 * policy DeployIfNotExists templates name, with their real GUIDs and permission patterns.
 */
#ifndef ARMSIM_ROLES_H
#define ARMSIM_ROLES_H
#include <stddef.h>

struct role_definition {
	const char *guid;            /* the role definition name, e.g. Owner's 8e3af657-... */
	const char *name;            /* roleName, e.g. "Owner" */
	const char *description;
	const char *const *actions;  /* NULL-terminated patterns, '*' matches any run */
	const char *const *not_actions;
};

/* The role with this GUID, name (roleName, any case) or full roleDefinitionId; NULL if none. */
const struct role_definition *role_find(const char *guid_name_or_id);
/* All built-in roles (borrowed static table) and their count in *nr. */
const struct role_definition *role_all(size_t *nr);
/* Whether the role grants action (e.g. "Microsoft.Web/sites/write"), case-insensitively. */
int role_allows(const struct role_definition *role, const char *action);
#endif
