/*
 * routes — the route table and its matcher (see routes.h).
 *
 * Adding an operation is adding a row. Keep rows with literal segments before rows whose
 * {name} would swallow the same segment (e.g. ".../sites/{name}/slots" before nothing that
 * could match "slots" as a name): the first match wins.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/compliance.h"
#include "armsim/ops_armsim.h"
#include "armsim/ops_identity.h"
#include "armsim/ops_permissions.h"
#include "armsim/ops_policy.h"
#include "armsim/ops_policy_states.h"
#include "armsim/ops_providers.h"
#include "armsim/ops_resource_graph.h"
#include "armsim/ops_resources.h"
#include "armsim/ops_roles.h"
#include "armsim/remediation.h"
#include "armsim/routes.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* api-versions per family: the versions current clients send (issues 3 and 11: az 2.51+
 * reads role definitions at 2022-05-01-preview, Az PowerShell writes exemptions at
 * 2020-07-01-preview), nothing else. */
static const char *const api_versions[API__COUNT][6] = {
	[API_POLICY] = { "2021-06-01", "2023-04-01", "2025-03-01" },
	[API_EXEMPTION] = { "2020-07-01-preview", "2022-07-01-preview", "2024-12-01-preview" },
	[API_ROLE_DEFINITION] = { "2018-01-01-preview", "2022-04-01", "2022-05-01-preview" },
	[API_ROLE_ASSIGNMENT] = { "2020-04-01-preview", "2022-04-01" },
	[API_SUBSCRIPTION] = { "2019-11-01", "2022-12-01" },
	[API_MANAGEMENT_GROUP] = { "2021-04-01", "2023-04-01" },
	[API_RESOURCE_GROUP] = { "2021-04-01", "2022-09-01" },
	[API_POLICY_STATES] = { "2019-10-01", "2024-10-01" },
	[API_REMEDIATION] = { "2021-10-01", "2024-10-01" },
	[API_WEB] = { "2022-03-01", "2023-01-01", "2024-11-01" },
	[API_MSI] = { "2019-08-01", "2017-09-01" },
	[API_RESOURCE_GRAPH] = { "2021-03-01", "2022-10-01", "2024-04-01" },
};

static const char *const api_supported[API__COUNT] = {
	[API_POLICY] = "2021-06-01, 2023-04-01, 2025-03-01",
	[API_EXEMPTION] = "2020-07-01-preview, 2022-07-01-preview, 2024-12-01-preview",
	[API_ROLE_DEFINITION] = "2018-01-01-preview, 2022-04-01, 2022-05-01-preview",
	[API_ROLE_ASSIGNMENT] = "2020-04-01-preview, 2022-04-01",
	[API_SUBSCRIPTION] = "2019-11-01, 2022-12-01",
	[API_MANAGEMENT_GROUP] = "2021-04-01, 2023-04-01",
	[API_RESOURCE_GROUP] = "2021-04-01, 2022-09-01",
	[API_POLICY_STATES] = "2019-10-01, 2024-10-01",
	[API_REMEDIATION] = "2021-10-01, 2024-10-01",
	[API_WEB] = "2022-03-01, 2023-01-01, 2024-11-01",
	[API_MSI] = "2019-08-01, 2017-09-01",
	[API_RESOURCE_GRAPH] = "2021-03-01, 2022-10-01, 2024-04-01",
};

#define AUTHZ "/providers/Microsoft.Authorization/"
#define MG "/providers/Microsoft.Management/managementGroups"
#define RG "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
#define SITE RG "/providers/Microsoft.Web/sites/{name}"
#define PI "/providers/Microsoft.PolicyInsights/"
#define OPEN (ROUTE_OPEN | ROUTE_NO_THROTTLE | ROUTE_NO_FAULTS)
#define INTROSPECT (OPEN | ROUTE_LOOPBACK)

