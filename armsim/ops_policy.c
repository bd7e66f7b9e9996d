/*
 * ops_policy — policy CRUD (see ops_policy.h).
 *
 * Status codes follow the recordings, not the specs' optimism: a definition PUT is 201 on
 * create and on update, an assignment PUT is 201, a set definition or an exemption PUT is 201
 * when created and 200 when updated. Error texts follow the recorded ones word for word where a
 * recording shows them (MissingPolicyParameter, InvalidPolicyParameterType).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/arm.h"
#include "armsim/ops_policy.h"
#include "armsim/policy_eval.h"
#include "armsim/simclock.h"
#include "armsim/world.h"
#include "lib/strcase.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define AUTHZ_PROVIDER "/providers/Microsoft.Authorization/"

/* ---- what kind of policy resource a route is about ---------------------------------------- */

enum policy_which { PK_DEFINITION, PK_SET, PK_ASSIGNMENT, PK_EXEMPTION };

struct policy_kind {
	enum policy_which which;
	const char *type;        /* WT_* */
	const char *segment;     /* "policyDefinitions" */
	const char *not_found;   /* error code */
	const char *noun;        /* "policy definition" */
	int assignable_below_sub;/* may sit at resource-group and resource scope */
};

static const struct policy_kind kinds[] = {
	{ PK_DEFINITION, WT_POLICY_DEFINITION, "policyDefinitions", "PolicyDefinitionNotFound", "policy definition", 0 },
	{ PK_SET, WT_POLICY_SET, "policySetDefinitions", "PolicySetDefinitionNotFound", "policy set definition", 0 },
	{ PK_ASSIGNMENT, WT_POLICY_ASSIGNMENT, "policyAssignments", "PolicyAssignmentNotFound", "policy assignment", 1 },
	{ PK_EXEMPTION, WT_POLICY_EXEMPTION, "policyExemptions", "PolicyExemptionNotFound", "policy exemption", 1 },
};

static const struct policy_kind *kind_of(const struct armsim_request *req)
{
	size_t i;
	const char *p = strcase_find(req->path, AUTHZ_PROVIDER);
	const char *last = NULL;
	/* the last Microsoft.Authorization segment is the one the route is about */
	while (p) {
		last = p;
		p = strcase_find(p + 1, AUTHZ_PROVIDER);
	}
	if (!last)
		return &kinds[0];
	last += strlen(AUTHZ_PROVIDER);
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strncasecmp(last, kinds[i].segment, strlen(kinds[i].segment)) &&
		    (last[strlen(kinds[i].segment)] == '/' || !last[strlen(kinds[i].segment)]))
			return &kinds[i];
	return &kinds[0];
}

/* The scope as stored: "/" for the tenant root, else the captured scope. */
static const char *scope_of(const struct armsim_request *req)
{
	const char *s = armsim_request_param(req, "scope");
	return s && *s ? s : "/";
}

/*
 * Fields an api-version does not know (the service leaves them out of its answers). armsim
 * stores a resource with every field the newest version has and shapes each answer for the
 * version asked. Sources: the specs of each version (Microsoft.Authorization).
 */
static const struct {
	const char *type;   /* WT_* */
	const char *field;  /* under properties */
	const char *since;  /* the first api-version that has it */
} version_fields[] = {
	{ WT_POLICY_ASSIGNMENT, "definitionVersion", "2023-04-01" },
	{ WT_POLICY_ASSIGNMENT, "overrides", "2023-04-01" },
	{ WT_POLICY_ASSIGNMENT, "resourceSelectors", "2023-04-01" },
	{ WT_POLICY_ASSIGNMENT, "instanceId", "2025-03-01" },
	{ WT_POLICY_DEFINITION, "version", "2023-04-01" },
	{ WT_POLICY_DEFINITION, "versions", "2023-04-01" },
	{ WT_POLICY_SET, "version", "2023-04-01" },
	{ WT_POLICY_SET, "versions", "2023-04-01" },
	{ WT_POLICY_EXEMPTION, "assignmentScopeValidation", "2022-07-01-preview" },
	{ WT_POLICY_EXEMPTION, "resourceSelectors", "2022-07-01-preview" },
};

/* The body as the request's api-version shows it (a new reference). */
static json_t *body_for_version(const struct armsim_request *req, json_t *body)
{
	const char *v = req->api_version ? req->api_version : "";
	const char *type = json_string_value(json_object_get(body, "type"));
	json_t *props = json_object_get(body, "properties"), *copy = NULL;
	size_t i;
	for (i = 0; type && i < ARRAY_SIZE(version_fields); i++) {
		if (strcasecmp(type, version_fields[i].type) || strcmp(v, version_fields[i].since) >= 0 ||
		    !json_object_get(props, version_fields[i].field))
			continue;
		if (!copy) {
			copy = json_copy(body);
			props = json_copy(props);
			json_object_set_new(copy, "properties", props);
		}
		json_object_del(props, version_fields[i].field);
	}
	return copy ? copy : json_incref(body);
}

static void make_id(const char *scope, const struct policy_kind *k, const char *name,
		    struct strbuf *out)
{
	strbuf_addf(out, "%s" AUTHZ_PROVIDER "%s/%s", strcmp(scope, "/") ? scope : "", k->segment,
		    name);
}

