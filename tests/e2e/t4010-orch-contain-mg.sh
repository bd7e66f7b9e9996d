#!/bin/sh
# contain at management-group scope: every unlocked site ends compliant (checked in armsim's
# world, not through policyctl), locked ones are reported with their error and exit 1; the
# report names them; polls of the group's tasks are lists of its remediations; a second
# apply on the applied tenant sends no write.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

orch_world "mgs=1,subs=4,sites=6,noncompliant=0.7,slots=0.2,functions=0.3,locked=0.15,seed=11"
start_armsim --world "$WORK/world.json" --time-scale 500
orch_ini "management_group = mg-1"

[ "$(locked_noncompliant)" -gt 0 ] || fail "the world should have a locked non-compliant site"
[ "$(noncompliant_unlocked)" -gt 0 ] || fail "the world should start non-compliant"

expect_exit 1 "$POLICYCTL" -c policyctl.ini contain
assert_eq 0 "$(noncompliant_unlocked)" "unlocked non-compliant sites after contain"
# the management group's tasks share one scope: polls due together are one list of its
# remediations, not a GET each
lists=$(stats_json | jq '[.operations | to_entries[] | select(.key == "Remediations_List")
	| .value | to_entries[] | .value] | add // 0')
[ "$lists" -gt 0 ] || fail "no poll was a list of the scope's remediations"
# every locked non-compliant site, and nothing else, failed its deployment on the lock
locked=$(locked_noncompliant)
[ "$locked" -gt 0 ] || fail "locked sites cannot have been changed"
assert_eq "$locked" "$(grep -c "^  failed deployment /subscriptions/.*: ScopeLocked: The scope '" "$WORK/out")" \
	"deployments that failed on a lock"

expect_exit 0 "$POLICYCTL" -c policyctl.ini report --format json
assert_eq "$locked $locked" "$(jq -r '.totals | "\(.deployments_failed) \(.noncompliant_remaining)"' "$WORK/out")" \
	"report: failed deployments and non-compliant sites left (the locked ones)"
locked_ids=$(world_json | jq -r '[.subscriptions[] | .subscriptionId as $s | .resourceGroups[] | .name as $g
	| .sites[] | select(.locked == true)
	| select(.properties.clientCertEnabled != true or .properties.clientCertMode != "Required")
	| "/subscriptions/\($s)/resourcegroups/\($g)/providers/microsoft.web/sites/\(.name)"
	| ascii_downcase] | sort | join(" ")')
assert_eq "$locked_ids" "$(jq -r '[.failures[] | select(.code == "ScopeLocked") | .resource | ascii_downcase]
	| sort | join(" ")' "$WORK/out")" "report: the ScopeLocked failures are the locked sites"

# idempotent apply: reads only
before=$(writes_sent)
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
assert_eq "$before" "$(writes_sent)" "writes sent by a second apply"
assert_contains "$WORK/err" "policyctl: apply: 0 to create, 0 to update, 8 unchanged, 0 failed"

# The run with -v (every request and response line) and the ledger it leaves hold neither the
# client secret nor any token (a JWT always starts with "eyJ", the encoded '{"').
expect_exit 0 "$POLICYCTL" -v -c policyctl.ini plan
cat "$WORK/out" "$WORK/err" >"$WORK/verbose.txt"
assert_contains "$WORK/verbose.txt" "> GET http"
ledger=$(ls "$WORK"/*/policyctl.ledger "$WORK"/policyctl.ledger 2>/dev/null | head -n 1)
[ -n "$ledger" ] || fail "no ledger file found"
for f in "$WORK/verbose.txt" "$ledger"*; do
	assert_not_contains "$f" "$ARMSIM_DEMO_SECRET"
	assert_not_contains "$f" "eyJ"
done
sqlite3 "$ledger" .dump >"$WORK/ledger.sql"
[ -s "$WORK/ledger.sql" ] || fail "the ledger dump is empty"
assert_not_contains "$WORK/ledger.sql" "$ARMSIM_DEMO_SECRET"
assert_not_contains "$WORK/ledger.sql" "eyJ"
