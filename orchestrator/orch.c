/*
 * orch — the orchestrator's state for one command: scope, assignment ids, run attachment and
 * where the command leaves the run (see orch.h). The phases' toolkit is phase.c; the phases
 * live in deploy.c, scan.c, remediate.c, verify.c, and contain.c runs them in order.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "orchestrator/orch.h"
#include "orchestrator/desired.h"
#include "orchestrator/phase.h"
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

static const struct string_list no_assignments = STRING_LIST_INIT;

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
	o->assignment_ids = set ? &set->assignment_ids : &no_assignments;
	o->assignment_scopes = set ? &set->assignment_scopes : &no_assignments;
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
	idmap_clear(&o->found_absent);
	orch_scan_early_release(o);
	free(o->scope_key);
	memset(o, 0, sizeof(*o));
}

int orch_ledger_check(struct orch *o, enum ledger_result lr, const char *what)
{
	if (lr == LEDGER_OK)
		return 1;
	if (!o->ledger_failed)
		msg_error("ledger '%s': cannot record %s: %s; stopping here: nothing is sent that "
			  "the ledger has not recorded (free space or repair the ledger, then rerun "
			  "to continue)", o->cfg->run_ledger, what,
			  o->ledger ? ledger_errmsg(o->ledger) : "not open");
	o->ledger_failed = 1;
	return 0;
}

/* Reads the subscriptions an earlier process of this run resolved (note "subscriptions"). */
static enum ledger_result load_subscriptions(struct orch *o)
{
	char *subs = NULL, *p, *comma;
	enum ledger_result lr;

	if (o->subscriptions.nr)
		return LEDGER_OK;
	lr = ledger_note_get(o->ledger, o->run.id, "subscriptions", &subs);
	if (lr == LEDGER_ERR_NOT_FOUND)
		return LEDGER_OK; /* not resolved yet */
	if (lr || !subs)
		return lr;
	for (p = subs; *p; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (*p)
			string_list_append(&o->subscriptions, p);
		if (!comma)
			break;
	}
	free(subs);
	return LEDGER_OK;
}

/*
 * track and cancel: the run of this config's scope, never another scope's. The resumable one
 * first, else the newest (a finished run is tracked or cancelled as it is: never reopened).
 */
static enum orch_result attach_existing(struct orch *o, const char *command)
{
	enum ledger_result lr = ledger_run_resumable(o->ledger, o->scope_key, &o->run);

	if (lr == LEDGER_OK) {
		msg_note("continuing run %s (%s, phase %s) from ledger '%s'", o->run.uid,
			 o->run.command, ledger_phase_name(o->run.phase), o->cfg->run_ledger);
		return orch_ledger_check(o, ledger_run_resume(o->ledger, o->run.id),
					 "that the run is resumed") ? ORCH_OK : ORCH_LEDGER;
	}
	if (lr == LEDGER_ERR_NOT_FOUND)
		lr = ledger_run_latest_of_scope(o->ledger, o->scope_key, &o->run);
	if (lr == LEDGER_ERR_NOT_FOUND) {
		msg_error("ledger '%s' holds no run of this config's scope (%s) to %s: start one with "
			  "'policyctl contain' or 'policyctl remediate'", o->cfg->run_ledger,
			  o->scope_key, command);
		return ORCH_USAGE;
	}
	if (lr) {
		msg_error("cannot read ledger '%s': %s", o->cfg->run_ledger, ledger_errmsg(o->ledger));
		return ORCH_LEDGER;
	}
	o->run_finished = 1;
	msg_note("run %s of this scope has ended (%s); it is not reopened", o->run.uid,
		 ledger_run_state_name(o->run.state));
	return ORCH_OK;
}

/* apply, scan, remediate, contain: the scope's unfinished run, or a new one. */
static enum orch_result attach_or_begin(struct orch *o, const char *command)
{
	enum ledger_result lr = ledger_run_resumable(o->ledger, o->scope_key, &o->run);

