#!/bin/sh
# A standard client against armsim: the Azure CLI registers armsim as a custom cloud with an
# ADFS-style authority, signs in as the demo service principal over HTTPS (armsim's CA in
# REQUESTS_CA_BUNDLE, nothing else trusted), and runs its policy, role and webapp commands.
# Skipped when az is not installed (Debian: apt-get install azure-cli; CI installs it through
# scripts/install-deps.sh --ci).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
command -v az >/dev/null || skip "the Azure CLI (az) is not installed"

"$ARMSIM" gen-ca certs >/dev/null
"$ARMSIM" world --generate subs=2,sites=3,mgs=1,noncompliant=1 >gen.json
jq '.knobs = {principalReplicationDelayMs: 0}' gen.json >world.json
SUB=$(json world.json '.subscriptions[0].subscriptionId')
SITE=$(json world.json '.subscriptions[0].resourceGroups[0].sites[0].name')
start_armsim --world world.json --tls-cert certs/server.pem --tls-key certs/server-key.pem

# az keeps its state in its own folder; no telemetry, no survey, only armsim's CA trusted
export AZURE_CONFIG_DIR="$WORK/az" REQUESTS_CA_BUNDLE="$WORK/certs/ca.pem"
export AZURE_CORE_COLLECT_TELEMETRY=false AZURE_CORE_SURVEY_MESSAGE=false AZURE_CORE_ONLY_SHOW_ERRORS=true
az cloud register -n armsim --endpoint-resource-manager "$ARMSIM_URL/" \
	--endpoint-active-directory "$ARMSIM_URL/adfs" \
	--endpoint-active-directory-resource-id "$ARMSIM_URL/" \
	--endpoint-active-directory-graph-resource-id "$ARMSIM_URL/" \
	--endpoint-management "$ARMSIM_URL/" -o none
az cloud set -n armsim -o none
expect_exit 0 az login --service-principal -u "$ARMSIM_DEMO_CLIENT" -p "$ARMSIM_DEMO_SECRET" --tenant "$ARMSIM_DEMO_TENANT" -o json
assert_eq 2 "$(json "$WORK/out" '. | length')" "subscriptions az sees"
az account set -s "$SUB"

# a wrong secret is refused by armsim's ADFS endpoint
expect_exit 1 az login --service-principal -u "$ARMSIM_DEMO_CLIENT" -p wrong-secret-value --tenant "$ARMSIM_DEMO_TENANT" -o none
az login --service-principal -u "$ARMSIM_DEMO_CLIENT" -p "$ARMSIM_DEMO_SECRET" --tenant "$ARMSIM_DEMO_TENANT" -o none
az account set -s "$SUB"

rule='{"if":{"allOf":[{"field":"type","equals":"Microsoft.Web/sites"},{"field":"Microsoft.Web/sites/clientCertEnabled","notEquals":true}]},"then":{"effect":"audit"}}'
expect_exit 0 az policy definition create -n cert-audit --rules "$rule" --mode Indexed -o json
assert_eq Custom "$(json "$WORK/out" '.policyType')" "definition created by az"
expect_exit 0 az policy definition list --query "[?name=='cert-audit'].name" -o tsv
assert_eq cert-audit "$(cat "$WORK/out")" "definition listed by az"
expect_exit 0 az policy assignment create -n cert-audit --policy cert-audit --mi-system-assigned \
	--location westeurope --role "Website Contributor" --identity-scope "/subscriptions/$SUB" -o json
principal=$(json "$WORK/out" '.identity.principalId')
# (not `az role assignment list`: it asks Microsoft Graph for names, which armsim does not serve)
expect_exit 0 az rest --method get \
	--url "$ARMSIM_URL/subscriptions/$SUB/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01" \
	--query "value[?properties.principalId=='$principal'].properties.roleDefinitionId" -o tsv
assert_contains "$WORK/out" "de139f84-1756-47ae-9be6-808fbbe84772"

expect_exit 0 az webapp list -o json
assert_eq 3 "$(json "$WORK/out" '. | length')" "sites az lists"
expect_exit 0 az webapp update -g rg-1 -n "$SITE" --set clientCertEnabled=true clientCertMode=Required -o json
expect_exit 0 az webapp show -g rg-1 -n "$SITE" --query "[clientCertEnabled, clientCertMode]" -o tsv
assert_eq "true Required" "$(tr '\t\n' '  ' <"$WORK/out" | sed 's/ *$//')" "site after az webapp update"
