/*
 * cmd_contain — `policyctl contain`: the one-shot containment, apply → scan → remediate →
 * track → verify → report, resumable from the ledger at any point.
 */
#include <stdio.h>
#include <string.h>

#include "cli/run_setup.h"
#include "orchestrator/report.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_contain(int argc, char **argv, struct cli_context *ctx)
{
	struct run_setup rs;
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	enum orch_result result;
	long timeout = -1;
	int i, ret;
	json_t *report;

	if (cli_wants_help(argc, argv)) {
		fputs("usage: policyctl [-c FILE] contain [--timeout DUR]\n\n"
		      "the whole job in one command: apply (definitions, initiative, assignment, role\n"
		      "assignments) -> scan every subscription -> remediate -> track to the end ->\n"
		      "verify with a fresh scan -> report. Killed or interrupted, the same command\n"
		      "continues the run from the ledger without creating anything twice\n"
		      "\noptions:\n"
		      "  --timeout DUR   deadline for tracking (default: [remediation] timeout)\n"
		      "\nexit codes: 0 every site compliant, 1 some deployments, tasks or sites failed,\n"
		      "2 usage or config error, 3 timeout, 4 interrupted (rerun to continue)\n", stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			timeout = run_setup_parse_timeout(argv[++i]);
		} else if (!strncmp(argv[i], "--timeout=", 10)) {
			timeout = run_setup_parse_timeout(argv[i] + 10);
		} else {
			msg_error("unknown option '%s': see 'policyctl contain --help'", argv[i]);
			return EXIT_USAGE;
		}
		if (timeout == -1)
			return EXIT_USAGE;
	}
	ret = run_setup_begin(&rs, ctx, RUN_NEEDS_SET | RUN_LEDGER, "contain");
	if (ret) {
		run_setup_end(&rs, ORCH_USAGE, 0);
		return ret;
	}
	result = orch_contain(&rs.o, timeout > 0 ? timeout : ctx->config.remediation_timeout);
	if (result != ORCH_INTERRUPTED && result != ORCH_USAGE) {
		orch_finish(&rs.o, result, 1);
		report = report_build(rs.o.ledger, rs.o.run.id, &err);
		if (report) {
			report_render(report, ctx->output == OUTPUT_JSON ? REPORT_JSON : REPORT_TABLE, &text);
			fputs("\n", stdout);
			msg_out("%s", text.buf);
			json_decref(report);
		} else {
			msg_error("%s", err.buf);
		}
	}
	strbuf_release(&err);
	strbuf_release(&text);
	return run_setup_end(&rs, result, 1);
}
