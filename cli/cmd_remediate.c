/*
 * cmd_remediate — `policyctl remediate [--dry-run]`: one remediation task per
 * DeployIfNotExists member per scope, named and recorded before it is sent.
 */
#include "cli/run_setup.h"
#include "lib/banned.h"

static enum orch_result remediate(struct orch *o, const struct run_options *opts)
{
	(void)opts;
	return orch_remediate(o);
}

int cmd_remediate(int argc, char **argv, struct cli_context *ctx)
{
	return run_setup_command(argc, argv, ctx,
		"usage: policyctl [-c FILE] remediate [--dry-run]\n\n"
		"creates one remediation task per DeployIfNotExists member and scope (the\n"
		"management group, or each subscription); at most [remediation]\n"
		"max_concurrent_tasks are active at once, the rest wait for 'policyctl track'.\n"
		"Task names are fixed in the ledger before they are sent: a rerun never makes a\n"
		"second task. resource_discovery = auto uses ExistingNonCompliant at a management\n"
		"group and after a scan of this run, else ReEvaluateCompliance\n"
		"\noptions:\n"
		"  -n, --dry-run   print each task's PUT instead of sending it\n"
		"\nexit codes: 0 created, 1 a task could not be created, 2 usage or config error,\n"
		"4 interrupted\n",
		RUN_OPT_DRY_RUN, RUN_NEEDS_REFS | RUN_LEDGER, 0, remediate);
}
