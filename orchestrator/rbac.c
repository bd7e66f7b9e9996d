/*
 * rbac — Azure RBAC as a client sees it (see rbac.h).
 */
#include <ctype.h>
#include <string.h>

#include "lib/xalloc.h"
#include "orchestrator/rbac.h"
#include "lib/banned.h"

struct builtin_role {
	const char *name;
	const char *const *actions;
	const char *const *not_actions;
};

/* Azure's built-in roles, their permission patterns trimmed to the namespaces above. */
static const char *const all[] = { "*", NULL };
static const char *const none[] = { NULL };
static const char *const reads[] = { "*/read", NULL };
static const char *const contributor_not[] = { "Microsoft.Authorization/*/Delete",
	"Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action", NULL };
static const char *const policy_contributor[] = { "*/read",
	"Microsoft.Authorization/policyassignments/*", "Microsoft.Authorization/policydefinitions/*",
	"Microsoft.Authorization/policyexemptions/*", "Microsoft.Authorization/policysetdefinitions/*",
	"Microsoft.PolicyInsights/*", "Microsoft.Support/*", NULL };
static const char *const uaa[] = { "*/read", "Microsoft.Authorization/*", "Microsoft.Support/*",
	NULL };
static const char *const rbac_admin[] = { "Microsoft.Authorization/roleAssignments/write",
	"Microsoft.Authorization/roleAssignments/delete", "*/read", "Microsoft.Support/*", NULL };
static const char *const website_contributor[] = { "Microsoft.Authorization/*/read",
	"Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
	"Microsoft.Web/sites/*", "Microsoft.Web/serverFarms/read", NULL };

static const struct builtin_role roles[] = {
	{ "Owner", all, none },
	{ "Contributor", all, contributor_not },
	{ "Resource Policy Contributor", policy_contributor, none },
	{ "User Access Administrator", uaa, none },
	{ "Role Based Access Control Administrator", rbac_admin, none },
	{ "Website Contributor", website_contributor, none },
	{ "Reader", reads, none },
};

int rbac_action_matches(const char *pat, const char *s)
{
	for (; *pat; pat++, s++) {
		if (*pat == '*') {
			for (;; s++) {
				if (rbac_action_matches(pat + 1, s))
					return 1;
				if (!*s)
					return 0;
			}
		}
		if (!*s || tolower((unsigned char)*pat) != tolower((unsigned char)*s))
			return 0;
	}
	return !*s;
}

static int any_matches(const char *const *patterns, const char *action)
{
	for (; *patterns; patterns++)
		if (rbac_action_matches(*patterns, action))
			return 1;
	return 0;
}

static int json_any_matches(const json_t *patterns, const char *action)
{
	size_t i;
	json_t *p;
	json_array_foreach(patterns, i, p)
		if (json_is_string(p) && rbac_action_matches(json_string_value(p), action))
			return 1;
	return 0;
}

int rbac_permissions_allow(const json_t *entries, const char *action)
{
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e)
		if (json_any_matches(json_object_get(e, "actions"), action) &&
		    !json_any_matches(json_object_get(e, "notActions"), action))
			return 1;
	return 0;
}

void rbac_roles_granting(const char *action, struct strbuf *out)
{
	size_t i, n = 0;
	for (i = 0; i < ARRAY_SIZE(roles); i++)
		if (any_matches(roles[i].actions, action) && !any_matches(roles[i].not_actions, action))
			strbuf_addf(out, "%s%s", n++ ? ", " : "", roles[i].name);
}

