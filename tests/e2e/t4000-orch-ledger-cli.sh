#!/bin/sh
# status and report read the ledger without network; a second process on a locked ledger
# refuses with a clear message (exit 2); a missing ledger is a clear error, not a crash.
. "$TOP/tests/lib.sh"

cat >policyctl.ini <<INI
[scope]
subscriptions = 00000000-0000-4000-8000-000000000001
[run]
ledger = $WORK/run.ledger
INI

expect_exit 2 "$POLICYCTL" status
assert_contains "$WORK/err" "cannot read ledger '$WORK/run.ledger'"
expect_exit 2 "$POLICYCTL" report --format yaml
assert_contains "$WORK/err" "expected one of table|json|markdown|html, got 'yaml'"

# a ledger with one run, written the way policyctl writes it (through sqlite3, same schema
# comes from the first open: apply --dry-run never records, so create it with a real open)
sqlite3 run.ledger "CREATE TABLE runs (id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE,
 command TEXT NOT NULL, scope TEXT NOT NULL, phase TEXT NOT NULL, state TEXT NOT NULL,
 started_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL DEFAULT 0,
 pid INTEGER NOT NULL);
 INSERT INTO runs VALUES (1, '0123456789abcdef', 'contain', 'subs:x', 'track', 'running', 1, 2, 0, 1);"
# the read-only open of a ledger lacking tables fails cleanly
expect_exit 2 "$POLICYCTL" status
assert_eq "policyctl: error: '$WORK/run.ledger' is not a policyctl ledger" "$(cat "$WORK/err")" \
	"status on a ledger without policyctl's tables"
expect_exit 2 "$POLICYCTL" report
assert_eq "policyctl: error: '$WORK/run.ledger' is not a policyctl ledger" "$(cat "$WORK/err")" \
	"report on a ledger without policyctl's tables"
# read-only: neither created the missing tables nor touched the run
assert_eq runs "$(sqlite3 run.ledger .tables)" "tables after status and report"
assert_eq "track|running" "$(sqlite3 run.ledger "select phase, state from runs")" "the run after status"
rm -f run.ledger

# hold the lock the way a running policyctl does, then try to take it: refused, exit 2
: >run.ledger.lock
flock -n run.ledger.lock sh -c 'echo 4242 >run.ledger.lock; touch locked; while [ -e locked ]; do sleep 0.05; done' &
holder=$!
PIDS="$PIDS $holder"
poll_until 5 test -e locked
expect_exit 2 "$POLICYCTL" track
assert_contains "$WORK/err" "ledger '$WORK/run.ledger' is in use by another policyctl (pid 4242)"
rm -f locked
wait "$holder"
