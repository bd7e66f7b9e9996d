/*
 * policy_compile — a policy definition compiled into condition trees (see policy_rule.h).
 *
 * Compilation resolves everything that does not depend on the resource: aliases (to a path
 * and the resource type they read), operators, expressions (parsed by template_expr.c). Every
 * construct armsim cannot evaluate is refused here with its name, never passed silently.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/alias.h"
#include "armsim/arm.h"
#include "armsim/policy_eval.h"
#include "armsim/policy_rule.h"
#include "armsim/template.h"
#include "lib/strcase.h"
#include "lib/xalloc.h"
#include "lib/banned.h"


static const struct {
	const char *name;
	enum op op;
} operators[] = {
	{ "equals", OP_EQUALS }, { "notEquals", OP_NOT_EQUALS },
	{ "like", OP_LIKE }, { "notLike", OP_NOT_LIKE },
	{ "match", OP_MATCH }, { "notMatch", OP_NOT_MATCH },
	{ "matchInsensitively", OP_MATCH_I }, { "notMatchInsensitively", OP_NOT_MATCH_I },
	{ "contains", OP_CONTAINS }, { "notContains", OP_NOT_CONTAINS },
	{ "in", OP_IN }, { "notIn", OP_NOT_IN },
	{ "containsKey", OP_CONTAINS_KEY }, { "notContainsKey", OP_NOT_CONTAINS_KEY },
	{ "less", OP_LESS }, { "lessOrEquals", OP_LESS_OR_EQUALS },
	{ "greater", OP_GREATER }, { "greaterOrEquals", OP_GREATER_OR_EQUALS },
	{ "exists", OP_EXISTS },
};

/* ---------- compile ---------- */

static void cvalue_release(struct cvalue *v)
{
	json_decref(v->literal);
	template_expr_free(v->expr);
	memset(v, 0, sizeof(*v));
}

static enum policy_result cvalue_compile(const json_t *value, struct cvalue *out,
					 const char *where, struct strbuf *err)
{
	memset(out, 0, sizeof(*out));
	if (!value)
		return POLICY_OK;
	out->literal = json_incref((json_t *)value);
	if (json_is_string(value) && template_is_expression(json_string_value(value))) {
		if (template_expr_parse(json_string_value(value), &out->expr, err)) {
			strbuf_addf(err, " (in %s)", where);
			return POLICY_INVALID;
		}
	} else if (json_is_object(value) || json_is_array(value)) {
		if (template_value_check(value, err)) {
			strbuf_addf(err, " (in %s)", where);
			return POLICY_INVALID;
		}
		/* a nested expression forces the slow path; find out once */
		{
			char *text = json_dumps(value, JSON_COMPACT);
			out->nested = text && strstr(text, "\"[") && !strstr(text, "\"[[");
			free(text);
		}
	}
	return POLICY_OK;
}

static void node_free(struct node *n)
{
	size_t i;
	if (!n)
		return;
	for (i = 0; i < n->nr_children; i++)
		node_free(n->children[i]);
	free(n->children);
	free(n->field.tag);
	cvalue_release(&n->value);
	cvalue_release(&n->rhs);
	free(n->count_name);
	node_free(n->where);
	free(n);
}

/* Parses "tags['x']", "tags[x]" and "tags.x"; returns the tag name (new) or NULL. */
static char *tag_name(const char *name)
{
	size_t len;
	if (strncasecmp(name, "tags", 4))
		return NULL;
	name += 4;
	if (*name == '.')
		return *(name + 1) ? xstrdup(name + 1) : NULL;
	if (*name != '[')
		return NULL;
	name++;
	len = strlen(name);
	if (len < 2 || name[len - 1] != ']')
		return NULL;
	len--;
	if (name[0] == '\'' && len >= 2 && name[len - 1] == '\'') {
		name++;
		len -= 2;
	}
	return len ? xstrndup(name, len) : NULL;
}

