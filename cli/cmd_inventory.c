/*
 * cmd_inventory — `policyctl inventory [--format table|json|csv|markdown]`: the control's own
 * check through Azure Resource Graph: every targeted app, its client-certificate settings and
 * its tier; exit 0 only when nothing non-compliant and unexempted remains.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/arm.h"
#include "lib/msg.h"
#include "orchestrator/inventory.h"
#include "lib/banned.h"

static const char help[] =
	"usage: policyctl [-c FILE] inventory [--format table|json|csv|markdown]\n\n"
	"lists every App Service app in scope (web apps, function apps and their slots, as the\n"
	"policies target them) through Azure Resource Graph, with clientCertEnabled,\n"
	"clientCertMode, exclusion paths and the tier fix works in: exposed+production,\n"
	"exposed, production, rest ([inventory] in the config; docs/inventory.md)\n"
	"\noptions:\n"
	"  --format FORMAT   table (default; json with -o json), json, csv or markdown\n"
	"\nexit codes: 0 every app compliant or exempt (the control's expected empty result),\n"
	"1 some app is not, or a query failed, 2 usage or config error\n";

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

int cmd_inventory(int argc, char **argv, struct cli_context *ctx)
{
	enum inventory_format format = ctx->output == OUTPUT_JSON ? INVENTORY_JSON : INVENTORY_TABLE;
	struct arm_client *client = NULL;
	struct inventory inv = { 0 };
	struct strbuf err = STRBUF_INIT;
	const char *value;
	int i, ret = EXIT_USAGE;

	if (cli_wants_help(argc, argv)) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		value = NULL;
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			value = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			value = argv[i] + 9;
		if (!value) {
			msg_error("unknown option '%s': see 'policyctl inventory --help'", argv[i]);
			goto out;
		}
		if (parse_format(value, &format)) {
			msg_error("option '--format': expected one of table|json|csv|markdown, got '%s'", value);
			goto out;
		}
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
