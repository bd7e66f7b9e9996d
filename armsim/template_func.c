/*
 * template_func — the ARM template functions armsim knows (concat, parameters, resourceId,
 * reference, if, ...) and the value helpers they share with the rest of the template module.
 * Each function checks its argument kinds and names itself in errors; the table at the end
 * gives every function its arity so the parser can refuse a wrong call before it runs.
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

const char *template_kind_name(const json_t *v)
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
		    template_kind_name(args[i]));
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
		    template_kind_name(args[i]));
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
	strbuf_addf(err, "%s(): cannot compare %s with %s", fname, template_kind_name(args[0]),
		    template_kind_name(args[1]));
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
					    i + 1, template_kind_name(args[i]));
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
					    i + 1, template_kind_name(args[i]));
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
	strbuf_addf(err, "union(): arguments must be objects or arrays, not %s", template_kind_name(args[0]));
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
		strbuf_addf(err, "length(): cannot measure %s", template_kind_name(v));
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
		strbuf_addf(err, "contains(): cannot look for %s in %s", template_kind_name(x), template_kind_name(c));
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
		strbuf_addf(err, "bool(): cannot convert %s", template_kind_name(args[0]));
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
			    template_kind_name(v));
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

const struct template_func *template_func_find(const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < ARRAY_SIZE(funcs); i++)
		if (strlen(funcs[i].name) == len && !strncasecmp(funcs[i].name, name, len))
			return &funcs[i];
	return NULL;
}
