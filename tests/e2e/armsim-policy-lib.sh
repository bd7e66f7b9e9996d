# Helpers for the policy engine's end-to-end tests (sourced after tests/lib.sh and
# armsim-lib.sh). Not a test itself: the runner only picks up t[0-9]*.sh.

need_shared
ROOT_MG=/providers/Microsoft.Management/managementGroups/$DEMO_TENANT
POLICY_PRINCIPAL=5e1f0000-0000-4000-8000-00000000beef
ASSIGNMENT_ID=$ROOT_MG/providers/Microsoft.Authorization/policyAssignments/appsvc-client-cert
WEBSITE_CONTRIBUTOR=de139f84-1756-47ae-9be6-808fbbe84772

# policy_world SPEC OUT [ROLE] — a generated world (SPEC) plus the assignment's managed identity
# (with ROLE at the tenant root group when given, e.g. "Website Contributor") and the built-in
# client-certificate audit definitions the initiative names.
policy_world() {
	"$ARMSIM" world --generate "$1" >"$WORK/generated.json"
	python3 - "$WORK/generated.json" "$2" "$SHARED" "$POLICY_PRINCIPAL" "$ROOT_MG" "${3:-}" <<'EOF'
import json, sys, os
src, out, shared, principal, root, role = sys.argv[1:7]
d = json.load(open(src))
p = {"displayName": "appsvc-client-cert", "objectId": principal,
     "clientId": "5e1f0000-0000-4000-8000-00000000cafe", "managed": True,
     "roleAssignments": [{"role": role, "scope": root}] if role else []}
d["principals"].append(p)
res = d.setdefault("resources", [])
for f in ["ClientCert_Webapp_Audit", "ClientCert_Webapp_Slot_Audit",
          "ClientCert_FunctionApp_Audit", "ClientCert_FunctionApp_Slot_Audit"]:
    b = json.load(open(os.path.join(shared, "policy-refs/builtin", f + ".json")))
    b["type"] = "Microsoft.Authorization/policyDefinitions"
    res.append(b)
json.dump(d, open(out, "w"), indent=1)
EOF
}

# policy_resources_into_world WORLD — adds the generator's definitions, initiative and
# assignment (policies/rest, in manifest order) to a world file, moved to the tenant root group,
# the assignment's identity being $POLICY_PRINCIPAL.
policy_resources_into_world() {
	python3 - "$1" "$TOP/policies/rest" "$ROOT_MG" "$POLICY_PRINCIPAL" <<'EOF'
import json, sys, os
world, rest, root, principal = sys.argv[1:5]
d = json.load(open(world))
m = json.load(open(os.path.join(rest, "manifest.json")))
src_mg = "/providers/Microsoft.Management/managementGroups/contoso-landing-zones"
types = {"policyDefinition": "Microsoft.Authorization/policyDefinitions",
         "policySetDefinition": "Microsoft.Authorization/policySetDefinitions",
         "policyAssignment": "Microsoft.Authorization/policyAssignments"}
for r in m["resources"]:
    text = open(os.path.join(rest, r["file"])).read().replace(src_mg, root)
    body = json.loads(text)
    rid = r["id"].replace(src_mg, root)
    body["id"] = rid
    body["name"] = rid.rsplit("/", 1)[1]
    body["type"] = types[r["kind"]]
    if r["kind"] == "policyAssignment":
        body["identity"]["principalId"] = principal
        body["properties"]["scope"] = root
    d["resources"].append(body)
json.dump(d, open(world, "w"), indent=1)
EOF
}

# scan SUB — triggers a scan of a subscription and polls its Location to 200 Succeeded.
scan() {
	arm POST "/subscriptions/$1/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation?api-version=2019-10-01"
	assert_eq 202 "$STATUS" "triggerEvaluation"
	location=$(sed -n 's/^[Ll]ocation: *//p' "$WORK/headers" | tr -d '\r')
	[ -n "$location" ] || fail "triggerEvaluation gave no Location"
	deadline=$(( $(date +%s) + 20 ))
	while :; do
		STATUS=$(curl -sS -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$location")
		[ "$STATUS" = 200 ] && break
		assert_eq 202 "$STATUS" "scan still running"
		[ "$(date +%s)" -lt "$deadline" ] || fail "scan of $1 did not finish"
		sleep 0.05
	done
	assert_eq Succeeded "$(json "$WORK/body" "d['status']")" "scan result"
}

# remediation_wait PATH — polls a remediation task until a terminal provisioningState; prints it.
remediation_wait() {
	deadline=$(( $(date +%s) + 30 ))
	while :; do
		arm GET "$1?api-version=2021-10-01"
		assert_eq 200 "$STATUS" "remediation get"
		state=$(json "$WORK/body" "d['properties']['provisioningState']")
		case $state in Succeeded|Failed|Canceled) break ;; esac
		[ "$(date +%s)" -lt "$deadline" ] || fail "remediation $1 stuck in $state"
		sleep 0.05
	done
	echo "$state"
}

# sites_snapshot FILE — every site and slot of the world as ARM's GET shows it.
sites_snapshot() {
	python3 - "$WORK/world.json" >"$WORK/site-ids" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["subscriptions"]:
    for g in s.get("resourceGroups", []):
        for site in g.get("sites", []):
            base = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Web/sites/%s" % (
                s["subscriptionId"], g["name"], site["name"])
            print(base, "1" if site.get("locked") else "0")
            for slot in site.get("slots", []):
                print(base + "/slots/" + slot["name"], "1" if slot.get("locked") else "0")
EOF
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
