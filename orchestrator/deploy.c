/*
 * deploy — `plan` and `apply`: bring definitions, initiative, assignments and the
 * assignments' role assignments to the desired state, writing only what differs.
 *
 * Each assignment scope is a pipeline of its own: its resources are rendered when it starts
 * (deploy_set_scope: a 2,500-subscription tenant never has every body in memory), read at
 * once, then written stage by stage in dependency order (definitions → initiative →
 * assignment → role assignments), and released when its last stage is answered. Up to a
 * window of scopes run at once (from [run] concurrency), so independent scopes overlap and
 * one slow scope holds up nobody else; a scope whose write failed sends none of its later
 * stages. Each resource read is compared with the desired body (orch_json_contains): an
 * equal one is left alone, so rerunning apply on an applied tenant sends no write. One the
 * preflight of this run read and found absent (o->found_absent) is created without a second
 * read. Every write is recorded in the ledger before it is sent and its outcome after.
 *
 * Role assignments get deterministic names (a UUID from scope, principal and role), so a rerun
 * finds its own; 409 RoleAssignmentExists counts as success. A new identity may not have
 * replicated yet: PrincipalNotFound is retried with backoff until [run] principal_timeout,
 * and the final message says whether the principal was ever seen (by another role assignment
 * of this run), which tells lagging replication from a wrong identity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "orchestrator/phase.h"
#include "lib/digest.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct deploy_state;
struct scope_work;

/* What a scope is doing; each stage starts when the previous one's calls are all answered. */
enum scope_stage {
	STAGE_READ,        /* GET every resource of the scope */
	STAGE_DEFINITIONS, /* PUT the definitions that differ */
	STAGE_INITIATIVE,
	STAGE_ASSIGNMENT,
	STAGE_ROLES,       /* the assignment identity's role assignments */
	STAGE_DONE,
};

struct deploy_item {
	struct scope_work *sw;
	const char *id;          /* borrowed from sw->set, or role_path below */
	const json_t *desired;   /* borrowed */
	enum deploy_kind kind;
	int64_t write_id;
	/* role assignments only */
	char *role_path;         /* owned: the role assignment's resource id */
	json_t *role_body;       /* owned */
	int64_t first_try_ms;
	long backoff_ms;
	int is_role;
	int needs_write;         /* the read found it missing (2) or different (1) */
};

/* One assignment scope on its way through the stages; freed when it is done. */
struct scope_work {
	struct deploy_state *st;
	size_t index;              /* into o->assignment_scopes / o->assignment_ids */
	struct deploy_set set;     /* owned: this scope's rendered resources */
	struct deploy_item *items; /* owned: the set's resources, then role assignments */
	size_t nr_items;
	size_t waiting;            /* calls and retry timers of the current stage */
	enum scope_stage stage;
	int failed;                /* a read or write failed: no later stage is sent */
	char *principal;           /* owned: the assignment identity's principal id, or NULL */
	int principal_fresh;       /* the assignment was created now: no role assignment yet */
};

/* A body serialized once for both its digest (the ledger's intent) and the request. */
struct body_text {
	json_t *body;            /* a reference: the pointer cannot be reused while cached */
	struct strbuf text;
	char hex[DIGEST_SHA256_HEX_SIZE];
};

/* Definitions' bodies are shared by every scope (render_memo): kept serialized. */
#define SHARED_BODIES 8

struct deploy_state {
	struct orch_phase ph;
	struct body_text shared[SHARED_BODIES];
	size_t next_shared;        /* the slot the next new shared body takes */
	struct orch *o;
	int plan_only;
	struct scope_work **works; /* per scope: owned while it runs, NULL before and after */
	size_t nr_scopes, next_scope, running, window;
	size_t remaining;          /* scopes not yet done: what the pump waits for */
	int principal_seen;        /* some role assignment for a principal succeeded */
	long created, updated, unchanged, failed;
	long stopped[STAGE_DONE];  /* scopes stopped after a failure in that stage */
};

static void free_work(struct scope_work *sw)
{
	size_t i;
	for (i = 0; i < sw->nr_items; i++) {
		free(sw->items[i].role_path);
		json_decref(sw->items[i].role_body);
	}
	free(sw->items);
	free(sw->principal);
	deploy_set_release(&sw->set);
	free(sw);
}

