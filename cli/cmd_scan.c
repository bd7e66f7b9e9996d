/*
 * cmd_scan — `policyctl scan`: trigger a compliance evaluation of every subscription,
 * with --wait until each has finished
 * (its row in main.c's command table holds its setup, options and help).
 */
#include "cli/cli.h"
#include "lib/banned.h"

enum orch_result cmd_scan(struct orch *o, const struct cli_options *opts)
{
	return orch_scan(o, opts->wait);
}
