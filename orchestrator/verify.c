/*
 * verify — the proof after remediation: a fresh compliance scan of every subscription, then
 * the resources still non-compliant with a DeployIfNotExists member of our assignments.
 *
 * Each one is recorded as a "verify" failure (the report's "non-compliant" column); their
 * absence, after a scan that started when remediation had finished, is what lets `contain`
 * exit 0. The audit-only members are left out: they report, they do not remediate.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "orchestrator/phase.h"
#include "orchestrator/verify_graph.h"
#include "lib/idmap.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct verify_state {
	struct orch_phase ph;
	struct orch *o;
	long noncompliant, failed;
	char *queried;           /* [assignment scope]: its non-compliant query was sent */
	struct idmap scope_index; /* "/subscriptions/<id>" assignment scope -> its index + 1 */
};

static void free_state(struct orch_phase *ph)
{
	struct verify_state *st = (struct verify_state *)ph;
	free(st->queried);
	idmap_clear(&st->scope_index);
	free(st);
}

static int is_remediating(const struct orch *o, const char *ref)
{
	size_t i;
	if (!o->set || !o->set->reference_ids.nr)
		return 1;
	for (i = 0; ref && i < o->set->reference_ids.nr; i++)
		if (!strcasecmp(o->set->reference_ids.items[i], ref))
			return 1;
	return 0;
}

static void on_results(struct arm_client *client, struct arm_response *resp, void *data)
{
	struct verify_state *st = data;
	struct orch *o;
	json_t *item;
	size_t i;
	(void)client;
	if (!orch_phase_arrive(&st->ph))
		return;
	o = st->o;
	if (resp->result != ARM_OK) {
		orch_record_failure(o, LEDGER_FAILURE_VERIFY, resp->error.url ? resp->error.url : o->scope_key,
				    &resp->error);
		st->failed++;
		return;
	}
	json_array_foreach(resp->body, i, item) {
		const char *rid = json_string_value(json_object_get(item, "resourceId"));
		const char *ref = json_string_value(json_object_get(item, "policyDefinitionReferenceId"));
		struct strbuf msg = STRBUF_INIT, line = STRBUF_INIT;
		if (!rid || !is_remediating(o, ref))
			continue;
		st->noncompliant++;
		strbuf_addf(&msg, "still non-compliant with '%s' after remediation", ref ? ref : "?");
		strbuf_addstr(&line, "  non-compliant ");
		msg_escape_into(&line, rid);
		strbuf_addstr(&line, " (");
		msg_escape_into(&line, ref ? ref : "?");
		msg_print(o->out, "%s)\n", line.buf);
		strbuf_release(&line);
		if (o->ledger)
			orch_ledger_check(o, ledger_failure_add(o->ledger, o->run.id, LEDGER_FAILURE_VERIFY,
								rid, "NonCompliant", msg.buf,
								resp->request_id,
								arm_client_correlation_id(o->arm)),
					  "a resource still non-compliant");
		strbuf_release(&msg);
	}
}

/* Sends assignment scope a's query of the resources still non-compliant, once. */
static void query_noncompliant(struct verify_state *st, size_t a)
{
	if (st->queried[a])
		return;
	st->queried[a] = 1;
	orch_query_states(st->o, &st->ph, st->o->assignment_scopes->items[a],
			  st->o->assignment_ids->items[a], "NonCompliant", on_results);
}

/* A subscription's fresh scan ended: an assignment at that subscription is queried now, while
 * the other scans run (one at a management group waits for them all). */
static void on_scanned(struct orch *o, const char *subscription, void *data)
{
	struct verify_state *st = data;
	struct strbuf scope = STRBUF_INIT;
	size_t index;
	(void)o;
	strbuf_addf(&scope, "/subscriptions/%s", subscription);
	index = (size_t)(uintptr_t)idmap_get(&st->scope_index, scope.buf);
	if (index)
		query_noncompliant(st, index - 1);
	strbuf_release(&scope);
}

static struct verify_state *verify_state_new(struct orch *o)
{
	struct verify_state *st = xcalloc(1, sizeof(*st));
	size_t a;
	st->ph.free_fn = free_state;
	st->o = o;
	st->queried = xcalloc(o->assignment_ids->nr + 1, 1);
	for (a = 0; a < o->assignment_scopes->nr; a++)
		if (!strncasecmp(o->assignment_scopes->items[a], "/subscriptions/", 15))
			idmap_put(&st->scope_index, o->assignment_scopes->items[a],
				  (void *)(uintptr_t)(a + 1));
	return st;
}

enum orch_result orch_verify(struct orch *o)
{
	struct verify_state *st;
	struct orch_scan_run *scan;
	enum orch_result ret, graph = ORCH_OK, ex;
	struct orch_exemptions_read *exempt = NULL;
	size_t a;

	/* this verification replaces any earlier one of the run */
	if (o->ledger &&
	    (!orch_ledger_check(o, ledger_scan_clear(o->ledger, o->run.id), "a fresh set of scans") ||
	     !orch_ledger_check(o, ledger_failure_clear(o->ledger, o->run.id, LEDGER_FAILURE_VERIFY),
				"a fresh verification")))
		return ORCH_LEDGER;
	ret = orch_scan_begin(o, 1, &scan);
	if (ret)
		return ret;
	st = verify_state_new(o);
	orch_scan_on_scanned(scan, on_scanned, st);
	/* The control's own check beside Policy's (the report shows both), while the scans run:
	 * Resource Graph reads the sites as they are, not the policy states, and remediation is
	 * over. Its blocking reads turn the client's loop, which moves the scans on too. */
	if (!o->dry_run)
		graph = orch_verify_graph(o);
	/* the exemptions too: their lists do not change with a scan (their states do) */
	ex = orch_exemptions_record_begin(o, &exempt);
	ret = orch_scan_end(scan);
	if (ret) {
		orch_exemptions_record_abandon(exempt);
		orch_phase_leave(&st->ph);
		return graph == ORCH_LEDGER ? ORCH_LEDGER : ret;
	}
	for (a = 0; a < o->assignment_ids->nr; a++)
		query_noncompliant(st, a); /* those not queried as their scan ended */
	/* the exempt resources after the fresh scan, shown apart from the non-compliant ones:
	 * read while the queries above are in flight (its pump turns theirs too) */
	if (!ex)
		ex = orch_exemptions_record_end(o, exempt);
	ret = orch_pump(o, &st->ph.pending, o->deadline_ms);
	if (!ret && o->ledger_failed)
		ret = ORCH_LEDGER; /* a non-compliant resource could not be recorded */
	if (!ret) {
		msg_note("verify: %ld resources still non-compliant", st->noncompliant);
		if (o->ledger && !st->failed &&
		    !orch_ledger_check(o, ledger_note_set(o->ledger, o->run.id, "verified", "yes"),
				       "that the run is verified"))
			ret = ORCH_LEDGER;
		else if (st->noncompliant || st->failed)
			ret = ORCH_FAILED;
	}
	if (ret == ORCH_OK || ret == ORCH_FAILED) {
		if (ex && ret == ORCH_OK)
			ret = ex;
		else if (ex == ORCH_LEDGER)
			ret = ORCH_LEDGER;
	}
	orch_phase_leave(&st->ph);
	if ((!ret || ret == ORCH_FAILED) && (graph == ORCH_LEDGER || (graph && !ret)))
		ret = graph;
	return ret;
}
