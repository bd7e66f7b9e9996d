/*
 * verify_graph — the inventory as verify's second opinion (see verify_graph.h).
 */
#include <stdio.h>
#include <string.h>

#include "lib/arm.h"
#include "lib/msg.h"
#include "orchestrator/inventory.h"
#include "orchestrator/ledger.h"
#include "orchestrator/verify_graph.h"
#include "lib/banned.h"

enum orch_result orch_verify_graph(struct orch *o)
{
	struct inventory inv = { 0 };
	struct strbuf err = STRBUF_INIT, msg = STRBUF_INIT, n = STRBUF_INIT;
	enum orch_result ret = ORCH_OK;
	size_t i, at_risk = 0;

	if (o->ledger && !orch_ledger_check(o, ledger_failure_clear(o->ledger, o->run.id,
								   LEDGER_FAILURE_INVENTORY),
					    "the clearing of inventory failures"))
		return ORCH_LEDGER;
	if (inventory_run(o->arm, o->cfg, NULL, &inv, &err) != INVENTORY_OK) {
		msg_warning("verify: the Resource Graph inventory failed: %s", err.buf);
		ret = ORCH_FAILED;
		if (o->ledger &&
		    (!orch_ledger_check(o, ledger_failure_add(o->ledger, o->run.id,
							      LEDGER_FAILURE_INVENTORY, o->scope_key,
							      "ResourceGraphFailed", err.buf, NULL,
							      arm_client_correlation_id(o->arm)),
					"an inventory failure") ||
		     !orch_ledger_check(o, ledger_note_set(o->ledger, o->run.id, "inventory_open", NULL),
					"the inventory's count")))
			ret = ORCH_LEDGER;
		goto out;
	}
	for (i = 0; i < inv.nr; i++) {
		const struct inventory_item *it = &inv.items[i];
		/* compliant or not: Required with exclusion paths renegotiates TLS, which HTTP/2
		 * and TLS 1.3 cannot do (the remediation leaves the paths; docs/generator.md) */
		if (it->at_risk && !it->exempt && !it->excluded) {
			at_risk++;
			msg_warning("verify: at risk: %s: client certificate exclusion paths '%s' with %s: "
				    "renegotiation fails there (uploads over 100 KB break); turn %s off or "
				    "drop the exclusion paths", it->id, it->exclusion_paths,
				    strstr(it->why, "HTTP/2") ? "HTTP/2" : "minimum TLS 1.3",
				    strstr(it->why, "HTTP/2") ? "HTTP/2" : "TLS 1.3");
		}
		if (it->compliant || it->exempt || it->excluded)
			continue;
		strbuf_reset(&msg);
		strbuf_addf(&msg, "open per Resource Graph: clientCertEnabled %s, clientCertMode '%s' (%s)",
			    it->cert_enabled == 1 ? "true" : it->cert_enabled == 0 ? "false" : "unset",
			    it->cert_mode, inventory_tier_name(it->tier));
		msg_print(o->out, "  open per Resource Graph %s\n", it->id);
		if (o->ledger &&
		    !orch_ledger_check(o, ledger_failure_add(o->ledger, o->run.id,
							     LEDGER_FAILURE_INVENTORY, it->id,
							     "NonCompliant", msg.buf, NULL, NULL),
				       "an app open per Resource Graph")) {
			ret = ORCH_LEDGER;
			goto out;
		}
	}
	msg_note("verify: Resource Graph inventory: %zu apps, %zu open, %zu at risk", inv.nr,
		 inventory_open_count(&inv), at_risk);
	if (o->ledger) {
		strbuf_addf(&n, "%zu", inv.nr);
		if (!orch_ledger_check(o, ledger_note_set(o->ledger, o->run.id, "inventory_apps", n.buf),
				       "the inventory's count")) {
			ret = ORCH_LEDGER;
			goto out;
		}
		strbuf_reset(&n);
		strbuf_addf(&n, "%zu", inventory_open_count(&inv));
		if (!orch_ledger_check(o, ledger_note_set(o->ledger, o->run.id, "inventory_open", n.buf),
				       "the inventory's count")) {
			ret = ORCH_LEDGER;
			goto out;
		}
	}
	if (inventory_open_count(&inv))
		ret = ORCH_FAILED;
out:
	inventory_release(&inv);
	strbuf_release(&err);
	strbuf_release(&msg);
	strbuf_release(&n);
	return ret;
}
