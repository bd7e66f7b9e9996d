/*
 * kql — the parser and evaluator of armsim's Kusto subset (see kql.h).
 *
 * A query is lexed into tokens, parsed by recursive descent into a list of tabular operators
 * whose scalar expressions are small trees, and run operator by operator over an array of rows.
 * Values are jansson values throughout; null stands for Kusto's null.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/kql.h"
#include "lib/strcase.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define MAX_DEPTH 64        /* expression nesting: deeper is a parse error, not a stack overflow */
#define MAX_QUERY 65536     /* ARG caps query text; so do we */

/* ---- tokens ---- */

enum tok_kind { T_END, T_IDENT, T_STRING, T_INT, T_REAL, T_PUNCT };

struct token {
	enum tok_kind kind;
	const char *start;  /* in the query text */
	size_t len;
	struct strbuf text; /* identifier, string value (unescaped) or punctuation */
	double real;
	long long integer;
};

struct parser {
	const char *src;
	const char *pos;
	struct token tok;
	struct kql_error *err;
	enum kql_result failed;
	int depth;
};

/* ---- expressions ---- */

enum node_kind { N_LIT, N_COL, N_MEMBER, N_INDEX, N_CALL, N_BINARY, N_LIST };

enum binop {
	OP_EQ, OP_NE, OP_EQ_CI, OP_NE_CI, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_IN, OP_IN_CI, OP_NOT_IN, OP_NOT_IN_CI,
	OP_CONTAINS, OP_NOT_CONTAINS, OP_CONTAINS_CS, OP_HAS, OP_NOT_HAS,
	OP_STARTSWITH, OP_NOT_STARTSWITH, OP_AND, OP_OR,
};

enum func {
	F_TOSTRING, F_TOLOWER, F_TOUPPER, F_TOBOOL, F_TOINT, F_ISNULL, F_ISNOTNULL, F_ISEMPTY,
	F_ISNOTEMPTY, F_COALESCE, F_IFF, F_ARRAY_LENGTH, F_STRCAT, F_NOT, F_COUNT,
};

struct node {
	enum node_kind kind;
	int op;               /* enum binop or enum func */
	json_t *lit;          /* N_LIT (owned) */
	char *name;           /* N_COL column, N_MEMBER property (owned) */
	struct node **args;   /* N_MEMBER/N_INDEX: [object(, index)]; N_CALL, N_LIST, N_BINARY */
	size_t nargs;
};

static void node_free(struct node *n)
{
	size_t i;
	if (!n)
		return;
	for (i = 0; i < n->nargs; i++)
		node_free(n->args[i]);
	free(n->args);
	free(n->name);
	json_decref(n->lit);
	free(n);
}

static struct node *node_new(enum node_kind kind)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	return n;
}

static void node_add(struct node *n, struct node *arg)
{
	n->args = xrealloc(n->args, (n->nargs + 1) * sizeof(*n->args));
	n->args[n->nargs++] = arg;
}

/* ---- tabular operators ---- */

enum op_kind { Q_WHERE, Q_EXTEND, Q_PROJECT, Q_PROJECT_AWAY, Q_ORDER, Q_TAKE, Q_SUMMARIZE,
	       Q_COUNT, Q_DISTINCT, Q_MV_EXPAND };

/* One "name = expr" (or bare expr) of project / extend / summarize by / order by. */
struct item {
	char *name;        /* output column (owned) */
	struct node *expr; /* NULL for project-away names */
	int desc;          /* order by: 1 descending */
	int nulls_first;   /* order by */
	int named;         /* the query named the column ("name = expr") */
};

struct op {
	enum op_kind kind;
	struct node *cond;     /* where */
	struct item *items;    /* extend, project, project-away, order, distinct, mv-expand, by */
	size_t nr;
	struct item *aggs;     /* summarize: the count() columns */
	size_t nr_aggs;
	long long take;        /* take */
};

struct kql_query {
	const char *table;
	struct op *ops;
	size_t nr;
};

static void items_free(struct item *items, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++) {
		free(items[i].name);
		node_free(items[i].expr);
	}
	free(items);
}

void kql_query_free(struct kql_query *q)
{
	size_t i;
	if (!q)
		return;
	for (i = 0; i < q->nr; i++) {
		node_free(q->ops[i].cond);
		items_free(q->ops[i].items, q->ops[i].nr);
		items_free(q->ops[i].aggs, q->ops[i].nr_aggs);
	}
	free(q->ops);
	free(q);
}

const char *kql_query_table(const struct kql_query *q)
{
	return q->table;
}

void kql_error_release(struct kql_error *err)
{
	strbuf_release(&err->message);
	strbuf_release(&err->token);
	strbuf_release(&err->name);
}

void kql_table_release(struct kql_table *t)
{
	json_decref(t->rows);
	json_decref(t->columns);
	t->rows = t->columns = NULL;
}

/* ---- errors ---- */

static void set_position(struct parser *p, const char *at)
{
	const char *s;
	int line = 1, col = 0;
	for (s = p->src; s < at && *s; s++) {
		if (*s == '\n') {
			line++;
			col = 0;
		} else {
			col++;
		}
	}
	p->err->line = line;
	p->err->column = col;
}

/* Records the first error only; later ones are consequences. */
static void fail(struct parser *p, enum kql_result kind, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct parser *p, enum kql_result kind, const char *name, const char *fmt, ...)
{
	va_list ap;
	if (p->failed)
		return;
	p->failed = kind;
	strbuf_reset(&p->err->message);
	va_start(ap, fmt);
	strbuf_vaddf(&p->err->message, fmt, ap);
	va_end(ap);
	set_position(p, p->tok.start);
	strbuf_reset(&p->err->token);
	strbuf_add(&p->err->token, p->tok.start, p->tok.len);
	strbuf_reset(&p->err->name);
	if (name)
		strbuf_addstr(&p->err->name, name);
}

/* ---- lexer ---- */

static int ident_start(int c)
{
	return isalpha(c) || c == '_' || c == '$';
}

static int ident_char(int c)
{
	return isalnum(c) || c == '_' || c == '$';
}

static void skip_space(struct parser *p)
{
	for (;;) {
		while (*p->pos && isspace((unsigned char)*p->pos))
			p->pos++;
		if (p->pos[0] == '/' && p->pos[1] == '/') {
			while (*p->pos && *p->pos != '\n')
				p->pos++;
			continue;
		}
		break;
	}
}

static void lex_string(struct parser *p)
{
	char quote = *p->pos++;
	struct token *t = &p->tok;
	t->kind = T_STRING;
	for (;;) {
		char c = *p->pos;
		if (!c || c == '\n') {
			t->len = (size_t)(p->pos - t->start);
			fail(p, KQL_PARSE_ERROR, NULL, "unterminated string literal");
			return;
		}
		p->pos++;
		if (c == quote)
			break;
		if (c == '\\') {
			char e = *p->pos;
			if (!e)
				continue;
			p->pos++;
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			default: c = e; break;
			}
		}
		strbuf_addch(&t->text, c);
	}
	t->len = (size_t)(p->pos - t->start);
}

static void lex_number(struct parser *p)
{
	struct token *t = &p->tok;
	char *end;
	int real = 0;
	const char *s = p->pos;
	while (isdigit((unsigned char)*s))
		s++;
	if (*s == '.' && isdigit((unsigned char)s[1])) {
		real = 1;
		s++;
		while (isdigit((unsigned char)*s))
			s++;
	}
	t->len = (size_t)(s - p->pos);
	strbuf_add(&t->text, p->pos, t->len);
	errno = 0;
	if (real) {
		t->kind = T_REAL;
		t->real = strtod(t->text.buf, &end);
	} else {
		t->kind = T_INT;
		t->integer = strtoll(t->text.buf, &end, 10);
		if (errno) {
			p->pos = s;
			fail(p, KQL_PARSE_ERROR, NULL, "integer literal '%s' out of range", t->text.buf);
			return;
		}
	}
	p->pos = s;
}

