#!/bin/sh
# The whole rollout on armsim with plain HTTP calls: PUT the generator's definitions, initiative
# and assignment, grant the assignment's identity Website Contributor; scan every subscription,
# remediate every DeployIfNotExists member at the management group, poll to completion. Then
# every non-locked site has clientCertEnabled true and clientCertMode Required with every other
# property unchanged, and the locked ones are the failed deployments (ScopeLocked).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
. "$TOP/tests/e2e/armsim-policy-lib.sh"

policy_world mgs=2,subs=3,rgs=2,sites=8,noncompliant=0.7,slots=0.3,functions=0.4,locked=0.15,http2=0.1,seed=11 \
	"$WORK/world.json"
start_armsim --world "$WORK/world.json" --time-scale 20000 $BUILTINS
get_token
put_policies "$WEBSITE_CONTRIBUTOR"
sites_snapshot "$WORK/before.json"

for sub in $(json "$WORK/world.json" '[.subscriptions[].subscriptionId] | join(" ")'); do
	scan "$sub"
done

# the scan found what the world holds: every non-compliant site or slot, per member
arm POST "$ROOT_MG/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults?api-version=2019-10-01&\$filter=ComplianceState%20eq%20'NonCompliant'%20and%20PolicyAssignmentId%20eq%20'$ASSIGNMENT_ID'%20and%20PolicyDefinitionReferenceId%20eq%20'webapp-client-cert-dine'&\$top=1000"
assert_eq 200 "$STATUS" "queryResults"
want=$(jq -r '[to_entries[] | select(.value.site.type == "Microsoft.Web/sites"
	and (.value.site.kind | contains("functionapp") | not)
	and (.value.site.properties.clientCertEnabled != true
		or .value.site.properties.clientCertMode != "Required"))
	| .key | ascii_downcase] | unique | join("\n")' "$WORK/before.json")
[ -n "$want" ] || fail "the world has no non-compliant web app"
assert_eq "$want" "$(json "$WORK/body" '[.value[].resourceId] | unique | join("\n")')" \
	"non-compliant web apps queryResults lists (the world's)"

members="webapp-client-cert-dine webapp-slot-client-cert-dine functionapp-client-cert-dine functionapp-slot-client-cert-dine"
for ref in $members; do
	task="$ROOT_MG/providers/Microsoft.PolicyInsights/remediations/cc-$ref"
	arm PUT "$task?api-version=2021-10-01" \
		"{\"properties\":{\"policyAssignmentId\":\"$ASSIGNMENT_ID\",\"policyDefinitionReferenceId\":\"$ref\"}}"
	assert_eq 201 "$STATUS" "remediation create $ref"
	state=$(remediation_wait "$task")
	arm POST "$task/listDeployments?api-version=2021-10-01"
	assert_eq 200 "$STATUS" "listDeployments $ref"
	cp "$WORK/body" "$WORK/deployments-$ref.json"
	arm GET "$task?api-version=2021-10-01"
	cp "$WORK/body" "$WORK/task-$ref.json"
	echo "$ref: $state"
done

sites_snapshot "$WORK/after.json"
for ref in $members; do
	jq -n --arg ref "$ref" --slurpfile t "$WORK/task-$ref.json" --slurpfile d "$WORK/deployments-$ref.json" \
		'{ref: $ref, task: $t[0].properties, deps: $d[0].value}'
done >"$WORK/runs.json"
jq -n -r --slurpfile runs "$WORK/runs.json" --slurpfile b "$WORK/before.json" --slurpfile a "$WORK/after.json" '
	def check(cond; msg): if cond then empty else msg end;
	(reduce ($runs[].deps[] | select(.status == "Failed")) as $d ({};
		.[$d.remediatedResourceId] = $d.error.code)) as $failed
	| ([$runs[].deps[] | select(.status == "Succeeded") | .remediatedResourceId] | unique) as $succeeded
	| ["clientCertEnabled", "clientCertMode", "lastModifiedTimeUtc"] as $ignore
	| [$runs[] | .ref as $ref | .task as $task | .deps as $deps | $task.deploymentStatus as $st
		| check($st.totalDeployments == ($deps | length); "\($ref): totalDeployments \($st.totalDeployments), \($deps | length) listed"),
		  check($st.successfulDeployments == ([$deps[] | select(.status == "Succeeded")] | length); "\($ref): successfulDeployments \($st.successfulDeployments)"),
		  check($st.failedDeployments == ([$deps[] | select(.status == "Failed")] | length); "\($ref): failedDeployments \($st.failedDeployments)"),
		  check($task.provisioningState == (if $st.failedDeployments != 0 then "Failed" else "Succeeded" end);
			"\($ref): provisioningState \($task.provisioningState), deploymentStatus \($st)"),
		  ($deps[] | check(.status == "Failed" or .status == "Succeeded"; "\($ref): deployment \(.)"))]
	+ [$b[0] | to_entries[] | .key as $rid | .value as $before | $a[0][$rid] as $after
		| $before.site.properties as $bp | ($after.site.properties // {}) as $ap
		| ($bp.clientCertEnabled == true and $bp.clientCertMode == "Required") as $compliant_before
		| check($after != null; "\($rid): missing after remediation"),
		  if $before.locked == 1 then
			check($after.site == $before.site; "locked site changed: \($rid)"),
			(if $compliant_before then empty else
				check($failed[$rid | ascii_downcase] == "ScopeLocked"; "\($rid): \($failed[$rid | ascii_downcase])") end)
		  else
			check($ap.clientCertEnabled == true and $ap.clientCertMode == "Required"; "\($rid): \($ap.clientCertEnabled) \($ap.clientCertMode)"),
			(if $compliant_before then empty else
				check(($rid | ascii_downcase) as $lower | any($succeeded[]; . == $lower); "not remediated: \($rid)") end),
			# every other property is what it was
			(($bp + $ap) | keys[] | select(. as $k | any($ignore[]; . == $k) | not) as $k
				| check($bp[$k] == $ap[$k]; "\($rid): \($k) was \($bp[$k]), is \($ap[$k])")),
			("kind", "location", "tags", "name", "type", "id" | . as $k
				| check($before.site[$k] == $after.site[$k]; "\($rid): \($k) changed"))
		  end]
	| ([$b[0][] | select(.locked == 1) | .site.properties
		| select((.clientCertEnabled == true and .clientCertMode == "Required") | not)] | length) as $checked_locked
	| . + [check($checked_locked > 0; "the world had no non-compliant locked site"),
		check(($succeeded | length) > 5; "only \($succeeded | length) sites remediated")]
	| if length > 0 then error(join("\n")) else "remediated \($succeeded | length), locked failures \($checked_locked)" end
' || fail "remediation result is wrong"