enum policy_result policy_field_compile(const char *name, struct field_ref *out,
					struct strbuf *err)
{
	static const struct { const char *name; enum field_kind kind; } fixed[] = {
		{ "name", FIELD_NAME }, { "fullName", FIELD_FULL_NAME }, { "kind", FIELD_KIND },
		{ "type", FIELD_TYPE }, { "location", FIELD_LOCATION }, { "id", FIELD_ID },
		{ "tags", FIELD_TAGS }, { "identity.type", FIELD_IDENTITY_TYPE },
	};
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		if (!strcasecmp(name, fixed[i].name)) {
			out->kind = fixed[i].kind;
			return POLICY_OK;
		}
	if ((out->tag = tag_name(name))) {
		out->kind = FIELD_TAG;
		return POLICY_OK;
	}
	if (alias_lookup(name, &out->alias)) {
		strbuf_addf(err, "unknown alias '%s'", name);
		return POLICY_INVALID;
	}
	out->kind = FIELD_ALIAS;
	out->has_star = strstr(out->alias.path, "[*]") != NULL;
	return POLICY_OK;
}

static enum policy_result node_compile(const json_t *json, struct node **out, struct strbuf *err);

static enum policy_result compile_children(const json_t *arr, const char *what, struct node *n,
					   struct strbuf *err)
{
	size_t i;
	json_t *c;
	if (!json_is_array(arr) || !json_array_size(arr)) {
		strbuf_addf(err, "'%s' must be a non-empty array of conditions", what);
		return POLICY_INVALID;
	}
	n->children = xcalloc(json_array_size(arr), sizeof(*n->children));
	json_array_foreach(arr, i, c) {
		if (node_compile(c, &n->children[i], err))
			return POLICY_INVALID;
		n->nr_children++;
	}
	return POLICY_OK;
}

static enum policy_result node_compile(const json_t *json, struct node **out, struct strbuf *err)
{
	struct node *n = xcalloc(1, sizeof(*n));
	const char *key;
	json_t *v, *found_op = NULL;
	const char *lhs_key = NULL;
	size_t i, nr_ops = 0;
	enum policy_result res = POLICY_INVALID;

