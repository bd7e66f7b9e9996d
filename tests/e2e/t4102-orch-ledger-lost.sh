#!/bin/sh
# Losing the ledger between runs loses the record, not the tenant: the next contain begins a
# new run, rereads what apply deployed and rewrites none of it (no PUT of a definition,
# initiative, assignment or role assignment in armsim's log), and ends compliant, exit 0.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=2,sites=2,noncompliant=1,locked=0,seed=27"
start_armsim --world "$WORK/world.json" --time-scale 500 --log "$WORK/armsim.log"
orch_ini "management_group = mg-1"
expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
first=$(wc -l <"$WORK/armsim.log")
rm -f policyctl.ledger policyctl.ledger-wal policyctl.ledger-shm
expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
assert_eq 0 "$(noncompliant_unlocked)" "non-compliant sites"
rewrites=$(tail -n +"$((first + 1))" "$WORK/armsim.log" | awk '$2 == "PUT"' |
	grep -ci 'policyDefinitions\|policySetDefinitions\|policyAssignments\|roleAssignments' || true)
assert_eq 0 "$rewrites" "policy resources rewritten after the ledger was lost"
