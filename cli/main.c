/*
 * main — global options, the command table, one option parser for every command, and the
 * mapping of results to exit codes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/run_setup.h"
#include "generator/output.h"
#include "lib/msg.h"
#include "lib/strbuf.h"
#include "lib/banned.h"

const struct command commands[] = {
	{
		"help", cmd_help, NULL, 0, OPT_ARGS,
		"show help for policyctl, a command, or the config keys",
		"usage: policyctl help [COMMAND | config]",
		"without an argument the global usage; with a command its help; 'config' lists\n"
		"every config key\n",
	},
	{
		"version", cmd_version, NULL, 0, 0,
		"print the version",
		"usage: policyctl version",
		"prints the version of policyctl\n",
	},
	{
		"render", cmd_render, NULL, CMD_NEEDS_CONFIG, OPT_FORMAT | OPT_OUT,
		"write the policy definitions, initiative and assignment (JSON, Terraform, ALZ)",
		"usage: policyctl [-c FILE] render [--format " RENDER_FORMAT_NAMES "] [--out DIR]",
		"renders, offline, the Azure Policy resources of the landing-zone config: four\n"
		"DeployIfNotExists definitions (web apps, web app slots, function apps, function app\n"
		"slots), one Deny definition, the initiative and its assignment\n"
		"\noptions:\n"
		"  -f, --format FORMAT  rest (default): one file per resource, exactly the body of\n"
		"                       ARM's PUT, under SCOPE/COLLECTION/NAME.json, and manifest.json\n"
		"                       listing file, method, id and api-version in creation order;\n"
		"                       arm-template: one deployment template per scope;\n"
		"                       epac: Enterprise Policy as Code's folder layout;\n"
		"                       terraform: main.tf, variables.tf, outputs.tf (azurerm);\n"
		"                       alz: an Azure Landing Zones library (management group only)\n"
		"  -o, --out DIR        folder to write to, created when missing (default: rendered)\n"
		"  -h, --help           this help\n"
		"\nexit codes: 0 written, 1 a file could not be written, 2 usage or config error\n"
		"(also: a format that cannot express the config, such as alz of subscriptions)\n",
	},
	{
		"doctor", NULL, cmd_doctor, CMD_NEEDS_CONFIG | CMD_RENDER | CMD_NO_AUTH,
		OPT_FIX,
		"check credential, permissions, providers and task slots before a run",
		"usage: policyctl [-c FILE] [--output table|json] doctor [--fix]",
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
		"\nexit codes: 0 nothing blocks contain, 1 some check failed, 2 usage or config\n"
		"error, 4 interrupted\n",
	},
	{
		"plan", NULL, cmd_plan, CMD_NEEDS_CONFIG | CMD_RENDER | CMD_EXEMPTIONS,
		0,
		"show what apply would create, update or leave alone",
		"usage: policyctl [-c FILE] plan",
		"reads the live definitions, initiative, assignment(s) and role assignments and\n"
		"prints, per resource, create / update (with the differing fields) / unchanged;\n"
		"then the exemptions of [exemptions] file: create / update (PUT, or PATCH when only\n"
		"resourceSelectors or assignmentScopeValidation differ) / delete / unchanged, and\n"
		"the unmanaged ones (made outside policyctl, never touched); warns about expired\n"
		"entries. Sends no write and records nothing\n"
		"\nexit codes: 0 planned, 1 a read failed, 2 usage or config error (also: a bad\n"
		"exemption entry, as FILE:ENTRY: ...), 4 interrupted\n",
	},
	{
		"apply", NULL, cmd_apply,
		CMD_NEEDS_CONFIG | CMD_RENDER | CMD_LEDGER | CMD_DESIRED_NEW_RUN | CMD_EXEMPTIONS,
		OPT_DRY_RUN | OPT_SKIP_PREFLIGHT,
		"deploy definitions, initiative, assignment and role assignments",
		"usage: policyctl [-c FILE] apply [--dry-run] [--skip-preflight]",
		"puts the policy definitions (in parallel), the initiative, the assignment at the\n"
		"management group or at each listed subscription, then a role assignment for each\n"
		"role the DeployIfNotExists members need, for the assignment's managed identity;\n"
		"resources equal to the desired state are not rewritten; PrincipalNotFound is\n"
		"retried until [run] principal_timeout. Then the exemptions of [exemptions] file\n"
		"are created, updated and deleted to match it (only those policyctl made; an\n"
		"expired entry or one beyond max_duration is refused). A run begun for another\n"
		"config (its desired state changed) is closed and a new attempt begins. doctor's\n"
		"checks run first: a blocking one stops apply before any write\n"
		"\noptions:\n"
		"  -n, --dry-run       print each write (method, URL, body) instead of sending it\n"
		"  --skip-preflight    go on even when a doctor check fails\n"
		"\nexit codes: 0 applied, 1 a write failed, 2 usage or config error (or a blocking\n"
		"preflight check, or a bad exemption entry as FILE:ENTRY: ...: nothing written),\n"
		"4 interrupted, 5 ledger error\n",
	},
	{
		"scan", NULL, cmd_scan, CMD_NEEDS_CONFIG | CMD_LEDGER,
		OPT_WAIT,
		"trigger a compliance evaluation of every subscription in scope",
		"usage: policyctl [-c FILE] scan [--wait]",
		"triggers a compliance evaluation of every subscription in scope (a management\n"
		"group is scanned subscription by subscription: Azure has no group-wide trigger)\n"
		"\noptions:\n"
		"  -w, --wait   wait until every evaluation has finished\n"
		"\nexit codes: 0 triggered (or finished), 1 a scan failed, 2 usage or config error,\n"
		"3 timeout, 4 interrupted, 5 ledger error\n",
	},
	{
		"remediate", NULL, cmd_remediate,
		CMD_NEEDS_CONFIG | CMD_RENDER_REFS | CMD_LEDGER | CMD_DESIRED_REFUSE,
		OPT_DRY_RUN,
		"create one remediation task per member and scope",
		"usage: policyctl [-c FILE] remediate [--dry-run]",
		"creates one remediation task per DeployIfNotExists member and scope (the\n"
		"management group, or each subscription); at most [remediation]\n"
		"max_concurrent_tasks are active at once, the rest wait for 'policyctl track'.\n"
		"Task names are fixed in the ledger before they are sent: a rerun never makes a\n"
		"second task. resource_discovery = auto uses ExistingNonCompliant at a management\n"
		"group and after a scan of this run, else ReEvaluateCompliance. A run begun for\n"
		"another config (its desired state changed) is refused (exit 2)\n"
		"\noptions:\n"
		"  -n, --dry-run   print each task's PUT instead of sending it\n"
		"\nexit codes: 0 created, 1 a task could not be created, 2 usage or config error\n"
		"(or the config changed since the run began), 4 interrupted, 5 ledger error\n",
	},
	{
		"track", NULL, cmd_track,
		CMD_NEEDS_CONFIG | CMD_LEDGER | CMD_RESUME_ONLY | CMD_FINAL | CMD_DESIRED_REFUSE,
		OPT_TIMEOUT,
		"follow the run's remediation tasks to completion",
		"usage: policyctl [-c FILE] track [--timeout DUR]",
		"polls every task of the run until it is Succeeded, Failed or Canceled (any other\n"
		"state counts as running), creating queued tasks as slots free. On a terminal it\n"
		"redraws progress per scope and in total (deployments succeeded / failed /\n"
		"remaining, elapsed, estimated time left); in a pipe it prints one line per\n"
		"state change. A failed task lists its failed deployments. Only the run of this\n"
		"config's scope is tracked; one begun for another config is refused\n"
		"\noptions:\n"
		"  --timeout DUR   give up after DUR (default: [remediation] timeout)\n"
		"\nexit codes: 0 all succeeded, 1 some failed, 2 usage or config error (no run of\n"
		"this scope, or the config changed since the run began), 3 timeout (rerun to\n"
		"continue), 4 interrupted (rerun to continue), 5 ledger error\n",
	},
	{
		"contain", NULL, cmd_contain,
		CMD_NEEDS_CONFIG | CMD_RENDER | CMD_LEDGER | CMD_FINAL | CMD_REPORT | CMD_DESIRED_NEW_RUN |
		CMD_EXEMPTIONS,
		OPT_TIMEOUT | OPT_SKIP_PREFLIGHT,
		"apply, scan, remediate, track, verify and report in one go",
		"usage: policyctl [-c FILE] contain [--timeout DUR] [--skip-preflight]",
		"the whole job in one command: apply (definitions, initiative, assignment, role\n"
		"assignments) -> scan every subscription -> remediate -> track to the end ->\n"
		"verify with a fresh scan -> report. Killed or interrupted, the same command\n"
		"continues the run from the ledger without creating anything twice; after a config\n"
		"change it says what changed and starts a new attempt from apply. doctor's checks\n"
		"run first: a blocking one stops the run before any write, and others' active\n"
		"remediation tasks lower the run's task cap to the slots left\n"
		"\noptions:\n"
		"  --timeout DUR       deadline for tracking (default: [remediation] timeout)\n"
		"  --skip-preflight    go on even when a doctor check fails\n"
		"\nexit codes: 0 every site compliant, 1 some deployments, tasks or sites failed,\n"
		"2 usage or config error (or a blocking preflight check: nothing written),\n"
		"3 timeout, 4 interrupted (rerun to continue), 5 the ledger could not record the\n"
		"run (nothing unrecorded was sent)\n",
	},
	{
		"cancel", NULL, cmd_cancel, CMD_NEEDS_CONFIG | CMD_LEDGER | CMD_RESUME_ONLY,
		0,
		"cancel the run's active remediation tasks",
		"usage: policyctl [-c FILE] cancel",
		"asks Azure to cancel every active remediation task of the run (queued ones are\n"
		"simply dropped); 'policyctl track' then follows them to Canceled. Only the run\n"
		"of this config's scope; a finished run stays finished\n"
		"\nexit codes: 0 cancel sent, 1 a cancel failed, 2 usage or config error (or no\n"
		"run of this scope), 5 ledger error\n",
	},
	{
		"exemptions", NULL, cmd_exemptions, CMD_NEEDS_CONFIG | CMD_RENDER_REFS,
		OPT_WITHIN | OPT_FORMAT,
		"every exemption of the assignment: owner, expiry, status; exit 1 if one is overdue",
		"usage: policyctl [-c FILE] exemptions [--within DUR] [--format table|json|markdown|csv]",
		"lists every exemption of the assignment(s), managed by policyctl or not, with its\n"
		"owner (metadata.owner), expiry, status and the resources the last evaluation\n"
		"found exempt under it. Status: active; expiring (within DUR); expired; no expiry;\n"
		"no owner. Expiries are judged by Azure's clock (the Date of its answers; this\n"
		"machine's when absent)\n"
		"\noptions:\n"
		"  --within DUR         'expiring' window (default: [exemptions] within, 30d)\n"
		"  -f, --format FORMAT  table (default), json, markdown or csv\n"
		"\nexit codes: 0 none overdue, 1 some exemption is expired, has no owner or no\n"
		"expiry (or a read failed), 2 usage or config error, 4 interrupted\n",
	},
	{
		"status", cmd_status, NULL, CMD_NEEDS_CONFIG, 0,
		"what the ledger knows of the latest run (no network)",
		"usage: policyctl [-c FILE] [--output table|json] status",
		"prints what the ledger ([run] ledger) knows of the latest run: its phase and\n"
		"state, writes sent and unanswered, scans, tasks by state; reads no network and\n"
		"works while another policyctl is running\n"
		"\nexit codes: 0 printed, 2 no ledger or no run, or usage error, 5 the run\n"
		"cannot be read from the ledger\n",
	},
	{
		"report", cmd_report, NULL, CMD_NEEDS_CONFIG, OPT_FORMAT | OPT_OUT,
		"the latest run's outcome: table, json, markdown or an HTML page",
		"usage: policyctl [-c FILE] report [--format table|json|markdown|html] [--out FILE]",
		"prints the latest run's outcome from the ledger: per subscription and in total,\n"
		"tasks, deployments succeeded and failed, resources still non-compliant after\n"
		"verification, and every failure with its error code and request ids\n"
		"\noptions:\n"
		"  -f, --format FORMAT  table (default), json, markdown, or html: one self-contained\n"
		"                       page (inline CSS and SVG, no script) with the headline\n"
		"                       figures, progress over time, a bar per subscription and the\n"
		"                       failures grouped by code\n"
		"  -o, --out FILE       write the report to FILE instead of standard output\n"
		"\nexit codes: 0 printed, 1 FILE could not be written, 2 no ledger or no run, or\n"
		"usage error, 5 the run cannot be read from the ledger\n",
	},
	{
		"check", cmd_check, NULL, 0,
		OPT_FORMAT | OPT_OUT | OPT_PARAMETERS | OPT_SUPPRESSIONS | OPT_TODAY | OPT_ARGS,
		"check ARM templates and Terraform plans before they deploy (CI)",
		"usage: policyctl check [--format text|json|sarif] [--out FILE] [--parameters FILE]\n"
		"                       [--suppressions FILE] [--today YYYY-MM-DD] PATH...",
		"checks ARM templates (Bicep compiled with 'bicep build' too) and Terraform plans\n"
		"('terraform show -json plan.out') offline: every App Service app and slot must\n"
		"require client certificates (clientCertEnabled true, clientCertMode Required), as\n"
		"the rendered Deny policy will demand at deployment. A folder is walked for *.json\n"
		"files, each recognised by its content; hidden folders and node_modules are skipped\n"
		"\noptions:\n"
		"  -f, --format FORMAT      text (default; FILE:LINE:COLUMN per finding), json, or\n"
		"                           sarif (SARIF 2.1.0, for code scanning)\n"
		"  -o, --out FILE           write the report to FILE instead of standard output\n"
		"  -p, --parameters FILE    ARM parameter file whose values win over the templates'\n"
		"                           defaults (applies to every template checked)\n"
		"  -s, --suppressions FILE  suppressions file: entries with rule, file, resource,\n"
		"                           owner, expires (YYYY-MM-DD) and reason\n"
		"      --today DATE         judge expiries as of DATE (default: today, UTC)\n"
		"\nrules: PCTL001 client-cert-disabled (error), PCTL002 client-cert-mode-not-required\n"
		"(error), PCTL003 client-cert-exclusions-with-http2-or-tls13 (warning), PCTL004\n"
		"value-unknown (warning), PCTL005 linked-template-not-read (note), PCTL006\n"
		"suppression-expired (error), PCTL007 suppression-invalid (error); see docs/ci.md\n"
		"\nexit codes: 0 no findings, 1 findings (errors or warnings not suppressed),\n"
		"2 usage error or unreadable input\n",
	},
	{
		"inventory", cmd_inventory, NULL, CMD_NEEDS_CONFIG, OPT_FORMAT,
		"the control's check through Resource Graph: every app, its settings and tier",
		"usage: policyctl [-c FILE] inventory [--format table|json|csv|markdown]",
		"lists every App Service app in scope (web apps, function apps and their slots, as\n"
		"the policies target them) through Azure Resource Graph, with clientCertEnabled,\n"
		"clientCertMode, exclusion paths and the tier fix works in: exposed+production,\n"
		"exposed, production, rest ([inventory] in the config; docs/inventory.md)\n"
		"\noptions:\n"
		"  -f, --format FORMAT  table (default; json with --output json), json, csv or\n"
		"                       markdown\n"
		"\nexit codes: 0 every app compliant or exempt (the control's expected empty result),\n"
		"1 some app is not, or a query failed, 2 usage or config error\n",
	},
	{
		"fix", cmd_fix, NULL, CMD_NEEDS_CONFIG,
		OPT_DRY_RUN | OPT_TIER | OPT_BATCH | OPT_ONLY | OPT_INCLUDE_AT_RISK | OPT_POLICY_SCAN,
		"patch non-compliant apps directly, exposed and production first, in batches",
		"usage: policyctl [-c FILE] fix [--tier TIERS] [--batch N] [--dry-run] [--only IDS]\n"
		"                               [--include-at-risk] [--policy-scan]",
		"patches every app the inventory lists as not compliant (clientCertEnabled=true,\n"
		"clientCertMode=Required, nothing else), tier by tier: exposed+production, exposed,\n"
		"production, rest; after each batch Resource Graph is asked again until the batch's\n"
		"apps show fixed ([inventory] rescan_timeout). Locked and denied apps are skipped\n"
		"with the reason, apps at risk (exclusion paths with HTTP/2 or TLS 1.3) too unless\n"
		"asked for. Every PATCH is in the ledger first: a rerun after an interruption\n"
		"continues the same run and patches nothing twice\n"
		"\noptions:\n"
		"  --tier TIERS        only these tiers (comma-separated): exposed+production,\n"
		"                      exposed, production, rest\n"
		"  --batch N           apps per batch (default 50)\n"
		"  -n, --dry-run       print the batches, send and record nothing\n"
		"  --only IDS          only these resource ids (comma-separated)\n"
		"  --include-at-risk   patch apps at risk too\n"
		"  --policy-scan       also trigger a compliance evaluation of each batch's\n"
		"                      subscriptions\n"
		"\nexit codes: 0 all fixed (or skipped as the rules say), 1 a PATCH failed or an app\n"
		"did not show fixed in time, 2 usage or config error, 4 interrupted (rerun to\n"
		"continue), 5 the ledger refused a write (nothing unrecorded was sent)\n",
	},
	{ NULL, NULL, NULL, 0, 0, NULL, NULL, NULL },
};

static const char usage_text[] =
	"usage: policyctl [-c FILE] [-v|-q] [--output table|json] COMMAND [options]\n";

static void print_usage(FILE *out)
{
	size_t i;
	msg_print(out, "%s", usage_text);
	msg_print(out, "%s", "\nglobal options:\n"
		  "  -c, --config FILE    landing-zone config (default: ./policyctl.ini)\n"
	      "  -v, --verbose        also print debug lines (each request, with timing)\n"
	      "  -q, --quiet          print only errors, warnings and results\n"
	      "      --output FORMAT  table (default) or json\n"
	      "  -h, --help           this help\n"
	      "      --version        print the version\n"
	      "\ncommands:\n");
	for (i = 0; commands[i].name; i++)
		msg_print(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	msg_print(out, "%s", "\n'policyctl help COMMAND' or 'policyctl COMMAND --help' describes a command;\n"
	      "'policyctl help config' lists every config key.\n"
	      "\nexit codes: 0 ok, 1 the work failed, 2 usage or config error, 3 timeout,\n"
	      "4 interrupted (resumable), 5 the ledger could not record the run\n");
}

static void print_command_help(const struct command *cmd)
{
	msg_out("%s\n\n%s", cmd->usage, cmd->help);
}

/* True when argv holds -h or --help before "--": help wins over any other mistake. */
static int wants_help(int argc, char **argv)
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