	*out = n;
	if (!json_is_object(json)) {
		strbuf_addstr(err, "a policy condition must be an object");
		return POLICY_INVALID;
	}
	if ((v = template_object_get(json, "allOf")) || (v = template_object_get(json, "anyOf"))) {
		n->kind = template_object_get(json, "allOf") ? NODE_ALL_OF : NODE_ANY_OF;
		if (json_object_size(json) != 1) {
			strbuf_addstr(err, "allOf/anyOf must stand alone in its object");
			return POLICY_INVALID;
		}
		return compile_children(v, n->kind == NODE_ALL_OF ? "allOf" : "anyOf", n, err);
	}
	if ((v = template_object_get(json, "not"))) {
		n->kind = NODE_NOT;
		n->children = xcalloc(1, sizeof(*n->children));
		n->nr_children = 1;
		return node_compile(v, &n->children[0], err);
	}
	n->kind = NODE_CONDITION;
	json_object_foreach((json_t *)json, key, v) {
		int known = 0;
		if (!strcasecmp(key, "field") || !strcasecmp(key, "value") || !strcasecmp(key, "count")) {
			if (lhs_key) {
				strbuf_addf(err, "condition has both '%s' and '%s'", lhs_key, key);
				return POLICY_INVALID;
			}
			lhs_key = key;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(operators); i++)
			if (!strcasecmp(key, operators[i].name)) {
				n->op = operators[i].op;
				found_op = v;
				nr_ops++;
				known = 1;
			}
		if (!known) {
			strbuf_addf(err, "unsupported policy condition '%s'", key);
			return POLICY_INVALID;
		}
	}
	if (!lhs_key) {
		strbuf_addstr(err, "condition needs 'field', 'value' or 'count'");
		return POLICY_INVALID;
	}
	if (nr_ops != 1) {
		strbuf_addf(err, "condition on '%s' needs exactly one operator", lhs_key);
		return POLICY_INVALID;
	}
	if (cvalue_compile(found_op, &n->rhs, "a condition's operand", err))
		return POLICY_INVALID;
	if ((n->op == OP_IN || n->op == OP_NOT_IN) && !n->rhs.expr && !json_is_array(found_op)) {
		strbuf_addstr(err, "'in' and 'notIn' need an array");
		return POLICY_INVALID;
	}
	v = template_object_get(json, lhs_key);
	if (!strcasecmp(lhs_key, "field")) {
		if (!json_is_string(v)) {
			strbuf_addstr(err, "'field' must be a string");
			return POLICY_INVALID;
		}
		if (template_is_expression(json_string_value(v))) {
			n->lhs = LHS_FIELD_EXPR;
			res = cvalue_compile(v, &n->value, "field", err);
		} else {
			n->lhs = LHS_FIELD;
			res = policy_field_compile(json_string_value(v), &n->field, err);
		}
		return res;
	}
	if (!strcasecmp(lhs_key, "value")) {
		n->lhs = LHS_VALUE;
		return cvalue_compile(v, &n->value, "value", err);
	}
	/* count */
	if (!json_is_object(v)) {
		strbuf_addstr(err, "'count' must be an object");
		return POLICY_INVALID;
	}
	if (template_object_get(v, "where") &&
	    node_compile(template_object_get(v, "where"), &n->where, err))
		return POLICY_INVALID;
	if (json_is_string(template_object_get(v, "field"))) {
		const char *f = json_string_value(template_object_get(v, "field"));
		size_t len = strlen(f);
		n->lhs = LHS_COUNT_FIELD;
		if (len < 3 || strcmp(f + len - 3, "[*]")) {
			strbuf_addf(err, "count field '%s' must be an array alias ending in [*]", f);
			return POLICY_INVALID;
		}
		return policy_field_compile(f, &n->field, err);
	}
	if (template_object_get(v, "value")) {
		const json_t *name = template_object_get(v, "name");
		n->lhs = LHS_COUNT_VALUE;
		if (name && !json_is_string(name)) {
			strbuf_addstr(err, "count 'name' must be a string");
			return POLICY_INVALID;
		}
		n->count_name = xstrdup(name ? json_string_value(name) : "");
		return cvalue_compile(template_object_get(v, "value"), &n->value, "count value", err);
	}
	strbuf_addstr(err, "'count' needs 'field' or 'value'");
	return POLICY_INVALID;
}

static const struct {
	const char *name;
	enum policy_effect effect;
} effects[] = {
	{ "Disabled", POLICY_EFFECT_DISABLED },
	{ "Audit", POLICY_EFFECT_AUDIT },
	{ "Deny", POLICY_EFFECT_DENY },
	{ "AuditIfNotExists", POLICY_EFFECT_AUDIT_IF_NOT_EXISTS },
	{ "DeployIfNotExists", POLICY_EFFECT_DEPLOY_IF_NOT_EXISTS },
	{ "Modify", POLICY_EFFECT_MODIFY },
};

const char *policy_effect_name(enum policy_effect effect)
{
	size_t i;
	for (i = 0; i < ARRAY_SIZE(effects); i++)
		if (effects[i].effect == effect)
			return effects[i].name;
	return "Disabled";
}

int policy_effect_from_name(const char *name, enum policy_effect *out)
{
	size_t i;
	for (i = 0; name && i < ARRAY_SIZE(effects); i++)
		if (!strcasecmp(effects[i].name, name)) {
			*out = effects[i].effect;
			return 0;
		}
	return -1;
}

/* "PT10M", "P1D", "PT1H30M" -> seconds; -1 when not a duration armsim reads. */
static long iso_duration(const char *s)
{
	long total = 0, n = 0;
	int in_time = 0, digits = 0;

	if (*s != 'P' && *s != 'p')
		return -1;
	for (s++; *s; s++) {
		char c = (char)toupper((unsigned char)*s);
		if (isdigit((unsigned char)*s)) {
			n = n * 10 + (*s - '0');
			digits = 1;
			continue;
		}
		if (c == 'T') {
			in_time = 1;
			continue;
		}
		if (!digits)
			return -1;
		if (c == 'D' && !in_time)
			total += n * 86400;
		else if (c == 'H' && in_time)
			total += n * 3600;
		else if (c == 'M' && in_time)
			total += n * 60;
		else if (c == 'S' && in_time)
			total += n;
		else
			return -1;
		n = 0;
		digits = 0;
	}
	return digits ? -1 : total;
}