static const char *const puncts[] = { "==", "!=", "=~", "!~", "<=", ">=", "|", "(", ")", "[",
				      "]", ",", ".", "=", "<", ">", "!", ";", "+", "-", "*", "/",
				      "%", "{", "}", ":", "@" };

/*
 * Reads the next token. `dashed` lets identifiers carry '-' (operator names after '|':
 * project-away, mv-expand).
 */
static void next_ex(struct parser *p, int dashed)
{
	struct token *t = &p->tok;
	size_t i;
	strbuf_reset(&t->text);
	skip_space(p);
	t->start = p->pos;
	t->len = 0;
	if (!*p->pos) {
		t->kind = T_END;
		return;
	}
	if (ident_start((unsigned char)*p->pos)) {
		const char *s = p->pos;
		while (ident_char((unsigned char)*s) ||
		       (dashed && *s == '-' && ident_start((unsigned char)s[1])))
			s++;
		t->kind = T_IDENT;
		t->len = (size_t)(s - p->pos);
		strbuf_add(&t->text, p->pos, t->len);
		p->pos = s;
		return;
	}
	if (*p->pos == '\'' || *p->pos == '"') {
		lex_string(p);
		return;
	}
	if (isdigit((unsigned char)*p->pos)) {
		lex_number(p);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(puncts); i++) {
		size_t n = strlen(puncts[i]);
		if (!strncmp(p->pos, puncts[i], n)) {
			t->kind = T_PUNCT;
			t->len = n;
			strbuf_addstr(&t->text, puncts[i]);
			p->pos += n;
			return;
		}
	}
	t->kind = T_PUNCT;
	t->len = 1;
	strbuf_addch(&t->text, *p->pos);
	p->pos++;
	fail(p, KQL_PARSE_ERROR, NULL, "unexpected character '%c'", t->start[0]);
}

static void next(struct parser *p)
{
	next_ex(p, 0);
}

static int is_punct(const struct parser *p, const char *s)
{
	return p->tok.kind == T_PUNCT && !strcmp(p->tok.text.buf, s);
}

static int is_word(const struct parser *p, const char *s)
{
	return p->tok.kind == T_IDENT && !strcmp(p->tok.text.buf, s);
}

static int expect_punct(struct parser *p, const char *s)
{
	if (!is_punct(p, s)) {
		fail(p, KQL_PARSE_ERROR, NULL, "expected '%s'", s);
		return -1;
	}
	next(p);
	return 0;
}

/* ---- expression parser ---- */

static struct node *parse_expr(struct parser *p);

static const struct {
	const char *name;
	enum func f;
	int min, max; /* argument counts; max -1 = any */
} funcs[] = {
	{ "tostring", F_TOSTRING, 1, 1 }, { "tolower", F_TOLOWER, 1, 1 },
	{ "toupper", F_TOUPPER, 1, 1 }, { "tobool", F_TOBOOL, 1, 1 },
	{ "toboolean", F_TOBOOL, 1, 1 }, { "toint", F_TOINT, 1, 1 },
	{ "tolong", F_TOINT, 1, 1 }, { "isnull", F_ISNULL, 1, 1 },
	{ "isnotnull", F_ISNOTNULL, 1, 1 }, { "isempty", F_ISEMPTY, 1, 1 },
	{ "isnotempty", F_ISNOTEMPTY, 1, 1 }, { "coalesce", F_COALESCE, 2, 64 },
	{ "iff", F_IFF, 3, 3 }, { "iif", F_IFF, 3, 3 }, { "array_length", F_ARRAY_LENGTH, 1, 1 },
	{ "strcat", F_STRCAT, 1, 64 }, { "not", F_NOT, 1, 1 }, { "count", F_COUNT, 0, 0 },
};

/* Kusto functions armsim knows by name but does not run: refused as unsupported. */
static const char *const known_functions[] = {
	"split", "extract", "parse_json", "todynamic", "bag_keys", "pack", "pack_array",
	"todatetime", "now", "ago", "format_datetime", "substring", "indexof", "replace",
	"replace_string", "trim", "strlen", "array_concat", "set_intersect", "countif", "dcount",
	"make_list", "make_set", "sum", "avg", "min", "max", "any", "arg_max", "arg_min",
	"toreal", "todouble", "case", "bin", "hash", "base64_encode_tostring", "dynamic",
	"isnotnull_or_empty", "datetime", "timespan", "tohex", "toguid", "row_number",
};

static struct node *parse_call(struct parser *p, const char *name)
{
	struct node *n;
	size_t i;
	int f = -1, min = 0, max = 0;
	for (i = 0; i < ARRAY_SIZE(funcs); i++)
		if (!strcmp(funcs[i].name, name)) {
			f = (int)funcs[i].f;
			min = funcs[i].min;
			max = funcs[i].max;
		}
	if (f < 0) {
		for (i = 0; i < ARRAY_SIZE(known_functions); i++)
			if (!strcmp(known_functions[i], name)) {
				fail(p, KQL_UNSUPPORTED, name,
				     "function '%s' is not supported by armsim's Resource Graph", name);
				return NULL;
			}
		fail(p, KQL_PARSE_ERROR, NULL, "unknown function '%s'", name);
		return NULL;
	}
	n = node_new(N_CALL);
	n->op = f;
	n->name = xstrdup(name);
	next(p); /* the name */
	next(p); /* '(' */
	if (!is_punct(p, ")")) {
		for (;;) {
			struct node *arg = parse_expr(p);
			if (!arg)
				goto bad;
			node_add(n, arg);
			if (!is_punct(p, ","))
				break;
			next(p);
		}
	}
	if (expect_punct(p, ")"))
		goto bad;
	if ((int)n->nargs < min || (max >= 0 && (int)n->nargs > max)) {
		fail(p, KQL_PARSE_ERROR, NULL, "function '%s' takes %d%s argument%s, got %zu", name,
		     min, max != min ? " or more" : "", min == 1 && max == 1 ? "" : "s", n->nargs);
		goto bad;
	}
	return n;
bad:
	node_free(n);
	return NULL;
}

static struct node *parse_primary(struct parser *p)
{
	struct node *n = NULL;
	if (p->failed)
		return NULL;
	switch (p->tok.kind) {
	case T_STRING:
		n = node_new(N_LIT);
		n->lit = json_stringn(p->tok.text.buf, p->tok.text.len);
		if (!n->lit) /* not UTF-8: Kusto strings are; armsim refuses the literal */
			n->lit = json_string("");
		next(p);
		return n;
	case T_INT:
		n = node_new(N_LIT);
		n->lit = json_integer(p->tok.integer);
		next(p);
		return n;
	case T_REAL:
		n = node_new(N_LIT);
		n->lit = json_real(p->tok.real);
		next(p);
		return n;
	case T_IDENT: {
		char *name = xstrdup(p->tok.text.buf);
		if (!strcmp(name, "true") || !strcmp(name, "false")) {
			n = node_new(N_LIT);
			n->lit = json_boolean(!strcmp(name, "true"));
			next(p);
		} else if (*p->pos == '(' || (skip_space(p), *p->pos == '(')) {
			n = parse_call(p, name);
		} else {
			n = node_new(N_COL);
			n->name = xstrdup(name);
			next(p);
		}
		free(name);
		return n;
	}
	case T_PUNCT:
		if (is_punct(p, "(")) {
			next(p);
			n = parse_expr(p);
			if (n && expect_punct(p, ")")) {
				node_free(n);
				return NULL;
			}
			return n;
		}
		if (is_punct(p, "-")) {
			next(p);
			if (p->tok.kind == T_INT || p->tok.kind == T_REAL) {
				n = node_new(N_LIT);
				n->lit = p->tok.kind == T_INT ? json_integer(-p->tok.integer)
							      : json_real(-p->tok.real);
				next(p);
				return n;
			}
		}
		fail(p, KQL_PARSE_ERROR, NULL, "expected an expression");
		return NULL;
	case T_END:
	default:
		fail(p, KQL_PARSE_ERROR, NULL, "expected an expression, found the end of the query");
		return NULL;
	}
}

