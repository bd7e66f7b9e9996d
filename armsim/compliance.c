/*
 * compliance — the policy engine's state, evaluation passes, scans, policy states and Deny.
 *
 * Records are kept per resource (the last evaluation of every assignment member on it) and
 * indexed per subscription, because every query and every scan is scoped: a management group
 * is a set of subscriptions, a resource group a prefix of resource ids.
 */
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "armsim/alias.h"
#include "armsim/arm.h"
#include "armsim/compliance.h"
#include "armsim/idmap.h"
#include "armsim/ops_policy.h"
#include "armsim/ops_resources.h"
#include "armsim/server.h"
#include "armsim/simclock.h"
#include "armsim/template.h"
#include "armsim/world.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

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
};

struct scan {
	char *scope;                  /* subscription or resource group id */
	char *subscription_id;
	char token[128];
	int64_t end_ms;
	int done;
};

struct policy_engine {
	pthread_mutex_t lock;
	struct world *world;
	struct idmap strings;         /* interned strings: value is the owned copy */
	struct idmap defs;            /* definition id -> struct cached_def */
	struct idmap states;          /* resource id -> struct resource_states */
	struct idmap subs;            /* subscription id -> struct sub_index */
	struct idmap scans;           /* scope -> struct scan */
	unsigned pass;
	uint64_t seen_version;        /* world version at the last change sweep */
	int64_t next_due_ms;          /* when the earliest pending change falls due, 0 if none */
	void *remediations;           /* remediation.c's */
	uint64_t resources_evaluated; /* counters for /_armsim/policy */
	uint64_t member_evaluations;
	double evaluation_real_ms;
	double evaluation_cpu_ms;     /* the same in thread CPU time (steadier on a busy machine) */
	uint64_t assignments_skipped; /* could not be resolved (missing or bad definition) */
	char *last_skip_reason;       /* why the last one was skipped */
};

/* ---------- registry ---------- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct policy_engine *registry[16];
static size_t nr_registry;
static int atexit_registered;

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

static void free_states(const char *key, void *value, void *arg)
{
	struct resource_states *s = value;
	(void)key;
	(void)arg;
	free(s->resource_id);
	free(s->subscription_id);
	free(s->resource_group);
	free(s->type);
	free(s->location);
	free(s->records);
	free(s);
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

void remediation_engine_release(struct policy_engine *engine); /* remediation.c */

static void engine_clear(struct policy_engine *e)
{
	remediation_engine_release(e);
	idmap_for_each(&e->defs, free_cached_def, NULL);
	idmap_clear(&e->defs);
	idmap_for_each(&e->states, free_states, NULL);
	idmap_clear(&e->states);
	idmap_for_each(&e->subs, free_sub_index, NULL);
	idmap_clear(&e->subs);
	idmap_for_each(&e->scans, free_scan, NULL);
	idmap_clear(&e->scans);
	idmap_for_each(&e->strings, free_value, NULL);
	idmap_clear(&e->strings);
	e->seen_version = 0;
	e->next_due_ms = 0;
	free(e->last_skip_reason);
	e->last_skip_reason = NULL;
}

static void free_all_engines(void)
{
	size_t i;
	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < nr_registry; i++) {
		engine_clear(registry[i]);
		pthread_mutex_destroy(&registry[i]->lock);
		free(registry[i]);
	}
	nr_registry = 0;
	pthread_mutex_unlock(&registry_lock);
}

