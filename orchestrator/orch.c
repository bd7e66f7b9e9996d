/*
 * orch — what every phase shares: scope, run attachment, the pump, failures, comparison
 * (see orch.h). The phases live in deploy.c, scan.c, remediate.c and verify.c; contain here.
 */
#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "orchestrator/orch.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

volatile sig_atomic_t orch_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	orch_interrupted = 1;
}

void orch_install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int64_t orch_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void deploy_set_add(struct deploy_set *set, enum deploy_kind kind, const char *scope,
		    const char *id, json_t *body)
{
	struct deploy_resource *r;
	ALLOC_GROW(set->resources, set->nr + 1, set->alloc);
	r = &set->resources[set->nr++];
	r->kind = kind;
	r->scope = xstrdup(scope);
	r->id = xstrdup(id);
	r->body = body;
}

void deploy_set_drop_resources(struct deploy_set *set)
{
	size_t i;
	for (i = 0; i < set->nr; i++) {
		free(set->resources[i].scope);
		free(set->resources[i].id);
		json_decref(set->resources[i].body);
	}
	free(set->resources);
	set->resources = NULL;
	set->nr = set->alloc = 0;
	/* thousands of rendered bodies leave free heap behind: give it back before tracking */
	malloc_trim(0);
}

void deploy_set_release(struct deploy_set *set)
{
	deploy_set_drop_resources(set);
	string_list_clear(&set->role_definition_ids);
	string_list_clear(&set->reference_ids);
	memset(set, 0, sizeof(*set));
}

enum orch_result orch_init(struct orch *o, const struct config *cfg, struct arm_client *arm,
			   struct deploy_set *set)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->cfg = cfg;
	o->arm = arm;
	o->set = set;
	o->out = stdout;
	o->principal_timeout_ms = cfg->run_principal_timeout;
	if (cfg->scope_management_group) {
		strbuf_addf(&sb, "mg:%s", cfg->scope_management_group);
	} else if (cfg->scope_subscriptions.nr) {
		strbuf_addstr(&sb, "subs:");
		for (i = 0; i < cfg->scope_subscriptions.nr; i++)
			strbuf_addf(&sb, "%s%s", i ? "," : "", cfg->scope_subscriptions.items[i]);
	} else {
		msg_error("config '%s': [scope] names neither management_group nor subscriptions",
			  cfg->path ? cfg->path : "policyctl.ini");
		strbuf_release(&sb);
		return ORCH_USAGE;
	}
	o->scope_key = strbuf_detach(&sb, NULL);
	if (set && set->nr) {
		for (i = 0; i < set->nr; i++)
			if (set->resources[i].kind == DEPLOY_POLICY_ASSIGNMENT) {
				string_list_append(&o->assignment_scopes, set->resources[i].scope);
				string_list_append(&o->assignment_ids, set->resources[i].id);
			}
	} else {
		/* The same ids the generator renders: scope + assignment name. */
		if (cfg->scope_management_group) {
			strbuf_addf(&sb, "/providers/Microsoft.Management/managementGroups/%s",
				    cfg->scope_management_group);
			string_list_append(&o->assignment_scopes, sb.buf);
		} else {
			for (i = 0; i < cfg->scope_subscriptions.nr; i++) {
				strbuf_reset(&sb);
				strbuf_addf(&sb, "/subscriptions/%s", cfg->scope_subscriptions.items[i]);
				string_list_append(&o->assignment_scopes, sb.buf);
			}
		}
		for (i = 0; i < o->assignment_scopes.nr; i++) {
			strbuf_reset(&sb);
			strbuf_addf(&sb, "%s/providers/Microsoft.Authorization/policyAssignments/%s",
				    o->assignment_scopes.items[i], cfg->assignment_name);
			string_list_append(&o->assignment_ids, sb.buf);
		}
	}
	if (cfg->scope_subscriptions.nr && !cfg->scope_management_group)
		for (i = 0; i < cfg->scope_subscriptions.nr; i++)
			string_list_append(&o->subscriptions, cfg->scope_subscriptions.items[i]);
	strbuf_release(&sb);
	return ORCH_OK;
}

