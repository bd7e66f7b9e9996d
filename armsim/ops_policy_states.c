/*
 * ops_policy_states — Microsoft.PolicyInsights policyStates routes over the policy engine's
 * records: queryResults (the records, filtered by OData $filter and paged with
 * @odata.nextLink), summarize (counts per assignment and definition) and GET /_armsim/policy
 * (the engine's counters). Records come from compliance_walk; $filter from armsim_filter_parse.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/arm.h"
#include "armsim/compliance.h"
#include "lib/idmap.h"
#include "armsim/ops_policy_states.h"
#include "armsim/policy_engine.h"
#include "armsim/simclock.h"
#include "armsim/states_shape.h"
#include "armsim/world.h"
#include "lib/strcase.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* ---------- policy states ---------- */

static const char *state_name(enum record_state s)
{
	return s == RECORD_COMPLIANT ? "Compliant" : s == RECORD_EXEMPT ? "Exempt" : "NonCompliant";
}


static int clause_holds(const struct armsim_filter_clause *c, const struct resource_states *s,
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
	if (c->op == ARMSIM_FILTER_CALL) {
		strbuf_addf(err, "unsupported $filter function '%s'", c->field);
		return -1;
	}
	eq = !strcasecmp(v, c->value);
	return c->op == ARMSIM_FILTER_NE ? !eq : eq;
}


/* Calls fn for each record in scope that passes the filter. */
struct query {
	struct policy_engine *e;
	struct world *w;
	const char *scope;            /* resource-id scope: mg, sub, rg, or an assignment */
	const char *assignment_id;    /* when queried under an assignment */
	const struct armsim_filter *filter;
	struct strbuf *err;
	int failed;
	void (*fn)(struct query *q, const struct resource_states *s, const struct record *r);
	void *arg;
};

static int query_states(const struct resource_states *s, void *arg)
{
	struct query *q = arg;
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
				return 1;
			}
			ok = h;
		}
		if (ok)
			q->fn(q, s, r);
	}
	return q->failed;
}

/*
 * Runs a policyStates query for req: its $filter over the records of scope (or of the
 * assignment, when the route names one), fn called for each record that passes. Returns 0, or
 * -1 with a 400 InvalidFilterInQueryString in resp.
 */
static int query_request(struct armsim_request *req, struct armsim_response *resp,
			 struct policy_engine *e, const char *scope, const char *assignment_id,
			 void (*fn)(struct query *q, const struct resource_states *s,
				    const struct record *r),
			 void *arg)
{
	struct strbuf err = STRBUF_INIT;
	struct armsim_filter filter;
	struct query q;
	int ret = -1;

	if (armsim_filter_parse(armsim_request_query(req, "$filter"), &filter, &err))
		goto out;
	memset(&q, 0, sizeof(q));
	q.e = e;
	q.w = req->world;
	q.scope = assignment_id ? "/" : scope;
	q.assignment_id = assignment_id;
	q.filter = &filter;
	q.err = &err;
	q.fn = fn;
	q.arg = arg;
	policy_engine_lock(e);
	compliance_walk(e, req->world, q.scope, query_states, &q);
	policy_engine_unlock(e);
	ret = q.failed ? -1 : 0;
out:
	if (ret)
		armsim_response_error(resp, 400, "InvalidFilterInQueryString", "%s", err.buf);
	strbuf_release(&err);
	return ret;
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
	const char *marker = raw ? strcase_find(raw, "/providers/Microsoft.Authorization/policyAssignments/") : NULL;
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
	return armsim_scope_exists(req, resp, scope->buf);
}