static struct node *parse_postfix(struct parser *p)
{
	struct node *n = parse_primary(p);
	while (n && !p->failed) {
		if (is_punct(p, ".")) {
			struct node *m;
			next(p);
			if (p->tok.kind != T_IDENT) {
				fail(p, KQL_PARSE_ERROR, NULL, "expected a property name after '.'");
				break;
			}
			m = node_new(N_MEMBER);
			m->name = xstrdup(p->tok.text.buf);
			node_add(m, n);
			n = m;
			next(p);
		} else if (is_punct(p, "[")) {
			struct node *m, *idx;
			next(p);
			if (++p->depth > MAX_DEPTH) {
				fail(p, KQL_PARSE_ERROR, NULL, "expression nested too deeply");
				break;
			}
			idx = parse_expr(p);
			p->depth--;
			if (!idx)
				break;
			m = node_new(N_INDEX);
			node_add(m, n);
			node_add(m, idx);
			n = m;
			if (expect_punct(p, "]"))
				break;
		} else {
			break;
		}
	}
	if (p->failed) {
		node_free(n);
		return NULL;
	}
	return n;
}

static const struct {
	const char *word;
	enum binop op;
	int punct;     /* written with punctuation: "!" then a word (!in, !contains, ...) */
} word_ops[] = {
	{ "in", OP_IN, 0 }, { "in~", OP_IN_CI, 0 }, { "contains", OP_CONTAINS, 0 },
	{ "contains_cs", OP_CONTAINS_CS, 0 }, { "has", OP_HAS, 0 }, { "startswith", OP_STARTSWITH, 0 },
	{ "in", OP_NOT_IN, 1 }, { "in~", OP_NOT_IN_CI, 1 }, { "contains", OP_NOT_CONTAINS, 1 },
	{ "has", OP_NOT_HAS, 1 }, { "startswith", OP_NOT_STARTSWITH, 1 },
};

/* Kusto string operators armsim does not run. */
static const char *const known_string_ops[] = {
	"endswith", "matches", "has_any", "has_all", "hasprefix", "hassuffix", "has_cs",
	"startswith_cs", "endswith_cs", "between", "notcontains", "like",
};

static struct node *parse_list(struct parser *p)
{
	struct node *list = node_new(N_LIST);
	if (expect_punct(p, "("))
		goto bad;
	for (;;) {
		struct node *e = parse_expr(p);
		if (!e)
			goto bad;
		node_add(list, e);
		if (!is_punct(p, ","))
			break;
		next(p);
	}
	if (expect_punct(p, ")"))
		goto bad;
	return list;
bad:
	node_free(list);
	return NULL;
}

static struct node *binary(int op, struct node *l, struct node *r)
{
	struct node *n = node_new(N_BINARY);
	n->op = op;
	node_add(n, l);
	node_add(n, r);
	return n;
}

static struct node *parse_comparison(struct parser *p)
{
	struct node *l = parse_postfix(p), *r;
	int op = -1;
	size_t i;
	if (!l)
		return NULL;
	if (p->tok.kind == T_PUNCT) {
		static const struct { const char *s; enum binop op; } cmp[] = {
			{ "==", OP_EQ }, { "!=", OP_NE }, { "=~", OP_EQ_CI }, { "!~", OP_NE_CI },
			{ "<=", OP_LE }, { ">=", OP_GE }, { "<", OP_LT }, { ">", OP_GT },
		};
		for (i = 0; i < ARRAY_SIZE(cmp); i++)
			if (is_punct(p, cmp[i].s))
				op = (int)cmp[i].op;
		if (op < 0 && is_punct(p, "!")) {
			/* !in, !in~, !contains, !has, !startswith */
			const char *s = p->pos;
			size_t n = 0;
			while (ident_char((unsigned char)s[n]))
				n++;
			if (s[n] == '~')
				n++;
			for (i = 0; i < ARRAY_SIZE(word_ops); i++)
				if (word_ops[i].punct && strlen(word_ops[i].word) == n &&
				    !strncmp(word_ops[i].word, s, n))
					op = (int)word_ops[i].op;
			if (op < 0) {
				fail(p, KQL_PARSE_ERROR, NULL, "expected an operator after '!'");
				goto bad;
			}
			p->pos = s + n;
			next(p);
			goto right;
		}
		if (op < 0)
			return l;
		next(p);
		goto right;
	}
	if (p->tok.kind == T_IDENT) {
		int tilde = *p->pos == '~';
		for (i = 0; i < ARRAY_SIZE(word_ops); i++) {
			const char *w = word_ops[i].word;
			size_t n = strlen(w);
			int w_tilde = w[n - 1] == '~';
			if (word_ops[i].punct || w_tilde != tilde)
				continue;
			if (strlen(p->tok.text.buf) == n - (size_t)w_tilde &&
			    !strncmp(p->tok.text.buf, w, n - (size_t)w_tilde))
				op = (int)word_ops[i].op;
		}
		for (i = 0; op < 0 && i < ARRAY_SIZE(known_string_ops); i++)
			if (is_word(p, known_string_ops[i])) {
				fail(p, KQL_UNSUPPORTED, known_string_ops[i],
				     "operator '%s' is not supported by armsim's Resource Graph",
				     known_string_ops[i]);
				goto bad;
			}
		if (op < 0)
			return l;
		if (tilde)
			p->pos++;
		next(p);
		goto right;
	}
	return l;
right:
	if (op == OP_IN || op == OP_IN_CI || op == OP_NOT_IN || op == OP_NOT_IN_CI)
		r = parse_list(p);
	else
		r = parse_postfix(p);
	if (!r)
		goto bad;
	return binary(op, l, r);
bad:
	node_free(l);
	return NULL;
}

static struct node *parse_and(struct parser *p)
{
	struct node *l = parse_comparison(p);
	while (l && is_word(p, "and")) {
		struct node *r;
		next(p);
		r = parse_comparison(p);
		if (!r) {
			node_free(l);
			return NULL;
		}
		l = binary(OP_AND, l, r);
	}
	return l;
}

static struct node *parse_expr(struct parser *p)
{
	struct node *l;
	if (++p->depth > MAX_DEPTH) {
		fail(p, KQL_PARSE_ERROR, NULL, "expression nested too deeply");
		return NULL;
	}
	l = parse_and(p);
	while (l && is_word(p, "or")) {
		struct node *r;
		next(p);
		r = parse_and(p);
		if (!r) {
			node_free(l);
			l = NULL;
			break;
		}
		l = binary(OP_OR, l, r);
	}
	p->depth--;
	return l;
}

/* ---- tabular operators ---- */

