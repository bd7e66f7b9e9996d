#!/usr/bin/env python3
"""Validates `policyctl render` output against the published schemas, offline.

usage: validate-policies.py SHARED [--rest DIR] [--arm-template DIR] [--epac DIR]

SHARED is the shared reference folder (policy-refs/schemas, policy-refs/peers/epac). Every
https://schema.management.azure.com/schemas/... reference resolves to the local copy, so
nothing is fetched. Checks:
  rest          each definition's policyRule against policyDefinition 2020-10-01; each
                definition, initiative and assignment (with name, type, apiVersion added, as
                ARM's resource schema wants) against Microsoft.Authorization 2025-03-01; no
                property outside the schema's list (the published schemas allow extras, a
                typo would pass them); every initiative member points at a rendered or
                built-in definition and passes only parameters the definition declares.
  arm-template  each template resource against the same resource schemas, and with its
                escaped expressions ("[[") undone, equal to the rest body of the same id.
  epac          each file against EPAC's schemas (EPAC writes "^*$" for "any key", which is
                not a valid Python regex: it is read as "^.*$").
Prints one line per failure and exits 1 on any; exit 77 with "SKIP: ..." when SHARED lacks
the schemas.
"""
import json
import os
import sys

try:
    import jsonschema
except ImportError as e:  # pragma: no cover
    print(f"SKIP: python3-jsonschema is not installed ({e})")
    sys.exit(77)
try:  # jsonschema >= 4.18 resolves references through `referencing`
    if os.environ.get("VALIDATE_WITH_REFRESOLVER"):
        raise ImportError("forced")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4
except ImportError:  # Debian 12's 4.10: the older RefResolver with a store
    Registry = None

API = "2025-03-01"
failures = []


def fail(where, message):
    failures.append(f"{where}: {message}")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def any_means_any(schema):
    """The ARM schemas write "oneOf": [X, expression] so that any value may be a template
    expression. Where X is {} (anything), an expression string matches both branches and
    oneOf rejects it, which the schema's authors cannot have meant: read those as anyOf."""
    if isinstance(schema, dict):
        out = {k: any_means_any(v) for k, v in schema.items()}
        if "oneOf" in out and any(b == {} for b in out["oneOf"]):
            out["anyOf"] = out.pop("oneOf")
        return out
    if isinstance(schema, list):
        return [any_means_any(v) for v in schema]
    return schema


def build_registry(schemas_dir):
    """Every local schema under its published id (a Registry, or a RefResolver store)."""
    store = {}
    for name in os.listdir(schemas_dir):
        if name.endswith(".json"):
            contents = any_means_any(load(os.path.join(schemas_dir, name)))
            uri = contents.get("id", "").rstrip("#")
            if uri:
                store[uri] = contents
    if Registry is None:
        return store
    registry = Registry()
    for uri, contents in store.items():
        registry = registry.with_resource(
            uri, Resource.from_contents(contents, default_specification=DRAFT4))
    return registry


def validator(registry, schema):
    if Registry is None:
        store = dict(registry)
        store.update({uri + "#": doc for uri, doc in registry.items()})
        import warnings
        warnings.simplefilter("ignore", DeprecationWarning)
        resolver = jsonschema.RefResolver("", schema, store=store)
        return jsonschema.Draft4Validator(schema, resolver=resolver)
    return jsonschema.Draft4Validator(schema, registry=registry)


def errors_of(v, instance):
    return sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))


def check(where, v, instance):
    for e in errors_of(v, instance):
        path = "/".join(str(p) for p in e.absolute_path)
        fail(where, f"at /{path}: {e.message[:300]}")


class Authz:
    def __init__(self, shared):
        schemas = os.path.join(shared, "policy-refs", "schemas")
        self.registry = build_registry(schemas)
        self.doc = load(os.path.join(schemas, f"Microsoft.Authorization-{API}.json"))
        base = f"https://schema.management.azure.com/schemas/{API}/Microsoft.Authorization.json"
        rule_uri = "https://schema.management.azure.com/schemas/2020-10-01/policyDefinition.json"
        self.rule = validator(self.registry, {"$ref": rule_uri + "#"})
        self.resource = {}
        for level in ("managementGroup", "subscription"):
            for kind in ("policyDefinitions", "policySetDefinitions", "policyAssignments"):
                ref = f"{base}#/{level}_resourceDefinitions/{kind}"
                self.resource[(level, kind)] = validator(self.registry, {"$ref": ref})
        d = self.doc["definitions"]
        self.known = {
            "policyDefinitions": set(d["PolicyDefinitionProperties"]["properties"]),
            "policySetDefinitions": set(d["PolicySetDefinitionProperties"]["properties"]),
            "policyAssignments": set(d["PolicyAssignmentProperties"]["properties"]),
        }
        self.member_keys = set(d["PolicyDefinitionReference"]["properties"])
        self.group_keys = set(d["PolicyDefinitionGroup"]["properties"])

    def check_resource(self, where, level, kind, resource):
        check(where, self.resource[(level, kind)], resource)
        props = resource.get("properties", {})
        extra = set(props) - self.known[kind]
        if extra:
            fail(where, f"properties not in the schema: {sorted(extra)}")
        if kind == "policyDefinitions":
            check(where + " policyRule", self.rule, unescape(props.get("policyRule")))
        if kind == "policySetDefinitions":
            for m in props.get("policyDefinitions", []):
                extra = set(m) - self.member_keys
                if extra:
                    fail(where, f"member keys not in the schema: {sorted(extra)}")
            for g in props.get("policyDefinitionGroups", []):
                extra = set(g) - self.group_keys
                if extra:
                    fail(where, f"group keys not in the schema: {sorted(extra)}")


