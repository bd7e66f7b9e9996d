/*
 * cmd_report — `policyctl report [--format table|json|markdown]`: the latest run's outcome
 * per subscription and in total, with every failure and its request ids; from the ledger.
 */
#include <stdio.h>
#include <string.h>

#include "cli/run_setup.h"
#include "orchestrator/ledger.h"
#include "orchestrator/report.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_report(int argc, char **argv, struct cli_context *ctx)
{
	struct ledger *l = NULL;
	struct ledger_run run = { 0 };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	enum report_format format = ctx->output == OUTPUT_JSON ? REPORT_JSON : REPORT_TABLE;
	json_t *report = NULL;
	const char *value;
	int i, ret = EXIT_USAGE;

	if (cli_wants_help(argc, argv)) {
		fputs("usage: policyctl [-c FILE] report [--format table|json|markdown]\n\n"
		      "prints the latest run's outcome from the ledger: per subscription and in total,\n"
		      "tasks, deployments succeeded and failed, resources still non-compliant after\n"
		      "verification, and every failure with its error code and request ids\n"
		      "\noptions:\n"
		      "  --format FORMAT   table (default), json or markdown\n"
		      "\nexit codes: 0 printed, 2 no ledger or no run, or usage error\n", stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		value = NULL;
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			value = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			value = argv[i] + 9;
		if (!value) {
			msg_error("unknown option '%s': see 'policyctl report --help'", argv[i]);
			goto out;
		}
		if (report_parse_format(value, &format)) {
			msg_error("option '--format': expected one of table|json|markdown, got '%s'", value);
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
