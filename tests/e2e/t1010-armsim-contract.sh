#!/bin/sh
# armsim contract: every operation the shared examples and recordings show is replayed against
# armsim — the example's request, with the example's ids — and the answer must have the
# example's status code, ARM's headers, and every field of the example's body with the same
# JSON type. The world is built from the examples' own ids so requests need no rewriting.
. "$TOP/tests/lib.sh"
need_shared
. "$TOP/tests/e2e/armsim-lib.sh"
# python3, not jq: contract.py replays the examples over HTTP and validates bodies against the
# specs' JSON schemas (jsonschema); its "world" mode reuses the same example index (still python3)
command -v python3 >/dev/null || skip "python3 is not installed"

cat >contract.py <<'PY'
import json, os, sys, time, urllib.request, urllib.error

shared = os.environ["SHARED"] + "/arm"
url = os.environ.get("ARMSIM_URL", "")
mode = sys.argv[1]
failures = []

def load(name):
    with open(os.path.join(shared, name)) as f:
        return json.load(f)

def example(name):
    return load("examples/" + name)

def recording_entries(name):
    return load("recordings/" + name)["Entries"]

def world():
    """A world holding the examples' subscriptions, groups, sites and principals."""
    desc = example("GetDescendants.json")
    root = desc["parameters"]["groupId"]
    mgs, subs = [], {}
    for v in desc["responses"]["200"]["body"]["value"]:
        parent = v["properties"]["parent"]["id"].rsplit("/", 1)[1]
        if v["type"] == "Microsoft.Management/managementGroups":
            mgs.append({"name": v["name"], "displayName": v["properties"]["displayName"], "parent": parent})
        else:
            subs[v["name"]] = {"subscriptionId": v["name"], "managementGroup": parent, "resourceGroups": []}
    upd = example("UpdateWebApp.json")["parameters"]
    site = example("UpdateWebApp.json")["responses"]["200"]["body"]
    subs[upd["subscriptionId"]] = {"subscriptionId": upd["subscriptionId"], "resourceGroups": [
        {"name": upd["resourceGroupName"], "location": "eastus", "sites": [
            {"name": upd["name"], "kind": site["kind"], "location": site["location"],
             "properties": {"clientCertEnabled": False}}]}]}
    for name in ("createPolicyAssignmentWithIdentity.json", "createPolicyAssignmentNonComplianceMessages.json",
                 "RoleAssignments_CreateForSubscription.json"):
        sid = example(name)["parameters"]["scope"].split("/")[1]
        subs.setdefault(sid, {"subscriptionId": sid, "resourceGroups": []})
    zero = "00000000-0000-0000-0000-000000000000"
    subs.setdefault(zero, {"subscriptionId": zero, "resourceGroups": [
        {"name": "cli_test_policy_identity_systemassigned000001", "location": "westus"}]})
    ra = example("RoleAssignments_CreateForSubscription.json")["parameters"]["parameters"]["properties"]
    principals = [
        {"displayName": "demo", "objectId": "d3d0c11e-0000-4000-8000-0000000000d2",
         "clientId": os.environ["ARMSIM_DEMO_CLIENT"], "clientSecret": os.environ["ARMSIM_DEMO_SECRET"],
         "roleAssignments": [{"role": "Owner", "scope": "/providers/Microsoft.Management/managementGroups/" + root},
                             {"role": "Owner", "scope": "/"}]},
        {"displayName": "example user", "objectId": ra["principalId"], "clientId": "5e7c0000-0000-4000-8000-000000000001"},
    ]
    return {"tenantId": root, "knobs": {"principalReplicationDelayMs": 1500, "pageSize": 50},
            "managementGroups": mgs, "subscriptions": list(subs.values()), "principals": principals}

def call(method, path, body=None, token=None, raw=None, headers=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url + path, data=data, method=method)
    if data is not None and raw is None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req) as r:
            status, hdrs, text = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, text = e.code, e.headers, e.read()
    return status, hdrs, (json.loads(text) if text else None)

