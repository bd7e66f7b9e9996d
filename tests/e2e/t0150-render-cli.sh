#!/bin/sh
# The render command line: help, option errors, exit codes, determinism, unwritable output.
. "$TOP/tests/lib.sh"

cat >lz.ini <<'INI'
[scope]
management_group = mg-test
INI

usage="usage: policyctl [-c FILE] render [--format rest|arm-template|epac|terraform|alz] [--out DIR]"
expect_exit 0 "$POLICYCTL" render --help
assert_eq "$usage" "$(head -n 1 "$WORK/out")" "render --help usage line"
for line in "  -f, --format FORMAT  rest (default): one file per resource" \
	"                       arm-template: one deployment template per scope;" \
	"                       epac: Enterprise Policy as Code's folder layout;" \
	"                       terraform: main.tf, variables.tf, outputs.tf (azurerm);" \
	"                       alz: an Azure Landing Zones library (management group only)" \
	"  -o, --out DIR        folder to write to, created when missing (default: rendered)" \
	"exit codes: 0 written, 1 a file could not be written, 2 usage or config error"; do
	assert_contains "$WORK/out" "$line"
done
cp "$WORK/out" render-help
expect_exit 0 "$POLICYCTL" help render
cmp -s render-help "$WORK/out" || fail "'help render' and 'render --help' differ"
expect_exit 0 "$POLICYCTL" help
grep -qxF "  render     write the policy definitions, initiative and assignment (JSON, Terraform, ALZ)" "$WORK/out" ||
	fail "'policyctl help' does not list render with its summary"
# every command answers --help with exit 0
for cmd in $("$POLICYCTL" help | sed -n '/^commands:/,/^$/p' | awk 'NR>1 && NF {print $1}'); do
	expect_exit 0 "$POLICYCTL" "$cmd" --help
	assert_contains "$WORK/out" "usage: policyctl"
done

expect_exit 2 "$POLICYCTL" -c lz.ini render --format yaml
assert_eq "policyctl: error: option '--format': expected one of rest|arm-template|epac|terraform|alz, got 'yaml'" \
	"$(head -n 1 "$WORK/err")" "bad format message"
# each usage error is one line, the whole of stderr
for case in "--frobnicate|policyctl: error: unknown option '--frobnicate': see 'policyctl render --help'" \
	"extra|policyctl: error: unexpected argument 'extra': render takes only options" \
	"--out|policyctl: error: option '--out' needs a value"; do
	expect_exit 2 "$POLICYCTL" -c lz.ini render "${case%%|*}"
	assert_eq "${case#*|}" "$(cat "$WORK/err")" "render ${case%%|*}"
done
expect_exit 2 "$POLICYCTL" -c missing.ini render
assert_eq "policyctl: error: cannot read 'missing.ini': No such file or directory" "$(cat "$WORK/err")" "missing config"
# -c defaults to ./policyctl.ini
expect_exit 2 "$POLICYCTL" render
assert_eq "policyctl: error: cannot read 'policyctl.ini': No such file or directory" "$(cat "$WORK/err")" \
	"render without -c or ./policyctl.ini"
cp lz.ini policyctl.ini
expect_exit 0 "$POLICYCTL" render --out default-config
[ -f default-config/manifest.json ] || fail "render with ./policyctl.ini wrote no manifest"
# the default folder is ./rendered
expect_exit 0 "$POLICYCTL" render
[ -f rendered/manifest.json ] || fail "render without --out wrote no rendered/manifest.json"

# same config, same bytes (every format)
for format in rest arm-template epac; do
	expect_exit 0 "$POLICYCTL" -q -c lz.ini render --format "$format" --out "a-$format"
	expect_exit 0 "$POLICYCTL" -q -c lz.ini render --format "$format" --out "b-$format"
	diff -r "a-$format" "b-$format" || fail "two renders of $format differ"
done
# 2-space indent and a final newline in every file
for f in $(find a-rest a-arm-template a-epac -type f); do
	[ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] || fail "'$f' does not end in a newline"
	sed -n 2p "$f" | grep -q '^  "' || fail "'$f' is not 2-space indented"
done

# a file where the folder should be: exit 1 with the path in the message
: >blocker
expect_exit 1 "$POLICYCTL" -c lz.ini render --out blocker/sub
assert_eq "policyctl: error: cannot create folder 'blocker/sub': Not a directory" "$(cat "$WORK/err")" \
	"render into a path under a file"
[ ! -e blocker/sub ] && [ ! -s blocker ] || fail "render changed 'blocker'"
echo "render CLI ok"