/* Validates the scope for the kind; fills resp and returns -1 when wrong or missing. */
static int check_scope(struct armsim_request *req, struct armsim_response *resp,
		       const struct policy_kind *k, const char *scope, int for_write)
{
	enum armsim_scope_kind sk = armsim_scope_kind(scope);
	if (sk == SCOPE_INVALID ||
	    (for_write && (sk == SCOPE_TENANT ||
			   (!k->assignable_below_sub && (sk == SCOPE_RESOURCE_GROUP || sk == SCOPE_RESOURCE))))) {
		armsim_response_error(resp, 400, "InvalidScope",
				      "The scope '%s' is not valid for a %s.", scope, k->noun);
		return -1;
	}
	return armsim_scope_exists(req, resp, strcmp(scope, "/") ? scope : "");
}

void ops_policy_get(struct armsim_request *req, struct armsim_response *resp)
{
	const struct policy_kind *k = kind_of(req);
	const char *name = armsim_request_param(req, "name"), *scope = scope_of(req);
	struct strbuf id = STRBUF_INIT;
	struct world_resource *r;
	make_id(scope, k, name, &id);
	r = world_resource_get(req->world, id.buf);
	if (r)
		armsim_response_json(resp, 200, body_for_version(req, r->body));
	else if (!check_scope(req, resp, k, scope, 0))
		armsim_response_error(resp, 404, k->not_found, "The %s '%s' could not be found.",
				      k->noun, name);
	strbuf_release(&id);
}


void ops_policy_list(struct armsim_request *req, struct armsim_response *resp)
{
	const struct policy_kind *k = kind_of(req);
	const char *scope = scope_of(req), *filter = armsim_request_query(req, "$filter");
	const struct world_list *all = world_resource_list(req->world, NULL, k->type);
	struct strbuf want_def = STRBUF_INIT, want_type = STRBUF_INIT, want_cat = STRBUF_INIT;
	int at_scope = armsim_filter_has_call(filter, "atScope");
	int exact = armsim_filter_has_call(filter, "atExactScope");
	int unexpired = k->which == PK_EXEMPTION && armsim_filter_has_call(filter, "excludeExpired");
	struct strbuf want_assignment = STRBUF_INIT;
	int64_t now = simclock_now_ms();
	int is_definition = k->which == PK_DEFINITION || k->which == PK_SET;
	struct armsim_page page;
	json_t *items;
	size_t i, total = 0;
	if (check_scope(req, resp, k, scope, 0) || armsim_page_window(req, resp, &page))
		goto out;
	armsim_filter_eq(filter, "policyDefinitionId", &want_def);
	armsim_filter_eq(filter, "policyType", &want_type);
	armsim_filter_eq(filter, "category", &want_cat);
	if (k->which == PK_EXEMPTION)
		armsim_filter_eq(filter, "policyAssignmentId", &want_assignment);
	items = json_array();
	for (i = 0; i < all->nr; i++) {
		const struct world_resource *r = all->items[i];
		json_t *props = json_object_get(r->body, "properties");
		int above = world_scope_contains(req->world, r->scope, scope);
		int below = world_scope_contains(req->world, scope, r->scope);
		int keep;
		if (exact)
			keep = !strcasecmp(r->scope, scope);
		else if (is_definition || at_scope)
			keep = above;
		else
			keep = above || below;
		if (keep && want_def.len) {
			const char *d = json_string_value(json_object_get(props, "policyDefinitionId"));
			keep = d && !strcasecmp(d, want_def.buf);
		}
		if (keep && want_type.len) {
			const char *t = json_string_value(json_object_get(props, "policyType"));
			keep = t && !strcasecmp(t, want_type.buf);
		}
		if (keep && want_cat.len) {
			const char *c = json_string_value(json_object_get(
				json_object_get(props, "metadata"), "category"));
			keep = c && !strcasecmp(c, want_cat.buf);
		}
		if (keep && want_assignment.len) {
			const char *a = json_string_value(json_object_get(props, "policyAssignmentId"));
			keep = a && !strcasecmp(a, want_assignment.buf);
		}
		if (keep && unexpired) {
			/* excludeExpired(): those not expired on the simulated clock, or never expiring */
			int64_t until = simclock_parse_iso(json_string_value(json_object_get(props,
											     "expiresOn")));
			keep = until < 0 || until > now;
		}
		if (keep && armsim_page_has(&page, total++))
			json_array_append_new(items, body_for_version(req, r->body));
	}
	armsim_respond_window(req, resp, &page, items, total, "nextLink");
out:
	strbuf_release(&want_def);
	strbuf_release(&want_type);
	strbuf_release(&want_cat);
	strbuf_release(&want_assignment);
}

