/*
 * remediation — remediation tasks: validation, lifecycle on simulated time, deployments.
 *
 * Tasks live in the policy engine's remediation set, not in the world's resource store,
 * because their state moves with time and the tick owns it. Deployments are scheduled on
 * simulated time exactly: when one finishes at T the next queued one starts at T, however
 * coarse the real-time tick, so a compressed run shows the same counts as a slow one.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armsim/arm.h"
#include "armsim/authz.h"
#include "armsim/compliance.h"
#include "lib/idmap.h"
#include "armsim/policy_engine.h"
#include "armsim/ops_resources.h"
#include "armsim/remediation.h"
#include "armsim/rng.h"
#include "armsim/simclock.h"
#include "armsim/template.h"
#include "armsim/world.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

enum deployment_state { DEP_QUEUED, DEP_RUNNING, DEP_SUCCEEDED, DEP_FAILED, DEP_CANCELED };

struct remediation_deployment {
	char *resource_id;
	char *location;
	char *deployment_id;
	enum deployment_state state;
	int64_t created_ms, started_ms, updated_ms;
	char *error_code;     /* failed deployments */
	char *error_message;
	json_t *read_at_start; /* the stored body when the deployment started (compact); owned */
	int64_t read_changed_ms;
};

struct remediation_task {
	char *id;                 /* as created */
	char *scope;
	char *name;
	char *assignment_id;
	char *reference_id;       /* may be NULL */
	int reevaluate;           /* ReEvaluateCompliance */
	json_t *locations;        /* filters.locations or NULL */
	long resource_count;
	long parallel;
	double threshold;
	const char *state;        /* static string */
	int64_t created_ms, updated_ms, phase_end_ms;
	struct remediation_deployment *deps;
	size_t nr, alloc;
	char correlation_id[37];
	json_t *system_data;
	unsigned explicit_settings; /* SET_* the request named: only those are echoed */
	int remediable;           /* the member can deploy (DeployIfNotExists or Modify) */
};

struct remediation_set {
	struct remediation_task **items; /* in creation order (lists answer newest first) */
	size_t nr, alloc;
	struct idmap by_id;              /* task id -> task: a lookup costs no walk over all */
	size_t active;                   /* tasks not terminal, as of the last tick or create */
};

static struct remediation_set *tasks_of(struct policy_engine *e)
{
	return e->remediations;
}

static void task_free(struct remediation_task *t)
{
	size_t i;
	if (!t)
		return;
	for (i = 0; i < t->nr; i++) {
		free(t->deps[i].resource_id);
		free(t->deps[i].location);
		free(t->deps[i].deployment_id);
		free(t->deps[i].error_code);
		free(t->deps[i].error_message);
		json_decref(t->deps[i].read_at_start);
	}
	free(t->deps);
	free(t->id);
	free(t->scope);
	free(t->name);
	free(t->assignment_id);
	free(t->reference_id);
	json_decref(t->locations);
	json_decref(t->system_data);
	free(t);
}

struct remediation_set *remediation_set_new(void)
{
	return xcalloc(1, sizeof(struct remediation_set));
}

void remediation_set_clear(struct remediation_set *tasks)
{
	size_t i;
	if (!tasks)
		return;
	for (i = 0; i < tasks->nr; i++)
		task_free(tasks->items[i]);
	free(tasks->items);
	tasks->items = NULL;
	tasks->nr = tasks->alloc = 0;
	tasks->active = 0;
	idmap_clear(&tasks->by_id);
}

void remediation_set_free(struct remediation_set *tasks)
{
	remediation_set_clear(tasks);
	free(tasks);
}

static int is_terminal(const struct remediation_task *t)
{
	return !strcmp(t->state, "Succeeded") || !strcmp(t->state, "Failed") ||
	       !strcmp(t->state, "Canceled");
}

static json_t *lower_json(const char *s)
{
	char *copy = xstrdup(s ? s : "");
	json_t *v;
	size_t i;
	for (i = 0; copy[i]; i++)
		copy[i] = (char)tolower((unsigned char)copy[i]);
	v = json_string(copy);
	free(copy);
	return v;
}

static void count_deployments(const struct remediation_task *t, size_t *ok, size_t *failed)
{
	size_t i;
	*ok = *failed = 0;
	for (i = 0; i < t->nr; i++) {
		*ok += t->deps[i].state == DEP_SUCCEEDED;
		*failed += t->deps[i].state == DEP_FAILED;
	}
}

/* Accepted and Evaluating tasks have created no deployments yet. */
static int discovering(const struct remediation_task *t)
{
	return !strcmp(t->state, "Accepted") || !strcmp(t->state, "Evaluating");
}

/* Settings a request may name; the service echoes those it was given and no defaults. */
enum { SET_COUNT = 1, SET_PARALLEL = 2, SET_THRESHOLD = 4, SET_FILTERS = 8 };

