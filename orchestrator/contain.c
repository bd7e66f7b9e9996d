/*
 * contain — apply → scan → remediate → track → verify in order, each phase recorded in the
 * run so a rerun skips what is done (see orch.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "orchestrator/phase.h"
#include "lib/msg.h"
#include "lib/banned.h"

/* 1 when the run has moved past phase (enum ledger_phase is in the order contain runs them). */
static int phase_done(const struct orch *o, enum ledger_phase phase)
{
	return o->run.phase > phase;
}

/* Records the phase the run is in; ORCH_LEDGER when the ledger refused (then stop). */
static enum orch_result enter_phase(struct orch *o, enum ledger_phase phase)
{
	o->run.phase = phase;
	if (o->ledger && !orch_ledger_check(o, ledger_run_set_phase(o->ledger, o->run.id, phase),
					    "the run's phase"))
		return ORCH_LEDGER;
	return ORCH_OK;
}

/* The phase that finished: the run's phase names the next one to do. */
static enum orch_result leave_phase(struct orch *o, enum ledger_phase next, int64_t started)
{
	msg_note("%s done in %.1fs", ledger_phase_name(o->run.phase),
		 (double)(orch_now_ms() - started) / 1000.0);
	return enter_phase(o, next);
}

/*
 * Whether every assignment is at a subscription: then a task's deployments stay in its
 * subscription, and that subscription is remediated once its own tasks are done. A management
 * group's tasks reach every subscription below it: its scans wait for the end of track.
 */
static int subscription_tasks_only(const struct orch *o)
{
	size_t i;
	for (i = 0; i < o->assignment_scopes->nr; i++) {
		const char *scope = o->assignment_scopes->items[i];
		if (strncasecmp(scope, "/subscriptions/", 15) || strchr(scope + 15, '/'))
			return 0;
	}
	return o->assignment_scopes->nr > 0;
}

/* Results after which contain stops at once (the rerun continues from the ledger). */
static int stops(enum orch_result ret)
{
	return ret == ORCH_TIMEOUT || ret == ORCH_INTERRUPTED || ret == ORCH_LEDGER;
}

enum orch_result orch_contain(struct orch *o, long timeout_ms)
{
	enum orch_result ret, worst = ORCH_OK;
	int64_t t = orch_now_ms();

	if (o->run.phase == LEDGER_PHASE_START && (ret = enter_phase(o, LEDGER_PHASE_APPLY)))
		return ret;
	if (!phase_done(o, LEDGER_PHASE_APPLY)) {
		msg_note("apply: definitions, initiative, assignment%s and role assignments",
			 o->assignment_ids->nr > 1 ? "s" : "");
		ret = orch_apply_policy(o); /* verify records the exemptions */
		if (ret)
			return ret; /* nothing later can work without the assignment */
		if ((ret = leave_phase(o, LEDGER_PHASE_SCAN, t)))
			return ret;
		t = orch_now_ms();
	}
	if (o->set)
		deploy_set_drop_resources(o->set);
	ret = orch_resolve_subscriptions(o);
	if (ret)
		return ret;
	if (!phase_done(o, LEDGER_PHASE_SCAN)) {
		msg_note("scan: compliance evaluation of %zu subscriptions", o->subscriptions.nr);
		ret = orch_scan(o, 1);
		if (stops(ret))
			return ret;
		if (ret)
			worst = ORCH_FAILED;
		if ((ret = leave_phase(o, LEDGER_PHASE_REMEDIATE, t)))
			return ret;
		t = orch_now_ms();
	}
	if (!phase_done(o, LEDGER_PHASE_REMEDIATE)) {
		ret = orch_remediate(o);
		if (ret == ORCH_FAILED && orch_exemptions_record(o) == ORCH_LEDGER)
			return ORCH_LEDGER; /* no verify follows: the report's exemptions are from now */
		if (ret)
			return ret;
		if ((ret = leave_phase(o, LEDGER_PHASE_TRACK, t)))
			return ret;
		t = orch_now_ms();
	}
	if (!phase_done(o, LEDGER_PHASE_TRACK)) {
		/* each subscription's verify scan starts as soon as its own tasks are done */
		o->early_scans = subscription_tasks_only(o);
		ret = orch_track(o, timeout_ms);
		o->early_scans = 0;
		if (stops(ret))
			return ret;
		if (ret)
			worst = ORCH_FAILED;
		if ((ret = leave_phase(o, LEDGER_PHASE_VERIFY, t)))
			return ret;
		t = orch_now_ms();
	}
	if (!phase_done(o, LEDGER_PHASE_VERIFY)) {
		msg_note("verify: a fresh scan, then the resources still non-compliant");
		ret = orch_verify(o);
		if (stops(ret))
			return ret;
		if (ret)
			worst = ORCH_FAILED;
		if ((ret = leave_phase(o, LEDGER_PHASE_DONE, t)))
			return ret;
		t = orch_now_ms();
	}
	/* A resumed run that had failures earlier still reports them. */
	if (o->ledger) {
		struct ledger_failure *f = NULL;
		size_t nr = 0;
		if (!orch_ledger_check(o, ledger_failure_list(o->ledger, o->run.id, &f, &nr),
				       "(read) the run's failures"))
			worst = ORCH_LEDGER;
		else if (nr)
			worst = ORCH_FAILED;
		ledger_failures_free(f, nr);
	}
	return worst;
}
