#!/bin/sh
# contain killed with SIGKILL at ten points (chosen from what the ledger shows), rerun each
# time: the run completes, every unlocked site is compliant, and armsim created each
# remediation task exactly once (no duplicate across the resumed processes).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=3,sites=5,noncompliant=0.7,slots=0.5,functions=0.5,locked=0,seed=22"
start_armsim --world "$WORK/world.json" --time-scale 100 --latency 20
subs=$(jq -r '[.subscriptions[].subscriptionId] | join(", ")' "$WORK/world.json")
pairs=$(pairs_with_work)
[ "$pairs" -ge 8 ] || fail "the world has only $pairs pairs with work: too few kill points"
orch_ini "subscriptions = $subs" "poll_interval = 200ms
max_concurrent_tasks = 4"

q() { sqlite3 "$WORK/policyctl.ledger" "$1" 2>/dev/null || echo 0; }
points="
select count(*) > 0 from runs
select count(*) >= 1 from writes
select count(*) >= 6 from writes where outcome = 'ok'
select count(*) > 0 from runs where phase = 'scan'
select count(*) > 0 from scans where state = 'Succeeded'
select count(*) > 0 from tasks where state = 'planned'
select count(*) >= 2 from tasks where state not in ('queued', 'planned')
select count(*) >= 6 from tasks where state in ('Succeeded', 'Failed', 'Complete')
select count(*) > 0 from runs where phase = 'verify'
select count(*) > 0 from writes w join runs r on r.id = w.run_id where r.phase = 'verify' and w.resource_id like '%triggerEvaluation' and w.intent_ms >= r.updated_ms
"
# point_reached SQL PID — 'reached' once SQL says 1, 'ended' once PID is gone, else 'no'.
point_reached() {
	if [ "$(q "$1")" = 1 ]; then echo reached
	elif kill -0 "$2" 2>/dev/null; then echo no
	else echo ended; fi
}
n=0
while read -r point; do
	[ -n "$point" ] || continue
	n=$((n + 1))
	"$POLICYCTL" -c policyctl.ini contain >"$WORK/run$n.out" 2>&1 &
	pid=$!
	reached=$(POLL_EVERY=0.02 poll_value 60 'reached|ended' point_reached "$point" "$pid")
	assert_eq reached "$reached" "contain at point $n ($point)"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	echo "killed at point $n: $point"
done <<EOF
$points
EOF
assert_eq 10 "$n" "kill points reached"
expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
assert_eq 0 "$(noncompliant_unlocked)" "non-compliant sites after the resumed run"
assert_eq 1 "$(sqlite3 "$WORK/policyctl.ledger" "select count(*) from runs")" "runs: every rerun continued the first"
tasks=$(sqlite3 "$WORK/policyctl.ledger" "select count(*) from tasks")
assert_eq "$pairs" "$tasks" "tasks in the ledger (pairs of 3 subscriptions x 4 members with work)"
created=$(stats_json | jq '[.operations | to_entries[] | select(.key | test("Remediations_CreateOrUpdate"))
	| .value["201"] // 0] | add')
assert_eq "$pairs" "$created" "remediation tasks armsim created"
