#!/bin/sh
# Runs every unit test binary and every end-to-end script, then prints one closing line:
#   "N passed, N failed, N skipped"
# A test prints "SKIP: reason" and exits 77 to be counted as skipped (for example when
# ../shared is absent). Exit status is non-zero when anything failed.
#
# Tests run TEST_JOBS at a time (default: the number of cores): most of an e2e test's time is
# spent waiting on armsim's simulated clock, not on a core. A test whose assertion depends on
# having the machine to itself (a rate measured against a bound, or one that keeps every core
# busy by itself) says so with a line `# run-alone: why` and runs after the others, alone.
# Result lines appear as tests finish; the last lines of each failure's log are printed at
# the end.
#
# Usage: tests/run.sh [PATTERN]   (PATTERN filters test names, e.g. t0100)
BUILD=${BUILD:-build}
pattern=${1:-}
top=$(cd "$(dirname "$0")/.." && pwd)
export TOP="$top" BUILD_DIR="$top/$BUILD"
jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
results="$BUILD_DIR/test-results"
rm -rf "$results"
mkdir -p "$results" "$BUILD_DIR/test-logs"

# the tests to run, as paths: unit binaries, then e2e scripts, filtered by PATTERN
list() {
	for t in "$BUILD_DIR"/tests/test_*; do
		[ -x "$t" ] && echo "$t"
	done
	for t in "$top"/tests/e2e/t[0-9]*.sh; do
		[ -f "$t" ] && echo "$t"
	done
}
list | while read -r t; do
	case "$t" in *.sh) name="e2e/$(basename "$t" .sh)" ;; *) name="unit/$(basename "$t")" ;; esac
	case "$name" in *"$pattern"*) ;; *) continue ;; esac
	if case "$t" in *.sh) grep -q '^# run-alone:' "$t" ;; *) false ;; esac; then
		echo "$t" >>"$results/alone"
	else
		echo "$t" >>"$results/together"
	fi
done

run() { # LIST JOBS
	[ -s "$1" ] || return 0
	xargs -d '\n' -n 1 -P "$2" sh "$top/tests/lib/run-one.sh" "$results" <"$1"
}
run "$results/together" "$jobs"
run "$results/alone" 1

passed=$(cat "$results"/*.ok 2>/dev/null | wc -l)
skipped=$(cat "$results"/*.skip 2>/dev/null | wc -l)
failed=0 failures=""
for f in "$results"/*.fail; do
	[ -f "$f" ] || continue
	name=$(cat "$f")
	failed=$((failed + 1)); failures="$failures $name"
	echo "FAIL $name — last lines of $BUILD_DIR/test-logs/$(echo "$name" | tr / _).log:"
	tail -n 25 "$BUILD_DIR/test-logs/$(echo "$name" | tr / _).log" | sed 's/^/    /'
done
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
