/*
 * cmd_apply — `policyctl apply`: definitions, initiative, assignment(s) and role
 * assignments, writing only what differs from the live state
 * (its row in main.c's command table holds its setup, options and help).
 */
#include "cli/cli.h"
#include "lib/banned.h"

enum orch_result cmd_apply(struct orch *o, const struct cli_options *opts)
{
	(void)opts;
	return orch_apply(o);
}
