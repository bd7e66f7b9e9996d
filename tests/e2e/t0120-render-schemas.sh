#!/bin/sh
# Every rendered definition, initiative and assignment validates against the published
# schemas (policyDefinition 2020-10-01, Microsoft.Authorization 2025-03-01, EPAC), for the
# example configs and every golden render case, in all three formats.
. "$TOP/tests/lib.sh"
need_shared
# python3, not jq: validate-policies.py checks the output against the Azure JSON schemas (jsonschema)
command -v python3 >/dev/null || skip "python3 is absent"
python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is absent"

n=0
for config in "$TOP"/examples/*.ini "$TOP"/tests/golden/render/*/config.ini; do
	n=$((n + 1))
	out="$WORK/case$n"
	for format in rest arm-template epac; do
		expect_exit 0 "$POLICYCTL" -q -c "$config" render --format "$format" --out "$out/$format"
	done
	python3 "$TOP/tests/validate-policies.py" "$SHARED" --rest "$out/rest" \
		--arm-template "$out/arm-template" --epac "$out/epac" >"$WORK/validate.out" 2>&1 ||
		{ cat "$WORK/validate.out" >&2; fail "schema validation of '$config'"; }
done
[ "$n" -ge 4 ] || fail "expected at least 4 configs, found $n"

# the validator itself must notice a broken body (else a passing run proves nothing)
sed -i 's/"mode": "Indexed"/"mode": 7/' "$WORK"/case1/rest/*/*/policyDefinitions/*-webapp.json
if python3 "$TOP/tests/validate-policies.py" "$SHARED" --rest "$WORK/case1/rest" >"$WORK/validate.out" 2>&1; then
	fail "validator accepted a definition whose mode is a number"
fi
assert_contains "$WORK/validate.out" "'mode': 7"
assert_contains "$WORK/validate.out" "1 schema failures"
echo "$n configs validated"
