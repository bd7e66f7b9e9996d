/*
 * kql — the subset of the Kusto Query Language that Azure Resource Graph inventory queries use,
 * parsed once and run over rows that are JSON objects.
 *
 * Tables: `resources` (and `securityresources`, which armsim always serves empty); a query
 * may also start with an operator, which then reads `resources`, as ARG allows.
 * Operators: where, extend, project, project-away, order by / sort by, take / limit,
 * summarize count() by, count, distinct, mv-expand.
 * Scalar operators: == != =~ !~ < <= > >= in in~ !in !in~ contains !contains has !has
 * startswith !startswith and or; functions tostring tolower toupper tobool toint isnull
 * isnotnull isempty isnotempty coalesce iff/iif array_length strcat not; dynamic property
 * access (properties.siteConfig.http20Enabled, tags['env'], zones[0]).
 * Semantics follow Kusto where the subset reaches: a comparison with null is null (the row is
 * dropped by where), string equality is case-sensitive and =~ folds case, contains/has/
 * startswith fold case, `order by` defaults to descending, nulls first ascending and last
 * descending.
 *
 * Anything outside the subset is refused at parse time, naming what was found: an operator of
 * Kusto that armsim does not run (join, union, parse, ...) is KQL_UNSUPPORTED, anything that is
 * not Kusto at all is KQL_PARSE_ERROR. Parsing never reads past its input and caps nesting, so
 * any byte string is safe to give it (fuzz/fuzz_kql.c).
 */
#ifndef ARMSIM_KQL_H
#define ARMSIM_KQL_H
#include <jansson.h>
#include <stddef.h>

#include "lib/strbuf.h"

enum kql_result {
	KQL_OK = 0,
	KQL_PARSE_ERROR,   /* not a query: the error names the line, column and token */
	KQL_UNSUPPORTED,   /* Kusto, but outside armsim's subset: the error names the operator */
};

struct kql_error {
	struct strbuf message; /* what went wrong, e.g. "operator 'join' is not supported" */
	int line;              /* 1-based line of the offending token */
	int column;            /* 0-based character position in that line (ARG's convention) */
	struct strbuf token;   /* the offending token ("" at the end of the query) */
	struct strbuf name;    /* KQL_UNSUPPORTED: the operator or function refused */
};
#define KQL_ERROR_INIT { STRBUF_INIT, 0, 0, STRBUF_INIT, STRBUF_INIT }
void kql_error_release(struct kql_error *err);

struct kql_query;

/*
 * Parses text (NUL-terminated, borrowed). Returns KQL_OK with *out a new query (kql_query_free),
 * or an error with *out NULL and err filled.
 */
enum kql_result kql_parse(const char *text, struct kql_query **out, struct kql_error *err);
void kql_query_free(struct kql_query *q);
/* The table the query reads: "resources" or "securityresources" (static string). */
const char *kql_query_table(const struct kql_query *q);

/*
 * The resource types the query can return at all, read from the `where` operators that open
 * it: a top-level conjunct `type == 'x'`, `type =~ 'x'`, `type in ('x', ...)` or
 * `type in~ (...)`. Fills out (an array, new reference) with the types in lower case and
 * returns 1; returns 0 (out untouched) when the query does not restrict types that way. The
 * caller may then build only rows of those types: the where still runs over them.
 */
int kql_query_types(const struct kql_query *q, json_t **out);

/* A query's result: rows in order and the names of their columns in order. */
struct kql_table {
	json_t *rows;    /* array of objects (owned) */
	json_t *columns; /* array of column names (owned) */
};

/*
 * Runs q over rows (an array of objects, borrowed; rows are shared, never changed) whose columns
 * are `columns` (array of names, borrowed: the table's schema order). Fills *out (release with
 * kql_table_release). Never fails: a value of the wrong kind is null, as in Kusto's dynamic.
 */
void kql_run(const struct kql_query *q, const json_t *rows, const json_t *columns,
	     struct kql_table *out);
/*
 * kql_run with mv-expand's row cap given (kql_run's is 8 rows per source row, at least 10,000).
 * For fuzz/fuzz_kql.c, whose 3-row fixture would otherwise build 10,000-row tables and crawl.
 */
void kql_run_capped(const struct kql_query *q, const json_t *rows, const json_t *columns,
		    size_t max_rows, struct kql_table *out);
void kql_table_release(struct kql_table *t);

/* The Kusto type name of a value for ARG's table format: string, integer, real, boolean, object. */
const char *kql_type_name(const json_t *v);
#endif
