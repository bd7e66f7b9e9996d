/*
 * A policy world for armsim's engine unit tests (test_armsim_compliance.c,
 * test_armsim_remediation.c): one subscription, one resource group with three web apps, the
 * policy definitions of policies/rest (DINE) plus inline Audit and Deny rules, and a policy
 * engine over it. Requests go through armsim's real route table (route_find) to the real
 * handlers, in-process, without a server; time is simclock's manual clock, moved by the test.
 */
#ifndef TESTS_UNIT_ARMSIM_POLICY_FIXTURE_H
#define TESTS_UNIT_ARMSIM_POLICY_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "armsim/policy_engine.h"
#include "armsim/routes.h"
#include "armsim/simclock.h"
#include "armsim/world.h"
#include "lib/jsonutil.h"

#define FX_SUB "00000000-0000-0000-0000-0000000000f1"
#define FX_RG "/subscriptions/" FX_SUB "/resourceGroups/rg"
#define FX_SITES FX_RG "/providers/Microsoft.Web/sites/"
#define FX_DEFS "/subscriptions/" FX_SUB "/providers/Microsoft.Authorization/policyDefinitions/"
#define FX_ASSIGN FX_RG "/providers/Microsoft.Authorization/policyAssignments/"
#define FX_POLICY_PRINCIPAL "0a0a0000-0000-4000-8000-0000000000aa"
#define FX_START_MS 1735689600000LL /* 2025-01-01T00:00:00Z */

struct fixture {
	struct world *w;
	struct policy_engine *e;
};

/* Adds an assignment of definition (id) at the resource group, with the policy identity. */
static void fx_assign(json_t *resources, const char *name, const char *definition,
		      const char *mode)
{
	json_array_append_new(resources, json_pack(
		"{s:s+, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s}}",
		"id", FX_ASSIGN, name, "name", name, "type", "Microsoft.Authorization/policyAssignments",
		"location", "westeurope",
		"properties", "policyDefinitionId", definition, "scope", FX_RG,
		"enforcementMode", mode, "displayName", name,
		"identity", "type", "SystemAssigned", "principalId", FX_POLICY_PRINCIPAL));
}

static json_t *fx_rule_definition(const char *name, const char *effect)
{
	return json_pack(
		"{s:s+, s:s, s:s, s:{s:s, s:s, s:{s:{s:[{s:s, s:s}, {s:s, s:b}]}, s:{s:s}}}}",
		"id", FX_DEFS, name, "name", name, "type", "Microsoft.Authorization/policyDefinitions",
		"properties", "mode", "Indexed", "displayName", name,
		"policyRule", "if", "allOf", "field", "type", "equals", "Microsoft.Web/sites",
		"field", "Microsoft.Web/sites/clientCertEnabled", "notEquals", 1,
		"then", "effect", effect);
}

/*
 * Loads the world with knobs (JSON text) and assignments of the named kinds ("audit", "deny",
 * "deny-off" (DoNotEnforce), "dine"), starts the manual clock at FX_START_MS and makes the
 * engine. Fails the test when the DINE definition cannot be read from $TOP/policies.
 */
