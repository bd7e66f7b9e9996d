#!/bin/sh
# Deny on site writes (403 RequestDisallowedByPolicy with PolicyViolation info), and what
# limits an assignment: notScopes, enforcementMode DoNotEnforce, exemptions (expired ones do
# not count); compliance records show exempt resources as Exempt; a changed site is evaluated
# again after the world's evaluation delay, without a scan.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
. "$TOP/tests/e2e/armsim-policy-lib.sh"

small_world "$WORK/world.json" '{"scanDurationMs": 1000, "evaluationDelayMs": 60000, "pageSize": 3}'
jq '.subscriptions[0] as $sub | "/subscriptions/\($sub.subscriptionId)" as $sid
	| "\($sid)/providers/Microsoft.Authorization/policyDefinitions/cc-deny" as $deny
	| "\($sid)/resourceGroups/az-cli-policy-insights-test" as $rg
	| def assignment($scope; $name; $mode; $not_scopes):
		{id: "\($scope)/providers/Microsoft.Authorization/policyAssignments/\($name)",
		 name: $name, type: "Microsoft.Authorization/policyAssignments",
		 properties: {policyDefinitionId: $deny, scope: $scope, enforcementMode: $mode,
			notScopes: $not_scopes, displayName: "deny \($name)",
			parameters: {effect: {value: "Deny"}}}};
	def exemption($scope; $name; $assignment; $expires):
		{id: "\($scope)/providers/Microsoft.Authorization/policyExemptions/\($name)",
		 name: $name, type: "Microsoft.Authorization/policyExemptions",
		 properties: {policyAssignmentId: $assignment, exemptionCategory: "Waiver",
			expiresOn: $expires}};
	"\($sid)/providers/Microsoft.Authorization/policyAssignments/deny-sub" as $a
	| .subscriptions[0].resourceGroups += [("dne-rg", "exempt-rg", "expired-rg")
		| {name: ., location: "westeurope", sites: []}]
	| .resources += [
		assignment($sid; "deny-sub"; "Default";
			["\($sid)/resourceGroups/other-rg", "\($sid)/resourceGroups/dne-rg"]),
		assignment("\($sid)/resourceGroups/dne-rg"; "deny-dne"; "DoNotEnforce"; []),
		exemption("\($sid)/resourceGroups/exempt-rg"; "waive"; $a; "2999-01-01T00:00:00Z"),
		exemption("\($sid)/resourceGroups/expired-rg"; "old"; $a; "2001-01-01T00:00:00Z"),
		exemption("\($rg)/providers/Microsoft.Web/sites/app-opt"; "opt-waived";
			"\($rg)/providers/Microsoft.Authorization/policyAssignments/remediate-rg";
			"2999-01-01T00:00:00Z")]' "$WORK/world.json" >"$WORK/world.tmp" && mv "$WORK/world.tmp" "$WORK/world.json"
start_armsim --world "$WORK/world.json" --time-scale 100
get_token
W=api-version=2024-11-01
site() { echo "/subscriptions/$SMALL_SUB/resourceGroups/$1/providers/Microsoft.Web/sites/$2?$W"; }
BAD='{"location":"westeurope","kind":"app","properties":{"clientCertEnabled":false}}'
GOOD='{"location":"westeurope","kind":"app","properties":{"clientCertEnabled":true,"clientCertMode":"Required"}}'

# Deny: a site without client certificates required is refused, with the policy named
arm PUT "$(site az-cli-policy-insights-test new-bad)" "$BAD"
assert_eq 403 "$STATUS" "deny on PUT"
assert_eq RequestDisallowedByPolicy "$(error_code)" "deny code"
assert_eq "PolicyViolation deny-sub Deny" "$(json "$WORK/body" '.error.additionalInfo[0] | "\(.type) \(.info.policyAssignmentName) \(.info.policyDefinitionEffect)"')" "violation info"
assert_contains "$WORK/body" "was disallowed by policy"
arm PUT "$(site az-cli-policy-insights-test new-good)" "$GOOD"
assert_eq 200 "$STATUS" "compliant PUT"
arm PATCH "$(site az-cli-policy-insights-test app-ok)" '{"properties":{"clientCertMode":"Optional"}}'
assert_eq 403 "$STATUS" "deny on PATCH to Optional"
arm GET "$(site az-cli-policy-insights-test app-ok)"
assert_eq Required "$(json "$WORK/body" '.properties.clientCertMode')" "denied PATCH changed nothing"
# Azure Policy judges a PUT by its payload, a PATCH by the site it leaves: on a compliant
# site, a PUT without the two properties is denied though App Service would keep them
arm PUT "$(site az-cli-policy-insights-test app-ok)" '{"location":"westeurope","properties":{"httpsOnly":true}}'
assert_eq "403 RequestDisallowedByPolicy" "$STATUS $(error_code)" "deny on a PUT that leaves the properties out"
arm PATCH "$(site az-cli-policy-insights-test app-ok)" '{"properties":{"httpsOnly":true}}'
assert_eq 200 "$STATUS" "a PATCH that leaves them out keeps a compliant site"

