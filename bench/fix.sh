#!/bin/sh
# bench/fix.sh — `policyctl fix` of 1,000 apps against ARM's per-subscription write limits.
#
# A world of 4 subscriptions x 250 sites, every one non-compliant, armsim with no added
# latency and a write bucket per subscription and principal of 50 tokens refilled at 25 per
# second (knob throttle.subscriptionWrites). Each app needs one PATCH, so no client can finish
# sooner than the busiest subscription's bucket allows:
#     bound = max over subscriptions of max(0, (writes - burst) / refill)
# fix works in batches of 50 with a Resource Graph re-scan after each (reads, not counted in the
# write limits). Target (issue 12): wall time <= 1.2 x bound. Every app must end compliant.
#
# Environment: BUILD (default build), BENCH_SUBS, BENCH_SITES, BENCH_BURST, BENCH_REFILL.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/${BUILD:-build}"
subs=${BENCH_SUBS:-4}
sites=${BENCH_SITES:-250}
burst=${BENCH_BURST:-50}
refill=${BENCH_REFILL:-25}
. "$top/bench/lib.sh"
need jq bc

"$bin/armsim" world --generate "mgs=1,subs=$subs,rgs=2,sites=$sites,slots=0,noncompliant=1,locked=0,exposed=0.5,prod=0.5,seed=5" |
	jq -c --argjson b "$burst" --argjson r "$refill" \
	'.knobs = {resourceGraphQuota: 100000, throttle: {subscriptionWrites: {burst: $b, refillPerSecond: $r}}}' \
	>"$dir/world.json"
serve "$dir/world.json" --threads 2
armsim_ini "$dir" "$url" "management_group = mg-1"

apps=$(jq '[.subscriptions[].resourceGroups[].sites[]] | length' "$dir/world.json")
bound=$(jq -r --argjson b "$burst" --argjson r "$refill" \
	'[.subscriptions[] | [.resourceGroups[].sites[]] | length | ((. - $b) / $r) | if . < 0 then 0 else . end] | max' \
	"$dir/world.json")
echo "== fix: $apps apps in $subs subscriptions, write bucket $burst + $refill/s per subscription"
t0=$(date +%s.%N)
set +e
"$bin/policyctl" -c "$dir/policyctl.ini" fix --batch 50 >"$dir/fix.out" 2>"$dir/fix.err"
rc=$?
set -e
t1=$(date +%s.%N)
[ $rc -eq 0 ] || { tail "$dir/fix.out" "$dir/fix.err" >&2; echo "bench: fix exited $rc" >&2; exit 1; }
stats=$(curl -sf "$url/_armsim/stats")
open=$(curl -sf "$url/_armsim/world" | jq '[.subscriptions[].resourceGroups[].sites[]
	| select(.properties.clientCertEnabled != true or .properties.clientCertMode != "Required")] | length')
[ "$open" = 0 ] || { echo "bench: $open apps left open" >&2; exit 1; }
wall=$(echo "$t1 - $t0" | bc -l)
ratio=$(echo "$wall / $bound" | bc -l)
printf 'apps fixed             %d (%s batches)\n' "$apps" "$(grep -c '^batch ' "$dir/fix.out")"
printf 'PATCHes sent           %s, 429s %s\n' "$(echo "$stats" | jq '[.operations.WebApps_Update // {} | .[]] | add // 0')" \
	"$(echo "$stats" | jq '.throttled')"
printf 'resource graph queries %s\n' "$(echo "$stats" | jq '[.operations.Resources // {} | .[]] | add // 0')"
printf 'wall time              %.2f s\n' "$wall"
printf 'write-limit bound      %.2f s   (busiest subscription: (writes - %d) / %d per s)\n' "$bound" "$burst" "$refill"
printf 'ratio                  %.2f     (target <= 1.20)\n' "$ratio"
printf 'load average           %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$(echo "$ratio > 1.2" | bc -l)" = 1 ]; then
	echo "bench: fix took ${ratio}x the write-limit bound, over 1.2x" >&2
	exit 1
fi
