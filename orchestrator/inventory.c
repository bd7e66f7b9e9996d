/*
 * inventory — Resource Graph queries, classification and output (see inventory.h).
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/arm.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "orchestrator/inventory.h"
#include "lib/banned.h"

#define GRAPH_PATH "/providers/Microsoft.ResourceGraph/resources"
#define GRAPH_API "2022-10-01"
#define SUBS_PER_QUERY 1000   /* Resource Graph takes at most this many subscriptions at once */
#define MAX_PAGES 100000

static const char *const tier_names[TIER__COUNT] = {
	"exposed+production", "exposed", "production", "rest",
};

const char *inventory_tier_name(enum inventory_tier tier)
{
	return tier < TIER__COUNT ? tier_names[tier] : "?";
}

int inventory_tier_parse(const char *name)
{
	int i;
	for (i = 0; i < TIER__COUNT; i++)
		if (!strcasecmp(name, tier_names[i]))
			return i;
	return -1;
}

void inventory_item_release(struct inventory_item *it)
{
	free(it->id);
	free(it->name);
	free(it->type);
	free(it->kind);
	free(it->location);
	free(it->subscription);
	free(it->resource_group);
	free(it->cert_mode);
	free(it->exclusion_paths);
	free(it->why);
}

void inventory_release(struct inventory *inv)
{
	size_t i;
	for (i = 0; i < inv->nr; i++)
		inventory_item_release(&inv->items[i]);
	free(inv->items);
	memset(inv, 0, sizeof(*inv));
}

size_t inventory_open_count(const struct inventory *inv)
{
	size_t i, n = 0;
	for (i = 0; i < inv->nr; i++)
		n += !inv->items[i].compliant && !inv->items[i].exempt && !inv->items[i].excluded;
	return n;
}

void inventory_rules_from_config(struct inventory_rules *rules, const struct config *cfg)
{
	rules->tag_keys = &cfg->inventory_production_tag_keys;
	rules->tag_values = &cfg->inventory_production_tag_values;
	rules->subscription_patterns = &cfg->inventory_production_subscriptions;
	rules->slots_are_production = cfg->inventory_slots_are_production;
	rules->restrictions_private = cfg->inventory_access_restrictions_private;
	rules->internal_ase_private = cfg->inventory_internal_ase_private;
	rules->at_risk_http2 = cfg->inventory_at_risk_http2;
	rules->at_risk_tls13 = cfg->inventory_at_risk_tls13;
}

static int in_list(const struct string_list *list, const char *s)
{
	size_t i;
	for (i = 0; list && i < list->nr; i++)
		if (!strcasecmp(list->items[i], s))
			return 1;
	return 0;
}

/* The production tag of tags, if any: "env=prod" into why. */
static int production_tag(const json_t *tags, const struct inventory_rules *rules,
			  struct strbuf *why)
{
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)tags, key, value)
		if (json_is_string(value) && in_list(rules->tag_keys, key) &&
		    in_list(rules->tag_values, json_string_value(value))) {
			strbuf_addf(why, "%stag ", why->len ? ", " : "");
			msg_escape_into(why, key);
			strbuf_addch(why, '=');
			msg_escape_into(why, json_string_value(value));
			return 1;
		}
	return 0;
}

static char *dup_str(const json_t *row, const char *key)
{
	const char *s = json_string_value(json_object_get(row, key));
	return xstrdup(s ? s : "");
}

static void lower_into(const char *s, struct strbuf *out)
{
	strbuf_reset(out);
	for (; *s; s++)
		strbuf_addch(out, tolower((unsigned char)*s));
}

