#!/bin/sh
# Exemptions as code: a file of three exemptions applied; then changed (one removed, one
# extended, one re-scoped) and applied again. After each apply armsim holds exactly the
# file's managed exemptions; an unmanaged exemption made with curl (and with az, when
# installed) is listed by plan as unmanaged and never touched; a change of a field only a PUT
# can change is a PUT, a resourceSelectors change a PATCH; a second apply writes nothing.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
. "$TOP/tests/e2e/armsim-lib.sh"

orch_world "mgs=1,subs=2,sites=2,locked=0,seed=4"
start_armsim --world "$WORK/world.json" --time-scale 500
orch_ini "management_group = mg-1"
S1=$(jq -r '.subscriptions[0].subscriptionId' world.json)
S2=$(jq -r '.subscriptions[1].subscriptionId' world.json)
SITE1="/subscriptions/$S1/resourceGroups/rg-1/providers/Microsoft.Web/sites/func-1-1"
SITE2="/subscriptions/$S1/resourceGroups/rg-2/providers/Microsoft.Web/sites/app-1-2"
RG21="/subscriptions/$S2/resourceGroups/rg-1"
RG22="/subscriptions/$S2/resourceGroups/rg-2"
MG=/providers/Microsoft.Management/managementGroups/mg-1
ASSIGNMENT=$MG/providers/Microsoft.Authorization/policyAssignments/appsvc-client-cert
in_days() { date -u -d "+$1 days" +%Y-%m-%dT%H:%M:%SZ; }

cat >>policyctl.ini <<INI

[exemptions]
file = exemptions.json
require_ticket = true
INI

# file V1: a gateway app, a partner resource group, two resources of one entry
cat >exemptions.json <<JSON
{
  "exemptions": [
    { "name": "gateway", "scope": "$SITE1", "members": ["deny-sites-without-client-cert"],
      "category": "Mitigated", "owner": "alice@example.com", "expires": "$(in_days 30)",
      "reason": "behind a gateway that terminates client certificates", "ticket": "CHG-1" },
    { "name": "partner", "scope": "$RG21", "owner": "team-partner",
      "expires": "$(in_days 60)", "reason": "partner without certificates", "ticket": "CHG-2" },
    { "name": "legacy", "resources": ["$SITE2"], "owner": "bob", "expires": "$(in_days 10)",
      "reason": "retired next quarter", "ticket": "CHG-3" }
  ]
}
JSON

expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
assert_contains "$WORK/err" "exemptions: 3 to create, 0 to update, 0 to delete"

get_token
API=api-version=2022-07-01-preview
# list_ids — every exemption at the management group and below: "id managedBy expiresOn"
list_ids() {
	arm GET "$MG/providers/Microsoft.Authorization/policyExemptions?$API"
	[ "$STATUS" = 200 ] || fail "listing exemptions: $STATUS $(cat "$WORK/body")"
	jq -r '.value[] | "\(.id | ascii_downcase) \(.properties.metadata.managedBy // "-") \(.properties.expiresOn)"' \
		"$WORK/body" | sort
}
lc() { printf '%s' "$1" | tr 'A-Z' 'a-z'; }
EX=/providers/microsoft.authorization/policyexemptions

list_ids >live1
[ "$(wc -l <live1)" = 3 ] || { cat live1; fail "expected 3 exemptions after the first apply"; }
assert_contains live1 "$(lc "$SITE1")$EX/gateway policyctl"
assert_contains live1 "$(lc "$RG21")$EX/partner policyctl"
assert_contains live1 "$(lc "$SITE2")$EX/legacy policyctl"

# someone else's exemption, made with curl: no marker, no owner
HAND="$RG22/providers/Microsoft.Authorization/policyExemptions/hand-made"
arm PUT "$HAND?$API" \
	"{\"properties\":{\"policyAssignmentId\":\"$ASSIGNMENT\",\"exemptionCategory\":\"Waiver\",\"description\":\"by hand\"}}"
[ "$STATUS" = 201 ] || fail "curl could not create the unmanaged exemption: $STATUS $(cat "$WORK/body")"
arm GET "$HAND?$API"
before=$(jq -S . "$WORK/body")

expect_exit 0 "$POLICYCTL" -c policyctl.ini plan
assert_contains "$WORK/out" "unmanaged exemption $RG22/providers/Microsoft.Authorization/policyExemptions/hand-made"
assert_contains "$WORK/err" "exemptions: 0 to create, 0 to update, 0 to delete, 3 unchanged, 1 unmanaged"

