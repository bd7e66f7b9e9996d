#!/bin/sh
# bench/contain.sh — how close `policyctl contain` gets to what Azure (armsim) allows.
#
# 1. Wall time: a world of 200 subscriptions x 20 sites, every response delayed 50 ms
#    (--latency 50), subscription-scope assignments (the worst case: everything is done 200
#    times). Prints policyctl's wall time, the requests it sent (armsim's count) and the lower
#    bound for the same world, computed here from the critical path:
#      token + definition PUT + initiative PUT + assignment PUT + role assignment PUT (5 RTT)
#      + scan: trigger, the simulated scan, the poll that sees it end (2 RTT + scan)
#      + remediation: tasks with work / the tenant's 100 concurrent tasks = waves, each at
#        least create + Accepted (15 s) + one deployment round (30 s) + the poll (2 RTT)
#      + verify: trigger, scan, poll, queryResults (3 RTT + scan)
#    with simulated times divided by armsim's --time-scale. Target: wall <= 1.3 x bound.
# 2. Memory: peak RSS of `policyctl track` tracking 10,000 tasks (2,500 subscriptions x the 4
#    DeployIfNotExists members; one site each, 10% to fix, so armsim itself keeps up).
#    Bound: 64 MB.
#
# Environment: BUILD (default build), BENCH_SUBS, BENCH_SITES, BENCH_TIME_SCALE,
# BENCH_LATENCY, BENCH_RSS_SUBS (0 skips part 2).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/${BUILD:-build}"
subs=${BENCH_SUBS:-200}
sites=${BENCH_SITES:-20}
scale=${BENCH_TIME_SCALE:-100}
latency=${BENCH_LATENCY:-50}
rss_subs=${BENCH_RSS_SUBS:-2500}
command -v jq >/dev/null || { echo "bench: jq is needed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is needed (Debian package time)" >&2; exit 1; }

. "$top/examples/armsim-config.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/policyctl-bench.XXXXXX")
pid=""
stop() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	pid=""
}
trap 'stop; [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$dir"' EXIT
trap 'exit 143' INT TERM

# start SPEC ARGS... — armsim on a free port; sets url
start() {
	spec=$1; shift
	"$bin/armsim" world --generate "$spec" >"$dir/world.json"
	rm -f "$dir/ready"
	"$bin/armsim" serve --world "$dir/world.json" --listen 127.0.0.1:0 --ready-file "$dir/ready" \
		--threads 2 "$@" >"$dir/armsim.out" 2>&1 &
	pid=$!
	deadline=$(( $(date +%s) + 30 ))
	while [ ! -s "$dir/ready" ]; do
		kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ] ||
			{ cat "$dir/armsim.out" >&2; echo "bench: armsim did not start" >&2; exit 1; }
		sleep 0.05
	done
	url=$(cat "$dir/ready")
}

# ini REMEDIATION-LINES — a subscription-scope config for every subscription of the world
ini() {
	list=$(jq -r '[.subscriptions[].subscriptionId] | join(",\n  ")' "$dir/world.json")
	rm -f "$dir/policyctl.ledger"*
	armsim_ini "$dir" "$url" "subscriptions = $list" "max_concurrent_tasks = 100
$1" "concurrency = 256"
}

echo "== contain: $subs subscriptions x $sites sites, --latency $latency, --time-scale $scale"
start "mgs=1,subs=$subs,sites=$sites,noncompliant=0.6,locked=0,seed=42" --latency "$latency" \
	--time-scale "$scale"
ini "poll_interval = 250ms"
t0=$(date +%s.%N)
set +e
/usr/bin/time -f '%U %S %M' -o "$dir/contain.time" "$bin/policyctl" -c "$dir/policyctl.ini" \
	contain >"$dir/contain.out" 2>"$dir/contain.err"
rc=$?
set -e
t1=$(date +%s.%N)
requests=$(curl -sf "$url/_armsim/stats" | jq '.requests')
throttled=$(curl -sf "$url/_armsim/stats" | jq '.throttled')
# tasks with work: (subscription, member) pairs with at least one non-compliant site or slot
work=$(jq '[.subscriptions[] | .subscriptionId as $s | .resourceGroups[].sites[]
	| (select(.properties.clientCertEnabled != true or .properties.clientCertMode != "Required")
	   | "\($s)/\(.kind)"),
	  ((.slots // [])[] | select(.properties.clientCertEnabled != true or .properties.clientCertMode != "Required")
	   | "\($s)/\(.kind)/slot")] | unique | length' "$dir/world.json")
knobs=$(jq -c '.knobs // {}' "$dir/world.json")
scan_ms=$(echo "$knobs" | jq '.scanDurationMs // 570000')
deploy_ms=$(echo "$knobs" | jq '.deploymentDurationMs // 30000')
wall=$(echo "$t1 - $t0" | bc -l)
bound=$(echo "waves = ($work + 99) / 100; scale = 3;
	rtt = $latency / 1000; scan = $scan_ms / $scale / 1000;
	wave = 2 * rtt + (15000 + $deploy_ms) / $scale / 1000;
	5 * rtt + (2 * rtt + scan) + waves * wave + (3 * rtt + scan)" | bc -l)
ratio=$(echo "scale=2; $wall / $bound" | bc -l)
printf 'contain exit %s; wall %.1f s; requests %s (%s throttled); tasks with work %s\n' \
	"$rc" "$wall" "$requests" "$throttled" "$work"
printf 'lower bound %.1f s; wall / bound = %s (target <= 1.3)\n' "$bound" "$ratio"
stop

if [ "$rss_subs" -gt 0 ]; then
	tasks=$((rss_subs * 4))
	echo "== peak RSS: track following $tasks tasks ($rss_subs subscriptions x 4 members)"
	# one site per subscription, 10% of them to fix: all 10,000 tasks are created and tracked
	# to their end, most finish at once (nothing to fix), the rest run deployments
	start "mgs=1,subs=$rss_subs,rgs=1,sites=1,slots=0,functions=0.5,noncompliant=0.1,locked=0,seed=3" \
		--time-scale 10000
	ini "poll_interval = 100ms"
	# the same steps as contain; remediate (creating 10,000 tasks while polling the active
	# ones) and track (following them all) are measured: the peak of the two is the figure
	for step in apply "scan --wait"; do
		# shellcheck disable=SC2086
		"$bin/policyctl" -q -c "$dir/policyctl.ini" $step >>"$dir/rss.out" 2>>"$dir/rss.err" ||
			{ tail "$dir/rss.err" >&2; echo "bench: $step failed" >&2; exit 1; }
	done
	peak=0
	for step in remediate track; do
		set +e
		/usr/bin/time -f '%M %e' -o "$dir/time" "$bin/policyctl" -q -c "$dir/policyctl.ini" \
			$step >>"$dir/rss.out" 2>>"$dir/rss.err"
		rc=$?
		set -e
		read -r kb secs <"$dir/time"
		printf '%s exit %s; peak RSS %.1f MB; %s s\n' "$step" "$rc" "$(echo "$kb / 1024" | bc -l)" "$secs"
		[ "$kb" -gt "$peak" ] && peak=$kb
	done
	tracked=$(sqlite3 "$dir/policyctl.ledger" "select count(*) from tasks where state in
		('Succeeded', 'Failed', 'Canceled', 'Complete')" 2>/dev/null || echo "?")
	printf 'tasks tracked to the end %s of %s; peak RSS %.1f MB (bound 64 MB)\n' "$tracked" \
		"$tasks" "$(echo "$peak / 1024" | bc -l)"
	stop
fi
