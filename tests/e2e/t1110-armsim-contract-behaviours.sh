#!/bin/sh
# armsim behaves as recorded Azure where it used to differ (issue 11): a scan's 202s carry
# Retry-After (30 simulated seconds, scaled) at 2024-10-01 and none at the recorded 2019-10-01;
# a remediation for an Audit or AuditIfNotExists member of an initiative, or for a definition
# on another provider's aliases, is accepted (201, nothing to do); empty path segments are
# ARM's ("//" is "/"), so a DELETE through one deletes; $top on listDeployments returns that
# many and no nextLink; policyStates $apply/$select/$orderby answer in the API's shape or 400;
# summarize has policyDetails and policyGroupDetails; HEAD on a resource group is 204/404.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"

"$ARMSIM" world --generate mgs=1,subs=1,rgs=1,sites=3,noncompliant=1,slots=0,functions=0,locked=0,http2=0,seed=5 >gen.json
python3 - gen.json world.json "$TOP/policies/rest" <<'PY'
import json, sys, os
src, out, rest = sys.argv[1:4]
d = json.load(open(src))
sub = d["subscriptions"][0]["subscriptionId"]
s = "/subscriptions/" + sub
authz = s + "/providers/Microsoft.Authorization/"
principal = "5e1f0000-0000-4000-8000-0000000011aa"
for site in d["subscriptions"][0]["resourceGroups"][0]["sites"]:
    site["properties"]["clientCertEnabled"] = False  # every member applies to every site
d["knobs"] = {"scanDurationMs": 20000, "deploymentDurationMs": 1000, "evaluationDelayMs": 1000}
d["principals"].append({"displayName": "policy", "objectId": principal,
    "clientId": "5e1f0000-0000-4000-8000-0000000011ab", "managed": True,
    "roleAssignments": [{"role": "Website Contributor", "scope": s}]})
dine = json.load(open(os.path.join(rest, "managementGroups/contoso-landing-zones/policyDefinitions/appservice-client-cert-webapp.json")))
dine.update({"id": authz + "policyDefinitions/cc-webapp", "name": "cc-webapp",
             "type": "Microsoft.Authorization/policyDefinitions"})
audit = {"id": authz + "policyDefinitions/cc-audit", "name": "cc-audit",
         "type": "Microsoft.Authorization/policyDefinitions",
         "properties": {"mode": "Indexed", "policyRule": {
             "if": {"allOf": [{"field": "type", "equals": "Microsoft.Web/sites"},
                              {"field": "Microsoft.Web/sites/clientCertEnabled", "notEquals": True}]},
             "then": {"effect": "audit"}}}}
builtin = "/providers/Microsoft.Authorization/policyDefinitions/19dd1db6-f442-49cf-a838-b0786b4401ef"
cc_set = {"id": authz + "policySetDefinitions/cc-set", "name": "cc-set",
          "type": "Microsoft.Authorization/policySetDefinitions",
          "properties": {"policyDefinitionGroups": [{"name": "certs"}, {"name": "audits"}],
              "policyDefinitions": [
                  {"policyDefinitionId": dine["id"], "policyDefinitionReferenceId": "web", "groupNames": ["certs"]},
                  {"policyDefinitionId": audit["id"], "policyDefinitionReferenceId": "audit", "groupNames": ["audits"]},
                  {"policyDefinitionId": builtin, "policyDefinitionReferenceId": "builtin", "groupNames": ["audits"],
                   "parameters": {"effect": {"value": "AuditIfNotExists"}}}]}}
d["resources"] = [dine, audit, cc_set, {
    "id": authz + "policyAssignments/set-sub", "name": "set-sub",
    "type": "Microsoft.Authorization/policyAssignments", "location": "westeurope",
    "identity": {"type": "SystemAssigned", "principalId": principal},
    "properties": {"policyDefinitionId": cc_set["id"], "scope": s}}]
json.dump(d, open(out, "w"), indent=1)
PY
start_armsim --world world.json --time-scale 10
get_token
SUB=$(json world.json '.subscriptions[0].subscriptionId')
S=/subscriptions/$SUB
RG=$S/resourceGroups/$(json world.json '.subscriptions[0].resourceGroups[0].name')
AUTHZ=providers/Microsoft.Authorization
PI=providers/Microsoft.PolicyInsights
SET_A=$S/$AUTHZ/policyAssignments/set-sub

