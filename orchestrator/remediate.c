/*
 * remediate — `remediate`, `track` and `cancel`: remediation tasks from plan to terminal state.
 *
 * remediate records one task per DeployIfNotExists member per assignment scope in the ledger
 * (state "queued", with its deterministic name) before anything is sent, then creates as many
 * as the tenant cap allows. track loads the run's tasks into the tracker (tracker.h) and drives
 * it: creates queued tasks as slots free, polls active ones when due, and shows progress.
 * Before each create the task is marked "planned" in the ledger; a task found "planned" after a
 * crash is looked up (GET) before it is created, so a rerun never makes a second task.
 *
 * A task that ends with failed deployments has them listed (listDeployments) and recorded as
 * failures — resource id, error code and message — before its terminal state is recorded, so
 * a crash in between lists them again instead of losing them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "orchestrator/pairing.h"
#include "orchestrator/phase.h"
#include "orchestrator/progress.h"
#include "orchestrator/tracker.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/strcase.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define BATCH 64

struct task_state;

struct task_call {
	struct task_state *st;
	size_t task;
	int kind;        /* CALL_CREATE_LOOKUP, CALL_CREATE, CALL_POLL, CALL_LIST, CALL_CANCEL,
			  * CALL_POLL_SCOPE */
	int64_t write_id;
	size_t *group;   /* CALL_POLL_SCOPE: the tasks of one scope polled by one list; owned */
	size_t nr_group;
};

enum { CALL_CREATE_LOOKUP, CALL_CREATE, CALL_POLL, CALL_LIST, CALL_CANCEL, CALL_POLL_SCOPE };

struct task_state {
	struct orch_phase ph;
	struct orch *o;
	struct tracker tr;
	struct progress progress;
	struct ledger_task *tasks; /* from the ledger, parallel to tr.tasks */
	size_t nr_tasks;
	long created, create_failed;
	long scope_lists;          /* lists of a scope's remediations sent for several polls */
	int64_t progress_ms;       /* when the last progress point was recorded */
	int driving;               /* drive() runs: callbacks may start due work themselves */
	int64_t slice_end;         /* when drive_loop's current arm_client_run returns */
	struct idmap open_in_scope; /* early scans: scope -> its tasks not yet done (count) */
	char *counted_done;        /* early scans: [task] its end is counted in open_in_scope */
};

static void free_state(struct orch_phase *ph)
{
	struct task_state *st = (struct task_state *)ph;
	idmap_clear(&st->open_in_scope);
	free(st->counted_done);
	tracker_release(&st->tr);
	ledger_tasks_free(st->tasks, st->nr_tasks);
	free(st);
}

static void task_path(struct strbuf *sb, const struct ledger_task *t)
{
	strbuf_addf(sb, "%s/providers/Microsoft.PolicyInsights/remediations/%s", t->scope, t->name);
}

static json_t *task_body(struct orch *o, const struct ledger_task *t)
{
	const struct config *cfg = o->cfg;
	json_t *props = json_pack("{s:s, s:s, s:s, s:I, s:I, s:{s:f}}",
				  "policyAssignmentId", t->assignment_id,
				  "policyDefinitionReferenceId", t->reference_id,
				  "resourceDiscoveryMode", t->discovery,
				  "parallelDeployments", (json_int_t)cfg->remediation_parallel_deployments,
				  "resourceCount", (json_int_t)cfg->remediation_resource_count,
				  "failureThreshold", "percentage", cfg->remediation_failure_threshold);
	if (cfg->remediation_locations.nr) {
		json_t *locs = json_array();
		size_t i;
		for (i = 0; i < cfg->remediation_locations.nr; i++)
			json_array_append_new(locs, json_string(cfg->remediation_locations.items[i]));
		json_object_set_new(props, "filters", json_pack("{s:o}", "locations", locs));
	}
	return json_pack("{s:o}", "properties", props);
}

static void on_call(struct arm_client *client, struct arm_response *resp, void *data);
static void start_due(struct task_state *st, int64_t now);

static void submit(struct task_state *st, size_t task, int kind, const char *method,
		   const char *suffix, const json_t *body, unsigned flags)
{
	struct task_call *call = xcalloc(1, sizeof(*call));
	struct strbuf path = STRBUF_INIT;
	struct arm_call_options opts;
	memset(&opts, 0, sizeof(opts));
	opts.flags = flags;
	call->st = st;
	call->task = task;
	call->kind = kind;
	task_path(&path, &st->tasks[task]);
	strbuf_addstr(&path, suffix);
	if (st->o->ledger_failed ||
	    ((kind == CALL_CREATE || kind == CALL_CANCEL) && st->o->ledger && !st->o->dry_run &&
	     !orch_ledger_check(st->o, ledger_write_intent(st->o->ledger, st->o->run.id, method,
							   path.buf, "", &call->write_id),
				kind == CALL_CREATE ? "the intent of a task's create"
				: "the intent of a task's cancel"))) {
		/* not recorded, not sent: the loop stops with ORCH_LEDGER */
		strbuf_release(&path);
		free(call);
		return;
	}
	st->ph.pending++;
	if (kind == CALL_LIST)
		arm_submit_list(st->o->arm, method, path.buf, NULL, &opts, NULL, on_call, call);
	else
		arm_submit(st->o->arm, method, path.buf, body, &opts, on_call, call);
	strbuf_release(&path);
}