static json_t *task_json(const struct remediation_task *t)
{
	char created[40], updated[40];
	size_t ok, failed;
	json_t *props, *body;

	simclock_format_iso(t->created_ms, created);
	simclock_format_iso(t->updated_ms, updated);
	count_deployments(t, &ok, &failed);
	/* totalDeployments counts the deployments created so far (0 while Accepted) */
	props = json_pack("{s:o, s:s, s:s, s:s, s:{s:I, s:I, s:I}, s:s, s:s}",
			  "policyAssignmentId", lower_json(t->assignment_id),
			  "provisioningState", t->state,
			  "createdOn", created,
			  "lastUpdatedOn", updated,
			  "deploymentStatus", "totalDeployments",
			  (json_int_t)(discovering(t) ? 0 : t->nr),
			  "successfulDeployments", (json_int_t)ok,
			  "failedDeployments", (json_int_t)failed,
			  "resourceDiscoveryMode", t->reevaluate ? "ReEvaluateCompliance" :
			  "ExistingNonCompliant",
			  "correlationId", t->correlation_id);
	if (t->reference_id)
		json_object_set_new(props, "policyDefinitionReferenceId", lower_json(t->reference_id));
	if ((t->explicit_settings & SET_FILTERS) || t->locations)
		json_object_set_new(props, "filters", t->locations ?
				    json_pack("{s:O}", "locations", t->locations) : json_object());
	if (t->explicit_settings & SET_COUNT)
		json_object_set_new(props, "resourceCount", json_integer(t->resource_count));
	if (t->explicit_settings & SET_PARALLEL)
		json_object_set_new(props, "parallelDeployments", json_integer(t->parallel));
	if (t->explicit_settings & SET_THRESHOLD)
		json_object_set_new(props, "failureThreshold",
				    json_pack("{s:f}", "percentage", t->threshold));
	body = json_pack("{s:o, s:o, s:s, s:s}", "properties", props, "id", lower_json(t->id),
			 "name", t->name, "type", "Microsoft.PolicyInsights/remediations");
	if (t->system_data)
		json_object_set(body, "systemData", t->system_data);
	return body;
}

static struct remediation_task *find_task(struct remediation_set *tasks, const char *id,
					  size_t *index)
{
	struct remediation_task *t = idmap_get(&tasks->by_id, id);
	size_t i;
	if (!t || !index)
		return t;
	for (i = tasks->nr; i-- > 0;) /* the caller replaces or removes it: rare */
		if (tasks->items[i] == t) {
			*index = i;
			break;
		}
	return t;
}

/* The task id from the route: "{scope}/providers/Microsoft.PolicyInsights/remediations/{name}". */
static void task_id(struct armsim_request *req, struct strbuf *id, const char **scope)
{
	*scope = armsim_request_param(req, "scope");
	if (!*scope)
		*scope = "";
	strbuf_addf(id, "%s/providers/Microsoft.PolicyInsights/remediations/%s", *scope,
		    armsim_request_param(req, "remediationName"));
}

/* ---------- discovery ---------- */

struct discovery {
	struct remediation_task *task;
	struct world *w;
	int64_t now;
};

static int location_allowed(const struct remediation_task *t, const char *location)
{
	size_t i;
	if (!json_array_size(t->locations))
		return 1;
	for (i = 0; i < json_array_size(t->locations); i++) {
		const char *l = json_string_value(json_array_get(t->locations, i));
		if (l && location && !strcasecmp(l, location))
			return 1;
	}
	return 0;
}

static void discover_one(const char *resource_id, const char *location, enum record_state state,
			 void *arg)
{
	struct discovery *d = arg;
	struct remediation_task *t = d->task;
	struct remediation_deployment *dep;
	size_t i;

	if (state != RECORD_NON_COMPLIANT || (long)t->nr >= t->resource_count ||
	    !location_allowed(t, location))
		return;
	for (i = 0; i < t->nr; i++)
		if (!strcasecmp(t->deps[i].resource_id, resource_id))
			return;
	ALLOC_GROW(t->deps, t->nr + 1, t->alloc);
	dep = &t->deps[t->nr++];
	memset(dep, 0, sizeof(*dep));
	dep->resource_id = xstrdup(resource_id);
	dep->location = xstrdup(location ? location : "");
	dep->state = DEP_QUEUED;
	dep->created_ms = dep->updated_ms = d->now;
}

static void discover(struct policy_engine *e, struct world *w, struct remediation_task *t,
		     int64_t now)
{
	struct discovery d = { t, w, now };
	engine_for_each_record(e, w, t->scope, t->assignment_id, t->reference_id, discover_one, &d);
}

/* ---------- deployments ---------- */

struct deploy_host {
	struct world *w;
	const char *principal;
	struct strbuf *denied;  /* set when a read is refused */
	const char *read_id;    /* reference() of this id answers read_at_start */
	json_t *read_at_start;
};

