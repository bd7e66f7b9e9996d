# armsim's life cycle in a test: start on a free loopback port, stop by PID, and its
# introspection endpoints (sourced by tests/lib.sh; nothing here needs a token).

# start_armsim ARGS... — starts armsim on a free loopback port; sets ARMSIM_URL and ARMSIM_PID.
start_armsim() {
	rm -f "$WORK/armsim.ready"
	"$ARMSIM" serve --listen 127.0.0.1:0 --ready-file "$WORK/armsim.ready" "$@" \
		>"$WORK/armsim.out" 2>&1 &
	ARMSIM_PID=$!
	PIDS="$PIDS $ARMSIM_PID"
	poll_until 10 test -s "$WORK/armsim.ready"
	ARMSIM_URL=$(cat "$WORK/armsim.ready")
}

stop_armsim() {
	kill "$ARMSIM_PID" 2>/dev/null || true
	wait "$ARMSIM_PID" 2>/dev/null || true
}

# world_json — the world now, as armsim's /_armsim/world shows it.
world_json() { curl -sf "$ARMSIM_URL/_armsim/world"; }

# stats_json — armsim's request counters (/_armsim/stats, docs/armsim.md).
stats_json() { curl -sf "$ARMSIM_URL/_armsim/stats"; }