static void free_state(struct orch_phase *ph)
{
	struct deploy_state *st = (struct deploy_state *)ph;
	size_t i;
	for (i = 0; i < st->nr_scopes; i++)
		if (st->works[i])
			free_work(st->works[i]);
	free(st->works);
	for (i = 0; i < SHARED_BODIES; i++) {
		json_decref(st->shared[i].body);
		strbuf_release(&st->shared[i].text);
	}
	free(st);
}

static void body_text_set(struct body_text *bt, const json_t *body)
{
	json_decref(bt->body);
	bt->body = json_incref((json_t *)body);
	strbuf_reset(&bt->text);
	jsonutil_add_compact(&bt->text, body);
	digest_sha256_hex(bt->text.buf, bt->text.len, bt->hex);
}

/*
 * body serialized and digested: from the cache when it is a definition's (shared by every
 * scope), else into *own (the caller releases its text and reference).
 */
static const struct body_text *serialize(struct deploy_state *st, const struct deploy_item *it,
					 const json_t *body, struct body_text *own)
{
	size_t i;
	if (it->is_role || it->kind != DEPLOY_POLICY_DEFINITION) {
		body_text_set(own, body);
		return own;
	}
	for (i = 0; i < SHARED_BODIES; i++)
		if (st->shared[i].body == body)
			return &st->shared[i];
	i = st->next_shared++ % SHARED_BODIES;
	body_text_set(&st->shared[i], body);
	return &st->shared[i];
}

static const char *stage_word(enum scope_stage stage)
{
	switch (stage) {
	case STAGE_READ: return "read";
	case STAGE_DEFINITIONS: return "policy definition";
	case STAGE_INITIATIVE: return "initiative";
	case STAGE_ASSIGNMENT: return "assignment";
	case STAGE_ROLES: return "role assignment";
	default: return "?";
	}
}

static void keep_principal(struct scope_work *sw, const json_t *body)
{
	const char *p = jsonutil_path_string(body, "identity.principalId");
	if (p && *p) {
		free(sw->principal);
		sw->principal = xstrdup(p);
	}
}

static void on_put(struct arm_client *client, struct arm_response *resp, void *data);
static void send_role(struct deploy_item *it);
static void advance(struct scope_work *sw);

static void on_retry_timer(struct arm_client *client, void *data)
{
	(void)client;
	send_role(data);
}

/* Sends a write once its intent is recorded; counts it in the scope's stage. */
static void send_put(struct deploy_item *it, const json_t *body, const char *path)
{
	struct scope_work *sw = it->sw;
	struct deploy_state *st = sw->st;
	struct orch *o = st->o;
	struct strbuf what = STRBUF_INIT;
	struct arm_call_options opts;
	struct body_text own = { NULL, STRBUF_INIT, "" };
	const struct body_text *bt;
	int recorded = 1;
	it->write_id = 0;
	if (o->ledger_failed)
		return; /* the ledger stopped recording: nothing more is sent */
	bt = serialize(st, it, body, &own);
	if (o->ledger && !o->dry_run) {
		/* a digest, not the body: the ledger says what was sent without copying it */
		strbuf_addf(&what, "the intent of PUT %s", path);
		recorded = orch_ledger_check(o, ledger_write_intent(o->ledger, o->run.id, "PUT", path,
								    bt->hex, &it->write_id), what.buf);
		strbuf_release(&what);
	}
	if (recorded) {
		st->ph.pending++;
		sw->waiting++;
		/* only an assignment's answer is read (its identity's principal id) */
		memset(&opts, 0, sizeof(opts));
		if (it->is_role || it->kind != DEPLOY_POLICY_ASSIGNMENT)
			opts.flags = ARM_DISCARD_BODY;
		opts.body_text = bt->text.buf;
		opts.body_len = bt->text.len;
		arm_submit(o->arm, "PUT", path, NULL, &opts, on_put, it);
	} /* else not recorded, not sent */
	json_decref(own.body);
	strbuf_release(&own.text);
}

