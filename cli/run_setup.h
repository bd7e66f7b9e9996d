/*
 * run_setup — what the orchestrator commands share: the one place generator/ and
 * orchestrator/ meet.
 *
 * The generator renders the policy set into a struct deploy_set (lib/deploy_set.h), which the
 * orchestrator deploys; neither includes the other. run_setup_command does, for a row of the
 * command table: render (per the row's flags), build the ARM client, fill a struct orch and
 * attach the ledger run; run the row's phase; record the outcome in the run once
 * (orch_finish); print the report when the row asks for one; and free everything, the client
 * first (its pending callbacks run against still-valid state), then the orchestrator and the
 * ledger.
 */
#ifndef RUN_SETUP_H
#define RUN_SETUP_H

#include "cli/cli.h"
#include "orchestrator/ledger.h"

/* Runs cmd (its run function) as above; returns the exit code. ctx->config is loaded. */
int run_setup_command(const struct command *cmd, struct cli_context *ctx);

/*
 * Opens the ledger read-only and reads its newest run (status, report). Returns EXIT_OK,
 * EXIT_USAGE (no ledger, no run) or EXIT_LEDGER (the run cannot be read), message printed. *l is new (ledger_close), run owned.
 */
int run_setup_open_latest(struct cli_context *ctx, struct ledger **l, struct ledger_run *run);

#endif
