/*
 * template — ARM template expressions and deployment interpretation for armsim.
 *
 * Expressions are parsed into a small tree (literals, calls, member and index access) and
 * evaluated over jansson values. Functions live in one table with their argument counts, so
 * an unknown function or a wrong arity is found when the expression is parsed, not when a
 * remediation first happens to run it.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/template.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

enum expr_kind {
	EXPR_LITERAL, /* literal */
	EXPR_CALL,    /* func(args) */
	EXPR_MEMBER,  /* object.member */
	EXPR_INDEX,   /* object[index] */
};

struct template_func;

struct template_expr {
	enum expr_kind kind;
	json_t *literal;                   /* EXPR_LITERAL */
	const struct template_func *func;  /* EXPR_CALL */
	struct template_expr **args;       /* EXPR_CALL; EXPR_INDEX uses args[0] as the index */
	size_t nr_args;
	struct template_expr *object;      /* EXPR_MEMBER, EXPR_INDEX */
	char *member;                      /* EXPR_MEMBER */
};

typedef enum template_result (*func_fn)(const struct template_scope *scope, json_t **args,
					size_t nr, json_t **out, struct strbuf *err);

struct template_func {
	const char *name;
	size_t min_args, max_args;
	func_fn fn;     /* NULL for the lazy ones handled in eval_call (if) */
};

/* ---------- small helpers ---------- */

json_t *template_object_get(const json_t *object, const char *key)
{
	const char *k;
	json_t *v;

	if (!json_is_object(object))
		return NULL;
	v = json_object_get(object, key);
	if (v)
		return v;
	json_object_foreach((json_t *)object, k, v)
		if (!strcasecmp(k, key))
			return v;
	return NULL;
}

static const char *kind_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "number";
	case JSON_TRUE: case JSON_FALSE: return "bool";
	default: return "null";
	}
}

int template_json_equal(const json_t *a, const json_t *b,
			int (*scalar_equal)(const json_t *a, const json_t *b))
{
	if (json_is_array(a) && json_is_array(b)) {
		size_t i;
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!template_json_equal(json_array_get(a, i), json_array_get(b, i),
						 scalar_equal))
				return 0;
		return 1;
	}
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		json_t *v;
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v) {
			json_t *w = template_object_get(b, k);
			if (!w || !template_json_equal(v, w, scalar_equal))
				return 0;
		}
		return 1;
	}
	return scalar_equal(a, b);
}

/* ARM's equals() on scalars: strings case-insensitive, numbers by value. */
static int scalar_equal(const json_t *a, const json_t *b)
{
	if (json_is_string(a) && json_is_string(b))
		return !strcasecmp(json_string_value(a), json_string_value(b));
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_typeof(a) == json_typeof(b) && (json_is_boolean(a) || json_is_null(a));
}

static int values_equal(const json_t *a, const json_t *b)
{
	return template_json_equal(a, b, scalar_equal);
}

static enum template_result want_string(const char *fname, json_t **args, size_t i,
					struct strbuf *err)
{
	if (json_is_string(args[i]))
		return TEMPLATE_OK;
	strbuf_addf(err, "%s(): argument %zu must be a string, not %s", fname, i + 1,
		    kind_name(args[i]));
	return TEMPLATE_INVALID;
}

/* ---------- functions ---------- */

static enum template_result fn_parameters(const struct template_scope *scope, json_t **args,
					  size_t nr, json_t **out, struct strbuf *err)
{
	json_t *v;
	(void)nr;
	if (want_string("parameters", args, 0, err))
		return TEMPLATE_INVALID;
	v = template_object_get(scope->parameters, json_string_value(args[0]));
	if (!v) {
		strbuf_addf(err, "parameters(): no parameter '%s'", json_string_value(args[0]));
		return TEMPLATE_INVALID;
	}
	*out = json_incref(v);
	return TEMPLATE_OK;
}

static enum template_result fn_variables(const struct template_scope *scope, json_t **args,
					 size_t nr, json_t **out, struct strbuf *err)
{
	json_t *v;
	struct template_scope inner;
	(void)nr;
	if (want_string("variables", args, 0, err))
		return TEMPLATE_INVALID;
	v = template_object_get(scope->variables, json_string_value(args[0]));
	if (!v) {
		strbuf_addf(err, "variables(): no variable '%s'", json_string_value(args[0]));
		return TEMPLATE_INVALID;
	}
	if (scope->depth > 32) {
		strbuf_addf(err, "variables(): '%s' refers to itself", json_string_value(args[0]));
		return TEMPLATE_INVALID;
	}
	inner = *scope;
	inner.depth++;
	return template_value_eval(v, &inner, out, err);
}

static enum template_result fn_field(const struct template_scope *scope, json_t **args,
				     size_t nr, json_t **out, struct strbuf *err)
{
	(void)nr;
	if (want_string("field", args, 0, err))
		return TEMPLATE_INVALID;
	if (!scope->host || !scope->host->field) {
		strbuf_addstr(err, "field() is only available in a policy rule");
		return TEMPLATE_INVALID;
	}
	return scope->host->field(scope->host->data, json_string_value(args[0]), out, err);
}

static enum template_result fn_current(const struct template_scope *scope, json_t **args,
				       size_t nr, json_t **out, struct strbuf *err)
{
	const char *name = nr ? json_string_value(args[0]) : "";
	if (nr && want_string("current", args, 0, err))
		return TEMPLATE_INVALID;
	if (!scope->host || !scope->host->current) {
		strbuf_addstr(err, "current() is only available inside a count");
		return TEMPLATE_INVALID;
	}
	return scope->host->current(scope->host->data, name, out, err);
}

