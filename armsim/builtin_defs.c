/*
 * builtin_defs — Azure's built-in client-certificate audit definitions (see builtin_defs.h).
 */
#include <string.h>
#include <strings.h>

#include "armsim/builtin_defs.h"
#include "armsim/world.h"
#include "lib/strbuf.h"
#include "lib/banned.h"

#define DEF_PREFIX "/providers/Microsoft.Authorization/policyDefinitions/"

/*
 * One row per built-in. All four share a shape: for a site (or slot) of the kinds named whose
 * clientCertEnabled is not true, AuditIfNotExists a web config with http20Enabled true (the
 * definitions audit HTTP/1.1 apps only: with HTTP/2 on, the app counts as compliant).
 */
struct builtin_audit {
	const char *guid;
	const char *display_name;  /* Azure's title: clients find definitions by it */
	const char *type;          /* Microsoft.Web/sites or Microsoft.Web/sites/slots */
	int function_apps;         /* 1: kinds with functionapp (not Logic Apps, not Container Apps);
				      0: every kind but functionapp */
	const char *version;       /* the current version */
	const char *older_version; /* an earlier version Azure still lists, or NULL */
};

static const struct builtin_audit audits[BUILTIN_DEFS_COUNT] = {
	{ "19dd1db6-f442-49cf-a838-b0786b4401ef",
	  "App Service apps should have Client Certificates (Incoming client certificates) enabled",
	  "Microsoft.Web/sites", 0, "1.0.0", NULL },
	{ "5b0bd968-5cb5-4513-8987-27786c6f0df8",
	  "App Service app slots should have Client Certificates (Incoming client certificates) enabled",
	  "Microsoft.Web/sites/slots", 0, "1.0.0", NULL },
	{ "ab6a902f-9493-453b-928d-62c30b11b5a6",
	  "Function apps should have Client Certificates (Incoming client certificates) enabled",
	  "Microsoft.Web/sites", 1, "1.1.0", "1.0.0" },
	{ "153ab4ca-2d58-4b5d-9134-6d8c6bdd321c",
	  "Function app slots should have Client Certificates (Incoming client certificates) enabled",
	  "Microsoft.Web/sites/slots", 1, "1.1.0", "1.0.0" },
};

static json_t *kind_condition(const char *op, const char *value)
{
	return json_pack("{s:s, s:s}", "field", "kind", op, value);
}

static json_t *audit_rule(const struct builtin_audit *b)
{
	struct strbuf alias = STRBUF_INIT, config = STRBUF_INIT, http2 = STRBUF_INIT;
	json_t *all = json_array(), *rule;

	strbuf_addf(&alias, "%s/clientCertEnabled", b->type);
	strbuf_addf(&config, "%s/config", b->type);
	strbuf_addf(&http2, "%s/config/web.http20Enabled", b->type);
	json_array_append_new(all, json_pack("{s:s, s:s}", "field", "type", "equals", b->type));
	if (b->function_apps) {
		json_array_append_new(all, kind_condition("contains", "functionapp"));
		json_array_append_new(all, kind_condition("notContains", "workflowapp"));
		json_array_append_new(all, kind_condition("notContains", "azurecontainerapps"));
	} else {
		json_array_append_new(all, kind_condition("notContains", "functionapp"));
	}
	json_array_append_new(all, json_pack("{s:s, s:s}", "field", alias.buf, "notEquals", "true"));
	rule = json_pack("{s:{s:o}, s:{s:s, s:{s:s, s:s, s:{s:s, s:s}}}}",
			 "if", "allOf", all,
			 "then", "effect", "[parameters('effect')]",
			 "details", "type", config.buf, "name", "web",
			 "existenceCondition", "field", http2.buf, "equals", "true");
	strbuf_release(&alias);
	strbuf_release(&config);
	strbuf_release(&http2);
	return rule;
}

static json_t *audit_definition(const struct builtin_audit *b)
{
	struct strbuf id = STRBUF_INIT;
	json_t *versions = json_pack("[s]", b->version), *def;

	if (b->older_version)
		json_array_append_new(versions, json_string(b->older_version));
	strbuf_addf(&id, DEF_PREFIX "%s", b->guid);
	def = json_pack(
		"{s:{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:{s:{s:s, s:s, s:[s, s], s:{s:s, s:s}}},"
		" s:o, s:o}, s:s, s:s, s:s}",
		"properties",
		"displayName", b->display_name,
		"policyType", "BuiltIn",
		"mode", "Indexed",
		"description", "Audits apps that do not require incoming client certificates "
			       "(clientCertEnabled) and serve HTTP/1.1 only; an app with HTTP/2 "
			       "enabled is not audited. (armsim's built-in, after Azure's.)",
		"metadata", "version", b->version, "category", "App Service",
		"version", b->version,
		"parameters", "effect", "type", "string", "defaultValue", "AuditIfNotExists",
		"allowedValues", "AuditIfNotExists", "Disabled",
		"metadata", "displayName", "Effect",
		"description", "AuditIfNotExists to audit, Disabled to turn the policy off.",
		"policyRule", audit_rule(b),
		"versions", versions,
		"id", id.buf,
		"name", b->guid,
		"type", WT_POLICY_DEFINITION);
	strbuf_release(&id);
	return def;
}

static int has_id(const json_t *resources, const char *id)
{
	const json_t *r;
	size_t i;
	json_array_foreach(resources, i, r) {
		const char *rid = json_string_value(json_object_get(r, "id"));
		if (rid && !strcasecmp(rid, id))
			return 1;
	}
	return 0;
}

size_t builtin_defs_add(json_t *doc)
{
	json_t *resources = json_object_get(doc, "resources");
	size_t i, added = 0;

	if (resources && !json_is_array(resources))
		return 0; /* malformed: world_load_json names it */
	if (!resources) {
		resources = json_array();
		json_object_set_new(doc, "resources", resources);
	}
	for (i = 0; i < BUILTIN_DEFS_COUNT; i++) {
		json_t *def = audit_definition(&audits[i]);
		if (has_id(resources, json_string_value(json_object_get(def, "id")))) {
			json_decref(def);
			continue;
		}
		json_array_append_new(resources, def);
		added++;
	}
	return added;
}

json_t *builtin_defs_get(const char *id)
{
	size_t i;
	for (i = 0; i < BUILTIN_DEFS_COUNT; i++) {
		json_t *def = audit_definition(&audits[i]);
		if (id && !strcasecmp(json_string_value(json_object_get(def, "id")), id))
			return def;
		json_decref(def);
	}
	return NULL;
}
