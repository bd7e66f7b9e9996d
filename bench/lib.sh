# bench/lib.sh — what the benchmarks share (source it after setting top and bin):
#   $dir            a scratch folder, removed on exit (kept with BENCH_KEEP=1)
#   serve WORLD ... armsim on a free loopback port over WORLD (more serve arguments after it);
#                   sets pid and url; stop ends it by PID (also on exit)
#   load            the load average now; cpu_of PID, the CPU seconds a process has used
#   need CMD...     stops with a message unless each command is installed ("time" means
#                   /usr/bin/time, not the shell's keyword)
. "$top/examples/armsim-config.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/policyctl-bench.XXXXXX")
pid=""
stop() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	pid=""
}
trap 'stop; [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$dir"' EXIT
trap 'exit 143' INT TERM

serve() {
	world=$1; shift
	ready="$(dirname "$world")/ready"
	rm -f "$ready"
	"$bin/armsim" serve --world "$world" --listen 127.0.0.1:0 --ready-file "$ready" "$@" \
		>"$(dirname "$world")/armsim.out" 2>&1 &
	pid=$!
	deadline=$(( $(date +%s) + 60 ))
	while [ ! -s "$ready" ]; do
		kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ] ||
			{ cat "$(dirname "$world")/armsim.out" >&2; echo "bench: armsim did not start" >&2; exit 1; }
		sleep 0.05
	done
	url=$(cat "$ready")
	# without TLS armsim makes its token signing key on a thread of its own after start-up
	# (with TLS it signs with the server's key): wait for it here (the key set waits for
	# it), so that no benchmark times the simulator's start-up
	case $url in
	http://*) curl -sf "$url/adfs/discovery/keys" >/dev/null ||
		{ echo "bench: armsim's signing keys could not be read" >&2; exit 1; } ;;
	esac
}

need() {
	for cmd in "$@"; do
		case $cmd in
		time) [ -x /usr/bin/time ] ||
			{ echo "bench: /usr/bin/time is needed (Debian package time)" >&2; exit 1; } ;;
		*) command -v "$cmd" >/dev/null || { echo "bench: $cmd is needed" >&2; exit 1; } ;;
		esac
	done
}

load() { uptime | sed 's/.*load average: //'; }
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
