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

# one file per concern
. "$TOP/tests/lib/assert.sh"  # fail, skip, need_shared, assert_*, expect_exit
. "$TOP/tests/lib/poll.sh"    # poll_until, poll_value, wait_exit
. "$TOP/tests/lib/armsim.sh"  # start_armsim, stop_armsim, world_json, stats_json

