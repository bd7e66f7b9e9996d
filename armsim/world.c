/*
 * world — the simulated tenant in memory (see world.h). Loading and dumping the file format
 * (docs/armsim.md) is world_file.c.
 *
 * Resources are kept as ARM JSON bodies because that is what every handler reads and writes:
 * a PUT stores what ARM would store, a GET returns it. Two indexes sit beside them: id → resource
 * and "container|type" → list in creation order (plus "|type" for every resource of a type), so
 * both a GET by id and a list of one resource group's sites cost one hash lookup.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/rng.h"
#include "armsim/roles.h"
#include "armsim/simclock.h"
#include "armsim/world.h"
#include "lib/jsonutil.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

void world_knobs_default(struct world_knobs *k)
{
	k->replication_delay_ms = 15000;
	k->principal_type_skips_wait = 1;
	k->scan_duration_ms = 570000;
	k->deployment_duration_ms = 30000;
	k->evaluation_delay_ms = 900000;
	k->deployment_failure_probability = 0.0;
	k->page_size = 100;
	k->token_lifetime_s = 3600;
	k->max_remediations = 100;
	k->provider_registration_ms = 30000;
	k->read_burst = k->tenant_read_burst = 250;
	k->read_refill = k->tenant_read_refill = 25;
	k->write_burst = k->tenant_write_burst = 200;
	k->write_refill = k->tenant_write_refill = 10;
	k->delete_burst = k->tenant_delete_burst = 200;
	k->delete_refill = k->tenant_delete_refill = 10;
	k->graph_lag_ms = 0;
	k->graph_quota = 15;
	k->graph_quota_window_ms = 5000;
}

struct world *world_new(void)
{
	struct world *w = xcalloc(1, sizeof(*w));
	world_knobs_default(&w->knobs);
	w->guid_state = 0x9e3779b97f4a7c15ULL;
	pthread_rwlock_init(&w->lock, NULL);
	return w;
}

void world_seed(struct world *w, uint64_t seed)
{
	w->guid_state = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
}

void world_new_guid(struct world *w, char out[37])
{
	uint64_t a = rng_next(&w->guid_state), b = rng_next(&w->guid_state);
	rng_format_guid(a, b, out);
}

static void free_resource(struct world_resource *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->type);
	free(r->scope);
	json_decref(r->body);
	free(r);
}

static void free_list(const char *key, void *value, void *arg)
{
	struct world_list *l = value;
	(void)key;
	(void)arg;
	free(l->items);
	free(l);
}

static void free_resource_cb(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free_resource(value);
}

static void free_principal(struct world_principal *p)
{
	free(p->object_id);
	free(p->client_id);
	free(p->display_name);
	free(p->secret);
	free(p->certificate);
	free(p->type);
	json_decref(p->federated);
	free(p);
}

static void clear_contents(struct world *w)
{
	size_t i;
	for (i = 0; i < w->nr_mgs; i++) {
		free(w->mgs[i]->name);
		free(w->mgs[i]->display_name);
		free(w->mgs[i]->parent);
		free(w->mgs[i]);
	}
	for (i = 0; i < w->nr_subs; i++) {
		free(w->subs[i]->id);
		free(w->subs[i]->display_name);
		free(w->subs[i]->mg);
		free(w->subs[i]->state);
		free(w->subs[i]);
	}
	for (i = 0; i < w->nr_principals; i++)
		free_principal(w->principals[i]);
	free(w->mgs);
	free(w->subs);
	free(w->principals);
	idmap_for_each(&w->resources, free_resource_cb, NULL);
	idmap_for_each(&w->lists, free_list, NULL);
	idmap_for_each(&w->role_principals, free_list, NULL);
	idmap_clear(&w->resources);
	idmap_clear(&w->lists);
	idmap_clear(&w->role_principals);
	idmap_clear(&w->mg_by_name);
	idmap_clear(&w->sub_by_id);
	idmap_clear(&w->principal_by_object);
	idmap_clear(&w->principal_by_client);
	json_decref(w->managed_identity);
	free(w->tenant_id);
	w->mgs = NULL;
	w->subs = NULL;
	w->principals = NULL;
	w->nr_mgs = w->alloc_mgs = w->nr_subs = w->alloc_subs = 0;
	w->nr_principals = w->alloc_principals = 0;
	w->managed_identity = NULL;
	w->tenant_id = NULL;
}

void world_free(struct world *w)
{
	if (!w)
		return;
	clear_contents(w);
	pthread_rwlock_destroy(&w->lock);
	free(w);
}

enum world_result world_reload_json(struct world *w, const json_t *doc, struct strbuf *err)
{
	clear_contents(w);
	world_knobs_default(&w->knobs);
	w->version++;
	w->policy_version++; /* the tree and subscriptions change too */
	return world_load_json(w, doc, err);
}