static void add_as_text(struct strbuf *sb, const json_t *v)
{
	if (json_is_string(v)) {
		strbuf_addstr(sb, json_string_value(v));
	} else if (json_is_integer(v)) {
		strbuf_addf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		strbuf_addf(sb, "%g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		strbuf_addstr(sb, json_is_true(v) ? "True" : "False");
	} else if (!json_is_null(v)) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		strbuf_addstr(sb, s ? s : "");
		free(s);
	}
}

static enum template_result fn_concat(const struct template_scope *scope, json_t **args,
				      size_t nr, json_t **out, struct strbuf *err)
{
	size_t i;
	(void)scope;
	(void)err;
	if (nr && json_is_array(args[0])) {
		json_t *arr = json_array();
		for (i = 0; i < nr; i++) {
			if (!json_is_array(args[i])) {
				json_decref(arr);
				strbuf_addf(err, "concat(): argument %zu must be an array like the first", i + 1);
				return TEMPLATE_INVALID;
			}
			json_array_extend(arr, args[i]);
		}
		*out = arr;
	} else {
		struct strbuf sb = STRBUF_INIT;
		for (i = 0; i < nr; i++)
			add_as_text(&sb, args[i]);
		*out = json_stringn(sb.buf, sb.len);
		strbuf_release(&sb);
	}
	return TEMPLATE_OK;
}

static enum template_result change_case(json_t **args, json_t **out, int upper,
					struct strbuf *err)
{
	char *s;
	size_t i;
	if (want_string(upper ? "toUpper" : "toLower", args, 0, err))
		return TEMPLATE_INVALID;
	s = xstrdup(json_string_value(args[0]));
	for (i = 0; s[i]; i++)
		s[i] = (char)(upper ? toupper((unsigned char)s[i]) : tolower((unsigned char)s[i]));
	*out = json_string(s);
	free(s);
	return TEMPLATE_OK;
}

static enum template_result fn_tolower(const struct template_scope *scope, json_t **args,
				       size_t nr, json_t **out, struct strbuf *err)
{
	(void)scope;
	(void)nr;
	return change_case(args, out, 0, err);
}

static enum template_result fn_toupper(const struct template_scope *scope, json_t **args,
				       size_t nr, json_t **out, struct strbuf *err)
{
	(void)scope;
	(void)nr;
	return change_case(args, out, 1, err);
}

static enum template_result fn_equals(const struct template_scope *scope, json_t **args,
				      size_t nr, json_t **out, struct strbuf *err)
{
	(void)scope;
	(void)nr;
	(void)err;
	*out = json_boolean(values_equal(args[0], args[1]));
	return TEMPLATE_OK;
}

static enum template_result want_bool(const char *fname, json_t **args, size_t i,
				      struct strbuf *err)
{
	if (json_is_boolean(args[i]))
		return TEMPLATE_OK;
	strbuf_addf(err, "%s(): argument %zu must be a bool, not %s", fname, i + 1,
		    kind_name(args[i]));
	return TEMPLATE_INVALID;
}

static enum template_result fn_not(const struct template_scope *scope, json_t **args,
				   size_t nr, json_t **out, struct strbuf *err)
{
	(void)scope;
	(void)nr;
	if (want_bool("not", args, 0, err))
		return TEMPLATE_INVALID;
	*out = json_boolean(!json_is_true(args[0]));
	return TEMPLATE_OK;
}

static enum template_result fn_and_or(json_t **args, size_t nr, json_t **out, int is_and,
				      struct strbuf *err)
{
	size_t i;
	int acc = is_and;
	for (i = 0; i < nr; i++) {
		if (want_bool(is_and ? "and" : "or", args, i, err))
			return TEMPLATE_INVALID;
		if (is_and)
			acc = acc && json_is_true(args[i]);
		else
			acc = acc || json_is_true(args[i]);
	}
	*out = json_boolean(acc);
	return TEMPLATE_OK;
}

static enum template_result fn_and(const struct template_scope *scope, json_t **args,
				   size_t nr, json_t **out, struct strbuf *err)
{
	(void)scope;
	return fn_and_or(args, nr, out, 1, err);
}

static enum template_result fn_or(const struct template_scope *scope, json_t **args,
				  size_t nr, json_t **out, struct strbuf *err)
{
	(void)scope;
	return fn_and_or(args, nr, out, 0, err);
}

/* Orders two values as ARM's comparison functions do: numbers, or strings ordinally. */
static enum template_result compare_values(const char *fname, json_t **args, int *cmp,
					   struct strbuf *err)
{
	if (json_is_number(args[0]) && json_is_number(args[1])) {
		double a = json_number_value(args[0]), b = json_number_value(args[1]);
		*cmp = a < b ? -1 : a > b;
		return TEMPLATE_OK;
	}
	if (json_is_string(args[0]) && json_is_string(args[1])) {
		int c = strcmp(json_string_value(args[0]), json_string_value(args[1]));
		*cmp = c < 0 ? -1 : c > 0;
		return TEMPLATE_OK;
	}
	strbuf_addf(err, "%s(): cannot compare %s with %s", fname, kind_name(args[0]),
		    kind_name(args[1]));
	return TEMPLATE_INVALID;
}

#define COMPARE_FN(cname, fname, test)                                                       \
	static enum template_result cname(const struct template_scope *scope, json_t **args, \
					  size_t nr, json_t **out, struct strbuf *err)       \
	{                                                                                    \
		int cmp;                                                                     \
		(void)scope;                                                                 \
		(void)nr;                                                                    \
		if (compare_values(fname, args, &cmp, err))                                  \
			return TEMPLATE_INVALID;                                             \
		*out = json_boolean(test);                                                   \
		return TEMPLATE_OK;                                                          \
	}
