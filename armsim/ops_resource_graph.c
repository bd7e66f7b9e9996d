/*
 * ops_resource_graph — Resource Graph's query endpoint (see ops_resource_graph.h).
 *
 * State kept between requests, under one mutex: each principal's quota window, the last
 * results (so $skipToken pages come from one snapshot), and, when the world has a reflection
 * lag, the body Resource Graph last showed for each resource with the write time it showed.
 */
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/authz.h"
#include "lib/idmap.h"
#include "armsim/kql.h"
#include "armsim/ops_resource_graph.h"
#include "armsim/ops_resources.h"
#include "armsim/simclock.h"
#include "armsim/token.h"
#include "armsim/world.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define MAX_TOP 1000          /* options.$top: ARG's own ceiling */
#define CACHE_SLOTS 8         /* results kept for $skipToken */
#define CACHE_TTL_MS 300000   /* real ms a result stays pageable */

/* The resource types of the `resources` table: not containers, not policy or RBAC objects. */
static int in_resources_table(const char *type)
{
	return strncasecmp(type, "Microsoft.Resources/", 20) &&
	       strncasecmp(type, "Microsoft.Authorization/", 24) &&
	       strncasecmp(type, "Microsoft.PolicyInsights/", 25) &&
	       strncasecmp(type, "Microsoft.Management/", 21);
}

/* ARG's column order for `resources`. */
static const char *const schema[] = {
	"id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId",
	"managedBy", "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation",
};

struct quota {
	char principal[64];
	const void *world;
	int64_t window_start;  /* real ms */
	int used;
};

struct cached {
	uint64_t id;           /* the number in the $skipToken */
	const void *world;
	char principal[64];
	int64_t made_ms;       /* real ms */
	struct kql_table table;
};

/* What Resource Graph shows of one resource while a write has not reached it yet. */
struct shown {
	json_t *body;          /* the body shown (a reference to a body the world stored) */
	int64_t changed_ms;    /* the write time of that body */
};

static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;
static struct quota *quotas;
static size_t nr_quotas, alloc_quotas;
static struct cached cache[CACHE_SLOTS];
static uint64_t cache_counter;
static const void *shown_world;
static int64_t shown_since_ms;  /* simulated time Resource Graph first saw shown_world */
static struct idmap shown_map;

/*
 * Rows kept between queries: building a site's row (its GET view) is most of a query's cost,
 * and a row stays right while its resource keeps the body it was built from (a write stores a
 * new body). Keyed by id, for the world in shown_world; under graph_lock.
 */
struct cached_row {
	json_t *body;          /* the body the row shows (a reference: its address stays unique) */
	int64_t changed_ms;
	json_t *row;
};
static struct idmap row_map;

/* ---- errors in ARG's shape ---- */

static void graph_error(struct armsim_request *req, struct armsim_response *resp, unsigned status,
			const char *code, const char *detail_code, const char *detail_message,
			json_t *extra)
{
	char when[40];
	const char *corr = armsim_request_header(req, "x-ms-correlation-request-id");
	json_t *err = armsim_response_error(
		resp, status, code,
		"Please provide below info when asking for support: timestamp = %s, correlationId = %s.",
		(simclock_format_iso(simclock_now_ms(), when), when),
		corr && *corr && strlen(corr) < 128 ? corr : "00000000-0000-0000-0000-000000000000");
	json_t *details = json_array();
	json_t *detail = json_pack("{s:s, s:s}", "code", detail_code, "message", detail_message);
	if (extra) {
		json_object_update(detail, extra);
		json_decref(extra);
	}
	if (status == 400)
		json_array_append_new(details, json_pack(
			"{s:s, s:s}", "code", "InvalidQuery", "message",
			"Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying."));
	json_array_append_new(details, detail);
	json_object_set_new(err, "details", details);
}

/* ---- quota ---- */

