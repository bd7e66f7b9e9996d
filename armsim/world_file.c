/*
 * world_file — the world's file format (docs/armsim.md): world_load_json checks a document
 * entry by entry (every error names its place, "subscriptions[3].managementGroup: ..."),
 * world_doc_add_builtins adds a folder of built-in definitions, world_to_json writes the world
 * back in the same format.
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
/* ---- loading ---------------------------------------------------------------------------- */

struct loader {
	struct world *w;
	struct strbuf *err;
	struct strbuf where; /* "subscriptions[3].resourceGroups[0]" */
};

static int bad(struct loader *ld, const char *field, const char *what)
{
	strbuf_addf(ld->err, "%s%s%s: %s", ld->where.buf, ld->where.len ? "." : "", field, what);
	return -1;
}

/* Reads an optional string member; -1 with err when present but not a string. */
static int get_str(struct loader *ld, const json_t *obj, const char *key, const char **out,
		   int required)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v) {
		if (required)
			return bad(ld, key, "missing");
		return 0;
	}
	if (!json_is_string(v))
		return bad(ld, key, "expected a string");
	*out = json_string_value(v);
	if (required && !**out)
		return bad(ld, key, "must not be empty");
	return 0;
}

static int get_num(struct loader *ld, const json_t *obj, const char *key, double *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0)
		return bad(ld, key, "expected a non-negative number");
	*out = json_number_value(v);
	return 0;
}

static int load_bucket(struct loader *ld, const json_t *throttle, const char *key, double *burst,
		       double *refill)
{
	json_t *b = json_object_get(throttle, key);
	if (!b)
		return 0;
	if (!json_is_object(b))
		return bad(ld, key, "expected an object {burst, refillPerSecond}");
	if (get_num(ld, b, "burst", burst) || get_num(ld, b, "refillPerSecond", refill))
		return -1;
	return 0;
}

static int load_knobs(struct loader *ld, const json_t *knobs)
{
	struct world_knobs *k = &ld->w->knobs;
	double d;
	json_t *throttle, *v;
	if (!knobs)
		return 0;
	strbuf_reset(&ld->where);
	strbuf_addstr(&ld->where, "knobs");
	if (!json_is_object(knobs))
		return bad(ld, "", "expected an object");
#define MS_KNOB(name, field) \
	d = (double)k->field; \
	if (get_num(ld, knobs, name, &d)) \
		return -1; \
	k->field = (int64_t)d;
	MS_KNOB("principalReplicationDelayMs", replication_delay_ms)
	MS_KNOB("scanDurationMs", scan_duration_ms)
	MS_KNOB("deploymentDurationMs", deployment_duration_ms)
	MS_KNOB("evaluationDelayMs", evaluation_delay_ms)
	MS_KNOB("providerRegistrationDelayMs", provider_registration_ms)
	MS_KNOB("resourceGraphLagMs", graph_lag_ms)
	MS_KNOB("resourceGraphQuotaWindowMs", graph_quota_window_ms)
#undef MS_KNOB
	d = k->graph_quota;
	if (get_num(ld, knobs, "resourceGraphQuota", &d))
		return -1;
	if (d < 1 || d > 1e9)
		return bad(ld, "resourceGraphQuota", "expected 1 to 1000000000");
	k->graph_quota = (int)d;
	if (k->graph_quota_window_ms < 1)
		return bad(ld, "resourceGraphQuotaWindowMs", "expected a positive number");
	if (get_num(ld, knobs, "deploymentFailureProbability", &k->deployment_failure_probability))
		return -1;
	if (k->deployment_failure_probability > 1)
		return bad(ld, "deploymentFailureProbability", "expected a number from 0 to 1");
	d = k->page_size;
	if (get_num(ld, knobs, "pageSize", &d))
		return -1;
	if (d < 1 || d > 100000)
		return bad(ld, "pageSize", "expected 1 to 100000");
	k->page_size = (int)d;
	d = k->token_lifetime_s;
	if (get_num(ld, knobs, "tokenLifetimeSeconds", &d))
		return -1;
	k->token_lifetime_s = (int)d;
	d = k->max_remediations;
	if (get_num(ld, knobs, "maxConcurrentRemediations", &d))
		return -1;
	k->max_remediations = (int)d;
	v = json_object_get(knobs, "principalTypeSkipsReplication");
	if (v && !json_is_boolean(v))
		return bad(ld, "principalTypeSkipsReplication", "expected true or false");
	if (v)
		k->principal_type_skips_wait = json_is_true(v);
	throttle = json_object_get(knobs, "throttle");
	if (throttle) {
		strbuf_addstr(&ld->where, ".throttle");
		if (!json_is_object(throttle))
			return bad(ld, "", "expected an object");
		if (load_bucket(ld, throttle, "subscriptionReads", &k->read_burst, &k->read_refill) ||
		    load_bucket(ld, throttle, "subscriptionWrites", &k->write_burst, &k->write_refill) ||
		    load_bucket(ld, throttle, "subscriptionDeletes", &k->delete_burst, &k->delete_refill) ||
		    load_bucket(ld, throttle, "tenantReads", &k->tenant_read_burst, &k->tenant_read_refill) ||
		    load_bucket(ld, throttle, "tenantWrites", &k->tenant_write_burst, &k->tenant_write_refill) ||
		    load_bucket(ld, throttle, "tenantDeletes", &k->tenant_delete_burst, &k->tenant_delete_refill))
			return -1;
	}
	return 0;
}

