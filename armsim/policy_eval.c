/*
 * policy_eval — compile Azure Policy definitions into condition trees and evaluate them.
 *
 * Compilation resolves everything that does not depend on the resource: aliases (to a path
 * and the resource type they read), operators, expressions (parsed by template.c). So the
 * per-resource work of a scan over 50,000 sites is a walk over small structs and JSON
 * lookups, with no string parsing.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/alias.h"
#include "armsim/policy_eval.h"
#include "armsim/template.h"
#include "lib/strcase.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* strcasestr is a GNU extension; this is the portable spelling. */
static const char *find_nocase(const char *haystack, const char *needle)
{
	return strcase_find(haystack, needle);
}

enum node_kind { NODE_ALL_OF, NODE_ANY_OF, NODE_NOT, NODE_CONDITION };
enum lhs_kind { LHS_FIELD, LHS_FIELD_EXPR, LHS_VALUE, LHS_COUNT_FIELD, LHS_COUNT_VALUE };
enum field_kind {
	FIELD_NAME, FIELD_FULL_NAME, FIELD_KIND, FIELD_TYPE, FIELD_LOCATION, FIELD_ID,
	FIELD_TAGS, FIELD_TAG, FIELD_IDENTITY_TYPE, FIELD_ALIAS,
};

enum op {
	OP_EQUALS, OP_NOT_EQUALS, OP_LIKE, OP_NOT_LIKE, OP_MATCH, OP_NOT_MATCH,
	OP_MATCH_I, OP_NOT_MATCH_I, OP_CONTAINS, OP_NOT_CONTAINS, OP_IN, OP_NOT_IN,
	OP_CONTAINS_KEY, OP_NOT_CONTAINS_KEY, OP_LESS, OP_LESS_OR_EQUALS, OP_GREATER,
	OP_GREATER_OR_EQUALS, OP_EXISTS,
};

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

struct field_ref {
	enum field_kind kind;
	char *tag;           /* FIELD_TAG: the tag name */
	struct alias alias;  /* FIELD_ALIAS */
	int has_star;        /* the alias path holds [*] */
};

/* A JSON value from the definition that may hold expressions. */
struct cvalue {
	json_t *literal;              /* the value as written */
	struct template_expr *expr;   /* when literal is one expression string */
	int nested;                   /* expressions deeper inside an object or array */
};

struct node {
	enum node_kind kind;
	struct node **children;  /* allOf/anyOf/not */
	size_t nr_children;
	enum lhs_kind lhs;
	struct field_ref field;        /* LHS_FIELD, LHS_COUNT_FIELD (path ends in [*]) */
	struct cvalue value;           /* LHS_VALUE, LHS_FIELD_EXPR, LHS_COUNT_VALUE */
	char *count_name;              /* LHS_COUNT_VALUE */
	struct node *where;            /* LHS_COUNT_*, may be NULL */
	enum op op;
	struct cvalue rhs;
};

struct modify_op {
	enum { MODIFY_ADD_OR_REPLACE, MODIFY_ADD, MODIFY_REMOVE } kind;
	struct field_ref field;
	struct cvalue value;
	struct cvalue condition;       /* literal NULL when absent */
};