/* The column name Kusto gives an unnamed expression: a.b.c → a_b_c, f(x.y) → x_y. */
static void auto_name(const struct node *n, struct strbuf *out)
{
	if (!n)
		return;
	switch (n->kind) {
	case N_COL:
		strbuf_addstr(out, n->name);
		break;
	case N_MEMBER:
		auto_name(n->args[0], out);
		strbuf_addch(out, '_');
		strbuf_addstr(out, n->name);
		break;
	case N_INDEX:
		auto_name(n->args[0], out);
		if (n->args[1]->kind == N_LIT && json_is_string(n->args[1]->lit)) {
			strbuf_addch(out, '_');
			strbuf_addstr(out, json_string_value(n->args[1]->lit));
		}
		break;
	case N_CALL:
		if (n->nargs)
			auto_name(n->args[0], out);
		else
			strbuf_addstr(out, n->name);
		break;
	default:
		break;
	}
}

/* "[name =] expr" (want_expr) or a bare column name. */
static int parse_item(struct parser *p, struct item *it, int want_expr, size_t index)
{
	memset(it, 0, sizeof(*it));
	if (p->tok.kind == T_IDENT && !want_expr) {
		it->name = xstrdup(p->tok.text.buf);
		next(p);
		return 0;
	}
	if (p->tok.kind == T_IDENT) {
		/* a name followed by '=' (not '==' or '=~': the lexer keeps those whole) */
		const char *save = p->pos;
		skip_space(p);
		if (*p->pos == '=' && p->pos[1] != '=' && p->pos[1] != '~') {
			it->name = xstrdup(p->tok.text.buf);
			it->named = 1;
			p->pos++;
			next(p);
		} else {
			p->pos = save;
		}
	}
	it->expr = parse_expr(p);
	if (!it->expr) {
		free(it->name);
		it->name = NULL;
		return -1;
	}
	if (!it->name) {
		struct strbuf name = STRBUF_INIT;
		auto_name(it->expr, &name);
		if (!name.len)
			strbuf_addf(&name, "Column%zu", index + 1);
		it->name = strbuf_detach(&name, NULL);
	}
	return 0;
}

static int parse_items(struct parser *p, struct op *op, int want_expr)
{
	for (;;) {
		op->items = xrealloc(op->items, (op->nr + 1) * sizeof(*op->items));
		if (parse_item(p, &op->items[op->nr], want_expr, op->nr))
			return -1;
		op->nr++;
		if (!is_punct(p, ","))
			return 0;
		next(p);
	}
}

static int parse_order(struct parser *p, struct op *op)
{
	if (!is_word(p, "by")) {
		fail(p, KQL_PARSE_ERROR, NULL, "expected 'by'");
		return -1;
	}
	next(p);
	for (;;) {
		struct item *it;
		op->items = xrealloc(op->items, (op->nr + 1) * sizeof(*op->items));
		it = &op->items[op->nr];
		if (parse_item(p, it, 1, op->nr))
			return -1;
		op->nr++;
		it->desc = 1;
		if (is_word(p, "asc") || is_word(p, "desc")) {
			it->desc = is_word(p, "desc");
			next(p);
		}
		it->nulls_first = !it->desc;
		if (is_word(p, "nulls")) {
			next(p);
			if (!is_word(p, "first") && !is_word(p, "last")) {
				fail(p, KQL_PARSE_ERROR, NULL, "expected 'first' or 'last'");
				return -1;
			}
			it->nulls_first = is_word(p, "first");
			next(p);
		}
		if (!is_punct(p, ","))
			return 0;
		next(p);
	}
}

static int parse_summarize(struct parser *p, struct op *op)
{
	for (;;) {
		struct item *it;
		op->aggs = xrealloc(op->aggs, (op->nr_aggs + 1) * sizeof(*op->aggs));
		it = &op->aggs[op->nr_aggs];
		if (parse_item(p, it, 1, op->nr_aggs))
			return -1;
		op->nr_aggs++;
		if (it->expr->kind != N_CALL || it->expr->op != F_COUNT) {
			const char *what = it->expr->kind == N_CALL ? it->expr->name : "expression";
			fail(p, KQL_UNSUPPORTED, what,
			     "aggregation '%s' is not supported by armsim's Resource Graph (only count())",
			     what);
			return -1;
		}
		if (!it->named) { /* count() unnamed is count_ */
			free(it->name);
			it->name = xstrdup("count_");
		}
		if (!is_punct(p, ","))
			break;
		next(p);
	}
	if (is_word(p, "by")) {
		next(p);
		return parse_items(p, op, 1);
	}
	return 0;
}

static const char *const known_operators[] = {
	"join", "union", "parse", "make-series", "top", "top-nested", "render", "lookup",
	"mv-apply", "serialize", "evaluate", "invoke", "as", "facet", "sample", "sample-distinct",
	"project-rename", "project-reorder", "project-keep", "getschema", "search", "find",
	"extend-fields", "partition", "scan", "externaldata", "range", "datatable", "print",
	"consume", "fork", "reduce", "let", "mvexpand", "sort-by", "parse-where",
};

static int parse_operator(struct parser *p, struct op *op)
{
	const char *w = p->tok.text.buf;
	size_t i;
	memset(op, 0, sizeof(*op));
	if (p->tok.kind != T_IDENT) {
		fail(p, KQL_PARSE_ERROR, NULL, "expected a tabular operator after '|'");
		return -1;
	}
	if (!strcmp(w, "where") || !strcmp(w, "filter")) {
		op->kind = Q_WHERE;
		next(p);
		op->cond = parse_expr(p);
		return op->cond ? 0 : -1;
	}
	if (!strcmp(w, "extend")) {
		op->kind = Q_EXTEND;
		next(p);
		return parse_items(p, op, 1);
	}
	if (!strcmp(w, "project")) {
		op->kind = Q_PROJECT;
		next(p);
		return parse_items(p, op, 1);
	}
	if (!strcmp(w, "project-away")) {
		op->kind = Q_PROJECT_AWAY;
		next(p);
		return parse_items(p, op, 0);
	}
	if (!strcmp(w, "order") || !strcmp(w, "sort")) {
		op->kind = Q_ORDER;
		next(p);
		return parse_order(p, op);
	}
	if (!strcmp(w, "take") || !strcmp(w, "limit")) {
		op->kind = Q_TAKE;
		next(p);
		if (p->tok.kind != T_INT) {
			fail(p, KQL_PARSE_ERROR, NULL, "expected a row count");
			return -1;
		}
		op->take = p->tok.integer;
		next(p);
		return 0;
	}
	if (!strcmp(w, "summarize")) {
		op->kind = Q_SUMMARIZE;
		next(p);
		return parse_summarize(p, op);
	}
	if (!strcmp(w, "count")) {
		op->kind = Q_COUNT;
		next(p);
		return 0;
	}
	if (!strcmp(w, "distinct")) {
		op->kind = Q_DISTINCT;
		next(p);
		return parse_items(p, op, 1);
	}
	if (!strcmp(w, "mv-expand")) {
		op->kind = Q_MV_EXPAND;
		next(p);
		if (parse_items(p, op, 1))
			return -1;
		if (is_word(p, "limit") || is_word(p, "to") || is_word(p, "bagexpansion")) {
			fail(p, KQL_UNSUPPORTED, "mv-expand", "mv-expand option '%s' is not supported by armsim's Resource Graph",
			     p->tok.text.buf);
			return -1;
		}
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(known_operators); i++)
		if (!strcmp(w, known_operators[i])) {
			char *name = xstrdup(w);
			fail(p, KQL_UNSUPPORTED, name,
			     "operator '%s' is not supported by armsim's Resource Graph", name);
			free(name);
			return -1;
		}
	fail(p, KQL_PARSE_ERROR, NULL, "'%s' is not a tabular operator", w);
	return -1;
}

