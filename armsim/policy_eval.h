/*
 * policy_eval — the Azure Policy rule language, compiled once and evaluated per resource.
 *
 * A definition is compiled when it is PUT: its policyRule is parsed into a condition tree,
 * every alias resolved against the alias table, every expression parsed, the effect and its
 * details checked. Anything armsim cannot evaluate faithfully (an unknown alias, operator,
 * template function or effect) is a compile error naming the construct, so armsim refuses
 * the PUT instead of reporting a compliance it did not compute.
 *
 * Evaluation follows Azure's semantics: string comparisons are case-insensitive; "true" and
 * true compare equal; a missing field is null, so equals/like/in/contains are false on it and
 * their negations true; a condition on an alias with [*] outside a count holds when every
 * member holds. Applicability (Azure's policy-applicability rules): for Audit, Deny and
 * Modify a resource the rule's type/name/kind conditions exclude is not applicable, one they
 * include is compliant unless the whole `if` holds; for the IfNotExists effects the whole `if`
 * decides applicability and the existence condition compliance.
 */
#ifndef POLICY_EVAL_H
#define POLICY_EVAL_H

#include <jansson.h>

#include "lib/strbuf.h"

enum policy_result {
	POLICY_OK = 0,
	POLICY_INVALID,        /* the definition cannot be compiled (err says what) */
	POLICY_BAD_PARAMETER,  /* a parameter value is missing or has the wrong type */
	POLICY_EVAL_FAILED,    /* an expression failed on this resource */
};

enum policy_effect {
	POLICY_EFFECT_DISABLED = 0,
	POLICY_EFFECT_AUDIT,
	POLICY_EFFECT_DENY,
	POLICY_EFFECT_AUDIT_IF_NOT_EXISTS,
	POLICY_EFFECT_DEPLOY_IF_NOT_EXISTS,
	POLICY_EFFECT_MODIFY,
};

enum policy_compliance {
	POLICY_NOT_APPLICABLE = 0,
	POLICY_COMPLIANT,
	POLICY_NON_COMPLIANT,
};

struct policy_definition;

/*
 * Compiles a definition: either the PUT body ({"properties": {...}}) or its properties
 * object (borrowed; the compiled form keeps references). Returns POLICY_OK with a new
 * definition in *out, or POLICY_INVALID with err naming the unsupported or malformed part.
 */
enum policy_result policy_definition_compile(const json_t *definition,
					     struct policy_definition **out, struct strbuf *err);
void policy_definition_free(struct policy_definition *def);

/*
 * Resolves an assignment's parameter values ({"name": {"value": v}}, borrowed, may be NULL)
 * against the definition's declared parameters: given values win, else defaultValue.
 * *out gets a new object name -> value. POLICY_BAD_PARAMETER when one has no value, a value
 * has the wrong type, or is outside allowedValues (err names it).
 */
enum policy_result policy_definition_parameters(const struct policy_definition *def,
						const json_t *given, json_t **out,
						struct strbuf *err);

/*
 * Whether value fits a policy parameter type (String, DateTime, Array, Object, Boolean,
 * Integer, Float; any case). An unknown or NULL type accepts anything.
 */
int policy_parameter_type_ok(const char *type, const json_t *value);

/* The effect the definition has with these resolved parameters. */
enum policy_result policy_definition_effect(const struct policy_definition *def,
					    const json_t *params, enum policy_effect *out,
					    struct strbuf *err);

const char *policy_effect_name(enum policy_effect effect);

/*
 * Finds the resources an IfNotExists effect looks at: those of `type` related to `resource`
 * (named `name` when not NULL). *out gets a new array (possibly empty). armsim's world
 * supplies this; policy_related_default covers what one site JSON holds.
 */
typedef enum policy_result (*policy_related_fn)(void *data, const json_t *resource,
						const char *type, const char *name, json_t **out,
						struct strbuf *err);

/*
 * The default lookup: the resource itself when type is its own type (and name matches), its
 * web config (derived from properties.siteConfig) for "<type>/config", nothing else.
 */
enum policy_result policy_related_default(void *data, const json_t *resource, const char *type,
					  const char *name, json_t **out, struct strbuf *err);

struct policy_outcome {
	enum policy_effect effect;
	enum policy_compliance compliance;
};

/*
 * Evaluates def with resolved params (borrowed) on resource (borrowed, the JSON ARM returns
 * for it). related may be NULL for policy_related_default. api_version is what
 * requestContext().apiVersion answers (may be NULL). Disabled yields POLICY_NOT_APPLICABLE.
 */
enum policy_result policy_evaluate(const struct policy_definition *def, const json_t *params,
				   const json_t *resource, policy_related_fn related,
				   void *related_data, const char *api_version,
				   struct policy_outcome *out, struct strbuf *err);

/*
 * The same with the effect already known (from policy_definition_effect with the same
 * params): a scan resolves it once per assignment instead of once per resource.
 */
enum policy_result policy_evaluate_as(const struct policy_definition *def, const json_t *params,
				      enum policy_effect effect, const json_t *resource,
				      policy_related_fn related, void *related_data,
				      const char *api_version, struct policy_outcome *out,
				      struct strbuf *err);

/* IfNotExists details (borrowed, valid while def lives); NULL or 0 when absent. */
const json_t *policy_definition_role_ids(const struct policy_definition *def);
const char *policy_definition_details_type(const struct policy_definition *def);
/*
 * evaluationDelay in seconds: ISO 8601 durations (PT10M), "AfterProvisioning*" as 0;
 * Azure's default for IfNotExists effects (10 minutes) when absent.
 */
long policy_definition_evaluation_delay(const struct policy_definition *def);
const char *policy_definition_mode(const struct policy_definition *def);

/*
 * For DeployIfNotExists: evaluates the deployment's parameter values for resource
 * (field() reads it) and returns them in *parameters (new, {"name": {"value": v}}) and the
 * template in *template (borrowed from def).
 */
enum policy_result policy_definition_deployment(const struct policy_definition *def,
						const json_t *params, const json_t *resource,
						json_t **parameters, const json_t **template,
						struct strbuf *err);

/*
 * For Modify: applies the operations to a copy of resource. *out gets the new resource
 * (new reference). Operations whose condition is false are skipped.
 */
enum policy_result policy_definition_modify(const struct policy_definition *def,
					    const json_t *params, const json_t *resource,
					    const char *api_version, json_t **out,
					    struct strbuf *err);

#endif