static const struct route routes[] = {
	/* armsim's own introspection (unauthenticated, loopback) */
	{ "GET", "/_armsim/stats", API_NONE, NULL, INTROSPECT, "Armsim_Stats", ops_armsim_stats },
	{ "GET", "/_armsim/world", API_NONE, NULL, INTROSPECT, "Armsim_World", ops_armsim_world },
	{ "POST", "/_armsim/reset", API_NONE, NULL, INTROSPECT | ROUTE_WRITE, "Armsim_Reset",
	  ops_armsim_reset },

	/* Entra ID: the ADFS rows first, or "/{tenant}/..." would take "adfs" for a tenant */
	{ "POST", "/adfs/oauth2/token", API_NONE, NULL, OPEN, "Adfs_Token", ops_identity_token },
	{ "GET", "/adfs/.well-known/openid-configuration", API_NONE, NULL, OPEN,
	  "Adfs_OpenIdConfiguration", ops_identity_openid },
	{ "GET", "/adfs/discovery/keys", API_NONE, NULL, OPEN, "Adfs_Jwks", ops_identity_jwks },
	{ "POST", "/{tenant}/oauth2/v2.0/token", API_NONE, NULL, OPEN, "Token_V2", ops_identity_token },
	{ "POST", "/{tenant}/oauth2/token", API_NONE, NULL, OPEN, "Token_V1", ops_identity_token },
	{ "GET", "/{tenant}/v2.0/.well-known/openid-configuration", API_NONE, NULL, OPEN,
	  "OpenIdConfiguration", ops_identity_openid },
	{ "GET", "/{tenant}/.well-known/openid-configuration", API_NONE, NULL, OPEN,
	  "OpenIdConfiguration", ops_identity_openid },
	{ "GET", "/{tenant}/discovery/v2.0/keys", API_NONE, NULL, OPEN, "Jwks", ops_identity_jwks },
	{ "GET", "/{tenant}/discovery/keys", API_NONE, NULL, OPEN, "Jwks", ops_identity_jwks },
	{ "GET", "/msi/token", API_MSI, NULL, OPEN, "ManagedIdentity_Token", ops_identity_msi },

	/* Resource Graph: its own quota instead of ARM's buckets; read access checked per row */
	{ "POST", "/providers/Microsoft.ResourceGraph/resources", API_RESOURCE_GRAPH, NULL,
	  ROUTE_NO_THROTTLE, "Resources", ops_resource_graph_query },

	/* management groups and subscriptions */
	{ "GET", MG, API_MANAGEMENT_GROUP, NULL, 0, "ManagementGroups_List", ops_mg_list },
	{ "GET", MG "/{groupId}", API_MANAGEMENT_GROUP, "Microsoft.Management/managementGroups/read",
	  0, "ManagementGroups_Get", ops_mg_get },
	{ "GET", MG "/{groupId}/descendants", API_MANAGEMENT_GROUP,
	  "Microsoft.Management/managementGroups/descendants/read", 0,
	  "ManagementGroups_GetDescendants", ops_mg_descendants },
	{ "GET", "/subscriptions", API_SUBSCRIPTION, NULL, 0, "Subscriptions_List", ops_sub_list },
	{ "GET", "/subscriptions/{subscriptionId}/operationresults/{operationId}", API_RESOURCE_GROUP,
	  NULL, 0, "Operations_GetResult", ops_operation_result },
	{ "GET", "/subscriptions/{subscriptionId}", API_SUBSCRIPTION,
	  "Microsoft.Resources/subscriptions/read", 0, "Subscriptions_Get", ops_sub_get },

	/* resource providers: registration per subscription (ops_providers.h) */
	{ "GET", "/subscriptions/{subscriptionId}/providers", API_RESOURCE_GROUP,
	  "Microsoft.Resources/subscriptions/providers/read", 0, "Providers_List", ops_provider_list },
	{ "GET", "/subscriptions/{subscriptionId}/providers/{namespace}", API_RESOURCE_GROUP,
	  "Microsoft.Resources/subscriptions/providers/read", 0, "Providers_Get", ops_provider_get },
	{ "POST", "/subscriptions/{subscriptionId}/providers/{namespace}/register", API_RESOURCE_GROUP,
	  NULL, ROUTE_WRITE, "Providers_Register", ops_provider_register },
	{ "POST", "/subscriptions/{subscriptionId}/providers/{namespace}/unregister",
	  API_RESOURCE_GROUP, NULL, ROUTE_WRITE, "Providers_Unregister", ops_provider_unregister },

	/* resource groups */
	{ "GET", "/subscriptions/{subscriptionId}/resourceGroups", API_RESOURCE_GROUP,
	  "Microsoft.Resources/subscriptions/resourceGroups/read", 0, "ResourceGroups_List",
	  ops_rg_list },
	{ "GET", RG, API_RESOURCE_GROUP, "Microsoft.Resources/subscriptions/resourceGroups/read", 0,
	  "ResourceGroups_Get", ops_rg_get },
	{ "HEAD", RG, API_RESOURCE_GROUP, "Microsoft.Resources/subscriptions/resourceGroups/read", 0,
	  "ResourceGroups_CheckExistence", ops_rg_head },
	{ "PUT", RG, API_RESOURCE_GROUP, "Microsoft.Resources/subscriptions/resourceGroups/write",
	  ROUTE_WRITE, "ResourceGroups_CreateOrUpdate", ops_rg_put },
	{ "DELETE", RG, API_RESOURCE_GROUP,
	  "Microsoft.Resources/subscriptions/resourceGroups/delete", ROUTE_WRITE,
	  "ResourceGroups_Delete", ops_rg_delete },

	/* policy engine: compliance scans, policy states, remediation tasks */
	{ "GET", "/_armsim/policy", API_NONE, NULL, INTROSPECT, "Armsim_Policy", ops_policy_engine_stats },
	{ "POST", "/subscriptions/{subscriptionId}" PI "policyStates/latest/triggerEvaluation",
	  API_POLICY_STATES, "Microsoft.PolicyInsights/policyStates/triggerEvaluation/action", 0,
	  "PolicyStates_TriggerSubscriptionEvaluation", compliance_trigger_evaluation },
	{ "POST", RG PI "policyStates/latest/triggerEvaluation", API_POLICY_STATES,
	  "Microsoft.PolicyInsights/policyStates/triggerEvaluation/action", 0,
	  "PolicyStates_TriggerResourceGroupEvaluation", compliance_trigger_evaluation },
	{ "GET", "/subscriptions/{subscriptionId}" PI "asyncOperationResults/{operationId}",
	  API_POLICY_STATES, NULL, 0, "PolicyStates_AsyncOperationResult",
	  compliance_operation_result },
	{ "POST", "{scope*}" PI "policyStates/{policyStatesResource}/queryResults", API_POLICY_STATES,
	  "Microsoft.PolicyInsights/policyStates/queryResults/action", 0, "PolicyStates_List",
	  ops_policy_states_query },
	{ "POST", "{scope*}" PI "policyStates/{policyStatesResource}/summarize", API_POLICY_STATES,
	  "Microsoft.PolicyInsights/policyStates/summarize/action", 0, "PolicyStates_Summarize",
	  ops_policy_states_summarize },
	{ "GET", "{scope*}" PI "remediations", API_REMEDIATION,
	  "Microsoft.PolicyInsights/remediations/read", 0, "Remediations_List", remediation_list },
	{ "GET", "{scope*}" PI "remediations/{remediationName}", API_REMEDIATION,
	  "Microsoft.PolicyInsights/remediations/read", 0, "Remediations_Get", remediation_get },
	{ "PUT", "{scope*}" PI "remediations/{remediationName}", API_REMEDIATION,
	  "Microsoft.PolicyInsights/remediations/write", ROUTE_WRITE, "Remediations_CreateOrUpdate",
	  remediation_put },
	{ "DELETE", "{scope*}" PI "remediations/{remediationName}", API_REMEDIATION,
	  "Microsoft.PolicyInsights/remediations/delete", ROUTE_WRITE, "Remediations_Delete",
	  remediation_delete },
	{ "POST", "{scope*}" PI "remediations/{remediationName}/cancel", API_REMEDIATION,
	  "Microsoft.PolicyInsights/remediations/cancel/action", ROUTE_WRITE, "Remediations_Cancel",
	  remediation_cancel },
	{ "POST", "{scope*}" PI "remediations/{remediationName}/listDeployments", API_REMEDIATION,
	  "Microsoft.PolicyInsights/remediations/listDeployments/read", 0,
	  "Remediations_ListDeployments", remediation_list_deployments },

	/* App Service sites and slots */
	{ "GET", "/subscriptions/{subscriptionId}/providers/Microsoft.Web/sites", API_WEB,
	  "Microsoft.Web/sites/read", 0, "WebApps_List", ops_site_list },
	{ "GET", RG "/providers/Microsoft.Web/sites", API_WEB, "Microsoft.Web/sites/read", 0,
	  "WebApps_ListByResourceGroup", ops_site_list },
	{ "GET", SITE, API_WEB, "Microsoft.Web/sites/read", 0, "WebApps_Get", ops_site_get },
	{ "PUT", SITE, API_WEB, "Microsoft.Web/sites/write", ROUTE_WRITE, "WebApps_CreateOrUpdate",
	  ops_site_put },
	{ "PATCH", SITE, API_WEB, "Microsoft.Web/sites/write", ROUTE_WRITE, "WebApps_Update",
	  ops_site_patch },
	{ "DELETE", SITE, API_WEB, "Microsoft.Web/sites/delete", ROUTE_WRITE, "WebApps_Delete",
	  ops_site_delete },
	{ "GET", SITE "/slots", API_WEB, "Microsoft.Web/sites/slots/read", 0, "WebApps_ListSlots",
	  ops_site_list },
	{ "GET", SITE "/slots/{slot}", API_WEB, "Microsoft.Web/sites/slots/read", 0,
	  "WebApps_GetSlot", ops_site_get },
	{ "PUT", SITE "/slots/{slot}", API_WEB, "Microsoft.Web/sites/slots/write", ROUTE_WRITE,
	  "WebApps_CreateOrUpdateSlot", ops_site_put },
	{ "PATCH", SITE "/slots/{slot}", API_WEB, "Microsoft.Web/sites/slots/write", ROUTE_WRITE,
	  "WebApps_UpdateSlot", ops_site_patch },
	{ "DELETE", SITE "/slots/{slot}", API_WEB, "Microsoft.Web/sites/slots/delete", ROUTE_WRITE,
	  "WebApps_DeleteSlot", ops_site_delete },
	{ "GET", SITE "/config/web", API_WEB, "Microsoft.Web/sites/config/read", 0,
	  "WebApps_GetConfiguration", ops_site_config_get },
	{ "GET", SITE "/slots/{slot}/config/web", API_WEB, "Microsoft.Web/sites/slots/config/read",
	  0, "WebApps_GetConfigurationSlot", ops_site_config_get },
	{ "PUT", SITE "/config/web", API_WEB, "Microsoft.Web/sites/config/write", ROUTE_WRITE,
	  "WebApps_CreateOrUpdateConfiguration", ops_site_config_put },
	{ "PUT", SITE "/slots/{slot}/config/web", API_WEB, "Microsoft.Web/sites/slots/config/write",
	  ROUTE_WRITE, "WebApps_CreateOrUpdateConfigurationSlot", ops_site_config_put },
	{ "PATCH", SITE "/config/web", API_WEB, "Microsoft.Web/sites/config/write", ROUTE_WRITE,
	  "WebApps_UpdateConfiguration", ops_site_config_patch },
	{ "PATCH", SITE "/slots/{slot}/config/web", API_WEB,
	  "Microsoft.Web/sites/slots/config/write", ROUTE_WRITE, "WebApps_UpdateConfigurationSlot",
	  ops_site_config_patch },
	{ "POST", SITE "/config/appsettings/list", API_WEB, "Microsoft.Web/sites/config/list/action",
	  0, "WebApps_ListApplicationSettings", ops_site_appsettings_list },
	{ "POST", SITE "/slots/{slot}/config/appsettings/list", API_WEB,
	  "Microsoft.Web/sites/slots/config/list/action", 0, "WebApps_ListApplicationSettingsSlot",
	  ops_site_appsettings_list },
	{ "POST", SITE "/publishxml", API_WEB, "Microsoft.Web/sites/publishxml/action", 0,
	  "WebApps_ListPublishingProfileXmlWithSecrets", ops_site_publishxml },
	{ "POST", SITE "/slots/{slot}/publishxml", API_WEB,
	  "Microsoft.Web/sites/slots/publishxml/action", 0,
	  "WebApps_ListPublishingProfileXmlWithSecretsSlot", ops_site_publishxml },

	/* policy */
	{ "GET", "{scope*}" AUTHZ "policyDefinitions", API_POLICY,
	  "Microsoft.Authorization/policyDefinitions/read", 0, "PolicyDefinitions_List",
	  ops_policy_list },
	{ "GET", "{scope*}" AUTHZ "policyDefinitions/{name}", API_POLICY,
	  "Microsoft.Authorization/policyDefinitions/read", 0, "PolicyDefinitions_Get",
	  ops_policy_get },
	{ "PUT", "{scope*}" AUTHZ "policyDefinitions/{name}", API_POLICY,
	  "Microsoft.Authorization/policyDefinitions/write", ROUTE_WRITE,
	  "PolicyDefinitions_CreateOrUpdate", ops_policy_definition_put },
	{ "DELETE", "{scope*}" AUTHZ "policyDefinitions/{name}", API_POLICY,
	  "Microsoft.Authorization/policyDefinitions/delete", ROUTE_WRITE, "PolicyDefinitions_Delete",
	  ops_policy_delete },
	{ "GET", "{scope*}" AUTHZ "policySetDefinitions", API_POLICY,
	  "Microsoft.Authorization/policySetDefinitions/read", 0, "PolicySetDefinitions_List",
	  ops_policy_list },
	{ "GET", "{scope*}" AUTHZ "policySetDefinitions/{name}", API_POLICY,
	  "Microsoft.Authorization/policySetDefinitions/read", 0, "PolicySetDefinitions_Get",
	  ops_policy_get },
	{ "PUT", "{scope*}" AUTHZ "policySetDefinitions/{name}", API_POLICY,
	  "Microsoft.Authorization/policySetDefinitions/write", ROUTE_WRITE,
	  "PolicySetDefinitions_CreateOrUpdate", ops_policy_set_put },
	{ "DELETE", "{scope*}" AUTHZ "policySetDefinitions/{name}", API_POLICY,
	  "Microsoft.Authorization/policySetDefinitions/delete", ROUTE_WRITE,
	  "PolicySetDefinitions_Delete", ops_policy_delete },
	{ "GET", "{scope*}" AUTHZ "policyAssignments", API_POLICY,
	  "Microsoft.Authorization/policyAssignments/read", 0, "PolicyAssignments_List",
	  ops_policy_list },
	{ "GET", "{scope*}" AUTHZ "policyAssignments/{name}", API_POLICY,
	  "Microsoft.Authorization/policyAssignments/read", 0, "PolicyAssignments_Get",
	  ops_policy_get },
	{ "PUT", "{scope*}" AUTHZ "policyAssignments/{name}", API_POLICY,
	  "Microsoft.Authorization/policyAssignments/write", ROUTE_WRITE, "PolicyAssignments_Create",
	  ops_policy_assignment_put },
	{ "DELETE", "{scope*}" AUTHZ "policyAssignments/{name}", API_POLICY,
	  "Microsoft.Authorization/policyAssignments/delete", ROUTE_WRITE, "PolicyAssignments_Delete",
	  ops_policy_delete },
	{ "GET", "{scope*}" AUTHZ "policyExemptions", API_EXEMPTION,
	  "Microsoft.Authorization/policyExemptions/read", 0, "PolicyExemptions_List",
	  ops_policy_list },
	{ "GET", "{scope*}" AUTHZ "policyExemptions/{name}", API_EXEMPTION,
	  "Microsoft.Authorization/policyExemptions/read", 0, "PolicyExemptions_Get", ops_policy_get },
	{ "PUT", "{scope*}" AUTHZ "policyExemptions/{name}", API_EXEMPTION,
	  "Microsoft.Authorization/policyExemptions/write", ROUTE_WRITE,
	  "PolicyExemptions_CreateOrUpdate", ops_policy_exemption_put },
	{ "PATCH", "{scope*}" AUTHZ "policyExemptions/{name}", API_EXEMPTION,
	  "Microsoft.Authorization/policyExemptions/write", ROUTE_WRITE,
	  "PolicyExemptions_Update", ops_policy_exemption_patch },
	{ "DELETE", "{scope*}" AUTHZ "policyExemptions/{name}", API_EXEMPTION,
	  "Microsoft.Authorization/policyExemptions/delete", ROUTE_WRITE, "PolicyExemptions_Delete",
	  ops_policy_delete },

	/* the caller's own permissions at any scope (ops_permissions.h) */
	{ "GET", "{scope*}" AUTHZ "permissions", API_ROLE_DEFINITION, NULL, 0, "Permissions_List",
	  ops_permissions_list },

	/* roles */
	{ "GET", "{scope*}" AUTHZ "roleDefinitions", API_ROLE_DEFINITION, NULL, 0,
	  "RoleDefinitions_List", ops_role_definition_list },
	{ "GET", "{scope*}" AUTHZ "roleDefinitions/{name}", API_ROLE_DEFINITION, NULL, 0,
	  "RoleDefinitions_Get", ops_role_definition_get },
	{ "GET", "{scope*}" AUTHZ "roleAssignments", API_ROLE_ASSIGNMENT,
	  "Microsoft.Authorization/roleAssignments/read", 0, "RoleAssignments_ListForScope",
	  ops_role_assignment_list },
	{ "GET", "{scope*}" AUTHZ "roleAssignments/{name}", API_ROLE_ASSIGNMENT,
	  "Microsoft.Authorization/roleAssignments/read", 0, "RoleAssignments_Get",
	  ops_role_assignment_get },
	{ "PUT", "{scope*}" AUTHZ "roleAssignments/{name}", API_ROLE_ASSIGNMENT,
	  "Microsoft.Authorization/roleAssignments/write", ROUTE_WRITE, "RoleAssignments_Create",
	  ops_role_assignment_put },
	{ "DELETE", "{scope*}" AUTHZ "roleAssignments/{name}", API_ROLE_ASSIGNMENT,
	  "Microsoft.Authorization/roleAssignments/delete", ROUTE_WRITE, "RoleAssignments_Delete",
	  ops_role_assignment_delete },
};

