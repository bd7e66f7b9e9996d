/*
 * run_setup — render → deploy set, ARM client, ledger run (see run_setup.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/run_setup.h"
#include "generator/render.h"
#include "lib/msg.h"
#include "lib/banned.h"

static enum deploy_kind kind_of(enum render_kind kind)
{
	switch (kind) {
	case RENDER_POLICY_DEFINITION: return DEPLOY_POLICY_DEFINITION;
	case RENDER_POLICY_SET_DEFINITION: return DEPLOY_POLICY_SET_DEFINITION;
	default: return DEPLOY_POLICY_ASSIGNMENT;
	}
}

static int render_into(struct config *cfg, struct deploy_set *set, int refs_only)
{
	struct rendered_set rendered = RENDERED_SET_INIT;
	struct strbuf err = STRBUF_INIT;
	size_t i, subs = cfg->scope_subscriptions.nr;
	int ret = EXIT_OK, failed;

	/* The reference and role ids do not depend on the scope: one subscription renders them. */
	if (refs_only && subs > 1)
		cfg->scope_subscriptions.nr = 1;
	failed = render_policy_set(cfg, &rendered, &err) != RENDER_OK;
	cfg->scope_subscriptions.nr = subs;
	if (failed) {
		msg_error("%s", err.buf);
		ret = EXIT_USAGE;
		goto out;
	}
	for (i = 0; !refs_only && i < rendered.nr; i++) {
		struct rendered_resource *r = &rendered.resources[i];
		deploy_set_add(set, kind_of(r->kind), r->scope, r->id, json_incref(r->body));
	}
	for (i = 0; i < rendered.role_definition_ids.nr; i++)
		string_list_append(&set->role_definition_ids, rendered.role_definition_ids.items[i]);
	for (i = 0; i < rendered.remediation_reference_ids.nr; i++)
		string_list_append(&set->reference_ids, rendered.remediation_reference_ids.items[i]);
out:
	rendered_set_release(&rendered);
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
		/* make live-check: whatever runs, nothing is written to the tenant */
		opts.read_only = getenv("POLICYCTL_READ_ONLY") && *getenv("POLICYCTL_READ_ONLY");
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
	/* the first token now, after the local checks (config, ledger) and before any resource
	 * request: a credential that cannot sign in is one message, not one per resource */
	if (rs->arm && !(flags & RUN_NO_AUTH) && arm_client_authenticate(rs->arm, &err)) {
		msg_error("%s", err.buf);
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
		} else if ((allowed & RUN_OPT_SKIP_PREFLIGHT) && !strcmp(arg, "--skip-preflight")) {
			opts->skip_preflight = 1;
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
