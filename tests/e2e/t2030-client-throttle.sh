#!/bin/sh
# Against small throttling buckets (burst 20, 20 a second, per subscription), a run of 400 reads
# over two subscriptions is paced by the client from the x-ms-ratelimit-remaining-* headers:
# fewer than 2% of its requests get a 429, and after a 429 nothing goes to that bucket before
# its Retry-After.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/client-lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

make_world subs=2,sites=4 20:20
start_armsim --world "$WORK/world.json"
write_config client-secret "client_id = $DEMO_CLIENT"
export AZURE_CLIENT_SECRET=$DEMO_SECRET

sites >"$WORK/sites.txt"
awk 'NR == FNR { site[n++] = $0; next } END { for (i = 0; i < 400; i++) print "GET " site[i % n] " 200" }' \
	"$WORK/sites.txt" /dev/null >"$WORK/requests.txt"
expect_exit 0 "$ARMLOAD" -c "$WORK/policyctl.ini" run "$WORK/requests.txt"
cat "$WORK/out"
assert_eq 400 "$(summary ok)" "reads that completed"
requests=$(stat "s['operations']['WebApps_Get'].get('200', 0) + s['operations']['WebApps_Get'].get('429', 0)")
throttled=$(stat "s['operations']['WebApps_Get'].get('429', 0)")
echo "armsim: $requests site reads, $throttled answered 429"
[ $((throttled * 50)) -lt "$requests" ] || fail "$throttled of $requests requests throttled (2% allowed)"
assert_eq "$throttled" "$(summary throttled)" "429s seen by the client"
# no request before its Retry-After: armsim counts retries (same x-ms-client-request-id) that
# reach the bucket before the instant (ms) their 429 announced (docs/armsim.md, Throttling)
echo "armsim: $(stat "s['earlyRequests']") requests reached a bucket inside a Retry-After (in flight included)"
assert_eq 0 "$(stat "s['earlyRetries']")" "requests retried before their Retry-After"