struct policy_definition {
	json_t *properties;            /* owned reference to the definition's properties */
	char *mode;
	const json_t *declared;        /* parameters as declared (borrowed from properties) */
	struct node *rule_if;
	struct cvalue effect;
	/* IfNotExists details */
	int has_details_type;
	char *details_type;
	struct cvalue details_name;    /* literal NULL when absent */
	struct node *existence;        /* may be NULL */
	long evaluation_delay;
	const json_t *role_ids;        /* borrowed */
	const json_t *deployment;      /* borrowed: details.deployment.properties */
	/* Modify */
	struct modify_op *ops;
	size_t nr_ops;
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

static enum policy_result field_compile(const char *name, struct field_ref *out,
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
			res = field_compile(json_string_value(v), &n->field, err);
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
		return field_compile(f, &n->field, err);
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

static int effect_from_name(const char *name, enum policy_effect *out)
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
			if (field_compile(field, &m->field, err))
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
		if (effect_from_name(json_string_value(def->effect.literal), &effect)) {
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
		    find_nocase(json_string_value(def->effect.literal), needle) &&
		    effect_from_name(json_string_value(dflt), &effect)) {
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

/* ---------- parameters ---------- */

int policy_parameter_type_ok(const char *type, const json_t *v)
{
	if (!type)
		return 1;
	if (!strcasecmp(type, "String") || !strcasecmp(type, "DateTime"))
		return json_is_string(v);
	if (!strcasecmp(type, "Array"))
		return json_is_array(v);
	if (!strcasecmp(type, "Object"))
		return json_is_object(v);
	if (!strcasecmp(type, "Boolean"))
		return json_is_boolean(v);
	if (!strcasecmp(type, "Integer"))
		return json_is_integer(v);
	if (!strcasecmp(type, "Float"))
		return json_is_number(v);
	return 1;
}

static int loose_equal(const json_t *a, const json_t *b);

enum policy_result policy_definition_parameters(const struct policy_definition *def,
						const json_t *given, json_t **out,
						struct strbuf *err)
{
	json_t *resolved = json_object(), *decl;
	const char *name;

	*out = NULL;
	json_object_foreach((json_t *)def->declared, name, decl) {
		const json_t *g = template_object_get(given, name), *value;
		const json_t *allowed = template_object_get(decl, "allowedValues");
		const char *type = json_string_value(template_object_get(decl, "type"));

		value = g ? template_object_get(g, "value") : template_object_get(decl, "defaultValue");
		if (!value) {
			strbuf_addf(err, "the policy parameter '%s' is missing", name);
			goto fail;
		}
		if (!policy_parameter_type_ok(type, value)) {
			strbuf_addf(err, "the policy parameter '%s' must be of type '%s'", name, type);
			goto fail;
		}
		if (json_is_array(allowed)) {
			size_t i;
			int ok = 0;
			for (i = 0; i < json_array_size(allowed) && !ok; i++)
				ok = loose_equal(json_array_get(allowed, i), value);
			if (!ok) {
				strbuf_addf(err, "the policy parameter '%s' has a value outside its "
					    "allowedValues", name);
				goto fail;
			}
		}
		json_object_set(resolved, name, (json_t *)value);
	}
	*out = resolved;
	return POLICY_OK;
fail:
	json_decref(resolved);
	return POLICY_BAD_PARAMETER;
}

/* ---------- evaluation ---------- */

struct count_frame {
	const char *prefix;    /* field count: the array path ending in [*] */
	const char *name;      /* value count: the count's name */
	const json_t *item;    /* the current element */
};

struct eval_ctx {
	const json_t *params;
	const json_t *primary;   /* what field() reads */
	const json_t *target;    /* what field conditions read */
	struct count_frame frames[8];
	int nr_frames;
	struct template_host host;
	struct template_scope scope;
	int failed;
	struct strbuf *err;
};

static const char *last_segment(const char *s)
{
	const char *slash = strrchr(s, '/');
	return slash ? slash + 1 : s;
}

static int type_is(const json_t *resource, const char *type)
{
	const char *t = json_string_value(json_object_get(resource, "type"));
	return t && !strcasecmp(t, type);
}

/* Reads a field of resource; returns a new reference or NULL when absent. */
static json_t *read_field(const struct eval_ctx *ctx, const json_t *resource,
			  const struct field_ref *f)
{
	const json_t *v = NULL;
	int i;

	switch (f->kind) {
	case FIELD_NAME: {
		const char *name = json_string_value(json_object_get(resource, "name"));
		return name ? json_string(last_segment(name)) : NULL;
	}
	case FIELD_FULL_NAME: v = json_object_get(resource, "name"); break;
	case FIELD_KIND: v = json_object_get(resource, "kind"); break;
	case FIELD_TYPE: v = json_object_get(resource, "type"); break;
	case FIELD_LOCATION: v = json_object_get(resource, "location"); break;
	case FIELD_ID: v = json_object_get(resource, "id"); break;
	case FIELD_TAGS: v = json_object_get(resource, "tags"); break;
	case FIELD_TAG: v = template_object_get(json_object_get(resource, "tags"), f->tag); break;
	case FIELD_IDENTITY_TYPE:
		v = json_object_get(json_object_get(resource, "identity"), "type");
		break;
	case FIELD_ALIAS:
		/* inside a field count, aliases below the counted array read the current element */
		for (i = ctx->nr_frames - 1; i >= 0; i--) {
			const char *prefix = ctx->frames[i].prefix;
			size_t plen = prefix ? strlen(prefix) : 0;
			if (prefix && !strncasecmp(f->alias.path, prefix, plen)) {
				const char *rest = f->alias.path + plen;
				if (*rest == '.')
					rest++;
				return alias_path_get(ctx->frames[i].item, rest);
			}
		}
		if (!type_is(resource, f->alias.type))
			return NULL;
		return alias_path_get(resource, f->alias.path);
	}
	return v && !json_is_null(v) ? json_incref((json_t *)v) : NULL;
}

static enum template_result host_field(void *data, const char *name, json_t **out,
				       struct strbuf *err)
{
	struct eval_ctx *ctx = data;
	struct field_ref f;
	json_t *v;

	if (field_compile(name, &f, err))
		return TEMPLATE_INVALID;
	v = read_field(ctx, ctx->primary, &f);
	free(f.tag);
	*out = v ? v : json_null();
	return TEMPLATE_OK;
}

static enum template_result host_current(void *data, const char *name, json_t **out,
					 struct strbuf *err)
{
	struct eval_ctx *ctx = data;
	int i;
	for (i = ctx->nr_frames - 1; i >= 0; i--)
		if (ctx->frames[i].name && (!*name || !strcasecmp(ctx->frames[i].name, name))) {
			*out = json_incref((json_t *)ctx->frames[i].item);
			return TEMPLATE_OK;
		}
	strbuf_addf(err, "current('%s'): no enclosing count of that name", name);
	return TEMPLATE_INVALID;
}

static void ctx_init(struct eval_ctx *ctx, const json_t *params, const json_t *resource,
		     const char *api_version, struct strbuf *err)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->params = params;
	ctx->primary = ctx->target = resource;
	ctx->err = err;
	ctx->host.field = host_field;
	ctx->host.current = host_current;
	ctx->host.data = ctx;
	ctx->scope.parameters = params;
	ctx->scope.host = &ctx->host;
	ctx->scope.api_version = api_version;
}

/* Evaluates a compiled value; NULL (with ctx->failed) on error. */
static json_t *cvalue_eval(struct eval_ctx *ctx, const struct cvalue *v)
{
	json_t *out = NULL;
	enum template_result res;

	if (v->expr)
		res = template_expr_eval(v->expr, &ctx->scope, &out, ctx->err);
	else if (v->nested)
		res = template_value_eval(v->literal, &ctx->scope, &out, ctx->err);
	else
		return json_incref(v->literal);
	if (res) {
		ctx->failed = 1;
		return NULL;
	}
	return out;
}

static int number_of(const json_t *v, double *out)
{
	char *end;
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	if (json_is_string(v) && *json_string_value(v)) {
		*out = strtod(json_string_value(v), &end);
		return *end ? -1 : 0;
	}
	return -1;
}

/* Azure's comparison: strings case-insensitive, "true" == true, "5" == 5. */
static int loose_equal(const json_t *a, const json_t *b)
{
	double x, y;

	if (!a || json_is_null(a))
		return !b || json_is_null(b);
	if (!b || json_is_null(b))
		return 0;
	if (json_is_string(a) && json_is_string(b))
		return !strcasecmp(json_string_value(a), json_string_value(b));
	if (json_is_boolean(a) && json_is_string(b))
		return !strcasecmp(json_string_value(b), json_is_true(a) ? "true" : "false");
	if (json_is_string(a) && json_is_boolean(b))
		return loose_equal(b, a);
	if (json_is_boolean(a) && json_is_boolean(b))
		return json_is_true(a) == json_is_true(b);
	if ((json_is_number(a) || json_is_number(b)) && !number_of(a, &x) && !number_of(b, &y))
		return x == y;
	if ((json_is_array(a) && json_is_array(b)) || (json_is_object(a) && json_is_object(b)))
		return template_json_equal(a, b, loose_equal);
	return 0;
}

/* Ordering for less/greater: numbers (numeric strings too), else case-insensitive strings. */
static int loose_compare(const json_t *a, const json_t *b, int *cmp)
{
	double x, y;
	if (!a || !b || json_is_null(a) || json_is_null(b))
		return -1;
	if ((json_is_number(a) || json_is_number(b)) && !number_of(a, &x) && !number_of(b, &y)) {
		*cmp = x < y ? -1 : x > y;
		return 0;
	}
	if (json_is_string(a) && json_is_string(b)) {
		int c = strcasecmp(json_string_value(a), json_string_value(b));
		*cmp = c < 0 ? -1 : c > 0;
		return 0;
	}
	return -1;
}

/* '*' matches any run of characters, case-insensitively. */
static int like_match(const char *s, const char *pattern)
{
	if (!*pattern)
		return !*s;
	if (*pattern == '*') {
		while (*pattern == '*')
			pattern++;
		if (!*pattern)
			return 1;
		for (; *s; s++)
			if (like_match(s, pattern))
				return 1;
		return 0;
	}
	return *s && tolower((unsigned char)*s) == tolower((unsigned char)*pattern) &&
	       like_match(s + 1, pattern + 1);
}

/* match: '#' a digit, '?' a letter, '.' any character, others literal. */
static int pattern_match(const char *s, const char *p, int nocase)
{
	for (; *p; p++, s++) {
		if (!*s)
			return 0;
		if (*p == '#') {
			if (!isdigit((unsigned char)*s))
				return 0;
		} else if (*p == '?') {
			if (!isalpha((unsigned char)*s))
				return 0;
		} else if (*p != '.') {
			if (nocase ? tolower((unsigned char)*s) != tolower((unsigned char)*p) : *s != *p)
				return 0;
		}
	}
	return !*s;
}

static int text_of(const json_t *v, struct strbuf *sb)
{
	if (json_is_string(v))
		strbuf_addstr(sb, json_string_value(v));
	else if (json_is_boolean(v))
		strbuf_addstr(sb, json_is_true(v) ? "true" : "false");
	else if (json_is_integer(v))
		strbuf_addf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		return -1;
	return 0;
}

static int apply_op(enum op op, const json_t *lhs, const json_t *rhs)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	int r = 0, cmp;
	size_t i;

	switch (op) {
	case OP_EQUALS: return loose_equal(lhs, rhs);
	case OP_NOT_EQUALS: return !loose_equal(lhs, rhs);
	case OP_LIKE: case OP_NOT_LIKE:
	case OP_MATCH: case OP_NOT_MATCH: case OP_MATCH_I: case OP_NOT_MATCH_I:
		if (lhs && !text_of(lhs, &a) && !text_of(rhs, &b)) {
			if (op == OP_LIKE || op == OP_NOT_LIKE)
				r = like_match(a.buf, b.buf);
			else
				r = pattern_match(a.buf, b.buf, op == OP_MATCH_I || op == OP_NOT_MATCH_I);
		}
		strbuf_release(&a);
		strbuf_release(&b);
		return (op == OP_LIKE || op == OP_MATCH || op == OP_MATCH_I) ? r : !r;
	case OP_CONTAINS: case OP_NOT_CONTAINS:
		if (json_is_array(lhs)) {
			for (i = 0; i < json_array_size(lhs) && !r; i++)
				r = loose_equal(json_array_get(lhs, i), rhs);
		} else if (lhs && !text_of(lhs, &a) && !text_of(rhs, &b)) {
			r = find_nocase(a.buf, b.buf) != NULL;
		}
		strbuf_release(&a);
		strbuf_release(&b);
		return op == OP_CONTAINS ? r : !r;
	case OP_IN: case OP_NOT_IN:
		for (i = 0; json_is_array(rhs) && i < json_array_size(rhs) && !r; i++)
			r = lhs && loose_equal(lhs, json_array_get(rhs, i));
		return op == OP_IN ? r : !r;
	case OP_CONTAINS_KEY: case OP_NOT_CONTAINS_KEY:
		r = json_is_object(lhs) && json_is_string(rhs) &&
		    template_object_get(lhs, json_string_value(rhs)) != NULL;
		return op == OP_CONTAINS_KEY ? r : !r;
	case OP_LESS: return !loose_compare(lhs, rhs, &cmp) && cmp < 0;
	case OP_LESS_OR_EQUALS: return !loose_compare(lhs, rhs, &cmp) && cmp <= 0;
	case OP_GREATER: return !loose_compare(lhs, rhs, &cmp) && cmp > 0;
	case OP_GREATER_OR_EQUALS: return !loose_compare(lhs, rhs, &cmp) && cmp >= 0;
	case OP_EXISTS: {
		int want = json_is_true(rhs) ||
			   (json_is_string(rhs) && !strcasecmp(json_string_value(rhs), "true"));
		return want == (lhs != NULL && !json_is_null(lhs));
	}
	}
	return 0;
}

enum { FALSE_ = 0, TRUE_ = 1, UNKNOWN_ = 2 };

static int node_eval(struct eval_ctx *ctx, const struct node *n, int applicability);

static int eval_count(struct eval_ctx *ctx, const struct node *n, long *count)
{
	json_t *arr = NULL;
	size_t i;
	int ok = 0;

	*count = 0;
	if (n->lhs == LHS_COUNT_FIELD) {
		size_t len = strlen(n->field.alias.path);
		char *head = xstrndup(n->field.alias.path, len - 3);
		if (type_is(ctx->target, n->field.alias.type))
			arr = alias_path_get(ctx->target, head);
		free(head);
	} else {
		arr = cvalue_eval(ctx, &n->value);
		if (ctx->failed)
			return -1;
		if (!json_is_array(arr)) {
			strbuf_addstr(ctx->err, "count value must be an array");
			ctx->failed = 1;
			json_decref(arr);
			return -1;
		}
	}
	if (!json_is_array(arr)) {
		json_decref(arr);
		return 0;
	}
	if (ctx->nr_frames == (int)ARRAY_SIZE(ctx->frames)) {
		strbuf_addstr(ctx->err, "counts nested too deeply");
		ctx->failed = 1;
		json_decref(arr);
		return -1;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		struct count_frame *fr = &ctx->frames[ctx->nr_frames++];
		fr->prefix = n->lhs == LHS_COUNT_FIELD ? n->field.alias.path : NULL;
		fr->name = n->lhs == LHS_COUNT_VALUE ? n->count_name : NULL;
		fr->item = json_array_get(arr, i);
		ok = !n->where || node_eval(ctx, n->where, 0) == TRUE_;
		ctx->nr_frames--;
		if (ctx->failed)
			break;
		*count += ok;
	}
	json_decref(arr);
	return ctx->failed ? -1 : 0;
}

static int condition_eval(struct eval_ctx *ctx, const struct node *n, int applicability)
{
	json_t *lhs = NULL, *rhs = NULL;
	int r = FALSE_;
	size_t i;

	if (applicability && !(n->lhs == LHS_FIELD &&
			       (n->field.kind == FIELD_TYPE || n->field.kind == FIELD_NAME ||
				n->field.kind == FIELD_KIND)))
		return UNKNOWN_;
	rhs = cvalue_eval(ctx, &n->rhs);
	if (ctx->failed)
		return FALSE_;
	switch (n->lhs) {
	case LHS_FIELD:
		lhs = read_field(ctx, ctx->target, &n->field);
		if (n->field.has_star && n->field.kind == FIELD_ALIAS && json_is_array(lhs) &&
		    !ctx->nr_frames) {
			/* [*] outside a count: every member must satisfy the condition */
			r = TRUE_;
			for (i = 0; i < json_array_size(lhs) && r; i++)
				r = apply_op(n->op, json_array_get(lhs, i), rhs);
			goto out;
		}
		break;
	case LHS_FIELD_EXPR: {
		json_t *name = cvalue_eval(ctx, &n->value);
		struct field_ref f;
		if (ctx->failed)
			goto out;
		if (!json_is_string(name) || field_compile(json_string_value(name), &f, ctx->err)) {
			ctx->failed = 1;
			json_decref(name);
			goto out;
		}
		lhs = read_field(ctx, ctx->target, &f);
		free(f.tag);
		json_decref(name);
		break;
	}
	case LHS_VALUE:
		lhs = cvalue_eval(ctx, &n->value);
		if (ctx->failed)
			goto out;
		if (json_is_null(lhs)) {
			json_decref(lhs);
			lhs = NULL;
		}
		break;
	case LHS_COUNT_FIELD:
	case LHS_COUNT_VALUE: {
		long count;
		if (eval_count(ctx, n, &count))
			goto out;
		lhs = json_integer(count);
		break;
	}
	}
	r = apply_op(n->op, lhs, rhs);
out:
	json_decref(lhs);
	json_decref(rhs);
	return r;
}

/* Tri-state so applicability can ignore conditions that are not about type, name, kind. */
static int node_eval(struct eval_ctx *ctx, const struct node *n, int applicability)
{
	size_t i;
	int r, unknown = 0;

	switch (n->kind) {
	case NODE_ALL_OF:
		for (i = 0; i < n->nr_children; i++) {
			r = node_eval(ctx, n->children[i], applicability);
			if (r == FALSE_ || ctx->failed)
				return FALSE_;
			unknown |= r == UNKNOWN_;
		}
		return unknown ? UNKNOWN_ : TRUE_;
	case NODE_ANY_OF:
		for (i = 0; i < n->nr_children; i++) {
			r = node_eval(ctx, n->children[i], applicability);
			if (ctx->failed)
				return FALSE_;
			if (r == TRUE_)
				return TRUE_;
			unknown |= r == UNKNOWN_;
		}
		return unknown ? UNKNOWN_ : FALSE_;
	case NODE_NOT:
		r = node_eval(ctx, n->children[0], applicability);
		return r == UNKNOWN_ ? UNKNOWN_ : !r;
	case NODE_CONDITION:
		return condition_eval(ctx, n, applicability);
	}
	return FALSE_;
}

enum policy_result policy_definition_effect(const struct policy_definition *def,
					    const json_t *params, enum policy_effect *out,
					    struct strbuf *err)
{
	struct eval_ctx ctx;
	json_t *v;
	enum policy_result res = POLICY_OK;

