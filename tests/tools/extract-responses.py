#!/usr/bin/env python3
"""Prints one JSON line per recorded ARM response, for tests/tools/armparse.

Reads vcrpy YAML cassettes (and fragments), go-recorder JSON ("Entries") and Azure REST API
examples ("responses") given on the command line. A file it cannot read is an error: the
acceptance test must cover every response body, not the ones that happen to load.
"""
import json
import sys

import yaml


def lower_headers(headers):
    out = {}
    for k, v in (headers or {}).items():
        if isinstance(v, list):
            v = v[0] if v else ""
        out[k.lower()] = str(v)
    return out


def emit(source, method, url, status, headers, body):
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    print(json.dumps({"source": source, "method": method, "url": url, "status": int(status),
                      "headers": lower_headers(headers), "body": body or ""}))


def from_vcr(path, doc):
    interactions = doc["interactions"] if isinstance(doc, dict) else doc
    for i, it in enumerate(interactions):
        req, resp = it["request"], it["response"]
        body = resp.get("body", {})
        body = body.get("string") if isinstance(body, dict) else body
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        emit(f"{path}#{i}", req["method"], req["uri"], resp["status"]["code"],
             resp.get("headers"), body)


def from_go(path, doc):
    for i, e in enumerate(doc["Entries"]):
        emit(f"{path}#{i}", e["RequestMethod"], e["RequestUri"], e["StatusCode"],
             e.get("ResponseHeaders"), e.get("ResponseBody"))


def from_example(path, doc):
    for code, resp in doc["responses"].items():
        emit(f"{path}#{code}", None, None, int(code), resp.get("headers"), resp.get("body"))


def main():
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if path.endswith(".json"):
            doc = json.loads(text)
            if "Entries" in doc:
                from_go(path, doc)
            elif "responses" in doc:
                from_example(path, doc)
            else:
                sys.exit(f"{path}: neither a go recording nor an example")
        else:
            from_vcr(path, yaml.safe_load(text))


main()
