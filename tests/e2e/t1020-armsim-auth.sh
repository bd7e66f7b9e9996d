#!/bin/sh
# armsim identity over HTTPS (certificates from `armsim gen-ca`): every grant type gets a token
# ARM accepts — client secret (v2, v1, ADFS, HTTP Basic), a client assertion signed with the
# principal's certificate, a federated token, the App Service managed-identity endpoint — and
# each way of getting it wrong gets Entra's or ARM's error: bad secret, unknown client, wrong
# assertion audience, expired assertion, forged or tampered token, token for another audience,
# expired token, no role at the scope.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/armsim-lib.sh"
command -v openssl >/dev/null || skip "openssl is not installed"

"$ARMSIM" gen-ca certs >/dev/null || fail "gen-ca failed"
for f in ca.pem server.pem server-key.pem client.pem client-key.pem; do
	[ -s "certs/$f" ] || fail "gen-ca did not write $f"
done
[ "$(stat -c %a certs/server-key.pem)" = 600 ] || fail "server key is not private"
openssl verify -CAfile certs/ca.pem certs/server.pem >/dev/null || fail "server cert does not chain to the CA"

cat >auth.py <<'PY'
import base64, json, os, ssl, subprocess, sys, time, urllib.request, urllib.error, urllib.parse

url = os.environ.get("ARMSIM_URL", "")
tenant = os.environ["ARMSIM_DEMO_TENANT"]
ctx = ssl.create_default_context(cafile="certs/ca.pem")
failures = []

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def jwt(claims, key, alg="RS256"):
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    if alg == "none":
        return head + "."
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=head.encode(),
                         capture_output=True, check=True).stdout
    return head + "." + b64(sig)

def post_form(path, form, headers=None):
    req = urllib.request.Request(url + path, data=urllib.parse.urlencode(form).encode(), method="POST")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    return send(req)

def send(req):
    try:
        with urllib.request.urlopen(req, context=ctx) as r:
            return r.status, r.headers, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read() or b"null")

def arm(token, path="/subscriptions?api-version=2022-12-01"):
    req = urllib.request.Request(url + path)
    req.add_header("Authorization", "Bearer " + token)
    return send(req)

def expect(name, got, want):
    ok = got == want
    print("%-60s %s" % (name, "ok" if ok else "FAIL: got %r, want %r" % (got, want)))
    if not ok:
        failures.append(name)

def token_ok(name, status, body, flavour="v2"):
    expect(name + ": token status", status, 200)
    if status != 200:
        return None
    expect(name + ": token_type", body.get("token_type"), "Bearer")
    s, h, b = arm(body["access_token"])
    expect(name + ": ARM accepts the token", s, 200)
    return body["access_token"]

secret = {"grant_type": "client_credentials", "client_id": os.environ["ARMSIM_DEMO_CLIENT"],
          "client_secret": os.environ["ARMSIM_DEMO_SECRET"], "scope": "https://management.azure.com/.default"}
v2 = "/%s/oauth2/v2.0/token" % tenant

# client secret, three endpoints, plus HTTP Basic
s, h, b = post_form(v2, secret)
good = token_ok("client secret (v2)", s, b)
s, h, b = post_form("/%s/oauth2/token" % tenant, dict(secret, scope="", resource="https://management.core.windows.net/"))
token_ok("client secret (v1, resource)", s, b)
expect("v1 has expires_on", "expires_on" in (b or {}), True)
s, h, b = post_form("/adfs/oauth2/token", dict(secret, scope=url + "/.default"))
token_ok("client secret (ADFS, armsim's own URL as resource)", s, b)
s, h, b = send(urllib.request.Request(url + "/adfs/.well-known/openid-configuration"))
expect("ADFS discovery token_endpoint", b.get("token_endpoint") if b else None, url + "/adfs/oauth2/token")
basic = base64.b64encode(("%s:%s" % (os.environ["ARMSIM_DEMO_CLIENT"], os.environ["ARMSIM_DEMO_SECRET"])).encode()).decode()
s, h, b = post_form(v2, {"grant_type": "client_credentials", "scope": secret["scope"]},
                    {"Authorization": "Basic " + basic})
token_ok("client secret (HTTP Basic)", s, b)