/*
 * A point of the report's chart: the sums over the run's tasks, a query over all of them, so
 * at most one a second (10,000 tasks changing state would otherwise cost 10,000 scans of
 * 10,000 rows); force: now (the end of a drive, so the last point is the final state).
 */
static void record_progress(struct task_state *st, int force)
{
	int64_t now = orch_now_ms();
	if (!st->o->ledger || (!force && now - st->progress_ms < 1000))
		return;
	st->progress_ms = now;
	orch_ledger_check(st->o, ledger_progress_record(st->o->ledger, st->o->run.id),
			  "the report's progress point");
}

/*
 * A task is done: when it was the last of its subscription's, that subscription's verify
 * scan may start (o->early_scans, contain's track).
 */
static void count_done(struct task_state *st, size_t task)
{
	const char *scope = st->tr.tasks[task].scope;
	uintptr_t open;
	if (!st->counted_done || st->counted_done[task] || st->tr.tasks[task].phase != TRACKED_DONE)
		return;
	st->counted_done[task] = 1;
	open = (uintptr_t)idmap_get(&st->open_in_scope, scope);
	if (open > 1) {
		idmap_put(&st->open_in_scope, scope, (void *)(open - 1));
		return;
	}
	idmap_remove(&st->open_in_scope, scope);
	orch_scan_early(st->o, scope + 15);
}

/* Early scans: counts each subscription's open tasks; one with none starts its scan now. */
static void start_early_scans(struct task_state *st)
{
	struct orch *o = st->o;
	size_t i;
	if (!o->early_scans)
		return;
	st->counted_done = xcalloc(st->tr.nr + 1, 1);
	for (i = 0; i < st->tr.nr; i++) {
		const char *scope = st->tr.tasks[i].scope;
		if (st->tr.tasks[i].phase == TRACKED_DONE) {
			st->counted_done[i] = 1;
			continue;
		}
		idmap_put(&st->open_in_scope, scope,
			  (void *)((uintptr_t)idmap_get(&st->open_in_scope, scope) + 1));
	}
	for (i = 0; i < o->assignment_scopes->nr; i++)
		if (!idmap_get(&st->open_in_scope, o->assignment_scopes->items[i]))
			orch_scan_early(o, o->assignment_scopes->items[i] + 15);
}

static void record_state(struct task_state *st, size_t task)
{
	const struct tracked_task *t = &st->tr.tasks[task];
	if (st->o->ledger && t->state) {
		orch_ledger_check(st->o, ledger_task_update(st->o->ledger, st->o->run.id, t->name,
							    t->state, t->total, t->succeeded,
							    t->failed),
				  "a task's state");
		record_progress(st, 0);
	}
	count_done(st, task); /* after its end is recorded */
}

static void read_status(const json_t *body, const char **state, long *total, long *ok, long *failed)
{
	const json_t *ds = jsonutil_path(body, "properties.deploymentStatus");
	*state = jsonutil_path_string(body, "properties.provisioningState");
	*total = (long)json_integer_value(json_object_get(ds, "totalDeployments"));
	*ok = (long)json_integer_value(json_object_get(ds, "successfulDeployments"));
	*failed = (long)json_integer_value(json_object_get(ds, "failedDeployments"));
}

/* An answer with a task body: update tracker, ledger, progress; list failures at the end. */
static void take_answer(struct task_state *st, size_t task, const json_t *body)
{
	const char *state;
	long total, ok, failed;
	int64_t now = orch_now_ms();
	read_status(body, &state, &total, &ok, &failed);
	if (!state)
		state = "Accepted"; /* a body without a state is a task not yet started */
	if (!tracker_answer(&st->tr, task, now, state, total, ok, failed))
		return;
	progress_task_changed(&st->progress, &st->tr, task, now);
	/* failed deployments are listed; so are a management-group task's, to count them per
	 * subscription for the report */
	if (tracker_state_is_terminal(state) && st->o->ledger &&
	    (failed > 0 || !tracker_state_is_success(state) ||
	     (total > 0 && strncasecmp(st->tasks[task].scope, "/subscriptions/", 15)))) {
		/* failures first, terminal state after: see the file comment */
		submit(st, task, CALL_LIST, "POST", "/listDeployments", NULL, ARM_READ);
		if (!tracker_state_is_success(state)) {
			struct strbuf subject = STRBUF_INIT;
			struct strbuf msg = STRBUF_INIT;
			task_path(&subject, &st->tasks[task]);
			strbuf_addf(&msg, "remediation task ended %s: %ld of %ld deployments failed",
				    state, failed, total);
			orch_ledger_check(st->o, ledger_failure_add(st->o->ledger, st->o->run.id,
								    LEDGER_FAILURE_TASK, subject.buf,
								    state, msg.buf, NULL, NULL),
					  "a task's failure");
			strbuf_release(&subject);
			strbuf_release(&msg);
		}
		return;
	}
	record_state(st, task);
}