static void fx_setup(struct fixture *f, const char *knobs, const char *const *kinds)
{
	const char *top = getenv("TOP") ? getenv("TOP") : ".";
	char path[1024];
	struct strbuf err = STRBUF_INIT;
	json_t *doc, *res = json_array(), *dine;
	size_t i;

	simclock_set_manual(FX_START_MS);
	snprintf(path, sizeof(path), "%s/policies/rest/managementGroups/contoso-landing-zones/"
		 "policyDefinitions/appservice-client-cert-webapp.json", top);
	dine = jsonutil_load_file(path, &err);
	if (!dine)
		fail_msg("cannot load the DINE definition: %s", err.buf);
	json_object_set_new(dine, "id", json_string(FX_DEFS "cc-webapp"));
	json_object_set_new(dine, "name", json_string("cc-webapp"));
	json_object_set_new(dine, "type", json_string("Microsoft.Authorization/policyDefinitions"));
	json_array_append_new(res, dine);
	json_array_append_new(res, fx_rule_definition("cc-audit", "audit"));
	json_array_append_new(res, fx_rule_definition("cc-deny", "deny"));
	for (i = 0; kinds && kinds[i]; i++) {
		if (!strcmp(kinds[i], "audit"))
			fx_assign(res, "audit-rg", FX_DEFS "cc-audit", "Default");
		else if (!strcmp(kinds[i], "deny"))
			fx_assign(res, "deny-rg", FX_DEFS "cc-deny", "Default");
		else if (!strcmp(kinds[i], "deny-off"))
			fx_assign(res, "deny-rg", FX_DEFS "cc-deny", "DoNotEnforce");
		else if (!strcmp(kinds[i], "dine"))
			fx_assign(res, "remediate-rg", FX_DEFS "cc-webapp", "Default");
	}
	doc = json_pack(
		"{s:s, s:o, s:[{s:s}], s:[{s:s, s:s, s:[{s:s, s:s, s:["
		"{s:s, s:s, s:s, s:{s:b, s:s, s:b}}, {s:s, s:s, s:s, s:{s:b, s:s, s:b}},"
		"{s:s, s:s, s:s, s:{s:b, s:s, s:b}}]}]}],"
		" s:[{s:s, s:s, s:s, s:b, s:[{s:s, s:s}]}], s:o}",
		"tenantId", "fx-tenant", "knobs", json_loads(knobs ? knobs : "{}", 0, NULL),
		"managementGroups", "name", "mg-fx",
		"subscriptions", "subscriptionId", FX_SUB, "managementGroup", "mg-fx",
		"resourceGroups", "name", "rg", "location", "westeurope", "sites",
		"name", "app-off", "kind", "app", "location", "westeurope", "properties",
		"clientCertEnabled", 0, "clientCertMode", "Required", "httpsOnly", 1,
		"name", "app-off2", "kind", "app", "location", "westeurope", "properties",
		"clientCertEnabled", 0, "clientCertMode", "Required", "httpsOnly", 1,
		"name", "app-ok", "kind", "app", "location", "westeurope", "properties",
		"clientCertEnabled", 1, "clientCertMode", "Required", "httpsOnly", 1,
		"principals", "displayName", "policy", "objectId", FX_POLICY_PRINCIPAL,
		"clientId", "0a0a0000-0000-4000-8000-0000000000ab", "managed", 1,
		"roleAssignments", "role", "Website Contributor", "scope", "/subscriptions/" FX_SUB,
		"resources", res);
	assert_non_null(doc);
	f->w = world_new();
	if (world_load_json(f->w, doc, &err))
		fail_msg("world: %s", err.buf);
	json_decref(doc);
	strbuf_release(&err);
	f->e = policy_engine_new(f->w);
}

static void fx_teardown(struct fixture *f)
{
	policy_engine_free(f->e);
	world_free(f->w);
}

/*
 * Sends one request through the route table to its handler (in-process). Returns the response
 * body (new reference, may be NULL) and sets *status.
 */
static json_t *fx_call(struct fixture *f, const char *method, const char *path,
		       const char *api_version, const char *body, unsigned *status)
{
	struct armsim_request req;
	struct armsim_response resp;
	const struct route *route = NULL;
	json_t *out;

	memset(&req, 0, sizeof(req));
	req.world = f->w;
	req.method = method;
	req.path = path;
	req.api_version = api_version;
	req.base_url = "https://127.0.0.1:1";
	req.raw_body = body ? body : "";
	req.raw_len = strlen(req.raw_body);
	req.body = body ? json_loads(body, 0, NULL) : NULL;
	if (route_find(method, path, &req, &route) != ROUTE_MATCHED)
		fail_msg("no route for %s %s", method, path);
	armsim_response_init(&resp);
	route->handler(&req, &resp);
	*status = resp.status;
	out = json_incref(resp.body);
	armsim_response_release(&resp);
	armsim_request_params_release(&req);
	json_decref(req.body);
	return out;
}

/* Moves simulated time by ms and runs one engine tick, as the server's timer thread does. */
static void fx_advance(struct fixture *f, int64_t ms)
{
	simclock_advance(ms);
	policy_engine_tick(f->e);
}
#endif
