/*
 * cmd_track — `policyctl track [--timeout DUR]`: follow the run's tasks to their end.
 */
#include "cli/run_setup.h"
#include "lib/banned.h"

static enum orch_result track(struct orch *o, const struct run_options *opts)
{
	return orch_track(o, opts->timeout_ms ? opts->timeout_ms : o->cfg->remediation_timeout);
}

int cmd_track(int argc, char **argv, struct cli_context *ctx)
{
	return run_setup_command(argc, argv, ctx,
		"usage: policyctl [-c FILE] track [--timeout DUR]\n\n"
		"polls every task of the run until it is Succeeded, Failed or Canceled (any other\n"
		"state counts as running), creating queued tasks as slots free. On a terminal it\n"
		"redraws progress per scope and in total (deployments succeeded / failed /\n"
		"remaining, elapsed, estimated time left); in a pipe it prints one line per\n"
		"state change. A failed task lists its failed deployments\n"
		"\noptions:\n"
		"  --timeout DUR   give up after DUR (default: [remediation] timeout)\n"
		"\nexit codes: 0 all succeeded, 1 some failed, 2 usage or config error,\n"
		"3 timeout (rerun to continue), 4 interrupted (rerun to continue)\n",
		RUN_OPT_TIMEOUT, RUN_LEDGER | RUN_RESUME_ONLY, 1, track);
}
