#!/bin/sh
# A new assignment identity that takes 20 simulated seconds to replicate: PrincipalNotFound
# is retried and absorbed. An identity that never replicates: apply gives up at
# principal_timeout with a message saying the principal was never seen (exit 1).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=2,sites=2,locked=0,seed=3" \
	'.knobs.principalReplicationDelayMs = 20000 | .knobs.principalTypeSkipsReplication = false'
start_armsim --world "$WORK/world.json" $BUILTINS --time-scale 10
orch_ini "management_group = mg-1"
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
stats_json | jq -e '[.operations[] | to_entries[] | select(.key == "400")] | length > 0' >/dev/null ||
	fail "armsim should have answered PrincipalNotFound at least once"
stats_json | jq -e '[.operations | to_entries[] | select(.key | test("RoleAssignments_Create"))
	| .value["201"] // 0] | add > 0' >/dev/null || fail "the role assignment should exist"
stop_armsim

orch_world "mgs=1,subs=2,sites=2,locked=0,seed=3" \
	'.knobs.principalReplicationDelayMs = 100000000000 | .knobs.principalTypeSkipsReplication = false'
start_armsim --world "$WORK/world.json" $BUILTINS --time-scale 1
rm -f "$WORK/policyctl.ledger"*
orch_ini "management_group = mg-1" "" "principal_timeout = 2s"
expect_exit 1 "$POLICYCTL" -c policyctl.ini apply
assert_contains "$WORK/err" "was still not found after 2s of retries"
assert_contains "$WORK/err" "it was never seen"
