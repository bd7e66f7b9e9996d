#!/bin/sh
# Early verify scans: with every assignment at a subscription, a subscription's verify scan
# starts as soon as its own remediation tasks are all done, while the others' still run, and
# verify follows that scan instead of triggering another. Three subscriptions, one task slot
# so that tasks end one after another; the first subscription has nothing to fix (no task:
# its scan starts when track does). Checked in the ledger: one trigger per subscription for
# contain's scan and one for verify, no more; each verify trigger recorded after the last of
# its subscription's tasks ended, and one of them before another subscription's last task
# ended (the overlap); every subscription verified, every site compliant.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"

orch_world "mgs=1,subs=3,sites=2,noncompliant=1,slots=0,functions=0,locked=0,seed=41" \
	'.subscriptions[0].resourceGroups[].sites[].properties |=
		(.clientCertEnabled = true | .clientCertMode = "Required")'
start_armsim --world "$WORK/world.json" --time-scale 500
subs=$(jq -r '[.subscriptions[].subscriptionId] | join(", ")' "$WORK/world.json")
orch_ini "subscriptions = $subs" "poll_interval = 200ms
max_concurrent_tasks = 1"

expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
assert_eq 0 "$(noncompliant_unlocked)" "non-compliant sites after contain"
trigger='/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation'
assert_eq 6 "$(sqlite3 policyctl.ledger "select count(*) from writes where method = 'POST'
	and resource_id like '%$trigger'")" "scan triggers (contain's scan and verify's, one each)"
assert_eq 3 "$(sqlite3 policyctl.ledger "select count(*) from scans where state = 'Succeeded'")" \
	"subscriptions verified"
overlap=0
for s in $(jq -r '.subscriptions[].subscriptionId' "$WORK/world.json"); do
	early=$(sqlite3 policyctl.ledger "select max(intent_ms) from writes
		where resource_id = '/subscriptions/$s$trigger'")
	last_task=$(sqlite3 policyctl.ledger "select coalesce(max(updated_ms), 0) from tasks
		where scope = '/subscriptions/$s'")
	[ "$early" -ge "$last_task" ] ||
		fail "verify scan of $s triggered at $early, before its last task ended at $last_task"
	later=$(sqlite3 policyctl.ledger "select count(*) from tasks
		where scope != '/subscriptions/$s' and updated_ms > $early")
	[ "$later" -gt 0 ] && overlap=1
done
[ "$overlap" = 1 ] || fail "no verify scan started while another subscription's tasks ran"
