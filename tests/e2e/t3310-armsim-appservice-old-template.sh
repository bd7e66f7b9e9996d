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
SUB=00000000-0000-0000-0000-0000000000c1
RG=/subscriptions/$SUB/resourceGroups/rg-old
PRINCIPAL=5e1f0000-0000-4000-8000-00000000c0de
OLD=$TOP/tests/data/old-unsafe-whole-site-dine
NEW=$TOP/policies/rest/managementGroups/contoso-landing-zones/policyDefinitions
jq -n --arg tenant "$ARMSIM_DEMO_TENANT" --arg client "$ARMSIM_DEMO_CLIENT" \
	--arg secret "$ARMSIM_DEMO_SECRET" --arg principal "$PRINCIPAL" --arg sub "$SUB" --arg rg "$RG" \
	--slurpfile oldweb "$OLD/webapp.json" --slurpfile oldfn "$OLD/functionapp.json" \
	--slurpfile newweb "$NEW/appservice-client-cert-webapp.json" \
	--slurpfile newfn "$NEW/appservice-client-cert-functionapp.json" '
def site($name; $kind; $props; $extra):
	{name: $name, kind: $kind, location: "westeurope", tags: {team: $name},
	 properties: ({clientCertEnabled: false, clientCertMode: "Optional", httpsOnly: true,
		siteConfig: {http20Enabled: false}} + $props)} + $extra;
# a definition under its name, and its assignment at the resource group
def pair($name; $body):
	($body + {id: "/subscriptions/\($sub)/providers/Microsoft.Authorization/policyDefinitions/\($name)",
		name: $name, type: "Microsoft.Authorization/policyDefinitions"}) as $d
	| $d,
	{id: ($rg + "/providers/Microsoft.Authorization/policyAssignments/" + $name), name: $name,
	 type: "Microsoft.Authorization/policyAssignments", location: "westeurope",
	 identity: {type: "SystemAssigned", principalId: $principal, tenantId: $tenant},
	 properties: {policyDefinitionId: $d.id, scope: $rg, parameters: {}}};
{tenantId: $tenant,
 knobs: {deploymentDurationMs: 1500000},
 subscriptions: [{subscriptionId: $sub, displayName: "old", resourceGroups: [
	{name: "rg-old", location: "westeurope", sites: [
		site("flex-fn"; "functionapp,linux"; {sku: "FlexConsumption", reserved: true}; {}),
		site("arc-app"; "app,linux,kubernetes"; {}; {extendedLocation: {
			name: ($rg + "/providers/Microsoft.ExtendedLocation/customLocations/cl-1"),
			type: "CustomLocation"}}),
		site("vnet-app"; "app"; {vnetRouteAllEnabled: true}; {}),
		site("stop-app"; "app"; {}; {}),
		# exclusion paths with HTTP/2 (at risk): the remediation leaves the paths as they are
		site("excl-app"; "app"; {clientCertExclusionPaths: "/public",
			siteConfig: {http20Enabled: true}}; {})]}]}],
 principals: [
	{displayName: "demo", objectId: "d3d0c11e-0000-4000-8000-0000000000d2",
	 clientId: $client, clientSecret: $secret, roleAssignments: [{role: "Owner", scope: "/"}]},
	{displayName: "policy", objectId: $principal, clientId: "5e1f0000-0000-4000-8000-00000000c0df",
	 managed: true, roleAssignments: [{role: "Website Contributor", scope: "/"}]}],
 resources: [pair("old-webapp"; $oldweb[0]), pair("old-functionapp"; $oldfn[0]),
	pair("new-webapp"; $newweb[0]), pair("new-functionapp"; $newfn[0])]}' >"$WORK/world.json" ||
	fail "building the world"
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
# every site: clientCertEnabled true and clientCertMode Required (stop-app also still Stopped),
# and everything else equal to the world as loaded; prints what differs
jq -n -r --slurpfile before "$WORK/world-before.json" --slurpfile after "$WORK/world-after.json" '
def sites: [.subscriptions[0].resourceGroups[].sites[] | {key: .name, value: .}] | from_entries;
($before[0] | sites) as $b | ($after[0] | sites) as $a
| if ($b | keys) != ($a | keys) then "sites before \($b | keys), after \($a | keys)"
  else $b | keys[] as $name | $a[$name] as $got | $b[$name] as $want
	| if $got.properties.clientCertEnabled != true then "\($name): clientCertEnabled \($got.properties.clientCertEnabled)"
	  elif $got.properties.clientCertMode != "Required" then "\($name): clientCertMode \($got.properties.clientCertMode)"
	  # the test stopped it; the remediation left it stopped
	  elif $name == "stop-app" and $got.properties.state != "Stopped" then "\($name): state \($got.properties.state)"
	  elif ($want.properties | has("clientCertEnabled") and has("clientCertMode") | not) then "\($name): loaded without the two settings"
	  elif ($got | del(.properties.clientCertEnabled, .properties.clientCertMode)
		| if $name == "stop-app" then del(.properties.state) else . end)
		!= ($want | del(.properties.clientCertEnabled, .properties.clientCertMode))
	  then "\($name) changed: before \($want | tojson) after \($got | tojson)"
	  else empty end
  end,
  if $a["excl-app"].properties.clientCertExclusionPaths != "/public"
  then "excl-app: clientCertExclusionPaths \($a["excl-app"].properties.clientCertExclusionPaths)" else empty end
' >"$WORK/changed" || fail "comparing the worlds"
[ -s "$WORK/changed" ] && fail "the new template changed more than the two settings: $(cat "$WORK/changed")"
echo "new template: 5 of 5 remediated, every other property of every site unchanged"
