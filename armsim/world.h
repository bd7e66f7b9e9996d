/*
 * world — the simulated tenant: everything armsim knows, and the one place it is kept.
 *
 * A world is a tenant with a management-group tree under the tenant root group, subscriptions
 * placed in it, and ARM resources (resource groups, sites, slots, policy definitions, set
 * definitions, assignments, exemptions, role assignments) stored
 * generically as their ARM JSON bodies, indexed by id (case-insensitively) and by container.
 * Principals (service principals and managed identities) live beside them, and knobs say how
 * the simulated Azure behaves (replication delay, durations, failure rates, paging, throttling).
 *
 * Locking: the world carries one rwlock. armsim's dispatcher takes it (read for GET routes,
 * write for the others) around every handler, so handlers and the functions below never lock;
 * background work (world tick functions) must take it with world_lock_write/world_unlock.
 *
 * The on-disk format (JSON) is documented in docs/armsim.md; world_to_json writes the same
 * format, so a world dumped by GET /_armsim/world loads again.
 */
#ifndef ARMSIM_WORLD_H
#define ARMSIM_WORLD_H
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "lib/idmap.h"
#include "lib/strbuf.h"

/* Resource types armsim stores (ARM spelling; compared case-insensitively). */
/* The id prefix of a management group ("..." + name). */
#define WORLD_MG_PREFIX "/providers/Microsoft.Management/managementGroups/"
#define WT_RESOURCE_GROUP "Microsoft.Resources/resourceGroups"
#define WT_SITE "Microsoft.Web/sites"
#define WT_SLOT "Microsoft.Web/sites/slots"
#define WT_POLICY_DEFINITION "Microsoft.Authorization/policyDefinitions"
#define WT_POLICY_SET "Microsoft.Authorization/policySetDefinitions"
#define WT_POLICY_ASSIGNMENT "Microsoft.Authorization/policyAssignments"
#define WT_POLICY_EXEMPTION "Microsoft.Authorization/policyExemptions"
#define WT_ROLE_ASSIGNMENT "Microsoft.Authorization/roleAssignments"

struct world_resource {
	char *id;         /* canonical id, in the case it was created with */
	char *type;       /* one of WT_* (or another ARM type) */
	char *scope;      /* id of the container: a site's resource group, a slot's site, a policy
			     resource's scope ("/" for the tenant root, i.e. built-ins) */
	json_t *body;     /* the ARM JSON body (owned): id, name, type, properties, ... */
	int locked;       /* a resource lock: writes by deployments fail with ScopeLocked */
	int64_t created_ms; /* simulated time of creation */
	int64_t changed_ms; /* simulated time of the last write */
	uint64_t seq;       /* creation order in the world (lists keep it) */
};

struct world_mg {
	char *name;         /* group id: the tenant root group's name is the tenant id */
	char *display_name;
	char *parent;       /* parent group's name; NULL for the tenant root group */
};

struct world_subscription {
	char *id;           /* subscription GUID */
	char *display_name;
	char *mg;           /* name of the management group it sits in */
	char *state;        /* "Enabled" */
	uint64_t version;   /* the world's version at the last write of a resource in it: a
			       change sweep skips subscriptions where nothing moved */
};

struct world_principal {
	char *object_id;    /* principalId, the id role assignments name */
	char *client_id;    /* appId, the id a client signs in with */
	char *display_name;
	char *secret;       /* client secret in clear (a world is a test fixture), or NULL */
	char *certificate;  /* PEM certificate for client_assertion, or NULL */
	json_t *federated;  /* array of {issuer, subject, audience, certificate} or NULL (owned) */
	char *type;         /* "ServicePrincipal" */
	int managed;        /* 1 for a system-assigned managed identity (policy assignments) */
	int64_t created_ms; /* simulated creation time; replicated after the knob's delay */
};