static struct world_mg *add_mg(struct world *w, const char *name, const char *display,
			       const char *parent)
{
	struct world_mg *mg = xcalloc(1, sizeof(*mg));
	mg->name = xstrdup(name);
	mg->display_name = xstrdup(display);
	mg->parent = parent ? xstrdup(parent) : NULL;
	ALLOC_GROW(w->mgs, w->nr_mgs + 1, w->alloc_mgs);
	w->mgs[w->nr_mgs++] = mg;
	idmap_put(&w->mg_by_name, name, mg);
	return mg;
}

static int load_mgs(struct loader *ld, const json_t *mgs)
{
	size_t i;
	json_t *m;
	const char *name, *display, *parent;
	if (!mgs)
		return 0;
	if (!json_is_array(mgs))
		return bad(ld, "managementGroups", "expected an array");
	json_array_foreach(mgs, i, m) {
		strbuf_reset(&ld->where);
		strbuf_addf(&ld->where, "managementGroups[%zu]", i);
		if (!json_is_object(m))
			return bad(ld, "", "expected an object");
		if (get_str(ld, m, "name", &name, 1) || get_str(ld, m, "displayName", &display, 0) ||
		    get_str(ld, m, "parent", &parent, 0))
			return -1;
		if (world_mg_get(ld->w, name))
			return bad(ld, "name", "duplicate management group");
		add_mg(ld->w, name, display ? display : name, parent ? parent : ld->w->tenant_id);
	}
	/* parents may come after their children in the file: check once all are known */
	for (i = 1; i < ld->w->nr_mgs; i++) {
		strbuf_reset(&ld->where);
		strbuf_addf(&ld->where, "managementGroups[%zu]", i - 1);
		if (!world_mg_get(ld->w, ld->w->mgs[i]->parent))
			return bad(ld, "parent", "no such management group");
	}
	for (i = 1; i < ld->w->nr_mgs; i++) {
		const char *chain[65];
		struct strbuf id = STRBUF_INIT;
		size_t n;
		strbuf_addf(&id, WORLD_MG_PREFIX "%s", ld->w->mgs[i]->name);
		n = world_mg_chain(ld->w, id.buf, chain, ARRAY_SIZE(chain));
		strbuf_release(&id);
		strbuf_reset(&ld->where);
		strbuf_addf(&ld->where, "managementGroups[%zu]", i - 1);
		if (n == ARRAY_SIZE(chain) || strcmp(chain[n - 1], ld->w->tenant_id))
			return bad(ld, "parent", "the tree has a cycle or is deeper than 64 levels");
	}
	return 0;
}

static json_t *string_or_empty(const char *s)
{
	return json_string(s ? s : "");
}

