#!/bin/sh
# Remediation tasks as Azure validates and runs them: the request errors
# (InvalidCreateRemediationRequest, InvalidUpdateRemediationRequest), the tenant's limit of
# concurrent tasks, and the settings that shape a run: resourceCount, filters.locations,
# parallelDeployments, failureThreshold.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
. "$TOP/tests/e2e/armsim-policy-lib.sh"

small_world "$WORK/world.json" '{"scanDurationMs": 1000, "deploymentDurationMs": 20000, "maxConcurrentRemediations": 3}'
python3 - "$WORK/world.json" <<'PY'
import json, sys, copy
d = json.load(open(sys.argv[1]))
sub = d["subscriptions"][0]
sid = "/subscriptions/" + sub["subscriptionId"]
template = sub["resourceGroups"][0]["sites"][0]
def site(name, locked=False, location="westeurope"):
    s = copy.deepcopy(template); s["name"] = name; s["locked"] = locked; s["location"] = location
    return s
# a group whose first non-compliant site is locked: the failure threshold stops the rest
sub["resourceGroups"].append({"name": "lf-rg", "location": "westeurope",
    "sites": [site("a-locked", True), site("b-off"), site("c-off")]})
sub["resourceGroups"].append({"name": "geo-rg", "location": "westeurope",
    "sites": [site("w-1"), site("w-2"), site("n-1", location="northeurope")]})
webapp = sid + "/providers/Microsoft.Authorization/policyDefinitions/cc-webapp"
def assignment(scope, name, definition, identity=True):
    a = {"id": scope + "/providers/Microsoft.Authorization/policyAssignments/" + name, "name": name,
         "type": "Microsoft.Authorization/policyAssignments",
         "properties": {"policyDefinitionId": definition, "scope": scope}}
    if identity:
        a["identity"] = {"type": "SystemAssigned", "principalId": "5e1f0000-0000-4000-8000-00000000beef"}
    return a
for rg in ("lf-rg", "geo-rg"):
    d["resources"].append(assignment(sid + "/resourceGroups/" + rg, "dine-" + rg, webapp))
# an initiative: the DINE definition and an Audit built-in
builtin_audit = [r["id"] for r in d["resources"] if r["type"].endswith("policyDefinitions") and r["id"].startswith("/providers/")]
d["resources"].append({"id": sid + "/providers/Microsoft.Authorization/policySetDefinitions/cc-set",
    "name": "cc-set", "type": "Microsoft.Authorization/policySetDefinitions",
    "properties": {"policyDefinitions": [
        {"policyDefinitionId": webapp, "policyDefinitionReferenceId": "web"},
        {"policyDefinitionId": builtin_audit[0], "policyDefinitionReferenceId": "audit",
         "parameters": {"effect": {"value": "Audit"}}}]}})
d["resources"].append(assignment(sid, "set-sub", sid + "/providers/Microsoft.Authorization/policySetDefinitions/cc-set"))
json.dump(d, open(sys.argv[1], "w"), indent=1)
PY
start_armsim --world "$WORK/world.json" --time-scale 10
get_token
V=api-version=2021-10-01
S="/subscriptions/$SMALL_SUB"
A="$S/providers/Microsoft.Authorization/policyAssignments"
scan "$SMALL_SUB"
rem() { echo "$1/providers/Microsoft.PolicyInsights/remediations/$2?$V"; }
put_rem() { arm PUT "$(rem "$1" "$2")" "{\"properties\":$3}"; }
expect_error() {
	assert_eq "$1" "$STATUS" "$3 status"
	assert_eq "$2" "$(error_code)" "$3 code"
}

# validation
put_rem "$S" r1 '{}'
expect_error 400 InvalidCreateRemediationRequest "no assignment id"
put_rem "$S" r1 "{\"policyAssignmentId\":\"$A/nope\"}"
expect_error 400 InvalidCreateRemediationRequest "unknown assignment"
put_rem "$S" r1 "{\"policyAssignmentId\":\"$A/set-sub\"}"
expect_error 400 InvalidCreateRemediationRequest "initiative without reference"
assert_contains "$WORK/body" "Remediations must specify a single policy definition reference ID within the policy set definition."
put_rem "$S" r1 "{\"policyAssignmentId\":\"$A/set-sub\",\"policyDefinitionReferenceId\":\"audit\"}"
# an Audit member of the initiative: Azure accepts it (201) and the task has nothing to do
assert_eq 201 "$STATUS" "audit member status"
assert_eq "Succeeded 0" "$(json "$WORK/body" '"\(.properties.provisioningState) \(.properties.deploymentStatus.totalDeployments)"')" "audit member task"
put_rem "$S" r1 "{\"policyAssignmentId\":\"$A/set-sub\",\"policyDefinitionReferenceId\":\"nope\"}"
expect_error 400 InvalidCreateRemediationRequest "unknown reference"
put_rem "$SMALL_MG" r1 "{\"policyAssignmentId\":\"$A/set-sub\",\"policyDefinitionReferenceId\":\"web\",\"resourceDiscoveryMode\":\"ReEvaluateCompliance\"}"
expect_error 400 InvalidCreateRemediationRequest "ReEvaluateCompliance at a management group"
put_rem "$S" r1 "{\"policyAssignmentId\":\"$A/set-sub\",\"policyDefinitionReferenceId\":\"web\",\"parallelDeployments\":31}"
expect_error 400 InvalidCreateRemediationRequest "parallelDeployments 31"