/* Records a write's answer (ok: 2xx or an equivalent; message NULL for none). */
static void record_outcome(struct orch *o, struct deploy_item *it, const struct arm_response *resp,
			   int ok, const char *message)
{
	if (!it->write_id)
		return;
	orch_ledger_check(o, ledger_write_outcome(o->ledger, it->write_id, ok, (int)resp->status,
						  resp->result == ARM_OK ? resp->request_id
						  : resp->error.request_id,
						  resp->result == ARM_OK ? NULL : resp->error.code,
						  message),
			  "a write's answer");
}

/* A call of sw's stage was answered: the next stage starts once none is left. */
static void answered(struct scope_work *sw)
{
	sw->waiting--;
	advance(sw);
}

static void on_put(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct deploy_item *it = data;
	struct scope_work *sw = it->sw;
	struct deploy_state *st = sw->st;
	struct orch *o;
	const char *code = resp->error.code;
	(void)client;
	if (!orch_phase_arrive(&st->ph))
		return;
	o = st->o;
	if (it->is_role && resp->result == ARM_ERR_HTTP && code &&
	    !strcmp(code, "RoleAssignmentExists")) {
		/* someone (or a previous run) made the same grant under another name */
		record_outcome(o, it, resp, 1, NULL);
		st->principal_seen = 1;
		st->created--; /* counted when its read found it missing */
		st->unchanged++;
		goto out;
	}
	if (it->is_role && resp->result == ARM_ERR_HTTP && code && !strcmp(code, "PrincipalNotFound")) {
		int64_t now = orch_now_ms();
		record_outcome(o, it, resp, 0, "retrying: principal not replicated yet");
		if (now - it->first_try_ms < o->principal_timeout_ms && !orch_interrupted &&
		    !o->ledger_failed) {
			long wait = it->backoff_ms;
			it->backoff_ms = it->backoff_ms * 2 > 10000 ? 10000 : it->backoff_ms * 2;
			msg_debug("principal not found yet for '%s': retrying in %ld ms", it->role_path, wait);
			st->ph.pending++; /* the timer stays in the stage's waiting count */
			arm_client_add_timer(o->arm, wait, on_retry_timer, it);
			return;
		} else {
			struct arm_error err = resp->error;
			struct strbuf msg = STRBUF_INIT;
			char t[32];
			snprintf(t, sizeof(t), "%lds", o->principal_timeout_ms / 1000);
			strbuf_addf(&msg, "principal '%s' of assignment '%s' was still not found after %s "
				    "of retries; %s", sw->principal, o->assignment_ids->items[sw->index], t,
				    st->principal_seen
				    ? "it was seen by another role assignment of this run, so replication "
				      "is lagging: rerun 'policyctl apply' later"
				    : "it was never seen: the assignment's identity may be wrong or "
				      "deleted (check the assignment's identity.principalId)");
			err.message = msg.buf;
			orch_record_failure(o, LEDGER_FAILURE_WRITE, it->role_path, &err);
			strbuf_release(&msg);
			st->failed++;
			sw->failed = 1;
			goto out;
		}
	}
	if (resp->result != ARM_OK) {
		record_outcome(o, it, resp, 0, resp->error.message);
		orch_record_failure(o, LEDGER_FAILURE_WRITE, it->is_role ? it->role_path : it->id, &resp->error);
		st->failed++;
		sw->failed = 1;
		goto out;
	}
	record_outcome(o, it, resp, 1, NULL);
	if (it->is_role) {
		st->principal_seen = 1;
		goto out;
	}
	/* an assignment's 201 carries its new identity's principal id */
	if (!resp->dry_run && resp->body && it->kind == DEPLOY_POLICY_ASSIGNMENT) {
		keep_principal(sw, resp->body);
		sw->principal_fresh = it->needs_write == 2;
	}
out:
	answered(sw);
}