/* Site or slot body in ARM shape from a world-file entry. */
static int load_site(struct loader *ld, const json_t *e, const char *scope, const char *sub,
		     const char *rg, const char *site_name, const char *rg_location)
{
	const char *name, *kind, *location;
	json_t *props = json_object_get(e, "properties"), *tags = json_object_get(e, "tags");
	json_t *locked = json_object_get(e, "locked"), *body;
	json_t *ext = json_object_get(e, "extendedLocation"), *identity = json_object_get(e, "identity");
	json_t *settings = json_object_get(e, "appSettings");
	struct strbuf id = STRBUF_INIT, full_name = STRBUF_INIT;
	struct world_resource *r;
	int created;
	if (!json_is_object(e))
		return bad(ld, "", "expected an object");
	if (get_str(ld, e, "name", &name, 1) || get_str(ld, e, "kind", &kind, 0) ||
	    get_str(ld, e, "location", &location, 0))
		return -1;
	if (props && !json_is_object(props))
		return bad(ld, "properties", "expected an object");
	if (tags && !json_is_object(tags))
		return bad(ld, "tags", "expected an object");
	if (locked && !json_is_boolean(locked))
		return bad(ld, "locked", "expected true or false");
	if (ext && (!json_is_object(ext) || !json_is_string(json_object_get(ext, "name")) ||
		    !json_is_string(json_object_get(ext, "type"))))
		return bad(ld, "extendedLocation", "expected {\"name\": \"<custom location id>\", "
			   "\"type\": \"CustomLocation\"}");
	if (identity && !json_is_object(identity))
		return bad(ld, "identity", "expected an object");
	if (settings && !json_is_object(settings))
		return bad(ld, "appSettings", "expected an object of name: value");
	if (site_name) {
		strbuf_addf(&id, "%s/slots/%s", scope, name);
		strbuf_addf(&full_name, "%s/%s", site_name, name);
	} else {
		strbuf_addf(&id, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Web/sites/%s",
			    sub, rg, name);
		strbuf_addstr(&full_name, name);
	}
	body = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", id.buf, "name", full_name.buf,
			 "type", site_name ? WT_SLOT : WT_SITE, "kind", kind ? kind : "app",
			 "location", string_or_empty(location ? location : rg_location));
	/* only what the site has: a site without tags shows none (App Service adds no {}) */
	if (tags)
		json_object_set(body, "tags", tags);
	if (identity)
		json_object_set(body, "identity", identity);
	if (ext)
		json_object_set(body, "extendedLocation", ext);
	if (settings)
		json_object_set(body, "appSettings", settings);
	json_object_set(body, "properties", props ? props : json_object());
	if (!props)
		json_decref(json_object_get(body, "properties"));
	if (world_resource_get(ld->w, id.buf)) {
		json_decref(body);
		strbuf_release(&id);
		strbuf_release(&full_name);
		return bad(ld, "name", "duplicate site");
	}
	r = world_resource_put(ld->w, id.buf, site_name ? WT_SLOT : WT_SITE, scope, body, &created);
	r->locked = json_is_true(locked);
	strbuf_release(&full_name);
	if (!site_name) {
		json_t *slots = json_object_get(e, "slots"), *s;
		size_t i, mark = ld->where.len;
		if (slots && !json_is_array(slots)) {
			strbuf_release(&id);
			return bad(ld, "slots", "expected an array");
		}
		json_array_foreach(slots, i, s) {
			strbuf_setlen(&ld->where, mark);
			strbuf_addf(&ld->where, ".slots[%zu]", i);
			if (load_site(ld, s, r->id, sub, rg, name, location ? location : rg_location)) {
				strbuf_release(&id);
				return -1;
			}
		}
		strbuf_setlen(&ld->where, mark);
	}
	strbuf_release(&id);
	return 0;
}

