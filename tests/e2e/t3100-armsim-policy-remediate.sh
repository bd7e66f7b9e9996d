#!/bin/sh
# The whole rollout on armsim with plain HTTP calls: PUT the generator's definitions, initiative
# and assignment, grant the assignment's identity Website Contributor; scan every subscription,
# remediate every DeployIfNotExists member at the management group, poll to completion. Then
# every non-locked site has clientCertEnabled true and clientCertMode Required with every other
# property unchanged, and the locked ones are the failed deployments (ScopeLocked).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
. "$TOP/tests/e2e/armsim-policy-lib.sh"

policy_world mgs=2,subs=3,rgs=2,sites=8,noncompliant=0.7,slots=0.3,functions=0.4,locked=0.15,http2=0.1,seed=11 \
	"$WORK/world.json"
start_armsim --world "$WORK/world.json" --time-scale 20000 $BUILTINS
get_token
put_policies "$WEBSITE_CONTRIBUTOR"
sites_snapshot "$WORK/before.json"

for sub in $(json "$WORK/world.json" '[.subscriptions[].subscriptionId] | join(" ")'); do
	scan "$sub"
done

# the scan found what the world holds: every non-compliant site or slot, per member
arm POST "$ROOT_MG/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults?api-version=2019-10-01&\$filter=ComplianceState%20eq%20'NonCompliant'%20and%20PolicyAssignmentId%20eq%20'$ASSIGNMENT_ID'%20and%20PolicyDefinitionReferenceId%20eq%20'webapp-client-cert-dine'&\$top=1000"
assert_eq 200 "$STATUS" "queryResults"
want=$(jq -r '[to_entries[] | select(.value.site.type == "Microsoft.Web/sites"
	and (.value.site.kind | contains("functionapp") | not)
	and (.value.site.properties.clientCertEnabled != true
		or .value.site.properties.clientCertMode != "Required"))
	| .key | ascii_downcase] | unique | join("\n")' "$WORK/before.json")
[ -n "$want" ] || fail "the world has no non-compliant web app"
assert_eq "$want" "$(json "$WORK/body" '[.value[].resourceId] | unique | join("\n")')" \
	"non-compliant web apps queryResults lists (the world's)"

members="webapp-client-cert-dine webapp-slot-client-cert-dine functionapp-client-cert-dine functionapp-slot-client-cert-dine"
for ref in $members; do
	task="$ROOT_MG/providers/Microsoft.PolicyInsights/remediations/cc-$ref"
	arm PUT "$task?api-version=2021-10-01" \
		"{\"properties\":{\"policyAssignmentId\":\"$ASSIGNMENT_ID\",\"policyDefinitionReferenceId\":\"$ref\"}}"
	assert_eq 201 "$STATUS" "remediation create $ref"
	state=$(remediation_wait "$task")
	arm POST "$task/listDeployments?api-version=2021-10-01"
	assert_eq 200 "$STATUS" "listDeployments $ref"
	cp "$WORK/body" "$WORK/deployments-$ref.json"
	arm GET "$task?api-version=2021-10-01"
	cp "$WORK/body" "$WORK/task-$ref.json"
	echo "$ref: $state"
done

sites_snapshot "$WORK/after.json"
python3 - "$WORK/before.json" "$WORK/after.json" "$WORK" $members <<'PY' || fail "remediation result is wrong"
import json, sys
before, after = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
work, members = sys.argv[3], sys.argv[4:]
failed, succeeded = {}, set()
for ref in members:
    task = json.load(open("%s/task-%s.json" % (work, ref)))["properties"]
    deps = json.load(open("%s/deployments-%s.json" % (work, ref)))["value"]
    st = task["deploymentStatus"]
    assert st["totalDeployments"] == len(deps), (ref, st, len(deps))
    assert st["successfulDeployments"] == sum(d["status"] == "Succeeded" for d in deps), ref
    assert st["failedDeployments"] == sum(d["status"] == "Failed" for d in deps), ref
    want_state = "Failed" if st["failedDeployments"] else "Succeeded"
    assert task["provisioningState"] == want_state, (ref, task["provisioningState"])
    for d in deps:
        if d["status"] == "Failed":
            failed[d["remediatedResourceId"]] = d["error"]["code"]
        else:
            assert d["status"] == "Succeeded", d
            succeeded.add(d["remediatedResourceId"])
checked_locked = 0
for rid, b in before.items():
    a = after[rid]
    bp, ap = b["site"]["properties"], a["site"]["properties"]
    compliant_before = bp.get("clientCertEnabled") is True and bp.get("clientCertMode") == "Required"
    if b["locked"]:
        assert a["site"] == b["site"], "locked site changed: " + rid
        if not compliant_before:
            assert failed.get(rid.lower()) == "ScopeLocked", (rid, failed.get(rid.lower()))
            checked_locked += 1
        continue
    assert ap["clientCertEnabled"] is True and ap["clientCertMode"] == "Required", rid
    if not compliant_before:
        assert rid.lower() in succeeded, "not remediated: " + rid
    # every other property is what it was
    ignore = {"clientCertEnabled", "clientCertMode", "lastModifiedTimeUtc"}
    for k in set(bp) | set(ap):
        if k not in ignore:
            assert bp.get(k) == ap.get(k), (rid, k, bp.get(k), ap.get(k))
    for k in ("kind", "location", "tags", "name", "type", "id"):
        assert b["site"].get(k) == a["site"].get(k), (rid, k)
assert checked_locked > 0, "the world had no non-compliant locked site"
assert len(succeeded) > 5
print("remediated %d, locked failures %d" % (len(succeeded), checked_locked))
PY
