/*
 * compliance — evaluation passes, change sweeps, compliance scans and Deny (see compliance.h).
 *
 * Records are kept per resource (the last evaluation of every assignment member on it) and
 * indexed per subscription, because every query and every scan is scoped: a management group
 * is a set of subscriptions, a resource group a prefix of resource ids.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "armsim/arm.h"
#include "armsim/compliance.h"
#include "lib/idmap.h"
#include "armsim/ops_resources.h"
#include "armsim/policy_engine.h"
#include "armsim/simclock.h"
#include "armsim/world.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static const char *last_part(const char *id)
{
	const char *slash = id ? strrchr(id, '/') : NULL;
	return slash ? slash + 1 : id ? id : "";
}

/* ---------- evaluation passes ---------- */

/*
 * The assignments that can reach resources of subscription sub (resolved), as
 * applicable_assignments hands them out: borrowed from the engine's caches.
 */
struct assignment_set {
	const struct engine_assignment *const *items;
	size_t nr;
	const struct world_list *exemptions; /* every exemption of the world (borrowed) */
};

/*
 * One subscription's applicable assignments, resolved (engine_assignment_cached), kept as
 * long as those are: every Deny check of a remediation deployment, every scan and every change
 * sweep of the subscription reuses the list instead of walking every assignment of the tenant.
 * The assignments that could not be resolved are kept as a count and the last reason, so each
 * use still counts them as skipped, as when every use resolved them.
 */
struct cached_set {
	const struct engine_assignment **items; /* borrowed from the engine's resolved map */
	size_t nr, alloc;
	uint64_t skipped;       /* assignments that could not be resolved */
	char *skip_reason;      /* why the last of them could not (owned), or NULL */
};

/* A tenant wider than this many subscriptions starts its cache over (memory stays bounded). */
#define APPLICABLE_CACHE_MAX 8192

static void cached_set_free(const char *key, void *value, void *arg)
{
	struct cached_set *c = value;
	(void)key;
	(void)arg;
	free(c->items);
	free(c->skip_reason);
	free(c);
}

void compliance_cache_clear(struct policy_engine *e)
{
	idmap_for_each(&e->applicable, cached_set_free, NULL);
	idmap_clear(&e->applicable);
}

/* The set borrows from the caches: nothing to free, but callers say when they are done. */
static void assignment_set_release(struct assignment_set *set)
{
	memset(set, 0, sizeof(*set));
}

static struct cached_set *resolve_applicable(struct policy_engine *e, struct world *w,
					     const char *sub_scope)
{
	const struct world_list *l = world_resource_list(w, NULL, WT_POLICY_ASSIGNMENT);
	struct cached_set *set = xcalloc(1, sizeof(*set));
	size_t i;

	for (i = 0; i < l->nr; i++) {
		const json_t *props;
		const char *scope, *container = l->items[i]->scope;
		const struct engine_assignment *a;
		struct strbuf err = STRBUF_INIT;
		/* an assignment in another subscription cannot apply: skipped on its container
		 * alone, so a tenant with thousands of subscription-level assignments costs a
		 * string compare each here, not a JSON lookup and a scope walk */
		if (container && !strncasecmp(container, "/subscriptions/", 15) &&
		    !world_scope_contains(w, container, sub_scope) &&
		    !world_scope_contains(w, sub_scope, container))
			continue;
		props = json_object_get(l->items[i]->body, "properties");
		scope = json_string_value(json_object_get(props, "scope"));
		if (!scope)
			scope = l->items[i]->scope;
		if (!world_scope_contains(w, scope, sub_scope) &&
		    !world_scope_contains(w, sub_scope, scope))
			continue;
		a = engine_assignment_cached(e, w, l->items[i], &err);
		if (!a) {
			/*
			 * an assignment whose definition vanished evaluates nothing, as in Azure;
			 * /_armsim/policy says so instead of staying silent
			 */
			set->skipped++;
			free(set->skip_reason);
			set->skip_reason = xstrdup(err.buf);
		} else {
			ALLOC_GROW(set->items, set->nr + 1, set->alloc);
			set->items[set->nr++] = a;
		}
		strbuf_release(&err);
	}
	return set;
}

