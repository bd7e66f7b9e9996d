# Helpers for the policy engine's end-to-end tests (sourced after tests/lib.sh and
# armsim-lib.sh). Not a test itself: the runner only picks up t[0-9]*.sh.

need_shared
ROOT_MG=/providers/Microsoft.Management/managementGroups/$ARMSIM_DEMO_TENANT
POLICY_PRINCIPAL=5e1f0000-0000-4000-8000-00000000beef
ASSIGNMENT_ID=$ROOT_MG/providers/Microsoft.Authorization/policyAssignments/appsvc-client-cert
WEBSITE_CONTRIBUTOR=de139f84-1756-47ae-9be6-808fbbe84772

# policy_world SPEC OUT — a generated world (SPEC). Start it with $BUILTINS so that the
# built-in audit definitions the initiative names exist.
BUILTINS="--builtins $SHARED/policy-refs/builtin"
policy_world() {
	"$ARMSIM" world --generate "$1" >"$2"
}

# scan SUB — triggers a scan of a subscription, polls its Location (202 while it runs) to 200
# and checks the result is Succeeded.
scan() {
	arm POST "/subscriptions/$1/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation?api-version=2019-10-01"
	assert_eq 202 "$STATUS" "triggerEvaluation"
	location=$(header Location)
	[ -n "$location" ] || fail "triggerEvaluation gave no Location"
	assert_eq 200 "$(poll_value 20 '!202' get_status "$location")" "scan of $1 (Location status)"
	assert_eq Succeeded "$(jq -r .status "$WORK/body")" "scan result"
}

# remediation_state PATH — the provisioningState of a remediation task (fails on a non-200).
remediation_state() {
	arm GET "$1?api-version=2021-10-01"
	assert_eq 200 "$STATUS" "remediation get"
	jq -r .properties.provisioningState "$WORK/body"
}

# remediation_wait PATH — polls a remediation task until a terminal provisioningState; prints it.
remediation_wait() { poll_value 30 'Succeeded|Failed|Canceled' remediation_state "$1"; }

