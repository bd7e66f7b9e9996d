/*
 * render — the client-certificate policy set for one landing-zone config, as ARM resources.
 *
 * render_policy_set turns a loaded struct config into the list of Azure resources to create,
 * in the order they must be created: the five custom policy definitions (four
 * DeployIfNotExists, one Deny), then the initiative (policy set definition), then the
 * assignment — once per scope. A management-group config has one scope; a subscription-list
 * config has one per subscription (definitions, initiative and assignment at each).
 *
 * Each resource carries the exact JSON body that ARM's PUT takes at its id, so a client only
 * has to send `PUT {arm_endpoint}{id}?api-version={api_version}` with body. Output is
 * deterministic: the same config gives the same resources, ids and bodies, byte for byte.
 *
 * The result also lists what the orchestrator needs after the PUTs: the role definitions the
 * assignment's managed identity must hold (for the DeployIfNotExists deployments) and the
 * policyDefinitionReferenceIds of the DeployIfNotExists members (one remediation task each).
 */
#ifndef RENDER_H
#define RENDER_H

#include <jansson.h>

#include "lib/config.h"
#include "lib/strbuf.h"

/* The api-version every rendered body is written for (Microsoft.Authorization policy). */
#define RENDER_API_VERSION "2025-03-01"

enum render_kind {
	RENDER_POLICY_DEFINITION,     /* Microsoft.Authorization/policyDefinitions */
	RENDER_POLICY_SET_DEFINITION, /* Microsoft.Authorization/policySetDefinitions */
	RENDER_POLICY_ASSIGNMENT,     /* Microsoft.Authorization/policyAssignments */
};

struct rendered_resource {
	enum render_kind kind;
	char *name;              /* resource name, the last segment of id; owned */
	char *scope;             /* "/providers/Microsoft.Management/managementGroups/{mg}" or
				    "/subscriptions/{id}"; owned */
	char *id;                /* scope + "/providers/Microsoft.Authorization/{type}/{name}"; owned */
	const char *api_version; /* RENDER_API_VERSION (static) */
	json_t *body;            /* exactly the PUT body; owned reference */
};

struct rendered_set {
	struct rendered_resource *resources; /* in creation order (see above); owned */
	size_t nr, alloc;
	/*
	 * Role definitions the assignment identity needs, scope-free, as the definitions name
	 * them: "/providers/Microsoft.Authorization/roleDefinitions/{guid}" (prefix a scope for
	 * a role assignment's roleDefinitionId). Collected from the rendered DeployIfNotExists
	 * definitions, deduplicated, in order of first use.
	 */
	struct string_list role_definition_ids;
	/* policyDefinitionReferenceIds of the initiative's DeployIfNotExists members, in
	   initiative order: one remediation task per id and assignment. Listed whatever the
	   configured effect; a remediation only deploys while it is DeployIfNotExists. */
	struct string_list remediation_reference_ids;
	/* What the terraform format writes into its remediation resources, from the config */
	struct {
		int remediations;               /* [render] terraform_remediations */
		int parallel_deployments;       /* [remediation] parallel_deployments */
		int resource_count;             /* [remediation] resource_count */
		double failure_threshold;       /* [remediation] failure_threshold */
		const char *resource_discovery; /* subscription tasks' mode (static string) */
	} terraform;
};

#define RENDERED_SET_INIT { NULL, 0, 0, { NULL, 0, 0 }, { NULL, 0, 0 }, { 0, 0, 0, 0.0, NULL } }

enum render_result {
	RENDER_OK = 0,
	RENDER_ERR_CONFIG,   /* the config cannot be rendered (e.g. a name too long): err says why */
	RENDER_ERR_TEMPLATE, /* a template is broken (a bug, or an edited templates/ folder) */
};

/*
 * Renders the policy set for cfg (borrowed) into out, which must be RENDERED_SET_INIT or
 * released. On failure returns non-zero with one line in err and out left empty (releasable).
 */
enum render_result render_policy_set(const struct config *cfg, struct rendered_set *out,
				     struct strbuf *err);

/* Frees everything out owns and leaves it empty. */
void rendered_set_release(struct rendered_set *out);

/* "policyDefinitions", "policySetDefinitions" or "policyAssignments". */
const char *render_kind_collection(enum render_kind kind);
/* "Microsoft.Authorization/policyDefinitions" etc. */
const char *render_kind_type(enum render_kind kind);

/* Scope string of a management group or a subscription, appended to sb. */
void render_scope_of_management_group(struct strbuf *sb, const char *management_group);
void render_scope_of_subscription(struct strbuf *sb, const char *subscription);

#endif
