#!/bin/sh
# run-alone: its bound (at most 2% of reads answered 429) is a rate; a busy machine skews it
# Against small throttling buckets (burst 20, 20 a second, per subscription), a run of 400 reads
# over two subscriptions is paced by the client from the x-ms-ratelimit-remaining-* headers:
# fewer than 2% of its requests get a 429, and after a 429 nothing goes to that bucket before
# its Retry-After.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/client-lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

make_world subs=2,sites=4 20:20
start_armsim --world "$WORK/world.json"
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT"
export AZURE_CLIENT_SECRET=$ARMSIM_DEMO_SECRET

sites >"$WORK/sites.txt"
awk 'NR == FNR { site[n++] = $0; next } END { for (i = 0; i < 400; i++) print "GET " site[i % n] " 200" }' \
	"$WORK/sites.txt" /dev/null >"$WORK/requests.txt"
expect_exit 0 "$ARMLOAD" -c "$WORK/policyctl.ini" run "$WORK/requests.txt"
cat "$WORK/out"
assert_eq 400 "$(summary ok)" "reads that completed"
requests=$(stat '(.operations.WebApps_Get["200"] // 0) + (.operations.WebApps_Get["429"] // 0)')
throttled=$(stat '(.operations.WebApps_Get["429"] // 0)')
echo "armsim: $requests site reads, $throttled answered 429"
[ $((throttled * 50)) -lt "$requests" ] || fail "$throttled of $requests requests throttled (2% allowed)"
assert_eq "$throttled" "$(summary throttled)" "429s seen by the client"
# no request before its Retry-After: armsim counts retries (same x-ms-client-request-id) that
# reach the bucket before the instant (ms) their 429 announced (docs/armsim.md, Throttling)
echo "armsim: $(stat '.earlyRequests') requests reached a bucket inside a Retry-After (in flight included)"
assert_eq 0 "$(stat '.earlyRetries')" "requests retried before their Retry-After"

# The same proof where 429s are certain: just before the client starts, another caller with
# the same principal (curl; each request its own x-ms-client-request-id, so none counts as a
# retry) empties the subscription's bucket (3, refilled one token every 2 s). The client's
# pacing cannot know, so its first read gets a 429; every read still completes, and none of
# its retries reaches armsim before the instant its 429 announced.
stop_armsim
make_world subs=1,sites=4 3:0.5
start_armsim --world "$WORK/world.json"
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT"
sites >"$WORK/sites.txt"
awk 'NR == FNR { site[n++] = $0; next } END { for (i = 0; i < 5; i++) print "GET " site[i % n] " 200" }' \
	"$WORK/sites.txt" /dev/null >"$WORK/requests.txt"
token=$(curl -sS -d grant_type=client_credentials -d "client_id=$ARMSIM_DEMO_CLIENT" \
	-d "client_secret=$ARMSIM_DEMO_SECRET" -d "scope=$ARMSIM_URL/.default" \
	"$ARMSIM_URL/$ARMSIM_DEMO_TENANT/oauth2/v2.0/token" |
	jq -r .access_token)
site=$(head -n 1 "$WORK/sites.txt")
for i in 1 2 3 4 5 6; do
	curl -sS -o /dev/null -H "Authorization: Bearer $token" \
		-H "x-ms-client-request-id: drain-$i" "$ARMSIM_URL$site?api-version=2022-03-01"
done
expect_exit 0 "$ARMLOAD" -c "$WORK/policyctl.ini" run "$WORK/requests.txt"
cat "$WORK/out"
assert_eq 5 "$(summary ok)" "reads that completed after the bucket was emptied"
client_throttled=$(summary throttled)
echo "client: $client_throttled of its attempts answered 429"
[ "$client_throttled" -gt 0 ] || fail "the client was never throttled: the test proves nothing"
assert_eq 0 "$(stat '.earlyRetries')" "client retries sent before their Retry-After"
