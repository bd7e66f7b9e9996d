#!/bin/sh
# Microsoft.PolicyInsights not registered in one subscription (armsim's unregistered=):
# armsim answers its remediations and policyStates calls there with 409
# MissingSubscriptionRegistration and Azure's message; doctor shows ✗ naming the
# subscription; contain stops before its first write (armsim counts 0 writes) naming the
# problem; doctor --fix registers it (its one write) and waits until Registered; then contain
# succeeds.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
. "$TOP/tests/e2e/armsim-lib.sh"

orch_world "mgs=1,subs=2,sites=3,noncompliant=0.7,slots=0,locked=0,unregistered=0.5,seed=4"
bad=$(jq -r '.resources[] | select(.type == "Microsoft.Resources/providers") | .id' "$WORK/world.json" | cut -d/ -f3)
[ -n "$bad" ] || fail "the generated world has no unregistered subscription"
start_armsim --world "$WORK/world.json" --time-scale 500
orch_ini "management_group = mg-1"

# armsim: Azure's answer for the namespace's resources in that subscription
get_token
want="The subscription is not registered to use namespace 'Microsoft.PolicyInsights'. See https://aka.ms/rps-not-found for how to register subscriptions."
for call in "GET remediations?api-version=2021-10-01" \
	"POST policyStates/latest/triggerEvaluation?api-version=2019-10-01"; do
	arm "${call%% *}" "/subscriptions/$bad/providers/Microsoft.PolicyInsights/${call#* }"
	assert_eq 409 "$STATUS" "status of $call"
	assert_eq MissingSubscriptionRegistration "$(error_code)" "code of $call"
	assert_eq "$want" "$(json "$WORK/body" .error.message)" "message of $call"
	assert_eq Microsoft.PolicyInsights "$(json "$WORK/body" '.error.details[0].target')" "target"
done
registration_state() {
	arm GET "/subscriptions/$bad/providers/Microsoft.PolicyInsights?api-version=2021-04-01"
	json "$WORK/body" .registrationState
}
assert_eq NotRegistered "$(registration_state)" "registrationState before --fix"

expect_exit 1 "$POLICYCTL" -c policyctl.ini doctor
assert_contains "$WORK/out" "✗ providers    Microsoft.PolicyInsights is not registered in 1 of 2 subscriptions: $bad"
assert_contains "$WORK/out" "fix: run 'policyctl doctor --fix'"
expect_exit 2 "$POLICYCTL" -c policyctl.ini contain
assert_contains "$WORK/err" "preflight: providers: Microsoft.PolicyInsights is not registered in 1 of 2 subscriptions: $bad"
assert_eq 0 "$(writes_sent)" "writes by a contain that preflight stopped"

expect_exit 0 "$POLICYCTL" -c policyctl.ini doctor --fix
assert_contains "$WORK/err" "registering Microsoft.PolicyInsights in subscription $bad"
assert_contains "$WORK/out" "✓ providers    Microsoft.PolicyInsights registered in all 2 subscriptions (after --fix)"
assert_eq 1 "$(writes_sent)" "writes by doctor --fix (one registration)"
assert_eq 1 "$(stats_json | jq '.operations.Providers_Register["200"]')" "register calls"
assert_eq Registered "$(registration_state)" "registrationState after --fix"

expect_exit 0 "$POLICYCTL" -c policyctl.ini contain
assert_eq 0 "$(noncompliant_unlocked)" "non-compliant sites after contain"
