#!/bin/sh
# tests/run.sh's worker: runs one test (a unit binary or an e2e script), keeps its whole output
# in $BUILD_DIR/test-logs/<name>.log, prints one result line and leaves RESULTS/<name>.ok,
# .skip or .fail holding the test's name for run.sh's count.
# Usage: run-one.sh RESULTS PATH
results=$1 t=$2
case "$t" in
*.sh) name="e2e/$(basename "$t" .sh)"; set -- sh "$t" ;;
*) name="unit/$(basename "$t")"; set -- "$t" ;;
esac
file=$(echo "$name" | tr / _)
log="$BUILD_DIR/test-logs/$file.log"
start=$(date +%s)
"$@" >"$log" 2>&1 </dev/null
rc=$?
secs=$(( $(date +%s) - start ))
if [ $rc -eq 0 ]; then
	echo "$name" >"$results/$file.ok"; echo "ok   $name (${secs}s)"
elif [ $rc -eq 77 ]; then
	echo "$name" >"$results/$file.skip"; echo "skip $name: $(grep -m1 '^SKIP' "$log")"
else
	echo "$name" >"$results/$file.fail"; echo "FAIL $name (exit $rc, ${secs}s)"
fi