void ops_policy_delete(struct armsim_request *req, struct armsim_response *resp)
{
	const struct policy_kind *k = kind_of(req);
	const char *name = armsim_request_param(req, "name"), *scope = scope_of(req);
	struct strbuf id = STRBUF_INIT;
	struct world_resource *r;
	make_id(scope, k, name, &id);
	r = world_resource_get(req->world, id.buf);
	if (!r) {
		if (!check_scope(req, resp, k, scope, 0))
			armsim_response_json(resp, 204, NULL);
		goto out;
	}
	if (k->which == PK_DEFINITION || k->which == PK_SET) {
		/* a definition in use cannot go: say which set or assignment holds it */
		static const char *const users[] = { WT_POLICY_SET, WT_POLICY_ASSIGNMENT };
		size_t u, i, j;
		for (u = 0; u < ARRAY_SIZE(users); u++) {
			const struct world_list *as = world_resource_list(req->world, NULL, users[u]);
			for (i = 0; i < as->nr; i++) {
				json_t *props = json_object_get(as->items[i]->body, "properties");
				json_t *members = json_object_get(props, "policyDefinitions"), *m;
				const char *d = json_string_value(json_object_get(props, "policyDefinitionId"));
				int used = d && !strcasecmp(d, r->id);
				json_array_foreach(members, j, m) {
					const char *md = json_string_value(json_object_get(m, "policyDefinitionId"));
					used |= md && !strcasecmp(md, r->id);
				}
				if (used) {
					armsim_response_error(resp, 400,
							      k->which == PK_SET ? "PolicySetDefinitionInUse" : "PolicyDefinitionInUse",
							      "The %s '%s' is in use by '%s' and cannot be deleted.",
							      k->noun, name, as->items[i]->id);
					goto out;
				}
			}
		}
	}
	if (k->which == PK_ASSIGNMENT) {
		const char *pid = json_string_value(json_object_get(
			json_object_get(r->body, "identity"), "principalId"));
		struct world_principal *p = world_principal_by_object_id(req->world, pid);
		if (p && p->managed)
			world_principal_delete(req->world, p->object_id);
	}
	armsim_response_json(resp, 200, body_for_version(req, r->body));
	world_resource_delete(req->world, r->id);
	resp->is_write = 1;
out:
	strbuf_release(&id);
}

/* ---- shared validation --------------------------------------------------------------------- */

static int body_properties(struct armsim_request *req, struct armsim_response *resp,
			   json_t **props)
{
	*props = json_object_get(req->body, "properties");
	if (req->body_invalid || !json_is_object(req->body) || !json_is_object(*props)) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The request content was invalid and could not be deserialized: a 'properties' object is required.");
		return -1;
	}
	return 0;
}

static int check_name(struct armsim_response *resp, const struct policy_kind *k,
		      const char *name, const char *scope)
{
	size_t max = armsim_scope_kind(scope) == SCOPE_MANAGEMENT_GROUP && k->which == PK_ASSIGNMENT
		     ? 24 : 128;
	const char *problem = armsim_policy_name_problem(name, max);
	const char *code = k->which == PK_ASSIGNMENT ? "InvalidPolicyAssignmentName"
			   : k->which == PK_SET ? "InvalidPolicySetDefinitionName"
			   : k->which == PK_EXEMPTION ? "InvalidPolicyExemptionName"
			   : "InvalidPolicyDefinitionName";
	if (!problem)
		return 0;
	if (!strcmp(problem, "the name is too long"))
		armsim_response_error(resp, 400, code,
				      "The %s name '%s' is invalid. The %s name length must not exceed '%zu' characters.",
				      k->noun, name, k->noun, max);
	else
		armsim_response_error(resp, 400, code, "The %s name '%s' is invalid: %s.", k->noun,
				      name, problem);
	return -1;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "Object";
	case JSON_ARRAY:
		return "Array";
	case JSON_STRING:
		return "String";
	case JSON_INTEGER:
		return "Integer";
	case JSON_REAL:
		return "Float";
	case JSON_TRUE:
	case JSON_FALSE:
		return "Boolean";
	default:
		return "Null";
	}
}

static int is_expression(const json_t *v)
{
	const char *s = json_string_value(v);
	return s && s[0] == '[' && s[1] != '[';
}

/*
 * Checks parameter values `given` ({"p":{"value":X}}) against a definition's declarations.
 * `who` names the caller in messages ("policy assignment 'x'"), def_name the definition.
 */
static int check_parameters(struct armsim_response *resp, const json_t *decls, const json_t *given,
			    const char *who, const char *def_kind, const char *def_name,
			    int allow_expressions)
{
	const char *key;
	json_t *decl, *entry;
	struct strbuf missing = STRBUF_INIT, undefined = STRBUF_INIT;
	int ret = -1;
	if (given && !json_is_object(given)) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The %s parameters must be an object.", who);
		goto out;
	}
	json_object_foreach((json_t *)given, key, entry) {
		json_t *value;
		const char *type;
		decl = json_object_get(decls, key);
		if (!decl) {
			strbuf_addf(&undefined, "%s%s", undefined.len ? "," : "", key);
			continue;
		}
		if (!json_is_object(entry) || !(value = json_object_get(entry, "value"))) {
			armsim_response_error(resp, 400, "InvalidRequestContent",
					      "The parameter '%s' of the %s must be an object with a 'value'.",
					      key, who);
			goto out;
		}
		type = json_string_value(json_object_get(decl, "type"));
		if (allow_expressions && is_expression(value))
			continue;
		if (type && !policy_parameter_type_ok(type, value)) {
			armsim_response_error(resp, 400, "InvalidPolicyParameterType",
					      "The policy parameter '%s' does not match the expected parameter type defined in the %s '%s'. Details 'The expected policy parameter type: '%s'. The actual policy parameter type '%s'.'.",
					      key, def_kind, def_name, type, json_type_name(value));
			goto out;
		}
		{
			json_t *allowed = json_object_get(decl, "allowedValues"), *a;
			size_t i;
			int found = !json_is_array(allowed);
			json_array_foreach(allowed, i, a)
				if (json_equal(a, value) ||
				    (json_is_string(a) && json_is_string(value) &&
				     !strcasecmp(json_string_value(a), json_string_value(value))))
					found = 1;
			if (!found) {
				armsim_response_error(resp, 400, "InvalidPolicyParameterValue",
						      "The policy parameter '%s' value is not allowed by the %s '%s'.",
						      key, def_kind, def_name);
				goto out;
			}
		}
	}
	if (undefined.len) {
		armsim_response_error(resp, 400, "UndefinedPolicyParameter",
				      "The %s has the parameter(s) '%s' which are not defined in the %s '%s'.",
				      who, undefined.buf, def_kind, def_name);
		goto out;
	}
	json_object_foreach((json_t *)decls, key, decl)
		if (!json_object_get(decl, "defaultValue") && !json_object_get(given, key))
			strbuf_addf(&missing, "%s%s", missing.len ? "," : "", key);
	if (missing.len) {
		armsim_response_error(resp, 400, "MissingPolicyParameter",
				      "The %s is missing the parameter(s) '%s' as defined in the %s '%s'.",
				      who, missing.buf, def_kind, def_name);
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&missing);
	strbuf_release(&undefined);
	return ret;
}