/* Adds a deployment to per_sub: {"<subscription>": [succeeded, failed]}. */
static void count_per_subscription(json_t *per_sub, const char *resource_id, const char *status)
{
	const char *p, *end;
	char sub[64];
	json_t *counts;
	int failed;
	if (!resource_id || !status || strncasecmp(resource_id, "/subscriptions/", 15))
		return;
	failed = !strcasecmp(status, "Failed");
	if (!failed && strcasecmp(status, "Succeeded"))
		return; /* still running or canceled: neither */
	p = resource_id + 15;
	end = strchr(p, '/');
	snprintf(sub, sizeof(sub), "%.*s", end ? (int)(end - p) : (int)strlen(p), p);
	counts = json_object_get(per_sub, sub);
	if (!counts) {
		counts = json_pack("[i, i]", 0, 0);
		json_object_set_new(per_sub, sub, counts);
	}
	json_array_set_new(counts, (size_t)failed,
			   json_integer(json_integer_value(json_array_get(counts, (size_t)failed)) + 1));
}

static int is_busy_refusal(const struct arm_response *resp)
{
	const char *code = resp->error.code ? resp->error.code : "";
	const char *message = resp->error.message ? resp->error.message : "";
	/* the tenant's task limit (a 400 whose message says so: "the most allowed at once"),
	 * throttling that outlived the client's retries, or a server that did not answer: all
	 * worth another try later */
	return resp->result != ARM_ERR_HTTP || resp->status == 429 || resp->status >= 500 ||
	       http_code_is_throttling(code) ||
	       (strcase_contains(message, "remediation tasks") &&
		(strcase_contains(message, "most allowed") || strcase_contains(message, "limit")));
}

/*
 * The answer to one list of a scope's remediations standing for the polls of call->group:
 * each task found takes its item as its poll's answer; one the list does not show (deleted,
 * or beyond what was listed) is looked up on its own, whose 404 recreates it.
 */
static void take_scope_list(struct task_state *st, struct task_call *call,
			    const struct arm_response *resp, int64_t now)
{
	size_t g, i;
	for (g = 0; g < call->nr_group; g++) {
		size_t task = call->group[g];
		const json_t *item, *found = NULL;
		if (resp->result != ARM_OK) {
			tracker_retry(&st->tr, task, now, 0);
			continue;
		}
		json_array_foreach(resp->body, i, item) {
			const char *name = json_string_value(json_object_get(item, "name"));
			if (name && !strcasecmp(name, st->tasks[task].name)) {
				found = item;
				break;
			}
		}
		if (found)
			take_answer(st, task, found);
		else
			submit(st, task, CALL_POLL, "GET", "", NULL, 0);
	}
	if (resp->result != ARM_OK)
		msg_debug("listing remediations at '%s': %s", st->tasks[call->group[0]].scope,
			  arm_result_name(resp->result));
}

/* Whether a task of call (its group, for a scope list) is next due before when. */
static int due_before(const struct task_state *st, const struct task_call *call, int64_t when)
{
	size_t i;
	if (!call->group)
		return st->tr.tasks[call->task].phase == TRACKED_ACTIVE &&
		       st->tr.tasks[call->task].next_at < when;
	for (i = 0; i < call->nr_group; i++)
		if (st->tr.tasks[call->group[i]].phase == TRACKED_ACTIVE &&
		    st->tr.tasks[call->group[i]].next_at < when)
			return 1;
	return 0;
}

