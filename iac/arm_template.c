/*
 * arm_template — sites and slots of an ARM template (see arm_template.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iac/arm_template.h"
#include "iac/armexpr.h"
#include "iac/rules.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define MAX_NESTING 16 /* nested deployments and child resources */
#define MAX_COPY 800   /* ARM's limit on a copy loop's count */
#define MAX_INSTANCES 100000 /* resource instances per file: nested copy loops multiply */
#define COPY_NONE (-1)   /* not in a copy loop */
#define COPY_UNKNOWN (-2) /* in a copy loop whose count does not resolve */

static const struct iac_attr_names arm_attrs = {
	"properties.clientCertEnabled", "properties.clientCertMode",
	"properties.clientCertExclusionPaths", "siteConfig.http20Enabled",
	"siteConfig.minTlsVersion", "set it to true",
};

/* A web config resource (sites/config 'web'), applied to its site after the walk. */
struct web_config {
	char *site_name;        /* "app" or "app/slot" (owned) */
	json_t *http2, *min_tls; /* resolved values or unknown markers, NULL when absent (owned) */
};

struct reader {
	const struct json_doc *doc;
	const char *file;
	struct iac_site_list *sites;
	struct iac_report *report;
	size_t first_site;          /* sites of this file start here in the list */
	struct web_config *configs;
	size_t config_count, config_alloc;
	size_t instances;           /* resource instances walked so far (bounded) */
	int over_budget;            /* MAX_INSTANCES reached: reported once, walk stopped */
};

static void walk_template(struct reader *r, json_t *tmpl, struct armexpr_scope *scope,
			  const char *prefix, unsigned depth);

static struct json_position position_of(const struct reader *r, const json_t *value)
{
	struct json_position pos;
	json_doc_position(r->doc, value, &pos);
	return pos;
}

static int contains_nocase(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	for (; *haystack; haystack++)
		if (!strncasecmp(haystack, needle, n))
			return 1;
	return 0;
}

int arm_template_detect(const json_t *root)
{
	const char *schema = json_string_value(json_object_get(root, "$schema"));
	if (!json_is_object(root))
		return 0;
	if (schema)
		return contains_nocase(schema, "deploymentTemplate.json");
	return json_object_get(root, "resources") && json_object_get(root, "contentVersion");
}

int arm_parameters_detect(const json_t *root)
{
	const char *schema = json_string_value(json_object_get(root, "$schema"));
	return schema && contains_nocase(schema, "deploymentParameters.json");
}

/* Copies an ARM parameter value entry ({"value": x} or a Key Vault {"reference": ...}). */
static json_t *given_value(const json_t *entry)
{
	json_t *value = json_object_get(entry, "value");
	if (value)
		return json_deep_copy(value);
	if (json_object_get(entry, "reference"))
		return armexpr_unknown("the parameter is a Key Vault reference");
	return armexpr_unknown("the parameter entry has neither value nor reference");
}

/* Sets v from a resolved value (borrowed): absent for NULL, unknown for a marker (why
 * prefixed with what, when not NULL). */
static void set_value(struct iac_value *v, json_t *resolved, const char *what)
{
	const char *why = armexpr_unknown_why(resolved);
	if (!resolved)
		return;
	if (why) {
		struct strbuf sb = STRBUF_INIT;
		if (what)
			strbuf_addf(&sb, "%s: ", what);
		strbuf_addstr(&sb, why);
		iac_value_set_unknown(v, sb.buf);
		strbuf_release(&sb);
	} else {
		iac_value_set_known(v, json_incref(resolved));
	}
}

/* Resolves obj.key (obj already resolved, borrowed); NULL when absent; new reference. */
static json_t *resolve_member(struct armexpr_scope *scope, json_t *obj, const char *key)
{
	json_t *member;
	if (armexpr_unknown_why(obj))
		return json_incref(obj);
	if (!json_is_object(obj))
		return NULL;
	member = json_object_get(obj, key);
	if (!member) {
		const char *k;
		json_t *v;
		json_object_foreach(obj, k, v)
			if (!strcasecmp(k, key))
				member = v;
	}
	return member ? armexpr_resolve(scope, member) : NULL;
}

