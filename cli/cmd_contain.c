/*
 * cmd_contain — `policyctl contain`: the one-shot containment, apply → scan → remediate →
 * track → verify → report, resumable from the ledger at any point.
 */
#include <stdio.h>

#include "cli/run_setup.h"
#include "orchestrator/preflight.h"
#include "orchestrator/report.h"
#include "lib/msg.h"
#include "lib/banned.h"

static enum orch_result contain(struct orch *o, const struct run_options *opts)
{
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	enum orch_result result;
	json_t *report;

	/* before the first write: a blocking problem stops here, with nothing written */
	if (!opts->skip_preflight && (result = preflight_gate(o)) != ORCH_OK)
		return result;
	result = orch_contain(o, opts->timeout_ms ? opts->timeout_ms : o->cfg->remediation_timeout);
	if (result == ORCH_INTERRUPTED || result == ORCH_USAGE)
		return result;
	/* the report reads the run's final state from the ledger */
	orch_finish(o, result, 1);
	report = report_build(o->ledger, o->run.id, &err);
	if (report) {
		report_render(report, o->json ? REPORT_JSON : REPORT_TABLE, &text);
		fputs("\n", stdout);
		msg_out("%s", text.buf);
		json_decref(report);
	} else {
		msg_error("%s", err.buf);
	}
	strbuf_release(&err);
	strbuf_release(&text);
	return result;
}

int cmd_contain(int argc, char **argv, struct cli_context *ctx)
{
	return run_setup_command(argc, argv, ctx,
		"usage: policyctl [-c FILE] contain [--timeout DUR] [--skip-preflight]\n\n"
		"the whole job in one command: apply (definitions, initiative, assignment, role\n"
		"assignments) -> scan every subscription -> remediate -> track to the end ->\n"
		"verify with a fresh scan -> report. Killed or interrupted, the same command\n"
		"continues the run from the ledger without creating anything twice\n"
		"\noptions:\n"
		"  --timeout DUR   deadline for tracking (default: [remediation] timeout)\n"
		"  --skip-preflight  go on even when a doctor check fails (policyctl doctor);\n"
		"                  without it a blocking one stops the run before any write\n"
		"\nexit codes: 0 every site compliant, 1 some deployments, tasks or sites failed,\n"
		"2 usage or config error (or a blocking preflight check: nothing written), 3 timeout,\n"
		"4 interrupted (rerun to continue)\n",
		RUN_OPT_TIMEOUT | RUN_OPT_SKIP_PREFLIGHT, RUN_NEEDS_SET | RUN_LEDGER, 1, contain);
}
