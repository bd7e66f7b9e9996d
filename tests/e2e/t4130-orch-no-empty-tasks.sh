#!/bin/sh
# No empty remediation tasks: after contain's scan, policyctl reads each scope's policy-state
# summary and creates tasks only for (scope, member) pairs with something to fix. Two
# subscriptions with web apps only (no function apps, no slots); the first has every site
# compliant. Of the 8 pairs (2 scopes x 4 DeployIfNotExists members) only the second
# subscription's web-app member has work: 1 task, 7 pairs skipped (in the ledger, the report
# and the JSON report), and every site ends compliant. Then, with
# resource_discovery = ReEvaluateCompliance and no scan (apply, remediate), every pair gets
# its task although nothing is left to fix: a re-evaluating task finds its own work.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"

orch_world "mgs=1,subs=2,sites=3,noncompliant=1,slots=0,functions=0,locked=0,seed=31" \
	'.subscriptions[0].resourceGroups[].sites[].properties |=
		(.clientCertEnabled = true | .clientCertMode = "Required")'
start_armsim --world "$WORK/world.json" --time-scale 500
first=$(jq -r '.subscriptions[0].subscriptionId' "$WORK/world.json")
second=$(jq -r '.subscriptions[1].subscriptionId' "$WORK/world.json")
[ "$(noncompliant_unlocked ".subscriptionId == \"$second\"")" -gt 0 ] ||
	fail "the second subscription has nothing to fix"
orch_ini "subscriptions = $first, $second"

expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
assert_contains "$WORK/err" "1 of 8 (scope, member) pairs get a task; 7 skipped"
assert_eq 1 "$(sqlite3 policyctl.ledger 'select count(*) from tasks')" "tasks created"
assert_eq "/subscriptions/$second" "$(sqlite3 policyctl.ledger 'select scope from tasks')" \
	"the task's scope"
assert_eq 7 "$(sqlite3 policyctl.ledger "select value from notes where key = 'pairs_skipped'")" \
	"pairs skipped in the ledger"
assert_contains "$WORK/out" "(scope, member) pairs without a task: 7 (no non-compliant resource"
assert_eq 0 "$(noncompliant_unlocked)" "non-compliant sites after contain"
expect_exit 0 "$POLICYCTL" -c policyctl.ini --output json report
assert_eq 7 "$(jq '.totals.pairs_skipped' "$WORK/out")" "pairs_skipped in the JSON report"

# ReEvaluateCompliance without a scan: all 8 pairs, though nothing is non-compliant now
rm -f policyctl.ledger*
orch_ini "subscriptions = $first, $second" "poll_interval = 200ms
resource_discovery = ReEvaluateCompliance"
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
expect_exit 0 "$POLICYCTL" -c policyctl.ini remediate
assert_contains "$WORK/err" "8 of 8 (scope, member) pairs get a task; 0 skipped"
assert_eq 8 "$(sqlite3 policyctl.ledger 'select count(*) from tasks')" "tasks with ReEvaluateCompliance"
assert_eq 8 "$(sqlite3 policyctl.ledger "select count(*) from tasks
	where discovery = 'ReEvaluateCompliance'")" "tasks that re-evaluate"
