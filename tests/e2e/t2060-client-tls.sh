#!/bin/sh
# TLS: against armsim over HTTPS with its own CA, the client refuses the connection until
# [cloud] ca_file names that CA; then it works. A ca_file that cannot be read is an error, not a
# silent fallback. (That ca_file adds to the system bundle rather than replacing it needs a
# public server to show; see lib/http.c load_ca_bundle.)
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/client-lib.sh"

"$ARMSIM" gen-ca "$WORK/ca" >/dev/null
make_world subs=1,sites=1
start_armsim --world "$WORK/world.json" --tls-cert "$WORK/ca/server.pem" --tls-key "$WORK/ca/server-key.pem"
case "$ARMSIM_URL" in https://*) ;; *) fail "armsim is not serving https: $ARMSIM_URL" ;; esac
export AZURE_CLIENT_SECRET=$ARMSIM_DEMO_SECRET

# without the CA: verification fails, and the message says so
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT"
expect_exit 1 "$ARMLOAD" -c "$WORK/policyctl.ini" token
# the handshake itself failed on verification: curl's certificate error on the token endpoint,
# and armsim never served a request
assert_contains "$WORK/err" "client secret: cannot reach the token endpoint: POST $ARMSIM_URL/$ARMSIM_DEMO_TENANT/oauth2/v2.0/token: SSL certificate problem: unable to get local issuer certificate"
assert_eq 0 "$(curl -sS --cacert "$WORK/ca/ca.pem" "$ARMSIM_URL/_armsim/stats" | jq .requests)" \
	"requests armsim served to an unverified client"

# with ca_file: it works
write_config client-secret "client_id = $ARMSIM_DEMO_CLIENT"
sed -i "s|^\[cloud\]\$|[cloud]\nca_file = $WORK/ca/ca.pem|" "$WORK/policyctl.ini"
expect_exit 0 "$ARMLOAD" -c "$WORK/policyctl.ini" token
assert_contains "$WORK/out" "credential=client secret subscriptions=1"

# a missing ca_file is a clear error, not a silent fallback
sed -i "s|ca_file = .*|ca_file = $WORK/no-such-ca.pem|" "$WORK/policyctl.ini"
expect_exit 1 "$ARMLOAD" -c "$WORK/policyctl.ini" token
assert_eq "armload: error: cannot read ca_file '$WORK/no-such-ca.pem': No such file or directory" \
	"$(cat "$WORK/err")" "missing ca_file message"
# policyctl treats it as the config error it is (exit 2), before any request
expect_exit 2 "$POLICYCTL" -c "$WORK/policyctl.ini" plan
assert_eq "policyctl: error: cannot read ca_file '$WORK/no-such-ca.pem': No such file or directory" \
	"$(cat "$WORK/err")" "missing ca_file message from policyctl"
