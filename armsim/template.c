/*
 * template — deployment interpretation for armsim: a DeployIfNotExists deployment
 * ({mode, parameters, template}) turned into the resource writes it would make, nested
 * Microsoft.Resources/deployments expanded where they stand, after a static check of what
 * armsim supports. Expressions are template_expr.c, functions template_func.c.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/template.h"
#include "armsim/template_func.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* ---------- deployments ---------- */

void template_writes_release(struct template_writes *writes)
{
	size_t i;
	for (i = 0; i < writes->nr; i++) {
		free(writes->items[i].resource_id);
		free(writes->items[i].type);
		free(writes->items[i].api_version);
		json_decref(writes->items[i].body);
	}
	free(writes->items);
	writes->items = NULL;
	writes->nr = writes->alloc = 0;
}

static const char *const resource_keys_dropped[] = {
	"name", "type", "apiVersion", "dependsOn", "condition", "comments", "scope",
};

static enum template_result check_resources(const json_t *resources, struct strbuf *err);

enum template_result template_check(const json_t *template, struct strbuf *err)
{
	const json_t *resources;

	if (!json_is_object(template)) {
		strbuf_addstr(err, "deployment template must be an object");
		return TEMPLATE_INVALID;
	}
	if (template_value_check(template_object_get(template, "variables"), err))
		return TEMPLATE_INVALID;
	if (template_value_check(template_object_get(template, "outputs"), err))
		return TEMPLATE_INVALID;
	if (template_object_get(template, "functions")) {
		strbuf_addstr(err, "deployment template: user-defined 'functions' are not supported");
		return TEMPLATE_INVALID;
	}
	resources = template_object_get(template, "resources");
	if (!json_is_array(resources)) {
		strbuf_addstr(err, "deployment template: 'resources' must be an array");
		return TEMPLATE_INVALID;
	}
	return check_resources(resources, err);
}

static enum template_result check_resources(const json_t *resources, struct strbuf *err)
{
	size_t i;
	json_t *r;

	json_array_foreach(resources, i, r) {
		const char *type = json_string_value(template_object_get(r, "type"));
		if (!json_is_object(r) || !type || !json_is_string(template_object_get(r, "name"))) {
			strbuf_addf(err, "deployment template: resource %zu needs a type and a name", i);
			return TEMPLATE_INVALID;
		}
		if (template_object_get(r, "copy")) {
			strbuf_addf(err, "deployment template: resource '%s' uses 'copy', which armsim "
				    "does not support", type);
			return TEMPLATE_INVALID;
		}
		if (template_object_get(r, "resources")) {
			strbuf_addf(err, "deployment template: resource '%s' nests child resources, "
				    "which armsim does not support (give the full type)", type);
			return TEMPLATE_INVALID;
		}
		if (!strcasecmp(type, "Microsoft.Resources/deployments")) {
			const json_t *props = template_object_get(r, "properties");
			const json_t *inner = template_object_get(props, "template");
			if (template_object_get(props, "templateLink")) {
				strbuf_addstr(err, "deployment template: linked templates (templateLink) "
					      "are not supported");
				return TEMPLATE_INVALID;
			}
			if (template_check(inner, err))
				return TEMPLATE_INVALID;
			if (template_value_check(template_object_get(props, "parameters"), err))
				return TEMPLATE_INVALID;
			continue;
		}
		if (template_value_check(r, err))
			return TEMPLATE_INVALID;
	}
	return TEMPLATE_OK;
}

/*
 * Resolves a template's declared parameters from the given values: a value given wins, else
 * the defaultValue (itself possibly an expression), else an error.
 */
static enum template_result resolve_parameters(const json_t *template, const json_t *given,
					       int bare, const struct template_scope *outer,
					       json_t **out, struct strbuf *err)
{
	const json_t *decl = template_object_get(template, "parameters");
	json_t *resolved = json_object(), *v;
	const char *name;
	enum template_result res = TEMPLATE_OK;

	json_object_foreach((json_t *)decl, name, v) {
		json_t *g = template_object_get(given, name), *value = NULL;
		if (g && !bare)
			g = template_object_get(g, "value");
		if (g) {
			value = json_incref(g);
		} else if (template_object_get(v, "defaultValue")) {
			struct template_scope s = *outer;
			s.parameters = resolved;
			s.variables = NULL;
			res = template_value_eval(template_object_get(v, "defaultValue"), &s, &value, err);
			if (res)
				break;
		} else {
			strbuf_addf(err, "deployment template: no value for parameter '%s'", name);
			res = TEMPLATE_INVALID;
			break;
		}
		json_object_set_new(resolved, name, value);
	}
	if (res) {
		json_decref(resolved);
		return res;
	}
	*out = resolved;
	return TEMPLATE_OK;
}

static enum template_result deploy_resources(const json_t *template,
					     const struct template_scope *scope,
					     const struct template_target *target,
					     struct template_writes *writes, struct strbuf *err);

static enum template_result deploy_nested(const json_t *resource,
					  const struct template_scope *scope,
					  const struct template_target *target,
					  struct template_writes *writes, struct strbuf *err)
{
	const json_t *props = template_object_get(resource, "properties");
	const json_t *inner = template_object_get(props, "template");
	const json_t *options = template_object_get(props, "expressionEvaluationOptions");
	const char *eval_scope = json_string_value(template_object_get(options, "scope"));
	json_t *given = NULL, *params = NULL, *rg = NULL;
	struct template_target inner_target = *target;
	struct template_scope inner_scope;
	enum template_result res;