COMPARE_FN(fn_greater, "greater", cmp > 0)
COMPARE_FN(fn_greater_or_equals, "greaterOrEquals", cmp >= 0)
COMPARE_FN(fn_less, "less", cmp < 0)
COMPARE_FN(fn_less_or_equals, "lessOrEquals", cmp <= 0)

static void merge_into(json_t *dst, const json_t *src)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)src, k, v) {
		json_t *have = json_object_get(dst, k);
		if (have && json_is_object(have) && json_is_object(v)) {
			json_t *copy = json_deep_copy(have);
			merge_into(copy, v);
			json_object_set_new(dst, k, copy);
		} else {
			json_object_set(dst, k, v);
		}
	}
}

/* union(): objects merge deeply with later values winning; arrays keep first occurrences. */
static enum template_result fn_union(const struct template_scope *scope, json_t **args,
				     size_t nr, json_t **out, struct strbuf *err)
{
	size_t i, j, k;
	(void)scope;
	if (json_is_object(args[0])) {
		json_t *obj = json_object();
		for (i = 0; i < nr; i++) {
			if (!json_is_object(args[i])) {
				json_decref(obj);
				strbuf_addf(err, "union(): argument %zu must be an object, not %s",
					    i + 1, kind_name(args[i]));
				return TEMPLATE_INVALID;
			}
			merge_into(obj, args[i]);
		}
		*out = obj;
		return TEMPLATE_OK;
	}
	if (json_is_array(args[0])) {
		json_t *arr = json_array();
		for (i = 0; i < nr; i++) {
			if (!json_is_array(args[i])) {
				json_decref(arr);
				strbuf_addf(err, "union(): argument %zu must be an array, not %s",
					    i + 1, kind_name(args[i]));
				return TEMPLATE_INVALID;
			}
			for (j = 0; j < json_array_size(args[i]); j++) {
				json_t *v = json_array_get(args[i], j);
				int seen = 0;
				for (k = 0; k < json_array_size(arr) && !seen; k++)
					seen = values_equal(json_array_get(arr, k), v);
				if (!seen)
					json_array_append(arr, v);
			}
		}
		*out = arr;
		return TEMPLATE_OK;
	}
	strbuf_addf(err, "union(): arguments must be objects or arrays, not %s", kind_name(args[0]));
	return TEMPLATE_INVALID;
}

static enum template_result fn_create_object(const struct template_scope *scope, json_t **args,
					     size_t nr, json_t **out, struct strbuf *err)
{
	json_t *obj;
	size_t i;
	(void)scope;
	if (nr % 2) {
		strbuf_addstr(err, "createObject(): needs key/value pairs");
		return TEMPLATE_INVALID;
	}
	obj = json_object();
	for (i = 0; i < nr; i += 2) {
		if (want_string("createObject", args, i, err)) {
			json_decref(obj);
			return TEMPLATE_INVALID;
		}
		json_object_set(obj, json_string_value(args[i]), args[i + 1]);
	}
	*out = obj;
	return TEMPLATE_OK;
}

static enum template_result fn_create_array(const struct template_scope *scope, json_t **args,
					    size_t nr, json_t **out, struct strbuf *err)
{
	json_t *arr = json_array();
	size_t i;
	(void)scope;
	(void)err;
	for (i = 0; i < nr; i++)
		json_array_append(arr, args[i]);
	*out = arr;
	return TEMPLATE_OK;
}

static enum template_result fn_empty(const struct template_scope *scope, json_t **args,
				     size_t nr, json_t **out, struct strbuf *err)
{
	const json_t *v = args[0];
	(void)scope;
	(void)nr;
	(void)err;
	*out = json_boolean(json_is_null(v) ||
			    (json_is_string(v) && !json_string_length(v)) ||
			    (json_is_array(v) && !json_array_size(v)) ||
			    (json_is_object(v) && !json_object_size(v)));
	return TEMPLATE_OK;
}

static enum template_result fn_length(const struct template_scope *scope, json_t **args,
				      size_t nr, json_t **out, struct strbuf *err)
{
	const json_t *v = args[0];
	(void)scope;
	(void)nr;
	if (json_is_string(v))
		*out = json_integer((json_int_t)json_string_length(v));
	else if (json_is_array(v))
		*out = json_integer((json_int_t)json_array_size(v));
	else if (json_is_object(v))
		*out = json_integer((json_int_t)json_object_size(v));
	else {
		strbuf_addf(err, "length(): cannot measure %s", kind_name(v));
		return TEMPLATE_INVALID;
	}
	return TEMPLATE_OK;
}

static enum template_result fn_contains(const struct template_scope *scope, json_t **args,
					size_t nr, json_t **out, struct strbuf *err)
{
	const json_t *c = args[0], *x = args[1];
	size_t i;
	int found = 0;
	(void)scope;
	(void)nr;
	if (json_is_string(c) && json_is_string(x)) {
		found = strstr(json_string_value(c), json_string_value(x)) != NULL;
	} else if (json_is_array(c)) {
		for (i = 0; i < json_array_size(c) && !found; i++)
			found = values_equal(json_array_get(c, i), x);
	} else if (json_is_object(c) && json_is_string(x)) {
		found = template_object_get(c, json_string_value(x)) != NULL;
	} else {
		strbuf_addf(err, "contains(): cannot look for %s in %s", kind_name(x), kind_name(c));
		return TEMPLATE_INVALID;
	}
	*out = json_boolean(found);
	return TEMPLATE_OK;
}

