#!/bin/sh
# armsim answers the api-versions current clients send and shapes each answer as that version
# does (issue 11): role definitions at 2022-05-01-preview (az 2.51+), exemptions at
# 2020-07-01-preview (Az PowerShell); an assignment has no definitionVersion/instanceId at
# 2021-06-01, definitionVersion from 2023-04-01, instanceId at 2025-03-01; identity
# {"type":"None"} is echoed; no defaulted keys the service does not return (parameters on a
# set definition, policyDefinitionReferenceIds on an exemption, resourceCount & co. on a
# remediation that did not set them). Fails when any of those answers changes back.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"

"$ARMSIM" world --generate mgs=1,subs=1,rgs=1,sites=2,slots=0,locked=0,seed=11 >world.json
start_armsim --world world.json --time-scale 10
get_token
SUB=$(json world.json '.subscriptions[0].subscriptionId')
S=/subscriptions/$SUB
AUTHZ=providers/Microsoft.Authorization

# role definitions at az 2.51+'s api-version
arm GET "$S/$AUTHZ/roleDefinitions?api-version=2022-05-01-preview&\$filter=roleName%20eq%20'Website%20Contributor'"
assert_eq 200 "$STATUS" "role definitions at 2022-05-01-preview"
assert_eq de139f84-1756-47ae-9be6-808fbbe84772 "$(json "$WORK/body" '.value[0].name')" "Website Contributor found"

# a definition and a set definition without parameters: none added
arm PUT "$S/$AUTHZ/policyDefinitions/audit-off?api-version=2021-06-01" \
	'{"properties":{"policyRule":{"if":{"allOf":[{"field":"type","equals":"Microsoft.Web/sites"},{"field":"Microsoft.Web/sites/clientCertEnabled","notEquals":true}]},"then":{"effect":"audit"}}}}'
assert_eq 201 "$STATUS" "definition PUT"
arm PUT "$S/$AUTHZ/policySetDefinitions/set-plain?api-version=2021-06-01" \
	"{\"properties\":{\"policyDefinitions\":[{\"policyDefinitionId\":\"$S/$AUTHZ/policyDefinitions/audit-off\",\"policyDefinitionReferenceId\":\"off\"}]}}"
assert_eq 201 "$STATUS" "set definition PUT"
assert_eq false "$(json "$WORK/body" '.properties | has("parameters")')" "no defaulted parameters on a set definition"
arm GET "$S/$AUTHZ/policySetDefinitions/set-plain?api-version=2025-03-01"
assert_eq false "$(json "$WORK/body" '.properties | has("parameters")')" "nor when read back"

# an assignment with identity None, read at each version
A="$S/$AUTHZ/policyAssignments/plain"
arm PUT "$A?api-version=2021-06-01" \
	"{\"identity\":{\"type\":\"None\"},\"properties\":{\"policyDefinitionId\":\"$S/$AUTHZ/policyDefinitions/audit-off\"}}"
assert_eq 201 "$STATUS" "assignment PUT"
assert_eq '{"type":"None"}' "$(jq -c .identity "$WORK/body")" "identity None echoed"
assert_eq "false false" "$(json "$WORK/body" '.properties | "\(has("definitionVersion")) \(has("instanceId"))"')" \
	"2021-06-01 PUT answer: neither definitionVersion nor instanceId"
arm GET "$A?api-version=2021-06-01"
assert_eq "false false" "$(json "$WORK/body" '.properties | "\(has("definitionVersion")) \(has("instanceId"))"')" "2021-06-01 GET"
arm GET "$A?api-version=2023-04-01"
assert_eq "true false" "$(json "$WORK/body" '.properties | "\(has("definitionVersion")) \(has("instanceId"))"')" "2023-04-01 GET"
arm GET "$A?api-version=2025-03-01"
assert_eq "true true" "$(json "$WORK/body" '.properties | "\(has("definitionVersion")) \(has("instanceId"))"')" "2025-03-01 GET"
arm GET "$S/$AUTHZ/policyAssignments?api-version=2021-06-01"
assert_eq 0 "$(json "$WORK/body" '[.value[] | select(.properties | has("instanceId") or has("definitionVersion"))] | length')" \
	"a 2021-06-01 list has neither field"

# an exemption at Az PowerShell's api-version, without reference ids: none added
arm PUT "$S/$AUTHZ/policyExemptions/waive?api-version=2020-07-01-preview" \
	"{\"properties\":{\"policyAssignmentId\":\"$A\",\"exemptionCategory\":\"Waiver\"}}"
assert_eq 201 "$STATUS" "exemption PUT at 2020-07-01-preview"
assert_eq false "$(json "$WORK/body" '.properties | has("policyDefinitionReferenceIds")')" \
	"no defaulted policyDefinitionReferenceIds"
arm GET "$S/$AUTHZ/policyExemptions/waive?api-version=2020-07-01-preview"
assert_eq 200 "$STATUS" "exemption GET at 2020-07-01-preview"

# remediations echo the settings they were given, and only those
R="$S/providers/Microsoft.PolicyInsights/remediations"
arm PUT "$R/bare?api-version=2021-10-01" "{\"properties\":{\"policyAssignmentId\":\"$A\"}}"
assert_eq 201 "$STATUS" "remediation PUT"
assert_eq "false false false false" \
	"$(json "$WORK/body" '.properties | "\(has("resourceCount")) \(has("parallelDeployments")) \(has("failureThreshold")) \(has("filters"))"')" \
	"a remediation without settings has none"
arm PUT "$R/one?api-version=2021-10-01" "{\"properties\":{\"policyAssignmentId\":\"$A\",\"parallelDeployments\":3}}"
assert_eq 201 "$STATUS" "remediation PUT with parallelDeployments"
assert_eq "false 3 false false" \
	"$(json "$WORK/body" '.properties | "\(has("resourceCount")) \(.parallelDeployments) \(has("failureThreshold")) \(has("filters"))"')" \
	"only the setting given is echoed"

# a definition's version/versions came with 2023-04-01 (the built-ins carry them)
B=/providers/Microsoft.Authorization/policyDefinitions/ab6a902f-9493-453b-928d-62c30b11b5a6
arm GET "$B?api-version=2021-06-01"
assert_eq 200 "$STATUS" "built-in at 2021-06-01"
assert_eq "false false" "$(json "$WORK/body" '.properties | "\(has("version")) \(has("versions"))"')" "no version fields at 2021-06-01"
arm GET "$B?api-version=2023-04-01"
assert_eq '1.1.0 ["1.1.0","1.0.0"]' "$(json "$WORK/body" '.properties | "\(.version) \(.versions | tojson)"')" "version fields at 2023-04-01"
