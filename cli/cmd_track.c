/*
 * cmd_track — `policyctl track`: follow the run's tasks to their end, --timeout or
 * [remediation] timeout
 * (its row in main.c's command table holds its setup, options and help).
 */
#include "cli/cli.h"
#include "lib/banned.h"

enum orch_result cmd_track(struct orch *o, const struct cli_options *opts)
{
	return orch_track(o, opts->timeout_ms ? opts->timeout_ms : o->cfg->remediation_timeout);
}