static enum policy_result compile_details(struct policy_definition *def, const json_t *details,
					  struct strbuf *err)
{
	const json_t *v;

	if (!details)
		return POLICY_OK;
	if (!json_is_object(details)) {
		strbuf_addstr(err, "'then.details' must be an object");
		return POLICY_INVALID;
	}
	if ((v = template_object_get(details, "type"))) {
		if (!json_is_string(v) || template_is_expression(json_string_value(v))) {
			strbuf_addstr(err, "'details.type' must be a literal resource type");
			return POLICY_INVALID;
		}
		def->has_details_type = 1;
		def->details_type = xstrdup(json_string_value(v));
	}
	if (cvalue_compile(template_object_get(details, "name"), &def->details_name,
			   "details.name", err))
		return POLICY_INVALID;
	if ((v = template_object_get(details, "existenceCondition")) &&
	    node_compile(v, &def->existence, err)) {
		strbuf_addstr(err, " (in details.existenceCondition)");
		return POLICY_INVALID;
	}
	def->evaluation_delay = 600; /* Azure's default for IfNotExists */
	if ((v = template_object_get(details, "evaluationDelay"))) {
		const char *s = json_string_value(v);
		if (s && !strncasecmp(s, "AfterProvisioning", 17))
			def->evaluation_delay = 0;
		else if (!s || (def->evaluation_delay = iso_duration(s)) < 0) {
			strbuf_addf(err, "unsupported evaluationDelay '%s'", s ? s : "(not a string)");
			return POLICY_INVALID;
		}
	}
	if ((v = template_object_get(details, "existenceScope")) &&
	    (!json_is_string(v) || (strcasecmp(json_string_value(v), "ResourceGroup") &&
				    strcasecmp(json_string_value(v), "Subscription")))) {
		strbuf_addstr(err, "'details.existenceScope' must be ResourceGroup or Subscription");
		return POLICY_INVALID;
	}
	def->role_ids = template_object_get(details, "roleDefinitionIds");
	if (def->role_ids && !json_is_array(def->role_ids)) {
		strbuf_addstr(err, "'details.roleDefinitionIds' must be an array");
		return POLICY_INVALID;
	}
	if ((v = template_object_get(details, "deployment"))) {
		const json_t *props = template_object_get(v, "properties");
		if (!json_is_object(props)) {
			strbuf_addstr(err, "'details.deployment.properties' must be an object");
			return POLICY_INVALID;
		}
		if (template_check(template_object_get(props, "template"), err) ||
		    template_value_check(template_object_get(props, "parameters"), err)) {
			strbuf_addstr(err, " (in details.deployment)");
			return POLICY_INVALID;
		}
		def->deployment = props;
	}
	if ((v = template_object_get(details, "operations"))) {
		size_t i;
		json_t *op;
		if (!json_is_array(v)) {
			strbuf_addstr(err, "'details.operations' must be an array");
			return POLICY_INVALID;
		}
		def->ops = xcalloc(json_array_size(v) + 1, sizeof(*def->ops));
		json_array_foreach(v, i, op) {
			struct modify_op *m = &def->ops[def->nr_ops];
			const char *kind = json_string_value(template_object_get(op, "operation"));
			const char *field = json_string_value(template_object_get(op, "field"));
			if (!kind || !field) {
				strbuf_addstr(err, "a Modify operation needs 'operation' and 'field'");
				return POLICY_INVALID;
			}
			if (!strcasecmp(kind, "addOrReplace"))
				m->kind = MODIFY_ADD_OR_REPLACE;
			else if (!strcasecmp(kind, "add"))
				m->kind = MODIFY_ADD;
			else if (!strcasecmp(kind, "remove"))
				m->kind = MODIFY_REMOVE;
			else {
				strbuf_addf(err, "unsupported Modify operation '%s'", kind);
				return POLICY_INVALID;
			}
			if (policy_field_compile(field, &m->field, err))
				return POLICY_INVALID;
			def->nr_ops++;
			if (m->field.kind == FIELD_ALIAS &&
			    (!m->field.alias.modifiable || m->field.has_star)) {
				strbuf_addf(err, "the alias '%s' is not modifiable", field);
				return POLICY_INVALID;
			}
			if (m->field.kind != FIELD_ALIAS && m->field.kind != FIELD_TAG) {
				strbuf_addf(err, "Modify cannot change '%s'", field);
				return POLICY_INVALID;
			}
			if (cvalue_compile(template_object_get(op, "value"), &m->value,
					   "a Modify value", err) ||
			    cvalue_compile(template_object_get(op, "condition"), &m->condition,
					   "a Modify condition", err))
				return POLICY_INVALID;
		}
	}
	return POLICY_OK;
}