static void format_span(int64_t ms, char out[16])
{
	int64_t s = (ms + 999) / 1000;
	if (s < 0)
		s = 0;
	snprintf(out, 16, "%02d:%02d:%02d", (int)(s / 3600 % 100), (int)(s / 60 % 60), (int)(s % 60));
}

/* Counts the query against the caller's window; 0 when served, -1 with a 429 in resp. */
static int take_quota(struct armsim_request *req, struct armsim_response *resp)
{
	const struct world_knobs *k = &req->world->knobs;
	int64_t now = simclock_real_ms();
	struct quota *q = NULL;
	char span[16], value[32];
	size_t i;
	int served;
	pthread_mutex_lock(&graph_lock);
	for (i = 0; i < nr_quotas; i++)
		if (quotas[i].world == req->world &&
		    !strcmp(quotas[i].principal, req->caller->object_id))
			q = &quotas[i];
	if (!q) {
		ALLOC_GROW(quotas, nr_quotas + 1, alloc_quotas);
		q = &quotas[nr_quotas++];
		memset(q, 0, sizeof(*q));
		snprintf(q->principal, sizeof(q->principal), "%s", req->caller->object_id);
		q->world = req->world;
		q->window_start = now;
	}
	if (now - q->window_start >= k->graph_quota_window_ms) {
		q->window_start = now;
		q->used = 0;
	}
	served = q->used < k->graph_quota;
	if (served)
		q->used++;
	format_span(q->window_start + k->graph_quota_window_ms - now, span);
	snprintf(value, sizeof(value), "%d", k->graph_quota - q->used);
	pthread_mutex_unlock(&graph_lock);
	armsim_response_header(resp, "x-ms-user-quota-remaining", value);
	armsim_response_header(resp, "x-ms-user-quota-resets-after", span);
	if (served)
		return 0;
	graph_error(req, resp, 429, "RateLimiting", "RateLimiting",
		    "Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.",
		    NULL);
	/* the headers were set before the error body; an error keeps them */
	{
		int64_t left = (q->window_start + k->graph_quota_window_ms - now + 999) / 1000;
		snprintf(value, sizeof(value), "%lld", (long long)(left < 1 ? 1 : left));
		armsim_response_header(resp, "Retry-After", value);
	}
	return -1;
}

/* ---- the rows ---- */

/* The body Resource Graph shows for r now (borrowed), or NULL when r is not visible yet. */
static const json_t *visible_body(const struct world *w, const struct world_resource *r,
				  int64_t now)
{
	struct shown *s;
	int64_t lag = w->knobs.graph_lag_ms;
	if (lag <= 0)
		return r->body;
	s = idmap_get(&shown_map, r->id);
	if (!s) {
		/* what the world held before the first query (its file) has long been indexed */
		if (r->changed_ms > shown_since_ms && r->changed_ms + lag > now)
			return NULL;
		s = xcalloc(1, sizeof(*s));
		s->body = json_incref(r->body);
		s->changed_ms = r->changed_ms;
		idmap_put(&shown_map, r->id, s);
		return s->body;
	}
	if (s->changed_ms != r->changed_ms && r->changed_ms + lag <= now) {
		json_decref(s->body);
		s->body = json_incref(r->body);
		s->changed_ms = r->changed_ms;
	}
	return s->body;
}

static void cached_row_free(const char *key, void *value, void *arg)
{
	struct cached_row *c = value;
	(void)key;
	(void)arg;
	json_decref(c->body);
	json_decref(c->row);
	free(c);
}

static void shown_free(const char *key, void *value, void *arg)
{
	struct shown *s = value;
	(void)key;
	(void)arg;
	json_decref(s->body);
	free(s);
}

static void lower(struct strbuf *sb)
{
	size_t i;
	for (i = 0; i < sb->len; i++)
		sb->buf[i] = (char)tolower((unsigned char)sb->buf[i]);
}

