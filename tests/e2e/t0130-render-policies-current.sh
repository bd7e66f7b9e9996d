#!/bin/sh
# policies/ must be exactly what the default config renders today, in every format; otherwise
# someone changed a template or the renderer without `make render-policies`.
. "$TOP/tests/lib.sh"

for format in rest arm-template epac terraform alz; do
	expect_exit 0 "$POLICYCTL" -q -c "$TOP/examples/management-group.ini" render \
		--format "$format" --out "$WORK/$format"
	diff -r "$TOP/policies/$format" "$WORK/$format" >"$WORK/diff" ||
		{ head -n 40 "$WORK/diff" >&2; fail "policies/$format is stale: run 'make render-policies' and commit"; }
done
echo "policies/ is current"
