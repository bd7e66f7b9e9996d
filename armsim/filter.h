/*
 * filter — the one OData $filter parser of armsim's lists (used through arm.h). A module of
 * its own, with no dependency on the world or the server, so fuzz/fuzz_armsim_filter.c can
 * link it alone.
 */
#ifndef ARMSIM_FILTER_H
#define ARMSIM_FILTER_H

#include <stddef.h>

#include "lib/strbuf.h"

/*
 * An OData $filter as ARM lists take it: clauses joined by "and", each either
 * `Field eq 'value'` / `Field ne value` or a function call such as `atScope()` or
 * `assignedTo('id')` (kept whole in field, with no operator). Doubled quotes in a quoted
 * value stand for one quote. Every list handler parses its $filter with armsim_filter_parse.
 */
enum armsim_filter_op { ARMSIM_FILTER_EQ, ARMSIM_FILTER_NE, ARMSIM_FILTER_CALL };
struct armsim_filter_clause {
	char field[64];               /* "ComplianceState", or the whole call "atScope()" */
	enum armsim_filter_op op;
	char value[512];              /* unquoted; "" for a call */
};
struct armsim_filter {
	struct armsim_filter_clause clauses[8];
	size_t nr;
};
/*
 * Parses text (NULL = no clauses) into *f. Returns 0, or -1 with err saying what is not
 * supported (f then holds the clauses before the bad one). A field or value that does not fit
 * its buffer is refused, never cut short.
 */
int armsim_filter_parse(const char *text, struct armsim_filter *f, struct strbuf *err);
/*
 * The value of the first `field eq 'VALUE'` clause of filter (NULL filter is fine, field
 * compared ignoring case), appended to out. Returns 1 when found, 0 otherwise (also when the
 * filter does not parse).
 */
int armsim_filter_eq(const char *filter, const char *field, struct strbuf *out);
/* Whether the filter holds a call named name ("atScope" matches "atScope()"). */
int armsim_filter_has_call(const char *filter, const char *name);

#endif
