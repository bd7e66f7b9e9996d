/*
 * cmd_scan — `policyctl scan [--wait]`: trigger a compliance evaluation of every subscription.
 */
#include <stdio.h>
#include <string.h>

#include "cli/run_setup.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_scan(int argc, char **argv, struct cli_context *ctx)
{
	struct run_setup rs;
	int i, ret, wait = 0;

	if (cli_wants_help(argc, argv)) {
		fputs("usage: policyctl [-c FILE] scan [--wait]\n\n"
		      "triggers a compliance evaluation of every subscription in scope (a management\n"
		      "group is scanned subscription by subscription: Azure has no group-wide trigger)\n"
		      "\noptions:\n"
		      "  --wait   wait until every evaluation has finished\n"
		      "\nexit codes: 0 triggered (or finished), 1 a scan failed, 2 usage or config error,\n"
		      "3 timeout, 4 interrupted\n", stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait") || !strcmp(argv[i], "-w")) {
			wait = 1;
		} else {
			msg_error("unknown option '%s': see 'policyctl scan --help'", argv[i]);
			return EXIT_USAGE;
		}
	}
	ret = run_setup_begin(&rs, ctx, RUN_LEDGER, "scan");
	if (ret) {
		run_setup_end(&rs, ORCH_USAGE, 0);
		return ret;
	}
	return run_setup_end(&rs, orch_scan(&rs.o, wait), 0);
}
