/*
 * cmd_remediate — `policyctl remediate [--dry-run]`: one remediation task per
 * DeployIfNotExists member per scope, named and recorded before it is sent.
 */
#include <stdio.h>
#include <string.h>

#include "cli/run_setup.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_remediate(int argc, char **argv, struct cli_context *ctx)
{
	struct run_setup rs;
	unsigned flags = RUN_NEEDS_REFS | RUN_LEDGER;
	int i, ret;

	if (cli_wants_help(argc, argv)) {
		fputs("usage: policyctl [-c FILE] remediate [--dry-run]\n\n"
		      "creates one remediation task per DeployIfNotExists member and scope (the\n"
		      "management group, or each subscription); at most [remediation]\n"
		      "max_concurrent_tasks are active at once, the rest wait for 'policyctl track'.\n"
		      "Task names are fixed in the ledger before they are sent: a rerun never makes a\n"
		      "second task. resource_discovery = auto uses ExistingNonCompliant at a management\n"
		      "group and after a scan of this run, else ReEvaluateCompliance\n"
		      "\noptions:\n"
		      "  --dry-run   print each task's PUT instead of sending it\n"
		      "\nexit codes: 0 created, 1 a task could not be created, 2 usage or config error,\n"
		      "4 interrupted\n", stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n")) {
			flags |= RUN_DRY_RUN;
		} else {
			msg_error("unknown option '%s': see 'policyctl remediate --help'", argv[i]);
			return EXIT_USAGE;
		}
	}
	ret = run_setup_begin(&rs, ctx, flags, "remediate");
	if (ret) {
		run_setup_end(&rs, ORCH_USAGE, 0);
		return ret;
	}
	return run_setup_end(&rs, orch_remediate(&rs.o), 0);
}
