/*
 * policy_engine — the engine's state and life cycle, definitions and assignments (see
 * policy_engine.h). Evaluation lives in compliance.c, tasks in remediation.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/alias.h"
#include "armsim/compliance.h"
#include "armsim/policy_engine.h"
#include "armsim/remediation.h"
#include "armsim/server.h"
#include "armsim/simclock.h"
#include "armsim/template.h"
#include "armsim/world.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* ---------- life cycle ---------- */

static void free_value(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
}

static void free_cached_def(const char *key, void *value, void *arg)
{
	struct cached_def *c = value;
	(void)key;
	(void)arg;
	json_decref(c->body);
	policy_definition_free(c->def);
	free(c->error);
	free(c);
}

void resource_states_free(struct resource_states *s)
{
	free(s->resource_id);
	free(s->subscription_id);
	free(s->resource_group);
	free(s->type);
	free(s->location);
	free(s->records);
	free(s);
}

static void free_states(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	resource_states_free(value);
}

static void free_sub_index(const char *key, void *value, void *arg)
{
	struct sub_index *x = value;
	(void)key;
	(void)arg;
	free(x->items);
	free(x);
}

static void free_scan(const char *key, void *value, void *arg)
{
	struct scan *s = value;
	(void)key;
	(void)arg;
	free(s->scope);
	free(s->subscription_id);
	free(s);
}

/* One engine_assignment_cached result. */
struct resolved_assignment {
	struct engine_assignment a;
	char *error;                 /* why it could not be resolved (owned), or NULL */
};

static void free_resolved(const char *key, void *value, void *arg)
{
	struct resolved_assignment *r = value;
	(void)key;
	(void)arg;
	engine_assignment_release(&r->a);
	free(r->error);
	free(r);
}

/* Forgets every resolved assignment, and the sets made of them. */
static void resolved_clear(struct policy_engine *e)
{
	compliance_cache_clear(e);
	idmap_for_each(&e->resolved, free_resolved, NULL);
	idmap_clear(&e->resolved);
}

/* Frees every record, scan, cached definition and interned string; then the tasks. */
static void engine_clear(struct policy_engine *e)
{
	remediation_set_clear(e->remediations);
	resolved_clear(e);
	idmap_for_each(&e->defs, free_cached_def, NULL);
	idmap_clear(&e->defs);
	idmap_for_each(&e->states, free_states, NULL);
	idmap_clear(&e->states);
	idmap_for_each(&e->subs, free_sub_index, NULL);
	idmap_clear(&e->subs);
	idmap_clear(&e->scans_by_token);
	idmap_for_each(&e->scans, free_scan, NULL);
	idmap_clear(&e->scans);
	idmap_for_each(&e->strings, free_value, NULL);
	idmap_clear(&e->strings);
	e->seen_version = 0;
	e->next_due_ms = 0;
	free(e->last_skip_reason);
	e->last_skip_reason = NULL;
}

static int alias_known(const char *name)
{
	struct alias a;
	return !alias_lookup(name, &a);
}

struct policy_engine *policy_engine_new(struct world *w)
{
	struct policy_engine *e = xcalloc(1, sizeof(*e));
	pthread_mutexattr_t attr;

	/* recursive: a deployment's site write runs the Deny check inside the tick */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&e->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	e->world = w;
	e->remediations = remediation_set_new();
	w->policy.engine = e;
	w->policy.write_check = compliance_write_check;
	w->policy.write_check_arg = e;
	w->policy.rule_check = policy_engine_check_definition;
	w->policy.alias_known = alias_known;
	return e;
}

void policy_engine_free(struct policy_engine *e)
{
	if (!e)
		return;
	engine_clear(e);
	remediation_set_free(e->remediations);
	if (e->world->policy.engine == e)
		memset(&e->world->policy, 0, sizeof(e->world->policy));
	pthread_mutex_destroy(&e->lock);
	free(e);
}

struct policy_engine *policy_engine_of(struct world *w)
{
	return w->policy.engine;
}

