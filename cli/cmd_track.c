/*
 * cmd_track — `policyctl track [--timeout DUR]`: follow the run's tasks to their end.
 */
#include <stdio.h>
#include <string.h>

#include "cli/run_setup.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_track(int argc, char **argv, struct cli_context *ctx)
{
	struct run_setup rs;
	long timeout = -1;
	int i, ret;

	if (cli_wants_help(argc, argv)) {
		fputs("usage: policyctl [-c FILE] track [--timeout DUR]\n\n"
		      "polls every task of the run until it is Succeeded, Failed or Canceled (any other\n"
		      "state counts as running), creating queued tasks as slots free. On a terminal it\n"
		      "redraws progress per scope and in total (deployments succeeded / failed /\n"
		      "remaining, elapsed, estimated time left); in a pipe it prints one line per\n"
		      "state change. A failed task lists its failed deployments\n"
		      "\noptions:\n"
		      "  --timeout DUR   give up after DUR (default: [remediation] timeout)\n"
		      "\nexit codes: 0 all succeeded, 1 some failed, 2 usage or config error,\n"
		      "3 timeout (rerun to continue), 4 interrupted (rerun to continue)\n", stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			timeout = run_setup_parse_timeout(argv[++i]);
		} else if (!strncmp(argv[i], "--timeout=", 10)) {
			timeout = run_setup_parse_timeout(argv[i] + 10);
		} else {
			msg_error("unknown option '%s': see 'policyctl track --help'", argv[i]);
			return EXIT_USAGE;
		}
		if (!timeout || timeout == -1)
			return EXIT_USAGE;
	}
	ret = run_setup_begin(&rs, ctx, RUN_LEDGER | RUN_RESUME_ONLY, "track");
	if (ret) {
		run_setup_end(&rs, ORCH_USAGE, 0);
		return ret;
	}
	return run_setup_end(&rs, orch_track(&rs.o, timeout > 0 ? timeout
					     : ctx->config.remediation_timeout), 1);
}