static enum template_result deploy_reference(void *data, const char *id, const char *api_version,
					     int full, json_t **out, struct strbuf *err)
{
	struct deploy_host *h = data;
	struct world_resource *r = world_resource_get(h->w, id);
	json_t *view;
	(void)api_version;

	if (!r) {
		strbuf_addf(err, "The Resource '%s' was not found.", id);
		return TEMPLATE_NOT_FOUND;
	}
	if (!authz_allowed(h->w, h->principal, r->id, "Microsoft.Web/sites/read")) {
		strbuf_addf(err, "The client '%s' with object id '%s' does not have authorization to "
			    "perform action 'Microsoft.Web/sites/read' over scope '%s' or the scope "
			    "is invalid. If access was recently granted, please refresh your "
			    "credentials.", h->principal, h->principal, r->id);
		return TEMPLATE_FORBIDDEN;
	}
	/* the deployment's own resource as it read it when it started (see start_deployment) */
	if (h->read_at_start && !strcasecmp(r->id, h->read_id))
		view = json_incref(h->read_at_start);
	else
		view = (!strcasecmp(r->type, WT_SITE) || !strcasecmp(r->type, WT_SLOT)) ?
		       web_site_view(r) : json_incref(r->body);
	*out = full ? json_incref(view) : json_incref(json_object_get(view, "properties"));
	json_decref(view);
	if (!*out)
		*out = json_object();
	return TEMPLATE_OK;
}

static void fail_deployment(struct remediation_deployment *dep, const char *code,
			    const char *message)
{
	dep->state = DEP_FAILED;
	free(dep->error_code);
	free(dep->error_message);
	dep->error_code = xstrdup(code);
	dep->error_message = xstrdup(message);
}

static int deny_authorization(struct world *w, const char *principal, const char *scope,
			      const char *action, struct remediation_deployment *dep)
{
	struct strbuf msg = STRBUF_INIT;
	if (principal && authz_allowed(w, principal, scope, action))
		return 0;
	strbuf_addf(&msg, "The client '%s' with object id '%s' does not have authorization to "
		    "perform action '%s' over scope '%s' or the scope is invalid. If access was "
		    "recently granted, please refresh your credentials.",
		    principal ? principal : "", principal ? principal : "", action, scope);
	fail_deployment(dep, "AuthorizationFailed", msg.buf);
	strbuf_release(&msg);
	return 1;
}

/* A deterministic draw in [0, 1) for the world's failure probability. */
static double draw(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *a; a++)
		h = (h ^ (unsigned char)tolower((unsigned char)*a)) * 1099511628211ULL;
	for (; *b; b++)
		h = (h ^ (unsigned char)tolower((unsigned char)*b)) * 1099511628211ULL;
	return (double)(rng_mix(h) >> 11) / (double)(1ULL << 53);
}

/* Applies one template write: sites and slots through web_site_write (PUT semantics). */
static int apply_write(struct world *w, const struct template_write *wr,
		       struct remediation_deployment *dep)
{
	struct armsim_response resp;
	int failed = 0;

	armsim_response_init(&resp);
	if (!strcasecmp(wr->type, WT_SITE) || !strcasecmp(wr->type, WT_SLOT)) {
		if (!web_site_write(w, wr->resource_id, wr->type, wr->body, WEB_PUT, &resp))
			failed = 1;
	} else if (!strcasecmp(wr->type, "Microsoft.Web/sites/config") ||
		   !strcasecmp(wr->type, "Microsoft.Web/sites/slots/config")) {
		/* config/web: its properties are the site's siteConfig, merged as App Service does */
		size_t len = strlen(wr->resource_id);
		json_t *patch;
		char *site_id;
		if (len < 11 || strcasecmp(wr->resource_id + len - 11, "/config/web")) {
			fail_deployment(dep, "InvalidTemplate", "only the 'web' config is supported");
			armsim_response_release(&resp);
			return 1;
		}
		site_id = xstrndup(wr->resource_id, len - 11);
		patch = json_pack("{s:{s:o}}", "properties", "siteConfig",
				  json_is_object(json_object_get(wr->body, "properties")) ?
				  json_deep_copy(json_object_get(wr->body, "properties")) :
				  json_object());
		if (!web_site_write(w, site_id, strcasecmp(wr->type, "Microsoft.Web/sites/config") ?
				    WT_SLOT : WT_SITE, patch, WEB_PATCH, &resp))
			failed = 1;
		json_decref(patch);
		free(site_id);
	} else {
		/* any other child resource is stored as written */
		struct world_resource *parent;
		const char *slash = strrchr(wr->resource_id, '/');
		char *container = NULL;
		json_t *body = json_deep_copy(wr->body);
		if (slash) {
			const char *type_slash;
			container = xstrndup(wr->resource_id, (size_t)(slash - wr->resource_id));
			type_slash = strrchr(container, '/');
			if (type_slash)
				container[type_slash - container] = '\0';
		}
		parent = container ? world_resource_get(w, container) : NULL;
		if (parent && parent->locked) {
			armsim_response_error(&resp, 409, "ScopeLocked",
					      "The scope '%s' cannot perform write operation because "
					      "following scope(s) are locked: '%s'. Please remove the "
					      "lock and try again.", wr->resource_id, parent->id);
			failed = 1;
			json_decref(body);
		} else {
			json_object_set_new(body, "id", json_string(wr->resource_id));
			json_object_set_new(body, "type", json_string(wr->type));
			world_resource_put(w, wr->resource_id, wr->type, container ? container : "",
					   body, NULL);
		}
		free(container);
	}
	if (failed) {
		/* ARM's {"error": {code, message}} or App Service's own {Code, Message} */
		json_t *error = json_object_get(resp.body, "error");
		const char *code = json_string_value(json_object_get(error ? error : resp.body,
								     error ? "code" : "Code"));
		const char *message = json_string_value(json_object_get(error ? error : resp.body,
									error ? "message" : "Message"));
		fail_deployment(dep, code ? code : "DeploymentFailed",
				message ? message : "the deployment failed");
	}
	armsim_response_release(&resp);
	return failed;
}

