/*
 * template — the ARM template language as armsim needs it.
 *
 * Two layers share one expression engine:
 *  - expressions: "[concat(parameters('a'), '/web')]" strings, parsed once into a tree and
 *    evaluated against a scope. Policy rules use them too (parameters(), field(), current(),
 *    requestContext()), so the policy evaluator compiles its expressions here.
 *  - deployments: a DeployIfNotExists deployment ({mode, parameters, template}) interpreted
 *    into the resource writes it would make, nested Microsoft.Resources/deployments included.
 *
 * Only the functions the rendered and built-in App Service templates use are known; any other
 * function, `copy` loops, or linked templates are errors at parse time with the construct
 * named, never a silent pass. Function names are case-insensitive, as in ARM. `if` evaluates
 * only the branch it takes (ARM has done so since 2020), so a reference() in the other branch
 * is never resolved.
 */
#ifndef TEMPLATE_H
#define TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "lib/strbuf.h"

enum template_result {
	TEMPLATE_OK = 0,
	TEMPLATE_INVALID,    /* syntax error, unknown function, wrong argument count or types */
	TEMPLATE_NOT_FOUND,  /* reference() to a resource that does not exist */
	TEMPLATE_FORBIDDEN,  /* reference() the caller may not read */
};

struct template_scope;

/*
 * What the surrounding world provides. Every callback may be NULL, in which case calling the
 * matching function is a TEMPLATE_INVALID error naming it.
 */
struct template_host {
	/* field('alias') in a policy rule: *out gets a new reference (json_null() when absent). */
	enum template_result (*field)(void *data, const char *alias, json_t **out,
				      struct strbuf *err);
	/* current('name') inside a count: *out gets a new reference. */
	enum template_result (*current)(void *data, const char *name, json_t **out,
					struct strbuf *err);
	/*
	 * reference(id, apiVersion, 'Full'): *out gets a new reference to the whole resource
	 * when full, else to its properties.
	 */
	enum template_result (*reference)(void *data, const char *resource_id,
					  const char *api_version, int full, json_t **out,
					  struct strbuf *err);
	void *data;
};

struct template_scope {
	const json_t *parameters;       /* borrowed: name -> value, already resolved */
	const json_t *variables;        /* borrowed: name -> unevaluated template value, or NULL */
	const struct template_host *host; /* borrowed, may be NULL */
	const char *subscription_id;    /* for resourceId()/subscription(); may be NULL */
	const char *resource_group;     /* for resourceId()/resourceGroup(); may be NULL */
	const char *location;           /* resourceGroup().location; may be NULL */
	const char *api_version;        /* requestContext().apiVersion; may be NULL */
	int depth;                      /* variable recursion guard, start at 0 */
};

struct template_expr;

/* Whether s is an expression: "[...]" but not the "[[" escape for a literal bracket. */
int template_is_expression(const char *s);

/*
 * Parses one expression string (with its brackets). Returns a new tree in *out, or
 * TEMPLATE_INVALID with err saying what and where.
 */
enum template_result template_expr_parse(const char *text, struct template_expr **out,
					 struct strbuf *err);
void template_expr_free(struct template_expr *expr);
/* Evaluates expr in scope; *out gets a new reference. */
enum template_result template_expr_eval(const struct template_expr *expr,
					const struct template_scope *scope, json_t **out,
					struct strbuf *err);

/*
 * Checks every expression string inside value (recursively through objects and arrays)
 * parses. The policy evaluator and the definition PUT use it to refuse what cannot run.
 */
enum template_result template_value_check(const json_t *value, struct strbuf *err);
/*
 * Evaluates value (borrowed): expression strings are replaced by their results, "[[" escapes
 * unescaped, everything else copied. *out gets a new reference.
 */
enum template_result template_value_eval(const json_t *value, const struct template_scope *scope,
					 json_t **out, struct strbuf *err);

/* One write a deployment makes. */
struct template_write {
	char *resource_id;   /* full ARM id, new */
	char *type;          /* e.g. "Microsoft.Web/sites/config", new */
	char *api_version;   /* new */
	json_t *body;        /* new: the resource as the PUT sends it (location, kind, tags, properties...) */
};

struct template_writes {
	struct template_write *items;
	size_t nr, alloc;
};

void template_writes_release(struct template_writes *writes);

/* Where a deployment runs (a DeployIfNotExists deployment runs in the resource's group). */
struct template_target {
	const char *subscription_id;        /* borrowed */
	const char *resource_group;         /* borrowed */
	const char *location;               /* borrowed, may be NULL */
	const struct template_host *host;   /* borrowed: reference() goes here */
};

/*
 * Checks a deployment template statically: every expression parses, no copy loops, no
 * linked templates, nested deployments well-formed. Used when a definition is PUT.
 */
enum template_result template_check(const json_t *template, struct strbuf *err);

/*
 * Interprets template (borrowed) with parameter values (borrowed: name -> {"value": v} as a
 * deployment's "parameters" holds them) and appends the writes it
 * makes to writes, in document order, nested deployments expanded where they stand.
 * Missing parameters without a defaultValue are TEMPLATE_INVALID. On error writes may hold
 * the writes made before it.
 */
enum template_result template_deploy(const json_t *template, const json_t *parameters,
				     const struct template_target *target,
				     struct template_writes *writes, struct strbuf *err);

/* Builds "/subscriptions/S/resourceGroups/RG/providers/NS/t1/n1/t2/n2" from a type and a name "n1/n2". */
enum template_result template_resource_id(const char *subscription_id, const char *resource_group,
					  const char *type, const char *name, struct strbuf *out,
					  struct strbuf *err);

/*
 * Deep equality of two values: arrays element by element, objects key by key (keys matched
 * case-insensitively), everything else by scalar_equal (which also sees containers of
 * different kinds, so it decides those mismatches). Policy conditions and template functions
 * differ only in how they compare scalars.
 */
int template_json_equal(const json_t *a, const json_t *b,
			int (*scalar_equal)(const json_t *a, const json_t *b));

/* Case-insensitive object lookup, as ARM treats parameter and property names (borrowed). */
json_t *template_object_get(const json_t *object, const char *key);

#endif