# HEAD on a resource group: 204 when it exists, 404 when not
assert_eq 204 "$(curl -sS -o /dev/null -w '%{http_code}' -I -H "Authorization: Bearer $TOKEN" "$ARMSIM_URL$RG?api-version=2021-04-01")" "HEAD existing group"
assert_eq 404 "$(curl -sS -o /dev/null -w '%{http_code}' -I -H "Authorization: Bearer $TOKEN" "$ARMSIM_URL$S/resourceGroups/nope?api-version=2021-04-01")" "HEAD missing group"

# a scan at 2024-10-01: Retry-After = 30 simulated seconds at --time-scale 10 = 3 s
arm POST "$S/$PI/policyStates/latest/triggerEvaluation?api-version=2024-10-01"
assert_eq 202 "$STATUS" "triggerEvaluation at 2024-10-01"
assert_eq 3 "$(header Retry-After)" "Retry-After on the trigger (30 s simulated, x10)"
location=$(header Location)
assert_eq 202 "$(get_status "$location")" "the scan runs (20 s simulated)"
assert_eq 3 "$(header Retry-After)" "Retry-After on the operation poll"
# at 2019-10-01 the recorded traffic has none
arm POST "$S/$PI/policyStates/latest/triggerEvaluation?api-version=2019-10-01"
assert_eq 202 "$STATUS" "triggerEvaluation at 2019-10-01"
assert_eq "" "$(header Retry-After)" "no Retry-After at 2019-10-01 (as recorded)"
assert_eq 200 "$(poll_value 20 '!202' get_status "$location")" "scan done"

# remediations for members that cannot deploy: accepted, nothing to do
R=$S/$PI/remediations
for ref in audit builtin; do
	arm PUT "$R/$ref?api-version=2021-10-01" "{\"properties\":{\"policyAssignmentId\":\"$SET_A\",\"policyDefinitionReferenceId\":\"$ref\"}}"
	assert_eq 201 "$STATUS" "remediation of the $ref member"
	assert_eq "Succeeded 0" "$(json "$WORK/body" '"\(.properties.provisioningState) \(.properties.deploymentStatus.totalDeployments)"')" "$ref member: nothing to do"
done
# a definition on another provider's aliases: accepted, assigned, remediated with nothing to do
arm PUT "$S/$AUTHZ/policyDefinitions/storage-https?api-version=2021-06-01" \
	'{"properties":{"mode":"Indexed","policyRule":{"if":{"allOf":[{"field":"type","equals":"Microsoft.Storage/storageAccounts"},{"field":"Microsoft.Storage/storageAccounts/supportsHttpsTrafficOnly","notEquals":true}]},"then":{"effect":"modify","details":{"roleDefinitionIds":["/providers/Microsoft.Authorization/roleDefinitions/17d1049b-9a84-46fb-8f53-869881c3d3ab"],"operations":[{"operation":"addOrReplace","field":"Microsoft.Storage/storageAccounts/supportsHttpsTrafficOnly","value":true}]}}}}}'
assert_eq 201 "$STATUS" "definition with Microsoft.Storage aliases"
arm PUT "$S/$AUTHZ/policyAssignments/storage?api-version=2021-06-01" \
	"{\"location\":\"westeurope\",\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{\"policyDefinitionId\":\"$S/$AUTHZ/policyDefinitions/storage-https\"}}"
assert_eq 201 "$STATUS" "its assignment"
arm PUT "$R/storage?api-version=2021-10-01" "{\"properties\":{\"policyAssignmentId\":\"$S/$AUTHZ/policyAssignments/storage\"}}"
assert_eq 201 "$STATUS" "remediation of the Microsoft.Storage definition"
assert_eq Succeeded "$(json "$WORK/body" .properties.provisioningState)" "nothing to do"

# empty path segments are ARM's: a DELETE through "//" deletes what it names
arm DELETE "$S//$AUTHZ/policyAssignments//storage?api-version=2021-06-01"
assert_eq 200 "$STATUS" "DELETE with empty segments"
arm GET "$S/$AUTHZ/policyAssignments/storage?api-version=2021-06-01"
assert_eq 404 "$STATUS" "the assignment is gone"
arm GET "$S//resourceGroups//$(json world.json '.subscriptions[0].resourceGroups[0].name')?api-version=2021-04-01"
assert_eq 200 "$STATUS" "GET with empty segments"

