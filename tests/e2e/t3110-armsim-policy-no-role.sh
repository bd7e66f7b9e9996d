#!/bin/sh
# The same rollout without granting the assignment's identity a role: every deployment of every
# remediation fails with AuthorizationFailed, the tasks end Failed, and no site changes.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
. "$TOP/tests/e2e/armsim-policy-lib.sh"

policy_world mgs=1,subs=2,rgs=1,sites=6,noncompliant=0.8,slots=0.3,functions=0.4,locked=0,seed=12 \
	"$WORK/world.json"
start_armsim --world "$WORK/world.json" --time-scale 20000 $BUILTINS
get_token
put_policies
sites_snapshot "$WORK/before.json"
for sub in $(json "$WORK/world.json" '[.subscriptions[].subscriptionId] | join(" ")'); do
	scan "$sub"
done

total=0
for ref in webapp-client-cert-dine webapp-slot-client-cert-dine functionapp-client-cert-dine functionapp-slot-client-cert-dine; do
	task="$ROOT_MG/providers/Microsoft.PolicyInsights/remediations/noauth-$ref"
	arm PUT "$task?api-version=2021-10-01" \
		"{\"properties\":{\"policyAssignmentId\":\"$ASSIGNMENT_ID\",\"policyDefinitionReferenceId\":\"$ref\"}}"
	assert_eq 201 "$STATUS" "remediation create $ref"
	state=$(remediation_wait "$task")
	arm POST "$task/listDeployments?api-version=2021-10-01"
	assert_eq 200 "$STATUS" "listDeployments"
	# every deployment failed with AuthorizationFailed and the message naming the missing action
	n=$(json "$WORK/body" '.value | length')
	assert_eq 0 "$(json "$WORK/body" '[.value[] | select(.status != "Failed"
		or .error.code != "AuthorizationFailed"
		or (.error.message | contains("does not have authorization to perform action") | not))]
		| length')" "deployments of $ref not failed with AuthorizationFailed"
	[ "$n" = 0 ] || assert_eq Failed "$state" "task state with every deployment failed"
	total=$((total + n))
done
[ "$total" -gt 3 ] || fail "too few deployments to show anything ($total)"
sites_snapshot "$WORK/after.json"
cmp -s "$WORK/before.json" "$WORK/after.json" || fail "a site changed without a role"