/* A read of it was answered (resp), or the preflight found it absent (resp NULL). */
static void judge_read(struct deploy_item *it, const struct arm_response *resp)
{
	struct scope_work *sw = it->sw;
	struct deploy_state *st = sw->st;
	struct orch *o = st->o;
	struct strbuf diff = STRBUF_INIT;
	const char *id = it->is_role ? it->role_path : it->id;
	const json_t *desired = it->is_role ? it->role_body : it->desired;
	int create;
	if (!resp || (resp->result == ARM_ERR_HTTP && resp->status == 404)) {
		create = 1;
	} else if (resp->result != ARM_OK) {
		orch_record_failure(o, LEDGER_FAILURE_WRITE, id, &resp->error);
		st->failed++;
		sw->failed = 1; /* a read that failed (not a 404): nothing is written blind */
		goto out;
	} else {
		create = 0;
		if (it->is_role) {
			/* the name derives from scope, principal and role: if it exists, it is ours */
			st->unchanged++;
			if (st->plan_only)
				msg_print(o->out, "  unchanged %s\n", id);
			goto out;
		}
		if (it->kind == DEPLOY_POLICY_ASSIGNMENT)
			keep_principal(sw, resp->body);
		if (orch_json_contains(desired, resp->body, &diff)) {
			st->unchanged++;
			if (st->plan_only)
				msg_print(o->out, "  unchanged %s\n", id);
			goto out;
		}
	}
	if (create)
		st->created++;
	else
		st->updated++;
	if (st->plan_only) {
		if (create)
			msg_print(o->out, "  create    %s\n", id);
		else
			msg_print(o->out, "  update    %s\n            differs: %s\n", id, diff.buf);
		goto out;
	}
	/* written when its stage comes; a role assignment's stage is now */
	it->needs_write = create ? 2 : 1;
	if (it->is_role)
		send_role(it);
out:
	strbuf_release(&diff);
	answered(sw);
}

static void on_get(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct deploy_item *it = data;
	(void)client;
	if (orch_phase_arrive(&it->sw->st->ph))
		judge_read(it, resp);
}

/* A resource the preflight read a moment ago and found absent: judged on the next turn of the
 * loop as if its read had come back 404 (never inside start_scopes, which it would re-enter). */
static void on_known_absent(struct arm_client *client, void *data)
{
	struct deploy_item *it = data;
	(void)client;
	if (orch_phase_arrive(&it->sw->st->ph))
		judge_read(it, NULL);
}

/* The role assignment PUT, also the PrincipalNotFound retry timer's callback. */
static void send_role(struct deploy_item *it)
{
	struct scope_work *sw = it->sw;
	if (it->first_try_ms) {
		/* a timer arrival: count it in like a callback; it was in the stage's count */
		if (!orch_phase_arrive(&sw->st->ph))
			return;
		sw->waiting--;
		send_put(it, it->role_body, it->role_path);
		advance(sw); /* when the ledger refused, nothing was sent: the stage may be over */
		return;
	}
	it->first_try_ms = orch_now_ms();
	send_put(it, it->role_body, it->role_path);
}

static void role_definition_for(struct strbuf *sb, const char *scope, const char *role)
{
	/* Subscription scopes name the role under the subscription, as Azure returns it; at a
	 * management group the tenant-level id is the one Azure accepts. */
	if (!strncasecmp(scope, "/subscriptions/", 15))
		strbuf_addstr(sb, scope);
	strbuf_addstr(sb, role);
}

/* The role stage: a read each (or a write at once for a new identity). */
static void start_roles(struct scope_work *sw)
{
	struct deploy_state *st = sw->st;
	struct orch *o = st->o;
	const struct string_list *roles = &o->set->role_definition_ids;
	const char *scope = o->assignment_scopes->items[sw->index];
	size_t r, base = sw->nr_items;

	if (!sw->principal) {
		if (st->plan_only || o->dry_run)
			msg_print(o->out, "  create    role assignments at %s for the assignment's "
				  "new identity (its principal id is known once it exists)\n", scope);
		return;
	}
	for (r = 0; r < roles->nr; r++) {
		struct deploy_item *it = &sw->items[sw->nr_items++];
		struct strbuf path = STRBUF_INIT, role = STRBUF_INIT;
		char *name = orch_role_assignment_name(scope, sw->principal, roles->items[r]);
		memset(it, 0, sizeof(*it));
		it->sw = sw;
		it->is_role = 1;
		it->backoff_ms = 500;
		strbuf_addf(&path, "%s/providers/Microsoft.Authorization/roleAssignments/%s", scope, name);
		role_definition_for(&role, scope, roles->items[r]);
		it->role_path = strbuf_detach(&path, NULL);
		it->role_body = json_pack("{s:{s:s, s:s, s:s}}", "properties", "roleDefinitionId",
					  role.buf, "principalId", sw->principal,
					  "principalType", "ServicePrincipal");
		it->id = it->role_path;
		strbuf_release(&role);
		free(name);
	}
	for (r = base; r < sw->nr_items; r++) {
		struct deploy_item *it = &sw->items[r];
		if (sw->principal_fresh && !st->plan_only) {
			/* a new identity has no role assignment yet: skip the read */
			it->needs_write = 2;
			st->created++;
			send_role(it);
			continue;
		}
		st->ph.pending++;
		sw->waiting++;
		arm_submit(o->arm, "GET", it->role_path, NULL, NULL, on_get, it);
	}
}