/* Fills set with the assignments that can reach sub_scope's resources. Engine locked. */
static void applicable_assignments(struct policy_engine *e, struct world *w, const char *sub_scope,
				   struct assignment_set *set)
{
	struct cached_set *c;

	engine_cache_sync(e, w);
	c = idmap_get(&e->applicable, sub_scope);
	if (!c) {
		if (e->applicable.nr >= APPLICABLE_CACHE_MAX)
			compliance_cache_clear(e);
		c = resolve_applicable(e, w, sub_scope);
		idmap_put(&e->applicable, sub_scope, c);
	}
	if (c->skipped) {
		e->assignments_skipped += c->skipped;
		free(e->last_skip_reason);
		e->last_skip_reason = xstrdup(c->skip_reason);
	}
	set->items = c->items;
	set->nr = c->nr;
	set->exemptions = world_resource_list(w, NULL, WT_POLICY_EXEMPTION);
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
		const struct engine_assignment *a = set->items[i];
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
			    engine_exempt_in(w, set->exemptions, a->id, m->reference_id, r->id, now))
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
			resource_states_free(s);
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
		for (k = 0; k < sw->set.items[a]->nr_members; k++) {
			long d = policy_definition_evaluation_delay(sw->set.items[a]->members[k].def);
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
	struct sub_index **index;
	size_t nr, alloc, alloc_index;
};

static void collect_sub(const char *key, void *value, void *arg)
{
	struct sweep_subs *subs = arg;
	ALLOC_GROW(subs->ids, subs->nr + 1, subs->alloc);
	ALLOC_GROW(subs->index, subs->nr + 1, subs->alloc_index);
	subs->ids[subs->nr] = key;
	subs->index[subs->nr++] = value;
}

/*
 * Runs when the world changed since the last sweep or a pending change fell due; otherwise
 * it costs nothing, so the 20 ms tick does not keep a large world's lock busy.
 */
void compliance_sweep_changes(struct policy_engine *e, struct world *w)
{
	struct sweep_subs subs = { NULL, NULL, 0, 0, 0 };
	uint64_t version = w->version;
	int64_t now = simclock_now_ms(), next_due = 0;
	size_t i;

	if (version == e->seen_version && (!e->next_due_ms || now < e->next_due_ms))
		return;
	idmap_for_each(&e->subs, collect_sub, &subs);
	for (i = 0; i < subs.nr; i++) {
		struct sub_index *x = subs.index[i];
		const struct world_subscription *ws = world_subscription_get(w, subs.ids[i]);
		struct sweep sw;
		char sub_scope[128];
		/* only where something was written since its last sweep, or a change fell due:
		 * a write in one subscription does not cost a walk over all the others */
		if (ws && ws->version == x->seen_version && (!x->next_due_ms || now < x->next_due_ms)) {
			if (x->next_due_ms && (!next_due || x->next_due_ms < next_due))
				next_due = x->next_due_ms;
			continue;
		}
		memset(&sw, 0, sizeof(sw));
		snprintf(sub_scope, sizeof(sub_scope), "/subscriptions/%s", subs.ids[i]);
		sw.e = e;
		sw.w = w;
		sw.sub_scope = sub_scope;
		sw.now = now;
		for_each_site(w, sub_scope, NULL, sweep_one, &sw);
		if (sw.next_due && (!next_due || sw.next_due < next_due))
			next_due = sw.next_due;
		x->next_due_ms = sw.next_due;
		x->seen_version = ws ? ws->version : 0;
		assignment_set_release(&sw.set);
	}
	free(subs.ids);
	free(subs.index);
	e->seen_version = version;
	e->next_due_ms = next_due;
}
/* ---------- scans ---------- */

/* The version of the world's subscription the scan is in (0 when it is gone). */
static uint64_t scan_sub_version(const struct world *w, const struct scan *s)
{
	const struct world_subscription *ws = world_subscription_get(w, s->subscription_id);
	return ws ? ws->version : 0;
}

static void scan_evaluate(struct policy_engine *e, struct world *w, struct scan *s)
{
	engine_evaluate_scope(e, w, s->scope);
	s->evaluated = 1;
	s->seen_policy_version = w->policy_version;
	s->seen_sub_version = scan_sub_version(w, s);
}