/* The name as resolved, or as written when it does not resolve to a string. */
static void resolved_name(struct armexpr_scope *scope, json_t *res, struct strbuf *out, int *known)
{
	json_t *raw = json_object_get(res, "name");
	json_t *v = raw ? armexpr_resolve(scope, raw) : NULL;
	*known = json_is_string(v) && !armexpr_unknown_why(v);
	if (*known)
		strbuf_addstr(out, json_string_value(v));
	else if (json_is_string(raw))
		strbuf_addstr(out, json_string_value(raw));
	else
		strbuf_addstr(out, "(unnamed)");
	json_decref(v);
}

static void add_markers(struct armexpr_scope *scope, struct iac_site *site, json_t *holder)
{
	json_t *resolved = holder ? armexpr_resolve(scope, holder) : NULL;
	json_t *marker = resolve_member(scope, resolved, "policyctl-suppress");
	size_t i;
	json_t *item;
	if (json_is_string(marker) && !armexpr_unknown_why(marker))
		iac_site_add_marker(site, json_string_value(marker));
	else if (json_is_array(marker))
		json_array_foreach(marker, i, item)
			if (json_is_string(item))
				iac_site_add_marker(site, json_string_value(item));
	json_decref(marker);
	json_decref(resolved);
}

static void read_site(struct reader *r, json_t *res, struct armexpr_scope *scope,
		      const char *type, const char *name, const char *logical_id, int is_slot,
		      const char *condition_note)
{
	json_t *kind = resolve_member(scope, res, "kind");
	json_t *props = resolve_member(scope, res, "properties");
	json_t *site_config = NULL, *v;
	const char *kind_text = json_is_string(kind) && !armexpr_unknown_why(kind) ? json_string_value(kind) : NULL;
	int function = iac_kind_is_function(kind_text);
	struct iac_site *site;

	if (iac_kind_out_of_scope(kind_text)) {
		r->report->sites_skipped++;
		goto out;
	}
	site = iac_site_new(IAC_SOURCE_ARM,
			    is_slot ? (function ? IAC_FUNCTIONAPP_SLOT : IAC_WEBAPP_SLOT)
				    : (function ? IAC_FUNCTIONAPP : IAC_WEBAPP),
			    type, name, logical_id, position_of(r, res));
	site->attrs = &arm_attrs;
	if (condition_note)
		site->condition_note = xstrdup(condition_note);
	if (!props) {
		/* no properties at all: every value is absent (App Service's defaults) */
	} else {
		v = resolve_member(scope, props, "clientCertEnabled");
		set_value(&site->enabled, v, NULL);
		json_decref(v);
		v = resolve_member(scope, props, "clientCertMode");
		set_value(&site->mode, v, NULL);
		json_decref(v);
		v = resolve_member(scope, props, "clientCertExclusionPaths");
		set_value(&site->exclusion_paths, v, NULL);
		json_decref(v);
		site_config = resolve_member(scope, props, "siteConfig");
		v = resolve_member(scope, site_config, "http20Enabled");
		set_value(&site->http2, v, NULL);
		json_decref(v);
		v = resolve_member(scope, site_config, "minTlsVersion");
		set_value(&site->min_tls, v, NULL);
		json_decref(v);
	}
	add_markers(scope, site, json_object_get(res, "metadata"));
	add_markers(scope, site, json_object_get(res, "tags"));
	iac_site_list_add(r->sites, site);
out:
	json_decref(site_config);
	json_decref(props);
	json_decref(kind);
}

