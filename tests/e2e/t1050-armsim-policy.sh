#!/bin/sh
# armsim policy CRUD and validation: name rules, the 24-character limit at management-group
# scope, location with an identity, unknown aliases, missing/extra/mistyped parameters,
# definitions not found or out of scope, exemptions (preview api-versions only), lists with
# paging, deletes, and POST /_armsim/reset restoring the loaded world.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"

"$ARMSIM" world --generate subs=2,sites=3,mgs=1 >gen.json
jq '.knobs = {pageSize: 2}' gen.json >world.json
SUB=$(json world.json '.subscriptions[0].subscriptionId')
SUB2=$(json world.json '.subscriptions[1].subscriptionId')
MG=/providers/Microsoft.Management/managementGroups/mg-1
AUTHZ=providers/Microsoft.Authorization
V=api-version=2025-03-01
start_armsim --world world.json
get_token

rule='"policyRule":{"if":{"allOf":[{"field":"type","equals":"Microsoft.Web/sites"},{"field":"Microsoft.Web/sites/clientCertEnabled","notEquals":true}]},"then":{"effect":"[parameters('"'"'effect'"'"')]"}}'
params='"parameters":{"effect":{"type":"String","allowedValues":["Audit","Disabled"],"defaultValue":"Audit"},"tag":{"type":"String"}}'
arm PUT "$MG/$AUTHZ/policyDefinitions/cert-audit?$V" "{\"properties\":{\"mode\":\"Indexed\",$params,$rule}}"
assert_eq 201 "$STATUS" "definition at management group"
assert_eq Custom "$(json "$WORK/body" '.properties.policyType')" "policyType default"
arm PUT "$MG/$AUTHZ/policyDefinitions/cert-audit?$V" "{\"properties\":{\"mode\":\"Indexed\",$params,$rule}}"
assert_eq 201 "$STATUS" "definition update is 201 too"
arm GET "/subscriptions/$SUB/$AUTHZ/policyDefinitions/cert-audit?$V"
assert_eq 404 "$STATUS" "a management-group definition is not at the subscription"
assert_eq PolicyDefinitionNotFound "$(error_code)" "not found code"
arm GET "$MG/$AUTHZ/policyDefinitions/CERT-AUDIT?$V"
assert_eq 200 "$STATUS" "ids compare case-insensitively"

arm PUT "$MG/$AUTHZ/policyDefinitions/bad.name?$V" "{\"properties\":{$rule}}"
assert_eq 400 "$STATUS" "name with a dot"
assert_eq InvalidPolicyDefinitionName "$(error_code)" "name rule code"
arm PUT "$MG/$AUTHZ/policyDefinitions/alias?$V" '{"properties":{"policyRule":{"if":{"field":"Microsoft.Web/sites/clientCertEnabledd","equals":true},"then":{"effect":"audit"}}}}'
assert_eq 400 "$STATUS" "unknown alias"
assert_eq InvalidPolicyAlias "$(error_code)" "unknown alias code"
arm PUT "$MG/$AUTHZ/policyDefinitions/norule?$V" '{"properties":{"displayName":"x"}}'
assert_eq 400 "$STATUS" "no policy rule"
arm PUT "$MG/$AUTHZ/policyDefinitions/badjson?$V" '{"properties":'
assert_eq 400 "$STATUS" "malformed JSON"
arm PUT "/subscriptions/$SUB/resourceGroups/rg-1/$AUTHZ/policyDefinitions/inrg?$V" "{\"properties\":{$rule}}"
assert_eq 400 "$STATUS" "definitions live at management group or subscription"
arm PUT "/subscriptions/00000000-0000-0000-0000-00000000dead/$AUTHZ/policyDefinitions/x?$V" "{\"properties\":{$rule}}"
assert_eq 404 "$STATUS" "unknown subscription"
assert_eq SubscriptionNotFound "$(error_code)" "unknown subscription code"

