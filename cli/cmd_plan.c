/*
 * cmd_plan — `policyctl plan`: what apply would create, update or leave alone; writes nothing.
 */
#include <stdio.h>
#include <string.h>

#include "cli/run_setup.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_plan(int argc, char **argv, struct cli_context *ctx)
{
	struct run_setup rs;
	int ret;

	if (cli_wants_help(argc, argv)) {
		fputs("usage: policyctl [-c FILE] plan\n\n"
		      "reads the live definitions, initiative, assignment(s) and role assignments and\n"
		      "prints, per resource, create / update (with the differing fields) / unchanged;\n"
		      "sends no write and records nothing\n"
		      "\nexit codes: 0 planned, 1 a read failed, 2 usage or config error, 4 interrupted\n",
		      stdout);
		return EXIT_OK;
	}
	if (argc > 1) {
		msg_error("unexpected argument '%s': plan takes no arguments", argv[1]);
		return EXIT_USAGE;
	}
	ret = run_setup_begin(&rs, ctx, RUN_NEEDS_SET, "plan");
	if (ret) {
		run_setup_end(&rs, ORCH_USAGE, 0);
		return ret;
	}
	return run_setup_end(&rs, orch_plan(&rs.o), 0);
}