static int load_rg(struct loader *ld, const json_t *e, const char *sub)
{
	const char *name, *location;
	json_t *sites = json_object_get(e, "sites"), *tags = json_object_get(e, "tags"), *s;
	struct strbuf id = STRBUF_INIT, scope = STRBUF_INIT;
	size_t i, mark;
	int ret = -1;
	if (!json_is_object(e))
		return bad(ld, "", "expected an object");
	if (get_str(ld, e, "name", &name, 1) || get_str(ld, e, "location", &location, 1))
		return -1;
	if (sites && !json_is_array(sites))
		return bad(ld, "sites", "expected an array");
	strbuf_addf(&scope, "/subscriptions/%s", sub);
	strbuf_addf(&id, "%s/resourceGroups/%s", scope.buf, name);
	if (world_resource_get(ld->w, id.buf)) {
		bad(ld, "name", "duplicate resource group");
		goto out;
	}
	world_resource_put(ld->w, id.buf, WT_RESOURCE_GROUP, scope.buf,
			   json_pack("{s:s, s:s, s:s, s:s, s:O, s:{s:s}}", "id", id.buf, "name", name,
				     "type", WT_RESOURCE_GROUP, "location", location, "tags",
				     json_is_object(tags) ? tags : json_object(),
				     "properties", "provisioningState", "Succeeded"),
			   NULL);
	if (!json_is_object(tags))
		json_decref(json_object_get(world_resource_get(ld->w, id.buf)->body, "tags"));
	mark = ld->where.len;
	json_array_foreach(sites, i, s) {
		strbuf_setlen(&ld->where, mark);
		strbuf_addf(&ld->where, ".sites[%zu]", i);
		if (load_site(ld, s, id.buf, sub, name, NULL, location))
			goto out;
	}
	ret = 0;
out:
	strbuf_release(&id);
	strbuf_release(&scope);
	return ret;
}

static int load_subs(struct loader *ld, const json_t *subs)
{
	size_t i, j;
	json_t *e, *rgs, *rg;
	const char *id, *display, *mg, *state;
	if (!subs)
		return 0;
	if (!json_is_array(subs))
		return bad(ld, "subscriptions", "expected an array");
	json_array_foreach(subs, i, e) {
		struct world_subscription *s;
		strbuf_reset(&ld->where);
		strbuf_addf(&ld->where, "subscriptions[%zu]", i);
		if (!json_is_object(e))
			return bad(ld, "", "expected an object");
		if (get_str(ld, e, "subscriptionId", &id, 1) ||
		    get_str(ld, e, "displayName", &display, 0) ||
		    get_str(ld, e, "managementGroup", &mg, 0) || get_str(ld, e, "state", &state, 0))
			return -1;
		if (world_subscription_get(ld->w, id))
			return bad(ld, "subscriptionId", "duplicate subscription");
		if (mg && !world_mg_get(ld->w, mg))
			return bad(ld, "managementGroup", "no such management group");
		s = xcalloc(1, sizeof(*s));
		s->id = xstrdup(id);
		s->display_name = xstrdup(display ? display : id);
		s->mg = xstrdup(mg ? mg : ld->w->tenant_id);
		s->state = xstrdup(state ? state : "Enabled");
		ALLOC_GROW(ld->w->subs, ld->w->nr_subs + 1, ld->w->alloc_subs);
		ld->w->subs[ld->w->nr_subs++] = s;
		idmap_put(&ld->w->sub_by_id, s->id, s);
		rgs = json_object_get(e, "resourceGroups");
		if (rgs && !json_is_array(rgs))
			return bad(ld, "resourceGroups", "expected an array");
		json_array_foreach(rgs, j, rg) {
			strbuf_reset(&ld->where);
			strbuf_addf(&ld->where, "subscriptions[%zu].resourceGroups[%zu]", i, j);
			if (load_rg(ld, rg, s->id))
				return -1;
		}
	}
	return 0;
}

/* Adds a role assignment resource for a principal (used by the world file's shorthand). */
static int add_role_assignment(struct loader *ld, const struct world_principal *p,
			       const char *role_key, const char *scope)
{
	const struct role_definition *role = role_find(role_key);
	struct strbuf id = STRBUF_INIT, role_id = STRBUF_INIT;
	const char *base = strcmp(scope, "/") ? scope : "";
	char guid[37];
	char when[40];
	if (!role)
		return bad(ld, "role", "no such built-in role");
	world_new_guid(ld->w, guid);
	strbuf_addf(&id, "%s/providers/Microsoft.Authorization/roleAssignments/%s", base, guid);
	strbuf_addf(&role_id, "%s/providers/Microsoft.Authorization/roleDefinitions/%s", base,
		    role->guid);
	simclock_format_iso(simclock_now_ms(), when);
	world_resource_put(ld->w, id.buf, WT_ROLE_ASSIGNMENT, scope,
			   json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:s, s:s, s:s}",
				     "properties", "roleDefinitionId", role_id.buf, "principalId",
				     p->object_id, "principalType", p->type, "scope", scope,
				     "createdOn", when, "updatedOn", when, "id", id.buf, "type",
				     WT_ROLE_ASSIGNMENT, "name", guid),
			   NULL);
	strbuf_release(&id);
	strbuf_release(&role_id);
	return 0;
}

