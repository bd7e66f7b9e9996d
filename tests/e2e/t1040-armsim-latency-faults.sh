#!/bin/sh
# armsim --latency delays each response without holding up the others (concurrent requests
# finish together, not one after another), and --fault-rate injects 500s, 503s with and without
# Retry-After, dropped connections and truncated bodies, the same ones for the same seed.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"

"$ARMSIM" world --generate subs=1,sites=2,mgs=1 >world.json
SUB=$(json world.json '.subscriptions[0].subscriptionId')

start_armsim --world world.json --latency 400:100 --threads 1
get_token
start=$(date +%s%N)
i=0
pids=""
while [ $i -lt 16 ]; do
	curl -sS -o "r$i" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
		"$ARMSIM_URL/subscriptions/$SUB?api-version=2022-12-01" >"s$i" &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait "$p"; done
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
for s in s*; do assert_eq 200 "$(cat "$s")" "delayed request $s"; done
# one after another it would take 16 x 400 ms = 6.4 s; together about 0.5 s
[ "$elapsed_ms" -ge 400 ] || fail "responses were not delayed (${elapsed_ms} ms)"
[ "$elapsed_ms" -lt 4000 ] || fail "delayed responses held each other up (${elapsed_ms} ms for 16)"
stop_armsim

# faults: the outcome sequence of 60 sequential requests depends only on the seed
run_faults() {
	start_armsim --world world.json --fault-rate 0.5 --seed "$1"
	get_token
	: >"$2"
	i=0
	while [ $i -lt 60 ]; do
		set +e
		code=$(curl -sS -o body -D headers -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
			"$ARMSIM_URL/subscriptions/$SUB?api-version=2022-12-01" 2>/dev/null)
		rc=$?
		set -e
		retry=$(grep -ci '^Retry-After:' headers 2>/dev/null || true)
		echo "$code rc=$rc retry=$retry" >>"$2"
		i=$((i + 1))
	done
	curl -sS -o "$2.stats" "$ARMSIM_URL/_armsim/stats"
	stop_armsim
}
run_faults 11 seq1
run_faults 11 seq2
run_faults 12 seq3
cmp -s seq1 seq2 || { diff seq1 seq2 >&2; fail "the same seed gave different faults"; }
! cmp -s seq1 seq3 || fail "another seed gave the same faults"
grep -q '^500 rc=0' seq1 || fail "no 500 injected"
grep -q '^503 rc=0 retry=1' seq1 || fail "no 503 with Retry-After injected"
grep -q '^503 rc=0 retry=0' seq1 || fail "no 503 without Retry-After injected"
grep -q 'rc=52' seq1 || fail "no dropped connection injected"
grep -q 'rc=18' seq1 || fail "no truncated body injected"
grep -q '^200 rc=0' seq1 || fail "nothing was served"
faults=$(json seq1.stats '.faults')
[ "$faults" -ge 10 ] || fail "stats count $faults faults"