/* Runs one deployment now: the member's template (or Modify) as the assignment's identity. */
static void run_deployment(struct policy_engine *e, struct world *w, struct remediation_task *t,
			   struct remediation_deployment *dep)
{
	struct world_resource *assignment = world_resource_get(w, t->assignment_id);
	struct world_resource *r = world_resource_get(w, dep->resource_id);
	const struct engine_assignment *a = NULL;
	const struct engine_member *m = NULL;
	struct strbuf err = STRBUF_INIT, rg_scope = STRBUF_INIT;
	struct template_writes writes = { NULL, 0, 0 };
	json_t *view = NULL, *dparams = NULL;
	char *sub = NULL, *rg = NULL;
	/*
	 * The identity's own copy: a deployment's writes run Deny checks, and a template that
	 * writes a policy resource makes the engine drop what it resolved, `a` included; after
	 * the first write, only this is used.
	 */
	char *principal = NULL;
	size_t i;

	if (!assignment || !(a = engine_assignment_cached(e, w, assignment, &err))) {
		fail_deployment(dep, "PolicyAssignmentNotFound", err.len ? err.buf :
				"The policy assignment no longer exists.");
		goto out;
	}
	principal = a->principal_id ? xstrdup(a->principal_id) : NULL;
	for (i = 0; i < a->nr_members; i++)
		if (!t->reference_id || (a->members[i].reference_id &&
					 !strcasecmp(a->members[i].reference_id, t->reference_id)))
			m = &a->members[i];
	if (!m) {
		fail_deployment(dep, "PolicyDefinitionReferenceNotFound",
				"The policy definition reference no longer exists.");
		goto out;
	}
	if (!r) {
		strbuf_addf(&err, "The Resource '%s' was not found.", dep->resource_id);
		fail_deployment(dep, "ResourceNotFound", err.buf);
		goto out;
	}
	/* the deployment goes into the resource's group: /subscriptions/S/resourceGroups/RG */
	{
		const char *p = strstr(r->id, "/providers/");
		strbuf_add(&rg_scope, r->id, p ? (size_t)(p - r->id) : strlen(r->id));
		sub = xstrndup(rg_scope.buf + 15, strcspn(rg_scope.buf + 15, "/"));
		rg = xstrdup(strrchr(rg_scope.buf, '/') + 1);
	}
	if (deny_authorization(w, principal, rg_scope.buf,
			       "Microsoft.Resources/deployments/write", dep))
		goto out;
	if (draw(t->correlation_id, r->id) < w->knobs.deployment_failure_probability) {
		fail_deployment(dep, "DeploymentFailed",
				"At least one resource deployment operation failed. Please list "
				"deployment operations for details.");
		goto out;
	}
	{
		/* the resource as read at the start: its stored body then, shown as GET shows it */
		struct world_resource read = *r;
		if (dep->read_at_start) {
			read.body = dep->read_at_start;
			read.changed_ms = dep->read_changed_ms;
		}
		view = (!strcasecmp(r->type, WT_SITE) || !strcasecmp(r->type, WT_SLOT)) ?
		       web_site_view(&read) : json_incref(read.body);
	}
	if (m->effect == POLICY_EFFECT_MODIFY) {
		json_t *patched = NULL;
		struct template_write wr;
		if (policy_definition_modify(m->def, m->params, view, "2024-11-01", &patched, &err)) {
			fail_deployment(dep, "InvalidTemplate", err.buf);
			goto out;
		}
		if (deny_authorization(w, principal, r->id, "Microsoft.Web/sites/write", dep)) {
			json_decref(patched);
			goto out;
		}
		wr.resource_id = r->id;
		wr.type = r->type;
		wr.api_version = (char *)"2024-11-01";
		wr.body = patched;
		if (apply_write(w, &wr, dep)) {
			json_decref(patched);
			goto out;
		}
		json_decref(patched);
	} else {
		struct deploy_host host_data = { w, principal, NULL, r->id, view };
		struct template_host host = { NULL, NULL, deploy_reference, &host_data };
		struct template_target target;
		const json_t *tmpl;
		enum template_result res;

		target.subscription_id = sub;
		target.resource_group = rg;
		target.location = json_string_value(json_object_get(view, "location"));
		target.host = &host;
		if (policy_definition_deployment(m->def, m->params, view, &dparams, &tmpl, &err)) {
			fail_deployment(dep, "InvalidTemplate", err.buf);
			goto out;
		}
		res = template_deploy(tmpl, dparams, &target, &writes, &err);
		if (res) {
			fail_deployment(dep, res == TEMPLATE_NOT_FOUND ? "ResourceNotFound" :
					res == TEMPLATE_FORBIDDEN ? "AuthorizationFailed" :
					"InvalidTemplate", err.buf);
			goto out;
		}
		for (i = 0; i < writes.nr; i++) {
			struct strbuf action = STRBUF_INIT;
			int refused;
			strbuf_addf(&action, "%s/write", writes.items[i].type);
			refused = deny_authorization(w, principal, writes.items[i].resource_id,
						     action.buf, dep);
			strbuf_release(&action);
			if (refused || apply_write(w, &writes.items[i], dep))
				goto out;
		}
	}
	dep->state = DEP_SUCCEEDED;
out:
	json_decref(dep->read_at_start); /* done with what it read: running deployments only */
	dep->read_at_start = NULL;
	template_writes_release(&writes);
	json_decref(view);
	json_decref(dparams);
	free(principal);
	strbuf_release(&err);
	strbuf_release(&rg_scope);
	free(sub);
	free(rg);
}

