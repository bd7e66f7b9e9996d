# Helpers for the fix tests (t502x-fix-*.sh). Source after tests/lib.sh and orch-helpers.sh.
#
# The expected tiers are computed here from armsim's world file with the documented rules
# (docs/inventory.md), independently of policyctl's own classification.

# world_apps FILE — one line per site or slot: "id tier locked open" where tier is 0..3
# (exposed+production, exposed, production, rest), locked and open 0/1.
world_apps() {
	jq -r '.subscriptions[] as $sub | $sub.resourceGroups[] as $rg | $rg.sites[] as $site
		| ($site | {id: "/subscriptions/\($sub.subscriptionId)/resourceGroups/\($rg.name)/providers/Microsoft.Web/sites/\(.name)", app: .}),
		  (($site.slots // [])[] | {id: "/subscriptions/\($sub.subscriptionId)/resourceGroups/\($rg.name)/providers/Microsoft.Web/sites/\($site.name)/slots/\(.name)", app: .})
		| .app.properties as $p
		| (($p.publicNetworkAccess // "") as $pna
		   | ($pna != "Disabled")
		     and (($pna == "" and (($p.privateEndpointConnections // []) | length) > 0) | not)
		     and ((($p.siteConfig // {}).ipSecurityRestrictionsDefaultAction // "") != "Deny")
		     and ($p.hostingEnvironmentProfile == null)) as $exposed
		| ((.app.tags // {}) | to_entries | any((.key | ascii_downcase) as $k | ($k == "env" or $k == "environment")
			and ((.value | ascii_downcase) as $v | $v == "prod" or $v == "production"))) as $prod
		| "\(.id) \(if $exposed and $prod then 0 elif $exposed then 1 elif $prod then 2 else 3 end) \(if .app.locked then 1 else 0 end) \(if ($p.clientCertEnabled == true and $p.clientCertMode == "Required") then 0 else 1 end)"' "$1"
}

# without_cert_props — the world's sites and slots with the two fixed properties removed.
without_cert_props() {
	jq -S '[.subscriptions[].resourceGroups[].sites[] | ., (.slots // [])[]
		| del(.slots) | del(.properties.clientCertEnabled, .properties.clientCertMode)]'
}
