/*
 * cmd_status — `policyctl status`: what the ledger knows about the latest run, no network.
 */
#include "cli/run_setup.h"
#include "orchestrator/report.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_status(struct cli_context *ctx)
{
	struct ledger *l = NULL;
	struct ledger_run run = { 0 };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	int ret = EXIT_USAGE;
	int rc;

	if ((rc = run_setup_open_latest(ctx, &l, &run))) {
		ret = rc;
		goto out;
	}
	if (report_status(l, run.id, ctx->output == OUTPUT_JSON, &out, &err)) {
		msg_error("%s", err.buf);
		ret = EXIT_LEDGER;
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