def level_of(resource_id):
    return "subscription" if resource_id.startswith("/subscriptions/") else "managementGroup"


def check_rest(authz, out):
    manifest = load(os.path.join(out, "manifest.json"))
    bodies = {}
    for entry in manifest["resources"]:
        rid, path = entry["id"], os.path.join(out, entry["file"])
        body = load(path)
        bodies[rid.lower()] = body
        kind = rid.split("/")[-2]
        if entry["apiVersion"] != API or entry["method"] != "PUT":
            fail(path, f"manifest says {entry['method']} api-version {entry['apiVersion']}")
        resource = dict(body, name=rid.split("/")[-1],
                        type=f"Microsoft.Authorization/{kind}", apiVersion=API)
        authz.check_resource(path, level_of(rid), kind, resource)
    # cross-references: members → definitions (with their parameters), assignment → set
    for rid, body in bodies.items():
        props = body["properties"]
        if "/policysetdefinitions/" in rid:
            refs = [m["policyDefinitionReferenceId"] for m in props["policyDefinitions"]]
            if len(refs) != len(set(refs)):
                fail(rid, "duplicate policyDefinitionReferenceId")
            for m in props["policyDefinitions"]:
                did = m["policyDefinitionId"].lower()
                if did.startswith("/providers/microsoft.authorization/policydefinitions/"):
                    continue  # built-in: exists in every tenant
                if did not in bodies:
                    fail(rid, f"member '{m['policyDefinitionReferenceId']}' names "
                              f"'{m['policyDefinitionId']}', which is not rendered")
                    continue
                declared = bodies[did]["properties"].get("parameters", {})
                for p in m.get("parameters", {}):
                    if p not in declared:
                        fail(rid, f"member passes undeclared parameter '{p}'")
        if "/policyassignments/" in rid:
            sid = props["policyDefinitionId"].lower()
            if sid not in bodies:
                fail(rid, f"assignment names '{sid}', which is not rendered")
            else:
                declared = bodies[sid]["properties"].get("parameters", {})
                for p, v in props.get("parameters", {}).items():
                    if p not in declared:
                        fail(rid, f"assignment passes undeclared parameter '{p}'")
                    elif v["value"] not in declared[p].get("allowedValues", [v["value"]]):
                        fail(rid, f"parameter '{p}' = '{v['value']}' is not allowed")
    return bodies


def strings_of(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings_of(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_of(v)


def unescape(value):
    if isinstance(value, str):
        return value[1:] if value.startswith("[[") and value.endswith("]") else value
    if isinstance(value, list):
        return [unescape(v) for v in value]
    if isinstance(value, dict):
        return {k: unescape(v) for k, v in value.items()}
    return value


def check_arm_template(authz, out, rest_bodies):
    for name in sorted(os.listdir(out)):
        if name.startswith("."):  # .policyctl-files: the render's own file list
            continue
        path = os.path.join(out, name)
        template = load(path)
        level = "managementGroup" if "managementGroup" in template["$schema"] else "subscription"
        for r in template["resources"]:
            kind = r["type"].split("/")[-1]
            where = f"{path} {r['name']}"
            authz.check_resource(where, level, kind, {k: v for k, v in r.items() if k != "dependsOn"})
            for k, v in r.items():
                if k not in ("type", "apiVersion", "name", "dependsOn"):
                    for s in strings_of(v):
                        if s.startswith("[") and s.endswith("]") and not s.startswith("[["):
                            fail(where, f"'{k}' holds an unescaped template expression {s!r}")
            if rest_bodies is None:
                continue
            matches = [b for rid, b in rest_bodies.items()
                       if rid.endswith(f"/{kind.lower()}/{r['name'].lower()}")]
            body = {k: unescape(v) for k, v in r.items()
                    if k not in ("type", "apiVersion", "name", "dependsOn")}
            if body not in matches:
                fail(where, "differs from the rest body of the same resource")


def check_epac(shared, out):
    epac = os.path.join(shared, "policy-refs", "peers", "epac")
    text = {n: open(os.path.join(epac, n), encoding="utf-8").read() for n in
            ("policy-definition-schema.json", "policy-set-definition-schema.json",
             "policy-assignment-schema.json")}
    schema = {n: json.loads(t.replace('"^*$"', '"^.*$"')) for n, t in text.items()}
    folders = {"policyDefinitions": "policy-definition-schema.json",
               "policySetDefinitions": "policy-set-definition-schema.json",
               "policyAssignments": "policy-assignment-schema.json"}
    seen = 0
    for folder, schema_name in folders.items():
        v = jsonschema.Draft202012Validator(schema[schema_name])
        for name in sorted(os.listdir(os.path.join(out, folder))):
            path = os.path.join(out, folder, name)
            doc = load(path)
            if not doc.get("$schema", "").endswith("/" + schema_name):
                fail(path, f"$schema is not EPAC's {schema_name}")
            check(path, v, doc)
            seen += 1
    if seen < 3:
        fail(out, f"expected definitions, an initiative and an assignment, found {seen} files")


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    shared, args = argv[1], argv[2:]
    if not os.path.isdir(os.path.join(shared, "policy-refs", "schemas")):
        print(f"SKIP: {shared}/policy-refs/schemas is absent; schema validation not run")
        return 77
    authz = Authz(shared)
    opts = dict(zip(args[0::2], args[1::2]))
    bodies = None
    if "--rest" in opts:
        bodies = check_rest(authz, opts["--rest"])
    if "--arm-template" in opts:
        check_arm_template(authz, opts["--arm-template"], bodies)
    if "--epac" in opts:
        check_epac(shared, opts["--epac"])
    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} schema failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