	if (lr == LEDGER_OK) {
		msg_note("continuing run %s (%s, phase %s) from ledger '%s'", o->run.uid,
			 o->run.command, ledger_phase_name(o->run.phase), o->cfg->run_ledger);
		return orch_ledger_check(o, ledger_run_resume(o->ledger, o->run.id),
					 "that the run is resumed") ? ORCH_OK : ORCH_LEDGER;
	}
	if (lr != LEDGER_ERR_NOT_FOUND) {
		msg_error("cannot read ledger '%s': %s", o->cfg->run_ledger, ledger_errmsg(o->ledger));
		return ORCH_LEDGER;
	}
	if (ledger_run_begin(o->ledger, command, o->scope_key, &o->run)) {
		msg_error("cannot record a new run in '%s': %s", o->cfg->run_ledger,
			  ledger_errmsg(o->ledger));
		return ORCH_LEDGER;
	}
	return ORCH_OK;
}

/* The run's tasks that were sent and have not ended (planned or running in Azure). */
static enum ledger_result count_unfinished_tasks(struct orch *o, size_t *nr_unfinished)
{
	struct ledger_task *tasks = NULL;
	size_t nr = 0, i;
	enum ledger_result lr = ledger_task_list(o->ledger, o->run.id, &tasks, &nr);
	*nr_unfinished = 0;
	for (i = 0; !lr && i < nr; i++) {
		enum ledger_task_state state = ledger_task_state_of(tasks[i].state);
		*nr_unfinished += state == LEDGER_TASK_PLANNED || state == LEDGER_TASK_RUNNING;
	}
	ledger_tasks_free(tasks, nr);
	return lr;
}

/* Closes the attached run (its config changed) and begins a new attempt of command. */
static enum orch_result begin_new_attempt(struct orch *o, const char *command, const char *changed)
{
	size_t unfinished = 0;
	char *old_uid = xstrdup(o->run.uid);
	enum orch_result ret = ORCH_LEDGER;

	if (!orch_ledger_check(o, count_unfinished_tasks(o, &unfinished), "(read) the run's tasks"))
		goto out;
	msg_warning("config '%s' renders differently from run %s (changed: %s): that run is "
		    "closed and a new attempt starts from apply", o->cfg->path ? o->cfg->path
		    : "policyctl.ini", old_uid, changed);
	if (unfinished)
		msg_warning("%zu remediation task%s of run %s %s sent under the old config and may "
			    "still run in Azure; this run does not follow %s (cancel %s in the "
			    "portal if the old settings must not apply)", unfinished,
			    unfinished > 1 ? "s" : "", old_uid, unfinished > 1 ? "were" : "was",
			    unfinished > 1 ? "them" : "it", unfinished > 1 ? "them" : "it");
	if (!orch_ledger_check(o, ledger_note_set(o->ledger, o->run.id, "superseded", "config changed"),
			       "that the run is superseded") ||
	    !orch_ledger_check(o, ledger_run_set_state(o->ledger, o->run.id, LEDGER_RUN_FAILED),
			       "that the run is closed"))
		goto out;
	ledger_run_release(&o->run);
	if (ledger_run_begin(o->ledger, command, o->scope_key, &o->run)) {
		msg_error("cannot record a new run in '%s': %s", o->cfg->run_ledger,
			  ledger_errmsg(o->ledger));
		goto out;
	}
	if (!orch_ledger_check(o, ledger_note_set(o->ledger, o->run.id, "desired", o->desired),
			       "the run's desired state"))
		goto out;
	msg_note("run %s begins (the previous run was %s)", o->run.uid, old_uid);
	ret = ORCH_OK;
out:
	free(old_uid);
	return ret;
}

/*
 * Compares the desired state recorded with the attached run with o->desired (see
 * orch_attach_run): the same, or none recorded (a run just begun, or begun by a version that
 * recorded none), continues and records it.
 */
static enum orch_result check_desired(struct orch *o, const char *command)
{
	struct desired_digest was, now;
	struct strbuf changed = STRBUF_INIT;
	char *stored = NULL;
	enum ledger_result lr;
	enum orch_result ret = ORCH_OK;

