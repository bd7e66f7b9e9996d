#!/usr/bin/env python3
"""Validates SARIF files against the SARIF 2.1.0 JSON schema, offline.

usage: validate-sarif.py SCHEMA FILE...

SCHEMA is ../shared/policy-refs/schemas/sarif-schema-2.1.0.json (oasis-tcs/sarif-spec,
the OASIS Standard errata01 schema, draft-04). Beyond the schema, checks what code scanning
relies on: every result's ruleId is a rule of the driver and ruleIndex points at it, every
result has a physical location with a relative uri and startLine >= 1, and a
partialFingerprints entry. Prints one line per failure and exits 1 on any.
"""
import json
import sys

try:
    import jsonschema
except ImportError as e:  # pragma: no cover
    print(f"SKIP: python3-jsonschema is not installed ({e})")
    sys.exit(77)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft4Validator(schema)
    failures = 0
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for error in validator.iter_errors(doc):
            where = "/".join(str(p) for p in error.absolute_path)
            print(f"{path}: /{where}: {error.message}")
            failures += 1
        for run in doc.get("runs", []):
            rules = run["tool"]["driver"].get("rules", [])
            ids = [r["id"] for r in rules]
            for i, result in enumerate(run.get("results", [])):
                where = f"{path}: results[{i}]"
                if result.get("ruleId") not in ids:
                    print(f"{where}: ruleId {result.get('ruleId')!r} is not a driver rule")
                    failures += 1
                elif ids[result.get("ruleIndex", -1)] != result["ruleId"]:
                    print(f"{where}: ruleIndex does not point at {result['ruleId']}")
                    failures += 1
                try:
                    loc = result["locations"][0]["physicalLocation"]
                    uri = loc["artifactLocation"]["uri"]
                    line = loc["region"]["startLine"]
                except (KeyError, IndexError):
                    print(f"{where}: no physical location with uri and startLine")
                    failures += 1
                    continue
                if uri.startswith("/") or line < 1:
                    print(f"{where}: uri {uri!r} is absolute or startLine {line} < 1")
                    failures += 1
                if not result.get("partialFingerprints"):
                    print(f"{where}: no partialFingerprints")
                    failures += 1
    print(f"{len(sys.argv) - 2} files, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
