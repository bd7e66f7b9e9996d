/*
 * run_setup — render → deploy set, ARM client, ledger run, phase, outcome (see run_setup.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/run_setup.h"
#include "generator/render.h"
#include "orchestrator/desired.h"
#include "orchestrator/exemptions.h"
#include "orchestrator/report.h"
#include "lib/msg.h"
#include "lib/banned.h"

struct run_setup {
	struct deploy_set set;   /* owned: what the row's flags rendered */
	struct render_memo memo; /* owned: definitions rendered once for every scope */
	struct arm_client *arm;  /* owned */
	struct orch o;           /* owned once orch_ready */
	int orch_ready;
	struct strbuf desired;   /* the rendered desired state's digest (o.desired points here) */
	struct exemption_file exemptions; /* owned: the checked [exemptions] file (o.exemptions) */
};

/* Prints text line by line as errors (or warnings): one message per problem. */
static void print_lines(const char *text, int warning)
{
	struct strbuf line = STRBUF_INIT;
	const char *p = text, *nl;
	while (*p) {
		nl = strchr(p, '\n');
		strbuf_reset(&line);
		strbuf_add(&line, p, nl ? (size_t)(nl - p) : strlen(p));
		if (warning)
			msg_warning("%s", line.buf);
		else
			msg_error("%s", line.buf);
		p = nl ? nl + 1 : p + strlen(p);
	}
	strbuf_release(&line);
}

/* Reads and checks the [exemptions] file for rs->set: EXIT_OK, or EXIT_USAGE (printed). */
static int load_exemptions(struct run_setup *rs, const struct command *cmd,
			   const struct config *cfg)
{
	struct exemptions_context ctx;
	struct strbuf err = STRBUF_INIT, warnings = STRBUF_INIT;
	int ret = EXIT_OK;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.set = &rs->set;
	ctx.now_ms = orch_wall_ms();
	ctx.allow_expired = !(cmd->flags & CMD_LEDGER);
	if (exemptions_load(&ctx, &rs->exemptions, &err, &warnings)) {
		print_lines(err.buf, 0);
		ret = EXIT_USAGE;
	} else if (warnings.len) {
		print_lines(warnings.buf, 1);
	}
	strbuf_release(&err);
	strbuf_release(&warnings);
	return ret;
}

/*
 * Renders what the phases need: the ids (roles, references, every assignment's scope and
 * id) now, and each scope's resources when apply reaches it (set->source), so 2,500
 * subscriptions never sit in memory at once.
 */
static int render_into(struct render_memo *memo, struct deploy_set *set, int refs_only)
{
	const struct config *cfg = memo->cfg;
	struct strbuf err = STRBUF_INIT;
	int ret = EXIT_OK;

	if (render_policy_refs(cfg, set, &err)) {
		msg_error("%s", err.buf);
		ret = EXIT_USAGE;
	} else if (!refs_only) {
		set->source.render = render_source;
		set->source.ctx = memo;
	}
	strbuf_release(&err);
	return ret;
}

/*
 * The digest of the whole rendered desired state into rs->desired, rendered one scope at a
 * time and fed to the digest as it goes (the same digest as of the whole set). Returns
 * EXIT_OK or EXIT_USAGE (message printed).
 */
static int digest_desired(struct run_setup *rs, const struct config *cfg)
{
	struct desired_builder b;
	struct desired_digest d;
	struct deploy_set local = DEPLOY_SET_INIT;
	struct strbuf err = STRBUF_INIT;
	size_t i, n = render_scope_count(cfg);
	int ret = EXIT_OK;

	desired_builder_begin(&b);
	for (i = 0; i < n; i++) {
		struct deploy_set one = DEPLOY_SET_INIT;
		if (render_policy_scope(&rs->memo, i, &one, &err)) {
			msg_error("%s", err.buf);
			ret = EXIT_USAGE;
		} else {
			desired_builder_add(&b, &one);
		}
		deploy_set_release(&one);
		if (ret)
			break;
	}
	/* the reference ids: the same for every scope; rendered here for a row that rendered
	 * nothing (track) */
	if (!ret && !rs->set.assignment_scopes.nr && render_policy_refs(cfg, &local, &err)) {
		msg_error("%s", err.buf);
		ret = EXIT_USAGE;
	}
	desired_builder_end(&b, rs->set.assignment_scopes.nr ? &rs->set : &local, cfg, &d);
	if (!ret)
		desired_digest_format(&d, &rs->desired);
	deploy_set_release(&local);
	strbuf_release(&err);
	return ret;
}

