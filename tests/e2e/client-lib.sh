# Helpers for the ARM client's end-to-end tests (sourced after tests/lib.sh). Not a test
# itself: the runner only picks up t[0-9]*.sh.
#
# The demo principal (ARMSIM_DEMO_TENANT, _CLIENT, _SECRET) comes from
# examples/armsim-config.sh through tests/lib.sh.
ARMLOAD="$BUILD_DIR/tests/tools/armload"
CREDTOOL="$BUILD_DIR/tests/tools/credtool"

[ -x "$ARMSIM" ] || skip "armsim is not built"
command -v python3 >/dev/null || skip "python3 is not installed"

# make_world SPEC [THROTTLE] — generated world in $WORK/world.json. THROTTLE "big" lifts ARM's
# buckets out of the way (for load that is not about throttling), or "BURST:REFILL" sets every
# bucket. PAGE_SIZE, when set, becomes knobs.pageSize.
make_world() {
	"$ARMSIM" world --generate "$1" >"$WORK/world-gen.json"
	python3 - "$WORK/world-gen.json" "$WORK/world.json" "${2:-}" "${PAGE_SIZE:-}" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))
knobs = w.setdefault("knobs", {})
if sys.argv[3]:
    burst, refill = (1e9, 1e9) if sys.argv[3] == "big" else map(float, sys.argv[3].split(":"))
    b = {"burst": burst, "refillPerSecond": refill}
    knobs["throttle"] = {k: b for k in ("subscriptionReads", "subscriptionWrites",
        "subscriptionDeletes", "tenantReads", "tenantWrites", "tenantDeletes")}
if sys.argv[4]:
    knobs["pageSize"] = int(sys.argv[4])
json.dump(w, open(sys.argv[2], "w"), indent=1)
PY
}

# world_value EXPR — a Python expression over the world, bound to w.
world_value() { python3 -c "import json; w=json.load(open('$WORK/world.json')); print($1)"; }

# sites — one line per site of the world: its resource id.
sites() {
	world_value "'\\n'.join('/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Web/sites/%s' % (s['subscriptionId'], rg['name'], site['name']) for s in w['subscriptions'] for rg in s['resourceGroups'] for site in rg['sites'])"
}

# write_config METHOD [EXTRA INI LINES] — $WORK/policyctl.ini for armsim with auth.method METHOD.
write_config() {
	sub=$(world_value "w['subscriptions'][0]['subscriptionId']")
	cat >"$WORK/policyctl.ini" <<INI
[cloud]
name = custom
arm_endpoint = $ARMSIM_URL
tenant_id = $ARMSIM_DEMO_TENANT

[auth]
method = $1
${2:-}

[scope]
subscriptions = $sub
INI
}

# stat EXPR — a Python expression over armsim's /_armsim/stats, bound to s.
stat() {
	curl -sS "$ARMSIM_URL/_armsim/stats" >"$WORK/stats.json"
	python3 -c "import json; s=json.load(open('$WORK/stats.json')); print($1)"
}

# summary KEY — a value from the last armload summary line in $WORK/out.
summary() { tail -n 1 "$WORK/out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