def kind(v):
    if isinstance(v, bool): return "boolean"
    if isinstance(v, (int, float)): return "number"
    if isinstance(v, str): return "string"
    if isinstance(v, list): return "array"
    if isinstance(v, dict): return "object"
    return "null"

def same_shape(want, got, where, errors):
    """Every field of want is in got with the same JSON type (a null in want matches anything)."""
    if want is None:
        return
    if kind(want) != kind(got):
        errors.append("%s: expected %s, got %s" % (where, kind(want), kind(got)))
        return
    if isinstance(want, dict):
        for k, v in want.items():
            if k not in got:
                errors.append("%s.%s: missing" % (where, k))
            else:
                same_shape(v, got[k], where + "." + k, errors)
    elif isinstance(want, list) and want and got:
        for i, g in enumerate(got):
            same_shape(want[i] if len(want) == len(got) else want[0], g, "%s[%d]" % (where, i), errors)

spec_docs = {}

def spec_doc(name):
    if name not in spec_docs:
        with open(os.path.join(shared, "specs", name)) as f:
            spec_docs[name] = json.load(f)
    return spec_docs[name]

def to_schema(node, doc_name, seen):
    """A swagger 2.0 schema as JSON Schema: refs resolved (other repositories' common types
    accept anything), extensible enums (x-ms-enum modelAsString) opened, x-nullable allowed."""
    if isinstance(node, list):
        return [to_schema(v, doc_name, seen) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target, _, frag = node["$ref"].partition("#")
        target = os.path.normpath(target.lstrip("./")) if target else doc_name
        if target.startswith("..") or not os.path.exists(os.path.join(shared, "specs", target)):
            return {}
        key = (target, frag)
        if key in seen:
            return {}
        obj = spec_doc(target)
        for part in frag.strip("/").split("/"):
            obj = obj[part]
        return to_schema(obj, target, seen | {key})
    out = {}
    for k, v in node.items():
        if k.startswith("x-") or k in ("discriminator", "example", "readOnly", "format"):
            continue
        out[k] = to_schema(v, doc_name, seen) if k in ("properties", "items", "allOf", "additionalProperties") or isinstance(v, dict) else v
    if "properties" in node:
        out["properties"] = {k: to_schema(v, doc_name, seen) for k, v in node["properties"].items()}
    if node.get("x-ms-enum", {}).get("modelAsString"):
        out.pop("enum", None)
    if node.get("x-nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out

def spec_check(name, spec, definition, body):
    """The response validates against the spec's definition (required fields, types, enums)."""
    try:
        import jsonschema
    except ImportError:
        print("%-55s skipped (python3-jsonschema absent)" % name)
        return
    schema = to_schema(spec_doc(spec)["definitions"][definition], spec, frozenset())
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(body), key=str)
    for e in errors[:5]:
        failures.append("%s: %s at %s" % (name, e.message, "/".join(map(str, e.path))))
    print("%-55s %s" % (name, "ok" if not errors else "FAIL"))

def check(name, status, hdrs, body, want_status, want_body=None, write=False):
    errors = []
    if status != want_status:
        errors.append("status %s, expected %s (body %s)" % (status, want_status, json.dumps(body)[:300]))
    for h in ("x-ms-request-id", "x-ms-correlation-request-id"):
        if not hdrs.get(h):
            errors.append("header %s missing" % h)
    if write and not any(hdrs.get("x-ms-ratelimit-remaining-%s-writes" % s) for s in ("subscription", "tenant")):
        errors.append("no x-ms-ratelimit-remaining-*-writes header")
    if want_body is not None and status == want_status:
        same_shape(want_body, body, "body", errors)
    for e in errors:
        failures.append("%s: %s" % (name, e))
    print("%-55s %s" % (name, "ok" if not errors else "FAIL"))

def token():
    s, _, b = call("POST", "/%s/oauth2/v2.0/token" % os.environ["TENANT"],
                   raw=("grant_type=client_credentials&client_id=%s&client_secret=%s&scope=https%%3A%%2F%%2Fmanagement.azure.com%%2F.default"
                        % (os.environ["ARMSIM_DEMO_CLIENT"], os.environ["ARMSIM_DEMO_SECRET"])).encode(),
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert s == 200, b
    return b["access_token"]

def path_of(uri):
    return uri.split("management.azure.com", 1)[1]

def run():
    tok = token()
    # management groups: descendants
    ex = example("GetDescendants.json")
    p = ex["parameters"]
    s, h, b = call("GET", "/providers/Microsoft.Management/managementGroups/%s/descendants?api-version=%s"
                   % (p["groupId"], p["api-version"]), token=tok)
    check("ManagementGroups_GetDescendants (example)", s, h, b, 200, ex["responses"]["200"]["body"])
    # App Service: PATCH
    ex = example("UpdateWebApp.json")
    p = ex["parameters"]
    s, h, b = call("PATCH", "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Web/sites/%s?api-version=%s"
                   % (p["subscriptionId"], p["resourceGroupName"], p["name"], p["api-version"]), p["siteEnvelope"], tok)
    check("WebApps_Update (example)", s, h, b, 200, ex["responses"]["200"]["body"], write=True)
    if s == 200 and b["properties"]["serverFarmId"] != p["siteEnvelope"]["properties"]["serverFarmId"]:
        failures.append("WebApps_Update: serverFarmId not applied")
    # the same site by GET has the same shape
    s, h, b = call("GET", "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Web/sites/%s?api-version=2022-03-01"
                   % (p["subscriptionId"], p["resourceGroupName"], p["name"]), token=tok)
    check("WebApps_Get (shape of the example)", s, h, b, 200, ex["responses"]["200"]["body"])
    # role assignment (example): the example's role id is not a built-in; Reader stands in
    ex = example("RoleAssignments_CreateForSubscription.json")
    p = ex["parameters"]
    body = json.loads(json.dumps(p["parameters"]))
    body["properties"]["roleDefinitionId"] = "/%s/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7" % p["scope"]
    path = "/%s/providers/Microsoft.Authorization/roleAssignments/%s?api-version=%s" % (p["scope"], p["roleAssignmentName"], p["api-version"])
    s, h, b = call("PUT", path, body, tok)
    check("RoleAssignments_Create (example)", s, h, b, 201, ex["responses"]["201"]["body"], write=True)
    s, h, b = call("PUT", path, body, tok)
    check("RoleAssignments_Create again (example's 200)", s, h, b, 200, ex["responses"]["200"]["body"], write=True)
    other = path.replace(p["roleAssignmentName"], "15c5a614-a7d6-4502-b150-c2fb455033ff")
    s, h, b = call("PUT", other, body, tok)
    check("RoleAssignments_Create duplicate", s, h, b, 409, {"error": {"code": "", "message": ""}}, write=True)
    if s == 409 and b["error"]["code"] != "RoleAssignmentExists":
        failures.append("duplicate role assignment: code %s" % b["error"]["code"])
    # recordings: policy definition, assignment without parameters, resource group lifecycle
    for e in recording_entries("TestPolicyAssignmentsClient_Create.json"):
        req = e["RequestBody"]
        if isinstance(req, str):
            req = json.loads(req)
        s, h, b = call(e["RequestMethod"], path_of(e["RequestUri"]), req, tok)
        name = "recording %s %s" % (e["RequestMethod"], path_of(e["RequestUri"]).split("?")[0].rsplit("/", 2)[-2])
        check(name, s, h, b, e["StatusCode"], e["ResponseBody"] or None, write=e["RequestMethod"] in ("PUT", "PATCH"))
        if e["StatusCode"] >= 400 and s == e["StatusCode"]:
            if b["error"] != e["ResponseBody"]["error"]:
                failures.append("%s: error %s, recorded %s" % (name, b["error"], e["ResponseBody"]["error"]))
        if e["RequestMethod"] == "DELETE" and s == 202 and not h.get("Location"):
            failures.append("%s: no Location" % name)
    for e in recording_entries("TestPolicySetDefinitionsClient_CreateOrUpdate.json"):
        req = e["RequestBody"]
        if isinstance(req, str):
            req = json.loads(req)
        meta = ((e["ResponseBody"] or {}).get("properties") or {}).get("metadata") or {}
        if meta.get("updatedBy"):
            # the recorded PUT updated an existing definition: create it first
            call(e["RequestMethod"], path_of(e["RequestUri"]), req, tok)
        s, h, b = call(e["RequestMethod"], path_of(e["RequestUri"]), req, tok)
        name = "recording %s %s" % (e["RequestMethod"], path_of(e["RequestUri"]).split("?")[0].rsplit("/", 2)[-2])
        check(name, s, h, b, e["StatusCode"], e["ResponseBody"], write=True)
        if e["StatusCode"] >= 400 and s == e["StatusCode"] and b["error"] != e["ResponseBody"]["error"]:
            failures.append("%s: error %s, recorded %s" % (name, b["error"], e["ResponseBody"]["error"]))
    # policy assignment with identity (example): its definition first, from the recordings' rule
    ex = example("createPolicyAssignmentWithIdentity.json")
    p = ex["parameters"]
    rec = json.loads(recording_entries("TestPolicyAssignmentsClient_Create.json")[1]["RequestBody"])
    s, h, b = call("PUT", p["parameters"]["properties"]["policyDefinitionId"] + "?api-version=2021-06-01", rec, tok)
    check("PolicyDefinitions_CreateOrUpdate (recording rule)", s, h, b, 201, None, write=True)
    apath = "/%s/providers/Microsoft.Authorization/policyAssignments/%s?api-version=%s" % (p["scope"], p["policyAssignmentName"], p["api-version"])
    s, h, b = call("PUT", apath, p["parameters"], tok)
    check("PolicyAssignments_Create with identity (example)", s, h, b, 201, ex["responses"]["201"]["body"], write=True)
    principal = b["identity"]["principalId"] if s == 201 else None
    s, h, b2 = call("GET", apath, token=tok)
    check("PolicyAssignments_Get", s, h, b2, 200, ex["responses"]["201"]["body"])
    # initiative with the members the non-compliance example names, then its assignment
    ex = example("createPolicyAssignmentNonComplianceMessages.json")
    p = ex["parameters"]
    set_id = p["parameters"]["properties"]["policyDefinitionId"]
    def_id = ex["parameters"]["parameters"]["properties"]["policyDefinitionId"].rsplit("/", 2)[0] + "/policyDefinitions/ResourceNaming"
    members = [{"policyDefinitionId": def_id, "policyDefinitionReferenceId": m["policyDefinitionReferenceId"],
                "parameters": {"prefix": {"value": "DeptA"}, "suffix": {"value": "-LC"}}}
               for m in p["parameters"]["properties"]["nonComplianceMessages"] if "policyDefinitionReferenceId" in m]
    s, h, b = call("PUT", set_id + "?api-version=2021-06-01", {"properties": {"policyDefinitions": members}}, tok)
    check("PolicySetDefinitions_CreateOrUpdate", s, h, b, 201, None, write=True)
    s, h, b = call("PUT", set_id + "?api-version=2021-06-01", {"properties": {"policyDefinitions": members}}, tok)
    check("PolicySetDefinitions_CreateOrUpdate (update)", s, h, b, 200, None, write=True)
    s, h, b = call("PUT", "/%s/providers/Microsoft.Authorization/policyAssignments/%s?api-version=%s"
                   % (p["scope"], p["policyAssignmentName"], p["api-version"]), p["parameters"], tok)
    check("PolicyAssignments_Create non-compliance messages (example)", s, h, b, 201, ex["responses"]["201"]["body"], write=True)
    # role assignment recording: role lookup, then PrincipalNotFound until the identity replicates
    frag = open(os.path.join(shared, "recordings/test_resource_policy_identity_systemassigned.roleassignment-excerpt.yaml-fragment")).read()
    import re
    uris = re.findall(r"uri: (\S+)", frag)
    recorded_error = json.loads(re.search(r"string: '(\{\"error\".*?\}\})'", frag, re.S).group(1).replace("\n        ", " ").replace("\n", " "))
    s, h, b = call("GET", path_of(uris[0]).replace("%20", "%20").replace("%27", "%27"), token=tok)
    check("RoleDefinitions_List roleName filter (recording)", s, h, b, 200,
          {"value": [{"properties": {"roleName": "", "type": "", "description": "", "assignableScopes": [""], "permissions": [{"actions": [""], "notActions": []}]}, "id": "", "type": "", "name": ""}]})
    if s == 200 and [r["properties"]["roleName"] for r in b["value"]] != ["Reader"]:
        failures.append("role filter returned %s" % [r["properties"]["roleName"] for r in b["value"]])
    ra_body = {"properties": {"roleDefinitionId": "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
                              "principalId": principal}}
    s, h, b = call("PUT", path_of(uris[1]), ra_body, tok)
    check("RoleAssignments_Create before replication (recording)", s, h, b, 400, recorded_error, write=True)
    if s == 400 and b["error"]["code"] != "PrincipalNotFound":
        failures.append("expected PrincipalNotFound, got %s" % b["error"]["code"])
    deadline = time.time() + 10
    while s == 400 and time.time() < deadline:
        time.sleep(0.2)
        s, h, b = call("PUT", path_of(uris[1]), ra_body, tok)
    check("RoleAssignments_Create after replication (recording)", s, h, b, 201, None, write=True)
    # subscriptions and management group (spec shapes)
    s, h, b = call("GET", "/subscriptions?api-version=2022-12-01", token=tok)
    check("Subscriptions_List", s, h, b, 200, {"value": [{"id": "", "subscriptionId": "", "displayName": "", "state": "", "tenantId": ""}]})
    s, h, b = call("GET", "/providers/Microsoft.Management/managementGroups/%s?api-version=2023-04-01&$expand=children&$recurse=true"
                   % os.environ["TENANT"], token=tok)
    check("ManagementGroups_Get expand+recurse", s, h, b, 200,
          {"id": "", "type": "", "name": "", "properties": {"tenantId": "", "displayName": "", "children": [{"type": "", "id": "", "name": "", "displayName": ""}]}})
    if s == 200 and not all("children" in c for c in b["properties"]["children"]
                            if c["type"] == "Microsoft.Management/managementGroups"):
        failures.append("ManagementGroups_Get: $recurse gave no grandchildren")
    # sites: list has the example's shape per item; a PUT is partial (Microsoft.Web keeps what
    # the body does not name: Azure/azure-policy#190), so the plan survives a minimal PUT
    ex = example("UpdateWebApp.json")
    p = ex["parameters"]
    site_path = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Web/sites/%s" % (p["subscriptionId"], p["resourceGroupName"], p["name"])
    s, h, b = call("GET", "/subscriptions/%s/providers/Microsoft.Web/sites?api-version=2024-11-01" % p["subscriptionId"], token=tok)
    check("WebApps_List", s, h, b, 200, {"value": [ex["responses"]["200"]["body"]]})
    s, h, b = call("PUT", site_path + "?api-version=2024-11-01", {"location": "East US", "kind": "app", "properties": {"clientCertEnabled": True, "clientCertMode": "Required"}}, tok)
    check("WebApps_CreateOrUpdate (partial)", s, h, b, 200, ex["responses"]["200"]["body"], write=True)
    if s == 200 and (b["properties"]["serverFarmId"] != p["siteEnvelope"]["properties"]["serverFarmId"] or not b["properties"]["clientCertEnabled"]):
        failures.append("WebApps_CreateOrUpdate: the PUT did not keep the plan it did not name")
    # responses against the specs' definitions
    sub = example("createPolicyAssignmentWithIdentity.json")["parameters"]["scope"]
    authz = "/%s/providers/Microsoft.Authorization/" % sub
    s, h, b = call("GET", authz + "policyDefinitions/ResourceNaming?api-version=2023-04-01", token=tok)
    spec_check("spec: PolicyDefinition", "policyDefinitions.json", "PolicyDefinition", b)
    s, h, b = call("GET", authz + "policySetDefinitions/securityInitiative?api-version=2023-04-01", token=tok)
    spec_check("spec: PolicySetDefinition", "policySetDefinitions.json", "PolicySetDefinition", b)
    s, h, b = call("GET", authz + "policyAssignments/EnforceNaming?api-version=2023-04-01", token=tok)
    spec_check("spec: PolicyAssignment", "policyAssignments.json", "PolicyAssignment", b)
    assignment_id = b["id"]
    s, h, b = call("PUT", authz + "policyExemptions/naming-waiver?api-version=2022-07-01-preview",
                   {"properties": {"policyAssignmentId": assignment_id, "exemptionCategory": "Waiver",
                                   "expiresOn": "2030-12-31T23:59:00.0000000Z", "displayName": "waiver",
                                   "metadata": {"reason": "contract test"}}}, tok)
    check("PolicyExemptions_CreateOrUpdate", s, h, b, 201, None, write=True)
    spec_check("spec: PolicyExemption", "policyExemptions.json", "PolicyExemption", b)
    s, h, b = call("PATCH", authz + "policyExemptions/naming-waiver?api-version=2024-12-01-preview",
                   {"properties": {"assignmentScopeValidation": "DoNotValidate",
                                   "resourceSelectors": [{"name": "eu", "selectors": [
                                       {"kind": "resourceLocation", "in": ["westeurope"]}]}]}}, tok)
    check("PolicyExemptions_Update", s, h, b, 200, None, write=True)
    spec_check("spec: PolicyExemption (PATCH)", "policyExemptions.json", "PolicyExemption", b)
    s, h, b = call("GET", authz + "policyExemptions?api-version=2024-12-01-preview", token=tok)
    spec_check("spec: PolicyExemptionListResult", "policyExemptions.json", "PolicyExemptionListResult", b)
    s, h, b = call("GET", authz + "policyDefinitions?api-version=2025-03-01", token=tok)
    spec_check("spec: PolicyDefinitionListResult", "policyDefinitions.json", "PolicyDefinitionListResult", b)
    s, h, b = call("GET", authz + "roleAssignments?api-version=2022-04-01", token=tok)
    spec_check("spec: RoleAssignmentListResult", "authorization-RoleAssignmentsCalls.json", "RoleAssignmentListResult", b)
    # built-in definitions (--builtins): readable by anyone, assignable anywhere
    builtin = "/providers/Microsoft.Authorization/policyDefinitions/19dd1db6-f442-49cf-a838-b0786b4401ef"
    # the export carries version/versions, which api-versions before 2023-04-01 do not know
    s, h, b = call("GET", builtin + "?api-version=2023-04-01", token=tok)
    check("PolicyDefinitions_GetBuiltIn", s, h, b, 200, json.load(open(os.path.join(os.environ["SHARED"], "policy-refs/builtin/ClientCert_Webapp_Audit.json"))))
    sub = example("createPolicyAssignmentWithIdentity.json")["parameters"]["scope"]
    s, h, b = call("GET", "/%s/providers/Microsoft.Authorization/policyDefinitions?api-version=2021-06-01&$filter=policyType%%20eq%%20%%27BuiltIn%%27" % sub, token=tok)
    builtins = len([f for f in os.listdir(os.path.join(os.environ["SHARED"], "policy-refs/builtin")) if f.endswith(".json")])
    if s != 200 or len(b["value"]) != builtins:
        failures.append("built-in list: %s, %d of %d" % (s, len(b.get("value", [])) if b else 0, builtins))
    s, h, b = call("PUT", "/%s/providers/Microsoft.Authorization/policyAssignments/builtin-cert?api-version=2021-06-01" % sub,
                   {"properties": {"policyDefinitionId": builtin}}, tok)
    check("PolicyAssignments_Create of a built-in", s, h, b, 201, None, write=True)
    print("part 2 operations (policyStates, remediations) are checked by part 2's tests")

if mode == "world":
    print(json.dumps(world()))
else:
    run()
    if failures:
        print("\n".join(failures))
        sys.exit(1)
PY

TENANT=20000000-0000-0000-0000-000000000000
export SHARED ARMSIM_DEMO_CLIENT ARMSIM_DEMO_SECRET TENANT
python3 contract.py world >world.json
start_armsim --world world.json --time-scale 1 --builtins "$SHARED/policy-refs/builtin"
export ARMSIM_URL
python3 contract.py run