static enum template_result fn_string(const struct template_scope *scope, json_t **args,
				      size_t nr, json_t **out, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	(void)scope;
	(void)nr;
	(void)err;
	add_as_text(&sb, args[0]);
	*out = json_stringn(sb.buf, sb.len);
	strbuf_release(&sb);
	return TEMPLATE_OK;
}

static enum template_result fn_bool(const struct template_scope *scope, json_t **args,
				    size_t nr, json_t **out, struct strbuf *err)
{
	(void)scope;
	(void)nr;
	if (json_is_boolean(args[0]))
		*out = json_incref(args[0]);
	else if (json_is_string(args[0]) && !strcasecmp(json_string_value(args[0]), "true"))
		*out = json_true();
	else if (json_is_string(args[0]) && !strcasecmp(json_string_value(args[0]), "false"))
		*out = json_false();
	else if (json_is_integer(args[0]))
		*out = json_boolean(json_integer_value(args[0]) != 0);
	else {
		strbuf_addf(err, "bool(): cannot convert %s", kind_name(args[0]));
		return TEMPLATE_INVALID;
	}
	return TEMPLATE_OK;
}

static enum template_result fn_true(const struct template_scope *scope, json_t **args,
				    size_t nr, json_t **out, struct strbuf *err)
{
	(void)scope; (void)args; (void)nr; (void)err;
	*out = json_true();
	return TEMPLATE_OK;
}

static enum template_result fn_false(const struct template_scope *scope, json_t **args,
				     size_t nr, json_t **out, struct strbuf *err)
{
	(void)scope; (void)args; (void)nr; (void)err;
	*out = json_false();
	return TEMPLATE_OK;
}

static enum template_result fn_null(const struct template_scope *scope, json_t **args,
				    size_t nr, json_t **out, struct strbuf *err)
{
	(void)scope; (void)args; (void)nr; (void)err;
	*out = json_null();
	return TEMPLATE_OK;
}

static enum template_result fn_coalesce(const struct template_scope *scope, json_t **args,
					size_t nr, json_t **out, struct strbuf *err)
{
	size_t i;
	(void)scope;
	(void)err;
	for (i = 0; i < nr; i++)
		if (!json_is_null(args[i])) {
			*out = json_incref(args[i]);
			return TEMPLATE_OK;
		}
	*out = json_null();
	return TEMPLATE_OK;
}

static enum template_result fn_split(const struct template_scope *scope, json_t **args,
				     size_t nr, json_t **out, struct strbuf *err)
{
	const char *s, *sep, *hit;
	json_t *arr;
	(void)scope;
	(void)nr;
	if (want_string("split", args, 0, err) || want_string("split", args, 1, err))
		return TEMPLATE_INVALID;
	s = json_string_value(args[0]);
	sep = json_string_value(args[1]);
	arr = json_array();
	if (!*sep) {
		json_array_append_new(arr, json_string(s));
		*out = arr;
		return TEMPLATE_OK;
	}
	while ((hit = strstr(s, sep))) {
		json_array_append_new(arr, json_stringn(s, (size_t)(hit - s)));
		s = hit + strlen(sep);
	}
	json_array_append_new(arr, json_string(s));
	*out = arr;
	return TEMPLATE_OK;
}

static enum template_result pick_end(json_t **args, json_t **out, int last, struct strbuf *err)
{
	const json_t *v = args[0];
	if (json_is_array(v)) {
		size_t n = json_array_size(v);
		*out = n ? json_incref(json_array_get(v, last ? n - 1 : 0)) : json_null();
	} else if (json_is_string(v)) {
		size_t n = json_string_length(v);
		*out = n ? json_stringn(json_string_value(v) + (last ? n - 1 : 0), 1) : json_string("");
	} else {
		strbuf_addf(err, "%s(): needs an array or a string, not %s", last ? "last" : "first",
			    kind_name(v));
		return TEMPLATE_INVALID;
	}
	return TEMPLATE_OK;
}

static enum template_result fn_first(const struct template_scope *scope, json_t **args,
				     size_t nr, json_t **out, struct strbuf *err)
{
	(void)scope;
	(void)nr;
	return pick_end(args, out, 0, err);
}

static enum template_result fn_last(const struct template_scope *scope, json_t **args,
				    size_t nr, json_t **out, struct strbuf *err)
{
	(void)scope;
	(void)nr;
	return pick_end(args, out, 1, err);
}

static enum template_result fn_replace(const struct template_scope *scope, json_t **args,
				       size_t nr, json_t **out, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s, *from, *hit;
	size_t from_len;
	(void)scope;
	(void)nr;
	if (want_string("replace", args, 0, err) || want_string("replace", args, 1, err) ||
	    want_string("replace", args, 2, err))
		return TEMPLATE_INVALID;
	s = json_string_value(args[0]);
	from = json_string_value(args[1]);
	from_len = strlen(from);
	while (from_len && (hit = strstr(s, from))) {
		strbuf_add(&sb, s, (size_t)(hit - s));
		strbuf_addstr(&sb, json_string_value(args[2]));
		s = hit + from_len;
	}
	strbuf_addstr(&sb, s);
	*out = json_stringn(sb.buf, sb.len);
	strbuf_release(&sb);
	return TEMPLATE_OK;
}

