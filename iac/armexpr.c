/*
 * armexpr — a recursive-descent evaluator for ARM template expressions (see armexpr.h).
 *
 * Parsing and evaluation are one pass. `skip` parses without evaluating, so if() evaluates
 * only the branch it takes (ARM does the same: the other branch may call functions that
 * would fail).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iac/armexpr.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define UNKNOWN_KEY "\001unknown"
#define MAX_DEPTH 32
#define MAX_STRING ((size_t)1 << 20) /* longer string results are unknown, never truncated */

struct parser {
	struct armexpr_scope *scope;
	const char *text; /* the expression without its brackets */
	size_t pos, len;
	char *error;      /* first syntax error (owned) */
	unsigned nesting; /* of parentheses, bounded like jansson's depth */
};

json_t *armexpr_unknown(const char *why)
{
	return json_pack("{s:s}", UNKNOWN_KEY, why ? why : "unknown");
}

const char *armexpr_unknown_why(const json_t *v)
{
	json_t *why;
	if (!json_is_object(v) || json_object_size(v) != 1)
		return NULL;
	why = json_object_get(v, UNKNOWN_KEY);
	return why ? json_string_value(why) : NULL;
}

void armexpr_scope_init(struct armexpr_scope *scope, json_t *template_json)
{
	memset(scope, 0, sizeof(*scope));
	scope->parameters = json_object_get(template_json, "parameters");
	scope->variables = json_object_get(template_json, "variables");
	scope->given = json_object();
	scope->cache = json_object();
}

void armexpr_scope_give(struct armexpr_scope *scope, const char *name, json_t *value)
{
	struct strbuf key = STRBUF_INIT;
	const char *p;
	for (p = name; *p; p++)
		strbuf_addch(&key, tolower((unsigned char)*p));
	json_object_set_new(scope->given, key.buf, value);
	strbuf_release(&key);
}

void armexpr_scope_release(struct armexpr_scope *scope)
{
	json_decref(scope->given);
	json_decref(scope->cache);
	memset(scope, 0, sizeof(*scope));
}

int armexpr_is_expression(const char *s)
{
	size_t n = strlen(s);
	return n >= 2 && s[0] == '[' && s[1] != '[' && s[n - 1] == ']';
}

/* ARM names are case-insensitive: the member of obj named name, borrowed. */
static json_t *get_nocase(json_t *obj, const char *name)
{
	const char *key;
	json_t *v;
	if (!json_is_object(obj))
		return NULL;
	v = json_object_get(obj, name);
	if (v)
		return v;
	json_object_foreach(obj, key, v)
		if (!strcasecmp(key, name))
			return v;
	return NULL;
}

static json_t *unknownf(const char *fmt, const char *arg)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *v;
	strbuf_addf(&sb, fmt, arg);
	v = armexpr_unknown(sb.buf);
	strbuf_release(&sb);
	return v;
}

static json_t *evaluate_string(struct armexpr_scope *scope, const char *s);

/* parameters('name'): given value, else the resolved defaultValue. */
static json_t *lookup_parameter(struct armexpr_scope *scope, const char *name)
{
	struct strbuf key = STRBUF_INIT;
	json_t *decl, *v, *cached;
	const char *p;

	strbuf_addstr(&key, "p:");
	for (p = name; *p; p++)
		strbuf_addch(&key, tolower((unsigned char)*p));
	cached = json_object_get(scope->cache, key.buf);
	if (cached) {
		v = json_incref(cached);
		goto out;
	}
	v = json_object_get(scope->given, key.buf + 2);
	if (v) {
		v = json_incref(v);
		goto out;
	}
	decl = get_nocase(scope->parameters, name);
	if (!decl) {
		v = unknownf("parameters('%s') is not declared", name);
		goto out;
	}
	if (!json_object_get(decl, "defaultValue")) {
		v = unknownf("parameter '%s' has no default and no value (pass --parameters FILE)",
			     name);
		goto out;
	}
	if (scope->depth >= MAX_DEPTH) {
		v = unknownf("parameter '%s' refers to itself or nests too deeply", name);
		goto out;
	}
	scope->depth++;
	v = armexpr_resolve_deep(scope, json_object_get(decl, "defaultValue"));
	scope->depth--;
	json_object_set(scope->cache, key.buf, v);
out:
	strbuf_release(&key);
	return v;
}

