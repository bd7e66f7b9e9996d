/*
 * cmd_contain — `policyctl contain`: the one-shot containment, apply → scan → remediate →
 * track → verify, resumable from the ledger at any point; run_setup prints the report once
 * the outcome is recorded
 * (its row in main.c's command table holds its setup, options and help).
 */
#include "cli/cli.h"
#include "orchestrator/preflight.h"
#include "lib/banned.h"

enum orch_result cmd_contain(struct orch *o, const struct cli_options *opts)
{
	enum orch_result result;
	/* before the first write: a blocking problem stops here, with nothing written (a
	 * resumed run checks again: others' tasks may have come or gone) */
	if (!opts->skip_preflight && (result = preflight_gate(o)) != ORCH_OK)
		return result;
	return orch_contain(o, opts->timeout_ms ? opts->timeout_ms : o->cfg->remediation_timeout);
}
