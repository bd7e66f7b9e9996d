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
export AZURE_CLIENT_SECRET=$DEMO_SECRET

# without the CA: verification fails, and the message says so
write_config client-secret "client_id = $DEMO_CLIENT"
expect_exit 1 "$ARMLOAD" -c "$WORK/policyctl.ini" token
grep -qi "certificate" "$WORK/err" || { cat "$WORK/err"; fail "no certificate error"; }

# with ca_file: it works
write_config client-secret "client_id = $DEMO_CLIENT"
python3 - "$WORK/policyctl.ini" "$WORK/ca/ca.pem" <<'PY'
import sys
path, ca = sys.argv[1:]
text = open(path).read().replace("[cloud]\n", f"[cloud]\nca_file = {ca}\n", 1)
open(path, "w").write(text)
PY
expect_exit 0 "$ARMLOAD" -c "$WORK/policyctl.ini" token
assert_contains "$WORK/out" "credential=client secret subscriptions=1"

# a missing ca_file is a clear error, not a silent fallback
sed -i "s|ca_file = .*|ca_file = $WORK/no-such-ca.pem|" "$WORK/policyctl.ini"
set +e; "$ARMLOAD" -c "$WORK/policyctl.ini" token >"$WORK/out" 2>"$WORK/err"; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "a missing ca_file was accepted"
assert_contains "$WORK/err" "no-such-ca.pem"
