# Ending a test and asserting (sourced by tests/lib.sh). Every assertion fails the test with
# what was expected and what came.

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
