/*
 * cmd_remediate — `policyctl remediate`: one remediation task per DeployIfNotExists member per
 * scope, named and recorded before it is sent
 * (its row in main.c's command table holds its setup, options and help).
 */
#include "cli/cli.h"
#include "lib/banned.h"

enum orch_result cmd_remediate(struct orch *o, const struct cli_options *opts)
{
	(void)opts;
	return orch_remediate(o);
}