static enum deploy_kind stage_kind(enum scope_stage stage)
{
	return stage == STAGE_DEFINITIONS ? DEPLOY_POLICY_DEFINITION
	       : stage == STAGE_INITIATIVE ? DEPLOY_POLICY_SET_DEFINITION : DEPLOY_POLICY_ASSIGNMENT;
}

static void start_scopes(struct deploy_state *st);

/* The scope is done: its principal noted, its memory released, the next scope started. */
static void finish_scope(struct scope_work *sw)
{
	struct deploy_state *st = sw->st;
	struct orch *o = st->o;
	if (o->ledger && !st->plan_only && !o->dry_run && sw->principal)
		orch_ledger_check(o, ledger_note_set(o->ledger, o->run.id,
						     o->assignment_ids->items[sw->index], sw->principal),
				  "the assignment's principal id");
	st->works[sw->index] = NULL;
	free_work(sw);
	st->running--;
	st->remaining--;
	start_scopes(st);
}

/* Starts sw's next stages while the current one has nothing in flight. */
static void advance(struct scope_work *sw)
{
	struct deploy_state *st = sw->st;
	struct orch *o = st->o;
	size_t i;

	while (!sw->waiting) {
		if (sw->failed && sw->stage < STAGE_DONE) {
			st->stopped[sw->stage]++;
			sw->stage = STAGE_DONE;
		} else if (o->ledger_failed) {
			sw->stage = STAGE_DONE; /* nothing more is sent */
		} else {
			sw->stage++;
		}
		switch (sw->stage) {
		case STAGE_DEFINITIONS:
		case STAGE_INITIATIVE:
		case STAGE_ASSIGNMENT:
			if (st->plan_only)
				break;
			for (i = 0; i < sw->nr_items; i++) {
				struct deploy_item *it = &sw->items[i];
				if (!it->is_role && it->kind == stage_kind(sw->stage) && it->needs_write)
					send_put(it, it->desired, it->id);
			}
			break;
		case STAGE_ROLES:
			if (o->set->role_definition_ids.nr)
				start_roles(sw);
			break;
		default:
			finish_scope(sw);
			return;
		}
	}
}

/* Renders and reads the next scopes while fewer than the window run. */
static void start_scopes(struct deploy_state *st)
{
	struct orch *o = st->o;
	while (st->running < st->window && st->next_scope < st->nr_scopes && !o->ledger_failed &&
	       !orch_interrupted) {
		size_t index = st->next_scope++, i;
		struct scope_work *sw = xcalloc(1, sizeof(*sw));
		struct strbuf err = STRBUF_INIT;
		sw->st = st;
		sw->index = index;
		sw->set = (struct deploy_set)DEPLOY_SET_INIT;
		st->works[index] = sw;
		st->running++;
		if (deploy_set_scope(o->set, index, &sw->set, &err)) {
			msg_error("%s: %s", o->assignment_scopes->items[index], err.buf);
			strbuf_release(&err);
			st->failed++;
			sw->failed = 1;
			sw->stage = STAGE_DONE;
			finish_scope(sw);
			continue;
		}
		strbuf_release(&err);
		sw->items = xcalloc(sw->set.nr + o->set->role_definition_ids.nr + 1, sizeof(*sw->items));
		sw->nr_items = sw->set.nr;
		for (i = 0; i < sw->set.nr; i++) {
			struct deploy_item *it = &sw->items[i];
			it->sw = sw;
			it->id = sw->set.resources[i].id;
			it->desired = sw->set.resources[i].body;
			it->kind = sw->set.resources[i].kind;
		}
		/* every resource of the scope is read at once: the writes then need no read round
		 * trip each. One the preflight just read and found absent is not read again: on a
		 * new tenant that halves apply's requests. */
		sw->stage = STAGE_READ;
		for (i = 0; i < sw->set.nr; i++) {
			st->ph.pending++;
			sw->waiting++;
			if (idmap_get(&o->found_absent, sw->items[i].id))
				arm_client_add_timer(o->arm, 0, on_known_absent, &sw->items[i]);
			else
				arm_submit(o->arm, "GET", sw->items[i].id, NULL, NULL, on_get,
					   &sw->items[i]);
		}
		if (!sw->waiting)
			advance(sw); /* an empty scope: straight to its roles */
	}
}