/* Entering Running: every discovered resource gets its deployment (listed as Evaluating). */
static void create_deployments(struct world *w, struct remediation_task *t, int64_t at)
{
	size_t i;
	for (i = 0; i < t->nr; i++) {
		struct remediation_deployment *dep = &t->deps[i];
		char guid[37];
		struct strbuf id = STRBUF_INIT;
		const char *p = strstr(dep->resource_id, "/providers/");
		world_new_guid(w, guid);
		strbuf_add(&id, dep->resource_id, p ? (size_t)(p - dep->resource_id) : 0);
		strbuf_addf(&id, "/providers/Microsoft.Resources/deployments/%s", guid);
		free(dep->deployment_id);
		dep->deployment_id = strbuf_detach(&id, NULL);
		dep->created_ms = dep->updated_ms = at;
	}
}

/*
 * A deployment expands its template when it starts and writes when it ends
 * (deploymentDurationMs later): what it reads of its resource (field() values, reference())
 * is the resource at its start. A template that echoes what it read therefore writes back
 * values that were changed in between, as on Azure (a stopped app restarted by a stale
 * "Running").
 */
static void start_deployment(struct world *w, struct remediation_deployment *dep, int64_t at)
{
	struct world_resource *r = world_resource_get(w, dep->resource_id);
	json_decref(dep->read_at_start);
	/* the stored body only (what the site set): 10,000 running deployments stay small */
	dep->read_at_start = r ? json_deep_copy(r->body) : NULL;
	dep->read_changed_ms = r ? r->changed_ms : 0;
	dep->state = DEP_RUNNING;
	dep->started_ms = dep->updated_ms = at;
}

static size_t running_count(const struct remediation_task *t)
{
	size_t i, n = 0;
	for (i = 0; i < t->nr; i++)
		n += t->deps[i].state == DEP_RUNNING;
	return n;
}

/* Starts queued deployments while fewer than parallelDeployments run, at simulated time `at`. */
static void fill_slots(struct world *w, struct remediation_task *t, int64_t at)
{
	size_t i, running = running_count(t);
	for (i = 0; i < t->nr && (long)running < t->parallel; i++)
		if (t->deps[i].state == DEP_QUEUED) {
			start_deployment(w, &t->deps[i], at);
			running++;
		}
}

static void finish_task(struct remediation_task *t, int64_t at)
{
	size_t ok, failed;
	count_deployments(t, &ok, &failed);
	if (!strcmp(t->state, "Cancelling"))
		t->state = "Canceled";
	else
		t->state = failed ? "Failed" : "Succeeded";
	t->updated_ms = at;
}

static void advance_running(struct policy_engine *e, struct world *w, struct remediation_task *t,
			    int64_t now)
{
	int64_t duration = w->knobs.deployment_duration_ms;

	for (;;) {
		struct remediation_deployment *next = NULL;
		size_t i, ok, failed;
		int64_t end;

		for (i = 0; i < t->nr; i++)
			if (t->deps[i].state == DEP_RUNNING &&
			    (!next || t->deps[i].started_ms < next->started_ms))
				next = &t->deps[i];
		if (!next) {
			finish_task(t, t->updated_ms > now ? t->updated_ms : now);
			return;
		}
		end = next->started_ms + duration;
		if (end > now)
			return;
		run_deployment(e, w, t, next);
		next->updated_ms = end;
		t->updated_ms = end;
		count_deployments(t, &ok, &failed);
		/* past the failure threshold the task stops starting deployments */
		if (t->nr && (double)failed / (double)t->nr > t->threshold) {
			for (i = 0; i < t->nr; i++)
				if (t->deps[i].state == DEP_QUEUED) {
					t->deps[i].state = DEP_CANCELED;
					t->deps[i].updated_ms = end;
				}
			if (!running_count(t)) {
				t->state = "Failed";
				return;
			}
			continue;
		}
		if (strcmp(t->state, "Cancelling"))
			fill_slots(w, t, end);
	}
}

