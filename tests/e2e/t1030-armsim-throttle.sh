#!/bin/sh
# armsim throttling: a burst beyond the subscription read bucket gets 429 with Retry-After and
# the counter at 0; honouring Retry-After is served again, and only the retry that did not wait
# is counted in earlyRetries. Writes at management-group scope draw from the tenant bucket, and
# buckets are per principal.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"

"$ARMSIM" world --generate subs=1,sites=1,mgs=1 >gen.json
jq '.knobs = {throttle: {subscriptionReads: {burst: 5, refillPerSecond: 0.5},
	tenantWrites: {burst: 2, refillPerSecond: 0.5}}}' gen.json >world.json
SUB=$(json gen.json '.subscriptions[0].subscriptionId')
start_armsim --world world.json
get_token

# five reads are served, the counter going down; the sixth is throttled
i=1
while [ $i -le 5 ]; do
	arm GET "/subscriptions/$SUB/resourceGroups?api-version=2021-04-01"
	assert_eq 200 "$STATUS" "read $i"
	assert_contains "$WORK/headers" "x-ms-ratelimit-remaining-subscription-reads: $((5 - i))"
	i=$((i + 1))
done
arm GET "/subscriptions/$SUB/resourceGroups?api-version=2021-04-01"
assert_eq 429 "$STATUS" "read beyond the burst"
assert_eq TooManyRequests "$(error_code)" "429 code"
retry=$(sed -n 's/^Retry-After: \([0-9]*\).*/\1/Ip' "$WORK/headers")
[ -n "$retry" ] && [ "$retry" -ge 1 ] || fail "no Retry-After on the 429"
# retrying before Retry-After is not served
arm GET "/subscriptions/$SUB/resourceGroups?api-version=2021-04-01"
assert_eq 429 "$STATUS" "retry before Retry-After"
retry=$(sed -n 's/^Retry-After: \([0-9]*\).*/\1/Ip' "$WORK/headers")
# honouring it is served: Retry-After is the contract being tested, so waiting it out is right
sleep "$retry"
arm GET "/subscriptions/$SUB/resourceGroups?api-version=2021-04-01"
assert_eq 200 "$STATUS" "read after Retry-After"

curl -sS -o stats.json "$ARMSIM_URL/_armsim/stats"
[ "$(json stats.json '.throttled')" -ge 2 ] || fail "429s not counted in stats"
# the retry sent at once came before the announced Retry-After; the one that waited did not
assert_eq 1 "$(json stats.json '.earlyRetries')" "early retries in stats"

# management-group writes draw from the tenant bucket
MG=/providers/Microsoft.Management/managementGroups/mg-1
def='{"properties":{"policyRule":{"if":{"field":"type","equals":"Microsoft.Web/sites"},"then":{"effect":"audit"}}}}'
arm PUT "$MG/providers/Microsoft.Authorization/policyDefinitions/d1?api-version=2021-06-01" "$def"
assert_eq 201 "$STATUS" "tenant write 1"
assert_contains "$WORK/headers" "x-ms-ratelimit-remaining-tenant-writes: 1"
arm PUT "$MG/providers/Microsoft.Authorization/policyDefinitions/d2?api-version=2021-06-01" "$def"
assert_eq 201 "$STATUS" "tenant write 2"
arm PUT "$MG/providers/Microsoft.Authorization/policyDefinitions/d3?api-version=2021-06-01" "$def"
assert_eq 429 "$STATUS" "tenant write beyond the burst"
# subscription writes are a different bucket and still served
arm PUT "/subscriptions/$SUB/providers/Microsoft.Authorization/policyDefinitions/d4?api-version=2021-06-01" "$def"
assert_eq 201 "$STATUS" "subscription write while tenant writes are throttled"
