#!/bin/sh
# armsim's Resource Graph (POST /providers/Microsoft.ResourceGraph/resources): $skipToken paging
# returns every row once and in order, a result without id cannot page and says
# resultTruncated "true", the table format, facets, ARG's 400 shape naming an unsupported
# operator or the token that did not parse, rows only from what the caller may read, the
# quota headers and 429, and the reflection lag knob.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
command -v jq >/dev/null 2>&1 || skip "jq is not installed"

READER_CLIENT=5eade700-0000-4000-8000-0000000000c1
READER_SECRET=reader-secret-for-armsim-only

"$ARMSIM" world --generate "subs=3,sites=10,slots=0.5,seed=2" >world.json
sub1=$(jq -r '.subscriptions[0].subscriptionId' world.json)
sub2=$(jq -r '.subscriptions[1].subscriptionId' world.json)
jq --arg sub "/subscriptions/$sub1" --arg c "$READER_CLIENT" --arg s "$READER_SECRET" \
	'.principals += [{displayName: "reader", objectId: "5eade700-0000-4000-8000-0000000000c2",
	  clientId: $c, clientSecret: $s, roleAssignments: [{role: "Reader", scope: $sub}]}]' \
	world.json >w.json && mv w.json world.json
start_armsim --world world.json
get_token
Q=/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01

# graph QUERY [OPTIONS-JSON] [EXTRA-JSON] — POST a query; body in $WORK/body, status in $STATUS
graph() {
	arm POST "$Q" "$(jq -cn --arg q "$1" --argjson o "${2:-{\}}" --argjson x "${3:-{\}}" \
		'{query: $q, options: $o} + $x')"
}

# paging: every site once, in order, across pages of 7
sites=$(jq '[.subscriptions[].resourceGroups[].sites[]] | length' world.json)
query="resources | where type =~ 'microsoft.web/sites' | project id, name | order by id asc"
: >ids.txt
opts='{"$top":7}'
pages=0
while :; do
	graph "$query" "$opts"
	assert_eq 200 "$STATUS" "page status"
	jq -e '.resultTruncated == "false" and .count <= 7 and .count == (.data | length)' body >/dev/null ||
		fail "page shape: $(cat body)"
	assert_eq "$sites" "$(jq .totalRecords body)" "totalRecords"
	jq -r '.data[].id' body >>ids.txt
	pages=$((pages + 1))
	token=$(jq -r '."$skipToken" // empty' body)
	[ -n "$token" ] || break
	opts=$(jq -cn --arg t "$token" '{"$top": 7, "$skipToken": $t}')
done
assert_eq "$sites" "$(sort -u ids.txt | wc -l | tr -d ' ')" "distinct ids over all pages"
assert_eq "$(sort ids.txt | tr '\n' ' ')" "$(tr '\n' ' ' <ids.txt)" "ids in order"
assert_eq $(( (sites + 6) / 7 )) "$pages" "pages"
grep -q '/Microsoft.Web/sites/' ids.txt || fail "ids keep ARM's case"

# no id column: paging impossible, the result says it is truncated
graph "resources | project name" '{"$top":5}'
jq -e '.resultTruncated == "true" and .count == 5 and (has("$skipToken") | not)' body >/dev/null ||
	fail "a result without id should be truncated: $(cat body)"

# table format, types in lower case as ARG returns them, facets
graph "resources | summarize count() by type | order by type asc" '{"resultFormat":"table"}' \
	'{"facets":[{"expression":"location","options":{"$top":1,"sortOrder":"desc"}}]}'
assert_eq 200 "$STATUS" "table status"
jq -e '.data.columns == [{"name":"type","type":"string"},{"name":"count_","type":"integer"}]' body >/dev/null ||
	fail "table columns: $(cat body)"
