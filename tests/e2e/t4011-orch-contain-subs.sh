#!/bin/sh
# contain over a list of subscriptions (assignments at each): with no locked site every site
# in the listed subscriptions ends compliant and the exit code is 0; a subscription left out
# of the list is left alone.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=3,sites=5,noncompliant=0.8,slots=0.2,locked=0,seed=5"
start_armsim --world "$WORK/world.json" --time-scale 500
subs=$(jq -r '[.subscriptions[0,1].subscriptionId] | join(", ")' "$WORK/world.json")
other=$(jq -r '.subscriptions[2].subscriptionId' "$WORK/world.json")
orch_ini "subscriptions = $subs"
before_other=$(noncompliant_unlocked ".subscriptionId == \"$other\"")

expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
assert_eq 0 "$(noncompliant_unlocked ".subscriptionId != \"$other\"")" "non-compliant sites in scope"
assert_eq "$before_other" "$(noncompliant_unlocked ".subscriptionId == \"$other\"")" \
	"sites of the subscription out of scope"
expect_exit 0 "$POLICYCTL" -c policyctl.ini status
assert_contains "$WORK/out" "state succeeded, phase done"
