#!/bin/sh
# SIGTERM during a long scan: contain records the run as interrupted and exits 4 promptly;
# status shows it; the next contain continues the same run (same uid).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=2,sites=2,noncompliant=1,locked=0,seed=2"
start_armsim --world "$WORK/world.json" --time-scale 1
orch_ini "management_group = mg-1"
"$POLICYCTL" -c policyctl.ini contain >"$WORK/out" 2>"$WORK/err" &
pid=$!
PIDS="$PIDS $pid"
poll_until 20 sh -c "sqlite3 '$WORK/policyctl.ledger' 'select phase from runs' | grep -q scan"
kill -TERM "$pid"
# promptly: a scan takes minutes here, so only the interrupt ends it within the deadline
wait_exit 10 "$pid"
assert_eq 4 "$EXIT" "exit code after SIGTERM"
assert_eq "policyctl: error: interrupted: the ledger has the run; rerun the command to continue" \
	"$(tail -n 1 "$WORK/err")" "last line after SIGTERM"
assert_eq "scan|interrupted" "$(sqlite3 policyctl.ledger "select phase, state from runs")" \
	"the run in the ledger after SIGTERM"
uid=$(sqlite3 policyctl.ledger "select uid from runs")
expect_exit 0 "$POLICYCTL" -c policyctl.ini status
assert_contains "$WORK/out" "state interrupted, phase scan"
# resumed: the same run continues (stop it again right away, the scan takes minutes here)
"$POLICYCTL" -c policyctl.ini contain >"$WORK/out2" 2>"$WORK/err2" &
pid=$!
PIDS="$PIDS $pid"
poll_until 20 grep -q "continuing run $uid" "$WORK/err2"
# the next line comes after policyctl handles SIGINT itself: a signal before that is lost
# (a background job of a non-interactive shell starts with SIGINT ignored)
poll_until 20 grep -q "scan: compliance evaluation of 2 subscriptions" "$WORK/err2"
kill -INT "$pid"
wait_exit 10 "$pid"
assert_eq 4 "$EXIT" "exit code after SIGINT"
assert_eq "policyctl: error: interrupted: the ledger has the run; rerun the command to continue" \
	"$(tail -n 1 "$WORK/err2")" "last line after SIGINT"
assert_eq "$uid|scan|interrupted" "$(sqlite3 policyctl.ledger "select uid, phase, state from runs")" \
	"the run in the ledger after SIGINT"
assert_eq 1 "$(sqlite3 policyctl.ledger 'select count(*) from runs')" "runs in the ledger"