assert_eq '["microsoft.web/sites","microsoft.web/sites/slots"]' "$(jq -c '[.data.rows[][0]]' body)" "types"
jq -e '.facets[0].resultType == "FacetResult" and .facets[0].count == 1 and .facets[0].totalRecords >= 1' body >/dev/null ||
	fail "facet: $(cat body)"

# outside the subset: 400 BadRequest, InvalidQuery, then the operator or the token
graph "resources | join (resources) on id"
assert_eq 400 "$STATUS" "unsupported operator status"
jq -e '.error.code == "BadRequest" and .error.details[0].code == "InvalidQuery"
	and .error.details[1].code == "UnsupportedOperator" and .error.details[1].operator == "join"' body >/dev/null ||
	fail "unsupported operator body: $(cat body)"
graph "resources | where name == "
jq -e '.error.details[1].code == "ParserFailure" and .error.details[1].line == 1
	and .error.details[1].characterPositionInLine == 26' body >/dev/null || fail "parse error body: $(cat body)"
graph "resources" '{"$top":1001}'
assert_eq 400 "$STATUS" "\$top over 1000"

# read access per subscription: Reader on the first subscription sees its rows only
get_token "$READER_CLIENT" "$READER_SECRET"
graph "resources | distinct subscriptionId"
assert_eq "[\"$sub1\"]" "$(jq -c '[.data[].subscriptionId]' body)" "subscriptions a reader sees"
arm POST "$Q" "$(jq -cn --arg s "$sub2" '{query: "resources | count", subscriptions: [$s]}')"
assert_eq 0 "$(jq '.data[0].Count' body)" "rows of a subscription without access"

# quota and lag: 3 queries per 2 s, a write shows after 10 simulated seconds (1 s here)
stop_armsim
jq '.knobs = {resourceGraphQuota: 3, resourceGraphQuotaWindowMs: 2000, resourceGraphLagMs: 10000}' \
	world.json >w.json && mv w.json world.json
start_armsim --world world.json --time-scale 10
get_token
graph "resources | count"
assert_eq 2 "$(tr -d '\r' <headers | awk -F': ' 'tolower($1) == "x-ms-user-quota-remaining" {print $2}')" "quota left"
tr -d '\r' <headers | grep -qi '^x-ms-user-quota-resets-after: 00:00:0[12]$' || fail "resets-after: $(cat headers)"

site=$(jq -r '[.subscriptions[0].resourceGroups[0].sites[] | select(.locked != true)][0].name' world.json)
id="/subscriptions/$sub1/resourceGroups/rg-1/providers/Microsoft.Web/sites/$site"
lagq="resources | where name == '$site' | project id, m = tostring(properties.clientCertMode)"
graph "$lagq"
before=$(jq -r '.data[0].m' body)
new=Optional
[ "$before" = Optional ] && new=OptionalInteractiveUser
arm PATCH "$id?api-version=2024-11-01" "{\"properties\":{\"clientCertMode\":\"$new\"}}"
assert_eq 200 "$STATUS" "PATCH"
graph "$lagq"
assert_eq "$before" "$(jq -r '.data[0].m' body)" "Resource Graph right after the write"
graph "$lagq"
if [ "$STATUS" = 429 ]; then
	jq -e '.error.code == "RateLimiting" and .error.details[0].code == "RateLimiting"' body >/dev/null ||
		fail "429 body: $(cat body)"
	tr -d '\r' <headers | grep -qi '^retry-after: [0-9]' || fail "429 without Retry-After"
	tr -d '\r' <headers | grep -qi '^x-ms-user-quota-remaining: 0$' || fail "429 with quota left: $(cat headers)"
else
	# a loaded machine took more than the window for the four queries: the quota reset
	assert_eq 200 "$STATUS" "a query in a new window"
fi
# polled within the quota, the write shows once the lag has passed
shows_new() { graph "$lagq" && [ "$STATUS" = 200 ] && [ "$(jq -r '.data[0].m' "$WORK/body")" = "$new" ]; }
poll_until 30 shows_new