int inventory_classify(const json_t *row, const struct inventory_rules *rules,
		       const json_t *internal_ases, const json_t *production_subs,
		       struct inventory_item *it)
{
	struct strbuf why = STRBUF_INIT, low = STRBUF_INIT;
	const char *pna = json_string_value(json_object_get(row, "publicNetworkAccess"));
	const char *ip = json_string_value(json_object_get(row, "ipDefaultAction"));
	const char *ase = json_string_value(json_object_get(row, "aseId"));
	const char *tls = json_string_value(json_object_get(row, "minTlsVersion"));
	json_t *enabled = json_object_get(row, "clientCertEnabled");
	json_t *pe = json_object_get(row, "privateEndpoints");
	int http2 = json_is_true(json_object_get(row, "http20Enabled"));
	memset(it, 0, sizeof(*it));
	if (!json_string_value(json_object_get(row, "id")))
		return -1;
	it->id = dup_str(row, "id");
	it->name = dup_str(row, "name");
	it->type = dup_str(row, "type");
	it->kind = dup_str(row, "kind");
	it->location = dup_str(row, "location");
	it->subscription = dup_str(row, "subscriptionId");
	it->resource_group = dup_str(row, "resourceGroup");
	it->cert_mode = dup_str(row, "clientCertMode");
	it->exclusion_paths = dup_str(row, "exclusionPaths");
	it->cert_enabled = json_is_boolean(enabled) ? json_is_true(enabled) : -1;
	it->slot = !strcasecmp(it->type, "microsoft.web/sites/slots");
	it->compliant = it->cert_enabled == 1 && !strcmp(it->cert_mode, "Required");

	/* exposure: any one private path is enough to not count as exposed */
	it->exposed = 1;
	if (pna && !strcasecmp(pna, "Disabled")) {
		it->exposed = 0;
		strbuf_addstr(&why, "public access disabled");
	} else if ((!pna || !*pna) && json_integer_value(pe) > 0) {
		it->exposed = 0;
		strbuf_addstr(&why, "private endpoint only");
	} else if (rules->restrictions_private && ip && !strcasecmp(ip, "Deny")) {
		it->exposed = 0;
		strbuf_addstr(&why, "access restrictions deny by default");
	} else if (rules->internal_ase_private && ase && *ase) {
		lower_into(ase, &low);
		if (json_is_true(json_object_get(internal_ases, low.buf))) {
			it->exposed = 0;
			strbuf_addstr(&why, "internal ASE");
		}
	}
	if (it->exposed)
		strbuf_addstr(&why, "internet-exposed");

	/* production: the app's own tags, or (the site itself) its subscription */
	it->production = production_tag(json_object_get(row, "tags"), rules, &why);
	if (!it->production && (!it->slot || rules->slots_are_production)) {
		lower_into(it->subscription, &low);
		if (json_is_true(json_object_get(production_subs, low.buf))) {
			it->production = 1;
			strbuf_addstr(&why, ", production subscription");
		}
	}

	if (*it->exclusion_paths &&
	    ((rules->at_risk_http2 && http2) || (rules->at_risk_tls13 && tls && !strcmp(tls, "1.3")))) {
		it->at_risk = 1;
		strbuf_addf(&why, ", exclusion paths with %s", http2 && rules->at_risk_http2 ? "HTTP/2" : "TLS 1.3");
	}
	it->tier = it->exposed && it->production ? TIER_EXPOSED_PRODUCTION
		   : it->exposed ? TIER_EXPOSED : it->production ? TIER_PRODUCTION : TIER_REST;
	it->why = strbuf_detach(&why, NULL);
	strbuf_release(&low);
	return 0;
}

/* "hh:mm:ss" → ms; -1 when malformed. */
static long span_ms(const char *s)
{
	unsigned h, m, sec;
	if (!s || sscanf(s, "%u:%u:%u", &h, &m, &sec) != 3 || m > 59 || sec > 59 || h > 24)
		return -1;
	return ((long)h * 3600 + (long)m * 60 + (long)sec) * 1000;
}

struct query_scope {
	json_t *subscriptions;   /* array, or NULL */
	const char *management_group;
};

/*
 * Runs text over scope, every page, calling row(row, data) for each row. Waits out Resource
 * Graph's quota when a response says none is left.
 */