void world_lock_read(struct world *w)
{
	pthread_rwlock_rdlock(&w->lock);
}

void world_lock_write(struct world *w)
{
	pthread_rwlock_wrlock(&w->lock);
}

void world_unlock(struct world *w)
{
	pthread_rwlock_unlock(&w->lock);
}

struct world_mg *world_mg_get(const struct world *w, const char *name)
{
	return name ? idmap_get(&w->mg_by_name, name) : NULL;
}

struct world_mg *world_mg_root(const struct world *w)
{
	return w->nr_mgs ? w->mgs[0] : NULL;
}

struct world_subscription *world_subscription_get(const struct world *w, const char *id)
{
	return id ? idmap_get(&w->sub_by_id, id) : NULL;
}

struct world_principal *world_principal_by_object_id(const struct world *w, const char *id)
{
	return id ? idmap_get(&w->principal_by_object, id) : NULL;
}

struct world_principal *world_principal_by_client_id(const struct world *w, const char *id)
{
	return id ? idmap_get(&w->principal_by_client, id) : NULL;
}

void world_principal_add(struct world *w, struct world_principal *p)
{
	ALLOC_GROW(w->principals, w->nr_principals + 1, w->alloc_principals);
	w->principals[w->nr_principals++] = p;
	idmap_put(&w->principal_by_object, p->object_id, p);
	idmap_put(&w->principal_by_client, p->client_id, p);
}

struct world_principal *world_principal_create(struct world *w, const char *display_name,
					       int managed)
{
	struct world_principal *p = xcalloc(1, sizeof(*p));
	char guid[37];
	world_new_guid(w, guid);
	p->object_id = xstrdup(guid);
	world_new_guid(w, guid);
	p->client_id = xstrdup(guid);
	p->display_name = xstrdup(display_name ? display_name : "");
	p->type = xstrdup("ServicePrincipal");
	p->managed = managed;
	p->created_ms = simclock_now_ms();
	world_principal_add(w, p);
	w->version++;
	return p;
}

void world_principal_delete(struct world *w, const char *object_id)
{
	struct world_principal *p = idmap_remove(&w->principal_by_object, object_id);
	size_t i;
	if (!p)
		return;
	idmap_remove(&w->principal_by_client, p->client_id);
	for (i = 0; i < w->nr_principals; i++)
		if (w->principals[i] == p) {
			memmove(&w->principals[i], &w->principals[i + 1],
				(w->nr_principals - i - 1) * sizeof(*w->principals));
			w->nr_principals--;
			break;
		}
	free_principal(p);
	w->version++;
}

int world_principal_replicated(const struct world *w, const struct world_principal *p)
{
	return simclock_now_ms() >= p->created_ms + w->knobs.replication_delay_ms;
}

/* Case-insensitive prefix at a path-segment boundary. */
static int id_has_prefix(const char *id, const char *prefix)
{
	size_t n = strlen(prefix);
	if (n && prefix[n - 1] == '/')
		n--;
	if (strncasecmp(id, prefix, n))
		return 0;
	return id[n] == '\0' || id[n] == '/';
}


/* Copies the segment after prefix in id into out (cap bytes); 0 when id lacks the prefix. */
static int segment_after(const char *id, const char *prefix, char *out, size_t cap)
{
	size_t n = strlen(prefix), len;
	const char *end;
	if (strncasecmp(id, prefix, n))
		return 0;
	end = strchr(id + n, '/');
	len = end ? (size_t)(end - (id + n)) : strlen(id + n);
	if (!len || len >= cap)
		return 0;
	memcpy(out, id + n, len);
	out[len] = '\0';
	return 1;
}

