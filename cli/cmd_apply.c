/*
 * cmd_apply — `policyctl apply [--dry-run]`: definitions, initiative, assignment(s) and role
 * assignments, writing only what differs from the live state.
 */
#include <stdio.h>
#include <string.h>

#include "cli/run_setup.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_apply(int argc, char **argv, struct cli_context *ctx)
{
	struct run_setup rs;
	unsigned flags = RUN_NEEDS_SET | RUN_LEDGER;
	int i, ret;

	if (cli_wants_help(argc, argv)) {
		fputs("usage: policyctl [-c FILE] apply [--dry-run]\n\n"
		      "puts the policy definitions (in parallel), the initiative, the assignment at the\n"
		      "management group or at each listed subscription, then a role assignment for each\n"
		      "role the DeployIfNotExists members need, for the assignment's managed identity;\n"
		      "resources equal to the desired state are not rewritten; PrincipalNotFound is\n"
		      "retried until [run] principal_timeout\n"
		      "\noptions:\n"
		      "  --dry-run   print each write (method, URL, body) instead of sending it\n"
		      "\nexit codes: 0 applied, 1 a write failed, 2 usage or config error, 4 interrupted\n",
		      stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n")) {
			flags |= RUN_DRY_RUN;
		} else {
			msg_error("unknown option '%s': see 'policyctl apply --help'", argv[i]);
			return EXIT_USAGE;
		}
	}
	ret = run_setup_begin(&rs, ctx, flags, "apply");
	if (ret) {
		run_setup_end(&rs, ORCH_USAGE, 0);
		return ret;
	}
	return run_setup_end(&rs, orch_apply(&rs.o), 0);
}
