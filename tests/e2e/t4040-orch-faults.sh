#!/bin/sh
# With 10% injected faults (500/503, dropped connections, truncated bodies) and small
# throttling buckets, contain still completes and every unlocked site ends compliant.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=3,sites=5,noncompliant=0.7,locked=0,seed=8" \
	'.knobs.throttle.subscriptionReads = {"burst": 20, "refillPerSecond": 20}
	 | .knobs.throttle.subscriptionWrites = {"burst": 10, "refillPerSecond": 10}
	 | .knobs.throttle.tenantReads = {"burst": 20, "refillPerSecond": 20}
	 | .knobs.throttle.tenantWrites = {"burst": 10, "refillPerSecond": 10}'
start_armsim --world "$WORK/world.json" --time-scale 500 --fault-rate 0.1 --seed 4
orch_ini "management_group = mg-1"
expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
assert_eq 0 "$(noncompliant_unlocked)" "non-compliant sites"
stats_json | jq -e '.faults > 0' >/dev/null || fail "armsim should have injected faults"
