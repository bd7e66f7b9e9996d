#!/bin/sh
# Runs every unit test binary and every end-to-end script, then prints one closing line:
#   "N passed, N failed, N skipped"
# A test prints "SKIP: reason" and exits 77 to be counted as skipped (for example when
# ../shared is absent). Exit status is non-zero when anything failed.
#
# Usage: tests/run.sh [PATTERN]   (PATTERN filters test names, e.g. t0100)
BUILD=${BUILD:-build}
pattern=${1:-}
top=$(cd "$(dirname "$0")/.." && pwd)
export TOP="$top" BUILD_DIR="$top/$BUILD"
passed=0 failed=0 skipped=0 failures=""

run_one() {
	name=$1; shift
	case "$name" in *"$pattern"*) ;; *) return ;; esac
	log="$BUILD_DIR/test-logs/$(echo "$name" | tr / _).log"
	mkdir -p "$BUILD_DIR/test-logs"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); echo "ok   $name (${secs}s)"
	elif [ $rc -eq 77 ]; then
		skipped=$((skipped + 1)); echo "skip $name: $(grep -m1 '^SKIP' "$log")"
	else
		failed=$((failed + 1)); failures="$failures $name"
		echo "FAIL $name (exit $rc, ${secs}s) — last lines of $log:"
		tail -n 25 "$log" | sed 's/^/    /'
	fi
}

for t in "$BUILD_DIR"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for t in "$top"/tests/e2e/t[0-9]*.sh; do
	[ -f "$t" ] || continue
	run_one "e2e/$(basename "$t" .sh)" sh "$t"
done

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
