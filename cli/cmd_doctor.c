/*
 * cmd_doctor — `policyctl doctor [--fix]`: every preflight check, one line each, read-only
 * unless --fix (which registers missing resource providers and waits for them)
 * (its row in main.c's command table holds its setup, options and help: CMD_NO_AUTH, as the
 * credential is one of the checks).
 */
#include "cli/cli.h"
#include "lib/jsonutil.h"
#include "lib/msg.h"
#include "orchestrator/preflight.h"
#include "lib/banned.h"

enum orch_result cmd_doctor(struct orch *o, const struct cli_options *opts)
{
	struct preflight pf = PREFLIGHT_INIT;
	struct preflight_options popts = { 0 };
	enum orch_result result;
	size_t i, counts[3] = { 0, 0, 0 };

	popts.fix = opts->fix;
	popts.check_ledger = 1;
	result = preflight_run(o, &popts, &pf);
	if (result != ORCH_OK)
		goto out;
	for (i = 0; i < pf.nr; i++)
		counts[pf.checks[i].status]++;
	if (o->json) {
		json_t *doc = json_pack("{s:o, s:I, s:I, s:I}", "checks", preflight_to_json(&pf),
					"ok", (json_int_t)counts[PREFLIGHT_PASS],
					"warnings", (json_int_t)counts[PREFLIGHT_WARN],
					"failed", (json_int_t)counts[PREFLIGHT_FAIL]);
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
out:
	preflight_release(&pf);
	return result;
}
