/*
 * cmd_report — `policyctl report [--format table|json|markdown|html] [--out FILE]`: the latest
 * run's outcome per subscription and in total, with every failure and its request ids; from
 * the ledger. html is one self-contained page (orchestrator/report_html.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/run_setup.h"
#include "orchestrator/report.h"
#include "orchestrator/report_html.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_report(struct cli_context *ctx)
{
	struct ledger *l = NULL;
	struct ledger_run run = { 0 };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	enum report_format format = ctx->output == OUTPUT_JSON ? REPORT_JSON : REPORT_TABLE;
	json_t *report = NULL;
	int html = ctx->opts.format && !strcmp(ctx->opts.format, "html");
	int ret = EXIT_USAGE;
	int rc;

	if (ctx->opts.format && !html && report_parse_format(ctx->opts.format, &format)) {
		msg_error("option '--format': expected one of table|json|markdown|html, got '%s'",
			  ctx->opts.format);
		goto out;
	}
	if ((rc = run_setup_open_latest(ctx, &l, &run))) {
		ret = rc;
		goto out;
	}
	report = report_build(l, run.id, &err);
	if (!report) {
		msg_error("%s", err.buf);
		ret = EXIT_LEDGER;
		goto out;
	}
	if (!html)
		report_render(report, format, &out);
	else if (report_html_build(l, run.id, report, &out, &err)) {
		msg_error("%s", err.buf);
		ret = EXIT_LEDGER; /* the run's progress points cannot be read */
		goto out;
	}
	if (ctx->opts.out) {
		FILE *f = fopen(ctx->opts.out, "w");
		int written = f && fwrite(out.buf, 1, out.len, f) == out.len;
		int saved = errno;
		if (f && fclose(f) != 0 && written) {
			written = 0;
			saved = errno;
		}
		if (!written) {
			msg_error("cannot write '%s': %s", ctx->opts.out, strerror(saved));
			ret = EXIT_FAILED;
			goto out;
		}
		msg_note("wrote the report to '%s'", ctx->opts.out);
	} else {
		msg_out("%s", out.buf);
	}
	ret = EXIT_OK;
out:
	json_decref(report);
	ledger_run_release(&run);
	ledger_close(l);
	strbuf_release(&err);
	strbuf_release(&out);
	return ret;
}