static int load_principals(struct loader *ld, const json_t *list)
{
	size_t i, j;
	json_t *e, *ras, *ra, *fed, *managed;
	if (!list)
		return 0;
	if (!json_is_array(list))
		return bad(ld, "principals", "expected an array");
	json_array_foreach(list, i, e) {
		const char *oid, *cid, *name, *secret, *cert, *role, *scope;
		struct world_principal *p;
		strbuf_reset(&ld->where);
		strbuf_addf(&ld->where, "principals[%zu]", i);
		if (!json_is_object(e))
			return bad(ld, "", "expected an object");
		if (get_str(ld, e, "objectId", &oid, 1) || get_str(ld, e, "clientId", &cid, 1) ||
		    get_str(ld, e, "displayName", &name, 0) ||
		    get_str(ld, e, "clientSecret", &secret, 0) ||
		    get_str(ld, e, "certificate", &cert, 0))
			return -1;
		if (world_principal_by_object_id(ld->w, oid) || world_principal_by_client_id(ld->w, cid))
			return bad(ld, "objectId", "duplicate principal");
		fed = json_object_get(e, "federatedCredentials");
		if (fed && !json_is_array(fed))
			return bad(ld, "federatedCredentials", "expected an array");
		managed = json_object_get(e, "managed");
		p = xcalloc(1, sizeof(*p));
		p->object_id = xstrdup(oid);
		p->client_id = xstrdup(cid);
		p->display_name = xstrdup(name ? name : cid);
		p->secret = secret ? xstrdup(secret) : NULL;
		p->certificate = cert ? xstrdup(cert) : NULL;
		p->federated = fed ? json_deep_copy(fed) : NULL;
		p->type = xstrdup("ServicePrincipal");
		p->managed = json_is_true(managed);
		/* principals in a world file exist already: replicated since long ago */
		p->created_ms = 0;
		world_principal_add(ld->w, p);
		ras = json_object_get(e, "roleAssignments");
		if (ras && !json_is_array(ras))
			return bad(ld, "roleAssignments", "expected an array");
		json_array_foreach(ras, j, ra) {
			strbuf_reset(&ld->where);
			strbuf_addf(&ld->where, "principals[%zu].roleAssignments[%zu]", i, j);
			if (!json_is_object(ra))
				return bad(ld, "", "expected an object {role, scope}");
			if (get_str(ld, ra, "role", &role, 1) || get_str(ld, ra, "scope", &scope, 1))
				return -1;
			if (add_role_assignment(ld, p, role, scope))
				return -1;
		}
	}
	return 0;
}

/* The container of an ARM id: the scope of an extension resource, the parent otherwise. */
static void id_container(const char *id, const char *type, struct strbuf *out)
{
	const char *p = NULL, *q;
	strbuf_reset(out);
	if (!strcasecmp(type, WT_SLOT)) {
		q = strrchr(id, '/');
		if (q && q - id > 6) { /* strip "/slots/NAME" */
			const char *r = q;
			while (r > id && r[-1] != '/')
				r--;
			strbuf_add(out, id, (size_t)(r - 1 - id));
			return;
		}
	}
	/* the last "/providers/" starts the resource's own type */
	for (q = id; (q = strstr(q, "/providers/")); q++)
		p = q;
	if (!strcasecmp(type, WT_RESOURCE_GROUP)) {
		q = strstr(id, "/resourceGroups/");
		if (!q)
			q = strstr(id, "/resourcegroups/");
		p = q;
	}
	if (p && p > id)
		strbuf_add(out, id, (size_t)(p - id));
	else
		strbuf_addstr(out, "/");
}

