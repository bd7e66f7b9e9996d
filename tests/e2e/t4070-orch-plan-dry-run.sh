#!/bin/sh
# plan on an empty tenant shows every resource to create and writes nothing; apply --dry-run
# prints its writes and sends none (armsim's write count stays 0) and records no run; after
# apply, plan shows everything unchanged; a changed display name shows as an update with the
# differing field; remediate --dry-run prints the task PUTs.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=2,sites=2,locked=0,seed=4"
start_armsim --world "$WORK/world.json" --time-scale 500
orch_ini "management_group = mg-1"

expect_exit 0 "$POLICYCTL" -c policyctl.ini plan
assert_contains "$WORK/out" "create    /providers/Microsoft.Management/managementGroups/mg-1/providers/Microsoft.Authorization/policySetDefinitions/appservice-client-cert"
assert_contains "$WORK/err" "plan: 7 to create, 0 to update, 0 unchanged, 0 failed"
assert_eq 0 "$(writes_sent)" "writes after plan"

expect_exit 0 "$POLICYCTL" -c policyctl.ini apply --dry-run
assert_contains "$WORK/out" "dry-run: PUT"
assert_eq 0 "$(writes_sent)" "writes after apply --dry-run"
[ ! -e policyctl.ledger ] || [ "$(sqlite3 policyctl.ledger 'select count(*) from runs')" = 0 ] ||
	fail "a dry run must not record a run"

expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
expect_exit 0 "$POLICYCTL" -c policyctl.ini plan
assert_contains "$WORK/err" "plan: 0 to create, 0 to update, 8 unchanged, 0 failed"

sed -i 's/^\[initiative\]$/[initiative]\ndisplay_name = Client certificates, please/' policyctl.ini
expect_exit 0 "$POLICYCTL" -c policyctl.ini plan
assert_contains "$WORK/out" "update    /providers/Microsoft.Management/managementGroups/mg-1/providers/Microsoft.Authorization/policySetDefinitions/appservice-client-cert"
assert_contains "$WORK/out" "differs: properties.displayName"

before=$(writes_sent)
expect_exit 0 "$POLICYCTL" -c policyctl.ini remediate --dry-run
assert_contains "$WORK/out" "remediations/policyctl-"
assert_eq "$before" "$(writes_sent)" "writes after remediate --dry-run"
