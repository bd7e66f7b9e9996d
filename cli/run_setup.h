/*
 * run_setup — what the orchestrator commands share: the one place generator/ and
 * orchestrator/ meet.
 *
 * The generator renders the policy set (generator/render.h); the orchestrator deploys a
 * struct deploy_set (orchestrator/orch.h); neither includes the other. run_setup_begin renders
 * and converts, builds the ARM client, attaches the ledger run and fills a struct orch;
 * run_setup_end records the outcome and frees everything, the client first (its pending
 * callbacks run against still-valid state), then the orchestrator and the ledger.
 */
#ifndef RUN_SETUP_H
#define RUN_SETUP_H

#include "cli/cli.h"
#include "orchestrator/orch.h"

enum run_setup_flags {
	RUN_NEEDS_SET = 1 << 0,     /* render the policy set (apply, plan, remediate, contain) */
	RUN_DRY_RUN = 1 << 1,       /* print writes, send none, record nothing */
	RUN_LEDGER = 1 << 2,        /* attach (or begin) the scope's run in the ledger */
	RUN_RESUME_ONLY = 1 << 3,   /* with RUN_LEDGER: never begin a run (track, cancel) */
	RUN_NO_NETWORK = 1 << 4,    /* no ARM client */
	RUN_NO_AUTH = 1 << 6,       /* do not get a token up front: the command reports the
				     * credential itself (doctor) */
	RUN_NEEDS_REFS = 1 << 5,    /* only the DeployIfNotExists reference ids (remediate):
				     * rendered for one scope, resources dropped, so 2,500
				     * subscriptions cost no more memory than one */
};

struct run_setup {
	struct deploy_set set;
	struct arm_client *arm;
	struct orch o;
	int orch_ready;
};

/* Returns EXIT_OK, or the exit code to return (message printed). rs is always releasable. */
int run_setup_begin(struct run_setup *rs, struct cli_context *ctx, unsigned flags,
		    const char *command);
/* Records result in the run (final: see orch_finish), frees rs; returns the exit code. */
int run_setup_end(struct run_setup *rs, enum orch_result result, int final);

/* The options the orchestrator commands share. */
enum run_option {
	RUN_OPT_DRY_RUN = 1 << 0, /* --dry-run, -n */
	RUN_OPT_WAIT = 1 << 1,    /* --wait, -w */
	RUN_OPT_TIMEOUT = 1 << 2, /* --timeout DUR, --timeout=DUR */
	RUN_OPT_SKIP_PREFLIGHT = 1 << 3, /* --skip-preflight (contain, apply) */
};

struct run_options {
	int dry_run;
	int wait;
	long timeout_ms; /* 0 when not given */
	int skip_preflight;
};

/*
 * Parses argv[1..] for the options in allowed (enum run_option) into opts. Returns EXIT_OK,
 * or EXIT_USAGE with a message naming the option and 'policyctl COMMAND --help'.
 */
int run_setup_parse_options(int argc, char **argv, unsigned allowed, struct run_options *opts);

/* A phase run by run_setup_command; opts borrowed. */
typedef enum orch_result run_phase_fn(struct orch *o, const struct run_options *opts);

/*
 * The body of most commands: parse options, set up, run phase, record and tear down. help
 * is printed for -h/--help. final: see orch_finish. Returns the exit code.
 */
int run_setup_command(int argc, char **argv, struct cli_context *ctx, const char *help,
		      unsigned allowed, unsigned flags, int final, run_phase_fn *phase);

/*
 * Opens the ledger read-only and reads its newest run (status, report). Returns EXIT_OK, or
 * EXIT_USAGE with the message printed. *l is new (ledger_close), run owned.
 */
int run_setup_open_latest(struct cli_context *ctx, struct ledger **l, struct ledger_run *run);

#endif