/*
 * Ends a scan whose simulated end has passed. Its resources were evaluated during its run
 * (compliance_evaluate_scans); they are evaluated now if the tick did not get to them, or if
 * a policy or a resource of its subscription was written since, so that what a scan reports
 * is never older than a write made before it ended.
 */
static void scan_finish(struct policy_engine *e, struct world *w, struct scan *s)
{
	if (s->done || simclock_now_ms() < s->end_ms)
		return;
	if (!s->evaluated || s->seen_policy_version != w->policy_version ||
	    s->seen_sub_version != scan_sub_version(w, s))
		scan_evaluate(e, w, s);
	s->done = 1;
}

struct scan_budget {
	struct policy_engine *e;
	struct world *w;
	int64_t until_real_ms;
};

static void evaluate_running_scan(const char *key, void *value, void *arg)
{
	struct scan_budget *b = arg;
	struct scan *s = value;
	(void)key;
	if (s->done || s->evaluated || simclock_real_ms() >= b->until_real_ms)
		return;
	scan_evaluate(b->e, b->w, s);
}

void compliance_evaluate_scans(struct policy_engine *e, struct world *w, int64_t budget_ms)
{
	struct scan_budget b = { e, w, simclock_real_ms() + budget_ms };
	idmap_for_each(&e->scans, evaluate_running_scan, &b);
}

static void finish_due_scan(const char *key, void *value, void *arg)
{
	struct policy_engine *e = arg;
	(void)key;
	scan_finish(e, e->world, value);
}

void compliance_finish_scans(struct policy_engine *e, struct world *w)
{
	(void)w;
	idmap_for_each(&e->scans, finish_due_scan, e);
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

/*
 * Retry-After on a scan's 202s. The 2024-10-01 example of the API (PolicyStates_
 * TriggerSubscriptionEvaluation) answers "Retry-After: 30"; the recorded 2019-10-01 traffic
 * (az CLI, test_policy_insights_triggerscan) has none, so each api-version answers as its
 * source shows. The 30 seconds are simulated: the header carries the real seconds they take
 * at --time-scale, rounded up, at least 1.
 */
#define SCAN_RETRY_AFTER_SIM_MS 30000

static void scan_retry_after(struct armsim_request *req, struct armsim_response *resp)
{
	char value[24];
	int64_t real_ms;
	if (!req->api_version || strcmp(req->api_version, "2024-10-01") < 0)
		return;
	real_ms = simclock_real_from_sim(SCAN_RETRY_AFTER_SIM_MS);
	snprintf(value, sizeof(value), "%lld", real_ms < 1000 ? 1LL : (long long)((real_ms + 999) / 1000));
	armsim_response_header(resp, "Retry-After", value);
}

void compliance_trigger_evaluation(struct armsim_request *req, struct armsim_response *resp)
{
	const char *sub = armsim_request_param(req, "subscriptionId");
	const char *rg = armsim_request_param(req, "resourceGroupName");
	struct policy_engine *e = policy_engine_of(req->world);
	struct strbuf scope = STRBUF_INIT, location = STRBUF_INIT;
	struct scan *s;

	strbuf_addf(&scope, "/subscriptions/%s", sub);
	if (rg)
		strbuf_addf(&scope, "/resourceGroups/%s", rg);
	if (armsim_scope_exists(req, resp, scope.buf))
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
		idmap_put(&e->scans_by_token, s->token, s);
	}
	scan_finish(e, req->world, s);
	if (s->done) {
		/* no scan running: start one; a trigger during a scan joins it */
		s->done = 0;
		s->evaluated = 0;
		s->end_ms = simclock_now_ms() + req->world->knobs.scan_duration_ms;
	}
	scan_location(req, s, &location);
	policy_engine_unlock(e);
	armsim_response_json(resp, 202, NULL);
	armsim_response_header(resp, "Location", location.buf);
	scan_retry_after(req, resp);
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
	struct policy_engine *e = policy_engine_of(req->world);
	struct token_search ts = { armsim_request_param(req, "operationId"), NULL };
	struct strbuf location = STRBUF_INIT;

	policy_engine_lock(e);
	/*
	 * Tokens are case-sensitive and the map folds case: a hit is taken only when it matches
	 * exactly, and the walk over every scan remains for a token that differs in case alone.
	 * Every poll of every scan comes here: a tenant of 1,000 subscriptions polls ~18,000 times.
	 */
	ts.found = ts.token ? idmap_get(&e->scans_by_token, ts.token) : NULL;
	if (ts.found && strcmp(ts.found->token, ts.token)) {
		ts.found = NULL;
		idmap_for_each(&e->scans, find_token, &ts);
	}
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
		scan_retry_after(req, resp);
	} else {
		armsim_response_json(resp, 200, json_pack("{s:s}", "status", "Succeeded"));
	}
	policy_engine_unlock(e);
	strbuf_release(&location);
}
/* ---------- walking the records ---------- */

