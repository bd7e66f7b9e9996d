/*
 * main — global options, the command table, and the mapping of results to exit codes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/msg.h"
#include "lib/strbuf.h"
#include "lib/banned.h"

const struct command commands[] = {
	{ "help", cmd_help, 0, "show help for policyctl, a command, or the config keys" },
	{ "version", cmd_version, 0, "print the version" },
	{ "render", cmd_render, CMD_NEEDS_CONFIG, "write the policy definitions, initiative and assignment as JSON" },
	{ "plan", cmd_plan, CMD_NEEDS_CONFIG, "show what apply would create, update or leave alone" },
	{ "apply", cmd_apply, CMD_NEEDS_CONFIG, "deploy definitions, initiative, assignment and role assignments" },
	{ "scan", cmd_scan, CMD_NEEDS_CONFIG, "trigger a compliance evaluation of every subscription in scope" },
	{ "remediate", cmd_remediate, CMD_NEEDS_CONFIG, "create one remediation task per member and scope" },
	{ "track", cmd_track, CMD_NEEDS_CONFIG, "follow the run's remediation tasks to completion" },
	{ "contain", cmd_contain, CMD_NEEDS_CONFIG, "apply, scan, remediate, track, verify and report in one go" },
	{ "status", cmd_status, CMD_NEEDS_CONFIG, "what the ledger knows of the latest run (no network)" },
	{ "cancel", cmd_cancel, CMD_NEEDS_CONFIG, "cancel the run's active remediation tasks" },
	{ "report", cmd_report, CMD_NEEDS_CONFIG, "the latest run's outcome: table, json or markdown" },
	{ "inventory", cmd_inventory, CMD_NEEDS_CONFIG, "the control's check through Resource Graph: every app, its settings and tier" },
	{ "fix", cmd_fix, CMD_NEEDS_CONFIG, "patch non-compliant apps directly, exposed and production first, in batches" },
	{ NULL, NULL, 0, NULL },
};

static const char usage_text[] =
	"usage: policyctl [-c FILE] [-v|-q] [--output table|json] COMMAND [options]\n";

static void print_usage(FILE *out)
{
	size_t i;
	fputs(usage_text, out);
	fputs("\nglobal options:\n"
	      "  -c, --config FILE    landing-zone config (default: ./policyctl.ini)\n"
	      "  -v, --verbose        also print debug lines (each request, with timing)\n"
	      "  -q, --quiet          print only errors, warnings and results\n"
	      "      --output FORMAT  table (default) or json\n"
	      "  -h, --help           this help\n"
	      "      --version        print the version\n"
	      "\ncommands:\n", out);
	for (i = 0; commands[i].name; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'policyctl help COMMAND' or 'policyctl COMMAND --help' describes a command;\n"
	      "'policyctl help config' lists every config key.\n"
	      "\nexit codes: 0 ok, 1 the work failed, 2 usage or config error, 3 timeout,\n"
	      "4 interrupted (resumable)\n", out);
}

int cli_wants_help(int argc, char **argv)
{
	int i;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

static const struct command *find_command(const char *name)
{
	size_t i;
	for (i = 0; commands[i].name; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int cmd_help(int argc, char **argv, struct cli_context *ctx)
{
	const struct command *cmd;
	char *sub_argv[3];
	(void)ctx;
	if (argc < 2 || cli_wants_help(argc, argv)) {
		print_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "config")) {
		struct strbuf sb = STRBUF_INIT;
		config_describe(&sb);
		fputs("config keys (policyctl.ini):\n\n", stdout);
		fputs(sb.buf, stdout);
		strbuf_release(&sb);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		msg_error("unknown command '%s': see 'policyctl help'", argv[1]);
		return EXIT_USAGE;
	}
	sub_argv[0] = argv[1];
	sub_argv[1] = "--help";
	sub_argv[2] = NULL;
	return cmd->fn(2, sub_argv, ctx);
}

int cmd_version(int argc, char **argv, struct cli_context *ctx)
{
	(void)ctx;
	if (cli_wants_help(argc, argv)) {
		printf("usage: policyctl version\n\nprints the version of policyctl\n");
		return EXIT_OK;
	}
	if (argc > 1) {
		msg_error("unexpected argument '%s': version takes none", argv[1]);
		return EXIT_USAGE;
	}
	printf("policyctl %s\n", POLICYCTL_VERSION);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option global_options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_context ctx = { "policyctl.ini", 0, OUTPUT_TABLE, { 0 } };
	const struct command *cmd;
	int opt, ret;

	msg_set_program("policyctl");
	/* '+' stops at the command name: what follows belongs to the command */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+c:vqho:", global_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			ctx.config_path = optarg;
			ctx.config_path_given = 1;
			break;
		case 'v':
			msg_set_verbosity(MSG_VERBOSE);
			break;
		case 'q':
			msg_set_verbosity(MSG_QUIET);
			break;
		case 'o':
			if (!strcmp(optarg, "table"))
				ctx.output = OUTPUT_TABLE;
			else if (!strcmp(optarg, "json"))
				ctx.output = OUTPUT_JSON;
			else {
				msg_error("option '--output': expected one of table|json, got '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			print_usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("policyctl %s\n", POLICYCTL_VERSION);
			return EXIT_OK;
		default:
			if (optopt && optopt != '?' && strchr("co", optopt))
				msg_error("option '-%c' needs a value", optopt);
			else
				msg_error("unknown option '%s'", argv[optind - 1]);
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		msg_error("expected a command");
		print_usage(stderr);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		msg_error("unknown command '%s': see 'policyctl help'", argv[optind]);
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* commands run getopt again from their own argv */

	if ((cmd->flags & CMD_NEEDS_CONFIG) && !cli_wants_help(argc, argv)) {
		struct strbuf err = STRBUF_INIT;
		if (config_load(&ctx.config, ctx.config_path, &err) != CONFIG_OK) {
			msg_error("%s", err.buf);
			strbuf_release(&err);
			config_release(&ctx.config);
			return EXIT_USAGE;
		}
		strbuf_release(&err);
	}
	ret = cmd->fn(argc, argv, &ctx);
	config_release(&ctx.config);
	return ret;
}