static json_t *lookup_variable(struct armexpr_scope *scope, const char *name)
{
	struct strbuf key = STRBUF_INIT;
	json_t *decl, *v, *cached;
	const char *p;

	strbuf_addstr(&key, "v:");
	for (p = name; *p; p++)
		strbuf_addch(&key, tolower((unsigned char)*p));
	cached = json_object_get(scope->cache, key.buf);
	if (cached) {
		v = json_incref(cached);
		goto out;
	}
	decl = get_nocase(scope->variables, name);
	if (!decl) {
		v = unknownf(get_nocase(scope->variables, "copy")
				     ? "variables('%s') comes from a variable copy loop, which is not evaluated"
				     : "variables('%s') is not declared", name);
		goto out;
	}
	if (scope->depth >= MAX_DEPTH) {
		v = unknownf("variable '%s' refers to itself or nests too deeply", name);
		goto out;
	}
	scope->depth++;
	/* A circular reference resolves to unknown instead of recursing forever. */
	json_object_set_new(scope->cache, key.buf,
			    unknownf("variable '%s' refers to itself", name));
	v = armexpr_resolve_deep(scope, decl);
	scope->depth--;
	json_object_set(scope->cache, key.buf, v);
out:
	strbuf_release(&key);
	return v;
}

/* ---- the parser ---- */

static void syntax_error(struct parser *p, const char *what)
{
	struct strbuf sb = STRBUF_INIT;
	if (p->error)
		return;
	strbuf_addf(&sb, "%s at offset %zu", what, p->pos + 1);
	p->error = strbuf_detach(&sb, NULL);
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && isspace((unsigned char)p->text[p->pos]))
		p->pos++;
}

static int accept(struct parser *p, char c)
{
	skip_ws(p);
	if (p->pos < p->len && p->text[p->pos] == c) {
		p->pos++;
		return 1;
	}
	return 0;
}

static int is_truthy(const json_t *v)
{
	return json_is_true(v);
}

