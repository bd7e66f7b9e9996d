#!/bin/sh
# Bad exemption files: each tests/golden/exemptions-errors/CASE/ holds exemptions.json (with
# @EXPIRES@ standing for a date ten days from now) and optionally extra.ini (appended to the
# config); `policyctl apply --dry-run` must exit 2 with exactly CASE/error on stderr
# (FILE:ENTRY: what, what was expected) before it sends or records anything. The checks are
# offline: no server runs, and the config names no reachable endpoint.
. "$TOP/tests/lib.sh"

EXPIRES=$(date -u -d "+10 days" +%Y-%m-%d)
cases=0
for dir in "$TOP"/tests/golden/exemptions-errors/*/; do
	name=$(basename "$dir")
	cases=$((cases + 1))
	mkdir "$WORK/$name"
	cd "$WORK/$name"
	cat >config.ini <<INI
[cloud]
name = custom
arm_endpoint = https://127.0.0.1:9
authority_host = https://127.0.0.1:9
tenant_id = 72f988bf-0000-4000-8000-00000000a125

[scope]
subscriptions = 11111111-1111-4111-8111-111111111111

[run]
ledger = policyctl.ledger

[exemptions]
file = exemptions.json
INI
	[ ! -f "$dir/extra.ini" ] || { echo; cat "$dir/extra.ini"; } >>config.ini
	[ ! -f "$dir/exemptions.json" ] ||
		sed "s/@EXPIRES@/$EXPIRES/g" "$dir/exemptions.json" >exemptions.json
	expect_exit 2 "$POLICYCTL" -c config.ini apply --dry-run
	sed "s/@EXPIRES@/$EXPIRES/g" "$dir/error" >expected
	diff expected "$WORK/err" >/dev/null ||
		fail "$name: stderr is '$(cat "$WORK/err")', expected '$(cat expected)'"
	[ ! -e policyctl.ledger ] || fail "$name: a ledger was written despite the bad file"
	cd "$WORK"
done
[ "$cases" -ge 20 ] || fail "expected at least 20 bad exemption files, found $cases"
echo "$cases bad exemption files refused with the expected message"
