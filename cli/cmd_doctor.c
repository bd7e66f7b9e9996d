/*
 * cmd_doctor — `policyctl doctor [--fix]`: every preflight check, one line each, read-only
 * unless --fix (which registers missing resource providers and waits for them).
 */
#include <stdio.h>
#include <string.h>

#include "cli/run_setup.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "orchestrator/preflight.h"
#include "lib/banned.h"

static const char help[] =
	"usage: policyctl [-c FILE] doctor [--fix]\n\n"
	"checks, without writing anything, what contain and apply need before their first\n"
	"write, one line each (✓ ok, ! warning, ✗ problem, with the fix under it): the\n"
	"credential (method, principal, token lifetime) and the clock; that Resource Manager\n"
	"answers; the scope and its subscriptions; the principal's permissions at every scope\n"
	"written to (named with the built-in roles that grant what is missing);\n"
	"Microsoft.PolicyInsights and Microsoft.Web registered in every subscription; the\n"
	"remediation tasks already active against max_concurrent_tasks and Azure's 100;\n"
	"names; definitions and assignments already present (policyctl's or someone else's);\n"
	"the ledger file\n"
	"\noptions:\n"
	"  --fix   register the providers that are missing (POST .../register) and wait\n"
	"          until they are Registered (the one write doctor makes)\n"
	"\nexit codes: 0 nothing blocks contain, 1 some check failed (✗), 2 usage or config\n"
	"error, 4 interrupted\n";

int cmd_doctor(int argc, char **argv, struct cli_context *ctx)
{
	struct run_setup rs;
	struct preflight pf = PREFLIGHT_INIT;
	struct preflight_options opts;
	enum orch_result result;
	size_t i, counts[3] = { 0, 0, 0 };
	int ret;

	if (cli_wants_help(argc, argv)) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	memset(&opts, 0, sizeof(opts));
	opts.check_ledger = 1;
	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--fix")) {
			opts.fix = 1;
		} else {
			msg_error("unknown %s '%s': see 'policyctl doctor --help'",
				  argv[i][0] == '-' ? "option" : "argument", argv[i]);
			return EXIT_USAGE;
		}
	}
	/* the credential is one of the checks: no token is fetched before them */
	ret = run_setup_begin(&rs, ctx, RUN_NEEDS_SET | RUN_NO_AUTH, "doctor");
	if (ret) {
		run_setup_end(&rs, ORCH_USAGE, 0);
		return ret;
	}
	result = preflight_run(&rs.o, &opts, &pf);
	if (result == ORCH_OK) {
		for (i = 0; i < pf.nr; i++)
			counts[pf.checks[i].status]++;
		if (ctx->output == OUTPUT_JSON) {
			json_t *doc = json_pack("{s:o, s:i, s:i, s:i}", "checks", preflight_to_json(&pf),
						"ok", (int)counts[PREFLIGHT_PASS],
						"warnings", (int)counts[PREFLIGHT_WARN],
						"failed", (int)counts[PREFLIGHT_FAIL]);
			struct strbuf text = STRBUF_INIT;
			jsonutil_add_pretty(&text, doc);
			msg_out("%s\n", text.buf);
			strbuf_release(&text);
			json_decref(doc);
		} else {
			preflight_print(&pf, 0);
			msg_out("\n%zu checks: %zu ok, %zu warnings, %zu failed\n", pf.nr,
				counts[PREFLIGHT_PASS], counts[PREFLIGHT_WARN], counts[PREFLIGHT_FAIL]);
		}
		if (counts[PREFLIGHT_FAIL])
			result = ORCH_FAILED;
	}
	preflight_release(&pf);
	return run_setup_end(&rs, result, 0);
}