# sites_snapshot FILE — every site and slot of the world as ARM's GET shows it.
sites_snapshot() {
	jq -r '.subscriptions[] | .subscriptionId as $s | .resourceGroups[]? | .name as $g | .sites[]?
		| "/subscriptions/\($s)/resourceGroups/\($g)/providers/Microsoft.Web/sites/\(.name)" as $base
		| "\($base) \(if .locked then 1 else 0 end)",
		  ((.slots // [])[] | "\($base)/slots/\(.name) \(if .locked then 1 else 0 end)")' \
		"$WORK/world.json" >"$WORK/site-ids"
	echo "{" >"$1"
	first=1
	while read -r id locked; do
		arm GET "$id?api-version=2024-11-01"
		assert_eq 200 "$STATUS" "site get $id"
		[ $first = 1 ] || echo "," >>"$1"
		first=0
		printf '"%s": {"locked": %s, "site": ' "$id" "$locked" >>"$1"
		cat "$WORK/body" >>"$1"
		echo "}" >>"$1"
	done <"$WORK/site-ids"
	echo "}" >>"$1"
}

# small_world OUT [KNOBS_JSON] — one subscription, resource group az-cli-policy-insights-test
# with web apps app-off (disabled), app-opt (Optional), app-ok (Required), app-locked (disabled,
# locked) and function app fn-off; the webapp DINE definition assigned there (remediate-rg),
# the built-in Audit client-certificate definition assigned at the management group
# (audit-mg), the HTTPS-only Modify built-in assigned at the group (https-rg). The policy
# identity has Website Contributor at the tenant root group.
SMALL_SUB=00000000-0000-0000-0000-0000000000a1
SMALL_RG=/subscriptions/$SMALL_SUB/resourceGroups/az-cli-policy-insights-test
SMALL_MG=/providers/Microsoft.Management/managementGroups/mg-rec
small_world() {
	_defs=$TOP/policies/rest/managementGroups/contoso-landing-zones/policyDefinitions
	jq -n --arg sub "$SMALL_SUB" --arg tenant "$ARMSIM_DEMO_TENANT" --arg client "$ARMSIM_DEMO_CLIENT" \
		--arg secret "$ARMSIM_DEMO_SECRET" --arg principal "$POLICY_PRINCIPAL" --argjson knobs "${2:-{\}}" \
		--slurpfile webapp "$_defs/appservice-client-cert-webapp.json" \
		--slurpfile deny "$_defs/appservice-client-cert-deny.json" \
		--slurpfile audit "$SHARED/policy-refs/builtin/Webapp_Audit_ClientCert.json" \
		--slurpfile https "$SHARED/policy-refs/builtin/Webapp_AuditHTTP_Modify.json" '
	"az-cli-policy-insights-test" as $rg
	| "/subscriptions/\($sub)/resourceGroups/\($rg)" as $rgid
	| "/providers/Microsoft.Management/managementGroups/\($tenant)" as $root
	| "/subscriptions/\($sub)/providers/Microsoft.Authorization/policyDefinitions/" as $subdefs
	| def site($name; $kind; $cert; $mode; $locked):
		{name: $name, kind: $kind, location: "westeurope", tags: {env: "rec"}, locked: $locked,
		 properties: {clientCertEnabled: $cert, clientCertMode: $mode, httpsOnly: true,
			siteConfig: {http20Enabled: false},
			serverFarmId: "\($rgid)/providers/Microsoft.Web/serverfarms/plan"}};
	def assignment($scope; $name; $definition; $params; $identity):
		{id: "\($scope)/providers/Microsoft.Authorization/policyAssignments/\($name)", name: $name,
		 type: "Microsoft.Authorization/policyAssignments",
		 properties: {policyDefinitionId: $definition, scope: $scope, enforcementMode: "Default",
			parameters: $params}}
		+ if $identity then {location: "westeurope",
			identity: {type: "SystemAssigned", principalId: $principal, tenantId: $tenant}} else {} end;
	($webapp[0] + {id: "\($subdefs)cc-webapp", name: "cc-webapp",
		type: "Microsoft.Authorization/policyDefinitions"}) as $webapp_def
	| {tenantId: $tenant, seed: 3, knobs: $knobs,
	   managementGroups: [{name: "mg-rec", displayName: "recordings"}],
	   subscriptions: [{subscriptionId: $sub, displayName: "rec", managementGroup: "mg-rec",
		resourceGroups: [{name: $rg, location: "westeurope", sites: [
			site("app-off"; "app"; false; "Required"; false),
			site("app-opt"; "app"; true; "Optional"; false),
			site("app-ok"; "app"; true; "Required"; false),
			site("app-locked"; "app"; false; "Required"; true),
			site("fn-off"; "functionapp"; false; "Required"; false)]},
		  {name: "other-rg", location: "northeurope", sites: [
			site("app-north"; "app"; false; "Required"; false)]}]}],
	   principals: [
		{displayName: "demo", objectId: "d3d0c11e-0000-4000-8000-0000000000d2",
		 clientId: $client, clientSecret: $secret, roleAssignments: [{role: "Owner", scope: $root}]},
		{displayName: "policy", objectId: $principal, clientId: "5e1f0000-0000-4000-8000-00000000cafe",
		 managed: true, roleAssignments: [{role: "Website Contributor", scope: $root}]}],
	   resources: [
		$webapp_def,
		$deny[0] + {id: "\($subdefs)cc-deny", name: "cc-deny",
			type: "Microsoft.Authorization/policyDefinitions"},
		$audit[0] + {type: "Microsoft.Authorization/policyDefinitions"},
		$https[0] + {type: "Microsoft.Authorization/policyDefinitions"},
		assignment($rgid; "remediate-rg"; $webapp_def.id; {}; true),
		assignment("/providers/Microsoft.Management/managementGroups/mg-rec"; "audit-mg";
			"/providers/Microsoft.Authorization/policyDefinitions/\($audit[0].name)";
			{effect: {value: "Audit"}}; false),
		assignment($rgid; "https-rg";
			"/providers/Microsoft.Authorization/policyDefinitions/\($https[0].name)"; {}; true)]}' >"$1"
}

# recording_response FILE N — the body of the N-th interaction (0-based) of a vcrpy cassette in
# shared/arm/recordings, as JSON on stdout (no YAML parser needed: vcrpy writes each body as
# single-quoted scalar, folded over lines when long).
recording_response() {
	# python3, not jq: the cassette is YAML (folded single-quoted scalars), not JSON
	python3 - "$SHARED/arm/recordings/$1" "$2" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
bodies = []
for m in re.finditer(r"^      string: '", text, re.M):
    i, out = m.end(), []
    while True:
        c = text[i]
        if c == "'":
            if text[i + 1] == "'":
                out.append("'"); i += 2; continue
            break
        if c == "\n":
            # YAML folds a line break and the next line's indentation into one space
            j = i + 1
            while text[j] in " \t":
                j += 1
            out.append(" "); i = j; continue
        out.append(c); i += 1
    bodies.append("".join(out))
print(bodies[int(sys.argv[2])] or "null")
PY
}

# same_shape RECORDED_JSON ACTUAL_FILE WHAT — every field of the recorded body exists in the
# actual one with the same JSON type (recursively; a recorded null matches anything).
same_shape() {
	_shape=$(printf '%s' "$1" | jq -r --arg what "$3" --slurpfile act "$2" '
		def shape($r; $a; $path):
			if $r == null then empty
			elif ($r | type) != ($a | type) then
				"\($what): \($path) is \($r | type) in the recording, \($a | type) here"
			elif ($r | type) == "object" then
				$r | to_entries[] | .key as $k
				| if $a | has($k) then shape(.value; $a[$k]; "\($path).\($k)")
				  else "\($what): \($path).\($k) is missing" end
			elif ($r | type) == "array" and ($r | length) > 0 and ($a | length) > 0 then
				shape($r[0]; $a[0]; "\($path)[0]")
			else empty end;
		shape(.; $act[0]; "$")') || fail "$3: the recorded or the actual body is not JSON"
	[ -z "$_shape" ] || { echo "$_shape" >&2; fail "$3: response shape differs from the recording"; }
}

# put_policies [ROLE] — PUTs the generator's definitions, initiative and assignment
# (policies/rest, in manifest order) moved to the tenant root group, expects 201 each, sets
# ASSIGNMENT_PRINCIPAL from the assignment's identity, and grants it ROLE (a role definition
# GUID) at the tenant root group when given.
put_policies() {
	_src_mg=/providers/Microsoft.Management/managementGroups/contoso-landing-zones
	jq -r --arg src "$_src_mg" --arg root "$ROOT_MG" '.resources | to_entries[]
		| "\(.value.kind) \(.value.id | split($src) | join($root))?api-version=\(.value.apiVersion) \(.value.file) \(.key)"' \
		"$TOP/policies/rest/manifest.json" >"$WORK/manifest-lines"
	while read -r kind url file i; do
		jq -c --arg src "$_src_mg" --arg root "$ROOT_MG" --arg kind "$kind" '
			walk(if type == "string" then split($src) | join($root) else . end)
			| if $kind == "policyAssignment" then .properties.notScopes = [] else . end' \
			"$TOP/policies/rest/$file" >"$WORK/put-$i.json" || fail "cannot read policies/rest/$file"
		echo "$kind $url $WORK/put-$i.json"
	done <"$WORK/manifest-lines" >"$WORK/puts"
	while read -r kind url file; do
		arm PUT "$url" "$(cat "$file")"
		[ "$STATUS" = 201 ] || { cat "$WORK/body" >&2; fail "PUT $kind: $STATUS"; }
		[ "$kind" = policyAssignment ] &&
			ASSIGNMENT_PRINCIPAL=$(jq -r .identity.principalId "$WORK/body")
	done <"$WORK/puts"
	[ -n "${ASSIGNMENT_PRINCIPAL:-}" ] || fail "the assignment has no principalId"
	if [ -n "${1:-}" ]; then
		arm PUT "$ROOT_MG/providers/Microsoft.Authorization/roleAssignments/0000aaaa-0000-4000-8000-00000000c0de?api-version=2022-04-01" \
			"{\"properties\":{\"roleDefinitionId\":\"$ROOT_MG/providers/Microsoft.Authorization/roleDefinitions/$1\",\"principalId\":\"$ASSIGNMENT_PRINCIPAL\",\"principalType\":\"ServicePrincipal\"}}"
		[ "$STATUS" = 201 ] || { cat "$WORK/body" >&2; fail "role assignment: $STATUS"; }
	fi
}
