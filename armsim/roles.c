/*
 * roles — built-in role definitions and action matching (see roles.h).
 *
 * Permission patterns are those of the real built-in roles, trimmed to the namespaces armsim
 * serves, so that a Website Contributor can write sites but not policy, as in Azure.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "armsim/roles.h"
#include "lib/banned.h"

static const char *const all_actions[] = { "*", NULL };
static const char *const read_actions[] = { "*/read", NULL };
static const char *const none[] = { NULL };
static const char *const contributor_not[] = {
	"Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
	"Microsoft.Authorization/elevateAccess/Action", NULL,
};
static const char *const website_contributor[] = {
	"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
	"Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
	"Microsoft.Web/certificates/*", "Microsoft.Web/listSitesAssignedToHostName/read",
	"Microsoft.Web/serverFarms/join/action", "Microsoft.Web/serverFarms/read",
	"Microsoft.Web/sites/*", NULL,
};
static const char *const policy_contributor[] = {
	"*/read", "Microsoft.Authorization/policyassignments/*",
	"Microsoft.Authorization/policydefinitions/*", "Microsoft.Authorization/policyexemptions/*",
	"Microsoft.Authorization/policysetdefinitions/*", "Microsoft.PolicyInsights/*",
	"Microsoft.Support/*", NULL,
};
static const char *const rbac_admin_actions[] = { "Microsoft.Authorization/roleAssignments/write",
	"Microsoft.Authorization/roleAssignments/delete", "*/read", "Microsoft.Support/*", NULL };
static const char *const uaa_actions[] = { "*/read", "Microsoft.Authorization/*",
	"Microsoft.Support/*", NULL };

static const struct role_definition roles[] = {
	{ "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner",
	  "Grants full access to manage all resources, including the ability to assign roles in "
	  "Azure RBAC.", all_actions, none },
	{ "b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor",
	  "Grants full access to manage all resources, but does not allow you to assign roles in "
	  "Azure RBAC.", all_actions, contributor_not },
	{ "acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader",
	  "View all resources, but does not allow you to make any changes.", read_actions, none },
	{ "de139f84-1756-47ae-9be6-808fbbe84772", "Website Contributor",
	  "Lets you manage websites (not web plans), but not access to them.",
	  website_contributor, none },
	{ "36243c78-bf99-498c-9df9-86d9f8d28608", "Resource Policy Contributor",
	  "Users with rights to create/modify resource policy, create support ticket and read "
	  "resources/hierarchy.", policy_contributor, none },
	{ "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator",
	  "Lets you manage user access to Azure resources.", uaa_actions, none },
	{ "f58310d9-a9f6-439a-9e8d-f62e7b41a168", "Role Based Access Control Administrator",
	  "Manage access to Azure resources by assigning roles using Azure RBAC. This role does "
	  "not allow you to manage access using other ways, such as Azure Policy.",
	  rbac_admin_actions, none },
};

const struct role_definition *role_all(size_t *nr)
{
	*nr = sizeof(roles) / sizeof(roles[0]);
	return roles;
}

const struct role_definition *role_find(const char *key)
{
	const char *slash;
	size_t i;
	if (!key)
		return NULL;
	slash = strrchr(key, '/');
	if (slash)
		key = slash + 1;
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (!strcasecmp(roles[i].guid, key) || !strcasecmp(roles[i].name, key))
			return &roles[i];
	return NULL;
}

/* Glob match where '*' matches any run of characters, ASCII case folded. */
static int glob_match(const char *pat, const char *s)
{
	if (!*pat)
		return !*s;
	if (*pat == '*') {
		for (;; s++) {
			if (glob_match(pat + 1, s))
				return 1;
			if (!*s)
				return 0;
		}
	}
	if (!*s || tolower((unsigned char)*pat) != tolower((unsigned char)*s))
		return 0;
	return glob_match(pat + 1, s + 1);
}

static int any_match(const char *const *patterns, const char *action)
{
	for (; *patterns; patterns++)
		if (glob_match(*patterns, action))
			return 1;
	return 0;
}

int role_allows(const struct role_definition *role, const char *action)
{
	return any_match(role->actions, action) && !any_match(role->not_actions, action);
}