static enum template_result fn_json(const struct template_scope *scope, json_t **args,
				    size_t nr, json_t **out, struct strbuf *err)
{
	json_error_t jerr;
	(void)scope;
	(void)nr;
	if (want_string("json", args, 0, err))
		return TEMPLATE_INVALID;
	*out = json_loads(json_string_value(args[0]), JSON_DECODE_ANY, &jerr);
	if (!*out) {
		strbuf_addf(err, "json(): %s", jerr.text);
		return TEMPLATE_INVALID;
	}
	return TEMPLATE_OK;
}

static const char *seg_end(const char *s)
{
	while (*s && *s != '/')
		s++;
	return s;
}

/* Number of type segments after the namespace: "Microsoft.Web/sites/config" has 2. */
static size_t type_segments(const char *type)
{
	size_t n = 0;
	for (; *type; type++)
		n += *type == '/';
	return n;
}

enum template_result template_resource_id(const char *subscription_id, const char *resource_group,
					  const char *type, const char *name, struct strbuf *out,
					  struct strbuf *err)
{
	const char *slash = strchr(type, '/'), *t, *n;
	size_t segments = type_segments(type), names = 1;

	for (n = name; *n; n++)
		names += *n == '/';
	if (!slash || segments != names || !*name) {
		strbuf_addf(err, "resource type '%s' and name '%s' do not match", type, name);
		return TEMPLATE_INVALID;
	}
	if (subscription_id)
		strbuf_addf(out, "/subscriptions/%s", subscription_id);
	if (resource_group)
		strbuf_addf(out, "/resourceGroups/%s", resource_group);
	strbuf_addstr(out, "/providers/");
	strbuf_add(out, type, (size_t)(slash - type));
	t = slash + 1;
	n = name;
	while (*t) {
		const char *t_end = seg_end(t), *n_end = seg_end(n);
		strbuf_addch(out, '/');
		strbuf_add(out, t, (size_t)(t_end - t));
		strbuf_addch(out, '/');
		strbuf_add(out, n, (size_t)(n_end - n));
		t = *t_end ? t_end + 1 : t_end;
		n = *n_end ? n_end + 1 : n_end;
	}
	return TEMPLATE_OK;
}

/*
 * resourceId([subscriptionId], [resourceGroupName], type, name1, name2, ...): the type tells
 * how many names follow, so leading extra arguments are the subscription and group.
 */
static enum template_result resource_id_common(const struct template_scope *scope,
					       json_t **args, size_t nr, json_t **out,
					       int subscription_level, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT, id = STRBUF_INIT;
	const char *sub = scope->subscription_id, *rg = scope->resource_group;
	size_t i, type_at = nr, segments;
	enum template_result res = TEMPLATE_INVALID;

	for (i = 0; i < nr; i++)
		if (want_string("resourceId", args, i, err))
			goto out;
	/* the type is the first argument holding a '/' that names a namespace */
	for (i = 0; i < nr && type_at == nr; i++)
		if (strchr(json_string_value(args[i]), '/') && strchr(json_string_value(args[i]), '.'))
			type_at = i;
	if (type_at == nr) {
		strbuf_addstr(err, "resourceId(): no resource type argument");
		goto out;
	}
	segments = type_segments(json_string_value(args[type_at]));
	if (nr - type_at - 1 != segments) {
		strbuf_addf(err, "resourceId(): type '%s' needs %zu name(s), got %zu",
			    json_string_value(args[type_at]), segments, nr - type_at - 1);
		goto out;
	}
	if (subscription_level) {
		rg = NULL;
		if (type_at == 1)
			sub = json_string_value(args[0]);
		else if (type_at > 1) {
			strbuf_addstr(err, "subscriptionResourceId(): too many arguments");
			goto out;
		}
	} else if (type_at == 1) {
		rg = json_string_value(args[0]);
	} else if (type_at == 2) {
		sub = json_string_value(args[0]);
		rg = json_string_value(args[1]);
	} else if (type_at > 2) {
		strbuf_addstr(err, "resourceId(): too many arguments before the type");
		goto out;
	}
	for (i = type_at + 1; i < nr; i++) {
		if (i > type_at + 1)
			strbuf_addch(&name, '/');
		strbuf_addstr(&name, json_string_value(args[i]));
	}
	if (template_resource_id(sub, rg, json_string_value(args[type_at]), name.buf, &id, err))
		goto out;
	*out = json_stringn(id.buf, id.len);
	res = TEMPLATE_OK;
out:
	strbuf_release(&name);
	strbuf_release(&id);
	return res;
}

static enum template_result fn_resource_id(const struct template_scope *scope, json_t **args,
					   size_t nr, json_t **out, struct strbuf *err)
{
	return resource_id_common(scope, args, nr, out, 0, err);
}

static enum template_result fn_subscription_resource_id(const struct template_scope *scope,
							json_t **args, size_t nr, json_t **out,
							struct strbuf *err)
{
	return resource_id_common(scope, args, nr, out, 1, err);
}

static enum template_result fn_reference(const struct template_scope *scope, json_t **args,
					 size_t nr, json_t **out, struct strbuf *err)
{
	const char *api_version = NULL;
	int full = 0;

	if (want_string("reference", args, 0, err))
		return TEMPLATE_INVALID;
	if (nr > 1) {
		if (want_string("reference", args, 1, err))
			return TEMPLATE_INVALID;
		api_version = json_string_value(args[1]);
	}
	if (nr > 2) {
		if (want_string("reference", args, 2, err))
			return TEMPLATE_INVALID;
		full = !strcasecmp(json_string_value(args[2]), "Full");
	}
	if (!scope->host || !scope->host->reference) {
		strbuf_addstr(err, "reference() is not available here");
		return TEMPLATE_INVALID;
	}
	if (!strchr(json_string_value(args[0]), '/')) {
		strbuf_addf(err, "reference(): '%s' is not a resource id (references by name "
			    "need a resource in the same template, which armsim does not support)",
			    json_string_value(args[0]));
		return TEMPLATE_INVALID;
	}
	return scope->host->reference(scope->host->data, json_string_value(args[0]), api_version,
				      full, out, err);
}

