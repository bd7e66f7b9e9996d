#!/bin/sh
# Another team's 90 remediation tasks are active in the tenant: doctor warns that 10 of
# Azure's 100 slots are left; contain then runs at most 10 of its 12 tasks at once, so
# armsim never refuses one for the tenant limit, while the other team's 90 stay active
# throughout (their tasks deploy one site at a time, long after ours are done).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
. "$TOP/tests/e2e/armsim-lib.sh"

orch_world "mgs=1,subs=3,sites=10,noncompliant=1,functions=0.5,slots=1,locked=0,seed=6" \
	'.knobs.deploymentDurationMs = 90000 | .knobs.scanDurationMs = 2000'
start_armsim --world "$WORK/world.json" --time-scale 50
subs=$(jq -r '[.subscriptions[].subscriptionId] | join(", ")' "$WORK/world.json")
sub1=$(jq -r '.subscriptions[0].subscriptionId' "$WORK/world.json")
orch_ini "subscriptions = $subs"

# the other team: its own initiative and assignment, then 90 tasks in the first subscription
sed "s|^ledger = .*|ledger = $WORK/team-b.ledger|" policyctl.ini >team-b.ini
printf '[initiative]\nname = team-b-set\n[assignment]\nname = team-b\n' >>team-b.ini
expect_exit 0 "$POLICYCTL" -c team-b.ini apply
get_token
body="{\"properties\":{\"policyAssignmentId\":\"/subscriptions/$sub1/providers/Microsoft.Authorization/policyAssignments/team-b\",
	\"policyDefinitionReferenceId\":\"webapp-client-cert-dine\",\"resourceDiscoveryMode\":\"ReEvaluateCompliance\",
	\"parallelDeployments\":1}}"
i=0
while [ $i -lt 90 ]; do
	i=$((i + 1))
	arm PUT "/subscriptions/$sub1/providers/Microsoft.PolicyInsights/remediations/team-b-$i?api-version=2021-10-01" "$body"
	assert_eq 201 "$STATUS" "team-b task $i"
done
# active: not in a terminal state
team_b_active() {
	arm GET "/subscriptions/$sub1/providers/Microsoft.PolicyInsights/remediations?api-version=2021-10-01&\$top=1000"
	json "$WORK/body" '[.value[] | select(.name | startswith("team-b-")) | select(.properties.provisioningState
		| test("^(Succeeded|Failed|Canceled|Complete)$") | not)] | length'
}
assert_eq 90 "$(team_b_active)" "team-b's active tasks"

expect_exit 0 "$POLICYCTL" -c policyctl.ini doctor
assert_contains "$WORK/out" "! tasks        90 remediation tasks of others are active in scope: 10 of Azure's 100 slots left, so at most 10 of ours run at once (max_concurrent_tasks = 50)"

expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
assert_contains "$WORK/err" "preflight: tasks: 90 remediation tasks of others are active in scope"
creates=$(stats_json | jq '.operations.Remediations_CreateOrUpdate')
assert_eq 102 "$(echo "$creates" | jq '."201"')" "tasks created (90 of team-b, 12 of ours)"
assert_eq null "$(echo "$creates" | jq '."400"')" "creates refused for the tenant limit"
assert_eq 0 "$(noncompliant_unlocked)" "non-compliant sites after contain"
# the cap was binding all along: team-b's tasks are still running
assert_eq 90 "$(team_b_active)" "team-b's tasks still active after contain"
