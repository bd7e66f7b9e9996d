/*
 * Unit tests for armsim/builtin_defs: the four built-in client-certificate audits armsim serves
 * without ../shared (t1120 compares them with Azure's exports when ../shared is there).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "armsim/builtin_defs.h"
#include "armsim/policy_eval.h"
#include "lib/strbuf.h"

static void test_builtins_without_shared(void **state)
{
	static const char *const ids[] = {
		"19dd1db6-f442-49cf-a838-b0786b4401ef", "5b0bd968-5cb5-4513-8987-27786c6f0df8",
		"ab6a902f-9493-453b-928d-62c30b11b5a6", "153ab4ca-2d58-4b5d-9134-6d8c6bdd321c",
	};
	json_t *doc = json_object(), *def;
	char id[128];
	size_t i;
	(void)state;
	assert_int_equal(builtin_defs_add(doc), BUILTIN_DEFS_COUNT);
	assert_int_equal(json_array_size(json_object_get(doc, "resources")), 4);
	/* a second add (a world dumped and served again) adds nothing */
	assert_int_equal(builtin_defs_add(doc), 0);
	for (i = 0; i < 4; i++) {
		struct strbuf err = STRBUF_INIT;
		struct policy_definition *compiled = NULL;
		snprintf(id, sizeof(id), "/providers/Microsoft.Authorization/policyDefinitions/%s", ids[i]);
		def = builtin_defs_get(id);
		assert_non_null(def);
		assert_string_equal(json_string_value(json_object_get(json_object_get(def, "properties"),
								       "policyType")), "BuiltIn");
		/* armsim's own engine compiles each one */
		assert_int_equal(policy_definition_compile(json_object_get(def, "properties"), &compiled,
							   &err), POLICY_OK);
		policy_definition_free(compiled);
		strbuf_release(&err);
		json_decref(def);
	}
	assert_null(builtin_defs_get("/providers/Microsoft.Authorization/policyDefinitions/nope"));
	json_decref(doc);
}

/* The compliance the web-app built-in gives a site of this kind and these settings. */
static enum policy_compliance webapp_audit(const char *kind, int cert, int http2)
{
	json_t *def = builtin_defs_get("/providers/Microsoft.Authorization/policyDefinitions/"
				       "19dd1db6-f442-49cf-a838-b0786b4401ef");
	json_t *site = json_pack("{s:s, s:s, s:s, s:s, s:{s:b, s:{s:b}}}",
				 "id", "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/x",
				 "name", "x", "type", "Microsoft.Web/sites", "kind", kind,
				 "properties", "clientCertEnabled", cert, "siteConfig", "http20Enabled", http2);
	struct policy_definition *compiled = NULL;
	struct policy_outcome outcome;
	struct strbuf err = STRBUF_INIT;
	json_t *params = NULL;
	assert_int_equal(policy_definition_compile(json_object_get(def, "properties"), &compiled,
						   &err), POLICY_OK);
	/* no value given: the parameter's default, AuditIfNotExists */
	assert_int_equal(policy_definition_parameters(compiled, NULL, &params, &err), POLICY_OK);
	assert_int_equal(policy_evaluate(compiled, params, site, NULL, NULL, NULL, &outcome, &err),
			 POLICY_OK);
	assert_int_equal(outcome.effect, POLICY_EFFECT_AUDIT_IF_NOT_EXISTS);
	json_decref(params);
	policy_definition_free(compiled);
	json_decref(def);
	json_decref(site);
	strbuf_release(&err);
	return outcome.compliance;
}

static void test_webapp_builtin_rule(void **state)
{
	(void)state;
	/* audited: no certificates over HTTP/1.1; HTTP/2 counts as compliant, as in Azure */
	assert_int_equal(webapp_audit("app", 0, 0), POLICY_NON_COMPLIANT);
	assert_int_equal(webapp_audit("app", 0, 1), POLICY_COMPLIANT);
	/* certificates on, or a function app: not applicable */
	assert_int_equal(webapp_audit("app", 1, 0), POLICY_NOT_APPLICABLE);
	assert_int_equal(webapp_audit("functionapp,linux", 0, 0), POLICY_NOT_APPLICABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtins_without_shared),
		cmocka_unit_test(test_webapp_builtin_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