/* The row of one resource as Resource Graph shows it (new reference). */
static json_t *graph_row(const struct world *w, const struct world_resource *r, const json_t *body)
{
	struct strbuf type = STRBUF_INIT, rg = STRBUF_INIT, sub = STRBUF_INIT;
	const char *p;
	json_t *row, *view = NULL, *v;
	int site = !strcasecmp(r->type, WT_SITE) || !strcasecmp(r->type, WT_SLOT);
	if (site) {
		struct world_resource shown = *r;
		shown.body = (json_t *)body;
		view = web_site_view(&shown);
		body = view;
	}
	strbuf_addstr(&type, r->type);
	lower(&type);
	if (!strncasecmp(r->id, "/subscriptions/", 15)) {
		strbuf_add(&sub, r->id + 15, strcspn(r->id + 15, "/"));
		p = strstr(r->id, "/resourceGroups/");
		if (!p)
			p = strstr(r->id, "/resourcegroups/");
		if (p) {
			strbuf_add(&rg, p + 16, strcspn(p + 16, "/"));
			lower(&rg);
		}
	}
	row = json_object();
	json_object_set_new_nocheck(row, "id", json_string(r->id));
	v = json_object_get(body, "name");
	json_object_set_new_nocheck(row, "name", v ? json_incref(v) : json_string(strrchr(r->id, '/') + 1));
	json_object_set_new_nocheck(row, "type", json_string(type.buf));
	json_object_set_new_nocheck(row, "tenantId", json_string(w->tenant_id ? w->tenant_id : ""));
	v = json_object_get(body, "kind");
	json_object_set_new_nocheck(row, "kind", v ? json_incref(v) : json_string(""));
	v = json_object_get(body, "location");
	json_object_set_new_nocheck(row, "location", v ? json_incref(v) : json_string(""));
	json_object_set_new_nocheck(row, "resourceGroup", json_string(rg.buf));
	json_object_set_new_nocheck(row, "subscriptionId", json_string(sub.buf));
	json_object_set_new_nocheck(row, "managedBy", json_string(""));
	v = json_object_get(body, "sku");
	json_object_set_new_nocheck(row, "sku", v ? json_incref(v) : json_null());
	json_object_set_new_nocheck(row, "plan", json_null());
	v = json_object_get(body, "properties");
	json_object_set_new_nocheck(row, "properties", v ? json_incref(v) : json_object());
	v = json_object_get(body, "tags");
	json_object_set_new_nocheck(row, "tags", v ? json_incref(v) : json_object());
	v = json_object_get(body, "identity");
	json_object_set_new_nocheck(row, "identity", v ? json_incref(v) : json_null());
	v = json_object_get(body, "zones");
	json_object_set_new_nocheck(row, "zones", v ? json_incref(v) : json_null());
	json_object_set_new_nocheck(row, "extendedLocation", json_null());
	json_decref(view);
	strbuf_release(&type);
	strbuf_release(&rg);
	strbuf_release(&sub);
	return row;
}

struct type_walk {
	const char **types;
	size_t nr, alloc;
};

static void collect_type(const char *key, void *value, void *arg)
{
	struct type_walk *tw = arg;
	(void)value;
	if (key[0] != '|' || !in_resources_table(key + 1))
		return;
	ALLOC_GROW(tw->types, tw->nr + 1, tw->alloc);
	tw->types[tw->nr++] = key + 1;
}

static int by_id(const void *a, const void *b)
{
	const struct world_resource *x = *(struct world_resource *const *)a;
	const struct world_resource *y = *(struct world_resource *const *)b;
	return strcasecmp(x->id, y->id);
}

/* The subscriptions in scope the caller may read (an idmap of id → 1 for "allowed at sub"). */
struct scope {
	struct idmap subs;      /* subscription id → (void *)1: every resource readable,
				   (void *)2: only what a narrower assignment allows */
	const char *caller;
};

