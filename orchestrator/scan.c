/*
 * scan — `scan [--wait]`: trigger a compliance evaluation of every subscription in scope.
 *
 * There is no management-group trigger in Azure, so a management group is scanned one
 * subscription at a time — all at once through the event loop. triggerEvaluation is a
 * long-running operation (202 + Location); with wait the client follows each Location to its
 * end. A trigger while a scan runs returns the same operation, so resending after a crash is
 * harmless; a subscription whose scan this run already saw succeed is not scanned again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/phase.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct orch_scan_run;

struct scan_item {
	struct orch_scan_run *st;
	const char *subscription; /* borrowed from o->subscriptions */
	int64_t write_id;
};

/* A scan in flight: orch_scan_begin's to orch_scan_end's. */
struct orch_scan_run {
	struct orch_phase ph;
	struct orch *o;
	struct scan_item *items;
	long done, failed, skipped;
	int wait;
	int64_t start;
	void (*on_scanned)(struct orch *o, const char *subscription, void *data);
	void *on_scanned_data;
};

static void free_state(struct orch_phase *ph)
{
	struct orch_scan_run *st = (struct orch_scan_run *)ph;
	free(st->items);
	free(st);
}

/* The compliance scan trigger of a subscription. */
static void trigger_path(struct strbuf *sb, const char *subscription)
{
	strbuf_addf(sb, "/subscriptions/%s/providers/Microsoft.PolicyInsights/policyStates/latest/"
		    "triggerEvaluation", subscription);
}

static void on_trigger(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct scan_item *it = data;
	struct orch_scan_run *st = it->st;
	struct orch *o;
	struct strbuf subject = STRBUF_INIT;
	(void)client;
	if (!orch_phase_arrive(&st->ph))
		return;
	o = st->o;
	strbuf_addf(&subject, "/subscriptions/%s", it->subscription);
	if (resp->result != ARM_OK) {
		orch_record_answer(o, it->write_id, resp, "a scan trigger's answer");
		if (o->ledger)
			orch_ledger_check(o, ledger_scan_set(o->ledger, o->run.id, it->subscription,
							     resp->result == ARM_ERR_TIMEOUT
							     ? "timeout" : "Failed", NULL),
					  "a scan's state");
		orch_record_failure(o, LEDGER_FAILURE_SCAN, subject.buf, &resp->error);
		st->failed++;
	} else {
		orch_record_answer(o, it->write_id, resp, "a scan trigger's answer");
		if (o->ledger)
			orch_ledger_check(o, ledger_scan_set(o->ledger, o->run.id, it->subscription,
							     st->wait ? "Succeeded" : "triggered",
							     resp->location),
					  "a scan's state");
		st->done++;
		msg_debug("scan of '%s' %s", it->subscription, st->wait ? "succeeded" : "triggered");
		if (st->wait && st->on_scanned)
			st->on_scanned(o, it->subscription, st->on_scanned_data);
	}
	strbuf_release(&subject);
}

static int already_scanned(struct ledger_scan *scans, size_t nr, const char *sub)
{
	size_t i;
	for (i = 0; i < nr; i++)
		if (!strcmp(scans[i].subscription, sub) && !strcmp(scans[i].state, "Succeeded"))
			return 1;
	return 0;
}

/* ---- early scans: contain's verify scans started during track ---- */

struct early_scan_state {
	struct orch_phase ph;
	struct orch *o;
};

struct early_scan {
	struct early_scan_state *st;
	char *subscription;
	int64_t write_id;
};

static char in_flight[] = ""; /* early_scan_urls' value while a trigger is out */

static void free_early(struct orch_phase *ph)
{
	free(ph);
}

static void on_early_trigger(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct early_scan *es = data;
	struct orch *o;
	(void)client;
	if (orch_phase_arrive(&es->st->ph)) {
		o = es->st->o;
		orch_record_answer(o, es->write_id, resp, "an early scan trigger's answer");
		if (resp->result == ARM_OK && resp->location)
			idmap_put(&o->early_scan_urls, es->subscription, xstrdup(resp->location));
		else
			idmap_remove(&o->early_scan_urls, es->subscription); /* verify triggers it */
	}
	free(es->subscription);
	free(es);
}

void orch_scan_early(struct orch *o, const char *subscription)
{
	struct early_scan *es;
	struct strbuf path = STRBUF_INIT;
	struct arm_call_options opts;
	if (!o->early_scans || o->dry_run || o->ledger_failed || !o->ledger ||
	    idmap_get(&o->early_scan_urls, subscription))
		return;
	if (!o->early_scan_state) {
		o->early_scan_state = xcalloc(1, sizeof(*o->early_scan_state));
		o->early_scan_state->ph.free_fn = free_early;
		o->early_scan_state->o = o;
	}
	trigger_path(&path, subscription);
	es = xcalloc(1, sizeof(*es));
	es->st = o->early_scan_state;
	es->subscription = xstrdup(subscription);
	if (!orch_ledger_check(o, ledger_write_intent(o->ledger, o->run.id, "POST", path.buf, "",
						      &es->write_id),
			       "the intent of a scan trigger")) {
		free(es->subscription);
		free(es);
		strbuf_release(&path);
		return; /* not recorded, not sent */
	}
	idmap_put(&o->early_scan_urls, subscription, in_flight);
	memset(&opts, 0, sizeof(opts));
	opts.flags = ARM_IDEMPOTENT;
	es->st->ph.pending++;
	arm_submit(o->arm, "POST", path.buf, NULL, &opts, on_early_trigger, es);
	strbuf_release(&path);
}