static int load_resources(struct loader *ld, const json_t *list)
{
	size_t i;
	json_t *e;
	struct strbuf scope = STRBUF_INIT;
	const char *id, *type;
	if (!list)
		return 0;
	if (!json_is_array(list))
		return bad(ld, "resources", "expected an array");
	json_array_foreach(list, i, e) {
		strbuf_reset(&ld->where);
		strbuf_addf(&ld->where, "resources[%zu]", i);
		if (!json_is_object(e) || get_str(ld, e, "id", &id, 1) ||
		    get_str(ld, e, "type", &type, 1)) {
			if (!json_is_object(e))
				bad(ld, "", "expected an object");
			strbuf_release(&scope);
			return -1;
		}
		if (id[0] != '/') {
			strbuf_release(&scope);
			return bad(ld, "id", "expected an ARM id starting with '/'");
		}
		id_container(id, type, &scope);
		world_resource_put(ld->w, id, type, scope.buf, json_deep_copy(e), NULL);
	}
	strbuf_release(&scope);
	return 0;
}

enum world_result world_load_json(struct world *w, const json_t *doc, struct strbuf *err)
{
	struct loader ld = { w, err, STRBUF_INIT };
	const char *tenant, *root_name;
	json_t *seed, *mi;
	int ret = -1;
	if (!json_is_object(doc)) {
		bad(&ld, "(top level)", "expected an object");
		goto out;
	}
	if (get_str(&ld, doc, "tenantId", &tenant, 1) ||
	    get_str(&ld, doc, "rootDisplayName", &root_name, 0))
		goto out;
	w->tenant_id = xstrdup(tenant);
	seed = json_object_get(doc, "seed");
	if (seed && !json_is_integer(seed)) {
		bad(&ld, "seed", "expected an integer");
		goto out;
	}
	world_seed(w, seed ? (uint64_t)json_integer_value(seed) : 0);
	add_mg(w, tenant, root_name ? root_name : "Tenant Root Group", NULL);
	mi = json_object_get(doc, "managedIdentity");
	if (mi && !json_is_object(mi)) {
		bad(&ld, "managedIdentity", "expected an object {identityHeader, clientId}");
		goto out;
	}
	w->managed_identity = mi ? json_deep_copy(mi) : NULL;
	if (load_knobs(&ld, json_object_get(doc, "knobs")))
		goto out;
	strbuf_reset(&ld.where);
	if (load_mgs(&ld, json_object_get(doc, "managementGroups")))
		goto out;
	strbuf_reset(&ld.where);
	if (load_subs(&ld, json_object_get(doc, "subscriptions")))
		goto out;
	strbuf_reset(&ld.where);
	if (load_principals(&ld, json_object_get(doc, "principals")))
		goto out;
	strbuf_reset(&ld.where);
	if (load_resources(&ld, json_object_get(doc, "resources")))
		goto out;
	ret = 0;
out:
	strbuf_release(&ld.where);
	return ret ? WORLD_INVALID : WORLD_OK;
}

enum world_result world_load_file(struct world *w, const char *path, struct strbuf *err)
{
	json_t *doc = jsonutil_load_file(path, err);
	enum world_result res;
	if (!doc)
		return WORLD_INVALID;
	res = world_load_json(w, doc, err);
	if (res) {
		struct strbuf msg = STRBUF_INIT;
		strbuf_addf(&msg, "%s: %s", path, err->buf);
		strbuf_reset(err);
		strbuf_addstr(err, msg.buf);
		strbuf_release(&msg);
	}
	json_decref(doc);
	return res;
}

