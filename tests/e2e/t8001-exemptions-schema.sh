#!/bin/sh
# The shipped schema (docs/exemptions.schema.json) and policyctl's checks agree: the example
# file validates against the schema and passes policyctl's checks (its dates moved to ten
# days from now, its subscription to the config's); every golden bad file the schema can
# express is refused by the schema too.
. "$TOP/tests/lib.sh"
command -v python3 >/dev/null || skip "python3 is absent"
command -v jq >/dev/null || skip "jq is absent"
python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is absent"

# valid FILE... — prints, per file, "valid" or "invalid" (one python for all: it is slow to start)
valid() {
	python3 - "$TOP/docs/exemptions.schema.json" "$@" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for path in sys.argv[2:]:
    try:
        ok = v.is_valid(json.load(open(path)))
    except ValueError:
        ok = False
    print(path, "valid" if ok else "invalid")
PY
}

valid "$TOP/examples/exemptions.json" | grep -q ' valid$' ||
	fail "examples/exemptions.json does not validate"

EXPIRES=$(date -u -d "+10 days" +%Y-%m-%d)
# the example plus one entry without an owner: the only complaint must be that entry's, so
# the example's own entries passed every check (and nothing went to the network)
sed -e "s/2027-03-31/$EXPIRES/; s/2027-01-15T18:00:00Z/${EXPIRES}T18:00:00Z/" \
	"$TOP/examples/exemptions.json" |
	jq '.exemptions += [{"name": "probe", "scope": "/subscriptions/00000000-0000-4000-8000-000000000001",
		"expires": "'"$EXPIRES"'", "reason": "r"}]' >exemptions.json
cat >config.ini <<INI
[cloud]
name = custom
arm_endpoint = https://127.0.0.1:9
authority_host = https://127.0.0.1:9
tenant_id = 72f988bf-0000-4000-8000-00000000a125
[scope]
subscriptions = 00000000-0000-4000-8000-000000000001
[exemptions]
file = exemptions.json
INI
expect_exit 2 "$POLICYCTL" -c config.ini apply --dry-run
assert_eq "policyctl: error: exemptions.json:probe: 'owner' is required: who answers for this exemption (a person or a team)" \
	"$(cat "$WORK/err")" "policyctl's verdict on the example file"

files=""
for c in missing-owner missing-expires missing-reason missing-name bad-name bad-category \
	unknown-key scope-and-resources no-scope owner-not-a-string expires-not-a-date \
	no-exemptions-array unknown-top-key scope-not-an-id not-json; do
	sed "s/@EXPIRES@/$EXPIRES/g" "$TOP/tests/golden/exemptions-errors/$c/exemptions.json" >"$c.json"
	files="$files $c.json"
done
valid $files >verdicts
[ "$(grep -c ' invalid$' verdicts)" = 15 ] ||
	{ cat verdicts >&2; fail "the schema accepts a golden case policyctl refuses"; }
echo "example valid; 15 bad files refused by the schema as by policyctl"
