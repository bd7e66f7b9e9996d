#!/bin/sh
# Redo, on armsim's own resources, what each real policy-insights recording in
# shared/arm/recordings does, and expect the same status codes, headers, state sequences and
# response shapes:
#   remediation_complete: create → Accepted (polled more than once) → Running with the
#     deployments counted, list, listDeployments (Evaluating), cancel → Cancelling → Canceled
#   remediation_management_group: nothing to fix → Succeeded on the 201, get, list,
#     listDeployments empty, delete → 200, list empty
#   remediation_reevaluate: ReEvaluateCompliance → Accepted, list, listDeployments empty,
#     cancel → Cancelling
#   triggerscan: subscription and group triggers → 202 + Location, polls 202 then 200
#     Succeeded, queryResults under the assignment with isCompliant eq false
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
. "$TOP/tests/e2e/armsim-policy-lib.sh"

# scale 10: Accepted 15 s → 1.5 s, a deployment 20 s → 2 s, a scan 10 s → 1 s (slow enough
# for the python checks between polls to see every state)
small_world "$WORK/world.json" '{"scanDurationMs": 10000, "deploymentDurationMs": 20000, "evaluationDelayMs": 600000}'
start_armsim --world "$WORK/world.json" --time-scale 10
get_token
V=api-version=2021-10-01
REC=test_policy_insights_remediation_complete.yaml

# ---- triggerscan ----
TS=test_policy_insights_triggerscan.yaml
arm POST "/subscriptions/$SMALL_SUB/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation?api-version=2019-10-01"
assert_eq 202 "$STATUS" "subscription trigger"
sub_location=$(sed -n 's/^[Ll]ocation: *//p' "$WORK/headers" | tr -d '\r')
case $sub_location in
"$ARMSIM_URL/subscriptions/$SMALL_SUB/providers/Microsoft.PolicyInsights/asyncOperationResults/"*"?api-version=2019-10-01") ;;
*) fail "subscription trigger Location: $sub_location" ;;
esac
arm POST "$SMALL_RG/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation?api-version=2019-10-01"
assert_eq 202 "$STATUS" "group trigger"
rg_location=$(sed -n 's/^[Ll]ocation: *//p' "$WORK/headers" | tr -d '\r')
[ "$rg_location" != "$sub_location" ] || fail "the group scan has the subscription's token"
# a second trigger while the scan runs gets the same URL
arm POST "$SMALL_RG/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation?api-version=2019-10-01"
assert_eq "$rg_location" "$(sed -n 's/^[Ll]ocation: *//p' "$WORK/headers" | tr -d '\r')" "second trigger"
# scan_poll URL — one poll of a scan's Location: prints the status; each 202 must name the same
# Location and is counted in $WORK/scan-polls
scan_poll() {
	code=$(get_status "$1")
	if [ "$code" = 202 ]; then
		[ "$(header Location)" = "$1" ] || { echo "202 with Location '$(header Location)'"; return 0; }
		echo 202 >>"$WORK/scan-polls"
	fi
	echo "$code"
}
: >"$WORK/scan-polls"
assert_eq 200 "$(poll_value 20 '!202' scan_poll "$rg_location")" "group scan poll"
polls_202=$(wc -l <"$WORK/scan-polls")
[ $polls_202 -ge 2 ] || fail "the scan finished at once ($polls_202 polls), not after the scan duration"
same_shape "$(recording_response $TS 23)" "$WORK/body" "scan result"
assert_eq Succeeded "$(json "$WORK/body" '.status')" "scan status"
arm POST "$SMALL_RG/providers/Microsoft.Authorization/policyAssignments/remediate-rg/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults?api-version=2019-10-01&\$filter=isCompliant%20eq%20false"
assert_eq 200 "$STATUS" "queryResults under the assignment"
same_shape "$(recording_response $TS 24)" "$WORK/body" "queryResults"
assert_eq null "$(json "$WORK/body" '."@odata.nextLink"')" "single page"
assert_eq "$SMALL_RG/providers/microsoft.web/sites/app-locked,$SMALL_RG/providers/microsoft.web/sites/app-off,$SMALL_RG/providers/microsoft.web/sites/app-opt" \
	"$(json "$WORK/body" '[.value[].resourceId] | sort | join(",")' | sed "s|/subscriptions/$SMALL_SUB/resourcegroups/az-cli-policy-insights-test|$SMALL_RG|g")" \
	"non-compliant sites of the group"

