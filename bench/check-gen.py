#!/usr/bin/env python3
"""Writes N ARM templates of about SIZE bytes each into DIR for bench/check.sh.

usage: check-gen.py DIR N SIZE

Each template looks like a real app deployment: parameters with defaults, variables built
with concat/toLower/if, one site per environment in a copy loop, a child slot and web
config, a nested deployment (inner scope) with a function app, and filler resources
(storage accounts with tags) up to SIZE. About a third of the sites are non-compliant, so
the writers have findings to format. Deterministic: file i is the same on every run.
"""
import json
import os
import sys


def template(i, size):
    mode = "Required" if i % 3 else "Optional"
    t = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "appName": {"type": "string", "defaultValue": f"bench-app-{i}"},
            "environments": {"type": "array", "defaultValue": ["dev", "test", "prod"]},
            "certMode": {"type": "string", "defaultValue": mode},
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
        },
        "variables": {
            "baseName": "[toLower(concat(parameters('appName'), '-web'))]",
            "siteProps": {
                "clientCertEnabled": True,
                "clientCertMode": "[parameters('certMode')]",
                "httpsOnly": True,
                "siteConfig": {"http20Enabled": False, "minTlsVersion": "1.2"},
            },
        },
        "resources": [
            {
                "type": "Microsoft.Web/sites",
                "apiVersion": "2024-11-01",
                "name": "[format('{0}-{1}', variables('baseName'), parameters('environments')[copyIndex()])]",
                "location": "[parameters('location')]",
                "kind": "app,linux",
                "copy": {"name": "envLoop", "count": "[length(parameters('environments'))]"},
                "properties": "[variables('siteProps')]",
                "resources": [
                    {"type": "slots", "apiVersion": "2024-11-01", "name": "staging",
                     "location": "[parameters('location')]",
                     "properties": {"clientCertEnabled": "[not(equals(parameters('certMode'), 'Optional'))]",
                                    "clientCertMode": "Required"}},
                    {"type": "config", "apiVersion": "2024-11-01", "name": "web",
                     "properties": {"http20Enabled": False}},
                ],
            },
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": f"functions-{i}",
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "parameters": {"name": {"value": "[concat(parameters('appName'), '-fn')]"}},
                    "template": {
                        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                        "contentVersion": "1.0.0.0",
                        "parameters": {"name": {"type": "string"}},
                        "resources": [{
                            "type": "Microsoft.Web/sites", "apiVersion": "2024-11-01",
                            "name": "[parameters('name')]", "location": "westeurope", "kind": "functionapp",
                            "properties": {"clientCertEnabled": i % 5 != 0, "clientCertMode": "Required"},
                        }],
                    },
                },
            },
        ],
    }
    n = 0
    while len(json.dumps(t, indent=2)) < size:
        t["resources"].append({
            "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01",
            "name": f"[concat('st', uniqueString(resourceGroup().id), '{n}')]",
            "location": "[parameters('location')]", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2",
            "tags": {"owner": "team-bench", "costCenter": f"cc-{i % 97}", "index": str(n)},
            "properties": {"minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": True,
                           "allowBlobPublicAccess": False, "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"}},
        })
        n += 1
    return json.dumps(t, indent=2) + "\n"


def main():
    out, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    for i in range(count):
        with open(os.path.join(out, f"app-{i:04d}.json"), "w", encoding="utf-8") as f:
            f.write(template(i, size))


if __name__ == "__main__":
    main()
