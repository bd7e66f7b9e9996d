/*
 * tf_plan — sites of a Terraform JSON plan (see tf_plan.h).
 */
#include <string.h>

#include "iac/tf_plan.h"
#include "lib/banned.h"

/* The provider's attribute names: the current resources and the legacy ones. */
static const struct iac_attr_names current_attrs = {
	"client_certificate_enabled", "client_certificate_mode",
	"client_certificate_exclusion_paths", "site_config.http2_enabled",
	"site_config.minimum_tls_version", "set it to true",
};
static const struct iac_attr_names legacy_attrs = {
	"client_cert_enabled", "client_cert_mode", "client_certificate_exclusion_paths",
	"site_config.http2_enabled", "site_config.min_tls_version", "set it to true",
};
/* azurerm_function_app turns certificates on when client_cert_mode is set. */
static const struct iac_attr_names legacy_function_attrs = {
	"client_cert_mode", "client_cert_mode", "client_certificate_exclusion_paths",
	"site_config.http2_enabled", "site_config.min_tls_version",
	"set client_cert_mode = \"Required\" (it turns certificates on)",
};

struct tf_type {
	const char *type;
	enum iac_site_kind kind;
	const struct iac_attr_names *attrs;
};

static const struct tf_type types[] = {
	{ "azurerm_linux_web_app", IAC_WEBAPP, &current_attrs },
	{ "azurerm_windows_web_app", IAC_WEBAPP, &current_attrs },
	{ "azurerm_linux_web_app_slot", IAC_WEBAPP_SLOT, &current_attrs },
	{ "azurerm_windows_web_app_slot", IAC_WEBAPP_SLOT, &current_attrs },
	{ "azurerm_linux_function_app", IAC_FUNCTIONAPP, &current_attrs },
	{ "azurerm_windows_function_app", IAC_FUNCTIONAPP, &current_attrs },
	{ "azurerm_linux_function_app_slot", IAC_FUNCTIONAPP_SLOT, &current_attrs },
	{ "azurerm_windows_function_app_slot", IAC_FUNCTIONAPP_SLOT, &current_attrs },
	{ "azurerm_app_service", IAC_WEBAPP, &legacy_attrs },
	{ "azurerm_app_service_slot", IAC_WEBAPP_SLOT, &legacy_attrs },
	{ "azurerm_function_app", IAC_FUNCTIONAPP, &legacy_function_attrs },
	{ "azurerm_function_app_slot", IAC_FUNCTIONAPP_SLOT, &legacy_function_attrs },
};

struct reader {
	const struct json_doc *doc;
	const char *file;
	struct iac_site_list *sites;
	struct iac_report *report;
};

int tf_plan_detect(const json_t *root)
{
	return json_is_object(root) && json_object_get(root, "format_version") &&
	       (json_object_get(root, "resource_changes") || json_object_get(root, "planned_values") ||
		json_object_get(root, "values"));
}

static const struct tf_type *find_type(const char *type)
{
	size_t i;
	for (i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i].type, type))
			return &types[i];
	return NULL;
}

/* The first block of a nested block list (site_config is a list of one). */
static json_t *first_block(json_t *v)
{
	return json_is_array(v) ? json_array_get(v, 0) : json_is_object(v) ? v : NULL;
}

/* after_unknown's entry for key: true, a nested structure, or NULL. */
static int is_unknown(json_t *unknown, const char *key)
{
	return json_is_true(unknown) || json_is_true(json_object_get(unknown, key));
}

static void set_attr(struct iac_value *v, json_t *values, json_t *unknown, const char *key,
		     const char *shown)
{
	json_t *value = json_object_get(values, key);
	if (is_unknown(unknown, key)) {
		struct strbuf why = STRBUF_INIT;
		strbuf_addf(&why, "known only after apply (after_unknown.%s)", shown);
		iac_value_set_unknown(v, why.buf);
		strbuf_release(&why);
	} else if (value && !json_is_null(value)) {
		iac_value_set_known(v, json_incref(value));
	}
}

