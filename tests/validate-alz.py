#!/usr/bin/env python3
"""validate-alz.py PEERS ALZDIR RESTDIR — checks an alz render against the structure of the
Azure Landing Zones library's own files (PEERS: shared/policy-refs/peers/alz) and its content
against the rest render of the same config. Prints what it checked; exits 1 listing problems.

Structure (what the ALZ Terraform provider and ALZ-Bicep rely on):
- every file ends in one of the library's suffixes; alz_library_metadata.json sits at the root;
- each asset kind has the top-level keys of the library's example of that kind (the metadata
  may add "dependencies", which the library documents; it has no "path", which names a
  folder of the ALZ repository);
- definition and set properties use only keys the examples use (plus the set's
  policyDefinitionGroups, an ARM property the ALZ examples happen not to use);
- assignment properties are within the example's, scope and ids go through the management
  group "placeholder", location is "${default_location}";
- the archetype lists exactly the rendered assets, by their JSON name.
Content: definition and set bodies equal the rest render once the documented differences are
undone (top-level version dropped; custom member ids under the placeholder scope).
"""
import glob
import json
import os
import sys

peers, alz, rest = sys.argv[1:4]
problems = []
PLACEHOLDER = "/providers/Microsoft.Management/managementGroups/placeholder"
SUFFIXES = {
    ".alz_policy_definition.json": "definition",
    ".alz_policy_set_definition.json": "set",
    ".alz_policy_assignment.json": "assignment",
    ".alz_archetype_definition.json": "archetype",
    ".alz_archetype_override.json": "override",
}


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def kind_of(path):
    for suffix, kind in SUFFIXES.items():
        if path.endswith(suffix):
            return kind
    return "metadata" if os.path.basename(path) == "alz_library_metadata.json" else None


examples = {}
for f in glob.glob(os.path.join(peers, "*.json")):
    examples[kind_of(f)] = load(f)
for kind in ("definition", "set", "assignment", "archetype", "metadata"):
    if kind not in examples:
        sys.exit(f"no ALZ example of kind {kind} in {peers}")

assets = {"definition": {}, "set": {}, "assignment": {}, "archetype": {}, "metadata": {}}
for f in sorted(glob.glob(os.path.join(alz, "**", "*"), recursive=True)):
    if os.path.isdir(f):
        continue
    kind = kind_of(f)
    if kind is None:
        problems.append(f"{f}: not a file name the ALZ library reads")
        continue
    if kind == "metadata" and os.path.dirname(f) != alz.rstrip("/"):
        problems.append(f"{f}: alz_library_metadata.json must be at the library root")
    doc = load(f)
    assets[kind][doc.get("name")] = (f, doc)

for kind, example in examples.items():
    if kind not in assets:
        continue
    want = set(example)
    if kind == "metadata":
        want = (want - {"path"}) | {"dependencies"}
    for name, (f, doc) in assets[kind].items():
        if set(doc) != want:
            problems.append(f"{f}: top-level keys {sorted(doc)}, the ALZ example has {sorted(want)}")
        if kind in ("definition", "set", "assignment") and doc.get("type") != example.get("type"):
            problems.append(f"{f}: type {doc.get('type')!r}, expected {example.get('type')!r}")

allowed_props = {
    "definition": set(examples["definition"]["properties"]),
    "set": set(examples["set"]["properties"]) | {"policyDefinitionGroups"},
    "assignment": set(examples["assignment"]["properties"]),
}
for kind, allowed in allowed_props.items():
    for name, (f, doc) in assets[kind].items():
        extra = set(doc["properties"]) - allowed
        if extra:
            problems.append(f"{f}: properties {sorted(extra)} not in the ALZ example")

for name, (f, doc) in assets["assignment"].items():
    p = doc["properties"]
    if p.get("scope") != PLACEHOLDER:
        problems.append(f"{f}: scope {p.get('scope')!r}, expected the placeholder")
    if not str(p.get("policyDefinitionId", "")).startswith(PLACEHOLDER + "/") and \
            not str(p.get("policyDefinitionId", "")).startswith("/providers/Microsoft.Authorization/"):
        problems.append(f"{f}: policyDefinitionId does not go through the placeholder")
    set_name = str(p.get("policyDefinitionId", "")).rsplit("/", 1)[-1]
    if set_name not in assets["set"]:
        problems.append(f"{f}: assigns {set_name!r}, which the library does not hold")
    if doc.get("location") != examples["assignment"].get("location"):
        problems.append(f"{f}: location {doc.get('location')!r}, expected {examples['assignment'].get('location')!r}")

for name, (f, doc) in assets["archetype"].items():
    for key, kind in (("policy_definitions", "definition"), ("policy_set_definitions", "set"),
                      ("policy_assignments", "assignment")):
        listed = set(doc.get(key, []))
        held = set(assets[kind])
        for missing in sorted(listed - held):
            problems.append(f"{f}: {key} names {missing!r}, which the library does not hold")
        for unlisted in sorted(held - listed):
            problems.append(f"{f}: {key} does not name {unlisted!r}")

# content against the rest render
manifest = load(os.path.join(rest, "manifest.json"))
compared = 0
for entry in manifest["resources"]:
    body = load(os.path.join(rest, entry["file"]))
    name = entry["id"].rsplit("/", 1)[-1]
    scope = entry["id"].split("/providers/Microsoft.Authorization/")[0]
    kind = {"policyDefinition": "definition", "policySetDefinition": "set"}.get(entry["kind"])
    if not kind:
        continue
    if name not in assets[kind]:
        problems.append(f"alz lacks the {kind} {name!r}")
        continue
    props = dict(body["properties"])
    props.pop("version", None)
    if kind == "set":
        props["policyDefinitions"] = [
            dict(m, policyDefinitionId=m["policyDefinitionId"].replace(scope, PLACEHOLDER, 1)
                 if m["policyDefinitionId"].startswith(scope + "/") else m["policyDefinitionId"])
            for m in props["policyDefinitions"]]
    if assets[kind][name][1]["properties"] != props:
        problems.append(f"{assets[kind][name][0]}: properties differ from the rest render")
    compared += 1

for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"alz library {alz}: {sum(len(v) for v in assets.values())} files in the ALZ structure, "
      f"{compared} bodies equal the rest render")
