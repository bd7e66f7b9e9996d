/*
 * cmd_render — `policyctl render`: render the policy set, write it out in the chosen format.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "generator/output.h"
#include "generator/render.h"
#include "lib/msg.h"
#include "lib/banned.h"

int cmd_render(struct cli_context *ctx)
{
	struct deploy_set set = DEPLOY_SET_INIT;
	struct strbuf err = STRBUF_INIT;
	enum render_format format = RENDER_FORMAT_REST;
	const char *out_dir = ctx->opts.out ? ctx->opts.out : "rendered";
	int ret = EXIT_USAGE;

	if (ctx->opts.format && render_format_parse(ctx->opts.format, &format) < 0) {
		msg_error("option '--format': expected one of " RENDER_FORMAT_NAMES ", got '%s'",
			  ctx->opts.format);
		goto out;
	}
	switch (render_policy_set(&ctx->config, &set, &err)) {
	case RENDER_OK:
		break;
	case RENDER_ERR_CONFIG:
		msg_error("%s", err.buf);
		goto out;
	case RENDER_ERR_TEMPLATE:
		msg_error("%s", err.buf);
		ret = EXIT_FAILED;
		goto out;
	}
	switch (render_write_config(&set, format, &ctx->config, out_dir, &err)) {
	case OUTPUT_OK:
		break;
	case OUTPUT_ERR_UNSUPPORTED: /* the format cannot express this config: a usage error */
		msg_error("%s", err.buf);
		goto out;
	case OUTPUT_ERR_IO:
		msg_error("%s", err.buf);
		ret = EXIT_FAILED;
		goto out;
	}
	msg_note("wrote %zu resources to '%s'", set.nr, out_dir);
	ret = EXIT_OK;
out:
	deploy_set_release(&set);
	strbuf_release(&err);
	return ret;
}
