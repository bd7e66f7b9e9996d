/*
 * cmd_plan — `policyctl plan`: what apply would create, update or leave alone; writes nothing.
 * (its row in main.c's command table holds its setup, options and help).
 */
#include "cli/cli.h"
#include "lib/banned.h"

enum orch_result cmd_plan(struct orch *o, const struct cli_options *opts)
{
	(void)opts;
	return orch_plan(o);
}
