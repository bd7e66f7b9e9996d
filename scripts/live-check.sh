#!/bin/sh
# live-check — a read-only look at a real tenant before a rollout: `policyctl doctor`, `plan`
# (and `inventory` where this build has it) against the tenant that LIVE_CONFIG and the
# standard credentials (AZURE_* variables, a managed identity, or `az login`) name. Every
# command runs with POLICYCTL_READ_ONLY=1: the ARM client refuses any write, so nothing in the
# tenant changes whatever the config says. Without a config or a credential it skips with a
# notice (exit 0), so `make live-check` is safe everywhere; CI runs it against armsim.
#
#   make live-check LIVE_CONFIG=landing-zone.ini
#
# Exit: 0 nothing blocks a rollout (or skipped), 1 doctor found a problem or a command failed.
set -u
BUILD=${BUILD:-build}
POLICYCTL=${POLICYCTL:-$BUILD/policyctl}
CONFIG=${LIVE_CONFIG:-policyctl.ini}

skip() { echo "live-check: skipped: $*"; exit 0; }

[ -x "$POLICYCTL" ] || { echo "live-check: $POLICYCTL is not built (run make)" >&2; exit 2; }
[ -f "$CONFIG" ] || skip "no config '$CONFIG': set LIVE_CONFIG to the landing zone's policyctl.ini"

# a credential that policyctl's chain could use (lib/credential.h), without asking for a token
have_credential() {
	[ -n "${AZURE_CLIENT_SECRET:-}${AZURE_CLIENT_CERTIFICATE_PATH:-}" ] && return 0
	[ -n "${AZURE_FEDERATED_TOKEN_FILE:-}${IDENTITY_ENDPOINT:-}" ] && return 0
	grep -Eq '^[[:space:]]*(client_secret_file|client_certificate_file)[[:space:]]*=' "$CONFIG" &&
		return 0
	command -v az >/dev/null 2>&1 && az account show >/dev/null 2>&1 && return 0
	return 1
}
have_credential || skip "no credential: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or another method policyctl's chain knows), or run 'az login'"

export POLICYCTL_READ_ONLY=1
status=0
run() {
	echo "== policyctl $*"
	"$POLICYCTL" -c "$CONFIG" "$@"
	rc=$?
	[ $rc -eq 0 ] || { echo "live-check: 'policyctl $*' exited $rc"; status=1; }
}
run doctor
run plan
if "$POLICYCTL" help inventory >/dev/null 2>&1; then
	# exit 1 is the inventory's answer "apps are still open": the rollout's work, not a blocker
	# (a query that failed exits 1 too, with an error line: that one is a problem)
	echo "== policyctl inventory"
	errors=$(mktemp)
	"$POLICYCTL" -c "$CONFIG" inventory 2>"$errors"
	rc=$?
	cat "$errors" >&2
	grep -q ': error: ' "$errors" && [ $rc -eq 1 ] && rc=9
	rm -f "$errors"
	if [ $rc -eq 1 ]; then
		echo "live-check: the inventory lists apps still open (the rollout's work)"
	elif [ $rc -ne 0 ]; then
		echo "live-check: 'policyctl inventory' failed"
		status=1
	fi
else
	echo "== policyctl inventory: not in this build"
fi
[ $status -eq 0 ] && echo "live-check: nothing blocks a rollout (nothing was written)" ||
	echo "live-check: problems above (nothing was written)"
exit $status
