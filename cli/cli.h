/*
 * cli — the command table's shared types: global options, exit codes, the command signature.
 *
 * A cmd_*.c file parses its own options and calls one library function; main.c owns the
 * global options and maps results to the exit codes below (documented in README and the man
 * page: keep all three in step).
 */
#ifndef CLI_H
#define CLI_H

#include "lib/config.h"

enum exit_code {
	EXIT_OK = 0,          /* the work succeeded: everything compliant or succeeded */
	EXIT_FAILED = 1,      /* the work failed: some deployment, task or request failed */
	EXIT_USAGE = 2,       /* bad command line or configuration */
	EXIT_TIMEOUT = 3,     /* a deadline passed before the work finished */
	EXIT_INTERRUPTED = 4, /* stopped by a signal; the run can be resumed */
};

enum output_format {
	OUTPUT_TABLE,
	OUTPUT_JSON,
};

struct cli_context {
	const char *config_path;   /* -c, default ./policyctl.ini (borrowed from argv) */
	int config_path_given;     /* -c was on the command line */
	enum output_format output; /* --output */
	struct config config;      /* loaded before commands that have CMD_NEEDS_CONFIG */
};

enum command_flags {
	CMD_NEEDS_CONFIG = 1 << 0, /* main loads the config before calling the command */
};

/* argv[0] is the command name; returns an enum exit_code. */
typedef int command_fn(int argc, char **argv, struct cli_context *ctx);

struct command {
	const char *name;
	command_fn *fn;
	unsigned flags;
	const char *summary; /* one line for `policyctl help` */
};

/* The table, in main.c; ends with a row whose name is NULL. */
extern const struct command commands[];

command_fn cmd_help;
command_fn cmd_version;
command_fn cmd_render;
command_fn cmd_plan;
command_fn cmd_apply;
command_fn cmd_scan;
command_fn cmd_remediate;
command_fn cmd_track;
command_fn cmd_contain;
command_fn cmd_status;
command_fn cmd_cancel;
command_fn cmd_report;
command_fn cmd_inventory;
command_fn cmd_fix;

/* True when argv holds -h or --help (commands call this before parsing). */
int cli_wants_help(int argc, char **argv);

#endif