static void on_call(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct task_call *call = data;
	struct task_state *st = call->st;
	struct orch *o;
	size_t task = call->task;
	int64_t now = orch_now_ms();
	(void)client;
	if (!orch_phase_arrive(&st->ph)) {
		free(call->group);
		free(call);
		return;
	}
	o = st->o;
	orch_record_answer(o, call->write_id, resp, "a task request's answer");
	switch (call->kind) {
	case CALL_POLL_SCOPE:
		take_scope_list(st, call, resp, now);
		break;
	case CALL_CREATE_LOOKUP:
	case CALL_POLL:
		if (resp->result == ARM_OK) {
			take_answer(st, task, resp->body);
		} else if (resp->result == ARM_ERR_HTTP && resp->status == 404) {
			/* never created (lost before the PUT), or deleted by someone: create it */
			tracker_not_found(&st->tr, task, now);
		} else {
			msg_debug("task '%s': %s", st->tasks[task].name, arm_result_name(resp->result));
			tracker_retry(&st->tr, task, now, 0);
		}
		break;
	case CALL_CREATE:
		if (resp->result == ARM_OK) {
			st->created++;
			if (resp->dry_run) {
				tracker_give_up(&st->tr, task, "Succeeded");
				break;
			}
			take_answer(st, task, resp->body);
		} else if (resp->result == ARM_ERR_HTTP &&
			   (resp->status == 409 ||
			    strcase_contains(resp->error.code ? resp->error.code : "", "InvalidUpdateRemediation"))) {
			/* "an active task with the same name cannot be re-sent": our create got
			 * through before (a retry after a dropped answer, a previous process): adopt it */
			st->tr.tasks[task].maybe_exists = 1;
			tracker_retry(&st->tr, task, now, 1);
		} else if (is_busy_refusal(resp)) {
			msg_debug("task '%s' refused for now (%s): queued again", st->tasks[task].name,
				  resp->error.code ? resp->error.code : arm_result_name(resp->result));
			tracker_retry(&st->tr, task, now, 0);
		} else {
			struct strbuf subject = STRBUF_INIT;
			task_path(&subject, &st->tasks[task]);
			orch_record_failure(o, LEDGER_FAILURE_TASK, subject.buf, &resp->error);
			strbuf_release(&subject);
			tracker_give_up(&st->tr, task, "CreateFailed");
			st->create_failed++;
			record_state(st, task);
			progress_task_changed(&st->progress, &st->tr, task, now);
		}
		break;
	case CALL_LIST:
		if (resp->result == ARM_OK) {
			json_t *dep, *per_sub = json_object(), *val;
			const char *sub_key;
			size_t i;
			json_array_foreach(resp->body, i, dep) {
				const char *status = json_string_value(json_object_get(dep, "status"));
				const char *rid = json_string_value(json_object_get(dep, "remediatedResourceId"));
				const char *code = jsonutil_path_string(dep, "error.code");
				const char *message = jsonutil_path_string(dep, "error.message");
				const char *dep_id = json_string_value(json_object_get(dep, "deploymentId"));
				struct strbuf msg = STRBUF_INIT, line = STRBUF_INIT;
				count_per_subscription(per_sub, rid, status);
				if (!status || strcasecmp(status, "Failed"))
					continue;
				strbuf_addf(&msg, "%s%s%s%s", message ? message : "deployment failed",
					    dep_id ? " (deployment " : "", dep_id ? dep_id : "",
					    dep_id ? ")" : "");
				/* rid, code and message come from the network: no escape sequence
				 * of theirs reaches the terminal */
				strbuf_addstr(&line, "  failed deployment ");
				msg_escape_into(&line, rid ? rid : "?");
				strbuf_addstr(&line, ": ");
				msg_escape_into(&line, code ? code : "error");
				strbuf_addstr(&line, ": ");
				msg_escape_into(&line, msg.buf);
				progress_print_line(&st->progress, o->out, line.buf);
				strbuf_release(&line);
				if (o->ledger)
					orch_ledger_check(o, ledger_failure_add(o->ledger, o->run.id,
										LEDGER_FAILURE_DEPLOYMENT, rid,
										code ? code : "DeploymentFailed",
										msg.buf, resp->request_id,
										arm_client_correlation_id(o->arm)),
							  "a failed deployment");
				strbuf_release(&msg);
			}
			if (o->ledger && strncasecmp(st->tasks[task].scope, "/subscriptions/", 15))
				json_object_foreach(per_sub, sub_key, val)
					orch_ledger_check(o, ledger_task_sub_counts_set(
							o->ledger, o->run.id, st->tasks[task].name, sub_key,
							(long)json_integer_value(json_array_get(val, 0)),
							(long)json_integer_value(json_array_get(val, 1))),
							  "a task's deployments per subscription");
			json_decref(per_sub);
		} else {
			struct strbuf subject = STRBUF_INIT;
			task_path(&subject, &st->tasks[task]);
			orch_record_failure(o, LEDGER_FAILURE_TASK, subject.buf, &resp->error);
			strbuf_release(&subject);
		}
		record_state(st, task);
		break;
	case CALL_CANCEL:
		if (resp->result == ARM_OK) {
			take_answer(st, task, resp->body);
			record_state(st, task);
		} else {
			struct strbuf subject = STRBUF_INIT;
			task_path(&subject, &st->tasks[task]);
			orch_record_failure(o, LEDGER_FAILURE_TASK, subject.buf, &resp->error);
			strbuf_release(&subject);
		}
		break;
	}
	/* a poll this answer scheduled before the loop's next turn: end the turn early, or the
	 * poll would leave up to a slice late (with the tenant full, that adds to every wave) */
	if (st->driving && due_before(st, call, st->slice_end))
		arm_client_return_soon(o->arm);
	free(call->group);
	free(call);
	/* a slot freed by this answer goes to the next queued task now, not at the next
	 * turn of the loop: with a full tenant, every turn's delay would add to each wave */
	if (st->driving && !orch_interrupted)
		start_due(st, orch_now_ms());
}