static enum inventory_result graph_query(struct arm_client *client, const struct query_scope *scope,
					 const char *text, long page_size, struct inventory *inv,
					 void (*row)(const json_t *, void *), void *data,
					 struct strbuf *err)
{
	struct arm_call_options opts = { .api_version = GRAPH_API, .flags = ARM_READ };
	json_t *body = json_pack("{s:s, s:{s:I, s:s}}", "query", text, "options", "$top",
				 (json_int_t)page_size, "resultFormat", "objectArray");
	enum inventory_result ret = INVENTORY_OK;
	unsigned pages = 0;
	if (scope->management_group)
		json_object_set_new(body, "managementGroups", json_pack("[s]", scope->management_group));
	else
		json_object_set(body, "subscriptions", scope->subscriptions);
	for (;;) {
		struct arm_response resp = { 0 };
		json_t *data_rows, *v;
		const char *token, *truncated;
		size_t i;
		long wait;
		inv->queries++;
		if (arm_post(client, GRAPH_PATH, body, &opts, &resp) != ARM_OK) {
			arm_error_format(&resp.error, err);
			arm_response_release(&resp);
			ret = INVENTORY_ERR_ARM;
			break;
		}
		data_rows = json_object_get(resp.body, "data");
		if (!json_is_array(data_rows)) {
			strbuf_addstr(err, "resource graph answered without a data array (objectArray expected)");
			arm_response_release(&resp);
			ret = INVENTORY_ERR_INVALID;
			break;
		}
		json_array_foreach(data_rows, i, v)
			row(v, data);
		token = json_string_value(json_object_get(resp.body, "$skipToken"));
		truncated = json_string_value(json_object_get(resp.body, "resultTruncated"));
		if (!token && truncated && !strcmp(truncated, "true")) {
			strbuf_addstr(err, "resource graph truncated the result without a $skipToken");
			arm_response_release(&resp);
			ret = INVENTORY_ERR_INVALID;
			break;
		}
		/* within Resource Graph's quota: when none is left, the next page waits for the reset */
		opts.delay_ms = 0;
		if (resp.user_quota_remaining && !strcmp(resp.user_quota_remaining, "0") &&
		    (wait = span_ms(resp.user_quota_resets_after)) > 0) {
			opts.delay_ms = wait;
			inv->throttled++;
			msg_debug("resource graph quota spent: next query in %ld ms", wait);
		}
		if (!token || ++pages >= MAX_PAGES) {
			arm_response_release(&resp);
			break;
		}
		json_object_set_new(json_object_get(body, "options"), "$skipToken", json_string(token));
		arm_response_release(&resp);
	}
	json_decref(body);
	return ret;
}

static void collect_id(const json_t *row, void *data)
{
	const char *id = json_string_value(json_object_get(row, "id"));
	struct strbuf low = STRBUF_INIT;
	if (!id)
		return;
	lower_into(id, &low);
	json_object_set_new(data, low.buf, json_true());
	strbuf_release(&low);
}

struct classify_ctx {
	const struct inventory_rules *rules;
	const json_t *internal_ases, *production_subs;
	struct inventory *inv;
};

static void classify_row(const json_t *row, void *data)
{
	struct classify_ctx *ctx = data;
	struct inventory *inv = ctx->inv;
	ALLOC_GROW(inv->items, inv->nr + 1, inv->alloc);
	if (!inventory_classify(row, ctx->rules, ctx->internal_ases, ctx->production_subs,
				&inv->items[inv->nr]))
		inv->nr++;
}

/* Subscriptions whose name or id matches a production pattern (lower-case ids → true). */
static enum inventory_result production_subscriptions(struct arm_client *client,
						      const struct inventory_rules *rules,
						      json_t *out, struct strbuf *err)
{
	struct arm_response resp = { 0 };
	json_t *sub;
	size_t i, k;
	if (!rules->subscription_patterns || !rules->subscription_patterns->nr)
		return INVENTORY_OK;
	if (arm_list(client, "GET", "/subscriptions", NULL, NULL, &resp) != ARM_OK) {
		arm_error_format(&resp.error, err);
		arm_response_release(&resp);
		return INVENTORY_ERR_ARM;
	}
	json_array_foreach(resp.body, i, sub) {
		const char *id = json_string_value(json_object_get(sub, "subscriptionId"));
		const char *name = json_string_value(json_object_get(sub, "displayName"));
		struct strbuf low = STRBUF_INIT, pat = STRBUF_INIT, low_name = STRBUF_INIT;
		if (!id)
			continue;
		lower_into(name ? name : "", &low_name);
		lower_into(id, &low);
		/* patterns and names compared folded: fnmatch's own case folding is not POSIX */
		for (k = 0; k < rules->subscription_patterns->nr; k++) {
			lower_into(rules->subscription_patterns->items[k], &pat);
			if (!fnmatch(pat.buf, low.buf, 0) || !fnmatch(pat.buf, low_name.buf, 0))
				json_object_set_new(out, low.buf, json_true());
		}
		strbuf_release(&low);
		strbuf_release(&pat);
		strbuf_release(&low_name);
	}
	arm_response_release(&resp);
	return INVENTORY_OK;
}