/* Collects every "field" value of a rule into the first unknown alias; NULL when all known. */
static const char *unknown_alias(const json_t *node, world_alias_known_fn *alias_known)
{
	const char *key, *bad;
	json_t *v;
	size_t i;
	if (json_is_array(node)) {
		json_array_foreach(node, i, v)
			if ((bad = unknown_alias(v, alias_known)))
				return bad;
		return NULL;
	}
	if (!json_is_object(node))
		return NULL;
	json_object_foreach((json_t *)node, key, v) {
		if (!strcmp(key, "field") && json_is_string(v)) {
			const char *f = json_string_value(v);
			/* aliases are "Namespace/type/path"; plain fields (name, type, tags[x]) and
			   expressions are not aliases */
			if (strchr(f, '/') && f[0] != '[' && alias_known && !alias_known(f))
				return f;
		} else if (strcmp(key, "details") || json_is_object(v)) {
			if ((bad = unknown_alias(v, alias_known)))
				return bad;
		}
	}
	return NULL;
}

static int check_declarations(struct armsim_response *resp, const json_t *decls, const char *noun,
			      const char *name)
{
	static const char *const types[] = { "String", "Array", "Object", "Boolean", "Integer",
					     "Float", "DateTime" };
	const char *key;
	json_t *decl;
	size_t i;
	if (!decls)
		return 0;
	if (!json_is_object(decls)) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The %s '%s' parameters must be an object.", noun, name);
		return -1;
	}
	json_object_foreach((json_t *)decls, key, decl) {
		const char *type = json_string_value(json_object_get(decl, "type"));
		int known = 0;
		for (i = 0; type && i < ARRAY_SIZE(types); i++)
			known |= !strcasecmp(type, types[i]);
		if (!json_is_object(decl) || !known) {
			armsim_response_error(resp, 400, "InvalidPolicyParameterType",
					      "The %s '%s' declares the parameter '%s' with an invalid type '%s'. Allowed types: String, Array, Object, Boolean, Integer, Float, DateTime.",
					      noun, name, key, type ? type : "");
			return -1;
		}
		if (json_object_get(decl, "defaultValue") &&
		    !policy_parameter_type_ok(type, json_object_get(decl, "defaultValue"))) {
			armsim_response_error(resp, 400, "InvalidPolicyParameterType",
					      "The default value of the parameter '%s' of the %s '%s' does not match its type '%s'.",
					      key, noun, name, type);
			return -1;
		}
	}
	return 0;
}

/* Metadata as the service keeps it: what was sent plus who created and updated it when. */
static json_t *stamp_metadata(struct armsim_request *req, const json_t *sent,
			      const struct world_resource *existing)
{
	json_t *meta = json_is_object(sent) ? json_deep_copy(sent) : json_object();
	json_t *old = existing ? json_object_get(json_object_get(existing->body, "properties"),
						 "metadata") : NULL;
	char now[40];
	armsim_now_iso(now);
	if (old && json_object_get(old, "createdBy")) {
		json_object_set(meta, "createdBy", json_object_get(old, "createdBy"));
		json_object_set(meta, "createdOn", json_object_get(old, "createdOn"));
		json_object_set_new(meta, "updatedBy", json_string(req->caller->object_id));
		json_object_set_new(meta, "updatedOn", json_string(now));
	} else {
		json_object_set_new(meta, "createdBy", json_string(req->caller->object_id));
		json_object_set_new(meta, "createdOn", json_string(now));
		json_object_set_new(meta, "updatedBy", json_null());
		json_object_set_new(meta, "updatedOn", json_null());
	}
	return meta;
}

static json_t *envelope(struct armsim_request *req, const char *id, const char *type,
			const char *name, json_t *props, const struct world_resource *existing)
{
	json_t *body = json_pack("{s:o, s:s, s:s, s:s}", "properties", props, "id", id, "type", type,
				 "name", name);
	armsim_set_system_data(req, body, existing ? existing->body : NULL);
	return body;
}

/*
 * Wraps props (stolen) in the resource envelope, stores it as `type` at scope (an existing
 * resource keeps the case of its id and name) and answers with it: created_status when it is
 * new, updated_status when it replaced one.
 */
