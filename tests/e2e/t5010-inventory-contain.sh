#!/bin/sh
# inventory after contain, on a world with locked apps: it lists exactly the apps left
# non-compliant, which armsim's own world (not policyctl) says are the locked ones and the
# slots of locked sites, and exits 1; every format carries the same set; on a world with none
# left it exits 0 with an empty result.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=2,sites=5,noncompliant=0.8,slots=0.4,functions=0.3,locked=0.3,seed=12"
# one unlocked site with exclusion paths and HTTP/2: contain remediates it (the paths stay),
# and verify names it as at risk, with why
jq '(first(.subscriptions[].resourceGroups[].sites[] | select(.locked != true) | .name)) as $n
	| .subscriptions[].resourceGroups[].sites[] |= (if .name == $n then
	  .properties.clientCertExclusionPaths = "/upload" | .properties.siteConfig.http20Enabled = true
	  else . end)' "$WORK/world.json" >"$WORK/world.tmp" && mv "$WORK/world.tmp" "$WORK/world.json"
RISKY=$(jq -r 'first(.subscriptions[].resourceGroups[].sites[] | select(.locked != true) | .name)' "$WORK/world.json")
start_armsim --world "$WORK/world.json" --time-scale 500
orch_ini "management_group = mg-1"
printf '\n[inventory]\npage_size = 3\n' >>policyctl.ini   # several pages even in a small world

expect_exit 1 "$POLICYCTL" -c policyctl.ini contain
cp "$WORK/err" contain.err