struct policy_engine *policy_engine_get(struct world *w)
{
	struct policy_engine *e = NULL;
	size_t i;

	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < nr_registry; i++)
		if (registry[i]->world == w)
			e = registry[i];
	if (!e) {
		if (nr_registry == ARRAY_SIZE(registry)) {
			/* a process serving more worlds than this reuses the oldest slot */
			engine_clear(registry[0]);
			registry[0]->world = w;
			e = registry[0];
		} else {
			pthread_mutexattr_t attr;
			e = xcalloc(1, sizeof(*e));
			/* recursive: a deployment's site write runs the Deny check inside the tick */
			pthread_mutexattr_init(&attr);
			pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
			pthread_mutex_init(&e->lock, &attr);
			pthread_mutexattr_destroy(&attr);
			e->world = w;
			registry[nr_registry++] = e;
		}
		if (!atexit_registered) {
			atexit(free_all_engines);
			atexit_registered = 1;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	return e;
}

void policy_engine_lock(struct policy_engine *engine)
{
	pthread_mutex_lock(&engine->lock);
}

void policy_engine_unlock(struct policy_engine *engine)
{
	pthread_mutex_unlock(&engine->lock);
}

void **policy_engine_remediation_slot(struct policy_engine *engine)
{
	return &engine->remediations;
}

void policy_engine_reset(struct world *w)
{
	struct policy_engine *e = policy_engine_get(w);
	policy_engine_lock(e);
	engine_clear(e);
	policy_engine_unlock(e);
}

static const char *intern(struct policy_engine *e, const char *s)
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

/* ---------- times ---------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t compliance_parse_iso(const char *s)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	int64_t ms;
	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -1;
	s += n;
	if (*s == 'T' || *s == ' ') {
		if (sscanf(s + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3)
			return -1;
		s += 1 + n;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	ms = (days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) * 1000;
	if (*s == '.') {
		int64_t scale = 100;
		for (s++; isdigit((unsigned char)*s); s++, scale /= 10)
			ms += scale > 0 ? (*s - '0') * scale : 0;
	}
	return ms;
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
	m->reference_id = intern(e, reference_id);
	m->definition_id = intern(e, definition_id);
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
	out->id = intern(e, assignment->id);
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

		out->set_id = intern(e, target->id);
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

static int exempt_in(struct world *w, const struct world_list *l, const char *assignment_id,
		     const char *reference_id, const char *resource_id, int64_t now_ms);

int engine_exempt(struct world *w, const char *assignment_id, const char *reference_id,
		  const char *resource_id, int64_t now_ms)
{
	return exempt_in(w, world_resource_list(w, NULL, WT_POLICY_EXEMPTION), assignment_id,
			 reference_id, resource_id, now_ms);
}

/* engine_exempt over a list fetched once per pass (looking the list up formats a key). */
static int exempt_in(struct world *w, const struct world_list *l, const char *assignment_id,
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
		if (expires && (until = compliance_parse_iso(expires)) >= 0 && until <= now_ms)
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

/* ---------- evaluation passes ---------- */

/* The assignments that can reach resources of subscription sub (resolved). */
struct assignment_set {
	struct engine_assignment *items;
	size_t nr, alloc;
	const struct world_list *exemptions; /* every exemption of the world (borrowed) */
};

static void assignment_set_release(struct assignment_set *set)
{
	size_t i;
	for (i = 0; i < set->nr; i++)
		engine_assignment_release(&set->items[i]);
	free(set->items);
	memset(set, 0, sizeof(*set));
}

static void applicable_assignments(struct policy_engine *e, struct world *w, const char *sub_scope,
				   struct assignment_set *set)
{
	const struct world_list *l = world_resource_list(w, NULL, WT_POLICY_ASSIGNMENT);
	size_t i;

	set->exemptions = world_resource_list(w, NULL, WT_POLICY_EXEMPTION);
	for (i = 0; i < l->nr; i++) {
		const json_t *props = json_object_get(l->items[i]->body, "properties");
		const char *scope = json_string_value(json_object_get(props, "scope"));
		struct strbuf err = STRBUF_INIT;
		if (!scope)
			scope = l->items[i]->scope;
		if (!world_scope_contains(w, scope, sub_scope) &&
		    !world_scope_contains(w, sub_scope, scope))
			continue;
		ALLOC_GROW(set->items, set->nr + 1, set->alloc);
		if (engine_assignment_resolve(e, w, l->items[i], &set->items[set->nr], &err)) {
			/*
			 * an assignment whose definition vanished evaluates nothing, as in Azure;
			 * /_armsim/policy says so instead of staying silent
			 */
			engine_assignment_release(&set->items[set->nr]);
			e->assignments_skipped++;
			free(e->last_skip_reason);
			e->last_skip_reason = xstrdup(err.buf);
		} else {
			set->nr++;
		}
		strbuf_release(&err);
	}
}

static struct sub_index *sub_index_for(struct policy_engine *e, const char *sub)
{
	struct sub_index *x = idmap_get(&e->subs, sub);
	if (!x) {
		x = xcalloc(1, sizeof(*x));
		idmap_put(&e->subs, sub, x);
	}
	return x;
}

/* Copies "rg" out of "/subscriptions/S/resourceGroups/rg/..." into a new string. */
static char *segment_after_key(const char *id, const char *key)
{
	size_t klen = strlen(key);
	const char *p;
	for (p = id; (p = strchr(p, '/')); p++)
		if (!strncasecmp(p + 1, key, klen) && p[1 + klen] == '/') {
			const char *start = p + 2 + klen, *end = strchr(start, '/');
			return end ? xstrndup(start, (size_t)(end - start)) : xstrdup(start);
		}
	return NULL;
}

/* Evaluates every applicable member on one resource, replacing its records. */
static void evaluate_resource(struct policy_engine *e, struct world *w,
			      const struct assignment_set *set, const struct world_resource *r,
			      int64_t now)
{
	struct resource_states *s = idmap_get(&e->states, r->id);
	json_t *view;
	size_t i, k;

	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->resource_id = xstrdup(r->id);
		s->subscription_id = segment_after_key(r->id, "subscriptions");
		s->resource_group = segment_after_key(r->id, "resourceGroups");
		s->type = xstrdup(r->type);
		idmap_put(&e->states, r->id, s);
		if (s->subscription_id) {
			struct sub_index *x = sub_index_for(e, s->subscription_id);
			ALLOC_GROW(x->items, x->nr + 1, x->alloc);
			x->items[x->nr++] = s;
		}
	}
	free(s->location);
	s->location = xstrdup(json_string_value(json_object_get(r->body, "location")) ?
			      json_string_value(json_object_get(r->body, "location")) : "");
	s->nr = 0;
	s->mark = e->pass;
	s->evaluated_ms = now;
	s->changed_ms = r->changed_ms;
	e->resources_evaluated++;
	/* policies see the resource as ARM's GET shows it, defaults included */
	view = (!strcasecmp(r->type, WT_SITE) || !strcasecmp(r->type, WT_SLOT)) ?
	       web_site_view(r) : json_incref(r->body);
	for (i = 0; i < set->nr; i++) {
		const struct engine_assignment *a = &set->items[i];
		if (!engine_assignment_covers(w, a, r->id))
			continue;
		for (k = 0; k < a->nr_members; k++) {
			const struct engine_member *m = &a->members[k];
			struct policy_outcome out;
			struct strbuf err = STRBUF_INIT;
			struct record *rec;

			e->member_evaluations++;
			if (engine_evaluate(w, m, view, &out, &err) ||
			    out.compliance == POLICY_NOT_APPLICABLE) {
				strbuf_release(&err);
				continue;
			}
			strbuf_release(&err);
			ALLOC_GROW(s->records, s->nr + 1, s->alloc);
			rec = &s->records[s->nr++];
			rec->assignment_id = a->id; /* interned by engine_assignment_resolve */
			rec->reference_id = m->reference_id;
			rec->definition_id = m->definition_id;
			rec->set_id = a->set_id;
			rec->effect = out.effect;
			rec->state = out.compliance == POLICY_COMPLIANT ? RECORD_COMPLIANT :
				     RECORD_NON_COMPLIANT;
			if (set->exemptions->nr &&
			    exempt_in(w, set->exemptions, a->id, m->reference_id, r->id, now))
				rec->state = RECORD_EXEMPT;
		}
	}
	json_decref(view);
}

static void for_each_site(struct world *w, const char *sub_scope, const char *rg_scope,
			  void (*fn)(const struct world_resource *r, void *arg), void *arg)
{
	const struct world_list *rgs = world_resource_list(w, sub_scope, WT_RESOURCE_GROUP);
	size_t i, j, k;

	for (i = 0; i < rgs->nr; i++) {
		const struct world_list *sites;
		if (rg_scope && strcasecmp(rgs->items[i]->id, rg_scope))
			continue;
		sites = world_resource_list(w, rgs->items[i]->id, WT_SITE);
		for (j = 0; j < sites->nr; j++) {
			const struct world_list *slots = world_resource_list(w, sites->items[j]->id,
									     WT_SLOT);
			fn(sites->items[j], arg);
			for (k = 0; k < slots->nr; k++)
				fn(slots->items[k], arg);
		}
	}
}

struct pass {
	struct policy_engine *e;
	struct world *w;
	struct assignment_set set;
	int64_t now;
};

static void pass_one(const struct world_resource *r, void *arg)
{
	struct pass *p = arg;
	evaluate_resource(p->e, p->w, &p->set, r, p->now);
}

static double thread_cpu_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Scope: "/subscriptions/S" or "/subscriptions/S/resourceGroups/RG". */
static void evaluate_subscription_scope(struct policy_engine *e, struct world *w,
					const char *sub, const char *rg_scope)
{
	struct pass p;
	struct strbuf sub_scope = STRBUF_INIT;
	struct sub_index *x;
	int64_t start = simclock_real_ms();
	double cpu_start = thread_cpu_ms();
	size_t i;

	strbuf_addf(&sub_scope, "/subscriptions/%s", sub);
	memset(&p, 0, sizeof(p));
	p.e = e;
	p.w = w;
	p.now = simclock_now_ms();
	e->pass++;
	applicable_assignments(e, w, sub_scope.buf, &p.set);
	for_each_site(w, sub_scope.buf, rg_scope, pass_one, &p);
	/* resources of this scope that no longer exist lose their records */
	x = idmap_get(&e->subs, sub);
	for (i = 0; x && i < x->nr;) {
		struct resource_states *s = x->items[i];
		int in_scope = !rg_scope || (s->resource_group &&
					     world_scope_contains(w, rg_scope, s->resource_id));
		if (in_scope && s->mark != e->pass && !world_resource_get(w, s->resource_id)) {
			idmap_remove(&e->states, s->resource_id);
			x->items[i] = x->items[--x->nr];
			free_states(NULL, s, NULL);
			continue;
		}
		i++;
	}
	assignment_set_release(&p.set);
	strbuf_release(&sub_scope);
	e->evaluation_real_ms += (double)(simclock_real_ms() - start);
	e->evaluation_cpu_ms += thread_cpu_ms() - cpu_start;
}

void engine_evaluate_scope(struct policy_engine *e, struct world *w, const char *scope)
{
	char *sub = segment_after_key(scope, "subscriptions");
	size_t i;

	if (sub) {
		char *rg = segment_after_key(scope, "resourceGroups");
		struct strbuf rg_scope = STRBUF_INIT;
		if (rg)
			strbuf_addf(&rg_scope, "/subscriptions/%s/resourceGroups/%s", sub, rg);
		evaluate_subscription_scope(e, w, sub, rg ? rg_scope.buf : NULL);
		strbuf_release(&rg_scope);
		free(rg);
		free(sub);
		return;
	}
	/* a management group (or the tenant): every subscription under it */
	for (i = 0; i < w->nr_subs; i++) {
		char sub_scope[128];
		snprintf(sub_scope, sizeof(sub_scope), "/subscriptions/%s", w->subs[i]->id);
		if (world_scope_contains(w, scope, sub_scope))
			evaluate_subscription_scope(e, w, w->subs[i]->id, NULL);
	}
}

/*
 * New or changed resources are evaluated again once the world's evaluation delay has passed
 * since their last write: a sweep over the subscriptions that have been evaluated, run from
 * the tick whenever the world's version moved.
 */
struct sweep {
	struct policy_engine *e;
	struct world *w;
	const char *sub_scope;
	struct assignment_set set;   /* resolved on the first changed resource of the sub */
	int have_set;
	int64_t now, delay;
	int64_t next_due;            /* earliest change not due yet, 0 when none */
};

/*
 * A changed resource is evaluated after the world's delay, and no sooner than the
 * evaluationDelay of an IfNotExists member that applies to its subscription.
 */
static void sweep_prepare(struct sweep *sw)
{
	size_t a, k;
	if (sw->have_set)
		return;
	applicable_assignments(sw->e, sw->w, sw->sub_scope, &sw->set);
	sw->delay = sw->w->knobs.evaluation_delay_ms;
	for (a = 0; a < sw->set.nr; a++)
		for (k = 0; k < sw->set.items[a].nr_members; k++) {
			long d = policy_definition_evaluation_delay(sw->set.items[a].members[k].def);
			if (d * 1000 > sw->delay)
				sw->delay = (int64_t)d * 1000;
		}
	sw->have_set = 1;
}

static void sweep_one(const struct world_resource *r, void *arg)
{
	struct sweep *sw = arg;
	struct resource_states *s = idmap_get(&sw->e->states, r->id);
	int64_t due;

	if (s && s->changed_ms == r->changed_ms)
		return;
	sweep_prepare(sw);
	due = r->changed_ms + sw->delay;
	if (sw->now < due) {
		if (!sw->next_due || due < sw->next_due)
			sw->next_due = due;
		return;
	}
	evaluate_resource(sw->e, sw->w, &sw->set, r, sw->now);
}

struct sweep_subs {
	const char **ids;
	size_t nr, alloc;
};

static void collect_sub(const char *key, void *value, void *arg)
{
	struct sweep_subs *subs = arg;
	(void)value;
	ALLOC_GROW(subs->ids, subs->nr + 1, subs->alloc);
	subs->ids[subs->nr++] = key;
}

/*
 * Runs when the world changed since the last sweep or a pending change fell due; otherwise
 * it costs nothing, so the 20 ms tick does not keep a large world's lock busy.
 */
static void sweep_changes(struct policy_engine *e, struct world *w)
{
	struct sweep_subs subs = { NULL, 0, 0 };
	uint64_t version = w->version;
	int64_t now = simclock_now_ms(), next_due = 0;
	size_t i;

	if (version == e->seen_version && (!e->next_due_ms || now < e->next_due_ms))
		return;
	idmap_for_each(&e->subs, collect_sub, &subs);
	for (i = 0; i < subs.nr; i++) {
		struct sweep sw;
		char sub_scope[128];
		memset(&sw, 0, sizeof(sw));
		snprintf(sub_scope, sizeof(sub_scope), "/subscriptions/%s", subs.ids[i]);
		sw.e = e;
		sw.w = w;
		sw.sub_scope = sub_scope;
		sw.now = now;
		for_each_site(w, sub_scope, NULL, sweep_one, &sw);
		if (sw.next_due && (!next_due || sw.next_due < next_due))
			next_due = sw.next_due;
		assignment_set_release(&sw.set);
	}
	free(subs.ids);
	e->seen_version = version;
	e->next_due_ms = next_due;
}

/* ---------- scans ---------- */

static void scan_finish(struct policy_engine *e, struct world *w, struct scan *s)
{
	if (s->done || simclock_now_ms() < s->end_ms)
		return;
	engine_evaluate_scope(e, w, s->scope);
	s->done = 1;
}

static void finish_due_scan(const char *key, void *value, void *arg)
{
	struct policy_engine *e = arg;
	(void)key;
	scan_finish(e, e->world, value);
}

static void engine_tick(struct armsim *sim, void *arg)
{
	struct world *w = armsim_world(sim);
	struct policy_engine *e = policy_engine_get(w);
	void remediation_tick(struct policy_engine *engine, struct world *world); /* remediation.c */
	(void)arg;

	world_lock_write(w);
	policy_engine_lock(e);
	idmap_for_each(&e->scans, finish_due_scan, e);
	remediation_tick(e, w);
	sweep_changes(e, w);
	policy_engine_unlock(e);
	world_unlock(w);
}

static void engine_on_reset(struct armsim *sim, void *arg)
{
	(void)arg;
	policy_engine_reset(armsim_world(sim));
}

static int alias_known(const char *name)
{
	struct alias a;
	return !alias_lookup(name, &a);
}

void policy_engine_attach(struct armsim *sim)
{
	policy_engine_get(armsim_world(sim));
	web_set_write_check(compliance_write_check, NULL);
	policy_set_rule_check(policy_engine_check_definition);
	policy_set_alias_check(alias_known);
	armsim_add_tick(sim, 20, engine_tick, NULL);
	armsim_add_reset_hook(sim, engine_on_reset, NULL);
}

/* The token is fixed per scope, as Azure's is: base64url of a job id derived from the scope. */
static void scan_token(const char *scope, char *out, size_t size)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint64_t h = 1469598103934665603ULL;
	char plain[96];
	size_t i, n, o = 0;
	for (i = 0; scope[i]; i++) {
		h ^= (unsigned char)tolower((unsigned char)scope[i]);
		h *= 1099511628211ULL;
	}
	n = (size_t)snprintf(plain, sizeof(plain), "{\"id\":\"PSRAJob:%016" PRIX64 ".1.0\",\"location\":\"\"}", h);
	for (i = 0; i < n && o + 4 < size; i += 3) {
		unsigned v = (unsigned char)plain[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)plain[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)plain[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = b64[v & 63];
	}
	out[o] = '\0';
}

static void scan_location(struct armsim_request *req, const struct scan *s, struct strbuf *out)
{
	strbuf_addf(out, "%s/subscriptions/%s/providers/Microsoft.PolicyInsights/asyncOperationResults/%s"
		    "?api-version=%s", req->base_url, s->subscription_id, s->token,
		    req->api_version ? req->api_version : "2019-10-01");
}

void compliance_trigger_evaluation(struct armsim_request *req, struct armsim_response *resp)
{
	const char *sub = armsim_request_param(req, "subscriptionId");
	const char *rg = armsim_request_param(req, "resourceGroupName");
	struct policy_engine *e = policy_engine_get(req->world);
	struct strbuf scope = STRBUF_INIT, location = STRBUF_INIT;
	struct scan *s;

	strbuf_addf(&scope, "/subscriptions/%s", sub);
	if (rg)
		strbuf_addf(&scope, "/resourceGroups/%s", rg);
	if (arm_scope_exists(req, resp, scope.buf))
		goto out;
	policy_engine_lock(e);
	s = idmap_get(&e->scans, scope.buf);
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->scope = xstrdup(scope.buf);
		s->subscription_id = xstrdup(sub);
		scan_token(scope.buf, s->token, sizeof(s->token));
		s->done = 1;
		idmap_put(&e->scans, scope.buf, s);
	}
	scan_finish(e, req->world, s);
	if (s->done) {
		/* no scan running: start one; a trigger during a scan joins it */
		s->done = 0;
		s->end_ms = simclock_now_ms() + req->world->knobs.scan_duration_ms;
	}
	scan_location(req, s, &location);
	policy_engine_unlock(e);
	armsim_response_json(resp, 202, NULL);
	armsim_response_header(resp, "Location", location.buf);
	resp->is_write = 1;
out:
	strbuf_release(&scope);
	strbuf_release(&location);
}

