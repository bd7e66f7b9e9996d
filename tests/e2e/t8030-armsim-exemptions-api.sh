#!/bin/sh
# armsim's exemptions API, with policyctl's [exemptions] govern rule deployed: an exemption
# without expiresOn or beyond max_duration is refused by the Deny (403
# RequestDisallowedByPolicy naming the member), one within is created; api-version
# 2020-07-01-preview is served; PATCH changes resourceSelectors and assignmentScopeValidation
# and nothing else; lists filter by excludeExpired() (simulated time), atScope(),
# atExactScope() and policyAssignmentId eq.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
. "$TOP/tests/e2e/armsim-lib.sh"

orch_world "mgs=1,subs=1,sites=2,locked=0,seed=5"
start_armsim --world "$WORK/world.json" --time-scale 3600
orch_ini "management_group = mg-1"
printf '\n[exemptions]\ngovern = true\nmax_duration = 30d\n' >>policyctl.ini
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
get_token

S=$(jq -r '.subscriptions[0].subscriptionId' world.json)
RG=/subscriptions/$S/resourceGroups/rg-1
SITE=$(jq -r '.subscriptions[0].resourceGroups[0].sites[0].name' world.json)
SITE=$RG/providers/Microsoft.Web/sites/$SITE
MG=/providers/Microsoft.Management/managementGroups/mg-1
ASSIGNMENT=$MG/providers/Microsoft.Authorization/policyAssignments/appsvc-client-cert
EX=providers/Microsoft.Authorization/policyExemptions
API=api-version=2022-07-01-preview
sim_now() {
	d=$(curl -s -D - -o /dev/null "$ARMSIM_URL/_armsim/stats" | tr -d '\r' | sed -n 's/^[Dd]ate: //p')
	date -u -d "$d" +%s
}
iso_in() { date -u -d "@$(( $(sim_now) + $1 ))" +%Y-%m-%dT%H:%M:%SZ; }
body() { # body EXPIRES-JSON — an exemption of the assignment
	printf '{"properties":{"policyAssignmentId":"%s","exemptionCategory":"Waiver","expiresOn":%s,"description":"d"}}' \
		"$ASSIGNMENT" "$1"
}

# the govern rule: no expiry, or beyond 30 days, is refused
arm PUT "$RG/$EX/no-expiry?$API" "$(body null)"
assert_eq 403 "$STATUS" "an exemption without expiresOn"
assert_eq RequestDisallowedByPolicy "$(error_code)" "its code"
assert_contains "$WORK/body" "deny-exemptions-without-expiry"
arm PUT "$RG/$EX/too-long?$API" "$(body "\"$(iso_in $((40 * 86400)))\"")"
assert_eq 403 "$STATUS" "an exemption 40 days long"
arm PUT "$RG/$EX/fine?$API" "$(body "\"$(iso_in $((10 * 86400)))\"")"
assert_eq 201 "$STATUS" "an exemption 10 days long: $(cat "$WORK/body")"

# the older api-version az and SDKs still send
arm GET "$RG/$EX/fine?api-version=2020-07-01-preview"
assert_eq 200 "$STATUS" "GET with 2020-07-01-preview"

# PATCH: the two fields it may change, nothing else
arm PATCH "$RG/$EX/fine?$API" '{"properties":{"resourceSelectors":[{"name":"eu","selectors":[{"kind":"resourceLocation","in":["westeurope"]}]}],"assignmentScopeValidation":"DoNotValidate","description":"changed"}}'
assert_eq 200 "$STATUS" "PATCH"
assert_eq eu "$(jq -r '.properties.resourceSelectors[0].name' "$WORK/body")" "resourceSelectors after PATCH"
assert_eq DoNotValidate "$(jq -r '.properties.assignmentScopeValidation' "$WORK/body")" "validation after PATCH"
assert_eq d "$(jq -r '.properties.description' "$WORK/body")" "description after PATCH"
arm PATCH "$RG/$EX/absent?$API" '{"properties":{"resourceSelectors":[]}}'
assert_eq 404 "$STATUS" "PATCH of an absent exemption"

# a one-hour exemption at the site (a simulated hour is a real second here)
arm PUT "$SITE/$EX/short?$API" "$(body "\"$(iso_in 3600)\"")"
assert_eq 201 "$STATUS" "a one-hour exemption"
names() { # names SCOPE FILTER — sorted names the list returns
	arm GET "$1/$EX?$API${2:+&\$filter=$(jq -rn --arg f "$2" '$f|@uri')}"
	[ "$STATUS" = 200 ] || fail "list $1 $2: $STATUS $(cat "$WORK/body")"
	jq -r '[.value[].name] | sort | join(",")' "$WORK/body"
}
assert_eq "fine,short" "$(names "$RG")" "unfiltered at the group (the site's below included)"
assert_eq "fine" "$(names "$RG" "atScope()")" "atScope() at the group"
assert_eq "fine,short" "$(names "$SITE" "atScope()")" "atScope() at the site (the group's above)"
assert_eq "short" "$(names "$SITE" "atExactScope()")" "atExactScope() at the site"
assert_eq "fine,short" "$(names "$MG" "policyAssignmentId eq '$ASSIGNMENT'")" "by assignment"
assert_eq "" "$(names "$MG" "policyAssignmentId eq '$MG/providers/Microsoft.Authorization/policyAssignments/other'")" \
	"another assignment's"
expired() { [ "$(names "$MG" "excludeExpired()")" = "fine" ]; }
poll_until 30 expired
assert_eq "fine,short" "$(names "$MG")" "unfiltered after expiry: the expired one still listed"
echo "govern Deny, 2020-07-01-preview, PATCH and every list filter"
