#!/bin/sh
# The previous whole-site remediation (tests/data/old-unsafe-whole-site-dine/: it PUT back the
# site read with reference(..., 'Full') plus the two settings) against the sites it broke on
# App Service, then the generator's minimal one (policies/rest) against the same world:
#   flex-fn  Flex Consumption function app   old: 400 "... for Flex Consumption sites is invalid"
#   arc-app  app on Kubernetes/Arc            old: 400, the rebuilt body has no extendedLocation
#   vnet-app Site.vnetRouteAllEnabled = true  old: 400 "SiteConfig.VnetRouteAllEnabled cannot be modified"
#   stop-app stopped while the deployment runs old: restarted by the stale "Running" it read
#   excl-app clientCertExclusionPaths with HTTP/2 (at risk): the paths are left as they are
# The new one remediates all of them, leaves stop-app stopped, and changes nothing else: every
# other property of every site is byte-equal in /_armsim/world.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
# python3 builds this world and compares JSON (landed with main after the jq pass of issue 9;
# to be moved to jq); armsim-lib.sh no longer requires python3, so check here
command -v python3 >/dev/null || skip "python3 is not installed"

SUB=00000000-0000-0000-0000-0000000000c1
RG=/subscriptions/$SUB/resourceGroups/rg-old
PRINCIPAL=5e1f0000-0000-4000-8000-00000000c0de
python3 - "$WORK/world.json" "$TOP" "$ARMSIM_DEMO_TENANT" "$ARMSIM_DEMO_CLIENT" "$ARMSIM_DEMO_SECRET" "$PRINCIPAL" <<'PY'
import json, sys, os
out, top, tenant, client, secret, principal = sys.argv[1:7]
sub = "00000000-0000-0000-0000-0000000000c1"
rg = "/subscriptions/%s/resourceGroups/rg-old" % sub
def site(name, kind, **extra):
    props = {"clientCertEnabled": False, "clientCertMode": "Optional", "httpsOnly": True,
             "siteConfig": {"http20Enabled": False}}
    props.update(extra.pop("props", {}))
    s = {"name": name, "kind": kind, "location": "westeurope", "tags": {"team": name},
         "properties": props}
    s.update(extra)
    return s
sites = [
    site("flex-fn", "functionapp,linux", props={"sku": "FlexConsumption", "reserved": True}),
    site("arc-app", "app,linux,kubernetes", extendedLocation={
        "name": rg + "/providers/Microsoft.ExtendedLocation/customLocations/cl-1",
        "type": "CustomLocation"}),
    site("vnet-app", "app", props={"vnetRouteAllEnabled": True}),
    site("stop-app", "app"),
    # exclusion paths with HTTP/2 (at risk): the remediation leaves the paths as they are
    site("excl-app", "app", props={"clientCertExclusionPaths": "/public",
                                   "siteConfig": {"http20Enabled": True}}),
]
res = []
pairs = [("old-webapp", "tests/data/old-unsafe-whole-site-dine/webapp.json"),
         ("old-functionapp", "tests/data/old-unsafe-whole-site-dine/functionapp.json"),
         ("new-webapp", "policies/rest/managementGroups/contoso-landing-zones/policyDefinitions/appservice-client-cert-webapp.json"),
         ("new-functionapp", "policies/rest/managementGroups/contoso-landing-zones/policyDefinitions/appservice-client-cert-functionapp.json")]
for name, path in pairs:
    d = json.load(open(os.path.join(top, path)))
    d.update({"id": "/subscriptions/%s/providers/Microsoft.Authorization/policyDefinitions/%s" % (sub, name),
              "name": name, "type": "Microsoft.Authorization/policyDefinitions"})
    res.append(d)
    res.append({"id": rg + "/providers/Microsoft.Authorization/policyAssignments/" + name, "name": name,
                "type": "Microsoft.Authorization/policyAssignments", "location": "westeurope",
                "identity": {"type": "SystemAssigned", "principalId": principal, "tenantId": tenant},
                "properties": {"policyDefinitionId": d["id"], "scope": rg, "parameters": {}}})
json.dump({"tenantId": tenant,
           "knobs": {"deploymentDurationMs": 1500000},
           "subscriptions": [{"subscriptionId": sub, "displayName": "old",
                              "resourceGroups": [{"name": "rg-old", "location": "westeurope", "sites": sites}]}],
           "principals": [
               {"displayName": "demo", "objectId": "d3d0c11e-0000-4000-8000-0000000000d2",
                "clientId": client, "clientSecret": secret, "roleAssignments": [{"role": "Owner", "scope": "/"}]},
               {"displayName": "policy", "objectId": principal, "clientId": "5e1f0000-0000-4000-8000-00000000c0df",
                "managed": True, "roleAssignments": [{"role": "Website Contributor", "scope": "/"}]}],
           "resources": res}, open(out, "w"), indent=1)
