/*
 * ops_permissions — the caller's permissions at a scope (see ops_permissions.h).
 */
#include <string.h>
#include <strings.h>

#include "armsim/arm.h"
#include "armsim/ops_permissions.h"
#include "armsim/roles.h"
#include "armsim/world.h"
#include "lib/banned.h"

static json_t *strings(const char *const *list)
{
	json_t *a = json_array();
	for (; *list; list++)
		json_array_append_new(a, json_string(*list));
	return a;
}

void ops_permissions_list(struct armsim_request *req, struct armsim_response *resp)
{
	const char *scope = armsim_request_param(req, "scope");
	const struct world_list *all = world_role_assignments_of(req->world, req->caller->object_id);
	json_t *items;
	size_t i;

	if (!scope || !*scope)
		scope = "/";
	if (strcmp(scope, "/") && armsim_scope_exists(req, resp, scope))
		return;
	items = json_array();
	for (i = 0; i < all->nr; i++) {
		const struct world_resource *ra = all->items[i];
		json_t *props = json_object_get(ra->body, "properties");
		const char *pid = json_string_value(json_object_get(props, "principalId"));
		const struct role_definition *role;
		if (!pid || strcasecmp(pid, req->caller->object_id))
			continue;
		role = role_find(json_string_value(json_object_get(props, "roleDefinitionId")));
		if (!role || !world_scope_contains(req->world, ra->scope, scope))
			continue;
		json_array_append_new(items, json_pack("{s:o, s:o, s:[], s:[]}",
						       "actions", strings(role->actions),
						       "notActions", strings(role->not_actions),
						       "dataActions", "notDataActions"));
	}
	armsim_respond_page(req, resp, items, "nextLink");
}