struct token_search {
	const char *token;
	struct scan *found;
};

static void find_token(const char *key, void *value, void *arg)
{
	struct token_search *ts = arg;
	struct scan *s = value;
	(void)key;
	if (!strcmp(s->token, ts->token))
		ts->found = s;
}

void compliance_operation_result(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_get(req->world);
	struct token_search ts = { armsim_request_param(req, "operationId"), NULL };
	struct strbuf location = STRBUF_INIT;

	policy_engine_lock(e);
	idmap_for_each(&e->scans, find_token, &ts);
	if (!ts.found || strcasecmp(ts.found->subscription_id,
				    armsim_request_param(req, "subscriptionId"))) {
		policy_engine_unlock(e);
		armsim_response_error(resp, 404, "AsyncOperationNotFound",
				      "The async operation '%s' could not be found.", ts.token);
		return;
	}
	scan_finish(e, req->world, ts.found);
	if (!ts.found->done) {
		scan_location(req, ts.found, &location);
		armsim_response_json(resp, 202, NULL);
		armsim_response_header(resp, "Location", location.buf);
	} else {
		armsim_response_json(resp, 200, json_pack("{s:s}", "status", "Succeeded"));
	}
	policy_engine_unlock(e);
	strbuf_release(&location);
}

/* ---------- policy states ---------- */