# a second apply writes nothing
w0=$(writes_sent)
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
assert_eq "$w0" "$(writes_sent)" "writes of an apply with nothing to change"

# file V2: legacy removed, partner extended, gateway re-scoped to its resource group
NEWEXP=$(in_days 90)
jq --arg rg "/subscriptions/$S1/resourceGroups/rg-1" --arg exp "$NEWEXP" '
	.exemptions |= map(select(.name != "legacy"))
	| .exemptions |= map(if .name == "partner" then .expires = $exp else . end)
	| .exemptions |= map(if .name == "gateway" then .scope = $rg else . end)' \
	exemptions.json >v2.json && mv v2.json exemptions.json

expect_exit 0 "$POLICYCTL" -c policyctl.ini plan
assert_contains "$WORK/out" "update    exemption $RG21/providers/Microsoft.Authorization/policyExemptions/partner: PUT (differs: expiresOn)"
assert_contains "$WORK/out" "delete    exemption $SITE2/providers/Microsoft.Authorization/policyExemptions/legacy"
assert_contains "$WORK/out" "create    exemption /subscriptions/$S1/resourceGroups/rg-1/providers/Microsoft.Authorization/policyExemptions/gateway"
assert_contains "$WORK/out" "delete    exemption $SITE1/providers/Microsoft.Authorization/policyExemptions/gateway (no longer in exemptions.json)"
assert_contains "$WORK/err" "exemptions: 1 to create, 1 to update, 2 to delete, 0 unchanged, 1 unmanaged"

expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
list_ids >live2
[ "$(wc -l <live2)" = 3 ] || { cat live2; fail "expected 2 managed + 1 unmanaged exemption after the second apply"; }
assert_contains live2 "$(lc "/subscriptions/$S1/resourceGroups/rg-1")$EX/gateway policyctl"
assert_contains live2 "$(lc "$RG21")$EX/partner policyctl $NEWEXP"
assert_contains live2 "$(lc "$RG22")$EX/hand-made -"
assert_not_contains live2 "legacy"
arm GET "$HAND?$API"
after=$(jq -S . "$WORK/body")
assert_eq "$before" "$after" "the unmanaged exemption after two applies"

# a resource selector change alone is a PATCH
jq '.exemptions |= map(if .name == "partner" then .resourceSelectors = [{"name": "eu",
	"selectors": [{"kind": "resourceLocation", "in": ["westeurope"]}]}] else . end)' \
	exemptions.json >v3.json && mv v3.json exemptions.json
expect_exit 0 "$POLICYCTL" -c policyctl.ini plan
assert_contains "$WORK/out" "partner: PATCH (differs: resourceSelectors)"
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
expect_exit 0 "$POLICYCTL" -c policyctl.ini plan
assert_contains "$WORK/err" "exemptions: 0 to create, 0 to update, 0 to delete, 2 unchanged, 1 unmanaged"
# an entry that has expired: plan warns and still plans, apply refuses the file (exit 2)
jq '.exemptions += [{"name": "old", "scope": "'"$RG22"'", "owner": "carol", "expires": "2020-01-01",
	"reason": "long gone", "ticket": "CHG-4"}]' exemptions.json >v4.json
cp v4.json exemptions.json
expect_exit 0 "$POLICYCTL" -c policyctl.ini plan
assert_contains "$WORK/err" "warning: exemptions.json:old: expired on 2020-01-01: apply refuses it; remove the entry (apply then deletes its exemption) or extend it"
expect_exit 2 "$POLICYCTL" -c policyctl.ini apply
assert_contains "$WORK/err" "exemptions.json:old: 'expires' 2020-01-01 is in the past"

# a subscription outside the management group: known only online, refused before any write
OTHER=/subscriptions/99999999-9999-4999-8999-999999999999/resourceGroups/rg-x
jq '.exemptions |= map(select(.name != "old")) | .exemptions += [{"name": "elsewhere",
	"scope": "'"$OTHER"'", "owner": "carol", "expires": "'"$(in_days 5)"'", "reason": "r",
	"ticket": "CHG-5"}]' exemptions.json >v5.json
cp v5.json exemptions.json
w0=$(writes_sent)
expect_exit 2 "$POLICYCTL" -c policyctl.ini apply
assert_contains "$WORK/err" "error: exemptions.json:elsewhere: scope '$OTHER' is outside the assignment: expected a scope at or under $MG or one of its subscriptions"
assert_eq "$w0" "$(writes_sent)" "writes of an apply refused for a scope outside the group"

echo "three exemptions applied, changed and reapplied; the unmanaged one untouched"
