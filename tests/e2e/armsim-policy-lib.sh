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
	python3 - "$1" "$TOP/policies/rest" "$SHARED" "$ARMSIM_DEMO_TENANT" "$ARMSIM_DEMO_CLIENT" "$ARMSIM_DEMO_SECRET" \
		"$POLICY_PRINCIPAL" "${2:-{\}}" <<'PY'
import json, sys, os
out, rest, shared, tenant, client, secret, principal, knobs = sys.argv[1:9]
sub = "00000000-0000-0000-0000-0000000000a1"
rg = "az-cli-policy-insights-test"
rgid = "/subscriptions/%s/resourceGroups/%s" % (sub, rg)
root = "/providers/Microsoft.Management/managementGroups/" + tenant
def site(name, kind, cert, mode, locked=False):
    return {"name": name, "kind": kind, "location": "westeurope", "tags": {"env": "rec"},
            "locked": locked, "properties": {"clientCertEnabled": cert, "clientCertMode": mode,
            "httpsOnly": True, "siteConfig": {"http20Enabled": False},
            "serverFarmId": rgid + "/providers/Microsoft.Web/serverfarms/plan"}}
d = {"tenantId": tenant, "seed": 3, "knobs": json.loads(knobs),
     "managementGroups": [{"name": "mg-rec", "displayName": "recordings"}],
     "subscriptions": [{"subscriptionId": sub, "displayName": "rec", "managementGroup": "mg-rec",
        "resourceGroups": [{"name": rg, "location": "westeurope", "sites": [
            site("app-off", "app", False, "Required"), site("app-opt", "app", True, "Optional"),
            site("app-ok", "app", True, "Required"),
            site("app-locked", "app", False, "Required", True),
            site("fn-off", "functionapp", False, "Required")]},
          {"name": "other-rg", "location": "northeurope", "sites": [
            site("app-north", "app", False, "Required")]}]}],
     "principals": [
        {"displayName": "demo", "objectId": "d3d0c11e-0000-4000-8000-0000000000d2",
         "clientId": client, "clientSecret": secret,
         "roleAssignments": [{"role": "Owner", "scope": root}]},
        {"displayName": "policy", "objectId": principal, "clientId": "5e1f0000-0000-4000-8000-00000000cafe",
         "managed": True, "roleAssignments": [{"role": "Website Contributor", "scope": root}]}],
     "resources": []}
res = d["resources"]
webapp = json.load(open(os.path.join(rest, "managementGroups/contoso-landing-zones/policyDefinitions/appservice-client-cert-webapp.json")))
webapp.update({"id": "/subscriptions/%s/providers/Microsoft.Authorization/policyDefinitions/cc-webapp" % sub,
               "name": "cc-webapp", "type": "Microsoft.Authorization/policyDefinitions"})
res.append(webapp)
deny = json.load(open(os.path.join(rest, "managementGroups/contoso-landing-zones/policyDefinitions/appservice-client-cert-deny.json")))
deny.update({"id": "/subscriptions/%s/providers/Microsoft.Authorization/policyDefinitions/cc-deny" % sub,
             "name": "cc-deny", "type": "Microsoft.Authorization/policyDefinitions"})
res.append(deny)
for f in ("Webapp_Audit_ClientCert", "Webapp_AuditHTTP_Modify"):
    b = json.load(open(os.path.join(shared, "policy-refs/builtin", f + ".json")))
    b["type"] = "Microsoft.Authorization/policyDefinitions"
    res.append(b)
def assignment(scope, name, definition, params=None, identity=True):
    a = {"id": scope + "/providers/Microsoft.Authorization/policyAssignments/" + name, "name": name,
         "type": "Microsoft.Authorization/policyAssignments",
         "properties": {"policyDefinitionId": definition, "scope": scope,
                        "enforcementMode": "Default", "parameters": params or {}}}
    if identity:
        a["location"] = "westeurope"
        a["identity"] = {"type": "SystemAssigned", "principalId": principal, "tenantId": tenant}
    return a
res.append(assignment(rgid, "remediate-rg", webapp["id"]))
res.append(assignment("/providers/Microsoft.Management/managementGroups/mg-rec", "audit-mg",
    "/providers/Microsoft.Authorization/policyDefinitions/" +
    json.load(open(os.path.join(shared, "policy-refs/builtin/Webapp_Audit_ClientCert.json")))["name"],
    {"effect": {"value": "Audit"}}, identity=False))
res.append(assignment(rgid, "https-rg", "/providers/Microsoft.Authorization/policyDefinitions/" +
    json.load(open(os.path.join(shared, "policy-refs/builtin/Webapp_AuditHTTP_Modify.json")))["name"]))
json.dump(d, open(out, "w"), indent=1)
PY
}

# recording_response FILE N — the body of the N-th interaction (0-based) of a vcrpy cassette in
# shared/arm/recordings, as JSON on stdout (no YAML parser needed: vcrpy writes each body as
# single-quoted scalar, folded over lines when long).
recording_response() {
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
	python3 - "$1" "$2" "$3" <<'PY' || fail "$3: response shape differs from the recording"
import json, sys
rec, act, what = json.loads(sys.argv[1]), json.load(open(sys.argv[2])), sys.argv[3]
def kind(v):
    return "number" if isinstance(v, (int, float)) and not isinstance(v, bool) else type(v).__name__
def walk(r, a, path):
    if r is None:
        return
    assert kind(r) == kind(a), "%s: %s is %s in the recording, %s here" % (what, path, kind(r), kind(a))
    if isinstance(r, dict):
        for k, v in r.items():
            assert k in a, "%s: %s.%s is missing" % (what, path, k)
            walk(v, a[k], path + "." + k)
    elif isinstance(r, list) and r and a:
        walk(r[0], a[0], path + "[0]")
walk(rec, act, "$")
PY
}

# put_policies [ROLE] — PUTs the generator's definitions, initiative and assignment
# (policies/rest, in manifest order) moved to the tenant root group, expects 201 each, sets
# ASSIGNMENT_PRINCIPAL from the assignment's identity, and grants it ROLE (a role definition
# GUID) at the tenant root group when given.
put_policies() {
	python3 - "$TOP/policies/rest" "$ROOT_MG" >"$WORK/puts" <<'PY'
import json, sys, os
rest, root = sys.argv[1:3]
src_mg = "/providers/Microsoft.Management/managementGroups/contoso-landing-zones"
m = json.load(open(os.path.join(rest, "manifest.json")))
for i, r in enumerate(m["resources"]):
    path = "put-%d.json" % i
    text = open(os.path.join(rest, r["file"])).read().replace(src_mg, root)
    body = json.loads(text)
    if r["kind"] == "policyAssignment":
        body["properties"]["notScopes"] = []
    json.dump(body, open(path, "w"))
    print(r["kind"], r["id"].replace(src_mg, root) + "?api-version=" + r["apiVersion"], path)
PY
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