# resourceCount: one deployment out of the group's three
put_rem "$S" count "{\"policyAssignmentId\":\"$A/set-sub\",\"policyDefinitionReferenceId\":\"web\",\"resourceCount\":1}"
assert_eq 201 "$STATUS" "resourceCount task"
# the same name while active: refused
put_rem "$S" count "{\"policyAssignmentId\":\"$A/set-sub\",\"policyDefinitionReferenceId\":\"web\"}"
expect_error 400 InvalidUpdateRemediationRequest "re-send while active"
assert_contains "$WORK/body" "A remediation may not be changed or replaced while it is active."
# filters.locations: only the northeurope site
put_rem "$S/resourceGroups/geo-rg" geo "{\"policyAssignmentId\":\"$S/resourceGroups/geo-rg/providers/Microsoft.Authorization/policyAssignments/dine-geo-rg\",\"filters\":{\"locations\":[\"northeurope\"]}}"
assert_eq 201 "$STATUS" "locations task"
# parallelDeployments 1 with a locked site first and failureThreshold 0: stops after it
put_rem "$S/resourceGroups/lf-rg" lf "{\"policyAssignmentId\":\"$S/resourceGroups/lf-rg/providers/Microsoft.Authorization/policyAssignments/dine-lf-rg\",\"parallelDeployments\":1,\"failureThreshold\":{\"percentage\":0.0}}"
assert_eq 201 "$STATUS" "threshold task"
# a fourth active task passes the tenant's limit (maxConcurrentRemediations 3)
put_rem "$S" fourth "{\"policyAssignmentId\":\"$A/set-sub\",\"policyDefinitionReferenceId\":\"web\"}"
expect_error 400 InvalidCreateRemediationRequest "tenant limit"
assert_contains "$WORK/body" "the most allowed at once"

assert_eq Succeeded "$(remediation_wait "$S/providers/Microsoft.PolicyInsights/remediations/count")" "resourceCount task"
assert_eq 1 "$(json "$WORK/body" '.properties.deploymentStatus.totalDeployments')" "resourceCount honoured"
assert_eq Succeeded "$(remediation_wait "$S/resourceGroups/geo-rg/providers/Microsoft.PolicyInsights/remediations/geo")" "locations task"
arm POST "$S/resourceGroups/geo-rg/providers/Microsoft.PolicyInsights/remediations/geo/listDeployments?$V"
assert_eq "n-1:northeurope" "$(json "$WORK/body" '[.value[] | (.remediatedResourceId | split("/") | last) + ":" + .resourceLocation] | join(" ")')" "filters.locations honoured"
assert_eq Failed "$(remediation_wait "$S/resourceGroups/lf-rg/providers/Microsoft.PolicyInsights/remediations/lf")" "threshold task"
assert_eq "3 0 1" "$(json "$WORK/body" '.properties.deploymentStatus | "\(.totalDeployments) \(.successfulDeployments) \(.failedDeployments)"')" "failureThreshold stopped the rest"
arm POST "$S/resourceGroups/lf-rg/providers/Microsoft.PolicyInsights/remediations/lf/listDeployments?$V"
assert_eq "a-locked:Failed:ScopeLocked b-off:Canceled: c-off:Canceled:" "$(json "$WORK/body" '[.value[] | (.remediatedResourceId | split("/") | last) + ":" + .status + ":" + (.error.code // "")] | join(" ")')" "only the locked site ran"
arm GET "$S/resourceGroups/lf-rg/providers/Microsoft.Web/sites/b-off?api-version=2024-11-01"
assert_eq false "$(json "$WORK/body" '.properties.clientCertEnabled')" "b-off left alone"

# a finished task may be sent again under its name: 200
put_rem "$S" count "{\"policyAssignmentId\":\"$A/set-sub\",\"policyDefinitionReferenceId\":\"web\",\"resourceCount\":1}"
assert_eq 200 "$STATUS" "re-send after the end"

# parallelDeployments 1 runs one at a time: one finished while the next still runs
arm PATCH "$S/resourceGroups/geo-rg/providers/Microsoft.Web/sites/n-1?api-version=2024-11-01" '{"properties":{"clientCertEnabled":false}}'
put_rem "$S/resourceGroups/geo-rg" serial "{\"policyAssignmentId\":\"$S/resourceGroups/geo-rg/providers/Microsoft.Authorization/policyAssignments/dine-geo-rg\",\"parallelDeployments\":1,\"resourceDiscoveryMode\":\"ReEvaluateCompliance\"}"
assert_eq 201 "$STATUS" "serial task"
one_done() {
	arm GET "$(rem "$S/resourceGroups/geo-rg" serial)"
	[ "$(json "$WORK/body" '.properties.deploymentStatus.successfulDeployments')" -ge 1 ]
}
poll_until 20 one_done
assert_eq "Running 3 1" "$(json "$WORK/body" '.properties | "\(.provisioningState) \(.deploymentStatus.totalDeployments) \(.deploymentStatus.successfulDeployments)"')" "one deployment at a time"