void ops_policy_states_query(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_of(req->world);
	struct strbuf scope = STRBUF_INIT, assignment = STRBUF_INIT;
	struct strbuf context = STRBUF_INIT;
	json_t *items = json_array();
	const char *top = armsim_request_query(req, "$top");
	struct strbuf err = STRBUF_INIT;
	enum states_shape_result shaped;
	size_t i;

	if (states_scope(req, resp, &scope, &assignment))
		goto out;
	if (query_request(req, resp, e, scope.buf, assignment.len ? assignment.buf : NULL,
			  add_state_item, items))
		goto out;
	/* $apply, $orderby, $select reshape the filtered records; a form not understood is a
	   400, never a 200 in a shape the API does not have */
	shaped = states_shape(&items, armsim_request_query(req, "$apply"),
			      armsim_request_query(req, "$orderby"),
			      armsim_request_query(req, "$select"), &err);
	if (shaped != STATES_SHAPE_OK) {
		armsim_response_error(resp, 400, states_shape_code(shaped), "%s", err.buf);
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
		armsim_respond_page(req, resp, json_incref(items), "@odata.nextLink");
		if (resp->status == 200 && resp->body) {
			json_t *page = json_object_get(resp->body, "value");
			json_object_set_new(resp->body, "@odata.context", json_string(context.buf));
			json_object_set_new(resp->body, "@odata.count",
					    json_integer((json_int_t)json_array_size(page)));
			/* the last page says "@odata.nextLink": null: the recorded traffic
			   (triggerscan, 2019-10-01) and the 2024-10-01 example both have it */
			if (!json_object_get(resp->body, "@odata.nextLink"))
				json_object_set_new(resp->body, "@odata.nextLink", json_null());
		}
	}
out:
	json_decref(items);
	strbuf_release(&scope);
	strbuf_release(&assignment);
	strbuf_release(&context);
	strbuf_release(&err);
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

/* A rollup of compliance states: the count of things in each state, per level. */
enum { ROLL_COMPLIANT, ROLL_NONCOMPLIANT, ROLL_EXEMPT, ROLL__COUNT };

struct rollup {
	size_t resources[ROLL__COUNT];
	size_t policies[ROLL__COUNT];  /* assignments at the query scope, definitions below */
	size_t groups[ROLL__COUNT];    /* policy definition groups */
};

/* The state of something from its records' counts: non-compliant wins, then compliant. */
static int roll_state(size_t nc, size_t co, size_t ex)
{
	(void)ex;
	return nc ? ROLL_NONCOMPLIANT : co ? ROLL_COMPLIANT : ROLL_EXEMPT;
}

static json_t *details(const size_t counts[ROLL__COUNT])
{
	return json_pack("[{s:s, s:I}, {s:s, s:I}, {s:s, s:I}]",
			 "complianceState", "compliant", "count", (json_int_t)counts[ROLL_COMPLIANT],
			 "complianceState", "noncompliant", "count",
			 (json_int_t)counts[ROLL_NONCOMPLIANT],
			 "complianceState", "exempt", "count", (json_int_t)counts[ROLL_EXEMPT]);
}

static json_t *summary_results(const char *query_uri, size_t nc_resources, size_t nc_policies,
			       const struct rollup *r)
{
	return json_pack("{s:s, s:I, s:I, s:o, s:o, s:o}",
			 "queryResultsUri", query_uri,
			 "nonCompliantResources", (json_int_t)nc_resources,
			 "nonCompliantPolicies", (json_int_t)nc_policies,
			 "resourceDetails", details(r->resources),
			 "policyDetails", details(r->policies),
			 "policyGroupDetails", details(r->groups));
}

/* The groupNames of the initiative member `ref` (borrowed), or NULL. */
static const json_t *member_groups(struct world *w, const char *set_id, const char *ref)
{
	struct world_resource *set = set_id ? world_resource_get(w, set_id) : NULL;
	const json_t *members, *m;
	size_t i;
	if (!set || !ref)
		return NULL;
	members = json_object_get(json_object_get(set->body, "properties"), "policyDefinitions");
	json_array_foreach(members, i, m) {
		const char *r = json_string_value(json_object_get(m, "policyDefinitionReferenceId"));
		if (r && !strcasecmp(r, ref))
			return json_object_get(m, "groupNames");
	}
	return NULL;
}

/* Raises group's state in `groups` (name -> state) to at least `state`. */
static void group_raise(json_t *groups, const char *name, int state)
{
	json_t *have = json_object_get(groups, name);
	int rank_new = state == ROLL_NONCOMPLIANT ? 2 : state == ROLL_COMPLIANT ? 1 : 0;
	int old = have ? (int)json_integer_value(have) : -1;
	int rank_old = old < 0 ? -1 : old == ROLL_NONCOMPLIANT ? 2 : old == ROLL_COMPLIANT ? 1 : 0;
	if (rank_new > rank_old)
		json_object_set_new(groups, name, json_integer(state));
}

static void count_groups(const json_t *groups, size_t counts[ROLL__COUNT])
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)groups, k, v)
		counts[json_integer_value(v)]++;
}

