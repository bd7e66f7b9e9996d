/*
 * authz — RBAC checks (see authz.h).
 *
 * A check walks the caller's own role assignments (the world files them by principal): a
 * tenant with a policy assignment per subscription holds thousands of role assignments, one
 * per assignment identity, and every remediation deployment checks its identity's.
 */
#include <string.h>
#include <strings.h>

#include "armsim/authz.h"
#include "armsim/roles.h"
#include "armsim/world.h"
#include "lib/banned.h"

int authz_allowed(const struct world *w, const char *object_id, const char *scope,
		  const char *action)
{
	/* the principal's own role assignments: a tenant holds one per policy assignment */
	const struct world_list *all = world_role_assignments_of(w, object_id);
	size_t i, n = strlen(action);
	/* built-in definitions (tenant level) are readable by everyone signed in */
	if (!strncasecmp(scope, "/providers/Microsoft.Authorization/", 35) && n > 5 &&
	    !strcasecmp(action + n - 5, "/read"))
		return 1;
	for (i = 0; i < all->nr; i++) {
		const struct world_resource *ra = all->items[i];
		json_t *props = json_object_get(ra->body, "properties");
		const char *pid = json_string_value(json_object_get(props, "principalId"));
		const char *rid = json_string_value(json_object_get(props, "roleDefinitionId"));
		const struct role_definition *role;
		if (!pid || strcasecmp(pid, object_id))
			continue;
		role = role_find(rid);
		if (!role || !role_allows(role, action))
			continue;
		if (world_scope_contains(w, ra->scope, scope))
			return 1;
	}
	return 0;
}

/* Compares a with b ignoring case and one trailing slash on either. */
static int same_url(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la && a[la - 1] == '/')
		la--;
	if (lb && b[lb - 1] == '/')
		lb--;
	return la == lb && !strncasecmp(a, b, la);
}

int authz_audience_ok(const char *aud, const char *base_url)
{
	return same_url(aud, "https://management.azure.com") ||
	       same_url(aud, "https://management.core.windows.net") ||
	       (base_url && same_url(aud, base_url));
}

int authz_resource_ok(const char *resource, const char *base_url)
{
	size_t n = strlen(resource);
	static const char suffix[] = "/.default";
	char buf[512];
	if (n >= sizeof(suffix) - 1 && !strcasecmp(resource + n - (sizeof(suffix) - 1), suffix))
		n -= sizeof(suffix) - 1;
	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, resource, n);
	buf[n] = '\0';
	return authz_audience_ok(buf, base_url);
}
