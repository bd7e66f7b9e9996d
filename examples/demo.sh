#!/bin/sh
# make demo — the main job, end to end, against armsim on this machine:
#   a CA and a TLS armsim on a free loopback port, a world of a management group with
#   20 subscriptions and about 400 App Service sites (60% without client certificates, a few
#   locked), a policyctl.ini signing in as the world's demo principal (secret in a 0600 file),
#   then `policyctl contain` with live progress, and its report: as markdown on the terminal
#   and as one HTML page, demo-report.html in the current folder (DEMO_REPORT overrides).
# armsim is stopped by PID at the end, also on failure or Ctrl-C. Runs in under a minute.
#
# Environment: BUILD (default build), DEMO_SPEC (world spec), DEMO_TIME_SCALE, DEMO_KEEP=1
# keeps the temporary folder.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/${BUILD:-build}"
spec=${DEMO_SPEC:-mgs=1,subs=20,sites=20,noncompliant=0.6,slots=0.1,functions=0.3,locked=0.01,seed=7}
# armsim's simulated scans take minutes and deployments seconds, as in Azure: run its clock
# fast so the whole containment fits in well under a minute.
time_scale=${DEMO_TIME_SCALE:-200}
. "$top/examples/armsim-config.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/policyctl-demo.XXXXXX")
armsim_pid=""
cleanup() {
	if [ -n "$armsim_pid" ]; then
		kill "$armsim_pid" 2>/dev/null || true
		wait "$armsim_pid" 2>/dev/null || true
	fi
	[ "${DEMO_KEEP:-0}" = 1 ] && echo "demo folder kept: $dir" || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== a CA and a server certificate for armsim"
"$bin/armsim" gen-ca "$dir/ca" >/dev/null

echo "== a world: $spec"
"$bin/armsim" world --generate "$spec" >"$dir/world.json"

echo "== armsim on a free loopback port (TLS, time x$time_scale)"
"$bin/armsim" serve --world "$dir/world.json" --listen 127.0.0.1:0 --ready-file "$dir/ready" \
	--tls-cert "$dir/ca/server.pem" --tls-key "$dir/ca/server-key.pem" \
	--time-scale "$time_scale" --log "$dir/armsim.log" \
	>"$dir/armsim.out" 2>&1 &
armsim_pid=$!
deadline=$(( $(date +%s) + 10 ))
while [ ! -s "$dir/ready" ]; do
	if ! kill -0 "$armsim_pid" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
		cat "$dir/armsim.out" >&2
		echo "demo: armsim did not start" >&2
		exit 1
	fi
	sleep 0.05
done
url=$(cat "$dir/ready")
echo "   $url"

armsim_ini "$dir" "$url" "management_group = mg-1" "poll_interval = 250ms" "" \
	"ca_file = $dir/ca/ca.pem"

echo "== policyctl contain"
start=$(date +%s)
set +e
"$bin/policyctl" -c "$dir/policyctl.ini" contain
rc=$?
set -e
echo "== contain exited $rc after $(( $(date +%s) - start ))s"
echo "== policyctl report --format markdown"
"$bin/policyctl" -c "$dir/policyctl.ini" report --format markdown
report=${DEMO_REPORT:-$PWD/demo-report.html}
"$bin/policyctl" -q -c "$dir/policyctl.ini" report --format html --out "$report"
echo "== HTML report (open it in a browser, attach it to a status update): $report"
case $rc in
0) echo "demo: every site in scope requires client certificates" ;;
1) echo "demo: every unlocked site requires client certificates; the locked ones are listed above" ;;
*) echo "demo: contain failed (exit $rc)" >&2; exit "$rc" ;;
esac
