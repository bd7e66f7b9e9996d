/*
 * run_setup — render → deploy set, ARM client, ledger run (see run_setup.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/run_setup.h"
#include "generator/render.h"
#include "lib/msg.h"
#include "lib/banned.h"

static int render_into(const struct config *cfg, struct deploy_set *set, int refs_only)
{
	struct strbuf err = STRBUF_INIT;
	int ret = EXIT_OK;

	if ((refs_only ? render_policy_refs(cfg, set, &err) : render_policy_set(cfg, set, &err))) {
		msg_error("%s", err.buf);
		ret = EXIT_USAGE;
	}
	strbuf_release(&err);
	return ret;
}

int run_setup_begin(struct run_setup *rs, struct cli_context *ctx, unsigned flags,
		    const char *command)
{
	struct arm_client_options opts;
	struct strbuf err = STRBUF_INIT;
	int ret = EXIT_OK;

	memset(rs, 0, sizeof(*rs));
	if ((flags & (RUN_NEEDS_SET | RUN_NEEDS_REFS)) &&
	    (ret = render_into(&ctx->config, &rs->set, !(flags & RUN_NEEDS_SET))))
		goto out;
	if (!(flags & RUN_NO_NETWORK)) {
		memset(&opts, 0, sizeof(opts));
		opts.dry_run = !!(flags & RUN_DRY_RUN);
		if (arm_client_new(&ctx->config, &opts, &rs->arm, &err)) {
			msg_error("%s", err.buf);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	if (orch_init(&rs->o, &ctx->config, rs->arm,
		      (flags & (RUN_NEEDS_SET | RUN_NEEDS_REFS)) ? &rs->set : NULL)) {
		ret = EXIT_USAGE;
		goto out;
	}
	rs->orch_ready = 1;
	rs->o.dry_run = !!(flags & RUN_DRY_RUN);
	rs->o.json = ctx->output == OUTPUT_JSON;
	rs->o.live = isatty(STDOUT_FILENO) && msg_verbosity() != MSG_QUIET &&
		     ctx->output == OUTPUT_TABLE;
	if ((flags & RUN_LEDGER) && !(flags & RUN_DRY_RUN) &&
	    orch_attach_run(&rs->o, command, !!(flags & RUN_RESUME_ONLY))) {
		ret = EXIT_USAGE;
		goto out;
	}
	orch_install_signals();
out:
	strbuf_release(&err);
	return ret;
}

int run_setup_end(struct run_setup *rs, enum orch_result result, int final)
{
	if (rs->orch_ready) {
		orch_finish(&rs->o, result, final);
		if (result == ORCH_INTERRUPTED)
			msg_error("interrupted: the ledger has the run; rerun the command to continue");
	}
	/* the client first: its cancelled callbacks still find their phase state */
	arm_client_free(rs->arm);
	rs->arm = NULL;
	if (rs->orch_ready)
		orch_release(&rs->o);
	deploy_set_release(&rs->set);
	return (int)result;
}

static int parse_timeout(const char *text, long *ms)
{
	if (config_parse_duration(text, ms) < 0 || *ms <= 0) {
		msg_error("option '--timeout': expected a duration such as 30s, 5m or 4h, got '%s'", text);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int run_setup_parse_options(int argc, char **argv, unsigned allowed, struct run_options *opts)
{
	int i;
	memset(opts, 0, sizeof(*opts));
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if ((allowed & RUN_OPT_DRY_RUN) && (!strcmp(arg, "--dry-run") || !strcmp(arg, "-n"))) {
			opts->dry_run = 1;
		} else if ((allowed & RUN_OPT_WAIT) && (!strcmp(arg, "--wait") || !strcmp(arg, "-w"))) {
			opts->wait = 1;
		} else if ((allowed & RUN_OPT_TIMEOUT) && !strcmp(arg, "--timeout")) {
			if (i + 1 >= argc) {
				msg_error("option '--timeout' needs a value");
				return EXIT_USAGE;
			}
			if (parse_timeout(argv[++i], &opts->timeout_ms))
				return EXIT_USAGE;
		} else if ((allowed & RUN_OPT_TIMEOUT) && !strncmp(arg, "--timeout=", 10)) {
			if (parse_timeout(arg + 10, &opts->timeout_ms))
				return EXIT_USAGE;
		} else {
			msg_error("unknown %s '%s': see 'policyctl %s --help'",
				  arg[0] == '-' ? "option" : "argument", arg, argv[0]);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

int run_setup_command(int argc, char **argv, struct cli_context *ctx, const char *help,
		      unsigned allowed, unsigned flags, int final, run_phase_fn *phase)
{
	struct run_setup rs;
	struct run_options opts;
	int ret;

	if (cli_wants_help(argc, argv)) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	if (run_setup_parse_options(argc, argv, allowed, &opts))
		return EXIT_USAGE;
	if (opts.dry_run)
		flags |= RUN_DRY_RUN;
	ret = run_setup_begin(&rs, ctx, flags, argv[0]);
	if (ret) {
		run_setup_end(&rs, ORCH_USAGE, 0);
		return ret;
	}
	return run_setup_end(&rs, phase(&rs.o, &opts), final);
}

int run_setup_open_latest(struct cli_context *ctx, struct ledger **l, struct ledger_run *run)
{
	struct strbuf err = STRBUF_INIT;
	int ret = EXIT_OK;
	memset(run, 0, sizeof(*run));
	if (ledger_open_readonly(ctx->config.run_ledger, l, &err)) {
		msg_error("%s", err.buf);
		ret = EXIT_USAGE;
	} else if (ledger_run_latest(*l, run)) {
		msg_error("ledger '%s' holds no run yet", ctx->config.run_ledger);
		ret = EXIT_USAGE;
	}
	strbuf_release(&err);
	return ret;
}