static enum template_result fn_subscription(const struct template_scope *scope, json_t **args,
					    size_t nr, json_t **out, struct strbuf *err)
{
	const char *sub = scope->subscription_id ? scope->subscription_id : "";
	char id[256];
	(void)args;
	(void)nr;
	(void)err;
	snprintf(id, sizeof(id), "/subscriptions/%s", sub);
	*out = json_pack("{s:s, s:s}", "id", id, "subscriptionId", sub);
	return TEMPLATE_OK;
}

static enum template_result fn_resource_group(const struct template_scope *scope, json_t **args,
					      size_t nr, json_t **out, struct strbuf *err)
{
	struct strbuf id = STRBUF_INIT;
	(void)args;
	(void)nr;
	if (!scope->resource_group) {
		strbuf_addstr(err, "resourceGroup() is not available at this scope");
		return TEMPLATE_INVALID;
	}
	strbuf_addf(&id, "/subscriptions/%s/resourceGroups/%s",
		    scope->subscription_id ? scope->subscription_id : "", scope->resource_group);
	*out = json_pack("{s:s, s:s, s:s}", "id", id.buf, "name", scope->resource_group,
			 "location", scope->location ? scope->location : "");
	strbuf_release(&id);
	return TEMPLATE_OK;
}

static enum template_result fn_request_context(const struct template_scope *scope, json_t **args,
					       size_t nr, json_t **out, struct strbuf *err)
{
	(void)args;
	(void)nr;
	(void)err;
	*out = json_pack("{s:s}", "apiVersion", scope->api_version ? scope->api_version : "");
	return TEMPLATE_OK;
}

static const struct template_func funcs[] = {
	{ "and", 1, 64, fn_and },
	{ "bool", 1, 1, fn_bool },
	{ "coalesce", 1, 64, fn_coalesce },
	{ "concat", 0, 64, fn_concat },
	{ "contains", 2, 2, fn_contains },
	{ "createArray", 0, 64, fn_create_array },
	{ "createObject", 0, 64, fn_create_object },
	{ "current", 0, 1, fn_current },
	{ "empty", 1, 1, fn_empty },
	{ "equals", 2, 2, fn_equals },
	{ "false", 0, 0, fn_false },
	{ "field", 1, 1, fn_field },
	{ "first", 1, 1, fn_first },
	{ "greater", 2, 2, fn_greater },
	{ "greaterOrEquals", 2, 2, fn_greater_or_equals },
	{ "if", 3, 3, NULL },
	{ "json", 1, 1, fn_json },
	{ "last", 1, 1, fn_last },
	{ "length", 1, 1, fn_length },
	{ "less", 2, 2, fn_less },
	{ "lessOrEquals", 2, 2, fn_less_or_equals },
	{ "not", 1, 1, fn_not },
	{ "null", 0, 0, fn_null },
	{ "or", 1, 64, fn_or },
	{ "parameters", 1, 1, fn_parameters },
	{ "reference", 1, 3, fn_reference },
	{ "replace", 3, 3, fn_replace },
	{ "requestContext", 0, 0, fn_request_context },
	{ "resourceGroup", 0, 0, fn_resource_group },
	{ "resourceId", 2, 16, fn_resource_id },
	{ "split", 2, 2, fn_split },
	{ "string", 1, 1, fn_string },
	{ "subscription", 0, 0, fn_subscription },
	{ "subscriptionResourceId", 2, 16, fn_subscription_resource_id },
	{ "toLower", 1, 1, fn_tolower },
	{ "toUpper", 1, 1, fn_toupper },
	{ "true", 0, 0, fn_true },
	{ "union", 1, 64, fn_union },
	{ "variables", 1, 1, fn_variables },
};

static const struct template_func *find_func(const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < ARRAY_SIZE(funcs); i++)
		if (strlen(funcs[i].name) == len && !strncasecmp(funcs[i].name, name, len))
			return &funcs[i];
	return NULL;
}

/* ---------- parser ---------- */

struct parser {
	const char *text;  /* the whole expression, for messages */
	const char *p;     /* current position */
	const char *end;   /* the closing ']' */
	struct strbuf *err;
};

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end && isspace((unsigned char)*ps->p))
		ps->p++;
}

static struct template_expr *parse_fail(struct parser *ps, const char *what)
{
	strbuf_addf(ps->err, "expression '%s': %s at column %zu", ps->text, what,
		    (size_t)(ps->p - ps->text) + 1);
	return NULL;
}

static struct template_expr *new_expr(enum expr_kind kind)
{
	struct template_expr *e = xcalloc(1, sizeof(*e));
	e->kind = kind;
	return e;
}

static struct template_expr *parse_expr(struct parser *ps);

static struct template_expr *parse_primary(struct parser *ps)
{
	struct template_expr *e;

