/*
 * phase — the phases' shared toolkit: heap state, pump, failures, subscriptions in scope,
 * comparison, role assignment names (see phase.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "orchestrator/phase.h"
#include "lib/digest.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

int64_t orch_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum orch_result orch_pump(struct orch *o, const size_t *pending, int64_t deadline_ms)
{
	for (;;) {
		if (o->ledger_failed)
			return ORCH_LEDGER; /* nothing more is sent: see orch_ledger_check */
		if (!*pending)
			break;
		if (orch_interrupted)
			return ORCH_INTERRUPTED;
		if (deadline_ms && orch_now_ms() >= deadline_ms)
			return ORCH_TIMEOUT;
		/* Short slices so a signal or the deadline is noticed within 100 ms. */
		arm_client_run(o->arm, 100);
	}
	return orch_interrupted ? ORCH_INTERRUPTED : ORCH_OK;
}

void orch_record_answer(struct orch *o, int64_t write_id, const struct arm_response *resp,
			const char *what)
{
	int ok = resp->result == ARM_OK;
	if (!write_id)
		return;
	orch_ledger_check(o, ledger_write_outcome(o->ledger, write_id, ok, (int)resp->status,
						  ok ? resp->request_id : resp->error.request_id,
						  ok ? NULL : resp->error.code,
						  ok ? NULL : resp->error.message),
			  what);
}

void orch_query_states(struct orch *o, struct orch_phase *ph, const char *scope,
		       const char *assignment_id, const char *compliance_state, arm_done_fn *fn)
{
	struct strbuf path = STRBUF_INIT, filter = STRBUF_INIT, query = STRBUF_INIT;
	struct arm_call_options opts;
	memset(&opts, 0, sizeof(opts));
	opts.flags = ARM_READ;
	strbuf_addf(&path, "%s/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults",
		    scope);
	strbuf_addf(&filter, "ComplianceState eq '%s' and PolicyAssignmentId eq '%s'",
		    compliance_state, assignment_id);
	strbuf_addstr(&query, "$filter=");
	strbuf_add_urlencoded(&query, filter.buf);
	opts.query = query.buf;
	ph->pending++;
	arm_submit_list(o->arm, "POST", path.buf, NULL, &opts, NULL, fn, ph);
	strbuf_release(&path);
	strbuf_release(&filter);
	strbuf_release(&query);
}

void orch_record_failure(struct orch *o, enum ledger_failure_kind kind, const char *subject,
			 const struct arm_error *err)
{
	struct strbuf line = STRBUF_INIT;
	arm_error_format(err, &line);
	msg_error("%s", line.buf);
	if (o->ledger)
		orch_ledger_check(o, ledger_failure_add(o->ledger, o->run.id, kind, subject,
							err->code ? err->code : "error",
							err->message ? err->message : line.buf,
							err->request_id, err->correlation_id),
				  "a failure");
	strbuf_release(&line);
}

int orch_phase_arrive(struct orch_phase *ph)
{
	ph->pending--;
	if (!ph->abandoned)
		return 1;
	if (!ph->pending)
		ph->free_fn(ph);
	return 0;
}

void orch_phase_leave(struct orch_phase *ph)
{
	if (ph->pending)
		ph->abandoned = 1;
	else
		ph->free_fn(ph);
}

/* ---- subscriptions in scope ---- */

struct resolve_state {
	struct orch_phase ph;
	struct orch *o;
	int failed;
};

static void free_resolve(struct orch_phase *ph)
{
	free(ph);
}

static void on_descendants(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct resolve_state *rs = data;
	json_t *item;
	size_t i;
	(void)client;
	if (!orch_phase_arrive(&rs->ph))
		return;
	if (resp->result != ARM_OK) {
		orch_record_failure(rs->o, LEDGER_FAILURE_SCOPE, rs->o->scope_key, &resp->error);
		rs->failed = 1;
		return;
	}
	json_array_foreach(resp->body, i, item) {
		const char *type = json_string_value(json_object_get(item, "type"));
		const char *name = json_string_value(json_object_get(item, "name"));
		if (type && name && (!strcasecmp(type, "Microsoft.Management/managementGroups/subscriptions") ||
				     !strcasecmp(type, "/subscriptions")))
			string_list_append(&rs->o->subscriptions, name);
	}
}

enum orch_result orch_resolve_subscriptions(struct orch *o)
{
	struct resolve_state *rs;
	struct strbuf path = STRBUF_INIT;
	enum orch_result ret;
	size_t i;

