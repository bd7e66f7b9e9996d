#!/bin/sh
# What the engine refuses and how deployments fail: a definition armsim cannot evaluate is a
# 400 on PUT (InvalidPolicyRule, the construct named; InvalidPolicyAlias for an unknown alias);
# the world's deploymentFailureProbability fails deployments with DeploymentFailed; a Modify
# member's remediation applies its operations (httpsOnly back to true) and nothing else.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
. "$TOP/tests/e2e/armsim-policy-lib.sh"

small_world "$WORK/world.json" '{"scanDurationMs": 1000, "deploymentFailureProbability": 1.0}'
start_armsim --world "$WORK/world.json" --time-scale 1000
get_token
V=api-version=2021-10-01
D="/subscriptions/$SMALL_SUB/providers/Microsoft.Authorization/policyDefinitions"
rule() { echo "{\"properties\":{\"mode\":\"Indexed\",\"policyRule\":{\"if\":$1,\"then\":{\"effect\":\"audit\"}}}}"; }

arm PUT "$D/bad-fn?api-version=2021-06-01" "$(rule '{"value":"[utcNow()]","equals":"x"}')"
assert_eq 400 "$STATUS" "unsupported function"
assert_eq InvalidPolicyRule "$(error_code)" "unsupported function code"
assert_eq "The policy definition 'bad-fn' rule is invalid: expression '[utcNow()]': unsupported template function 'utcNow' (in value)" \
	"$(json "$WORK/body" .error.message)" "unsupported function message"
arm PUT "$D/bad-op?api-version=2021-06-01" "$(rule '{"field":"kind","almostEquals":"app"}')"
assert_eq 400 "$STATUS" "unsupported operator"
assert_eq InvalidPolicyRule "$(error_code)" "unsupported operator code"
assert_eq "The policy definition 'bad-op' rule is invalid: unsupported policy condition 'almostEquals'" \
	"$(json "$WORK/body" .error.message)" "unsupported operator message"
arm PUT "$D/bad-alias?api-version=2021-06-01" "$(rule '{"field":"Microsoft.Web/sites/noSuchThing","equals":"x"}')"
assert_eq 400 "$STATUS" "unknown alias"
assert_eq InvalidPolicyAlias "$(error_code)" "unknown alias code"
arm PUT "$D/good?api-version=2021-06-01" "$(rule '{"field":"Microsoft.Web/sites/clientCertMode","notEquals":"Required"}')"
assert_eq 201 "$STATUS" "a definition armsim can evaluate"

scan "$SMALL_SUB"
# deploymentFailureProbability 1: every deployment that passes the role check fails
task="$SMALL_RG/providers/Microsoft.PolicyInsights/remediations/doomed"
arm PUT "$task?$V" "{\"properties\":{\"policyAssignmentId\":\"$SMALL_RG/providers/Microsoft.Authorization/policyAssignments/remediate-rg\"}}"
assert_eq 201 "$STATUS" "doomed task"
assert_eq Failed "$(remediation_wait "$task")" "doomed task ends Failed"
arm POST "$task/listDeployments?$V"
assert_eq "DeploymentFailed DeploymentFailed DeploymentFailed" \
	"$(json "$WORK/body" '[.value[].error.code] | join(" ")')" "deployment errors"
arm GET "$SMALL_RG/providers/Microsoft.Web/sites/app-off?api-version=2024-11-01"
assert_eq false "$(json "$WORK/body" '.properties.clientCertEnabled')" "failed deployment changed nothing"

# Modify: a site turned to HTTP is put back by the member's operations, and only that changes
stop_armsim
small_world "$WORK/world2.json" '{"scanDurationMs": 1000}'
start_armsim --world "$WORK/world2.json" --time-scale 1000
get_token
site="$SMALL_RG/providers/Microsoft.Web/sites/app-off?api-version=2024-11-01"
arm PATCH "$site" '{"properties":{"httpsOnly":false}}'
assert_eq 200 "$STATUS" "site to HTTP"
cp "$WORK/body" "$WORK/before.json"
task="$SMALL_RG/providers/Microsoft.PolicyInsights/remediations/https"
arm PUT "$task?$V" "{\"properties\":{\"policyAssignmentId\":\"$SMALL_RG/providers/Microsoft.Authorization/policyAssignments/https-rg\",\"resourceDiscoveryMode\":\"ReEvaluateCompliance\"}}"
assert_eq 201 "$STATUS" "Modify remediation"
assert_eq Succeeded "$(remediation_wait "$task")" "Modify remediation"
assert_eq "1 1" "$(json "$WORK/body" '.properties.deploymentStatus | "\(.totalDeployments) \(.successfulDeployments)"')" "one site fixed"
arm GET "$site"
assert_eq "false true" "$(jq -rn --slurpfile b "$WORK/before.json" --slurpfile a "$WORK/body" \
	'"\($b[0].properties.httpsOnly) \($a[0].properties.httpsOnly)"')" "httpsOnly before and after Modify"
# nothing else changed (jq's == compares objects deeply, whatever the key order)
jq -en --slurpfile b "$WORK/before.json" --slurpfile a "$WORK/body" '
	($b[0].properties | del(.httpsOnly, .lastModifiedTimeUtc)) ==
	($a[0].properties | del(.httpsOnly, .lastModifiedTimeUtc))' >/dev/null ||
	fail "Modify changed more than httpsOnly"
