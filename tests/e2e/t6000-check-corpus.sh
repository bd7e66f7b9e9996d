#!/bin/sh
# policyctl check over the corpus in tests/iac: each case's text output (file:line:column,
# rule, message) and exit code are exactly the expected ones. The corpus covers every
# resource type and attribute the check reads (asserted below, so a case cannot be dropped
# silently).
. "$TOP/tests/lib.sh"

n=0
for dir in "$TOP"/tests/iac/*/; do
	name=$(basename "$dir")
	n=$((n + 1))
	want_exit=$(cat "$dir/exit")
	set +e
	(cd "$dir" && "$POLICYCTL" check --today 2026-12-01 $(cat args 2>/dev/null) .) \
		>"$WORK/$name.out" 2>"$WORK/$name.err"
	got_exit=$?
	set -e
	diff -u "$dir/expected" "$WORK/$name.out" >&2 || fail "case $name: output differs from expected"
	[ "$got_exit" = "$want_exit" ] || { cat "$WORK/$name.err" >&2; fail "case $name: exit $got_exit, expected $want_exit"; }
	[ ! -s "$WORK/$name.err" ] || { cat "$WORK/$name.err" >&2; fail "case $name: unexpected messages"; }
done
[ "$n" -ge 12 ] || fail "expected at least 12 cases, found $n"

# Coverage of the corpus: every Terraform type and attribute, every ARM construct, every rule.
for word in azurerm_linux_web_app azurerm_windows_web_app azurerm_linux_web_app_slot \
	azurerm_windows_web_app_slot azurerm_linux_function_app azurerm_windows_function_app \
	azurerm_linux_function_app_slot azurerm_windows_function_app_slot azurerm_app_service \
	azurerm_app_service_slot azurerm_function_app azurerm_function_app_slot \
	client_certificate_enabled client_certificate_mode client_cert_enabled client_cert_mode \
	client_certificate_exclusion_paths; do
	grep -q "\"$word\"" "$TOP"/tests/iac/tf-*/plan.json || fail "no Terraform case uses '$word'"
done
for word in Microsoft.Web/sites/slots Microsoft.Resources/deployments '"copy"' '"condition"' \
	clientCertExclusionPaths http20Enabled minTlsVersion expressionEvaluationOptions templateLink \
	workflowapp azurecontainerapps policyctl-suppress; do
	grep -q -- "$word" "$TOP"/tests/iac/arm-*/*.json || fail "no ARM case uses '$word'"
done
for rule in PCTL001 PCTL002 PCTL003 PCTL004 PCTL005 PCTL006 PCTL007; do
	cat "$TOP"/tests/iac/*/expected | grep -q " $rule " || fail "no case expects rule $rule"
done
cat "$TOP"/tests/iac/*/expected | grep -q ": suppressed PCTL" || fail "no case expects a suppressed finding"


# docs/architecture.md: iac/ includes lib/ only (and system headers)
bad=$(grep -h '^#include "' "$TOP"/iac/*.[ch] | grep -v '^#include "iac/' | grep -v '^#include "lib/' || true)
[ -z "$bad" ] || fail "iac/ includes outside lib/: $bad"
echo "$n cases"