/* Writes v as ARM's string() does. */
static void add_as_string(struct strbuf *sb, const json_t *v)
{
	char *dump;
	switch (json_typeof(v)) {
	case JSON_STRING:
		strbuf_add(sb, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		strbuf_addf(sb, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_TRUE:
		strbuf_addstr(sb, "True");
		break;
	case JSON_FALSE:
		strbuf_addstr(sb, "False");
		break;
	case JSON_NULL:
		break;
	default:
		dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (dump)
			strbuf_addstr(sb, dump);
		free(dump);
		break;
	}
}

static json_t *arg_error(const char *fn, const char *what)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *v;
	strbuf_addf(&sb, "%s(): %s", fn, what);
	v = armexpr_unknown(sb.buf);
	strbuf_release(&sb);
	return v;
}

static json_t *call_function(struct parser *p, const char *fn, json_t **args, size_t n);
static json_t *parse_expr(struct parser *p, int skip);

static json_t *parse_string_literal(struct parser *p)
{
	struct strbuf sb = STRBUF_INIT;
	p->pos++; /* opening quote */
	for (;;) {
		if (p->pos >= p->len) {
			syntax_error(p, "unterminated string");
			break;
		}
		if (p->text[p->pos] == '\'') {
			if (p->pos + 1 < p->len && p->text[p->pos + 1] == '\'') {
				strbuf_addch(&sb, '\'');
				p->pos += 2;
				continue;
			}
			p->pos++;
			break;
		}
		strbuf_addch(&sb, p->text[p->pos++]);
	}
	{
		json_t *v = json_stringn(sb.buf, sb.len);
		strbuf_release(&sb);
		return v ? v : armexpr_unknown("a string literal is not valid UTF-8");
	}
}

static json_t *parse_number(struct parser *p)
{
	char buf[32];
	size_t start = p->pos, n;
	long long value;
	char *end;
	if (p->text[p->pos] == '-')
		p->pos++;
	while (p->pos < p->len && isdigit((unsigned char)p->text[p->pos]))
		p->pos++;
	n = p->pos - start;
	if (n == 0 || n >= sizeof(buf)) {
		syntax_error(p, "bad number");
		return json_null();
	}
	memcpy(buf, p->text + start, n);
	buf[n] = '\0';
	errno = 0;
	value = strtoll(buf, &end, 10);
	if (errno || *end) {
		syntax_error(p, "bad number");
		return json_null();
	}
	return json_integer(value);
}

/* Applies property and index accessors after a primary value (stolen). */
static json_t *parse_accessors(struct parser *p, json_t *v, int skip)
{
	for (;;) {
		skip_ws(p);
		if (p->pos < p->len && p->text[p->pos] == '.') {
			size_t start;
			struct strbuf name = STRBUF_INIT;
			p->pos++;
			skip_ws(p);
			start = p->pos;
			while (p->pos < p->len && (isalnum((unsigned char)p->text[p->pos]) ||
						   p->text[p->pos] == '_' || p->text[p->pos] == '$'))
				p->pos++;
			if (p->pos == start) {
				syntax_error(p, "expected a property name after '.'");
				return v;
			}
			strbuf_add(&name, p->text + start, p->pos - start);
			if (!skip && !armexpr_unknown_why(v)) {
				json_t *member = get_nocase(v, name.buf);
				json_t *next = member ? json_incref(member)
					: unknownf(json_is_object(v) ? "the value has no property '%s'"
								     : "property '%s' of a value that is not an object",
						   name.buf);
				json_decref(v);
				v = next;
			}
			strbuf_release(&name);
		} else if (p->pos < p->len && p->text[p->pos] == '[') {
			json_t *index;
			p->pos++;
			index = parse_expr(p, skip);
			if (!accept(p, ']'))
				syntax_error(p, "expected ']'");
			if (!skip && !armexpr_unknown_why(v)) {
				json_t *next;
				if (armexpr_unknown_why(index))
					next = json_incref(index);
				else if (json_is_array(v) && json_is_integer(index) &&
					 json_integer_value(index) >= 0 &&
					 (size_t)json_integer_value(index) < json_array_size(v))
					next = json_incref(json_array_get(v, (size_t)json_integer_value(index)));
				else if (json_is_object(v) && json_is_string(index) &&
					 get_nocase(v, json_string_value(index)))
					next = json_incref(get_nocase(v, json_string_value(index)));
				else
					next = armexpr_unknown("an index is out of range or of the wrong type");
				json_decref(v);
				v = next;
			}
			json_decref(index);
		} else {
			return v;
		}
	}
}

static json_t *parse_call(struct parser *p, int skip)
{
	struct strbuf fn = STRBUF_INIT;
	json_t **args = NULL, *result = NULL;
	size_t n = 0, alloc = 0, i, start = p->pos;

	while (p->pos < p->len && (isalnum((unsigned char)p->text[p->pos]) || p->text[p->pos] == '_' ||
				   p->text[p->pos] == '.'))
		p->pos++;
	strbuf_add(&fn, p->text + start, p->pos - start);
	if (strchr(fn.buf, '.')) {
		/* namespace.function(): a user-defined function; parse its arguments, skip them */
		int user_skip = 1;
		if (!accept(p, '(')) {
			syntax_error(p, "expected '(' after a function name");
		} else if (!accept(p, ')')) {
			do
				json_decref(parse_expr(p, user_skip));
			while (accept(p, ',') && !p->error);
			if (!accept(p, ')'))
				syntax_error(p, "expected ')'");
		}
		result = skip ? json_null()
			      : unknownf("the user-defined function %s() is not evaluated", fn.buf);
		goto out;
	}
	if (!accept(p, '(')) {
		syntax_error(p, "expected '(' after a function name");
		result = json_null();
		goto out;
	}
	if (++p->nesting > MAX_DEPTH) {
		syntax_error(p, "expression nests too deeply");
		result = json_null();
		p->pos = p->len;
		goto out;
	}
	if (!strcasecmp(fn.buf, "if")) {
		json_t *cond = parse_expr(p, skip), *a, *b;
		int known = !armexpr_unknown_why(cond), take = known && is_truthy(cond);
		if (!accept(p, ','))
			syntax_error(p, "if() needs three arguments");
		a = parse_expr(p, skip || (known && !take));
		if (!accept(p, ','))
			syntax_error(p, "if() needs three arguments");
		b = parse_expr(p, skip || (known && take));
		if (!accept(p, ')'))
			syntax_error(p, "expected ')'");
		if (skip)
			result = json_null();
		else if (!known)
			result = json_incref(cond);
		else if (!json_is_boolean(cond))
			result = arg_error("if", "the condition is not a bool");
		else
			result = json_incref(take ? a : b);
		json_decref(cond);
		json_decref(a);
		json_decref(b);
		p->nesting--;
		goto out;
	}
	skip_ws(p);
	if (!accept(p, ')')) {
		do {
			ALLOC_GROW(args, n + 1, alloc);
			args[n++] = parse_expr(p, skip);
		} while (accept(p, ',') && !p->error);
		if (!accept(p, ')'))
			syntax_error(p, "expected ')'");
	}
	p->nesting--;
	result = skip || p->error ? json_null() : call_function(p, fn.buf, args, n);
out:
	for (i = 0; i < n; i++)
		json_decref(args[i]);
	free(args);
	strbuf_release(&fn);
	return parse_accessors(p, result, skip);
}

static json_t *parse_expr(struct parser *p, int skip)
{
	char c;
	skip_ws(p);
	if (p->pos >= p->len) {
		syntax_error(p, "expected a value");
		return json_null();
	}
	c = p->text[p->pos];
	if (c == '\'')
		return parse_accessors(p, parse_string_literal(p), skip);
	if (c == '-' || isdigit((unsigned char)c))
		return parse_number(p);
	if (isalpha((unsigned char)c) || c == '_')
		return parse_call(p, skip);
	syntax_error(p, "unexpected character");
	p->pos = p->len;
	return json_null();
}

static json_t *evaluate_string(struct armexpr_scope *scope, const char *s)
{
	struct parser p = { scope, s + 1, 0, strlen(s) - 2, NULL, 0 };
	json_t *v = parse_expr(&p, 0);
	skip_ws(&p);
	if (!p.error && p.pos < p.len)
		syntax_error(&p, "unexpected text after the expression");
	if (p.error) {
		struct strbuf sb = STRBUF_INIT;
		json_decref(v);
		strbuf_addf(&sb, "cannot parse the expression '%.200s': %s", s, p.error);
		v = armexpr_unknown(sb.buf);
		strbuf_release(&sb);
		free(p.error);
	}
	return v;
}

json_t *armexpr_resolve(struct armexpr_scope *scope, json_t *value)
{
	const char *s;
	if (!value)
		return json_null();
	if (!json_is_string(value))
		return json_incref(value);
	s = json_string_value(value);
	if (s[0] == '[' && s[1] == '[')
		return json_string(s + 1);
	if (armexpr_is_expression(s))
		return evaluate_string(scope, s);
	return json_incref(value);
}

json_t *armexpr_resolve_deep(struct armexpr_scope *scope, json_t *value)
{
	json_t *out, *member;
	const char *key;
	size_t i;

	if (json_is_object(value)) {
		if (armexpr_unknown_why(value))
			return json_incref(value);
		if (json_object_get(value, "copy") && json_is_array(json_object_get(value, "copy")))
			return armexpr_unknown("a property copy loop is not evaluated");
		out = json_object();
		json_object_foreach(value, key, member)
			json_object_set_new(out, key, armexpr_resolve_deep(scope, member));
		return out;
	}
	if (json_is_array(value)) {
		out = json_array();
		json_array_foreach(value, i, member)
			json_array_append_new(out, armexpr_resolve_deep(scope, member));
		return out;
	}
	if (json_is_string(value) && armexpr_is_expression(json_string_value(value))) {
		json_t *v = armexpr_resolve(scope, value);
		/* An expression's result is a value, not more template: no second evaluation. */
		return v;
	}
	return armexpr_resolve(scope, value);
}

/* ---- the functions ---- */

static const char *const deployment_only[] = {
	"reference", "resourceGroup", "subscription", "tenant", "managementGroup", "deployment",
	"environment", "uniqueString", "guid", "newGuid", "utcNow", "resourceId",
	"subscriptionResourceId", "tenantResourceId", "extensionResourceId",
	"managementGroupResourceId", "list", "listKeys", "listSecrets", "listAccountSas",
	"pickZones", "providers", "dateTimeAdd", "dateTimeFromEpoch", "dateTimeToEpoch",
	"base64", "base64ToString", "dataUri", "uri", "uriComponent", "uriComponentToString",
	"reference", "references", "listCallbackUrl", "lambda", "filter", "map", "reduce", "sort",
	"toObject", "items", "range", "take", "skip", "min", "max", "intersection", "indexOf",
	"lastIndexOf", "padLeft", "getSecret", "objectKeys", "shallowMerge", "tryGet", "flatten",
	"loadJsonContent", "loadTextContent", "loadFileAsBase64", "parseCidr", "cidrSubnet",
	"cidrHost",
};

static int arg_strings(json_t **args, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!json_is_string(args[i]))
			return 0;
	return 1;
}

