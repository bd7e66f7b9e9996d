/*
 * cmd_cancel — `policyctl cancel`: cancel the run's active remediation tasks.
 */
#include <stdio.h>
#include <string.h>

#include "cli/run_setup.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_cancel(int argc, char **argv, struct cli_context *ctx)
{
	struct run_setup rs;
	int ret;

	if (cli_wants_help(argc, argv)) {
		fputs("usage: policyctl [-c FILE] cancel\n\n"
		      "asks Azure to cancel every active remediation task of the run (queued ones are\n"
		      "simply dropped); 'policyctl track' then follows them to Canceled\n"
		      "\nexit codes: 0 cancel sent, 1 a cancel failed, 2 usage or config error\n", stdout);
		return EXIT_OK;
	}
	if (argc > 1) {
		msg_error("unexpected argument '%s': cancel takes no arguments", argv[1]);
		return EXIT_USAGE;
	}
	ret = run_setup_begin(&rs, ctx, RUN_LEDGER | RUN_RESUME_ONLY, "cancel");
	if (ret) {
		run_setup_end(&rs, ORCH_USAGE, 0);
		return ret;
	}
	return run_setup_end(&rs, orch_cancel(&rs.o), 0);
}
