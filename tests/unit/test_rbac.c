/*
 * Unit tests for orchestrator/rbac: action patterns match as Azure matches them (wildcards,
 * any case), notActions take away what actions grant within one entry only, and a missing action is named with exactly the built-in roles that grant
 * it (role assignments: Owner, User Access Administrator, RBAC Administrator).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "orchestrator/rbac.h"

static void test_action_patterns(void **state)
{
	static const struct { const char *pattern, *action; int match; } cases[] = {
		{ "*", "Microsoft.Authorization/roleAssignments/write", 1 },
		{ "*/read", "Microsoft.Web/sites/read", 1 },
		{ "*/read", "Microsoft.Web/sites/write", 0 },
		{ "Microsoft.Authorization/*/Write", "microsoft.authorization/roleassignments/write", 1 },
		{ "Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/delete", 0 },
		{ "Microsoft.PolicyInsights/*", "Microsoft.PolicyInsights/remediations/write", 1 },
		{ "Microsoft.PolicyInsights/*", "Microsoft.PolicyInsightsX/remediations/write", 0 },
		{ "Microsoft.Web/sites/*", "Microsoft.Web/sites", 0 },
		{ "", "x", 0 },
		{ "a*b*c", "aXXbYYc", 1 },
		{ "a*b*c", "aXXbYY", 0 },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (rbac_action_matches(cases[i].pattern, cases[i].action) != cases[i].match)
			fail_msg("'%s' against '%s': expected %d", cases[i].pattern, cases[i].action,
				 cases[i].match);
}

static void test_permissions_allow(void **state)
{
	/* Contributor's entry, and a Reader entry beside it */
	json_t *contributor = json_pack("[{s:[s], s:[s,s,s]}]", "actions", "*", "notActions",
					"Microsoft.Authorization/*/Delete",
					"Microsoft.Authorization/*/Write",
					"Microsoft.Authorization/elevateAccess/Action");
	json_t *both = json_deep_copy(contributor);
	json_t *none = json_array();
	(void)state;
	json_array_append_new(both, json_pack("{s:[s], s:[s]}", "actions",
					      "Microsoft.Authorization/roleAssignments/write",
					      "notActions", "Microsoft.Web/*"));
	assert_true(rbac_permissions_allow(contributor, "Microsoft.PolicyInsights/remediations/write"));
	assert_true(rbac_permissions_allow(contributor, "Microsoft.Web/sites/write"));
	assert_false(rbac_permissions_allow(contributor, "Microsoft.Authorization/roleAssignments/write"));
	assert_false(rbac_permissions_allow(contributor, "Microsoft.Authorization/policyDefinitions/write"));
	/* another entry grants it: notActions of one entry do not take from another */
	assert_true(rbac_permissions_allow(both, "Microsoft.Authorization/roleAssignments/write"));
	assert_false(rbac_permissions_allow(none, "Microsoft.Web/sites/read"));
	assert_false(rbac_permissions_allow(NULL, "Microsoft.Web/sites/read"));
	json_decref(contributor);
	json_decref(both);
	json_decref(none);
}

static void test_roles_granting(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	rbac_roles_granting("Microsoft.Authorization/roleAssignments/write", &sb);
	assert_string_equal(sb.buf, "Owner, User Access Administrator, "
			    "Role Based Access Control Administrator");
	strbuf_reset(&sb);
	rbac_roles_granting("Microsoft.Authorization/policyDefinitions/write", &sb);
	assert_string_equal(sb.buf, "Owner, Resource Policy Contributor, User Access Administrator");
	strbuf_reset(&sb);
	rbac_roles_granting("Microsoft.PolicyInsights/remediations/write", &sb);
	assert_string_equal(sb.buf, "Owner, Contributor, Resource Policy Contributor");
	strbuf_reset(&sb);
	rbac_roles_granting("Microsoft.Web/sites/write", &sb);
	assert_string_equal(sb.buf, "Owner, Contributor, Website Contributor");
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action_patterns),
		cmocka_unit_test(test_permissions_allow),
		cmocka_unit_test(test_roles_granting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
