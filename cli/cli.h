/*
 * cli — the command table's types: exit codes, global and command options, what a command
 * needs set up before it runs.
 *
 * Each command is one row of the table in main.c: its name, its function, what main prepares
 * for it (config, rendering, ARM client, ledger run, a report afterwards), the options it
 * allows, and its summary and help. main.c parses every command's options with one
 * getopt_long parser from the row's allowed set, loads the config, and either calls the
 * row's function or (for the orchestrator commands) has run_setup prepare a struct orch and
 * run the row's phase. Adding a command is adding a row and its function; adding an option is
 * one entry in main.c's option table and one bit below. Exit codes are documented in README
 * and the man page: keep all three in step.
 */
#ifndef CLI_H
#define CLI_H

#include "lib/config.h"
#include "orchestrator/orch.h"

enum exit_code {
	EXIT_OK = 0,          /* the work succeeded: everything compliant or succeeded */
	EXIT_FAILED = 1,      /* the work failed: some deployment, task or request failed */
	EXIT_USAGE = 2,       /* bad command line or configuration */
	EXIT_TIMEOUT = 3,     /* a deadline passed before the work finished */
	EXIT_INTERRUPTED = 4, /* stopped by a signal; the run can be resumed */
	EXIT_LEDGER = 5,      /* the ledger could not record or read the run: stopped there,
			       * nothing unrecorded was sent; rerun once the ledger is writable */
};

enum output_format {
	OUTPUT_TABLE,
	OUTPUT_JSON,
};

/* The options a command may allow (struct command.options). */
enum cli_option {
	OPT_DRY_RUN = 1 << 0, /* -n, --dry-run */
	OPT_WAIT = 1 << 1,    /* -w, --wait */
	OPT_TIMEOUT = 1 << 2, /* --timeout DUR (a positive duration: 30s, 5m, 4h) */
	OPT_FORMAT = 1 << 3,  /* -f, --format FORMAT (the command checks the value) */
	OPT_OUT = 1 << 4,     /* -o, --out DIR */
	OPT_ARGS = 1 << 5,    /* positional arguments (else one is a usage error) */
	OPT_PARAMETERS = 1 << 6,   /* -p, --parameters FILE (check: an ARM parameter file) */
	OPT_SUPPRESSIONS = 1 << 7, /* -s, --suppressions FILE (check) */
	OPT_TODAY = 1 << 8,        /* --today YYYY-MM-DD (check: the day expiries are judged on) */
	OPT_SKIP_PREFLIGHT = 1 << 9, /* --skip-preflight (contain, apply) */
	OPT_FIX = 1 << 10,    /* --fix (doctor) */
	OPT_WITHIN = 1 << 11,      /* --within DUR (a positive duration: 30d, 12h; exemptions) */
	OPT_TIER = 1 << 12,    /* --tier TIER[,TIER] (fix; the command checks the names) */
	OPT_BATCH = 1 << 13,   /* --batch N (a positive number) */
	OPT_ONLY = 1 << 14,    /* --only ID[,ID] */
	OPT_INCLUDE_AT_RISK = 1 << 15, /* --include-at-risk */
	OPT_POLICY_SCAN = 1 << 16,    /* --policy-scan */
};

/* A command's parsed options; strings borrowed from argv. */
struct cli_options {
	int dry_run;
	int wait;
	long timeout_ms;    /* 0 when not given */
	const char *format; /* NULL when not given */
	const char *out;    /* NULL when not given */
	const char *parameters;   /* NULL when not given */
	const char *suppressions; /* NULL when not given */
	const char *today;        /* NULL when not given (the command checks the value) */
	int skip_preflight; /* go on when a preflight check fails */
	int fix;            /* doctor: register missing providers */
	long within_ms;           /* 0 when not given */
	const char *tier;   /* NULL when not given */
	long batch;         /* 0 when not given */
	const char *only;   /* NULL when not given */
	int include_at_risk;
	int policy_scan;
	int argc;           /* positional arguments after the options */
	char **argv;
};