static void read_web_config(struct reader *r, json_t *res, struct armexpr_scope *scope,
			    const char *name)
{
	const char *slash = strrchr(name, '/');
	json_t *props;
	struct web_config *c;
	if (!slash || strcasecmp(slash + 1, "web"))
		return;
	props = resolve_member(scope, res, "properties");
	ALLOC_GROW(r->configs, r->config_count + 1, r->config_alloc);
	c = &r->configs[r->config_count++];
	c->site_name = xstrndup(name, (size_t)(slash - name));
	c->http2 = resolve_member(scope, props, "http20Enabled");
	c->min_tls = resolve_member(scope, props, "minTlsVersion");
	json_decref(props);
}

static void read_deployment(struct reader *r, json_t *res, struct armexpr_scope *scope,
			    const char *name, const char *logical_id, unsigned depth)
{
	json_t *props = resolve_member(scope, res, "properties");
	json_t *tmpl = NULL, *link = NULL, *options = NULL, *eval_scope = NULL;
	struct strbuf subject = STRBUF_INIT;

	strbuf_addf(&subject, "Microsoft.Resources/deployments '%s'", name);
	if (!props || armexpr_unknown_why(props))
		goto out;
	link = json_object_get(props, "templateLink");
	if (link) {
		json_t *uri = resolve_member(scope, link, "uri");
		json_t *rel = resolve_member(scope, link, "relativePath");
		json_t *shown = json_is_string(rel) ? rel : uri;
		iac_report_add(r->report, IAC_RULE_LINKED_TEMPLATE, r->file, position_of(r, res),
			       subject.buf, name, logical_id,
			       "%s: links the template '%s', which is not read: check it on its own",
			       subject.buf,
			       json_is_string(shown) ? json_string_value(shown) : "(computed at deployment)");
		json_decref(uri);
		json_decref(rel);
		goto out;
	}
	tmpl = json_object_get(props, "template");
	if (!json_is_object(tmpl))
		goto out;
	options = json_object_get(props, "expressionEvaluationOptions");
	eval_scope = json_object_get(options, "scope");
	if (json_is_string(eval_scope) && !strcasecmp(json_string_value(eval_scope), "inner")) {
		struct armexpr_scope inner;
		json_t *params = json_object_get(props, "parameters"), *entry;
		const char *key;
		armexpr_scope_init(&inner, tmpl);
		json_object_foreach(params, key, entry) {
			json_t *value = json_object_get(entry, "value");
			if (value)
				armexpr_scope_give(&inner, key, armexpr_resolve_deep(scope, value));
			else
				armexpr_scope_give(&inner, key, given_value(entry));
		}
		walk_template(r, tmpl, &inner, logical_id, depth + 1);
		armexpr_scope_release(&inner);
	} else {
		/* outer (the default): the nested template sees the parent's names */
		walk_template(r, tmpl, scope, logical_id, depth + 1);
	}
out:
	json_decref(props);
	strbuf_release(&subject);
}

static void walk_resource(struct reader *r, json_t *res, struct armexpr_scope *scope,
			  const char *parent_type, const char *parent_name, const char *id,
			  unsigned depth);