void orch_release(struct orch *o)
{
	if (o->ledger)
		ledger_run_release(&o->run);
	ledger_close(o->ledger);
	string_list_clear(&o->subscriptions);
	string_list_clear(&o->assignment_ids);
	string_list_clear(&o->assignment_scopes);
	free(o->scope_key);
	memset(o, 0, sizeof(*o));
}

enum orch_result orch_attach_run(struct orch *o, const char *command, int resume_only)
{
	struct strbuf err = STRBUF_INIT;
	enum ledger_result lr;
	enum orch_result ret = ORCH_OK;

	lr = ledger_open(o->cfg->run_ledger, &o->ledger, &err);
	if (lr) {
		msg_error("%s", err.buf);
		ret = ORCH_USAGE;
		goto out;
	}
	lr = ledger_run_resumable(o->ledger, o->scope_key, &o->run);
	if (lr == LEDGER_OK) {
		msg_note("continuing run %s (%s, phase %s) from ledger '%s'", o->run.uid,
			 o->run.command, o->run.phase, o->cfg->run_ledger);
		ledger_run_resume(o->ledger, o->run.id);
	} else if (lr == LEDGER_ERR_NOT_FOUND && resume_only) {
		/* track and cancel work on the newest run, whatever its state */
		lr = ledger_run_latest(o->ledger, &o->run);
		if (lr) {
			msg_error("ledger '%s' holds no run to %s: start one with 'policyctl contain' "
				  "or 'policyctl remediate'", o->cfg->run_ledger, command);
			ret = ORCH_USAGE;
		}
	} else if (lr == LEDGER_ERR_NOT_FOUND) {
		lr = ledger_run_begin(o->ledger, command, o->scope_key, &o->run);
		if (lr) {
			msg_error("cannot record a new run in '%s': %s", o->cfg->run_ledger,
				  ledger_errmsg(o->ledger));
			ret = ORCH_USAGE;
		}
	} else {
		msg_error("cannot read ledger '%s': %s", o->cfg->run_ledger, ledger_errmsg(o->ledger));
		ret = ORCH_USAGE;
	}
	if (ret) {
		ledger_close(o->ledger);
		o->ledger = NULL;
	} else {
		/* the subscriptions resolved by an earlier process of this run */
		char *subs = NULL;
		if (!o->subscriptions.nr &&
		    ledger_note_get(o->ledger, o->run.id, "subscriptions", &subs) == LEDGER_OK && subs) {
			char *p = subs, *comma;
			while (*p) {
				comma = strchr(p, ',');
				if (comma)
					*comma = '\0';
				if (*p)
					string_list_append(&o->subscriptions, p);
				if (!comma)
					break;
				p = comma + 1;
			}
		}
		free(subs);
	}
out:
	strbuf_release(&err);
	return ret;
}

void orch_finish(struct orch *o, enum orch_result result, int final)
{
	static const char *const states[] = {
		[ORCH_OK] = "succeeded", [ORCH_FAILED] = "failed", [ORCH_USAGE] = "failed",
		[ORCH_TIMEOUT] = "timeout", [ORCH_INTERRUPTED] = "interrupted",
	};
	if (!o->ledger)
		return;
	if (!final && (result == ORCH_OK || result == ORCH_FAILED || result == ORCH_USAGE))
		ledger_run_set_state(o->ledger, o->run.id, "open");
	else
		ledger_run_set_state(o->ledger, o->run.id, states[result]);
}

enum orch_result orch_pump(struct orch *o, const size_t *pending, int64_t deadline_ms)
{
	while (*pending) {
		if (orch_interrupted)
			return ORCH_INTERRUPTED;
		if (deadline_ms && orch_now_ms() >= deadline_ms)
			return ORCH_TIMEOUT;
		/* Short slices so a signal or the deadline is noticed within 100 ms. */
		arm_client_run(o->arm, 100);
	}
	return orch_interrupted ? ORCH_INTERRUPTED : ORCH_OK;
}