static const char *state_name(enum record_state s)
{
	return s == RECORD_COMPLIANT ? "Compliant" : s == RECORD_EXEMPT ? "Exempt" : "NonCompliant";
}

/* One "Field eq 'value'" clause of a $filter. */
struct filter_clause {
	char field[64];
	int negate;
	char value[512];
};

struct filter {
	struct filter_clause clauses[8];
	size_t nr;
};

/* Parses "A eq 'x' and B ne 'y' and IsCompliant eq false". Returns 0 or -1 with err. */
static int filter_parse(const char *text, struct filter *f, struct strbuf *err)
{
	const char *p = text;

	memset(f, 0, sizeof(*f));
	if (!text)
		return 0;
	while (*p) {
		struct filter_clause *c;
		size_t n = 0;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (f->nr == ARRAY_SIZE(f->clauses)) {
			strbuf_addstr(err, "too many $filter clauses");
			return -1;
		}
		c = &f->clauses[f->nr++];
		while (*p && *p != ' ' && n + 1 < sizeof(c->field))
			c->field[n++] = *p++;
		while (*p == ' ')
			p++;
		if (!strncasecmp(p, "eq ", 3))
			c->negate = 0;
		else if (!strncasecmp(p, "ne ", 3))
			c->negate = 1;
		else {
			strbuf_addf(err, "unsupported $filter near '%s'", p);
			return -1;
		}
		p += 3;
		while (*p == ' ')
			p++;
		n = 0;
		if (*p == '\'') {
			for (p++; *p && !(*p == '\'' && p[1] != '\''); p++) {
				if (*p == '\'')
					p++;
				if (n + 1 < sizeof(c->value))
					c->value[n++] = *p;
			}
			if (*p != '\'') {
				strbuf_addstr(err, "unterminated string in $filter");
				return -1;
			}
			p++;
		} else {
			while (*p && *p != ' ' && n + 1 < sizeof(c->value))
				c->value[n++] = *p++;
		}
		while (*p == ' ')
			p++;
		if (*p && strncasecmp(p, "and ", 4)) {
			strbuf_addf(err, "unsupported $filter near '%s' (only 'and' joins clauses)", p);
			return -1;
		}
		if (*p)
			p += 4;
	}
	return 0;
}

