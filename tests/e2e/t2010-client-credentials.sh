#!/bin/sh
# Each credential kind gets a token from armsim and calls ARM with it (client secret from the
# environment and from a file, client certificate, workload identity, managed identity, Azure
# CLI); a bad secret, an expired certificate and a missing file each fail naming the credential
# and the fix; neither the secret nor a token appears in -v output or in any error.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/client-lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

unset AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PATH AZURE_FEDERATED_TOKEN_FILE \
	IDENTITY_ENDPOINT IDENTITY_HEADER AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_AUTHORITY_HOST
CERT_CLIENT=c0ffee00-0000-4000-8000-0000000000c1
FED_CLIENT=fede0000-0000-4000-8000-0000000000f1
FED_ISSUER=https://oidc.cluster.test
FED_SUBJECT=system:serviceaccount:policy:policyctl

"$CREDTOOL" cert "$WORK/client.pem" -1 30
"$CREDTOOL" cert "$WORK/expired.pem" -30 -1
"$CREDTOOL" cert "$WORK/issuer.pem" -1 30
make_world subs=2,sites=2
jq --arg cert_client "$CERT_CLIENT" --arg fed_client "$FED_CLIENT" --arg iss "$FED_ISSUER" \
	--arg sub "$FED_SUBJECT" --rawfile client_crt "$WORK/client.pem.crt" \
	--rawfile issuer_crt "$WORK/issuer.pem.crt" '
	[{role: "Owner", scope: "/providers/Microsoft.Management/managementGroups/\(.tenantId)"}] as $root
	| .principals += [
		{displayName: "cert-app", objectId: "c0ffee00-0000-4000-8000-0000000000c2",
		 clientId: $cert_client, certificate: $client_crt, roleAssignments: $root},
		{displayName: "fed-app", objectId: "fede0000-0000-4000-8000-0000000000f2",
		 clientId: $fed_client, roleAssignments: $root,
		 federatedCredentials: [{issuer: $iss, subject: $sub, audience: "api://AzureADTokenExchange",
			certificate: $issuer_crt}]}]' "$WORK/world.json" >"$WORK/world.tmp"
mv "$WORK/world.tmp" "$WORK/world.json"
start_armsim --world "$WORK/world.json"
mkdir -p "$WORK/logs"
n=0
# run_ok NAME WANT-CREDENTIAL — armload -v token must succeed with that credential
run_ok() {
	n=$((n + 1))
	expect_exit 0 "$ARMLOAD" -v -c "$WORK/policyctl.ini" token
	cp "$WORK/out" "$WORK/logs/$n.out"; cp "$WORK/err" "$WORK/logs/$n.err"
	assert_contains "$WORK/out" "credential=$2 subscriptions=2"
	assert_contains "$WORK/err" "> GET $ARMSIM_URL/subscriptions?api-version="
}
# run_fails NAME — armload token must fail; its stderr is kept for the message checks
run_fails() {
	n=$((n + 1))
	expect_exit 1 "$ARMLOAD" -v -c "$WORK/policyctl.ini" token
	cp "$WORK/out" "$WORK/logs/$n.out"; cp "$WORK/err" "$WORK/logs/$n.err"
}

# client secret from the environment, tenant and client id too
write_config client-secret
AZURE_TENANT_ID=$ARMSIM_DEMO_TENANT AZURE_CLIENT_ID=$ARMSIM_DEMO_CLIENT AZURE_CLIENT_SECRET=$ARMSIM_DEMO_SECRET \
	run_ok env-secret "client secret"