	if (!o->desired || o->desired_policy == ORCH_DESIRED_IGNORE)
		return ORCH_OK;
	lr = ledger_note_get(o->ledger, o->run.id, "desired", &stored);
	if (lr == LEDGER_ERR_NOT_FOUND || (lr == LEDGER_OK && !stored)) {
		if (!o->run_finished &&
		    !orch_ledger_check(o, ledger_note_set(o->ledger, o->run.id, "desired", o->desired),
				       "the run's desired state"))
			ret = ORCH_LEDGER;
		goto out;
	}
	if (!orch_ledger_check(o, lr, "(read) the run's desired state")) {
		ret = ORCH_LEDGER;
		goto out;
	}
	if (desired_digest_parse(o->desired, &now)) {
		msg_error("internal error: the desired state digest '%s' does not parse", o->desired);
		ret = ORCH_USAGE;
		goto out;
	}
	if (desired_digest_parse(stored, &was))
		strbuf_addstr(&changed, "unreadable record of the run's desired state");
	else if (!desired_digest_diff(&was, &now, &changed))
		goto out;
	if (o->desired_policy == ORCH_DESIRED_REFUSE) {
		msg_error("config '%s' renders differently from run %s (changed: %s): '%s' would act "
			  "on what the config no longer asks for; run 'policyctl contain' to start a "
			  "new attempt with this config, or restore the config to continue run %s",
			  o->cfg->path ? o->cfg->path : "policyctl.ini", o->run.uid, changed.buf,
			  command, o->run.uid);
		ret = ORCH_USAGE;
	} else {
		ret = begin_new_attempt(o, command, changed.buf);
	}
out:
	free(stored);
	strbuf_release(&changed);
	return ret;
}

/*
 * The engine's before-send hook: the records of a turn of the loop (intents above all) are
 * committed together before any request leaves, instead of one commit per record (a third
 * of policyctl's CPU in apply went to 16,000 commits at 1,000 subscriptions).
 */
static int commit_before_send(void *data)
{
	struct orch *o = data;
	return orch_ledger_check(o, ledger_batch_flush(o->ledger), "a batch of the run's records")
	       ? 0 : -1;
}

enum orch_result orch_attach_run(struct orch *o, const char *command, int resume_only)
{
	struct strbuf err = STRBUF_INIT;
	enum orch_result ret;

	if (ledger_open(o->cfg->run_ledger, &o->ledger, &err)) {
		msg_error("%s", err.buf);
		ret = ORCH_USAGE;
		goto out;
	}
	ret = resume_only ? attach_existing(o, command) : attach_or_begin(o, command);
	if (!ret)
		ret = check_desired(o, command);
	if (!ret && !orch_ledger_check(o, load_subscriptions(o), "(read) the run's subscriptions"))
		ret = ORCH_LEDGER;
	if (!ret && o->arm) {
		ledger_batch_start(o->ledger);
		arm_client_set_before_send(o->arm, commit_before_send, o);
	}
out:
	if (ret && o->ledger) {
		if (o->run.uid)
			ledger_run_release(&o->run);
		ledger_close(o->ledger);
		o->ledger = NULL;
	}
	strbuf_release(&err);
	return ret;
}

/* The state a command leaves the run in, for its result. */
static enum ledger_run_state run_state_for(enum orch_result result, int final)
{
	switch (result) {
	case ORCH_OK:
		return final ? LEDGER_RUN_SUCCEEDED : LEDGER_RUN_OPEN;
	case ORCH_FAILED:
	case ORCH_USAGE:
		return final ? LEDGER_RUN_FAILED : LEDGER_RUN_OPEN;
	case ORCH_TIMEOUT:
		return LEDGER_RUN_TIMEOUT;
	case ORCH_INTERRUPTED:
	case ORCH_LEDGER:
		return LEDGER_RUN_INTERRUPTED;
	}
	return LEDGER_RUN_FAILED;
}

enum orch_result orch_finish(struct orch *o, enum orch_result result, int final)
{
	if (!o->ledger || o->run_finished)
		return result;
	o->run.state = run_state_for(result, final);
	if (!orch_ledger_check(o, ledger_run_set_state(o->ledger, o->run.id, o->run.state),
			       "the run's outcome") ||
	    !orch_ledger_check(o, ledger_batch_flush(o->ledger), "the run's last records"))
		return ORCH_LEDGER;
	return result;
}