static void advance_task(struct policy_engine *e, struct world *w, struct remediation_task *t,
			 int64_t now)
{
	if (!strcmp(t->state, "Accepted") && now >= t->phase_end_ms) {
		int64_t at = t->phase_end_ms;
		if (t->reevaluate) {
			t->state = "Evaluating";
			t->phase_end_ms = at + w->knobs.scan_duration_ms;
			t->updated_ms = at;
		} else {
			t->state = "Running";
			t->updated_ms = at;
			create_deployments(w, t, at);
			fill_slots(w, t, at);
		}
	}
	if (!strcmp(t->state, "Evaluating") && now >= t->phase_end_ms) {
		int64_t at = t->phase_end_ms;
		engine_evaluate_scope(e, w, t->scope);
		if (t->remediable)
			discover(e, w, t, at);
		t->updated_ms = at;
		if (!t->nr) {
			t->state = "Succeeded";
			return;
		}
		t->state = "Running";
		create_deployments(w, t, at);
		fill_slots(w, t, at);
	}
	if (!strcmp(t->state, "Running") || !strcmp(t->state, "Cancelling"))
		advance_running(e, w, t, now);
}

void remediation_tick(struct remediation_set *tasks, struct policy_engine *e, struct world *w)
{
	int64_t now = simclock_now_ms();
	size_t i;
	size_t active = 0;
	for (i = 0; i < tasks->nr; i++) {
		if (is_terminal(tasks->items[i]))
			continue;
		advance_task(e, w, tasks->items[i], now);
		active += !is_terminal(tasks->items[i]);
	}
	tasks->active = active;
}

/* ---------- handlers ---------- */

static json_t *bad_request(struct armsim_response *resp, const char *name, const char *why)
{
	return armsim_response_error(resp, 400, "InvalidCreateRemediationRequest",
				     "The request to create remediation '%s' is invalid. %s", name, why);
}

static int number_in(const json_t *v, double lo, double hi, double *out)
{
	if (!v)
		return 1;
	if (!json_is_number(v))
		return 0;
	*out = json_number_value(v);
	return *out >= lo && *out <= hi;
}

