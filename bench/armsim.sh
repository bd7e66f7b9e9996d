#!/bin/sh
# armsim benchmarks (make bench; not part of make check). Prints figures with their bounds:
#   1. generate + load a 1,000-subscription x 50-site world          bound: < 2 s
#   2. simple authenticated GET, armsim on one core (1 thread)         bound: >= 5,000 req/s
#   3. 1,000 concurrent connections held with --latency 50             bound: 0 errors
# Needs wrk (Debian: apt-get install wrk) and python3. The machine is shared: figures are noisy.
set -eu
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
ARMSIM="$TOP/$BUILD/armsim"
. "$TOP/examples/armsim-config.sh" # the demo principal
command -v wrk >/dev/null || { echo "SKIP: wrk is not installed (apt-get install wrk)"; exit 0; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/armsim-bench.XXXXXX")
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "$PID" ] && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
cpus=$(nproc)
pin_server() { if [ "$cpus" -ge 2 ]; then echo "taskset -c 0"; fi; }
pin_client() { if [ "$cpus" -ge 2 ]; then echo "taskset -c 1"; fi; }

serve() {
	rm -f "$WORK/ready"
	# shellcheck disable=SC2046
	$PIN "$ARMSIM" serve --listen 127.0.0.1:0 --ready-file "$WORK/ready" "$@" >"$WORK/out" 2>&1 &
	PID=$!
	while [ ! -s "$WORK/ready" ]; do
		kill -0 "$PID" 2>/dev/null || { cat "$WORK/out"; exit 1; }
		sleep 0.01
	done
	URL=$(cat "$WORK/ready")
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

# 1. world generation and load
start=$(ms)
"$ARMSIM" world --generate subs=1000,sites=50 >"$WORK/big.json"
gen=$(( $(ms) - start ))
start=$(ms)
PIN="" # loading may use both cores: the signing key is made meanwhile
serve --world "$WORK/big.json" --threads 1
load=$(( $(ms) - start ))
rss=$(awk '/VmRSS/ {print $2 / 1024}' "/proc/$PID/status")
stop
echo "world 1000 subs x 50 sites: generate ${gen} ms + load ${load} ms = $((gen + load)) ms (bound < 2000 ms), RSS ${rss} MiB"

# a small world without throttling for the request benchmarks
"$ARMSIM" world --generate subs=10,sites=10 >"$WORK/gen.json"
python3 - "$WORK" <<'PY'
import json, sys
d = json.load(open(sys.argv[1] + "/gen.json"))
big = {"burst": 1e12, "refillPerSecond": 1e12}
d["knobs"] = {"throttle": {k: big for k in ("subscriptionReads", "subscriptionWrites", "subscriptionDeletes",
                                             "tenantReads", "tenantWrites", "tenantDeletes")}}
json.dump(d, open(sys.argv[1] + "/world.json", "w"))
PY
SUB=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['subscriptions'][0]['subscriptionId'])" "$WORK/world.json")
token() {
	curl -sS -X POST "$URL/$ARMSIM_DEMO_TENANT/oauth2/v2.0/token" \
		-d grant_type=client_credentials -d "client_id=$ARMSIM_DEMO_CLIENT" \
		--data-urlencode "client_secret=$ARMSIM_DEMO_SECRET" \
		--data-urlencode scope=https://management.azure.com/.default |
		python3 -c "import json,sys; print(json.load(sys.stdin)['access_token'])"
}

# 2. simple GET on one core
PIN=$(pin_server)
serve --world "$WORK/world.json" --threads 1
TOKEN=$(token)
# shellcheck disable=SC2046
$(pin_client) wrk -t1 -c32 -d8s -H "Authorization: Bearer $TOKEN" \
	"$URL/subscriptions/$SUB?api-version=2022-12-01" >"$WORK/wrk1" 2>&1
rps=$(awk '/Requests\/sec/ {print int($2)}' "$WORK/wrk1")
non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/wrk1")
stop
echo "simple GET (GET /subscriptions/{id}, bearer token checked), 1 server thread on 1 core: ${rps} req/s (bound >= 5000), non-2xx: ${non2xx:-0}"

# 3. 1,000 concurrent connections with --latency 50
serve --world "$WORK/world.json" --threads 1 --latency 50
TOKEN=$(token)
# shellcheck disable=SC2046
$(pin_client) wrk -t2 -c1000 -d10s --timeout 5s -H "Authorization: Bearer $TOKEN" \
	"$URL/subscriptions/$SUB?api-version=2022-12-01" >"$WORK/wrk2" 2>&1
rps=$(awk '/Requests\/sec/ {print int($2)}' "$WORK/wrk2")
errors=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$WORK/wrk2")
non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/wrk2")
latency=$(awk '/Latency/ {print $2; exit}' "$WORK/wrk2")
peak=$(curl -sS "$URL/_armsim/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['peakConnections'])")
stop
echo "1000 connections, --latency 50: ${rps} req/s, mean latency ${latency}, peak connections ${peak}, socket errors ${errors:-0}, non-2xx ${non2xx:-0} (bound: 0 errors)"
[ "${errors:-0}" = 0 ] && [ "${non2xx:-0}" = 0 ] && [ "$peak" -ge 1000 ] || { cat "$WORK/wrk2"; exit 1; }
