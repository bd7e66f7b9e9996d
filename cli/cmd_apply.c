/*
 * cmd_apply — `policyctl apply`: definitions, initiative, assignment(s) and role
 * assignments, writing only what differs from the live state
 * (its row in main.c's command table holds its setup, options and help).
 */
#include "cli/cli.h"
#include "orchestrator/preflight.h"
#include "lib/banned.h"

enum orch_result cmd_apply(struct orch *o, const struct cli_options *opts)
{
	enum orch_result result;
	/* before the first write: a blocking problem stops here, with nothing written */
	if (!opts->skip_preflight && (result = preflight_gate(o)) != ORCH_OK)
		return result;
	return orch_apply(o);
}
