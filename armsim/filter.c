/*
 * filter — armsim's OData $filter parser (see filter.h).
 */
#include <string.h>
#include <strings.h>

#include "armsim/filter.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* Reads a clause's field (or whole call) into c; NULL when it does not fit c->field. */
static const char *filter_field(const char *p, struct armsim_filter_clause *c, int *is_call)
{
	size_t n = 0;
	int depth = 0, quoted = 0;
	*is_call = 0;
	while (*p && (depth || quoted || *p != ' ')) {
		if (*p == '\'')
			quoted = !quoted;
		else if (!quoted && *p == '(')
			depth++, *is_call = 1;
		else if (!quoted && *p == ')' && depth)
			depth--;
		if (n + 1 == sizeof(c->field))
			return NULL;
		c->field[n++] = *p;
		p++;
	}
	c->field[n] = '\0';
	return p;
}

int armsim_filter_parse(const char *text, struct armsim_filter *f, struct strbuf *err)
{
	const char *p = text;

	memset(f, 0, sizeof(*f));
	if (!text)
		return 0;
	while (*p) {
		struct armsim_filter_clause *c;
		size_t n = 0;
		int is_call;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (f->nr == ARRAY_SIZE(f->clauses)) {
			strbuf_addstr(err, "too many $filter clauses");
			return -1;
		}
		c = &f->clauses[f->nr];
		p = filter_field(p, c, &is_call);
		if (!p) {
			strbuf_addf(err, "$filter field longer than %zu characters: '%.40s...'",
				    sizeof(c->field) - 1, c->field);
			return -1;
		}
		while (*p == ' ')
			p++;
		if (is_call) {
			c->op = ARMSIM_FILTER_CALL;
		} else {
			if (!strncasecmp(p, "eq ", 3))
				c->op = ARMSIM_FILTER_EQ;
			else if (!strncasecmp(p, "ne ", 3))
				c->op = ARMSIM_FILTER_NE;
			else {
				strbuf_addf(err, "unsupported $filter near '%s'", p);
				return -1;
			}
			p += 3;
			while (*p == ' ')
				p++;
			if (*p == '\'') {
				for (p++; *p && !(*p == '\'' && p[1] != '\''); p++) {
					if (*p == '\'')
						p++;
					if (n + 1 == sizeof(c->value))
						goto too_long;
					c->value[n++] = *p;
				}
				if (*p != '\'') {
					strbuf_addstr(err, "unterminated string in $filter");
					return -1;
				}
				p++;
			} else {
				while (*p && *p != ' ') {
					if (n + 1 == sizeof(c->value))
						goto too_long;
					c->value[n++] = *p++;
				}
			}
			while (*p == ' ')
				p++;
		}
		f->nr++;
		if (*p && strncasecmp(p, "and ", 4)) {
			strbuf_addf(err, "unsupported $filter near '%s' (only 'and' joins clauses)", p);
			return -1;
		}
		if (*p)
			p += 4;
	}
	return 0;
too_long:
	strbuf_addf(err, "$filter value of '%s' longer than %zu characters",
		    f->clauses[f->nr].field, sizeof(f->clauses[0].value) - 1);
	return -1;
}

int armsim_filter_eq(const char *filter, const char *field, struct strbuf *out)
{
	struct armsim_filter f;
	struct strbuf err = STRBUF_INIT;
	size_t i;
	int parsed = !armsim_filter_parse(filter, &f, &err);
	strbuf_release(&err);
	if (!parsed)
		return 0;
	for (i = 0; i < f.nr; i++)
		if (f.clauses[i].op == ARMSIM_FILTER_EQ && !strcasecmp(f.clauses[i].field, field)) {
			strbuf_addstr(out, f.clauses[i].value);
			return 1;
		}
	return 0;
}

int armsim_filter_has_call(const char *filter, const char *name)
{
	struct armsim_filter f;
	struct strbuf err = STRBUF_INIT;
	size_t i, n = strlen(name);
	int parsed = !armsim_filter_parse(filter, &f, &err);
	strbuf_release(&err);
	if (!parsed)
		return 0;
	for (i = 0; i < f.nr; i++)
		if (f.clauses[i].op == ARMSIM_FILTER_CALL && !strncasecmp(f.clauses[i].field, name, n) &&
		    f.clauses[i].field[n] == '(')
			return 1;
	return 0;
}
