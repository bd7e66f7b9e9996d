#!/bin/sh
# The Azure CLI and policyctl share the exemptions of one assignment: an exemption made with
# `az policy exemption create` (no owner, no marker) is listed by `policyctl exemptions` as
# "no owner" (exit 1) and left untouched by two applies of policyctl's file; az lists
# policyctl's exemption with its owner in metadata. Skipped without az.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
command -v az >/dev/null || skip "the Azure CLI (az) is not installed"

"$ARMSIM" gen-ca certs >/dev/null
orch_world "mgs=1,subs=1,sites=2,locked=0,seed=9" '.knobs = {principalReplicationDelayMs: 0}'
start_armsim --world world.json --tls-cert certs/server.pem --tls-key certs/server-key.pem
orch_ini "management_group = mg-1"
sed -i "s|^\[cloud\]\$|[cloud]\nca_file = $WORK/certs/ca.pem|" policyctl.ini
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
S=$(jq -r '.subscriptions[0].subscriptionId' world.json)
RG=/subscriptions/$S/resourceGroups/rg-1
ASSIGNMENT=/providers/Microsoft.Management/managementGroups/mg-1/providers/Microsoft.Authorization/policyAssignments/appsvc-client-cert

export AZURE_CONFIG_DIR="$WORK/az" REQUESTS_CA_BUNDLE="$WORK/certs/ca.pem"
export AZURE_CORE_COLLECT_TELEMETRY=false AZURE_CORE_SURVEY_MESSAGE=false AZURE_CORE_ONLY_SHOW_ERRORS=true
az cloud register -n armsim --endpoint-resource-manager "$ARMSIM_URL/" \
	--endpoint-active-directory "$ARMSIM_URL/adfs" \
	--endpoint-active-directory-resource-id "$ARMSIM_URL/" \
	--endpoint-active-directory-graph-resource-id "$ARMSIM_URL/" \
	--endpoint-management "$ARMSIM_URL/" -o none
az cloud set -n armsim -o none
az login --service-principal -u "$ARMSIM_DEMO_CLIENT" -p "$ARMSIM_DEMO_SECRET" --tenant "$ARMSIM_DEMO_TENANT" -o none
az account set -s "$S"

expect_exit 0 az policy exemption create -n by-az --policy-assignment "$ASSIGNMENT" \
	--exemption-category Waiver --scope "$RG" --description "made with az" -o json
before=$(jq -S 'del(.systemData)' "$WORK/out")

EXPIRES=$(date -u -d "+60 days" +%Y-%m-%d)
cat >exemptions.json <<JSON
{ "exemptions": [ { "name": "by-policyctl", "scope": "$RG", "owner": "alice@example.com",
  "expires": "$EXPIRES", "reason": "partner without certificates" } ] }
JSON
printf '\n[exemptions]\nfile = exemptions.json\n' >>policyctl.ini
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
expect_exit 0 "$POLICYCTL" -c policyctl.ini apply
expect_exit 1 "$POLICYCTL" -c policyctl.ini exemptions --format csv
assert_contains "$WORK/out" '"by-az","no expiry"'
assert_contains "$WORK/out" '"by-policyctl","active"'

expect_exit 0 az policy exemption show -n by-az --scope "$RG" -o json
assert_eq "$before" "$(jq -S 'del(.systemData)' "$WORK/out")" "az's exemption after two applies"
expect_exit 0 az policy exemption list --scope "$RG" -o json
assert_eq alice@example.com "$(jq -r '.[] | select(.name == "by-policyctl") | .metadata.owner' "$WORK/out")" \
	"policyctl's owner as az shows it"
echo "az's exemption untouched by policyctl; policyctl's visible to az"