const struct route *route_table(size_t *nr)
{
	*nr = sizeof(routes) / sizeof(routes[0]);
	return routes;
}

/* Splits a path into segments (pointers into a copy). Returns the count, -1 if too many. */
#define MAX_SEGMENTS 48
static int split(char *path, char **segs)
{
	int n = 0;
	char *p = path;
	while (*p == '/')
		p++;
	while (*p) {
		char *end = strchr(p, '/');
		if (n == MAX_SEGMENTS)
			return -1;
		segs[n++] = p;
		if (!end)
			break;
		*end = '\0';
		p = end + 1;
	}
	return n;
}

struct capture {
	const char *name;   /* points into the pattern copy */
	int from, to;       /* segment range [from, to) */
	int scope;          /* {x*}: joined with '/' and led by '/' */
};

static int match(char **pat, int np, char **segs, int ns, struct capture *caps, int *nr_caps)
{
	int mark = *nr_caps;
	if (!np)
		return !ns;
	if (pat[0][0] == '{') {
		size_t len = strlen(pat[0]);
		int star = len > 2 && pat[0][len - 2] == '*';
		if (*nr_caps == ROUTE_MAX_PARAMS)
			return 0;
		if (star) {
			int k;
			for (k = 0; k <= ns; k++) {
				caps[*nr_caps].name = pat[0];
				caps[*nr_caps].from = 0;
				caps[*nr_caps].to = k;
				caps[*nr_caps].scope = 1;
				(*nr_caps)++;
				if (match(pat + 1, np - 1, segs + k, ns - k, caps, nr_caps)) {
					/* segment indexes are relative: fix up to absolute below */
					caps[mark].from = 0;
					caps[mark].to = k;
					return 1;
				}
				*nr_caps = mark;
			}
			return 0;
		}
		if (!ns || !*segs[0])
			return 0;
		caps[*nr_caps].name = pat[0];
		caps[*nr_caps].from = 0;
		caps[*nr_caps].to = 1;
		caps[*nr_caps].scope = 0;
		(*nr_caps)++;
		if (match(pat + 1, np - 1, segs + 1, ns - 1, caps, nr_caps))
			return 1;
		*nr_caps = mark;
		return 0;
	}
	if (!ns || strcasecmp(pat[0], segs[0]))
		return 0;
	return match(pat + 1, np - 1, segs + 1, ns - 1, caps, nr_caps);
}

