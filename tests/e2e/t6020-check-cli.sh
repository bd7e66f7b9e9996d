#!/bin/sh
# policyctl check on the command line: exit 0 clean, 1 findings, 2 usage or unreadable input
# (with FILE:LINE:COLUMN), --format json, --out, the global --output json, and fingerprints
# that survive lines moving.
. "$TOP/tests/lib.sh"
C="$TOP/tests/iac"

expect_exit 0 "$POLICYCTL" check "$C/clean"
assert_contains "$WORK/out" "checked 1 file, 2 apps and slots (0 out of scope): 0 errors"
expect_exit 1 "$POLICYCTL" check --today 2026-12-01 "$C/arm-basic/template.json"
assert_contains "$WORK/out" "arm-basic/template.json:13:5: error PCTL001"

# usage errors
expect_exit 2 "$POLICYCTL" check
assert_contains "$WORK/err" "expected a PATH"
expect_exit 2 "$POLICYCTL" check --format xml "$C/clean"
assert_contains "$WORK/err" "option '--format': expected one of text|json|sarif, got 'xml'"
expect_exit 2 "$POLICYCTL" check --today 2026-13-01 "$C/clean"
assert_contains "$WORK/err" "option '--today': expected a date YYYY-MM-DD"
expect_exit 2 "$POLICYCTL" check --bogus "$C/clean"
assert_contains "$WORK/err" "unknown option '--bogus'"
expect_exit 2 "$POLICYCTL" check --parameters
assert_contains "$WORK/err" "option '--parameters' needs a value"
expect_exit 0 "$POLICYCTL" check --help
assert_contains "$WORK/out" "--suppressions FILE"
expect_exit 0 "$POLICYCTL" help check
assert_contains "$WORK/out" "usage: policyctl check"
expect_exit 0 "$POLICYCTL" help
assert_contains "$WORK/out" "  check "

# unreadable input: named, broken, not a template; the rest is still checked and reported
expect_exit 2 "$POLICYCTL" check "$WORK/missing.json"
assert_contains "$WORK/err" "cannot read '$WORK/missing.json': No such file or directory"
printf '{\n  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\n  "resources": [ { "type": "Microsoft.Web/sites", } ]\n}\n' >broken.json
expect_exit 2 "$POLICYCTL" check broken.json "$C/arm-basic"
assert_contains "$WORK/err" "broken.json:3:"
assert_contains "$WORK/out" "arm-basic/template.json:13:5: error PCTL001"
mkdir walk && cp broken.json walk/app.json && echo '{"name": "x"}' >walk/package.json
expect_exit 2 "$POLICYCTL" check walk
assert_contains "$WORK/err" "walk/app.json:3:"
echo '{"name": "x"}' >package.json
expect_exit 2 "$POLICYCTL" check package.json
assert_contains "$WORK/err" "package.json:1:1: neither an ARM template"

# a symlink back up the tree is walked once, not forever
mkdir -p loop/a && cp "$C/arm-copy/template.json" loop/a/t.json && ln -s .. loop/a/up && ln -s ../a loop/a/up2
expect_exit 1 "$POLICYCTL" check --today 2026-12-01 loop
assert_contains "$WORK/out" "checked 1 file,"

# bad suppressions and parameter files name FILE:LINE
printf '{\n  "suppressions": [\n    { "rule": "PCTL001", "expires": "2027-01-01" }\n  ]\n}\n' >supp.json
expect_exit 2 "$POLICYCTL" check --suppressions supp.json "$C/clean"
assert_contains "$WORK/err" "supp.json:3:5: suppression 1: expected \"owner\""
printf '{ "suppressions": [ { "rule": "PCTL999", "owner": "a", "expires": "2027-01-01" } ] }\n' >supp.json
expect_exit 2 "$POLICYCTL" check --suppressions supp.json "$C/clean"
assert_contains "$WORK/err" "expected \"rule\": a rule id"
printf '{ "parameters": [ }' >params.json
expect_exit 2 "$POLICYCTL" check --parameters params.json "$C/clean"
assert_contains "$WORK/err" "params.json:1:"

# --format json, --out, and the global --output json
expect_exit 1 "$POLICYCTL" check --today 2026-12-01 --format json --out report.json \
	--suppressions "$C/arm-suppress/suppressions.json" "$C/arm-suppress"
[ ! -s "$WORK/out" ] || fail "--out still wrote to standard output"
assert_eq 9 "$(jq .summary.errors report.json)" "json errors"
assert_eq 4 "$(jq .summary.suppressed report.json)" "json suppressed"
assert_eq "team-partners" "$(jq -r '.findings[] | select(.resource == "legacy-partner-api") | .suppression.owner' report.json)" "suppression owner"
assert_eq 13 "$(jq '[.findings[]] | length' report.json)" "json findings"
# options may follow the paths, as in most tools ("--" ends them: a path may start with "-")
expect_exit 1 "$POLICYCTL" check "$C/arm-suppress" --today 2026-12-01 --format json \
	--out after-paths.json --suppressions "$C/arm-suppress/suppressions.json"
assert_eq 9 "$(jq .summary.errors after-paths.json)" "json errors with the options after the path"
cp -r "$C/clean" ./-clean
expect_exit 0 "$POLICYCTL" check --format json -- -clean
assert_eq 0 "$(jq .summary.errors "$WORK/out")" "errors in a folder named -clean"
expect_exit 1 "$POLICYCTL" --output json check --today 2026-12-01 "$C/arm-copy"
assert_eq "shop-neu" "$(jq -r '.findings[0].resource' "$WORK/out")" "global --output json"

# fingerprints follow the resource, not its line
cp "$C/arm-basic/template.json" moved.json
expect_exit 1 "$POLICYCTL" check --format json --out before.json moved.json
jq --indent 4 '.resources |= [{type: "Microsoft.Web/sites", apiVersion: "2024-11-01", name: "new-one",
	location: "westeurope", properties: {clientCertEnabled: true, clientCertMode: "Required"}}] + .' \
	moved.json >moved.tmp && mv moved.tmp moved.json
expect_exit 1 "$POLICYCTL" check --format json --out after.json moved.json
q='.findings[] | select(.resource == "func-bad" and .ruleId == "PCTL001")'
[ "$(jq -r "$q | .line" before.json)" != "$(jq -r "$q | .line" after.json)" ] || fail "the finding did not move"
assert_eq "$(jq -r "$q | .fingerprint" before.json)" "$(jq -r "$q | .fingerprint" after.json)" "fingerprint after a move"
[ "$(jq -r '[.findings[].fingerprint] | unique | length' after.json)" = "$(jq -r '.findings | length' after.json)" ] ||
	fail "two findings share a fingerprint"
echo ok
