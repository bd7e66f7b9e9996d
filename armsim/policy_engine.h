/*
 * policy_engine — the state armsim's policy engine keeps for one served world: interned
 * strings, compiled definitions (keyed by the definition body they were compiled from, so a
 * PUT recompiles), the compliance records of the last evaluation of each resource, the scans
 * in flight and the remediation tasks; assignment resolution into compiled members; and the
 * engine's place in the server (attach, tick, reset).
 *
 * One engine per `struct armsim`: made over the world before the server starts, handed to the
 * server by policy_engine_attach; the server owns it and frees
 * it at armsim_stop; the world points at it (world->policy.engine) so handlers reach it from
 * their request. Engine state has its own mutex, because GET handlers run under the world's
 * read lock and still finish scans that are due; anything that writes the world (deployments)
 * runs in the tick, under the world's write lock.
 *
 * Who calls whom: compliance.c (evaluation, scans, Deny), ops_policy_states.c (policyStates
 * routes) and remediation.c (tasks) read the engine's state under its lock. The tick calls
 * compliance (due scans), then remediation (remediation_tick), then compliance's change sweep;
 * a reset clears compliance's records, then remediation's tasks.
 *
 * Time is simulated (simclock): a scan started at T ends at T + the world's scanDuration;
 * a resource written at T is evaluated again at T + evaluationDelay (and, for IfNotExists
 * members, no sooner than the definition's own evaluationDelay).
 */
#ifndef ARMSIM_POLICY_ENGINE_H
#define ARMSIM_POLICY_ENGINE_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "lib/idmap.h"
#include "armsim/policy_eval.h"
#include "lib/strbuf.h"

struct armsim;
struct world;
struct world_resource;
struct world_list;
struct remediation_set;

/* A compliance record's state. */
enum record_state { RECORD_COMPLIANT, RECORD_NON_COMPLIANT, RECORD_EXEMPT };

struct cached_def {
	json_t *body;                 /* the body compiled (a reference keeps its address unique) */
	struct policy_definition *def;
	char *error;                  /* why it did not compile */
};

struct record {
	const char *assignment_id;    /* interned */
	const char *reference_id;     /* interned or NULL */
	const char *definition_id;    /* interned */
	const char *set_id;           /* interned or NULL */
	enum record_state state;
	enum policy_effect effect;
};

struct resource_states {
	char *resource_id;
	char *subscription_id;
	char *resource_group;
	char *type;
	char *location;
	struct record *records;
	size_t nr, alloc;
	int64_t evaluated_ms;         /* simulated time of the evaluation */
	int64_t changed_ms;           /* the resource's changed_ms it saw */
	unsigned mark;                /* pass counter, to drop deleted resources */
};

struct sub_index {
	struct resource_states **items;
	size_t nr, alloc;
	uint64_t seen_version;        /* the subscription's version at its last change sweep */
	int64_t next_due_ms;          /* its earliest pending change, 0 if none */
};

struct scan {
	char *scope;                  /* subscription or resource group id */
	char *subscription_id;
	char token[128];
	int64_t end_ms;
	int evaluated;                /* its resources are evaluated: done once end_ms has passed */
	uint64_t seen_policy_version; /* world.policy_version and its subscription's version when */
	uint64_t seen_sub_version;    /* evaluated: a write since then is evaluated again at the end */
	int done;
};

struct policy_engine {
	pthread_mutex_t lock;         /* recursive: a deployment's site write runs Deny in the tick */
	struct world *world;          /* borrowed: the world this engine serves */
	struct idmap strings;         /* interned strings: value is the owned copy */
	struct idmap defs;            /* definition id -> struct cached_def */
	struct idmap states;          /* resource id -> struct resource_states */
	struct idmap subs;            /* subscription id -> struct sub_index */
	struct idmap scans;           /* scope -> struct scan */
	struct idmap scans_by_token;  /* token -> the same struct scan (borrowed from scans) */
	struct idmap resolved;        /* assignment id -> struct resolved_assignment */
	struct idmap applicable;      /* "/subscriptions/S" -> its resolved assignments (compliance.c) */
	uint64_t resolved_version;    /* the world's policy_version both were resolved at */
	unsigned pass;
	uint64_t seen_version;        /* world version at the last change sweep */
	int64_t next_due_ms;          /* when the earliest pending change falls due, 0 if none */
	struct remediation_set *remediations; /* remediation.c's tasks (owned) */
	uint64_t resources_evaluated; /* counters for /_armsim/policy */
	uint64_t member_evaluations;
	double evaluation_real_ms;
	double evaluation_cpu_ms;     /* the same in thread CPU time (steadier on a busy machine) */
	uint64_t assignments_skipped; /* could not be resolved (missing or bad definition) */
	char *last_skip_reason;       /* why the last one was skipped */
};

/*
 * A new engine serving w (borrowed; must outlive the engine), with an empty remediation set.
 * Points w->policy at it and installs the Deny, rule and alias checks in w->policy. Owned by
 * the caller: policy_engine_free. armsim's servers get theirs through policy_engine_attach.
 */
