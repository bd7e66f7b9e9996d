/*
 * deploy_set — the Azure Policy resources to deploy, as the generator renders them and the
 * orchestrator deploys them: neither includes the other's headers, both include this one.
 *
 * Resources come in creation order (definitions, set definitions, assignments; per scope).
 * Beside them: the role definitions the assignment identity needs, the DeployIfNotExists
 * reference ids (one remediation task each per assignment) and every assignment's scope and
 * id. Those lists outlive deploy_set_drop_resources, so a long run keeps what it needs after
 * the bodies are gone.
 */
#ifndef DEPLOY_SET_H
#define DEPLOY_SET_H

#include <jansson.h>

#include "lib/strbuf.h"
#include "lib/string_list.h"

enum deploy_kind {
	DEPLOY_POLICY_DEFINITION,     /* Microsoft.Authorization/policyDefinitions */
	DEPLOY_POLICY_SET_DEFINITION, /* Microsoft.Authorization/policySetDefinitions */
	DEPLOY_POLICY_ASSIGNMENT,     /* Microsoft.Authorization/policyAssignments */
};

struct deploy_resource {
	enum deploy_kind kind;
	char *name;              /* resource name, the last segment of id; owned */
	char *scope;             /* "/providers/Microsoft.Management/managementGroups/{mg}" or
				    "/subscriptions/{id}"; owned */
	char *id;                /* scope + "/providers/Microsoft.Authorization/{type}/{name}"; owned */
	const char *api_version; /* the api-version body is written for (static) */
	json_t *body;            /* exactly the PUT body; owned reference */
};

/*
 * Renders one assignment scope's resources on demand (index into assignment_scopes) into out
 * (DEPLOY_SET_INIT; the caller releases it); 0, or -1 with one line in err. lib/ cannot call
 * the generator, so the one who renders (cli/run_setup.c) fills this in.
 */
struct deploy_set;
struct deploy_source {
	int (*render)(void *ctx, size_t index, struct deploy_set *out, struct strbuf *err);
	void *ctx; /* borrowed */
};

struct deploy_set {
	struct deploy_resource *resources; /* in creation order; owned */
	size_t nr, alloc;
	/* "/providers/Microsoft.Authorization/roleDefinitions/{guid}", scope-free, deduplicated,
	   in order of first use (prefix a scope for a role assignment's roleDefinitionId) */
	struct string_list role_definition_ids;
	/* policyDefinitionReferenceIds of the initiative's DeployIfNotExists members, in
	   initiative order */
	struct string_list reference_ids;
	/* one entry per assignment, index for index: its scope and its full id */
	struct string_list assignment_scopes;
	struct string_list assignment_ids;
	/* where a scope's resources come from when they are not in resources (a large scope
	   list is rendered one scope at a time while it is deployed) */
	struct deploy_source source;
};

#define DEPLOY_SET_INIT { NULL, 0, 0, STRING_LIST_INIT, STRING_LIST_INIT, STRING_LIST_INIT, \
			  STRING_LIST_INIT, { NULL, NULL } }

/*
 * Appends a resource: scope, name, id copied, api_version borrowed (static), body stolen. An
 * assignment is also listed in assignment_scopes and assignment_ids.
 */
void deploy_set_add(struct deploy_set *set, enum deploy_kind kind, const char *scope,
		    const char *name, const char *id, const char *api_version, json_t *body);
/*
 * The resources of assignment scope index into out (DEPLOY_SET_INIT; release it): copied
 * (bodies shared) from set's resources when they are there, else rendered by set's source.
 * 0, or -1 with one line in err.
 */
int deploy_set_scope(const struct deploy_set *set, size_t index, struct deploy_set *out,
		     struct strbuf *err);
/* Frees the resources (ids and bodies); keeps the role, reference and assignment lists. */
void deploy_set_drop_resources(struct deploy_set *set);
/* Frees everything set owns and leaves it empty (DEPLOY_SET_INIT). */
void deploy_set_release(struct deploy_set *set);

#endif
