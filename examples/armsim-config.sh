# armsim-config.sh — a policyctl.ini for armsim, shared by examples/demo.sh, bench/contain.sh
# and the orchestrator's end-to-end tests. Source it; it defines no process and runs nothing.
#
# armsim's generated worlds carry a demo principal (docs/armsim.md); the config signs in as it
# with its secret in a 0600 file, never in the config. armsim serves Azure's four built-in
# client-certificate audit definitions only when given them (--builtins, from ../shared): the
# initiative includes them then, and leaves them out otherwise.

ARMSIM_DEMO_TENANT=72f988bf-0000-4000-8000-00000000a125
ARMSIM_DEMO_CLIENT=d3d0c11e-0000-4000-8000-0000000000d1
ARMSIM_DEMO_SECRET=armsim-demo-secret-do-not-use-in-azure

# armsim_builtins SHARED-DIR — sets ARMSIM_BUILTINS (the folder, or empty) and ARMSIM_AUDITS
# (true or false, for [initiative] include_builtin_audits).
armsim_builtins() {
	if [ -d "$1/policy-refs/builtin" ]; then
		ARMSIM_BUILTINS="$1/policy-refs/builtin" ARMSIM_AUDITS=true
	else
		ARMSIM_BUILTINS="" ARMSIM_AUDITS=false
	fi
}

# armsim_ini DIR URL SCOPE-LINES [REMEDIATION-LINES] [RUN-LINES] [CLOUD-LINES] — writes
# DIR/policyctl.ini (ledger DIR/policyctl.ledger) and DIR/client-secret. Call armsim_builtins
# first. The optional lines go into their sections (defaults: poll_interval = 250ms; none).
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
include_builtin_audits = ${ARMSIM_AUDITS:-false}

[remediation]
${4:-poll_interval = 250ms}
timeout = 30m

[run]
ledger = $1/policyctl.ledger
${5:-}
INI
}