struct world_knobs {
	int64_t replication_delay_ms;    /* new principal → visible to role assignments */
	int principal_type_skips_wait;   /* principalType in a role assignment skips the delay */
	int64_t scan_duration_ms;        /* compliance scan length */
	int64_t deployment_duration_ms;  /* one remediation deployment */
	int64_t evaluation_delay_ms;     /* new/changed resource → evaluated */
	double deployment_failure_probability; /* a deployment fails with a deployment error */
	int page_size;                   /* items per page of every list */
	int token_lifetime_s;            /* access token lifetime (real seconds) */
	int max_remediations;            /* concurrent remediation tasks per tenant */
	int64_t provider_registration_ms; /* a provider registers: Registering → Registered */
	double read_burst, read_refill;     /* per subscription+principal token buckets: size, */
	double write_burst, write_refill;   /* refill per second */
	double delete_burst, delete_refill;
	double tenant_read_burst, tenant_read_refill;   /* the same at tenant level */
	double tenant_write_burst, tenant_write_refill;
	double tenant_delete_burst, tenant_delete_refill;
	int64_t graph_lag_ms;            /* Resource Graph shows a write after this (simulated) */
	int graph_quota;                 /* Resource Graph queries per principal per window */
	int64_t graph_quota_window_ms;   /* the quota's window (real ms) */
};

/* A list of resources of one type in one container: borrowed, valid until the next write. */
struct world_list {
	struct world_resource **items;
	size_t nr, alloc;
};

struct world;
struct policy_engine;
struct armsim_response;

/*
 * Checks run before a site or slot write is stored (policy Deny). `before` is the stored body
 * or NULL on create, `after` the body about to be stored (both borrowed). Return 0 to allow;
 * to refuse, fill resp (e.g. 403 RequestDisallowedByPolicy) and return -1.
 */
typedef int world_write_check_fn(struct world *w, const char *id, const json_t *before,
				 const json_t *after, struct armsim_response *resp, void *arg);
/*
 * Checks a definition's properties (borrowed) before it is stored. Return 0 to accept; to
 * refuse, append the reason to err and return -1 (answered as 400 InvalidPolicyRule).
 */
typedef int world_rule_check_fn(const json_t *properties, struct strbuf *err);
/* Whether `alias` (e.g. "Microsoft.Web/sites/clientCertEnabled") exists. */
typedef int world_alias_known_fn(const char *alias);

/* What the policy engine plugs into the handlers that serve this world (all NULL: none). */
struct world_policy_hooks {
	struct policy_engine *engine;       /* borrowed (the server owns it), or NULL */
	world_write_check_fn *write_check;  /* every site/slot write (web_site_write); NULL allows */
	void *write_check_arg;
	world_rule_check_fn *rule_check;    /* definition PUTs; NULL accepts */
	world_alias_known_fn *alias_known;  /* aliases of definition PUTs; NULL checks none */
};

struct world {
	char *tenant_id;
	struct world_knobs knobs;
	json_t *managed_identity;      /* {identityHeader, clientId} for the App Service MSI endpoint */
	struct world_mg **mgs;         /* the tree; mgs[0] is the tenant root group */
	size_t nr_mgs, alloc_mgs;
	struct world_subscription **subs;
	size_t nr_subs, alloc_subs;
	struct world_principal **principals;
	size_t nr_principals, alloc_principals;
	struct idmap mg_by_name, sub_by_id, principal_by_object, principal_by_client;
	struct idmap resources;        /* id → struct world_resource */
	struct idmap lists;            /* "scope|type" and "|type" → struct world_list */
	struct idmap role_principals;  /* principalId → struct world_list of its role assignments */
	uint64_t resource_seq;         /* the last world_resource.seq handed out */
	uint64_t guid_state;           /* deterministic GUIDs for new principals and ids */
	uint64_t version;              /* bumped on every write (caches may key on it) */
	uint64_t policy_version;       /* bumped on every write of a policy definition, set
					  definition or assignment, and on a reload: what resolved
					  assignments depend on (the engine's cache keys on it) */
	pthread_rwlock_t lock;
	struct world_policy_hooks policy;   /* kept across world_reload_json */
};

enum world_result {
	WORLD_OK = 0,
	WORLD_INVALID,   /* the document is malformed; err says where and why */
	WORLD_NOT_FOUND,
};

/* A new empty world with default knobs (owned by the caller; world_free). */
struct world *world_new(void);
/* Frees everything the world owns. NULL is fine. */
void world_free(struct world *w);
/* Fills knobs with the documented defaults. */
void world_knobs_default(struct world_knobs *k);