static int clause_holds(const struct filter_clause *c, const struct resource_states *s,
			const struct record *r, struct strbuf *err)
{
	const char *v = NULL;
	int eq;

	if (!strcasecmp(c->field, "ComplianceState"))
		v = state_name(r->state);
	else if (!strcasecmp(c->field, "PolicyAssignmentId"))
		v = r->assignment_id;
	else if (!strcasecmp(c->field, "PolicyDefinitionReferenceId"))
		v = r->reference_id ? r->reference_id : "";
	else if (!strcasecmp(c->field, "PolicyDefinitionId"))
		v = r->definition_id;
	else if (!strcasecmp(c->field, "PolicySetDefinitionId"))
		v = r->set_id ? r->set_id : "";
	else if (!strcasecmp(c->field, "ResourceId"))
		v = s->resource_id;
	else if (!strcasecmp(c->field, "ResourceType"))
		v = s->type;
	else if (!strcasecmp(c->field, "ResourceLocation"))
		v = s->location;
	else if (!strcasecmp(c->field, "ResourceGroup"))
		v = s->resource_group ? s->resource_group : "";
	else if (!strcasecmp(c->field, "PolicyDefinitionAction"))
		v = policy_effect_name(r->effect);
	else if (!strcasecmp(c->field, "IsCompliant"))
		v = r->state == RECORD_NON_COMPLIANT ? "false" : "true";
	else {
		strbuf_addf(err, "unsupported $filter field '%s'", c->field);
		return -1;
	}
	eq = !strcasecmp(v, c->value);
	return c->negate ? !eq : eq;
}

/* Calls fn for each record in scope that passes the filter. */
struct query {
	struct policy_engine *e;
	struct world *w;
	const char *scope;            /* resource-id scope: mg, sub, rg, or an assignment */
	const char *assignment_id;    /* when queried under an assignment */
	const struct filter *filter;
	struct strbuf *err;
	int failed;
	void (*fn)(struct query *q, const struct resource_states *s, const struct record *r);
	void *arg;
};

static void query_states(struct query *q, const struct resource_states *s)
{
	size_t i, k;
	for (i = 0; i < s->nr && !q->failed; i++) {
		const struct record *r = &s->records[i];
		int ok = 1;
		if (q->assignment_id && strcasecmp(q->assignment_id, r->assignment_id))
			continue;
		for (k = 0; k < q->filter->nr && ok; k++) {
			int h = clause_holds(&q->filter->clauses[k], s, r, q->err);
			if (h < 0) {
				q->failed = 1;
				return;
			}
			ok = h;
		}
		if (ok)
			q->fn(q, s, r);
	}
}

static void query_run(struct query *q)
{
	size_t i, k;
	for (i = 0; i < q->w->nr_subs && !q->failed; i++) {
		char sub_scope[128];
		struct sub_index *x;
		snprintf(sub_scope, sizeof(sub_scope), "/subscriptions/%s", q->w->subs[i]->id);
		if (!world_scope_contains(q->w, q->scope, sub_scope) &&
		    !world_scope_contains(q->w, sub_scope, q->scope))
			continue;
		x = idmap_get(&q->e->subs, q->w->subs[i]->id);
		for (k = 0; x && k < x->nr && !q->failed; k++)
			if (world_scope_contains(q->w, q->scope, x->items[k]->resource_id))
				query_states(q, x->items[k]);
	}
}

static void lower_into(struct strbuf *sb, const char *s)
{
	for (; s && *s; s++)
		strbuf_addch(sb, (char)tolower((unsigned char)*s));
}

static json_t *lower_string(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *v;
	if (!s)
		return json_null();
	lower_into(&sb, s);
	v = json_stringn(sb.buf, sb.len);
	strbuf_release(&sb);
	return v;
}

/* strcasestr is a GNU extension */
static const char *find_nocase(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	for (; *haystack; haystack++)
		if (!strncasecmp(haystack, needle, n))
			return haystack;
	return NULL;
}

static const char *last_part(const char *id)
{
	const char *slash = id ? strrchr(id, '/') : NULL;
	return slash ? slash + 1 : id ? id : "";
}

static const char *json_str_or(const json_t *v, const char *dflt)
{
	return json_is_string(v) ? json_string_value(v) : dflt;
}

static json_t *lower_effect(enum policy_effect effect)
{
	return lower_string(policy_effect_name(effect));
}