/* Whether the caller sees r: resources of a readable subscription, or one it may read itself. */
static int readable(const struct world *w, const struct scope *sc, const struct world_resource *r)
{
	char sub[64];
	size_t n;
	void *how;
	struct strbuf action = STRBUF_INIT;
	int ok;
	if (strncasecmp(r->id, "/subscriptions/", 15))
		return 0;
	n = strcspn(r->id + 15, "/");
	if (!n || n >= sizeof(sub))
		return 0;
	memcpy(sub, r->id + 15, n);
	sub[n] = '\0';
	how = idmap_get(&sc->subs, sub);
	if (how == (void *)1)
		return 1;
	if (!how)
		return 0;
	strbuf_addf(&action, "%s/read", r->type);
	ok = authz_allowed(w, sc->caller, r->id, action.buf);
	strbuf_release(&action);
	return ok;
}

static void scope_add_sub(const struct world *w, struct scope *sc, const char *sub)
{
	struct strbuf id = STRBUF_INIT;
	strbuf_addf(&id, "/subscriptions/%s", sub);
	/* "*\/read" covers every type: Reader and above; otherwise resource by resource */
	idmap_put(&sc->subs, sub, authz_allowed(w, sc->caller, id.buf, "Microsoft.Web/sites/read") &&
			  authz_allowed(w, sc->caller, id.buf, "Microsoft.Resources/subscriptions/read")
			  ? (void *)1 : (void *)2);
	strbuf_release(&id);
}

/* A new reference to r's row showing body: from the cache, or built and kept. */
static json_t *row_for(const struct world *w, const struct world_resource *r, const json_t *body)
{
	struct cached_row *c = idmap_get(&row_map, r->id);
	if (c && c->body == body && c->changed_ms == r->changed_ms)
		return json_incref(c->row);
	if (!c) {
		c = xcalloc(1, sizeof(*c));
		idmap_put(&row_map, r->id, c);
	}
	json_decref(c->body);
	json_decref(c->row);
	c->body = json_incref((json_t *)body);
	c->changed_ms = r->changed_ms;
	c->row = graph_row(w, r, body);
	return json_incref(c->row);
}

static int type_wanted(const json_t *types, const char *type)
{
	size_t i;
	json_t *t;
	if (!types)
		return 1;
	json_array_foreach(types, i, t)
		if (!strcasecmp(json_string_value(t), type))
			return 1;
	return 0;
}

/*
 * All rows of the `resources` table in scope, sorted by id (new reference); types (lower
 * case, may be NULL for all) limits them to what the query can return.
 */
static json_t *build_rows(const struct world *w, const struct scope *sc, const json_t *types)
{
	struct type_walk tw = { NULL, 0, 0 };
	struct world_resource **all = NULL;
	size_t nr = 0, alloc = 0, i, j;
	int64_t now = simclock_now_ms();
	json_t *rows = json_array();
	idmap_for_each(&w->lists, collect_type, &tw);
	for (i = 0; i < tw.nr; i++) {
		const struct world_list *l;
		if (!type_wanted(types, tw.types[i]))
			continue;
		l = world_resource_list(w, NULL, tw.types[i]);
		for (j = 0; j < l->nr; j++) {
			if (!readable(w, sc, l->items[j]))
				continue;
			ALLOC_GROW(all, nr + 1, alloc);
			all[nr++] = l->items[j];
		}
	}
	if (nr)
		qsort(all, nr, sizeof(*all), by_id);
	pthread_mutex_lock(&graph_lock);
	if (shown_world != w) {
		idmap_for_each(&shown_map, shown_free, NULL);
		idmap_clear(&shown_map);
		idmap_for_each(&row_map, cached_row_free, NULL);
		idmap_clear(&row_map);
		shown_world = w;
		shown_since_ms = now;
	}
	for (i = 0; i < nr; i++) {
		const json_t *body = visible_body(w, all[i], now);
		if (body)
			json_array_append_new(rows, row_for(w, all[i], body));
	}
	pthread_mutex_unlock(&graph_lock);
	free(all);
	free(tw.types);
	return rows;
}

