#!/bin/sh
# `render --out` into a folder it rendered before removes the files the new render no longer
# has (listed in .policyctl-files), so an EPAC folder never deploys a stale initiative beside
# the new one; files policyctl did not write, and hostile entries in the list (paths leaving
# the folder, through a symlink), are left alone.
. "$TOP/tests/lib.sh"

mg_config() { # initiative name
	printf '[scope]\nmanagement_group = mg-prune\n\n[initiative]\nname = %s\n' "$1" >config.ini
}

# 1. renaming the initiative: the old definitions and initiative go, the new ones come
mg_config old-cert
expect_exit 0 "$POLICYCTL" -q -c config.ini render --format epac --out folder
[ -f folder/policySetDefinitions/old-cert.json ] || fail "first render wrote no initiative"
assert_contains folder/.policyctl-files "policySetDefinitions/old-cert.json"
echo '{"mine": true}' >folder/policyDefinitions/hand-written.json
echo 'notes' >folder/README.txt
mg_config new-cert
expect_exit 0 "$POLICYCTL" -c config.ini render --format epac --out folder
[ -f folder/policySetDefinitions/new-cert.json ] || fail "second render wrote no initiative"
[ ! -e folder/policySetDefinitions/old-cert.json ] || fail "the stale initiative was left beside the new one"
[ -z "$(ls folder/policyDefinitions | grep old-cert)" ] || fail "stale definitions were left: $(ls folder/policyDefinitions)"
[ -f folder/policyDefinitions/hand-written.json ] || fail "a file policyctl did not write was removed"
[ -f folder/README.txt ] || fail "a file policyctl did not write was removed"
assert_contains "$WORK/err" "removed 'folder/policySetDefinitions/old-cert.json'"
assert_not_contains folder/.policyctl-files "old-cert"

# 2. a subscription dropped from the config: its arm-template deployment file goes
printf '[scope]\nsubscriptions = 00000000-0000-0000-0000-00000000000a, 00000000-0000-0000-0000-00000000000b\n' >config.ini
expect_exit 0 "$POLICYCTL" -q -c config.ini render --format arm-template --out arm
[ -f arm/azuredeploy-00000000-0000-0000-0000-00000000000b.json ] || fail "no deployment for subscription b"
printf '[scope]\nsubscriptions = 00000000-0000-0000-0000-00000000000a\n' >config.ini
expect_exit 0 "$POLICYCTL" -q -c config.ini render --format arm-template --out arm
[ ! -e arm/azuredeploy-00000000-0000-0000-0000-00000000000b.json ] || fail "the dropped subscription's deployment stayed"
[ -f arm/azuredeploy-00000000-0000-0000-0000-00000000000a.json ] || fail "the kept subscription's deployment went"

# 3. a hostile list never removes anything outside the folder or through a symlink
mkdir -p elsewhere/policyDefinitions
echo '{}' >elsewhere/victim.json
echo '{}' >elsewhere/policyDefinitions/linked.json
ln -s "$WORK/elsewhere/policyDefinitions" folder/linked
cat >>folder/.policyctl-files <<LIST
../elsewhere/victim.json
$WORK/elsewhere/victim.json
linked/linked.json
policyDefinitions/../../elsewhere/victim.json
LIST
expect_exit 0 "$POLICYCTL" -q -c config.ini render --format epac --out folder
[ -f elsewhere/victim.json ] || fail "a listed path outside the folder was removed"
[ -f elsewhere/policyDefinitions/linked.json ] || fail "a file behind a symlink was removed"
echo "stale files removed, others kept"