static const char *const other_tables[] = {
	"resourcecontainers", "advisorresources", "alertsmanagementresources", "healthresources",
	"policyresources", "guestconfigurationresources", "maintenanceresources",
	"networkresources", "patchassessmentresources", "servicehealthresources",
	"appserviceresources", "authorizationresources", "extensibilityresources",
};

enum kql_result kql_parse(const char *text, struct kql_query **out, struct kql_error *err)
{
	struct parser p;
	struct kql_query *q = xcalloc(1, sizeof(*q));
	size_t i;
	memset(&p, 0, sizeof(p));
	p.src = p.pos = text;
	p.err = err;
	strbuf_init(&p.tok.text, 0);
	*out = NULL;
	q->table = "resources";
	if (strlen(text) > MAX_QUERY) {
		p.tok.start = text;
		fail(&p, KQL_PARSE_ERROR, NULL, "the query is longer than %d characters", MAX_QUERY);
		goto out;
	}
	next_ex(&p, 1);
	if (p.tok.kind == T_IDENT) {
		const char *w = p.tok.text.buf;
		if (!strcasecmp(w, "resources") || !strcasecmp(w, "securityresources")) {
			q->table = !strcasecmp(w, "resources") ? "resources" : "securityresources";
			next_ex(&p, 0);
			if (p.tok.kind != T_END && !is_punct(&p, "|")) {
				fail(&p, KQL_PARSE_ERROR, NULL, "expected '|' after the table name");
				goto out;
			}
			if (is_punct(&p, "|"))
				next_ex(&p, 1);
			else
				goto out;
		} else {
			for (i = 0; i < ARRAY_SIZE(other_tables); i++)
				if (!strcasecmp(w, other_tables[i])) {
					char *name = xstrdup(w);
					fail(&p, KQL_UNSUPPORTED, name,
					     "table '%s' is not served by armsim's Resource Graph", name);
					free(name);
					goto out;
				}
		}
	} else if (is_punct(&p, "|")) {
		next_ex(&p, 1);
	}
	while (!p.failed) {
		if (p.tok.kind == T_END && !q->nr) {
			fail(&p, KQL_PARSE_ERROR, NULL, "the query is empty");
			break;
		}
		q->ops = xrealloc(q->ops, (q->nr + 1) * sizeof(*q->ops));
		if (parse_operator(&p, &q->ops[q->nr])) {
			/* free what the failed operator holds */
			struct op *op = &q->ops[q->nr];
			node_free(op->cond);
			items_free(op->items, op->nr);
			items_free(op->aggs, op->nr_aggs);
			break;
		}
		q->nr++;
		if (p.tok.kind == T_END)
			break;
		if (!is_punct(&p, "|")) {
			fail(&p, KQL_PARSE_ERROR, NULL, "expected '|' or the end of the query");
			break;
		}
		next_ex(&p, 1);
	}
out:
	strbuf_release(&p.tok.text);
	if (p.failed) {
		kql_query_free(q);
		return p.failed;
	}
	*out = q;
	return KQL_OK;
}

/* ---- type pushdown ---- */

static void add_lower(json_t *set, const json_t *lit)
{
	struct strbuf sb = STRBUF_INIT;
	const char *t = json_string_value(lit);
	for (; t && *t; t++)
		strbuf_addch(&sb, tolower((unsigned char)*t));
	json_object_set_new(set, sb.buf, json_true());
	strbuf_release(&sb);
}

/* The types one conjunct allows into set; 0 when it is not a type restriction. */
static int conjunct_types(const struct node *n, json_t *set)
{
	size_t i;
	if (n->kind != N_BINARY || n->args[0]->kind != N_COL || strcmp(n->args[0]->name, "type"))
		return 0;
	if ((n->op == OP_EQ || n->op == OP_EQ_CI) && n->args[1]->kind == N_LIT &&
	    json_is_string(n->args[1]->lit)) {
		add_lower(set, n->args[1]->lit);
		return 1;
	}
	if (n->op == OP_IN || n->op == OP_IN_CI) {
		for (i = 0; i < n->args[1]->nargs; i++)
			if (n->args[1]->args[i]->kind != N_LIT || !json_is_string(n->args[1]->args[i]->lit))
				return 0;
		for (i = 0; i < n->args[1]->nargs; i++)
			add_lower(set, n->args[1]->args[i]->lit);
		return 1;
	}
	return 0;
}

/* Walks the and-chain of a where for a type restriction. */
static int where_types(const struct node *n, json_t *set)
{
	if (n->kind == N_BINARY && n->op == OP_AND)
		return where_types(n->args[0], set) || where_types(n->args[1], set);
	return conjunct_types(n, set);
}

int kql_query_types(const struct kql_query *q, json_t **out)
{
	size_t i;
	/* only the leading wheres: a later one may see columns an extend changed */
	for (i = 0; i < q->nr && q->ops[i].kind == Q_WHERE; i++) {
		json_t *set = json_object(), *arr;
		const char *key;
		json_t *v;
		if (!where_types(q->ops[i].cond, set)) {
			json_decref(set);
			continue;
		}
		arr = json_array();
		json_object_foreach(set, key, v)
			json_array_append_new(arr, json_string(key));
		json_decref(set);
		*out = arr;
		return 1;
	}
	return 0;
}

/* ---- values ---- */

const char *kql_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "real";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "object";
	}
}