/*
 * Polls the due tasks of acts: where two or more share a scope, one list of the scope's
 * remediations answers them all (one request instead of one per task); a lone task is a GET.
 */
static void poll_due(struct task_state *st, const struct tracker_action *acts, size_t n)
{
	char taken[BATCH] = { 0 };
	size_t i, j;
	for (i = 0; i < n; i++) {
		struct task_call *call;
		struct strbuf path = STRBUF_INIT;
		struct arm_call_options opts;
		const char *scope;
		size_t same = 0;
		if (acts[i].kind != TRACKER_POLL || taken[i])
			continue;
		scope = st->tasks[acts[i].task].scope;
		for (j = i + 1; j < n; j++)
			same += acts[j].kind == TRACKER_POLL && !taken[j] &&
				!strcasecmp(st->tasks[acts[j].task].scope, scope);
		if (!same) {
			submit(st, acts[i].task, CALL_POLL, "GET", "", NULL, 0);
			continue;
		}
		call = xcalloc(1, sizeof(*call));
		call->st = st;
		call->kind = CALL_POLL_SCOPE;
		call->group = xcalloc(same + 1, sizeof(*call->group));
		call->group[call->nr_group++] = acts[i].task;
		for (j = i + 1; j < n; j++)
			if (acts[j].kind == TRACKER_POLL && !taken[j] &&
			    !strcasecmp(st->tasks[acts[j].task].scope, scope)) {
				call->group[call->nr_group++] = acts[j].task;
				taken[j] = 1;
			}
		call->task = acts[i].task;
		memset(&opts, 0, sizeof(opts));
		opts.max_pages = 10;
		strbuf_addf(&path, "%s/providers/Microsoft.PolicyInsights/remediations", scope);
		st->ph.pending++;
		st->scope_lists++;
		arm_submit_list(st->o->arm, "GET", path.buf, NULL, &opts, NULL, on_call, call);
		strbuf_release(&path);
	}
}

static void start_due(struct task_state *st, int64_t now)
{
	struct tracker_action acts[BATCH];
	size_t n, i;
	do {
		n = tracker_due(&st->tr, now, acts, BATCH);
		poll_due(st, acts, n);
		for (i = 0; i < n; i++) {
			size_t task = acts[i].task;
			struct tracked_task *t = &st->tr.tasks[task];
			if (acts[i].kind != TRACKER_CREATE) {
				continue; /* polled above */
			} else if (t->maybe_exists && !st->o->dry_run) {
				submit(st, task, CALL_CREATE_LOOKUP, "GET", "", NULL, 0);
			} else {
				json_t *body = task_body(st->o, &st->tasks[task]);
				/* the name is fixed; now say the PUT may have left */
				if (st->o->ledger && !st->o->dry_run)
					orch_ledger_check(st->o, ledger_task_update(
							st->o->ledger, st->o->run.id, t->name,
							ledger_task_state_name(LEDGER_TASK_PLANNED), 0, 0, 0),
							  "that a task's create may have left");
				/* submit sends nothing once the ledger has failed */
				submit(st, task, CALL_CREATE, "PUT", "", body, 0);
				json_decref(body);
			}
		}
	} while (n == BATCH);
}

static struct task_state *load(struct orch *o)
{
	struct task_state *st = xcalloc(1, sizeof(*st));
	long cap = o->cfg->remediation_max_concurrent_tasks;
	size_t i;
	/* others' active tasks hold some of the tenant's slots (preflight counted them) */
	if (o->task_slots > 0 && o->task_slots < cap)
		cap = o->task_slots;
	st->ph.free_fn = free_state;
	st->o = o;
	tracker_init(&st->tr, cap, o->cfg->remediation_poll_interval);
	progress_init(&st->progress, o->out, o->live, orch_now_ms());
	if (o->ledger)
		orch_ledger_check(o, ledger_task_list(o->ledger, o->run.id, &st->tasks, &st->nr_tasks),
				  "(read) the run's tasks");
	for (i = 0; i < st->nr_tasks; i++) {
		struct ledger_task *t = &st->tasks[i];
		tracker_add(&st->tr, t->name, t->scope, t->state, t->total, t->succeeded, t->failed, t);
	}
	return st;
}

/*
 * Drives the tracker. until_created: stop once nothing more can be created now (remediate);
 * else run until every task is terminal (track).
 */