static json_t *string_fn(const char *fn, json_t **args, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *v = NULL;
	size_t i;

	if (!strcasecmp(fn, "toLower") || !strcasecmp(fn, "toUpper") || !strcasecmp(fn, "trim")) {
		if (n != 1 || !json_is_string(args[0]))
			return arg_error(fn, "expects one string");
		strbuf_addstr(&sb, json_string_value(args[0]));
		if (!strcasecmp(fn, "trim"))
			strbuf_trim(&sb);
		else
			for (i = 0; i < sb.len; i++)
				sb.buf[i] = (char)(!strcasecmp(fn, "toLower") ? tolower((unsigned char)sb.buf[i])
									      : toupper((unsigned char)sb.buf[i]));
	} else if (!strcasecmp(fn, "replace")) {
		const char *s, *from, *hit;
		size_t from_len;
		if (n != 3 || !arg_strings(args, 3))
			return arg_error(fn, "expects three strings");
		s = json_string_value(args[0]);
		from = json_string_value(args[1]);
		from_len = strlen(from);
		if (!from_len) {
			strbuf_addstr(&sb, s);
		} else {
			while ((hit = strstr(s, from))) {
				strbuf_add(&sb, s, (size_t)(hit - s));
				strbuf_addstr(&sb, json_string_value(args[2]));
				s = hit + from_len;
				if (sb.len > MAX_STRING)
					break;
			}
			strbuf_addstr(&sb, s);
		}
	} else if (!strcasecmp(fn, "substring")) {
		long long start = 0, len;
		size_t slen;
		if (n < 2 || n > 3 || !json_is_string(args[0]) || !json_is_integer(args[1]) ||
		    (n == 3 && !json_is_integer(args[2])))
			return arg_error(fn, "expects a string, a start and a length");
		slen = json_string_length(args[0]);
		start = json_integer_value(args[1]);
		len = n == 3 ? json_integer_value(args[2]) : (long long)slen - start;
		if (start < 0 || len < 0 || (unsigned long long)start + (unsigned long long)len > slen)
			return arg_error(fn, "start or length out of range");
		strbuf_add(&sb, json_string_value(args[0]) + start, (size_t)len);
	} else {
		/* format('{0}-{1}', ...) */
		const char *f;
		if (n < 1 || !json_is_string(args[0]))
			return arg_error(fn, "expects a format string");
		for (f = json_string_value(args[0]); *f; f++) {
			char *end;
			long index;
			if (*f == '{' && f[1] == '{') {
				strbuf_addch(&sb, '{');
				f++;
			} else if (*f == '}' && f[1] == '}') {
				strbuf_addch(&sb, '}');
				f++;
			} else if (*f == '{') {
				index = strtol(f + 1, &end, 10);
				if (end == f + 1 || index < 0 || (size_t)index + 1 >= n) {
					strbuf_release(&sb);
					return arg_error(fn, "a placeholder has no argument");
				}
				while (*end && *end != '}')
					end++; /* format specifiers (":N0") are not applied */
				add_as_string(&sb, args[index + 1]);
				if (!*end)
					break;
				f = end;
			} else {
				strbuf_addch(&sb, *f);
			}
		}
	}
	if (sb.len > MAX_STRING) {
		strbuf_release(&sb);
		return arg_error(fn, "the result is longer than 1 MiB");
	}
	v = json_stringn(sb.buf, sb.len);
	strbuf_release(&sb);
	return v ? v : arg_error(fn, "the result is not valid UTF-8");
}

