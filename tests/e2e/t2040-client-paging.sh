#!/bin/sh
# Paging over sites in pages of 7 (nextLink by GET) returns every site exactly once, at the
# acceptance size: 10,000 sites, 1,429 pages. armsim builds only the page's items, so this takes
# a few seconds (ITEMS=N runs another size).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/client-lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

ITEMS=${ITEMS:-10000}
pages=$(( (ITEMS + 6) / 7 ))
PAGE_SIZE=7 make_world subs=1,rgs=1,sites=$ITEMS,slots=0 big
start_armsim --world "$WORK/world.json"
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT"
export AZURE_CLIENT_SECRET=$ARMSIM_DEMO_SECRET
sub=$(world_value '.subscriptions[0].subscriptionId')
expect_exit 0 "$ARMLOAD" -c "$WORK/policyctl.ini" list GET "/subscriptions/$sub/providers/Microsoft.Web/sites"
cat "$WORK/out"
assert_contains "$WORK/out" "items=$ITEMS distinct=$ITEMS duplicates=0 unnamed=0 pages=$pages"
assert_eq $pages "$(stat '.operations.WebApps_List["200"]')" "pages served by armsim"