	ctx_init(&ctx, params, NULL, NULL, err);
	v = cvalue_eval(&ctx, &def->effect);
	if (!v)
		return POLICY_EVAL_FAILED;
	if (effect_from_name(json_string_value(v), out)) {
		strbuf_addf(err, "unsupported effect '%s'",
			    json_string_value(v) ? json_string_value(v) : "(not a string)");
		res = POLICY_INVALID;
	} else if ((*out == POLICY_EFFECT_AUDIT_IF_NOT_EXISTS ||
		    *out == POLICY_EFFECT_DEPLOY_IF_NOT_EXISTS) && !def->has_details_type) {
		strbuf_addf(err, "effect '%s' needs 'details.type'", json_string_value(v));
		res = POLICY_INVALID;
	} else if (*out == POLICY_EFFECT_DEPLOY_IF_NOT_EXISTS && !def->deployment) {
		strbuf_addstr(err, "effect 'DeployIfNotExists' needs 'details.deployment'");
		res = POLICY_INVALID;
	} else if (*out == POLICY_EFFECT_MODIFY && !def->nr_ops) {
		strbuf_addstr(err, "effect 'Modify' needs 'details.operations'");
		res = POLICY_INVALID;
	}
	json_decref(v);
	return res;
}

enum policy_result policy_related_default(void *data, const json_t *resource, const char *type,
					  const char *name, json_t **out, struct strbuf *err)
{
	const char *rtype = json_string_value(json_object_get(resource, "type"));
	const char *rname = json_string_value(json_object_get(resource, "name"));
	size_t tlen = rtype ? strlen(rtype) : 0;
	json_t *list = json_array();

	(void)data;
	(void)err;
	*out = list;
	if (!rtype || !rname)
		return POLICY_OK;
	if (!strcasecmp(type, rtype)) {
		if (!name || !strcasecmp(name, rname) || !strcasecmp(name, last_segment(rname)))
			json_array_append(list, (json_t *)resource);
	} else if (!strncasecmp(type, rtype, tlen) && !strcasecmp(type + tlen, "/config") &&
		   (!name || !strcasecmp(name, "web"))) {
		const json_t *site_config = json_object_get(json_object_get(resource, "properties"),
							    "siteConfig");
		struct strbuf id = STRBUF_INIT, full = STRBUF_INIT;
		strbuf_addf(&id, "%s/config/web",
			    json_string_value(json_object_get(resource, "id")) ?
			    json_string_value(json_object_get(resource, "id")) : "");
		strbuf_addf(&full, "%s/web", rname);
		json_t *props = json_is_object(site_config) ? json_incref((json_t *)site_config) :
							      json_object();
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}", "id", id.buf,
						      "name", full.buf, "type", type,
						      "properties", props));
		strbuf_release(&id);
		strbuf_release(&full);
	}
	return POLICY_OK;
}