size_t world_mg_chain(const struct world *w, const char *scope, const char **names, size_t max)
{
	char seg[256];
	struct world_mg *mg = NULL;
	size_t n = 0;
	if (segment_after(scope, "/subscriptions/", seg, sizeof(seg))) {
		struct world_subscription *s = world_subscription_get(w, seg);
		mg = s ? world_mg_get(w, s->mg) : NULL;
	} else if (segment_after(scope, WORLD_MG_PREFIX, seg, sizeof(seg))) {
		mg = world_mg_get(w, seg);
	}
	/* a depth bound guards against a cycle a hand-written world file might contain */
	while (mg && n < max) {
		names[n++] = mg->name;
		mg = mg->parent ? world_mg_get(w, mg->parent) : NULL;
	}
	return n;
}

int world_scope_contains(const struct world *w, const char *outer, const char *inner)
{
	char seg[256];
	const char *chain[64];
	size_t n, i;
	if (!strcmp(outer, "/") || !*outer)
		return 1;
	if (id_has_prefix(inner, outer))
		return 1;
	if (!segment_after(outer, WORLD_MG_PREFIX, seg, sizeof(seg)) || strchr(outer + strlen(WORLD_MG_PREFIX), '/'))
		return 0;
	n = world_mg_chain(w, inner, chain, ARRAY_SIZE(chain));
	for (i = 0; i < n; i++)
		if (!strcasecmp(chain[i], seg))
			return 1;
	return 0;
}

static struct world_list *list_for(struct world *w, const char *scope, const char *type, int create)
{
	char small[512];
	struct strbuf key = STRBUF_INIT;
	const char *k = small;
	struct world_list *l;
	/* most keys fit on the stack: loading 50,000 sites then makes no allocation here */
	if ((size_t)snprintf(small, sizeof(small), "%s|%s", scope ? scope : "", type) >= sizeof(small)) {
		strbuf_addf(&key, "%s|%s", scope ? scope : "", type);
		k = key.buf;
	}
	l = idmap_get(&w->lists, k);
	if (!l && create) {
		l = xcalloc(1, sizeof(*l));
		idmap_put(&w->lists, k, l);
	}
	strbuf_release(&key);
	return l;
}

static void list_remove(struct world_list *l, const struct world_resource *r)
{
	size_t i;
	if (!l)
		return;
	for (i = l->nr; i-- > 0;)
		if (l->items[i] == r) {
			memmove(&l->items[i], &l->items[i + 1], (l->nr - i - 1) * sizeof(*l->items));
			l->nr--;
			return;
		}
}

/* The principal a role assignment names (NULL for other resources or none). */
static const char *role_principal(const struct world_resource *r)
{
	if (strcasecmp(r->type, WT_ROLE_ASSIGNMENT))
		return NULL;
	return json_string_value(json_object_get(json_object_get(r->body, "properties"),
						 "principalId"));
}

/* Files a role assignment under its principal, in creation order (seq). */
static void role_index_add(struct world *w, struct world_resource *r)
{
	const char *pid = role_principal(r);
	struct world_list *l;
	size_t at;
	if (!pid)
		return;
	l = idmap_get(&w->role_principals, pid);
	if (!l) {
		l = xcalloc(1, sizeof(*l));
		idmap_put(&w->role_principals, pid, l);
	}
	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	for (at = l->nr; at > 0 && l->items[at - 1]->seq > r->seq; at--)
		;
	memmove(&l->items[at + 1], &l->items[at], (l->nr - at) * sizeof(*l->items));
	l->items[at] = r;
	l->nr++;
}

static void role_index_remove(struct world *w, const struct world_resource *r)
{
	const char *pid = role_principal(r);
	if (pid)
		list_remove(idmap_get(&w->role_principals, pid), r);
}