static enum orch_result drive_loop(struct task_state *st, int until_created, int64_t deadline)
{
	struct orch *o = st->o;
	st->driving = 1;
	for (;;) {
		int64_t now = orch_now_ms(), wake;
		size_t i, creating = 0, queued = 0;
		if (o->ledger_failed)
			return ORCH_LEDGER; /* nothing more is sent: see orch_ledger_check */
		if (orch_interrupted)
			return ORCH_INTERRUPTED;
		if (deadline && now >= deadline)
			return ORCH_TIMEOUT;
		start_due(st, now);
		if (o->ledger_failed)
			return ORCH_LEDGER;
		if (until_created) {
			for (i = 0; i < st->tr.nr; i++) {
				creating += st->tr.tasks[i].phase == TRACKED_CREATING;
				queued += st->tr.tasks[i].phase == TRACKED_QUEUED;
			}
			/* polls still in flight are left to track (their answers are dropped) */
			if (!creating && (!queued || st->tr.active >= (size_t)st->tr.max_active))
				return ORCH_OK;
		} else if (tracker_finished(&st->tr) && !st->ph.pending) {
			return ORCH_OK;
		}
		if (!until_created)
			progress_tick(&st->progress, &st->tr, now, 0);
		wake = tracker_next_wakeup(&st->tr);
		if (arm_client_pending(o->arm)) {
			/* come back when the next poll is due, at most 100 ms later (signals) */
			long slice = wake == INT64_MAX || wake - now >= 100 ? 100
				     : wake > now ? (long)(wake - now) : 1;
			st->slice_end = now + slice;
			arm_client_run(o->arm, slice);
		} else {
			/* nothing in flight: wait for the next due poll (at most 100 ms at a time) */
			struct timespec ts = { 0, 100 * 1000000L };
			if (wake != INT64_MAX && wake - now < 100)
				ts.tv_nsec = (wake > now ? wake - now : 0) * 1000000L;
			if (ts.tv_nsec)
				nanosleep(&ts, NULL);
		}
	}
}

static enum orch_result drive(struct task_state *st, int until_created, int64_t deadline)
{
	enum orch_result ret = drive_loop(st, until_created, deadline);
	st->driving = 0;
	if (ret != ORCH_LEDGER)
		record_progress(st, 1);
	return ret;
}

static const char *discovery_for(struct orch *o, const char *scope, struct ledger_scan *scans,
				 size_t nr_scans)
{
	const char *mode = o->cfg->remediation_resource_discovery;
	size_t i;
	if (strcmp(mode, "auto"))
		return mode;
	if (strncasecmp(scope, "/subscriptions/", 15))
		return "ExistingNonCompliant"; /* the only mode Azure allows at a management group */
	/* after a scan of this run the results are fresh: re-evaluating would only cost time */
	for (i = 0; i < nr_scans; i++)
		if (!strcasecmp(scans[i].subscription, scope + 15) && !strcmp(scans[i].state, "Succeeded"))
			return "ExistingNonCompliant";
	return "ReEvaluateCompliance";
}

/* ---- which pairs have something to fix: one summarize per assignment scope ---- */

struct summary_state {
	struct orch_phase ph;
	struct orch *o;
	const struct string_list *refs;
	long *counts;   /* [scope * refs->nr + ref]; PAIRING_UNKNOWN where not read */
	size_t unread;  /* scopes whose summary could not be read */
};

struct summary_call {
	struct summary_state *st;
	size_t scope;
};

static void free_summary(struct orch_phase *ph)
{
	struct summary_state *st = (struct summary_state *)ph;
	free(st->counts);
	free(st);
}

static void on_summary(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct summary_call *call = data;
	struct summary_state *st = call->st;
	size_t a = call->scope;
	(void)client;
	free(call);
	if (!orch_phase_arrive(&st->ph))
		return;
	if (resp->result != ARM_OK ||
	    pairing_read_summary(resp->body, st->o->assignment_ids->items[a], st->refs,
				 &st->counts[a * st->refs->nr])) {
		/* not knowing is no reason to skip: every pair of this scope gets its task */
		msg_warning("policy states of '%s' could not be summarized (%s): every member gets "
			    "a remediation task", st->o->assignment_scopes->items[a],
			    resp->result != ARM_OK ? (resp->error.code ? resp->error.code
						     : arm_result_name(resp->result))
			    : "not a summary");
		st->unread++;
	}
}

/*
 * Reads, for every assignment scope whose tasks would be ExistingNonCompliant, how many
 * resources each member has non-compliant (pairing.h). *out: [scope * refs + ref], owned by
 * the caller; PAIRING_UNKNOWN where no summary was read.
 */
static enum orch_result summarize_pairs(struct orch *o, const struct string_list *refs,
					struct ledger_scan *scans, size_t nr_scans, long **out)
{
	struct summary_state *st = xcalloc(1, sizeof(*st));
	struct arm_call_options opts;
	size_t a, i, n = o->assignment_scopes->nr * refs->nr;
	enum orch_result ret;

