/*
 * alz — the Azure Landing Zones library of a rendered policy set (see alz.h).
 *
 * Each asset is {name, type, properties} as in the ALZ library (the definition and set
 * files) or the ARM resource form the library uses for assignments. What the ALZ library
 * files do not carry is left out: the top-level "version" of api-version 2025-03-01 (the
 * metadata.version says it) and the assignment's metadata.
 */
#include <stdlib.h>
#include <string.h>

#include "generator/alz.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define ALZ_SCHEMAS "https://raw.githubusercontent.com/Azure/Azure-Landing-Zones-Library/main/schemas/"
#define MG_PREFIX "/providers/Microsoft.Management/managementGroups/"
#define PLACEHOLDER_SCOPE MG_PREFIX "placeholder"

static void add_file(struct alz_library *lib, const char *folder, const char *name,
		     const char *suffix, json_t *json)
{
	struct strbuf path = STRBUF_INIT;
	if (folder)
		strbuf_addf(&path, "%s/", folder);
	strbuf_addf(&path, "%s%s", name, suffix);
	ALLOC_GROW(lib->files, lib->nr + 1, lib->alloc);
	lib->files[lib->nr].path = strbuf_detach(&path, NULL);
	lib->files[lib->nr].json = json;
	lib->nr++;
}

/* id with its management-group scope replaced by the placeholder (new string). */
static json_t *placeholder_id(const char *id, const char *scope)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *out;
	if (!strncmp(id, scope, strlen(scope))) {
		strbuf_addstr(&sb, PLACEHOLDER_SCOPE);
		strbuf_addstr(&sb, id + strlen(scope));
	} else {
		strbuf_addstr(&sb, id);
	}
	out = json_string(sb.buf);
	strbuf_release(&sb);
	return out;
}

static json_t *definition_file(const struct deploy_resource *r)
{
	json_t *props = json_deep_copy(json_object_get(r->body, "properties"));
	json_object_del(props, "version");
	return json_pack("{s:s, s:s, s:o}", "name", r->name, "type", render_kind_type(r->kind),
			 "properties", props);
}

static json_t *set_file(const struct deploy_resource *r)
{
	json_t *props = json_deep_copy(json_object_get(r->body, "properties")), *member;
	size_t i;
	json_object_del(props, "version");
	json_array_foreach(json_object_get(props, "policyDefinitions"), i, member) {
		const char *id = json_string_value(json_object_get(member, "policyDefinitionId"));
		if (id)
			json_object_set_new(member, "policyDefinitionId", placeholder_id(id, r->scope));
	}
	return json_pack("{s:s, s:s, s:o}", "name", r->name, "type", render_kind_type(r->kind),
			 "properties", props);
}

static json_t *assignment_file(const struct deploy_resource *r)
{
	const json_t *p = json_object_get(r->body, "properties");
	const char *set_id = json_string_value(json_object_get(p, "policyDefinitionId"));
	json_t *props = json_object();
	static const char *const keep[] = { "displayName", "description", "policyDefinitionId",
					    "enforcementMode", "nonComplianceMessages", "scope",
					    "notScopes", "parameters" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keep); i++) {
		if (!strcmp(keep[i], "policyDefinitionId"))
			json_object_set_new(props, keep[i], placeholder_id(set_id ? set_id : "", r->scope));
		else if (!strcmp(keep[i], "scope"))
			json_object_set_new(props, keep[i], json_string(PLACEHOLDER_SCOPE));
		else if (json_object_get(p, keep[i]))
			json_object_set(props, keep[i], json_object_get(p, keep[i]));
		else if (!strcmp(keep[i], "notScopes"))
			json_object_set_new(props, keep[i], json_array());
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:[], s:O, s:o}", "type", render_kind_type(r->kind),
			 "apiVersion", r->api_version, "name", r->name,
			 "location", "${default_location}", "dependsOn",
			 "identity", json_object_get(r->body, "identity"), "properties", props);
}

enum alz_result alz_build(const struct deploy_set *set, struct alz_library *lib,
			  struct strbuf *err)
{
	json_t *definitions = json_array(), *sets = json_array(), *assignments = json_array();
	const char *set_name = "", *set_display = "";
	size_t i;

	for (i = 0; i < set->nr; i++) {
		const struct deploy_resource *r = &set->resources[i];
		if (strncmp(r->scope, MG_PREFIX, strlen(MG_PREFIX))) {
			strbuf_addstr(err, "format 'alz' needs [scope] management_group: Azure Landing "
				      "Zones assign archetypes to management groups, not to a list of "
				      "subscriptions");
			json_decref(definitions);
			json_decref(sets);
			json_decref(assignments);
			alz_library_release(lib);
			return ALZ_ERR_SCOPE;
		}
		switch (r->kind) {
		case DEPLOY_POLICY_DEFINITION:
			add_file(lib, "policy_definitions", r->name, ".alz_policy_definition.json",
				 definition_file(r));
			json_array_append_new(definitions, json_string(r->name));
			break;
		case DEPLOY_POLICY_SET_DEFINITION:
			add_file(lib, "policy_set_definitions", r->name,
				 ".alz_policy_set_definition.json", set_file(r));
			json_array_append_new(sets, json_string(r->name));
			set_name = r->name;
			set_display = json_string_value(json_object_get(
				json_object_get(r->body, "properties"), "displayName"));
			break;
		case DEPLOY_POLICY_ASSIGNMENT:
			add_file(lib, "policy_assignments", r->name, ".alz_policy_assignment.json",
				 assignment_file(r));
			json_array_append_new(assignments, json_string(r->name));
			break;
		}
	}
	add_file(lib, "archetype_definitions", set_name, ".alz_archetype_definition.json",
		 json_pack("{s:s, s:s, s:o, s:o, s:o, s:[]}",
			   "$schema", ALZ_SCHEMAS "archetype_definition.json", "name", set_name,
			   "policy_assignments", assignments, "policy_definitions", definitions,
			   "policy_set_definitions", sets, "role_definitions"));
	add_file(lib, NULL, "alz_library_metadata", ".json",
		 json_pack("{s:s, s:s, s:s, s:s, s:[]}",
			   "$schema", ALZ_SCHEMAS "library_metadata.json", "name", set_name,
			   "display_name", set_display ? set_display : set_name,
			   "description", "App Service apps must require incoming client certificates "
			   "(CIS Azure 9.4): DeployIfNotExists remediation, a Deny guardrail, the "
			   "initiative and its assignment; generated by policyctl render",
			   "dependencies"));
	return ALZ_OK;
}

void alz_library_release(struct alz_library *lib)
{
	size_t i;
	for (i = 0; i < lib->nr; i++) {
		free(lib->files[i].path);
		json_decref(lib->files[i].json);
	}
	free(lib->files);
	lib->files = NULL;
	lib->nr = lib->alloc = 0;
}