/* One instance of a resource (inside its copy loop, if any). */
static void walk_instance(struct reader *r, json_t *res, struct armexpr_scope *scope,
			  const char *parent_type, const char *parent_name, const char *id,
			  long long copy_index, unsigned depth)
{
	const char *raw_name;
	json_t *type_json = resolve_member(scope, res, "type");
	json_t *condition = json_object_get(res, "condition");
	struct strbuf type = STRBUF_INIT, name = STRBUF_INIT, own = STRBUF_INIT;
	struct strbuf logical = STRBUF_INIT, note = STRBUF_INIT;
	json_t *children;
	const char *t;
	int name_known;
	size_t i;

	/* languageVersion 2.0 "existing" resources are references, not deployed */
	if (!json_is_string(type_json) || armexpr_unknown_why(type_json) ||
	    json_is_true(json_object_get(res, "existing")))
		goto out;
	t = json_string_value(type_json);
	if (parent_type && !strchr(t, '/'))
		strbuf_addf(&type, "%s/%s", parent_type, t);
	else
		strbuf_addstr(&type, t);
	if (condition) {
		json_t *c = armexpr_resolve(scope, condition);
		const char *why = armexpr_unknown_why(c);
		if (why)
			strbuf_addstr(&note, why);
		else if (!json_is_boolean(c))
			strbuf_addstr(&note, "the condition is not a bool");
		else if (json_is_false(c)) {
			json_decref(c);
			goto out;
		}
		json_decref(c);
	}
	resolved_name(scope, res, &own, &name_known);
	if (parent_name && !strchr(own.buf, '/'))
		strbuf_addf(&name, "%s/%s", parent_name, own.buf);
	else
		strbuf_addstr(&name, own.buf);
	/* Stable across edits that move lines: the names as written, not positions. */
	raw_name = json_string_value(json_object_get(res, "name"));
	strbuf_addf(&logical, "%s/%s:%s", id, type.buf, raw_name ? raw_name : "");
	if (copy_index >= 0)
		strbuf_addf(&logical, "#%lld", copy_index);
	else if (copy_index == COPY_UNKNOWN)
		strbuf_addstr(&logical, "#?");

	if (!strcasecmp(type.buf, "Microsoft.Web/sites") ||
	    !strcasecmp(type.buf, "Microsoft.Web/sites/slots")) {
		int is_slot = !strcasecmp(type.buf, "Microsoft.Web/sites/slots");
		read_site(r, res, scope, type.buf, name.buf, logical.buf, is_slot,
			  note.len ? note.buf : NULL);
	} else if (!strcasecmp(type.buf, "Microsoft.Web/sites/config") ||
		   !strcasecmp(type.buf, "Microsoft.Web/sites/slots/config")) {
		if (name_known)
			read_web_config(r, res, scope, name.buf);
	} else if (!strcasecmp(type.buf, "Microsoft.Resources/deployments")) {
		if (depth < MAX_NESTING)
			read_deployment(r, res, scope, name.buf, logical.buf, depth);
	}

	children = json_object_get(res, "resources");
	if (json_is_array(children) && depth < MAX_NESTING) {
		json_t *child;
		json_array_foreach(children, i, child) {
			walk_resource(r, child, scope, type.buf, name.buf, logical.buf, depth + 1);
		}
	}
out:
	json_decref(type_json);
	strbuf_release(&type);
	strbuf_release(&name);
	strbuf_release(&own);
	strbuf_release(&logical);
	strbuf_release(&note);
}

/* Counts one more instance; true once the file has expanded past MAX_INSTANCES. */
static int budget_spent(struct reader *r, json_t *res)
{
	if (++r->instances <= MAX_INSTANCES)
		return 0;
	if (!r->over_budget) {
		r->over_budget = 1;
		iac_report_add(r->report, IAC_RULE_UNKNOWN, r->file, position_of(r, res), "template",
			       "*", "#budget",
			       "template: expands to more than %d resource instances (nested copy "
			       "loops); the rest is not checked", MAX_INSTANCES);
	}
	return 1;
}