	st->ph.free_fn = free_summary;
	st->o = o;
	st->refs = refs;
	st->counts = xcalloc(n + 1, sizeof(*st->counts));
	for (i = 0; i < n; i++)
		st->counts[i] = PAIRING_UNKNOWN;
	memset(&opts, 0, sizeof(opts));
	opts.flags = ARM_READ;
	for (a = 0; a < o->assignment_scopes->nr; a++) {
		const char *scope = o->assignment_scopes->items[a];
		struct strbuf path = STRBUF_INIT, filter = STRBUF_INIT, query = STRBUF_INIT;
		struct summary_call *call;
		if (!pairing_needs_summary(discovery_for(o, scope, scans, nr_scans)))
			continue;
		strbuf_addf(&path, "%s/providers/Microsoft.PolicyInsights/policyStates/latest/summarize",
			    scope);
		strbuf_addf(&filter, "PolicyAssignmentId eq '%s'", o->assignment_ids->items[a]);
		strbuf_addstr(&query, "$filter=");
		strbuf_add_urlencoded(&query, filter.buf);
		opts.query = query.buf;
		call = xcalloc(1, sizeof(*call));
		call->st = st;
		call->scope = a;
		st->ph.pending++;
		arm_submit(o->arm, "POST", path.buf, NULL, &opts, on_summary, call);
		strbuf_release(&path);
		strbuf_release(&filter);
		strbuf_release(&query);
	}
	ret = orch_pump(o, &st->ph.pending, o->deadline_ms);
	if (!ret) {
		*out = st->counts;
		st->counts = NULL;
	}
	orch_phase_leave(&st->ph);
	return ret;
}

/*
 * Records in the ledger the tasks of every (scope, member) pair with something to fix, and
 * how many pairs were skipped (note "pairs_skipped", written last: a rerun that finds it
 * knows the plan is complete and keeps it; one that does not plans again, which is
 * idempotent).
 */
static enum orch_result plan_tasks(struct orch *o, const struct string_list *refs)
{
	struct ledger_scan *scans = NULL;
	size_t nr_scans = 0, a, r, skipped = 0;
	long *counts = NULL;
	char *done = NULL, text[32];
	enum ledger_result lr;
	enum orch_result ret;

	lr = ledger_note_get(o->ledger, o->run.id, "pairs_skipped", &done);
	free(done);
	if (lr == LEDGER_OK)
		return ORCH_OK;
	if (lr != LEDGER_ERR_NOT_FOUND) {
		orch_ledger_check(o, lr, "(read) the pairs skipped");
		return ORCH_LEDGER;
	}
	if (!orch_ledger_check(o, ledger_scan_list(o->ledger, o->run.id, &scans, &nr_scans),
			       "(read) the run's scans"))
		return ORCH_LEDGER;
	ret = summarize_pairs(o, refs, scans, nr_scans, &counts);
	for (a = 0; !ret && a < o->assignment_scopes->nr; a++) {
		for (r = 0; r < refs->nr; r++) {
			struct ledger_task t = { 0 };
			const char *scope = o->assignment_scopes->items[a];
			const char *discovery = discovery_for(o, scope, scans, nr_scans);
			if (pairing_decide(discovery, counts[a * refs->nr + r]) != PAIRING_TASK) {
				skipped++;
				continue;
			}
			t.name = ledger_task_name(o->run.uid, scope, refs->items[r]);
			t.scope = (char *)scope;
			t.assignment_id = o->assignment_ids->items[a];
			t.reference_id = refs->items[r];
			t.discovery = (char *)discovery;
			orch_ledger_check(o, ledger_task_plan(o->ledger, o->run.id, &t), "a planned task");
			free(t.name);
		}
	}
	ledger_scans_free(scans, nr_scans);
	free(counts);
	if (ret)
		return ret;
	if (o->ledger_failed)
		return ORCH_LEDGER;
	snprintf(text, sizeof(text), "%zu", skipped);
	if (!orch_ledger_check(o, ledger_note_set(o->ledger, o->run.id, "pairs_skipped", text),
			       "the pairs skipped"))
		return ORCH_LEDGER;
	msg_note("remediate: %zu of %zu (scope, member) pairs get a task; %zu skipped%s%s",
		 o->assignment_scopes->nr * refs->nr - skipped, o->assignment_scopes->nr * refs->nr,
		 skipped, skipped ? ": " : "",
		 skipped ? pairing_decision_reason(PAIRING_SKIP_NOTHING_TO_FIX) : "");
	return ORCH_OK;
}

enum orch_result orch_remediate(struct orch *o)
{
	size_t a, r, i, queued = 0;
	struct task_state *st;
	enum orch_result ret;
	const struct string_list *refs = o->set ? &o->set->reference_ids : NULL;