static void free_url(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	if (value != in_flight)
		free(value);
}

void orch_scan_early_release(struct orch *o)
{
	idmap_for_each(&o->early_scan_urls, free_url, NULL);
	idmap_clear(&o->early_scan_urls);
	if (o->early_scan_state)
		orch_phase_leave(&o->early_scan_state->ph);
	o->early_scan_state = NULL;
	o->early_scans = 0;
}

enum orch_result orch_scan_begin(struct orch *o, int wait, struct orch_scan_run **out)
{
	struct orch_scan_run *st;
	struct ledger_scan *scans = NULL;
	size_t nr_scans = 0, i;
	struct arm_call_options opts;
	enum orch_result ret;

	*out = NULL;
	ret = orch_resolve_subscriptions(o);
	if (ret)
		return ret;
	if (o->ledger && !orch_ledger_check(o, ledger_scan_list(o->ledger, o->run.id, &scans,
								 &nr_scans), "(read) the run's scans"))
		return ORCH_LEDGER;
	st = xcalloc(1, sizeof(*st));
	st->ph.free_fn = free_state;
	st->o = o;
	st->wait = wait;
	st->start = orch_now_ms();
	st->items = xcalloc(o->subscriptions.nr + 1, sizeof(*st->items));
	memset(&opts, 0, sizeof(opts));
	opts.flags = ARM_IDEMPOTENT | (wait ? ARM_FOLLOW_LRO : 0);
	/* Without Retry-After (real traffic sends none) poll at the configured interval, capped
	 * so a short scan is noticed soon after it ends. */
	opts.lro_interval_ms = o->cfg->remediation_poll_interval < 5000
			       ? o->cfg->remediation_poll_interval : 5000;
	opts.timeout_ms = o->cfg->remediation_timeout;
	for (i = 0; i < o->subscriptions.nr; i++) {
		struct scan_item *it = &st->items[i];
		struct strbuf path = STRBUF_INIT;
		const char *early;
		it->st = st;
		it->subscription = o->subscriptions.items[i];
		if (wait && already_scanned(scans, nr_scans, it->subscription)) {
			st->skipped++;
			continue;
		}
		early = wait ? idmap_get(&o->early_scan_urls, it->subscription) : NULL;
		if (early && *early) {
			/* started during track, once this subscription's tasks were done: follow it */
			struct arm_call_options follow = opts;
			follow.flags |= ARM_READ;
			st->ph.pending++;
			arm_submit(o->arm, "GET", early, NULL, &follow, on_trigger, it);
			continue;
		}
		trigger_path(&path, it->subscription);
		if (o->ledger && !o->dry_run &&
		    !orch_ledger_check(o, ledger_write_intent(o->ledger, o->run.id, "POST", path.buf,
							      "", &it->write_id),
				       "the intent of a scan trigger")) {
			strbuf_release(&path);
			break; /* not recorded, not sent; the pump returns ORCH_LEDGER */
		}
		st->ph.pending++;
		arm_submit(o->arm, "POST", path.buf, NULL, &opts, on_trigger, it);
		strbuf_release(&path);
	}
	ledger_scans_free(scans, nr_scans);
	*out = st;
	return ORCH_OK;
}

void orch_scan_on_scanned(struct orch_scan_run *st,
			  void (*fn)(struct orch *o, const char *subscription, void *data),
			  void *data)
{
	st->on_scanned = fn;
	st->on_scanned_data = data;
}

enum orch_result orch_scan_end(struct orch_scan_run *st)
{
	struct orch *o = st->o;
	enum orch_result ret;

	ret = orch_pump(o, &st->ph.pending, o->deadline_ms);
	if (!ret) {
		char took[32];
		snprintf(took, sizeof(took), "%.1fs", (double)(orch_now_ms() - st->start) / 1000.0);
		msg_note("scan: %ld subscriptions %s, %ld failed%s (%s)", st->done,
			 st->wait ? "evaluated" : "triggered", st->failed,
			 st->skipped ? ", the rest already evaluated in this run" : "", took);
		if (st->failed)
			ret = ORCH_FAILED;
	}
	orch_phase_leave(&st->ph);
	return ret;
}

enum orch_result orch_scan(struct orch *o, int wait)
{
	struct orch_scan_run *run;
	enum orch_result ret = orch_scan_begin(o, wait, &run);
	return ret ? ret : orch_scan_end(run);
}
