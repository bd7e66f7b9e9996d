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
			 o->run.command, ledger_phase_name(o->run.phase), o->cfg->run_ledger);
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
		return LEDGER_RUN_INTERRUPTED;
	}
	return LEDGER_RUN_FAILED;
}

void orch_finish(struct orch *o, enum orch_result result, int final)
{
	if (!o->ledger)
		return;
	o->run.state = run_state_for(result, final);
	ledger_run_set_state(o->ledger, o->run.id, o->run.state);
}

