#!/bin/sh
# fix on a world where no policy was ever assigned: the dry run sends nothing; the fix patches
# tier by tier in the documented order (read from armsim's request log), re-scans Resource
# Graph after each batch, skips locked apps and the app at risk with their reasons, changes no
# other property of any app, and leaves every other app compliant (armsim's world says so).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
. "$TOP/tests/e2e/fix-helpers.sh"

# one app at risk: exclusion paths with HTTP/2
orch_world "mgs=1,subs=3,sites=8,noncompliant=0.7,slots=0.3,functions=0.3,locked=0.15,exposed=0.5,prod=0.5,seed=21" \
	'.subscriptions[0].resourceGroups[0].sites[0].properties += {clientCertEnabled: false,
	  clientCertExclusionPaths: "/health", siteConfig: {http20Enabled: true}}
	 | .subscriptions[0].resourceGroups[0].sites[0].locked = false'
start_armsim --world "$WORK/world.json" --log "$WORK/requests.log"
orch_ini "management_group = mg-1"
world_apps world.json >apps.txt
at_risk=$(head -n 1 apps.txt | cut -d' ' -f1)
for t in 0 1 2 3; do
	grep -q " $t 0 1\$" apps.txt || fail "the world should have an open unlocked app in tier $t"
done
grep -q " 1 1\$" apps.txt || fail "the world should have a locked open app"
world_json | without_cert_props >props-before.json

expect_exit 0 "$POLICYCTL" -c policyctl.ini fix --dry-run --batch 3
assert_contains "$WORK/out" "would patch"
assert_contains "$WORK/out" "would skip $at_risk: at risk"
assert_eq 0 "$(stats_json | jq .writes)" "writes sent by a dry run"

expect_exit 0 "$POLICYCTL" -c policyctl.ini fix --batch 3
cp "$WORK/out" fix.out

# the order: PATCHes in tier order, each batch followed by a Resource Graph query
awk '$2 == "PATCH" || ($2 == "POST" && $3 ~ /ResourceGraph/) {print $2, $3}' requests.log >seq.txt
grep '^PATCH ' seq.txt | cut -d' ' -f2 >patched.txt
prev=0
while read -r id; do
	tier=$(grep -F "$id " apps.txt | cut -d' ' -f2)
	[ -n "$tier" ] || fail "patched an app armsim does not know: $id"
	[ "$tier" -ge "$prev" ] || fail "$id (tier $tier) patched after tier $prev"
	prev=$tier
done <patched.txt
# a batch that fixed something is re-scanned before the next batch starts (one refused
# entirely has nothing to re-scan, so its PATCHes run on into the next batch's)
batches=$(grep -c '^batch .*: [1-9][0-9]* fixed' fix.out)
runs=$(awk '$1 == "PATCH" && !in_run {runs++; in_run = 1} $1 == "POST" {in_run = 0} END {print runs}' seq.txt)
assert_eq "$batches" "$runs" "runs of PATCHes between Resource Graph queries"
[ "$(tail -n 1 seq.txt | cut -d' ' -f1)" = POST ] || fail "the last batch was not re-scanned"
assert_contains fix.out "re-scan: all"

# what was patched: every open app, once, but the locked ones (refused) and the one at risk
want=$(awk '$4 == 1 {print $1}' apps.txt | grep -vF "$at_risk" | sort)
assert_eq "$want" "$(sort patched.txt)" "apps patched"
awk '$3 == 1 && $4 == 1 {print $1}' apps.txt >locked.txt
while read -r id; do
	assert_contains fix.out "skipped $id: locked (ScopeLocked)"
done <locked.txt
assert_not_contains requests.log "PATCH $at_risk "

# armsim's world: every unlocked app compliant but the one at risk; nothing else changed
world_json >world-after.json
world_apps world-after.json >apps-after.txt
assert_eq "$(awk '$3 == 1 && $4 == 1' apps.txt | wc -l)" "$(awk '$4 == 1' apps-after.txt | grep -vF "$at_risk" | wc -l)" \
	"apps left open (the locked ones)"
without_cert_props <world-after.json >props-after.json
cmp props-before.json props-after.json || fail "fix changed properties other than the two it sets"

# a second fix is a new run: it tries the locked apps again (a lock may have gone) and
# touches nothing else
lines=$(wc -l <requests.log)
expect_exit 0 "$POLICYCTL" -c policyctl.ini fix --batch 3
tail -n +"$((lines + 1))" requests.log | awk '$2 == "PATCH" {print $3, $4}' | sort >second.txt
assert_eq "$(sed 's/$/ 409/' locked.txt | sort)" "$(cat second.txt)" "PATCHes of a second fix"

# report reads the ledger: the fix per tier, each locked app with its reason
expect_exit 0 "$POLICYCTL" -c policyctl.ini report
assert_contains "$WORK/out" "exposed+production"
while read -r id; do
	assert_contains "$WORK/out" "skipped $id: locked (ScopeLocked)"
done <locked.txt
expect_exit 0 "$POLICYCTL" -c policyctl.ini report --format html --out report.html
assert_contains report.html '<section id="inventory">'
assert_contains report.html "<td>exposed+production</td>"