int cmd_help(struct cli_context *ctx)
{
	const struct command *cmd;
	if (!ctx->opts.argc) {
		print_usage(stdout);
		return EXIT_OK;
	}
	if (ctx->opts.argc > 1) {
		msg_error("unexpected argument '%s': help takes one command", ctx->opts.argv[1]);
		return EXIT_USAGE;
	}
	if (!strcmp(ctx->opts.argv[0], "config")) {
		struct strbuf sb = STRBUF_INIT;
		config_describe(&sb);
		msg_out("config keys (policyctl.ini):\n\n%s", sb.buf);
		strbuf_release(&sb);
		return EXIT_OK;
	}
	cmd = find_command(ctx->opts.argv[0]);
	if (!cmd) {
		msg_error("unknown command '%s': see 'policyctl help'", ctx->opts.argv[0]);
		return EXIT_USAGE;
	}
	print_command_help(cmd);
	return EXIT_OK;
}

int cmd_version(struct cli_context *ctx)
{
	(void)ctx;
	msg_out("policyctl %s\n", POLICYCTL_VERSION);
	return EXIT_OK;
}

/* Parses the global options before the command; returns -1 to go on, else the exit code. */
static int parse_global(int argc, char **argv, struct cli_context *ctx)
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
	int opt;

	/* '+' stops at the command name: what follows belongs to the command */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:c:vqho:", global_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			ctx->config_path = optarg;
			ctx->config_path_given = 1;
			break;
		case 'v':
			msg_set_verbosity(MSG_VERBOSE);
			break;
		case 'q':
			msg_set_verbosity(MSG_QUIET);
			break;
		case 'o':
			if (!strcmp(optarg, "table"))
				ctx->output = OUTPUT_TABLE;
			else if (!strcmp(optarg, "json"))
				ctx->output = OUTPUT_JSON;
			else {
				msg_error("option '--output': expected one of table|json, got '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			print_usage(stdout);
			return EXIT_OK;
		case 'V':
			msg_out("policyctl %s\n", POLICYCTL_VERSION);
			return EXIT_OK;
		case ':':
			msg_error("option '%s' needs a value", argv[optind - 1]);
			msg_print(stderr, "%s", usage_text);
			return EXIT_USAGE;
		default:
			msg_error("unknown option '%s'", argv[optind - 1]);
			msg_print(stderr, "%s", usage_text);
			return EXIT_USAGE;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct cli_context ctx;
	const struct command *cmd;
	int ret;

	memset(&ctx, 0, sizeof(ctx));
	ctx.config_path = "policyctl.ini";
	ctx.output = OUTPUT_TABLE;
	msg_set_program("policyctl");
	ret = parse_global(argc, argv, &ctx);
	if (ret >= 0)
		return ret;
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
	if (wants_help(argc, argv)) {
		print_command_help(cmd);
		return EXIT_OK;
	}
	if (cli_parse_options(cmd, argc, argv, &ctx.opts))
		return EXIT_USAGE;
	if (cmd->flags & CMD_NEEDS_CONFIG) {
		struct strbuf err = STRBUF_INIT;
		if (config_load(&ctx.config, ctx.config_path, &err) != CONFIG_OK) {
			msg_error("%s", err.buf);
			strbuf_release(&err);
			config_release(&ctx.config);
			return EXIT_USAGE;
		}
		strbuf_release(&err);
	}
	ret = cmd->fn ? cmd->fn(&ctx) : run_setup_command(cmd, &ctx);
	config_release(&ctx.config);
	return ret;
}
