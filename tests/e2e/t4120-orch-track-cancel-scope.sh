#!/bin/sh
# track and cancel act only on the run of this config's scope: a subscriptions config sharing
# the ledger with a finished management-group run finds no run of its own (exit 2, it says so)
# instead of tracking the other one; cancel of the finished run leaves it finished.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"

orch_world "mgs=1,subs=2,sites=2,noncompliant=1,locked=0,seed=25"
start_armsim --world "$WORK/world.json" --time-scale 500
sub=$(jq -r '.subscriptions[0].subscriptionId' "$WORK/world.json")
orch_ini "management_group = mg-1"
sed "s|^management_group = mg-1\$|subscriptions = $sub|" policyctl.ini >subs.ini
expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
uid=$(sqlite3 policyctl.ledger "select uid from runs")

for cmd in track cancel; do
	expect_exit 2 "$POLICYCTL" -c subs.ini $cmd
	assert_contains "$WORK/err" "holds no run of this config's scope (subs:$sub) to $cmd"
	assert_not_contains "$WORK/err" "$uid"
done
expect_exit 0 "$POLICYCTL" -c policyctl.ini cancel
assert_contains "$WORK/err" "run $uid of this scope has ended (succeeded); it is not reopened"
assert_eq "succeeded" "$(sqlite3 policyctl.ledger "select state from runs where uid = '$uid'")" \
	"state of the finished run after cancel"
assert_eq 1 "$(sqlite3 policyctl.ledger 'select count(*) from runs')" "runs in the ledger"
