#!/bin/sh
# fix stopped by SIGTERM (exit 4), resumed and killed with SIGKILL in the middle of a batch
# (armsim answers each request after 150 ms, so PATCHes are in flight), then run again: each
# rerun continues the same run, reads the apps whose PATCH may have gone out, and nothing is
# patched twice (armsim's request log); in the end every app is compliant in armsim's world.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
. "$TOP/tests/e2e/fix-helpers.sh"

orch_world "mgs=1,subs=2,sites=8,noncompliant=0.9,slots=0.3,locked=0,exposed=0.5,prod=0.5,seed=8"
start_armsim --world "$WORK/world.json" --log "$WORK/requests.log" --latency 150
orch_ini "management_group = mg-1"
world_apps world.json >apps.txt
open=$(awk '$4 == 1' apps.txt | wc -l)
[ "$open" -gt 8 ] || fail "the world should have more than two batches of open apps"

# SIGTERM first: exit 4 within a few seconds, the run left interrupted
"$POLICYCTL" -c policyctl.ini fix --batch 4 >fix1.out 2>&1 &
fix_pid=$!
PIDS="$PIDS $fix_pid"
patches() { grep -c ' PATCH ' "$WORK/requests.log" || true; }
more_patches() { [ "$(patches)" -gt "$1" ]; }
poll_until 60 more_patches 0
kill -TERM "$fix_pid"
set +e; wait "$fix_pid"; rc=$?; set -e
assert_eq 4 "$rc" "exit code of fix after SIGTERM"

# then SIGKILL of the resumed run, once it has patched some more
"$POLICYCTL" -c policyctl.ini fix --batch 4 >fix2.out 2>&1 &
fix_pid=$!
PIDS="$PIDS $fix_pid"
before=$(patches)
poll_until 60 more_patches "$before"
kill -9 "$fix_pid"
wait "$fix_pid" 2>/dev/null || true
grep -q "continuing fix run" fix2.out || fail "the second fix did not continue the run: $(cat fix2.out)"
first=$(patches)
[ "$first" -lt "$open" ] || fail "the fix finished before it was killed ($first PATCHes)"

expect_exit 0 "$POLICYCTL" -c policyctl.ini fix --batch 4
assert_contains "$WORK/err" "continuing fix run"
awk '$2 == "PATCH" {print $3}' requests.log | sort | uniq -d >twice.txt
[ ! -s twice.txt ] || fail "patched twice: $(cat twice.txt)"
assert_eq "$open" "$(awk '$2 == "PATCH" && $4 == 200' requests.log | wc -l | tr -d ' ')" "apps patched in all"
world_json >after.json
assert_eq 0 "$(world_apps after.json | awk '$4 == 1' | wc -l | tr -d ' ')" "apps still open"

# the ledger has the run: report shows what fix did per tier
expect_exit 0 "$POLICYCTL" -c policyctl.ini report --format json
jq -e --argjson n "$open" '[.fix.tiers[].fixed] | add == $n' "$WORK/out" >/dev/null ||
	fail "report's fix counts: $(cat "$WORK/out")"