	skip_space(ps);
	if (ps->p >= ps->end)
		return parse_fail(ps, "unexpected end");
	if (*ps->p == '\'') {
		struct strbuf sb = STRBUF_INIT;
		ps->p++;
		for (;;) {
			if (ps->p >= ps->end) {
				strbuf_release(&sb);
				return parse_fail(ps, "unterminated string");
			}
			if (*ps->p == '\'') {
				if (ps->p + 1 < ps->end && ps->p[1] == '\'') {
					strbuf_addch(&sb, '\'');
					ps->p += 2;
					continue;
				}
				ps->p++;
				break;
			}
			strbuf_addch(&sb, *ps->p++);
		}
		e = new_expr(EXPR_LITERAL);
		e->literal = json_stringn(sb.buf, sb.len);
		strbuf_release(&sb);
		return e;
	}
	if (isdigit((unsigned char)*ps->p) || *ps->p == '-') {
		char *num_end;
		double d = strtod(ps->p, &num_end);
		if (num_end == ps->p || num_end > ps->end)
			return parse_fail(ps, "bad number");
		e = new_expr(EXPR_LITERAL);
		if (d == floor(d) && fabs(d) < 9e15 && !memchr(ps->p, '.', (size_t)(num_end - ps->p)))
			e->literal = json_integer((json_int_t)d);
		else
			e->literal = json_real(d);
		ps->p = num_end;
		return e;
	}
	if (isalpha((unsigned char)*ps->p) || *ps->p == '_') {
		const char *name = ps->p;
		size_t len;
		const struct template_func *func;

		while (ps->p < ps->end && (isalnum((unsigned char)*ps->p) || *ps->p == '_'))
			ps->p++;
		len = (size_t)(ps->p - name);
		skip_space(ps);
		if (ps->p >= ps->end || *ps->p != '(') {
			if (len == 4 && !strncasecmp(name, "true", 4)) {
				e = new_expr(EXPR_LITERAL);
				e->literal = json_true();
				return e;
			}
			if (len == 5 && !strncasecmp(name, "false", 5)) {
				e = new_expr(EXPR_LITERAL);
				e->literal = json_false();
				return e;
			}
			return parse_fail(ps, "expected '(' after a function name");
		}
		func = find_func(name, len);
		if (!func) {
			strbuf_addf(ps->err, "expression '%s': unsupported template function '%.*s'",
				    ps->text, (int)len, name);
			return NULL;
		}
		ps->p++;
		e = new_expr(EXPR_CALL);
		e->func = func;
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ')') {
			ps->p++;
		} else {
			size_t alloc = 0;
			for (;;) {
				struct template_expr *arg = parse_expr(ps);
				if (!arg) {
					template_expr_free(e);
					return NULL;
				}
				ALLOC_GROW(e->args, e->nr_args + 1, alloc);
				e->args[e->nr_args++] = arg;
				skip_space(ps);
				if (ps->p < ps->end && *ps->p == ',') {
					ps->p++;
					continue;
				}
				if (ps->p < ps->end && *ps->p == ')') {
					ps->p++;
					break;
				}
				template_expr_free(e);
				return parse_fail(ps, "expected ',' or ')'");
			}
		}
		if (e->nr_args < func->min_args || e->nr_args > func->max_args) {
			strbuf_addf(ps->err, "expression '%s': %s() takes %zu to %zu arguments, got %zu",
				    ps->text, func->name, func->min_args, func->max_args, e->nr_args);
			template_expr_free(e);
			return NULL;
		}
		return e;
	}
	return parse_fail(ps, "unexpected character");
}

static struct template_expr *parse_expr(struct parser *ps)
{
	struct template_expr *e = parse_primary(ps);

	while (e) {
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == '.') {
			const char *name;
			struct template_expr *m;
			ps->p++;
			skip_space(ps);
			name = ps->p;
			while (ps->p < ps->end && (isalnum((unsigned char)*ps->p) || *ps->p == '_' ||
						   *ps->p == '$'))
				ps->p++;
			if (ps->p == name) {
				template_expr_free(e);
				return parse_fail(ps, "expected a property name after '.'");
			}
			m = new_expr(EXPR_MEMBER);
			m->object = e;
			m->member = xstrndup(name, (size_t)(ps->p - name));
			e = m;
		} else if (ps->p < ps->end && *ps->p == '[') {
			struct template_expr *ix, *idx;
			ps->p++;
			idx = parse_expr(ps);
			if (!idx) {
				template_expr_free(e);
				return NULL;
			}
			skip_space(ps);
			if (ps->p >= ps->end || *ps->p != ']') {
				template_expr_free(idx);
				template_expr_free(e);
				return parse_fail(ps, "expected ']'");
			}
			ps->p++;
			ix = new_expr(EXPR_INDEX);
			ix->object = e;
			ix->args = xmalloc(sizeof(*ix->args));
			ix->args[0] = idx;
			ix->nr_args = 1;
			e = ix;
		} else {
			break;
		}
	}
	return e;
}

int template_is_expression(const char *s)
{
	size_t len = strlen(s);
	return len >= 2 && s[0] == '[' && s[1] != '[' && s[len - 1] == ']';
}

enum template_result template_expr_parse(const char *text, struct template_expr **out,
					 struct strbuf *err)
{
	struct parser ps;
	struct template_expr *e;

	*out = NULL;
	if (!template_is_expression(text)) {
		strbuf_addf(err, "'%s' is not an expression", text);
		return TEMPLATE_INVALID;
	}
	ps.text = text;
	ps.p = text + 1;
	ps.end = text + strlen(text) - 1;
	ps.err = err;
	e = parse_expr(&ps);
	if (!e)
		return TEMPLATE_INVALID;
	skip_space(&ps);
	if (ps.p != ps.end) {
		template_expr_free(e);
		parse_fail(&ps, "unexpected text after the expression");
		return TEMPLATE_INVALID;
	}
	*out = e;
	return TEMPLATE_OK;
}