/* Scopes in flight at once: one per connection of [run] concurrency. A scope's stages are
 * four round trips in a row, so its throughput is window / chain: at 1,000 subscriptions a
 * window of 64 made apply 2.4 s, 256 makes it 1.8 s. The definitions' bodies are shared by
 * every scope (render_memo), so a scope in flight holds little of its own. */
static size_t window_for(const struct config *cfg)
{
	long w = cfg->run_concurrency;
	return w < 4 ? 4 : w > 256 ? 256 : (size_t)w;
}

static enum orch_result deploy(struct orch *o, int plan_only)
{
	struct deploy_state *st;
	enum orch_result ret = ORCH_OK;
	size_t i;

	if (!o->set) {
		msg_error("nothing to deploy: the policy set was not rendered");
		return ORCH_USAGE;
	}
	st = xcalloc(1, sizeof(*st));
	st->ph.free_fn = free_state;
	st->o = o;
	st->plan_only = plan_only;
	st->nr_scopes = o->assignment_scopes->nr;
	st->remaining = st->nr_scopes;
	st->works = xcalloc(st->nr_scopes + 1, sizeof(*st->works));
	st->window = window_for(o->cfg);
	start_scopes(st);
	ret = orch_pump(o, &st->remaining, o->deadline_ms);
	for (i = 0; i < STAGE_ROLES; i++) /* a failed role assignment stops nothing after it */
		if (st->stopped[i])
			msg_error("%ld scope%s stopped at a failed %s%s: later resources depend on it",
				  st->stopped[i], st->stopped[i] > 1 ? "s" : "", stage_word((enum scope_stage)i),
				  i == STAGE_READ ? " (nothing is written blind)" : " write");
	if (!ret && st->failed)
		ret = ORCH_FAILED;
	if (ret != ORCH_INTERRUPTED && ret != ORCH_TIMEOUT && ret != ORCH_LEDGER)
		msg_note("%s: %ld to create, %ld to update, %ld unchanged, %ld failed",
			 plan_only ? "plan" : o->dry_run ? "apply (dry run)" : "apply",
			 st->created, st->updated, st->unchanged, st->failed);
	orch_phase_leave(&st->ph);
	return ret;
}

enum orch_result orch_plan(struct orch *o)
{
	enum orch_result ret = orch_exemptions_check(o);
	enum orch_result ex;
	if (ret)
		return ret;
	ret = deploy(o, 1);
	/* the exemptions' plan is shown even when a policy read failed: it reads apart */
	if (ret == ORCH_INTERRUPTED || ret == ORCH_TIMEOUT || ret == ORCH_LEDGER)
		return ret;
	ex = orch_exemptions_sync(o, 1);
	return ret ? ret : ex;
}

enum orch_result orch_apply_policy(struct orch *o)
{
	/* a bad exemption scope stops apply before its first write */
	enum orch_result ret = orch_exemptions_check(o);
	if (!ret)
		ret = deploy(o, 0);
	/* exemptions name the assignment: only once it is in place */
	if (!ret)
		ret = orch_exemptions_sync(o, 0);
	return ret;
}

enum orch_result orch_apply(struct orch *o)
{
	enum orch_result ret = orch_apply_policy(o);
	if (!ret)
		ret = orch_exemptions_record(o);
	return ret;
}
