#!/bin/sh
# track past its --timeout exits 3 and leaves the run resumable; cancel asks armsim to cancel
# every active task, and track then follows them to Canceled (exit 1: nothing was remediated).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=2,sites=3,noncompliant=1,functions=0,slots=0,locked=0,seed=6"
# real time: a task stays Accepted (then Evaluating) for many seconds
start_armsim --world "$WORK/world.json" --time-scale 1
subs=$(jq -r '[.subscriptions[].subscriptionId] | join(", ")' "$WORK/world.json")
orch_ini "subscriptions = $subs"
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
# no scan in this run: subscription tasks re-evaluate (ReEvaluateCompliance)
expect_exit 0 "$POLICYCTL" -c policyctl.ini remediate
assert_contains "$WORK/err" "policyctl: remediate: 8 tasks, 8 created now, 0 queued for a free slot (at most 50 active)"
assert_eq 8 "$(sqlite3 policyctl.ledger "select count(*) from tasks where discovery = 'ReEvaluateCompliance'")" \
	"tasks re-evaluating"

expect_exit 3 "$POLICYCTL" -c policyctl.ini track --timeout 1s
assert_contains "$WORK/err" "policyctl: error: track: deadline passed with 8 of 8 tasks still running; 'policyctl track' continues"
# resumable: the run is recorded as timed out, its 8 tasks still in flight (a re-evaluating
# task spends minutes in Accepted, then Evaluating, at this time scale)
assert_eq timeout "$(sqlite3 policyctl.ledger "select state from runs")" "run state after the deadline"
assert_eq 8 "$(sqlite3 policyctl.ledger "select count(*) from tasks where state in ('Accepted', 'Evaluating')")" \
	"tasks still in flight after the deadline"
expect_exit 0 "$POLICYCTL" -c policyctl.ini status
assert_contains "$WORK/out" "state timeout, phase "
assert_contains "$WORK/out" "tasks: 8, "

expect_exit 0 "$POLICYCTL" -c policyctl.ini cancel
assert_contains "$WORK/err" "policyctl: cancel: 8 tasks asked to cancel; 'policyctl track' follows them to Canceled"
assert_eq 8 "$(stats_json | jq '.operations.Remediations_Cancel["200"] // 0')" "cancel requests armsim served"
expect_exit 1 "$POLICYCTL" -c policyctl.ini track --timeout 60s
assert_contains "$WORK/out" "8 finished (8 not succeeded), deployments 0 ok, 0 failed, 0 left"
# every task, not just some, ended Canceled in the ledger and in armsim
assert_eq 8 "$(sqlite3 policyctl.ledger "select count(*) from tasks where state = 'Canceled'")" \
	"tasks Canceled in the ledger"
