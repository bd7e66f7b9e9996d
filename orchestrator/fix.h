/*
 * fix — the asset-level path of the rollout: patch the apps the inventory lists as not
 * compliant, exposed and production first, in batches with a re-scan after each.
 *
 * Each app gets the equivalent of `az webapp update --set clientCertEnabled=true` plus
 * clientCertMode=Required: a PATCH of the site or slot carrying only those two properties.
 * Order: tier (exposed+production, exposed, production, rest), then id within a tier.
 * Every PATCH is in the ledger before it is sent (the app's fix row goes to "sent", the write
 * intent is recorded) and its outcome after; a rerun of the same scope continues the same run:
 * apps done are not touched, and an app whose PATCH may have gone out (state "sent") is read
 * with a GET first and patched only if it still needs it. Locked apps (409 ScopeLocked) and
 * denied ones (403) are skipped with the reason, apps at risk too unless include_at_risk.
 * After a batch, Resource Graph is asked again for the batch's fixed apps until they show the
 * new values or rescan_timeout passes (its lag is seconds to minutes); the ones that did not
 * are named. With policy_scan, each batch also triggers a compliance evaluation of the
 * subscriptions it touched. Writes go through the ARM client, whose pacing keeps within each
 * subscription's write limit.
 */
#ifndef ORCHESTRATOR_FIX_H
#define ORCHESTRATOR_FIX_H
#include <jansson.h>
#include <signal.h>
#include <stdio.h>

#include "lib/config.h"
#include "lib/strbuf.h"
#include "orchestrator/inventory.h"

struct arm_client;
struct ledger;

enum fix_result {
	FIX_OK = 0,        /* every app in the plan fixed (or skipped as the rules say) */
	FIX_FAILED,        /* some PATCH failed, or an app did not show fixed in time */
	FIX_ERROR,         /* the inventory or the ledger failed: err says why */
	FIX_INTERRUPTED,   /* a signal: the run can be resumed */
	FIX_LEDGER,        /* the ledger refused a write: stopped, nothing unrecorded was sent */
};

struct fix_options {
	unsigned tiers;                /* bit (1 << tier) per tier to fix; 0 = all */
	long batch;                    /* apps per batch (> 0) */
	int dry_run;                   /* print the plan, send and record nothing */
	int include_at_risk;           /* patch apps at risk too */
	int policy_scan;               /* trigger an evaluation of touched subscriptions per batch */
	const json_t *only;            /* array of ids to limit to, or NULL (borrowed) */
	long rescan_timeout_ms;        /* how long a re-scan polls Resource Graph */
	volatile sig_atomic_t *stop;   /* set by a signal handler: stop after the request in flight */
	FILE *out;                     /* where batch results go as they complete */
};

struct fix_counts {
	long fixed[TIER__COUNT];       /* patched (verified or not) */
	long failed[TIER__COUNT];
	long skipped[TIER__COUNT];
	long lagging;                  /* fixed but not shown by Resource Graph in time */
	long patches;                  /* PATCH requests sent by this process */
	long batches;
};

/*
 * Runs a fix for the config's scope through client (borrowed), recording in l (borrowed; NULL
 * only with dry_run). Fills *counts. Returns FIX_OK, FIX_FAILED, FIX_INTERRUPTED, or FIX_ERROR
 * with err one line.
 */
enum fix_result fix_run(struct arm_client *client, struct ledger *l, const struct config *cfg,
			const struct fix_options *opts, struct fix_counts *counts, struct strbuf *err);
#endif