static void store_and_answer(struct armsim_request *req, struct armsim_response *resp,
			     const char *type, const char *id, const char *name, const char *scope,
			     json_t *props, const struct world_resource *existing,
			     unsigned created_status, unsigned updated_status)
{
	const char *final_id = existing ? existing->id : id;
	json_t *body = envelope(req, final_id, type,
				existing ? json_string_value(json_object_get(existing->body, "name")) : name,
				props, existing);
	unsigned status = existing ? updated_status : created_status;
	struct world *w = req->world;
	/* Azure Policy evaluates exemption writes: an enforced Deny ([exemptions] govern) refuses */
	if (!strcmp(type, WT_POLICY_EXEMPTION) && w->policy.write_check &&
	    w->policy.write_check(w, final_id, existing ? existing->body : NULL, body, resp,
				  w->policy.write_check_arg)) {
		json_decref(body);
		return;
	}
	world_resource_put(w, final_id, type, scope, json_incref(body), NULL);
	armsim_response_json(resp, status, body_for_version(req, body));
	json_decref(body);
}

/* ---- definitions ---------------------------------------------------------------------------- */

void ops_policy_definition_put(struct armsim_request *req, struct armsim_response *resp)
{
	const struct policy_kind *k = &kinds[0];
	const char *name = armsim_request_param(req, "name"), *scope = scope_of(req), *bad;
	struct strbuf id = STRBUF_INIT, err = STRBUF_INIT;
	json_t *props, *rule, *then, *stored = NULL;
	const char *mode;
	struct world_resource *existing;
	if (check_scope(req, resp, k, scope, 1) || check_name(resp, k, name, scope) ||
	    body_properties(req, resp, &props))
		goto out;
	rule = json_object_get(props, "policyRule");
	then = json_object_get(rule, "then");
	if (!json_is_object(rule) || !json_is_object(json_object_get(rule, "if")) ||
	    !json_is_object(then) || !json_is_string(json_object_get(then, "effect"))) {
		armsim_response_error(resp, 400, "InvalidPolicyRule",
				      "The policy definition '%s' rule is invalid: it needs an 'if' condition and a 'then' with an 'effect'.",
				      name);
		goto out;
	}
	mode = json_string_value(json_object_get(props, "mode"));
	if (json_object_get(props, "mode") && (!mode || (strcasecmp(mode, "All") && strcasecmp(mode, "Indexed") &&
							strncasecmp(mode, "Microsoft.", 10)))) {
		armsim_response_error(resp, 400, "InvalidPolicyMode",
				      "The policy definition '%s' mode '%s' is invalid. Allowed modes: All, Indexed, or a resource provider mode.",
				      name, mode ? mode : "");
		goto out;
	}
	if (check_declarations(resp, json_object_get(props, "parameters"), k->noun, name))
		goto out;
	if ((bad = unknown_alias(rule, req->world->policy.alias_known))) {
		armsim_response_error(resp, 400, "InvalidPolicyAlias",
				      "The policy definition '%s' rule is invalid. The policy alias '%s' is not found. Check the alias name and the resource type.",
				      name, bad);
		goto out;
	}
	if (req->world->policy.rule_check && req->world->policy.rule_check(props, &err)) {
		armsim_response_error(resp, 400, "InvalidPolicyRule",
				      "The policy definition '%s' rule is invalid: %s", name, err.buf);
		goto out;
	}
	make_id(scope, k, name, &id);
	existing = world_resource_get(req->world, id.buf);
	/*
	 * The request's own properties, taken over rather than copied (5,000 definitions at
	 * 1,000 subscriptions): nothing reads the request body after its handler.
	 */
	stored = json_incref(props);
	if (!json_object_get(stored, "policyType"))
		json_object_set_new(stored, "policyType", json_string("Custom"));
	if (!json_object_get(stored, "mode"))
		json_object_set_new(stored, "mode", json_string("Indexed"));
	if (!json_object_get(stored, "parameters"))
		json_object_set_new(stored, "parameters", json_object());
	json_object_set_new(stored, "metadata",
			    stamp_metadata(req, json_object_get(props, "metadata"), existing));
	store_and_answer(req, resp, WT_POLICY_DEFINITION, id.buf, name, scope, stored, existing, 201, 201);
	stored = NULL;
out:
	json_decref(stored);
	strbuf_release(&id);
	strbuf_release(&err);
}

/* The definition an id names, if it is visible from scope (at or above it). */
static struct world_resource *visible_definition(struct world *w, const char *def_id,
						 const char *type, const char *scope)
{
	struct world_resource *d = world_resource_get(w, def_id);
	if (!d || strcasecmp(d->type, type))
		return NULL;
	return world_scope_contains(w, d->scope, scope) ? d : NULL;
}

static const char *last_segment(const char *id)
{
	const char *s = strrchr(id, '/');
	return s ? s + 1 : id;
}

