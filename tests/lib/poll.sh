# Waiting for a state with a deadline, never sleep-and-hope (sourced by tests/lib.sh).

# poll_until SECONDS CMD... — reruns CMD until it succeeds or the deadline passes.
poll_until() {
	deadline=$(( $(date +%s) + $1 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for: $*"
		sleep 0.05
	done
}

# poll_value SECONDS WANTED CMD... — reruns CMD (its stderr dropped) until what it prints on
# stdout is one of WANTED ('|'-separated values), then prints that value. WANTED '!V1|V2' waits
# for anything but those values instead. A CMD that fails counts as printing '(exit N)'. Fails
# the test at the deadline, naming the last value. POLL_EVERY (seconds, default 0.05) sets the
# pace, for states that last only a moment. Use it as `state=$(poll_value ...)`: the test
# then asserts on what was polled, not merely that polling ended.
poll_value() {
	pv_secs=$1 pv_want=$2
	shift 2
	pv_deadline=$(( $(date +%s) + pv_secs ))
	pv_not=0 pv_desc="one of"
	case $pv_want in '!'*) pv_not=1 pv_want=${pv_want#!} pv_desc="anything but" ;; esac
	while :; do
		pv_got=$("$@" 2>/dev/null) || pv_got="(exit $?)"
		pv_hit=0 pv_ifs=$IFS
		IFS='|'
		for pv_w in $pv_want; do [ "$pv_got" != "$pv_w" ] || pv_hit=1; done
		IFS=$pv_ifs
		if [ $pv_hit != $pv_not ]; then
			printf '%s\n' "$pv_got"
			return 0
		fi
		[ "$(date +%s)" -lt "$pv_deadline" ] ||
			fail "timed out after ${pv_secs}s: '$*' printed '$pv_got', waiting for $pv_desc '$pv_want'"
		sleep "${POLL_EVERY:-0.05}"
	done
}

# wait_exit SECONDS PID — waits for a background child to end (polling, with a deadline, so a
# process that ignores a signal fails the test instead of hanging it); sets EXIT to its status.
wait_exit() {
	poll_until "$1" sh -c "! kill -0 $2 2>/dev/null || ps -o stat= -p $2 | grep -q Z"
	set +e; wait "$2"; EXIT=$?; set -e
}