/*
 * Loads a world document (borrowed) into an empty world. Returns WORLD_OK, or WORLD_INVALID
 * with err set to a message naming the offending entry ("subscriptions[3].managementGroup: ...").
 */
enum world_result world_load_json(struct world *w, const json_t *doc, struct strbuf *err);
/* Empties the world (keeping its lock) and loads doc into it: POST /_armsim/reset. */
enum world_result world_reload_json(struct world *w, const json_t *doc, struct strbuf *err);
/*
 * Adds every *.json file in dir (built-in policy definitions or set definitions as Azure
 * serves them: {id, name, properties}) to the world document's "resources" (doc borrowed,
 * changed in place), in file-name order, typed by their id. Returns 0, or -1 with err naming
 * the file. (armsim serve --builtins DIR)
 */
int world_doc_add_builtins(json_t *doc, const char *dir, struct strbuf *err);
/* Reads and loads a world file. */
enum world_result world_load_file(struct world *w, const char *path, struct strbuf *err);
/* The world as a document in the file format (new reference). */
json_t *world_to_json(const struct world *w);

void world_lock_read(struct world *w);
void world_lock_write(struct world *w);
void world_unlock(struct world *w);

/* Management groups, subscriptions and principals (borrowed; NULL when absent). */
struct world_mg *world_mg_get(const struct world *w, const char *name);
struct world_mg *world_mg_root(const struct world *w);
struct world_subscription *world_subscription_get(const struct world *w, const char *id);
struct world_principal *world_principal_by_object_id(const struct world *w, const char *id);
struct world_principal *world_principal_by_client_id(const struct world *w, const char *id);
/*
 * Creates a principal (e.g. a policy assignment's system-assigned identity) with new GUIDs,
 * created now (simulated). Returns it (borrowed, owned by the world).
 */
/* Adds p (stolen) to the world's principals and their indexes (loading, creation). */
void world_principal_add(struct world *w, struct world_principal *p);
struct world_principal *world_principal_create(struct world *w, const char *display_name,
					       int managed);
/* Removes a principal (its role assignments stay, as in Azure, pointing at nobody). */
void world_principal_delete(struct world *w, const char *object_id);
/* Whether a principal is visible to role assignments yet (replication delay knob). */
int world_principal_replicated(const struct world *w, const struct world_principal *p);

/*
 * The management groups above a scope, nearest first, ending with the tenant root group:
 * for "/subscriptions/S/..." the chain of S's group; for ".../managementGroups/M/..." M and its
 * ancestors. Fills up to max names (borrowed) and returns how many; 0 for a scope outside.
 */
size_t world_mg_chain(const struct world *w, const char *scope, const char **names, size_t max);
/* Whether `inner` is `outer` or lies under it (ids, management-group tree included). */
int world_scope_contains(const struct world *w, const char *outer, const char *inner);

/* The resource with this id (any case), or NULL. Borrowed. */
struct world_resource *world_resource_get(const struct world *w, const char *id);
/*
 * Creates or replaces the resource `id` of `type` in container `scope`; body is stolen.
 * Sets *created (if non-NULL) to 1 when it did not exist. Keeps the id's original case and
 * creation time on replace. Returns the resource (borrowed).
 */
struct world_resource *world_resource_put(struct world *w, const char *id, const char *type,
					  const char *scope, json_t *body, int *created);
/* Deletes a resource and, for containers, everything inside it. WORLD_NOT_FOUND if absent. */
enum world_result world_resource_delete(struct world *w, const char *id);
/*
 * The resources of `type` directly in container `scope`, in creation order; scope NULL lists
 * every resource of that type in the world. Never NULL (an empty list when there are none).
 */
const struct world_list *world_resource_list(const struct world *w, const char *scope,
					     const char *type);
/*
 * The role assignments naming principal_id (properties.principalId, any case), at every scope,
 * in creation order: what authorization checks walk instead of every role assignment of the
 * tenant. Same lifetime as world_resource_list; never NULL.
 */
const struct world_list *world_role_assignments_of(const struct world *w, const char *principal_id);

/* Writes a new GUID (deterministic for the world's seed) into out. */
void world_new_guid(struct world *w, char out[37]);
/* Seeds the GUID generator (world files may set "seed"). */
void world_seed(struct world *w, uint64_t seed);
#endif