# ---- remediation_complete ----
task="$SMALL_RG/providers/Microsoft.PolicyInsights/remediations/azurecli-test-remediation000001"
arm PUT "$task?$V" "{\"properties\":{\"policyAssignmentId\":\"$SMALL_RG/providers/Microsoft.Authorization/policyAssignments/remediate-rg\"}}"
assert_eq 201 "$STATUS" "remediation create"
cp "$WORK/body" "$WORK/created.json"
# polls with curl and grep only, so a loaded machine still sees Accepted more than once
state_of() { grep -o '"provisioningState":"[A-Za-z]*"' "$WORK/body" | cut -d'"' -f4; }
# task_poll PATH — one GET of a task: prints its state (or the unexpected status), counting
# each Accepted seen in $WORK/accepted
task_poll() {
	arm GET "$1?$V"
	[ "$STATUS" = 200 ] || { echo "HTTP $STATUS"; return 0; }
	s=$(state_of)
	[ "$s" != Accepted ] || echo Accepted >>"$WORK/accepted"
	echo "$s"
}
: >"$WORK/accepted"
state=$(POLL_EVERY=0.02 poll_value 40 '!Accepted' task_poll "$task")
accepted=$(wc -l <"$WORK/accepted")
cp "$WORK/body" "$WORK/running.json"
# curl only until the cancel: the checks run after it, so a slow machine still cancels a
# task whose deployments are in flight
arm GET "$SMALL_RG/providers/Microsoft.PolicyInsights/remediations?$V"
assert_eq 200 "$STATUS" "remediation list"
cp "$WORK/body" "$WORK/list.json"
arm POST "$task/listDeployments?$V"
assert_eq 200 "$STATUS" "listDeployments"
cp "$WORK/body" "$WORK/deployments.json"
arm POST "$task/cancel?$V"
assert_eq 200 "$STATUS" "cancel"
cp "$WORK/body" "$WORK/cancel.json"
same_shape "$(recording_response $REC 2)" "$WORK/created.json" "remediation create"
assert_eq Accepted "$(json "$WORK/created.json" '.properties.provisioningState')" "state on create"
assert_eq 0 "$(json "$WORK/created.json" '.properties.deploymentStatus.totalDeployments')" "no deployments while Accepted"
[ $accepted -ge 2 ] || fail "Accepted was seen $accepted times"
assert_eq Running "$state" "state after Accepted"
same_shape "$(recording_response $REC 6)" "$WORK/running.json" "remediation running"
assert_eq "3 0 0" "$(json "$WORK/running.json" '.properties.deploymentStatus | "\(.totalDeployments) \(.successfulDeployments) \(.failedDeployments)"')" "deployments counted"
same_shape "$(recording_response $REC 7)" "$WORK/list.json" "remediation list"
same_shape "$(recording_response $REC 8)" "$WORK/deployments.json" "listDeployments"
assert_eq "Evaluating Evaluating Evaluating" "$(json "$WORK/deployments.json" '[.value[].status] | join(" ")')" "deployments in flight"
same_shape "$(recording_response $REC 9)" "$WORK/cancel.json" "cancel"
assert_eq Cancelling "$(json "$WORK/cancel.json" '.properties.provisioningState')" "state after cancel"
assert_eq Canceled "$(remediation_wait "$task")" "cancel ends Canceled"
arm POST "$task/cancel?$V"
assert_eq 400 "$STATUS" "cancel of a finished task"

# ---- remediation_management_group: nothing to fix → Succeeded on the 201 ----
MGR=test_policy_insights_remediation_management_group.yaml
mgtask="$SMALL_MG/providers/Microsoft.PolicyInsights/remediations/cli-test-remediation000002"
arm PUT "$mgtask?$V" "{\"properties\":{\"policyAssignmentId\":\"$SMALL_MG/providers/microsoft.authorization/policyassignments/audit-mg\"}}"
assert_eq 201 "$STATUS" "management-group remediation"
same_shape "$(recording_response $MGR 9)" "$WORK/body" "management-group remediation"
assert_eq Succeeded "$(json "$WORK/body" '.properties.provisioningState')" "nothing to fix"
arm GET "$mgtask?$V"
assert_eq 200 "$STATUS" "get"
same_shape "$(recording_response $MGR 10)" "$WORK/body" "get"
arm GET "$SMALL_MG/providers/Microsoft.PolicyInsights/remediations?$V"
assert_eq 1 "$(json "$WORK/body" '.value | length')" "listed"
arm POST "$mgtask/listDeployments?$V"
assert_eq 200 "$STATUS" "listDeployments"
assert_eq '{"value":[]}' "$(jq -c . "$WORK/body")" "no deployments"
arm DELETE "$mgtask?$V"
assert_eq 200 "$STATUS" "delete"
same_shape "$(recording_response $MGR 13)" "$WORK/body" "delete"
arm GET "$SMALL_MG/providers/Microsoft.PolicyInsights/remediations?$V"
assert_eq '{"value":[]}' "$(jq -c . "$WORK/body")" "list after delete"
arm GET "$mgtask?$V"
assert_eq 404 "$STATUS" "get after delete"

