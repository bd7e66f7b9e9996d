# Helpers for the orchestrator's end-to-end tests (t4xxx-orch-*.sh). Source after tests/lib.sh.
#
# A test generates a world, starts armsim on it (plain HTTP on loopback: the client allows
# http:// to loopback only), writes a policyctl.ini that signs in as the world's demo principal
# with its secret in a 0600 file, and checks outcomes through armsim's own /_armsim/world and
# /_armsim/stats, never through policyctl.

command -v jq >/dev/null 2>&1 || skip "jq is not installed"

[ -x "$ARMSIM" ] || skip "build/armsim is not built"

# orch_world SPEC [JQ-EDIT] — writes $WORK/world.json from a generated spec, optionally edited.
orch_world() {
	"$ARMSIM" world --generate "$1" >"$WORK/world.json"
	if [ $# -gt 1 ]; then
		jq "$2" "$WORK/world.json" >"$WORK/world.tmp" && mv "$WORK/world.tmp" "$WORK/world.json"
	fi
}

# orch_ini SCOPE-LINES [REMEDIATION-LINES] [RUN-LINES] — writes $WORK/policyctl.ini for the
# running armsim (extra lines go into their sections and override the defaults here).
orch_ini() {
	armsim_ini "$WORK" "$ARMSIM_URL" "$1" "${2:-poll_interval = 200ms}" \
		"${3:-principal_timeout = 30s}"
}


# noncompliant_unlocked [SUBS-JQ-SELECT] — sites and slots in scope still not requiring
# client certificates, locked ones left out.
noncompliant_unlocked() {
	world_json | jq "[.subscriptions[] | select(${1:-true}) | .resourceGroups[].sites[]
		| select(.locked != true) | ., (.slots // [])[]
		| select(.properties.clientCertEnabled != true or .properties.clientCertMode != \"Required\")]
		| length"
}

locked_noncompliant() {
	world_json | jq "[.subscriptions[] | select(${1:-true}) | .resourceGroups[].sites[]
		| select(.locked == true)
		| select(.properties.clientCertEnabled != true or .properties.clientCertMode != \"Required\")]
		| length"
}

# writes_sent — the number of writes armsim served.
writes_sent() { stats_json | jq '.writes'; }

# contain_interrupted_in_scan — runs contain in the background, stops it with SIGTERM once the
# run has reached its scan (apply done) and checks it exited 4. Use a world whose
# scanDurationMs keeps the scan running for a while.
contain_interrupted_in_scan() {
	"$POLICYCTL" -c policyctl.ini contain >"$WORK/out0" 2>"$WORK/err0" &
	_pid=$!
	PIDS="$PIDS $_pid"
	poll_until 30 sh -c "sqlite3 '$WORK/policyctl.ledger' 'select phase from runs' | grep -q scan"
	kill -TERM "$_pid"
	set +e; wait "$_pid"; _rc=$?; set -e
	[ "$_rc" = 4 ] || { cat "$WORK/err0" >&2; fail "interrupted contain exited $_rc, expected 4"; }
}

# pairs_with_work [WORLD-FILE] — (subscription, DeployIfNotExists member) pairs with at least
# one site or slot not requiring client certificates: the remediation tasks contain creates
# after its scan (members: web app, web app slot, function app, function app slot).
pairs_with_work() {
	jq '[.subscriptions[] | .subscriptionId as $s | .resourceGroups[].sites[]
		| (select(.properties.clientCertEnabled != true or .properties.clientCertMode != "Required")
		   | "\($s)/\(.kind)"),
		  ((.slots // [])[] | select(.properties.clientCertEnabled != true
			or .properties.clientCertMode != "Required") | "\($s)/\(.kind)/slot")]
		| unique | length' "${1:-$WORK/world.json}"
}