# certificate assertion
now = int(time.time())
cert_client = os.environ["CERT_CLIENT"]
aud = url + v2
claims = {"aud": aud, "iss": cert_client, "sub": cert_client, "jti": "1", "nbf": now, "exp": now + 600}
form = {"grant_type": "client_credentials", "client_id": cert_client, "scope": secret["scope"],
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
s, h, b = post_form(v2, dict(form, client_assertion=jwt(claims, "certs/client-key.pem")))
token_ok("client assertion (certificate)", s, b)
s, h, b = post_form(v2, dict(form, client_assertion=jwt(dict(claims, aud="https://login.example/other"), "certs/client-key.pem")))
expect("assertion with a wrong audience: status", s, 401)
expect("assertion with a wrong audience: error", b.get("error"), "invalid_client")
s, h, b = post_form(v2, dict(form, client_assertion=jwt(dict(claims, nbf=now - 7200, exp=now - 3600), "certs/client-key.pem")))
expect("expired assertion: status", s, 401)
expect("expired assertion: AADSTS700024", b.get("error_codes"), [700024])
s, h, b = post_form(v2, dict(form, client_assertion=jwt(claims, "certs/server-key.pem")))
expect("assertion signed with another key: status", s, 401)
expect("assertion signed with another key: AADSTS700027", b.get("error_codes"), [700027])

# federated token (workload identity): issuer and subject registered, signed by the issuer's key
fed = {"aud": "api://AzureADTokenExchange", "iss": "https://issuer.example", "sub": "system:serviceaccount:ns:sa",
       "nbf": now, "exp": now + 600}
fform = dict(form, client_id=os.environ["FED_CLIENT"])
s, h, b = post_form(v2, dict(fform, client_assertion=jwt(fed, "certs/ca-key.pem")))
token_ok("federated token", s, b)
s, h, b = post_form(v2, dict(fform, client_assertion=jwt(dict(fed, sub="system:serviceaccount:ns:other"), "certs/ca-key.pem")))
expect("federated token, unknown subject: status", s, 400)
expect("federated token, unknown subject: AADSTS70021", b.get("error_codes"), [70021])
s, h, b = post_form(v2, dict(fform, client_assertion=jwt(dict(fed, aud="api://wrong"), "certs/ca-key.pem")))
expect("federated token, wrong audience: status", s, 401)

# managed identity (App Service style)
req = urllib.request.Request(url + "/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fmanagement.azure.com%2F")
req.add_header("X-IDENTITY-HEADER", "armsim-identity-header")
s, h, b = send(req)
expect("managed identity: status", s, 200)
if s == 200:
    expect("managed identity token works", arm(b["access_token"])[0], 200)
req = urllib.request.Request(url + "/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fmanagement.azure.com%2F")
req.add_header("X-IDENTITY-HEADER", "wrong")
expect("managed identity, wrong header", send(req)[0], 401)

# refusals at the token endpoint
s, h, b = post_form(v2, dict(secret, client_secret="not-the-secret"))
expect("bad secret: status", s, 401)
expect("bad secret: AADSTS7000215", b.get("error_codes"), [7000215])
expect("bad secret is not echoed", "not-the-secret" in json.dumps(b), False)
s, h, b = post_form(v2, dict(secret, client_id="00000000-1111-2222-3333-444444444444"))
expect("unknown client: status", s, 400)
expect("unknown client: AADSTS700016", b.get("error_codes"), [700016])
s, h, b = post_form(v2, dict(secret, scope="https://management.azure.com/"))
expect("scope without /.default", s, 400)

# refusals at ARM
s, h, b = arm(good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"))
expect("tampered signature: status", s, 401)
expect("tampered signature: code", b["error"]["code"], "InvalidAuthenticationToken")
expect("tampered signature: WWW-Authenticate", bool(h.get("WWW-Authenticate")), True)
head, body, sig = good.split(".")
claims = json.loads(base64.urlsafe_b64decode(body + "=="))
s, h, b = arm(jwt(dict(claims, oid=claims["oid"]), "certs/client-key.pem"))
expect("token signed by another key (forged)", (s, b["error"]["code"]), (401, "InvalidAuthenticationToken"))
s, h, b = arm(jwt(claims, None, alg="none"))
expect("unsigned token (alg none)", s, 401)
s, h, b = post_form(v2, dict(secret, scope="https://graph.microsoft.com/.default"))
s, h, b = arm(b["access_token"])
expect("token for another audience", (s, b["error"]["code"]), (401, "InvalidAuthenticationTokenAudience"))
s, h, b = post_form(v2, {"grant_type": "client_credentials", "client_id": os.environ["READER_CLIENT"],
                         "client_secret": "reader-secret-1234", "scope": secret["scope"]})
reader = b["access_token"]
s, h, b = arm(reader, "/subscriptions/%s/resourceGroups/rg-1/providers/Microsoft.Web/sites?api-version=2024-11-01" % os.environ["SUB"])
expect("reader may read sites", s, 200)
req = urllib.request.Request(url + "/subscriptions/%s/resourceGroups/rg-1/providers/Microsoft.Web/sites/%s?api-version=2024-11-01"
                             % (os.environ["SUB"], os.environ["SITE"]), data=b'{"properties":{"clientCertEnabled":true}}', method="PATCH")
req.add_header("Authorization", "Bearer " + reader)
req.add_header("Content-Type", "application/json")
s, h, b = send(req)
expect("reader may not write sites", (s, b["error"]["code"]), (403, "AuthorizationFailed"))

# expiry: the short-lived principal's token stops working
s, h, b = post_form(v2, {"grant_type": "client_credentials", "client_id": os.environ["READER_CLIENT"],
                         "client_secret": "reader-secret-1234", "scope": secret["scope"]})
short = b["access_token"]
exp = json.loads(base64.urlsafe_b64decode(short.split(".")[1] + "=="))["exp"]
deadline = time.time() + 10
while time.time() < deadline and arm(short)[0] == 200:
    time.sleep(0.2)
s, h, b = arm(short)
expect("expired token", (s, b["error"]["code"]), (401, "ExpiredAuthenticationToken"))

if failures:
    sys.exit(1)
PY

"$ARMSIM" world --generate subs=1,sites=2,mgs=1 >gen.json
SUB=$(json gen.json '.subscriptions[0].subscriptionId')
SITE=$(json gen.json '.subscriptions[0].resourceGroups[0].sites[0].name')
CERT_CLIENT=c3e70000-0000-4000-8000-000000000001
FED_CLIENT=fed00000-0000-4000-8000-000000000001
READER_CLIENT=4eade400-0000-4000-8000-000000000001
python3 - "$SUB" <<PY
import json, sys
d = json.load(open("gen.json"))
d["knobs"] = {"tokenLifetimeSeconds": 2}
d["principals"][0]["roleAssignments"] = [{"role": "Owner", "scope": "/"}]
d["principals"] += [
  {"displayName": "cert", "objectId": "c3e70000-0000-4000-8000-0000000000a1", "clientId": "$CERT_CLIENT",
   "certificate": open("certs/client.pem").read(), "roleAssignments": [{"role": "Reader", "scope": "/"}]},
  {"displayName": "fed", "objectId": "fed00000-0000-4000-8000-0000000000a1", "clientId": "$FED_CLIENT",
   "federatedCredentials": [{"issuer": "https://issuer.example", "subject": "system:serviceaccount:ns:sa",
                             "audience": "api://AzureADTokenExchange", "certificate": open("certs/ca.pem").read()}],
   "roleAssignments": [{"role": "Reader", "scope": "/"}]},
  {"displayName": "reader", "objectId": "4eade400-0000-4000-8000-0000000000a1", "clientId": "$READER_CLIENT",
   "clientSecret": "reader-secret-1234", "roleAssignments": [{"role": "Reader", "scope": "/subscriptions/" + sys.argv[1]}]},
]
json.dump(d, open("world.json", "w"))
PY
start_armsim --world world.json --tls-cert certs/server.pem --tls-key certs/server-key.pem
case "$ARMSIM_URL" in https://*) ;; *) fail "not serving HTTPS: $ARMSIM_URL" ;; esac
export ARMSIM_URL ARMSIM_DEMO_TENANT ARMSIM_DEMO_CLIENT ARMSIM_DEMO_SECRET CERT_CLIENT FED_CLIENT READER_CLIENT SUB SITE
python3 auth.py
# plain HTTP is not served on the TLS port
! curl -sS -o /dev/null "http://${ARMSIM_URL#https://}/_armsim/stats" 2>/dev/null || fail "plain HTTP answered on the TLS port"