void remediation_put(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_of(req->world);
	struct remediation_set *tasks;
	struct remediation_task *t = NULL, *old;
	struct strbuf id = STRBUF_INIT, why = STRBUF_INIT;
	const char *scope, *name = armsim_request_param(req, "remediationName");
	const json_t *props = json_object_get(req->body, "properties");
	const char *aid = json_string_value(json_object_get(props, "policyAssignmentId"));
	const char *ref = json_string_value(json_object_get(props, "policyDefinitionReferenceId"));
	const char *mode = json_string_value(json_object_get(props, "resourceDiscoveryMode"));
	const json_t *locations = json_object_get(json_object_get(props, "filters"), "locations");
	struct world_resource *assignment;
	const struct engine_assignment *a;
	const struct engine_member *m = NULL;
	double count = 500, parallel = 10, threshold = 1.0;
	size_t i, active = 0, index = 0;
	int created = 1, remediable;

	task_id(req, &id, &scope);
	if (armsim_scope_exists(req, resp, *scope ? scope : "/"))
		goto out;
	if (req->body_invalid || !json_is_object(props)) {
		armsim_response_error(resp, 400, "InvalidRequestContent",
				      "The request content was invalid and could not be deserialized.");
		goto out;
	}
	policy_engine_lock(e);
	tasks = tasks_of(e);
	old = find_task(tasks, id.buf, &index);
	if (old && !is_terminal(old)) {
		armsim_response_error(resp, 400, "InvalidUpdateRemediationRequest",
				      "The request to update remediation '%s' is invalid. A remediation "
				      "may not be changed or replaced while it is active.", name);
		goto unlock;
	}
	if (!aid) {
		bad_request(resp, name, "The policy assignment ID is required.");
		goto unlock;
	}
	assignment = world_resource_get(req->world, aid);
	if (!assignment || strcasecmp(assignment->type, WT_POLICY_ASSIGNMENT)) {
		strbuf_addf(&why, "The policy assignment '%s' could not be found.", aid);
		bad_request(resp, name, why.buf);
		goto unlock;
	}
	if (mode && strcasecmp(mode, "ExistingNonCompliant") && strcasecmp(mode, "ReEvaluateCompliance")) {
		strbuf_addf(&why, "The resource discovery mode '%s' is not supported.", mode);
		bad_request(resp, name, why.buf);
		goto unlock;
	}
	if (mode && !strcasecmp(mode, "ReEvaluateCompliance") &&
	    armsim_scope_kind(scope) == SCOPE_MANAGEMENT_GROUP) {
		bad_request(resp, name, "Re-evaluating compliance is not supported for remediations "
			    "at management group scope.");
		goto unlock;
	}
	if (!number_in(json_object_get(props, "resourceCount"), 1, 50000, &count) ||
	    !number_in(json_object_get(props, "parallelDeployments"), 1, 30, &parallel) ||
	    !number_in(json_object_get(json_object_get(props, "failureThreshold"), "percentage"),
		       0, 1, &threshold)) {
		bad_request(resp, name, "resourceCount must be 1-50000, parallelDeployments 1-30 and "
			    "failureThreshold.percentage 0.0-1.0.");
		goto unlock;
	}
	if (locations && !json_is_array(locations)) {
		bad_request(resp, name, "filters.locations must be an array.");
		goto unlock;
	}
	if (!(a = engine_assignment_cached(e, req->world, assignment, &why))) {
		bad_request(resp, name, why.buf);
		goto unlock;
	}
	if (a->set_id && !ref) {
		strbuf_addf(&why, "The policy assignment '%s' assigns a policy set definition. "
			    "Remediations must specify a single policy definition reference ID within "
			    "the policy set definition.", aid);
		bad_request(resp, name, why.buf);
		goto unlock;
	}
	for (i = 0; i < a->nr_members; i++)
		if (!a->set_id || (a->members[i].reference_id &&
				  !strcasecmp(a->members[i].reference_id, ref)))
			m = &a->members[i];
	if (!m) {
		strbuf_addf(&why, "The policy definition reference ID '%s' does not exist in the "
			    "policy set definition '%s'.", ref, a->set_id);
		bad_request(resp, name, why.buf);
		goto unlock;
	}
	/*
	 * A policy that cannot deploy (Audit, AuditIfNotExists, Deny, Disabled), alone or as an
	 * initiative member, is accepted and has nothing to do: Azure answers 201 and the task
	 * ends Succeeded with no deployments (the management-group recording does this with an
	 * Audit built-in).
	 */
	remediable = m->effect == POLICY_EFFECT_DEPLOY_IF_NOT_EXISTS ||
		     m->effect == POLICY_EFFECT_MODIFY;
	active = tasks->active;
	if ((long)active >= req->world->knobs.max_remediations) {
		strbuf_addf(&why, "The tenant already runs %zu remediation tasks, the most allowed "
			    "at once.", active);
		bad_request(resp, name, why.buf);
		goto unlock;
	}

	t = xcalloc(1, sizeof(*t));
	t->id = xstrdup(id.buf);
	t->scope = xstrdup(*scope ? scope : "/");
	t->name = xstrdup(name);
	t->assignment_id = xstrdup(assignment->id);
	t->reference_id = ref ? xstrdup(ref) : NULL;
	t->reevaluate = mode && !strcasecmp(mode, "ReEvaluateCompliance");
	t->locations = locations ? json_deep_copy(locations) : NULL;
	t->resource_count = (long)count;
	t->parallel = (long)parallel;
	t->threshold = threshold;
	t->explicit_settings = (json_object_get(props, "resourceCount") ? SET_COUNT : 0) |
			       (json_object_get(props, "parallelDeployments") ? SET_PARALLEL : 0) |
			       (json_object_get(props, "failureThreshold") ? SET_THRESHOLD : 0) |
			       (json_object_get(props, "filters") ? SET_FILTERS : 0);
	t->created_ms = t->updated_ms = simclock_now_ms();
	t->phase_end_ms = t->created_ms + REMEDIATION_ACCEPTED_MS;
	world_new_guid(req->world, t->correlation_id);
	{
		json_t *tmp = json_object();
		armsim_set_system_data(req, tmp, NULL);
		t->system_data = json_incref(json_object_get(tmp, "systemData"));
		json_decref(tmp);
	}
	t->remediable = remediable;
	if (t->reevaluate) {
		t->state = "Accepted";
	} else {
		if (remediable)
			discover(e, req->world, t, t->created_ms);
		/* nothing known to be non-compliant: done before it starts, as Azure answers */
		t->state = t->nr ? "Accepted" : "Succeeded";
	}
	if (old) {
		created = 0;
		task_free(old);
		tasks->items[index] = t;
	} else {
		ALLOC_GROW(tasks->items, tasks->nr + 1, tasks->alloc);
		tasks->items[tasks->nr++] = t;
	}
	idmap_put(&tasks->by_id, t->id, t);
	tasks->active += !is_terminal(t);
	armsim_response_json(resp, created ? 201 : 200, task_json(t));
	resp->is_write = 1;
unlock:
	policy_engine_unlock(e);
out:
	strbuf_release(&id);
	strbuf_release(&why);
}

static struct remediation_task *lookup(struct armsim_request *req, struct armsim_response *resp,
				       struct policy_engine *e, size_t *index)
{
	struct strbuf id = STRBUF_INIT;
	const char *scope;
	struct remediation_task *t;
	task_id(req, &id, &scope);
	t = find_task(tasks_of(e), id.buf, index);
	if (!t && !armsim_scope_exists(req, resp, *scope ? scope : "/"))
		armsim_response_error(resp, 404, "RemediationNotFound",
				      "The remediation '%s' could not be found.",
				      armsim_request_param(req, "remediationName"));
	strbuf_release(&id);
	return t;
}

