#!/bin/sh
# Benchmark of `policyctl check` (issue 14): 1,000 generated ARM templates, 10 MB in total,
# checked on one core (taskset -c 0) in at most 1 s.
#
# The figure against the bound is CPU time (user + system) of the whole run, the median of
# three runs: on a shared machine wall time includes other people's work, CPU time does
# not. Wall time is printed too. Each template has parameters, variables, a copy loop of
# three sites with a child slot and web config, and a nested deployment (bench/check-gen.py),
# so the expression evaluator and the position scan are measured, not only the JSON parse.
# Prints the figures and "ok"/"MISSED"; exit 1 when the bound is missed.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
POLICYCTL="$TOP/$BUILD/policyctl"
[ -x "$POLICYCTL" ] || { echo "build policyctl first: make"; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package time)"; exit 1; }
command -v python3 >/dev/null || { echo "needs python3"; exit 1; }
PIN=
command -v taskset >/dev/null && PIN="taskset -c 0"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/policyctl-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

FILES=1000
python3 "$TOP/bench/check-gen.py" "$WORK/templates" $FILES 10240
bytes=$(cat "$WORK"/templates/*.json | wc -c)
runs=""
for run in 1 2 3; do
	set +e
	/usr/bin/time -f "%U %S %e %M" -o "$WORK/time" $PIN "$POLICYCTL" check --format json \
		--out "$WORK/report.json" "$WORK/templates"
	rc=$?
	set -e
	[ "$rc" = 1 ] || { echo "check exited $rc, expected 1 (the generated set has findings)"; exit 1; }
	runs="$runs $(tail -n 1 "$WORK/time" | awk '{ printf "%.3f:%.3f:%d", $1 + $2, $3, $4 }')"
done
cpu=$(for r in $runs; do echo "$r"; done | sort -t: -k1,1n | sed -n 2p)
cpu_s=${cpu%%:*}
rest=${cpu#*:}
wall_s=${rest%%:*}
rss_kb=${rest#*:}
files=$(jq .summary.files "$WORK/report.json")
sites=$(jq .summary.sites "$WORK/report.json")
findings=$(jq '.findings | length' "$WORK/report.json")
[ "$files" = "$FILES" ] || { echo "checked $files files, expected $FILES"; exit 1; }
verdict=ok
awk -v c="$cpu_s" 'BEGIN { exit !(c <= 1.0) }' || verdict=MISSED
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
rate=$(awk -v b="$bytes" -v c="$cpu_s" 'BEGIN { printf "%.0f", (c > 0) ? b / 1e6 / c : 0 }')
echo "check: $files templates, $mb MB, $sites apps and slots, $findings findings:" \
	"CPU ${cpu_s}s (median of 3; runs cpu:wall:rssKB =$runs), wall ${wall_s}s, peak RSS $((rss_kb / 1024)) MiB," \
	"$rate MB per CPU-second; bound <= 1.0 s on one core: $verdict"
[ "$verdict" = ok ]
