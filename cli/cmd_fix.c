/*
 * cmd_fix — `policyctl fix`: patch the apps the inventory lists as not compliant, exposed and
 * production first, in batches with a Resource Graph re-scan after each, recorded in the
 * ledger so a rerun continues without patching twice (orchestrator/fix.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/arm.h"
#include "lib/msg.h"
#include "orchestrator/fix.h"
#include "orchestrator/ledger.h"
#include "orchestrator/orch.h"
#include "lib/banned.h"

static const char help[] =
	"usage: policyctl [-c FILE] fix [--tier TIER[,TIER]] [--batch N] [--dry-run]\n"
	"                               [--only ID[,ID]] [--include-at-risk] [--policy-scan]\n\n"
	"patches every app the inventory lists as not compliant (clientCertEnabled=true,\n"
	"clientCertMode=Required, nothing else), tier by tier: exposed+production, exposed,\n"
	"production, rest; after each batch Resource Graph is asked again until the batch's apps\n"
	"show fixed ([inventory] rescan_timeout). Locked and denied apps are skipped with the\n"
	"reason, apps at risk (exclusion paths with HTTP/2 or TLS 1.3) too unless asked for.\n"
	"A rerun after an interruption continues the same run and patches nothing twice.\n"
	"\noptions:\n"
	"  --tier TIERS        only these tiers: exposed+production, exposed, production, rest\n"
	"  --batch N           apps per batch (default 50)\n"
	"  -n, --dry-run       print the batches, send and record nothing\n"
	"  --only IDS          only these resource ids (comma-separated)\n"
	"  --include-at-risk   patch apps at risk too\n"
	"  --policy-scan       also trigger a compliance evaluation of each batch's subscriptions\n"
	"\nexit codes: 0 all fixed (or skipped as the rules say), 1 a PATCH failed or an app did\n"
	"not show fixed in time, 2 usage or config error, 4 interrupted (rerun to continue)\n";

/* Splits a comma list into a JSON array of strings (new). */
static json_t *split_list(const char *s)
{
	json_t *arr = json_array();
	while (*s) {
		size_t n = strcspn(s, ",");
		if (n)
			json_array_append_new(arr, json_stringn(s, n));
		s += n;
		if (*s == ',')
			s++;
	}
	return arr;
}

static int option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);
	if (!strcmp(argv[*i], name)) {
		if (*i + 1 >= argc) {
			msg_error("option '%s' needs a value: see 'policyctl fix --help'", name);
			return -1;
		}
		*value = argv[++*i];
		return 1;
	}
	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return 1;
	}
	return 0;
}

int cmd_fix(int argc, char **argv, struct cli_context *ctx)
{
	struct fix_options opts;
	struct fix_counts counts;
	struct arm_client *client = NULL;
	struct ledger *l = NULL;
	struct strbuf err = STRBUF_INIT;
	json_t *only = NULL, *tiers = NULL;
	const char *value;
	enum fix_result res;
	int i, k, r, ret = EXIT_USAGE;

	if (cli_wants_help(argc, argv)) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	memset(&opts, 0, sizeof(opts));
	opts.batch = 50;
	opts.out = stdout;
	opts.rescan_timeout_ms = ctx->config.inventory_rescan_timeout;
	opts.stop = &orch_interrupted;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n")) {
			opts.dry_run = 1;
		} else if (!strcmp(argv[i], "--include-at-risk")) {
			opts.include_at_risk = 1;
		} else if (!strcmp(argv[i], "--policy-scan")) {
			opts.policy_scan = 1;
		} else if ((r = option_value(argc, argv, &i, "--batch", &value))) {
			char *end;
			if (r < 0)
				goto out;
			opts.batch = strtol(value, &end, 10);
			if (*end || opts.batch < 1 || opts.batch > 10000) {
				msg_error("option '--batch': expected a number from 1 to 10000, got '%s'", value);
				goto out;
			}
		} else if ((r = option_value(argc, argv, &i, "--tier", &value))) {
			json_t *t;
			size_t j;
			if (r < 0)
				goto out;
			json_decref(tiers);
			tiers = split_list(value);
			json_array_foreach(tiers, j, t) {
				k = inventory_tier_parse(json_string_value(t));
				if (k < 0) {
					msg_error("option '--tier': expected exposed+production, exposed, production or rest, got '%s'",
						  json_string_value(t));
					goto out;
				}
				opts.tiers |= 1u << k;
			}
		} else if ((r = option_value(argc, argv, &i, "--only", &value))) {
			if (r < 0)
				goto out;
			json_decref(only);
			only = split_list(value);
			if (!json_array_size(only)) {
				msg_error("option '--only': expected resource ids, got '%s'", value);
				goto out;
			}
			opts.only = only;
		} else {
			msg_error("unknown option '%s': see 'policyctl fix --help'", argv[i]);
			goto out;
		}
	}
	if (!ctx->config.scope_management_group && !ctx->config.scope_subscriptions.nr) {
		msg_error("config '%s': [scope] names neither management_group nor subscriptions",
			  ctx->config.path ? ctx->config.path : "policyctl.ini");
		goto out;
	}
	if (!opts.dry_run && ledger_open(ctx->config.run_ledger, &l, &err)) {
		msg_error("%s", err.buf);
		goto out;
	}
	if (arm_client_new(&ctx->config, NULL, &client, &err) != ARM_OK) {
		msg_error("%s", err.buf);
		goto out;
	}
	orch_install_signals();
	res = fix_run(client, l, &ctx->config, &opts, &counts, &err);
	if (res == FIX_ERROR) {
		msg_error("fix failed: %s", err.buf);
		ret = EXIT_FAILED;
		goto out;
	}
	{
		long fixed = 0, failed = 0, skipped = 0;
		for (k = 0; k < TIER__COUNT; k++) {
			fixed += counts.fixed[k];
			failed += counts.failed[k];
			skipped += counts.skipped[k];
		}
		if (!opts.dry_run)
			printf("fix: %ld fixed, %ld skipped, %ld failed in %ld batch(es); %ld not shown fixed by Resource Graph in time\n",
			       fixed, skipped, failed, counts.batches, counts.lagging);
	}
	ret = res == FIX_INTERRUPTED ? EXIT_INTERRUPTED : res == FIX_OK ? EXIT_OK : EXIT_FAILED;
out:
	arm_client_free(client);
	ledger_close(l);
	json_decref(only);
	json_decref(tiers);
	strbuf_release(&err);
	return ret;
}
