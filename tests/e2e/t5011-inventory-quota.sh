#!/bin/sh
# inventory within Resource Graph's quota: with 2 queries per 1.5 s and pages of 2 rows, the
# inventory still lists every app, and it waits out x-ms-user-quota-resets-after when
# x-ms-user-quota-remaining reaches 0 instead of running into 429s (armsim's stats).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=2,sites=3,slots=0,seed=6" \
	'.knobs = {resourceGraphQuota: 2, resourceGraphQuotaWindowMs: 1500}'
start_armsim --world "$WORK/world.json"
orch_ini "management_group = mg-1"
printf '\n[inventory]\npage_size = 2\n' >>policyctl.ini

expect_exit 1 "$POLICYCTL" -v -c policyctl.ini inventory --format json
assert_eq 6 "$(jq length "$WORK/out")" "apps listed"
queries=$(stats_json | jq '[.operations.Resources // {} | to_entries[] | .value] | add')
assert_eq 4 "$queries" "Resource Graph queries (the ASE query and three pages)"
assert_eq null "$(stats_json | jq '.operations.Resources["429"]')" "429s from Resource Graph"
assert_contains "$WORK/err" "resource graph quota spent: next query in"
