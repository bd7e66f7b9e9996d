#!/bin/sh
# The render command line: help, option errors, exit codes, determinism, unwritable output.
. "$TOP/tests/lib.sh"

cat >lz.ini <<'INI'
[scope]
management_group = mg-test
INI

expect_exit 0 "$POLICYCTL" render --help
for option in --format --out rest arm-template epac; do
	assert_contains "$WORK/out" "$option"
done
expect_exit 0 "$POLICYCTL" help render
assert_contains "$WORK/out" "usage: policyctl [-c FILE] render"
expect_exit 0 "$POLICYCTL" help
assert_contains "$WORK/out" "render"
# every command answers --help with exit 0
for cmd in $("$POLICYCTL" help | sed -n '/^commands:/,/^$/p' | awk 'NR>1 && NF {print $1}'); do
	expect_exit 0 "$POLICYCTL" "$cmd" --help
	assert_contains "$WORK/out" "usage: policyctl"
done

expect_exit 2 "$POLICYCTL" -c lz.ini render --format yaml
assert_eq "policyctl: error: option '--format': expected one of rest|arm-template|epac|terraform|alz, got 'yaml'" \
	"$(head -n 1 "$WORK/err")" "bad format message"
expect_exit 2 "$POLICYCTL" -c lz.ini render --frobnicate
assert_contains "$WORK/err" "unknown option '--frobnicate'"
expect_exit 2 "$POLICYCTL" -c lz.ini render extra
assert_contains "$WORK/err" "unexpected argument 'extra'"
expect_exit 2 "$POLICYCTL" -c lz.ini render --out
assert_contains "$WORK/err" "needs a value"
expect_exit 2 "$POLICYCTL" -c missing.ini render
assert_eq "policyctl: error: cannot read 'missing.ini': No such file or directory" "$(cat "$WORK/err")" "missing config"
# -c defaults to ./policyctl.ini
expect_exit 2 "$POLICYCTL" render
assert_contains "$WORK/err" "cannot read 'policyctl.ini'"
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
assert_contains "$WORK/err" "cannot create folder 'blocker"
echo "render CLI ok"
