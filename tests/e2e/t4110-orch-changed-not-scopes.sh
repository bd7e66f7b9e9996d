#!/bin/sh
# A resume never acts on what the user no longer wants: contain is interrupted after apply,
# the user adds a not_scopes entry, contain is rerun. It says what changed, closes the old run
# and starts a new attempt from apply: the excluded subscription's sites are left alone
# (checked in armsim's world), the other's are remediated.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"

orch_world "mgs=1,subs=2,sites=3,noncompliant=1,locked=0,seed=21" '.knobs.scanDurationMs = 600000'
start_armsim --world "$WORK/world.json" --time-scale 300
kept=$(jq -r '.subscriptions[0].subscriptionId' "$WORK/world.json")
excluded=$(jq -r '.subscriptions[1].subscriptionId' "$WORK/world.json")
orch_ini "management_group = mg-1"
contain_interrupted_in_scan
before=$(noncompliant_unlocked ".subscriptionId == \"$excluded\"")
[ "$before" -gt 0 ] || fail "the excluded subscription has no non-compliant site to protect"
old_uid=$(sqlite3 policyctl.ledger "select uid from runs")

printf '\n[assignment]\nnot_scopes = /subscriptions/%s\n' "$excluded" >>policyctl.ini
expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
assert_contains "$WORK/err" "renders differently from run $old_uid (changed: not_scopes)"
assert_contains "$WORK/err" "a new attempt starts from apply"
assert_eq "$before" "$(noncompliant_unlocked ".subscriptionId == \"$excluded\"")" \
	"non-compliant sites of the excluded subscription"
assert_eq 0 "$(noncompliant_unlocked ".subscriptionId == \"$kept\"")" \
	"non-compliant sites of the subscription in scope"
assert_eq "failed" "$(sqlite3 policyctl.ledger "select state from runs where uid = '$old_uid'")" \
	"state of the superseded run"
assert_eq 2 "$(sqlite3 policyctl.ledger 'select count(*) from runs')" "runs in the ledger"
