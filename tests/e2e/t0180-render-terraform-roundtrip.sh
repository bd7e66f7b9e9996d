#!/bin/sh
# The terraform render, read back by an HCL parser (tests/hcl: @cdktf/hcl2json, installed by
# scripts/install-deps.sh), says what the rest render says: every definition, initiative and
# assignment body equal once mapped back, one role assignment per role and assignment, and the
# remediation resources exactly when [render] terraform_remediations asks for them. Runs on
# the golden configs (hostile strings included) and both scopes.
. "$TOP/tests/lib.sh"

command -v node >/dev/null 2>&1 || skip "node is not installed (scripts/install-deps.sh --ci installs it)"
[ -d "$TOP/tests/hcl/node_modules/@cdktf/hcl2json" ] ||
	skip "tests/hcl/node_modules lacks @cdktf/hcl2json (run scripts/install-deps.sh)"

checks=""
roundtrip() { # NAME CONFIG [EXPECT_REMEDIATIONS]: renders both; the check runs once for all
	expect_exit 0 "$POLICYCTL" -q -c "$2" render --format rest --out "$WORK/$1/rest"
	expect_exit 0 "$POLICYCTL" -q -c "$2" render --format terraform --out "$WORK/$1/tf"
	checks="$checks $1/tf $1/rest ${3:-0}"
}
hcl_check() {
	# shellcheck disable=SC2086
	NODE_PATH="$TOP/tests/hcl/node_modules" node "$TOP/tests/hcl/terraform-roundtrip.js" "$@"
}

cases=0
for dir in "$TOP"/tests/golden/render/*/; do
	roundtrip "$(basename "$dir")" "$dir/config.ini"
	cases=$((cases + 1))
done
[ "$cases" -ge 4 ] || fail "expected at least 4 golden configs, found $cases"

# with remediations, at a management group and at subscriptions
for base in hostile-strings subscriptions-user-identity; do
	{ cat "$TOP/tests/golden/render/$base/config.ini"; printf '\n[render]\nterraform_remediations = true\n'; } \
		>"$WORK/$base-rem.ini"
	roundtrip "$base-rem" "$WORK/$base-rem.ini" 1
done
# shellcheck disable=SC2086
hcl_check $checks >"$WORK/check.out" 2>&1 || { cat "$WORK/check.out" >&2; fail "terraform and rest disagree"; }
cat "$WORK/check.out"
[ "$(grep -c 'terraform equals rest' "$WORK/check.out")" = $((cases + 2)) ] || fail "not every render was checked"
assert_contains "$WORK/check.out" "hostile-strings-rem/tf: 4 remediation resources"
assert_contains "$WORK/check.out" "subscriptions-user-identity-rem/tf: 8 remediation resources"
assert_contains "$WORK/subscriptions-user-identity-rem/tf/main.tf" 'resource_discovery_mode = "ReEvaluateCompliance"'

# a mutation the comparison must catch: a changed rule in main.tf
sed 's/"equals" = "Required"/"equals" = "Optional"/' "$WORK/mg-minimal/tf/main.tf" >"$WORK/main.tf.new"
mv "$WORK/main.tf.new" "$WORK/mg-minimal/tf/main.tf"
if hcl_check mg-minimal/tf mg-minimal/rest 0 >"$WORK/mut.out" 2>&1; then
	fail "the round trip did not notice a changed policy rule"
fi
assert_contains "$WORK/mut.out" "differs between the terraform and the rest render"
echo "terraform round trip: $cases golden configs and 2 with remediations"
