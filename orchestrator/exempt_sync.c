/*
 * exempt_sync — the exemptions of the assignment(s) on the network: listed (managed by
 * policyctl or not, with status and the resources they cover), planned and applied from the
 * file orchestrator/exemptions.c read.
 *
 * apply makes Azure match the file: a missing exemption is PUT; one that differs is PATCHed
 * when only resourceSelectors or assignmentScopeValidation differ (the only fields Azure lets a
 * PATCH change), else PUT whole; an exemption carrying policyctl's marker that the file no
 * longer has is deleted. An exemption without the marker is never written, even when the file
 * names its id (that is a conflict, reported as a failure). Writes go first, deletes after, so
 * a re-scoped entry never leaves its resources uncovered in between. Every write's intent is
 * in the ledger before it is sent, as in deploy.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "orchestrator/phase.h"
#include "orchestrator/exemptions.h"
#include "lib/digest.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define MG_PREFIX "/providers/Microsoft.Management/managementGroups/"

struct sync_state;

struct sync_write {
	struct sync_state *st;
	char *method;      /* owned: PUT, PATCH, DELETE */
	char *id;          /* owned */
	json_t *body;      /* owned; NULL for DELETE */
	int64_t write_id;
};

struct sync_state {
	struct orch_phase ph;
	struct orch *o;
	json_t *live;                /* every exemption listed, deduplicated by id (owned) */
	json_t *states;              /* Exempt policy state records (owned), for list */
	struct sync_write *writes;   /* owned */
	size_t nr_writes;
	long failed;
	long long server_time_s;     /* the latest Date of the lists (Azure's clock), 0: none */
};

static void free_state(struct orch_phase *ph)
{
	struct sync_state *st = (struct sync_state *)ph;
	size_t i;
	for (i = 0; i < st->nr_writes; i++) {
		free(st->writes[i].method);
		free(st->writes[i].id);
		json_decref(st->writes[i].body);
	}
	free(st->writes);
	json_decref(st->live);
	json_decref(st->states);
	free(st);
}

static struct sync_state *state_new(struct orch *o)
{
	struct sync_state *st = xcalloc(1, sizeof(*st));
	st->ph.free_fn = free_state;
	st->o = o;
	st->live = json_array();
	st->states = json_array();
	return st;
}

static int of_our_assignment(const struct orch *o, const json_t *ex)
{
	const char *a = jsonutil_path_string(ex, "properties.policyAssignmentId");
	size_t i;
	for (i = 0; a && i < o->assignment_ids->nr; i++)
		if (!strcasecmp(a, o->assignment_ids->items[i]))
			return 1;
	return 0;
}

static json_t *find_live(const json_t *live, const char *id)
{
	json_t *ex;
	size_t i;
	json_array_foreach(live, i, ex) {
		const char *lid = json_string_value(json_object_get(ex, "id"));
		if (lid && !strcasecmp(lid, id))
			return ex;
	}
	return NULL;
}

static void on_list(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct sync_state *st = data;
	json_t *ex;
	size_t i;
	(void)client;
	if (!orch_phase_arrive(&st->ph))
		return;
	if (resp->result != ARM_OK) {
		orch_record_failure(st->o, LEDGER_FAILURE_WRITE,
				    resp->error.url ? resp->error.url : st->o->scope_key, &resp->error);
		st->failed++;
		return;
	}
	if (resp->server_time_s > st->server_time_s)
		st->server_time_s = resp->server_time_s;
	json_array_foreach(resp->body, i, ex) {
		const char *id = json_string_value(json_object_get(ex, "id"));
		/* the filter asks for our assignment; checked again in case a server ignores it */
		if (id && of_our_assignment(st->o, ex) && !find_live(st->live, id))
			json_array_append(st->live, ex);
	}
}

static void on_states(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct sync_state *st = data;
	(void)client;
	if (!orch_phase_arrive(&st->ph))
		return;
	if (resp->result != ARM_OK) {
		orch_record_failure(st->o, LEDGER_FAILURE_VERIFY,
				    resp->error.url ? resp->error.url : st->o->scope_key, &resp->error);
		st->failed++;
		return;
	}
	json_array_extend(st->states, resp->body);
}

