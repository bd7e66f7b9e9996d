/*
 * cmd_inventory — `policyctl inventory [--format table|json|csv|markdown]`: the control's own
 * check through Azure Resource Graph (orchestrator/inventory.h); its row in main.c holds the
 * help. Exit 0 only when nothing non-compliant and unexempted remains.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/arm.h"
#include "lib/msg.h"
#include "orchestrator/inventory.h"
#include "lib/banned.h"

static int parse_format(const char *s, enum inventory_format *out)
{
	static const char *const names[] = { "table", "json", "csv", "markdown" };
	size_t i;
	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(s, names[i])) {
			*out = (enum inventory_format)i;
			return 0;
		}
	return -1;
}

int cmd_inventory(struct cli_context *ctx)
{
	enum inventory_format format = ctx->output == OUTPUT_JSON ? INVENTORY_JSON : INVENTORY_TABLE;
	struct arm_client *client = NULL;
	struct inventory inv = { 0 };
	struct strbuf err = STRBUF_INIT;
	int ret = EXIT_USAGE;

	if (ctx->opts.format && parse_format(ctx->opts.format, &format)) {
		msg_error("option '--format': expected one of table|json|csv|markdown, got '%s'",
			  ctx->opts.format);
		goto out;
	}
	if (!ctx->config.scope_management_group && !ctx->config.scope_subscriptions.nr) {
		msg_error("config '%s': [scope] names neither management_group nor subscriptions",
			  ctx->config.path ? ctx->config.path : "policyctl.ini");
		goto out;
	}
	if (arm_client_new(&ctx->config, NULL, &client, &err) != ARM_OK) {
		msg_error("%s", err.buf);
		goto out;
	}
	if (inventory_run(client, &ctx->config, NULL, &inv, &err) != INVENTORY_OK) {
		msg_error("inventory failed: %s", err.buf);
		ret = EXIT_FAILED;
		goto out;
	}
	inventory_write(&inv, format, stdout);
	fflush(stdout);
	msg_note("%zu apps, %zu not compliant and not exempt (%u resource graph queries)", inv.nr,
		 inventory_open_count(&inv), inv.queries);
	ret = inventory_open_count(&inv) ? EXIT_FAILED : EXIT_OK;
out:
	inventory_release(&inv);
	arm_client_free(client);
	strbuf_release(&err);
	return ret;
}
