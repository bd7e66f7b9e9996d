#!/bin/sh
# With armsim injecting faults into 20% of ARM requests (500, 503 with and without Retry-After,
# dropped connections, truncated bodies), 2,000 mixed reads and writes all complete with the
# status they should have, and the client reports how many retries it took.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/client-lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

make_world subs=4,sites=5 big
start_armsim --world "$WORK/world.json" --fault-rate 0.2 --seed 42
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT"
export AZURE_CLIENT_SECRET=$ARMSIM_DEMO_SECRET

# 2,000 requests: GET site, GET subscription, PATCH site tags, PUT a new resource group, GET list
sites >"$WORK/sites.txt"
awk 'NR == FNR { site[n++] = $0; next } END {
	for (i = 0; i < 2000; i++) {
		s = site[i % n]; split(s, part, "/"); sub_id = part[3]
		k = i % 5
		if (k == 0) print "GET " s " 200"
		else if (k == 1) print "GET /subscriptions/" sub_id " 200"
		else if (k == 2) print "PATCH " s " 200|202 {\"tags\":{\"run\":\"" i "\"}}"
		else if (k == 3) print "PUT /subscriptions/" sub_id "/resourcegroups/load-" i " 200|201 {\"location\":\"westeurope\"}"
		else { sub(/\/[^\/]*$/, "", s); print "GET " s " 200" }
	}
}' "$WORK/sites.txt" /dev/null >"$WORK/requests.txt"
expect_exit 0 "$ARMLOAD" -c "$WORK/policyctl.ini" run "$WORK/requests.txt"
cat "$WORK/out"
assert_eq 2000 "$(summary requests)" "requests"
assert_eq 2000 "$(summary ok)" "requests that completed correctly"
retries=$(summary retries)
faults=$(stat '.faults')
echo "armsim injected $faults faults; the client retried $retries times"
[ "$faults" -gt 200 ] || fail "only $faults faults injected: the test did not exercise retries"
# every kind of fault happened, so the client recovered from each of them
for kind in status500 status503 dropped truncated; do
	n=$(stat ".faultsByKind.$kind")
	echo "armsim: $n faults of kind $kind"
	[ "$n" -gt 0 ] || fail "no fault of kind $kind was injected"
done
assert_eq "$faults" "$(stat '[.faultsByKind[]] | add')" "faults by kind add up"
# a connection dropped while idle in curl's pool is reopened by curl itself, unseen by the
# engine; every other fault costs one retry
[ "$retries" -ge $((faults / 2)) ] || fail "$faults faults but only $retries retries"
# every resource group the client created is there: no retried PUT went missing
created=$(curl -sS "$ARMSIM_URL/_armsim/world" | jq '[.subscriptions[].resourceGroups[] | select(.name | startswith("load-"))] | length')
assert_eq 400 "$created" "resource groups created"