/* Queues the list of the exemptions of assignment_id at scope. */
static void submit_list(struct sync_state *st, const char *scope, const char *assignment_id)
{
	struct strbuf path = STRBUF_INIT, filter = STRBUF_INIT, query = STRBUF_INIT;
	struct arm_call_options opts;

	memset(&opts, 0, sizeof(opts));
	strbuf_addf(&path, "%s/providers/Microsoft.Authorization/policyExemptions", scope);
	strbuf_addf(&filter, "policyAssignmentId eq '%s'", assignment_id);
	strbuf_addstr(&query, "$filter=");
	strbuf_add_urlencoded(&query, filter.buf);
	opts.query = query.buf;
	st->ph.pending++;
	arm_submit_list(st->o->arm, "GET", path.buf, NULL, &opts, NULL, on_list, st);
	strbuf_release(&path);
	strbuf_release(&filter);
	strbuf_release(&query);
}

/* Whether st->live holds an exemption of assignment_id. */
static int has_exemption_of(const struct sync_state *st, const char *assignment_id)
{
	json_t *ex;
	size_t i;
	json_array_foreach(st->live, i, ex) {
		const char *aid = jsonutil_path_string(ex, "properties.policyAssignmentId");
		if (aid && !strcasecmp(aid, assignment_id))
			return 1;
	}
	return 0;
}

/*
 * Lists every exemption of the assignments into st->live. A management group's list is not
 * documented to hold the exemptions below the group, so each of its subscriptions is listed
 * too (the subscription's list holds those under it); duplicates are dropped by id.
 */
static enum orch_result list_exemptions(struct sync_state *st)
{
	struct orch *o = st->o;
	enum orch_result ret;
	size_t a;

	if (o->cfg->scope_management_group && (ret = orch_resolve_subscriptions(o)))
		return ret;
	if (o->cfg->scope_management_group && o->assignment_ids->nr)
		for (a = 0; a < o->subscriptions.nr; a++) {
			struct strbuf scope = STRBUF_INIT;
			strbuf_addf(&scope, "/subscriptions/%s", o->subscriptions.items[a]);
			submit_list(st, scope.buf, o->assignment_ids->items[0]);
			strbuf_release(&scope);
		}
	for (a = 0; a < o->assignment_ids->nr; a++)
		submit_list(st, o->assignment_scopes->items[a], o->assignment_ids->items[a]);
	return orch_pump(o, &st->ph.pending, o->deadline_ms);
}

/*
 * The Exempt policy states of the assignments with an exemption in st->live into st->states.
 * Exempt states exist only where an exemption does: an assignment without one (most of a
 * tenant's) needs no query, which at 1,000 subscriptions is 1,000 requests.
 */
static enum orch_result read_exempt_states(struct sync_state *st)
{
	struct orch *o = st->o;
	size_t a;

	for (a = 0; a < o->assignment_ids->nr; a++)
		if (has_exemption_of(st, o->assignment_ids->items[a]))
			orch_query_states(o, &st->ph, o->assignment_scopes->items[a],
					  o->assignment_ids->items[a], "Exempt", on_states);
	return orch_pump(o, &st->ph.pending, o->deadline_ms);
}

/* ---- plan and apply ---- */

static void on_write(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct sync_write *w = data;
	struct sync_state *st = w->st;
	struct orch *o;
	int ok;
	(void)client;
	if (!orch_phase_arrive(&st->ph))
		return;
	o = st->o;
	/* a DELETE of what is already gone did what it was for */
	ok = resp->result == ARM_OK || (!strcmp(w->method, "DELETE") && resp->status == 404);
	if (w->write_id)
		orch_ledger_check(o, ledger_write_outcome(o->ledger, w->write_id, ok, (int)resp->status,
							  resp->result == ARM_OK ? resp->request_id
							  : resp->error.request_id,
							  ok ? NULL : resp->error.code,
							  ok ? NULL : resp->error.message),
				  "a write's answer");
	if (!ok) {
		orch_record_failure(o, LEDGER_FAILURE_WRITE, w->id, &resp->error);
		st->failed++;
	}
}