# assignments
DEF="$MG/$AUTHZ/policyDefinitions/cert-audit"
arm PUT "$MG/$AUTHZ/policyAssignments/this-name-is-longer-than-24?$V" "{\"properties\":{\"policyDefinitionId\":\"$DEF\",\"parameters\":{\"tag\":{\"value\":\"x\"}}}}"
assert_eq 400 "$STATUS" "25+ characters at management group"
assert_eq InvalidPolicyAssignmentName "$(error_code)" "24-character code"
arm PUT "/subscriptions/$SUB/$AUTHZ/policyAssignments/this-name-is-longer-than-24?$V" "{\"properties\":{\"policyDefinitionId\":\"$DEF\",\"parameters\":{\"tag\":{\"value\":\"x\"}}}}"
assert_eq 201 "$STATUS" "long names are fine at subscription scope"
arm PUT "$MG/$AUTHZ/policyAssignments/cert?$V" "{\"properties\":{\"policyDefinitionId\":\"$DEF\"}}"
assert_eq 400 "$STATUS" "missing parameter"
assert_eq MissingPolicyParameter "$(error_code)" "missing parameter code"
arm PUT "$MG/$AUTHZ/policyAssignments/cert?$V" "{\"properties\":{\"policyDefinitionId\":\"$DEF\",\"parameters\":{\"tag\":{\"value\":5}}}}"
assert_eq InvalidPolicyParameterType "$(error_code)" "mistyped parameter"
arm PUT "$MG/$AUTHZ/policyAssignments/cert?$V" "{\"properties\":{\"policyDefinitionId\":\"$DEF\",\"parameters\":{\"tag\":{\"value\":\"x\"},\"effect\":{\"value\":\"Deny\"}}}}"
assert_eq 400 "$STATUS" "value outside allowedValues"
arm PUT "$MG/$AUTHZ/policyAssignments/cert?$V" "{\"properties\":{\"policyDefinitionId\":\"$DEF\",\"parameters\":{\"tag\":{\"value\":\"x\"},\"nope\":{\"value\":1}}}}"
assert_eq UndefinedPolicyParameter "$(error_code)" "undefined parameter"
arm PUT "$MG/$AUTHZ/policyAssignments/cert?$V" "{\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{\"policyDefinitionId\":\"$DEF\",\"parameters\":{\"tag\":{\"value\":\"x\"}}}}"
assert_eq 400 "$STATUS" "identity without location"
assert_eq LocationRequired "$(error_code)" "location code"
arm PUT "$MG/$AUTHZ/policyAssignments/cert?$V" "{\"location\":\"westeurope\",\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{\"policyDefinitionId\":\"$DEF\",\"parameters\":{\"tag\":{\"value\":\"x\"}}}}"
assert_eq 201 "$STATUS" "assignment with identity"
PID1=$(json "$WORK/body" '.identity.principalId')
arm PUT "$MG/$AUTHZ/policyAssignments/cert?$V" "{\"location\":\"westeurope\",\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{\"policyDefinitionId\":\"$DEF\",\"parameters\":{\"tag\":{\"value\":\"y\"}}}}"
assert_eq 201 "$STATUS" "assignment update is 201"
assert_eq "$PID1" "$(json "$WORK/body" '.identity.principalId')" "the identity survives an update"
arm PUT "/subscriptions/$SUB2/$AUTHZ/policyAssignments/other?$V" "{\"properties\":{\"policyDefinitionId\":\"/subscriptions/$SUB/$AUTHZ/policyDefinitions/none\"}}"
assert_eq 404 "$STATUS" "assignment of a missing definition"
assert_eq PolicyDefinitionNotFound "$(error_code)" "missing definition code"
arm PUT "/subscriptions/$SUB/$AUTHZ/policyDefinitions/subdef?$V" "{\"properties\":{$rule,\"parameters\":{\"effect\":{\"type\":\"String\",\"defaultValue\":\"Audit\"}}}}"
arm PUT "/subscriptions/$SUB2/$AUTHZ/policyAssignments/cross?$V" "{\"properties\":{\"policyDefinitionId\":\"/subscriptions/$SUB/$AUTHZ/policyDefinitions/subdef\"}}"
assert_eq 404 "$STATUS" "a definition of another subscription is out of scope"
arm PUT "$MG/$AUTHZ/policySetDefinitions/set1?$V" "{\"properties\":{\"policyDefinitions\":[{\"policyDefinitionId\":\"$MG/$AUTHZ/policyDefinitions/none\"}]}}"
assert_eq 404 "$STATUS" "set with a missing member"
assert_eq PolicyDefinitionNotFound "$(error_code)" "set member code"