/* Prepares rs for cmd; returns EXIT_OK or the exit code (message printed). */
static int begin(struct run_setup *rs, const struct command *cmd, struct cli_context *ctx)
{
	struct arm_client_options opts;
	struct strbuf err = STRBUF_INIT;
	int rendered = !!(cmd->flags & (CMD_RENDER | CMD_RENDER_REFS));
	int dry_run = ctx->opts.dry_run;
	int ret = EXIT_OK;

	render_memo_init(&rs->memo, &ctx->config);
	if (rendered && (ret = render_into(&rs->memo, &rs->set, !(cmd->flags & CMD_RENDER))))
		goto out;
	if ((cmd->flags & CMD_EXEMPTIONS) && (ret = load_exemptions(rs, cmd, &ctx->config)))
		goto out;
	memset(&opts, 0, sizeof(opts));
	opts.dry_run = dry_run;
	/* make live-check: whatever runs, nothing is written to the tenant */
	opts.read_only = getenv("POLICYCTL_READ_ONLY") && *getenv("POLICYCTL_READ_ONLY");
	if (arm_client_new(&ctx->config, &opts, &rs->arm, &err)) {
		msg_error("%s", err.buf);
		ret = EXIT_USAGE;
		goto out;
	}
	if (orch_init(&rs->o, &ctx->config, rs->arm, rendered ? &rs->set : NULL)) {
		ret = EXIT_USAGE;
		goto out;
	}
	rs->orch_ready = 1;
	rs->o.dry_run = dry_run;
	rs->o.exemptions = (cmd->flags & CMD_EXEMPTIONS) ? &rs->exemptions : NULL;
	rs->o.json = ctx->output == OUTPUT_JSON;
	rs->o.live = isatty(STDOUT_FILENO) && msg_verbosity() != MSG_QUIET &&
		     ctx->output == OUTPUT_TABLE;
	if ((cmd->flags & CMD_LEDGER) && !dry_run &&
	    (cmd->flags & (CMD_DESIRED_NEW_RUN | CMD_DESIRED_REFUSE))) {
		if ((ret = digest_desired(rs, &ctx->config)))
			goto out;
		rs->o.desired = rs->desired.buf;
		rs->o.desired_policy = (cmd->flags & CMD_DESIRED_NEW_RUN) ? ORCH_DESIRED_NEW_RUN
					: ORCH_DESIRED_REFUSE;
	}
	/* Before the attach prints "continuing run": a SIGINT from then on must find the
	 * handler, so the run is recorded as interrupted instead of lost. */
	orch_install_signals();
	if ((cmd->flags & CMD_LEDGER) && !dry_run &&
	    (ret = cli_exit_code(orch_attach_run(&rs->o, cmd->name,
						 !!(cmd->flags & CMD_RESUME_ONLY)))))
		goto out;
	/* the first token now, after the local checks (config, ledger) and before any resource
	 * request: a credential that cannot sign in is one message, not one per resource */
	if (!(cmd->flags & CMD_NO_AUTH) && arm_client_authenticate(rs->arm, &err)) {
		msg_error("%s", err.buf);
		ret = EXIT_USAGE;
		goto out;
	}
out:
	strbuf_release(&err);
	return ret;
}

/* The run's report from the ledger, once its outcome is recorded; -1 when it cannot be read. */
static int print_report(struct orch *o)
{
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	json_t *report = report_build(o->ledger, o->run.id, &err);
	int ret = 0;
	if (report) {
		report_render(report, o->json ? REPORT_JSON : REPORT_TABLE, &text);
		msg_out("\n%s", text.buf);
		json_decref(report);
	} else {
		msg_error("%s", err.buf);
		ret = -1;
	}
	strbuf_release(&err);
	strbuf_release(&text);
	return ret;
}

int run_setup_command(const struct command *cmd, struct cli_context *ctx)
{
	struct run_setup rs;
	enum orch_result result = ORCH_USAGE;

	memset(&rs, 0, sizeof(rs));
	strbuf_init(&rs.desired, 0);
	if (begin(&rs, cmd, ctx))
		goto out;
	result = cmd->run(&rs.o, &ctx->opts);
	result = orch_finish(&rs.o, result, !!(cmd->flags & CMD_FINAL));
	if (result == ORCH_INTERRUPTED)
		msg_error("interrupted: the ledger has the run; rerun the command to continue");
	else if ((cmd->flags & CMD_REPORT) && result != ORCH_USAGE && result != ORCH_LEDGER &&
		 print_report(&rs.o))
		result = ORCH_LEDGER; /* a run whose record cannot be read did not succeed */
out:
	/* the client first: its cancelled callbacks still find their phase state */
	arm_client_free(rs.arm);
	rs.arm = NULL;
	if (rs.orch_ready)
		orch_release(&rs.o);
	deploy_set_release(&rs.set);
	render_memo_release(&rs.memo);
	exemption_file_release(&rs.exemptions);
	strbuf_release(&rs.desired);
	return cli_exit_code(result);
}

int run_setup_open_latest(struct cli_context *ctx, struct ledger **l, struct ledger_run *run)
{
	struct strbuf err = STRBUF_INIT;
	enum ledger_result lr;
	int ret = EXIT_OK;
	memset(run, 0, sizeof(*run));
	if (ledger_open_readonly(ctx->config.run_ledger, l, &err)) {
		msg_error("%s", err.buf);
		ret = EXIT_USAGE;
	} else if ((lr = ledger_run_latest(*l, run)) == LEDGER_ERR_NOT_FOUND) {
		msg_error("ledger '%s' holds no run yet", ctx->config.run_ledger);
		ret = EXIT_USAGE;
	} else if (lr) {
		msg_error("cannot read ledger '%s': %s", ctx->config.run_ledger, ledger_errmsg(*l));
		ret = EXIT_LEDGER;
	}
	strbuf_release(&err);
	return ret;
}
