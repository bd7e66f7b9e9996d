/*
 * cmd_report — `policyctl report [--format table|json|markdown|html] [--out FILE]`: the latest
 * run's outcome per subscription and in total, with every failure and its request ids; from
 * the ledger. html is one self-contained page (orchestrator/report_html.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/run_setup.h"
#include "orchestrator/ledger.h"
#include "orchestrator/report.h"
#include "orchestrator/report_html.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_report(int argc, char **argv, struct cli_context *ctx)
{
	struct ledger *l = NULL;
	struct ledger_run run = { 0 };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	enum report_format format = ctx->output == OUTPUT_JSON ? REPORT_JSON : REPORT_TABLE;
	json_t *report = NULL;
	const char *value, *out_file = NULL;
	int i, html = 0, ret = EXIT_USAGE;

	if (cli_wants_help(argc, argv)) {
		fputs("usage: policyctl [-c FILE] report [--format table|json|markdown|html] [--out FILE]\n\n"
		      "prints the latest run's outcome from the ledger: per subscription and in total,\n"
		      "tasks, deployments succeeded and failed, resources still non-compliant after\n"
		      "verification, and every failure with its error code and request ids\n"
		      "\noptions:\n"
		      "  --format FORMAT   table (default), json, markdown, or html: one self-contained\n"
		      "                    page (inline CSS and SVG, no script) with the headline figures,\n"
		      "                    progress over time, a bar per subscription and the failures\n"
		      "  --out FILE        write the report to FILE instead of standard output\n"
		      "\nexit codes: 0 printed, 1 FILE could not be written, 2 no ledger or no run,\n"
		      "or usage error\n", stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		value = NULL;
		if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			out_file = argv[++i];
		} else if (!strncmp(argv[i], "--out=", 6)) {
			out_file = argv[i] + 6;
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			value = argv[++i];
		} else if (!strncmp(argv[i], "--format=", 9)) {
			value = argv[i] + 9;
		} else {
			msg_error("unknown option '%s': see 'policyctl report --help'", argv[i]);
			goto out;
		}
		if (out_file && !*out_file) {
			msg_error("option '--out': expected a file, got ''");
			goto out;
		}
		if (!value)
			continue;
		html = !strcmp(value, "html");
		if (!html && report_parse_format(value, &format)) {
			msg_error("option '--format': expected one of table|json|markdown|html, got '%s'",
				  value);
			goto out;
		}
	}
	if (run_setup_open_latest(ctx, &l, &run))
		goto out;
	report = report_build(l, run.id, &err);
	if (!report) {
		msg_error("%s", err.buf);
		goto out;
	}
	if (!html)
		report_render(report, format, &out);
	else if (report_html_build(l, run.id, report, &out, &err)) {
		msg_error("%s", err.buf);
		goto out;
	}
	if (out_file) {
		FILE *f = fopen(out_file, "w");
		if (!f || fwrite(out.buf, 1, out.len, f) != out.len || fclose(f)) {
			msg_error("cannot write '%s': %s", out_file, strerror(errno));
			if (f)
				fclose(f);
			ret = EXIT_FAILED;
			goto out;
		}
		msg_note("wrote the report to '%s'", out_file);
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