/* ---- the scope of a request ---- */

static int read_scope(struct armsim_request *req, struct armsim_response *resp, struct scope *sc)
{
	const struct world *w = req->world;
	json_t *subs = json_object_get(req->body, "subscriptions");
	json_t *mgs = json_object_get(req->body, "managementGroups");
	json_t *v;
	size_t i, k;
	if ((subs && !json_is_array(subs)) || (mgs && !json_is_array(mgs))) {
		graph_error(req, resp, 400, "BadRequest", "InvalidRequestContent",
			    "subscriptions and managementGroups must be arrays of strings", NULL);
		return -1;
	}
	if (json_array_size(subs) && json_array_size(mgs)) {
		graph_error(req, resp, 400, "BadRequest", "InvalidRequestContent",
			    "Only one of subscriptions or managementGroups can be provided", NULL);
		return -1;
	}
	json_array_foreach(subs, i, v) {
		if (!json_is_string(v)) {
			graph_error(req, resp, 400, "BadRequest", "InvalidRequestContent",
				    "subscriptions must be an array of strings", NULL);
			return -1;
		}
		/* subscriptions the caller cannot see are left out, as ARG does */
		if (world_subscription_get(w, json_string_value(v)))
			scope_add_sub(w, sc, json_string_value(v));
	}
	json_array_foreach(mgs, i, v) {
		struct strbuf id = STRBUF_INIT;
		int allowed;
		if (!json_is_string(v) || !world_mg_get(w, json_string_value(v))) {
			graph_error(req, resp, 400, "BadRequest", "InvalidManagementGroup",
				    "a management group of the request does not exist", NULL);
			return -1;
		}
		strbuf_addf(&id, "/providers/Microsoft.Management/managementGroups/%s",
			    json_string_value(v));
		allowed = authz_allowed(w, sc->caller, id.buf, "Microsoft.Management/managementGroups/read");
		for (k = 0; k < w->nr_subs; k++) {
			struct strbuf sub = STRBUF_INIT;
			strbuf_addf(&sub, "/subscriptions/%s", w->subs[k]->id);
			if (world_scope_contains(w, id.buf, sub.buf))
				scope_add_sub(w, sc, w->subs[k]->id);
			strbuf_release(&sub);
		}
		strbuf_release(&id);
		if (!allowed && !json_is_true(json_object_get(json_object_get(req->body, "options"),
								  "allowPartialScopes"))) {
			graph_error(req, resp, 403, "AuthorizationFailed", "AuthorizationFailed",
				    "The client does not have read access to the management group of the query scope.",
				    NULL);
			return -1;
		}
	}
	if (!json_array_size(subs) && !json_array_size(mgs))
		for (k = 0; k < w->nr_subs; k++) /* tenant scope: every subscription */
			scope_add_sub(w, sc, w->subs[k]->id);
	return 0;
}

/* A stable text of the scope for the result cache. */
static void scope_key(struct armsim_request *req, struct strbuf *out)
{
	json_t *copy = json_deep_copy(req->body);
	char *s;
	json_object_del(copy, "options");
	json_object_del(copy, "facets");
	s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	strbuf_addstr(out, s ? s : "");
	free(s);
	json_decref(copy);
}

/* ---- $skipToken: "v1:<result id>:<offset>:<fingerprint>" in base64url ---- */

static void make_token(uint64_t id, size_t offset, const char *fingerprint, struct strbuf *out)
{
	struct strbuf raw = STRBUF_INIT;
	strbuf_addf(&raw, "v1:%" PRIu64 ":%zu:%s", id, offset, fingerprint);
	token_base64url_encode(out, (const unsigned char *)raw.buf, raw.len);
	strbuf_release(&raw);
}