# ---- remediation_reevaluate ----
RR=test_policy_insights_remediation_reevaluate.yaml
retask="$SMALL_RG/providers/Microsoft.PolicyInsights/remediations/azurecli-test-remediation000004"
arm PUT "$retask?$V" "{\"properties\":{\"policyAssignmentId\":\"$SMALL_RG/providers/Microsoft.Authorization/policyAssignments/https-rg\",\"resourceDiscoveryMode\":\"ReEvaluateCompliance\"}}"
assert_eq 201 "$STATUS" "reevaluate create"
same_shape "$(recording_response $RR 4)" "$WORK/body" "reevaluate create"
assert_eq "Accepted ReEvaluateCompliance" "$(json "$WORK/body" '.properties | "\(.provisioningState) \(.resourceDiscoveryMode)"')" "reevaluate state"
arm GET "$SMALL_RG/providers/Microsoft.PolicyInsights/remediations?$V"
same_shape "$(recording_response $RR 6)" "$WORK/body" "reevaluate list"
arm POST "$retask/listDeployments?$V"
assert_eq '{"value":[]}' "$(jq -c . "$WORK/body")" "no deployments yet"
arm POST "$retask/cancel?$V"
assert_eq 200 "$STATUS" "reevaluate cancel"
same_shape "$(recording_response $RR 8)" "$WORK/body" "reevaluate cancel"
assert_eq Cancelling "$(json "$WORK/body" '.properties.provisioningState')" "Cancelling"
assert_eq Canceled "$(remediation_wait "$retask")" "reevaluate canceled"

# ---- the recorded errors around a remediation: an unknown definition at subscription scope,
# and the role assignment for a new policy identity (PrincipalNotFound until it replicates) ----
arm GET "/subscriptions/$SMALL_SUB/providers/Microsoft.Authorization/policyDefinitions/06a78e20-9358-41c9-923c-fb736d382a4d?api-version=2021-06-01"
expect_code() { assert_eq "$1" "$STATUS" "$3"; assert_eq "$2" "$(error_code)" "$3"; }
expect_code 404 PolicyDefinitionNotFound "unknown definition"
same_shape "$(recording_response $MGR 6)" "$WORK/body" "PolicyDefinitionNotFound"
arm PUT "$SMALL_RG/providers/Microsoft.Authorization/policyAssignments/new-identity?api-version=2021-06-01" \
	"{\"location\":\"westus\",\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{\"policyDefinitionId\":\"/subscriptions/$SMALL_SUB/providers/Microsoft.Authorization/policyDefinitions/cc-webapp\",\"enforcementMode\":\"Default\"}}"
assert_eq 201 "$STATUS" "assignment with identity"
principal=$(json "$WORK/body" '.identity.principalId')
ra="$SMALL_RG/providers/Microsoft.Authorization/roleAssignments/88888888-0000-0000-0000-000000000001?api-version=2022-04-01"
ra_body="{\"properties\":{\"roleDefinitionId\":\"/subscriptions/$SMALL_SUB/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7\",\"principalId\":\"$principal\"}}"
arm PUT "$ra" "$ra_body"
expect_code 400 PrincipalNotFound "role assignment before replication"
same_shape "$(python3 -c "
import re, sys
t = open(sys.argv[1]).read()
print(re.search(r\"string: '(\{\\\"error\\\":\{\\\"code\\\":\\\"PrincipalNotFound\\\".*?\\\"\}\})\", t, re.S).group(1).replace('\n        ', ' '))
" "$SHARED/arm/recordings/test_resource_policy_identity_systemassigned.roleassignment-excerpt.yaml-fragment")" "$WORK/body" "PrincipalNotFound"
replicated() { arm PUT "$ra" "$ra_body"; [ "$STATUS" = 201 ]; }
poll_until 20 replicated

# ---- the whole ReEvaluateCompliance sequence: Accepted → Evaluating → Running → end ----
full="$SMALL_RG/providers/Microsoft.PolicyInsights/remediations/reevaluate-all"
arm PUT "$full?$V" "{\"properties\":{\"policyAssignmentId\":\"$SMALL_RG/providers/Microsoft.Authorization/policyAssignments/remediate-rg\",\"resourceDiscoveryMode\":\"ReEvaluateCompliance\"}}"
assert_eq 201 "$STATUS" "ReEvaluateCompliance task"
# seq_poll PATH — one GET of a task: prints its state, appending it to $WORK/seq when it changed
seq_poll() {
	arm GET "$1?$V"
	s=$(state_of)
	[ "$(tail -n 1 "$WORK/seq")" = "$s" ] || echo "$s" >>"$WORK/seq"
	echo "$s"
}
echo Accepted >"$WORK/seq"
POLL_EVERY=0.02 poll_value 60 'Succeeded|Failed|Canceled' seq_poll "$full" >/dev/null
seq=$(paste -sd ' ' "$WORK/seq")
# app-locked fails (ScopeLocked), so the run ends Failed
assert_eq "Accepted Evaluating Running Failed" "$seq" "ReEvaluateCompliance states"
