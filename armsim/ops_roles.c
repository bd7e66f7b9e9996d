/*
 * ops_roles — role definitions and role assignments (see ops_roles.h).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "armsim/arm.h"
#include "armsim/ops_roles.h"
#include "armsim/roles.h"
#include "armsim/world.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static const char *scope_param(const struct armsim_request *req)
{
	const char *s = armsim_request_param(req, "scope");
	return s && *s ? s : "/";
}

static json_t *strings(const char *const *list)
{
	json_t *a = json_array();
	for (; *list; list++)
		json_array_append_new(a, json_string(*list));
	return a;
}

static json_t *role_body(const struct role_definition *role, const char *scope)
{
	struct strbuf id = STRBUF_INIT;
	json_t *j;
	strbuf_addf(&id, "%s/providers/Microsoft.Authorization/roleDefinitions/%s",
		    strcmp(scope, "/") ? scope : "", role->guid);
	j = json_pack("{s:{s:s, s:s, s:s, s:[s], s:[{s:o, s:o, s:[], s:[]}], s:s, s:s, s:n, s:n},"
		      " s:s, s:s, s:s}",
		      "properties", "roleName", role->name, "type", "BuiltInRole", "description",
		      role->description, "assignableScopes", "/", "permissions", "actions",
		      strings(role->actions), "notActions", strings(role->not_actions), "dataActions",
		      "notDataActions", "createdOn", "2015-02-02T21:55:09.8806423Z", "updatedOn",
		      "2021-11-11T20:13:47.8628684Z", "createdBy", "updatedBy", "id", id.buf, "type",
		      "Microsoft.Authorization/roleDefinitions", "name", role->guid);
	strbuf_release(&id);
	return j;
}


void ops_role_definition_list(struct armsim_request *req, struct armsim_response *resp)
{
	const char *scope = scope_param(req), *filter = armsim_request_query(req, "$filter");
	struct strbuf want = STRBUF_INIT;
	const struct role_definition *roles;
	json_t *items;
	size_t nr, i;
	if (strcmp(scope, "/") && armsim_scope_exists(req, resp, scope))
		goto out;
	if (filter && !armsim_filter_eq(filter, "roleName", &want)) {
		armsim_response_error(resp, 400, "UnsupportedQuery",
				      "The $filter '%s' is not supported. Use roleName eq '...'.", filter);
		goto out;
	}
	roles = role_all(&nr);
	items = json_array();
	for (i = 0; i < nr; i++)
		if (!want.len || !strcasecmp(want.buf, roles[i].name))
			json_array_append_new(items, role_body(&roles[i], scope));
	armsim_response_json(resp, 200, json_pack("{s:o}", "value", items));
out:
	strbuf_release(&want);
}

void ops_role_definition_get(struct armsim_request *req, struct armsim_response *resp)
{
	const char *scope = scope_param(req), *name = armsim_request_param(req, "name");
	const struct role_definition *role = role_find(name);
	if (strcmp(scope, "/") && armsim_scope_exists(req, resp, scope))
		return;
	/* a GUID lookup only: roleName is for $filter */
	if (!role || strcasecmp(role->guid, name)) {
		armsim_response_error(resp, 404, "RoleDefinitionDoesNotExist",
				      "The specified role definition with ID '%s' does not exist.", name);
		return;
	}
	armsim_response_json(resp, 200, role_body(role, scope));
}

static void assignment_id(const char *scope, const char *name, struct strbuf *out)
{
	strbuf_addf(out, "%s/providers/Microsoft.Authorization/roleAssignments/%s",
		    strcmp(scope, "/") ? scope : "", name);
}

void ops_role_assignment_list(struct armsim_request *req, struct armsim_response *resp)
{
	const char *scope = scope_param(req), *filter = armsim_request_query(req, "$filter");
	const struct world_list *all = world_resource_list(req->world, NULL, WT_ROLE_ASSIGNMENT);
	struct strbuf principal = STRBUF_INIT;
	int at_scope = armsim_filter_has_call(filter, "atScope");
	struct armsim_page page;
	json_t *items;
	size_t i, total = 0;
	if (strcmp(scope, "/") && armsim_scope_exists(req, resp, scope))
		goto out;
	if (armsim_page_window(req, resp, &page))
		goto out;
	armsim_filter_eq(filter, "principalId", &principal);
	items = json_array();
	for (i = 0; i < all->nr; i++) {
		const struct world_resource *r = all->items[i];
		const char *pid = json_string_value(json_object_get(
			json_object_get(r->body, "properties"), "principalId"));
		int keep = world_scope_contains(req->world, r->scope, scope) ||
			   (!at_scope && world_scope_contains(req->world, scope, r->scope));
		if (keep && principal.len)
			keep = pid && !strcasecmp(pid, principal.buf);
		if (keep && armsim_page_has(&page, total++))
			json_array_append(items, r->body);
	}
	armsim_respond_window(req, resp, &page, items, total, "nextLink");
out:
	strbuf_release(&principal);
}

static struct world_resource *find_assignment(struct armsim_request *req,
					      struct armsim_response *resp)
{
	const char *scope = scope_param(req), *name = armsim_request_param(req, "name");
	struct strbuf id = STRBUF_INIT;
	struct world_resource *r;
	assignment_id(scope, name, &id);
	r = world_resource_get(req->world, id.buf);
	strbuf_release(&id);
	if (!r && !(strcmp(scope, "/") && armsim_scope_exists(req, resp, scope)))
		armsim_response_error(resp, 404, "RoleAssignmentNotFound",
				      "The role assignment '%s' is not found.", name);
	return r;
}

