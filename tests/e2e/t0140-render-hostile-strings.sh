#!/bin/sh
# Hostile config strings (quotes, backslashes, JSON and ARM syntax, a placeholder look-alike,
# non-ASCII, emoji) come out of every format as valid JSON holding exactly the same string:
# parse the output and compare. (A newline cannot be written in INI; the unit test
# test_render covers it through the library.) terraform: t0180 reads it back with an HCL parser.
. "$TOP/tests/lib.sh"
command -v python3 >/dev/null || skip "python3 is absent"

config="$TOP/tests/golden/render/hostile-strings/config.ini"
for format in rest arm-template epac alz; do
	expect_exit 0 "$POLICYCTL" -q -c "$config" render --format "$format" --out "$format"
done

python3 - "$config" <<'PY' || fail "hostile strings did not round-trip"
import configparser, glob, json, sys

ini = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",))
ini.read(sys.argv[1], encoding="utf-8")
want = {
    "initiative": ini["initiative"]["display_name"],
    "assignment": ini["assignment"]["display_name"],
    "category": ini["initiative"]["category"],
    "message": ini["assignment"]["non_compliance_message"],
}
assert "🔐" in want["initiative"] and '"${display_name}"' in want["initiative"], want
problems = []

def expect(where, got, key):
    if got != want[key]:
        problems.append(f"{where}: {key} is {got!r}, expected {want[key]!r}")

def arm_literal(s):  # arm-template escapes "[...]" strings as "[[...]"
    return s[1:] if s.startswith("[[") and s.endswith("]") else s

for f in glob.glob("rest/**/*.json", recursive=True):
    doc = json.load(open(f, encoding="utf-8"))
    props = doc.get("properties", {})
    if "/policySetDefinitions/" in f:
        expect(f, props["displayName"], "initiative")
    if "/policyAssignments/" in f:
        expect(f, props["displayName"], "assignment")
        expect(f, props["nonComplianceMessages"][0]["message"], "message")
    if "/policyDefinitions/" in f or "/policySetDefinitions/" in f:
        expect(f, props["metadata"]["category"], "category")

template = json.load(open("arm-template/azuredeploy.json", encoding="utf-8"))
for r in template["resources"]:
    props = r["properties"]
    kind = r["type"].split("/")[-1]
    if kind == "policySetDefinitions":
        expect("arm " + r["name"], arm_literal(props["displayName"]), "initiative")
    if kind == "policyAssignments":
        expect("arm " + r["name"], arm_literal(props["displayName"]), "assignment")
        expect("arm " + r["name"], arm_literal(props["nonComplianceMessages"][0]["message"]), "message")
    else:
        expect("arm " + r["name"], arm_literal(props["metadata"]["category"]), "category")

for f in glob.glob("epac/policyAssignments/*.json"):
    doc = json.load(open(f, encoding="utf-8"))
    expect(f, doc["assignment"]["displayName"], "assignment")
    expect(f, doc["nonComplianceMessages"][0]["message"], "message")
for f in glob.glob("epac/policySetDefinitions/*.json"):
    expect(f, json.load(open(f, encoding="utf-8"))["properties"]["displayName"], "initiative")

for f in glob.glob("alz/policy_assignments/*.alz_policy_assignment.json"):
    doc = json.load(open(f, encoding="utf-8"))
    expect(f, doc["properties"]["displayName"], "assignment")
    expect(f, doc["properties"]["nonComplianceMessages"][0]["message"], "message")
for f in glob.glob("alz/policy_set_definitions/*.json"):
    props = json.load(open(f, encoding="utf-8"))["properties"]
    expect(f, props["displayName"], "initiative")
    expect(f, props["metadata"]["category"], "category")
for f in glob.glob("alz/policy_definitions/*.json"):
    expect(f, json.load(open(f, encoding="utf-8"))["properties"]["metadata"]["category"], "category")
if len(glob.glob("alz/**/*.json", recursive=True)) < 9:
    problems.append("alz: expected 9 files")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
echo "hostile strings round-trip in every format"