/* Real time a tick may spend on running scans (of its 20 ms) while requests wait. */
#define SCAN_BUDGET_MS 6

void policy_engine_tick(struct policy_engine *e)
{
	struct world *w = e->world;
	/* reads may run beside this part; only the engine lock is held, a few ms at a time */
	world_lock_read(w);
	policy_engine_lock(e);
	compliance_evaluate_scans(e, w, SCAN_BUDGET_MS);
	policy_engine_unlock(e);
	world_unlock(w);
	world_lock_write(w);
	policy_engine_lock(e);
	compliance_finish_scans(e, w);
	remediation_tick(e->remediations, e, w);
	compliance_sweep_changes(e, w);
	policy_engine_unlock(e);
	world_unlock(w);
}

void policy_engine_reset(struct policy_engine *e)
{
	policy_engine_lock(e);
	engine_clear(e);
	policy_engine_unlock(e);
}

static void engine_tick(struct armsim *sim, void *arg)
{
	(void)sim;
	policy_engine_tick(arg);
}

static void engine_on_reset(struct armsim *sim, void *arg)
{
	(void)sim;
	policy_engine_reset(arg);
}

void policy_engine_attach(struct armsim *sim, struct policy_engine *e)
{
	armsim_set_policy_engine(sim, e);
	armsim_add_tick(sim, 20, engine_tick, e);
	armsim_add_reset_hook(sim, engine_on_reset, e);
}

void policy_engine_lock(struct policy_engine *engine)
{
	pthread_mutex_lock(&engine->lock);
}

void policy_engine_unlock(struct policy_engine *engine)
{
	pthread_mutex_unlock(&engine->lock);
}

const char *policy_engine_intern(struct policy_engine *e, const char *s)
{
	char *v;
	if (!s)
		return NULL;
	v = idmap_get(&e->strings, s);
	if (!v) {
		v = xstrdup(s);
		idmap_put(&e->strings, s, v);
	}
	return v;
}

/* ---------- definitions and assignments ---------- */

int policy_engine_check_definition(const json_t *body, struct strbuf *err)
{
	struct policy_definition *def = NULL;
	if (policy_definition_compile(body, &def, err))
		return -1;
	policy_definition_free(def);
	return 0;
}

static struct cached_def *cached_definition(struct policy_engine *e, struct world *w,
					   const char *id)
{
	struct world_resource *r = world_resource_get(w, id);
	struct cached_def *c = idmap_get(&e->defs, id);
	struct strbuf err = STRBUF_INIT;

	if (!r)
		return NULL;
	if (c && c->body == r->body)
		return c;
	if (!c) {
		c = xcalloc(1, sizeof(*c));
		idmap_put(&e->defs, id, c);
	}
	json_decref(c->body);
	policy_definition_free(c->def);
	free(c->error);
	c->def = NULL;
	c->error = NULL;
	c->body = json_incref(r->body);
	if (policy_definition_compile(r->body, &c->def, &err))
		c->error = strbuf_detach(&err, NULL);
	strbuf_release(&err);
	return c;
}

static int add_member(struct policy_engine *e, struct world *w, struct engine_assignment *a,
		      const char *definition_id, const char *reference_id, const json_t *given,
		      const json_t *group_names, struct strbuf *err)
{
	struct cached_def *c = cached_definition(e, w, definition_id);
	struct engine_member *m;

	if (!c) {
		strbuf_addf(err, "the policy definition '%s' could not be found", definition_id);
		return -1;
	}
	if (!c->def) {
		strbuf_addf(err, "the policy definition '%s' cannot be evaluated: %s", definition_id,
			    c->error);
		return -1;
	}
	m = &a->members[a->nr_members];
	memset(m, 0, sizeof(*m));
	m->reference_id = policy_engine_intern(e, reference_id);
	m->definition_id = policy_engine_intern(e, definition_id);
	m->def = c->def;
	m->definition_body = c->body;
	m->group_names = group_names;
	if (policy_definition_parameters(c->def, given, &m->params, err) ||
	    policy_definition_effect(c->def, m->params, &m->effect, err)) {
		json_decref(m->params);
		strbuf_addf(err, " (definition '%s')", definition_id);
		return -1;
	}
	a->nr_members++;
	return 0;
}

