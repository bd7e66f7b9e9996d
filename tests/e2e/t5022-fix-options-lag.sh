#!/bin/sh
# fix's options and Resource Graph's lag: bad --tier/--batch/--only are usage errors (exit 2);
# --tier and --only limit what is patched (armsim's request log); --policy-scan triggers an
# evaluation of each touched subscription; with a reflection lag the re-scan polls until the
# apps show fixed, and when the lag outlasts [inventory] rescan_timeout it names the apps that
# did not show, exits 1, and the report counts them.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
. "$TOP/tests/e2e/fix-helpers.sh"

# 20 simulated seconds of lag = 0.2 s at --time-scale 100
orch_world "mgs=1,subs=2,sites=6,noncompliant=0.9,slots=0,locked=0,exposed=0.5,prod=0.5,seed=4" \
	'.knobs = {resourceGraphLagMs: 20000, resourceGraphQuota: 1000}'
start_armsim --world "$WORK/world.json" --log "$WORK/requests.log" --time-scale 100
orch_ini "management_group = mg-1"
world_apps world.json >apps.txt

expect_exit 2 "$POLICYCTL" -c policyctl.ini fix --tier everything
assert_contains "$WORK/err" "option '--tier': expected exposed+production, exposed, production or rest, got 'everything'"
expect_exit 2 "$POLICYCTL" -c policyctl.ini fix --batch 0
assert_contains "$WORK/err" "option '--batch': expected a number from 1 to 10000"
expect_exit 2 "$POLICYCTL" -c policyctl.ini fix --only ''
expect_exit 2 "$POLICYCTL" -c policyctl.ini fix --bogus
assert_eq 0 "$(grep -c ' PATCH ' requests.log || true)" "PATCHes after usage errors"

# --tier: only the open apps of the exposed tier (1)
expect_exit 0 "$POLICYCTL" -c policyctl.ini fix --tier exposed --policy-scan
awk '$2 == "PATCH" {print $3}' requests.log | sort >patched.txt
assert_eq "$(awk '$2 == 1 && $4 == 1 {print $1}' apps.txt | sort)" "$(cat patched.txt)" "apps patched with --tier exposed"
[ -s patched.txt ] || fail "the world should have open exposed apps"
# with the lag the re-scan had to ask again before the apps showed fixed: more than one
# Resource Graph query per batch beyond the inventory's two
assert_contains "$WORK/out" "re-scan: all"
batches=$(grep -c '^batch ' "$WORK/out")
queries=$(grep -c ' POST /providers/Microsoft.ResourceGraph/resources ' requests.log)
[ "$queries" -ge $((2 + 2 * batches)) ] || fail "$queries Resource Graph queries for $batches batch(es): the re-scan did not poll"
subs=$(sed 's|^/subscriptions/\([^/]*\)/.*|\1|' patched.txt | sort -u | wc -l)
assert_eq "$subs" "$(grep -c ' POST .*/policyStates/latest/triggerEvaluation ' requests.log)" "evaluations triggered"

# --only: exactly that app
one=$(awk '$2 != 1 && $4 == 1 {print $1}' apps.txt | head -n 1)
lines=$(wc -l <requests.log)
expect_exit 0 "$POLICYCTL" -c policyctl.ini fix --only "$one"
assert_eq "$one" "$(tail -n +"$((lines + 1))" requests.log | awk '$2 == "PATCH" {print $3}')" "apps patched with --only"

# a re-scan deadline shorter than the lag: the apps are named, exit 1, the report counts them
stop_armsim
jq '.knobs.resourceGraphLagMs = 600000000' world.json >w.json && mv w.json world.json
start_armsim --world "$WORK/world.json" --log "$WORK/requests.log" --time-scale 100
orch_ini "management_group = mg-1"
printf '\n[inventory]\nrescan_timeout = 1ms\n' >>policyctl.ini
expect_exit 1 "$POLICYCTL" -c policyctl.ini fix --tier rest
assert_contains "$WORK/out" "re-scan: not shown fixed by Resource Graph in time: /subscriptions/"
expect_exit 0 "$POLICYCTL" -c policyctl.ini report --format json
jq -e '[.fix.tiers[].lagging] | add > 0' "$WORK/out" >/dev/null || fail "report should count lagging apps: $(cat "$WORK/out")"
