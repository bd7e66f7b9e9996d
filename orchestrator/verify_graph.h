/*
 * verify_graph — contain's second opinion: the control's own check through Resource Graph
 * (orchestrator/inventory.h) beside the policy scan of verify.c.
 *
 * Policy's evaluation and the asset inventory can disagree (an app outside the assignment's
 * scope or kinds, a stale evaluation, Resource Graph's lag): the report shows both. Each app the
 * inventory finds open is a failure of kind "inventory" in the ledger, and the counts go in
 * the run's notes (inventory_apps, inventory_open), which the report reads.
 */
#ifndef ORCHESTRATOR_VERIFY_GRAPH_H
#define ORCHESTRATOR_VERIFY_GRAPH_H
#include "orchestrator/orch.h"

/* Runs the inventory for o's scope; ORCH_OK when nothing is open, else ORCH_FAILED. */
enum orch_result orch_verify_graph(struct orch *o);
#endif
