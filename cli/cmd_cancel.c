/*
 * cmd_cancel — `policyctl cancel`: cancel the run's active remediation tasks.
 */
#include "cli/run_setup.h"
#include "lib/banned.h"

static enum orch_result cancel(struct orch *o, const struct run_options *opts)
{
	(void)opts;
	return orch_cancel(o);
}

int cmd_cancel(int argc, char **argv, struct cli_context *ctx)
{
	return run_setup_command(argc, argv, ctx,
		"usage: policyctl [-c FILE] cancel\n\n"
		"asks Azure to cancel every active remediation task of the run (queued ones are\n"
		"simply dropped); 'policyctl track' then follows them to Canceled\n"
		"\nexit codes: 0 cancel sent, 1 a cancel failed, 2 usage or config error\n",
		0, RUN_LEDGER | RUN_RESUME_ONLY, 0, cancel);
}
