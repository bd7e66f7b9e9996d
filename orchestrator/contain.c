/*
 * contain — apply → scan → remediate → track → verify in order, each phase recorded in the
 * run so a rerun skips what is done (see orch.h).
 */
#include <stdio.h>
#include <string.h>

#include "orchestrator/phase.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

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
			 o->assignment_ids->nr > 1 ? "s" : "");
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