static void queue_write(struct sync_state *st, const char *method, const char *id, json_t *body)
{
	struct sync_write *w;
	st->writes = xrealloc(st->writes, (st->nr_writes + 1) * sizeof(*st->writes));
	w = &st->writes[st->nr_writes++];
	memset(w, 0, sizeof(*w));
	w->st = st;
	w->method = xstrdup(method);
	w->id = xstrdup(id);
	w->body = body;
}

/* Sends the queued writes of the given kind (deletes or not) and pumps them. */
static enum orch_result send_writes(struct sync_state *st, int deletes)
{
	struct orch *o = st->o;
	size_t i;
	for (i = 0; i < st->nr_writes; i++) {
		struct sync_write *w = &st->writes[i];
		if ((strcmp(w->method, "DELETE") == 0) != deletes)
			continue;
		if (o->ledger_failed)
			break;
		if (o->ledger && !o->dry_run) {
			struct strbuf text = STRBUF_INIT, what = STRBUF_INIT;
			char hex[DIGEST_SHA256_HEX_SIZE];
			if (w->body)
				jsonutil_add_compact(&text, w->body);
			digest_sha256_hex(text.buf, text.len, hex);
			strbuf_addf(&what, "the intent of %s %s", w->method, w->id);
			if (!orch_ledger_check(o, ledger_write_intent(o->ledger, o->run.id, w->method,
								      w->id, hex, &w->write_id),
					       what.buf)) {
				strbuf_release(&text);
				strbuf_release(&what);
				break; /* not recorded, not sent */
			}
			strbuf_release(&text);
			strbuf_release(&what);
		}
		st->ph.pending++;
		arm_submit(o->arm, w->method, w->id, w->body, NULL, on_write, w);
	}
	return orch_pump(o, &st->ph.pending, o->deadline_ms);
}

static void print_id(struct orch *o, const char *verb, const char *id, const char *tail)
{
	struct strbuf line = STRBUF_INIT;
	strbuf_addf(&line, "  %-9s exemption ", verb);
	msg_escape_into(&line, id);
	msg_print(o->out, "%s%s\n", line.buf, tail ? tail : "");
	strbuf_release(&line);
}

enum orch_result orch_exemptions_check(struct orch *o)
{
	const struct exemption_file *file = o->exemptions;
	struct strbuf err = STRBUF_INIT;
	enum orch_result ret;
	char *line, *next;

	if (!file || !file->nr || !o->cfg->scope_management_group)
		return ORCH_OK; /* subscription scopes were checked offline */
	if ((ret = orch_resolve_subscriptions(o)))
		return ret;
	if (!exemptions_check_scopes(file, o->set, &o->subscriptions, &err))
		goto out;
	for (line = err.buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		msg_error("%s", line);
	}
	ret = ORCH_USAGE;
out:
	strbuf_release(&err);
	return ret;
}

/* What plan and apply count, for the closing line. */
struct sync_counts {
	long created, updated, deleted, unchanged, unmanaged, conflicts;
};

/* One wanted exemption against the live ones: printed, counted, its write queued. */
static void plan_want(struct sync_state *st, const struct exemption_want *w, int plan_only,
		      struct sync_counts *n)
{
	struct orch *o = st->o;
	json_t *live = find_live(st->live, w->id);
	struct strbuf fields = STRBUF_INIT, tail = STRBUF_INIT;
	enum exemption_change change;

