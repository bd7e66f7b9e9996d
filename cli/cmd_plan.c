/*
 * cmd_plan — `policyctl plan`: what apply would create, update or leave alone; writes nothing.
 */
#include "cli/run_setup.h"
#include "lib/banned.h"

static enum orch_result plan(struct orch *o, const struct run_options *opts)
{
	(void)opts;
	return orch_plan(o);
}

int cmd_plan(int argc, char **argv, struct cli_context *ctx)
{
	return run_setup_command(argc, argv, ctx,
		"usage: policyctl [-c FILE] plan\n\n"
		"reads the live definitions, initiative, assignment(s) and role assignments and\n"
		"prints, per resource, create / update (with the differing fields) / unchanged;\n"
		"sends no write and records nothing\n"
		"\nexit codes: 0 planned, 1 a read failed, 2 usage or config error, 4 interrupted\n",
		0, RUN_NEEDS_SET, 0, plan);
}