void ops_policy_set_put(struct armsim_request *req, struct armsim_response *resp)
{
	const struct policy_kind *k = &kinds[1];
	const char *name = armsim_request_param(req, "name"), *scope = scope_of(req);
	struct strbuf id = STRBUF_INIT, who = STRBUF_INIT;
	json_t *props, *members, *m, *stored = NULL, *refs = json_object();
	struct world_resource *existing;
	size_t i;
	if (check_scope(req, resp, k, scope, 1) || check_name(resp, k, name, scope) ||
	    body_properties(req, resp, &props))
		goto out;
	members = json_object_get(props, "policyDefinitions");
	if (!json_is_array(members) || !json_array_size(members)) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The policy set definition '%s' must contain at least one policy definition in 'policyDefinitions'.",
				      name);
		goto out;
	}
	if (check_declarations(resp, json_object_get(props, "parameters"), k->noun, name))
		goto out;
	strbuf_addf(&who, "policy set definition '%s'", name);
	stored = json_incref(props); /* taken over, as a definition's (nothing reads it after) */
	members = json_object_get(stored, "policyDefinitions");
	json_array_foreach(members, i, m) {
		const char *def_id = json_string_value(json_object_get(m, "policyDefinitionId"));
		const char *ref = json_string_value(json_object_get(m, "policyDefinitionReferenceId"));
		struct world_resource *def;
		char generated[24];
		if (!json_is_object(m) || !def_id) {
			armsim_response_error(resp, 400, "InvalidRequestContent",
					      "Each member of policy set definition '%s' needs a 'policyDefinitionId'.",
					      name);
			goto out;
		}
		def = visible_definition(req->world, def_id, WT_POLICY_DEFINITION, scope);
		if (!def) {
			armsim_response_error(resp, 404, "PolicyDefinitionNotFound",
					      "The policy definition '%s' could not be found.",
					      last_segment(def_id));
			goto out;
		}
		if (check_parameters(resp, json_object_get(json_object_get(def->body, "properties"),
							   "parameters"),
				     json_object_get(m, "parameters"), who.buf, "policy definition",
				     json_string_value(json_object_get(def->body, "name")), 1))
			goto out;
		if (!ref) {
			/* the service makes up a long number when none is given */
			snprintf(generated, sizeof(generated), "%llu",
				 (unsigned long long)(i + 1) * 11400714819323198485ULL % 10000000000000000000ULL);
			json_object_set_new(m, "policyDefinitionReferenceId", json_string(generated));
			ref = json_string_value(json_object_get(m, "policyDefinitionReferenceId"));
		}
		if (json_object_get(refs, ref)) {
			armsim_response_error(resp, 400, "DuplicatePolicyDefinitionReferenceId",
					      "The policy set definition '%s' has more than one member with the reference id '%s'.",
					      name, ref);
			goto out;
		}
		json_object_set_new(refs, ref, json_true());
		if (!json_object_get(m, "parameters"))
			json_object_set_new(m, "parameters", json_object());
		/* the service stores the id in its canonical case */
		json_object_set_new(m, "policyDefinitionId", json_string(def->id));
	}
	make_id(scope, k, name, &id);
	existing = world_resource_get(req->world, id.buf);
	if (!json_object_get(stored, "policyType"))
		json_object_set_new(stored, "policyType", json_string("Custom"));
	if (!json_object_get(stored, "policyDefinitionGroups"))
		json_object_set_new(stored, "policyDefinitionGroups", json_array());
	json_object_set_new(stored, "metadata",
			    stamp_metadata(req, json_object_get(props, "metadata"), existing));
	store_and_answer(req, resp, WT_POLICY_SET, id.buf, name, scope, stored, existing, 201, 200);
	stored = NULL;
out:
	json_decref(stored);
	json_decref(refs);
	strbuf_release(&id);
	strbuf_release(&who);
}

/* ---- assignments ---------------------------------------------------------------------------- */

