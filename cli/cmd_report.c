/*
 * cmd_report — `policyctl report [--format table|json|markdown]`: the latest run's outcome
 * per subscription and in total, with every failure and its request ids; from the ledger.
 */
#include "cli/run_setup.h"
#include "orchestrator/report.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_report(struct cli_context *ctx)
{
	struct ledger *l = NULL;
	struct ledger_run run = { 0 };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	enum report_format format = ctx->output == OUTPUT_JSON ? REPORT_JSON : REPORT_TABLE;
	json_t *report = NULL;
	int ret = EXIT_USAGE;

	if (ctx->opts.format && report_parse_format(ctx->opts.format, &format)) {
		msg_error("option '--format': expected one of table|json|markdown, got '%s'",
			  ctx->opts.format);
		goto out;
	}
	if (run_setup_open_latest(ctx, &l, &run))
		goto out;
	report = report_build(l, run.id, &err);
	if (!report) {
		msg_error("%s", err.buf);
		goto out;
	}
	report_render(report, format, &out);
	msg_out("%s", out.buf);
	ret = EXIT_OK;
out:
	json_decref(report);
	ledger_run_release(&run);
	ledger_close(l);
	strbuf_release(&err);
	strbuf_release(&out);
	return ret;
}