# notScopes, DoNotEnforce, a live exemption: allowed; an expired exemption: denied
arm PUT "$(site other-rg new-bad)" "$BAD"
assert_eq 200 "$STATUS" "notScopes"
arm PUT "$(site dne-rg new-bad)" "$BAD"
assert_eq 200 "$STATUS" "DoNotEnforce"
arm PUT "$(site exempt-rg new-bad)" "$BAD"
assert_eq 200 "$STATUS" "exempted"
arm PUT "$(site expired-rg new-bad)" "$BAD"
assert_eq 403 "$STATUS" "expired exemption"

# compliance: DoNotEnforce still reports; the exempted site is Exempt for its assignment
scan "$SMALL_SUB"
Q="/subscriptions/$SMALL_SUB/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults?api-version=2019-10-01"
arm POST "$Q&\$filter=ComplianceState%20eq%20'Exempt'"
# app-opt (waived from remediate-rg) and the site created in exempt-rg (waived from deny-sub)
assert_eq "app-opt:remediate-rg new-bad:deny-sub" "$(json "$WORK/body" '[.value[] | (.resourceId | split("/") | last) + ":" + .policyAssignmentName] | sort | join(" ")')" "exempt records"
arm POST "$Q&\$filter=PolicyAssignmentId%20eq%20'/subscriptions/$SMALL_SUB/resourceGroups/dne-rg/providers/Microsoft.Authorization/policyAssignments/deny-dne'"
assert_eq "new-bad NonCompliant" "$(json "$WORK/body" '.value[0] | (.resourceId | split("/") | last) + " " + .complianceState')" "DoNotEnforce still evaluated"
# pages of pageSize (3), the next one fetched by POST on @odata.nextLink until it is null
arm POST "$Q"
pages=1
cp "$WORK/body" "$WORK/page.json"
ids=$(json "$WORK/page.json" '[.value[] | .resourceId + .policyAssignmentId] | join(" ")')
next=$(json "$WORK/page.json" '."@odata.nextLink" // ""')
while [ -n "$next" ]; do
	STATUS=$(curl -sS -o "$WORK/page.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" "$next")
	assert_eq 200 "$STATUS" "next page"
	ids="$ids $(json "$WORK/page.json" '[.value[] | .resourceId + .policyAssignmentId] | join(" ")')"
	next=$(json "$WORK/page.json" '."@odata.nextLink" // ""')
	pages=$((pages + 1))
done
n=$(echo $ids | wc -w)
[ $pages -ge 3 ] || fail "only $pages pages for $n records"
assert_eq "$n" "$(echo $ids | tr ' ' '\n' | sort -u | wc -l)" "no record twice across pages"
arm POST "$Q&\$filter=ComplianceState%20eq%20'NonCompliant'&\$top=2"
assert_eq 2 "$(json "$WORK/body" '.value | length')" "\$top"
arm POST "$Q&\$filter=Nonsense%20eq%20'x'"
assert_eq 400 "$STATUS" "bad filter"
arm POST "/subscriptions/$SMALL_SUB/providers/Microsoft.PolicyInsights/policyStates/latest/summarize?api-version=2019-10-01"
assert_eq 200 "$STATUS" "summarize"
# remediate-rg: app-off and app-locked non-compliant, app-ok and new-good compliant, app-opt
# exempt
assert_eq "2 2 1 2" "$(json "$WORK/body" '.value[0].policyAssignments[]
	| select(.policyAssignmentId | endswith("/remediate-rg")) | .results
	| (.resourceDetails | map({(.complianceState): .count}) | add) as $c
	| "\($c.noncompliant) \($c.compliant) \($c.exempt) \(.nonCompliantResources)"')" \
	"summarize of remediate-rg: non-compliant, compliant, exempt, nonCompliantResources"
[ "$(json "$WORK/body" '.value[0].results.nonCompliantResources')" -ge 2 ] ||
	fail "summarize: fewer than 2 non-compliant resources in total"

# a change is evaluated again after the evaluation delay (60 s simulated), not at once
north="$(site other-rg app-north)"
arm POST "$Q&\$filter=ResourceId%20eq%20'/subscriptions/$SMALL_SUB/resourceGroups/other-rg/providers/Microsoft.Web/sites/app-north'"
assert_eq NonCompliant "$(json "$WORK/body" '.value[0].complianceState')" "before the change"
arm PATCH "$north" '{"properties":{"clientCertEnabled":true,"clientCertMode":"Required"}}'
assert_eq 200 "$STATUS" "patch app-north"
arm POST "$Q&\$filter=ResourceId%20eq%20'/subscriptions/$SMALL_SUB/resourceGroups/other-rg/providers/Microsoft.Web/sites/app-north'"
assert_eq NonCompliant "$(json "$WORK/body" '.value[0].complianceState')" "right after the change"
compliant_now() {
	arm POST "$Q&\$filter=ResourceId%20eq%20'/subscriptions/$SMALL_SUB/resourceGroups/other-rg/providers/Microsoft.Web/sites/app-north'"
	[ "$(json "$WORK/body" '.value[0].complianceState')" = Compliant ]
}
poll_until 15 compliant_now
