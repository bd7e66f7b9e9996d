/*
 * policy_rule — the compiled form of a policy definition: condition trees, field references,
 * values that may hold expressions, Modify operations. Written by policy_compile.c, read by
 * policy_eval.c; internal to those two (everyone else sees struct policy_definition as opaque
 * through policy_eval.h).
 */
#ifndef ARMSIM_POLICY_RULE_H
#define ARMSIM_POLICY_RULE_H

#include <jansson.h>
#include <stddef.h>

#include "armsim/alias.h"
#include "armsim/policy_eval.h"
#include "armsim/template.h"
#include "lib/strbuf.h"

enum node_kind { NODE_ALL_OF, NODE_ANY_OF, NODE_NOT, NODE_CONDITION };
enum lhs_kind { LHS_FIELD, LHS_FIELD_EXPR, LHS_VALUE, LHS_COUNT_FIELD, LHS_COUNT_VALUE };
enum field_kind {
	FIELD_NAME, FIELD_FULL_NAME, FIELD_KIND, FIELD_TYPE, FIELD_LOCATION, FIELD_ID,
	FIELD_TAGS, FIELD_TAG, FIELD_IDENTITY_TYPE, FIELD_ALIAS,
};

enum op {
	OP_EQUALS, OP_NOT_EQUALS, OP_LIKE, OP_NOT_LIKE, OP_MATCH, OP_NOT_MATCH,
	OP_MATCH_I, OP_NOT_MATCH_I, OP_CONTAINS, OP_NOT_CONTAINS, OP_IN, OP_NOT_IN,
	OP_CONTAINS_KEY, OP_NOT_CONTAINS_KEY, OP_LESS, OP_LESS_OR_EQUALS, OP_GREATER,
	OP_GREATER_OR_EQUALS, OP_EXISTS,
};

struct field_ref {
	enum field_kind kind;
	char *tag;           /* FIELD_TAG: the tag name */
	struct alias alias;  /* FIELD_ALIAS */
	int has_star;        /* the alias path holds [*] */
};

/* A JSON value from the definition that may hold expressions. */
struct cvalue {
	json_t *literal;              /* the value as written */
	struct template_expr *expr;   /* when literal is one expression string */
	int nested;                   /* expressions deeper inside an object or array */
};

struct node {
	enum node_kind kind;
	struct node **children;  /* allOf/anyOf/not */
	size_t nr_children;
	enum lhs_kind lhs;
	struct field_ref field;        /* LHS_FIELD, LHS_COUNT_FIELD (path ends in [*]) */
	struct cvalue value;           /* LHS_VALUE, LHS_FIELD_EXPR, LHS_COUNT_VALUE */
	char *count_name;              /* LHS_COUNT_VALUE */
	struct node *where;            /* LHS_COUNT_*, may be NULL */
	enum op op;
	struct cvalue rhs;
};

struct modify_op {
	enum { MODIFY_ADD_OR_REPLACE, MODIFY_ADD, MODIFY_REMOVE } kind;
	struct field_ref field;
	struct cvalue value;
	struct cvalue condition;       /* literal NULL when absent */
};

struct policy_definition {
	json_t *properties;            /* owned reference to the definition's properties */
	char *mode;
	const json_t *declared;        /* parameters as declared (borrowed from properties) */
	struct node *rule_if;
	struct cvalue effect;
	/* IfNotExists details */
	int has_details_type;
	char *details_type;
	struct cvalue details_name;    /* literal NULL when absent */
	struct node *existence;        /* may be NULL */
	long evaluation_delay;
	const json_t *role_ids;        /* borrowed */
	const json_t *deployment;      /* borrowed: details.deployment.properties */
	/* Modify */
	struct modify_op *ops;
	size_t nr_ops;
};


/*
 * Compiles a field name ("type", "tags['x']", an alias) into *out (its tag string owned by out).
 * Returns POLICY_OK, or an error with err naming the unknown field or alias.
 */
enum policy_result policy_field_compile(const char *name, struct field_ref *out,
					struct strbuf *err);
/* The effect named name (any case): 0 and *out, or -1 when armsim does not run it. */
int policy_effect_from_name(const char *name, enum policy_effect *out);
#endif
