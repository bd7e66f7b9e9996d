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

long run_setup_parse_timeout(const char *text)
{
	long ms;
	if (config_parse_duration(text, &ms) < 0 || ms <= 0) {
		msg_error("option '--timeout': expected a duration such as 30s, 5m or 4h, got '%s'", text);
		return -1;
	}
	return ms;
}
