#!/bin/sh
# armsim's App Service answers as App Service does (issue 11), each point against a small world:
# a PUT is partial (what the body does not name is kept); a Flex Consumption site refuses the
# siteConfig keys Flex does not take, with App Service's 400 and message; `state` is writable;
# an Arc app keeps its extendedLocation and needs it on a whole-resource PUT; siteConfig's
# publicNetworkAccess / vnetRouteAllEnabled may not differ from the site's; a site has the
# properties of a real GET (sku, clientCertExclusionPaths null, no tags it was not given);
# config/web answers GET, PUT and PATCH; config/appsettings/list; api-version 2023-01-01;
# worldgen's flex= makes Flex Consumption function apps.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
SUB=00000000-0000-0000-0000-0000000000b1
RG=/subscriptions/$SUB/resourceGroups/rg-web
jq -n --arg tenant "$ARMSIM_DEMO_TENANT" --arg client "$ARMSIM_DEMO_CLIENT" \
	--arg secret "$ARMSIM_DEMO_SECRET" --arg sub "$SUB" --arg rg "$RG" '
{tenantId: $tenant,
 subscriptions: [{subscriptionId: $sub, displayName: "web", resourceGroups: [
	{name: "rg-web", location: "westeurope", sites: [
		{name: "app-a", kind: "app", tags: {env: "x"}, appSettings: {A: "1"},
		 properties: {clientCertEnabled: false, httpsOnly: true,
			serverFarmId: ($rg + "/providers/Microsoft.Web/serverfarms/plan-a"),
			siteConfig: {http20Enabled: true, minTlsVersion: "1.2"}}},
		{name: "app-notags", kind: "app"},
		{name: "flex-fn", kind: "functionapp,linux", tags: {},
		 properties: {sku: "FlexConsumption", reserved: true}},
		{name: "arc-app", kind: "app,linux,kubernetes",
		 extendedLocation: {name: ($rg + "/providers/Microsoft.ExtendedLocation/customLocations/cl-1"),
			type: "CustomLocation"}},
		{name: "vnet-app", kind: "app",
		 properties: {vnetRouteAllEnabled: true, publicNetworkAccess: "Disabled"}}]}]}],
 principals: [{displayName: "demo", objectId: "d3d0c11e-0000-4000-8000-0000000000d2",
	clientId: $client, clientSecret: $secret,
	roleAssignments: [{role: "Owner", scope: "/"}]}]}' >"$WORK/world.json"
start_armsim --world "$WORK/world.json"
get_token
site() { echo "$RG/providers/Microsoft.Web/sites/$1?api-version=${2:-2024-11-01}"; }
# app_error — App Service's own error shape: Code and Message at the top
app_message() { jq -r .Message "$WORK/body"; }

# --- partial PUT: a GET after a minimal PUT shows the site unchanged but for what was sent
arm GET "$(site app-a)"
cp "$WORK/body" "$WORK/a-before.json"
arm PUT "$(site app-a)" '{"location":"westeurope","properties":{"clientCertEnabled":true,"clientCertMode":"Required"}}'
assert_eq 200 "$STATUS" "minimal PUT"
arm GET "$(site app-a)"
strip='del(.properties.clientCertEnabled, .properties.clientCertMode, .properties.lastModifiedTimeUtc)'
assert_eq "$(jq -S "$strip" "$WORK/a-before.json")" "$(jq -S "$strip" "$WORK/body")" \
	"a minimal PUT keeps every property it does not name"
assert_eq "true Required plan-a true x" \
	"$(jq -r '[.properties.clientCertEnabled, .properties.clientCertMode, (.properties.serverFarmId | sub(".*/"; "")), .properties.siteConfig.http20Enabled, .tags.env] | join(" ")' "$WORK/body")" \
	"what the PUT sent changed, the plan, siteConfig and tags stayed"

# --- Flex Consumption: each refused siteConfig key alone, then two at once, in App Service's words
for key in functionAppScaleLimit ftpsState use32BitWorkerProcess preWarmedInstanceCount \
	netFrameworkVersion functionsRuntimeScaleMonitoringEnabled; do
	arm PUT "$(site flex-fn)" "{\"location\":\"westeurope\",\"properties\":{\"clientCertEnabled\":true,\"siteConfig\":{\"$key\":null}}}"
	assert_eq 400 "$STATUS" "Flex PUT with siteConfig.$key"
	pascal=$(printf '%s' "$key" | sed 's/^./\U&/')
	assert_eq "BadRequest|The following site configuration property (Site.SiteConfig.$pascal) for Flex Consumption sites is invalid. Please remove or rename it before retrying." \
		"$(jq -r '.Code + "|" + .Message' "$WORK/body")" "Flex refusal of $key"