/* One policyStates record in the shape real traffic has (see the triggerscan recording). */
static void add_state_item(struct query *q, const struct resource_states *s, const struct record *r)
{
	json_t *items = q->arg, *item, *groups = json_array();
	struct world_resource *a = world_resource_get(q->w, r->assignment_id);
	struct world_resource *def = world_resource_get(q->w, r->definition_id);
	struct world_resource *set = r->set_id ? world_resource_get(q->w, r->set_id) : NULL;
	const json_t *aprops = a ? json_object_get(a->body, "properties") : NULL;
	const json_t *dprops = def ? json_object_get(def->body, "properties") : NULL;
	const json_t *sprops = set ? json_object_get(set->body, "properties") : NULL;
	const char *chain[64];
	size_t n = world_mg_chain(q->w, s->resource_id, chain, ARRAY_SIZE(chain)), i;
	struct strbuf mgs = STRBUF_INIT;
	char when[40], *params = NULL;

	simclock_format_iso(s->evaluated_ms, when);
	if (json_object_size(json_object_get(aprops, "parameters")))
		params = json_dumps(json_object_get(aprops, "parameters"),
				    JSON_COMPACT | JSON_PRESERVE_ORDER);
	for (i = 0; i < n; i++)
		strbuf_addf(&mgs, "%s%s", i ? "," : "", chain[i]);
	/* the member's groups in the initiative, [""] when it has none */
	if (sprops && r->reference_id) {
		const json_t *members = json_object_get(sprops, "policyDefinitions"), *m;
		json_array_foreach(members, i, m) {
			const char *ref = json_string_value(json_object_get(m, "policyDefinitionReferenceId"));
			if (ref && !strcasecmp(ref, r->reference_id) &&
			    json_is_array(json_object_get(m, "groupNames")))
				json_array_extend(groups, json_object_get(m, "groupNames"));
		}
	}
	if (!json_array_size(groups))
		json_array_append_new(groups, json_string(""));
	item = json_pack(
		"{s:n, s:s, s:o, s:o, s:o, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o,"
		" s:s, s:o, s:s}",
		"@odata.id", "timestamp", when,
		"resourceId", lower_string(s->resource_id),
		"policyAssignmentId", lower_string(r->assignment_id),
		"policyDefinitionId", lower_string(r->definition_id),
		"effectiveParameters", "",
		"isCompliant", r->state != RECORD_NON_COMPLIANT,
		"subscriptionId", s->subscription_id ? s->subscription_id : "",
		"resourceType", s->type,
		"resourceLocation", s->location,
		"resourceGroup", s->resource_group ? s->resource_group : "",
		"resourceTags", "tbd",
		"policyAssignmentName", last_part(r->assignment_id),
		"policyAssignmentOwner", "tbd",
		"policyAssignmentParameters", params ? params : "",
		"policyAssignmentScope", lower_string(json_str_or(json_object_get(aprops, "scope"),
								  a ? a->scope : "")),
		"policyDefinitionName", last_part(r->definition_id),
		"policyDefinitionAction", lower_effect(r->effect),
		"policyDefinitionCategory",
		json_str_or(json_object_get(json_object_get(dprops, "metadata"), "category"), "tbd"));
	json_object_set_new(item, "policySetDefinitionId",
			    r->set_id ? lower_string(r->set_id) : json_string(""));
	json_object_set_new(item, "policySetDefinitionName",
			    json_string(r->set_id ? last_part(r->set_id) : ""));
	json_object_set_new(item, "policySetDefinitionOwner", json_string(""));
	json_object_set_new(item, "policySetDefinitionCategory", json_string(
		json_str_or(json_object_get(json_object_get(sprops, "metadata"), "category"), "")));
	json_object_set_new(item, "policySetDefinitionParameters", json_string(""));
	json_object_set_new(item, "managementGroupIds", json_string(mgs.buf));
	json_object_set_new(item, "policyDefinitionReferenceId",
			    r->reference_id ? lower_string(r->reference_id) : json_string(""));
	json_object_set_new(item, "complianceState", json_string(state_name(r->state)));
	json_object_set_new(item, "policyDefinitionGroupNames", groups);
	json_object_set_new(item, "policyDefinitionVersion", json_string(
		json_str_or(json_object_get(dprops, "version"),
			    json_str_or(json_object_get(json_object_get(dprops, "metadata"), "version"),
					""))));
	json_object_set_new(item, "policySetDefinitionVersion", json_string(
		json_str_or(json_object_get(sprops, "version"), "")));
	json_object_set_new(item, "policyAssignmentVersion", json_string(""));
	json_object_set_new(item, "complianceReasonCode", json_string(""));
	json_array_append_new(items, item);
	free(params);
	strbuf_release(&mgs);
}

/* The scope a policyStates route names (with an optional assignment under it). */
static int states_scope(struct armsim_request *req, struct armsim_response *resp,
			struct strbuf *scope, struct strbuf *assignment)
{
	const char *raw = armsim_request_param(req, "scope");
	const char *marker = raw ? find_nocase(raw, "/providers/Microsoft.Authorization/policyAssignments/") : NULL;
	const char *resource = armsim_request_param(req, "policyStatesResource");

	if (resource && strcasecmp(resource, "latest") && strcasecmp(resource, "default")) {
		armsim_response_error(resp, 400, "InvalidPolicyStatesResource",
				      "The policy states resource '%s' is not supported; use 'latest' "
				      "or 'default'.", resource);
		return -1;
	}
	if (marker) {
		strbuf_addstr(assignment, raw);
		strbuf_add(scope, raw, (size_t)(marker - raw));
		if (!world_resource_get(req->world, assignment->buf)) {
			armsim_response_error(resp, 404, "PolicyAssignmentNotFound",
					      "The policy assignment '%s' is not found.", assignment->buf);
			return -1;
		}
	} else {
		strbuf_addstr(scope, raw && *raw ? raw : "/");
	}
	return arm_scope_exists(req, resp, scope->buf);
}

void compliance_query_results(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_get(req->world);
	struct strbuf scope = STRBUF_INIT, assignment = STRBUF_INIT, err = STRBUF_INIT;
	struct strbuf context = STRBUF_INIT;
	struct filter filter;
	struct query q;
	json_t *items = json_array();
	const char *top = armsim_request_query(req, "$top");
	size_t i;

	if (states_scope(req, resp, &scope, &assignment))
		goto out;
	if (filter_parse(armsim_request_query(req, "$filter"), &filter, &err)) {
		armsim_response_error(resp, 400, "InvalidFilterInQueryString", "%s", err.buf);
		goto out;
	}
	memset(&q, 0, sizeof(q));
	q.e = e;
	q.w = req->world;
	q.scope = assignment.len ? "/" : scope.buf;
	q.assignment_id = assignment.len ? assignment.buf : NULL;
	q.filter = &filter;
	q.err = &err;
	q.fn = add_state_item;
	q.arg = items;
	policy_engine_lock(e);
	query_run(&q);
	policy_engine_unlock(e);
	if (q.failed) {
		armsim_response_error(resp, 400, "InvalidFilterInQueryString", "%s", err.buf);
		goto out;
	}
	/* $top bounds the whole result; pages then follow the world's page size */
	if (top) {
		char *end;
		unsigned long n = strtoul(top, &end, 10);
		if (!*end && n)
			while (json_array_size(items) > n)
				json_array_remove(items, json_array_size(items) - 1);
	}
	strbuf_addf(&context, "%s%s/providers/Microsoft.PolicyInsights/policyStates/$metadata#latest",
		    req->base_url, assignment.len ? assignment.buf : scope.len > 1 ? scope.buf : "");
	for (i = 0; i < json_array_size(items); i++)
		json_object_set_new(json_array_get(items, i), "@odata.context",
				    json_sprintf("%s/$entity", context.buf));
	{
		arm_respond_page(req, resp, json_incref(items), "@odata.nextLink");
		if (resp->status == 200 && resp->body) {
			json_t *page = json_object_get(resp->body, "value");
			json_object_set_new(resp->body, "@odata.context", json_string(context.buf));
			json_object_set_new(resp->body, "@odata.count",
					    json_integer((json_int_t)json_array_size(page)));
			if (!json_object_get(resp->body, "@odata.nextLink"))
				json_object_set_new(resp->body, "@odata.nextLink", json_null());
		}
	}
out:
	json_decref(items);
	strbuf_release(&scope);
	strbuf_release(&assignment);
	strbuf_release(&err);
	strbuf_release(&context);
}