static int read_token(const char *token, uint64_t *id, size_t *offset, struct strbuf *fingerprint)
{
	struct strbuf raw = STRBUF_INIT;
	unsigned long long a, b;
	int used = 0, ret = -1;
	if (strlen(token) > 512 || token_base64url_decode(&raw, token, strlen(token)))
		goto out;
	if (sscanf(raw.buf, "v1:%llu:%llu:%n", &a, &b, &used) != 2 || !used)
		goto out;
	*id = a;
	*offset = (size_t)b;
	strbuf_addstr(fingerprint, raw.buf + used);
	ret = 0;
out:
	strbuf_release(&raw);
	return ret;
}

static void fingerprint_of(const char *text, char out[17])
{
	uint64_t h = 1469598103934665603ULL;
	for (; *text; text++)
		h = (h ^ (unsigned char)*text) * 1099511628211ULL;
	snprintf(out, 17, "%016" PRIx64, h);
}

/* ---- facets ---- */

static json_t *facet_result(const json_t *facet, const struct kql_table *t)
{
	const char *expr = json_string_value(json_object_get(facet, "expression"));
	json_t *options = json_object_get(facet, "options");
	json_t *top = json_object_get(options, "$top");
	const char *order = json_string_value(json_object_get(options, "sortOrder"));
	struct strbuf q = STRBUF_INIT;
	struct kql_query *query = NULL;
	struct kql_error err = KQL_ERROR_INIT;
	struct kql_table out = { NULL, NULL };
	json_t *res;
	if (!expr || strpbrk(expr, "|\n")) {
		res = json_pack("{s:s?, s:s, s:[{s:s, s:s}]}", "expression", expr, "resultType",
				"FacetError", "errors", "code", "InvalidFacet", "message",
				"a facet expression is one column name");
		goto out;
	}
	strbuf_addf(&q, "summarize count = count() by %s | order by count %s", expr,
		    order && !strcasecmp(order, "asc") ? "asc" : "desc");
	if (json_integer_value(top) > 0)
		strbuf_addf(&q, " | take %lld", (long long)json_integer_value(top));
	if (kql_parse(q.buf, &query, &err) != KQL_OK) {
		res = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "expression", expr, "resultType",
				"FacetError", "errors", "code", "InvalidFacet", "message", err.message.buf);
		goto out;
	}
	kql_run(query, t->rows, t->columns, &out);
	{
		/* totalRecords: the number of distinct values before $top */
		struct kql_query *all = NULL;
		struct kql_table all_out = { NULL, NULL };
		struct strbuf qa = STRBUF_INIT;
		strbuf_addf(&qa, "distinct %s", expr);
		if (kql_parse(qa.buf, &all, &err) == KQL_OK)
			kql_run(all, t->rows, t->columns, &all_out);
		res = json_pack("{s:s, s:s, s:I, s:I, s:O}", "expression", expr, "resultType",
				"FacetResult", "totalRecords",
				(json_int_t)json_array_size(all_out.rows), "count",
				(json_int_t)json_array_size(out.rows), "data", out.rows);
		kql_table_release(&all_out);
		kql_query_free(all);
		strbuf_release(&qa);
	}
out:
	kql_table_release(&out);
	kql_query_free(query);
	kql_error_release(&err);
	strbuf_release(&q);
	return res;
}

/* ---- the handler ---- */

static json_t *table_format(const struct kql_table *t, size_t from, size_t to)
{
	json_t *columns = json_array(), *rows = json_array(), *c;
	size_t i, k;
	json_array_foreach(t->columns, k, c) {
		const char *type = "object";
		for (i = 0; i < json_array_size(t->rows); i++) {
			json_t *v = json_object_get(json_array_get(t->rows, i), json_string_value(c));
			if (v && !json_is_null(v)) {
				type = kql_type_name(v);
				break;
			}
		}
		json_array_append_new(columns, json_pack("{s:O, s:s}", "name", c, "type", type));
	}
	for (i = from; i < to; i++) {
		json_t *row = json_array_get(t->rows, i), *out = json_array();
		json_array_foreach(t->columns, k, c) {
			json_t *v = json_object_get(row, json_string_value(c));
			json_array_append(out, v ? v : json_null());
		}
		json_array_append_new(rows, out);
	}
	return json_pack("{s:o, s:o}", "columns", columns, "rows", rows);
}

