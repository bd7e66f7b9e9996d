/*
 * template_func — the table of ARM template functions armsim knows, shared by the expression
 * parser (which finds a call's function and checks its arity at parse time) and the evaluator
 * (which calls it). Internal to template*.c; everyone else uses template.h.
 */
#ifndef ARMSIM_TEMPLATE_FUNC_H
#define ARMSIM_TEMPLATE_FUNC_H

#include <jansson.h>
#include <stddef.h>

#include "armsim/template.h"
#include "lib/strbuf.h"

/* A function's body: args (borrowed, already evaluated), *out a new reference. */
typedef enum template_result (*func_fn)(const struct template_scope *scope, json_t **args,
					size_t nr, json_t **out, struct strbuf *err);

struct template_func {
	const char *name;
	size_t min_args, max_args;
	func_fn fn;     /* NULL for the lazy ones handled in eval_call (if) */
};

/* The function named name[0..len) (case-insensitive, as ARM's), or NULL (borrowed, static). */
const struct template_func *template_func_find(const char *name, size_t len);
/* "string", "object", ... for messages about a value's kind (static string). */
const char *template_kind_name(const json_t *v);
#endif