/* summarize: counts per assignment and per definition from the same records. */
struct summary_counts {
	struct idmap noncompliant_resources;  /* resource id -> (void *)1 */
	json_t *assignments;                  /* assignment id -> {set, defs: {key -> counts}} */
};

static void count_record(struct query *q, const struct resource_states *s, const struct record *r)
{
	struct summary_counts *c = q->arg;
	json_t *a = json_object_get(c->assignments, r->assignment_id), *defs, *d;
	struct strbuf key = STRBUF_INIT;

	if (!a) {
		a = json_pack("{s:s?, s:{}, s:{}, s:i, s:i}", "set", r->set_id, "defs",
			      "resources", "nonCompliantPolicies", 0, "nonCompliantResources", 0);
		json_object_set_new(c->assignments, r->assignment_id, a);
	}
	defs = json_object_get(a, "defs");
	strbuf_addf(&key, "%s|%s", r->definition_id, r->reference_id ? r->reference_id : "");
	d = json_object_get(defs, key.buf);
	if (!d) {
		d = json_pack("{s:s, s:s?, s:s, s:i, s:i, s:i}", "id", r->definition_id, "ref",
			      r->reference_id, "effect", policy_effect_name(r->effect),
			      "NonCompliant", 0, "Compliant", 0, "Exempt", 0);
		json_object_set_new(defs, key.buf, d);
	}
	json_object_set_new(d, state_name(r->state),
			    json_integer(json_integer_value(json_object_get(d, state_name(r->state))) + 1));
	if (r->state == RECORD_NON_COMPLIANT) {
		json_object_set_new(json_object_get(a, "resources"), s->resource_id, json_true());
		idmap_put(&c->noncompliant_resources, s->resource_id, (void *)1);
	}
	strbuf_release(&key);
}

static json_t *summary_results(const char *query_uri, size_t nc_resources, size_t nc_policies,
			       size_t compliant, size_t noncompliant, size_t exempt)
{
	return json_pack("{s:s, s:I, s:I, s:[{s:s, s:I}, {s:s, s:I}, {s:s, s:I}]}",
			 "queryResultsUri", query_uri,
			 "nonCompliantResources", (json_int_t)nc_resources,
			 "nonCompliantPolicies", (json_int_t)nc_policies,
			 "resourceDetails",
			 "complianceState", "compliant", "count", (json_int_t)compliant,
			 "complianceState", "noncompliant", "count", (json_int_t)noncompliant,
			 "complianceState", "exempt", "count", (json_int_t)exempt);
}

void compliance_summarize(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_get(req->world);
	struct strbuf scope = STRBUF_INIT, assignment = STRBUF_INIT, err = STRBUF_INIT, uri = STRBUF_INIT;
	struct summary_counts counts;
	struct filter filter;
	struct query q;
	json_t *list = json_array(), *a;
	const char *aid;
	size_t total_nc_policies = 0, c_all = 0, nc_all = 0, ex_all = 0;

	memset(&counts, 0, sizeof(counts));
	counts.assignments = json_object();
	if (states_scope(req, resp, &scope, &assignment))
		goto out;
	if (filter_parse(armsim_request_query(req, "$filter"), &filter, &err)) {
		armsim_response_error(resp, 400, "InvalidFilterInQueryString", "%s", err.buf);
		goto out;
	}
	memset(&q, 0, sizeof(q));
	q.e = e;
	q.w = req->world;
	q.scope = assignment.len ? "/" : scope.buf;
	q.assignment_id = assignment.len ? assignment.buf : NULL;
	q.filter = &filter;
	q.err = &err;
	q.fn = count_record;
	q.arg = &counts;
	policy_engine_lock(e);
	query_run(&q);
	policy_engine_unlock(e);
	if (q.failed) {
		armsim_response_error(resp, 400, "InvalidFilterInQueryString", "%s", err.buf);
		goto out;
	}
	strbuf_addf(&uri, "%s%s/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults"
		    "?api-version=%s&$filter=IsCompliant eq false", req->base_url,
		    scope.len > 1 ? scope.buf : "", req->api_version ? req->api_version : "2019-10-01");
	json_object_foreach(counts.assignments, aid, a) {
		json_t *defs_out = json_array(), *d;
		const char *key;
		size_t nc_policies = 0, c_a = 0, nc_a = 0, ex_a = 0;
		json_object_foreach(json_object_get(a, "defs"), key, d) {
			size_t nc = (size_t)json_integer_value(json_object_get(d, "NonCompliant"));
			size_t co = (size_t)json_integer_value(json_object_get(d, "Compliant"));
			size_t ex = (size_t)json_integer_value(json_object_get(d, "Exempt"));
			nc_policies += nc > 0;
			c_a += co;
			nc_a += nc;
			ex_a += ex;
			json_array_append_new(defs_out, json_pack(
				"{s:o, s:o, s:s, s:o}",
				"policyDefinitionId", lower_string(json_string_value(json_object_get(d, "id"))),
				"policyDefinitionReferenceId",
				json_is_string(json_object_get(d, "ref")) ?
				lower_string(json_string_value(json_object_get(d, "ref"))) : json_string(""),
				"effect", json_string_value(json_object_get(d, "effect")),
				"results", summary_results(uri.buf, nc > 0 ? nc : 0, nc > 0, co, nc, ex)));
		}
		total_nc_policies += nc_policies > 0;
		c_all += c_a;
		nc_all += nc_a;
		ex_all += ex_a;
		json_array_append_new(list, json_pack(
			"{s:o, s:o, s:o, s:o}",
			"policyAssignmentId", lower_string(aid),
			"policySetDefinitionId", json_is_string(json_object_get(a, "set")) ?
			lower_string(json_string_value(json_object_get(a, "set"))) : json_string(""),
			"results", summary_results(uri.buf, json_object_size(json_object_get(a, "resources")),
						   nc_policies, c_a, nc_a, ex_a),
			"policyDefinitions", defs_out));
	}
	armsim_response_json(resp, 200, json_pack(
		"{s:s, s:i, s:[{s:n, s:s, s:o, s:o}]}",
		"@odata.context", "https://management.azure.com/providers/Microsoft.PolicyInsights/"
				  "$metadata#summary",
		"@odata.count", 1,
		"value", "@odata.id", "@odata.context", "summary",
		"results", summary_results(uri.buf, counts.noncompliant_resources.nr, total_nc_policies,
					   c_all, nc_all, ex_all),
		"policyAssignments", list));
	list = NULL;
out:
	json_decref(list);
	json_decref(counts.assignments);
	idmap_clear(&counts.noncompliant_resources);
	strbuf_release(&scope);
	strbuf_release(&assignment);
	strbuf_release(&err);
	strbuf_release(&uri);
}

