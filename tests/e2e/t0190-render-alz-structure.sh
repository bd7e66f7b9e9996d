#!/bin/sh
# The alz render has the structure of the Azure Landing Zones library's own files
# (../shared/policy-refs/peers/alz/): file-name suffixes, top-level keys of each asset kind as
# in the library's examples, assignment properties within those of the example, references
# through the "placeholder" management group, an archetype naming exactly the rendered assets
# (and nothing that is not there), and bodies equal to the rest render but for the documented
# differences (no top-level version; placeholder ids; ALZ's location).
. "$TOP/tests/lib.sh"
need_shared
command -v python3 >/dev/null || skip "python3 is absent"

for case in mg-minimal hostile-strings enabled-only-no-builtins; do
	config="$TOP/tests/golden/render/$case/config.ini"
	expect_exit 0 "$POLICYCTL" -q -c "$config" render --format alz --out "$case/alz"
	expect_exit 0 "$POLICYCTL" -q -c "$config" render --format rest --out "$case/rest"
	python3 "$TOP/tests/validate-alz.py" "$SHARED/policy-refs/peers/alz" "$case/alz" "$case/rest" \
		>"$WORK/$case.out" 2>&1 || { cat "$WORK/$case.out" >&2; fail "$case: alz library invalid"; }
	cat "$WORK/$case.out"
done

# the checker must catch a broken library: an archetype naming an asset that is not there
f=mg-minimal/alz/archetype_definitions/appservice-client-cert.alz_archetype_definition.json
sed 's/"appsvc-client-cert"/"no-such-assignment"/' "$f" >"$WORK/arch" && mv "$WORK/arch" "$f"
if python3 "$TOP/tests/validate-alz.py" "$SHARED/policy-refs/peers/alz" mg-minimal/alz mg-minimal/rest \
	>"$WORK/bad.out" 2>&1; then
	fail "a dangling archetype reference went unnoticed"
fi
assert_contains "$WORK/bad.out" "no-such-assignment"
