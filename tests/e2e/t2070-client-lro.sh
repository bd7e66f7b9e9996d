#!/bin/sh
# Long-running operations against armsim: deleting resource groups answers 202 with Location
# and Retry-After; the client polls each Location to its final 200, and the groups are gone.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/client-lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

make_world subs=1,sites=1 big
start_armsim --world "$WORK/world.json"
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT"
export AZURE_CLIENT_SECRET=$ARMSIM_DEMO_SECRET
sub=$(world_value '.subscriptions[0].subscriptionId')
for i in $(seq 30); do
	echo "PUT /subscriptions/$sub/resourcegroups/lro-$i 201 {\"location\":\"westeurope\"}"
done >"$WORK/create.txt"
sed 's|^PUT \([^ ]*\) .*|DELETE \1 200|' "$WORK/create.txt" >"$WORK/delete.txt"
sed 's|^PUT \([^ ]*\) .*|GET \1 404|' "$WORK/create.txt" >"$WORK/gone.txt"

expect_exit 0 "$ARMLOAD" -c "$WORK/policyctl.ini" run "$WORK/create.txt"
expect_exit 0 "$ARMLOAD" -c "$WORK/policyctl.ini" run "$WORK/delete.txt"
cat "$WORK/out"
assert_eq 30 "$(summary ok)" "deletes followed to their end"
assert_eq 30 "$(summary lro_polls)" "Location polls"
assert_eq 30 "$(stat '.operations.Operations_GetResult["200"]')" "operation results armsim served"
expect_exit 0 "$ARMLOAD" -c "$WORK/policyctl.ini" run "$WORK/gone.txt"
assert_eq 30 "$(summary ok)" "groups gone (404)"
