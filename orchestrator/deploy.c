/*
 * deploy — `plan` and `apply`: bring definitions, initiative, assignments and the
 * assignments' role assignments to the desired state, writing only what differs.
 *
 * Stages run in dependency order (definitions → set definitions → assignments → role
 * assignments); within a stage every resource goes at once through the client's event loop.
 * Each resource is read first and compared with the desired body (orch_json_contains): an
 * equal one is left alone, so rerunning apply on an applied tenant sends no write. Every
 * write is recorded in the ledger before it is sent and its outcome after.
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

struct deploy_item {
	struct deploy_state *st;
	const char *id;          /* borrowed from the set, or role_id below */
	const json_t *desired;   /* borrowed */
	size_t assignment;       /* index into principals, for assignments and role items */
	int64_t write_id;
	/* role assignments only */
	char *role_path;         /* owned: the role assignment's resource id */
	json_t *role_body;       /* owned */
	int64_t first_try_ms;
	long backoff_ms;
	int is_role;
	int needs_write;         /* the read found it missing (2) or different (1) */
};

struct deploy_state {
	struct orch_phase ph;
	struct orch *o;
	int plan_only;
	char **principals;       /* per assignment (index of o->assignment_ids); owned strings */
	int *principal_fresh;    /* the assignment was created now: its role assignments cannot exist */
	int principal_seen;      /* some role assignment for a principal succeeded */
	struct deploy_item *items;
	size_t nr_items;
	long created, updated, unchanged, failed;
};

static void free_state(struct orch_phase *ph)
{
	struct deploy_state *st = (struct deploy_state *)ph;
	size_t i;
	for (i = 0; i < st->nr_items; i++) {
		free(st->items[i].role_path);
		json_decref(st->items[i].role_body);
	}
	free(st->items);
	if (st->principals) {
		for (i = 0; i < st->o->assignment_ids->nr; i++)
			free(st->principals[i]);
	}
	free(st->principals);
	free(st->principal_fresh);
	free(st);
}

static const char *kind_word(enum deploy_kind kind)
{
	switch (kind) {
	case DEPLOY_POLICY_DEFINITION: return "policy definition";
	case DEPLOY_POLICY_SET_DEFINITION: return "initiative";
	default: return "assignment";
	}
}

static size_t assignment_index(struct orch *o, const char *id)
{
	size_t i;
	for (i = 0; i < o->assignment_ids->nr; i++)
		if (!strcasecmp(o->assignment_ids->items[i], id))
			return i;
	return 0;
}

static void keep_principal(struct deploy_state *st, size_t a, const json_t *body)
{
	const char *p = jsonutil_path_string(body, "identity.principalId");
	if (p && *p) {
		free(st->principals[a]);
		st->principals[a] = xstrdup(p);
	}
}

static void on_put(struct arm_client *client, struct arm_response *resp, void *data);
static void send_role(struct deploy_item *it);

static void on_retry_timer(struct arm_client *client, void *data)
{
	(void)client;
	send_role(data);
}

static void send_put(struct deploy_item *it, const json_t *body, const char *path)
{
	struct deploy_state *st = it->st;
	struct orch *o = st->o;
	struct strbuf what = STRBUF_INIT;
	int recorded = 1;
	it->write_id = 0;
	if (o->ledger_failed)
		return; /* the ledger stopped recording: nothing more is sent */
	if (o->ledger && !o->dry_run) {
		struct strbuf text = STRBUF_INIT;
		char hex[DIGEST_SHA256_HEX_SIZE];
		/* a digest, not the body: the ledger says what was sent without copying it */
		jsonutil_add_compact(&text, body);
		digest_sha256_hex(text.buf, text.len, hex);
		strbuf_addf(&what, "the intent of PUT %s", path);
		recorded = orch_ledger_check(o, ledger_write_intent(o->ledger, o->run.id, "PUT", path,
								    hex, &it->write_id), what.buf);
		strbuf_release(&text);
		strbuf_release(&what);
	}
	if (!recorded)
		return; /* not recorded, not sent */
	st->ph.pending++;
	arm_submit(o->arm, "PUT", path, body, NULL, on_put, it);
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

static void on_put(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct deploy_item *it = data;
	struct deploy_state *st = it->st;
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
		return;
	}
	if (it->is_role && resp->result == ARM_ERR_HTTP && code && !strcmp(code, "PrincipalNotFound")) {
		int64_t now = orch_now_ms();
		record_outcome(o, it, resp, 0, "retrying: principal not replicated yet");
		if (now - it->first_try_ms < o->principal_timeout_ms && !orch_interrupted &&
		    !o->ledger_failed) {
			long wait = it->backoff_ms;
			it->backoff_ms = it->backoff_ms * 2 > 10000 ? 10000 : it->backoff_ms * 2;
			msg_debug("principal not found yet for '%s': retrying in %ld ms", it->role_path, wait);
			st->ph.pending++;
			arm_client_add_timer(o->arm, wait, on_retry_timer, it);
			return;
		} else {
			struct arm_error err = resp->error;
			struct strbuf msg = STRBUF_INIT;
			char t[32];
			snprintf(t, sizeof(t), "%lds", o->principal_timeout_ms / 1000);
			strbuf_addf(&msg, "principal '%s' of assignment '%s' was still not found after %s "
				    "of retries; %s", st->principals[it->assignment],
				    o->assignment_ids->items[it->assignment], t,
				    st->principal_seen
				    ? "it was seen by another role assignment of this run, so replication "
				      "is lagging: rerun 'policyctl apply' later"
				    : "it was never seen: the assignment's identity may be wrong or "
				      "deleted (check the assignment's identity.principalId)");
			err.message = msg.buf;
			orch_record_failure(o, LEDGER_FAILURE_WRITE, it->role_path, &err);
			strbuf_release(&msg);
			st->failed++;
			return;
		}
	}
	if (resp->result != ARM_OK) {
		record_outcome(o, it, resp, 0, resp->error.message);
		orch_record_failure(o, LEDGER_FAILURE_WRITE, it->is_role ? it->role_path : it->id, &resp->error);
		st->failed++;
		return;
	}
	record_outcome(o, it, resp, 1, NULL);
	if (it->is_role) {
		st->principal_seen = 1;
		return;
	}
	/* an assignment's 201 carries its new identity's principal id */
	if (!resp->dry_run && resp->body && it->assignment < o->assignment_ids->nr &&
	    !strcasecmp(it->id, o->assignment_ids->items[it->assignment])) {
		keep_principal(st, it->assignment, resp->body);
		st->principal_fresh[it->assignment] = it->needs_write == 2;
	}
}