struct policy_engine *policy_engine_new(struct world *w);
/* Frees the engine and its tasks and unhooks it from its world. NULL is fine. */
void policy_engine_free(struct policy_engine *engine);
/*
 * Gives a started server its engine (stolen; made with policy_engine_new over the world the
 * server took, before it served, so no request ever meets a world without its engine) and
 * registers the engine's tick and reset hook.
 */
void policy_engine_attach(struct armsim *sim, struct policy_engine *engine);
/* The engine serving w (borrowed), or NULL when none is attached. */
struct policy_engine *policy_engine_of(struct world *w);
/* One tick at the current simulated time: due scans, remediation, change sweep. Takes the locks. */
void policy_engine_tick(struct policy_engine *engine);
/* Frees one resource's records (after the caller has unlinked it from states and subs). */
void resource_states_free(struct resource_states *s);
/* Forgets everything the engine knows (a reset): records, scans, tasks. Takes the engine lock. */
void policy_engine_reset(struct policy_engine *engine);

void policy_engine_lock(struct policy_engine *engine);
void policy_engine_unlock(struct policy_engine *engine);

/* The engine's copy of s (NULL for NULL), valid until a reset. Engine locked. */
const char *policy_engine_intern(struct policy_engine *engine, const char *s);

/*
 * Checks a policy definition body as a PUT carries it: 0 when armsim can evaluate it, -1 with
 * err naming the unsupported construct (armsim answers 400 InvalidPolicyRule).
 */
int policy_engine_check_definition(const json_t *body, struct strbuf *err);

/* One member of an assignment: the assignment's definition, or one of its initiative's. */
struct engine_member {
	const char *reference_id;          /* policyDefinitionReferenceId; NULL for a definition */
	const char *definition_id;         /* as the assignment or initiative names it */
	const struct policy_definition *def; /* compiled, owned by the engine's cache */
	const json_t *definition_body;     /* borrowed from the world */
	json_t *params;                    /* resolved parameters (owned) */
	enum policy_effect effect;
	const json_t *group_names;         /* borrowed, may be NULL */
};

struct engine_assignment {
	const struct world_resource *resource; /* borrowed */
	const char *id;                    /* interned by the engine (valid until a reset) */
	const char *name;
	const char *scope;                 /* where it is assigned */
	const json_t *not_scopes;          /* borrowed, may be NULL */
	int do_not_enforce;                /* enforcementMode DoNotEnforce */
	const char *principal_id;          /* identity.principalId or NULL (borrowed) */
	const char *set_id;                /* the initiative's id, NULL for a definition */
	struct engine_member *members;
	size_t nr_members;
};

/*
 * Resolves an assignment (world resource, borrowed) into its compiled members. Returns 0, or
 * -1 with err saying which definition is missing or cannot be evaluated. Engine locked.
 */
int engine_assignment_resolve(struct policy_engine *engine, struct world *w,
			      const struct world_resource *assignment,
			      struct engine_assignment *out, struct strbuf *err);
void engine_assignment_release(struct engine_assignment *a);

/*
 * engine_assignment_resolve, kept: the resolved assignment (borrowed), or NULL with err saying
 * why it cannot be resolved. Valid until the world's policy_version moves (a definition, set
 * definition or assignment written or deleted; see engine_cache_sync) or a reset: a tenant's
 * thousands of deployments and Deny checks resolve each assignment once. Engine locked.
 */
const struct engine_assignment *engine_assignment_cached(struct policy_engine *engine,
							 struct world *w,
							 const struct world_resource *assignment,
							 struct strbuf *err);
/*
 * Drops what was resolved (engine_assignment_cached, and compliance's sets built from it)
 * when the world's policy_version moved since. Called first by every user of the caches,
 * before it takes anything from them. Engine locked.
 */
void engine_cache_sync(struct policy_engine *engine, struct world *w);

/* Whether resource_id is inside the assignment's scope and outside its notScopes. */
int engine_assignment_covers(struct world *w, const struct engine_assignment *a,
			     const char *resource_id);
/* Whether an unexpired exemption exempts resource_id from a member (reference may be NULL). */
int engine_exempt(struct world *w, const char *assignment_id, const char *reference_id,
		  const char *resource_id, int64_t now_ms);
/* engine_exempt over a list of exemptions fetched once per pass (borrowed). */
int engine_exempt_in(struct world *w, const struct world_list *exemptions,
		     const char *assignment_id, const char *reference_id,
		     const char *resource_id, int64_t now_ms);

/*
 * Evaluates one member on one resource, with the world as the source of related resources.
 * Fills *out; returns the policy_evaluate result (err set on failure).
 */
enum policy_result engine_evaluate(struct world *w, const struct engine_member *m,
				   const json_t *resource, struct policy_outcome *out,
				   struct strbuf *err);
#endif
