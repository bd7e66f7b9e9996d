#!/bin/sh
# Turns `policyctl help config` (stdin) into the config-key reference of the man page
# (`roff`) or of README.md (`markdown`), and splices it between the BEGIN/END CONFIG KEYS
# markers of a file: docs/config-keys.sh roff|markdown FILE < help-config.txt > new-FILE
# `make docs` runs it for docs/policyctl.1 and README.md; t0160 checks both are current.
set -eu
mode=$1 file=$2
gen=$(mktemp)
trap 'rm -f "$gen"' EXIT
awk -v mode="$mode" '
function roff(s) { gsub(/\\/, "\\e", s); sub(/^[.\x27]/, "\\\\&&", s); return s }
function md(s) { gsub(/\|/, "\\|", s); return s }
/^\[/ {
	section = $0
	if (mode == "roff") print ".SS " section
	else { print ""; print "**" section "**"; print ""; print "| key | value | meaning |"; print "|---|---|---|" }
	next
}
/^  [a-z_]+ / {
	key = $1; $1 = ""; sub(/^ +/, ""); value = $0; next_is_help = 1; next
}
/^      / && next_is_help {
	help = $0; sub(/^ +/, "", help); next_is_help = 0
	if (mode == "roff") { print ".TP"; print ".B " key; print roff(value); print ".br"; print roff(help) }
	else print "| `" key "` | " md(value) " | " md(help) " |"
}
' >"$gen"
awk -v gen="$gen" '
/BEGIN CONFIG KEYS/ { print; while ((getline line < gen) > 0) print line; skip = 1; next }
/END CONFIG KEYS/ { skip = 0 }
!skip { print }
' "$file"