struct cli_context {
	const char *config_path;   /* -c, default ./policyctl.ini (borrowed from argv) */
	int config_path_given;     /* -c was on the command line */
	enum output_format output; /* --output */
	struct config config;      /* loaded before commands that have CMD_NEEDS_CONFIG */
	struct cli_options opts;   /* the command's options */
};

/* What main prepares for a command (struct command.flags). */
enum command_flags {
	CMD_NEEDS_CONFIG = 1 << 0, /* load the config first */
	CMD_RENDER = 1 << 1,       /* render the whole policy set (apply, plan, contain) */
	CMD_RENDER_REFS = 1 << 2,  /* render only role, reference and assignment ids (remediate):
				    * 2,500 subscriptions cost no more memory than one */
	CMD_LEDGER = 1 << 3,       /* attach (or begin) the scope's run in the ledger */
	CMD_RESUME_ONLY = 1 << 4,  /* with CMD_LEDGER: never begin a run (track, cancel) */
	CMD_FINAL = 1 << 5,        /* the command ends the run (see orch_finish) */
	CMD_REPORT = 1 << 6,       /* print the run's report once its outcome is recorded */
	/* with CMD_LEDGER: the rendered desired state is digested and compared with the run's
	 * (orchestrator/desired.h); when the config renders differently, */
	CMD_DESIRED_NEW_RUN = 1 << 7, /* the run is closed and a new attempt begins (contain, apply) */
	CMD_DESIRED_REFUSE = 1 << 8,  /* the command refuses, exit 2 (remediate, track) */
	CMD_NO_AUTH = 1 << 9,      /* get no token before the command: it reports the credential
				    * itself (doctor) */
	/* with CMD_RENDER: read and check the [exemptions] file before anything is sent (exit 2
	 * on a bad entry); an expired entry is an error, or a warning for a row without
	 * CMD_LEDGER (plan) */
	CMD_EXEMPTIONS = 1 << 10,
};

/* A command that needs no orchestrator (help, render, status...): returns an enum exit_code. */
typedef int command_fn(struct cli_context *ctx);
/* An orchestrator command: runs its phase on o, which run_setup prepared from the row. */
typedef enum orch_result command_run_fn(struct orch *o, const struct cli_options *opts);

struct command {
	const char *name;
	command_fn *fn;       /* one of fn and run is set */
	command_run_fn *run;
	unsigned flags;       /* enum command_flags */
	unsigned options;     /* enum cli_option: what the command allows besides -h/--help */
	const char *summary;  /* one line for `policyctl help` */
	const char *usage;    /* "usage: policyctl ..." line */
	const char *help;     /* what `COMMAND --help` prints after the usage line */
};

/* The table, in main.c; ends with a row whose name is NULL. */
extern const struct command commands[];

/* Maps an orchestrator result to its exit code (cli/options.c). */
int cli_exit_code(enum orch_result result);
/*
 * Parses argv[1..] (argv[0] is the command name) for the options cmd (borrowed) allows into
 * opts, with getopt_long (cli/options.c): -h/--help are handled before, by main. Values and
 * positional arguments stay borrowed from argv. Returns EXIT_OK, or EXIT_USAGE with a message
 * naming the option or argument.
 */
int cli_parse_options(const struct command *cmd, int argc, char **argv, struct cli_options *opts);

command_fn cmd_help;
command_fn cmd_version;
command_fn cmd_render;
command_fn cmd_status;
command_fn cmd_report;
command_fn cmd_check;
command_run_fn cmd_doctor;
command_fn cmd_inventory;
command_fn cmd_fix;
command_run_fn cmd_plan;
command_run_fn cmd_apply;
command_run_fn cmd_scan;
command_run_fn cmd_remediate;
command_run_fn cmd_track;
command_run_fn cmd_contain;
command_run_fn cmd_cancel;
command_run_fn cmd_exemptions;

#endif