PY
# deployments last 1.5 s real (1,500 s simulated): long enough to stop an app while one runs
start_armsim --world "$WORK/world.json" --time-scale 1000
get_token
REMS=/subscriptions/$SUB/providers/Microsoft.PolicyInsights/remediations

scan() {
	arm POST "/subscriptions/$SUB/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation?api-version=2019-10-01"
	assert_eq 202 "$STATUS" "triggerEvaluation"
	assert_eq 200 "$(poll_value 20 '!202' get_status "$(header Location)")" "scan"
}
task_state() {
	arm GET "$REMS/$1?api-version=2021-10-01"
	jq -r .properties.provisioningState "$WORK/body"
}
# remediate PREFIX — one task per definition (webapp, functionapp); stop-app is stopped while
# the webapp task's deployments run; waits for both tasks and keeps their deployments
remediate() {
	for kind in webapp functionapp; do
		arm PUT "$REMS/$1-$kind?api-version=2021-10-01" \
			"{\"properties\":{\"policyAssignmentId\":\"$RG/providers/Microsoft.Authorization/policyAssignments/$1-$kind\"}}"
		assert_eq 201 "$STATUS" "remediation $1-$kind"
	done
	assert_eq Running "$(POLL_EVERY=0.02 poll_value 10 'Running' task_state "$1-webapp")" "$1-webapp deploying"
	arm PATCH "$RG/providers/Microsoft.Web/sites/stop-app?api-version=2024-11-01" '{"properties":{"state":"Stopped"}}'
	assert_eq 200 "$STATUS" "stop stop-app while the deployment runs"
	for kind in webapp functionapp; do
		poll_value 30 'Succeeded|Failed' task_state "$1-$kind" >/dev/null
		arm POST "$REMS/$1-$kind/listDeployments?api-version=2021-10-01"
		assert_eq 200 "$STATUS" "listDeployments $1-$kind"
		jq -c '.value[] | {site: (.remediatedResourceId | sub(".*/"; "")), status, message: (.error.message // "")}' \
			"$WORK/body" >>"$WORK/deployments-$1"
	done
	cat "$WORK/deployments-$1"
}
deployment() { jq -r --arg s "$2" 'select(.site == $s) | "\(.status) \(.message)"' "$WORK/deployments-$1"; }

# --- the old whole-site template
world_json >"$WORK/world-before.json"
scan
remediate old
case $(deployment old flex-fn) in
"Failed The following list of 5 site configuration properties ("*") for Flex Consumption sites is invalid."*) ;;
*) fail "old template on Flex: $(deployment old flex-fn)" ;; esac
case $(deployment old arc-app) in
"Failed "*extendedLocation*) ;; *) fail "old template on Arc: $(deployment old arc-app)" ;; esac
assert_eq "Failed There was a conflict. SiteConfig.VnetRouteAllEnabled cannot be modified. Please modify the Site.VnetRouteAllEnabled property." \
	"$(deployment old vnet-app)" "old template on a site with vnetRouteAllEnabled"
assert_eq "Succeeded " "$(deployment old stop-app)" "old template on stop-app"
arm GET "$RG/providers/Microsoft.Web/sites/stop-app?api-version=2024-11-01"
assert_eq Running "$(jq -r .properties.state "$WORK/body")" "the old template restarted the app stopped while it ran"

# --- the new minimal template, on the world as loaded
curl -sf -X POST "$ARMSIM_URL/_armsim/reset" >/dev/null || fail "reset"
get_token
assert_eq "$(jq -S .subscriptions "$WORK/world-before.json")" "$(world_json | jq -S .subscriptions)" "reset gave the world as loaded"
scan
remediate new
for s in flex-fn arc-app vnet-app stop-app excl-app; do
	assert_eq "Succeeded " "$(deployment new $s)" "new template on $s"
done
world_json >"$WORK/world-after.json"
python3 - "$WORK/world-before.json" "$WORK/world-after.json" <<'PY' || fail "the new template changed more than the two settings"
import json, sys
before, after = (json.load(open(p)) for p in sys.argv[1:3])
def sites(w):
    return {s["name"]: s for g in w["subscriptions"][0]["resourceGroups"] for s in g["sites"]}
b, a = sites(before), sites(after)
assert b.keys() == a.keys(), (b.keys(), a.keys())
for name in b:
    got = a[name]
    assert got["properties"].pop("clientCertEnabled") is True, name
    assert got["properties"].pop("clientCertMode") == "Required", name
    if name == "stop-app":   # the test stopped it; the remediation left it stopped
        assert got["properties"].pop("state") == "Stopped", got
    want = b[name]
    del want["properties"]["clientCertEnabled"], want["properties"]["clientCertMode"]
    assert json.dumps(want, sort_keys=True) == json.dumps(got, sort_keys=True), (name, want, got)
assert a["excl-app"]["properties"]["clientCertExclusionPaths"] == "/public"
print("new template: 5 of 5 remediated, every other property of every site unchanged")
PY