	if (!live) {
		strbuf_addf(&tail, " (entry %s, expires ", w->entry);
		exemptions_format_time(w->expires_ms, &tail);
		strbuf_addch(&tail, ')');
		print_id(o, "create", w->id, tail.buf);
		n->created++;
		if (!plan_only)
			queue_write(st, "PUT", w->id, json_incref(w->body));
		goto out;
	}
	if (!exemptions_is_managed(live)) {
		struct arm_error err;
		print_id(o, "conflict", w->id, ": exists and is not managed by policyctl; left alone "
			 "(rename the entry or remove the other exemption)");
		n->conflicts++;
		if (!plan_only) {
			memset(&err, 0, sizeof(err));
			err.code = (char *)"ExemptionNotManaged";
			err.message = (char *)"an exemption of this id exists without policyctl's marker "
				      "(metadata.managedBy): it is never overwritten";
			orch_record_failure(o, LEDGER_FAILURE_WRITE, w->id, &err);
		}
		goto out;
	}
	change = exemptions_compare(w, live, &fields);
	if (change == EXEMPTION_SAME) {
		if (plan_only)
			print_id(o, "unchanged", w->id, NULL);
		n->unchanged++;
		goto out;
	}
	strbuf_addf(&tail, ": %s (differs: %s)", change == EXEMPTION_PATCH ? "PATCH" : "PUT",
		    fields.buf);
	print_id(o, "update", w->id, tail.buf);
	n->updated++;
	if (!plan_only)
		queue_write(st, change == EXEMPTION_PATCH ? "PATCH" : "PUT", w->id,
			    change == EXEMPTION_PATCH ? exemptions_patch_body(w) : json_incref(w->body));
out:
	strbuf_release(&fields);
	strbuf_release(&tail);
}

/* A live exemption the file does not name: policyctl's is deleted, anyone else's listed. */
static void plan_unwanted(struct sync_state *st, const json_t *ex, int plan_only,
			  struct sync_counts *n)
{
	struct orch *o = st->o;
	const char *id = json_string_value(json_object_get(ex, "id"));
	const char *owner = jsonutil_path_string(ex, "properties.metadata.owner");
	struct strbuf tail = STRBUF_INIT;

	if (exemptions_is_managed(ex)) {
		strbuf_addf(&tail, " (no longer in %s)", o->exemptions->path);
		print_id(o, "delete", id, tail.buf);
		n->deleted++;
		if (!plan_only)
			queue_write(st, "DELETE", id, NULL);
	} else {
		strbuf_addstr(&tail, " (owner ");
		msg_escape_into(&tail, owner && *owner ? owner : "none");
		strbuf_addstr(&tail, "; made outside policyctl, never touched)");
		print_id(o, "unmanaged", id, tail.buf);
		n->unmanaged++;
	}
	strbuf_release(&tail);
}

static int is_wanted(const struct exemption_file *file, const char *id)
{
	size_t i;
	for (i = 0; id && i < file->nr; i++)
		if (!strcasecmp(file->wants[i].id, id))
			return 1;
	return 0;
}

enum orch_result orch_exemptions_sync(struct orch *o, int plan_only)
{
	const struct exemption_file *file = o->exemptions;
	struct sync_counts n;
	struct sync_state *st;
	enum orch_result ret;
	size_t i;
	json_t *ex;

	if (!file || !file->path)
		return ORCH_OK; /* no [exemptions] file: policyctl manages none */
	if ((ret = orch_exemptions_check(o)))
		return ret;
	memset(&n, 0, sizeof(n));
	st = state_new(o);
	ret = list_exemptions(st);
	if (!ret && st->failed)
		ret = ORCH_FAILED; /* nothing is written blind */
	if (ret)
		goto out;
	for (i = 0; i < file->nr; i++)
		plan_want(st, &file->wants[i], plan_only, &n);
	json_array_foreach(st->live, i, ex)
		if (!is_wanted(file, json_string_value(json_object_get(ex, "id"))))
			plan_unwanted(st, ex, plan_only, &n);
	if (!plan_only) {
		ret = send_writes(st, 0);
		if (!ret)
			ret = send_writes(st, 1);
		if (!ret && o->ledger_failed)
			ret = ORCH_LEDGER;
	}
	if (ret != ORCH_INTERRUPTED && ret != ORCH_TIMEOUT && ret != ORCH_LEDGER)
		msg_note("exemptions: %ld to create, %ld to update, %ld to delete, %ld unchanged, "
			 "%ld unmanaged, %ld conflicting, %ld failed", n.created, n.updated, n.deleted,
			 n.unchanged, n.unmanaged, n.conflicts, st->failed);
	if (!ret && (st->failed || (n.conflicts && !plan_only)))
		ret = ORCH_FAILED;
out:
	orch_phase_leave(&st->ph);
	return ret;
}