	if (!refs || !refs->nr) {
		msg_error("no DeployIfNotExists member to remediate: check [assignment] effect");
		return ORCH_USAGE;
	}
	if (o->cfg->scope_management_group &&
	    !strcmp(o->cfg->remediation_resource_discovery, "ReEvaluateCompliance")) {
		msg_error("config '%s': key 'resource_discovery': ReEvaluateCompliance is not supported "
			  "at management-group scope; expected one of auto|ExistingNonCompliant",
			  o->cfg->path ? o->cfg->path : "policyctl.ini");
		return ORCH_USAGE;
	}
	if (o->ledger) {
		if ((ret = plan_tasks(o, refs)))
			return ret;
		if (o->ledger_failed)
			return ORCH_LEDGER;
		st = load(o);
	} else {
		/* dry run: the same tasks, shown and not recorded */
		st = load(o);
		st->tasks = xcalloc(o->assignment_scopes->nr * refs->nr + 1, sizeof(*st->tasks));
		for (a = 0; a < o->assignment_scopes->nr; a++)
			for (r = 0; r < refs->nr; r++) {
				struct ledger_task *t = &st->tasks[st->nr_tasks++];
				t->name = ledger_task_name("dryrun0000000000", o->assignment_scopes->items[a],
							   refs->items[r]);
				t->scope = xstrdup(o->assignment_scopes->items[a]);
				t->assignment_id = xstrdup(o->assignment_ids->items[a]);
				t->reference_id = xstrdup(refs->items[r]);
				t->discovery = xstrdup(discovery_for(o, t->scope, NULL, 0));
				t->state = xstrdup(ledger_task_state_name(LEDGER_TASK_QUEUED));
			}
		for (i = 0; i < st->nr_tasks; i++)
			tracker_add(&st->tr, st->tasks[i].name, st->tasks[i].scope, NULL, 0, 0, 0, NULL);
		st->tr.max_active = (long)st->nr_tasks + 1;
	}
	/* creating prints one line per task in a pipe; on a terminal track shows it all */
	progress_set_output(&st->progress, o->live ? NULL : o->out, 0);
	ret = drive(st, 1, o->deadline_ms);
	for (i = 0; i < st->tr.nr; i++)
		queued += st->tr.tasks[i].phase == TRACKED_QUEUED;
	if (!ret)
		msg_note("remediate: %zu tasks, %ld created now, %zu queued for a free slot "
			 "(at most %ld active)", st->tr.nr, st->created, queued,
			 o->cfg->remediation_max_concurrent_tasks);
	if (!ret && st->create_failed)
		ret = ORCH_FAILED;
	orch_phase_leave(&st->ph);
	return ret;
}

enum orch_result orch_track(struct orch *o, long timeout_ms)
{
	struct task_state *st = load(o);
	enum orch_result ret;
	int64_t deadline = timeout_ms > 0 ? orch_now_ms() + timeout_ms : 0;
	size_t i;
	long failed = 0;

	if (o->ledger_failed) {
		orch_phase_leave(&st->ph);
		return ORCH_LEDGER;
	}
	if (!st->tr.nr) {
		msg_note("track: run %s has no remediation task", o->run.uid);
		orch_phase_leave(&st->ph);
		return ORCH_OK;
	}
	start_early_scans(st);
	ret = drive(st, 0, deadline);
	progress_finish(&st->progress, &st->tr, orch_now_ms());
	if (st->scope_lists)
		msg_debug("track: %ld lists of a scope's remediations answered several polls each",
			  st->scope_lists);
	for (i = 0; i < st->tr.nr; i++)
		if (!tracker_state_is_success(st->tr.tasks[i].state) || st->tr.tasks[i].failed)
			failed++;
	if (ret == ORCH_TIMEOUT)
		msg_error("track: deadline passed with %zu of %zu tasks still running; "
			  "'policyctl track' continues", st->tr.nr - st->tr.done, st->tr.nr);
	else if (!ret && failed)
		ret = ORCH_FAILED;
	orch_phase_leave(&st->ph);
	return ret;
}

enum orch_result orch_cancel(struct orch *o)
{
	struct task_state *st = load(o);
	enum orch_result ret;
	size_t i, sent = 0;

	for (i = 0; i < st->tr.nr; i++) {
		struct tracked_task *t = &st->tr.tasks[i];
		if (t->phase == TRACKED_DONE)
			continue;
		if (t->phase == TRACKED_QUEUED && !t->maybe_exists) {
			/* never sent: nothing to cancel in Azure, only in the ledger */
			tracker_give_up(&st->tr, i, "Canceled");
			record_state(st, i);
			continue;
		}
		submit(st, i, CALL_CANCEL, "POST", "/cancel", NULL, ARM_IDEMPOTENT);
		sent++;
	}
	ret = orch_pump(o, &st->ph.pending, o->deadline_ms);
	if (ret != ORCH_LEDGER)
		record_progress(st, 1);
	if (!ret)
		msg_note("cancel: %zu tasks asked to cancel; 'policyctl track' follows them to Canceled",
			 sent);
	orch_phase_leave(&st->ph);
	return ret;
}
