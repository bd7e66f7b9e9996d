#!/bin/sh
# A new assignment identity that takes 20 simulated seconds to replicate: PrincipalNotFound
# is retried and absorbed. An identity that never replicates: apply gives up at
# principal_timeout with a message saying the principal was never seen (exit 1).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=2,sites=2,locked=0,seed=3" \
	'.knobs.principalReplicationDelayMs = 20000 | .knobs.principalTypeSkipsReplication = false'
start_armsim --world "$WORK/world.json" --time-scale 10
orch_ini "management_group = mg-1"
expect_exit 0 "$POLICYCTL" -v -c policyctl.ini apply
# every 400 armsim gave a role assignment PUT was a PrincipalNotFound that apply retried (any
# other 400 fails the run), and there was at least one
retried=$(grep -c "principal not found yet for '.*/providers/Microsoft.Authorization/roleAssignments/.*': retrying in [0-9]* ms" "$WORK/err" || true)
refused=$(stats_json | jq '.operations.RoleAssignments_Create["400"] // 0')
[ "$retried" -gt 0 ] || fail "apply never retried PrincipalNotFound"
assert_eq "$refused" "$retried" "role assignment 400s answered by a PrincipalNotFound retry"
created=$(stats_json | jq '.operations.RoleAssignments_Create["201"] // 0')
[ "$created" -gt 0 ] || fail "no role assignment was created"
# the ledger holds each refused attempt (400 PrincipalNotFound) and, for the same role
# assignment, the one that succeeded
q() { sqlite3 policyctl.ledger "$1"; }
assert_eq "$refused" "$(q "select count(*) from writes where status = 400 and code = 'PrincipalNotFound'
	and resource_id like '%/roleAssignments/%'")" "PrincipalNotFound attempts in the ledger"
assert_eq 0 "$(q "select count(*) from writes w where code = 'PrincipalNotFound' and not exists
	(select 1 from writes v where v.resource_id = w.resource_id and v.outcome = 'ok' and v.status = 201)")" \
	"role assignments refused and never created"
assert_eq 0 "$(q "select count(*) from writes where outcome = 'failed' and code is not 'PrincipalNotFound'")" \
	"other failed writes"
stop_armsim

orch_world "mgs=1,subs=2,sites=2,locked=0,seed=3" \
	'.knobs.principalReplicationDelayMs = 100000000000 | .knobs.principalTypeSkipsReplication = false'
start_armsim --world "$WORK/world.json" --time-scale 1
rm -f "$WORK/policyctl.ledger"*
orch_ini "management_group = mg-1" "" "principal_timeout = 2s"
expect_exit 1 "$POLICYCTL" -c policyctl.ini apply
assert_contains "$WORK/err" "was still not found after 2s of retries"
assert_contains "$WORK/err" "it was never seen"
assert_eq "PrincipalNotFound" "$(sqlite3 policyctl.ledger "select distinct code from failures")" \
	"the recorded failure's code"
