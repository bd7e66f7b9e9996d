#!/bin/sh
# bench/inventory.sh — `policyctl inventory` of a large tenant through Resource Graph paging.
#
# A world of 1,000 subscriptions x 50 sites (50,000 sites, no slots) under one management
# group, armsim with no added latency. policyctl pages through Resource Graph 1,000 rows at a
# time ($skipToken), classifies every row and writes the JSON inventory. Bound (issue 12):
# <= 5 s wall time. The count of apps listed must equal the world's.
#
# Resource Graph's own quota (15 queries per 5 s per user in Azure, armsim's default) would put
# a floor of ceil(pages / 15) x 5 s under any client: the knob is raised for the bound, and the
# floor with Azure's default quota is printed beside it.
#
# Environment: BUILD (default build), BENCH_SUBS, BENCH_SITES.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/${BUILD:-build}"
subs=${BENCH_SUBS:-1000}
sites=${BENCH_SITES:-50}
bound=5
. "$top/bench/lib.sh"
need jq time

"$bin/armsim" world --generate "mgs=1,subs=$subs,sites=$sites,slots=0,noncompliant=0.3,seed=12" |
	jq -c '.knobs = {resourceGraphQuota: 100000}' >"$dir/world.json"
serve "$dir/world.json" --threads 2
armsim_ini "$dir" "$url" "management_group = mg-1"

echo "== inventory: $subs subscriptions x $sites sites, no added latency"
cpu0=$(ps -o times= -p "$pid")
t0=$(date +%s.%N)
set +e
/usr/bin/time -f '%U %S %M' -o "$dir/time" "$bin/policyctl" -c "$dir/policyctl.ini" inventory \
	--format json >"$dir/inventory.json" 2>"$dir/inventory.err"
rc=$?
set -e
t1=$(date +%s.%N)
cpu1=$(ps -o times= -p "$pid")
[ $rc -le 1 ] || { cat "$dir/inventory.err" >&2; echo "bench: inventory failed ($rc)" >&2; exit 1; }
apps=$(jq length "$dir/inventory.json")
want=$(jq '[.subscriptions[].resourceGroups[].sites[]] | length' "$dir/world.json")
[ "$apps" = "$want" ] || { echo "bench: $apps apps listed, the world has $want" >&2; exit 1; }
queries=$(curl -sf "$url/_armsim/stats" | jq '[.operations.Resources // {} | .[]] | add // 0')
wall=$(echo "$t1 - $t0" | bc -l)
read -r user sys rss <<EOF
$(tail -n 1 "$dir/time")
EOF
pages=$(( (want + 999) / 1000 ))
floor=$(( (pages + 14) / 15 * 5 ))
printf 'apps listed            %d (open %d)\n' "$apps" "$(jq '[.[] | select(.status == "non-compliant")] | length' "$dir/inventory.json")"
printf 'resource graph queries %s (%d pages of 1,000 + the internal-ASE query)\n' "$queries" "$pages"
printf 'wall time              %.2f s   (bound %d s)\n' "$wall" "$bound"
printf 'policyctl cpu          %.2f s user, %.2f s sys, peak RSS %d MB\n' "$user" "$sys" $((rss / 1024))
printf 'armsim cpu             %d s (user + sys, whole seconds)\n' $((cpu1 - cpu0))
printf 'load average           %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'floor with Azure quota %d s   (15 queries per 5 s: %d pages)\n' "$floor" "$pages"
if [ "$(echo "$wall > $bound" | bc -l)" = 1 ]; then
	echo "bench: inventory took ${wall}s, over the ${bound}s bound" >&2
	exit 1
fi