/* " | where id in~ ('a', 'b')" for the ids of only. */
static void add_id_filter(struct strbuf *q, const json_t *only)
{
	size_t i;
	json_t *v;
	strbuf_addstr(q, "| where id in~ (");
	json_array_foreach(only, i, v) {
		const char *s = json_string_value(v);
		strbuf_addstr(q, i ? ", '" : "'");
		for (; s && *s; s++) {
			if (*s == '\'' || *s == '\\')
				strbuf_addch(q, '\\');
			strbuf_addch(q, *s);
		}
		strbuf_addch(q, '\'');
	}
	strbuf_addstr(q, ")\n");
}

/* ---- exemptions ---- */

/* Whether id lies at or under scope (case-insensitive, on a '/' boundary). */
static int id_under(const char *id, const char *scope)
{
	size_t n = strlen(scope);
	return !strncasecmp(id, scope, n) && (id[n] == '\0' || id[n] == '/');
}

/* t (UTC) as "YYYY-MM-DDTHH:MM:SS", comparable with the start of an ISO expiresOn. */
static void iso_of(time_t t, char out[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
}

struct exemption_list {
	json_t *items;           /* exemptions of the assignment(s), not expired (owned) */
	struct strbuf *err;
	int failed;
	size_t pending;
	long long server_now_s;  /* the latest Date header of the lists; 0 when none came */
};

static void on_exemptions(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct exemption_list *el = data;
	json_t *e;
	size_t i;
	(void)client;
	el->pending--;
	if (resp->server_time_s > el->server_now_s)
		el->server_now_s = resp->server_time_s;
	if (resp->result != ARM_OK) {
		if (!el->failed)
			arm_error_format(&resp->error, el->err);
		el->failed = 1;
		return;
	}
	json_array_foreach(resp->body, i, e)
		json_array_append(el->items, e);
}

/*
 * The exemptions of our assignment(s) ([assignment] name at the management group or at each
 * subscription) that have not expired, from one list per scope (a list at a scope returns
 * the exemptions at, above and below it). New array in *out.
 */
static enum inventory_result list_exemptions(struct arm_client *client, const struct config *cfg,
					     json_t **out, struct strbuf *err)
{
	struct exemption_list el = { json_array(), err, 0, 0, 0 };
	json_t *kept = json_array(), *e, *ids = json_array();
	char now[32];
	size_t i, n = cfg->scope_management_group ? 1 : cfg->scope_subscriptions.nr;
	for (i = 0; i < n; i++) {
		struct strbuf scope = STRBUF_INIT, path = STRBUF_INIT, id = STRBUF_INIT;
		if (cfg->scope_management_group)
			strbuf_addf(&scope, "/providers/Microsoft.Management/managementGroups/%s",
				    cfg->scope_management_group);
		else
			strbuf_addf(&scope, "/subscriptions/%s", cfg->scope_subscriptions.items[i]);
		strbuf_addf(&id, "%s/providers/Microsoft.Authorization/policyAssignments/%s", scope.buf,
			    cfg->assignment_name);
		json_array_append_new(ids, json_string(id.buf));
		strbuf_addf(&path, "%s/providers/Microsoft.Authorization/policyExemptions", scope.buf);
		el.pending++;
		arm_submit_list(client, "GET", path.buf, NULL, NULL, NULL, on_exemptions, &el);
		strbuf_release(&scope);
		strbuf_release(&path);
		strbuf_release(&id);
	}
	while (el.pending)
		arm_client_run(client, 100);
	/* Azure judges expiry by its own clock (as `policyctl exemptions` does): the lists' Date
	 * header, else ours. On armsim with --time-scale the two differ by hours. */
	iso_of(el.server_now_s ? (time_t)el.server_now_s : time(NULL), now);
	json_array_foreach(el.items, i, e) {
		json_t *props = json_object_get(e, "properties");
		const char *aid = json_string_value(json_object_get(props, "policyAssignmentId"));
		const char *exp = json_string_value(json_object_get(props, "expiresOn"));
		json_t *want;
		size_t k;
		int ours = 0;
		json_array_foreach(ids, k, want)
			ours |= aid && !strcasecmp(aid, json_string_value(want));
		if (ours && (!exp || strncmp(exp, now, strlen(now)) > 0))
			json_array_append(kept, e);
	}
	json_decref(el.items);
	json_decref(ids);
	if (el.failed) {
		json_decref(kept);
		return INVENTORY_ERR_ARM;
	}
	*out = kept;
	return INVENTORY_OK;
}

/* Marks the items an exemption covers; the exemption's name and category go into why. */
static void apply_exemptions(struct inventory *inv, size_t from, const json_t *exemptions)
{
	size_t i, k;
	json_t *e;
	if (!json_array_size(exemptions))
		return;
	for (i = from; i < inv->nr; i++) {
		struct inventory_item *it = &inv->items[i];
		json_array_foreach(exemptions, k, e) {
			const char *id = json_string_value(json_object_get(e, "id"));
			const char *cut = id ? strstr(id, "/providers/Microsoft.Authorization/policyExemptions/") : NULL;
			json_t *props = json_object_get(e, "properties");
			const char *cat = json_string_value(json_object_get(props, "exemptionCategory"));
			const char *exp = json_string_value(json_object_get(props, "expiresOn"));
			struct strbuf scope = STRBUF_INIT, why = STRBUF_INIT;
			if (!cut)
				continue;
			strbuf_add(&scope, id, (size_t)(cut - id));
			if (id_under(it->id, scope.len ? scope.buf : "/")) {
				it->exempt = 1;
				strbuf_addf(&why, "%s, exempt by ", it->why);
				msg_escape_into(&why, strrchr(id, '/') + 1);
				strbuf_addf(&why, " (%s%s%s)", cat ? cat : "?", exp ? ", expires " : "",
					    exp ? exp : "");
				free(it->why);
				it->why = strbuf_detach(&why, NULL);
			}
			strbuf_release(&scope);
			strbuf_release(&why);
			if (it->exempt)
				break;
		}
	}
}

/* Marks the items under one of the assignment's not_scopes: the control leaves them out. */
static void apply_not_scopes(struct inventory *inv, size_t from, const struct string_list *not_scopes)
{
	size_t i, k;
	for (i = from; i < inv->nr; i++) {
		struct inventory_item *it = &inv->items[i];
		for (k = 0; k < not_scopes->nr && !it->excluded; k++) {
			struct strbuf why = STRBUF_INIT;
			if (!id_under(it->id, not_scopes->items[k]))
				continue;
			it->excluded = 1;
			strbuf_addf(&why, "%s, excluded by [assignment] not_scopes", it->why);
			free(it->why);
			it->why = strbuf_detach(&why, NULL);
		}
	}
}

/* One scope's apps: its internal App Service Environments into ases first (where the rules
 * ask; ctx reads them), then the sites query q, each row classified into ctx. */
static enum inventory_result query_apps(struct arm_client *client, const struct query_scope *scope,
					const char *q, long page_size, json_t *ases,
					struct classify_ctx *ctx, struct strbuf *err)
{
	enum inventory_result ret = INVENTORY_OK;
	if (ctx->rules->internal_ase_private)
		ret = graph_query(client, scope, INVENTORY_QUERY_INTERNAL_ASE, page_size, ctx->inv,
				  collect_id, ases, err);
	if (!ret)
		ret = graph_query(client, scope, q, page_size, ctx->inv, classify_row, ctx, err);
	return ret;
}

enum inventory_result inventory_run(struct arm_client *client, const struct config *cfg,
				    const json_t *only, struct inventory *out, struct strbuf *err)
{
	struct inventory_rules rules;
	struct classify_ctx ctx;
	json_t *ases = json_object(), *prod = json_object(), *exemptions = NULL;
	struct strbuf q = STRBUF_INIT;
	enum inventory_result ret;
	size_t i, from;
	size_t first = out->nr;
	inventory_rules_from_config(&rules, cfg);
	ret = production_subscriptions(client, &rules, prod, err);
	if (!ret)
		ret = list_exemptions(client, cfg, &exemptions, err);
	if (ret)
		goto out;
	strbuf_addstr(&q, INVENTORY_QUERY_TARGETS);
	if (only && json_array_size(only))
		add_id_filter(&q, only);
	/* the sites query less its first lines: the targets, then the filter, then the rest */
	strbuf_addstr(&q, INVENTORY_QUERY_SITES + strlen(INVENTORY_QUERY_TARGETS));
	ctx.rules = &rules;
	ctx.internal_ases = ases;
	ctx.production_subs = prod;
	ctx.inv = out;
	if (cfg->scope_management_group) {
		struct query_scope scope = { NULL, cfg->scope_management_group };
		ret = query_apps(client, &scope, q.buf, cfg->inventory_page_size, ases, &ctx, err);
		goto out;
	}
	/* subscriptions: at most 1000 per query */
	for (from = 0; from < cfg->scope_subscriptions.nr && !ret; from += SUBS_PER_QUERY) {
		struct query_scope scope = { json_array(), NULL };
		for (i = from; i < cfg->scope_subscriptions.nr && i < from + SUBS_PER_QUERY; i++)
			json_array_append_new(scope.subscriptions,
					      json_string(cfg->scope_subscriptions.items[i]));
		ret = query_apps(client, &scope, q.buf, cfg->inventory_page_size, ases, &ctx, err);
		json_decref(scope.subscriptions);
	}
out:
	if (!ret) {
		apply_exemptions(out, first, exemptions);
		apply_not_scopes(out, first, &cfg->assignment_not_scopes);
	}
	json_decref(ases);
	json_decref(prod);
	json_decref(exemptions);
	strbuf_release(&q);
	return ret;
}

/* ---- output ---- */

static const char *enabled_text(int v)
{
	return v == 1 ? "true" : v == 0 ? "false" : "unset";
}

static void csv_field(FILE *out, const char *s, int last)
{
	struct strbuf sb = STRBUF_INIT;
	if (strpbrk(s, ",\"\n")) {
		strbuf_addch(&sb, '"');
		for (; *s; s++) {
			if (*s == '"')
				strbuf_addch(&sb, '"');
			strbuf_addch(&sb, *s);
		}
		strbuf_addch(&sb, '"');
	} else {
		strbuf_addstr(&sb, s);
	}
	strbuf_addch(&sb, last ? '\n' : ',');
	msg_print(out, "%s", sb.buf);
	strbuf_release(&sb);
}

/* s with control characters written as \xNN (text from the network on a terminal). */
static const char *esc(struct strbuf *sb, const char *s)
{
	strbuf_reset(sb);
	msg_escape_into(sb, s);
	return sb->buf;
}

static const char *status_text(const struct inventory_item *it)
{
	return it->compliant ? "compliant" : it->excluded ? "excluded" : it->exempt ? "exempt"
		: "non-compliant";
}

void inventory_write(const struct inventory *inv, enum inventory_format format, FILE *out)
{
	struct strbuf e1 = STRBUF_INIT, e2 = STRBUF_INIT, e3 = STRBUF_INIT, e4 = STRBUF_INIT;
	size_t i, w_name = 4, w_tier = 4;
	char *text;
	switch (format) {
	case INVENTORY_JSON:
		/* one item at a time: 50,000 apps never sit in memory as one JSON document */
		msg_print(out, "%s", "[");
		for (i = 0; i < inv->nr; i++) {
			const struct inventory_item *it = &inv->items[i];
			json_t *obj = json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:s}",
				"id", it->id, "name", it->name, "type", it->type, "kind", it->kind,
				"location", it->location, "subscriptionId", it->subscription,
				"resourceGroup", it->resource_group, "clientCertEnabled",
				it->cert_enabled < 0 ? json_null() : json_boolean(it->cert_enabled),
				"clientCertMode", it->cert_mode, "exclusionPaths", it->exclusion_paths,
				"status", status_text(it), "compliant", it->compliant, "exposed", it->exposed,
				"production", it->production, "atRisk", it->at_risk, "exempt", it->exempt,
				"excluded", it->excluded, "tier", inventory_tier_name(it->tier), "why", it->why);
			text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
			msg_print(out, "%s\n  %s", i ? "," : "", text ? text : "{}");
			free(text);
			json_decref(obj);
		}
		msg_print(out, "%s", inv->nr ? "\n]\n" : "]\n");
		break;
	case INVENTORY_CSV:
		msg_print(out, "%s", "id,name,type,kind,location,subscriptionId,resourceGroup,clientCertEnabled,"
		      "clientCertMode,exclusionPaths,status,exposed,production,atRisk,exempt,tier\n");
		for (i = 0; i < inv->nr; i++) {
			const struct inventory_item *it = &inv->items[i];
			csv_field(out, it->id, 0);
			csv_field(out, it->name, 0);
			csv_field(out, it->type, 0);
			csv_field(out, it->kind, 0);
			csv_field(out, it->location, 0);
			csv_field(out, it->subscription, 0);
			csv_field(out, it->resource_group, 0);
			csv_field(out, enabled_text(it->cert_enabled), 0);
			csv_field(out, it->cert_mode, 0);
			csv_field(out, it->exclusion_paths, 0);
			csv_field(out, status_text(it), 0);
			csv_field(out, it->exposed ? "true" : "false", 0);
			csv_field(out, it->production ? "true" : "false", 0);
			csv_field(out, it->at_risk ? "true" : "false", 0);
			csv_field(out, it->exempt ? "true" : "false", 0);
			csv_field(out, inventory_tier_name(it->tier), 1);
		}
		break;
	case INVENTORY_MARKDOWN:
		msg_print(out, "%s", "| app | subscription | kind | clientCertEnabled | clientCertMode | status | tier | why |\n"
		      "|---|---|---|---|---|---|---|---|\n");
		for (i = 0; i < inv->nr; i++) {
			const struct inventory_item *it = &inv->items[i];
			msg_print(out, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", esc(&e1, it->name),
				esc(&e2, it->subscription), esc(&e3, it->kind), enabled_text(it->cert_enabled),
				*it->cert_mode ? esc(&e4, it->cert_mode) : "unset", status_text(it),
				inventory_tier_name(it->tier), it->why);
		}
		msg_print(out, "\n%zu apps, %zu not compliant and not exempt\n", inv->nr,
			inventory_open_count(inv));
		break;
	case INVENTORY_TABLE:
	default:
		for (i = 0; i < inv->nr; i++) {
			size_t n = strlen(inv->items[i].name), t = strlen(inventory_tier_name(inv->items[i].tier));
			if (n > w_name)
				w_name = n;
			if (t > w_tier)
				w_tier = t;
		}
		msg_print(out, "%-*s  %-13s  %-5s  %-23s  %-*s  %s\n", (int)w_name, "APP", "STATUS",
			"CERT", "MODE", (int)w_tier, "TIER", "SUBSCRIPTION / WHY");
		for (i = 0; i < inv->nr; i++) {
			const struct inventory_item *it = &inv->items[i];
			msg_print(out, "%-*s  %-13s  %-5s  %-23s  %-*s  %s  %s%s\n", (int)w_name,
				esc(&e1, it->name), status_text(it), enabled_text(it->cert_enabled),
				*it->cert_mode ? esc(&e2, it->cert_mode) : "unset", (int)w_tier,
				inventory_tier_name(it->tier), esc(&e3, it->subscription), it->why,
				it->at_risk ? " (at risk)" : "");
		}
		msg_print(out, "%zu apps, %zu not compliant and not exempt\n", inv->nr,
			inventory_open_count(inv));
		break;
	}
	strbuf_release(&e1);
	strbuf_release(&e2);
	strbuf_release(&e3);
	strbuf_release(&e4);
}