void compliance_walk(struct policy_engine *e, struct world *w, const char *scope,
		     compliance_states_fn *fn, void *arg)
{
	size_t i, k;
	int stop = 0;
	char *sub = segment_after_key(scope, "subscriptions");
	if (sub) {
		/* a subscription or below: its own index only, not a walk over every subscription */
		struct sub_index *x = idmap_get(&e->subs, sub);
		free(sub);
		for (k = 0; x && k < x->nr && !stop; k++)
			if (world_scope_contains(w, scope, x->items[k]->resource_id))
				stop = fn(x->items[k], arg);
		return;
	}
	for (i = 0; i < w->nr_subs && !stop; i++) {
		char sub_scope[128];
		struct sub_index *x;
		snprintf(sub_scope, sizeof(sub_scope), "/subscriptions/%s", w->subs[i]->id);
		if (!world_scope_contains(w, scope, sub_scope) &&
		    !world_scope_contains(w, sub_scope, scope))
			continue;
		x = idmap_get(&e->subs, w->subs[i]->id);
		for (k = 0; x && k < x->nr && !stop; k++)
			if (world_scope_contains(w, scope, x->items[k]->resource_id))
				stop = fn(x->items[k], arg);
	}
}

struct record_walk {
	const char *assignment_id, *reference_id;
	engine_record_fn *fn;
	void *arg;
};

static int walk_record(const struct resource_states *s, void *arg)
{
	struct record_walk *rw = arg;
	size_t i;
	for (i = 0; i < s->nr; i++) {
		const struct record *r = &s->records[i];
		if (rw->assignment_id && strcasecmp(rw->assignment_id, r->assignment_id))
			continue;
		if (rw->reference_id && (!r->reference_id || strcasecmp(rw->reference_id, r->reference_id)))
			continue;
		rw->fn(s->resource_id, s->location, r->state, rw->arg);
	}
	return 0;
}

void engine_for_each_record(struct policy_engine *engine, struct world *w, const char *scope,
			    const char *assignment_id, const char *reference_id,
			    engine_record_fn *fn, void *arg)
{
	struct record_walk rw = { assignment_id, reference_id, fn, arg };
	compliance_walk(engine, w, scope, walk_record, &rw);
}

/* ---------- Deny ---------- */

int compliance_write_check(struct world *w, const char *id, const json_t *before,
			   const json_t *after, struct armsim_response *resp, void *arg)
{
	(void)before;
	return compliance_check_deny(arg, w, id, after, resp) ? -1 : 0;
}

int compliance_check_deny(struct policy_engine *e, struct world *w, const char *resource_id,
			  const json_t *new_body, struct armsim_response *resp)
{
	struct assignment_set set;
	char *sub = segment_after_key(resource_id, "subscriptions");
	struct strbuf sub_scope = STRBUF_INIT;
	int64_t now = simclock_now_ms();
	size_t i, k;
	int denied = 0;
	/* Indexed mode evaluates only types with tags and location: not policy exemptions */
	const char *type = json_string_value(json_object_get(new_body, "type"));
	int only_mode_all = type && !strcasecmp(type, "Microsoft.Authorization/policyExemptions");

	if (!sub)
		return 0;
	strbuf_addf(&sub_scope, "/subscriptions/%s", sub);
	memset(&set, 0, sizeof(set));
	policy_engine_lock(e);
	applicable_assignments(e, w, sub_scope.buf, &set);
	for (i = 0; i < set.nr && !denied; i++) {
		const struct engine_assignment *a = set.items[i];
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
			    (only_mode_all && policy_definition_mode(m->def) &&
			     strcasecmp(policy_definition_mode(m->def), "All")) ||
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