/* tostring(): strings as they are, scalars printed, null "", arrays and objects as JSON. */
static void to_text(const json_t *v, struct strbuf *out)
{
	char *s;
	switch (json_typeof(v)) {
	case JSON_STRING:
		strbuf_add(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		strbuf_addf(out, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		strbuf_addf(out, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
		strbuf_addstr(out, "true");
		break;
	case JSON_FALSE:
		strbuf_addstr(out, "false");
		break;
	case JSON_NULL:
		break;
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (s)
			strbuf_addstr(out, s);
		free(s);
		break;
	}
}

static json_t *text_value(struct strbuf *sb)
{
	json_t *v = json_stringn(sb->buf, sb->len);
	strbuf_release(sb);
	return v ? v : json_null();
}

static int is_true(const json_t *v)
{
	return json_is_true(v);
}

static const char *str_or_null(const json_t *v, struct strbuf *tmp)
{
	if (json_is_null(v) || !v)
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	strbuf_reset(tmp);
	to_text(v, tmp);
	return tmp->buf;
}

/* Kusto's == on two non-null values: -2 when they cannot be compared (the result is null). */
static int compare(const json_t *a, const json_t *b, int fold)
{
	if (json_is_number(a) && json_is_number(b)) {
		double x = json_number_value(a), y = json_number_value(b);
		return x < y ? -1 : x > y;
	}
	if (json_is_boolean(a) && json_is_boolean(b))
		return json_is_true(a) - json_is_true(b);
	if (json_is_string(a) && json_is_string(b)) { /* the common case: no copies */
		int c = fold ? strcasecmp(json_string_value(a), json_string_value(b))
			     : strcmp(json_string_value(a), json_string_value(b));
		return c < 0 ? -1 : c > 0;
	}
	if (json_is_string(a) || json_is_string(b)) {
		struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT;
		int c;
		to_text(a, &ta);
		to_text(b, &tb);
		c = fold ? strcasecmp(ta.buf, tb.buf) : strcmp(ta.buf, tb.buf);
		strbuf_release(&ta);
		strbuf_release(&tb);
		return c < 0 ? -1 : c > 0;
	}
	return json_equal(a, b) ? 0 : -2;
}

/* has: needle is a whole term of hay (terms are runs of letters and digits), any case. */
static int has_term(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	const char *s = hay;
	if (!n)
		return 1;
	while ((s = strcase_find(s, needle))) {
		int before = s == hay || !isalnum((unsigned char)s[-1]);
		int after = !isalnum((unsigned char)s[n]);
		if (before && after)
			return 1;
		s++;
	}
	return 0;
}

static json_t *eval(const struct node *n, const json_t *row);

static json_t *eval_binary(const struct node *n, const json_t *row)
{
	json_t *l, *r = NULL, *res = json_null();
	struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT;
	const char *a, *b;
	int c;
	size_t i;
	if (n->op == OP_AND || n->op == OP_OR) {
		l = eval(n->args[0], row);
		if (n->op == OP_AND && json_is_false(l))
			return l;
		if (n->op == OP_OR && is_true(l))
			return l;
		r = eval(n->args[1], row);
		if (n->op == OP_AND)
			res = is_true(l) && is_true(r) ? json_true()
			      : json_is_false(r) ? json_false() : json_null();
		else
			res = is_true(r) ? json_true()
			      : json_is_false(l) && json_is_false(r) ? json_false() : json_null();
		json_decref(l);
		json_decref(r);
		return res;
	}
	l = eval(n->args[0], row);
	if (n->op == OP_IN || n->op == OP_IN_CI || n->op == OP_NOT_IN || n->op == OP_NOT_IN_CI) {
		int found = 0, fold = n->op == OP_IN_CI || n->op == OP_NOT_IN_CI;
		const struct node *list = n->args[1];
		if (json_is_null(l))
			goto out;
		for (i = 0; i < list->nargs && !found; i++) {
			json_t *v = eval(list->args[i], row);
			if (json_is_array(v)) { /* a dynamic array on the right: its members */
				size_t k;
				json_t *m;
				json_array_foreach(v, k, m)
					if (!json_is_null(m) && compare(l, m, fold) == 0)
						found = 1;
			} else if (!json_is_null(v) && compare(l, v, fold) == 0) {
				found = 1;
			}
			json_decref(v);
		}
		res = json_boolean((n->op == OP_IN || n->op == OP_IN_CI) ? found : !found);
		goto out;
	}
	r = eval(n->args[1], row);
	if (json_is_null(l) || json_is_null(r)) {
		/* string operators treat null as "" (Kusto converts); comparisons give null */
		if (n->op < OP_CONTAINS)
			goto out;
	}
	switch (n->op) {
	case OP_EQ:
	case OP_NE:
	case OP_EQ_CI:
	case OP_NE_CI:
		c = compare(l, r, n->op == OP_EQ_CI || n->op == OP_NE_CI);
		if (c == -2)
			res = json_boolean(n->op == OP_NE || n->op == OP_NE_CI);
		else
			res = json_boolean((n->op == OP_EQ || n->op == OP_EQ_CI) ? c == 0 : c != 0);
		break;
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		c = compare(l, r, 0);
		if (c == -2)
			break;
		res = json_boolean(n->op == OP_LT ? c < 0 : n->op == OP_LE ? c <= 0
				   : n->op == OP_GT ? c > 0 : c >= 0);
		break;
	default:
		a = str_or_null(l, &ta);
		b = str_or_null(r, &tb);
		if (!a)
			a = "";
		if (!b)
			b = "";
		switch (n->op) {
		case OP_CONTAINS: res = json_boolean(strcase_find(a, b) != NULL); break;
		case OP_NOT_CONTAINS: res = json_boolean(strcase_find(a, b) == NULL); break;
		case OP_CONTAINS_CS: res = json_boolean(strstr(a, b) != NULL); break;
		case OP_HAS: res = json_boolean(has_term(a, b)); break;
		case OP_NOT_HAS: res = json_boolean(!has_term(a, b)); break;
		case OP_STARTSWITH: res = json_boolean(!strncasecmp(a, b, strlen(b))); break;
		case OP_NOT_STARTSWITH: res = json_boolean(!!strncasecmp(a, b, strlen(b))); break;
		default: break;
		}
		break;
	}
out:
	json_decref(l);
	json_decref(r);
	strbuf_release(&ta);
	strbuf_release(&tb);
	return res;
}

static json_t *eval_call(const struct node *n, const json_t *row)
{
	json_t *v = NULL, *res = json_null();
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	switch (n->op) {
	case F_COALESCE:
		for (i = 0; i < n->nargs; i++) {
			v = eval(n->args[i], row);
			if (!json_is_null(v) && !(json_is_string(v) && !json_string_length(v)))
				return v;
			json_decref(v);
		}
		return json_null();
	case F_IFF:
		v = eval(n->args[0], row);
		res = eval(n->args[is_true(v) ? 1 : 2], row);
		json_decref(v);
		return res;
	case F_STRCAT:
		for (i = 0; i < n->nargs; i++) {
			v = eval(n->args[i], row);
			to_text(v, &sb);
			json_decref(v);
		}
		return text_value(&sb);
	case F_COUNT:
		return json_null(); /* only meaningful inside summarize */
	default:
		break;
	}
	v = eval(n->args[0], row);
	switch (n->op) {
	case F_TOSTRING:
		if (json_is_string(v)) {
			res = json_incref(v);
			break;
		}
		to_text(v, &sb); /* tostring(null) is "" */
		res = text_value(&sb);
		break;
	case F_TOLOWER:
	case F_TOUPPER:
		to_text(v, &sb);
		for (i = 0; i < sb.len; i++)
			sb.buf[i] = (char)(n->op == F_TOLOWER ? tolower((unsigned char)sb.buf[i])
							      : toupper((unsigned char)sb.buf[i]));
		res = text_value(&sb);
		break;
	case F_TOBOOL:
		if (json_is_boolean(v))
			res = json_boolean(json_is_true(v));
		else if (json_is_integer(v))
			res = json_boolean(json_integer_value(v) != 0);
		else if (json_is_string(v) && !strcasecmp(json_string_value(v), "true"))
			res = json_true();
		else if (json_is_string(v) && !strcasecmp(json_string_value(v), "false"))
			res = json_false();
		break;
	case F_TOINT:
		if (json_is_integer(v)) {
			res = json_incref(v);
		} else if (json_is_real(v) && isfinite(json_real_value(v)) &&
			   fabs(json_real_value(v)) < 9e18) {
			res = json_integer((json_int_t)json_real_value(v));
		} else if (json_is_boolean(v)) {
			res = json_integer(json_is_true(v));
		} else if (json_is_string(v)) {
			char *end;
			long long x;
			errno = 0;
			x = strtoll(json_string_value(v), &end, 10);
			if (!errno && end != json_string_value(v) && !*end)
				res = json_integer(x);
		}
		break;
	case F_ISNULL:
		res = json_boolean(json_is_null(v));
		break;
	case F_ISNOTNULL:
		res = json_boolean(!json_is_null(v));
		break;
	case F_ISEMPTY:
		res = json_boolean(json_is_null(v) || (json_is_string(v) && !json_string_length(v)));
		break;
	case F_ISNOTEMPTY:
		res = json_boolean(!(json_is_null(v) || (json_is_string(v) && !json_string_length(v))));
		break;
	case F_ARRAY_LENGTH:
		if (json_is_array(v))
			res = json_integer((json_int_t)json_array_size(v));
		break;
	case F_NOT:
		if (json_is_boolean(v))
			res = json_boolean(!json_is_true(v));
		break;
	default:
		break;
	}
	json_decref(v);
	strbuf_release(&sb);
	return res;
}

/* A new reference (json_null() for null). */
static json_t *eval(const struct node *n, const json_t *row)
{
	json_t *obj, *idx, *res = NULL;
	switch (n->kind) {
	case N_LIT:
		return json_incref(n->lit);
	case N_COL:
		res = json_object_get(row, n->name);
		return res ? json_incref(res) : json_null();
	case N_MEMBER:
		obj = eval(n->args[0], row);
		res = json_object_get(obj, n->name);
		res = res ? json_incref(res) : json_null();
		json_decref(obj);
		return res;
	case N_INDEX:
		obj = eval(n->args[0], row);
		idx = eval(n->args[1], row);
		if (json_is_object(obj) && json_is_string(idx)) {
			res = json_object_get(obj, json_string_value(idx));
		} else if (json_is_array(obj) && json_is_integer(idx)) {
			json_int_t i = json_integer_value(idx);
			if (i < 0)
				i += (json_int_t)json_array_size(obj);
			if (i >= 0)
				res = json_array_get(obj, (size_t)i);
		}
		res = res ? json_incref(res) : json_null();
		json_decref(obj);
		json_decref(idx);
		return res;
	case N_CALL:
		return eval_call(n, row);
	case N_BINARY:
		return eval_binary(n, row);
	case N_LIST:
	default:
		return json_null();
	}
}

/* ---- running operators ---- */

static int column_index(const json_t *columns, const char *name)
{
	size_t i;
	json_t *c;
	json_array_foreach(columns, i, c)
		if (!strcmp(json_string_value(c), name))
			return (int)i;
	return -1;
}

static void column_add(json_t *columns, const char *name)
{
	if (column_index(columns, name) < 0)
		json_array_append_new(columns, json_string(name));
}

/* A small case-sensitive hash set of strings: the keys of summarize and distinct. */
struct key_set {
	char **keys;
	size_t *values;
	size_t nr_slots, nr;
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Returns the value stored under key, or stores value under it and returns (size_t)-1. */
static size_t key_set_add(struct key_set *set, const char *key, size_t value)
{
	size_t i, mask;
	if ((set->nr + 1) * 2 > set->nr_slots) {
		struct key_set bigger = { NULL, NULL, set->nr_slots ? set->nr_slots * 2 : 64, 0 };
		bigger.keys = xcalloc(bigger.nr_slots, sizeof(*bigger.keys));
		bigger.values = xcalloc(bigger.nr_slots, sizeof(*bigger.values));
		for (i = 0; i < set->nr_slots; i++) {
			size_t k;
			if (!set->keys[i])
				continue;
			k = fnv(set->keys[i]) & (bigger.nr_slots - 1);
			while (bigger.keys[k])
				k = (k + 1) & (bigger.nr_slots - 1);
			bigger.keys[k] = set->keys[i];
			bigger.values[k] = set->values[i];
		}
		bigger.nr = set->nr;
		free(set->keys);
		free(set->values);
		*set = bigger;
	}
	mask = set->nr_slots - 1;
	for (i = fnv(key) & mask; set->keys[i]; i = (i + 1) & mask)
		if (!strcmp(set->keys[i], key))
			return set->values[i];
	set->keys[i] = xstrdup(key);
	set->values[i] = value;
	set->nr++;
	return (size_t)-1;
}

static void key_set_release(struct key_set *set)
{
	size_t i;
	for (i = 0; i < set->nr_slots; i++)
		free(set->keys[i]);
	free(set->keys);
	free(set->values);
}

/* The grouping key of values (compact JSON, type-tagged so 1 and "1" differ). */
static void key_of(json_t *const *values, size_t nr, struct strbuf *out)
{
	size_t i;
	strbuf_reset(out);
	for (i = 0; i < nr; i++) {
		char *s = json_dumps(values[i], JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
		strbuf_addstr(out, s ? s : "null");
		strbuf_addch(out, '\x1f');
		free(s);
	}
}

struct sort_row {
	json_t *row;
	json_t **keys;
	size_t index;
};

static const struct item *sort_items;
static size_t sort_nr;

static int type_rank(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_TRUE:
	case JSON_FALSE: return 1;
	case JSON_INTEGER:
	case JSON_REAL: return 2;
	case JSON_STRING: return 3;
	default: return 4;
	}
}

static int sort_cmp(const void *pa, const void *pb)
{
	const struct sort_row *a = pa, *b = pb;
	size_t i;
	for (i = 0; i < sort_nr; i++) {
		const json_t *x = a->keys[i], *y = b->keys[i];
		int c, xn = json_is_null(x), yn = json_is_null(y);
		if (xn || yn) {
			if (xn && yn)
				continue;
			c = xn ? -1 : 1;
			return sort_items[i].nulls_first ? c : -c;
		}
		if (type_rank(x) != type_rank(y)) {
			c = type_rank(x) - type_rank(y);
		} else if (json_is_string(x)) {
			c = strcmp(json_string_value(x), json_string_value(y));
		} else {
			c = compare(x, y, 0);
			if (c == -2) /* two objects: no order between them */
				c = 0;
		}
		if (c)
			return sort_items[i].desc ? -c : c;
	}
	return a->index < b->index ? -1 : a->index > b->index;
}

static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static json_t *run_order(const struct op *op, json_t *rows)
{
	size_t n = json_array_size(rows), i, k;
	struct sort_row *sr = xcalloc(n ? n : 1, sizeof(*sr));
	json_t *out = json_array();
	for (i = 0; i < n; i++) {
		sr[i].row = json_array_get(rows, i);
		sr[i].index = i;
		sr[i].keys = xcalloc(op->nr, sizeof(*sr[i].keys));
		for (k = 0; k < op->nr; k++)
			sr[i].keys[k] = eval(op->items[k].expr, sr[i].row);
	}
	/* qsort has no argument for the comparator: the items ride in statics, under a lock */
	pthread_mutex_lock(&sort_lock);
	sort_items = op->items;
	sort_nr = op->nr;
	qsort(sr, n, sizeof(*sr), sort_cmp);
	pthread_mutex_unlock(&sort_lock);
	for (i = 0; i < n; i++) {
		json_array_append(out, sr[i].row);
		for (k = 0; k < op->nr; k++)
			json_decref(sr[i].keys[k]);
		free(sr[i].keys);
	}
	free(sr);
	return out;
}

static json_t *run_summarize(const struct op *op, json_t *rows, json_t *columns)
{
	struct key_set groups = { NULL, NULL, 0, 0 };
	struct strbuf key = STRBUF_INIT;
	json_t *out = json_array(), *row, **vals = xcalloc(op->nr + 1, sizeof(*vals));
	size_t i, k, g;
	json_array_clear(columns);
	for (k = 0; k < op->nr; k++)
		column_add(columns, op->items[k].name);
	for (k = 0; k < op->nr_aggs; k++)
		column_add(columns, op->aggs[k].name);
	json_array_foreach(rows, i, row) {
		json_t *group;
		for (k = 0; k < op->nr; k++)
			vals[k] = eval(op->items[k].expr, row);
		key_of(vals, op->nr, &key);
		g = key_set_add(&groups, key.buf, json_array_size(out));
		if (g == (size_t)-1) {
			group = json_object();
			for (k = 0; k < op->nr; k++)
				json_object_set(group, op->items[k].name, vals[k]);
			for (k = 0; k < op->nr_aggs; k++)
				json_object_set_new(group, op->aggs[k].name, json_integer(0));
			json_array_append_new(out, group);
		} else {
			group = json_array_get(out, g);
		}
		for (k = 0; k < op->nr_aggs; k++) {
			json_t *c = json_object_get(group, op->aggs[k].name);
			json_integer_set(c, json_integer_value(c) + 1);
		}
		for (k = 0; k < op->nr; k++)
			json_decref(vals[k]);
	}
	/* summarize without by over no rows still answers one row of zeroes */
	if (!op->nr && !json_array_size(out)) {
		json_t *group = json_object();
		for (k = 0; k < op->nr_aggs; k++)
			json_object_set_new(group, op->aggs[k].name, json_integer(0));
		json_array_append_new(out, group);
	}
	key_set_release(&groups);
	strbuf_release(&key);
	free(vals);
	return out;
}

static json_t *run_distinct(const struct op *op, json_t *rows, json_t *columns)
{
	struct key_set seen = { NULL, NULL, 0, 0 };
	struct strbuf key = STRBUF_INIT;
	json_t *out = json_array(), *row, **vals = xcalloc(op->nr, sizeof(*vals));
	size_t i, k;
	json_array_clear(columns);
	for (k = 0; k < op->nr; k++)
		column_add(columns, op->items[k].name);
	json_array_foreach(rows, i, row) {
		for (k = 0; k < op->nr; k++)
			vals[k] = eval(op->items[k].expr, row);
		key_of(vals, op->nr, &key);
		if (key_set_add(&seen, key.buf, i) == (size_t)-1) {
			json_t *o = json_object();
			for (k = 0; k < op->nr; k++)
				json_object_set(o, op->items[k].name, vals[k]);
			json_array_append_new(out, o);
		}
		for (k = 0; k < op->nr; k++)
			json_decref(vals[k]);
	}
	key_set_release(&seen);
	strbuf_release(&key);
	free(vals);
	return out;
}

/*
 * Kusto expands at most 128 values of one record unless `limit` says otherwise, and armsim
 * keeps a whole table in memory: an expansion stops at max_rows (the rows after it are left
 * out, as a truncated result would leave them). Without a cap a chain of mv-expands over one
 * array grows as len^n (found by fuzz/fuzz_kql.c, an out-of-memory). The cap follows the
 * query's source table (KQL_EXPAND_FACTOR rows for each, at least KQL_EXPAND_MIN_ROWS), so a
 * real inventory's expansion is never cut while a runaway chain stays cheap.
 */
#define KQL_EXPAND_PER_RECORD 128
#define KQL_EXPAND_FACTOR 8
#define KQL_EXPAND_MIN_ROWS 10000

static json_t *run_mv_expand(const struct op *op, json_t *rows, json_t *columns, size_t max_rows)
{
	json_t *out = json_array(), *row;
	size_t i, k;
	for (k = 0; k < op->nr; k++)
		column_add(columns, op->items[k].name);
	json_array_foreach(rows, i, row) {
		if (json_array_size(out) >= max_rows)
			break;
		/* one column at a time would multiply; Kusto zips several: so do we */
		json_t **vals = xcalloc(op->nr, sizeof(*vals));
		size_t longest = 0, j;
		int any_array = 0;
		for (k = 0; k < op->nr; k++) {
			vals[k] = eval(op->items[k].expr, row);
			if (json_is_array(vals[k])) {
				any_array = 1;
				if (json_array_size(vals[k]) > longest)
					longest = json_array_size(vals[k]);
			}
		}
		if (!any_array)
			longest = 1;
		if (longest > KQL_EXPAND_PER_RECORD)
			longest = KQL_EXPAND_PER_RECORD;
		for (j = 0; j < longest && json_array_size(out) < max_rows; j++) {
			json_t *o = json_copy(row);
			for (k = 0; k < op->nr; k++) {
				json_t *v = json_is_array(vals[k]) ? json_array_get(vals[k], j) : vals[k];
				json_object_set(o, op->items[k].name, v ? v : json_null());
			}
			json_array_append_new(out, o);
		}
		for (k = 0; k < op->nr; k++)
			json_decref(vals[k]);
		free(vals);
	}
	return out;
}

static json_t *run_op(const struct op *op, json_t *rows, json_t *columns, size_t max_rows)
{
	json_t *out = json_array(), *row;
	size_t i, k;
	switch (op->kind) {
	case Q_WHERE:
		json_array_foreach(rows, i, row) {
			json_t *v = eval(op->cond, row);
			if (is_true(v))
				json_array_append(out, row);
			json_decref(v);
		}
		return out;
	case Q_EXTEND:
		for (k = 0; k < op->nr; k++)
			column_add(columns, op->items[k].name);
		json_array_foreach(rows, i, row) {
			json_t *o = json_copy(row);
			for (k = 0; k < op->nr; k++)
				json_object_set_new(o, op->items[k].name, eval(op->items[k].expr, o));
			json_array_append_new(out, o);
		}
		return out;
	case Q_PROJECT:
		json_array_clear(columns);
		for (k = 0; k < op->nr; k++)
			column_add(columns, op->items[k].name);
		json_array_foreach(rows, i, row) {
			json_t *o = json_object();
			for (k = 0; k < op->nr; k++)
				json_object_set_new_nocheck(o, op->items[k].name, eval(op->items[k].expr, row));
			json_array_append_new(out, o);
		}
		return out;
	case Q_PROJECT_AWAY:
		for (k = 0; k < op->nr; k++) {
			int c = column_index(columns, op->items[k].name);
			if (c >= 0)
				json_array_remove(columns, (size_t)c);
		}
		json_array_foreach(rows, i, row) {
			json_t *o = json_copy(row);
			for (k = 0; k < op->nr; k++)
				json_object_del(o, op->items[k].name);
			json_array_append_new(out, o);
		}
		return out;
	case Q_TAKE:
		json_array_foreach(rows, i, row) {
			if ((long long)i >= op->take)
				break;
			json_array_append(out, row);
		}
		return out;
	case Q_COUNT:
		json_array_clear(columns);
		column_add(columns, "Count");
		json_array_append_new(out, json_pack("{s:I}", "Count", (json_int_t)json_array_size(rows)));
		return out;
	case Q_ORDER:
		json_decref(out);
		return run_order(op, rows);
	case Q_SUMMARIZE:
		json_decref(out);
		return run_summarize(op, rows, columns);
	case Q_DISTINCT:
		json_decref(out);
		return run_distinct(op, rows, columns);
	case Q_MV_EXPAND:
		json_decref(out);
		return run_mv_expand(op, rows, columns, max_rows);
	}
	return out;
}

void kql_run(const struct kql_query *q, const json_t *rows, const json_t *columns,
	     struct kql_table *out)
{
	size_t max_rows = json_array_size(rows) * KQL_EXPAND_FACTOR;
	if (max_rows < KQL_EXPAND_MIN_ROWS)
		max_rows = KQL_EXPAND_MIN_ROWS;
	kql_run_capped(q, rows, columns, max_rows, out);
}

void kql_run_capped(const struct kql_query *q, const json_t *rows, const json_t *columns,
		    size_t max_rows, struct kql_table *out)
{
	json_t *cur, *cols = json_copy((json_t *)columns);
	size_t i;
	/* securityresources: armsim has no Defender data, so the table is there and empty */
	cur = strcmp(q->table, "resources") ? json_array() : json_copy((json_t *)rows);
	if (!cur)
		cur = json_array();
	if (!cols)
		cols = json_array();
	for (i = 0; i < q->nr; i++) {
		json_t *next_rows = run_op(&q->ops[i], cur, cols, max_rows);
		json_decref(cur);
		cur = next_rows;
	}
	out->rows = cur;
	out->columns = cols;
}
