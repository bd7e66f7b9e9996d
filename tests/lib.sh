# Shared helpers for end-to-end tests. Source it first: `. "$TOP/tests/lib.sh"`.
#
# Each test runs in its own temporary folder ($WORK), removed on exit; servers it starts are
# stopped by PID in the exit trap. Nothing waits by sleeping for state: use poll_until.

set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD_DIR:=$TOP/build}"
POLICYCTL="$BUILD_DIR/policyctl"
ARMSIM="$BUILD_DIR/armsim"
SHARED="${SHARED:-$TOP/../shared}"
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
