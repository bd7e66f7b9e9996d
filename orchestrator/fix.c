/*
 * fix — batched PATCHes of non-compliant apps with a ledger and re-scans (see fix.h).
 */
#include <openssl/evp.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/arm.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "orchestrator/fix.h"
#include "orchestrator/ledger.h"
#include "lib/banned.h"

#define PATCH_BODY "{\"properties\":{\"clientCertEnabled\":true,\"clientCertMode\":\"Required\"}}"
#define RESCAN_FIRST_MS 500
#define RESCAN_MAX_MS 10000

/* One app of the plan. */
struct fix_app {
	const struct inventory_item *item;  /* borrowed from the inventory */
	char state[16];                     /* the ledger state, "" when not in the ledger */
	long batch;
	size_t rank;                        /* its place among its tier's apps of its subscription */
	int patched;                        /* PATCH answered 2xx in this process */
	int needs_patch;                    /* after the GET of a "sent" app */
	char *reason;                       /* skip or failure reason (owned) */
};

struct fix_run_state {
	struct arm_client *client;
	struct ledger *l;
	int64_t run_id;
	const struct fix_options *opts;
	struct fix_counts *counts;
	struct fix_app *apps;
	size_t nr;
	char digest[65];
	struct fix_calls *calls;      /* what callbacks still to come share (heap) */
	int ledger_failed;
};

