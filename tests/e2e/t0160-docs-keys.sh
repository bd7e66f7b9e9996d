#!/bin/sh
# The man page and README describe every config key of lib/config.def, `help config` lists
# them, and the man page names every option of `render --help` and of the global usage.
. "$TOP/tests/lib.sh"

keys=$(sed -n 's/^CONFIG_KEY(\([a-z_]*\), *\([a-z_]*\),.*/\1.\2/p' "$TOP/lib/config.def")
[ "$(echo "$keys" | wc -l)" -ge 30 ] || fail "could not read the keys of config.def"
expect_exit 0 "$POLICYCTL" help config
cp "$WORK/out" help-config.txt
for sk in $keys; do
	section=${sk%%.*} key=${sk#*.}
	# within its [section] block of each document
	sed -n "/^\[$section\]/,/^\[/p" help-config.txt | grep -q "^  $key " ||
		fail "'help config' lacks [$section] $key"
	sed -n "/^\.SS \[$section\]/,/^\.S[SH]/p" "$TOP/docs/policyctl.1" | grep -qx "\.B $key" ||
		fail "docs/policyctl.1 lacks [$section] $key: run 'make docs'"
	sed -n "/^\*\*\[$section\]\*\*/,/^\*\*\[/p" "$TOP/README.md" | grep -qF "| \`$key\` |" ||
		fail "README.md lacks [$section] $key: run 'make docs'"
done
# the generated blocks are exactly what `make docs` would write now
sh "$TOP/docs/config-keys.sh" roff "$TOP/docs/policyctl.1" <help-config.txt >man.new
diff "$TOP/docs/policyctl.1" man.new >/dev/null || fail "docs/policyctl.1 key list is stale: run 'make docs'"
sh "$TOP/docs/config-keys.sh" markdown "$TOP/README.md" <help-config.txt >readme.new
diff "$TOP/README.md" readme.new >/dev/null || fail "README.md key list is stale: run 'make docs'"

# every long option of the global usage and of each command's --help is in the man page
expect_exit 0 "$POLICYCTL" --help
for cmd in render; do
	"$POLICYCTL" "$cmd" --help >>"$WORK/out"
done
for opt in $(grep -o -- '--[a-z][a-z-]*' "$WORK/out" | sort -u); do
	roff=$(echo "$opt" | sed 's/-/\\\\-/g')
	grep -q -- "$roff" "$TOP/docs/policyctl.1" || fail "docs/policyctl.1 does not describe '$opt'"
done
# and every command of the table
for cmd in $("$POLICYCTL" help | sed -n '/^commands:/,/^$/p' | awk 'NR>1 && NF {print $1}'); do
	grep -q "^\.B $cmd\b" "$TOP/docs/policyctl.1" || fail "docs/policyctl.1 does not describe command '$cmd'"
done
if command -v man >/dev/null 2>&1; then
	man --warnings -l "$TOP/docs/policyctl.1" >/dev/null 2>man.err || true
	[ ! -s man.err ] || { cat man.err >&2; fail "man reports problems in docs/policyctl.1"; }
fi
echo "docs describe every key, option and command"