/*
 * Parameter names must outlive the request: they point into a per-route copy of the pattern
 * made once, split and cut, then kept for the life of the process.
 */
struct split_pattern {
	char *copy;                 /* the pattern, split in place into segs */
	char *segs[MAX_SEGMENTS];
	int n;
	char *names_copy;           /* a second copy whose segments become bare names */
	char *name_segs[MAX_SEGMENTS];
};

static struct split_pattern *patterns;
static pthread_once_t patterns_once = PTHREAD_ONCE_INIT;

static void split_patterns(void)
{
	size_t i, nr = sizeof(routes) / sizeof(routes[0]);
	patterns = xcalloc(nr, sizeof(*patterns));
	for (i = 0; i < nr; i++) {
		int k;
		patterns[i].copy = xstrdup(routes[i].pattern);
		patterns[i].n = split(patterns[i].copy, patterns[i].segs);
		patterns[i].names_copy = xstrdup(routes[i].pattern);
		split(patterns[i].names_copy, patterns[i].name_segs);
		for (k = 0; k < patterns[i].n; k++) {
			char *s = patterns[i].name_segs[k];
			size_t len = strlen(s);
			if (s[0] == '{') {
				s[len - 1] = '\0';
				if (len > 2 && s[len - 2] == '*')
					s[len - 2] = '\0';
				patterns[i].name_segs[k] = s + 1;
			}
		}
	}
}