int engine_assignment_resolve(struct policy_engine *e, struct world *w,
			      const struct world_resource *assignment,
			      struct engine_assignment *out, struct strbuf *err)
{
	const json_t *props = json_object_get(assignment->body, "properties");
	const char *def_id = json_string_value(json_object_get(props, "policyDefinitionId"));
	const char *mode = json_string_value(json_object_get(props, "enforcementMode"));
	const json_t *given = json_object_get(props, "parameters");
	struct world_resource *target;

	memset(out, 0, sizeof(*out));
	out->resource = assignment;
	out->id = policy_engine_intern(e, assignment->id);
	out->name = json_string_value(json_object_get(assignment->body, "name"));
	out->scope = json_string_value(json_object_get(props, "scope"));
	if (!out->scope)
		out->scope = assignment->scope;
	out->not_scopes = json_object_get(props, "notScopes");
	out->do_not_enforce = mode && !strcasecmp(mode, "DoNotEnforce");
	out->principal_id = json_string_value(json_object_get(json_object_get(assignment->body,
									       "identity"),
							      "principalId"));
	if (!def_id || !(target = world_resource_get(w, def_id))) {
		strbuf_addf(err, "the policy definition '%s' could not be found",
			    def_id ? def_id : "(none)");
		return -1;
	}
	if (!strcasecmp(target->type, WT_POLICY_SET)) {
		const json_t *set_props = json_object_get(target->body, "properties");
		const json_t *members = json_object_get(set_props, "policyDefinitions"), *member;
		const json_t *declared = json_object_get(set_props, "parameters");
		json_t *set_params = json_object();
		const char *name;
		json_t *decl;
		size_t i;

		out->set_id = policy_engine_intern(e, target->id);
		/* the initiative's own parameters: assignment values, else defaults */
		json_object_foreach((json_t *)declared, name, decl) {
			const json_t *g = template_object_get(template_object_get(given, name), "value");
			const json_t *v = g ? g : template_object_get(decl, "defaultValue");
			if (v)
				json_object_set(set_params, name, (json_t *)v);
		}
		out->members = xcalloc(json_array_size(members) + 1, sizeof(*out->members));
		json_array_foreach(members, i, member) {
			struct template_scope scope;
			json_t *member_params = NULL;
			int bad;
			memset(&scope, 0, sizeof(scope));
			scope.parameters = set_params;
			if (template_value_eval(json_object_get(member, "parameters"), &scope,
						&member_params, err)) {
				json_decref(set_params);
				return -1;
			}
			bad = add_member(e, w, out,
					 json_string_value(json_object_get(member, "policyDefinitionId")),
					 json_string_value(json_object_get(member,
									   "policyDefinitionReferenceId")),
					 member_params, json_object_get(member, "groupNames"), err);
			json_decref(member_params);
			if (bad) {
				json_decref(set_params);
				return -1;
			}
		}
		json_decref(set_params);
		return 0;
	}
	out->members = xcalloc(1, sizeof(*out->members));
	return add_member(e, w, out, target->id, NULL, given, NULL, err);
}

void engine_assignment_release(struct engine_assignment *a)
{
	size_t i;
	for (i = 0; i < a->nr_members; i++)
		json_decref(a->members[i].params);
	free(a->members);
	memset(a, 0, sizeof(*a));
}

void engine_cache_sync(struct policy_engine *e, struct world *w)
{
	if (e->resolved_version == w->policy_version)
		return;
	resolved_clear(e);
	e->resolved_version = w->policy_version;
}

const struct engine_assignment *engine_assignment_cached(struct policy_engine *e, struct world *w,
							 const struct world_resource *assignment,
							 struct strbuf *err)
{
	struct resolved_assignment *r;

