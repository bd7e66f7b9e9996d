/*
 * cmd_fix — `policyctl fix`: patch the apps the inventory lists as not compliant, exposed and
 * production first, in batches with a Resource Graph re-scan after each, recorded in the
 * ledger so a rerun continues without patching twice (orchestrator/fix.h). Its row in main.c
 * holds the options and the help.
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

int cmd_fix(struct cli_context *ctx)
{
	const struct cli_options *o = &ctx->opts;
	struct fix_options opts;
	struct fix_counts counts;
	struct arm_client *client = NULL;
	struct ledger *l = NULL;
	struct strbuf err = STRBUF_INIT;
	json_t *only = NULL, *tiers = NULL, *t;
	enum fix_result res;
	size_t j;
	int k, ret = EXIT_USAGE;

	memset(&opts, 0, sizeof(opts));
	opts.batch = o->batch ? o->batch : 50;
	opts.dry_run = o->dry_run;
	opts.include_at_risk = o->include_at_risk;
	opts.policy_scan = o->policy_scan;
	opts.out = stdout;
	opts.rescan_timeout_ms = ctx->config.inventory_rescan_timeout;
	opts.stop = &orch_interrupted;
	if (o->tier) {
		tiers = split_list(o->tier);
		if (!json_array_size(tiers)) {
			msg_error("option '--tier': expected exposed+production, exposed, production or rest, got '%s'",
				  o->tier);
			goto out;
		}
		json_array_foreach(tiers, j, t) {
			k = inventory_tier_parse(json_string_value(t));
			if (k < 0) {
				msg_error("option '--tier': expected exposed+production, exposed, production or rest, got '%s'",
					  json_string_value(t));
				goto out;
			}
			opts.tiers |= 1u << k;
		}
	}
	if (o->only) {
		only = split_list(o->only);
		if (!json_array_size(only)) {
			msg_error("option '--only': expected resource ids, got '%s'", o->only);
			goto out;
		}
		opts.only = only;
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
	if (res == FIX_ERROR || res == FIX_LEDGER) {
		msg_error("fix failed: %s", err.buf);
		ret = res == FIX_LEDGER ? EXIT_LEDGER : EXIT_FAILED;
		goto out;
	}
	if (!opts.dry_run) {
		long fixed = 0, failed = 0, skipped = 0;
		for (k = 0; k < TIER__COUNT; k++) {
			fixed += counts.fixed[k];
			failed += counts.failed[k];
			skipped += counts.skipped[k];
		}
		msg_out("fix: %ld fixed, %ld skipped, %ld failed in %ld batch(es); %ld not shown fixed by Resource Graph in time\n",
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