enum policy_result policy_evaluate(const struct policy_definition *def, const json_t *params,
				   const json_t *resource, policy_related_fn related,
				   void *related_data, const char *api_version,
				   struct policy_outcome *out, struct strbuf *err)
{
	enum policy_result res;

	out->compliance = POLICY_NOT_APPLICABLE;
	res = policy_definition_effect(def, params, &out->effect, err);
	if (res)
		return res;
	return policy_evaluate_as(def, params, out->effect, resource, related, related_data,
				  api_version, out, err);
}

enum policy_result policy_evaluate_as(const struct policy_definition *def, const json_t *params,
				      enum policy_effect effect, const json_t *resource,
				      policy_related_fn related, void *related_data,
				      const char *api_version, struct policy_outcome *out,
				      struct strbuf *err)
{
	struct eval_ctx ctx;
	enum policy_result res;
	int r;

	out->effect = effect;
	out->compliance = POLICY_NOT_APPLICABLE;
	if (effect == POLICY_EFFECT_DISABLED)
		return POLICY_OK;
	ctx_init(&ctx, params, resource, api_version, err);
	r = node_eval(&ctx, def->rule_if, 0);
	if (ctx.failed)
		return POLICY_EVAL_FAILED;

	if (out->effect == POLICY_EFFECT_AUDIT_IF_NOT_EXISTS ||
	    out->effect == POLICY_EFFECT_DEPLOY_IF_NOT_EXISTS) {
		json_t *name = NULL, *list = NULL;
		size_t i;
		int found = 0;

		if (r != TRUE_)
			return POLICY_OK;
		if (def->details_name.literal) {
			name = cvalue_eval(&ctx, &def->details_name);
			if (!name)
				return POLICY_EVAL_FAILED;
		}
		res = (related ? related : policy_related_default)(
			related_data, resource, def->details_type,
			json_string_value(name), &list, err);
		json_decref(name);
		if (res)
			return res;
		for (i = 0; i < json_array_size(list) && !found; i++) {
			ctx.target = json_array_get(list, i);
			found = !def->existence || node_eval(&ctx, def->existence, 0) == TRUE_;
			if (ctx.failed) {
				json_decref(list);
				return POLICY_EVAL_FAILED;
			}
		}
		json_decref(list);
		out->compliance = found ? POLICY_COMPLIANT : POLICY_NON_COMPLIANT;
		return POLICY_OK;
	}
	if (r == TRUE_) {
		out->compliance = POLICY_NON_COMPLIANT;
		return POLICY_OK;
	}
	r = node_eval(&ctx, def->rule_if, 1);
	if (ctx.failed)
		return POLICY_EVAL_FAILED;
	out->compliance = r == FALSE_ ? POLICY_NOT_APPLICABLE : POLICY_COMPLIANT;
	return POLICY_OK;
}

