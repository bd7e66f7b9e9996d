#!/bin/sh
# track past its --timeout exits 3 and leaves the run resumable; cancel asks armsim to cancel
# every active task, and track then follows them to Canceled (exit 1: nothing was remediated).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=2,sites=3,noncompliant=1,functions=0,slots=0,locked=0,seed=6"
# real time: a task stays Accepted (then Evaluating) for many seconds
start_armsim --world "$WORK/world.json" $BUILTINS --time-scale 1
subs=$(jq -r '[.subscriptions[].subscriptionId] | join(", ")' "$WORK/world.json")
orch_ini "subscriptions = $subs"
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
# no scan in this run: subscription tasks re-evaluate (ReEvaluateCompliance)
expect_exit 0 "$POLICYCTL" -c policyctl.ini remediate
assert_contains "$WORK/err" "8 tasks"
assert_eq 8 "$(sqlite3 policyctl.ledger "select count(*) from tasks where discovery = 'ReEvaluateCompliance'")" \
	"tasks re-evaluating"

expect_exit 3 "$POLICYCTL" -c policyctl.ini track --timeout 1s
assert_contains "$WORK/err" "deadline passed"
expect_exit 0 "$POLICYCTL" -c policyctl.ini status
assert_contains "$WORK/out" "state timeout"

expect_exit 0 "$POLICYCTL" -c policyctl.ini cancel
assert_contains "$WORK/err" "cancel:"
expect_exit 1 "$POLICYCTL" -c policyctl.ini track --timeout 60s
active=$(sqlite3 policyctl.ledger "select count(*) from tasks where state not in ('Canceled', 'Succeeded')")
assert_eq 0 "$active" "tasks neither canceled nor done"
[ "$(sqlite3 policyctl.ledger "select count(*) from tasks where state = 'Canceled'")" -gt 0 ] ||
	fail "no task was canceled"
