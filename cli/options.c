/*
 * options — the one option parser of every command, and results to exit codes (see cli.h).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/msg.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* Every command option, once; a command's row says which it allows. */
static const struct {
	struct option opt;
	unsigned bit;      /* enum cli_option */
	char short_name;   /* 0: long only */
} option_table[] = {
	{ { "dry-run", no_argument, NULL, 'n' }, OPT_DRY_RUN, 'n' },
	{ { "wait", no_argument, NULL, 'w' }, OPT_WAIT, 'w' },
	{ { "timeout", required_argument, NULL, 'T' }, OPT_TIMEOUT, 0 },
	{ { "format", required_argument, NULL, 'f' }, OPT_FORMAT, 'f' },
	{ { "out", required_argument, NULL, 'o' }, OPT_OUT, 'o' },
	{ { "parameters", required_argument, NULL, 'p' }, OPT_PARAMETERS, 'p' },
	{ { "suppressions", required_argument, NULL, 's' }, OPT_SUPPRESSIONS, 's' },
	{ { "today", required_argument, NULL, 'D' }, OPT_TODAY, 0 },
	{ { "skip-preflight", no_argument, NULL, 'P' }, OPT_SKIP_PREFLIGHT, 0 },
	{ { "fix", no_argument, NULL, 'F' }, OPT_FIX, 0 },
	{ { "within", required_argument, NULL, 'W' }, OPT_WITHIN, 0 },
	{ { "tier", required_argument, NULL, 't' }, OPT_TIER, 0 },
	{ { "batch", required_argument, NULL, 'b' }, OPT_BATCH, 0 },
	{ { "only", required_argument, NULL, 'O' }, OPT_ONLY, 0 },
	{ { "include-at-risk", no_argument, NULL, 'R' }, OPT_INCLUDE_AT_RISK, 0 },
	{ { "policy-scan", no_argument, NULL, 'Y' }, OPT_POLICY_SCAN, 0 },
};

int cli_exit_code(enum orch_result result)
{
	switch (result) {
	case ORCH_OK: return EXIT_OK;
	case ORCH_FAILED: return EXIT_FAILED;
	case ORCH_USAGE: return EXIT_USAGE;
	case ORCH_TIMEOUT: return EXIT_TIMEOUT;
	case ORCH_INTERRUPTED: return EXIT_INTERRUPTED;
	case ORCH_LEDGER: return EXIT_LEDGER;
	}
	return EXIT_FAILED;
}

int cli_parse_options(const struct command *cmd, int argc, char **argv, struct cli_options *opts)
{
	struct option longopts[ARRAY_SIZE(option_table) + 1];
	struct strbuf shortopts = STRBUF_INIT;
	size_t i, n = 0;
	int opt, ret = EXIT_USAGE;

	memset(opts, 0, sizeof(*opts));
	memset(longopts, 0, sizeof(longopts));
	/* options and arguments may come in any order (GNU getopt permutes; "--" ends the
	 * options); ':': a missing value is reported as such */
	strbuf_addstr(&shortopts, ":");
	for (i = 0; i < ARRAY_SIZE(option_table); i++) {
		if (!(cmd->options & option_table[i].bit))
			continue;
		longopts[n++] = option_table[i].opt;
		if (option_table[i].short_name) {
			strbuf_addch(&shortopts, option_table[i].short_name);
			if (option_table[i].opt.has_arg == required_argument)
				strbuf_addch(&shortopts, ':');
		}
	}
	optind = 0; /* restart getopt on this argv (GNU: also resets its state) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts.buf, longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			opts->dry_run = 1;
			break;
		case 'w':
			opts->wait = 1;
			break;
		case 'T':
			if (config_parse_duration(optarg, &opts->timeout_ms) < 0 || opts->timeout_ms <= 0) {
				msg_error("option '--timeout': expected a duration such as 30s, 5m or 4h, "
					  "got '%s'", optarg);
				goto out;
			}
			break;
		case 'W':
			if (config_parse_duration(optarg, &opts->within_ms) < 0 || opts->within_ms <= 0) {
				msg_error("option '--within': expected a duration such as 30d, 12h or 90m, "
					  "got '%s'", optarg);
				goto out;
			}
			break;
		case 'f':
			opts->format = optarg;
			break;
		case 'o':
			if (!*optarg) {
				msg_error("option '--out': expected a folder, got ''");
				goto out;
			}
			opts->out = optarg;
			break;
		case 'p':
			opts->parameters = optarg;
			break;
		case 's':
			opts->suppressions = optarg;
			break;
		case 'D':
			opts->today = optarg;
			break;
		case 'P':
			opts->skip_preflight = 1;
			break;
		case 'F':
			opts->fix = 1;
			break;
		case 't':
			opts->tier = optarg;
			break;
		case 'b': {
			char *end;
			opts->batch = strtol(optarg, &end, 10);
			if (*end || end == optarg || opts->batch < 1 || opts->batch > 10000) {
				msg_error("option '--batch': expected a number from 1 to 10000, got '%s'",
					  optarg);
				goto out;
			}
			break;
		}
		case 'O':
			if (!*optarg) {
				msg_error("option '--only': expected resource ids, got ''");
				goto out;
			}
			opts->only = optarg;
			break;
		case 'R':
			opts->include_at_risk = 1;
			break;
		case 'Y':
			opts->policy_scan = 1;
			break;
		case ':':
			msg_error("option '%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			msg_error("unknown option '%s': see 'policyctl %s --help'", argv[optind - 1],
				  cmd->name);
			goto out;
		}
	}
	if (optind < argc && !(cmd->options & OPT_ARGS)) {
		msg_error("unexpected argument '%s': %s takes %s", argv[optind], cmd->name,
			  cmd->options ? "only options" : "no arguments");
		goto out;
	}
	opts->argc = argc - optind;
	opts->argv = argv + optind;
	ret = EXIT_OK;
out:
	strbuf_release(&shortopts);
	return ret;
}