enum policy_result policy_definition_compile(const json_t *definition,
					     struct policy_definition **out, struct strbuf *err)
{
	struct policy_definition *def = xcalloc(1, sizeof(*def));
	const json_t *props = definition, *rule, *then, *v;
	const char *name;
	enum policy_effect effect;

	*out = NULL;
	if (json_is_object(template_object_get(definition, "properties")))
		props = template_object_get(definition, "properties");
	def->properties = json_incref((json_t *)props);
	rule = template_object_get(props, "policyRule");
	if (!json_is_object(rule)) {
		strbuf_addstr(err, "the definition has no policyRule object");
		goto fail;
	}
	v = template_object_get(props, "mode");
	def->mode = xstrdup(json_is_string(v) ? json_string_value(v) : "Indexed");
	if (strcasecmp(def->mode, "All") && strcasecmp(def->mode, "Indexed")) {
		strbuf_addf(err, "unsupported policy mode '%s'", def->mode);
		goto fail;
	}
	def->declared = template_object_get(props, "parameters");
	if (!template_object_get(rule, "if") || node_compile(template_object_get(rule, "if"),
							     &def->rule_if, err)) {
		if (!template_object_get(rule, "if"))
			strbuf_addstr(err, "the policyRule has no 'if'");
		goto fail;
	}
	then = template_object_get(rule, "then");
	if (!json_is_object(then) || !template_object_get(then, "effect")) {
		strbuf_addstr(err, "the policyRule has no 'then.effect'");
		goto fail;
	}
	if (cvalue_compile(template_object_get(then, "effect"), &def->effect, "then.effect", err))
		goto fail;
	if (!def->effect.expr) {
		if (policy_effect_from_name(json_string_value(def->effect.literal), &effect)) {
			strbuf_addf(err, "unsupported effect '%s'",
				    json_string_value(def->effect.literal) ?
				    json_string_value(def->effect.literal) : "(not a string)");
			goto fail;
		}
	}
	/* a parameterised effect's default must be one armsim can run */
	json_object_foreach((json_t *)def->declared, name, v) {
		const json_t *dflt = template_object_get(v, "defaultValue");
		char needle[256];
		snprintf(needle, sizeof(needle), "parameters('%s')", name);
		if (def->effect.expr && json_is_string(dflt) &&
		    strcase_find(json_string_value(def->effect.literal), needle) &&
		    policy_effect_from_name(json_string_value(dflt), &effect)) {
			strbuf_addf(err, "unsupported effect '%s' (default of parameter '%s')",
				    json_string_value(dflt), name);
			goto fail;
		}
	}
	if (compile_details(def, template_object_get(then, "details"), err))
		goto fail;
	*out = def;
	return POLICY_OK;
fail:
	policy_definition_free(def);
	return POLICY_INVALID;
}

void policy_definition_free(struct policy_definition *def)
{
	size_t i;
	if (!def)
		return;
	node_free(def->rule_if);
	cvalue_release(&def->effect);
	free(def->details_type);
	cvalue_release(&def->details_name);
	node_free(def->existence);
	for (i = 0; i < def->nr_ops; i++) {
		free(def->ops[i].field.tag);
		cvalue_release(&def->ops[i].value);
		cvalue_release(&def->ops[i].condition);
	}
	free(def->ops);
	free(def->mode);
	json_decref(def->properties);
	free(def);
}

