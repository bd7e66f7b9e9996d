#!/bin/sh
# A credential that cannot sign in is reported once, before any resource request, with every
# method the chain tried and why each was skipped or failed, and the fix for the most likely
# one; exit 2. One case per method: nothing set up (the metadata endpoint does not answer),
# a rejected client secret, a missing certificate file, a missing federated token file, a
# managed-identity endpoint that refuses, and an Azure CLI that is not signed in; -v too.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/orch-helpers.sh"

unset AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PATH AZURE_FEDERATED_TOKEN_FILE \
	IDENTITY_ENDPOINT IDENTITY_HEADER AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_AUTHORITY_HOST \
	AZURE_POD_IDENTITY_AUTHORITY_HOST
orch_world "mgs=1,subs=2,sites=2"
start_armsim --world "$WORK/world.json"
sub=$(jq -r '.subscriptions[0].subscriptionId' "$WORK/world.json")
cat >"$WORK/policyctl.ini" <<INI
[cloud]
name = custom
arm_endpoint = $ARMSIM_URL
tenant_id = $ARMSIM_DEMO_TENANT
[auth]
method = auto
[scope]
subscriptions = $sub
[run]
ledger = $WORK/policyctl.ledger
INI
# a PATH with the tools tests use but no az (the machine may have one)
mkdir -p "$WORK/bin" "$WORK/azbin"
for tool in sh cat; do ln -s "$(command -v $tool)" "$WORK/bin/$tool"; done
NOAZ="$WORK/bin"
# port 9 (discard) on loopback: nobody answers, as on a laptop without a metadata endpoint
NO_IMDS=http://127.0.0.1:9

# fails NAME [ENV...] — policyctl plan must exit 2 with one report and no ARM request
fails() {
	name=$1; shift
	curl -sf -X POST "$ARMSIM_URL/_armsim/reset" >/dev/null
	expect_exit 2 env "$@" "$POLICYCTL" -c "$WORK/policyctl.ini" plan
	cp "$WORK/err" "$WORK/$name.err"
	assert_eq 1 "$(grep -c 'no credential could sign in\|cannot sign in with' "$WORK/err")" "$name: reports"
	assert_eq 1 "$(grep -c '^fix: ' "$WORK/err")" "$name: fix lines"
	# nothing but token requests reached armsim
	arm=$(stats_json | jq '[.operations | to_entries[] | select(.key | test("Token|ManagedIdentity|Armsim_") | not)] | length')
	assert_eq 0 "$arm" "$name: ARM requests before the credential worked"
}

# nothing set up, no az: every method skipped, the metadata endpoint absent
fails nothing PATH="$NOAZ" AZURE_POD_IDENTITY_AUTHORITY_HOST=$NO_IMDS
f=$WORK/nothing.err
assert_contains "$f" "no credential could sign in ([auth] method = auto tried, in order):"
assert_contains "$f" "client secret       skipped: AZURE_CLIENT_SECRET is not set"
assert_contains "$f" "client certificate  skipped: AZURE_CLIENT_CERTIFICATE_PATH is not set"
assert_contains "$f" "workload identity   skipped: AZURE_FEDERATED_TOKEN_FILE is not set"
assert_contains "$f" "managed identity    skipped: IDENTITY_ENDPOINT is not set and the instance metadata endpoint does not answer"
assert_contains "$f" "Azure CLI           skipped: 'az' is not on PATH"
assert_contains "$f" "fix: install the Azure CLI and run 'az login'"

# a client secret from the environment that the authority rejects; the rest is not tried
fails secret PATH="$NOAZ" AZURE_CLIENT_ID=$ARMSIM_DEMO_CLIENT AZURE_CLIENT_SECRET=wrong-secret-0123456789
f=$WORK/secret.err
assert_contains "$f" "client secret       failed: client secret was rejected"
assert_contains "$f" "invalid_client"
assert_contains "$f" "Azure CLI           not tried"
assert_contains "$f" "fix: check the client secret (AZURE_CLIENT_SECRET"
assert_not_contains "$f" "wrong-secret-0123456789"

# a certificate path that does not exist
fails cert PATH="$NOAZ" AZURE_CLIENT_ID=$ARMSIM_DEMO_CLIENT AZURE_CLIENT_CERTIFICATE_PATH=$WORK/missing.pem
f=$WORK/cert.err
assert_contains "$f" "client secret       skipped"
assert_contains "$f" "client certificate  failed: cannot read '$WORK/missing.pem'"
assert_contains "$f" "fix: point AZURE_CLIENT_CERTIFICATE_PATH"

# a federated token file that does not exist
fails workload PATH="$NOAZ" AZURE_CLIENT_ID=$ARMSIM_DEMO_CLIENT AZURE_FEDERATED_TOKEN_FILE=$WORK/missing.jwt
f=$WORK/workload.err
assert_contains "$f" "workload identity   failed: cannot read '$WORK/missing.jwt'"
assert_contains "$f" "fix: check AZURE_FEDERATED_TOKEN_FILE"

# an App Service managed identity endpoint that refuses the header
fails managed PATH="$NOAZ" IDENTITY_ENDPOINT=$ARMSIM_URL/msi/token IDENTITY_HEADER=not-the-header
f=$WORK/managed.err
assert_contains "$f" "managed identity    failed: managed identity was rejected by 'IDENTITY_ENDPOINT'"
assert_contains "$f" "fix: run where a managed identity is assigned"
assert_not_contains "$f" "not-the-header"

# an Azure CLI that is not signed in (a stand-in az, as `az` prints it), with -v: still once
cat >"$WORK/azbin/az" <<'AZ'
#!/bin/sh
echo "ERROR: Please run 'az login' to setup account." >&2
exit 1
AZ
chmod +x "$WORK/azbin/az"
curl -sf -X POST "$ARMSIM_URL/_armsim/reset" >/dev/null
expect_exit 2 env PATH="$WORK/azbin:$NOAZ" "$POLICYCTL" -v -c "$WORK/policyctl.ini" plan
f=$WORK/err
assert_eq 1 "$(grep -c 'no credential could sign in' "$f")" "az -v: reports"
assert_contains "$f" "managed identity    skipped: IDENTITY_ENDPOINT is not set (and 'az' is on PATH"
assert_contains "$f" "Azure CLI           failed: 'az account get-access-token' failed (exit 1): ERROR: Please run 'az login' to setup account."
assert_contains "$f" "fix: run 'az login --tenant $ARMSIM_DEMO_TENANT'"
assert_eq 0 "$(stats_json | jq '[.operations | to_entries[] | select(.key | test("Armsim_") | not)] | length')" \
	"requests armsim saw while az was failing"
echo "six methods, each reported once before any resource request"

# doctor shows the same report as its failed credential check, skips what needs a token
# (but still looks at the ledger) and exits 1
expect_exit 1 env PATH="$NOAZ" AZURE_POD_IDENTITY_AUTHORITY_HOST=$NO_IMDS "$POLICYCTL" -c "$WORK/policyctl.ini" doctor
assert_contains "$WORK/out" "✗ credential   no credential could sign in ([auth] method = auto tried, in order):"
assert_contains "$WORK/out" "fix: install the Azure CLI and run 'az login'"
assert_contains "$WORK/out" "✓ ledger"
assert_not_contains "$WORK/out" "permissions"
assert_contains "$WORK/out" "2 checks: 1 ok, 0 warnings, 1 failed"