static json_t *compare_fn(const char *fn, json_t **args, size_t n)
{
	int c;
	if (n != 2)
		return arg_error(fn, "expects two values");
	if (json_is_integer(args[0]) && json_is_integer(args[1])) {
		long long a = json_integer_value(args[0]), b = json_integer_value(args[1]);
		c = a < b ? -1 : a > b;
	} else if (json_is_string(args[0]) && json_is_string(args[1])) {
		c = strcmp(json_string_value(args[0]), json_string_value(args[1]));
	} else {
		return arg_error(fn, "compares two ints or two strings");
	}
	if (!strcasecmp(fn, "less"))
		return json_boolean(c < 0);
	if (!strcasecmp(fn, "lessOrEquals"))
		return json_boolean(c <= 0);
	if (!strcasecmp(fn, "greater"))
		return json_boolean(c > 0);
	return json_boolean(c >= 0);
}

static json_t *arith_fn(const char *fn, json_t **args, size_t n)
{
	long long a, b, r;
	if (n != 2 || !json_is_integer(args[0]) || !json_is_integer(args[1]))
		return arg_error(fn, "expects two ints");
	a = json_integer_value(args[0]);
	b = json_integer_value(args[1]);
	if (!strcasecmp(fn, "add")) {
		if (__builtin_add_overflow(a, b, &r))
			return arg_error(fn, "overflows");
	} else if (!strcasecmp(fn, "sub")) {
		if (__builtin_sub_overflow(a, b, &r))
			return arg_error(fn, "overflows");
	} else if (!strcasecmp(fn, "mul")) {
		if (__builtin_mul_overflow(a, b, &r))
			return arg_error(fn, "overflows");
	} else {
		if (b == 0 || (a == -9223372036854775807LL - 1 && b == -1))
			return arg_error(fn, "divides by zero or overflows");
		r = !strcasecmp(fn, "div") ? a / b : a % b;
	}
	return json_integer(r);
}