static void read_resource(struct reader *r, json_t *holder, const char *address,
			  const char *type_name, json_t *values, json_t *unknown)
{
	const struct tf_type *type = find_type(type_name);
	struct iac_site *site;
	struct json_position pos;
	json_t *site_config, *config_unknown, *tags, *marker;

	if (!type || !json_is_object(values))
		return;
	json_doc_position(r->doc, holder, &pos);
	site = iac_site_new(IAC_SOURCE_TERRAFORM, type->kind, type->type, address, address, pos);
	site->attrs = type->attrs;
	if (type->attrs == &legacy_function_attrs && !json_object_get(values, "client_cert_enabled")) {
		json_t *mode = json_object_get(values, "client_cert_mode");
		set_attr(&site->enabled, values, unknown, "client_cert_mode", "client_cert_mode");
		if (site->enabled.state == IAC_KNOWN)
			iac_value_set_known(&site->enabled, json_boolean(json_is_string(mode) &&
									 json_string_length(mode) > 0));
	} else {
		set_attr(&site->enabled, values, unknown,
			 type->attrs == &current_attrs ? "client_certificate_enabled" : "client_cert_enabled",
			 type->attrs->enabled);
	}
	set_attr(&site->mode, values, unknown, type->attrs->mode, type->attrs->mode);
	set_attr(&site->exclusion_paths, values, unknown, "client_certificate_exclusion_paths",
		 "client_certificate_exclusion_paths");
	site_config = first_block(json_object_get(values, "site_config"));
	config_unknown = json_object_get(unknown, "site_config");
	if (!json_is_true(config_unknown))
		config_unknown = first_block(config_unknown);
	set_attr(&site->http2, site_config, config_unknown, "http2_enabled",
		 "site_config.http2_enabled");
	set_attr(&site->min_tls, site_config, config_unknown,
		 type->attrs == &current_attrs ? "minimum_tls_version" : "min_tls_version",
		 type->attrs->min_tls);
	tags = json_object_get(values, "tags");
	marker = json_object_get(tags, "policyctl-suppress");
	if (json_is_string(marker))
		iac_site_add_marker(site, json_string_value(marker));
	iac_site_list_add(r->sites, site);
}

static void read_changes(struct reader *r, json_t *changes)
{
	json_t *rc;
	size_t i;
	json_array_foreach(changes, i, rc) {
		json_t *change = json_object_get(rc, "change");
		json_t *actions = json_object_get(change, "actions");
		const char *mode = json_string_value(json_object_get(rc, "mode"));
		const char *address = json_string_value(json_object_get(rc, "address"));
		json_t *action;
		size_t j;
		int deleted_only = json_array_size(actions) > 0;
		if (!address || (mode && strcmp(mode, "managed")))
			continue;
		json_array_foreach(actions, j, action)
			if (!json_is_string(action) || strcmp(json_string_value(action), "delete"))
				deleted_only = 0;
		if (deleted_only)
			continue;
		read_resource(r, rc, address, json_string_value(json_object_get(rc, "type")),
			      json_object_get(change, "after"), json_object_get(change, "after_unknown"));
	}
}

static void read_module(struct reader *r, json_t *module, unsigned depth)
{
	json_t *resources = json_object_get(module, "resources");
	json_t *children = json_object_get(module, "child_modules"), *item;
	size_t i;
	if (depth > 64)
		return;
	json_array_foreach(resources, i, item) {
		const char *mode = json_string_value(json_object_get(item, "mode"));
		const char *address = json_string_value(json_object_get(item, "address"));
		if (!address || (mode && strcmp(mode, "managed")))
			continue;
		read_resource(r, item, address, json_string_value(json_object_get(item, "type")),
			      json_object_get(item, "values"), NULL);
	}
	json_array_foreach(children, i, item)
		read_module(r, item, depth + 1);
}

void tf_plan_read(const struct json_doc *doc, const char *file, struct iac_site_list *sites,
		  struct iac_report *report)
{
	struct reader r = { doc, file, sites, report };
	json_t *changes = json_object_get(doc->root, "resource_changes");
	json_t *values;
	if (json_is_array(changes)) {
		read_changes(&r, changes);
		return;
	}
	values = json_object_get(doc->root, "planned_values");
	if (!values)
		values = json_object_get(doc->root, "values");
	read_module(&r, json_object_get(values, "root_module"), 0);
}
