# armsim-config.sh — a policyctl.ini for armsim, shared by examples/demo.sh, bench/contain.sh
# and the orchestrator's end-to-end tests. Source it; it defines no process and runs nothing.
#
# armsim's generated worlds carry a demo principal (docs/armsim.md); the config signs in as it
# with its secret in a 0600 file, never in the config. armsim serves Azure's four built-in
# client-certificate audit definitions itself (armsim/builtin_defs.c), as every Azure tenant
# has them, so the initiative always includes them (include_builtin_audits = true), with or
# without ../shared.

ARMSIM_DEMO_TENANT=72f988bf-0000-4000-8000-00000000a125
ARMSIM_DEMO_CLIENT=d3d0c11e-0000-4000-8000-0000000000d1
ARMSIM_DEMO_SECRET=armsim-demo-secret-do-not-use-in-azure

# armsim_ini DIR URL SCOPE-LINES [REMEDIATION-LINES] [RUN-LINES] [CLOUD-LINES] — writes
# DIR/policyctl.ini (ledger DIR/policyctl.ledger) and DIR/client-secret. The optional lines go into their sections (defaults: poll_interval = 250ms; none).
armsim_ini() {
	(umask 077 && printf '%s' "$ARMSIM_DEMO_SECRET" >"$1/client-secret")
	cat >"$1/policyctl.ini" <<INI
# a policyctl.ini for armsim at $2 (examples/armsim-config.sh)
[cloud]
name = custom
arm_endpoint = $2
authority_host = $2
tenant_id = $ARMSIM_DEMO_TENANT
${6:-}

[auth]
method = client-secret
client_id = $ARMSIM_DEMO_CLIENT
client_secret_file = $1/client-secret

[scope]
$3

[initiative]
include_builtin_audits = true

[remediation]
${4:-poll_interval = 250ms}
timeout = 30m

[run]
ledger = $1/policyctl.ledger
${5:-}
INI
}