void ops_policy_assignment_put(struct armsim_request *req, struct armsim_response *resp)
{
	const struct policy_kind *k = &kinds[2];
	const char *name = armsim_request_param(req, "name"), *scope = scope_of(req);
	struct strbuf id = STRBUF_INIT, who = STRBUF_INIT;
	json_t *props, *stored = NULL, *identity = NULL, *body = NULL;
	const char *def_id, *mode, *location, *id_type = NULL;
	struct world_resource *existing, *def;
	int is_set;
	if (check_scope(req, resp, k, scope, 1) || check_name(resp, k, name, scope) ||
	    body_properties(req, resp, &props))
		goto out;
	def_id = json_string_value(json_object_get(props, "policyDefinitionId"));
	if (!def_id) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The policy assignment '%s' needs a 'policyDefinitionId'.", name);
		goto out;
	}
	is_set = strcase_find(def_id, "/policySetDefinitions/") != NULL;
	def = visible_definition(req->world, def_id, is_set ? WT_POLICY_SET : WT_POLICY_DEFINITION,
				 strcmp(scope, "/") ? scope : "");
	if (!def) {
		armsim_response_error(resp, 404, is_set ? "PolicySetDefinitionNotFound" : "PolicyDefinitionNotFound",
				      "The %s '%s' could not be found.",
				      is_set ? "policy set definition" : "policy definition", last_segment(def_id));
		goto out;
	}
	strbuf_addf(&who, "policy assignment '%s'", name);
	if (check_parameters(resp, json_object_get(json_object_get(def->body, "properties"), "parameters"),
			     json_object_get(props, "parameters"), who.buf,
			     is_set ? "policy set definition" : "policy definition",
			     json_string_value(json_object_get(def->body, "name")), 0))
		goto out;
	mode = json_string_value(json_object_get(props, "enforcementMode"));
	if (json_object_get(props, "enforcementMode") &&
	    (!mode || (strcasecmp(mode, "Default") && strcasecmp(mode, "DoNotEnforce")))) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The enforcementMode '%s' is invalid. Allowed values: Default, DoNotEnforce.",
				      mode ? mode : "");
		goto out;
	}
	identity = json_object_get(req->body, "identity");
	if (identity) {
		id_type = json_string_value(json_object_get(identity, "type"));
		if (!json_is_object(identity) || !id_type ||
		    (strcasecmp(id_type, "SystemAssigned") && strcasecmp(id_type, "UserAssigned") &&
		     strcasecmp(id_type, "None"))) {
			armsim_response_error(resp, 400, "InvalidRequestContent",
					      "The identity type '%s' is invalid. Allowed values: SystemAssigned, UserAssigned, None.",
					      id_type ? id_type : "");
			goto out;
		}
		if (!strcasecmp(id_type, "None"))
			id_type = NULL; /* no principal; echoed as {"type":"None"} below */
	}
	location = json_string_value(json_object_get(req->body, "location"));
	if (id_type && (!location || !*location)) {
		armsim_response_error(resp, 400, "LocationRequired",
				      "The policy assignment '%s' has a managed identity: the location property is required.",
				      name);
		goto out;
	}
	make_id(scope, k, name, &id);
	existing = world_resource_get(req->world, id.buf);
	stored = json_deep_copy(props);
	json_object_set_new(stored, "policyDefinitionId", json_string(def->id));
	json_object_set_new(stored, "scope", json_string(strcmp(scope, "/") ? scope : "/"));
	if (!json_object_get(stored, "notScopes"))
		json_object_set_new(stored, "notScopes", json_array());
	if (!json_object_get(stored, "enforcementMode"))
		json_object_set_new(stored, "enforcementMode", json_string("Default"));
	if (!json_object_get(stored, "parameters"))
		json_object_set_new(stored, "parameters", json_object());
	json_object_set_new(stored, "definitionVersion", json_string("1.*.*"));
	{
		json_t *old_instance = existing ? json_object_get(json_object_get(existing->body, "properties"),
								  "instanceId") : NULL;
		char guid[37];
		if (old_instance)
			json_object_set(stored, "instanceId", old_instance);
		else {
			world_new_guid(req->world, guid);
			json_object_set_new(stored, "instanceId", json_string(guid));
		}
	}
	json_object_set_new(stored, "metadata",
			    stamp_metadata(req, json_object_get(props, "metadata"), existing));
	/* the service records who assigned it when the client did not say */
	if (!json_object_get(json_object_get(stored, "metadata"), "assignedBy"))
		json_object_set_new(json_object_get(stored, "metadata"), "assignedBy",
				    json_string(req->caller->display_name));
	body = envelope(req, existing ? existing->id : id.buf, WT_POLICY_ASSIGNMENT,
			existing ? json_string_value(json_object_get(existing->body, "name")) : name,
			stored, existing);
	stored = NULL;
	if (location)
		json_object_set_new(body, "location", json_string(location));
	{
		json_t *old_identity = existing ? json_object_get(existing->body, "identity") : NULL;
		const char *old_pid = json_string_value(json_object_get(old_identity, "principalId"));
		const char *old_type = json_string_value(json_object_get(old_identity, "type"));
		struct world_principal *p = world_principal_by_object_id(req->world, old_pid);
		if (id_type && !strcasecmp(id_type, "SystemAssigned")) {
			if (!p || !old_type || strcasecmp(old_type, "SystemAssigned"))
				p = world_principal_create(req->world, name, 1);
			json_object_set_new(body, "identity", json_pack("{s:s, s:s, s:s}", "type",
									"SystemAssigned", "principalId",
									p->object_id, "tenantId",
									req->world->tenant_id));
		} else {
			if (p && p->managed && old_type && !strcasecmp(old_type, "SystemAssigned"))
				world_principal_delete(req->world, p->object_id);
			if (id_type) /* UserAssigned: echoed, the identity itself is not modelled */
				json_object_set(body, "identity", identity);
			else if (identity) /* "None", as the service echoes it */
				json_object_set_new(body, "identity", json_pack("{s:s}", "type", "None"));
		}
	}
	world_resource_put(req->world, existing ? existing->id : id.buf, WT_POLICY_ASSIGNMENT, scope,
			   json_incref(body), NULL);
	armsim_response_json(resp, 201, body_for_version(req, body));
out:
	json_decref(stored);
	json_decref(body);
	strbuf_release(&id);
	strbuf_release(&who);
}

/* ---- exemptions ------------------------------------------------------------------------------ */

/* expiresOn must be a date and time (a bare date is refused, as ARM does). */
static int iso8601_ok(const char *s)
{
	return s && strchr(s, 'T') && simclock_parse_iso(s) >= 0;
}

/* resourceSelectors must be an array of {name, selectors[]}; 400 otherwise. Returns 1 when bad. */
static int exemption_selectors_bad(struct armsim_response *resp, const json_t *props,
				   const char *name)
{
	const json_t *sel = json_object_get(props, "resourceSelectors"), *item;
	size_t i;
	if (!sel || json_is_null(sel))
		return 0;
	if (json_is_array(sel)) {
		json_array_foreach(sel, i, item)
			if (!json_is_object(item) || !json_is_string(json_object_get(item, "name")) ||
			    !json_is_array(json_object_get(item, "selectors")))
				break;
		if (i == json_array_size(sel))
			return 0;
	}
	armsim_response_error(resp, 400, "InvalidRequestContent",
			      "The resourceSelectors of policy exemption '%s' must be an array of "
			      "objects with 'name' and 'selectors'.", name);
	return 1;
}

