#!/bin/sh
# Runs libFuzzer targets for a set time each: fuzz/run.sh SECONDS NAME...
#
# Each target fuzzes build-fuzz/corpus/NAME (its working corpus, where new inputs go), seeded
# at run time from the committed fuzz/corpus/NAME, tests/golden and the recorded responses in
# ../shared (fuzz/seed.py; not committed). A crash leaves build-fuzz/crashes/NAME-crash-* and
# makes the run fail: turn it into a regression input in fuzz/corpus/NAME and fix it.
set -u
seconds=${1:?usage: fuzz/run.sh SECONDS NAME...}
shift
top=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-build-fuzz}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
failed=""
python3 "$top/fuzz/seed.py" "$top" "$build/corpus" "$@" || exit 1
mkdir -p "$build/crashes"
for name in "$@"; do
	bin="$build/fuzz_$name"
	[ -x "$bin" ] || { echo "fuzz: $bin is not built (make fuzz-build)" >&2; exit 1; }
	mkdir -p "$build/corpus/$name" "$top/fuzz/corpus/$name"
	log="$build/fuzz_$name.log"
	dict=""
	[ -f "$build/corpus/$name.dict" ] && dict="-dict=$build/corpus/$name.dict"
	echo "fuzz: $name for ${seconds}s"
	# -rss_limit_mb: the sanitizers' shadow memory is not a leak
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$build/crashes/$name-" $dict \
		"$build/corpus/$name" "$top/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units' "$log" | tail -n 2 | sed 's/^/  /'
	if [ $rc -ne 0 ]; then
		failed="$failed $name"
		echo "fuzz: $name FAILED (exit $rc): see $log" >&2
		grep -E 'ERROR: |SUMMARY|runtime error|Test unit written' "$log" | head -n 5 >&2
	fi
done
[ -z "$failed" ] || { echo "fuzz: failed:$failed" >&2; exit 1; }
