/*
 * template_expr — ARM template expressions: "[concat(parameters('a'), '/web')]" parsed once
 * into a small tree (literals, calls, member and index access) and evaluated over jansson
 * values against a template_scope; plus the walks over whole values (check, evaluate) that
 * policy rules and deployments use.
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
		func = template_func_find(name, len);
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
			strbuf_addf(err, "if(): the condition must be a bool, not %s", template_kind_name(cond));
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
			strbuf_addf(err, "the %s has no property '%s'", template_kind_name(obj), expr->member);
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
			strbuf_addf(err, "cannot index %s with %s", template_kind_name(obj), template_kind_name(idx));
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