# client secret from a file, chosen by auto
printf '%s\n' "$ARMSIM_DEMO_SECRET" >"$WORK/secret.txt"
write_config auto "client_id = $ARMSIM_DEMO_CLIENT
client_secret_file = $WORK/secret.txt"
run_ok file-secret "client secret"
# client certificate: RS256 assertion checked by armsim against the registered certificate
write_config client-certificate "client_id = $CERT_CLIENT"
AZURE_CLIENT_CERTIFICATE_PATH=$WORK/client.pem run_ok cert "client certificate"
# workload identity: a federated token from the "cluster" issuer
"$CREDTOOL" jwt "$WORK/issuer.pem" "$FED_ISSUER" "$FED_SUBJECT" api://AzureADTokenExchange >"$WORK/fed.jwt"
write_config auto "client_id = $FED_CLIENT"
AZURE_FEDERATED_TOKEN_FILE=$WORK/fed.jwt run_ok workload "workload identity"
# managed identity, App Service style
write_config managed-identity
IDENTITY_ENDPOINT=$ARMSIM_URL/msi/token IDENTITY_HEADER=armsim-identity-header \
	run_ok managed "managed identity"
# Azure CLI: a stand-in `az` that gets its token from armsim and records it
mkdir -p "$WORK/bin"
cat >"$WORK/bin/az" <<AZ
#!/bin/sh
# called as: az account get-access-token --resource R --output json [--tenant T]
[ "\$1 \$2 \$3" = "account get-access-token --resource" ] || { echo "unexpected: \$*" >&2; exit 2; }
curl -sS -X POST "$ARMSIM_URL/$ARMSIM_DEMO_TENANT/oauth2/v2.0/token" \
	--data-urlencode grant_type=client_credentials --data-urlencode client_id=$ARMSIM_DEMO_CLIENT \
	--data-urlencode client_secret=$ARMSIM_DEMO_SECRET --data-urlencode "scope=\${4}.default" >"$WORK/az.json"
jq -j .access_token "$WORK/az.json" >"$WORK/az-token"
jq -c '{accessToken: .access_token, expires_on: 4102444800, tokenType: "Bearer"}' "$WORK/az.json"
AZ
chmod +x "$WORK/bin/az"
write_config azure-cli
PATH="$WORK/bin:$PATH" run_ok cli "Azure CLI"
test -s "$WORK/az-token" || fail "the stand-in az was not used"

# failures name the credential and the fix
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT"
AZURE_CLIENT_SECRET=wrong-secret-0123456789 run_fails bad-secret
assert_contains "$WORK/err" "client secret was rejected by '$ARMSIM_URL/$ARMSIM_DEMO_TENANT/oauth2/v2.0/token' (HTTP 401, invalid_client): AADSTS7000215: Invalid client secret provided."
assert_contains "$WORK/err" "check AZURE_CLIENT_SECRET"
write_config client-certificate "client_id = $CERT_CLIENT"
AZURE_CLIENT_CERTIFICATE_PATH=$WORK/expired.pem run_fails expired-cert
assert_contains "$WORK/err" "client certificate  failed: '$WORK/expired.pem' expired on"
assert_contains "$WORK/err" "point AZURE_CLIENT_CERTIFICATE_PATH at it"
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT
client_secret_file = $WORK/no-such-secret"
run_fails missing-secret-file
assert_contains "$WORK/err" "client secret       failed: cannot read '$WORK/no-such-secret'"
assert_contains "$WORK/err" "fix [auth] client_secret_file"
write_config client-certificate "client_id = $CERT_CLIENT
client_certificate_file = $WORK/no-such.pem"
run_fails missing-cert-file
assert_contains "$WORK/err" "client certificate  failed: cannot read '$WORK/no-such.pem'"

# no secret and no token in anything the client printed (-v included)
for literal in "$ARMSIM_DEMO_SECRET" wrong-secret-0123456789 "$(cat "$WORK/az-token")" \
	"$(cat "$WORK/fed.jwt")" armsim-identity-header; do
	if grep -rlF -- "$literal" "$WORK/logs" >/dev/null; then
		fail "a secret or token appears in $(grep -rlF -- "$literal" "$WORK/logs" | head -1)"
	fi
done
echo "$n runs, no secret or token in their output"
