# Helpers for armsim's end-to-end tests (sourced after tests/lib.sh). Not a test itself: the
# runner only picks up t[0-9]*.sh.
#
# The demo principal (ARMSIM_DEMO_TENANT, _CLIENT, _SECRET) comes from
# examples/armsim-config.sh through tests/lib.sh.

command -v curl >/dev/null || skip "curl is not installed"
command -v jq >/dev/null || skip "jq is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

# json FILE FILTER — a jq filter over the file, raw output (strings without quotes).
json() { jq -r "$2" "$1"; }

# get_token [CLIENT SECRET] — sets TOKEN from the v2 token endpoint.
get_token() {
	curl -sS -o "$WORK/token.json" -X POST "$ARMSIM_URL/$ARMSIM_DEMO_TENANT/oauth2/v2.0/token" \
		--data-urlencode grant_type=client_credentials \
		--data-urlencode "client_id=${1:-$ARMSIM_DEMO_CLIENT}" \
		--data-urlencode "client_secret=${2:-$ARMSIM_DEMO_SECRET}" \
		--data-urlencode "scope=https://management.azure.com/.default"
	TOKEN=$(jq -r .access_token "$WORK/token.json")
}

# arm METHOD PATH [BODY] — calls armsim with the token; body to $WORK/body, headers to
# $WORK/headers, status code to $STATUS.
arm() {
	method=$1 path=$2
	shift 2
	if [ $# -gt 0 ]; then
		STATUS=$(curl -sS -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -X "$method" \
			-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
			--data "$1" "$ARMSIM_URL$path")
	else
		STATUS=$(curl -sS -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -X "$method" \
			-H "Authorization: Bearer $TOKEN" "$ARMSIM_URL$path")
	fi
}

# error_code — the ARM error code in the last body.
error_code() { jq -r .error.code "$WORK/body"; }

# header NAME — a header of the last response (case-insensitive name, no CR).
header() { sed -n "s/^$1: *//Ip" "$WORK/headers" | tr -d '\r'; }

# get_status URL — GETs an absolute URL (an operation's Location) with the token; body to
# $WORK/body, headers to $WORK/headers; prints the status code.
get_status() {
	curl -sS -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$1"
}
