#!/bin/sh
# armsim under valgrind: a short scenario touching every module (tokens, reads, paging, a site
# PATCH, policy and role writes, a 404, a 401, throttling counters, introspection, reset), then
# a clean SIGTERM shutdown. Any memory error or definite leak fails the test.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
command -v valgrind >/dev/null || skip "valgrind is not installed"
# AddressSanitizer and valgrind cannot watch the same process: the ASan run has its own checks
! ldd "$ARMSIM" 2>/dev/null | grep -q libasan || skip "an ASan build does not run under valgrind"

"$ARMSIM" world --generate subs=2,sites=3,mgs=1,slots=1 >world.json
SUB=$(json world.json '.subscriptions[0].subscriptionId')
SITE=$(json world.json '.subscriptions[0].resourceGroups[0].sites[0].name')
"$ARMSIM" gen-ca certs >/dev/null

valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--log-file="$WORK/valgrind.log" \
	"$ARMSIM" serve --world world.json --listen 127.0.0.1:0 --ready-file "$WORK/ready" \
	--tls-cert certs/server.pem --tls-key certs/server-key.pem --latency 5 --fault-rate 0 \
	>"$WORK/armsim.out" 2>&1 &
VG_PID=$!
PIDS="$PIDS $VG_PID"
poll_until 120 test -s "$WORK/ready"
ARMSIM_URL=$(cat "$WORK/ready")
CURL_CA="--cacert certs/ca.pem"

tok() {
	curl -sS $CURL_CA -o token.json -X POST "$ARMSIM_URL/$ARMSIM_DEMO_TENANT/oauth2/v2.0/token" \
		-d grant_type=client_credentials -d "client_id=$ARMSIM_DEMO_CLIENT" \
		--data-urlencode "client_secret=$ARMSIM_DEMO_SECRET" --data-urlencode "scope=https://management.azure.com/.default"
	TOKEN=$(json token.json '.access_token')
}
call() {
	curl -sS $CURL_CA -o body -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' ${3:+--data "$3"} "$ARMSIM_URL$2"
}
tok
assert_eq 200 "$(call GET "/subscriptions?api-version=2022-12-01")" "list subscriptions"
assert_eq 200 "$(call GET "/subscriptions/$SUB/providers/Microsoft.Web/sites?api-version=2024-11-01&\$top=1")" "paged sites"
assert_eq 200 "$(call PATCH "/subscriptions/$SUB/resourceGroups/rg-1/providers/Microsoft.Web/sites/$SITE?api-version=2024-11-01" '{"properties":{"clientCertEnabled":true,"siteConfig":{"http20Enabled":false}}}')" "patch site"
assert_eq 200 "$(call GET "/subscriptions/$SUB/resourceGroups/rg-1/providers/Microsoft.Web/sites/$SITE/slots?api-version=2024-11-01")" "slots"
assert_eq 201 "$(call PUT "/subscriptions/$SUB/providers/Microsoft.Authorization/policyDefinitions/d?api-version=2021-06-01" '{"properties":{"parameters":{"p":{"type":"String"}},"policyRule":{"if":{"field":"Microsoft.Web/sites/clientCertEnabled","equals":false},"then":{"effect":"audit"}}}}')" "definition"
assert_eq 400 "$(call PUT "/subscriptions/$SUB/providers/Microsoft.Authorization/policyAssignments/a?api-version=2021-06-01" "{\"properties\":{\"policyDefinitionId\":\"/subscriptions/$SUB/providers/Microsoft.Authorization/policyDefinitions/d\"}}")" "missing parameter"
assert_eq 201 "$(call PUT "/subscriptions/$SUB/providers/Microsoft.Authorization/policyAssignments/a?api-version=2021-06-01" "{\"location\":\"westeurope\",\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{\"policyDefinitionId\":\"/subscriptions/$SUB/providers/Microsoft.Authorization/policyDefinitions/d\",\"parameters\":{\"p\":{\"value\":\"x\"}}}}")" "assignment"
PRINCIPAL=$(json body '.identity.principalId')
assert_eq 201 "$(call PUT "/subscriptions/$SUB/providers/Microsoft.Authorization/roleAssignments/9e0b1a52-0000-4000-8000-000000000001?api-version=2022-04-01" "{\"properties\":{\"roleDefinitionId\":\"/subscriptions/$SUB/providers/Microsoft.Authorization/roleDefinitions/de139f84-1756-47ae-9be6-808fbbe84772\",\"principalId\":\"$PRINCIPAL\",\"principalType\":\"ServicePrincipal\"}}")" "role assignment"
assert_eq 200 "$(call GET "/providers/Microsoft.Management/managementGroups/mg-1/descendants?api-version=2023-04-01")" "descendants"
assert_eq 404 "$(call GET "/subscriptions/$SUB/resourceGroups/rg-1/providers/Microsoft.Web/sites/none?api-version=2024-11-01")" "missing site"
TOKEN=forged
assert_eq 401 "$(call GET "/subscriptions?api-version=2022-12-01")" "forged token"
curl -sS $CURL_CA -o /dev/null "$ARMSIM_URL/_armsim/world"
curl -sS $CURL_CA -o /dev/null "$ARMSIM_URL/_armsim/stats"
curl -sS $CURL_CA -o /dev/null -X POST "$ARMSIM_URL/_armsim/reset"

kill -TERM "$VG_PID"
set +e
wait "$VG_PID"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$WORK/valgrind.log" >&2; fail "armsim under valgrind exited $rc"; }
[ ! -s "$WORK/valgrind.log" ] || { cat "$WORK/valgrind.log" >&2; fail "valgrind reported problems"; }