# what armsim holds: every non-compliant site or slot, and whether it (or its site) is locked
world_json | jq -r '[.subscriptions[].resourceGroups[] as $rg | $rg.sites[] as $s
	| ($s, ($s.slots // [])[] | . + {lockedAbove: $s.locked})
	| select(.properties.clientCertEnabled != true or .properties.clientCertMode != "Required")
	| {name, locked: (.locked or .lockedAbove)}]' >open.json
[ "$(jq length open.json)" -gt 0 ] || fail "the world should keep locked non-compliant apps"
jq -e 'all(.[]; .locked)' open.json >/dev/null || fail "contain left an unlocked app open: $(cat open.json)"
# slot names in the world file are bare ("staging"); Resource Graph names them "site/slot"
world_json | jq -r '.subscriptions[].resourceGroups[].sites[] as $s
	| ($s | select(.properties.clientCertEnabled != true or .properties.clientCertMode != "Required") | .name),
	  (($s.slots // [])[] | select(.properties.clientCertEnabled != true or .properties.clientCertMode != "Required")
	   | "\($s.name)/\(.name)")' | sort >want.txt

expect_exit 1 "$POLICYCTL" -c policyctl.ini inventory --format json
cp "$WORK/out" inventory.json
jq -r '[.[] | select(.status == "non-compliant") | .name] | sort | .[]' inventory.json >got.txt
cmp want.txt got.txt || { diff want.txt got.txt >&2; fail "inventory's non-compliant apps differ from armsim's"; }
total=$(world_json | jq '[.subscriptions[].resourceGroups[].sites[] | ., (.slots // [])[]] | length')
assert_eq "$total" "$(jq length inventory.json)" "apps inventoried"
assert_contains "$WORK/err" "resource graph queries"

# contain's verify ran the inventory as a second opinion: the report shows it beside Policy's
assert_contains contain.err "Resource Graph inventory:"
# ... during verify's scan, not after it: its line comes before that scan's closing line
inv_line=$(grep -n "Resource Graph inventory:" contain.err | head -n 1 | cut -d: -f1)
scan_line=$(grep -n "scan: .* evaluated" contain.err | tail -n 1 | cut -d: -f1)
[ "$(grep -c "scan: .* evaluated" contain.err)" -eq 2 ] || { cat contain.err; fail "expected two scans (contain's and verify's)"; }
[ "$inv_line" -lt "$scan_line" ] || { cat contain.err; fail "the inventory ran after verify's scan, not during it"; }
grep "verify: at risk: " contain.err | grep -F "/sites/$RISKY:" |
	grep -qF "client certificate exclusion paths '/upload' with HTTP/2" ||
	{ cat contain.err; fail "verify did not name $RISKY (exclusion paths with HTTP/2) as at risk"; }
assert_contains contain.err ", 1 at risk"
expect_exit 0 "$POLICYCTL" -c policyctl.ini report --format json
jq -e --argjson n "$(wc -l <want.txt)" --argjson t "$total" \
	'.inventory.open == $n and .inventory.apps == $t and .totals.noncompliant_remaining > 0
	 and ([.failures[] | select(.kind == "inventory")] | length == $n)' "$WORK/out" >/dev/null ||
	fail "report should show the inventory beside the policy scan: $(cat "$WORK/out")"
expect_exit 0 "$POLICYCTL" -c policyctl.ini report
assert_contains "$WORK/out" "resource graph (the control's check): $(wc -l <want.txt | tr -d ' ') of $total apps open"

# an exemption of the assignment covering one open app: listed as exempt, no longer open
. "$TOP/tests/e2e/armsim-lib.sh"
get_token
exempt_name=$(head -n 1 want.txt)
exempt_id=$(jq -r --arg n "$exempt_name" '.[] | select(.name == $n) | .id' inventory.json)
arm PUT "$exempt_id/providers/Microsoft.Authorization/policyExemptions/waive-one?api-version=2022-07-01-preview" \
	'{"properties":{"policyAssignmentId":"/providers/Microsoft.Management/managementGroups/mg-1/providers/Microsoft.Authorization/policyAssignments/appsvc-client-cert","exemptionCategory":"Waiver","expiresOn":"2099-01-01T00:00:00Z"}}'
assert_eq 201 "$STATUS" "exemption PUT"
open_after=$(( $(wc -l <want.txt) - 1 ))
expect_exit "$([ "$open_after" -gt 0 ] && echo 1 || echo 0)" "$POLICYCTL" -c policyctl.ini inventory --format json
assert_eq exempt "$(jq -r --arg n "$exempt_name" '.[] | select(.name == $n) | .status' "$WORK/out")" "status of the exempted app"
assert_eq "$open_after" "$(jq '[.[] | select(.status == "non-compliant")] | length' "$WORK/out")" "open apps after the exemption"
jq -e --arg n "$exempt_name" '.[] | select(.name == $n) | .why | contains("exempt by waive-one (Waiver, expires 2099")' "$WORK/out" >/dev/null ||
	fail "the exempted app should say by what: $(cat "$WORK/out")"
arm DELETE "$exempt_id/providers/Microsoft.Authorization/policyExemptions/waive-one?api-version=2022-07-01-preview"

# the other formats list the same apps
expect_exit 1 "$POLICYCTL" -c policyctl.ini inventory --format csv
assert_eq "$(wc -l <want.txt)" "$(grep -c ',non-compliant,' "$WORK/out")" "csv non-compliant rows"
expect_exit 1 "$POLICYCTL" -c policyctl.ini inventory --format markdown
assert_contains "$WORK/out" "| non-compliant |"
expect_exit 1 "$POLICYCTL" -c policyctl.ini inventory
assert_contains "$WORK/out" "$(wc -l <want.txt | tr -d ' ') not compliant and not exempt"
expect_exit 2 "$POLICYCTL" -c policyctl.ini inventory --format yaml
assert_contains "$WORK/err" "expected one of table|json|csv|markdown"

# a world with nothing left: exit 0, and nothing listed as non-compliant
stop_armsim
orch_world "mgs=1,subs=2,sites=4,noncompliant=0,slots=0.5,locked=0.3,seed=3"
start_armsim --world "$WORK/world.json" --time-scale 500
orch_ini "management_group = mg-1"
expect_exit 0 "$POLICYCTL" -c policyctl.ini inventory --format json
assert_eq 0 "$(jq '[.[] | select(.status != "compliant")] | length' "$WORK/out")" "open apps"
[ "$(jq length "$WORK/out")" -gt 0 ] || fail "the compliant world's apps should be listed"
