#!/bin/sh
# make live-check: skips with a notice without a config or without a credential; against
# armsim as a custom cloud (what CI runs) it prints doctor's checks and the plan, exits 0 and
# writes nothing; under POLICYCTL_READ_ONLY (which it sets) even apply cannot write.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
command -v make >/dev/null 2>&1 || skip "make is not installed"

unset AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PATH AZURE_FEDERATED_TOKEN_FILE \
	IDENTITY_ENDPOINT IDENTITY_HEADER AZURE_CLIENT_ID AZURE_TENANT_ID POLICYCTL_READ_ONLY
live_check() { make -s -C "$TOP" -o all live-check BUILD="$BUILD_DIR" LIVE_CONFIG="$1"; }

expect_exit 0 live_check "$WORK/none.ini"
assert_contains "$WORK/out" "live-check: skipped: no config '$WORK/none.ini'"

# a config that names no credential, on a host with none (no az on this PATH)
mkdir -p "$WORK/bin"
for tool in sh cat grep make; do ln -s "$(command -v $tool)" "$WORK/bin/$tool"; done
printf '[cloud]\nname = custom\narm_endpoint = https://127.0.0.1:1\ntenant_id = %s\n[scope]\nmanagement_group = mg-1\n' \
	"$ARMSIM_DEMO_TENANT" >"$WORK/nocred.ini"
PATH="$WORK/bin" expect_exit 0 live_check "$WORK/nocred.ini"
assert_contains "$WORK/out" "live-check: skipped: no credential"

orch_world "mgs=1,subs=2,sites=3,slots=0,locked=0,seed=8"
start_armsim --world "$WORK/world.json" --time-scale 500
orch_ini "management_group = mg-1"
expect_exit 0 live_check "$WORK/policyctl.ini"
assert_contains "$WORK/out" "== policyctl doctor"
assert_contains "$WORK/out" "✓ permissions"
assert_contains "$WORK/out" "checks: 11 ok, 0 warnings, 0 failed"
assert_contains "$WORK/out" "== policyctl plan"
assert_contains "$WORK/out" "  create    /providers/Microsoft.Management/managementGroups/mg-1/providers/Microsoft.Authorization/policyAssignments/appsvc-client-cert"
assert_contains "$WORK/err" "plan: 7 to create, 0 to update, 0 unchanged, 0 failed"
assert_contains "$WORK/out" "live-check: nothing blocks a rollout (nothing was written)"
assert_eq 0 "$(writes_sent)" "writes by live-check"

# the read-only client refuses a write before it leaves
POLICYCTL_READ_ONLY=1 expect_exit 1 "$POLICYCTL" -c policyctl.ini apply --skip-preflight
assert_contains "$WORK/err" "refusing to send PUT $ARMSIM_URL/providers/Microsoft.Management/managementGroups/mg-1/providers/Microsoft.Authorization/policyDefinitions/"
assert_contains "$WORK/err" "this client is read-only"
assert_eq 0 "$(writes_sent)" "writes by a read-only apply"
