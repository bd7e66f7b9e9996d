/*
 * cmd_status — `policyctl status`: what the ledger knows about the latest run, no network.
 */
#include <stdio.h>
#include <string.h>

#include "cli/run_setup.h"
#include "orchestrator/ledger.h"
#include "orchestrator/report.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_status(int argc, char **argv, struct cli_context *ctx)
{
	struct ledger *l = NULL;
	struct ledger_run run = { 0 };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	int ret = EXIT_USAGE;

	if (cli_wants_help(argc, argv)) {
		fputs("usage: policyctl [-c FILE] [--output table|json] status\n\n"
		      "prints what the ledger ([run] ledger) knows of the latest run: its phase and\n"
		      "state, writes sent and unanswered, scans, tasks by state; reads no network and\n"
		      "works while another policyctl is running\n"
		      "\nexit codes: 0 printed, 2 no ledger or no run, or usage error\n", stdout);
		return EXIT_OK;
	}
	if (argc > 1) {
		msg_error("unexpected argument '%s': status takes no arguments", argv[1]);
		return EXIT_USAGE;
	}
	if (run_setup_open_latest(ctx, &l, &run))
		goto out;
	if (report_status(l, run.id, ctx->output == OUTPUT_JSON, &out, &err)) {
		msg_error("%s", err.buf);
		goto out;
	}
	msg_out("%s", out.buf);
	ret = EXIT_OK;
out:
	ledger_run_release(&run);
	ledger_close(l);
	strbuf_release(&err);
	strbuf_release(&out);
	return ret;
}
