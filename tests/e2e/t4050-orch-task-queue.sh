#!/bin/sh
# More tasks than max_concurrent_tasks: the rest queue, and armsim's tenant limit (set to the
# same number) never refuses a create.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=4,sites=3,noncompliant=0.9,locked=0,seed=9" \
	'.knobs.maxConcurrentRemediations = 3'
start_armsim --world "$WORK/world.json" --time-scale 200
subs=$(jq -r '[.subscriptions[].subscriptionId] | join(", ")' "$WORK/world.json")
orch_ini "subscriptions = $subs" "poll_interval = 200ms
max_concurrent_tasks = 3"
expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
# one task per (subscription, member) pair with work, at most 3 active: the rest queued
# (some slots free up while the first are created)
pairs=$(pairs_with_work)
[ "$pairs" -gt 3 ] || fail "only $pairs pairs with work: nothing would queue"
line=$(grep "^policyctl: remediate: $pairs tasks, " "$WORK/err") || fail "no remediate summary line for $pairs tasks"
now=$(echo "$line" | sed -n 's/.* \([0-9]*\) created now, \([0-9]*\) queued for a free slot (at most 3 active)$/\1/p')
queued=$(echo "$line" | sed -n 's/.* \([0-9]*\) created now, \([0-9]*\) queued for a free slot (at most 3 active)$/\2/p')
[ -n "$now" ] && [ -n "$queued" ] || fail "remediate summary: '$line'"
assert_eq "$pairs" $((now + queued)) "tasks created now plus queued"
[ "$queued" -gt 0 ] || fail "no task was queued with $pairs tasks and 3 slots: '$line'"
assert_eq "$pairs" "$(sqlite3 policyctl.ledger "select count(*) from tasks where state = 'Succeeded'")" \
	"tasks Succeeded in the ledger"
refused=$(stats_json | jq '[.operations | to_entries[] | select(.key | test("Remediations_CreateOrUpdate"))
	| .value | to_entries[] | select(.key | test("^[45]")) | .value] | add // 0')
assert_eq 0 "$refused" "remediation creates refused by armsim"
assert_eq 0 "$(noncompliant_unlocked)" "non-compliant sites"