	engine_cache_sync(e, w);
	r = idmap_get(&e->resolved, assignment->id);
	if (!r) {
		struct strbuf why = STRBUF_INIT;
		r = xcalloc(1, sizeof(*r));
		if (engine_assignment_resolve(e, w, assignment, &r->a, &why)) {
			engine_assignment_release(&r->a);
			r->error = strbuf_detach(&why, NULL);
		}
		strbuf_release(&why);
		idmap_put(&e->resolved, assignment->id, r);
	}
	if (r->error) {
		strbuf_addstr(err, r->error);
		return NULL;
	}
	return &r->a;
}

int engine_assignment_covers(struct world *w, const struct engine_assignment *a,
			     const char *resource_id)
{
	size_t i;
	json_t *ns;

	if (!world_scope_contains(w, a->scope, resource_id))
		return 0;
	json_array_foreach(a->not_scopes, i, ns)
		if (json_is_string(ns) && world_scope_contains(w, json_string_value(ns), resource_id))
			return 0;
	return 1;
}

int engine_exempt(struct world *w, const char *assignment_id, const char *reference_id,
		  const char *resource_id, int64_t now_ms)
{
	return engine_exempt_in(w, world_resource_list(w, NULL, WT_POLICY_EXEMPTION), assignment_id,
			 reference_id, resource_id, now_ms);
}

/* A pass fetches the list once (looking the list up formats a key). */
int engine_exempt_in(struct world *w, const struct world_list *l, const char *assignment_id,
		     const char *reference_id, const char *resource_id, int64_t now_ms)
{
	size_t i, k;

	for (i = 0; i < l->nr; i++) {
		const json_t *props = json_object_get(l->items[i]->body, "properties");
		const char *aid = json_string_value(json_object_get(props, "policyAssignmentId"));
		const char *expires = json_string_value(json_object_get(props, "expiresOn"));
		const json_t *refs = json_object_get(props, "policyDefinitionReferenceIds");
		int64_t until;

		if (!aid || strcasecmp(aid, assignment_id))
			continue;
		if (expires && (until = simclock_parse_iso(expires)) >= 0 && until <= now_ms)
			continue;
		if (!world_scope_contains(w, l->items[i]->scope, resource_id))
			continue;
		if (json_array_size(refs) && reference_id) {
			int listed = 0;
			for (k = 0; k < json_array_size(refs); k++)
				listed |= json_is_string(json_array_get(refs, k)) &&
					  !strcasecmp(json_string_value(json_array_get(refs, k)),
						      reference_id);
			if (!listed)
				continue;
		}
		return 1;
	}
	return 0;
}

/*
 * Related resources from the world: the site itself, its web config (from siteConfig), or a
 * sibling of the same type in the same resource group when details.name names another one.
 */
static enum policy_result world_related(void *data, const json_t *resource, const char *type,
					const char *name, json_t **out, struct strbuf *err)
{
	struct world *w = data;
	const char *rtype = json_string_value(json_object_get(resource, "type"));
	const char *rname = json_string_value(json_object_get(resource, "name"));
	const char *id = json_string_value(json_object_get(resource, "id"));

	if (rtype && rname && id && name && !strcasecmp(type, rtype) && strcasecmp(name, rname)) {
		/* another resource of the same type: look it up beside this one */
		const char *slash = strrchr(id, '/');
		struct strbuf other = STRBUF_INIT;
		struct world_resource *r;
		strbuf_add(&other, id, (size_t)(slash - id) + 1);
		strbuf_addstr(&other, strrchr(name, '/') ? strrchr(name, '/') + 1 : name);
		r = world_resource_get(w, other.buf);
		strbuf_release(&other);
		*out = json_array();
		if (r)
			json_array_append(*out, r->body);
		return POLICY_OK;
	}
	return policy_related_default(NULL, resource, type, name, out, err);
}

enum policy_result engine_evaluate(struct world *w, const struct engine_member *m,
				   const json_t *resource, struct policy_outcome *out,
				   struct strbuf *err)
{
	return policy_evaluate_as(m->def, m->params, m->effect, resource, world_related, w,
				  "2024-11-01", out, err);
}
