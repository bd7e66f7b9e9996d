#!/bin/sh
# Installs the Debian packages policyctl builds, tests and demos with; idempotent.
#   sh scripts/install-deps.sh           what `make`, `make demo` and `make check` need
#   sh scripts/install-deps.sh --ci      also the optional tools CI exercises (the Azure CLI,
#                                        for armsim's compatibility test)
# As root it runs apt-get itself; otherwise through sudo. `make deps` runs it.
set -eu

PACKAGES="build-essential pkg-config libcurl4-openssl-dev libjansson-dev libinih-dev libssl-dev
libsqlite3-dev libmicrohttpd-dev libcmocka-dev python3 python3-jsonschema openssl curl sqlite3
valgrind jq bc time"
[ "${1:-}" = "--ci" ] && PACKAGES="$PACKAGES azure-cli"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
as_root=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || {
		echo "install-deps: missing packages:$missing; run this script as root" >&2
		exit 1
	}
	as_root=sudo
fi
$as_root apt-get update -qq
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
