#!/bin/sh
# Tokens are refreshed before they expire: with armsim issuing 2-second tokens and a run paced
# over several seconds by small buckets, the client fetches new tokens on its own and no request
# is refused with 401.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/client-lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

make_world subs=1,sites=2 5:10
jq '.knobs.tokenLifetimeSeconds = 2' "$WORK/world.json" >"$WORK/world.tmp"
mv "$WORK/world.tmp" "$WORK/world.json"
start_armsim --world "$WORK/world.json"
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT"
export AZURE_CLIENT_SECRET=$ARMSIM_DEMO_SECRET
site=$(sites | head -n 1)
expect_exit 0 "$ARMLOAD" -v -c "$WORK/policyctl.ini" get "$site" 25
cat "$WORK/out"
assert_eq 25 "$(summary ok)" "reads"
elapsed=$(summary elapsed_ms)
[ "$elapsed" -ge 3000 ] || fail "the run took only $elapsed ms: too short to outlive a token"
tokens=$(stat '.operations.Token_V2["200"]')
echo "$tokens tokens fetched over $elapsed ms"
[ "$tokens" -ge 3 ] || fail "only $tokens tokens fetched over $elapsed ms of 2-second tokens"
assert_eq 0 "$(stat '(.operations.WebApps_Get["401"] // 0)')" "requests refused with 401"
