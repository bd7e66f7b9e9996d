/*
 * fuzz_armsim_policy — armsim's policy rule compiler and evaluator (policy_compile.c,
 * policy_eval.c, with the expressions of template_expr.c).
 *
 * The input is a policy definition as a PUT body or its properties (JSON). A definition that
 * compiles gets its parameters' defaults resolved and is evaluated against two fixed sites
 * (one requiring client certificates, one not, with a web config), and its Modify operations
 * or DeployIfNotExists deployment are computed. Beyond "no crash":
 *  - a refusal says why (compile, parameters, effect, evaluation);
 *  - evaluation is deterministic: the same site gives the same outcome twice;
 *  - policy_evaluate and policy_evaluate_as with the effect policy_definition_effect resolved
 *    give the same outcome; a Disabled definition is not applicable;
 *  - Modify never changes the resource it was given (it works on a copy).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "armsim/policy_eval.h"
#include "armsim/template.h"
#include "lib/strbuf.h"

static json_t *sites[2];

static void make_sites(void)
{
	if (sites[0])
		return;
	sites[0] = json_loads(
		"{\"id\": \"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/"
		"providers/Microsoft.Web/sites/app1\", \"name\": \"app1\", \"type\": \"Microsoft.Web/sites\","
		" \"kind\": \"app\", \"location\": \"westeurope\", \"tags\": {\"env\": \"prod\"},"
		" \"properties\": {\"clientCertEnabled\": true, \"clientCertMode\": \"Required\","
		" \"httpsOnly\": true, \"hostNames\": [\"app1.azurewebsites.net\", \"www.example.com\"],"
		" \"siteConfig\": {\"minTlsVersion\": \"1.2\", \"ftpsState\": \"Disabled\","
		" \"ipSecurityRestrictions\": [{\"ipAddress\": \"10.0.0.0/8\", \"action\": \"Allow\"}]}}}",
		0, NULL);
	sites[1] = json_loads(
		"{\"id\": \"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/"
		"providers/Microsoft.Web/sites/fn1/slots/staging\", \"name\": \"fn1/staging\","
		" \"type\": \"Microsoft.Web/sites/slots\", \"kind\": \"functionapp,linux\","
		" \"location\": \"northeurope\", \"properties\": {\"clientCertEnabled\": false,"
		" \"clientCertMode\": \"Optional\", \"clientCertExclusionPaths\": \"/health\","
		" \"siteConfig\": {\"minTlsVersion\": \"1.0\"}}}", 0, NULL);
	if (!sites[0] || !sites[1])
		abort();
}

static int same_outcome(const struct policy_outcome *a, const struct policy_outcome *b)
{
	return a->effect == b->effect && a->compliance == b->compliance;
}

static void evaluate(const struct policy_definition *def, const json_t *params,
		     enum policy_effect effect, const json_t *site)
{
	struct strbuf err = STRBUF_INIT;
	struct policy_outcome o1, o2, o3;
	enum policy_result r1, r2, r3;
	json_t *copy = json_deep_copy(site), *modified = NULL, *deploy_params = NULL;
	const json_t *template = NULL;

	r1 = policy_evaluate(def, params, site, NULL, NULL, "2023-01-01", &o1, &err);
	if (r1 != POLICY_OK && !err.len)
		abort();
	strbuf_reset(&err);
	r2 = policy_evaluate(def, params, site, NULL, NULL, "2023-01-01", &o2, &err);
	strbuf_reset(&err);
	r3 = policy_evaluate_as(def, params, effect, site, NULL, NULL, "2023-01-01", &o3, &err);
	if (r1 != r2 || r1 != r3)
		abort();
	if (r1 == POLICY_OK) {
		if (!same_outcome(&o1, &o2) || !same_outcome(&o1, &o3) || o1.effect != effect)
			abort();
		if (effect == POLICY_EFFECT_DISABLED && o1.compliance != POLICY_NOT_APPLICABLE)
			abort();
	}
	strbuf_reset(&err);
	if (effect == POLICY_EFFECT_MODIFY) {
		if (policy_definition_modify(def, params, site, "2023-01-01", &modified, &err) ==
		    POLICY_OK && !modified)
			abort();
		if (!json_equal(site, copy))
			abort();
	} else if (effect == POLICY_EFFECT_DEPLOY_IF_NOT_EXISTS) {
		if (policy_definition_deployment(def, params, site, &deploy_params, &template, &err) ==
		    POLICY_OK && template) {
			struct template_writes writes = { 0 };
			struct template_target target = {
				"00000000-0000-0000-0000-000000000001", "rg", "westeurope", NULL };
			strbuf_reset(&err);
			template_deploy(template, deploy_params, &target, &writes, &err);
			template_writes_release(&writes);
		}
	}
	json_decref(modified);
	json_decref(deploy_params);
	json_decref(copy);
	strbuf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf err = STRBUF_INIT;
	struct policy_definition *def = NULL;
	json_t *doc, *params = NULL;
	enum policy_effect effect;
	size_t i;

	make_sites();
	doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!doc)
		return 0;
	if (policy_definition_compile(doc, &def, &err) != POLICY_OK) {
		if (def || !err.len)
			abort();
		goto out;
	}
	/* what a definition reports of itself is there while it lives */
	(void)policy_definition_role_ids(def);
	(void)policy_definition_details_type(def);
	(void)policy_definition_evaluation_delay(def);
	(void)policy_definition_mode(def);
	if (policy_definition_parameters(def, NULL, &params, &err) != POLICY_OK) {
		if (!err.len)
			abort();
		goto out;
	}
	if (policy_definition_effect(def, params, &effect, &err) != POLICY_OK) {
		if (!err.len)
			abort();
		goto out;
	}
	if (!policy_effect_name(effect))
		abort();
	for (i = 0; i < 2; i++)
		evaluate(def, params, effect, sites[i]);
out:
	policy_definition_free(def);
	json_decref(params);
	json_decref(doc);
	strbuf_release(&err);
	return 0;
}
