/*
 * armexpr — the subset of ARM template expressions `policyctl check` evaluates offline.
 *
 * A template string "[...]" is an expression ("[[..." is a literal starting with '[').
 * Parameters (given values, then defaults), variables, copyIndex() of the enclosing copy
 * loops, and the pure functions (concat, format, if, equals, not, and, or, toLower, toUpper,
 * string, int, bool, length, empty, contains, startsWith, endsWith, replace, substring,
 * first, last, coalesce, union, createObject, createArray, add/sub/mul/div/mod, comparisons,
 * true, false, null, json, split, join, trim) are evaluated; property access (`.name`,
 * `['name']`, `[0]`) too. Anything else — reference(), resourceGroup(), uniqueString(),
 * user functions — is only known at deployment: the result is then "unknown" with a reason
 * naming what could not be resolved, never a guess.
 *
 * Unknown travels inside values as a marker object, so an unknown leaf deep in a variable
 * does not make its known siblings unknown.
 */
#ifndef IAC_ARMEXPR_H
#define IAC_ARMEXPR_H

#include <jansson.h>

#include "lib/strbuf.h"

#define ARMEXPR_MAX_LOOPS 8

struct armexpr_loop {
	const char *name; /* copy loop name (borrowed), or NULL */
	long long index;
};

/*
 * What names mean while evaluating one template (the outer template, or a nested one with
 * expressionEvaluationOptions.scope = inner). Borrowed pointers must outlive the scope.
 */
struct armexpr_scope {
	json_t *parameters;     /* the template's "parameters" declarations (borrowed, may be NULL) */
	json_t *given;          /* name -> given value, or an unknown marker (owned) */
	json_t *variables;      /* the template's "variables" (borrowed, may be NULL) */
	json_t *cache;          /* resolved parameters and variables: "p:name"/"v:name" (owned) */
	struct armexpr_loop loops[ARMEXPR_MAX_LOOPS]; /* innermost last */
	unsigned loop_count;
	unsigned depth;         /* nesting of parameter/variable resolution (cycle guard) */
};

/* Sets up scope over a template object (borrowed); given starts empty. */
void armexpr_scope_init(struct armexpr_scope *scope, json_t *template_json);
/* Gives parameter name the value (stolen; may be an unknown marker). */
void armexpr_scope_give(struct armexpr_scope *scope, const char *name, json_t *value);
void armexpr_scope_release(struct armexpr_scope *scope);

/* A new unknown marker saying why (copied). */
json_t *armexpr_unknown(const char *why);
/* If v (borrowed) is an unknown marker, its reason (borrowed), else NULL. */
const char *armexpr_unknown_why(const json_t *v);

/*
 * Evaluates value (borrowed) one level: an expression string is evaluated; a literal string
 * "[[x" becomes "[x"; anything else is returned as is. Returns a new reference, which may be
 * an unknown marker; never NULL.
 */
json_t *armexpr_resolve(struct armexpr_scope *scope, json_t *value);
/* As armexpr_resolve, through objects and arrays too (unknown leaves stay markers). */
json_t *armexpr_resolve_deep(struct armexpr_scope *scope, json_t *value);
/* Is s an expression (starts with '[' but not "[[", ends with ']')? */
int armexpr_is_expression(const char *s);

#endif