void remediation_get(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_of(req->world);
	struct remediation_task *t;
	policy_engine_lock(e);
	if ((t = lookup(req, resp, e, NULL)))
		armsim_response_json(resp, 200, task_json(t));
	policy_engine_unlock(e);
}

void remediation_list(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_of(req->world);
	struct remediation_set *tasks;
	const char *scope = armsim_request_param(req, "scope");
	struct armsim_page page;
	json_t *items;
	size_t i, total = 0;

	if (armsim_scope_exists(req, resp, scope && *scope ? scope : "/") ||
	    armsim_page_window(req, resp, &page))
		return;
	items = json_array();
	policy_engine_lock(e);
	tasks = tasks_of(e);
	for (i = tasks->nr; i-- > 0;)  /* newest first, as the recording lists them */
		if (!strcasecmp(tasks->items[i]->scope, scope && *scope ? scope : "/") &&
		    armsim_page_has(&page, total++))
			json_array_append_new(items, task_json(tasks->items[i]));
	policy_engine_unlock(e);
	armsim_respond_window(req, resp, &page, items, total, "nextLink");
}

void remediation_delete(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_of(req->world);
	struct remediation_set *tasks;
	struct remediation_task *t;
	size_t index = 0;

	policy_engine_lock(e);
	tasks = tasks_of(e);
	{
		struct strbuf id = STRBUF_INIT;
		const char *scope;
		task_id(req, &id, &scope);
		t = find_task(tasks, id.buf, &index);
		strbuf_release(&id);
	}
	if (!t) {
		armsim_response_json(resp, 204, NULL);
	} else {
		armsim_response_json(resp, 200, task_json(t));
		memmove(&tasks->items[index], &tasks->items[index + 1],
			(tasks->nr - index - 1) * sizeof(*tasks->items));
		tasks->nr--;
		idmap_remove(&tasks->by_id, t->id);
		if (!is_terminal(t) && tasks->active)
			tasks->active--;
		task_free(t);
	}
	resp->is_write = 1;
	policy_engine_unlock(e);
}

void remediation_cancel(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_of(req->world);
	struct remediation_task *t;
	size_t i;

	policy_engine_lock(e);
	t = lookup(req, resp, e, NULL);
	if (!t)
		goto out;
	advance_task(e, req->world, t, simclock_now_ms());
	if (is_terminal(t)) {
		armsim_response_error(resp, 400, "InvalidCancelRemediationRequest",
				      "The remediation '%s' cannot be canceled because it is already "
				      "in the terminal state '%s'.", t->name, t->state);
		goto out;
	}
	/* queued deployments never start; running ones finish, then the task is Canceled */
	for (i = 0; i < t->nr; i++)
		if (t->deps[i].state == DEP_QUEUED) {
			t->deps[i].state = DEP_CANCELED;
			t->deps[i].updated_ms = simclock_now_ms();
		}
	t->state = "Cancelling";
	t->updated_ms = simclock_now_ms();
	armsim_response_json(resp, 200, task_json(t));
	resp->is_write = 1;
out:
	policy_engine_unlock(e);
}

static const char *deployment_status(enum deployment_state s)
{
	switch (s) {
	case DEP_SUCCEEDED: return "Succeeded";
	case DEP_FAILED: return "Failed";
	case DEP_CANCELED: return "Canceled";
	default: return "Evaluating";
	}
}

void remediation_list_deployments(struct armsim_request *req, struct armsim_response *resp)
{
	struct policy_engine *e = policy_engine_of(req->world);
	struct remediation_task *t;
	struct armsim_page page;
	json_t *items;
	size_t i, total = 0;

	policy_engine_lock(e);
	t = lookup(req, resp, e, NULL);
	if (!t || armsim_page_window(req, resp, &page)) {
		policy_engine_unlock(e);
		return;
	}
	items = json_array();
	for (i = 0; i < t->nr; i++) {
		const struct remediation_deployment *d = &t->deps[i];
		char created[40], updated[40];
		json_t *item;
		if (!d->deployment_id)
			continue; /* not created yet (Accepted, Evaluating, or canceled before) */
		if (!armsim_page_has(&page, total++))
			continue; /* a task over 10,000 sites: build JSON for this page only */
		simclock_format_iso(d->created_ms, created);
		simclock_format_iso(d->updated_ms, updated);
		item = json_pack("{s:o, s:s, s:s, s:s, s:s}",
				 "remediatedResourceId", lower_json(d->resource_id),
				 "status", deployment_status(d->state),
				 "resourceLocation", d->location,
				 "createdOn", created, "lastUpdatedOn", updated);
		if (d->deployment_id)
			json_object_set_new(item, "deploymentId", lower_json(d->deployment_id));
		if (d->error_code)
			json_object_set_new(item, "error", json_pack("{s:s, s:s}", "code", d->error_code,
								     "message", d->error_message));
		json_array_append_new(items, item);
	}
	policy_engine_unlock(e);
	armsim_respond_window(req, resp, &page, items, total, "nextLink");
}
