#!/bin/sh
# armsim basics: world generation is deterministic, the server answers a token request and ARM
# GETs with the headers every ARM response has, and refuses what ARM refuses (no token, no or an
# unknown api-version, an unknown path).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"

# the same spec gives the same world, a different seed another one
"$ARMSIM" world --generate subs=3,sites=4,seed=7 >w1.json
"$ARMSIM" world --generate subs=3,sites=4,seed=7 >w2.json
"$ARMSIM" world --generate subs=3,sites=4,seed=8 >w3.json
cmp -s w1.json w2.json || fail "generation is not deterministic"
! cmp -s w1.json w3.json || fail "the seed does not change the world"
expect_exit 2 "$ARMSIM" world --generate subs=x
assert_contains "$WORK/err" "world spec key 'subs'"
expect_exit 2 "$ARMSIM" world --generate colour=blue
assert_contains "$WORK/err" "'colour' is unknown"

# a broken world file is refused with the entry named
printf '{"tenantId":"t","subscriptions":[{"displayName":"x"}]}' >bad.json
expect_exit 2 "$ARMSIM" serve --world bad.json --listen 127.0.0.1:0
assert_contains "$WORK/err" "subscriptions[0].subscriptionId: missing"

start_armsim --world w1.json
SUB=$(json w1.json '.subscriptions[0].subscriptionId')
SITE=$(json w1.json '.subscriptions[0].resourceGroups[0].sites[0].name')

get_token
arm GET "/subscriptions?api-version=2022-12-01"
assert_eq 200 "$STATUS" "subscriptions list"
assert_eq 3 "$(json "$WORK/body" '.value | length')" "subscriptions listed"
grep -qi '^x-ms-request-id: ' "$WORK/headers" || fail "no x-ms-request-id"
grep -qi '^x-ms-ratelimit-remaining-tenant-reads: ' "$WORK/headers" || fail "no tenant read counter"
grep -qi '^Content-Type: application/json' "$WORK/headers" || fail "no JSON content type"

# the correlation id is echoed
code=$(curl -sS -o /dev/null -D "$WORK/h2" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	-H 'x-ms-correlation-request-id: 0b6d5c3e-aaaa-4bbb-8ccc-123456789abc' \
	"$ARMSIM_URL/subscriptions/$SUB?api-version=2019-11-01")
assert_eq 200 "$code" "subscription get"
assert_contains "$WORK/h2" "x-ms-correlation-request-id: 0b6d5c3e-aaaa-4bbb-8ccc-123456789abc"
grep -qi '^x-ms-ratelimit-remaining-subscription-reads: ' "$WORK/h2" || fail "no subscription read counter"

arm GET "/subscriptions/$SUB/resourceGroups/rg-1/providers/Microsoft.Web/sites/$SITE?api-version=2024-11-01"
assert_eq 200 "$STATUS" "site get"
assert_eq "$SITE.azurewebsites.net" "$(json "$WORK/body" '.properties.defaultHostName')" "host name"

arm GET "/subscriptions/$SUB/resourceGroups/rg-1/providers/Microsoft.Web/sites/$SITE"
assert_eq 400 "$STATUS" "missing api-version"
assert_eq MissingApiVersionParameter "$(error_code)" "missing api-version code"
arm GET "/subscriptions/$SUB/resourceGroups/rg-1/providers/Microsoft.Web/sites/$SITE?api-version=2015-08-01"
assert_eq 400 "$STATUS" "unknown api-version"
assert_eq InvalidApiVersionParameter "$(error_code)" "unknown api-version code"
grep -qi '^x-ms-ratelimit-remaining-subscription-reads: ' "$WORK/headers" || fail "no read counter on a refused request"
arm GET "/subscriptions/$SUB/providers/Microsoft.Nothing/things?api-version=2024-11-01"
assert_eq 404 "$STATUS" "unknown path"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$ARMSIM_URL/subscriptions/$SUB/providers/Microsoft.Nothing/things?api-version=2024-11-01")
assert_eq 401 "$code" "unknown path without a token"

# no token: 401 with WWW-Authenticate
code=$(curl -sS -o "$WORK/body" -D "$WORK/h3" -w '%{http_code}' "$ARMSIM_URL/subscriptions?api-version=2022-12-01")
assert_eq 401 "$code" "no token"
grep -qi '^WWW-Authenticate: Bearer authorization_uri=' "$WORK/h3" || fail "no WWW-Authenticate"

# introspection counts what happened
curl -sS -o stats.json "$ARMSIM_URL/_armsim/stats"
assert_eq 1 "$(json stats.json '.operations.WebApps_Get["200"]')" "site gets counted"
curl -sS -o world.json "$ARMSIM_URL/_armsim/world"
assert_eq "$SUB" "$(json world.json '.subscriptions[0].subscriptionId')" "world dump"
