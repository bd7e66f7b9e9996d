# Helpers for the ARM client's end-to-end tests (sourced after tests/lib.sh). Not a test
# itself: the runner only picks up t[0-9]*.sh.
#
# The demo principal (ARMSIM_DEMO_TENANT, _CLIENT, _SECRET) comes from
# examples/armsim-config.sh through tests/lib.sh.
ARMLOAD="$BUILD_DIR/tests/tools/armload"
CREDTOOL="$BUILD_DIR/tests/tools/credtool"

[ -x "$ARMSIM" ] || skip "armsim is not built"
command -v jq >/dev/null || skip "jq is not installed"

# make_world SPEC [THROTTLE] — generated world in $WORK/world.json. THROTTLE "big" lifts ARM's
# buckets out of the way (for load that is not about throttling), or "BURST:REFILL" sets every
# bucket. PAGE_SIZE, when set, becomes knobs.pageSize.
make_world() {
	"$ARMSIM" world --generate "$1" >"$WORK/world-gen.json"
	case ${2:-} in
	"") throttle=null ;;
	big) throttle='{"burst": 1e9, "refillPerSecond": 1e9}' ;;
	*) throttle="{\"burst\": ${2%%:*}, \"refillPerSecond\": ${2#*:}}" ;;
	esac
	jq --argjson b "$throttle" --arg page "${PAGE_SIZE:-}" '
		.knobs = (.knobs // {})
		| if $b != null then .knobs.throttle = ([ "subscriptionReads", "subscriptionWrites",
			"subscriptionDeletes", "tenantReads", "tenantWrites", "tenantDeletes" ]
			| map({(.): $b}) | add) else . end
		| if $page != "" then .knobs.pageSize = ($page | tonumber) else . end' \
		"$WORK/world-gen.json" >"$WORK/world.json"
}

# world_value FILTER — a jq filter over the world, raw output.
world_value() { jq -r "$1" "$WORK/world.json"; }

# sites — one line per site of the world: its resource id.
sites() {
	world_value '.subscriptions[] | .subscriptionId as $s | .resourceGroups[] | .name as $g
		| .sites[] | "/subscriptions/\($s)/resourceGroups/\($g)/providers/Microsoft.Web/sites/\(.name)"'
}

# write_config METHOD [EXTRA INI LINES] — $WORK/policyctl.ini for armsim with auth.method METHOD.
write_config() {
	sub=$(world_value '.subscriptions[0].subscriptionId')
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

# stat FILTER — a jq filter over armsim's /_armsim/stats, raw output.
stat() {
	stats_json >"$WORK/stats.json"
	jq -r "$1" "$WORK/stats.json"
}

# summary KEY — a value from the last armload summary line in $WORK/out.
summary() { tail -n 1 "$WORK/out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