void ops_policy_exemption_put(struct armsim_request *req, struct armsim_response *resp)
{
	const struct policy_kind *k = &kinds[3];
	const char *name = armsim_request_param(req, "name"), *scope = scope_of(req);
	struct strbuf id = STRBUF_INIT;
	json_t *props, *stored = NULL, *refs;
	const char *assignment_id, *category, *expires, *validation;
	struct world_resource *existing, *assignment;
	if (check_scope(req, resp, k, scope, 1) || check_name(resp, k, name, scope) ||
	    body_properties(req, resp, &props))
		goto out;
	assignment_id = json_string_value(json_object_get(props, "policyAssignmentId"));
	category = json_string_value(json_object_get(props, "exemptionCategory"));
	if (!assignment_id || !category) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The policy exemption '%s' needs 'policyAssignmentId' and 'exemptionCategory'.",
				      name);
		goto out;
	}
	if (strcasecmp(category, "Waiver") && strcasecmp(category, "Mitigated")) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The exemption category '%s' is invalid. Allowed values: Waiver, Mitigated.",
				      category);
		goto out;
	}
	expires = json_string_value(json_object_get(props, "expiresOn"));
	if (json_object_get(props, "expiresOn") && !json_is_null(json_object_get(props, "expiresOn")) &&
	    !iso8601_ok(expires)) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The expiresOn value of policy exemption '%s' is not a UTC ISO 8601 date.",
				      name);
		goto out;
	}
	assignment = world_resource_get(req->world, assignment_id);
	if (!assignment || strcasecmp(assignment->type, WT_POLICY_ASSIGNMENT)) {
		armsim_response_error(resp, 404, "PolicyAssignmentNotFound",
				      "The policy assignment '%s' is not found.", last_segment(assignment_id));
		goto out;
	}
	validation = json_string_value(json_object_get(props, "assignmentScopeValidation"));
	if (json_object_get(props, "assignmentScopeValidation") &&
	    !json_is_null(json_object_get(props, "assignmentScopeValidation")) &&
	    (!validation || (strcasecmp(validation, "Default") && strcasecmp(validation, "DoNotValidate")))) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The assignmentScopeValidation value of policy exemption '%s' is "
				      "invalid. Allowed values: Default, DoNotValidate.", name);
		goto out;
	}
	if (exemption_selectors_bad(resp, props, name))
		goto out;
	/* DoNotValidate: the exemption may sit outside the assignment's scope (a moved resource) */
	if ((!validation || strcasecmp(validation, "DoNotValidate")) &&
	    !world_scope_contains(req->world, assignment->scope, scope)) {
		armsim_response_error(resp, 400, "InvalidPolicyExemptionScope",
				      "The policy exemption '%s' scope '%s' is not within the scope '%s' of the policy assignment.",
				      name, scope, assignment->scope);
		goto out;
	}
	refs = json_object_get(props, "policyDefinitionReferenceIds");
	if (refs && !json_is_array(refs)) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "policyDefinitionReferenceIds must be an array.");
		goto out;
	}
	make_id(scope, k, name, &id);
	existing = world_resource_get(req->world, id.buf);
	stored = json_deep_copy(props);
	json_object_set_new(stored, "policyAssignmentId", json_string(assignment->id));
	store_and_answer(req, resp, WT_POLICY_EXEMPTION, id.buf, name, scope, stored, existing, 201, 200);
	stored = NULL;
out:
	json_decref(stored);
	strbuf_release(&id);
}

/*
 * PATCH: Azure's PolicyExemptionUpdate carries resourceSelectors and assignmentScopeValidation
 * alone; anything else in the body is not a change a PATCH can make and is left as it is.
 */
void ops_policy_exemption_patch(struct armsim_request *req, struct armsim_response *resp)
{
	const struct policy_kind *k = &kinds[3];
	const char *name = armsim_request_param(req, "name"), *scope = scope_of(req);
	struct strbuf id = STRBUF_INIT;
	struct world_resource *existing;
	json_t *props, *stored = NULL, *v;
	const char *validation;

	if (check_scope(req, resp, k, scope, 1) || body_properties(req, resp, &props))
		goto out;
	make_id(scope, k, name, &id);
	existing = world_resource_get(req->world, id.buf);
	if (!existing) {
		armsim_response_error(resp, 404, k->not_found, "The %s '%s' could not be found.",
				      k->noun, name);
		goto out;
	}
	validation = json_string_value(json_object_get(props, "assignmentScopeValidation"));
	if (json_object_get(props, "assignmentScopeValidation") &&
	    (!validation || (strcasecmp(validation, "Default") && strcasecmp(validation, "DoNotValidate")))) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The assignmentScopeValidation value of policy exemption '%s' is "
				      "invalid. Allowed values: Default, DoNotValidate.", name);
		goto out;
	}
	if (exemption_selectors_bad(resp, props, name))
		goto out;
	stored = json_deep_copy(json_object_get(existing->body, "properties"));
	if ((v = json_object_get(props, "resourceSelectors")))
		json_object_set(stored, "resourceSelectors", v);
	if (validation)
		json_object_set_new(stored, "assignmentScopeValidation", json_string(validation));
	store_and_answer(req, resp, WT_POLICY_EXEMPTION, existing->id, name, existing->scope, stored,
			 existing, 200, 200);
	stored = NULL;
out:
	json_decref(stored);
	strbuf_release(&id);
}