void template_expr_free(struct template_expr *expr)
{
	size_t i;
	if (!expr)
		return;
	json_decref(expr->literal);
	for (i = 0; i < expr->nr_args; i++)
		template_expr_free(expr->args[i]);
	free(expr->args);
	template_expr_free(expr->object);
	free(expr->member);
	free(expr);
}

/* ---------- evaluation ---------- */

static enum template_result eval_call(const struct template_expr *e,
				      const struct template_scope *scope, json_t **out,
				      struct strbuf *err)
{
	json_t *stack_args[8], **args = stack_args;
	size_t i, done = 0;
	enum template_result res;

	if (!e->func->fn) { /* if(): only the chosen branch runs */
		json_t *cond = NULL;
		res = template_expr_eval(e->args[0], scope, &cond, err);
		if (res)
			return res;
		if (!json_is_boolean(cond)) {
			strbuf_addf(err, "if(): the condition must be a bool, not %s", kind_name(cond));
			json_decref(cond);
			return TEMPLATE_INVALID;
		}
		i = json_is_true(cond) ? 1 : 2;
		json_decref(cond);
		return template_expr_eval(e->args[i], scope, out, err);
	}
	if (e->nr_args > ARRAY_SIZE(stack_args))
		args = xmalloc(e->nr_args * sizeof(*args));
	res = TEMPLATE_OK;
	for (i = 0; i < e->nr_args && !res; i++) {
		res = template_expr_eval(e->args[i], scope, &args[i], err);
		if (!res)
			done++;
	}
	if (!res)
		res = e->func->fn(scope, args, e->nr_args, out, err);
	for (i = 0; i < done; i++)
		json_decref(args[i]);
	if (args != stack_args)
		free(args);
	return res;
}

enum template_result template_expr_eval(const struct template_expr *expr,
					const struct template_scope *scope, json_t **out,
					struct strbuf *err)
{
	json_t *obj = NULL, *idx = NULL, *v;
	enum template_result res;

	*out = NULL;
	switch (expr->kind) {
	case EXPR_LITERAL:
		*out = json_incref(expr->literal);
		return TEMPLATE_OK;
	case EXPR_CALL:
		return eval_call(expr, scope, out, err);
	case EXPR_MEMBER:
		res = template_expr_eval(expr->object, scope, &obj, err);
		if (res)
			return res;
		v = json_is_object(obj) ? template_object_get(obj, expr->member) : NULL;
		if (!v) {
			strbuf_addf(err, "the %s has no property '%s'", kind_name(obj), expr->member);
			json_decref(obj);
			return TEMPLATE_INVALID;
		}
		*out = json_incref(v);
		json_decref(obj);
		return TEMPLATE_OK;
	case EXPR_INDEX:
		res = template_expr_eval(expr->object, scope, &obj, err);
		if (!res)
			res = template_expr_eval(expr->args[0], scope, &idx, err);
		if (res)
			goto index_out;
		v = NULL;
		if (json_is_array(obj) && json_is_integer(idx) && json_integer_value(idx) >= 0)
			v = json_array_get(obj, (size_t)json_integer_value(idx));
		else if (json_is_object(obj) && json_is_string(idx))
			v = template_object_get(obj, json_string_value(idx));
		if (!v) {
			strbuf_addf(err, "cannot index %s with %s", kind_name(obj), kind_name(idx));
			res = TEMPLATE_INVALID;
			goto index_out;
		}
		*out = json_incref(v);
index_out:
		json_decref(obj);
		json_decref(idx);
		return res;
	}
	return TEMPLATE_INVALID;
}

enum template_result template_value_check(const json_t *value, struct strbuf *err)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_string(value) && template_is_expression(json_string_value(value))) {
		struct template_expr *e;
		if (template_expr_parse(json_string_value(value), &e, err))
			return TEMPLATE_INVALID;
		template_expr_free(e);
	} else if (json_is_object(value)) {
		json_object_foreach((json_t *)value, k, v)
			if (template_value_check(v, err))
				return TEMPLATE_INVALID;
	} else if (json_is_array(value)) {
		json_array_foreach(value, i, v)
			if (template_value_check(v, err))
				return TEMPLATE_INVALID;
	}
	return TEMPLATE_OK;
}

enum template_result template_value_eval(const json_t *value, const struct template_scope *scope,
					 json_t **out, struct strbuf *err)
{
	const char *k;
	json_t *v, *r;
	size_t i;
	enum template_result res;

	*out = NULL;
	if (json_is_string(value)) {
		const char *s = json_string_value(value);
		struct template_expr *e;
		if (s[0] == '[' && s[1] == '[') {
			*out = json_string(s + 1);
			return TEMPLATE_OK;
		}
		if (!template_is_expression(s)) {
			*out = json_incref((json_t *)value);
			return TEMPLATE_OK;
		}
		res = template_expr_parse(s, &e, err);
		if (res)
			return res;
		res = template_expr_eval(e, scope, out, err);
		template_expr_free(e);
		return res;
	}
	if (json_is_object(value)) {
		json_t *obj = json_object();
		json_object_foreach((json_t *)value, k, v) {
			res = template_value_eval(v, scope, &r, err);
			if (res) {
				json_decref(obj);
				return res;
			}
			json_object_set_new(obj, k, r);
		}
		*out = obj;
		return TEMPLATE_OK;
	}
	if (json_is_array(value)) {
		json_t *arr = json_array();
		json_array_foreach(value, i, v) {
			res = template_value_eval(v, scope, &r, err);
			if (res) {
				json_decref(arr);
				return res;
			}
			json_array_append_new(arr, r);
		}
		*out = arr;
		return TEMPLATE_OK;
	}
	*out = json_incref((json_t *)value);
	return TEMPLATE_OK;
}

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