	/* a nested deployment may aim at another group of the same subscription */
	if (template_object_get(resource, "resourceGroup")) {
		res = template_value_eval(template_object_get(resource, "resourceGroup"), scope, &rg, err);
		if (res)
			return res;
		if (!json_is_string(rg)) {
			json_decref(rg);
			strbuf_addstr(err, "nested deployment: resourceGroup must be a string");
			return TEMPLATE_INVALID;
		}
		inner_target.resource_group = json_string_value(rg);
	}
	if (eval_scope && !strcasecmp(eval_scope, "inner")) {
		/* inner scope: the nested template sees only the parameters passed to it */
		res = template_value_eval(template_object_get(props, "parameters"), scope, &given, err);
		if (!res)
			res = resolve_parameters(inner, given, 0, scope, &params, err);
		if (res)
			goto out;
		inner_scope = *scope;
		inner_scope.parameters = params;
		inner_scope.variables = template_object_get(inner, "variables");
		inner_scope.resource_group = inner_target.resource_group;
		res = deploy_resources(inner, &inner_scope, &inner_target, writes, err);
	} else {
		/* outer scope (ARM's default): expressions see the parent's parameters and variables */
		inner_scope = *scope;
		inner_scope.resource_group = inner_target.resource_group;
		res = deploy_resources(inner, &inner_scope, &inner_target, writes, err);
	}
out:
	json_decref(given);
	json_decref(params);
	json_decref(rg);
	return res;
}

static enum template_result deploy_resources(const json_t *template,
					     const struct template_scope *scope,
					     const struct template_target *target,
					     struct template_writes *writes, struct strbuf *err)
{
	const json_t *resources = template_object_get(template, "resources");
	json_t *r;
	size_t i, k;
	enum template_result res = TEMPLATE_OK;

	json_array_foreach(resources, i, r) {
		const char *type = json_string_value(template_object_get(r, "type"));
		json_t *cond = NULL, *name = NULL, *api = NULL, *body = NULL;
		struct strbuf id = STRBUF_INIT;
		const char *key;
		json_t *v;

		if (template_object_get(r, "condition")) {
			res = template_value_eval(template_object_get(r, "condition"), scope, &cond, err);
			if (res)
				return res;
			if (!json_is_boolean(cond)) {
				json_decref(cond);
				strbuf_addstr(err, "resource condition must be a bool");
				return TEMPLATE_INVALID;
			}
			if (json_is_false(cond)) {
				json_decref(cond);
				continue;
			}
			json_decref(cond);
		}
		if (type && !strcasecmp(type, "Microsoft.Resources/deployments")) {
			res = deploy_nested(r, scope, target, writes, err);
			if (res)
				return res;
			continue;
		}
		res = template_value_eval(template_object_get(r, "name"), scope, &name, err);
		if (!res)
			res = template_value_eval(template_object_get(r, "apiVersion"), scope, &api, err);
		if (res)
			goto next;
		if (!json_is_string(name) || !type) {
			strbuf_addf(err, "resource %zu: name must be a string", i);
			res = TEMPLATE_INVALID;
			goto next;
		}
		res = template_resource_id(target->subscription_id, target->resource_group, type,
					   json_string_value(name), &id, err);
		if (res)
			goto next;
		body = json_object();
		json_object_foreach(r, key, v) {
			int dropped = 0;
			json_t *value;
			for (k = 0; k < ARRAY_SIZE(resource_keys_dropped); k++)
				dropped |= !strcasecmp(key, resource_keys_dropped[k]);
			if (dropped)
				continue;
			res = template_value_eval(v, scope, &value, err);
			if (res)
				goto next;
			json_object_set_new(body, key, value);
		}
		ALLOC_GROW(writes->items, writes->nr + 1, writes->alloc);
		writes->items[writes->nr].resource_id = strbuf_detach(&id, NULL);
		writes->items[writes->nr].type = xstrdup(type);
		writes->items[writes->nr].api_version =
			xstrdup(json_is_string(api) ? json_string_value(api) : "");
		writes->items[writes->nr].body = body;
		body = NULL;
		writes->nr++;
next:
		json_decref(name);
		json_decref(api);
		json_decref(body);
		strbuf_release(&id);
		if (res)
			return res;
	}
	return TEMPLATE_OK;
}

enum template_result template_deploy(const json_t *template, const json_t *parameters,
				     const struct template_target *target,
				     struct template_writes *writes, struct strbuf *err)
{
	struct template_scope scope;
	json_t *params = NULL;
	enum template_result res;

	res = template_check(template, err);
	if (res)
		return res;
	memset(&scope, 0, sizeof(scope));
	scope.host = target->host;
	scope.subscription_id = target->subscription_id;
	scope.resource_group = target->resource_group;
	scope.location = target->location;
	res = resolve_parameters(template, parameters, 0, &scope, &params, err);
	if (res)
		return res;
	scope.parameters = params;
	scope.variables = template_object_get(template, "variables");
	res = deploy_resources(template, &scope, target, writes, err);
	json_decref(params);
	return res;
}

