#!/bin/sh
# Renaming the assignment after an interrupted contain: track and remediate refuse (exit 2)
# and say the way forward instead of acting on the old run; contain starts a new attempt
# from apply that creates the renamed assignment and ends with every site compliant (before,
# the resumed run failed with "assignment could not be found").
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"

orch_world "mgs=1,subs=1,sites=3,noncompliant=1,locked=0,seed=23" '.knobs.scanDurationMs = 600000'
start_armsim --world "$WORK/world.json" --time-scale 300
orch_ini "management_group = mg-1"
contain_interrupted_in_scan
old_uid=$(sqlite3 policyctl.ledger "select uid from runs")

printf '\n[assignment]\nname = appsvc-cc-renamed\n' >>policyctl.ini
expect_exit 2 "$POLICYCTL" -c policyctl.ini track
assert_contains "$WORK/err" "renders differently from run $old_uid (changed: assignment)"
assert_contains "$WORK/err" "run 'policyctl contain' to start a new attempt"
expect_exit 2 "$POLICYCTL" -c policyctl.ini remediate
assert_contains "$WORK/err" "'remediate' would act on what the config no longer asks for"
assert_eq 0 "$(sqlite3 policyctl.ledger 'select count(*) from tasks')" "tasks created by the refused commands"

expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
assert_contains "$WORK/err" "renders differently from run $old_uid (changed: assignment)"
assert_eq 0 "$(noncompliant_unlocked)" "non-compliant sites"
world_json | jq -e '[.. | objects | select(.id? // "" | test("policyAssignments/appsvc-cc-renamed$"; "i"))]
	| length > 0' >/dev/null || fail "the renamed assignment was not created"