const json_t *policy_definition_role_ids(const struct policy_definition *def)
{
	return def->role_ids;
}

const char *policy_definition_details_type(const struct policy_definition *def)
{
	return def->details_type;
}

long policy_definition_evaluation_delay(const struct policy_definition *def)
{
	return def->has_details_type ? def->evaluation_delay : 0;
}

const char *policy_definition_mode(const struct policy_definition *def)
{
	return def->mode;
}

enum policy_result policy_definition_deployment(const struct policy_definition *def,
						const json_t *params, const json_t *resource,
						json_t **parameters, const json_t **template,
						struct strbuf *err)
{
	struct eval_ctx ctx;
	const json_t *given;

	*parameters = NULL;
	*template = NULL;
	if (!def->deployment) {
		strbuf_addstr(err, "the definition has no deployment");
		return POLICY_INVALID;
	}
	ctx_init(&ctx, params, resource, NULL, err);
	given = template_object_get(def->deployment, "parameters");
	if (!given) {
		*parameters = json_object();
	} else if (template_value_eval(given, &ctx.scope, parameters, err)) {
		return POLICY_EVAL_FAILED;
	}
	*template = template_object_get(def->deployment, "template");
	return POLICY_OK;
}

enum policy_result policy_definition_modify(const struct policy_definition *def,
					    const json_t *params, const json_t *resource,
					    const char *api_version, json_t **out,
					    struct strbuf *err)
{
	struct eval_ctx ctx;
	json_t *copy = json_deep_copy(resource);
	size_t i;