static void patch_digest(char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0, i;
	EVP_Digest(PATCH_BODY, strlen(PATCH_BODY), md, &md_len, EVP_sha256(), NULL);
	for (i = 0; i < md_len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int by_tier_then_id(const void *a, const void *b)
{
	const struct fix_app *x = a, *y = b;
	if (x->item->tier != y->item->tier)
		return (int)x->item->tier - (int)y->item->tier;
	return strcasecmp(x->item->id, y->item->id);
}

/*
 * Within a tier, subscriptions take turns (each app's rank among its subscription's apps of
 * the tier, then the subscription): a batch then spreads over several subscriptions' write
 * limits instead of waiting on one. Stable: the same inventory gives the same order.
 */
static int by_tier_then_turn(const void *a, const void *b)
{
	const struct fix_app *x = a, *y = b;
	int c;
	if (x->item->tier != y->item->tier)
		return (int)x->item->tier - (int)y->item->tier;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	c = strcasecmp(x->item->subscription, y->item->subscription);
	return c ? c : strcasecmp(x->item->id, y->item->id);
}

static void order_apps(struct fix_app *apps, size_t nr)
{
	size_t i, start;
	qsort(apps, nr, sizeof(*apps), by_tier_then_id);
	/* rank: the n-th app of its (tier, subscription); ids sort by subscription first */
	for (start = 0, i = 0; i < nr; i++) {
		if (i && (apps[i].item->tier != apps[i - 1].item->tier ||
			  strcasecmp(apps[i].item->subscription, apps[i - 1].item->subscription)))
			start = i;
		apps[i].rank = i - start;
	}
	qsort(apps, nr, sizeof(*apps), by_tier_then_turn);
}

/* Records the app's state; 0, or -1 when the ledger refused it (st->ledger_failed is set). */
static int set_state(struct fix_run_state *st, struct fix_app *app, const char *state,
		     const char *reason)
{
	snprintf(app->state, sizeof(app->state), "%s", state);
	if (reason) {
		free(app->reason);
		app->reason = xstrdup(reason);
	}
	if (st->l && ledger_fix_set(st->l, st->run_id, app->item->id,
				    inventory_tier_name(app->item->tier), app->batch, state, reason)) {
		st->ledger_failed = 1;
		return -1;
	}
	return 0;
}

/* ---- the scope's fix run in the ledger ---- */

static int attach_run(struct ledger *l, const struct config *cfg, struct ledger_run *run,
		      struct strbuf *err)
{
	struct strbuf scope = STRBUF_INIT;
	enum ledger_result lr;
	size_t i;
	if (cfg->scope_management_group) {
		strbuf_addf(&scope, "fix:mg:%s", cfg->scope_management_group);
	} else {
		strbuf_addstr(&scope, "fix:subs:");
		for (i = 0; i < cfg->scope_subscriptions.nr; i++)
			strbuf_addf(&scope, "%s%s", i ? "," : "", cfg->scope_subscriptions.items[i]);
	}
	lr = ledger_run_resumable(l, scope.buf, run);
	if (lr == LEDGER_OK) {
		msg_note("continuing fix run %s from the ledger", run->uid);
		lr = ledger_run_resume(l, run->id);
	} else if (lr == LEDGER_ERR_NOT_FOUND) {
		lr = ledger_run_begin(l, "fix", scope.buf, run);
	}
	if (lr == LEDGER_OK)
		lr = ledger_run_set_phase(l, run->id, LEDGER_PHASE_FIX);
	if (lr)
		strbuf_addf(err, "cannot record the fix run in the ledger: %s", ledger_errmsg(l));
	strbuf_release(&scope);
	return lr ? -1 : 0;
}

/* ---- one batch ---- */

/*
 * Calls in flight outlive fix_run when a signal stops it: the ARM client completes them later
 * (at the latest as cancelled when it is freed), after st and the apps are gone. So callbacks
 * first count themselves in here; once fix_run has left, they only count down and the last one
 * frees this.
 */
struct fix_calls {
	size_t pending;
	int abandoned;
};

struct call {
	struct fix_run_state *st;
	struct fix_app *app;              /* NULL for a policy scan */
	int64_t write_id;
	struct fix_calls *calls;
};

static struct call *call_new(struct fix_run_state *st, struct fix_app *app)
{
	struct call *c = xcalloc(1, sizeof(*c));
	c->st = st;
	c->app = app;
	c->calls = st->calls;
	st->calls->pending++;
	return c;
}

/* Counts a callback in: 1 to go on, 0 when fix_run has left (c is freed then). */
static int call_arrive(struct call *c)
{
	struct fix_calls *calls = c->calls;
	calls->pending--;
	if (!calls->abandoned)
		return 1;
	if (!calls->pending)
		free(calls);
	free(c);
	return 0;
}

static void on_get(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct call *c = data;
	json_t *props = json_object_get(resp->body, "properties");
	const char *mode = json_string_value(json_object_get(props, "clientCertMode"));
	(void)client;
	if (!call_arrive(c))
		return;
	/* the PATCH of an earlier process arrived when the app now says so: nothing to send */
	c->app->needs_patch = !(resp->result == ARM_OK &&
				json_is_true(json_object_get(props, "clientCertEnabled")) &&
				mode && !strcmp(mode, "Required"));
	free(c);
}

static void on_patch(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct call *c = data;
	struct fix_run_state *st;
	struct fix_app *app;
	enum inventory_tier tier;
	(void)client;
	if (!call_arrive(c))
		return;
	st = c->st;
	app = c->app;
	tier = app->item->tier;
	if (resp->result == ARM_OK) {
		if (st->l && ledger_write_outcome(st->l, c->write_id, 1, (int)resp->status,
						  resp->request_id, NULL, NULL))
			st->ledger_failed = 1;
		app->patched = 1;
		set_state(st, app, "fixed", NULL);
		st->counts->fixed[tier]++;
	} else {
		struct strbuf why = STRBUF_INIT;
		const char *code = resp->error.code ? resp->error.code : arm_result_name(resp->result);
		int locked = resp->error.code && !strcmp(resp->error.code, "ScopeLocked");
		int denied = resp->error.status == 403;
		if (st->l && ledger_write_outcome(st->l, c->write_id, 0, (int)resp->error.status,
						  resp->error.request_id, code, resp->error.message))
			st->ledger_failed = 1;
		if (locked)
			strbuf_addstr(&why, "locked (ScopeLocked)");
		else if (denied)
			strbuf_addf(&why, "denied (%s)", code);
		else
			arm_error_format(&resp->error, &why);
		set_state(st, app, locked || denied ? "skipped" : "failed", why.buf);
		if (locked || denied)
			st->counts->skipped[tier]++;
		else
			st->counts->failed[tier]++;
		strbuf_release(&why);
	}
	free(c);
}

/* Pumps until nothing of ours is in flight; 1 when a signal asked to stop. */
static int pump(struct fix_run_state *st)
{
	while (st->calls->pending > 0) {
		arm_client_run(st->client, 100);
		if ((st->opts->stop && *st->opts->stop) || st->ledger_failed)
			return 1;
	}
	return st->ledger_failed;
}

static void submit_patch(struct fix_run_state *st, struct fix_app *app, const json_t *body)
{
	int64_t write_id = 0;
	struct call *c;
	/* nothing is sent that the ledger has not recorded first */
	if (st->ledger_failed || (st->l && ledger_write_intent(st->l, st->run_id, "PATCH",
							       app->item->id, st->digest, &write_id))) {
		st->ledger_failed = 1;
		return;
	}
	if (set_state(st, app, "sent", NULL))
		return;
	c = call_new(st, app);
	c->write_id = write_id;
	st->counts->patches++;
	arm_submit(st->client, "PATCH", app->item->id, body, NULL, on_patch, c);
}

static void on_timer(struct arm_client *client, void *data)
{
	(void)client;
	*(int *)data = 1;
}

/*
 * Waits ms on the client's loop (a timer, not a sleep); 1 when a signal asked to stop. A timer
 * left pending then is dropped unrun when the client is freed, which the caller does next.
 */
static int wait_ms(struct fix_run_state *st, long ms)
{
	int due = 0;
	arm_client_add_timer(st->client, ms, on_timer, &due);
	while (!due) {
		arm_client_run(st->client, 100);
		if (st->opts->stop && *st->opts->stop)
			return 1;
	}
	return 0;
}

/* The re-scan: polls Resource Graph for the batch's patched apps until they show fixed. */
static void rescan(struct fix_run_state *st, const struct config *cfg, struct fix_app **batch,
		   size_t n, struct strbuf *lagging)
{
	json_t *ids = json_array();
	long waited = 0, wait = RESCAN_FIRST_MS;
	size_t i, k;
	for (i = 0; i < n; i++)
		if (batch[i]->patched)
			json_array_append_new(ids, json_string(batch[i]->item->id));
	while (json_array_size(ids)) {
		struct inventory inv = { 0 };
		struct strbuf err = STRBUF_INIT;
		if (inventory_run(st->client, cfg, ids, &inv, &err) != INVENTORY_OK)
			msg_warning("re-scan failed: %s", err.buf);
		/* drop what shows compliant now (or is gone) */
		for (k = json_array_size(ids); k-- > 0;) {
			const char *id = json_string_value(json_array_get(ids, k));
			int open = 0;
			for (i = 0; i < inv.nr; i++)
				if (!strcasecmp(inv.items[i].id, id) && !inv.items[i].compliant)
					open = 1;
			if (!open) {
				for (i = 0; i < n; i++)
					if (!strcasecmp(batch[i]->item->id, id))
						set_state(st, batch[i], "verified", NULL);
				json_array_remove(ids, k);
			}
		}
		inventory_release(&inv);
		strbuf_release(&err);
		if (!json_array_size(ids) || waited >= st->opts->rescan_timeout_ms ||
		    (st->opts->stop && *st->opts->stop))
			break;
		/* Resource Graph lags writes: wait, doubling, within the deadline */
		if (wait > st->opts->rescan_timeout_ms - waited)
			wait = st->opts->rescan_timeout_ms - waited;
		if (wait_ms(st, wait))
			break;
		waited += wait;
		wait = wait * 2 > RESCAN_MAX_MS ? RESCAN_MAX_MS : wait * 2;
	}
	for (k = 0; k < json_array_size(ids); k++) {
		const char *id = json_string_value(json_array_get(ids, k));
		for (i = 0; i < n; i++)
			if (!strcasecmp(batch[i]->item->id, id))
				set_state(st, batch[i], "lagging",
					  "patched, but Resource Graph did not show it within the re-scan timeout");
		strbuf_addf(lagging, "%s%s", lagging->len ? ", " : "", id);
		st->counts->lagging++;
	}
	json_decref(ids);
}

static void on_scan(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct call *c = data;
	(void)client;
	if (!call_arrive(c))
		return;
	free(c);
	if (resp->result != ARM_OK) {
		struct strbuf why = STRBUF_INIT;
		arm_error_format(&resp->error, &why);
		msg_warning("policy scan not started: %s", why.buf);
		strbuf_release(&why);
	}
}

/* --policy-scan: one evaluation per subscription the batch touched. */
static void policy_scan(struct fix_run_state *st, struct fix_app **batch, size_t n)
{
	struct arm_call_options opts = { .flags = ARM_IDEMPOTENT };
	json_t *seen = json_object();
	size_t i;
	for (i = 0; i < n; i++) {
		struct strbuf path = STRBUF_INIT;
		const char *sub = batch[i]->item->subscription;
		if (!batch[i]->patched || json_object_get(seen, sub))
			continue;
		json_object_set_new(seen, sub, json_true());
		strbuf_addf(&path, "/subscriptions/%s/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation", sub);
		arm_submit(st->client, "POST", path.buf, NULL, &opts, on_scan, call_new(st, NULL));
		strbuf_release(&path);
	}
	if (json_object_size(seen))
		msg_print(st->opts->out, "  policy scan triggered in %zu subscription(s)\n",
			json_object_size(seen));
	json_decref(seen);
}

static int run_batch(struct fix_run_state *st, const struct config *cfg, struct fix_app **batch,
		     size_t n, long number)
{
	json_t *body = json_loads(PATCH_BODY, 0, NULL);
	struct strbuf lagging = STRBUF_INIT;
	long fixed = 0, skipped = 0, failed = 0;
	size_t i;
	int stopped = 0;
	/* an app whose PATCH may have gone out before a crash: read it before writing again */
	for (i = 0; i < n; i++) {
		batch[i]->batch = number;
		batch[i]->needs_patch = 1;
		if (!strcmp(batch[i]->state, "sent"))
			arm_submit(st->client, "GET", batch[i]->item->id, NULL, NULL, on_get,
				   call_new(st, batch[i]));
	}
	if (pump(st)) {
		stopped = 1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!batch[i]->needs_patch) {
			batch[i]->patched = 1;
			set_state(st, batch[i], "fixed", NULL);
			st->counts->fixed[batch[i]->item->tier]++;
			continue;
		}
		if (!strcmp(batch[i]->state, "sent") || !batch[i]->state[0] ||
		    !strcmp(batch[i]->state, "planned"))
			submit_patch(st, batch[i], body);
	}
	if (pump(st)) {
		stopped = 1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		fixed += batch[i]->patched;
		skipped += !strcmp(batch[i]->state, "skipped");
		failed += !strcmp(batch[i]->state, "failed");
	}
	msg_print(st->opts->out, "batch %ld (%s): %ld fixed, %ld skipped, %ld failed\n", number,
		inventory_tier_name(batch[0]->item->tier), fixed, skipped, failed);
	for (i = 0; i < n; i++)
		if (!strcmp(batch[i]->state, "skipped") || !strcmp(batch[i]->state, "failed")) {
			struct strbuf line = STRBUF_INIT;
			/* ids and error texts come from the network: no control characters out */
			strbuf_addf(&line, "  %s ", batch[i]->state);
			msg_escape_into(&line, batch[i]->item->id);
			strbuf_addstr(&line, ": ");
			msg_escape_into(&line, batch[i]->reason ? batch[i]->reason : "");
			msg_print(st->opts->out, "%s\n", line.buf);
			strbuf_release(&line);
		}
	fflush(st->opts->out);
	rescan(st, cfg, batch, n, &lagging);
	if (lagging.len)
		msg_print(st->opts->out, "  re-scan: not shown fixed by Resource Graph in time: %s\n",
			lagging.buf);
	else if (fixed)
		msg_print(st->opts->out, "  re-scan: all %ld shown fixed by Resource Graph\n", fixed);
	if (st->opts->policy_scan) {
		policy_scan(st, batch, n);
		if (pump(st))
			stopped = 1;
	}
	fflush(st->opts->out);
out:
	json_decref(body);
	strbuf_release(&lagging);
	return stopped;
}

/* ---- the whole fix ---- */

static int wanted(const struct fix_options *opts, const struct inventory_item *it)
{
	return !opts->tiers || (opts->tiers & (1u << it->tier));
}

enum fix_result fix_run(struct arm_client *client, struct ledger *l, const struct config *cfg,
			const struct fix_options *opts, struct fix_counts *counts, struct strbuf *err)
{
	struct fix_run_state st;
	struct ledger_run run = { 0 };
	struct ledger_fix *done = NULL;
	struct inventory inv = { 0 };
	struct fix_app **batch = NULL;
	size_t nr_done = 0, i, k, n;
	long number = 0;
	enum fix_result ret = FIX_ERROR;

	memset(&st, 0, sizeof(st));
	memset(counts, 0, sizeof(*counts));
	st.client = client;
	st.calls = xcalloc(1, sizeof(*st.calls));
	st.l = opts->dry_run ? NULL : l;
	st.opts = opts;
	st.counts = counts;
	patch_digest(st.digest);
	if (st.l) {
		if (attach_run(st.l, cfg, &run, err))
			goto out;
		st.run_id = run.id;
		if (ledger_fix_list(st.l, run.id, &done, &nr_done)) {
			strbuf_addf(err, "cannot read the ledger: %s", ledger_errmsg(st.l));
			goto out;
		}
	}
	if (inventory_run(client, cfg, opts->only, &inv, err) != INVENTORY_OK)
		goto out;
	st.apps = xcalloc(inv.nr ? inv.nr : 1, sizeof(*st.apps));
	for (i = 0; i < inv.nr; i++) {
		const struct inventory_item *it = &inv.items[i];
		const char *state = "";
		for (k = 0; k < nr_done; k++)
			if (!strcasecmp(done[k].resource_id, it->id)) {
				state = done[k].state;
				number = done[k].batch > number ? done[k].batch : number;
			}
		/* what this run finished already is not touched again, whatever the inventory says */
		if (*state && strcmp(state, "sent") && strcmp(state, "planned"))
			continue;
		/* "sent" may have gone out: its GET decides; the others need the inventory's word */
		if (strcmp(state, "sent") &&
		    (it->compliant || it->exempt || it->excluded || !wanted(opts, it)))
			continue;
		st.apps[st.nr].item = it;
		snprintf(st.apps[st.nr].state, sizeof(st.apps[st.nr].state), "%s", state);
		st.nr++;
	}
	order_apps(st.apps, st.nr);
	/* apps at risk are skipped with the reason, unless asked for */
	for (i = 0; i < st.nr; i++) {
		if (st.apps[i].item->at_risk && !opts->include_at_risk && !st.apps[i].state[0]) {
			if (opts->dry_run)
				msg_print(opts->out, "would skip %s: at risk (%s)\n", st.apps[i].item->id,
					st.apps[i].item->why);
			else
				set_state(&st, &st.apps[i], "skipped", "at risk: exclusion paths with HTTP/2 or TLS 1.3 (use --include-at-risk)");
			counts->skipped[st.apps[i].item->tier]++;
			snprintf(st.apps[i].state, sizeof(st.apps[i].state), "skipped");
		}
	}
	batch = xcalloc((size_t)opts->batch, sizeof(*batch));
	ret = FIX_OK;
	for (i = 0; i < st.nr;) {
		/* a batch holds one tier: the next tier starts only after this one's re-scan */
		enum inventory_tier tier;
		n = 0;
		while (i < st.nr && !strcmp(st.apps[i].state, "skipped"))
			i++;
		if (i >= st.nr)
			break;
		tier = st.apps[i].item->tier;
		for (; i < st.nr && n < (size_t)opts->batch && st.apps[i].item->tier == tier; i++)
			if (strcmp(st.apps[i].state, "skipped"))
				batch[n++] = &st.apps[i];
		number++;
		counts->batches++;
		if (opts->dry_run) {
			msg_print(opts->out, "batch %ld (%s): would patch %zu app(s)\n", number,
				inventory_tier_name(tier), n);
			for (k = 0; k < n; k++)
				msg_print(opts->out, "  PATCH %s %s\n", batch[k]->item->id, PATCH_BODY);
			continue;
		}
		for (k = 0; k < n; k++)
			if (!batch[k]->state[0]) {
				batch[k]->batch = number;
				set_state(&st, batch[k], "planned", NULL);
			}
		if (run_batch(&st, cfg, batch, n, number)) {
			ret = FIX_INTERRUPTED;
			break;
		}
	}
	if (st.ledger_failed) {
		strbuf_addf(err, "the ledger refused a write, so nothing more was sent: %s",
			    ledger_errmsg(st.l));
		ret = FIX_LEDGER;
	}
	if (ret == FIX_OK) {
		for (k = 0; k < TIER__COUNT; k++)
			if (counts->failed[k])
				ret = FIX_FAILED;
		if (counts->lagging)
			ret = FIX_FAILED;
	}
	if (st.l && !st.ledger_failed &&
	    ledger_run_set_state(st.l, run.id, ret == FIX_INTERRUPTED ? LEDGER_RUN_INTERRUPTED
					       : ret == FIX_OK ? LEDGER_RUN_SUCCEEDED : LEDGER_RUN_FAILED)) {
		strbuf_addf(err, "the ledger refused the run's state: %s", ledger_errmsg(st.l));
		ret = FIX_LEDGER;
	}
out:
	/* calls still out (a signal stopped us) free their share when the client ends them */
	if (st.calls->pending)
		st.calls->abandoned = 1;
	else
		free(st.calls);
	for (i = 0; i < st.nr; i++)
		free(st.apps[i].reason);
	free(st.apps);
	free(batch);
	inventory_release(&inv);
	ledger_fixes_free(done, nr_done);
	ledger_run_release(&run);
	return ret;
}
