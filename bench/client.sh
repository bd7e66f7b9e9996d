#!/bin/sh
# Benchmark of the ARM client (lib/http + lib/arm) against armsim on loopback.
#
#   1. throughput: 20,000 GETs of one site, no latency, [run] concurrency 32, the client pinned
#      to one core with taskset (armsim free to use both): requests per second of wall time
#      (target: >= 3,000/s) and per second of client CPU
#   2. latency: armsim --latency 50, 5,000 GETs at concurrency 32 must finish within
#      1.2 x 5,000 x 50 ms / 32 = 9,375 ms
#
# Throttling is lifted in the world (big buckets): this measures the engine, not ARM's limits.
# Prints the figures and "ok"/"MISSED" against each bound; exit 1 when a bound is missed.
# The machine is shared: expect noise, run twice before believing a regression.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
BUILD_DIR="$TOP/$BUILD"
SHARED=${SHARED:-$TOP/../shared}
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/client-lib.sh"
[ -x "$ARMLOAD" ] || { echo "build the test drivers first: make $BUILD/tests/tools/armload"; exit 1; }
PIN_CLIENT=
command -v taskset >/dev/null && PIN_CLIENT="taskset -c 0"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package time)"; exit 1; }

make_world subs=1,sites=4 big
site=$(sites | head -n 1)
export AZURE_CLIENT_SECRET=$ARMSIM_DEMO_SECRET
status=0

# 1. throughput
start_armsim --world "$WORK/world.json" --threads 2
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT"
n=20000
/usr/bin/time -f "%U %S" -o "$WORK/cpu" $PIN_CLIENT "$ARMLOAD" -c "$WORK/policyctl.ini" get "$site" $n >"$WORK/out"
cpu=$(awk '{ print $1 + $2 }' "$WORK/cpu")
wall=$(summary elapsed_ms)
rps=$(summary rps)
per_core=$(awk -v n=$n -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0) ? n / c : 0 }')
ok=$(summary ok)
verdict=ok
awk -v r="$rps" 'BEGIN { exit !(r >= 3000) }' || verdict=MISSED
[ "$ok" = "$n" ] || verdict="MISSED ($ok of $n succeeded)"
echo "client throughput: $n GETs in $wall ms = $rps req/s (client CPU ${cpu}s = $per_core req per CPU-second); target >= 3000 req/s: $verdict"
[ "$verdict" = ok ] || status=1
stop_armsim

# 2. latency 50 ms
start_armsim --world "$WORK/world.json" --latency 50
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT"
n=5000
"$ARMLOAD" -c "$WORK/policyctl.ini" get "$site" $n >"$WORK/out"
wall=$(summary elapsed_ms)
bound=$(( n * 50 * 12 / 32 / 10 ))
ideal=$(( n * 50 / 32 ))
ok=$(summary ok)
verdict=ok
[ "$wall" -le "$bound" ] || verdict=MISSED
[ "$ok" = "$n" ] || verdict="MISSED ($ok of $n succeeded)"
echo "client at 50 ms latency: $n GETs, concurrency 32, in $wall ms (ideal $ideal ms, bound $bound ms = 1.2x): $verdict"
[ "$verdict" = ok ] || status=1
exit $status