void ops_role_assignment_get(struct armsim_request *req, struct armsim_response *resp)
{
	struct world_resource *r = find_assignment(req, resp);
	if (r)
		armsim_response_json(resp, 200, json_incref(r->body));
}

void ops_role_assignment_delete(struct armsim_request *req, struct armsim_response *resp)
{
	struct world_resource *r = find_assignment(req, resp);
	if (!r) {
		if (resp->status == 404 &&
		    !strcmp(json_string_value(json_object_get(json_object_get(resp->body, "error"),
							      "code")), "RoleAssignmentNotFound"))
			armsim_response_json(resp, 204, NULL);
		return;
	}
	armsim_response_json(resp, 200, json_incref(r->body));
	world_resource_delete(req->world, r->id);
	resp->is_write = 1;
}

static int is_guid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;
	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i]; i++)
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The principal id without dashes, as the recorded PrincipalNotFound message prints it. */
static void undashed(const char *id, struct strbuf *out)
{
	for (; *id; id++)
		if (*id != '-')
			strbuf_addch(out, *id);
}

void ops_role_assignment_put(struct armsim_request *req, struct armsim_response *resp)
{
	const char *scope = scope_param(req), *name = armsim_request_param(req, "name");
	json_t *props = json_object_get(req->body, "properties"), *body = NULL;
	const char *role_id, *principal_id, *principal_type;
	const struct role_definition *role;
	struct world_principal *p;
	struct world_resource *existing;
	const struct world_list *all;
	struct strbuf id = STRBUF_INIT, compact = STRBUF_INIT;
	char now[40];
	size_t i;
	int created;
	if (strcmp(scope, "/") && armsim_scope_exists(req, resp, scope))
		goto out;
	if (!is_guid(name)) {
		armsim_response_error(resp, 400, "InvalidRoleAssignmentId",
				      "The role assignment ID '%s' is not valid. The role assignment ID must be a GUID.",
				      name);
		goto out;
	}
	if (req->body_invalid || !json_is_object(props)) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The request content was invalid and could not be deserialized.");
		goto out;
	}
	role_id = json_string_value(json_object_get(props, "roleDefinitionId"));
	principal_id = json_string_value(json_object_get(props, "principalId"));
	principal_type = json_string_value(json_object_get(props, "principalType"));
	role = role_id ? role_find(role_id) : NULL;
	if (!role || !strchr(role_id, '/') || strcasecmp(strrchr(role_id, '/') + 1, role->guid)) {
		armsim_response_error(resp, 400, "RoleDefinitionDoesNotExist",
				      "The specified role definition with ID '%s' does not exist.",
				      role_id ? role_id : "");
		goto out;
	}
	if (!principal_id || !is_guid(principal_id)) {
		armsim_response_error(resp, 400, "InvalidPrincipalId",
				      "A valid principal ID must be provided for role assignment.");
		goto out;
	}
	p = world_principal_by_object_id(req->world, principal_id);
	if (!p || (!world_principal_replicated(req->world, p) &&
		   !(principal_type && req->world->knobs.principal_type_skips_wait))) {
		undashed(principal_id, &compact);
		armsim_response_error(resp, 400, "PrincipalNotFound",
				      "Principal %s does not exist in the directory %s. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
				      compact.buf, req->world->tenant_id);
		goto out;
	}
	assignment_id(scope, name, &id);
	existing = world_resource_get(req->world, id.buf);
	all = world_resource_list(req->world, strcmp(scope, "/") ? scope : "/", WT_ROLE_ASSIGNMENT);
	for (i = 0; i < all->nr; i++) {
		json_t *op = json_object_get(all->items[i]->body, "properties");
		const struct role_definition *other = role_find(json_string_value(json_object_get(op, "roleDefinitionId")));
		const char *opid = json_string_value(json_object_get(op, "principalId"));
		if (all->items[i] == existing || other != role || !opid || strcasecmp(opid, principal_id))
			continue;
		armsim_response_error(resp, 409, "RoleAssignmentExists", "The role assignment already exists.");
		goto out;
	}
	if (existing) {
		json_t *op = json_object_get(existing->body, "properties");
		const char *opid = json_string_value(json_object_get(op, "principalId"));
		if (role_find(json_string_value(json_object_get(op, "roleDefinitionId"))) != role ||
		    !opid || strcasecmp(opid, principal_id)) {
			armsim_response_error(resp, 400, "RoleAssignmentUpdateNotPermitted",
					      "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
			goto out;
		}
		armsim_response_json(resp, 200, json_incref(existing->body));
		goto out;
	}
	armsim_now_iso(now);
	body = json_pack("{s:{s:s, s:s, s:s, s:s, s:n, s:n, s:s, s:s, s:n, s:s, s:n, s:n},"
			 " s:s, s:s, s:s}",
			 "properties", "roleDefinitionId", role_id, "principalId", p->object_id,
			 "principalType", principal_type ? principal_type : p->type, "scope", scope,
			 "condition", "conditionVersion", "createdOn", now, "updatedOn", now,
			 "createdBy", "updatedBy", req->caller->object_id,
			 "delegatedManagedIdentityResourceId", "description",
			 "id", id.buf, "type", WT_ROLE_ASSIGNMENT, "name", name);
	world_resource_put(req->world, id.buf, WT_ROLE_ASSIGNMENT, scope, json_incref(body), &created);
	armsim_response_json(resp, 201, body);
	body = NULL;
out:
	json_decref(body);
	strbuf_release(&id);
	strbuf_release(&compact);
}