# lists page with nextLink; the inherited definition shows at the subscription (the custom
# ones: armsim's built-in audits are listed too)
arm PUT "/subscriptions/$SUB/$AUTHZ/policyDefinitions/subdef2?$V" "{\"properties\":{$rule,\"parameters\":{\"effect\":{\"type\":\"String\",\"defaultValue\":\"Audit\"}}}}"
arm GET "/subscriptions/$SUB/$AUTHZ/policyDefinitions?$V&\$filter=policyType%20eq%20'Custom'"
assert_eq 2 "$(json "$WORK/body" '.value | length')" "page size knob"
next=$(json "$WORK/body" '.nextLink')
names=$(json "$WORK/body" '[.value[].name] | join(" ")')
STATUS=$(curl -sS -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$next")
assert_eq 200 "$STATUS" "next page"
names="$names $(json "$WORK/body" '[.value[].name] | join(" ")')"
assert_eq null "$(json "$WORK/body" '.nextLink')" "last page has no nextLink"
assert_eq "cert-audit subdef subdef2" "$(echo $names | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" "all definitions listed once"

# exemptions: preview api-versions only
ASSIGN="$MG/$AUTHZ/policyAssignments/cert"
arm PUT "/subscriptions/$SUB/$AUTHZ/policyExemptions/ex1?$V" "{\"properties\":{\"policyAssignmentId\":\"$ASSIGN\",\"exemptionCategory\":\"Waiver\"}}"
assert_eq 400 "$STATUS" "exemptions need a preview api-version"
assert_eq InvalidApiVersionParameter "$(error_code)" "exemption api-version code"
EV=api-version=2022-07-01-preview
arm PUT "/subscriptions/$SUB/$AUTHZ/policyExemptions/ex1?$EV" "{\"properties\":{\"policyAssignmentId\":\"$ASSIGN\",\"exemptionCategory\":\"Sometimes\"}}"
assert_eq 400 "$STATUS" "bad exemption category"
arm PUT "/subscriptions/$SUB/$AUTHZ/policyExemptions/ex1?$EV" "{\"properties\":{\"policyAssignmentId\":\"$ASSIGN\",\"exemptionCategory\":\"Waiver\",\"expiresOn\":\"2030-01-01T00:00:00Z\"}}"
assert_eq 201 "$STATUS" "exemption created"
arm PUT "/subscriptions/$SUB/$AUTHZ/policyExemptions/ex1?api-version=2024-12-01-preview" "{\"properties\":{\"policyAssignmentId\":\"$ASSIGN\",\"exemptionCategory\":\"Mitigated\"}}"
assert_eq 200 "$STATUS" "exemption updated"
arm PUT "/subscriptions/$SUB/$AUTHZ/policyExemptions/ex2?$EV" "{\"properties\":{\"policyAssignmentId\":\"$MG/$AUTHZ/policyAssignments/none\",\"exemptionCategory\":\"Waiver\"}}"
assert_eq 404 "$STATUS" "exemption of a missing assignment"

# a definition in use cannot be deleted; deletes answer 200 then 204
arm DELETE "$DEF?$V"
assert_eq 400 "$STATUS" "definition in use"
arm DELETE "$ASSIGN?$V"
assert_eq 200 "$STATUS" "assignment deleted"
arm DELETE "$ASSIGN?$V"
assert_eq 204 "$STATUS" "assignment already gone"

# reset restores the world as loaded
curl -sS -o /dev/null -X POST "$ARMSIM_URL/_armsim/reset"
arm GET "/subscriptions/$SUB/$AUTHZ/policyDefinitions/subdef?$V"
assert_eq 404 "$STATUS" "reset removed what was created"