static int arm_id_is_set(const char *id)
{
	const char *p;
	for (p = id; *p; p++)
		if (!strncasecmp(p, "/policySetDefinitions/", 22))
			return 1;
	return 0;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int world_doc_add_builtins(json_t *doc, const char *dir, struct strbuf *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t nr = 0, alloc = 0, i;
	json_t *resources;
	int ret = -1;
	if (!d) {
		strbuf_addf(err, "cannot read '%s': %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 5 && !strcmp(e->d_name + n - 5, ".json")) {
			ALLOC_GROW(names, nr + 1, alloc);
			names[nr++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	qsort(names, nr, sizeof(*names), cmp_cstr);
	resources = json_object_get(doc, "resources");
	if (!resources) {
		resources = json_array();
		json_object_set_new(doc, "resources", resources);
	}
	for (i = 0; i < nr; i++) {
		struct strbuf path = STRBUF_INIT;
		json_t *def;
		const char *id;
		strbuf_addf(&path, "%s/%s", dir, names[i]);
		def = jsonutil_load_file(path.buf, err);
		id = json_string_value(json_object_get(def, "id"));
		if (def && (!id || strncasecmp(id, "/providers/Microsoft.Authorization/policy", 41) ||
			    !json_is_object(json_object_get(def, "properties")))) {
			strbuf_addf(err, "%s: expected a built-in policy definition with an id "
				    "'/providers/Microsoft.Authorization/policy...' and properties", path.buf);
			json_decref(def);
			def = NULL;
		}
		strbuf_release(&path);
		if (!def)
			goto out;
		if (!json_object_get(def, "type"))
			json_object_set_new(def, "type", json_string(arm_id_is_set(id) ? WT_POLICY_SET
										: WT_POLICY_DEFINITION));
		json_array_append_new(resources, def);
	}
	ret = 0;
out:
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	return ret;
}

/* ---- dumping ---------------------------------------------------------------------------- */

static json_t *site_entry(const struct world *w, const struct world_resource *r, int slot)
{
	const char *name = json_string_value(json_object_get(r->body, "name"));
	const char *slash = name ? strrchr(name, '/') : NULL;
	static const char *const keys[] = { "kind", "location", "tags", "identity",
					    "extendedLocation", "appSettings" };
	json_t *e = json_pack("{s:s}", "name", slash ? slash + 1 : (name ? name : ""));
	size_t k;
	/* what the site has, in the file's order; absent members stay absent */
	for (k = 0; k < sizeof(keys) / sizeof(*keys); k++)
		if (json_object_get(r->body, keys[k]))
			json_object_set(e, keys[k], json_object_get(r->body, keys[k]));
	json_object_set_new(e, "locked", json_boolean(r->locked));
	if (json_object_get(r->body, "properties"))
		json_object_set(e, "properties", json_object_get(r->body, "properties"));
	if (!slot) {
		const struct world_list *slots = world_resource_list(w, r->id, WT_SLOT);
		size_t i;
		if (slots->nr) {
			json_t *arr = json_array();
			for (i = 0; i < slots->nr; i++)
				json_array_append_new(arr, site_entry(w, slots->items[i], 1));
			json_object_set_new(e, "slots", arr);
		}
	}
	return e;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct type_keys {
	const char **keys;
	size_t nr, alloc;
};

static void collect_type_keys(const char *key, void *value, void *arg)
{
	struct type_keys *tk = arg;
	(void)value;
	if (key[0] != '|')
		return;
	ALLOC_GROW(tk->keys, tk->nr + 1, tk->alloc);
	tk->keys[tk->nr++] = key;
}

json_t *world_to_json(const struct world *w)
{
	json_t *doc = json_object(), *mgs = json_array(), *subs = json_array();
	json_t *principals = json_array(), *resources = json_array(), *knobs;
	const struct world_knobs *k = &w->knobs;
	struct type_keys tk = { NULL, 0, 0 };
	size_t i, j, s;
	json_object_set_new(doc, "tenantId", json_string(w->tenant_id));
	if (w->nr_mgs)
		json_object_set_new(doc, "rootDisplayName", json_string(w->mgs[0]->display_name));
	knobs = json_pack("{s:I, s:b, s:I, s:I, s:I, s:f, s:i, s:i, s:i}",
			  "principalReplicationDelayMs", (json_int_t)k->replication_delay_ms,
			  "principalTypeSkipsReplication", k->principal_type_skips_wait,
			  "scanDurationMs", (json_int_t)k->scan_duration_ms,
			  "deploymentDurationMs", (json_int_t)k->deployment_duration_ms,
			  "evaluationDelayMs", (json_int_t)k->evaluation_delay_ms,
			  "deploymentFailureProbability", k->deployment_failure_probability,
			  "pageSize", k->page_size, "tokenLifetimeSeconds", k->token_lifetime_s,
			  "maxConcurrentRemediations", k->max_remediations);
	json_object_set_new(knobs, "throttle", json_pack(
		"{s:{s:f,s:f}, s:{s:f,s:f}, s:{s:f,s:f}, s:{s:f,s:f}, s:{s:f,s:f}, s:{s:f,s:f}}",
		"subscriptionReads", "burst", k->read_burst, "refillPerSecond", k->read_refill,
		"subscriptionWrites", "burst", k->write_burst, "refillPerSecond", k->write_refill,
		"subscriptionDeletes", "burst", k->delete_burst, "refillPerSecond", k->delete_refill,
		"tenantReads", "burst", k->tenant_read_burst, "refillPerSecond", k->tenant_read_refill,
		"tenantWrites", "burst", k->tenant_write_burst, "refillPerSecond", k->tenant_write_refill,
		"tenantDeletes", "burst", k->tenant_delete_burst, "refillPerSecond", k->tenant_delete_refill));
	json_object_set_new(knobs, "providerRegistrationDelayMs",
			    json_integer((json_int_t)k->provider_registration_ms));
	json_object_set_new(knobs, "resourceGraphLagMs", json_integer(k->graph_lag_ms));
	json_object_set_new(knobs, "resourceGraphQuota", json_integer(k->graph_quota));
	json_object_set_new(knobs, "resourceGraphQuotaWindowMs", json_integer(k->graph_quota_window_ms));
	json_object_set_new(doc, "knobs", knobs);
	if (w->managed_identity)
		json_object_set(doc, "managedIdentity", w->managed_identity);
	for (i = 1; i < w->nr_mgs; i++)
		json_array_append_new(mgs, json_pack("{s:s, s:s, s:s}", "name", w->mgs[i]->name,
						     "displayName", w->mgs[i]->display_name,
						     "parent", w->mgs[i]->parent));
	json_object_set_new(doc, "managementGroups", mgs);
	for (s = 0; s < w->nr_subs; s++) {
		const struct world_subscription *sub = w->subs[s];
		struct strbuf scope = STRBUF_INIT;
		const struct world_list *rgs;
		json_t *rg_arr = json_array();
		strbuf_addf(&scope, "/subscriptions/%s", sub->id);
		rgs = world_resource_list(w, scope.buf, WT_RESOURCE_GROUP);
		for (i = 0; i < rgs->nr; i++) {
			const struct world_resource *rg = rgs->items[i];
			const struct world_list *sites = world_resource_list(w, rg->id, WT_SITE);
			json_t *site_arr = json_array();
			for (j = 0; j < sites->nr; j++)
				json_array_append_new(site_arr, site_entry(w, sites->items[j], 0));
			json_array_append_new(rg_arr, json_pack("{s:O, s:O, s:O, s:o}",
				"name", json_object_get(rg->body, "name"),
				"location", json_object_get(rg->body, "location"),
				"tags", json_object_get(rg->body, "tags"), "sites", site_arr));
		}
		json_array_append_new(subs, json_pack("{s:s, s:s, s:s, s:s, s:o}",
			"subscriptionId", sub->id, "displayName", sub->display_name,
			"managementGroup", sub->mg, "state", sub->state, "resourceGroups", rg_arr));
		strbuf_release(&scope);
	}
	json_object_set_new(doc, "subscriptions", subs);
	for (i = 0; i < w->nr_principals; i++) {
		const struct world_principal *p = w->principals[i];
		json_t *e = json_pack("{s:s, s:s, s:s, s:b}", "objectId", p->object_id, "clientId",
				      p->client_id, "displayName", p->display_name, "managed",
				      p->managed);
		if (p->secret)
			json_object_set_new(e, "clientSecret", json_string(p->secret));
		if (p->certificate)
			json_object_set_new(e, "certificate", json_string(p->certificate));
		if (p->federated)
			json_object_set(e, "federatedCredentials", p->federated);
		json_array_append_new(principals, e);
	}
	json_object_set_new(doc, "principals", principals);
	/* everything but the containers above, type by type in a stable order */
	idmap_for_each(&w->lists, collect_type_keys, &tk);
	qsort(tk.keys, tk.nr, sizeof(*tk.keys), cmp_str);
	for (i = 0; i < tk.nr; i++) {
		const struct world_list *l = idmap_get(&w->lists, tk.keys[i]);
		const char *type = tk.keys[i] + 1;
		if (!strcasecmp(type, WT_RESOURCE_GROUP) || !strcasecmp(type, WT_SITE) ||
		    !strcasecmp(type, WT_SLOT))
			continue;
		for (j = 0; j < l->nr; j++)
			json_array_append(resources, l->items[j]->body);
	}
	free(tk.keys);
	json_object_set_new(doc, "resources", resources);
	return doc;
}