void ops_policy_states_summarize(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_of(req->world);
	struct strbuf scope = STRBUF_INIT, assignment = STRBUF_INIT, uri = STRBUF_INIT;
	struct summary_counts counts;
	struct rollup top;
	json_t *list = json_array(), *a;
	const char *aid;
	size_t total_nc_policies = 0;

	memset(&counts, 0, sizeof(counts));
	memset(&top, 0, sizeof(top));
	counts.assignments = json_object();
	if (states_scope(req, resp, &scope, &assignment))
		goto out;
	if (query_request(req, resp, e, scope.buf, assignment.len ? assignment.buf : NULL,
			  count_record, &counts))
		goto out;
	strbuf_addf(&uri, "%s%s/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults"
		    "?api-version=%s&$filter=IsCompliant eq false", req->base_url,
		    scope.len > 1 ? scope.buf : "", req->api_version ? req->api_version : "2019-10-01");
	json_object_foreach(counts.assignments, aid, a) {
		json_t *defs_out = json_array(), *d, *groups = json_object();
		const char *key, *set_id = json_string_value(json_object_get(a, "set"));
		size_t nc_policies = 0, nc_a = 0, co_a = 0, ex_a = 0;
		struct rollup ra;
		memset(&ra, 0, sizeof(ra));
		json_object_foreach(json_object_get(a, "defs"), key, d) {
			size_t nc = (size_t)json_integer_value(json_object_get(d, "NonCompliant"));
			size_t co = (size_t)json_integer_value(json_object_get(d, "Compliant"));
			size_t ex = (size_t)json_integer_value(json_object_get(d, "Exempt"));
			int state = roll_state(nc, co, ex);
			const json_t *gn = member_groups(req->world, set_id,
							 json_string_value(json_object_get(d, "ref")));
			json_t *g;
			size_t gi;
			struct rollup rd;
			memset(&rd, 0, sizeof(rd));
			rd.resources[ROLL_COMPLIANT] = co;
			rd.resources[ROLL_NONCOMPLIANT] = nc;
			rd.resources[ROLL_EXEMPT] = ex;
			rd.policies[state] = 1;
			json_array_foreach(gn, gi, g)
				if (json_is_string(g)) {
					rd.groups[state]++;
					group_raise(groups, json_string_value(g), state);
				}
			nc_policies += nc > 0;
			nc_a += nc;
			co_a += co;
			ex_a += ex;
			ra.policies[state]++;
			json_array_append_new(defs_out, json_pack(
				"{s:o, s:o, s:s, s:o}",
				"policyDefinitionId", lower_string(json_string_value(json_object_get(d, "id"))),
				"policyDefinitionReferenceId",
				json_is_string(json_object_get(d, "ref")) ?
				lower_string(json_string_value(json_object_get(d, "ref"))) : json_string(""),
				"effect", json_string_value(json_object_get(d, "effect")),
				"results", summary_results(uri.buf, nc, nc > 0, &rd)));
		}
		ra.resources[ROLL_COMPLIANT] = co_a;
		ra.resources[ROLL_NONCOMPLIANT] = nc_a;
		ra.resources[ROLL_EXEMPT] = ex_a;
		count_groups(groups, ra.groups);
		count_groups(groups, top.groups);
		top.policies[roll_state(nc_a, co_a, ex_a)]++;
		top.resources[ROLL_COMPLIANT] += co_a;
		top.resources[ROLL_NONCOMPLIANT] += nc_a;
		top.resources[ROLL_EXEMPT] += ex_a;
		total_nc_policies += nc_policies > 0;
		json_array_append_new(list, json_pack(
			"{s:o, s:o, s:o, s:o}",
			"policyAssignmentId", lower_string(aid),
			"policySetDefinitionId", set_id ? lower_string(set_id) : json_string(""),
			"results", summary_results(uri.buf, json_object_size(json_object_get(a, "resources")),
						   nc_policies, &ra),
			"policyDefinitions", defs_out));
		json_decref(groups);
	}
	armsim_response_json(resp, 200, json_pack(
		"{s:s, s:i, s:[{s:n, s:s, s:o, s:o}]}",
		"@odata.context", "https://management.azure.com/providers/Microsoft.PolicyInsights/"
				  "$metadata#summary",
		"@odata.count", 1,
		"value", "@odata.id", "@odata.context", "summary",
		"results", summary_results(uri.buf, counts.noncompliant_resources.nr, total_nc_policies,
					   &top),
		"policyAssignments", list));
	list = NULL;
out:
	json_decref(list);
	json_decref(counts.assignments);
	idmap_clear(&counts.noncompliant_resources);
	strbuf_release(&scope);
	strbuf_release(&assignment);
	strbuf_release(&uri);
}

void ops_policy_engine_stats(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_of(req->world);
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
