#!/bin/sh
# Malformed configs: each tests/golden/config-errors/CASE/config.ini must make
# `policyctl -c config.ini render` exit 2 with exactly CASE/error on stderr (file:line, the
# key, what was expected) and write nothing.
. "$TOP/tests/lib.sh"

cases=0
for dir in "$TOP"/tests/golden/config-errors/*/; do
	name=$(basename "$dir")
	cases=$((cases + 1))
	mkdir "$WORK/$name"
	cp "$dir/config.ini" "$WORK/$name/config.ini"
	cd "$WORK/$name"
	expect_exit 2 "$POLICYCTL" -c config.ini render --out out
	diff "$dir/error" "$WORK/err" >/dev/null ||
		fail "$name: stderr is '$(cat "$WORK/err")', expected '$(cat "$dir/error")'"
	[ ! -e out ] || fail "$name: render wrote output despite the config error"
	cd "$WORK"
done
[ "$cases" -ge 25 ] || fail "expected at least 25 malformed configs, found $cases"
# the secret from secret-as-value must not be echoed back
assert_not_contains "$TOP/tests/golden/config-errors/secret-as-value/error" "hunter2"
echo "$cases malformed configs rejected with the expected message"