static void on_get(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct deploy_item *it = data;
	struct deploy_state *st = it->st;
	struct orch *o;
	struct strbuf diff = STRBUF_INIT;
	const char *id = it->is_role ? it->role_path : it->id;
	const json_t *desired = it->is_role ? it->role_body : it->desired;
	int create;
	(void)client;
	if (!orch_phase_arrive(&st->ph))
		return;
	o = st->o;
	if (resp->result == ARM_ERR_HTTP && resp->status == 404) {
		create = 1;
	} else if (resp->result != ARM_OK) {
		orch_record_failure(o, LEDGER_FAILURE_WRITE, id, &resp->error);
		st->failed++;
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
		if (it->assignment < o->assignment_ids->nr &&
		    !strcasecmp(it->id, o->assignment_ids->items[it->assignment]))
			keep_principal(st, it->assignment, resp->body);
		if (orch_json_contains(desired, resp->body, &diff)) {
			st->unchanged++;
			if (st->plan_only)
				msg_print(o->out, "  unchanged %s\n", id);
			goto out;
		}
	}
	if (st->plan_only) {
		if (create)
			msg_print(o->out, "  create    %s\n", id);
		else
			msg_print(o->out, "  update    %s\n            differs: %s\n", id, diff.buf);
		if (create)
			st->created++;
		else
			st->updated++;
		goto out;
	}
	if (create)
		st->created++;
	else
		st->updated++;
	/* Resources are all read first and written stage by stage (see deploy()); a role
	 * assignment is written at once: its stage is the last. */
	it->needs_write = create ? 2 : 1;
	if (it->is_role)
		send_role(it);
out:
	strbuf_release(&diff);
}

/* The role assignment PUT, also the PrincipalNotFound retry timer's callback. */
static void send_role(struct deploy_item *it)
{
	struct deploy_state *st = it->st;
	if (it->first_try_ms) {
		/* a timer arrival: count it in like a callback */
		if (!orch_phase_arrive(&st->ph))
			return;
	} else {
		it->first_try_ms = orch_now_ms();
	}
	send_put(it, it->role_body, it->role_path);
}

/* Reads every resource of the set at once: the writes then need no read round trip each. */
static enum orch_result read_all(struct deploy_state *st)
{
	struct orch *o = st->o;
	size_t i;
	for (i = 0; i < st->nr_items; i++) {
		if (st->items[i].is_role)
			continue;
		st->ph.pending++;
		arm_submit(o->arm, "GET", st->items[i].id, NULL, NULL, on_get, &st->items[i]);
	}
	return orch_pump(o, &st->ph.pending, o->deadline_ms);
}

/* Writes the resources of one kind that the read found missing or different. */
static enum orch_result run_stage(struct deploy_state *st, enum deploy_kind kind)
{
	struct orch *o = st->o;
	size_t i;
	for (i = 0; i < st->nr_items; i++) {
		struct deploy_item *it = &st->items[i];
		if (it->is_role || o->set->resources[i].kind != kind || !it->needs_write)
			continue;
		send_put(it, it->desired, it->id);
	}
	return orch_pump(o, &st->ph.pending, o->deadline_ms);
}

static void role_definition_for(struct strbuf *sb, const char *scope, const char *role)
{
	/* Subscription scopes name the role under the subscription, as Azure returns it; at a
	 * management group the tenant-level id is the one Azure accepts. */
	if (!strncasecmp(scope, "/subscriptions/", 15))
		strbuf_addstr(sb, scope);
	strbuf_addstr(sb, role);
}

