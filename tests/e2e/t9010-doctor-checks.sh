#!/bin/sh
# policyctl doctor on a healthy tenant: every check passes, exit 0, nothing written (armsim's
# write counter stays 0), the same in JSON. Then a principal without the right to create role
# assignments (Contributor + Resource Policy Contributor): doctor names the missing action
# with the roles that grant it and exits 1; contain stops before its first write (0 writes)
# naming the problem, exit 2; --skip-preflight goes on regardless.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=2,sites=3,noncompliant=0.5,slots=0,locked=0,seed=3"
start_armsim --world "$WORK/world.json" --time-scale 500
orch_ini "management_group = mg-1"

expect_exit 0 "$POLICYCTL" -c policyctl.ini doctor
for check in credential clock endpoints scope permissions providers tasks names definitions ledger; do
	grep -q "^✓ $check " "$WORK/out" || { cat "$WORK/out"; fail "no passing '$check' line"; }
done
assert_contains "$WORK/out" "✓ credential   client secret: principal $(jq -r '.principals[0].objectId' "$WORK/world.json") (app $ARMSIM_DEMO_CLIENT, tenant $ARMSIM_DEMO_TENANT)"
assert_contains "$WORK/out" "✓ scope        management group 'mg-1': 2 subscriptions visible"
assert_contains "$WORK/out" "checks: 11 ok, 0 warnings, 0 failed"
expect_exit 0 "$POLICYCTL" -c policyctl.ini --output json doctor
assert_eq 0 "$(jq '.failed' "$WORK/out")" "failed checks in JSON"
assert_eq ok "$(jq -r '.checks[] | select(.check == "permissions") | .status' "$WORK/out")" "permissions in JSON"
assert_eq 0 "$(writes_sent)" "writes by doctor"
[ ! -e "$WORK/policyctl.ledger" ] || fail "doctor created the ledger"

# a principal that may write policy but not role assignments
stop_armsim
root="/providers/Microsoft.Management/managementGroups/$ARMSIM_DEMO_TENANT"
jq --arg root "$root" '.principals[0].roleAssignments = [{"role": "Contributor", "scope": $root},
	{"role": "Resource Policy Contributor", "scope": $root}]' "$WORK/world.json" >"$WORK/w2.json"
start_armsim --world "$WORK/w2.json" --time-scale 500
orch_ini "management_group = mg-1"
expect_exit 1 "$POLICYCTL" -c policyctl.ini doctor
assert_contains "$WORK/out" "✗ permissions  missing: Microsoft.Authorization/roleAssignments/write for apply (role assignments for the assignment's identity) at /providers/Microsoft.Management/managementGroups/mg-1 (granted by Owner, User Access Administrator, Role Based Access Control Administrator)"
assert_contains "$WORK/out" "fix: assign the principal one of the roles named"
assert_not_contains "$WORK/out" "policyDefinitions/write for"
assert_contains "$WORK/out" "checks: 10 ok, 0 warnings, 1 failed"

expect_exit 2 "$POLICYCTL" -c policyctl.ini contain
assert_contains "$WORK/err" "preflight: permissions: missing: Microsoft.Authorization/roleAssignments/write"
assert_contains "$WORK/err" "stopped before the first write: 1 preflight check failed (permissions)"
assert_eq 0 "$(writes_sent)" "writes by a contain that preflight stopped"
expect_exit 2 "$POLICYCTL" -c policyctl.ini apply
assert_contains "$WORK/err" "stopped before the first write"
assert_eq 0 "$(writes_sent)" "writes by an apply that preflight stopped"

# --skip-preflight: apply goes on and fails where preflight said it would
expect_exit 1 "$POLICYCTL" -c policyctl.ini apply --skip-preflight
assert_contains "$WORK/err" "AuthorizationFailed"
assert_contains "$WORK/err" "Microsoft.Authorization/roleAssignments/write"
[ "$(writes_sent)" -gt 0 ] || fail "apply --skip-preflight wrote nothing"

# subscription scope: a subscription the principal cannot see is named by the scope check
# (from the one GET /subscriptions list, not a read per subscription)
real=$(jq -r '.subscriptions[0].subscriptionId' "$WORK/w2.json")
orch_ini "subscriptions = $real, 00000000-0000-4000-8000-00000000dead"
expect_exit 1 "$POLICYCTL" -c policyctl.ini doctor
assert_contains "$WORK/out" "✗ scope        1 of 2 subscriptions cannot be read: 00000000-0000-4000-8000-00000000dead (not among the 2 subscriptions the principal can see)"
assert_eq 0 "$(stats_json | jq '[.operations.Subscriptions_Get // {} | .[]] | add // 0')" "reads of single subscriptions"
orch_ini "subscriptions = $real"
expect_exit 1 "$POLICYCTL" -c policyctl.ini doctor
assert_contains "$WORK/out" "✓ scope        1 subscriptions, each visible"
