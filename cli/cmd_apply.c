/*
 * cmd_apply — `policyctl apply [--dry-run]`: definitions, initiative, assignment(s) and role
 * assignments, writing only what differs from the live state.
 */
#include "cli/run_setup.h"
#include "orchestrator/preflight.h"
#include "lib/banned.h"

static enum orch_result apply(struct orch *o, const struct run_options *opts)
{
	enum orch_result result;
	if (!opts->skip_preflight && (result = preflight_gate(o)) != ORCH_OK)
		return result;
	return orch_apply(o);
}

int cmd_apply(int argc, char **argv, struct cli_context *ctx)
{
	return run_setup_command(argc, argv, ctx,
		"usage: policyctl [-c FILE] apply [--dry-run] [--skip-preflight]\n\n"
		"puts the policy definitions (in parallel), the initiative, the assignment at the\n"
		"management group or at each listed subscription, then a role assignment for each\n"
		"role the DeployIfNotExists members need, for the assignment's managed identity;\n"
		"resources equal to the desired state are not rewritten; PrincipalNotFound is\n"
		"retried until [run] principal_timeout\n"
		"\noptions:\n"
		"  -n, --dry-run   print each write (method, URL, body) instead of sending it\n"
		"  --skip-preflight  go on even when a doctor check fails (see policyctl doctor)\n"
		"\nexit codes: 0 applied, 1 a write failed, 2 usage or config error (or a blocking\n"
		"preflight check: nothing written), 4 interrupted\n",
		RUN_OPT_DRY_RUN | RUN_OPT_SKIP_PREFLIGHT, RUN_NEEDS_SET | RUN_LEDGER, 0, apply);
}