static enum orch_result run_roles(struct deploy_state *st)
{
	struct orch *o = st->o;
	size_t a, r, base = st->nr_items;
	const struct string_list *roles = &o->set->role_definition_ids;

	st->items = xrealloc(st->items, (base + o->assignment_ids->nr * roles->nr + 1) * sizeof(*st->items));
	for (a = 0; a < o->assignment_ids->nr; a++) {
		const char *principal = st->principals[a];
		const char *scope = o->assignment_scopes->items[a];
		if (!principal) {
			if (st->plan_only || o->dry_run)
				msg_print(o->out, "  create    role assignments at %s for the assignment's "
					  "new identity (its principal id is known once it exists)\n", scope);
			continue;
		}
		for (r = 0; r < roles->nr; r++) {
			struct deploy_item *it = &st->items[st->nr_items++];
			struct strbuf path = STRBUF_INIT, role = STRBUF_INIT;
			char *name = orch_role_assignment_name(scope, principal, roles->items[r]);
			memset(it, 0, sizeof(*it));
			it->st = st;
			it->is_role = 1;
			it->assignment = a;
			it->backoff_ms = 500;
			strbuf_addf(&path, "%s/providers/Microsoft.Authorization/roleAssignments/%s", scope, name);
			role_definition_for(&role, scope, roles->items[r]);
			it->role_path = strbuf_detach(&path, NULL);
			it->role_body = json_pack("{s:{s:s, s:s, s:s}}", "properties", "roleDefinitionId",
						  role.buf, "principalId", principal,
						  "principalType", "ServicePrincipal");
			it->id = it->role_path;
			strbuf_release(&role);
			free(name);
		}
	}
	for (a = base; a < st->nr_items; a++) {
		struct deploy_item *it = &st->items[a];
		if (st->principal_fresh[it->assignment] && !st->plan_only) {
			/* a new identity has no role assignment yet: skip the read */
			it->needs_write = 2;
			st->created++;
			send_role(it);
			continue;
		}
		st->ph.pending++;
		arm_submit(o->arm, "GET", it->role_path, NULL, NULL, on_get, it);
	}
	return orch_pump(o, &st->ph.pending, o->deadline_ms);
}

static enum orch_result deploy(struct orch *o, int plan_only)
{
	static const enum deploy_kind stages[] = {
		DEPLOY_POLICY_DEFINITION, DEPLOY_POLICY_SET_DEFINITION, DEPLOY_POLICY_ASSIGNMENT,
	};
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
	st->principals = xcalloc(o->assignment_ids->nr + 1, sizeof(*st->principals));
	st->principal_fresh = xcalloc(o->assignment_ids->nr + 1, sizeof(*st->principal_fresh));
	st->items = xcalloc(o->set->nr + 1, sizeof(*st->items));
	st->nr_items = o->set->nr;
	for (i = 0; i < o->set->nr; i++) {
		st->items[i].st = st;
		st->items[i].id = o->set->resources[i].id;
		st->items[i].desired = o->set->resources[i].body;
		st->items[i].assignment = assignment_index(o, o->set->resources[i].id);
	}
	ret = read_all(st);
	if (!ret && st->failed)
		ret = ORCH_FAILED; /* a read that failed (not a 404): nothing is written blind */
	for (i = 0; i < ARRAY_SIZE(stages) && !ret && !plan_only; i++) {
		ret = run_stage(st, stages[i]);
		if (!ret && st->failed) {
			/* later stages depend on this one: stop here, say which kind failed */
			msg_error("%ld %s%s could not be written: later resources depend on them",
				  st->failed, kind_word(stages[i]), st->failed > 1 ? "s" : "");
			ret = ORCH_FAILED;
		}
	}
	if (!ret && o->set->role_definition_ids.nr)
		ret = run_roles(st);
	if (!ret && st->failed)
		ret = ORCH_FAILED;
	if (ret != ORCH_INTERRUPTED && ret != ORCH_TIMEOUT && ret != ORCH_LEDGER)
		msg_note("%s: %ld to create, %ld to update, %ld unchanged, %ld failed",
			 plan_only ? "plan" : o->dry_run ? "apply (dry run)" : "apply",
			 st->created, st->updated, st->unchanged, st->failed);
	if (o->ledger && !plan_only && !o->dry_run)
		for (i = 0; i < o->assignment_ids->nr; i++)
			if (st->principals[i] &&
			    !orch_ledger_check(o, ledger_note_set(o->ledger, o->run.id,
								  o->assignment_ids->items[i],
								  st->principals[i]),
					       "the assignment's principal id"))
				ret = ORCH_LEDGER;
	orch_phase_leave(&st->ph);
	return ret;
}

enum orch_result orch_plan(struct orch *o)
{
	return deploy(o, 1);
}

enum orch_result orch_apply(struct orch *o)
{
	return deploy(o, 0);
}
