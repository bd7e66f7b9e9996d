#!/bin/sh
# --dry-run: every write is printed (method, URL, body) and none reaches armsim, while reads
# still go out; -v logs each request and response line with its timing and never a header.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/client-lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

make_world subs=1,sites=2 big
start_armsim --world "$WORK/world.json"
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT"
export AZURE_CLIENT_SECRET=$ARMSIM_DEMO_SECRET
sub=$(world_value '.subscriptions[0].subscriptionId')
site=$(sites | head -n 1)
cat >"$WORK/requests.txt" <<REQ
GET $site 200
GET /subscriptions/$sub 200
PATCH $site 200 {"properties":{"clientCertEnabled":true,"clientCertMode":"Required"}}
PUT /subscriptions/$sub/resourcegroups/dry-1 201 {"location":"westeurope"}
DELETE $site 200
REQ
expect_exit 0 "$ARMLOAD" -v --dry-run -c "$WORK/policyctl.ini" run "$WORK/requests.txt"
cat "$WORK/out"
assert_contains "$WORK/out" "dry-run: PATCH $ARMSIM_URL$site?api-version=2022-03-01"
assert_contains "$WORK/out" '"clientCertMode": "Required"'
assert_contains "$WORK/out" "dry-run: PUT $ARMSIM_URL/subscriptions/$sub/resourcegroups/dry-1?api-version=2021-04-01"
assert_contains "$WORK/out" "dry-run: DELETE $ARMSIM_URL$site?api-version=2022-03-01"
assert_eq 3 "$(summary dry_run_writes)" "writes printed"
# armsim saw the two reads and nothing else
assert_eq 0 "$(stat '.writes')" "writes that reached armsim"
assert_eq "Subscriptions_Get Token_V2 WebApps_Get" "$(stat '[.operations | keys[] | select(startswith("Armsim_") | not)] | join(" ")')" "operations armsim served"
# -v: one line out and one back per request, with timing; no header, no token
assert_contains "$WORK/err" "> GET $ARMSIM_URL$site?api-version=2022-03-01"
grep -q "^armload: debug: < 200 GET $ARMSIM_URL$site?api-version=2022-03-01 ([0-9]* bytes, [0-9]* ms)" "$WORK/err" ||
	fail "no response line with timing in -v output"
assert_not_contains "$WORK/err" "Authorization"
assert_not_contains "$WORK/err" "Bearer"
assert_not_contains "$WORK/err" "$ARMSIM_DEMO_SECRET"