static json_t *copy_index(struct parser *p, json_t **args, size_t n)
{
	struct armexpr_scope *scope = p->scope;
	const char *name = NULL;
	long long offset = 0;
	unsigned i;

	if (n >= 1 && json_is_string(args[0]))
		name = json_string_value(args[0]);
	else if (n >= 1 && json_is_integer(args[0]))
		offset = json_integer_value(args[0]);
	if (n == 2 && json_is_integer(args[1]))
		offset = json_integer_value(args[1]);
	for (i = scope->loop_count; i-- > 0;) {
		if (!name || (scope->loops[i].name && !strcasecmp(scope->loops[i].name, name)))
			return scope->loops[i].index < 0
				       ? armexpr_unknown("copyIndex() of a copy loop whose count is unknown")
				       : json_integer(scope->loops[i].index + offset);
	}
	return name ? unknownf("copyIndex('%s') outside that copy loop", name)
		    : armexpr_unknown("copyIndex() outside a copy loop");
}

static json_t *call_function(struct parser *p, const char *fn, json_t **args, size_t n)
{
	size_t i;
	json_t *v;

	/* and/or decide with a known false/true even when another argument is unknown. */
	if (!strcasecmp(fn, "and") || !strcasecmp(fn, "or")) {
		int is_and = !strcasecmp(fn, "and");
		const char *unknown = NULL;
		if (n < 2)
			return arg_error(fn, "expects at least two bools");
		for (i = 0; i < n; i++) {
			if (armexpr_unknown_why(args[i])) {
				unknown = armexpr_unknown_why(args[i]);
				continue;
			}
			if (!json_is_boolean(args[i]))
				return arg_error(fn, "expects bools");
			if (json_is_true(args[i]) != is_and)
				return json_boolean(!is_and);
		}
		return unknown ? armexpr_unknown(unknown) : json_boolean(is_and);
	}
	if (!strcasecmp(fn, "coalesce")) {
		for (i = 0; i < n; i++) {
			if (armexpr_unknown_why(args[i]))
				return json_incref(args[i]);
			if (!json_is_null(args[i]))
				return json_incref(args[i]);
		}
		return json_null();
	}
	for (i = 0; i < sizeof(deployment_only) / sizeof(deployment_only[0]); i++)
		if (!strcasecmp(fn, deployment_only[i]))
			return unknownf("%s() is known only at deployment", deployment_only[i]);
	for (i = 0; i < n; i++)
		if (armexpr_unknown_why(args[i]))
			return json_incref(args[i]);

	if (!strcasecmp(fn, "parameters") || !strcasecmp(fn, "variables")) {
		if (n != 1 || !json_is_string(args[0]))
			return arg_error(fn, "expects one name");
		return tolower((unsigned char)fn[0]) == 'p'
			       ? lookup_parameter(p->scope, json_string_value(args[0]))
			       : lookup_variable(p->scope, json_string_value(args[0]));
	}
	if (!strcasecmp(fn, "copyIndex"))
		return copy_index(p, args, n);
	if (!strcasecmp(fn, "concat")) {
		if (n > 0 && json_is_array(args[0])) {
			v = json_array();
			for (i = 0; i < n; i++) {
				if (!json_is_array(args[i])) {
					json_decref(v);
					return arg_error(fn, "mixes arrays and other values");
				}
				json_array_extend(v, args[i]);
			}
			return v;
		} else {
			struct strbuf sb = STRBUF_INIT;
			for (i = 0; i < n && sb.len <= MAX_STRING; i++) {
				if (json_is_object(args[i]) || json_is_array(args[i])) {
					strbuf_release(&sb);
					return arg_error(fn, "mixes strings and other values");
				}
				add_as_string(&sb, args[i]);
			}
			if (sb.len > MAX_STRING) {
				strbuf_release(&sb);
				return arg_error(fn, "the result is longer than 1 MiB");
			}
			v = json_stringn(sb.buf, sb.len);
			strbuf_release(&sb);
			return v ? v : arg_error(fn, "the result is not valid UTF-8");
		}
	}
	if (!strcasecmp(fn, "format") || !strcasecmp(fn, "toLower") || !strcasecmp(fn, "toUpper") ||
	    !strcasecmp(fn, "trim") || !strcasecmp(fn, "replace") || !strcasecmp(fn, "substring"))
		return string_fn(fn, args, n);
	if (!strcasecmp(fn, "equals")) {
		if (n != 2)
			return arg_error(fn, "expects two values");
		return json_boolean(json_equal(args[0], args[1]));
	}
	if (!strcasecmp(fn, "not")) {
		if (n != 1 || !json_is_boolean(args[0]))
			return arg_error(fn, "expects one bool");
		return json_boolean(!json_is_true(args[0]));
	}
	if (!strcasecmp(fn, "true") || !strcasecmp(fn, "false"))
		return n ? arg_error(fn, "takes no arguments") : json_boolean(fn[0] == 't' || fn[0] == 'T');
	if (!strcasecmp(fn, "null"))
		return json_null();
	if (!strcasecmp(fn, "bool")) {
		if (n == 1 && json_is_boolean(args[0]))
			return json_incref(args[0]);
		if (n == 1 && json_is_integer(args[0]))
			return json_boolean(json_integer_value(args[0]) != 0);
		if (n == 1 && json_is_string(args[0]) && !strcasecmp(json_string_value(args[0]), "true"))
			return json_true();
		if (n == 1 && json_is_string(args[0]) && !strcasecmp(json_string_value(args[0]), "false"))
			return json_false();
		return arg_error(fn, "expects a bool, an int or 'true'/'false'");
	}
	if (!strcasecmp(fn, "string")) {
		struct strbuf sb = STRBUF_INIT;
		if (n != 1)
			return arg_error(fn, "expects one value");
		add_as_string(&sb, args[0]);
		v = json_stringn(sb.buf, sb.len);
		strbuf_release(&sb);
		return v ? v : arg_error(fn, "the result is not valid UTF-8");
	}
	if (!strcasecmp(fn, "int")) {
		char *end;
		long long x;
		if (n == 1 && json_is_integer(args[0]))
			return json_incref(args[0]);
		if (n != 1 || !json_is_string(args[0]))
			return arg_error(fn, "expects an int or a string");
		errno = 0;
		x = strtoll(json_string_value(args[0]), &end, 10);
		if (errno || *end || end == json_string_value(args[0]))
			return arg_error(fn, "the string is not an int");
		return json_integer(x);
	}
	if (!strcasecmp(fn, "json")) {
		if (n != 1 || !json_is_string(args[0]))
			return arg_error(fn, "expects a string");
		v = json_loads(json_string_value(args[0]), JSON_DECODE_ANY, NULL);
		return v ? v : arg_error(fn, "the string is not JSON");
	}
	if (!strcasecmp(fn, "length") || !strcasecmp(fn, "empty")) {
		size_t len;
		if (n != 1)
			return arg_error(fn, "expects one value");
		if (json_is_string(args[0]))
			len = json_string_length(args[0]);
		else if (json_is_array(args[0]))
			len = json_array_size(args[0]);
		else if (json_is_object(args[0]))
			len = json_object_size(args[0]);
		else if (json_is_null(args[0]) && tolower((unsigned char)fn[0]) == 'e')
			len = 0;
		else
			return arg_error(fn, "expects a string, an array or an object");
		return tolower((unsigned char)fn[0]) == 'l' ? json_integer((json_int_t)len)
							    : json_boolean(len == 0);
	}
	if (!strcasecmp(fn, "contains")) {
		if (n != 2)
			return arg_error(fn, "expects a container and a value");
		if (json_is_string(args[0]) && json_is_string(args[1]))
			return json_boolean(strstr(json_string_value(args[0]), json_string_value(args[1])) != NULL);
		if (json_is_object(args[0]) && json_is_string(args[1]))
			return json_boolean(get_nocase(args[0], json_string_value(args[1])) != NULL);
		if (json_is_array(args[0])) {
			json_t *item;
			json_array_foreach(args[0], i, item)
				if (json_equal(item, args[1]))
					return json_true();
			return json_false();
		}
		return arg_error(fn, "expects a string, an object or an array");
	}
	if (!strcasecmp(fn, "startsWith") || !strcasecmp(fn, "endsWith")) {
		const char *s, *x;
		size_t sl, xl;
		if (n != 2 || !arg_strings(args, 2))
			return arg_error(fn, "expects two strings");
		s = json_string_value(args[0]);
		x = json_string_value(args[1]);
		sl = strlen(s);
		xl = strlen(x);
		if (xl > sl)
			return json_false();
		return json_boolean(!strncasecmp(tolower((unsigned char)fn[0]) == 's' ? s : s + sl - xl, x, xl));
	}
	if (!strcasecmp(fn, "first") || !strcasecmp(fn, "last")) {
		int first = tolower((unsigned char)fn[0]) == 'f';
		if (n != 1)
			return arg_error(fn, "expects one value");
		if (json_is_array(args[0])) {
			size_t size = json_array_size(args[0]);
			return size ? json_incref(json_array_get(args[0], first ? 0 : size - 1)) : json_null();
		}
		if (json_is_string(args[0])) {
			const char *s = json_string_value(args[0]);
			size_t len = json_string_length(args[0]);
			return len ? json_stringn(first ? s : s + len - 1, 1) : json_string("");
		}
		return arg_error(fn, "expects an array or a string");
	}
	if (!strcasecmp(fn, "split")) {
		const char *s, *sep, *hit;
		if (n != 2 || !arg_strings(args, 2) || !*json_string_value(args[1]))
			return arg_error(fn, "expects a string and a delimiter");
		v = json_array();
		s = json_string_value(args[0]);
		sep = json_string_value(args[1]);
		while ((hit = strstr(s, sep))) {
			json_array_append_new(v, json_stringn(s, (size_t)(hit - s)));
			s = hit + strlen(sep);
		}
		json_array_append_new(v, json_string(s));
		return v;
	}
	if (!strcasecmp(fn, "join")) {
		struct strbuf sb = STRBUF_INIT;
		json_t *item;
		if (n != 2 || !json_is_array(args[0]) || !json_is_string(args[1]))
			return arg_error(fn, "expects an array and a delimiter");
		json_array_foreach(args[0], i, item) {
			if (i)
				strbuf_addstr(&sb, json_string_value(args[1]));
			add_as_string(&sb, item);
		}
		v = json_stringn(sb.buf, sb.len);
		strbuf_release(&sb);
		return v ? v : arg_error(fn, "the result is not valid UTF-8");
	}
	if (!strcasecmp(fn, "createArray")) {
		v = json_array();
		for (i = 0; i < n; i++)
			json_array_append(v, args[i]);
		return v;
	}
	if (!strcasecmp(fn, "array")) {
		if (n != 1)
			return arg_error(fn, "expects one value");
		return json_is_array(args[0]) ? json_incref(args[0]) : json_pack("[O]", args[0]);
	}
	if (!strcasecmp(fn, "createObject")) {
		if (n % 2)
			return arg_error(fn, "expects name/value pairs");
		v = json_object();
		for (i = 0; i < n; i += 2) {
			if (!json_is_string(args[i])) {
				json_decref(v);
				return arg_error(fn, "a property name is not a string");
			}
			json_object_set(v, json_string_value(args[i]), args[i + 1]);
		}
		return v;
	}
	if (!strcasecmp(fn, "union")) {
		if (n < 1)
			return arg_error(fn, "expects objects or arrays");
		if (json_is_object(args[0])) {
			v = json_object();
			for (i = 0; i < n; i++) {
				if (!json_is_object(args[i])) {
					json_decref(v);
					return arg_error(fn, "mixes objects and other values");
				}
				json_object_update(v, args[i]);
			}
			return v;
		}
		if (json_is_array(args[0])) {
			json_t *item;
			size_t j;
			v = json_array();
			for (i = 0; i < n; i++) {
				if (!json_is_array(args[i])) {
					json_decref(v);
					return arg_error(fn, "mixes arrays and other values");
				}
				json_array_foreach(args[i], j, item) {
					size_t k;
					json_t *have;
					int seen = 0;
					json_array_foreach(v, k, have)
						if (json_equal(have, item))
							seen = 1;
					if (!seen)
						json_array_append(v, item);
				}
			}
			return v;
		}
		return arg_error(fn, "expects objects or arrays");
	}
	if (!strcasecmp(fn, "add") || !strcasecmp(fn, "sub") || !strcasecmp(fn, "mul") ||
	    !strcasecmp(fn, "div") || !strcasecmp(fn, "mod"))
		return arith_fn(fn, args, n);
	if (!strcasecmp(fn, "less") || !strcasecmp(fn, "lessOrEquals") ||
	    !strcasecmp(fn, "greater") || !strcasecmp(fn, "greaterOrEquals"))
		return compare_fn(fn, args, n);

	return unknownf("%s() is not a function policyctl check evaluates", fn);
}
