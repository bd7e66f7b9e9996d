/*
 * cmd_cancel — `policyctl cancel`: cancel the run's active remediation tasks
 * (its row in main.c's command table holds its setup, options and help).
 */
#include "cli/cli.h"
#include "lib/banned.h"

enum orch_result cmd_cancel(struct orch *o, const struct cli_options *opts)
{
	(void)opts;
	return orch_cancel(o);
}
