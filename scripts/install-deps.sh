#!/bin/sh
# Installs the Debian packages policyctl builds, tests and demos with; idempotent.
#   sh scripts/install-deps.sh           what `make`, `make demo` and `make check` need
#   sh scripts/install-deps.sh --ci      also the optional tools CI exercises: the Azure CLI
#                                        (armsim's compatibility test), chromium (the HTML
#                                        report's browser test) and node + npm (the Terraform
#                                        round-trip test's HCL parser)
# As root it runs apt-get itself; otherwise through sudo. `make deps` runs it.
# Where npm is present it also installs tests/hcl's pinned npm package (@cdktf/hcl2json) into
# tests/hcl/node_modules; tests that need it or chromium skip with a notice where they are absent.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

PACKAGES="build-essential pkg-config libcurl4-openssl-dev libjansson-dev libinih-dev libssl-dev
libsqlite3-dev libmicrohttpd-dev libcmocka-dev python3 python3-jsonschema openssl curl sqlite3
valgrind jq bc time"
if [ "${1:-}" = "--ci" ]; then
	PACKAGES="$PACKAGES azure-cli chromium"
	# a node that came with its own npm (e.g. NodeSource's) must not get Debian's npm on top
	command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"
fi

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
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
fi

# the npm package of tests/hcl, at the version its package-lock.json pins
if command -v npm >/dev/null 2>&1 && [ ! -d "$top/tests/hcl/node_modules/@cdktf/hcl2json" ]; then
	(cd "$top/tests/hcl" && npm ci --no-audit --no-fund --loglevel=error)
fi
