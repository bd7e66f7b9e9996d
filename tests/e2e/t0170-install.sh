#!/bin/sh
# `make install PREFIX=... DESTDIR=...` puts the binary and the man page where they belong,
# and the installed binary renders without the source tree (templates are compiled in).
. "$TOP/tests/lib.sh"
command -v make >/dev/null || skip "make is absent"

build=$(basename "$BUILD_DIR")
sanitize=0
[ "$build" = build-asan ] && sanitize=1
expect_exit 0 make -s -C "$TOP" install PREFIX=/opt/pc DESTDIR="$WORK/dest" BUILD="$build" SANITIZE=$sanitize
[ -x "$WORK/dest/opt/pc/bin/policyctl" ] || fail "no executable bin/policyctl under DESTDIR/PREFIX"
[ -f "$WORK/dest/opt/pc/share/man/man1/policyctl.1" ] || fail "no man page under share/man/man1"
cmp "$TOP/docs/policyctl.1" "$WORK/dest/opt/pc/share/man/man1/policyctl.1" || fail "installed man page differs"

cat >lz.ini <<'INI'
[scope]
management_group = installed
INI
mkdir elsewhere && cd elsewhere
expect_exit 0 "$WORK/dest/opt/pc/bin/policyctl" -c ../lz.ini render --out out
[ -f out/managementGroups/installed/policySetDefinitions/appservice-client-cert.json ] ||
	fail "the installed binary did not render the initiative"
echo "install ok"
