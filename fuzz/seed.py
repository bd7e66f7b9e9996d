#!/usr/bin/env python3
"""Seeds the working corpora of the fuzz targets: seed.py TOP CORPUS_DIR NAME...

Copies, at fuzz time, inputs the repository and ../shared already hold into CORPUS_DIR/NAME/
(named by content hash, so reseeding adds nothing twice). Nothing here is committed: only the
small hand-written seeds and crash regressions live in fuzz/corpus/NAME/. A target with no
entry below fuzzes from fuzz/corpus/NAME/ alone. ../shared absent: a notice, not a failure.
"""
import glob
import hashlib
import json
import os
import sys

top, corpus, names = sys.argv[1], sys.argv[2], sys.argv[3:]
shared = os.environ.get("SHARED", os.path.join(top, "..", "shared"))


def recorded():
    """(body, headers) of every response recorded in ../shared/arm (recordings, examples)."""
    out = []
    try:
        import yaml
    except ImportError:
        yaml = None
    for path in sorted(glob.glob(os.path.join(shared, "arm", "recordings", "*"))):
        text = open(path, encoding="utf-8", errors="replace").read()
        if path.endswith(".json"):
            try:
                doc = json.loads(text)
            except ValueError:
                continue
            for entry in doc.get("Entries", []) if isinstance(doc, dict) else []:
                body = entry.get("ResponseBody")
                out.append((json.dumps(body) if not isinstance(body, str) else body,
                            entry.get("ResponseHeaders") or {}))
        elif yaml is not None:
            try:
                doc = yaml.safe_load(text)
            except Exception:
                continue
            for it in (doc or {}).get("interactions", []) if isinstance(doc, dict) else []:
                resp = it.get("response") or {}
                body = (resp.get("body") or {}).get("string") or ""
                headers = {k: (v[0] if isinstance(v, list) and v else v)
                           for k, v in (resp.get("headers") or {}).items()}
                out.append((body, headers))
    for path in sorted(glob.glob(os.path.join(shared, "arm", "examples", "**", "*.json"),
                       recursive=True)):
        try:
            doc = json.load(open(path, encoding="utf-8"))
        except ValueError:
            continue
        for resp in (doc.get("responses") or {}).values():
            if isinstance(resp, dict) and "body" in resp:
                out.append((json.dumps(resp["body"]), resp.get("headers") or {}))
    return out


def bodies():
    return [b for b, _ in recorded() if b]


def headers():
    vals = []
    for _, h in recorded():
        for k, v in h.items():
            if k.lower() in ("retry-after", "location", "azure-asyncoperation",
                             "x-ms-ratelimit-remaining-subscription-reads"):
                vals.append(str(v))
    return vals


def files(*patterns):
    out = []
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(top, pattern), recursive=True)):
            out.append(open(path, "rb").read())
    return out


def config_dict():
    """libFuzzer dictionary of every [section] and key of lib/config.def."""
    import re
    text = open(os.path.join(top, "lib", "config.def"), encoding="utf-8").read()
    words = set()
    for section, key in re.findall(r"^CONFIG_KEY\((\w+), (\w+),", text, re.M):
        words.add("[%s]" % section)
        words.add("%s = " % key)
    return sorted(words)


def json_docs():
    """Every JSON document of templates/, policies/, tests/golden and ../shared/policy-refs."""
    paths = []
    for pattern in ("templates/**/*.json", "policies/**/*.json", "tests/golden/**/*.json"):
        paths += sorted(glob.glob(os.path.join(top, pattern), recursive=True))
    paths += sorted(glob.glob(os.path.join(shared, "policy-refs", "**", "*.json"), recursive=True))
    out = []
    for path in paths:
        try:
            out.append(json.load(open(path, encoding="utf-8")))
        except (ValueError, OSError):
            continue
    return out


def walk(value):
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def template_expressions():
    """Every "[...]" expression string those documents hold (armsim_template)."""
    seen = set()
    for doc in json_docs():
        for v in walk(doc):
            if isinstance(v, str) and v.startswith("[") and not v.startswith("[[") \
                    and v.endswith("]") and v not in seen:
                seen.add(v)
    return sorted(seen)


def policy_definitions():
    """Every policy definition (an object with a policyRule) those documents hold."""
    out = []
    for doc in json_docs():
        for v in walk(doc):
            if isinstance(v, dict) and "policyRule" in v:
                out.append(json.dumps(v))
    return out


def armsim_dict():
    """Template function names, policy operators and aliases armsim knows (armsim_policy)."""
    import re
    words = {"allOf", "anyOf", "not", "if", "then", "effect", "policyRule", "field", "value",
             "count", "where", "details", "existenceCondition", "parameters", "defaultValue",
             "allowedValues", "operations", "operation", "addOrReplace", "roleDefinitionIds",
             "deployment", "evaluationDelay", "type", "name", "kind", "[*]", "properties"}
    for name in ("template_func.c", "policy_compile.c", "alias.c"):
        text = open(os.path.join(top, "armsim", name), encoding="utf-8").read()
        words.update(re.findall(r'\{ "([A-Za-z][A-Za-z./*\[\]]*)"', text))
    return sorted(words)


DICTS = {"config": config_dict, "armsim_policy": armsim_dict, "armsim_template": armsim_dict}

SOURCES = {
    "config": lambda: files("tests/golden/*/*/config.ini", "examples/*.ini"),
    "arm_error": bodies,
    "nextlink": bodies,
    "retry_after": headers,
    "armsim_template": template_expressions,
    "armsim_policy": policy_definitions,
}

if not os.path.isdir(os.path.join(shared, "arm")):
    print("fuzz: notice: %s is absent; corpora not seeded from recordings" % shared)
for name in names:
    if name in DICTS:
        os.makedirs(corpus, exist_ok=True)
        with open(os.path.join(corpus, name + ".dict"), "w") as f:
            for word in DICTS[name]():
                f.write('"%s"\n' % word.replace("\\", "\\\\").replace('"', '\\"'))
    make = SOURCES.get(name)
    if not make:
        continue
    dest = os.path.join(corpus, name)
    os.makedirs(dest, exist_ok=True)
    for item in make():
        data = item if isinstance(item, bytes) else item.encode("utf-8", "surrogateescape")
        path = os.path.join(dest, "seed-" + hashlib.sha1(data).hexdigest())
        if not os.path.exists(path):
            open(path, "wb").write(data)