# policyStates: $apply, $orderby, $select in the API's shapes (the scan above evaluated)
Q="$S/$PI/policyStates/latest/queryResults?api-version=2019-10-01"
arm POST "$Q"
assert_eq 200 "$STATUS" "queryResults"
records=$(json "$WORK/body" '.value | length')
[ "$records" -ge 6 ] || fail "expected records for 3 sites x the members, got $records"
arm POST "$Q&\$apply=groupby((ComplianceState),%20aggregate(\$count%20as%20n))"
assert_eq 200 "$STATUS" "groupby with aggregate"
assert_eq "$records" "$(json "$WORK/body" '[.value[].n] | add')" "the groups count every record"
assert_eq "complianceState n" "$(json "$WORK/body" '.value[0] | keys_unsorted - ["@odata.id","@odata.context"] | join(" ")')" "a group row's columns"
arm POST "$Q&\$filter=ComplianceState%20eq%20'NonCompliant'&\$apply=aggregate(\$count%20as%20NumNonCompliant)"
assert_eq 200 "$STATUS" "aggregate alone"
assert_eq 1 "$(json "$WORK/body" '.value | length')" "aggregate: one row"
[ "$(json "$WORK/body" '.value[0].NumNonCompliant')" -ge 3 ] || fail "aggregate counts the non-compliant records"
arm POST "$Q&\$select=ResourceId,%20ComplianceState&\$orderby=ResourceId%20asc"
assert_eq 200 "$STATUS" "select and orderby"
assert_eq "complianceState resourceId" "$(json "$WORK/body" '[.value[] | keys - ["@odata.id","@odata.context"]] | unique | .[0] | join(" ")')" "only the selected columns"
assert_eq "$(json "$WORK/body" '[.value[].resourceId] | sort | join(",")')" "$(json "$WORK/body" '[.value[].resourceId] | join(",")')" "ascending by ResourceId"
arm POST "$Q&\$orderby=ResourceId"
assert_eq "$(json "$WORK/body" '[.value[].resourceId] | sort | reverse | join(",")')" "$(json "$WORK/body" '[.value[].resourceId] | join(",")')" "descending is the default"
arm POST "$Q&\$apply=filter(ComplianceState%20eq%20'NonCompliant')"
assert_eq 400 "$STATUS" "an \$apply armsim does not evaluate"
assert_eq InvalidApplyInQueryString "$(error_code)" "its code"
arm POST "$Q&\$select=NoSuchColumn"
assert_eq InvalidSelectInQueryString "$(error_code)" "an unknown column"

# summarize: policyDetails and policyGroupDetails at every level
arm POST "$S/$PI/policyStates/latest/summarize?api-version=2019-10-01"
assert_eq 200 "$STATUS" "summarize"
assert_eq 1 "$(json "$WORK/body" '[.value[0].results.policyDetails[].count] | add')" "one assignment in the query's policyDetails"
assert_eq 2 "$(json "$WORK/body" '[.value[0].results.policyGroupDetails[].count] | add')" "two groups in policyGroupDetails"
assert_eq 3 "$(json "$WORK/body" '[.value[0].policyAssignments[0].results.policyDetails[].count] | add')" "three definitions in the assignment's policyDetails"
assert_eq 2 "$(json "$WORK/body" '.value[0].policyAssignments[0].results.policyGroupDetails[] | select(.complianceState == "noncompliant") | .count')" \
	"both groups (certs, audits) hold a non-compliant member"

# listDeployments: $top returns that many and no nextLink
arm PUT "$R/web?api-version=2021-10-01" "{\"properties\":{\"policyAssignmentId\":\"$SET_A\",\"policyDefinitionReferenceId\":\"web\"}}"
assert_eq 201 "$STATUS" "remediation of the web member"
rem_state() { arm GET "$R/web?api-version=2021-10-01"; json "$WORK/body" .properties.provisioningState; }
assert_eq Succeeded "$(poll_value 30 'Succeeded|Failed|Canceled' rem_state)" "the web task"
arm POST "$R/web/listDeployments?api-version=2021-10-01"
assert_eq 3 "$(json "$WORK/body" '.value | length')" "three deployments"
arm POST "$R/web/listDeployments?api-version=2021-10-01&\$top=2"
assert_eq 2 "$(json "$WORK/body" '.value | length')" "\$top=2: two"
assert_eq false "$(json "$WORK/body" 'has("nextLink") and .nextLink != null')" "\$top=2: no nextLink"