enum route_match_result route_find(const char *method, const char *path,
				   struct armsim_request *req, const struct route **route)
{
	size_t i, nr = sizeof(routes) / sizeof(routes[0]);
	char *copy = xstrdup(path), *segs[MAX_SEGMENTS];
	int ns = split(copy, segs), path_matched = 0;
	enum route_match_result res = ROUTE_NO_PATH;
	pthread_once(&patterns_once, split_patterns);
	if (ns < 0)
		goto out;
	for (i = 0; i < nr; i++) {
		struct capture caps[ROUTE_MAX_PARAMS];
		int nr_caps = 0, k, c = 0, pos = 0;
		const struct split_pattern *sp = &patterns[i];
		if (!match((char **)sp->segs, sp->n, segs, ns, caps, &nr_caps))
			continue;
		if (strcmp(routes[i].method, method)) {
			path_matched = 1;
			continue;
		}
		/* widths are known; walk the pattern to turn them into values */
		for (k = 0; k < sp->n && c < nr_caps; k++) {
			struct strbuf v = STRBUF_INIT;
			int width, j;
			if (sp->segs[k][0] != '{') {
				pos++;
				continue;
			}
			width = caps[c].to - caps[c].from;
			for (j = pos; j < pos + width; j++) {
				if (caps[c].scope)
					strbuf_addch(&v, '/');
				strbuf_addstr(&v, segs[j]);
			}
			req->param_names[req->nr_params] = sp->name_segs[k];
			req->param_values[req->nr_params] = strbuf_detach(&v, NULL);
			req->nr_params++;
			pos += width;
			c++;
		}
		*route = &routes[i];
		res = ROUTE_MATCHED;
		goto out;
	}
	res = path_matched ? ROUTE_WRONG_METHOD : ROUTE_NO_PATH;
out:
	free(copy);
	return res;
}

int route_api_version_ok(enum api_family api, const char *version, const char **supported)
{
	size_t i;
	*supported = api_supported[api] ? api_supported[api] : "";
	for (i = 0; i < 6 && api_versions[api][i]; i++)
		if (!strcmp(api_versions[api][i], version))
			return 1;
	return 0;
}

enum route_class route_class_of(const char *method)
{
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
		return CLASS_READ;
	if (!strcmp(method, "DELETE"))
		return CLASS_DELETE;
	return CLASS_WRITE;
}
