#!/bin/sh
# policyctl check --format sarif validates against the SARIF 2.1.0 schema (read from
# ../shared/policy-refs/schemas, not copied into the tree) for every corpus case, carries
# the driver's rules, physical locations, partialFingerprints and suppressions; and the
# validator itself rejects a broken log (else passing would prove nothing).
. "$TOP/tests/lib.sh"
SCHEMA="$SHARED/policy-refs/schemas/sarif-schema-2.1.0.json"
[ -f "$SCHEMA" ] || skip "../shared is absent ($SCHEMA); SARIF schema validation not run"
command -v python3 >/dev/null || skip "python3 is absent"
python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is absent"

n=0
for dir in "$TOP"/tests/iac/*/; do
	name=$(basename "$dir")
	n=$((n + 1))
	set +e
	(cd "$dir" && "$POLICYCTL" check --today 2026-12-01 $(cat args 2>/dev/null) --format sarif \
		--out "$WORK/$name.sarif" .)
	rc=$?
	set -e
	[ "$rc" = "$(cat "$dir/exit")" ] || fail "case $name: sarif run exited $rc"
done
python3 "$TOP/tests/validate-sarif.py" "$SCHEMA" "$WORK"/*.sarif >"$WORK/validate.out" 2>&1 ||
	{ cat "$WORK/validate.out" >&2; fail "SARIF schema validation"; }
assert_contains "$WORK/validate.out" "$n files, 0 failures"

# What code scanning needs, looked at in one log.
s="$WORK/arm-suppress.sarif"
assert_eq 7 "$(jq '.runs[0].tool.driver.rules | length' "$s")" "driver rules"
assert_eq "PCTL001 PCTL002 PCTL003 PCTL004 PCTL005 PCTL006 PCTL007" \
	"$(jq -r '[.runs[0].tool.driver.rules[].id] | join(" ")' "$s")" "rule ids"
assert_eq 4 "$(jq '[.runs[0].results[] | select(.suppressions)] | length' "$s")" "suppressed results"
assert_eq "inSource" "$(jq -r '[.runs[0].results[] | select(.suppressions)][0].suppressions[0].kind' "$s")" "inline suppression kind"
assert_eq "external" "$(jq -r '[.runs[0].results[] | select(.suppressions) | .suppressions[0].kind] | map(select(. == "external")) | .[0]' "$s")" "file suppression kind"
assert_eq "template.json 5 5" "$(jq -r '.runs[0].results[] | select(.message.text | contains("legacy-partner-api")) | .locations[0].physicalLocation | "\(.artifactLocation.uri) \(.region.startLine) \(.region.startColumn)"' "$s")" "location of a result"
assert_eq 0 "$(jq '[.runs[0].results[] | select((.partialFingerprints["policyctl/v1"] // "") | test("^[0-9a-f]{64}$") | not)] | length' "$s")" "results without a fingerprint"

# The validator notices a level SARIF does not have.
jq '.runs[0].results[0].level = "fatal"' "$s" >"$WORK/broken.sarif"
if python3 "$TOP/tests/validate-sarif.py" "$SCHEMA" "$WORK/broken.sarif" >"$WORK/validate.out" 2>&1; then
	fail "validator accepted level 'fatal'"
fi
assert_contains "$WORK/validate.out" "'fatal' is not one of"
echo "$n SARIF logs validated"