/* ---- the listing ---- */

static int scope_holds(const char *scope, const char *resource_id)
{
	size_t n = strlen(scope);
	return !strncasecmp(resource_id, scope, n) && (!resource_id[n] || resource_id[n] == '/');
}

static int member_of(const json_t *refs, const char *ref)
{
	json_t *r;
	size_t i;
	if (!json_array_size(refs))
		return 1; /* an exemption without reference ids covers every member */
	json_array_foreach(refs, i, r)
		if (ref && json_string_value(r) && !strcasecmp(json_string_value(r), ref))
			return 1;
	return 0;
}

/* The resources the last evaluation found exempt under ex's scope (new array of ids). */
static json_t *covered(const json_t *ex, const json_t *states)
{
	const char *id = json_string_value(json_object_get(ex, "id"));
	const json_t *refs = jsonutil_path(ex, "properties.policyDefinitionReferenceIds");
	json_t *out = json_array(), *rec;
	struct strbuf scope = STRBUF_INIT;
	const char *cut = id ? strstr(id, "/providers/Microsoft.Authorization/policyExemptions/") : NULL;
	size_t i, j;

	if (!cut && id) {
		/* ARM may lower-case the id: look for the segment case-insensitively */
		for (i = 0; id[i] && !cut; i++)
			if (!strncasecmp(id + i, "/providers/Microsoft.Authorization/policyExemptions/", 52))
				cut = id + i;
	}
	if (!cut)
		goto out;
	strbuf_add(&scope, id, (size_t)(cut - id));
	json_array_foreach(states, i, rec) {
		const char *rid = json_string_value(json_object_get(rec, "resourceId"));
		const char *ref = json_string_value(json_object_get(rec, "policyDefinitionReferenceId"));
		int seen = 0;
		json_t *have;
		if (!rid || !scope_holds(scope.buf, rid) || !member_of(refs, ref))
			continue;
		json_array_foreach(out, j, have)
			seen = seen || !strcasecmp(json_string_value(have), rid);
		if (!seen)
			json_array_append_new(out, json_string(rid));
	}
out:
	strbuf_release(&scope);
	return out;
}

static json_t *string_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* orch_exemptions_list's view from st, whose lists are read: the Exempt states, then it. */
static enum orch_result view_of(struct sync_state *st, int64_t within_ms, json_t **out)
{
	enum orch_result ret;
	int64_t now_ms;
	json_t *ex;
	size_t i;