static void walk_resource(struct reader *r, json_t *res, struct armexpr_scope *scope,
			  const char *parent_type, const char *parent_name, const char *id,
			  unsigned depth)
{
	json_t *copy = json_object_get(res, "copy"), *count;
	const char *why;
	long long n, k;

	if (!json_is_object(res))
		return;
	if (!json_is_object(copy)) {
		if (!budget_spent(r, res))
			walk_instance(r, res, scope, parent_type, parent_name, id, COPY_NONE, depth);
		return;
	}
	if (scope->loop_count >= ARMEXPR_MAX_LOOPS)
		return;
	scope->loops[scope->loop_count].name = json_string_value(json_object_get(copy, "name"));
	count = resolve_member(scope, copy, "count");
	why = armexpr_unknown_why(count);
	if (why || !json_is_integer(count)) {
		struct strbuf subject = STRBUF_INIT, name = STRBUF_INIT;
		json_t *type = json_object_get(res, "type");
		int known;
		resolved_name(scope, res, &name, &known);
		strbuf_addf(&subject, "%s '%s'", json_is_string(type) ? json_string_value(type) : "resource",
			    name.buf);
		/* Checked once, with copyIndex() unknown, so its other values still count. */
		if (json_is_string(type) && (!strcasecmp(json_string_value(type), "Microsoft.Web/sites") ||
					     !strcasecmp(json_string_value(type), "Microsoft.Web/sites/slots")))
			iac_report_add(r->report, IAC_RULE_UNKNOWN, r->file, position_of(r, res),
				       subject.buf, name.buf, id,
				       "%s: copy count is unknown (%s): how many instances is not known",
				       subject.buf, why ? why : "not an int");
		strbuf_release(&subject);
		strbuf_release(&name);
		scope->loops[scope->loop_count++].index = -1;
		if (!budget_spent(r, res))
			walk_instance(r, res, scope, parent_type, parent_name, id, COPY_UNKNOWN, depth);
		scope->loop_count--;
		json_decref(count);
		return;
	}
	n = json_integer_value(count);
	if (n > MAX_COPY)
		n = MAX_COPY;
	scope->loop_count++;
	for (k = 0; k < n && !budget_spent(r, res); k++) {
		scope->loops[scope->loop_count - 1].index = k;
		walk_instance(r, res, scope, parent_type, parent_name, id, k, depth);
	}
	scope->loop_count--;
	json_decref(count);
}

static void walk_template(struct reader *r, json_t *tmpl, struct armexpr_scope *scope,
			  const char *prefix, unsigned depth)
{
	json_t *resources = json_object_get(tmpl, "resources"), *res;
	const char *symbol;
	size_t i;

	if (json_is_array(resources)) {
		json_array_foreach(resources, i, res)
			walk_resource(r, res, scope, NULL, NULL, prefix, depth);
	} else if (json_is_object(resources)) {
		/* languageVersion 2.0: symbolic names */
		json_object_foreach(resources, symbol, res) {
			struct strbuf id = STRBUF_INIT;
			strbuf_addf(&id, "%s/%s", prefix, symbol);
			walk_resource(r, res, scope, NULL, NULL, id.buf, depth);
			strbuf_release(&id);
		}
	}
}

/* Web config resources override the site's own siteConfig values. */
static void apply_configs(struct reader *r)
{
	size_t i, j;
	for (i = 0; i < r->config_count; i++) {
		struct web_config *c = &r->configs[i];
		for (j = r->first_site; j < r->sites->count; j++) {
			struct iac_site *site = r->sites->items[j];
			if (strcasecmp(site->name, c->site_name))
				continue;
			set_value(&site->http2, c->http2, "Microsoft.Web/sites/config 'web' http20Enabled");
			set_value(&site->min_tls, c->min_tls, "Microsoft.Web/sites/config 'web' minTlsVersion");
		}
		free(c->site_name);
		json_decref(c->http2);
		json_decref(c->min_tls);
	}
	free(r->configs);
	r->configs = NULL;
	r->config_count = r->config_alloc = 0;
}

void arm_template_read(const struct json_doc *doc, const char *file, const json_t *parameter_file,
		       struct iac_site_list *sites, struct iac_report *report)
{
	struct reader r = { doc, file, sites, report, sites->count, NULL, 0, 0, 0, 0 };
	struct armexpr_scope scope;
	json_t *params = json_object_get(parameter_file, "parameters"), *entry;
	const char *key;

	armexpr_scope_init(&scope, doc->root);
	json_object_foreach(params, key, entry)
		armexpr_scope_give(&scope, key, given_value(entry));
	walk_template(&r, doc->root, &scope, "", 0);
	apply_configs(&r);
	armexpr_scope_release(&scope);
}