	*out = NULL;
	ctx_init(&ctx, params, resource, api_version, err);
	for (i = 0; i < def->nr_ops; i++) {
		const struct modify_op *m = &def->ops[i];
		json_t *value = NULL;
		if (m->condition.literal) {
			json_t *c = cvalue_eval(&ctx, &m->condition);
			int skip = c && !json_is_true(c);
			json_decref(c);
			if (ctx.failed)
				goto fail;
			if (skip)
				continue;
		}
		if (m->kind != MODIFY_REMOVE) {
			value = cvalue_eval(&ctx, &m->value);
			if (ctx.failed)
				goto fail;
		}
		if (m->field.kind == FIELD_TAG) {
			json_t *tags = json_object_get(copy, "tags");
			if (!json_is_object(tags)) {
				tags = json_object();
				json_object_set_new(copy, "tags", tags);
			}
			if (m->kind == MODIFY_REMOVE)
				json_object_del(tags, m->field.tag);
			else if (m->kind == MODIFY_ADD_OR_REPLACE || !json_object_get(tags, m->field.tag))
				json_object_set(tags, m->field.tag, value ? value : json_null());
		} else if (m->kind == MODIFY_REMOVE) {
			alias_path_remove(copy, m->field.alias.path);
		} else {
			json_t *have = alias_path_get(copy, m->field.alias.path);
			if (m->kind == MODIFY_ADD_OR_REPLACE || !have)
				alias_path_set(copy, m->field.alias.path, value ? value : json_null());
			json_decref(have);
		}
		json_decref(value);
	}
	*out = copy;
	return POLICY_OK;
fail:
	json_decref(copy);
	return POLICY_EVAL_FAILED;
}