void orch_record_failure(struct orch *o, const char *kind, const char *subject,
			 const struct arm_error *err)
{
	struct strbuf line = STRBUF_INIT;
	arm_error_format(err, &line);
	msg_error("%s", line.buf);
	if (o->ledger)
		ledger_failure_add(o->ledger, o->run.id, kind, subject, err->code ? err->code : "error",
				   err->message ? err->message : line.buf, err->request_id,
				   err->correlation_id);
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
		orch_record_failure(rs->o, "scope", rs->o->scope_key, &resp->error);
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
		ledger_note_set(o->ledger, o->run.id, "subscriptions", list.buf);
		strbuf_release(&list);
	}
	return ORCH_OK;
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
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
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
	EVP_Digest(key.buf, key.len, md, &md_len, EVP_sha256(), NULL);
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

/* ---- contain ---- */

static int phase_done(struct orch *o, const char *phase)
{
	static const char *const order[] = { "start", "apply", "scan", "remediate", "track",
					     "verify", "done" };
	size_t i, have = 0, want = 0;
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		if (!strcmp(o->run.phase, order[i]))
			have = i;
		if (!strcmp(phase, order[i]))
			want = i;
	}
	return have > want;
}

static void enter_phase(struct orch *o, const char *phase)
{
	free(o->run.phase);
	o->run.phase = xstrdup(phase);
	if (o->ledger)
		ledger_run_set_phase(o->ledger, o->run.id, phase);
}

/* The phase that finished: the run's phase names the next one to do. */
static void leave_phase(struct orch *o, const char *next, int64_t started)
{
	msg_note("%s done in %.1fs", o->run.phase, (double)(orch_now_ms() - started) / 1000.0);
	enter_phase(o, next);
}

enum orch_result orch_contain(struct orch *o, long timeout_ms)
{
	enum orch_result ret, worst = ORCH_OK;
	int64_t t = orch_now_ms();

	if (!phase_done(o, "start") && !strcmp(o->run.phase, "start"))
		enter_phase(o, "apply");
	if (!phase_done(o, "apply")) {
		msg_note("apply: definitions, initiative, assignment%s and role assignments",
			 o->assignment_ids.nr > 1 ? "s" : "");
		ret = orch_apply(o);
		if (ret)
			return ret; /* nothing later can work without the assignment */
		leave_phase(o, "scan", t);
		t = orch_now_ms();
	}
	if (o->set)
		deploy_set_drop_resources(o->set);
	ret = orch_resolve_subscriptions(o);
	if (ret)
		return ret;
	if (!phase_done(o, "scan")) {
		msg_note("scan: compliance evaluation of %zu subscriptions", o->subscriptions.nr);
		ret = orch_scan(o, 1);
		if (ret == ORCH_TIMEOUT || ret == ORCH_INTERRUPTED)
			return ret;
		if (ret)
			worst = ORCH_FAILED;
		leave_phase(o, "remediate", t);
		t = orch_now_ms();
	}
	if (!phase_done(o, "remediate")) {
		ret = orch_remediate(o);
		if (ret)
			return ret;
		leave_phase(o, "track", t);
		t = orch_now_ms();
	}
	if (!phase_done(o, "track")) {
		ret = orch_track(o, timeout_ms);
		if (ret == ORCH_TIMEOUT || ret == ORCH_INTERRUPTED)
			return ret;
		if (ret)
			worst = ORCH_FAILED;
		leave_phase(o, "verify", t);
		t = orch_now_ms();
	}
	if (!phase_done(o, "verify")) {
		msg_note("verify: a fresh scan, then the resources still non-compliant");
		ret = orch_verify(o);
		if (ret == ORCH_TIMEOUT || ret == ORCH_INTERRUPTED)
			return ret;
		if (ret)
			worst = ORCH_FAILED;
		leave_phase(o, "done", t);
		t = orch_now_ms();
	}
	/* A resumed run that had failures earlier still reports them. */
	if (o->ledger) {
		struct ledger_failure *f = NULL;
		size_t nr = 0;
		if (ledger_failure_list(o->ledger, o->run.id, &f, &nr) == LEDGER_OK && nr)
			worst = ORCH_FAILED;
		ledger_failures_free(f, nr);
	}
	return worst;
}
