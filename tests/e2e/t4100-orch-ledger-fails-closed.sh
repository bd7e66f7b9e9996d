#!/bin/sh
# The ledger fails closed: a ledger that starts refusing writes mid-run (a trigger makes every
# INSERT into `writes` fail the way a full disk does; root ignores file modes, a trigger does
# not) stops contain with exit 5, and every write armsim received has its intent in the
# ledger: the task whose intent could not be recorded was never sent.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"

orch_world "mgs=1,subs=2,sites=2,noncompliant=1,locked=0,seed=11"
start_armsim --world "$WORK/world.json" --time-scale 300 --log "$WORK/armsim.log"
subs=$(jq -r '[.subscriptions[].subscriptionId] | join(", ")' "$WORK/world.json")
orch_ini "subscriptions = $subs" "poll_interval = 200ms
max_concurrent_tasks = 1"
"$POLICYCTL" -c policyctl.ini contain >"$WORK/out" 2>"$WORK/err" &
pid=$!
PIDS="$PIDS $pid"
# once the first task is created, the ledger stops accepting intents
poll_until 60 sh -c "sqlite3 policyctl.ledger \"select count(*) from writes
	where resource_id like '%/remediations/%' and outcome = 'ok'\" | grep -qv '^0$'"
sqlite3 -cmd '.timeout 5000' policyctl.ledger "CREATE TRIGGER full BEFORE INSERT ON writes
	BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;"
set +e; wait "$pid"; rc=$?; set -e
assert_eq 5 "$rc" "exit code of contain when the ledger refuses writes"
assert_contains "$WORK/err" "cannot record the intent of a task's create"
assert_contains "$WORK/err" "nothing is sent that the ledger has not recorded"
# tasks were left to create: the stop happened before them
queued=$(sqlite3 policyctl.ledger "select count(*) from tasks where state in ('queued', 'planned')")
[ "$queued" -gt 0 ] || fail "no task was left queued: the refusal came too late to test"
# every ARM write armsim saw (reads by POST aside) has an intent in the ledger
sqlite3 policyctl.ledger "select lower(method || ' ' || resource_id) from writes" | sort -u \
	>"$WORK/recorded"
awk '$2 != "GET" && $3 !~ /^\/_armsim/ && $3 !~ /oauth2/ && $3 !~ /listDeployments|queryResults|summarize/ {
	sub(/\?.*/, "", $3); print tolower($2 " " $3) }' "$WORK/armsim.log" | sort -u >"$WORK/sent"
[ -s "$WORK/sent" ] || fail "armsim logged no write"
comm -23 "$WORK/sent" "$WORK/recorded" >"$WORK/unrecorded"
[ ! -s "$WORK/unrecorded" ] || { cat "$WORK/unrecorded" >&2; fail "writes sent without an intent"; }
# status says what the ledger knows, and the run is resumable
expect_exit 0 "$POLICYCTL" -c policyctl.ini status
assert_contains "$WORK/out" "state interrupted"
# a run the ledger cannot read back fails status and report (exit 5), never "exit 0"
sqlite3 -cmd '.timeout 5000' policyctl.ledger "update runs set phase = 'warp'"
expect_exit 5 "$POLICYCTL" -c policyctl.ini status
assert_contains "$WORK/err" "unknown run phase 'warp'"
expect_exit 5 "$POLICYCTL" -c policyctl.ini report