	*out = NULL;
	ret = st->failed ? ORCH_FAILED : read_exempt_states(st);
	if (!ret && st->failed)
		ret = ORCH_FAILED;
	if (ret)
		return ret;
	/* Azure's clock decides when an exemption stops exempting: judge by it, not by ours */
	now_ms = st->server_time_s ? (int64_t)st->server_time_s * 1000 : orch_wall_ms();
	*out = json_array();
	json_array_foreach(st->live, i, ex) {
		const json_t *props = json_object_get(ex, "properties");
		const json_t *meta = json_object_get(props, "metadata");
		enum exemption_status status = exemptions_status(ex, now_ms, within_ms);
		const json_t *refs = json_object_get(props, "policyDefinitionReferenceIds");
		const char *id = json_string_value(json_object_get(ex, "id"));
		struct strbuf scope = STRBUF_INIT;
		const char *cut = id ? strstr(id, "/providers/Microsoft.Authorization/policyExemptions/")
			: NULL;
		if (id)
			strbuf_add(&scope, id, cut ? (size_t)(cut - id) : strlen(id));
		json_array_append_new(*out, json_pack(
			"{s:o, s:o, s:s, s:o, s:b, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
			"name", string_or_null(json_string_value(json_object_get(ex, "name"))),
			"id", string_or_null(id),
			"scope", scope.buf,
			"assignmentId", string_or_null(json_string_value(json_object_get(props,
										       "policyAssignmentId"))),
			"managed", exemptions_is_managed(ex),
			"owner", string_or_null(json_string_value(json_object_get(meta, "owner"))),
			"expiresOn", string_or_null(json_string_value(json_object_get(props, "expiresOn"))),
			"status", exemption_status_name(status),
			"category", string_or_null(json_string_value(json_object_get(props,
										   "exemptionCategory"))),
			"reason", string_or_null(json_string_value(json_object_get(meta, "reason"))
						 ? json_string_value(json_object_get(meta, "reason"))
						 : json_string_value(json_object_get(props, "description"))),
			"ticket", string_or_null(json_string_value(json_object_get(meta, "ticket"))),
			"entry", string_or_null(json_string_value(json_object_get(meta, "entry"))),
			"members", json_is_array(refs) ? json_incref((json_t *)refs) : json_array(),
			"resources", covered(ex, st->states)));
		strbuf_release(&scope);
	}
	return ORCH_OK;
}

enum orch_result orch_exemptions_list(struct orch *o, int64_t within_ms, json_t **out)
{
	struct sync_state *st = state_new(o);
	enum orch_result ret = list_exemptions(st);
	*out = NULL;
	if (!ret)
		ret = view_of(st, within_ms, out);
	orch_phase_leave(&st->ph);
	return ret;
}

enum orch_result orch_exemptions_record_begin(struct orch *o, struct orch_exemptions_read **out)
{
	struct sync_state *st;
	enum orch_result ret;
	*out = NULL;
	if (!o->ledger || o->dry_run)
		return ORCH_OK;
	st = state_new(o);
	ret = list_exemptions(st);
	if (ret) {
		orch_phase_leave(&st->ph);
		return ret;
	}
	*out = (struct orch_exemptions_read *)st;
	return ORCH_OK;
}

void orch_exemptions_record_abandon(struct orch_exemptions_read *r)
{
	if (r)
		orch_phase_leave(&((struct sync_state *)r)->ph);
}

enum orch_result orch_exemptions_record(struct orch *o)
{
	struct orch_exemptions_read *r;
	enum orch_result ret = orch_exemptions_record_begin(o, &r);
	return ret ? ret : orch_exemptions_record_end(o, r);
}

enum orch_result orch_exemptions_record_end(struct orch *o, struct orch_exemptions_read *r)
{
	struct sync_state *st = (struct sync_state *)r;
	json_t *list = NULL, *ex, *kept = NULL;
	struct strbuf text = STRBUF_INIT;
	enum orch_result ret = ORCH_OK;
	size_t i;

	if (!st)
		return ORCH_OK;
	ret = view_of(st, o->cfg->exemptions_within, &list);
	if (ret)
		goto out;
	/* what the report shows: who, until when, in what state, and over which resources */
	kept = json_array();
	json_array_foreach(list, i, ex)
		json_array_append_new(kept, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
			"name", json_object_get(ex, "name"), "scope", json_object_get(ex, "scope"),
			"owner", json_object_get(ex, "owner"), "expiresOn", json_object_get(ex, "expiresOn"),
			"status", json_object_get(ex, "status"), "managed", json_object_get(ex, "managed"),
			"resources", json_object_get(ex, "resources")));
	jsonutil_add_compact(&text, kept);
	if (!orch_ledger_check(o, ledger_note_set(o->ledger, o->run.id, "exemptions", text.buf),
			       "the exemptions of the assignment"))
		ret = ORCH_LEDGER;
out:
	orch_phase_leave(&st->ph);
	json_decref(list);
	json_decref(kept);
	strbuf_release(&text);
	return ret;
}

int64_t orch_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
