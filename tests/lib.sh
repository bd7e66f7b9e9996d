# Shared helpers for end-to-end tests. Source it first: `. "$TOP/tests/lib.sh"`; then the
# helper file of the test's concern (tests/README.md lists them).
#
# Each test runs in its own temporary folder ($WORK), removed on exit; servers it starts are
# stopped by PID in the exit trap. Nothing waits by sleeping for state: use poll_until or
# poll_value.

set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD_DIR:=$TOP/build}"
POLICYCTL="$BUILD_DIR/policyctl"
ARMSIM="$BUILD_DIR/armsim"
SHARED="${SHARED:-$TOP/../shared}"
# the demo principal of every generated armsim world (ARMSIM_DEMO_TENANT, _CLIENT, _SECRET),
# defined once for the tests, the demo and the benchmarks
. "$TOP/examples/armsim-config.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/policyctl-test.XXXXXX")
PIDS=""

cleanup() {
	for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
	for pid in $PIDS; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
need_shared() { [ -d "$SHARED/arm" ] || skip "../shared is absent; reference data tests not run"; }

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() { [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"; }
# assert_contains FILE STRING
assert_contains() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "'$1' does not contain '$2'"; }; }
assert_not_contains() { ! grep -qF -- "$2" "$1" || fail "'$1' contains '$2'"; }

# expect_exit CODE CMD... — runs CMD with output to $WORK/out, $WORK/err; checks the exit code.
expect_exit() {
	want=$1; shift
	set +e; "$@" >"$WORK/out" 2>"$WORK/err"; got=$?; set -e
	[ "$got" = "$want" ] || { cat "$WORK/out" "$WORK/err" >&2; fail "'$*' exited $got, expected $want"; }
}

# poll_until SECONDS CMD... — reruns CMD until it succeeds or the deadline passes.
poll_until() {
	deadline=$(( $(date +%s) + $1 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for: $*"
		sleep 0.05
	done
}

# poll_value SECONDS WANTED CMD... — reruns CMD (its stderr dropped) until what it prints on
# stdout is one of WANTED ('|'-separated values), then prints that value. WANTED '!V1|V2' waits
# for anything but those values instead. A CMD that fails counts as printing '(exit N)'. Fails
# the test at the deadline, naming the last value. POLL_EVERY (seconds, default 0.05) sets the
# pace, for states that last only a moment. Use it as `state=$(poll_value ...)`: the test
# then asserts on what was polled, not merely that polling ended.
poll_value() {
	pv_secs=$1 pv_want=$2
	shift 2
	pv_deadline=$(( $(date +%s) + pv_secs ))
	pv_not=0 pv_desc="one of"
	case $pv_want in '!'*) pv_not=1 pv_want=${pv_want#!} pv_desc="anything but" ;; esac
	while :; do
		pv_got=$("$@" 2>/dev/null) || pv_got="(exit $?)"
		pv_hit=0 pv_ifs=$IFS
		IFS='|'
		for pv_w in $pv_want; do [ "$pv_got" != "$pv_w" ] || pv_hit=1; done
		IFS=$pv_ifs
		if [ $pv_hit != $pv_not ]; then
			printf '%s\n' "$pv_got"
			return 0
		fi
		[ "$(date +%s)" -lt "$pv_deadline" ] ||
			fail "timed out after ${pv_secs}s: '$*' printed '$pv_got', waiting for $pv_desc '$pv_want'"
		sleep "${POLL_EVERY:-0.05}"
	done
}

# wait_exit SECONDS PID — waits for a background child to end (polling, with a deadline, so a
# process that ignores a signal fails the test instead of hanging it); sets EXIT to its status.
wait_exit() {
	poll_until "$1" sh -c "! kill -0 $2 2>/dev/null || ps -o stat= -p $2 | grep -q Z"
	set +e; wait "$2"; EXIT=$?; set -e
}

# start_armsim ARGS... — starts armsim on a free loopback port; sets ARMSIM_URL and ARMSIM_PID.
start_armsim() {
	rm -f "$WORK/armsim.ready"
	"$ARMSIM" serve --listen 127.0.0.1:0 --ready-file "$WORK/armsim.ready" "$@" \
		>"$WORK/armsim.out" 2>&1 &
	ARMSIM_PID=$!
	PIDS="$PIDS $ARMSIM_PID"
	poll_until 10 test -s "$WORK/armsim.ready"
	ARMSIM_URL=$(cat "$WORK/armsim.ready")
}

stop_armsim() {
	kill "$ARMSIM_PID" 2>/dev/null || true
	wait "$ARMSIM_PID" 2>/dev/null || true
}
