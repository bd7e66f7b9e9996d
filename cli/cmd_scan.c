/*
 * cmd_scan — `policyctl scan [--wait]`: trigger a compliance evaluation of every subscription.
 */
#include "cli/run_setup.h"
#include "lib/banned.h"

static enum orch_result scan(struct orch *o, const struct run_options *opts)
{
	return orch_scan(o, opts->wait);
}

int cmd_scan(int argc, char **argv, struct cli_context *ctx)
{
	return run_setup_command(argc, argv, ctx,
		"usage: policyctl [-c FILE] scan [--wait]\n\n"
		"triggers a compliance evaluation of every subscription in scope (a management\n"
		"group is scanned subscription by subscription: Azure has no group-wide trigger)\n"
		"\noptions:\n"
		"  -w, --wait   wait until every evaluation has finished\n"
		"\nexit codes: 0 triggered (or finished), 1 a scan failed, 2 usage or config error,\n"
		"3 timeout, 4 interrupted\n",
		RUN_OPT_WAIT, RUN_LEDGER, 0, scan);
}