static int read_options(struct armsim_request *req, struct armsim_response *resp, size_t *top,
			size_t *skip, const char **token, int *table)
{
	json_t *options = json_object_get(req->body, "options"), *v;
	const char *format;
	*top = MAX_TOP;
	*skip = 0;
	*token = NULL;
	*table = 0;
	if (options && !json_is_object(options))
		goto bad;
	v = json_object_get(options, "$top");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > MAX_TOP)
			goto bad;
		*top = (size_t)json_integer_value(v);
	}
	v = json_object_get(options, "$skip");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			goto bad;
		*skip = (size_t)json_integer_value(v);
	}
	v = json_object_get(options, "$skipToken");
	if (v && !json_is_string(v))
		goto bad;
	*token = json_string_value(v);
	format = json_string_value(json_object_get(options, "resultFormat"));
	if (json_object_get(options, "resultFormat") &&
	    (!format || (strcasecmp(format, "table") && strcasecmp(format, "objectArray"))))
		goto bad;
	*table = format && !strcasecmp(format, "table");
	return 0;
bad:
	graph_error(req, resp, 400, "BadRequest", "InvalidRequestContent",
		    "options: $top is 1 to 1000, $skip a non-negative integer, $skipToken a string, resultFormat table or objectArray",
		    NULL);
	return -1;
}

static void cache_put(const void *world, const char *principal, struct kql_table *t, uint64_t *id)
{
	size_t i, slot = 0;
	int64_t oldest = INT64_MAX;
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (!cache[i].table.rows) {
			slot = i;
			break;
		}
		if (cache[i].made_ms < oldest) {
			oldest = cache[i].made_ms;
			slot = i;
		}
	}
	kql_table_release(&cache[slot].table);
	cache[slot].id = *id = ++cache_counter;
	cache[slot].world = world;
	snprintf(cache[slot].principal, sizeof(cache[slot].principal), "%s", principal);
	cache[slot].made_ms = simclock_real_ms();
	cache[slot].table = *t; /* stolen */
	t->rows = t->columns = NULL;
}

/* A new reference to the cached result `id` of this caller, or 0. */
static int cache_get(const void *world, const char *principal, uint64_t id, struct kql_table *out)
{
	size_t i;
	for (i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].table.rows && cache[i].id == id && cache[i].world == world &&
		    !strcmp(cache[i].principal, principal) &&
		    simclock_real_ms() - cache[i].made_ms < CACHE_TTL_MS) {
			out->rows = json_incref(cache[i].table.rows);
			out->columns = json_incref(cache[i].table.columns);
			return 1;
		}
	return 0;
}