done
arm PUT "$(site flex-fn)" '{"location":"westeurope","properties":{"siteConfig":{"functionAppScaleLimit":0,"ftpsState":"AllAllowed"}}}'
assert_eq "The following list of 2 site configuration properties (Site.SiteConfig.FunctionAppScaleLimit, Site.SiteConfig.FtpsState) for Flex Consumption sites is invalid. Please remove or rename them before retrying." \
	"$(app_message)" "Flex refusal of two keys"
arm PATCH "$RG/providers/Microsoft.Web/sites/flex-fn/config/web?api-version=2024-11-01" '{"properties":{"ftpsState":"Disabled"}}'
assert_eq 400 "$STATUS" "Flex config/web PATCH with ftpsState"
arm GET "$(site flex-fn)"
assert_eq "false" "$(jq -r .properties.clientCertEnabled "$WORK/body")" "refused writes changed nothing"
arm PUT "$(site flex-fn)" '{"location":"westeurope","properties":{"clientCertEnabled":true,"clientCertMode":"Required"}}'
assert_eq 200 "$STATUS" "Flex PUT of the two settings only"
assert_eq "FlexConsumption true" "$(jq -r '"\(.properties.sku) \(.properties.clientCertEnabled)"' "$WORK/body")" "Flex site after"

# --- state is writable
arm PUT "$(site app-notags)" '{"location":"westeurope","properties":{"state":"Stopped"}}'
assert_eq 200 "$STATUS" "PUT state"
arm GET "$(site app-notags)"
assert_eq Stopped "$(jq -r .properties.state "$WORK/body")" "a PUT that sets state changes it"
arm PATCH "$(site app-notags)" '{"properties":{"state":"Paused"}}'
assert_eq 400 "$STATUS" "state outside Running|Stopped"

# --- model: no tags where none were set, clientCertExclusionPaths null, sku, az webapp show's keys
arm GET "$(site app-notags)"
assert_eq "false null Standard" \
	"$(jq -r '"\(has("tags")) \(.properties.clientCertExclusionPaths) \(.properties.sku)"' "$WORK/body")" \
	"a site without tags, exclusion paths or a named sku"
missing=$(jq -r '[("availabilityState clientAffinityEnabled clientCertEnabled clientCertExclusionPaths clientCertMode cloningInfo containerSize customDomainVerificationId dailyMemoryTimeQuota daprConfig defaultHostName dnsConfiguration enabled enabledHostNames endToEndEncryptionEnabled hostNameSslStates hostNames hostNamesDisabled hostingEnvironmentProfile httpsOnly hyperV inProgressOperationId isDefaultContainer isXenon keyVaultReferenceIdentity lastModifiedTimeUtc managedEnvironmentId maxNumberOfWorkers outboundIpAddresses possibleOutboundIpAddresses publicNetworkAccess redundancyMode repositorySiteName reserved resourceConfig resourceGroup scmSiteAlsoStopped serverFarmId siteConfig sku slotSwapStatus state storageAccountRequired suspendedTill targetSwapSlot trafficManagerHostNames usageState virtualNetworkSubnetId vnetBackupRestoreEnabled vnetContentShareEnabled vnetImagePullEnabled vnetRouteAllEnabled workloadProfileName functionAppConfig ipMode autoGeneratedDomainNameLabelScope" | split(" "))[] as $k | select(.properties | has($k) | not) | $k] | join(" ")' "$WORK/body")
assert_eq "" "$missing" "properties of az webapp show a site GET lacks"
[ "$(jq '.properties | length' "$WORK/body")" -ge 90 ] || fail "a site GET has $(jq '.properties | length' "$WORK/body") properties, expected at least 90"

# --- Arc: extendedLocation kept on a partial PUT, required on a whole-resource one
arm PUT "$(site arc-app)" '{"location":"westeurope","properties":{"clientCertEnabled":true}}'
assert_eq 200 "$STATUS" "partial PUT of an Arc app"
assert_eq CustomLocation "$(jq -r .extendedLocation.type "$WORK/body")" "extendedLocation kept"
arm PUT "$(site arc-app)" '{"location":"westeurope","kind":"app,linux,kubernetes","properties":{"clientCertEnabled":true}}'
assert_eq 400 "$STATUS" "whole-resource PUT of an Arc app without extendedLocation"
arm PUT "$(site arc-app)" '{"location":"westeurope","extendedLocation":{"name":"x"},"properties":{}}'
assert_eq "400 InvalidRequestContent" "$STATUS $(error_code)" "extendedLocation without type"

