#!/bin/sh
# An exemption on simulated time (armsim --time-scale 3600: a real second is a simulated
# hour): `policyctl exemptions` shows it active, then expiring, then expired (exit 1); while
# it runs the site it covers is Exempt (in policy states and in `policyctl inventory`), and
# after it expired the next scan shows the site NonCompliant again and `inventory` lists it
# as non-compliant. Statuses follow Azure's clock (armsim's Date), not this machine's.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
. "$TOP/tests/e2e/armsim-lib.sh"

orch_world "mgs=1,subs=1,sites=3,locked=0,seed=11" \
	'.knobs = {"scanDurationMs": 60000, "evaluationDelayMs": 60000}'
start_armsim --world "$WORK/world.json" --time-scale 3600
orch_ini "management_group = mg-1"
SITE=$(jq -r '[.subscriptions[0] as $s | $s.resourceGroups[] as $g | $g.sites[]
	| select(.properties.clientCertEnabled != true)
	| "/subscriptions/\($s.subscriptionId)/resourceGroups/\($g.name)/providers/Microsoft.Web/sites/\(.name)"][0]' world.json)
[ "$SITE" != null ] || fail "the world has no site without client certificates"
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply

# armsim's clock: the Date of its answers
sim_now() {
	d=$(curl -s -D - -o /dev/null "$ARMSIM_URL/_armsim/stats" | tr -d '\r' | sed -n 's/^[Dd]ate: //p')
	date -u -d "$d" +%s
}
EXPIRES=$(date -u -d "@$(( $(sim_now) + 6 * 3600 ))" +%Y-%m-%dT%H:%M:%SZ)
cat >exemptions.json <<JSON
{ "exemptions": [ { "name": "gateway", "scope": "$SITE", "owner": "alice@example.com",
  "expires": "$EXPIRES", "reason": "gateway terminates client certificates" } ] }
JSON
printf '\n[exemptions]\nfile = exemptions.json\n' >>policyctl.ini
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply

status() { # status — the exemption's status; the exit code of `exemptions` in $WORK/rc
	set +e
	"$POLICYCTL" -c policyctl.ini exemptions --within 3h --format json >"$WORK/list.json" 2>"$WORK/list.err"
	echo $? >"$WORK/rc"
	set -e
	jq -r '.[] | select(.name == "gateway") | .status' "$WORK/list.json"
}
assert_eq active "$(status)" "status six simulated hours before expiry"
assert_eq 0 "$(cat "$WORK/rc")" "exit code while active"

# while it runs, the scan finds the site exempt
expect_exit 0 "$POLICYCTL" -c policyctl.ini scan --wait
status >/dev/null
jq -e --arg s "$SITE" '.[] | select(.name == "gateway") | .resources | map(ascii_downcase) | index($s | ascii_downcase)' "$WORK/list.json" \
	>/dev/null || { cat "$WORK/list.json"; fail "the exempt site is not listed under its exemption"; }

inv_status() { # inv_status — the site's status in `policyctl inventory`; its exit code in $WORK/inv.rc
	set +e
	"$POLICYCTL" -c policyctl.ini inventory --format json >"$WORK/inv.json" 2>"$WORK/inv.err"
	echo $? >"$WORK/inv.rc"
	set -e
	jq -r --arg s "$SITE" '.[] | select((.id | ascii_downcase) == ($s | ascii_downcase)) | .status' "$WORK/inv.json"
}
assert_eq exempt "$(inv_status)" "the site's status in inventory while its exemption runs"

is_status() { [ "$(status)" = "$1" ] && [ "$(cat "$WORK/rc")" = "$2" ]; }
poll_until 30 is_status expiring 0
poll_until 30 is_status expired 1
assert_contains "$WORK/list.err" "1 exemption is expired or without an owner or an expiry"

# the next evaluation shows the site non-compliant again (a scan of its own: the run's
# scan of this subscription is done and a rerun of `scan` would not repeat it)
get_token
SUB=$(jq -r '.subscriptions[0].subscriptionId' world.json)
arm POST "/subscriptions/$SUB/providers/Microsoft.PolicyInsights/policyStates/latest/triggerEvaluation?api-version=2019-10-01"
assert_eq 202 "$STATUS" "triggerEvaluation"
LOCATION=$(tr -d '\r' <"$WORK/headers" | sed -n 's/^[Ll]ocation: //p')
scan_done() { arm GET "${LOCATION#"$ARMSIM_URL"}"; [ "$STATUS" = 200 ]; }
poll_until 30 scan_done
FILTER="ComplianceState eq 'NonCompliant' and ResourceId eq '$SITE'"
arm POST "/providers/Microsoft.Management/managementGroups/mg-1/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults?api-version=2019-10-01&\$filter=$(jq -rn --arg f "$FILTER" '$f|@uri')"
assert_eq 200 "$STATUS" "queryResults"
[ "$(jq '.value | length' "$WORK/body")" -gt 0 ] ||
	{ cat "$WORK/body"; fail "the site is not non-compliant after its exemption expired"; }
status >/dev/null
assert_eq 0 "$(jq '.[] | select(.name == "gateway") | .resources | length' "$WORK/list.json")" \
	"resources still exempt by the expired exemption"
# the control's own check agrees: the site is back among the non-compliant apps, exit 1
assert_eq non-compliant "$(inv_status)" "the site's status in inventory after its exemption expired"
assert_eq 1 "$(cat "$WORK/inv.rc")" "inventory's exit code with the site open again"
echo "active -> expiring -> expired on simulated time; the site non-compliant again"