void ops_resource_graph_query(struct armsim_request *req, struct armsim_response *resp)
{
	struct scope sc = { IDMAP_INIT, NULL };
	struct kql_query *query = NULL;
	struct kql_error err = KQL_ERROR_INIT;
	struct kql_table result = { NULL, NULL };
	struct strbuf key = STRBUF_INIT, fp_in = STRBUF_INIT, next_token = STRBUF_INIT;
	const char *text, *token;
	char fp[17];
	size_t top, skip, offset = 0, end, total, i;
	uint64_t result_id = 0;
	int table, truncated = 0, from_cache = 0;
	json_t *body = NULL, *data, *facets;

	if (take_quota(req, resp))
		goto out;
	if (!json_is_object(req->body)) {
		graph_error(req, resp, 400, "BadRequest", "InvalidRequestContent",
			    "The request content was invalid and could not be deserialized.", NULL);
		goto out;
	}
	text = json_string_value(json_object_get(req->body, "query"));
	if (!text || !*text) {
		graph_error(req, resp, 400, "BadRequest", "InvalidRequestContent",
			    "The query is required.", NULL);
		goto out;
	}
	if (read_options(req, resp, &top, &skip, &token, &table))
		goto out;
	switch (kql_parse(text, &query, &err)) {
	case KQL_OK:
		break;
	case KQL_UNSUPPORTED:
		graph_error(req, resp, 400, "BadRequest", "UnsupportedOperator", err.message.buf,
			    json_pack("{s:s, s:i, s:i}", "operator", err.name.buf, "line", err.line,
				      "characterPositionInLine", err.column));
		goto out;
	default:
		graph_error(req, resp, 400, "BadRequest", "ParserFailure", err.message.buf,
			    json_pack("{s:i, s:i, s:s}", "line", err.line, "characterPositionInLine",
				      err.column, "token", err.token.buf));
		goto out;
	}
	sc.caller = req->caller->object_id;
	if (read_scope(req, resp, &sc))
		goto out;
	scope_key(req, &key);
	strbuf_addch(&key, '\n');
	strbuf_addstr(&key, text);
	fingerprint_of(key.buf, fp);
	if (token) {
		if (read_token(token, &result_id, &offset, &fp_in) || strcmp(fp_in.buf, fp)) {
			graph_error(req, resp, 400, "BadRequest", "InvalidSkipToken",
				    "The $skipToken is not valid for this query.", NULL);
			goto out;
		}
		pthread_mutex_lock(&graph_lock);
		from_cache = cache_get(req->world, sc.caller, result_id, &result);
		pthread_mutex_unlock(&graph_lock);
	} else {
		offset = skip;
	}
	if (!from_cache) {
		json_t *rows, *columns = json_array();
		for (i = 0; i < sizeof(schema) / sizeof(*schema); i++)
			json_array_append_new(columns, json_string(schema[i]));
		json_t *types = NULL;
		kql_query_types(query, &types);
		rows = strcmp(kql_query_table(query), "resources") ? json_array()
								      : build_rows(req->world, &sc, types);
		json_decref(types);
		kql_run(query, rows, columns, &result);
		json_decref(rows);
		json_decref(columns);
	}
	total = json_array_size(result.rows);
	if (offset > total)
		offset = total;
	end = offset + top < total ? offset + top : total;
	if (end < total) {
		/* paging needs the id column: without it ARG truncates the result */
		int has_id = 0;
		json_t *c;
		json_array_foreach(result.columns, i, c)
			if (!strcmp(json_string_value(c), "id"))
				has_id = 1;
		if (has_id) {
			if (!from_cache) {
				struct kql_table keep = { json_incref(result.rows),
							  json_incref(result.columns) };
				pthread_mutex_lock(&graph_lock);
				cache_put(req->world, sc.caller, &keep, &result_id);
				pthread_mutex_unlock(&graph_lock);
			}
			make_token(result_id, end, fp, &next_token);
		} else {
			truncated = 1;
		}
	}
	if (table) {
		data = table_format(&result, offset, end);
	} else {
		data = json_array();
		for (i = offset; i < end; i++)
			json_array_append(data, json_array_get(result.rows, i));
	}
	facets = json_array();
	{
		json_t *requested = json_object_get(req->body, "facets"), *f;
		if (json_is_array(requested))
			json_array_foreach(requested, i, f)
				json_array_append_new(facets, facet_result(f, &result));
	}
	body = json_pack("{s:I, s:I, s:s, s:o, s:o}", "totalRecords", (json_int_t)total, "count",
			 (json_int_t)(end - offset), "resultTruncated", truncated ? "true" : "false",
			 "data", data, "facets", facets);
	if (next_token.len)
		json_object_set_new(body, "$skipToken", json_string(next_token.buf));
	armsim_response_json(resp, 200, body);
out:
	kql_table_release(&result);
	kql_query_free(query);
	kql_error_release(&err);
	idmap_clear(&sc.subs);
	strbuf_release(&key);
	strbuf_release(&fp_in);
	strbuf_release(&next_token);
}