# --- siteConfig may not differ from the site-level property
arm PUT "$(site vnet-app)" '{"location":"westeurope","properties":{"siteConfig":{"vnetRouteAllEnabled":false}}}'
assert_eq 400 "$STATUS" "siteConfig.vnetRouteAllEnabled against the site's"
assert_eq "There was a conflict. SiteConfig.VnetRouteAllEnabled cannot be modified. Please modify the Site.VnetRouteAllEnabled property." \
	"$(app_message)" "vnetRouteAllEnabled conflict message"
assert_eq 01020 "$(jq -r '.Details[2].ErrorEntity.ExtendedCode' "$WORK/body")" "conflict extended code"
arm PUT "$(site vnet-app)" '{"location":"westeurope","properties":{"siteConfig":{"publicNetworkAccess":"Enabled"}}}'
assert_eq "There was a conflict. SiteConfig.PublicNetworkAccess cannot be modified. Please modify the Site.PublicNetworkAccess property." \
	"$(app_message)" "publicNetworkAccess conflict message"
arm PUT "$(site vnet-app)" '{"location":"westeurope","properties":{"publicNetworkAccess":"Enabled","siteConfig":{"publicNetworkAccess":"Enabled"}}}'
assert_eq 200 "$STATUS" "site and siteConfig changed together"

# --- config/web GET, PUT, PATCH (merged into siteConfig); appsettings/list
CFG="$RG/providers/Microsoft.Web/sites/app-a/config/web?api-version=2024-11-01"
arm PATCH "$CFG" '{"properties":{"minTlsVersion":"1.3"}}'
assert_eq "200 1.3 true" "$STATUS $(jq -r '"\(.properties.minTlsVersion) \(.properties.http20Enabled)"' "$WORK/body")" "config/web PATCH"
arm PUT "$CFG" '{"properties":{"alwaysOn":true}}'
assert_eq "200 true 1.3" "$STATUS $(jq -r '"\(.properties.alwaysOn) \(.properties.minTlsVersion)"' "$WORK/body")" "config/web PUT"
arm GET "$CFG"
assert_eq "web true" "$(jq -r '"\(.name) \(.properties.alwaysOn)"' "$WORK/body")" "config/web GET"
arm GET "$(site app-a)"
assert_eq "1.3 true" "$(jq -r '"\(.properties.siteConfig.minTlsVersion) \(.properties.siteConfig.alwaysOn)"' "$WORK/body")" "the site's siteConfig"
arm POST "$RG/providers/Microsoft.Web/sites/app-a/config/appsettings/list?api-version=2024-11-01"
assert_eq '200 {"A":"1"}' "$STATUS $(jq -c .properties "$WORK/body")" "appsettings/list"

# --- api-versions
arm GET "$(site app-a 2023-01-01)"
assert_eq 200 "$STATUS" "Microsoft.Web 2023-01-01 (az 2.56+)"
arm GET "$(site app-a 2021-01-01)"
assert_eq "400 InvalidApiVersionParameter" "$STATUS $(error_code)" "an unknown api-version"

# --- the world keeps what was written: Arc's extendedLocation, no tags added
world_json >"$WORK/world-after.json"
assert_eq "CustomLocation false" \
	"$(jq -r '.subscriptions[0].resourceGroups[0].sites | map({(.name): .}) | add | "\(.["arc-app"].extendedLocation.type) \(.["app-notags"] | has("tags"))"' "$WORK/world-after.json")" \
	"/_armsim/world"

# --- worldgen flex=
"$ARMSIM" world --generate subs=1,mgs=0,rgs=1,sites=40,functions=1,slots=1,flex=0.5 >"$WORK/flex.json"
flex=$(jq '[.subscriptions[].resourceGroups[].sites[] | select(.properties.sku == "FlexConsumption")] | length' "$WORK/flex.json")
[ "$flex" -gt 5 ] && [ "$flex" -lt 35 ] || fail "flex=0.5 of 40 function apps gave $flex Flex Consumption sites"
assert_eq 0 "$(jq '[.subscriptions[].resourceGroups[].sites[] | select(.properties.sku == "FlexConsumption") | select(.slots or (.kind != "functionapp,linux"))] | length' "$WORK/flex.json")" \
	"Flex sites are functionapp,linux without slots"
"$ARMSIM" world --generate subs=1,mgs=0,rgs=1,sites=40,functions=1 >"$WORK/noflex.json"
assert_eq 0 "$(grep -c FlexConsumption "$WORK/noflex.json" || true)" "no flex= no Flex sites"
echo "App Service contract: partial PUT, Flex, state, Arc, conflicts, model, config/web, appsettings, api-versions, worldgen flex="