	if (o->subscriptions.nr || !o->cfg->scope_management_group)
		return ORCH_OK;
	rs = xcalloc(1, sizeof(*rs));
	rs->ph.free_fn = free_resolve;
	rs->o = o;
	strbuf_addf(&path, "/providers/Microsoft.Management/managementGroups/%s/descendants",
		    o->cfg->scope_management_group);
	rs->ph.pending++;
	arm_submit_list(o->arm, "GET", path.buf, NULL, NULL, NULL, on_descendants, rs);
	ret = orch_pump(o, &rs->ph.pending, 0);
	strbuf_release(&path);
	if (!ret && rs->failed)
		ret = ORCH_FAILED;
	orch_phase_leave(&rs->ph);
	if (ret)
		return ret;
	if (!o->subscriptions.nr)
		msg_warning("management group '%s' holds no subscription", o->cfg->scope_management_group);
	if (o->ledger) {
		struct strbuf list = STRBUF_INIT;
		for (i = 0; i < o->subscriptions.nr; i++)
			strbuf_addf(&list, "%s%s", i ? "," : "", o->subscriptions.items[i]);
		if (!orch_ledger_check(o, ledger_note_set(o->ledger, o->run.id, "subscriptions", list.buf),
				       "the subscriptions in scope"))
			ret = ORCH_LEDGER;
		strbuf_release(&list);
	}
	return ret;
}

/* ---- comparison ---- */

static int empty_container(const json_t *j)
{
	return (json_is_array(j) && !json_array_size(j)) || (json_is_object(j) && !json_object_size(j));
}

static void note_diff(struct strbuf *diff, const char *path)
{
	if (!diff)
		return;
	if (diff->len > 200) {
		if (diff->buf[diff->len - 1] != '.')
			strbuf_addstr(diff, ", ...");
		return;
	}
	strbuf_addf(diff, "%s%s", diff->len ? ", " : "", *path ? path : "(body)");
}

static int contains_at(const json_t *want, const json_t *have, struct strbuf *path,
		       struct strbuf *diff)
{
	const char *key;
	json_t *val;
	size_t i, len = path->len;
	int same = 1;

	if (json_is_object(want)) {
		if (!json_is_object(have)) {
			note_diff(diff, path->buf);
			return 0;
		}
		json_object_foreach((json_t *)want, key, val) {
			json_t *other = json_object_get(have, key);
			strbuf_addf(path, "%s%s", len ? "." : "", key);
			if (!other) {
				if (!empty_container(val) && !json_is_null(val)) {
					note_diff(diff, path->buf);
					same = 0;
				}
			} else if (!contains_at(val, other, path, diff)) {
				same = 0;
			}
			strbuf_setlen(path, len);
			if (!same && !diff)
				return 0;
		}
		return same;
	}
	if (json_is_array(want)) {
		if (!json_is_array(have) || json_array_size(have) != json_array_size(want)) {
			note_diff(diff, path->buf);
			return 0;
		}
		json_array_foreach((json_t *)want, i, val) {
			strbuf_addf(path, "[%zu]", i);
			if (!contains_at(val, json_array_get(have, i), path, NULL)) {
				strbuf_setlen(path, len);
				note_diff(diff, path->buf);
				return 0;
			}
			strbuf_setlen(path, len);
		}
		return 1;
	}
	if (json_is_string(want) && json_is_string(have)) {
		const char *a = json_string_value(want), *b = json_string_value(have);
		/* ARM lower-cases ids in responses */
		if (a[0] == '/' ? !strcasecmp(a, b) : !strcmp(a, b))
			return 1;
	} else if (json_is_number(want) && json_is_number(have)) {
		if (json_number_value(want) == json_number_value(have))
			return 1;
	} else if (json_equal((json_t *)want, (json_t *)have)) {
		return 1;
	}
	note_diff(diff, path->buf);
	return 0;
}

int orch_json_contains(const json_t *desired, const json_t *live, struct strbuf *diff)
{
	struct strbuf path = STRBUF_INIT;
	int ret = contains_at(desired, live, &path, diff);
	strbuf_release(&path);
	return ret;
}

char *orch_role_assignment_name(const char *scope, const char *principal_id, const char *role_id)
{
	unsigned char md[DIGEST_SHA256_SIZE];
	struct strbuf key = STRBUF_INIT;
	char uuid[37];
	const char *p;

	for (p = scope; *p; p++)
		strbuf_addch(&key, tolower((unsigned char)*p));
	strbuf_addch(&key, '|');
	for (p = principal_id; *p; p++)
		strbuf_addch(&key, tolower((unsigned char)*p));
	strbuf_addch(&key, '|');
	for (p = role_id; *p; p++)
		strbuf_addch(&key, tolower((unsigned char)*p));
	digest_sha256(key.buf, key.len, md);
	/* A name-based UUID (version 5 layout, SHA-256 instead of SHA-1): same inputs, same name. */
	md[6] = (md[6] & 0x0f) | 0x50;
	md[8] = (md[8] & 0x3f) | 0x80;
	snprintf(uuid, sizeof(uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10],
		 md[11], md[12], md[13], md[14], md[15]);
	strbuf_release(&key);
	return xstrdup(uuid);
}

