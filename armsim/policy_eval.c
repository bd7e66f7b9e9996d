/*
 * policy_eval — evaluate compiled Azure Policy definitions (policy_compile.c) on resources.
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
#include "armsim/arm.h"
#include "armsim/policy_eval.h"
#include "armsim/policy_rule.h"
#include "armsim/template.h"
#include "lib/strcase.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

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

	if (policy_field_compile(name, &f, err))
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
			r = strcase_find(a.buf, b.buf) != NULL;
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
		if (!json_is_string(name) || policy_field_compile(json_string_value(name), &f, ctx->err)) {
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
	if (policy_effect_from_name(json_string_value(v), out)) {
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

