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
#include "lib/deploy_set.h"
#include "lib/strbuf.h"

/* The api-version every rendered body is written for (Microsoft.Authorization policy). */
#define RENDER_API_VERSION "2025-03-01"

/*
 * The rendering is a struct deploy_set (lib/deploy_set.h): resources in creation order
 * (definitions, initiative, assignment; per scope), each with kind, name, scope, id,
 * api-version RENDER_API_VERSION and exact PUT body; the role definitions the assignment
 * identity needs (collected from the DeployIfNotExists definitions); the
 * policyDefinitionReferenceIds of the DeployIfNotExists members (listed whatever the
 * configured effect: a remediation only deploys while it is DeployIfNotExists); and each
 * assignment's scope and id. The orchestrator deploys exactly this struct.
 */

enum render_result {
	RENDER_OK = 0,
	RENDER_ERR_CONFIG,   /* the config cannot be rendered (e.g. a name too long): err says why */
	RENDER_ERR_TEMPLATE, /* a template is broken (a bug, or an edited templates/ folder) */
};

/*
 * Renders the policy set for cfg (borrowed) into out, which must be DEPLOY_SET_INIT or
 * released (deploy_set_release). On failure returns non-zero with one line in err and out
 * left empty (releasable).
 */
enum render_result render_policy_set(const struct config *cfg, struct deploy_set *out,
				     struct strbuf *err);

/*
 * What remediation needs without the bodies: the role and reference ids (the same for every
 * scope, so rendered for the first scope only) and every scope's assignment scope and id; out
 * holds no resources. 2,500 subscriptions cost no more memory than one. Result and err as
 * render_policy_set.
 */
enum render_result render_policy_refs(const struct config *cfg, struct deploy_set *out,
				      struct strbuf *err);

/* How many assignment scopes cfg has: its management group, then each listed subscription. */
size_t render_scope_count(const struct config *cfg);

/*
 * A run renders its scopes one at a time, several times over (the desired-state digest, the
 * preflight, apply). A definition's body is the same at every scope (only its id differs), so
 * a render_memo keeps each rendered once and shares it (json_incref) with every later scope:
 * a body is read-only once rendered. Tied to one config.
 */
struct render_memo {
	const struct config *cfg; /* borrowed */
	json_t *definitions;      /* owned: definition name -> body, filled as rendered */
};

void render_memo_init(struct render_memo *memo, const struct config *cfg);
void render_memo_release(struct render_memo *memo);

/*
 * Renders only scope index (in render_policy_set's order) of memo's config into out: that
 * scope's definitions, initiative and assignment, with the lists render_policy_set gives for
 * it. What apply streams, one scope at a time. Result and err as render_policy_set.
 */
enum render_result render_policy_scope(struct render_memo *memo, size_t index,
				       struct deploy_set *out, struct strbuf *err);

/* A deploy_source (lib/deploy_set.h) over render_policy_scope; ctx is a struct render_memo. */
int render_source(void *ctx, size_t index, struct deploy_set *out, struct strbuf *err);

/* "policyDefinitions", "policySetDefinitions" or "policyAssignments". */
const char *render_kind_collection(enum deploy_kind kind);
/* "Microsoft.Authorization/policyDefinitions" etc. */
const char *render_kind_type(enum deploy_kind kind);

/* Scope string of a management group or a subscription, appended to sb. */
void render_scope_of_management_group(struct strbuf *sb, const char *management_group);
void render_scope_of_subscription(struct strbuf *sb, const char *subscription);

#endif