/* A write of this type changes what assignments resolve to (world.policy_version). */
static int is_policy_type(const char *type)
{
	return !strcasecmp(type, WT_POLICY_DEFINITION) || !strcasecmp(type, WT_POLICY_SET) ||
	       !strcasecmp(type, WT_POLICY_ASSIGNMENT);
}

/* Marks the subscription holding id (if any) as changed at the world's current version. */
static void touch_subscription(struct world *w, const char *id)
{
	char seg[128];
	struct world_subscription *s;
	if (!segment_after(id, "/subscriptions/", seg, sizeof(seg)))
		return;
	s = world_subscription_get(w, seg);
	if (s)
		s->version = w->version;
}

struct world_resource *world_resource_get(const struct world *w, const char *id)
{
	return id ? idmap_get(&w->resources, id) : NULL;
}

struct world_resource *world_resource_put(struct world *w, const char *id, const char *type,
					  const char *scope, json_t *body, int *created)
{
	struct world_resource *r = idmap_get(&w->resources, id);
	int64_t now = simclock_now_ms();
	w->version++;
	touch_subscription(w, id);
	if (is_policy_type(r ? r->type : type))
		w->policy_version++;
	if (r) {
		role_index_remove(w, r);
		json_decref(r->body);
		r->body = body;
		r->changed_ms = now;
		role_index_add(w, r);
		if (created)
			*created = 0;
		return r;
	}
	r = xcalloc(1, sizeof(*r));
	r->id = xstrdup(id);
	r->type = xstrdup(type);
	r->scope = xstrdup(scope);
	r->body = body;
	r->created_ms = r->changed_ms = now;
	r->seq = ++w->resource_seq;
	idmap_put(&w->resources, id, r);
	role_index_add(w, r);
	{
		struct world_list *l = list_for(w, scope, type, 1);
		ALLOC_GROW(l->items, l->nr + 1, l->alloc);
		l->items[l->nr++] = r;
		l = list_for(w, NULL, type, 1);
		ALLOC_GROW(l->items, l->nr + 1, l->alloc);
		l->items[l->nr++] = r;
	}
	if (created)
		*created = 1;
	return r;
}

struct child_search {
	const char *prefix; /* "container|" */
	size_t len;
	struct world_list *found[64];
	size_t nr;
};

static void find_child_lists(const char *key, void *value, void *arg)
{
	struct child_search *cs = arg;
	if (cs->nr < ARRAY_SIZE(cs->found) && !strncasecmp(key, cs->prefix, cs->len))
		cs->found[cs->nr++] = value;
}

enum world_result world_resource_delete(struct world *w, const char *id)
{
	struct world_resource *r = idmap_get(&w->resources, id);
	struct child_search cs;
	struct strbuf prefix = STRBUF_INIT;
	size_t i;
	if (!r)
		return WORLD_NOT_FOUND;
	/* children first: a resource group takes its sites (and their slots) with it */
	strbuf_addf(&prefix, "%s|", r->id);
	cs.prefix = prefix.buf;
	cs.len = prefix.len;
	cs.nr = 0;
	idmap_for_each(&w->lists, find_child_lists, &cs);
	for (i = 0; i < cs.nr; i++)
		while (cs.found[i]->nr)
			world_resource_delete(w, cs.found[i]->items[cs.found[i]->nr - 1]->id);
	strbuf_release(&prefix);
	list_remove(list_for(w, r->scope, r->type, 0), r);
	list_remove(list_for(w, NULL, r->type, 0), r);
	role_index_remove(w, r);
	idmap_remove(&w->resources, r->id);
	w->version++;
	if (is_policy_type(r->type))
		w->policy_version++;
	touch_subscription(w, r->id);
	free_resource(r);
	return WORLD_OK;
}

const struct world_list *world_resource_list(const struct world *w, const char *scope,
					     const char *type)
{
	static const struct world_list empty;
	struct world_list *l = list_for((struct world *)w, scope, type, 0);
	return l ? l : &empty;
}

const struct world_list *world_role_assignments_of(const struct world *w, const char *principal_id)
{
	static const struct world_list empty;
	struct world_list *l = principal_id ? idmap_get(&w->role_principals, principal_id) : NULL;
	return l ? l : &empty;
}