void compliance_stats(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_get(req->world);
	policy_engine_lock(e);
	armsim_response_json(resp, 200, json_pack(
		"{s:I, s:I, s:f, s:f, s:I, s:I, s:s?}",
		"resourcesEvaluated", (json_int_t)e->resources_evaluated,
		"memberEvaluations", (json_int_t)e->member_evaluations,
		"evaluationRealMs", e->evaluation_real_ms,
		"evaluationCpuMs", e->evaluation_cpu_ms,
		"resourcesWithStates", (json_int_t)e->states.nr,
		"assignmentsSkipped", (json_int_t)e->assignments_skipped,
		"lastSkipReason", e->last_skip_reason));
	policy_engine_unlock(e);
}

/* ---------- record iteration for remediation ---------- */

struct record_walk {
	const char *assignment_id, *reference_id;
	engine_record_fn *fn;
	void *arg;
};

static void walk_record(struct query *q, const struct resource_states *s, const struct record *r)
{
	struct record_walk *rw = q->arg;
	if (rw->reference_id && (!r->reference_id || strcasecmp(rw->reference_id, r->reference_id)))
		return;
	rw->fn(s->resource_id, s->location, r->state, rw->arg);
}

void engine_for_each_record(struct policy_engine *engine, struct world *w, const char *scope,
			    const char *assignment_id, const char *reference_id,
			    engine_record_fn *fn, void *arg)
{
	struct filter none;
	struct query q;
	struct record_walk rw = { assignment_id, reference_id, fn, arg };
	memset(&none, 0, sizeof(none));
	memset(&q, 0, sizeof(q));
	q.e = engine;
	q.w = w;
	q.scope = scope;
	q.assignment_id = assignment_id;
	q.filter = &none;
	q.fn = walk_record;
	q.arg = &rw;
	query_run(&q);
}

/* ---------- Deny ---------- */

int compliance_write_check(struct world *w, const char *id, const json_t *before,
			   const json_t *after, struct armsim_response *resp, void *arg)
{
	(void)before;
	(void)arg;
	return compliance_check_deny(w, id, after, resp) ? -1 : 0;
}

int compliance_check_deny(struct world *w, const char *resource_id, const json_t *new_body,
			  struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_get(w);
	struct assignment_set set;
	char *sub = segment_after_key(resource_id, "subscriptions");
	struct strbuf sub_scope = STRBUF_INIT;
	int64_t now = simclock_now_ms();
	size_t i, k;
	int denied = 0;

	if (!sub)
		return 0;
	strbuf_addf(&sub_scope, "/subscriptions/%s", sub);
	memset(&set, 0, sizeof(set));
	policy_engine_lock(e);
	applicable_assignments(e, w, sub_scope.buf, &set);
	for (i = 0; i < set.nr && !denied; i++) {
		const struct engine_assignment *a = &set.items[i];
		if (a->do_not_enforce || !engine_assignment_covers(w, a, resource_id))
			continue;
		for (k = 0; k < a->nr_members && !denied; k++) {
			const struct engine_member *m = &a->members[k];
			struct policy_outcome out;
			struct strbuf err = STRBUF_INIT;
			json_t *error, *info;
			const json_t *dprops, *aprops;
			char *identifiers;

			if (m->effect != POLICY_EFFECT_DENY ||
			    engine_evaluate(w, m, new_body, &out, &err) ||
			    out.compliance != POLICY_NON_COMPLIANT ||
			    engine_exempt(w, a->id, m->reference_id, resource_id, now)) {
				strbuf_release(&err);
				continue;
			}
			strbuf_release(&err);
			denied = 1;
			dprops = json_object_get(m->definition_body, "properties");
			aprops = json_object_get(a->resource->body, "properties");
			{
				json_t *ids = json_pack("[{s:{s:s, s:s}, s:{s:s, s:s}}]",
							"policyAssignment", "name", a->name ? a->name : "",
							"id", a->id,
							"policyDefinition", "name", last_part(m->definition_id),
							"id", m->definition_id);
				identifiers = json_dumps(ids, JSON_COMPACT);
				json_decref(ids);
			}
			error = armsim_response_error(resp, 403, "RequestDisallowedByPolicy",
						      "Resource '%s' was disallowed by policy. Policy "
						      "identifiers: '%s'.", last_part(resource_id),
						      identifiers ? identifiers : "[]");
			free(identifiers);
			json_object_set_new(error, "target", json_string(last_part(resource_id)));
			info = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
					 "policyDefinitionDisplayName",
					 json_string_value(json_object_get(dprops, "displayName")) ?
					 json_string_value(json_object_get(dprops, "displayName")) : "",
					 "policyDefinitionId", m->definition_id,
					 "policyDefinitionName", last_part(m->definition_id),
					 "policyDefinitionEffect", "Deny",
					 "policyAssignmentId", a->id,
					 "policyAssignmentName", a->name ? a->name : "",
					 "policyAssignmentScope", a->scope,
					 "policyAssignmentDisplayName",
					 json_string_value(json_object_get(aprops, "displayName")) ?
					 json_string_value(json_object_get(aprops, "displayName")) : "",
					 "policyAssignmentParameters",
					 json_object_get(aprops, "parameters") ?
					 json_incref(json_object_get(aprops, "parameters")) : json_object());
			if (a->set_id) {
				json_object_set_new(info, "policySetDefinitionId", json_string(a->set_id));
				json_object_set_new(info, "policySetDefinitionName",
						    json_string(last_part(a->set_id)));
				json_object_set_new(info, "policyDefinitionReferenceId",
						    json_string(m->reference_id ? m->reference_id : ""));
			}
			json_object_set_new(info, "policyExemptionIds", json_array());
			json_object_set_new(error, "additionalInfo",
					    json_pack("[{s:s, s:o}]", "type", "PolicyViolation", "info", info));
		}
	}
	assignment_set_release(&set);
	policy_engine_unlock(e);
	strbuf_release(&sub_scope);
	free(sub);
	return denied;
}
